//! A change read for an engine (`Engine::read_change`, `Engine::prepare_change`): its
//! `extend change` values are checked once, when it is read, with the errors an evaluation
//! gives, and kept typed for that engine only. Decisions on it are the same as on the change
//! read without the engine (`proptest_extend.rs` compares them on random conditions).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use serde_json::json;
use shipgate::{Catalog, Change, Engine, Format};

const POLICY: &str = r#"
extend change { ticket: string, risk: int, pci: bool, roles: list<string>, score: float?,
                window: duration?, due: date?, at: datetime? }
rule no_ticket {
  deny when not starts_with(change.ticket, "CHG-")
}
rule risky {
  deny when change.risk > 3 and not ("sre" in change.roles)
}
"#;

fn engine() -> Engine {
    Engine::from_source(POLICY, "typed.gate").unwrap()
}

fn catalog() -> Catalog {
    Catalog::from_json(&json!({ "services": [
        { "id": "api", "team": "t", "tier": 1, "regions": ["eu"] }
    ]}))
    .unwrap()
}

fn change_json() -> serde_json::Value {
    json!({
        "id": "C1", "title": "t", "services": ["api"], "requester": "r", "implementer": "i",
        "start": "2026-12-01T10:00:00Z", "duration": "1h",
        "ticket": "CHG-1", "risk": 5, "pci": false, "roles": ["dev", "qa"], "score": 0.5,
        "window": "2h", "due": "2026-12-24", "at": null
    })
}

fn now() -> shipgate::Instant {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

/// The error of preparing `json`, and of evaluating it unprepared: they must be the same.
fn both_errors(json: serde_json::Value) -> (String, String) {
    let engine = engine();
    let mut change = Change::from_json(&json).unwrap();
    let evaluated = engine
        .evaluate(&change, &catalog(), now(), false)
        .unwrap_err()
        .to_string();
    let prepared = engine.prepare_change(&mut change).unwrap_err().to_string();
    (prepared, evaluated)
}

#[test]
fn a_read_change_decides_as_the_change_read_alone_and_keeps_its_digest() {
    let engine = engine();
    let text = change_json().to_string();
    let plain = Change::from_text(&text, Format::Json).unwrap();
    let typed = engine.read_change(&text, Format::Json).unwrap();
    assert!(!plain.extra.is_empty());
    assert!(
        typed.extra.is_empty(),
        "the extend values moved into their slots"
    );
    for explain in [false, true] {
        let a = engine.evaluate(&plain, &catalog(), now(), explain).unwrap();
        let b = engine.evaluate(&typed, &catalog(), now(), explain).unwrap();
        assert_eq!(a.to_json(), b.to_json());
        assert_eq!(
            b.verdict,
            shipgate::Verdict::Deny,
            "risk 5 without the sre role"
        );
    }
    // Preparing it again for the same engine changes nothing.
    let mut again = typed.clone();
    engine.prepare_change(&mut again).unwrap();
    assert_eq!(again, typed);
}

#[test]
fn key_and_value_errors_come_when_the_change_is_read_and_read_as_an_evaluation_gives_them() {
    let mut misspelt = change_json();
    misspelt["tikcet"] = json!("CHG-2");
    let (prepared, evaluated) = both_errors(misspelt);
    assert_eq!(prepared, evaluated);
    assert!(prepared.contains("tikcet"), "{prepared}");

    let mut wrong_type = change_json();
    wrong_type["risk"] = json!("high");
    let (prepared, evaluated) = both_errors(wrong_type);
    assert_eq!(prepared, evaluated);
    assert!(prepared.contains("change.risk"), "{prepared}");

    let mut wrong_item = change_json();
    wrong_item["roles"] = json!(["dev", 3]);
    let (prepared, evaluated) = both_errors(wrong_item);
    assert_eq!(prepared, evaluated);
    assert!(prepared.contains("change.roles[1]"), "{prepared}");

    let mut missing = change_json();
    missing.as_object_mut().unwrap().remove("pci");
    let (prepared, evaluated) = both_errors(missing);
    assert_eq!(prepared, evaluated);
    assert!(prepared.contains("change.pci"), "{prepared}");

    // Through `read_change`, from text.
    let engine = engine();
    let mut bad_date = change_json();
    bad_date["due"] = json!("24/12/2026");
    let err = engine
        .read_change(&bad_date.to_string(), Format::Json)
        .unwrap_err();
    assert!(err.to_string().contains("change.due"), "{err}");
}

#[test]
fn a_change_read_for_one_engine_is_refused_by_another() {
    let first = engine();
    let second = engine();
    let typed = first
        .read_change(&change_json().to_string(), Format::Json)
        .unwrap();
    let err = second
        .evaluate(&typed, &catalog(), now(), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("read for another policy"), "{err}");
    let mut again = typed.clone();
    let err = second.prepare_change(&mut again).unwrap_err().to_string();
    assert!(err.contains("read for another policy"), "{err}");
}

#[test]
fn a_field_added_after_reading_is_refused_not_ignored() {
    let engine = engine();
    let mut typed = engine
        .read_change(&change_json().to_string(), Format::Json)
        .unwrap();
    typed.extra.insert("risk".into(), json!(1));
    let err = engine
        .evaluate(&typed, &catalog(), now(), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("change.risk"), "{err}");
    assert!(err.contains("added after"), "{err}");
    let err = engine.prepare_change(&mut typed).unwrap_err().to_string();
    assert!(err.contains("added after"), "{err}");
}

#[test]
fn a_policy_with_a_record_field_checks_the_change_and_keeps_its_values_in_extra() {
    let policy = r#"
extend change { backup: {service: string, taken_at: datetime}, ticket: string }
rule old_backup {
  deny when change.backup.taken_at < change.start - 1d
}
"#;
    let engine = Engine::from_source(policy, "record.gate").unwrap();
    let mut json = change_json();
    let obj = json.as_object_mut().unwrap();
    for k in ["risk", "pci", "roles", "score", "window", "due", "at"] {
        obj.remove(k);
    }
    obj.insert(
        "backup".into(),
        json!({ "service": "api", "taken_at": "2026-11-01T00:00:00Z" }),
    );
    let plain = Change::from_json(&json).unwrap();
    let mut typed = plain.clone();
    engine.prepare_change(&mut typed).unwrap();
    assert_eq!(
        typed.extra, plain.extra,
        "not typed: the values stay where they are read"
    );
    let a = engine.evaluate(&plain, &catalog(), now(), false).unwrap();
    let b = engine.evaluate(&typed, &catalog(), now(), false).unwrap();
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(b.verdict, shipgate::Verdict::Deny);
    // And it is still checked when read.
    json["backup"]["taken_at"] = json!("soon");
    let mut bad = Change::from_json(&json).unwrap();
    let err = engine.prepare_change(&mut bad).unwrap_err().to_string();
    assert!(err.contains("change.backup.taken_at"), "{err}");
}
