//! What every fuzz target checks: the fail-closed properties of shipgate's results.
//!
//! A target feeds bytes to one reader or to the evaluator; whatever comes back must be either
//! a precise error or a well-formed result. A panic, an `Error::Internal`, a decision whose
//! verdict contradicts its own reasons and requirements, or two evaluators that disagree is a
//! finding: the check below panics, which libFuzzer records as a crash.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use shipgate::{
    CalendarReport, Catalog, Change, Decision, Engine, Error, Format, RequirementKind, Verdict,
};

/// The repository root (the fuzz crate lives in `fuzz/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An instant `secs` seconds after 2026-01-01T00:00:00Z.
pub fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap_or_default()
}

/// An error is fine when it says where and what: never an internal error (a caught panic or
/// a broken invariant), an input error names its path and says what is wrong, and a policy
/// error renders and locates each of its diagnostics.
pub fn check_error(e: &Error) {
    match e {
        Error::Internal { message } => panic!("internal error: {message}"),
        Error::Input(e) => {
            assert!(!e.path.is_empty(), "input error without a path: {e}");
            assert!(!e.message.is_empty(), "input error without a message: {e}");
        }
        Error::Policy(p) => {
            assert!(
                !p.diagnostics().is_empty(),
                "policy error without diagnostics"
            );
            assert!(
                p.diagnostics().iter().any(|d| d.is_error()),
                "policy error with warnings only"
            );
            for d in p.diagnostics() {
                assert!(!d.message().is_empty(), "diagnostic without a message");
                let at = p.location_of(d);
                assert!(
                    at.is_some(),
                    "diagnostic without a location: {}",
                    d.message()
                );
            }
            let rendered = p.render(false);
            assert!(!rendered.is_empty(), "policy error renders to nothing");
        }
        Error::Io { path, message } => {
            assert!(!path.is_empty() && !message.is_empty(), "bare io error")
        }
        _ => {}
    }
}

/// A compiled engine's warnings are located and render.
pub fn check_engine(engine: &Engine) {
    for w in engine.warnings() {
        assert!(!w.is_error(), "an engine that compiled carries an error");
        assert!(
            engine.warning_location(w).is_some(),
            "warning without a location: {}",
            w.message()
        );
    }
    let _ = engine.warning_list();
    let _ = engine.render_warnings(false);
}

/// The verdict follows from the reasons and requirements exactly as docs/semantics.md says
/// ("The verdict"), the schedule agrees with its regions, and the JSON form is valid JSON.
pub fn check_decision(d: &Decision) {
    let unmet = d.requirements.iter().any(|r| !r.satisfied);
    let expected = if !d.reasons.is_empty() {
        Verdict::Deny
    } else if unmet {
        Verdict::Pending
    } else {
        Verdict::Allow
    };
    assert_eq!(
        d.verdict, expected,
        "verdict contradicts reasons/requirements: {d:?}"
    );
    for r in &d.reasons {
        assert!(!r.rule.is_empty(), "a reason without a rule: {d:?}");
    }
    for r in &d.requirements {
        if r.kind == RequirementKind::Approval && r.satisfied {
            assert!(
                r.counted.len() as u64 >= u64::from(r.needed),
                "approval requirement satisfied with too few approvals: {r:?}"
            );
        }
    }
    let s = &d.schedule;
    assert!(s.start <= s.end, "schedule ends before it starts: {s:?}");
    if !s.allowed {
        assert!(
            d.reasons.iter().any(|r| r.rule == "schedule"),
            "schedule not allowed but no schedule reason: {d:?}"
        );
    }
    for r in &s.regions {
        assert_eq!(
            r.open,
            r.blocked_by.is_empty(),
            "region open/blocked_by: {r:?}"
        );
        if let Some(w) = &r.next_window {
            assert!(w.start < w.end, "empty next window: {r:?}");
        }
    }
    let json = d.to_json();
    let value: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("decision JSON invalid: {e}"));
    assert_eq!(
        value.get("verdict").and_then(|v| v.as_str()),
        Some(d.verdict.as_str()),
        "JSON verdict differs"
    );
}

