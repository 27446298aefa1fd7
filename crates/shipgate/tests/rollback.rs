//! `Engine::rollback` (SPEC 5 and 8.8) and emergency obligations (SPEC 8.5) through the public
//! API: each trigger's state on crafted series (a breach exactly `for` long, one that recovers
//! one sample before `for`, gaps, NaN, stale data), `on no_data fire`, baseline-relative
//! thresholds, `when` on triggers, the owner, and the input errors with their paths.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use serde_json::{Value, json};
use shipgate::{
    Catalog, Change, Engine, Error, Format, Observations, RollbackCheck, TriggerState, Verdict,
};

const POLICY: &str = r#"
tiers low, high
tier high when change.size > 100
rollback owner "sre-oncall"
rollback {
  trigger error_rate > 2% for 5m
  trigger p99_latency > 150% of baseline for 10m
  trigger failed_health_checks >= 3 for 1m when tier >= high
  trigger heartbeat < 1 for 2m on no_data fire
}
"#;

fn engine() -> Engine {
    Engine::from_source(POLICY, "p.gate").unwrap()
}

fn catalog() -> Catalog {
    Catalog::from_json(&json!({"services": [{"id": "api", "tier": 1}]})).unwrap()
}

fn change(size: i64) -> Change {
    Change::from_json(&json!({
        "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bo",
        "start": "2026-12-01T10:00:00Z", "duration": "1h", "size": size
    }))
    .unwrap()
}

/// `10:MM:00Z` for minute `m` after 10:00.
fn at(m: i64) -> String {
    format!("2026-12-01T{:02}:{:02}:00Z", 10 + m / 60, m % 60)
}

/// One sample a minute from 10:00, `values` in order.
fn minutely(values: &[Value]) -> Value {
    Value::Array(
        values
            .iter()
            .enumerate()
            .map(|(i, v)| json!([at(i as i64), v]))
            .collect(),
    )
}

fn check(observations: Value, size: i64, now_minute: i64) -> Result<RollbackCheck, Error> {
    let observations = Observations::from_json(&observations)?;
    engine().rollback(
        &change(size),
        &catalog(),
        &observations,
        at(now_minute).parse().unwrap(),
    )
}

/// Observations where every trigger but `error_rate` is healthy up to minute `n`.
fn healthy(n: usize, error_rate: Value) -> Value {
    json!({
        "baseline": {"p99_latency": 100},
        "metrics": {
            "error_rate": error_rate,
            "p99_latency": minutely(&vec![json!(120); n]),
            "failed_health_checks": minutely(&vec![json!(0); n]),
            "heartbeat": minutely(&vec![json!(1); n]),
        }
    })
}

fn state(c: &RollbackCheck, metric: &str) -> TriggerState {
    c.triggers
        .iter()
        .find(|t| t.metric == metric)
        .unwrap_or_else(|| panic!("no trigger on {metric}"))
        .state
}

const BAD: f64 = 0.05;
const GOOD: f64 = 0.01;

#[test]
fn a_breach_exactly_for_long_fires_and_says_since_when() {
    // 10:00 good, 10:01..10:06 breaching: 5m from the first breach to the last sample.
    let mut v = vec![json!(GOOD)];
    v.extend(vec![json!(BAD); 6]);
    let c = check(healthy(7, minutely(&v)), 1, 6).unwrap();
    let t = &c.triggers[0];
    assert_eq!(t.state, TriggerState::Fired);
    assert_eq!(
        t.since.map(shipgate::format_instant).as_deref(),
        Some("2026-12-01T10:01:00Z")
    );
    assert!(c.rollback);
    assert_eq!(c.owner.as_deref(), Some("sre-oncall"));
    let j = c.to_json_value();
    assert_eq!(j["triggers"][0]["since"], "2026-12-01T10:01:00Z");
    assert_eq!(j["triggers"][0]["state"], "fired");
    assert_eq!(j["triggers"][0]["for"], "5m");
    assert_eq!(j["owner"], "sre-oncall");
}

