use serde_json::json;

use super::*;

#[test]
fn the_stored_hash_is_the_crates_rfc_8785_form_of_the_record_without_hash() {
    let decision = json!({"change": "CHG-1", "b": [1.5, "é\u{1}"], "a": {"z": 1e21, "y": null}});
    let canonical = serde_json_canonicalizer::to_string(&decision).unwrap();
    let (line, hash) = record_line(7, "2026-12-01T10:00:00Z", &canonical, Some("sha256:ab"));
    let mut value: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(value["hash"], json!(hash));
    value.as_object_mut().unwrap().remove("hash");
    let expected = serde_json_canonicalizer::to_vec(&value).unwrap();
    assert_eq!(hash, format!("sha256:{:x}", Sha256::digest(&expected)));
    // The line keeps the contract's key order.
    assert!(line.starts_with("{\"seq\":7,\"at\":\"2026-12-01T10:00:00Z\",\"decision\":{\"a\""));
    assert!(read_record(line.as_bytes(), 7, None).is_ok());
}

#[test]
fn a_url_password_never_reaches_a_message() {
    assert_eq!(
        redact("postgres://ci:s3cret@db:5432/audit?sslmode=disable"),
        "postgres://ci:***@db:5432/audit?sslmode=disable"
    );
    assert_eq!(redact("postgres://ci@db/audit"), "postgres://ci@db/audit");
    assert_eq!(redact("postgres://db/a@b"), "postgres://db/a@b");
}

#[test]
fn a_record_with_an_unknown_key_or_a_missing_one_is_malformed() {
    let (line, _) = record_line(1, "2026-12-01T10:00:00Z", r#"{"change":"C"}"#, None);
    let extra = line.replacen("{\"seq\"", "{\"x\":1,\"seq\"", 1);
    let t = read_record(extra.as_bytes(), 1, Some(1)).unwrap_err();
    assert_eq!((t.kind, t.seq), (TamperKind::Malformed, 1));
    assert!(t.message.contains("unknown key `x`"), "{}", t.message);
    let no_at = line.replacen("\"at\":\"2026-12-01T10:00:00Z\",", "", 1);
    let t = read_record(no_at.as_bytes(), 1, Some(1)).unwrap_err();
    assert!(t.message.contains("`at` is not a string"), "{}", t.message);
}
