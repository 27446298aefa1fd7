use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn minimal() -> Value {
    json!({
        "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bob",
        "duration": "2h"
    })
}

/// The minimal change with `key` set to `value`.
fn with(key: &str, value: Value) -> Value {
    let mut v = minimal();
    v.as_object_mut().unwrap().insert(key.to_string(), value);
    v
}

fn without(key: &str) -> Value {
    let mut v = minimal();
    v.as_object_mut().unwrap().remove(key);
    v
}

fn err(value: Value) -> String {
    Change::from_json(&value).unwrap_err().to_string()
}

fn at(text: &str) -> Instant {
    parse_instant(text).unwrap()
}

#[test]
fn minimal_change_gets_defaults() {
    let c = Change::from_json(&minimal()).unwrap();
    assert_eq!(c.id, "CHG-1");
    assert_eq!(c.services, vec!["api"]);
    assert_eq!(c.requester, "ana");
    assert_eq!(c.implementer, "bob");
    assert_eq!(c.duration, 7200);
    assert_eq!(c.title, "");
    assert!(c.kind.is_empty() && c.approvals.is_empty() && c.checks.is_empty());
    assert!(c.labels.is_empty() && c.after.is_empty() && c.waivers.is_empty());
    assert!(!c.emergency && !c.backward_compatible && !c.contract_verified);
    assert_eq!(c.incident, None);
    assert_eq!(c.start, None);
    assert_eq!(c.regions, None);
    assert_eq!(c.size, 0);
    assert!(c.extra.is_empty());
}

#[test]
fn full_change_reads_every_field() {
    let c = Change::from_json(&json!({
        "id": "CHG-7", "title": "Upgrade ledger", "kind": ["database", "application"],
        "services": ["ledger-db", "payments-api"], "requester": "ana", "implementer": "bob",
        "approvals": [{"by": "carl", "group": "cab", "at": "2026-11-30T09:00:00+01:00"}],
        "checks": ["schema-backward-compat"], "emergency": true,
        "incident": {"id": "INC-9", "severity": 2, "opened": "2026-11-30T07:00:00Z"},
        "start": "2026-12-01T10:00:00Z", "duration": 5400, "regions": ["eu-west"],
        "size": 420, "labels": ["launch"], "backward_compatible": true,
        "contract_verified": true, "after": ["CHG-6"],
        "waivers": [{"rule": "cab_review", "by": "eve", "group": "change-manager",
                     "reason": "hotfix", "granted_at": "2026-11-30T08:00:00Z",
                     "expires_at": "2026-12-02T08:00:00Z"}],
        "ticket": "OPS-1", "cost_center": null
    }))
    .unwrap();
    assert_eq!(c.title, "Upgrade ledger");
    assert_eq!(c.kind, vec!["database", "application"]);
    assert_eq!(
        c.approvals,
        vec![Approval {
            by: "carl".into(),
            group: "cab".into(),
            at: at("2026-11-30T08:00:00Z")
        }]
    );
    assert_eq!(c.checks, vec![Check::passed("schema-backward-compat")]);
    assert!(c.emergency && c.backward_compatible && c.contract_verified);
    assert_eq!(
        c.incident,
        Some(Incident {
            id: "INC-9".into(),
            severity: 2,
            opened: Some(at("2026-11-30T07:00:00Z"))
        })
    );
    assert_eq!(c.start, Some(at("2026-12-01T10:00:00Z")));
    assert_eq!(c.duration, 5400);
    assert_eq!(c.regions, Some(vec!["eu-west".to_string()]));
    assert_eq!(c.size, 420);
    assert_eq!(c.labels, vec!["launch"]);
    assert_eq!(c.after, vec!["CHG-6"]);
    assert_eq!(
        c.waivers,
        vec![Waiver {
            rule: "cab_review".into(),
            blackout: String::new(),
            by: "eve".into(),
            group: "change-manager".into(),
            reason: "hotfix".into(),
            granted_at: at("2026-11-30T08:00:00Z"),
            expires_at: at("2026-12-02T08:00:00Z"),
        }]
    );
    // Extend fields are kept unchanged, null included.
    assert_eq!(c.extra.len(), 2);
    assert_eq!(c.extra.get("ticket"), Some(&json!("OPS-1")));
    assert_eq!(c.extra.get("cost_center"), Some(&Value::Null));
}

