//! Calendars of services and of changes (SPEC 8.3): `services where ... use ...`,
//! `changes where ... use ...`, `s.upstream` and a catalog service's `"calendars"`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use shipgate::{Engine, Error};

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
            "{CALENDARS}services where s.legacy or s.team == \"core\" use batch\n\
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
