//! RFC 8785 test vectors that matter for the inputs digest, and the digests' byte formats.

use super::*;

/// The canonical form of JSON text, by both writers (from a `Value`, and from the text), which
/// must agree.
fn canon(json: &str) -> String {
    let from_value = canonical(&serde_json::from_str::<Value>(json).unwrap()).unwrap();
    let mut from_text = Vec::new();
    write_canonical_text(json, &mut from_text).unwrap();
    assert_eq!(String::from_utf8(from_text).unwrap(), from_value, "{json}");
    from_value
}

/// RFC 8785 section 3.2.3: members sorted by the UTF-16 code units of their names, which is
/// not the order of their UTF-8 bytes (U+1F600 is D83D DE00 in UTF-16, before U+FB33).
#[test]
fn members_are_sorted_by_utf16_code_units() {
    let input = r#"{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
                    \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
                    \"\u{1f600}\":\"Emoji: Grinning Face\",\
                    \"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
    assert_eq!(canon(input), expected);
}

/// RFC 8785 section 3.2.2: the example of numbers, string escapes and literals.
#[test]
fn the_rfc_example() {
    let input = r#"{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#;
    let expected = "{\"literals\":[null,true,false],\
                    \"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\
                    \"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    assert_eq!(canon(input), expected);
}

/// RFC 8785 appendix B: IEEE 754 doubles and their ECMAScript form.
#[test]
fn numbers_are_written_as_ecmascript_writes_them() {
    let vectors: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];
    for &(bits, expected) in vectors {
        let value = Value::from(f64::from_bits(bits));
        assert_eq!(canonical(&value).unwrap(), expected, "{bits:#018x}");
    }
}

/// Number spelling does not matter: the same double is the same text.
#[test]
fn the_same_number_spelled_differently_is_one_number() {
    assert_eq!(canon("[2, 2.0, 2e0, 20e-1]"), "[2,2,2,2]");
    assert_eq!(canon("[-0, -0.0, 0]"), "[0,0,0]");
    assert_eq!(canon("[1e21, 1000000000000000000000]"), "[1e+21,1e+21]");
    assert_eq!(canon("[0.1, 1e-7, 100]"), "[0.1,1e-7,100]");
    // An integer beyond 2^53 is the nearest double, as RFC 8785 reads every number.
    assert_eq!(canon("9007199254740993"), "9007199254740992");
}

/// Of two members with one name, the last counts, as a `Value` reads them.
#[test]
fn a_repeated_name_keeps_its_last_value() {
    assert_eq!(canon(r#"{"b": 1, "a": 2, "b": 3}"#), r#"{"a":2,"b":3}"#);
    assert_eq!(canon(r#"{"a": {"x": 1, "x": [2]}}"#), r#"{"a":{"x":[2]}}"#);
}

#[test]
fn strings_keep_only_the_needed_escapes() {
    assert_eq!(
        canon(r#""\u0041\/\u001f\u007f\u00e9""#),
        "\"A/\\u001f\u{7f}\u{e9}\""
    );
    assert_eq!(canon(r#""\b\f\n\r\t""#), r#""\b\f\n\r\t""#);
    // Keys are escaped as strings are.
    assert_eq!(canon(r#"{"a\nb": 1, "\"": 2}"#), r#"{"\"":2,"a\nb":1}"#);
}

/// The policy digest's byte format, recomputed by hand.
#[test]
fn the_policy_digest_is_path_nul_length_nul_bytes_in_path_order() {
    let mut hand = Sha256::new();
    hand.update(b"a.gate\x003\x00one");
    hand.update(b"b/c.ics\x000\x00");
    let expected = format!("sha256:{:x}", hand.finalize());
    let files: [(&str, &[u8]); 2] = [("b/c.ics", b""), ("a.gate", b"one")];
    assert_eq!(policy(files), expected);
}

/// The inputs digest is the hash of `{"catalog":C,"change":X}` in canonical form, whichever
/// way the change was read.
#[test]
fn the_inputs_digest_hashes_the_canonical_pair() {
    let catalog: Value =
        serde_json::from_str(r#"{"services": [{"tier": 1, "id": "api"}]}"#).unwrap();
    let text = r#"{"size": 2.0, "id": "CHG-1"}"#;
    let whole = format!(
        "{{\"catalog\":{},\"change\":{}}}",
        canonical(&catalog).unwrap(),
        canon(text)
    );
    assert_eq!(
        whole,
        r#"{"catalog":{"services":[{"id":"api","tier":1}]},"change":{"id":"CHG-1","size":2}}"#
    );
    let expected = format!("sha256:{:x}", Sha256::digest(whole.as_bytes()));
    let part = Arc::new(CatalogPart::of(&catalog));
    let from_text = InputsDigest::new(&part, &Source::text(text));
    let from_tree = InputsDigest::new(
        &part,
        &Source::tree(&serde_json::json!({"id": "CHG-1", "size": 2})),
    );
    assert_eq!(from_text.as_str(), expected);
    assert_eq!(from_tree.as_str(), expected);
    // Read again (the memo of the last digest) and from a clone: the same.
    let again = InputsDigest::new(&part, &from_text.change);
    assert_eq!(again.as_str(), expected);
    assert_eq!(from_text.clone(), from_tree);
}

#[test]
fn a_change_with_no_source_says_so() {
    let part = Arc::new(CatalogPart::of(&serde_json::json!({"services": []})));
    let digest = InputsDigest::new(&part, &Source::unset());
    assert!(digest.as_str().starts_with("unavailable: the change"));
}

mod against_the_reference {
    //! The canonical writer against `serde_json_canonicalizer`, an RFC 8785 implementation
    //! that buffers every token: the same bytes for any value.
    use super::*;
    use proptest::prelude::*;

    /// Names mixing ASCII, the range where UTF-8 and UTF-16 orders agree, the private-use
    /// area (U+E000..U+FFFF, after surrogates in UTF-16) and characters above U+FFFF.
    fn name() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                proptest::char::range('a', 'e'),
                proptest::char::range('\u{0}', '\u{1f}'),
                Just('"'),
                Just('\\'),
                proptest::char::range('\u{e9}', '\u{ea}'),
                proptest::char::range('\u{e000}', '\u{e001}'),
                proptest::char::range('\u{fb33}', '\u{fb34}'),
                proptest::char::range('\u{1f600}', '\u{1f601}'),
            ],
            0..4,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            (-30i32..30, 0u32..1000).prop_map(|(e, m)| Value::from(f64::from(m) * 10f64.powi(e))),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            number(),
            name().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(name(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_same_bytes_as_the_reference(v in value()) {
            let reference = serde_json_canonicalizer::to_string(&v).unwrap();
            prop_assert_eq!(canonical(&v).unwrap(), reference);
        }

        #[test]
        fn from_text_the_same_bytes_as_the_reference(v in value(), pretty in any::<bool>()) {
            let reference = serde_json_canonicalizer::to_string(&v).unwrap();
            let text = if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            };
            let mut out = Vec::new();
            write_canonical_text(&text, &mut out).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), reference);
        }

        #[test]
        fn text_read_back_is_the_same_canonical_text(v in value()) {
            // Reading the canonical text again gives the same canonical text (what a change
            // kept as text is canonicalised from).
            let once = canonical(&v).unwrap();
            let again: Value = serde_json::from_str(&once).unwrap();
            prop_assert_eq!(canonical(&again).unwrap(), once);
        }
    }
}