#[test]
fn nullable_fields_accept_null() {
    let mut v = minimal();
    let o = v.as_object_mut().unwrap();
    o.insert("start".into(), Value::Null);
    o.insert("incident".into(), Value::Null);
    o.insert("regions".into(), Value::Null);
    let c = Change::from_json(&v).unwrap();
    assert_eq!((c.start, c.incident, c.regions), (None, None, None));
    // An explicit empty list is kept (no regions), unlike an absent one (the services').
    let c = Change::from_json(&with("regions", json!([]))).unwrap();
    assert_eq!(c.regions, Some(Vec::new()));
}

#[test]
fn whole_floats_count_as_integers() {
    let c = Change::from_json(&with("size", json!(12.0))).unwrap();
    assert_eq!(c.size, 12);
    let c = Change::from_json(&with("duration", json!(60.0))).unwrap();
    assert_eq!(c.duration, 60);
}

#[test]
fn missing_required_fields_name_their_path() {
    for field in ["id", "services", "requester", "implementer", "duration"] {
        assert_eq!(
            err(without(field)),
            format!("change.{field}: required field is missing")
        );
    }
}

#[test]
fn wrong_types_name_path_and_expected_type() {
    let cases = [
        (with("id", json!(7)), "change.id: expected a string, got 7"),
        (with("id", json!("")), "change.id: an id cannot be empty"),
        (
            with("title", json!(null)),
            "change.title: expected a string, got null",
        ),
        (
            with("services", json!("api")),
            "change.services: expected a list of strings, got \"api\"",
        ),
        (
            with("services", json!(["api", 3])),
            "change.services[1]: expected a string, got 3",
        ),
        (
            with("services", json!(["api", "db", "api"])),
            "change.services[2]: \"api\" is listed twice (also at change.services[0])",
        ),
        (
            with("kind", json!({"a": 1})),
            "change.kind: expected a list of strings, got an object",
        ),
        (
            with("emergency", json!("yes")),
            "change.emergency: expected true or false, got \"yes\"",
        ),
        (
            with("backward_compatible", json!(1)),
            "change.backward_compatible: expected true or false, got 1",
        ),
        (
            with("contract_verified", json!(null)),
            "change.contract_verified: expected true or false, got null",
        ),
        (
            with("size", json!(1.5)),
            "change.size: expected an integer, got 1.5",
        ),
        (
            with("size", json!(-3)),
            "change.size: expected a non-negative integer, got -3",
        ),
        (
            with("size", json!("12")),
            "change.size: expected an integer, got \"12\"",
        ),
        (
            with("size", json!(18_446_744_073_709_551_615u64)),
            "change.size: integer too large: 18446744073709551615",
        ),
        (
            with("labels", json!([true])),
            "change.labels[0]: expected a string, got true",
        ),
        (
            with("checks", json!("x")),
            "change.checks: expected a list of checks (names, or objects with \"name\" and \"status\"), got \"x\"",
        ),
        (
            with("after", json!([["CHG-1"]])),
            "change.after[0]: expected a string, got a list",
        ),
        (
            with("regions", json!("eu")),
            "change.regions: expected a list of strings, got \"eu\"",
        ),
        (
            with("approvals", json!({})),
            "change.approvals: expected a list of approvals, got an object",
        ),
        (
            with("waivers", json!("none")),
            "change.waivers: expected a list of waivers, got \"none\"",
        ),
        (
            with("incident", json!("INC-1")),
            "change.incident: expected an object, got \"INC-1\"",
        ),
        (
            with("blast_radius", json!(3)),
            "change.blast_radius: this field is computed from the catalog and cannot be given",
        ),
    ];
    for (value, message) in cases {
        assert_eq!(err(value), message);
    }
    assert_eq!(
        err(json!(["CHG-1"])),
        "change: expected an object, got a list"
    );
    assert_eq!(err(json!(null)), "change: expected an object, got null");
}

#[test]
fn long_strings_are_shortened_in_messages() {
    let long = "x".repeat(100);
    let message = err(with("size", json!(long)));
    assert_eq!(
        message,
        format!(
            "change.size: expected an integer, got \"{}\"...",
            "x".repeat(57)
        )
    );
}

