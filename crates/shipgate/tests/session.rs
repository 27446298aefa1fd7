//! `Engine::session`: one change prepared once and decided at many starts must decide exactly
//! as `Engine::evaluate` of the same change with that start, byte for byte, with and without
//! the trace.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use shipgate::{Catalog, Change, Engine, Instant, Verdict};

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases")
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct Case {
    name: String,
    engine: Engine,
    catalog: Catalog,
    change: Change,
    now: Instant,
}

/// The corpus cases whose policy compiles and whose inputs read.
fn load_cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|d| d.join("change.json").exists())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .filter_map(|dir| {
            let engine = Engine::from_path(&dir).ok()?;
            let catalog = Catalog::from_json(&read_json(&dir.join("catalog.json"))).ok()?;
            let change = Change::from_json(&read_json(&dir.join("change.json"))).ok()?;
            let now = read_json(&dir.join("case.json"))["now"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            Some(Case {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                engine,
                catalog,
                change,
                now,
            })
        })
        .collect()
}

fn load(name: &str) -> Case {
    load_cases().into_iter().find(|c| c.name == name).unwrap()
}

/// `evaluate` of the change moved to `start`, as JSON (or the error's text).
fn evaluated(c: &Case, start: Instant, explain: bool) -> String {
    let mut moved = c.change.clone();
    moved.start = Some(start);
    match c.engine.evaluate(&moved, &c.catalog, c.now, explain) {
        Ok(d) => d.to_json(),
        Err(e) => format!("error: {e}"),
    }
}

/// The session's decision at `start`, as JSON (or the error's text).
fn decided(c: &Case, start: Instant, explain: bool) -> String {
    let session = c.engine.session(&c.change, &c.catalog, c.now).unwrap();
    let d = if explain {
        session.explain_at(start)
    } else {
        session.decide_at(start)
    };
    match d {
        Ok(d) => d.to_json(),
        Err(e) => format!("error: {e}"),
    }
}

fn secs(t: Instant, s: i64) -> Instant {
    t + chrono::Duration::seconds(s)
}

/// Starts worth trying for a case: its own, every edge of its regions' open stretches and
/// blackouts around `now` (and a second either side, and the change's length before), and
/// every six hours over three weeks.
fn starts(c: &Case) -> Vec<Instant> {
    let own = c.change.start.unwrap_or(c.now);
    let mut out = vec![own, secs(own, 1), secs(own, -1)];
    let (from, to) = (secs(c.now, -7 * 86_400), secs(c.now, 14 * 86_400));
    for region in c.engine.regions() {
        let report = c.engine.calendar(&region, from, to).unwrap();
        let mut edges: Vec<Instant> = report.open.iter().flat_map(|s| [s.start, s.end]).collect();
        for b in &report.blackouts {
            edges.push(b.start.parse().unwrap());
            edges.push(b.end.parse().unwrap());
        }
        for e in edges {
            out.extend([e, secs(e, -1), secs(e, 1), secs(e, -c.change.duration)]);
        }
    }
    out.extend((0..84).map(|k| secs(from, k * 6 * 3600)));
    out
}

#[test]
fn decide_at_equals_evaluate_with_that_start_on_every_case() {
    let cases = load_cases();
    assert!(cases.len() > 40, "only {} cases loaded", cases.len());
    let (mut compared, mut blocked, mut open) = (0, 0, 0);
    for c in &cases {
        if c.engine.session(&c.change, &c.catalog, c.now).is_err() {
            continue; // an input error: see `a_session_fails_as_evaluate_fails`
        }
        for start in starts(c) {
            for explain in [false, true] {
                let want = evaluated(c, start, explain);
                let got = decided(c, start, explain);
                assert_eq!(got, want, "{} at {start} (explain {explain})", c.name);
                compared += 1;
            }
            if let Ok(d) = c
                .engine
                .session(&c.change, &c.catalog, c.now)
                .unwrap()
                .decide_at(start)
                && !c.engine.regions().is_empty()
            {
                if d.schedule.allowed {
                    open += 1;
                } else {
                    blocked += 1;
                }
            }
        }
    }
    // The starts cover both sides of the calendars, or the comparison proves little.
    assert!(
        compared > 1000 && blocked > 50 && open > 50,
        "{compared} {blocked} {open}"
    );
}

#[test]
fn a_blackout_and_a_window_edge_decide_as_evaluate() {
    let c = load("calendar-blackout-next-window");
    let session = c.engine.session(&c.change, &c.catalog, c.now).unwrap();
    let region = &c.engine.regions()[0];
    let report = c
        .engine
        .calendar(region, secs(c.now, -7 * 86_400), secs(c.now, 30 * 86_400))
        .unwrap();
    let blackout: Instant = report.blackouts[0].start.parse().unwrap();
    let inside = secs(blackout, 60);
    let d = session.decide_at(inside).unwrap();
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(!d.schedule.allowed);
    assert_eq!(d.to_json(), evaluated(&c, inside, false));
    let window = report.open[0].start;
    let d = session.explain_at(window).unwrap();
    assert_eq!(d.schedule.start, window);
    assert_eq!(d.to_json(), evaluated(&c, window, true));
    // Deciding never changes the session: the first decision again, identical.
    assert_eq!(
        session.decide_at(inside).unwrap().to_json(),
        evaluated(&c, inside, false)
    );
}

#[test]
fn a_start_with_fractions_of_a_second_decides_as_evaluate() {
    let c = load("calendar-window-hit");
    let start = c.change.start.unwrap_or(c.now) + chrono::Duration::milliseconds(1500);
    for explain in [false, true] {
        assert_eq!(decided(&c, start, explain), evaluated(&c, start, explain));
    }
}

#[test]
fn a_session_fails_as_evaluate_fails() {
    for name in ["input-unknown-service", "input-extend-field-missing"] {
        let c = load(name);
        let want = c
            .engine
            .evaluate(&c.change, &c.catalog, c.now, false)
            .unwrap_err()
            .to_string();
        let got = c
            .engine
            .session(&c.change, &c.catalog, c.now)
            .unwrap_err()
            .to_string();
        assert_eq!(got, want, "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn decide_at_any_start_equals_evaluate(
        case in 0usize..1000,
        offset in -30 * 86_400i64..60 * 86_400,
        explain in any::<bool>(),
    ) {
        thread_local! {
            static CASES: Vec<Case> = load_cases();
        }
        CASES.with(|cases| {
            let c = &cases[case % cases.len()];
            let start = secs(c.now, offset);
            if c.engine.session(&c.change, &c.catalog, c.now).is_ok() {
                assert_eq!(decided(c, start, explain), evaluated(c, start, explain), "{}", c.name);
            }
        });
    }
}
