//! `Engine::evaluate_scheduled` and `change.conflicts` (SPEC 8.4 and 8.8), through the public
//! API: what conflicts and what does not, the order, the errors with their paths, and the
//! `inputs` digest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use serde_json::{Value, json};
use shipgate::{Catalog, Change, Engine, Scheduled, Verdict};

const POLICY: &str =
    "rule apart { deny when change.conflicts > 0 message \"overlaps scheduled work\" }";

fn catalog() -> Catalog {
    // db <- api <- web <- edge (each depends on the one before); jobs alone.
    Catalog::from_json(&json!({"services": [
        {"id": "db", "tier": 0},
        {"id": "api", "tier": 1, "depends_on": ["db"]},
        {"id": "web", "tier": 2, "depends_on": ["api"]},
        {"id": "edge", "tier": 2, "depends_on": ["web"]},
        {"id": "jobs", "tier": 3}
    ]}))
    .unwrap()
}

/// A change on `api`, 10:00 to 12:00.
fn change() -> Change {
    Change::from_json(&json!({
        "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bo",
        "start": "2026-12-01T10:00:00Z", "duration": "2h"
    }))
    .unwrap()
}

fn run(id: &str, services: &[&str], start: &str, end: &str) -> Value {
    json!({"id": id, "services": services, "start": start, "end": end})
}

fn now() -> shipgate::Instant {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

fn decide(scheduled: &Value) -> shipgate::Decision {
    let engine = Engine::from_source(POLICY, "p.gate").unwrap();
    let scheduled = Scheduled::from_json(scheduled).unwrap();
    engine
        .evaluate_scheduled(&change(), &catalog(), now(), false, &scheduled)
        .unwrap()
}

fn error(scheduled: &Value) -> (String, String) {
    match Scheduled::from_json(scheduled) {
        Err(e) => (e.path, e.message),
        Ok(s) => {
            let engine = Engine::from_source(POLICY, "p.gate").unwrap();
            match engine.evaluate_scheduled(&change(), &catalog(), now(), false, &s) {
                Err(shipgate::Error::Input(e)) => (e.path, e.message),
                other => panic!("expected an input error, got {other:?}"),
            }
        }
    }
}

#[test]
fn same_service_and_direct_neighbours_conflict_while_overlapping_in_start_order() {
    let d = decide(&json!([
        run(
            "S-web",
            &["web", "jobs"],
            "2026-12-01T11:00:00Z",
            "2026-12-01T13:00:00Z"
        ),
        run(
            "S-db",
            &["db"],
            "2026-12-01T09:00:00Z",
            "2026-12-01T10:30:00Z"
        ),
        run(
            "S-api",
            &["api"],
            "2026-12-01T11:59:00Z",
            "2026-12-01T12:30:00Z"
        ),
        // Two dependencies away: not a conflict.
        run(
            "S-edge",
            &["edge"],
            "2026-12-01T10:00:00Z",
            "2026-12-01T12:00:00Z"
        ),
        // Unrelated service.
        run(
            "S-jobs",
            &["jobs"],
            "2026-12-01T10:00:00Z",
            "2026-12-01T12:00:00Z"
        ),
        // Back to back on the same service: [08:00, 10:00) and [12:00, 13:00) do not overlap.
        run(
            "S-before",
            &["api"],
            "2026-12-01T08:00:00Z",
            "2026-12-01T10:00:00Z"
        ),
        run(
            "S-after",
            &["api"],
            "2026-12-01T12:00:00Z",
            "2026-12-01T13:00:00Z"
        ),
        // The change itself, as a plan lists it.
        run(
            "CHG-1",
            &["api"],
            "2026-12-01T10:00:00Z",
            "2026-12-01T12:00:00Z"
        ),
    ]));
    let got: Vec<(String, Vec<String>, String)> = d
        .conflicts
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c.change.clone(),
                c.services.clone(),
                shipgate::format_instant(c.start),
            )
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        got,
        [
            ("S-db".into(), s(&["db"]), "2026-12-01T09:00:00Z".into()),
            ("S-web".into(), s(&["web"]), "2026-12-01T11:00:00Z".into()),
            ("S-api".into(), s(&["api"]), "2026-12-01T11:59:00Z".into()),
        ]
    );
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.reasons[0].rule.as_str(), "apart");
    let json = d.to_json_value();
    assert_eq!(
        json["conflicts"][0],
        json!({"change": "S-db", "services": ["db"], "start": "2026-12-01T09:00:00Z",
               "end": "2026-12-01T10:30:00Z"})
    );
}

