//! Dates against date-times, `date(t, "Zone")`, and record types in `extend` fields: the
//! checker's errors (with their locations) and the evaluation, decided by both evaluators.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use serde_json::json;
use shipgate::{Catalog, Change, Engine, Error, Verdict};

fn catalog() -> Catalog {
    Catalog::from_json(&json!({"services": [
        {"id": "db", "tier": 0, "stateful": true},
        {"id": "api", "tier": 1, "depends_on": ["db"]}
    ]}))
    .unwrap()
}

/// Services with an `extend service { owners: list<{name: string, oncall: bool}> }` field;
/// `web`'s is malformed.
fn owners_catalog() -> Catalog {
    Catalog::from_json(&json!({"services": [
        {"id": "db", "tier": 0, "stateful": true, "owners": [{"name": "ana", "oncall": true}]},
        {"id": "api", "tier": 1, "depends_on": ["db"], "owners": []},
        {"id": "web", "tier": 2, "depends_on": ["api"],
         "owners": [{"name": "eve", "oncall": "yes"}]}
    ]}))
    .unwrap()
}

fn change(extra: serde_json::Value) -> serde_json::Value {
    let mut base = json!({"id": "C-1", "services": ["db"], "requester": "ana",
        "implementer": "bo", "start": "2026-12-01T10:00:00Z", "duration": "1h"});
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn now() -> shipgate::Instant {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

/// The rendered errors of a policy that must not compile, and the first error's `line:col`.
fn policy_error(src: &str) -> (String, (usize, usize)) {
    match Engine::from_source(src, "p.gate") {
        Err(Error::Policy(p)) => {
            let loc = p.location().unwrap();
            (p.render(false), (loc.line, loc.column))
        }
        Ok(_) => panic!("expected a policy error:\n{src}"),
        Err(other) => panic!("expected a policy error, got {other}"),
    }
}

/// The verdict of `policy` for the change: the fast evaluator and the general one must agree.
fn verdict(policy: &str, change_json: serde_json::Value) -> Verdict {
    decide(policy, change_json).verdict
}

fn decide(policy: &str, change_json: serde_json::Value) -> shipgate::Decision {
    decide_with(policy, change_json, &catalog())
}

fn decide_with(
    policy: &str,
    change_json: serde_json::Value,
    catalog: &Catalog,
) -> shipgate::Decision {
    let engine = Engine::from_source(policy, "p.gate").unwrap();
    let change = Change::from_json(&change_json).unwrap();
    let d = engine.evaluate(&change, catalog, now(), true).unwrap();
    let reference = engine
        .evaluate_reference(&change, catalog, now(), true)
        .unwrap();
    assert_eq!(d.to_json(), reference.to_json(), "{policy}");
    d
}

/// Whether `deny when COND` fires for a change starting at `start`.
fn holds(cond: &str, start: &str) -> bool {
    let policy = format!("rule r {{\n  deny when {cond}\n}}\n");
    match verdict(&policy, change(json!({ "start": start }))) {
        Verdict::Deny => true,
        Verdict::Allow => false,
        other => panic!("{other:?}"),
    }
}

// --- comparing a date-time with a date -------------------------------------------------------

#[test]
fn a_datetime_compares_with_a_date_by_its_utc_date_exactly_at_midnight() {
    // (start, its UTC date relative to 2026-12-24: -1, 0 or 1)
    let instants = [
        ("2026-12-23T23:59:59Z", -1),
        ("2026-12-24T00:00:00Z", 0),
        ("2026-12-24T12:00:00Z", 0),
        ("2026-12-24T23:59:59Z", 0),
        ("2026-12-25T00:00:00Z", 1),
        // 00:30 in Paris on the 24th is still the 23rd in UTC.
        ("2026-12-24T00:30:00+01:00", -1),
        // 23:30 in New York on the 24th is already the 25th in UTC.
        ("2026-12-24T23:30:00-05:00", 1),
    ];
    // Each operator with whether it holds for a UTC date before (-1), on (0) or after (1) it.
    type Holds = fn(i32) -> bool;
    let ops: [(&str, Holds); 6] = [
        ("==", |o| o == 0),
        ("!=", |o| o != 0),
        ("<", |o| o < 0),
        ("<=", |o| o <= 0),
        (">", |o| o > 0),
        (">=", |o| o >= 0),
    ];
    for (start, order) in instants {
        for (op, want) in ops {
            let cond = format!("change.start {op} 2026-12-24");
            assert_eq!(holds(&cond, start), want(order), "{cond} at {start}");
            // The other way round: `d op t` is `t (op reversed) d`.
            let flipped = format!("2026-12-24 {op} change.start");
            assert_eq!(holds(&flipped, start), want(-order), "{flipped} at {start}");
        }
    }
}

#[test]
fn the_utc_date_comparison_warns_and_an_explicit_date_does_not() {
    let engine = Engine::from_source(
        "rule r {\n  deny when change.start <= 2026-12-24\n}\n",
        "p.gate",
    )
    .unwrap();
    let w = engine.render_warnings(false);
    assert_eq!(engine.warnings().len(), 1, "{w}");
    assert!(
        w.starts_with("warning: a date-time compared with a date is compared by its UTC date\n"),
        "{w}"
    );
    assert!(w.contains("p.gate:2:13"), "{w}");
    assert!(
        w.contains("`date(change.start, \"Europe/Paris\")`"),
        "the help names the function to write: {w}"
    );
    for explicit in [
        "date(change.start, \"UTC\") <= 2026-12-24",
        "2026-12-24 >= date(change.start, \"Europe/Paris\")",
    ] {
        let policy = format!("rule r {{\n  deny when {explicit}\n}}\n");
        let engine = Engine::from_source(&policy, "p.gate").unwrap();
        assert!(engine.warnings().is_empty(), "{explicit}");
    }
}

// --- date(t, "Zone") -------------------------------------------------------------------------

#[test]
fn date_in_a_zone_is_the_local_calendar_date_across_the_date_line() {
    // 10:30 UTC on the 31st: the 1st in Kiritimati (UTC+14), the 30th in Pago Pago (UTC-11).
    let start = "2026-12-31T10:30:00Z";
    assert!(holds("date(change.start, \"UTC\") == 2026-12-31", start));
    assert!(holds(
        "date(change.start, \"Pacific/Kiritimati\") == 2027-01-01",
        start
    ));
    assert!(holds(
        "date(change.start, \"Pacific/Pago_Pago\") == 2026-12-30",
        start
    ));
    // Local midnight, to the second, in a zone with daylight saving (Paris is UTC+1 in winter).
    assert!(holds(
        "date(change.start, \"Europe/Paris\") == 2026-12-24",
        "2026-12-23T23:00:00Z"
    ));
    assert!(holds(
        "date(change.start, \"Europe/Paris\") == 2026-12-23",
        "2026-12-23T22:59:59Z"
    ));
    // Summer time: UTC+2.
    assert!(holds(
        "date(change.start, \"Europe/Paris\") == 2026-07-01",
        "2026-06-30T22:00:00Z"
    ));
    assert!(holds(
        "date(change.start, \"Europe/Paris\") < 2026-07-01",
        "2026-06-30T21:59:59Z"
    ));
    // Arithmetic on the instant first.
    assert!(holds(
        "date(change.start + 1s, \"UTC\") == 2026-12-24",
        "2026-12-23T23:59:59Z"
    ));
}

#[test]
fn a_misspelt_zone_is_an_error_with_a_suggestion() {
    let (text, at) = policy_error(
        "rule r {\n  deny when date(change.start, \"Europe/Londn\") == 2026-12-24\n}\n",
    );
    assert_eq!(at, (2, 32), "{text}");
    assert!(
        text.contains("unknown time zone \"Europe/Londn\""),
        "{text}"
    );
    assert!(text.contains("did you mean `Europe/London`?"), "{text}");
}

#[test]
fn date_without_a_zone_is_an_error_that_asks_for_one() {
    let (text, at) = policy_error("rule r {\n  deny when date(change.start) == 2026-12-24\n}\n");
    assert_eq!(at, (2, 13), "{text}");
    assert!(text.contains("`date` needs a time zone"), "{text}");
    assert!(
        text.contains("`date(change.start, \"Europe/Paris\")`"),
        "{text}"
    );
}

#[test]
fn date_of_something_else_than_a_datetime_is_an_error() {
    let (text, at) =
        policy_error("rule r {\n  deny when date(2026-12-24, \"UTC\") == 2026-12-24\n}\n");
    assert_eq!(at, (2, 18), "{text}");
    assert!(
        text.contains("`date` needs a datetime, but this is date"),
        "{text}"
    );
    let (text, _) =
        policy_error("rule r {\n  deny when date(change.start, zone) == 2026-12-24\n}\n");
    assert!(text.contains("must be a string literal"), "{text}");
}

// --- record types in extend ------------------------------------------------------------------

const BACKUPS: &str = "extend change { backups: list<{service: string, taken_at: datetime}> }\n\
rule fresh_backups {\n  deny when any s in change.services: s.stateful and not (any b in change.backups: \
b.service == s.id and b.taken_at >= change.start - 24h and b.taken_at <= change.start)\n  \
message \"a stateful service has no backup from the 24h before the start\"\n}\n";

#[test]
fn records_are_read_and_quantified_over() {
    let with = |backups: serde_json::Value| verdict(BACKUPS, change(json!({ "backups": backups })));
    assert_eq!(
        with(json!([{"service": "db", "taken_at": "2026-12-01T09:00:00Z"}])),
        Verdict::Allow
    );
    // Exactly 24h before is in; one second more is out; after the start is out.
    assert_eq!(
        with(json!([{"service": "db", "taken_at": "2026-11-30T10:00:00Z"}])),
        Verdict::Allow
    );
    assert_eq!(
        with(json!([{"service": "db", "taken_at": "2026-11-30T09:59:59Z"}])),
        Verdict::Deny
    );
    assert_eq!(
        with(json!([{"service": "db", "taken_at": "2026-12-01T10:00:01Z"}])),
        Verdict::Deny
    );
    // A backup of another service does not count.
    assert_eq!(
        with(json!([{"service": "api", "taken_at": "2026-12-01T09:00:00Z"}])),
        Verdict::Deny
    );
    assert_eq!(with(json!([])), Verdict::Deny);
}

#[test]
fn record_fields_count_compare_render_and_test_presence() {
    let policy = "extend change {\n  backups: list<{service: string, taken_at: datetime, note: string?}>\n  \
                  owner: {name: string, team: string?}\n}\n\
                  rule counted {\n  deny when (count b in change.backups: b.taken_at < change.start) == 2\n  \
                  message \"two backups, owner {change.owner}\"\n}\n\
                  rule noted {\n  deny when any b in change.backups: b has note and b.note == \"manual\"\n}\n\
                  rule same {\n  deny when any b in change.backups: any c in change.backups: b != c and b == c\n}\n";
    let d = decide(
        policy,
        change(json!({
            "owner": {"name": "ana"},
            "backups": [
                {"service": "db", "taken_at": "2026-12-01T09:00:00Z", "note": "manual"},
                {"service": "api", "taken_at": "2026-12-01T08:00:00Z", "note": null}
            ]
        })),
    );
    let rules: Vec<&str> = d.reasons.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(rules, ["counted", "noted"], "{:?}", d.reasons);
    assert_eq!(
        d.reasons[0].message.as_str(),
        "two backups, owner {name: ana, team: <absent>}"
    );
}

#[test]
fn service_records_are_checked_for_touched_services_and_fail_closed_elsewhere() {
    let policy = "extend service { owners: list<{name: string, oncall: bool}> }\n\
                  rule oncall {\n  deny when any s in change.services: not (any o in s.owners: o.oncall)\n}\n\
                  rule downstream {\n  deny when any d in change.dependents: any o in d.owners: o.name == \"eve\"\n}\n";
    // `db` is touched; `web` (a dependent) has a malformed owner: reading it fails closed.
    let d = decide_with(policy, change(json!({})), &owners_catalog());
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.reasons.len(), 1, "{:?}", d.reasons);
    assert_eq!(d.reasons[0].rule.as_str(), "downstream");
    assert!(
        d.reasons[0]
            .message
            .contains("catalog.services[2].owners[0].oncall: expected bool, got a string"),
        "{}",
        d.reasons[0].message
    );
    // Touching `web` makes it an input error, with its path.
    let engine = Engine::from_source(policy, "p.gate").unwrap();
    let c = Change::from_json(&change(json!({"services": ["web"]}))).unwrap();
    let e = engine
        .evaluate(&c, &owners_catalog(), now(), false)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "catalog.services[2].owners[0].oncall: expected bool, got a string"
    );
}

