//! The fast JSON path against the slow reader (the `Value` tree): for any text, the public
//! result must be the slow reader's, and whatever the fast path accepts it must build exactly
//! as the slow reader does.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::graph::Catalog;
use crate::input::{
    CHANGE_FIELDS, Change, Format, InputError, SERVICE_FIELDS, changes_from_text,
    changes_from_text_slow, parse_document,
};

fn slow(text: &str) -> Result<Change, InputError> {
    Change::from_text_slow(text, Format::Json)
}

/// Changes a change is read into in place: every field given (an `extend` one too, checks
/// with their evidence), and the fewest.
const EARLIER: [&str; 2] = [
    r#"{"id": "CHG-0", "title": "t", "kind": ["database", "config"], "services": ["api", "db", "web"], "requester": "cy", "implementer": "dee", "approvals": [{"by": "cleo", "group": "cab", "at": "2026-10-01T09:00:00Z"}, {"by": "eli", "group": "dba", "at": "2026-10-01T09:30:00+01:00"}, {"by": "fay", "group": "cab", "at": "2026-10-01T09:00:00Z"}], "checks": ["unit", {"name": "scan", "status": "failed", "at": "2026-10-01T08:00:00Z", "url": "https://ci/1"}], "emergency": true, "incident": {"id": "INC-1", "severity": 2, "opened": "2026-10-01T07:00:00Z"}, "start": "2026-10-02T10:00:00Z", "duration": "2h", "regions": ["eu"], "size": 7, "labels": ["wip"], "backward_compatible": true, "contract_verified": true, "after": ["CHG-1"], "waivers": [{"rule": "r", "by": "fay", "group": "cab", "reason": "x", "granted_at": "2026-10-01T00:00:00Z", "expires_at": "2026-10-09T00:00:00Z"}], "rollout": "per_region", "soak": 60, "cost_center": "CC-1"}"#,
    r#"{"id": "C", "services": [], "requester": "", "implementer": "", "duration": 0}"#,
];

/// `text` read in place (`ChangeInto`) into nothing and into each earlier change: accepted
/// exactly when the fast path accepts it, and then read as the fast path reads it, whatever
/// the change held before.
fn check_in_place(text: &str, fast: Option<&Change>) {
    use serde::de::DeserializeSeed;
    let earlier = EARLIER.map(|t| Some(super::change(t).unwrap()));
    for before in [None].iter().chain(&earlier) {
        let mut slot = before.clone();
        let mut de = serde_json::Deserializer::from_str(text);
        let read = super::ChangeInto(&mut slot).deserialize(&mut de).is_ok() && de.end().is_ok();
        assert_eq!(
            read,
            fast.is_some(),
            "read in place or not as the fast path: {text}"
        );
        if read {
            assert_eq!(slot.as_ref(), fast, "read in place: {text}");
        }
    }
}

/// `text` read by the public reader, checked against the slow reader; also whether the fast
/// path accepted it.
fn check(text: &str) -> (Result<Change, InputError>, bool) {
    let want = slow(text);
    let fast = super::change(text);
    if let Some(fast) = &fast {
        assert_eq!(Ok(fast), want.as_ref(), "fast path accepted {text}");
    }
    check_in_place(text, fast.as_ref());
    let got = Change::from_text(text, Format::Json);
    assert_eq!(got, want, "{text}");
    (got, fast.is_some())
}

fn catalog_slow(text: &str) -> Result<Catalog, InputError> {
    Catalog::from_json(&parse_document(text, Format::Json, "catalog")?)
}

/// The services and groups of a catalog result (a `Catalog` has no `PartialEq`).
fn services(
    catalog: Result<Catalog, InputError>,
) -> Result<(Vec<crate::input::Service>, super::Groups), InputError> {
    catalog.map(|c| (c.services().to_vec(), c.groups().clone()))
}

const MINIMAL: &str = r#"{"id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bob", "duration": "2h""#;

/// The minimal change with `fields` (JSON text such as `"size": 3`) added at the end.
fn minimal_with(fields: &str) -> String {
    if fields.is_empty() {
        format!("{MINIMAL}}}")
    } else {
        format!("{MINIMAL}, {fields}}}")
    }
}

// --- named cases ------------------------------------------------------------------------------

#[test]
fn example_changes_take_the_fast_path() {
    let examples = [
        include_str!("../../../../../policies/changes/chg-1042-checkout-copy.json"),
        include_str!("../../../../../policies/changes/chg-1043-ledger-migration.json"),
        include_str!("../../../../../policies/changes/chg-1045-hotfix.json"),
        include_str!("../../../../../policies/changes/chg-1046-partner-api.json"),
        include_str!("../../../../../policies/changes/chg-1047-portal-export.json"),
    ];
    for text in examples {
        let (got, fast) = check(text);
        assert!(got.is_ok() && fast, "{text}");
    }
}

