//! A decision identifies itself (SPEC 8.2): `change`, `now`, `engine`, and the `policy` and
//! `inputs` digests, recomputed here by other code than the engine's (the byte formats of
//! docs/semantics.md, hashed with `sha2` directly, and canonical JSON written by hand).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use shipgate::{Catalog, Change, Decision, Engine, Format, Verdict};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn case_dir() -> PathBuf {
    repo_root().join("tests/cases/identity-keys")
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// The policy digest of docs/semantics.md, by hand: name NUL length NUL bytes, names sorted.
fn policy_digest(files: &[(&str, Vec<u8>)]) -> String {
    let mut files: Vec<&(&str, Vec<u8>)> = files.iter().collect();
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut all = Vec::new();
    for (name, bytes) in files {
        all.extend_from_slice(name.as_bytes());
        all.push(0);
        all.extend_from_slice(bytes.len().to_string().as_bytes());
        all.push(0);
        all.extend_from_slice(bytes);
    }
    sha256(&all)
}

fn now() -> shipgate::Instant {
    shipgate::parse_instant("2026-12-01T09:00:00Z").unwrap()
}

fn decide(engine: &Engine, change: &Change, catalog: &Catalog) -> Decision {
    engine.evaluate(change, catalog, now(), false).unwrap()
}

#[test]
fn the_policy_digest_is_recomputed_from_the_files() {
    let dir = case_dir();
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let expected = policy_digest(&[
        ("policy.gate", read("policy.gate")),
        ("calendars/holidays.ics", read("calendars/holidays.ics")),
    ]);
    let engine = Engine::from_path(&dir).unwrap();
    let catalog = Catalog::from_path(dir.join("catalog.json")).unwrap();
    let change = Change::from_path(dir.join("change.json")).unwrap();
    let d = decide(&engine, &change, &catalog);
    assert_eq!(d.policy, expected);
    // The same files, however the folder is named: the names are relative.
    let engine = Engine::from_path(dir.join("../identity-keys/.")).unwrap();
    assert_eq!(decide(&engine, &change, &catalog).policy, expected);
    // Given as a file, not a folder: the same set.
    let engine = Engine::from_path(dir.join("policy.gate")).unwrap();
    assert_eq!(decide(&engine, &change, &catalog).policy, expected);
}