/// Evaluates `change` and checks everything a decision must satisfy: an error is a precise
/// error, a decision is well formed, the general evaluator decides byte for byte the same,
/// and a session deciding at the same start agrees.
pub fn evaluate_and_check(
    engine: &Engine,
    change: &Change,
    catalog: &Catalog,
    now: DateTime<Utc>,
    explain: bool,
) -> Option<Decision> {
    let fast = engine.evaluate(change, catalog, now, explain);
    let reference = engine.evaluate_reference(change, catalog, now, explain);
    match (&fast, &reference) {
        (Ok(a), Ok(b)) => assert_eq!(
            a.to_json(),
            b.to_json(),
            "evaluate and evaluate_reference disagree"
        ),
        (Err(a), Err(b)) => assert_eq!(
            a.to_string(),
            b.to_string(),
            "evaluate and evaluate_reference fail differently"
        ),
        (a, b) => panic!(
            "evaluate and evaluate_reference disagree: {:?} vs {:?}",
            a.as_ref().map(|d| d.verdict),
            b.as_ref().map(|d| d.verdict)
        ),
    }
    let decision = match fast {
        Ok(d) => d,
        Err(e) => {
            check_error(&e);
            return None;
        }
    };
    check_decision(&decision);
    if !explain {
        if let Ok(session) = engine.session(change, catalog, now) {
            let start = change.start.unwrap_or(now);
            match session.decide_at(start) {
                Ok(d) => assert_eq!(d.to_json(), decision.to_json(), "session disagrees"),
                Err(e) => panic!("evaluate decided but the session failed: {e}"),
            }
        } else {
            panic!("evaluate decided but the session could not be prepared");
        }
    }
    Some(decision)
}

/// The calendar report of `region` over `[from, to)`: open stretches sorted, disjoint,
/// non-empty and inside the range.
pub fn check_calendar(report: &CalendarReport, from: DateTime<Utc>, to: DateTime<Utc>) {
    let mut last = from;
    for s in &report.open {
        assert!(s.start < s.end, "empty open stretch: {s:?}");
        assert!(
            s.start >= last,
            "open stretches overlap or are unsorted: {report:?}"
        );
        assert!(s.end <= to, "open stretch beyond the range: {s:?}");
        last = s.end;
    }
    let _ = report.to_json();
}

/// Reads `text` both ways the crate offers for a JSON change (the direct reader behind
/// `from_text` and the `Value` tree behind `from_json`): they must agree exactly.
pub fn read_change(text: &str, format: Format) -> Option<Change> {
    let direct = Change::from_text(text, format);
    let tree = shipgate::parse_document(text, format, "change").and_then(|v| Change::from_json(&v));
    assert_eq!(direct, tree, "Change::from_text and from_json disagree");
    if let Err(e) = &direct {
        check_error(&Error::Input(e.clone()));
    }
    direct.ok()
}

/// The same for a catalog.
pub fn read_catalog(text: &str, format: Format) -> Option<Catalog> {
    let direct = Catalog::from_text(text, format);
    let tree =
        shipgate::parse_document(text, format, "catalog").and_then(|v| Catalog::from_json(&v));
    match (&direct, &tree) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.services(), b.services(), "catalog readers disagree");
            assert_eq!(
                a.all_deployment_waves(),
                b.all_deployment_waves(),
                "catalog readers disagree on waves"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "catalog readers fail differently"),
        (a, b) => panic!(
            "Catalog::from_text and from_json disagree: {:?} vs {:?}",
            a.as_ref().err(),
            b.as_ref().err()
        ),
    }
    if let Err(e) = &direct {
        check_error(&Error::Input(e.clone()));
    }
    direct.ok()
}

/// A change that touches `api` in region `r`, starting at `start`, requested by one person
/// and implemented by another.
pub fn simple_change(start: DateTime<Utc>, duration: &str) -> Option<Change> {
    let start = start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Change::from_json(&serde_json::json!({
        "id": "CHG-F", "services": ["api"], "requester": "ana", "implementer": "bo",
        "regions": ["r"], "start": start, "duration": duration
    }))
    .ok()
}

/// A catalog with `api` in region `r`.
pub fn simple_catalog() -> Catalog {
    Catalog::from_json(&serde_json::json!({
        "services": [{"id": "api", "tier": 1, "regions": ["r"]}]
    }))
    .unwrap_or_else(|e| panic!("the fixed catalog does not read: {e}"))
}

/// Checks region `r` of a compiled calendar policy the way a caller uses it: its open stretches
/// over a year, its next window of `secs` seconds at or after `now` (not before `now`, at least
/// that long), and a change of that length starting at `now`, decided.
pub fn check_region_r(engine: &Engine, now: DateTime<Utc>, secs: i64) {
    check_engine(engine);
    let (from, to) = (instant(0), instant(366 * 86_400));
    match engine.calendar("r", from, to) {
        Ok(report) => check_calendar(&report, from, to),
        Err(e) => check_error(&e),
    }
    match engine.next_window("r", now, secs) {
        Ok(Some((start, end))) => {
            assert!(start >= now, "next window before its search start");
            assert!(
                end - start >= chrono::TimeDelta::seconds(secs),
                "next window too short"
            );
        }
        Ok(None) => {}
        Err(e) => check_error(&e),
    }
    if let Some(change) = simple_change(now, &format!("{}m", secs / 60)) {
        evaluate_and_check(engine, &change, &simple_catalog(), now, false);
    }
}