#[test]
fn a_breach_that_recovers_one_sample_before_for_is_ok() {
    // 10:01..10:05 breaching (4m), 10:06 good.
    let mut v = vec![json!(GOOD)];
    v.extend(vec![json!(BAD); 5]);
    v.push(json!(GOOD));
    let c = check(healthy(7, minutely(&v)), 1, 6).unwrap();
    assert_eq!(state(&c, "error_rate"), TriggerState::Ok);
    assert!(c.triggers[0].since.is_none());
    assert!(!c.rollback);
    // The same breach still going on but one sample short of `for`: not yet fired.
    let mut v = vec![json!(GOOD)];
    v.extend(vec![json!(BAD); 5]);
    let c = check(healthy(6, minutely(&v)), 1, 5).unwrap();
    assert_eq!(state(&c, "error_rate"), TriggerState::Ok);
}

#[test]
fn a_gap_longer_than_the_sampling_interval_is_no_data() {
    // Minutely, but 10:03 is missing inside the 5m window.
    let samples: Vec<Value> = [0, 1, 2, 4, 5, 6, 7]
        .iter()
        .map(|m| json!([at(*m), BAD]))
        .collect();
    let c = check(healthy(8, Value::Array(samples)), 1, 7).unwrap();
    let t = &c.triggers[0];
    assert_eq!(t.state, TriggerState::NoData);
    assert!(t.why.as_deref().unwrap().contains("gap"), "{:?}", t.why);
    assert!(
        !c.rollback,
        "no_data without `on no_data fire` does not roll back"
    );
}

#[test]
fn nan_null_and_a_missing_metric_are_no_data() {
    let v = minutely(&[
        json!(BAD),
        json!(BAD),
        json!(BAD),
        Value::Null,
        json!(BAD),
        json!(BAD),
        json!(BAD),
    ]);
    let c = check(healthy(7, v), 1, 6).unwrap();
    assert_eq!(state(&c, "error_rate"), TriggerState::NoData);
    // YAML's .nan reads as a sample without data.
    let yaml = "metrics:\n  error_rate:\n    - [2026-12-01T10:00:00Z, 0.05]\n    - [2026-12-01T10:01:00Z, .nan]\n";
    let o = Observations::from_text(yaml, Format::Yaml).unwrap();
    let c = engine().rollback(&change(1), &catalog(), &o, at(1).parse().unwrap());
    // p99_latency is relative to a baseline this file lacks: an input error, before any state.
    let e = c.unwrap_err();
    assert!(
        matches!(&e, Error::Input(i) if i.path == "observations.baseline.p99_latency"),
        "{e}"
    );
    let yaml = format!("baseline: {{p99_latency: 100}}\n{yaml}");
    let o = Observations::from_text(&yaml, Format::Yaml).unwrap();
    let c = engine()
        .rollback(&change(1), &catalog(), &o, at(1).parse().unwrap())
        .unwrap();
    let t = &c.triggers[0];
    assert_eq!(t.state, TriggerState::NoData);
    assert!(
        t.why
            .as_deref()
            .unwrap()
            .contains("no value at 2026-12-01T10:01:00Z")
    );
    // The other metrics are missing altogether.
    assert_eq!(state(&c, "p99_latency"), TriggerState::NoData);
}

#[test]
fn on_no_data_fire_keeps_the_state_and_rolls_back() {
    let mut o = healthy(7, minutely(&vec![json!(GOOD); 7]));
    o["metrics"]["heartbeat"] = minutely(&vec![json!(1); 3]); // stopped at 10:02
    let c = check(o, 1, 6).unwrap();
    let t = c.triggers.iter().find(|t| t.metric == "heartbeat").unwrap();
    assert_eq!(t.state, TriggerState::NoData);
    assert!(t.why.as_deref().unwrap().starts_with("stale"));
    assert_eq!(c.to_json_value()["triggers"][2]["on_no_data"], "fire");
    assert!(
        c.rollback,
        "silence on an `on no_data fire` trigger rolls back"
    );
    // Everything healthy and fresh: no rollback.
    let c = check(healthy(7, minutely(&vec![json!(GOOD); 7])), 1, 6).unwrap();
    assert!(
        c.triggers.iter().all(|t| t.state == TriggerState::Ok),
        "{c:?}"
    );
    assert!(!c.rollback);
}

