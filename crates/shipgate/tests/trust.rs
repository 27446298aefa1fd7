//! Input checks that depend on more than one input (SPEC 8.1, 8.8): the catalog's keys and
//! groups against the policy that decides, and a waiver and a check's evidence against the
//! start the change is decided at.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use serde_json::json;
use shipgate::{Catalog, Change, Engine, Error, Instant};

fn at(text: &str) -> Instant {
    shipgate::parse_instant(text).unwrap()
}

fn change() -> Change {
    Change::from_json(&json!({
        "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bob",
        "start": "2026-12-01T10:00:00Z", "duration": "2h",
        "waivers": [{"rule": "cab_review", "by": "maria", "group": "change-manager",
                     "granted_at": "2026-12-01T08:00:00Z", "expires_at": "2026-12-01T12:00:00Z"}]
    }))
    .unwrap()
}

fn input_error(result: Result<shipgate::Decision, Error>) -> String {
    match result {
        Err(Error::Input(e)) => e.to_string(),
        other => panic!(
            "expected an input error, got {:?}",
            other.map(|d| d.verdict)
        ),
    }
}

/// The check of the catalog's extra keys is cached in the catalog for the policy that asked
/// first; a catalog shared by policies that declare different `extend service` fields must be
/// judged by each one's own declarations, whatever the order of the calls.
#[test]
fn the_catalog_is_checked_against_the_policy_that_decides() {
    // The change's waiver is in `change-manager`: a group the policy must know.
    let declares = Engine::from_source(
        "groups change-manager\nextend service { pci: bool? }",
        "a.gate",
    )
    .unwrap();
    let silent = Engine::from_source("tiers low, high", "b.gate").unwrap();
    // `pci` is on a service the change does not touch: the whole catalog is checked.
    let catalog = Catalog::from_json(&json!({"services": [
        {"id": "api", "tier": 1},
        {"id": "db", "tier": 0, "pci": true}
    ]}))
    .unwrap();
    let now = at("2026-12-01T09:00:00Z");
    for _ in 0..2 {
        assert!(declares.evaluate(&change(), &catalog, now, false).is_ok());
        let error = input_error(silent.evaluate(&change(), &catalog, now, false));
        assert!(
            error.starts_with("catalog.services[1].pci: unknown field; expected one of: id, "),
            "{error}"
        );
    }
    // A clone keeps the cached answer, and a policy compiled later (even from the same text)
    // is a different policy, checked afresh.
    let copy = catalog.clone();
    assert!(declares.evaluate(&change(), &copy, now, false).is_ok());
    let again = Engine::from_source("tiers low, high", "b.gate").unwrap();
    assert!(again.evaluate(&change(), &copy, now, false).is_err());
}

/// A waiver must cover the run of the change as decided: a session deciding the same change
/// at a later start stops honouring a waiver that expires before the new end.
#[test]
fn a_waiver_is_judged_against_each_decided_end() {
    let engine = Engine::from_source(
        "groups cab, change-manager\n\
         rule cab_review {\n  require approval \"cab\"\n}\n\
         waivable cab_review by \"change-manager\" max 72h\n",
        "w.gate",
    )
    .unwrap();
    let catalog = Catalog::from_json(&json!({"services": [{"id": "api", "tier": 1}]})).unwrap();
    let change = change();
    let session = engine
        .session(&change, &catalog, at("2026-12-01T09:00:00Z"))
        .unwrap();
    // Ends at 12:00, exactly when the waiver expires: covered.
    let on_time = session.decide_at(at("2026-12-01T10:00:00Z")).unwrap();
    assert!(on_time.waivers[0].honored);
    assert_eq!(on_time.verdict, shipgate::Verdict::Allow);
    // Ends at 12:01: not covered.
    let late = session.decide_at(at("2026-12-01T10:01:00Z")).unwrap();
    assert!(!late.waivers[0].honored);
    assert_eq!(late.waivers[0].why, "expires before the change ends");
    assert_eq!(late.verdict, shipgate::Verdict::Pending);
}

/// The catalog's groups are checked against the groups of the policy that decides (cached for
/// the first policy that asks, as the keys are): the same catalog is fine for one policy and an
/// input error for another, whatever the order of the calls.
#[test]
fn the_catalog_groups_are_checked_against_the_policy_that_decides() {
    let knows = Engine::from_source(
        "groups cab, change-manager\nrule cab_review {\n  require approval \"cab\"\n}\n\
         waivable cab_review by \"change-manager\" max 72h",
        "a.gate",
    )
    .unwrap();
    let other = Engine::from_source("groups change-manager, security", "b.gate").unwrap();
    let catalog = Catalog::from_json(&json!({
        "services": [{"id": "api", "tier": 1}],
        "groups": {"cab": ["eve"], "change-manager": ["maria"]}
    }))
    .unwrap();
    let now = at("2026-12-01T09:00:00Z");
    for _ in 0..2 {
        let error = input_error(other.evaluate(&change(), &catalog, now, false));
        assert_eq!(
            error,
            "catalog.groups.cab: unknown group \"cab\"; the policy's groups are: \
             change-manager, security"
        );
        let decision = knows.evaluate(&change(), &catalog, now, false).unwrap();
        // maria is a member of change-manager: her waiver lifts the CAB review.
        assert!(decision.waivers[0].honored, "{:?}", decision.waivers);
    }
}

/// `require check ... within D` is judged against the start each decision is made at: a
/// session deciding a later start no longer counts a check that is then too old.
#[test]
fn a_check_within_is_judged_against_each_decided_start() {
    let engine = Engine::from_source(
        "rule rehearsal {\n  require check \"rollback-rehearsal\" within 30d\n}",
        "c.gate",
    )
    .unwrap();
    let catalog = Catalog::from_json(&json!({"services": [{"id": "api", "tier": 1}]})).unwrap();
    let change = Change::from_json(&json!({
        "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bob",
        "duration": "2h",
        "checks": [{"name": "rollback-rehearsal", "status": "passed",
                    "at": "2026-11-01T10:00:00Z"}]
    }))
    .unwrap();
    let session = engine
        .session(&change, &catalog, at("2026-11-15T09:00:00Z"))
        .unwrap();
    // Exactly 30 days after the check: it counts.
    let on_time = session.decide_at(at("2026-12-01T10:00:00Z")).unwrap();
    assert_eq!(on_time.verdict, shipgate::Verdict::Allow);
    assert_eq!(on_time.requirements[0].within.as_deref(), Some("30d"));
    // One second later: too old.
    let late = session.decide_at(at("2026-12-01T10:00:01Z")).unwrap();
    assert_eq!(late.verdict, shipgate::Verdict::Pending);
    assert_eq!(
        late.requirements[0].ignored[0].why.to_string(),
        "older than 30d"
    );
}
