//! Calendars of services and of changes (SPEC 8.3): `services where ... use ...`,
//! `changes where ... use ...`, `s.upstream` and a catalog service's `"calendars"`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use serde_json::json;
use shipgate::{Catalog, Change, Engine, Error, Verdict};

const CALENDARS: &str = "calendar emea timezone \"Europe/Berlin\" { window mon-fri 09:00-17:00 }\n\
                         calendar batch timezone \"UTC\" { blackout \"nightly batch\" daily 01:00-04:00 }\n\
                         region eu-west uses emea\n";

/// The rendered error of a policy that must not compile.
fn policy_error(policy: &str) -> String {
    match Engine::from_source(&format!("{CALENDARS}{policy}"), "p.gate") {
        Err(Error::Policy(p)) => p.render(false),
        Err(other) => panic!("expected a policy error, got {other}"),
        Ok(_) => panic!("expected a policy error, the policy compiled"),
    }
}

#[test]
fn scopes_compile_and_count_their_calendars_as_used() {
    let engine = Engine::from_source(
        &format!(
            "{CALENDARS}services where \"ledger-db\" in s.upstream or s.legacy use batch\n\
             changes where \"database\" in change.kind and tier == tier use batch\n"
        ),
        "p.gate",
    );
    let engine = engine.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        engine.warnings().is_empty(),
        "{}",
        engine.render_warnings(false)
    );
}

#[test]
fn an_unknown_calendar_is_an_error_with_did_you_mean() {
    let e = policy_error("services where s.legacy use emea, bacth\n");
    assert!(e.starts_with("error: unknown calendar `bacth`\n"), "{e}");
    assert!(e.contains("p.gate:4:35"), "{e}");
    assert!(e.contains("help: did you mean `batch`?"), "{e}");
    let e = policy_error("changes where change.emergency use nowhere\n");
    assert!(e.contains("p.gate:4:36"), "{e}");
    assert!(e.contains("= calendars are: emea, batch"), "{e}");
}

#[test]
fn the_condition_must_be_a_bool_over_the_service() {
    let e = policy_error("services where s.team use batch\n");
    assert!(
        e.starts_with("error: a condition must be a bool, but this is string\n"),
        "{e}"
    );
    assert!(e.contains("p.gate:4:16"), "{e}");
    let e = policy_error("services where s.legcy use batch\n");
    assert!(
        e.starts_with("error: unknown field `legcy` on service\n"),
        "{e}"
    );
    assert!(e.contains("did you mean `legacy`?"), "{e}");
    // A service's calendars depend on the service alone.
    let e = policy_error("services where s.legacy and change.emergency use batch\n");
    assert!(
        e.starts_with("error: `change` cannot be read in a `services where` condition\n"),
        "{e}"
    );
    assert!(e.contains("p.gate:4:29"), "{e}");
    // `s` is the service only there: a `changes where` condition has no `s`.
    let e = policy_error("changes where s.legacy use batch\n");
    assert!(e.starts_with("error: unknown name `s`\n"), "{e}");
}

/// ledger-db <- ledger-api <- payments-web; reports depends on nothing.
fn ledger_catalog() -> Catalog {
    Catalog::from_json(&json!({"services": [
        {"id": "payments-web", "tier": 1, "depends_on": ["ledger-api"], "regions": ["eu-west"]},
        {"id": "ledger-api", "tier": 1, "depends_on": ["ledger-db"], "regions": ["eu-west"]},
        {"id": "ledger-db", "tier": 0, "regions": ["eu-west"]},
        {"id": "reports", "tier": 3, "regions": ["eu-west"]},
    ]}))
    .unwrap()
}

fn change_of(services: &[&str]) -> Change {
    Change::from_json(&json!({
        "id": "CHG-1", "services": services, "requester": "a", "implementer": "b",
        "duration": "30m", "start": "2026-12-01T10:00:00Z",
    }))
    .unwrap()
}