#[test]
fn date_time_errors() {
    let approvals = |at: Value| {
        with(
            "approvals",
            json!([
                {"by": "a", "group": "cab", "at": "2026-12-01T10:00:00Z"},
                {"by": "b", "group": "cab", "at": "2026-12-01T10:00:00Z"},
                {"by": "c", "group": "cab", "at": at}
            ]),
        )
    };
    assert_eq!(
        err(approvals(json!("2026-12-01T10:00"))),
        "change.approvals[2].at: expected an RFC 3339 date-time with offset, got \
         \"2026-12-01T10:00\" (a naive date-time is ambiguous: add Z or an offset)"
    );
    assert_eq!(
        err(approvals(json!("2026-12-01T10:00:00"))),
        "change.approvals[2].at: expected an RFC 3339 date-time with offset, got \
         \"2026-12-01T10:00:00\" (a naive date-time is ambiguous: add Z or an offset)"
    );
    assert_eq!(
        err(approvals(json!("2026-12-01"))),
        "change.approvals[2].at: expected an RFC 3339 date-time with offset, got \
         \"2026-12-01\" (a date alone is not an instant: write e.g. \"2026-12-01T00:00:00Z\")"
    );
    assert_eq!(
        err(approvals(json!("tomorrow"))),
        "change.approvals[2].at: expected an RFC 3339 date-time with offset, got \
         \"tomorrow\" (e.g. \"2026-12-01T10:00:00Z\")"
    );
    assert_eq!(
        err(approvals(json!(1_764_583_200))),
        "change.approvals[2].at: expected an RFC 3339 date-time with offset (a string), got \
         1764583200"
    );
    assert_eq!(
        err(approvals(json!("2026-02-30T10:00:00Z"))),
        "change.approvals[2].at: expected an RFC 3339 date-time with offset, got \
         \"2026-02-30T10:00:00Z\" (e.g. \"2026-12-01T10:00:00Z\")"
    );
    assert_eq!(
        err(with("start", json!("2026-12-01 10:00"))),
        "change.start: expected an RFC 3339 date-time with offset, got \"2026-12-01 10:00\" \
         (a naive date-time is ambiguous: add Z or an offset)"
    );
}

#[test]
fn nested_record_errors() {
    assert_eq!(
        err(with(
            "approvals",
            json!([{"by": "a", "at": "2026-12-01T10:00:00Z"}])
        )),
        "change.approvals[0].group: required field is missing"
    );
    assert_eq!(
        err(with("approvals", json!([{"by": "a", "grup": "cab"}]))),
        "change.approvals[0].grup: unknown field (did you mean `group`?); expected one of: \
         by, group, at"
    );
    assert_eq!(
        err(with("approvals", json!(["ana"]))),
        "change.approvals[0]: expected an object, got \"ana\""
    );
    assert_eq!(
        err(with("incident", json!({"id": "INC-1"}))),
        "change.incident.severity: required field is missing"
    );
    assert_eq!(
        err(with("incident", json!({"severity": 1}))),
        "change.incident.id: required field is missing"
    );
    assert_eq!(
        err(with("incident", json!({"id": "INC-1", "severity": 1.5}))),
        "change.incident.severity: expected an integer, got 1.5"
    );
    assert_eq!(
        err(with(
            "incident",
            json!({"id": "INC-1", "severity": 1, "opened": "now"})
        )),
        "change.incident.opened: expected an RFC 3339 date-time with offset, got \"now\" \
         (e.g. \"2026-12-01T10:00:00Z\")"
    );
    assert_eq!(
        err(with(
            "incident",
            json!({"id": "INC-1", "severity": 1, "my note": 1})
        )),
        "change.incident[\"my note\"]: unknown field; expected one of: id, severity, opened"
    );
    let waiver = json!({"rule": "cab_review", "by": "eve", "group": "cm",
                        "granted_at": "2026-11-30T08:00:00Z",
                        "expires_at": "2026-12-02T08:00:00Z"});
    assert!(Change::from_json(&with("waivers", json!([waiver.clone()]))).is_ok());
    for field in ["by", "group", "granted_at", "expires_at"] {
        let mut w = waiver.clone();
        w.as_object_mut().unwrap().remove(field);
        assert_eq!(
            err(with("waivers", json!([waiver.clone(), w]))),
            format!("change.waivers[1].{field}: required field is missing")
        );
    }
    // A waiver names a rule or a blackout (SPEC 8.3): exactly one, never empty.
    let mut blackout = waiver.clone();
    blackout.as_object_mut().unwrap().remove("rule");
    blackout
        .as_object_mut()
        .unwrap()
        .insert("blackout".into(), json!("year-end freeze"));
    assert!(Change::from_json(&with("waivers", json!([blackout.clone()]))).is_ok());
    let mut neither = waiver.clone();
    neither.as_object_mut().unwrap().remove("rule");
    let mut both = blackout.clone();
    both.as_object_mut()
        .unwrap()
        .insert("rule".into(), json!("cab_review"));
    let mut empty = waiver.clone();
    empty
        .as_object_mut()
        .unwrap()
        .insert("rule".into(), json!(""));
    for (w, want) in [
        (
            neither,
            "change.waivers[1]: a waiver names what it lifts: give \"rule\" or \"blackout\"",
        ),
        (
            both,
            "change.waivers[1]: a waiver lifts a rule or a blackout, not both: give \"rule\" \
             or \"blackout\"",
        ),
        (empty, "change.waivers[1].rule: an id cannot be empty"),
    ] {
        let change = with("waivers", json!([blackout.clone(), w]));
        assert_eq!(err(change.clone()), want);
        // The reader straight from JSON text leaves it to the tree reader: the same error.
        assert_eq!(
            Change::from_text(&change.to_string(), Format::Json)
                .unwrap_err()
                .to_string(),
            want
        );
    }
    let mut w = waiver.clone();
    w.as_object_mut()
        .unwrap()
        .insert("expires_at".into(), json!("2026-12-02"));
    assert_eq!(
        err(with("waivers", json!([w]))),
        "change.waivers[0].expires_at: expected an RFC 3339 date-time with offset, got \
         \"2026-12-02\" (a date alone is not an instant: write e.g. \"2026-12-02T00:00:00Z\")"
    );
}