#[test]
fn without_a_schedule_change_conflicts_is_zero_and_the_decision_has_no_conflicts() {
    let engine = Engine::from_source(POLICY, "p.gate").unwrap();
    let d = engine
        .evaluate(&change(), &catalog(), now(), false)
        .unwrap();
    assert_eq!(d.verdict, Verdict::Allow);
    assert!(d.conflicts.is_none());
    assert!(d.to_json_value().get("conflicts").is_none());
    // An empty schedule: listed as none, and nothing denies.
    let d = decide(&json!([]));
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(d.to_json_value()["conflicts"], json!([]));
}

#[test]
fn a_plan_is_read_with_its_other_keys_and_per_region_entries() {
    let d = decide(&json!({
        "changes": [
            {"id": "P-1", "region": "eu", "start": "2026-12-01T11:00:00Z",
             "end": "2026-12-01T12:00:00Z", "wave": 0, "services": ["db"]},
            {"id": "P-2", "start": "2026-12-01T13:00:00Z", "end": "2026-12-01T14:00:00Z",
             "wave": 1, "regions": ["eu"], "services": ["api"]}
        ],
        "unschedulable": [{"id": "P-3", "reason": "no window"}],
        "moved": [], "notify": ["ops"]
    }));
    let conflicts = d.conflicts.unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].change, "P-1");
    assert_eq!(conflicts[0].region.as_deref(), Some("eu"));
}

#[test]
fn bad_schedules_are_input_errors_at_their_paths() {
    let ok = |mut v: Value, key: &str, value: Value| {
        v[key] = value;
        v
    };
    let base = run("S", &["db"], "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z");
    let cases = [
        (
            json!([ok(base.clone(), "start", json!("2026-12-01T09:00:00"))]),
            "scheduled[0].start",
            "offset",
        ),
        (
            json!([ok(base.clone(), "end", json!("2026-12-01T08:00:00Z"))]),
            "scheduled[0].end",
            "ends before it starts",
        ),
        (
            json!([ok(base.clone(), "strat", json!("2026-12-01T09:00:00Z"))]),
            "scheduled[0].strat",
            "did you mean `start`",
        ),
        (
            json!([ok(base.clone(), "services", json!(["dbb"]))]),
            "scheduled[0].services[0]",
            "unknown service \"dbb\"",
        ),
        (
            json!({"changes": [ok(base.clone(), "services", json!("db"))]}),
            "scheduled.changes[0].services",
            "expected a list",
        ),
        (
            json!({"plan": []}),
            "scheduled.changes",
            "required field is missing",
        ),
        (json!("plan.json"), "scheduled", "expected a plan"),
        (
            json!([{"id": "S", "services": ["db"], "start": "2026-12-01T09:00:00Z"}]),
            "scheduled[0].end",
            "required field is missing",
        ),
    ];
    for (value, path, text) in cases {
        let (got_path, message) = error(&value);
        assert_eq!(got_path, path, "{value}: {message}");
        assert!(message.contains(text), "{path}: {message}");
    }
}

#[test]
fn too_many_runs_are_an_error_not_a_slow_decision() {
    let one = run("S", &["db"], "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z");
    let many = Value::Array(vec![one; shipgate::MAX_SCHEDULED_RUNS + 1]);
    let (path, message) = error(&many);
    assert_eq!(path, "scheduled");
    assert!(message.contains("too many scheduled runs"), "{message}");
}

#[test]
fn the_inputs_digest_covers_the_schedule_in_canonical_form() {
    let engine = Engine::from_source(POLICY, "p.gate").unwrap();
    let plain = engine
        .evaluate(&change(), &catalog(), now(), false)
        .unwrap();
    let a = decide(&json!([run(
        "S",
        &["jobs"],
        "2026-12-01T09:00:00Z",
        "2026-12-01T10:00:00Z"
    )]));
    let b = decide(
        &json!([{"start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z",
                            "services": ["jobs"], "id": "S"}]),
    );
    let c = decide(&json!([run(
        "S",
        &["jobs"],
        "2026-12-01T09:00:00Z",
        "2026-12-01T11:00:00Z"
    )]));
    assert_eq!(a.inputs, b.inputs, "key order does not matter");
    assert_ne!(a.inputs, plain.inputs, "a schedule is an input");
    assert_ne!(a.inputs, c.inputs);
    assert!(a.inputs.as_str().starts_with("sha256:"));
}

#[test]
fn change_conflicts_is_a_typed_int_field() {
    let err = Engine::from_source(
        "rule r { deny when change.conflicts == \"many\" }",
        "p.gate",
    )
    .unwrap_err();
    assert!(err.to_string().contains("p.gate:1:"), "{err}");
    // The engine computes it: a change may not give it.
    let given = Change::from_json(&json!({
        "id": "C", "services": ["api"], "requester": "a", "implementer": "b",
        "duration": "1h", "conflicts": 0
    }))
    .unwrap_err();
    assert_eq!(given.path, "change.conflicts");
}