#[test]
fn upstream_is_every_service_depended_on_transitively() {
    let engine = Engine::from_source(
        "rule downstream_of_ledger {\n\
           deny when any s in change.services: \"ledger-db\" in s.upstream\n\
         }\n\
         rule upstream_listed {\n\
           deny when any s in change.services: s.upstream == [\"ledger-api\", \"ledger-db\"]\n\
         }\n\
         rule upstream_counted {\n\
           deny when any s in change.services: len(s.upstream) == 2 and (count u in s.upstream: u != \"\") == 2\n\
         }\n",
        "p.gate",
    )
    .unwrap();
    let catalog = ledger_catalog();
    let now = shipgate::parse_instant("2026-12-01T09:00:00Z").unwrap();
    let denied_by = |services: &[&str]| {
        let change = change_of(services);
        let fast = engine.evaluate(&change, &catalog, now, false).unwrap();
        let reference = engine
            .evaluate_reference(&change, &catalog, now, false)
            .unwrap();
        assert_eq!(fast.to_json(), reference.to_json());
        let rules: Vec<String> = fast.reasons.iter().map(|r| r.rule.to_string()).collect();
        rules
    };
    // Two levels down: ledger-api and ledger-db, in catalog order.
    assert_eq!(
        denied_by(&["payments-web"]),
        [
            "downstream_of_ledger",
            "upstream_listed",
            "upstream_counted"
        ]
    );
    assert_eq!(denied_by(&["ledger-api"]), ["downstream_of_ledger"]);
    // A service is not upstream of itself.
    assert!(denied_by(&["ledger-db"]).is_empty());
    assert!(denied_by(&["reports"]).is_empty());
    assert_eq!(
        engine
            .evaluate(&change_of(&["reports"]), &catalog, now, false)
            .unwrap()
            .verdict,
        Verdict::Allow
    );
}

#[test]
fn upstream_is_charged_to_the_evaluation_budget() {
    // A chain of 300 services, each quantifier visiting every service's upstream walk: the
    // budget of 2,000 steps runs out and the decision fails closed.
    let n = 300;
    let services: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let deps: Vec<String> = if i + 1 < n {
                vec![format!("s{}", i + 1)]
            } else {
                vec![]
            };
            json!({"id": format!("s{i}"), "tier": 1, "depends_on": deps})
        })
        .collect();
    let catalog = Catalog::from_json(&json!({ "services": services })).unwrap();
    let policy = "rule r {\n  deny when any s in change.dependents: \"none\" in s.upstream\n}\n";
    let limits = shipgate::Limits::default()
        .with(shipgate::Limit::EvalSteps, 2_000)
        .unwrap();
    let engine =
        Engine::from_sources_with(vec![("p.gate".into(), policy.into())], None, &limits).unwrap();
    let now = shipgate::parse_instant("2026-12-01T09:00:00Z").unwrap();
    let d = engine
        .evaluate(&change_of(&[&format!("s{}", n - 1)]), &catalog, now, false)
        .unwrap();
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(
        d.reasons
            .iter()
            .any(|r| r.message.contains("evaluation budget")),
        "{:?}",
        d.reasons
    );
}

#[test]
fn an_unknown_catalog_calendar_is_an_input_error_in_any_service() {
    let engine = Engine::from_source(CALENDARS, "p.gate").unwrap();
    let catalog = Catalog::from_json(&json!({"services": [
        {"id": "ledger-api", "tier": 1, "regions": ["eu-west"], "calendars": ["batch"]},
        {"id": "reports", "tier": 3, "regions": ["eu-west"], "calendars": ["batch", "bacth"]},
    ]}))
    .unwrap();
    let now = shipgate::parse_instant("2026-12-01T09:00:00Z").unwrap();
    // The change touches only ledger-api: the whole catalog is checked all the same.
    let err = engine
        .evaluate(&change_of(&["ledger-api"]), &catalog, now, false)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "catalog.services[1].calendars[1]: unknown calendar \"bacth\": the policy declares \
         emea, batch (did you mean `batch`?)"
    );
    // The same catalog with another policy is checked again against that policy's calendars.
    let other = Engine::from_source(
        &CALENDARS.replace("calendar batch", "calendar bacth"),
        "p.gate",
    )
    .unwrap();
    let err = other
        .evaluate(&change_of(&["ledger-api"]), &catalog, now, false)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("catalog.services[0].calendars[0]: unknown calendar \"batch\""),
        "{err}"
    );
}

#[test]
fn scopes_that_apply_nothing_leave_the_decision_as_it_was() {
    // The corpus holds the decisions of policies without scopes as they were before scopes
    // existed (byte for byte, not re-blessed); here the same policy with scopes that never
    // hold decides the same schedule, without `services` or `change` keys.
    let base = format!("{CALENDARS}services where \"ledger-db\" in s.upstream use batch\n");
    let with = format!(
        "{base}services where false use emea\nchanges where change.size > 1000 use batch\n"
    );
    let catalog = ledger_catalog();
    let now = shipgate::parse_instant("2026-12-01T09:00:00Z").unwrap();
    for services in [&["reports"][..], &["ledger-db"]] {
        let change = change_of(services);
        let a = Engine::from_source(CALENDARS, "p.gate").unwrap();
        let b = Engine::from_source(&base, "p.gate").unwrap();
        let c = Engine::from_source(&with, "p.gate").unwrap();
        let schedules: Vec<serde_json::Value> = [a, b, c]
            .iter()
            .map(|e| {
                e.evaluate(&change, &catalog, now, false)
                    .unwrap()
                    .to_json_value()
            })
            .map(|d| d["schedule"].clone())
            .collect();
        assert_eq!(schedules[0], schedules[1], "{services:?}");
        assert_eq!(schedules[0], schedules[2], "{services:?}");
        let keys: Vec<&String> = schedules[0].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["allowed", "end", "next_window", "regions", "start", "tzdb"],
            "{services:?}"
        );
    }
}