#[test]
fn baseline_relative_thresholds_use_the_baseline() {
    // 150% of a baseline of 100 is 150: 160 breaches for 10m.
    let mut o = healthy(11, minutely(&vec![json!(GOOD); 11]));
    o["metrics"]["p99_latency"] = minutely(&vec![json!(160); 11]);
    let c = check(o.clone(), 1, 10).unwrap();
    let t = c
        .triggers
        .iter()
        .find(|t| t.metric == "p99_latency")
        .unwrap();
    assert_eq!(t.state, TriggerState::Fired);
    assert_eq!(t.threshold, 150.0);
    assert_eq!(t.baseline, Some(100.0));
    // The same samples against a baseline of 120 (threshold 180) are fine.
    o["baseline"]["p99_latency"] = json!(120);
    let c = check(o, 1, 10).unwrap();
    assert_eq!(state(&c, "p99_latency"), TriggerState::Ok);
}

#[test]
fn when_on_a_trigger_decides_whether_it_is_checked() {
    let mut o = healthy(7, minutely(&vec![json!(GOOD); 7]));
    o["metrics"]["failed_health_checks"] = minutely(&vec![json!(5); 7]);
    // A low-tier change: the health-check trigger does not apply, so it is not listed.
    let c = check(o.clone(), 1, 6).unwrap();
    assert!(
        c.triggers
            .iter()
            .all(|t| t.metric != "failed_health_checks")
    );
    assert!(!c.rollback);
    // A high-tier change: it applies and fires.
    let c = check(o, 500, 6).unwrap();
    assert_eq!(state(&c, "failed_health_checks"), TriggerState::Fired);
    assert!(c.rollback);
}

#[test]
fn samples_after_now_are_not_read() {
    let mut v = vec![json!(GOOD); 2];
    v.extend(vec![json!(BAD); 8]);
    let o = healthy(10, minutely(&v));
    assert_eq!(
        state(&check(o.clone(), 1, 7).unwrap(), "error_rate"),
        TriggerState::Fired
    );
    assert_eq!(
        state(&check(o, 1, 5).unwrap(), "error_rate"),
        TriggerState::Ok
    );
}

#[test]
fn a_policy_without_an_owner_says_null() {
    let engine = Engine::from_source("rollback { trigger e > 1 for 1m }", "p.gate").unwrap();
    let o = Observations::from_json(&json!({"metrics": {"e": minutely(&[json!(0), json!(0)])}}))
        .unwrap();
    let c = engine
        .rollback(&change(1), &catalog(), &o, at(1).parse().unwrap())
        .unwrap();
    assert_eq!(c.owner, None);
    assert_eq!(c.to_json_value()["owner"], Value::Null);
    assert_eq!(c.triggers[0].state, TriggerState::Ok);
}

#[test]
fn bad_observations_are_input_errors_at_their_path() {
    let cases = [
        (json!({"metric": {}}), "observations.metric"),
        (json!({}), "observations.metrics"),
        (
            json!({"metrics": {"e": [["2026-12-01T10:00:00Z"]]}}),
            "observations.metrics.e[0]",
        ),
        (
            json!({"metrics": {"e": [["2026-12-01T10:00:00Z", "0.1"]]}}),
            "observations.metrics.e[0][1]",
        ),
        (
            json!({"metrics": {"e": [["2026-12-01T10:01:00Z", 1], ["2026-12-01T10:00:00Z", 1]]}}),
            "observations.metrics.e[1][0]",
        ),
        (
            json!({"metrics": {"e": [["2026-12-01T10:00:00Z", 1], ["2026-12-01T10:00:00Z", 1]]}}),
            "observations.metrics.e[1][0]",
        ),
        (
            json!({"metrics": {"e": [["2026-12-01T10:00:00", 1]]}}),
            "observations.metrics.e[0][0]",
        ),
        (
            json!({"metrics": {}, "baseline": {"e": "x"}}),
            "observations.baseline.e",
        ),
        (
            json!({"metrics": {}, "intervals": {"e": "0s"}}),
            "observations.intervals.e",
        ),
    ];
    for (value, path) in cases {
        let e = Observations::from_json(&value).unwrap_err();
        assert_eq!(e.path, path, "{value}: {}", e.message);
    }
    let e = Observations::from_json(&json!({"metrics": {}, "baselin": {}})).unwrap_err();
    assert!(
        e.message.contains("baseline"),
        "did you mean: {}",
        e.message
    );
}