#[test]
fn every_field_is_read_on_the_fast_path() {
    let text = r#"{
        "id": "CHG-7", "title": "Upgrade \"ledger\" \u00e9\ud83d\ude00", "kind": ["database"],
        "services": ["ledger-db", "payments-api"], "requester": "ana", "implementer": "bob",
        "approvals": [{"at": "2026-11-30T09:00:00+01:00", "by": "carl", "group": "cab"}],
        "checks": ["schema"], "emergency": true,
        "incident": {"id": "INC-9", "severity": -2, "opened": null},
        "start": "2026-12-01T10:00Z", "duration": 5400.0, "regions": [],
        "size": 1e3, "labels": ["launch"], "backward_compatible": true,
        "contract_verified": false, "after": ["CHG-6"],
        "waivers": [{"rule": "cab_review", "by": "eve", "group": "cm",
                     "granted_at": "2026-11-30T08:00:00Z", "expires_at": "2026-12-02T08:00:00Z"}],
        "ticket": {"n": [1, 2.5, null], "m": "last"}, "cost_center": null, "my key": -0
    }"#;
    let (got, fast) = check(text);
    assert!(fast);
    let c = got.unwrap();
    assert_eq!(c.title, "Upgrade \"ledger\" é😀");
    assert_eq!(c.duration, 5400);
    assert_eq!(c.size, 1000);
    assert_eq!(c.regions, Some(vec![]));
    assert_eq!(c.incident.map(|i| (i.severity, i.opened)), Some((-2, None)));
    assert_eq!(c.waivers[0].reason, "");
    assert_eq!(
        c.extra.get("ticket"),
        Some(&json!({"n": [1, 2.5, null], "m": "last"}))
    );
    assert_eq!(c.extra.get("cost_center"), Some(&Value::Null));
    assert_eq!(c.extra.get("my key"), Some(&json!(-0.0)));
    for field in CHANGE_FIELDS {
        assert!(!c.extra.contains_key(*field), "{field}");
    }
}