#[test]
fn a_change_must_fit_its_services_and_its_own_calendars_each_in_its_zone() {
    let policy = format!(
        "{CALENDARS}calendar dba timezone \"Asia/Kolkata\" {{ window tue,thu 20:00-23:30 }}\n\
         services where \"ledger-db\" in s.upstream use batch\n\
         changes where \"database\" in change.kind use dba\n"
    );
    let engine = Engine::from_source(&policy, "p.gate").unwrap();
    let catalog = ledger_catalog();
    let now = shipgate::parse_instant("2026-12-01T00:00:00Z").unwrap();
    let decide = |services: &[&str], kind: &str, start: &str| {
        let change = Change::from_json(&json!({
            "id": "CHG-1", "services": services, "requester": "a", "implementer": "b",
            "kind": [kind], "duration": "30m", "start": start,
        }))
        .unwrap();
        let d = engine.evaluate(&change, &catalog, now, true).unwrap();
        let r = engine
            .evaluate_reference(&change, &catalog, now, true)
            .unwrap();
        assert_eq!(d.to_json(), r.to_json());
        d
    };
    // 02:30 UTC on a Tuesday: inside the nightly batch (UTC), outside emea's window.
    let d = decide(&["ledger-api"], "application", "2026-12-01T02:30:00Z");
    assert!(!d.schedule.allowed);
    let s = &d.schedule.services[0];
    assert_eq!((s.service.as_str(), s.open), ("ledger-api", false));
    assert_eq!(s.blocked_by, ["nightly batch"]);
    assert_eq!(
        s.next_window
            .as_ref()
            .map(|w| shipgate::format_instant(w.start)),
        Some("2026-12-01T04:00:00Z".to_string())
    );
    // Berlin 09:00 = 08:00 UTC; the whole change fits then.
    assert_eq!(
        d.schedule
            .next_window
            .as_ref()
            .map(|w| shipgate::format_instant(w.start)),
        Some("2026-12-01T08:00:00Z".to_string())
    );
    // A database change on a service outside the ledger: only the DBA window (Kolkata,
    // UTC+05:30) applies besides the region's. Tuesday 20:00 IST = 14:30 UTC, inside
    // emea's window (until 16:00 UTC).
    let d = decide(&["reports"], "database", "2026-12-01T14:30:00Z");
    assert!(d.schedule.allowed, "{:?}", d.reasons);
    assert!(d.schedule.services.is_empty());
    let c = d.schedule.change.as_ref().unwrap();
    assert_eq!((c.calendars[0].as_str(), c.open), ("dba", true));
    // Ten minutes earlier it is outside the DBA window: blocked, and the reason says so.
    let d = decide(&["reports"], "database", "2026-12-01T14:20:00Z");
    assert!(!d.schedule.allowed);
    assert_eq!(
        d.reasons[0].message,
        "the requested start is not allowed: the change's calendars: outside windows; next \
         window starts 2026-12-01T14:30:00Z"
    );
    assert!(
        d.reasons[0].at.ends_with("p.gate:4:40"),
        "{}",
        d.reasons[0].at
    );
}