#[test]
fn the_policy_digest_of_text_names_the_one_file_as_given() {
    let text = "rule big { deny when change.size > 100 }\n";
    let engine = Engine::from_source(text, "rules.gate").unwrap();
    let expected = policy_digest(&[("rules.gate", text.as_bytes().to_vec())]);
    let catalog =
        Catalog::from_json(&serde_json::json!({"services": [{"id": "a", "tier": 1}]})).unwrap();
    let change = Change::from_json(&serde_json::json!({
        "id": "C", "services": ["a"], "requester": "r", "implementer": "i", "duration": "1h"
    }))
    .unwrap();
    assert_eq!(decide(&engine, &change, &catalog).policy, expected);
    // A folder holding only that file gives the same digest.
    let dir = std::env::temp_dir().join(format!("shipgate-identity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("rules.gate"), text).unwrap();
    let from_folder = Engine::from_path(&dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(decide(&from_folder, &change, &catalog).policy, expected);
    // Any byte of the policy changes it.
    let other = Engine::from_source(&text.replace("100", "101"), "rules.gate").unwrap();
    assert_ne!(decide(&other, &change, &catalog).policy, expected);
}

#[test]
fn the_inputs_digest_is_recomputed_from_canonical_json() {
    let dir = case_dir();
    let engine = Engine::from_path(&dir).unwrap();
    let catalog = Catalog::from_path(dir.join("catalog.json")).unwrap();
    let change = Change::from_path(dir.join("change.json")).unwrap();
    // RFC 8785 by hand: members sorted, no spaces, `2.0` is `2`, `0.5` stays, the offset kept.
    let canonical = concat!(
        r#"{"catalog":{"services":[{"error_budget":0.5,"id":"payments-api","regions":["eu-west"],"tier":1}]},"#,
        r#""change":{"duration":"1h","id":"CHG-2006","implementer":"chen","requester":"bob","#,
        r#""services":["payments-api"],"size":2,"start":"2026-12-01T11:00:00+01:00"}}"#
    );
    let d = decide(&engine, &change, &catalog);
    assert_eq!(d.inputs, sha256(canonical.as_bytes()).as_str());
    assert_eq!(d.change, "CHG-2006");
    assert_eq!(shipgate::format_instant(d.now), "2026-12-01T09:00:00Z");
    assert_eq!(d.engine, format!("shipgate {}", env!("CARGO_PKG_VERSION")));
    // Read as the JSON tree, from text, or from a list of changes: the same.
    let text = std::fs::read_to_string(dir.join("change.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    for other in [
        Change::from_json(&value).unwrap(),
        Change::from_text(&text, Format::Json).unwrap(),
        // Each change of a list keeps its own text.
        shipgate::changes_from_text(&format!("[{text}, {}]", base_change()), Format::Json)
            .unwrap()
            .remove(0),
        shipgate::changes_from_json(&serde_json::json!([value])).unwrap()[0].clone(),
    ] {
        assert_eq!(decide(&engine, &other, &catalog).inputs, d.inputs);
    }
    // The catalog read from text (its fast path) or as a tree: the same.
    let catalog_text = std::fs::read_to_string(dir.join("catalog.json")).unwrap();
    let tree = Catalog::from_json(&serde_json::from_str(&catalog_text).unwrap()).unwrap();
    assert_eq!(decide(&engine, &change, &tree).inputs, d.inputs);
}

fn base_change() -> serde_json::Value {
    serde_json::json!({
        "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bo",
        "size": 2, "labels": ["a", "b"], "start": "2026-12-01T10:00:00Z", "duration": "1h",
        "approvals": [{"by": "chen", "group": "cab", "at": "2026-11-30T15:00:00Z"}]
    })
}

fn inputs_of(change: &Change) -> String {
    let engine = Engine::from_source("groups cab\nrule r { deny when false }", "p.gate").unwrap();
    let catalog =
        Catalog::from_json(&serde_json::json!({"services": [{"id": "api", "tier": 1}]})).unwrap();
    decide(&engine, change, &catalog).inputs.to_string()
}

#[test]
fn the_inputs_digest_ignores_key_order_number_spelling_and_format() {
    let base = inputs_of(&Change::from_json(&base_change()).unwrap());
    let reordered = r#"{"duration": "1h", "start": "2026-12-01T10:00:00Z",
        "approvals": [{"at": "2026-11-30T15:00:00Z", "group": "cab", "by": "chen"}],
        "labels": ["a", "b"], "size": 2.0, "implementer": "bo", "requester": "ana",
        "services": ["api"], "id": "CHG-1"}"#;
    assert_eq!(
        inputs_of(&Change::from_text(reordered, Format::Json).unwrap()),
        base
    );
    let spelled = r#"{"id":"CHG-1","services":["api"],"requester":"ana","implementer":"bo",
        "size":2e0,"labels":["a","b"],"start":"2026-12-01T10:00:00Z","duration":"1h",
        "approvals":[{"by":"chen","group":"cab","at":"2026-11-30T15:00:00Z"}]}"#;
    assert_eq!(
        inputs_of(&Change::from_text(spelled, Format::Json).unwrap()),
        base
    );
    let yaml = "id: CHG-1\nservices: [api]\nrequester: ana\nimplementer: bo\nsize: 2.0\n\
                labels: [a, b]\nstart: \"2026-12-01T10:00:00Z\"\nduration: 1h\n\
                approvals:\n  - {by: chen, group: cab, at: \"2026-11-30T15:00:00Z\"}\n";
    assert_eq!(
        inputs_of(&Change::from_text(yaml, Format::Yaml).unwrap()),
        base
    );
}

#[test]
fn the_inputs_digest_changes_with_any_value() {
    let base = inputs_of(&Change::from_json(&base_change()).unwrap());
    let edits: [(&str, serde_json::Value); 5] = [
        ("size", serde_json::json!(3)),
        ("labels", serde_json::json!(["b", "a"])),
        ("duration", serde_json::json!(3600)),
        ("start", serde_json::json!("2026-12-01T11:00:00+01:00")),
        ("title", serde_json::json!("")),
    ];
    for (key, value) in edits {
        let mut other = base_change();
        other[key] = value;
        let other = inputs_of(&Change::from_json(&other).unwrap());
        assert_ne!(other, base, "{key}");
    }
}

#[test]
fn a_change_edited_after_reading_keeps_the_digest_of_what_was_read() {
    let read = Change::from_json(&base_change()).unwrap();
    let mut edited = read.clone();
    edited.size = 900;
    assert_eq!(inputs_of(&edited), inputs_of(&read));
}

#[test]
fn sessions_and_batches_carry_the_same_identity() {
    let dir = case_dir();
    let engine = Engine::from_path(&dir).unwrap();
    let catalog = Catalog::from_path(dir.join("catalog.json")).unwrap();
    let change = Change::from_path(dir.join("change.json")).unwrap();
    let d = decide(&engine, &change, &catalog);
    let session = engine.session(&change, &catalog, now()).unwrap();
    let later = session.decide_at(shipgate::parse_instant("2026-12-02T10:00:00Z").unwrap());
    let later = later.unwrap();
    assert_eq!(
        (&later.change, later.now, &later.policy, &later.inputs),
        (&d.change, d.now, &d.policy, &d.inputs)
    );
    let many = engine.evaluate_many(&[change.clone(), change], &catalog, now());
    for m in many {
        let m = m.unwrap();
        assert_eq!((&m.policy, &m.inputs), (&d.policy, &d.inputs));
        assert_eq!(m.verdict, Verdict::Allow);
    }
}

/// The keys of the decision JSON, in the order of docs/semantics.md.
#[test]
fn the_json_puts_the_identity_first_and_last() {
    let dir = case_dir();
    let engine = Engine::from_path(&dir).unwrap();
    let catalog = Catalog::from_path(dir.join("catalog.json")).unwrap();
    let change = Change::from_path(dir.join("change.json")).unwrap();
    let json = decide(&engine, &change, &catalog).to_json();
    let keys: Vec<&str> = json
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .map(|l| l.trim_start().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "verdict",
            "change",
            "now",
            "tier",
            "reasons",
            "requirements",
            "exemptions",
            "waivers",
            "schedule",
            "strategy",
            "rollback",
            "notify",
            "order",
            "trace",
            "policy",
            "inputs",
            "engine"
        ]
    );
}