#[test]
fn more_samples_than_the_limit_is_an_input_error() {
    // Counted before any sample is read, so nulls stand in for samples here.
    let half = shipgate::MAX_OBSERVATION_SAMPLES / 2 + 1;
    let many = Value::Array(vec![Value::Null; half]);
    let o = json!({"metrics": {"a": many.clone(), "b": many}});
    let e = Observations::from_json(&o).unwrap_err();
    assert_eq!(e.path, "observations.metrics");
    assert!(
        e.message.contains("too many samples: 1000002"),
        "{}",
        e.message
    );
}

#[test]
fn a_declared_interval_is_used_for_gaps() {
    // Samples every 2 minutes: fine by their own spacing, gaps when 1m is declared.
    let samples: Vec<Value> = (0..5).map(|i| json!([at(i * 2), BAD])).collect();
    let engine = Engine::from_source("rollback { trigger e > 0.02 for 5m }", "p.gate").unwrap();
    let run = |o: Value| {
        let o = Observations::from_json(&o).unwrap();
        engine
            .rollback(&change(1), &catalog(), &o, at(8).parse().unwrap())
            .unwrap()
            .triggers[0]
            .state
    };
    assert_eq!(
        run(json!({"metrics": {"e": samples.clone()}})),
        TriggerState::Fired
    );
    assert_eq!(
        run(json!({"metrics": {"e": samples}, "intervals": {"e": "1m"}})),
        TriggerState::NoData
    );
}

#[test]
fn an_emergency_owes_its_approvals_after_the_start() {
    let engine = Engine::from_source(
        r#"
        rule emergency {
          when change.emergency
          require approval "incident-commander"
          require approval "cab" count 2 within 48h after
        }"#,
        "p.gate",
    )
    .unwrap();
    let decide = |approvals: Value| {
        let change = Change::from_json(&json!({
            "id": "CHG-9", "services": ["api"], "requester": "ana", "implementer": "bo",
            "start": "2026-12-01T10:00:00Z", "duration": "1h", "emergency": true,
            "approvals": approvals
        }))
        .unwrap();
        engine
            .evaluate(
                &change,
                &catalog(),
                "2026-12-01T09:00:00Z".parse().unwrap(),
                false,
            )
            .unwrap()
    };
    let ic = json!({"by": "kim", "group": "incident-commander", "at": "2026-12-01T08:00:00Z"});
    let d = decide(json!([ic]));
    assert_eq!(d.verdict, Verdict::Allow, "an obligation never blocks");
    assert_eq!(d.obligations.len(), 1);
    let j = d.to_json_value();
    assert_eq!(
        j["obligations"],
        json!([{"rule": "emergency", "group": "cab", "needed": 2, "due": "2026-12-03T10:00:00Z"}])
    );
    // The requester's approval does not count; two others do, and then nothing is owed.
    let by = |who: &str| json!({"by": who, "group": "cab", "at": "2026-12-01T08:30:00Z"});
    let d = decide(json!([ic, by("ana"), by("cy")]));
    assert_eq!(d.obligations.len(), 1);
    let d = decide(json!([ic, by("cy"), by("dee")]));
    assert!(d.obligations.is_empty());
    assert!(d.to_json_value().get("obligations").is_none());
}