#[test]
fn nested_records_and_lists_fall_out() {
    let policy = "extend change { steps: list<{name: string, checks: list<{id: string, done: bool}>?}> }\n\
                  rule open_checks {\n  deny when any s in change.steps: s has checks and any c in s.checks: not c.done\n}\n";
    let steps = |done: bool| {
        json!({"steps": [{"name": "migrate"},
                         {"name": "deploy", "checks": [{"id": "smoke", "done": done}]}]})
    };
    assert_eq!(verdict(policy, change(steps(true))), Verdict::Allow);
    assert_eq!(verdict(policy, change(steps(false))), Verdict::Deny);
    let bad = json!({"steps": [{"name": "deploy", "checks": [{"id": "smoke", "don": true}]}]});
    let engine = Engine::from_source(policy, "p.gate").unwrap();
    let c = Change::from_json(&change(bad)).unwrap();
    let e = engine.evaluate(&c, &catalog(), now(), false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "change.steps[0].checks[0].don: unknown field (did you mean `done`?); expected one of: id, done"
    );
}

/// The input error of a change with these backups under the BACKUPS policy.
fn backups_error(backups: serde_json::Value) -> String {
    let engine = Engine::from_source(BACKUPS, "p.gate").unwrap();
    let c = Change::from_json(&change(json!({ "backups": backups }))).unwrap();
    match engine.evaluate(&c, &catalog(), now(), false) {
        Err(Error::Input(e)) => e.to_string(),
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn record_input_errors_name_the_json_path() {
    let ok = json!({"service": "db", "taken_at": "2026-12-01T09:00:00Z"});
    assert_eq!(
        backups_error(json!([ok, {"service": "db", "taken": "2026-12-01T09:00:00Z"}])),
        "change.backups[1].taken: unknown field (did you mean `taken_at`?); expected one of: service, taken_at"
    );
    assert_eq!(
        backups_error(json!([ok, {"service": "db"}])),
        "change.backups[1].taken_at: missing required field (datetime)"
    );
    assert_eq!(
        backups_error(json!([ok, {"service": "db", "taken_at": null}])),
        "change.backups[1].taken_at: missing required field (datetime)"
    );
    assert_eq!(
        backups_error(json!([{"service": "db", "taken_at": "2026-12-01T09:00:00"}])),
        "change.backups[0].taken_at: expected an RFC 3339 date-time with offset, got \
         \"2026-12-01T09:00:00\" (a naive date-time is ambiguous: add Z or an offset)"
    );
    assert_eq!(
        backups_error(json!([{"service": 7, "taken_at": "2026-12-01T09:00:00Z"}])),
        "change.backups[0].service: expected string, got a number"
    );
    assert_eq!(
        backups_error(json!(["db"])),
        "change.backups[0]: expected {service: string, taken_at: datetime}, got a string"
    );
    assert_eq!(
        backups_error(json!({"db": "2026-12-01T09:00:00Z"})),
        "change.backups: expected list<{service: string, taken_at: datetime}>, got an object"
    );
}

#[test]
fn record_scalars_follow_the_built_in_reading_rules() {
    let policy = "extend change { limits: {downtime: duration, retries: int, share: float, day: date} }\n\
                  rule r {\n  deny when change.limits.downtime > 5m or change.limits.retries > 2 \
                  or change.limits.share > 0.5 or change.limits.day < 2026-01-01\n}\n";
    let engine = Engine::from_source(policy, "p.gate").unwrap();
    let run = |limits: serde_json::Value| {
        let c = Change::from_json(&change(json!({ "limits": limits }))).unwrap();
        engine
            .evaluate(&c, &catalog(), now(), false)
            .map(|d| d.verdict)
            .map_err(|e| e.to_string())
    };
    let ok = json!({"downtime": "5m", "retries": 2.0, "share": 0, "day": "2026-03-01"});
    assert_eq!(run(ok), Ok(Verdict::Allow));
    assert_eq!(
        run(json!({"downtime": -300, "retries": 2, "share": 0.1, "day": "2026-03-01"})),
        Err("change.limits.downtime: a duration cannot be negative, got -300".to_string())
    );
    assert_eq!(
        run(json!({"downtime": 60, "retries": 1.5, "share": 0.1, "day": "2026-03-01"})),
        Err("change.limits.retries: expected an integer, got 1.5".to_string())
    );
    assert_eq!(
        run(json!({"downtime": 60, "retries": 1, "share": 0.1, "day": "2026-02-30"})),
        Err("change.limits.day: expected a date like 2026-12-24, got \"2026-02-30\"".to_string())
    );
}

#[test]
fn an_unknown_record_field_is_an_error_with_a_suggestion() {
    let (text, at) = policy_error(
        "extend change { backups: list<{service: string, taken_at: datetime}> }\n\
         rule r {\n  deny when any b in change.backups: b.taken > now\n}\n",
    );
    assert_eq!(at, (3, 40), "{text}");
    assert!(
        text.contains("unknown field `taken` on {service: string, taken_at: datetime}"),
        "{text}"
    );
    assert!(text.contains("did you mean `taken_at`?"), "{text}");
}

#[test]
fn a_record_field_of_an_engine_type_is_an_error() {
    let (text, at) = policy_error("extend change { backups: list<{of: service, at: datetime}> }\n");
    assert_eq!(at, (1, 36), "{text}");
    assert!(text.contains("`service` cannot be a field type"), "{text}");
    assert!(
        text.contains("store an id or a name as a `string`"),
        "{text}"
    );
    let (text, _) = policy_error("extend service { owner: {name: strin} }\n");
    assert!(text.contains("unknown type `strin`"), "{text}");
    assert!(text.contains("did you mean `string`?"), "{text}");
}

#[test]
fn malformed_record_types_are_errors() {
    let (text, at) = policy_error("extend change { owner: {} }\n");
    assert_eq!(at, (1, 24), "{text}");
    assert!(
        text.contains("a record type needs at least one field"),
        "{text}"
    );
    let (text, at) = policy_error("extend change { owner: {name: string, name: string} }\n");
    assert_eq!(at, (1, 39), "{text}");
    assert!(text.contains("field `name` is defined twice"), "{text}");
}

#[test]
fn records_cannot_be_misused_in_expressions() {
    let ext = "extend change { owner: {name: string}, backups: list<{service: string}> }\n";
    let cases = [
        (
            "deny when change.owner == \"ana\"",
            "cannot compare a record {name: string} with a string",
        ),
        (
            "deny when change.owner < change.owner",
            "`<` cannot order {name: string} values",
        ),
        (
            "deny when change.backups.service == \"db\"",
            "a list<{service: string}> has no fields",
        ),
    ];
    for (cond, want) in cases {
        let (text, _) = policy_error(&format!("{ext}rule r {{\n  {cond}\n}}\n"));
        assert!(text.contains(want), "{cond}: {text}");
    }
    let (text, _) = policy_error(&format!("{ext}notify \"{{change.owner}}-team\"\n"));
    assert!(
        text.contains("a notify audience cannot interpolate a record: `change.owner`"),
        "{text}"
    );
    // Records of one type compare for equality; `in` finds one in a list.
    let policy = format!(
        "{ext}rule r {{\n  deny when any b in change.backups: b in change.backups and b == b\n}}\n"
    );
    let backups = json!({"owner": {"name": "ana"}, "backups": [{"service": "db"}]});
    assert_eq!(verdict(&policy, change(backups)), Verdict::Deny);
    let none = json!({"owner": {"name": "ana"}, "backups": []});
    assert_eq!(verdict(&policy, change(none)), Verdict::Allow);
}