#[test]
fn a_repeated_key_goes_to_the_slow_reader_which_refuses_it() {
    // Parsers differ on which of two values wins: the key given twice is an error, at its path.
    let twice = |fields: &str, path: &str| {
        let (got, fast) = check(&minimal_with(fields));
        assert!(!fast, "{fields}");
        assert_eq!(
            got.unwrap_err().to_string(),
            format!("{path}: this key is given twice in the same object (a key may appear once)"),
        );
    };
    twice(r#""size": -1, "size": 3"#, "change.size");
    twice(r#""size": 3, "size": -1"#, "change.size");
    // A key written with an escape is the same key.
    twice(r#""\u0069d": "CHG-2""#, "change.id");
    // In an extend field, inside its value, and in a nested record.
    twice(r#""ticket": 1, "ticket": 2"#, "change.ticket");
    twice(r#""ticket": {"n": 1, "n": 1}"#, "change.ticket.n");
    twice(
        r#""approvals": [{"by": "a", "by": "b", "group": "g", "at": "2026-12-01T10:00Z"}]"#,
        "change.approvals[0].by",
    );
}

#[test]
fn escaped_keys_are_matched_after_unescaping() {
    let (got, fast) = check(&minimal_with(r#""siz\u0065": 4, "blast": 1"#));
    assert!(fast);
    let c = got.unwrap();
    assert_eq!(c.size, 4);
    assert_eq!(c.extra.get("blast"), Some(&json!(1)));
    assert_eq!(
        check(&minimal_with(r#""blast\u005fradius": 1"#))
            .0
            .unwrap_err()
            .to_string(),
        "change.blast_radius: this field is computed from the catalog and cannot be given"
    );
}

#[test]
fn numbers_read_as_the_tree_reads_them() {
    let sizes = [
        ("-0", Ok(0)),
        ("-0.0", Ok(0)),
        ("1.0", Ok(1)),
        ("1e3", Ok(1000)),
        ("1E+2", Ok(100)),
        ("0.1e1", Ok(1)),
        ("9223372036854775807", Ok(i64::MAX)),
        (
            "9223372036854775808",
            Err("change.size: integer too large: 9223372036854775808"),
        ),
        // Past u64 the parser makes a float, which is whole but out of range.
        (
            "18446744073709551616",
            Err("change.size: expected an integer, got 1.8446744073709552e+19"),
        ),
        ("1e-3", Err("change.size: expected an integer, got 0.001")),
        (
            "-1e3",
            Err("change.size: expected a non-negative integer, got -1000.0"),
        ),
    ];
    for (number, want) in sizes {
        let got = check(&minimal_with(&format!("\"size\": {number}"))).0;
        assert_eq!(
            got.map(|c| c.size).map_err(|e| e.to_string()),
            want.map_err(str::to_string),
            "{number}"
        );
    }
    let got = check(&minimal_with(r#""size": 1e400"#)).0.unwrap_err();
    assert!(got.message.starts_with("invalid JSON"), "{got}");
    // Severity may be negative; a duration of exactly 100 years is allowed, one second more not.
    let incident = r#""incident": {"id": "I", "severity": -9223372036854775808}"#;
    assert_eq!(
        check(&minimal_with(incident))
            .0
            .unwrap()
            .incident
            .unwrap()
            .severity,
        i64::MIN
    );
    let duration = |d: &str| {
        check(&format!(
            r#"{{"id": "C", "services": [], "requester": "a", "implementer": "b", "duration": {d}}}"#
        ))
        .0
        .map(|c| c.duration)
        .map_err(|e| e.to_string())
    };
    assert_eq!(duration("3153600000"), Ok(3_153_600_000));
    assert_eq!(duration("3153600000.0"), Ok(3_153_600_000));
    assert_eq!(
        duration("3153600001"),
        Err("change.duration: duration too large (at most 100 years), got 3153600001".into())
    );
    assert_eq!(
        duration("-0"),
        Ok(0),
        "-0 is a float zero, not a negative duration"
    );
    assert_eq!(
        duration("18446744073709551615"),
        Err("change.duration: expected a whole number of seconds, got 18446744073709551615".into())
    );
}

#[test]
fn null_is_only_absent_where_the_slow_reader_says_so() {
    let (got, fast) = check(&minimal_with(
        r#""start": null, "incident": null, "regions": null"#,
    ));
    assert!(fast);
    let c = got.unwrap();
    assert_eq!((c.start, c.incident, c.regions), (None, None, None));
    for field in ["title", "emergency", "size", "kind", "approvals", "waivers"] {
        let (got, fast) = check(&minimal_with(&format!("\"{field}\": null")));
        assert!(!fast);
        assert!(
            got.unwrap_err().to_string().ends_with("got null"),
            "{field}"
        );
    }
    let (got, _) = check(
        r#"{"id": "C", "services": ["a"], "requester": "a", "implementer": null, "duration": 1}"#,
    );
    assert_eq!(
        got.unwrap_err().to_string(),
        "change.implementer: expected a string, got null"
    );
    let waiver = r#""waivers": [{"rule": "r", "by": "b", "group": "g", "reason": null,
        "granted_at": "2026-11-30T08:00:00Z", "expires_at": "2026-12-02T08:00:00Z"}]"#;
    assert_eq!(
        check(&minimal_with(waiver)).0.unwrap_err().to_string(),
        "change.waivers[0].reason: expected a string, got null"
    );
}

#[test]
fn bad_json_text_gives_the_slow_readers_message() {
    let cases = [
        format!("{} x", minimal_with("")),
        format!("{}}}", minimal_with("")),
        minimal_with("").trim_end_matches('}').to_string(),
        minimal_with(r#""title": "\ud800""#),
        minimal_with("\"title\": \"tab\tinside\""),
        String::new(),
        "[".to_string(),
    ];
    for text in cases {
        let (got, fast) = check(&text);
        assert!(!fast);
        assert!(
            got.unwrap_err().message.starts_with("invalid JSON"),
            "{text}"
        );
    }
    // Whitespace around the document is fine.
    assert!(check(&format!("\n {} \n", minimal_with(""))).1);
}

#[test]
fn the_nesting_limit_is_the_same_on_both_paths() {
    // serde_json reads at most 127 nested containers; the change object is the first.
    for depth in [125, 126, 127] {
        let value = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let (got, fast) = check(&minimal_with(&format!("\"deep\": {value}")));
        assert_eq!(got.is_ok(), depth < 127, "{depth}");
        assert_eq!(fast, depth < 127, "{depth}");
    }
}

#[test]
fn changes_lists_take_the_fast_path_with_the_same_rules() {
    let one = minimal_with("");
    let two = minimal_with("").replace("CHG-1", "CHG-2");
    let check_list = |text: &str| {
        let want = changes_from_text_slow(text, Format::Json);
        let fast = super::changes(text);
        if let Some(fast) = &fast {
            assert_eq!(Ok(fast), want.as_ref(), "{text}");
        }
        assert_eq!(changes_from_text(text, Format::Json), want, "{text}");
        (want.map_err(|e| e.to_string()), fast.is_some())
    };
    let (got, fast) = check_list(&format!("[{one}, {two}]"));
    assert!(fast && got.unwrap().len() == 2);
    let (got, fast) = check_list(&format!(r#"{{"changes": [{one}, {two}]}}"#));
    assert!(fast && got.unwrap().len() == 2);
    assert_eq!(check_list("[]"), (Ok(vec![]), true));
    // The slow reader ignores other keys of the wrapper; the fast path leaves them to it.
    let (got, fast) = check_list(&format!(r#"{{"note": 1, "changes": [{one}]}}"#));
    assert!(!fast && got.unwrap().len() == 1);
    let (got, fast) = check_list(&format!(r#"{{"changes": [], "changes": [{one}]}}"#));
    assert!(!fast);
    assert!(got.unwrap_err().contains("given twice"));
    assert_eq!(
        check_list(&format!("[{one}, {one}]")),
        (
            Err("changes[1].id: duplicate change id \"CHG-1\" (also at changes[0])".into()),
            false
        )
    );
    assert_eq!(
        check_list(r#"{"changes": {}}"#),
        (
            Err("changes: expected a list of changes, got an object".into()),
            false
        )
    );
    assert_eq!(
        check_list("{}"),
        (
            Err("changes: expected a list of changes or an object with \"changes\"".into()),
            false
        )
    );
}

#[test]
fn catalogs_take_the_fast_path_with_the_same_rules() {
    let check_catalog = |text: &str| {
        let want = services(catalog_slow(text));
        let fast = super::catalog_parts(text);
        // Services read by the fast path may still fail to compile into a graph.
        if let (Some(fast), Ok(want)) = (&fast, &want) {
            assert_eq!(fast, want, "{text}");
        }
        assert_eq!(
            services(Catalog::from_text(text, Format::Json)),
            want,
            "{text}"
        );
        (want.map_err(|e| e.to_string()), fast.is_some())
    };
    let text = r#"{"services": [
        {"id": "db", "tier": 0, "stateful": true, "error_budget": -0.5, "owner": "x"},
        {"id": "api", "team": "t", "tier": 1.0, "depends_on": ["db"], "regions": ["eu"],
         "automated_rollback": true, "legacy": false, "monitored": true, "error_budget": 2}
    ]}"#;
    let (got, fast) = check_catalog(text);
    assert!(fast);
    let (got, _) = got.unwrap();
    assert_eq!(got[0].error_budget, -0.5);
    assert_eq!(got[1].error_budget, 2.0);
    assert_eq!(got[1].tier, 1);
    assert_eq!(got[0].extra.get("owner"), Some(&json!("x")));
    // Errors of the compiled graph come from the same services either way.
    let (got, fast) =
        check_catalog(r#"{"services": [{"id": "a", "tier": 0, "depends_on": ["b"]}]}"#);
    assert!(fast && got.is_err());
    for bad in [
        r#"{"services": [{"id": "a", "tier": 4}]}"#,
        r#"{"services": [{"id": "a", "tier": 1, "dependents": []}]}"#,
        r#"{"services": [{"id": "", "tier": 1}]}"#,
        r#"{"services": [{"id": "a", "tier": 1, "error_budget": "1"}]}"#,
        r#"{"services": [{"id": "a", "tier": 1, "tier": 2}]}"#,
        r#"{"name": "x", "services": []}"#,
        r#"{"services": [], "services": []}"#,
        r#"{"services": [], "groups": {"cab": ["ana", 3]}}"#,
        r#"{"services": [], "groups": {"cab": ["ana"], "cab": []}}"#,
        r#"{"services": [], "grups": {}}"#,
        r#"[]"#,
    ] {
        assert!(!check_catalog(bad).1, "{bad}");
    }
    // Member lists take the fast path, in any key order.
    let (got, fast) = check_catalog(
        r#"{"groups": {"dba": [], "cab": ["ana", "eve"]}, "services": [{"id": "a", "tier": 1}]}"#,
    );
    assert!(fast);
    let (_, groups) = got.unwrap();
    assert_eq!(
        groups.get("cab"),
        Some(&vec!["ana".to_string(), "eve".to_string()])
    );
    assert_eq!(groups.get("dba"), Some(&Vec::new()));
}

// --- the differential property ----------------------------------------------------------------

/// A JSON document as text, built so that it can say what the `Value` tree cannot: repeated
/// keys, escapes, the spelling of numbers.
#[derive(Debug, Clone)]
enum Doc {
    /// A scalar, as written.
    Lit(String),
    List(Vec<Doc>),
    /// Keys as written (quotes and escapes included) with their values.
    Obj(Vec<(String, Doc)>),
}

impl Doc {
    fn render(&self, out: &mut String, gap: &str) {
        match self {
            Doc::Lit(text) => out.push_str(text),
            Doc::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        out.push_str(gap);
                    }
                    item.render(out, gap);
                }
                out.push(']');
            }
            Doc::Obj(fields) => {
                out.push('{');
                out.push_str(gap);
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        out.push_str(gap);
                    }
                    out.push_str(key);
                    out.push(':');
                    value.render(out, gap);
                }
                out.push_str(gap);
                out.push('}');
            }
        }
    }

    fn text(&self, gap: &str) -> String {
        let mut out = String::new();
        self.render(&mut out, gap);
        out
    }
}

/// A JSON string literal for `s`, plain or with every character written as `\u` escapes.
fn quote(s: &str, escaped: bool) -> String {
    if !escaped {
        return Value::String(s.to_string()).to_string();
    }
    let mut out = String::from("\"");
    for unit in s.encode_utf16() {
        out.push_str(&format!("\\u{unit:04x}"));
    }
    out.push('"');
    out
}

fn string_of(pool: &'static [&'static str]) -> BoxedStrategy<Doc> {
    (proptest::sample::select(pool), prop::bool::weighted(0.15))
        .prop_map(|(s, escaped)| Doc::Lit(quote(s, escaped)))
        .boxed()
}

fn literal_of(pool: &'static [&'static str]) -> BoxedStrategy<Doc> {
    proptest::sample::select(pool)
        .prop_map(|s| Doc::Lit(s.to_string()))
        .boxed()
}

const TEXTS: &[&str] = &[
    "api",
    "db",
    "web",
    "CHG-1",
    "ana",
    "bob",
    "cab",
    "team-lead",
    "",
    "é",
    "日本",
    "😀",
    "a\"b",
    "back\\slash",
    "line\nbreak",
    "/",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];
const IDS: &[&str] = &["CHG-1", "CHG-2", "a", "é", "😀"];
const SERVICE_IDS: &[&str] = &["api", "db", "web", "api "];
const INSTANTS: &[&str] = &[
    "2026-12-01T10:00:00Z",
    "2026-12-01T10:00Z",
    "2026-12-01T11:00:00+01:00",
    "2026-12-01T10:00:00.750Z",
    "2026-12-01t10:00:00z",
    "2026-11-30T09:00-05:00",
];
const BAD_INSTANTS: &[&str] = &[
    "2026-12-01T10:00",
    "2026-12-01",
    "tomorrow",
    "2026-02-30T10:00:00Z",
    "2026-12-01 10:00",
    "",
    "2026-12-01T10:00:00+0100x",
];
const DURATIONS: &[&str] = &[
    "\"2h\"",
    "\"1h30m\"",
    "\"1h 30m\"",
    "\" 2 h \"",
    "\"0s\"",
    "\"36500d\"",
    "60",
    "60.0",
    "0",
    "-0",
    "1e3",
    "3153600000",
];
const BAD_DURATIONS: &[&str] = &[
    "\"90\"",
    "\"1.5h\"",
    "\"30m1h\"",
    "\"h\"",
    "\"\"",
    "\"-5m\"",
    "\"5300w\"",
    "\"2 hours\"",
    "-5",
    "1.5",
    "3153600001",
    "18446744073709551615",
    "true",
    "null",
    "[]",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "12",
    "420",
    "1.0",
    "12.000",
    "1e3",
    "1E+2",
    "0.1e1",
    "-0",
    "-0.0",
    "9223372036854775807",
];
const BAD_INTS: &[&str] = &[
    "-3",
    "-3.0",
    "1.5",
    "1e-3",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "\"12\"",
    "true",
    "null",
    "1e400",
];
const JUNK: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-0",
    "7",
    "-1",
    "2.5",
    "1e3",
    "\"\"",
    "\"x\"",
    "\"2026-12-01T10:00:00Z\"",
    "\"1h\"",
    "\"\\ud800\"",
    "\"\\/\"",
    "\"a\\u0000b\"",
    "[]",
    "{}",
];

/// Any JSON value, repeated keys included.
fn junk() -> BoxedStrategy<Doc> {
    let keys = prop_oneof![
        proptest::sample::select(vec!["a", "b", "id", "by", "at", "changes", "services"]),
        proptest::sample::select(CHANGE_FIELDS.to_vec()),
    ]
    .prop_map(|k| quote(k, false));
    literal_of(JUNK)
        .prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Doc::List),
                prop::collection::vec((keys.clone(), inner), 0..4).prop_map(Doc::Obj),
            ]
        })
        .boxed()
}

/// `good` values; when `mutate`, now and then `bad` ones or anything at all (rarely enough
/// that a good share of whole documents stays valid).
fn value(good: BoxedStrategy<Doc>, bad: BoxedStrategy<Doc>, mutate: bool) -> BoxedStrategy<Doc> {
    if mutate {
        prop_oneof![40 => good, 1 => bad, 1 => junk()].boxed()
    } else {
        good
    }
}

fn text(mutate: bool) -> BoxedStrategy<Doc> {
    value(string_of(TEXTS), literal_of(JUNK), mutate)
}

fn list_of(item: BoxedStrategy<Doc>, max: usize) -> BoxedStrategy<Doc> {
    prop::collection::vec(item, 0..max)
        .prop_map(Doc::List)
        .boxed()
}

fn texts(mutate: bool) -> BoxedStrategy<Doc> {
    value(list_of(text(mutate), 4), junk(), mutate)
}

fn nullable(inner: BoxedStrategy<Doc>) -> BoxedStrategy<Doc> {
    prop_oneof![1 => Just(Doc::Lit("null".into())), 3 => inner].boxed()
}

fn instant(mutate: bool) -> BoxedStrategy<Doc> {
    value(string_of(INSTANTS), string_of(BAD_INSTANTS), mutate)
}

fn flag(mutate: bool) -> BoxedStrategy<Doc> {
    value(literal_of(&["true", "false"]), literal_of(JUNK), mutate)
}

fn int(mutate: bool) -> BoxedStrategy<Doc> {
    value(literal_of(INTS), literal_of(BAD_INTS), mutate)
}

/// A field of a record: its name, its value, and whether it is required.
type Field = (&'static str, BoxedStrategy<Doc>, bool);

/// Keys a record may have besides its fields (`extra`), and keys it may not have (`wrong`:
/// unknown keys of a nested record, computed fields of a change).
#[derive(Clone, Copy)]
struct OtherKeys {
    extra: &'static [&'static str],
    wrong: &'static [&'static str],
}

const NESTED: OtherKeys = OtherKeys {
    extra: &[],
    wrong: &["note", "grup", "By", "id "],
};

/// An object with the given fields, each optional one present or not, and maybe `extra`
/// fields with any value. When `mutate`, a required field may be missing, a `wrong` key may
/// appear, keys may be repeated or escaped, and the order is shuffled.
fn record(fields: Vec<Field>, other: OtherKeys, mutate: bool) -> BoxedStrategy<Doc> {
    let entries: Vec<_> = fields
        .into_iter()
        .map(|(name, value, required)| {
            let keep = match (required, mutate) {
                (true, false) => Just(true).boxed(),
                (true, true) => prop::bool::weighted(0.99).boxed(),
                (false, _) => prop::bool::weighted(0.6).boxed(),
            };
            let escaped = if mutate {
                prop::bool::weighted(0.1).boxed()
            } else {
                Just(false).boxed()
            };
            (keep, escaped, value)
                .prop_map(move |(keep, escaped, value)| keep.then(|| (quote(name, escaped), value)))
        })
        .collect();
    let extras = if other.extra.is_empty() {
        Just(Vec::new()).boxed()
    } else {
        prop::collection::vec(
            (proptest::sample::select(other.extra), junk()).prop_map(|(k, v)| (quote(k, false), v)),
            0..3,
        )
        .boxed()
    };
    let wrong = if mutate {
        prop::option::weighted(
            0.04,
            (proptest::sample::select(other.wrong), junk()).prop_map(|(k, v)| (quote(k, false), v)),
        )
        .boxed()
    } else {
        Just(None).boxed()
    };
    let repeat = if mutate {
        prop::option::weighted(0.05, (any::<prop::sample::Index>(), any::<bool>(), junk())).boxed()
    } else {
        Just(None).boxed()
    };
    (entries, extras, wrong, repeat)
        .prop_flat_map(move |(entries, extras, wrong, repeat)| {
            let mut all: Vec<(String, Doc)> = entries.into_iter().flatten().collect();
            for (key, value) in extras {
                // A clean record has each key once.
                if mutate || all.iter().all(|(k, _)| *k != key) {
                    all.push((key, value));
                }
            }
            all.extend(wrong);
            if let Some((index, same, other)) = repeat {
                if !all.is_empty() {
                    let (key, value) = all[index.index(all.len())].clone();
                    all.push((key, if same { value } else { other }));
                }
            }
            if mutate {
                Just(all).prop_shuffle().boxed()
            } else {
                Just(all).boxed()
            }
        })
        .prop_map(Doc::Obj)
        .boxed()
}

fn approval(mutate: bool) -> BoxedStrategy<Doc> {
    let fields = vec![
        ("by", text(mutate), true),
        ("group", text(mutate), true),
        ("at", instant(mutate), true),
    ];
    value(record(fields, NESTED, mutate), junk(), mutate)
}

/// An element of `checks`: a bare name, or a check object with a status and evidence.
fn check_item(mutate: bool) -> BoxedStrategy<Doc> {
    let status = value(
        string_of(&["passed", "failed", "pending"]),
        string_of(&["done", "Passed", ""]),
        mutate,
    );
    let fields = vec![
        ("name", text(mutate), true),
        ("status", status, true),
        ("at", nullable(instant(mutate)), false),
        ("url", nullable(text(mutate)), false),
    ];
    let object = value(record(fields, NESTED, mutate), junk(), mutate);
    prop_oneof![1 => text(mutate), 2 => object].boxed()
}

fn incident(mutate: bool) -> BoxedStrategy<Doc> {
    let fields = vec![
        ("id", text(mutate), true),
        (
            "severity",
            value(literal_of(INTS), literal_of(BAD_INTS), mutate),
            true,
        ),
        ("opened", nullable(instant(mutate)), false),
    ];
    nullable(value(record(fields, NESTED, mutate), junk(), mutate))
}

fn waiver(mutate: bool) -> BoxedStrategy<Doc> {
    // A waiver names a rule or a blackout (not empty); mutated, it may name both or neither,
    // which the fast reader leaves to the slow one.
    let with = |rule: bool, blackout: bool| {
        let name = || {
            value(
                string_of(&["cab_review", "year-end freeze", "é", "a\"b"]),
                string_of(&[""]),
                mutate,
            )
        };
        let mut fields: Vec<Field> = Vec::new();
        if rule {
            fields.push(("rule", name(), true));
        }
        if blackout {
            fields.push(("blackout", name(), true));
        }
        fields.extend([
            ("by", text(mutate), true),
            ("group", text(mutate), true),
            ("reason", text(mutate), false),
            ("granted_at", instant(mutate), true),
            ("expires_at", instant(mutate), true),
        ]);
        value(record(fields, NESTED, mutate), junk(), mutate)
    };
    if mutate {
        prop_oneof![
            4 => with(true, false),
            4 => with(false, true),
            1 => with(true, true),
            1 => with(false, false),
        ]
        .boxed()
    } else {
        prop_oneof![with(true, false), with(false, true)].boxed()
    }
}

/// Extend fields of a change, and the computed ones it may not give.
const CHANGE_KEYS: OtherKeys = OtherKeys {
    extra: &["ticket", "cost_center", "my key", "Id", "é", "changes"],
    wrong: &["blast_radius", "dependents"],
};

fn change_doc(mutate: bool) -> BoxedStrategy<Doc> {
    // Distinct ids, or (bad) a list that may repeat one.
    let distinct = (
        proptest::sample::subsequence(SERVICE_IDS, 0..=3),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(ids, escaped)| {
            Doc::List(
                ids.into_iter()
                    .map(|id| Doc::Lit(quote(id, escaped)))
                    .collect(),
            )
        })
        .boxed();
    let services = value(distinct, list_of(string_of(SERVICE_IDS), 5), mutate);
    let size = int(mutate);
    let fields: Vec<Field> = vec![
        (
            "id",
            value(string_of(IDS), string_of(&["", " "]), mutate),
            true,
        ),
        ("title", text(mutate), false),
        ("kind", texts(mutate), false),
        ("services", services, true),
        ("requester", text(mutate), true),
        ("implementer", text(mutate), true),
        (
            "approvals",
            value(list_of(approval(mutate), 4), junk(), mutate),
            false,
        ),
        (
            "checks",
            value(list_of(check_item(mutate), 4), junk(), mutate),
            false,
        ),
        ("emergency", flag(mutate), false),
        ("incident", incident(mutate), false),
        ("start", nullable(instant(mutate)), false),
        (
            "duration",
            value(literal_of(DURATIONS), literal_of(BAD_DURATIONS), mutate),
            true,
        ),
        ("regions", nullable(texts(mutate)), false),
        ("size", size, false),
        ("labels", texts(mutate), false),
        ("backward_compatible", flag(mutate), false),
        ("contract_verified", flag(mutate), false),
        ("after", texts(mutate), false),
        (
            "waivers",
            value(list_of(waiver(mutate), 3), junk(), mutate),
            false,
        ),
        (
            "rollout",
            value(
                string_of(&["all_at_once", "per_region"]),
                string_of(&["per-region", "", "PER_REGION"]),
                mutate,
            ),
            false,
        ),
        (
            "soak",
            value(literal_of(DURATIONS), literal_of(BAD_DURATIONS), mutate),
            false,
        ),
    ];
    record(fields, CHANGE_KEYS, mutate)
}

/// Whitespace between tokens.
fn gap() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec!["", " ", "\n  ", "\t"])
}

/// A change document as text: mostly a mutated change, sometimes anything, cut short or with
/// something after it.
fn change_text() -> impl Strategy<Value = String> {
    let doc = prop_oneof![20 => change_doc(true), 1 => junk()];
    let tail = prop_oneof![12 => Just(""), 1 => Just(" "), 1 => Just("x"), 1 => Just("}"), 1 => Just(",{}")];
    (doc, gap(), 0..40usize, tail).prop_map(|(doc, gap, cut, tail)| {
        let mut text = doc.text(gap);
        if cut == 0 {
            let at = text.len() / 2;
            let at = (0..=at)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            text.truncate(at);
        }
        text.push_str(tail);
        text
    })
}

fn service_doc(mutate: bool) -> BoxedStrategy<Doc> {
    let number = value(
        literal_of(&["1", "0.5", "-0.25", "2", "1e0", "-0", "0.0"]),
        literal_of(&["\"1\"", "null", "true", "[]"]),
        mutate,
    );
    let fields: Vec<Field> = vec![
        (
            "id",
            value(string_of(&["db", "api", "web"]), string_of(&[""]), mutate),
            true,
        ),
        ("team", text(mutate), false),
        (
            "tier",
            value(
                literal_of(&["0", "1", "2", "3", "3.0", "-0"]),
                literal_of(&["4", "-1", "1.5", "\"1\"", "null"]),
                mutate,
            ),
            true,
        ),
        (
            "depends_on",
            value(
                list_of(string_of(&["db", "api", "web", "nope"]), 3),
                junk(),
                mutate,
            ),
            false,
        ),
        ("regions", texts(mutate), false),
        ("stateful", flag(mutate), false),
        ("automated_rollback", flag(mutate), false),
        ("legacy", flag(mutate), false),
        ("monitored", flag(mutate), false),
        ("error_budget", number, false),
        ("calendars", texts(mutate), false),
    ];
    let keys = OtherKeys {
        extra: &["owner", "pager"],
        wrong: &["dependents"],
    };
    record(fields, keys, mutate)
}

/// A catalog's `groups`: group names to lists of members; when `mutate`, a member that is not
/// a string, a group that is not a list, or a repeated group.
fn groups_doc(mutate: bool) -> BoxedStrategy<Doc> {
    let members = value(list_of(text(mutate), 3), junk(), mutate);
    let groups = prop::collection::vec(
        (
            proptest::sample::select(vec!["cab", "dba", "team-lead"]),
            members,
        ),
        0..3,
    )
    .prop_map(move |entries| {
        // A clean `groups` names each group once; a mutated one may repeat one.
        let mut seen = Vec::new();
        let fields = entries
            .into_iter()
            .filter(|(k, _)| {
                mutate || {
                    let fresh = !seen.contains(k);
                    seen.push(*k);
                    fresh
                }
            })
            .map(|(k, v)| (quote(k, false), v))
            .collect();
        Doc::Obj(fields)
    })
    .boxed();
    value(groups, junk(), mutate)
}

/// One small edit somewhere in a document.
#[derive(Debug, Clone)]
enum Edit {
    /// The value at a node becomes another.
    Replace(Doc),
    /// In an object: an entry is removed, repeated with another value, or its key renamed.
    Remove(prop::sample::Index),
    Repeat(prop::sample::Index, Doc),
    Rename(prop::sample::Index, &'static str),
}

/// Values that sit near the edges of what a field accepts.
fn edge_value() -> BoxedStrategy<Doc> {
    prop_oneof![
        literal_of(INTS),
        literal_of(BAD_INTS),
        literal_of(DURATIONS),
        literal_of(BAD_DURATIONS),
        string_of(INSTANTS),
        string_of(BAD_INSTANTS),
        literal_of(JUNK),
        junk(),
    ]
    .boxed()
}

fn edit() -> impl Strategy<Value = (prop::sample::Index, Edit)> {
    let keys = proptest::sample::select(vec![
        "note",
        "grup",
        "id",
        "size",
        "at",
        "opened",
        "reason",
        "blast_radius",
        "dependents",
    ]);
    let edit = prop_oneof![
        3 => edge_value().prop_map(Edit::Replace),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
        1 => (any::<prop::sample::Index>(), edge_value()).prop_map(|(i, v)| Edit::Repeat(i, v)),
        1 => (any::<prop::sample::Index>(), keys).prop_map(|(i, k)| Edit::Rename(i, k)),
    ];
    (any::<prop::sample::Index>(), edit)
}

impl Doc {
    fn nodes(&self) -> usize {
        1 + match self {
            Doc::Lit(_) => 0,
            Doc::List(items) => items.iter().map(Doc::nodes).sum(),
            Doc::Obj(fields) => fields.iter().map(|(_, v)| v.nodes()).sum(),
        }
    }

    /// Applies `edit` at the `n`th node in preorder; true once applied.
    fn apply(&mut self, n: &mut usize, edit: &Edit) -> bool {
        if *n > 0 {
            *n -= 1;
            return match self {
                Doc::Lit(_) => false,
                Doc::List(items) => items.iter_mut().any(|d| d.apply(n, edit)),
                Doc::Obj(fields) => fields.iter_mut().any(|(_, d)| d.apply(n, edit)),
            };
        }
        match (edit, &mut *self) {
            (Edit::Remove(i), Doc::Obj(fields)) if !fields.is_empty() => {
                fields.remove(i.index(fields.len()));
            }
            (Edit::Repeat(i, value), Doc::Obj(fields)) if !fields.is_empty() => {
                let key = fields[i.index(fields.len())].0.clone();
                fields.push((key, value.clone()));
            }
            (Edit::Rename(i, key), Doc::Obj(fields)) if !fields.is_empty() => {
                let at = i.index(fields.len());
                fields[at].0 = quote(key, false);
            }
            (Edit::Replace(value), _) | (Edit::Repeat(_, value), _) => *self = value.clone(),
            _ => {}
        }
        true
    }
}

/// A clean change with one or two small edits anywhere in it (a nested approval's `at`, a
/// key of the incident, ...): most of these fail on exactly one rule.
fn edited_change_text() -> impl Strategy<Value = String> {
    (
        change_doc(false),
        prop::collection::vec(edit(), 1..=2),
        gap(),
    )
        .prop_map(|(mut doc, edits, gap)| {
            for (at, edit) in edits {
                let mut n = at.index(doc.nodes());
                doc.apply(&mut n, &edit);
            }
            doc.text(gap)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn an_edited_change_reads_as_the_slow_reader_reads_it(text in edited_change_text()) {
        let want = slow(&text);
        let fast = super::change(&text);
        if let Some(fast) = &fast {
            prop_assert_eq!(Ok(fast), want.as_ref());
        }
        check_in_place(&text, fast.as_ref());
        prop_assert_eq!(Change::from_text(&text, Format::Json), want);
    }

    #[test]
    fn fast_change_reading_agrees_with_the_slow_reader(text in change_text()) {
        let want = slow(&text);
        let fast = super::change(&text);
        if let Some(fast) = &fast {
            prop_assert_eq!(Ok(fast), want.as_ref());
        }
        check_in_place(&text, fast.as_ref());
        prop_assert_eq!(Change::from_text(&text, Format::Json), want);
    }

    #[test]
    fn fast_path_accepts_every_clean_change((doc, gap) in (change_doc(false), gap())) {
        // No repeated key, every value valid: the fast path must not leave it to the slow one.
        let text = doc.text(gap);
        let want = slow(&text);
        // Ids in `services` come from a small pool and may repeat; that alone is an error.
        if let Ok(want) = want {
            prop_assert_eq!(super::change(&text), Some(want));
        }
    }

    #[test]
    fn fast_changes_reading_agrees_with_the_slow_reader(
        docs in prop::collection::vec(change_doc(true), 0..4),
        wrap in 0..4u8,
        gap in gap(),
    ) {
        let list = Doc::List(docs);
        let doc = match wrap {
            0 => list,
            1 => Doc::Obj(vec![(quote("changes", false), list)]),
            2 => Doc::Obj(vec![(quote("changes", true), list), (quote("note", false), Doc::Lit("1".into()))]),
            _ => Doc::Obj(vec![(quote("changes", false), list.clone()), (quote("changes", false), list)]),
        };
        let text = doc.text(gap);
        let want = changes_from_text_slow(&text, Format::Json);
        if let Some(fast) = super::changes(&text) {
            prop_assert_eq!(Ok(&fast), want.as_ref());
        }
        prop_assert_eq!(changes_from_text(&text, Format::Json), want);
    }

    #[test]
    fn fast_catalog_reading_agrees_with_the_slow_reader(
        docs in prop::collection::vec(service_doc(true), 0..4),
        groups in prop::option::of(groups_doc(true)),
        other in prop::option::weighted(0.05, (proptest::sample::select(vec!["grups", "services", "groups"]), junk())),
        gap in gap(),
    ) {
        let mut fields = vec![(quote("services", false), Doc::List(docs))];
        fields.extend(groups.map(|g| (quote("groups", false), g)));
        fields.extend(other.map(|(k, v)| (quote(k, false), v)));
        let text = Doc::Obj(fields).text(gap);
        let want = services(catalog_slow(&text));
        // Services read by the fast path may still fail to compile into a graph.
        if let (Some(fast), Ok(want)) = (super::catalog_parts(&text), &want) {
            prop_assert_eq!(&fast, want);
        }
        prop_assert_eq!(services(Catalog::from_text(&text, Format::Json)), want);
    }

    #[test]
    fn fast_path_accepts_every_clean_catalog(
        docs in prop::collection::vec(service_doc(false), 0..4),
        groups in prop::option::of(groups_doc(false)),
    ) {
        let mut fields = vec![(quote("services", false), Doc::List(docs))];
        fields.extend(groups.map(|g| (quote("groups", false), g)));
        let text = Doc::Obj(fields).text(" ");
        if let Ok(want) = services(catalog_slow(&text)) {
            prop_assert_eq!(super::catalog_parts(&text), Some(want));
        }
    }
}

#[test]
fn field_lists_are_what_the_generators_use() {
    // The generators above write every built-in field; if a field is added to the readers,
    // it must be added here too.
    assert_eq!(CHANGE_FIELDS.len(), 21);
    assert_eq!(SERVICE_FIELDS.len(), 11);
}