#[test]
fn checks_are_names_or_objects_with_evidence() {
    let c = Change::from_json(&with(
        "checks",
        json!([
            "unit",
            {"name": "load-test", "status": "failed", "at": "2026-11-30T10:00:00Z",
             "url": "https://ci.example/17"},
            {"name": "pen-test", "status": "pending", "at": null}
        ]),
    ))
    .unwrap();
    assert_eq!(c.checks[0], Check::passed("unit"));
    assert_eq!(c.checks[1].status, CheckStatus::Failed);
    assert_eq!(c.checks[1].at, Some(at("2026-11-30T10:00:00Z")));
    assert_eq!(c.checks[1].url.as_deref(), Some("https://ci.example/17"));
    assert_eq!(
        (
            c.checks[2].status,
            c.checks[2].at,
            c.checks[2].url.as_deref()
        ),
        (CheckStatus::Pending, None, None)
    );
    let cases = [
        (
            json!([3]),
            "change.checks[0]: expected a check name or an object with \"name\" and \"status\", \
             got 3",
        ),
        (
            json!([{"name": "x"}]),
            "change.checks[0].status: required field is missing",
        ),
        (
            json!([{"status": "passed"}]),
            "change.checks[0].name: required field is missing",
        ),
        (
            json!(["a", {"name": "x", "status": "Passed"}]),
            "change.checks[1].status: expected \"passed\", \"failed\" or \"pending\", got \
             \"Passed\" (did you mean `passed`?)",
        ),
        (
            json!([{"name": "x", "status": true}]),
            "change.checks[0].status: expected \"passed\", \"failed\" or \"pending\", got true",
        ),
        (
            json!([{"name": "x", "status": "passed", "at": "2026-11-30T10:00"}]),
            "change.checks[0].at: expected an RFC 3339 date-time with offset, got \
             \"2026-11-30T10:00\" (a naive date-time is ambiguous: add Z or an offset)",
        ),
        (
            json!([{"name": "x", "status": "passed", "url": 7}]),
            "change.checks[0].url: expected a string, got 7",
        ),
        (
            json!([{"name": "x", "status": "passed", "when": "2026-11-30T10:00:00Z"}]),
            "change.checks[0].when: unknown field; expected one of: name, status, at, url",
        ),
    ];
    for (checks, message) in cases {
        assert_eq!(err(with("checks", checks)), message);
    }
}

