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
