//! The fast forms of conditions on `extend` fields (flags, comparisons with constants and
//! with each other, membership in `extend` lists and in list literals, `has`, `starts_with`,
//! `ends_with`, `intersects` of lists of strings, and the same of
//! services bound by a quantifier over the touched services or their dependents) against the
//! general evaluator (`Engine::evaluate_reference`), on random conditions and random values,
//! absent optionals included: the decisions must be identical, errors and all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use proptest::prelude::*;
use serde_json::json;
use shipgate::{Catalog, Change, Engine};

const DECLS: &str = "extend change { flag: bool, n: int, x: float, s: string, tags: list<string>, \
     opt: string?, optn: int?, d: duration }\n\
     extend service { pci: bool, crit: int, owner: string?, zones: list<string>, score: float }\n";

const WORDS: [&str; 4] = ["a", "b", "prod", ""];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(&WORDS[..]).prop_map(|w| format!("{w:?}"))
}

/// An atom over the change's `extend` fields.
fn change_atom() -> impl Strategy<Value = String> {
    let op = prop::sample::select(&["==", "!=", "<", "<=", ">", ">="][..]);
    let eq = prop::sample::select(&["==", "!="][..]);
    prop_oneof![
        Just("change.flag".to_string()),
        (op.clone(), -2i64..3).prop_map(|(o, k)| format!("change.n {o} {k}")),
        op.clone().prop_map(|o| format!("change.n {o} change.size")),
        (op.clone(), -1i64..2).prop_map(|(o, k)| format!("change.x {o} {k}.5")),
        (eq.clone(), word()).prop_map(|(o, w)| format!("change.s {o} {w}")),
        eq.clone().prop_map(|o| format!("change.s {o} change.opt")),
        word().prop_map(|w| format!("{w} in change.tags")),
        Just("change.s in change.tags".to_string()),
        Just("change.s in [\"a\", \"prod\"]".to_string()),
        Just("change.id in [\"C1\", \"C2\"]".to_string()),
        Just("change has opt".to_string()),
        word().prop_map(|w| format!("starts_with(change.s, {w})")),
        word().prop_map(|w| format!("ends_with(change.opt, {w})")),
        Just("starts_with(change.s, change.opt)".to_string()),
        Just("change.tags intersects [\"a\", \"prod\"]".to_string()),
        Just("change.tags intersects change.kind".to_string()),
        Just("change.labels intersects change.tags".to_string()),
        Just("change has optn".to_string()),
        (op.clone(), -1i64..2).prop_map(|(o, k)| format!("change.optn {o} {k}")),
        Just("change has optn and change.optn > 0".to_string()),
        (op.clone(), 0i64..3).prop_map(|(o, k)| format!("change.d {o} {k}h")),
        (eq, word()).prop_map(|(o, w)| format!("change.opt {o} {w}")),
    ]
}

/// An atom over the service bound to `s`.
fn service_atom() -> impl Strategy<Value = String> {
    let op = prop::sample::select(&["==", "<", ">="][..]);
    prop_oneof![
        Just("s.pci".to_string()),
        (op.clone(), 0i64..3).prop_map(|(o, k)| format!("s.crit {o} {k}")),
        Just("s.crit == change.n".to_string()),
        (op.clone(), 0i64..2).prop_map(|(o, k)| format!("s.score {o} {k}.5")),
        word().prop_map(|w| format!("s.owner == {w}")),
        Just("s has owner and s.owner == change.s".to_string()),
        word().prop_map(|w| format!("{w} in s.zones")),
        Just("change.s in s.zones".to_string()),
        Just("s.id in [\"api\", \"db\"]".to_string()),
        Just("s.zones intersects change.tags".to_string()),
        word().prop_map(|w| format!("starts_with(s.owner, {w})")),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    let quant = prop::sample::select(&["any", "all"][..]);
    let list = prop::sample::select(&["change.services", "change.dependents"][..]);
    let leaf = prop_oneof![
        3 => change_atom(),
        2 => (quant, list, service_atom(), prop::option::of(change_atom()))
            .prop_map(|(q, l, a, c)| match c {
                Some(c) => format!("{q} s in {l}: ({a}) and ({c})"),
                None => format!("{q} s in {l}: {a}"),
            }),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| format!("not ({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a}) or ({b})")),
        ]
    })
}