#[test]
fn duration_errors() {
    let cases = [
        (
            json!("2 hours"),
            "change.duration: invalid duration \"2 hours\": unknown unit \"hours\" (use w, d, \
             h, m or s)",
        ),
        (
            json!("90"),
            "change.duration: invalid duration \"90\": a duration needs a unit (w, d, h, m \
             or s), e.g. \"90s\"",
        ),
        (
            json!("1.5h"),
            "change.duration: invalid duration \"1.5h\": fractions are not supported: write \
             e.g. \"1h30m\"",
        ),
        (
            json!("30m1h"),
            "change.duration: invalid duration \"30m1h\": units must go from the largest to \
             the smallest, each at most once",
        ),
        (
            json!("h"),
            "change.duration: invalid duration \"h\": expected a number before \"h\"",
        ),
        (
            json!(""),
            "change.duration: invalid duration \"\": expected e.g. \"2h\", \"90m\" or \"1h30m\"",
        ),
        (
            json!("-5m"),
            "change.duration: invalid duration \"-5m\": a duration cannot be negative",
        ),
        (
            json!(-5),
            "change.duration: a duration cannot be negative, got -5",
        ),
        (
            json!(1.5),
            "change.duration: expected a whole number of seconds, got 1.5",
        ),
        (
            json!(true),
            "change.duration: expected a duration like \"2h\" or \"1h30m\", or a number of \
             seconds, got true",
        ),
        (
            json!("5300w"),
            "change.duration: invalid duration \"5300w\": too large (at most 100 years, 36500d)",
        ),
        (
            json!(4_000_000_000u64),
            "change.duration: duration too large (at most 100 years), got 4000000000",
        ),
    ];
    for (value, message) in cases {
        assert_eq!(err(with("duration", value)), message);
    }
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("2h"), Ok(7200));
    assert_eq!(parse_duration("90m"), Ok(5400));
    assert_eq!(parse_duration("1h30m"), Ok(5400));
    assert_eq!(parse_duration("1h 30m"), Ok(5400));
    assert_eq!(parse_duration("3d"), Ok(259_200));
    assert_eq!(parse_duration("2w"), Ok(1_209_600));
    assert_eq!(parse_duration("45s"), Ok(45));
    assert_eq!(parse_duration("0s"), Ok(0));
    assert_eq!(parse_duration("1w2d3h4m5s"), Ok(788_645));
    assert!(parse_duration("1h1h").is_err());
    assert_eq!(parse_duration(" 2 h "), Ok(7200));
    assert_eq!(
        parse_duration("5 min"),
        Err("invalid duration \"5 min\": unknown unit \"min\" (use w, d, h, m or s)".into())
    );
    assert_eq!(
        parse_duration("5m!"),
        Err("invalid duration \"5m!\": expected a number, got \"!\"".into())
    );
    assert_eq!(
        parse_duration("5%"),
        Err("invalid duration \"5%\": unknown unit \"%\" (use w, d, h, m or s)".into())
    );
    assert!(parse_duration("99999999999999999999s").is_err());
}

#[test]
fn durations_format() {
    assert_eq!(format_duration(5400), "1h30m");
    assert_eq!(format_duration(300), "5m");
    assert_eq!(format_duration(0), "0s");
    assert_eq!(format_duration(45), "45s");
    assert_eq!(format_duration(90_000), "1d1h");
    assert_eq!(format_duration(1_209_600), "2w");
    assert_eq!(format_duration(-300), "-5m");
    assert_eq!(format_duration(i64::MIN).chars().next(), Some('-'));
}

#[test]
fn instants_parse_and_format() {
    assert_eq!(
        format_instant(at("2026-12-01T11:00:00+01:00")),
        "2026-12-01T10:00:00Z"
    );
    assert_eq!(
        format_instant(at("2026-12-01T10:00:00.750Z")),
        "2026-12-01T10:00:00Z"
    );
    // Minute precision, as in the policy language.
    assert_eq!(
        format_instant(at("2026-12-01T10:00Z")),
        "2026-12-01T10:00:00Z"
    );
    assert_eq!(
        format_instant(at("2026-12-01T10:00-05:00")),
        "2026-12-01T15:00:00Z"
    );
    assert!(parse_instant("2026-12-01T10:00+0100x").is_err());
    assert!(parse_instant("").is_err());
    assert!(parse_instant("2026-12-01T10").is_err());
}

