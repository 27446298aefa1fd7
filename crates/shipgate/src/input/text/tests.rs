use std::time::{Duration, Instant};

use super::*;
use crate::input::{Change, Format, parse_document};

fn yaml_error(text: &str) -> InputError {
    match parse_document(text, Format::Yaml, "change") {
        Ok(v) => panic!("accepted: {v}"),
        Err(e) => e,
    }
}

#[test]
fn input_larger_than_the_limit_is_an_error_naming_it() {
    let err = read_input_text(std::io::repeat(b'a'), "big.json", 1000);
    let Err(Error::Io { path, message }) = err else {
        panic!("not refused: {err:?}")
    };
    assert_eq!(path, "big.json");
    assert_eq!(
        message,
        "the input is larger than the limit of 1000 bytes (raise it with the max-input-bytes \
         option)"
    );
    // Exactly the limit is fine.
    let text = read_input_text(&[b'a'; 1000][..], "ok.json", 1000);
    assert_eq!(text.ok().map(|t| t.len()), Some(1000));
}

#[test]
fn input_that_is_not_utf8_is_an_error() {
    let err = read_input_text(&b"{\"id\": \"\xff\"}"[..], "bad.json", 1000);
    let Err(Error::Io { message, .. }) = err else {
        panic!("not refused: {err:?}")
    };
    assert!(message.contains("not UTF-8"), "{message}");
}

#[test]
fn deeply_nested_yaml_is_refused_before_parsing_and_quickly() {
    for text in [
        "[".repeat(100_000),
        "{a: ".repeat(50_000),
        "- ".repeat(100_000),
        (0..20_000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect::<String>(),
        (0..20_000)
            .map(|i| format!("{}k{i}:\r", " ".repeat(i)))
            .collect::<String>(),
    ] {
        let started = Instant::now();
        let err = yaml_error(&text);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert!(
            err.message
                .contains("lists and objects may nest at most 128 levels"),
            "{err}"
        );
        assert_eq!(err.path, "change");
    }
}

#[test]
fn nesting_up_to_the_limit_is_read() {
    let flow = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    assert!(parse_document(&flow, Format::Yaml, "x").is_ok());
    let block: String = (0..100)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect::<String>()
        + &"  ".repeat(100)
        + "v: 1\n";
    assert!(parse_document(&block, Format::Yaml, "x").is_ok());
    // Brackets in quotes, comments and block scalars are text, not nesting.
    let text = format!(
        "a: \"{0}\"\nb: '{0}'\nc: 1 # {0}\nd: |\n  {0}\n    {0}\ne: 2\n",
        "[".repeat(300)
    );
    let value = parse_document(&text, Format::Yaml, "x");
    assert_eq!(
        value.ok().and_then(|v| v.get("e").cloned()),
        Some(serde_json::json!(2))
    );
}

#[test]
fn the_nesting_error_names_the_line_whatever_the_line_ends() {
    for end in ["\n", "\r\n", "\r"] {
        let text = format!("a: 1{end}b: 2{end}c: {}", "[".repeat(200));
        let err = yaml_error(&text);
        assert!(
            err.message.starts_with("nested too deeply at line 3:"),
            "{err}"
        );
    }
}

#[test]
fn deeply_nested_json_names_the_limit() {
    let text = "[".repeat(1000);
    let err = parse_document(&text, Format::Json, "change");
    let Err(err) = err else { panic!("accepted") };
    assert!(
        err.message
            .contains("nested too deeply at line 1: lists and objects may nest at most 128"),
        "{err}"
    );
}

#[test]
fn a_key_given_twice_is_an_error_naming_its_path() {
    let cases = [
        (r#"{"id": "a", "id": "b"}"#, Format::Json, "change.id"),
        (
            r#"{"approvals": [{"by": "x", "by": "y"}]}"#,
            Format::Json,
            "change.approvals[0].by",
        ),
        (
            r#"{"team": {"on": {"x": 1, "x": 2}}}"#,
            Format::Json,
            "change.team.on.x",
        ),
        ("id: a\nid: b\n", Format::Yaml, "change.id"),
        (
            "approvals:\n  - by: x\n    by: y\n",
            Format::Yaml,
            "change.approvals[0].by",
        ),
    ];
    for (text, format, path) in cases {
        let err = parse_document(text, format, "change");
        let Err(err) = err else {
            panic!("accepted {text}")
        };
        assert_eq!(err.path, path, "{text}");
        assert!(err.message.contains("given twice"), "{err}");
    }
}

#[test]
fn a_key_given_twice_is_refused_by_the_fast_path_too() {
    // Inside an extend value (read as a tree by the fast path) and at the top.
    for text in [
        r#"{"id":"c","services":["a"],"start":"2026-01-05T10:00:00Z","duration":"1h","ticket":{"n":1,"n":2}}"#,
        r#"{"id":"c","id":"d","services":["a"],"start":"2026-01-05T10:00:00Z","duration":"1h"}"#,
    ] {
        let err = Change::from_text(text, Format::Json);
        let Err(err) = err else {
            panic!("accepted {text}")
        };
        assert!(err.message.contains("given twice"), "{err}");
    }
}

#[test]
fn values_read_as_serde_json_reads_them() {
    let text =
        r#"{"a": [1, -2, 3.5, 1e400, "s", null, true, {"b": {}}], "c": 18446744073709551615}"#;
    let ours = parse_document(text, Format::Json, "x").ok();
    // 1e400 is out of range for both: serde_json refuses it.
    assert!(ours.is_none());
    let text =
        r#"{"a": [1, -2, 3.5, "s\u00e9", null, true, {"b": {}}], "c": 18446744073709551615}"#;
    let ours = parse_document(text, Format::Json, "x").ok();
    let theirs: Option<Value> = serde_json::from_str(text).ok();
    assert!(ours.is_some());
    assert_eq!(ours, theirs);
}