fn service() -> impl Strategy<Value = serde_json::Value> {
    (
        any::<bool>(),
        0i64..3,
        prop::option::of(prop::sample::select(&WORDS[..])),
        prop::collection::vec(prop::sample::select(&WORDS[..]), 0..3),
        0i64..3,
    )
        .prop_map(|(pci, crit, owner, zones, score)| {
            let mut s = json!({"pci": pci, "crit": crit, "zones": zones,
                               "score": score as f64 + 0.5});
            if let Some(o) = owner {
                s["owner"] = json!(o);
            }
            s
        })
}

fn change() -> impl Strategy<Value = serde_json::Value> {
    (
        any::<bool>(),
        -2i64..3,
        -1i64..2,
        prop::sample::select(&WORDS[..]),
        prop::collection::vec(prop::sample::select(&WORDS[..]), 0..4),
        prop::option::of(prop::sample::select(&WORDS[..])),
        prop::option::of(-1i64..2),
        0i64..3,
        0usize..3,
    )
        .prop_map(|(flag, n, x, s, tags, opt, optn, d, touched)| {
            let services = [vec!["api"], vec!["db"], vec!["api", "db"]][touched].clone();
            let mut c = json!({
                "id": "C1", "title": "t", "kind": ["application"], "services": services,
                "requester": "r", "implementer": "i", "start": "2026-12-01T10:00:00Z",
                "duration": "1h", "size": 1, "labels": ["a", "x"],
                "flag": flag, "n": n, "x": x as f64 + 0.5, "s": s, "tags": tags, "d": format!("{d}h"),
            });
            if let Some(o) = opt {
                c["opt"] = json!(o);
            }
            if let Some(o) = optn {
                c["optn"] = json!(o);
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn fast_forms_of_extend_fields_decide_as_the_general_evaluator(
        conds in prop::collection::vec(condition(), 1..4),
        api in service(),
        db in service(),
        web in service(),
        change in change(),
    ) {
        let mut policy = String::from(DECLS);
        for (i, c) in conds.iter().enumerate() {
            policy.push_str(&format!("rule r{i} {{\n  deny when {c}\n}}\n"));
        }
        let engine = Engine::from_source(&policy, "prop.gate")
            .unwrap_or_else(|e| panic!("policy did not compile: {e}\n{policy}"));
        let mut services = Vec::new();
        for (id, mut s, deps) in [("api", api, vec![]), ("db", db, vec!["api"]), ("web", web, vec!["db"])] {
            s["id"] = json!(id);
            s["team"] = json!("t");
            s["tier"] = json!(1);
            s["regions"] = json!(["eu"]);
            s["depends_on"] = json!(deps);
            services.push(s);
        }
        let catalog = Catalog::from_json(&json!({ "services": services })).unwrap();
        // Read for the engine from text, straight into the slots, it is what the change read
        // alone and then prepared is.
        let text = change.to_string();
        let mut slow = Change::from_text(&text, shipgate::Format::Json).unwrap();
        engine.prepare_change(&mut slow).unwrap();
        prop_assert_eq!(&engine.read_change(&text, shipgate::Format::Json).unwrap(), &slow);
        let change = Change::from_json(&change).unwrap();
        // The same change read for the engine: its `extend` values typed in slots.
        let mut typed = change.clone();
        engine.prepare_change(&mut typed).unwrap();
        prop_assert!(typed.extra.is_empty(), "the values moved into slots");
        let now = "2026-12-01T09:00:00Z".parse().unwrap();
        for explain in [false, true] {
            let fast = engine.evaluate(&change, &catalog, now, explain);
            let reference = engine.evaluate_reference(&change, &catalog, now, explain);
            let on_typed = engine.evaluate(&typed, &catalog, now, explain);
            let reference_typed = engine.evaluate_reference(&typed, &catalog, now, explain);
            let text = |r: &Result<shipgate::Decision, shipgate::Error>| match r {
                Ok(d) => Ok(d.to_json()),
                Err(e) => Err(e.to_string()),
            };
            prop_assert_eq!(text(&on_typed), text(&fast), "typed, policy:\n{}", policy);
            prop_assert_eq!(text(&reference_typed), text(&fast), "typed reference, policy:\n{}", policy);
            match (fast, reference) {
                (Ok(f), Ok(r)) => prop_assert_eq!(f.to_json(), r.to_json(), "policy:\n{}", policy),
                (f, r) => prop_assert_eq!(
                    f.map(|d| d.to_json()).map_err(|e| e.to_string()),
                    r.map(|d| d.to_json()).map_err(|e| e.to_string()),
                    "policy:\n{}", policy
                ),
            }
        }
    }
}