#[test]
fn changes_from_json_reads_lists_and_wrapped_lists() {
    let list = json!([minimal(), with("id", json!("CHG-2"))]);
    let changes = changes_from_json(&list).unwrap();
    assert_eq!(
        changes.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec!["CHG-1", "CHG-2"]
    );
    let wrapped = json!({ "changes": list });
    assert_eq!(changes_from_json(&wrapped).unwrap(), changes);
    assert!(changes_from_json(&json!([])).unwrap().is_empty());
}

#[test]
fn changes_from_json_errors() {
    let bad = json!([
        minimal(),
        minimal(),
        minimal(),
        with("start", json!("soon"))
    ]);
    let mut changes = bad.clone();
    for (i, c) in changes.as_array_mut().unwrap().iter_mut().enumerate() {
        c.as_object_mut()
            .unwrap()
            .insert("id".into(), json!(format!("CHG-{i}")));
    }
    assert_eq!(
        changes_from_json(&changes).unwrap_err().to_string(),
        "changes[3].start: expected an RFC 3339 date-time with offset, got \"soon\" (e.g. \
         \"2026-12-01T10:00:00Z\")"
    );
    assert_eq!(
        changes_from_json(&json!({"changes": [minimal(), without("duration")]}))
            .unwrap_err()
            .to_string(),
        "changes[1].duration: required field is missing"
    );
    assert_eq!(
        changes_from_json(&json!([minimal(), minimal()]))
            .unwrap_err()
            .to_string(),
        "changes[1].id: duplicate change id \"CHG-1\" (also at changes[0])"
    );
    assert_eq!(
        changes_from_json(&json!({"change": []}))
            .unwrap_err()
            .to_string(),
        "changes: expected a list of changes or an object with \"changes\""
    );
    assert_eq!(
        changes_from_json(&json!({"changes": {}}))
            .unwrap_err()
            .to_string(),
        "changes: expected a list of changes, got an object"
    );
    assert_eq!(
        changes_from_json(&json!("CHG-1")).unwrap_err().to_string(),
        "changes: expected a list of changes, got \"CHG-1\""
    );
    assert_eq!(
        changes_from_json(&json!([5])).unwrap_err().to_string(),
        "changes[0]: expected an object, got 5"
    );
}

#[test]
fn yaml_change_goes_through_the_same_validation() {
    let text = "\
id: CHG-1
services: [api]
requester: ana
implementer: bob
duration: 1h30m
start: 2026-12-01T10:00:00+01:00
emergency: true
approvals:
  - by: carl
    group: cab
    at: 2026-11-30T09:00:00Z
ticket: 2026-11-30
";
    let c = Change::from_text(text, Format::Yaml).unwrap();
    assert_eq!(c.duration, 5400);
    assert_eq!(c.start, Some(at("2026-12-01T09:00:00Z")));
    assert!(c.emergency);
    assert_eq!(c.approvals.len(), 1);
    // YAML timestamps stay strings in extend fields.
    assert_eq!(c.extra.get("ticket"), Some(&json!("2026-11-30")));

    let naive = text.replace("2026-11-30T09:00:00Z", "2026-11-30 09:00:00");
    assert_eq!(
        Change::from_text(&naive, Format::Yaml)
            .unwrap_err()
            .to_string(),
        "change.approvals[0].at: expected an RFC 3339 date-time with offset, got \
         \"2026-11-30 09:00:00\" (a naive date-time is ambiguous: add Z or an offset)"
    );
    let seconds = text.replace("duration: 1h30m", "duration: 5400");
    assert_eq!(
        Change::from_text(&seconds, Format::Yaml).unwrap().duration,
        5400
    );
    let float = text.replace("duration: 1h30m", "duration: 1.5");
    assert_eq!(
        Change::from_text(&float, Format::Yaml)
            .unwrap_err()
            .to_string(),
        "change.duration: expected a whole number of seconds, got 1.5"
    );
    // YAML 1.2: `yes` is a string, not a boolean.
    let yes = text.replace("emergency: true", "emergency: yes");
    assert_eq!(
        Change::from_text(&yes, Format::Yaml)
            .unwrap_err()
            .to_string(),
        "change.emergency: expected true or false, got \"yes\""
    );
    let missing = text.replace("requester: ana\n", "");
    assert_eq!(
        Change::from_text(&missing, Format::Yaml)
            .unwrap_err()
            .to_string(),
        "change.requester: required field is missing"
    );
    assert!(
        Change::from_text("id: [", Format::Yaml)
            .unwrap_err()
            .to_string()
            .starts_with("change: invalid YAML")
    );
    let list = "- id: A\n  services: []\n  requester: a\n  implementer: b\n  duration: 1h\n\
                - id: B\n  services: []\n  requester: a\n  implementer: b\n  duration: 2h\n  \
                start: 2026-12-01T10:00\n";
    assert_eq!(
        changes_from_text(list, Format::Yaml)
            .unwrap_err()
            .to_string(),
        "changes[1].start: expected an RFC 3339 date-time with offset, got \
         \"2026-12-01T10:00\" (a naive date-time is ambiguous: add Z or an offset)"
    );
}