#[test]
fn a_services_calendar_is_everything_that_applies_to_it() {
    let policy = format!(
        "{CALENDARS}calendar freeze timezone \"Asia/Kolkata\" {{\n\
           blackout \"card freeze\" from 2026-12-01T12:00 to 2026-12-01T13:30\n\
         }}\n\
         services where \"ledger-db\" in s.upstream use batch\n"
    );
    let engine = Engine::from_source(&policy, "p.gate").unwrap();
    let catalog = Catalog::from_json(&json!({"services": [
        {"id": "ledger-api", "tier": 1, "depends_on": ["ledger-db"], "regions": ["eu-west"],
         "calendars": ["freeze", "batch"]},
        {"id": "ledger-db", "tier": 0, "regions": ["eu-west"]},
    ]}))
    .unwrap();
    let from = shipgate::parse_instant("2026-12-01T00:00:00Z").unwrap();
    let to = shipgate::parse_instant("2026-12-02T00:00:00Z").unwrap();
    let r = engine
        .service_calendar("ledger-api", &catalog, from, to)
        .unwrap();
    // The region's calendar, the scope's, then the catalog's not yet listed.
    assert_eq!(r.calendars, ["emea", "batch", "freeze"]);
    let open: Vec<String> = r
        .open
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                shipgate::format_instant(s.start),
                shipgate::format_instant(s.end)
            )
        })
        .collect();
    // Berlin 09:00-17:00 (08:00-16:00 UTC) less the Kolkata freeze (06:30-08:00 UTC): whole.
    assert_eq!(open, ["2026-12-01T08:00:00Z 2026-12-01T16:00:00Z"]);
    let names: Vec<&str> = r.blackouts.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["nightly batch", "card freeze"]);
    // Only the region applies to the database itself.
    let db = engine
        .service_calendar("ledger-db", &catalog, from, to)
        .unwrap();
    assert_eq!(db.calendars, ["emea"]);
    assert!(
        engine
            .service_calendar_ics("ledger-db", &catalog, from, to)
            .unwrap()
            .contains("X-WR-CALNAME:shipgate ledger-db\r\n")
    );
}

#[test]
fn everything_that_applies_to_a_change_includes_its_services_and_its_own_calendars() {
    let policy = format!(
        "{CALENDARS}calendar dba timezone \"Asia/Kolkata\" {{ window tue,thu 20:00-23:30 }}\n\
         services where \"ledger-db\" in s.upstream use batch\n\
         changes where \"database\" in change.kind use dba\n"
    );
    let engine = Engine::from_source(&policy, "p.gate").unwrap();
    let catalog = ledger_catalog();
    let change = Change::from_json(&json!({
        "id": "CHG-1", "services": ["ledger-api"], "requester": "a", "implementer": "b",
        "kind": ["database"], "duration": "30m", "start": "2026-12-01T02:30:00Z",
    }))
    .unwrap();
    let from = shipgate::parse_instant("2026-12-01T00:00:00Z").unwrap();
    let to = shipgate::parse_instant("2026-12-04T00:00:00Z").unwrap();
    let report = engine.change_calendar(&change, &catalog, from, to).unwrap();
    assert_eq!(report.calendars, ["emea", "batch", "dba"]);
    // Tuesday 20:00-23:30 IST is 14:30-18:00 UTC; emea closes at 16:00 UTC.
    let open: Vec<String> = report
        .open
        .iter()
        .map(|s| shipgate::format_instant(s.start))
        .collect();
    assert_eq!(open, ["2026-12-01T14:30:00Z", "2026-12-03T14:30:00Z"]);
    let window = engine
        .change_next_window(&change, &catalog, from)
        .unwrap()
        .unwrap();
    assert_eq!(shipgate::format_instant(window.0), "2026-12-01T14:30:00Z");
    assert_eq!(shipgate::format_instant(window.1), "2026-12-01T16:00:00Z");
    // The decision agrees: its whole-change window is the same stretch.
    let d = engine.evaluate(&change, &catalog, from, false).unwrap();
    let w = d.schedule.next_window.unwrap();
    assert_eq!((w.start, w.end), window);
}

#[test]
fn a_scope_condition_that_cannot_be_evaluated_applies_its_calendars_and_denies() {
    let policy = format!(
        "{CALENDARS}extend service {{ owner: string? }}\n\
         services where s.owner == \"ledger-team\" use batch\n"
    );
    let engine = Engine::from_source(&policy, "p.gate").unwrap();
    let catalog = ledger_catalog();
    let now = shipgate::parse_instant("2026-12-01T09:00:00Z").unwrap();
    let d = engine
        .evaluate(&change_of(&["reports"]), &catalog, now, false)
        .unwrap();
    let r = engine
        .evaluate_reference(&change_of(&["reports"]), &catalog, now, false)
        .unwrap();
    assert_eq!(d.to_json(), r.to_json());
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.reasons[0].rule, "schedule");
    assert!(
        d.reasons[0]
            .message
            .starts_with("`services where` for service reports could not be evaluated"),
        "{}",
        d.reasons[0].message
    );
    assert!(
        d.reasons[0].at.ends_with("p.gate:5:1"),
        "{}",
        d.reasons[0].at
    );
    // Its calendars apply all the same.
    assert_eq!(d.schedule.services[0].calendars, ["batch"]);
}