#[test]
fn json_text_errors_name_line_and_column() {
    assert_eq!(
        Change::from_text("{\n  \"id\": }", Format::Json)
            .unwrap_err()
            .to_string(),
        "change: invalid JSON at line 2 column 9: expected value at line 2 column 9"
    );
}

#[test]
fn built_in_field_lists_match_the_readers() {
    // Every built-in change field is read (not left in `extra`).
    let mut full = minimal();
    for field in CHANGE_FIELDS {
        let value = match *field {
            "kind" | "checks" | "labels" | "after" | "approvals" | "waivers" | "regions" => {
                json!([])
            }
            "emergency" | "backward_compatible" | "contract_verified" => json!(false),
            "incident" | "start" => Value::Null,
            "size" => json!(0),
            "duration" | "soak" => json!("1h"),
            "rollout" => json!("per_region"),
            "services" => json!(["api"]),
            _ => json!("x"),
        };
        full.as_object_mut()
            .unwrap()
            .insert((*field).to_string(), value);
    }
    assert!(Change::from_json(&full).unwrap().extra.is_empty());
}

// --- properties ---------------------------------------------------------------------------

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|i| json!(i)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-z0-9:T+-]{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("2026-12-01T10:00:00Z"),
            Just("2026-12-01T10:00"),
            Just("1h30m"),
            Just("api"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    let keys = prop_oneof![
        proptest::sample::select(CHANGE_FIELDS.to_vec()).prop_map(str::to_string),
        proptest::sample::select(vec![
            "by",
            "group",
            "at",
            "severity",
            "opened",
            "rule",
            "granted_at",
            "expires_at",
            "changes",
            "blast_radius"
        ])
        .prop_map(str::to_string),
        "[a-z ]{0,6}",
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid change with one field replaced by an arbitrary value, and that field's name.
fn arb_mutated_change() -> impl Strategy<Value = (&'static str, Value)> {
    (proptest::sample::select(CHANGE_FIELDS.to_vec()), arb_json())
        .prop_map(|(field, value)| (field, with(field, value)))
}

proptest! {
    #[test]
    fn duration_format_then_parse_is_identity(secs in 0i64..=MAX_DURATION_SECS) {
        prop_assert_eq!(parse_duration(&format_duration(secs)), Ok(secs));
    }

    #[test]
    fn duration_parse_matches_the_sum_of_its_parts(
        parts in prop::collection::vec(proptest::option::of(0u32..1000), 5)
    ) {
        let mut text = String::new();
        let mut expected = 0i64;
        for ((unit, size), count) in DURATION_UNITS.iter().zip(&parts) {
            if let Some(count) = count {
                text.push_str(&format!("{count}{unit}"));
                expected += i64::from(*count) * size;
            }
        }
        if text.is_empty() {
            prop_assert!(parse_duration(&text).is_err());
        } else {
            prop_assert_eq!(parse_duration(&text), Ok(expected));
        }
    }

    #[test]
    fn duration_parse_never_panics(text in "\\PC{0,16}") {
        let _ = parse_duration(&text);
    }

    #[test]
    fn instant_format_then_parse_is_identity(secs in -62_000_000_000i64..250_000_000_000) {
        let instant = DateTime::from_timestamp(secs, 0).unwrap();
        prop_assert_eq!(parse_instant(&format_instant(instant)), Ok(instant));
    }

    #[test]
    fn instant_parse_never_panics(text in "[0-9T:+Zz. -]{0,30}") {
        let _ = parse_instant(&text);
    }

    #[test]
    fn first_duplicate_finds_the_first_repeat(ids in prop::collection::vec("[abc]{0,2}", 0..20)) {
        // The obvious model: the first index equal to an earlier one, and that earlier one.
        let model = (0..ids.len()).find_map(|i| {
            (0..i).find(|&j| ids[j] == ids[i]).map(|j| (j, i))
        });
        prop_assert_eq!(first_duplicate(&ids), model);
    }

    #[test]
    fn change_from_json_never_panics(value in arb_json()) {
        let _ = Change::from_json(&value);
        let _ = changes_from_json(&value);
    }

    #[test]
    fn a_rejected_field_is_named_in_the_error((field, value) in arb_mutated_change()) {
        // Only `field` differs from a valid change, so an error must point at it or inside it.
        if let Err(e) = Change::from_json(&value) {
            let at = format!("change.{field}");
            prop_assert!(
                e.path == at || e.path.starts_with(&format!("{at}[")) || e.path.starts_with(&format!("{at}.")),
                "{}", e
            );
        }
    }
}

// --- reading at a root, and from files ----------------------------------------------------------

#[test]
fn from_json_at_roots_every_error_path() {
    let value = with(
        "approvals",
        json!([{"by": "carl", "group": "cab", "at": "soon"}]),
    );
    let e = Change::from_json_at(&value, "changes[3]").unwrap_err();
    assert_eq!(e.path, "changes[3].approvals[0].at");
    // The same error as under `change`, with only the root changed.
    let under_change = Change::from_json(&value).unwrap_err();
    assert_eq!(under_change.path, "change.approvals[0].at");
    assert_eq!(e.message, under_change.message);
    let e =
        Change::from_json_at(&with("services", json!(["api", "api"])), "req.change").unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        (
            "req.change.services[1]",
            "\"api\" is listed twice (also at req.change.services[0])"
        )
    );
    assert_eq!(Change::from_json_at(&json!(3), "x").unwrap_err().path, "x");
    assert_eq!(
        Change::from_json_at(&minimal(), "anything"),
        Change::from_json(&minimal())
    );
}

#[test]
fn changes_from_json_at_roots_the_list() {
    let list = json!([minimal(), with("size", json!(-1))]);
    let e = changes_from_json_at(&list, "train").unwrap_err();
    assert_eq!(e.path, "train[1].size");
    assert_eq!(
        changes_from_json(&list).unwrap_err().path,
        "changes[1].size"
    );
    let e = changes_from_json_at(&json!({"changes": [minimal(), minimal()]}), "train").unwrap_err();
    assert_eq!(e.path, "train[1].id");
    assert_eq!(
        e.message,
        "duplicate change id \"CHG-1\" (also at train[0])"
    );
    let e = changes_from_json_at(&json!({"other": []}), "train").unwrap_err();
    assert_eq!(e.path, "train");
}

fn repo_file(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

#[test]
fn from_path_reads_json_and_yaml_by_extension() {
    let yaml = repo_file("policies/changes/chg-1044-fraud-rules.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    let change = Change::from_path(&yaml).unwrap();
    assert_eq!(change, Change::from_text(&text, Format::Yaml).unwrap());
    assert_eq!(change.id, "CHG-1044");
    let json = repo_file("policies/changes/chg-1045-hotfix.json");
    let text = std::fs::read_to_string(&json).unwrap();
    assert_eq!(
        Change::from_path(&json).unwrap(),
        Change::from_text(&text, Format::Json).unwrap()
    );
}

#[test]
fn from_path_names_a_file_it_cannot_read() {
    let missing = repo_file("policies/changes/no-such-change.json");
    match Change::from_path(&missing) {
        Err(Error::Io { path, message }) => {
            assert_eq!(path, missing.display().to_string());
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    match changes_from_path(&missing) {
        Err(Error::Io { path, .. }) => assert_eq!(path, missing.display().to_string()),
        other => panic!("{other:?}"),
    }
    // An error inside the file is an input error under `change`.
    let catalog = repo_file("policies/catalog.yaml");
    match Change::from_path(&catalog) {
        Err(Error::Input(e)) => assert!(e.path.starts_with("change"), "{e:?}"),
        other => panic!("{other:?}"),
    }
}
