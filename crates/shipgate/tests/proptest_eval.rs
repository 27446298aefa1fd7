//! Model-based property test of the evaluator: random well-typed expressions are compiled into
//! a policy (`deny when EXPR`) and evaluated by the engine; a slow, obvious tree-walking model
//! evaluates the same expression over plain Rust data. They must agree.
//!
//! The expressions include date-times compared with dates (by the UTC date, or by `date(t,
//! "Zone")` in fixed-offset zones, whose model is plain arithmetic) at instants next to
//! midnight, and quantifiers over a list of records (`change.backups`, an `extend` field).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod model;

use model::*;
use proptest::prelude::*;
use shipgate::{Engine, Verdict};

fn verdict(expr_text: &str, w: &World) -> Verdict {
    let policy = format!(
        "extend change {{ backups: list<{{service: string, taken_at: datetime}}> }}\n\
         rule r {{\n  deny when {expr_text}\n}}\n"
    );
    let engine = Engine::from_source(&policy, "prop.gate")
        .unwrap_or_else(|e| panic!("policy did not compile: {e}\n{policy}"));
    let (catalog, change) = inputs(w);
    let now = "2026-12-01T09:00:00Z".parse().unwrap();
    let decision = engine.evaluate(&change, &catalog, now, true).unwrap();
    // The compiled fast forms and the general evaluator must give the same decision.
    let reference = engine
        .evaluate_reference(&change, &catalog, now, true)
        .unwrap();
    assert_eq!(decision.to_json(), reference.to_json(), "expr: {expr_text}");
    decision.verdict
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn bool_expressions_agree_with_model(e in boolean(), w in world()) {
        let want = if e.eval(&w) { Verdict::Deny } else { Verdict::Allow };
        prop_assert_eq!(verdict(&e.text(), &w), want, "expr: {}", e.text());
    }

    /// A comparison of a date-time with a date, one second around a midnight of its zone, in
    /// a condition of its own (the fast form) and inside a quantifier's body (the general one).
    #[test]
    fn date_comparisons_at_midnight_agree_with_model(
        (o, z, d, delta, around, form) in (
            op(),
            0..ZONES.len(),
            day(),
            -1i64..=1,
            -1i64..=1,
            0..3usize,
        ),
        mut w in world(),
    ) {
        let zone = if form == 2 { z } else { 0 };
        w.start = d * DAY - ZONES[zone].1 + around;
        let e = match form {
            0 => B::DateCmp(o, T::Start, d + delta, false),
            1 => B::DateCmp(o, T::Start, d + delta, true),
            _ => B::DateIn(o, T::Start, z, d + delta),
        };
        let want = if e.eval(&w) { Verdict::Deny } else { Verdict::Allow };
        prop_assert_eq!(verdict(&e.text(), &w), want, "expr: {}", e.text());
        // The same inside a quantifier whose body runs on the general evaluator.
        let text = format!("any k in [1]: {}", e.text());
        prop_assert_eq!(verdict(&text, &w), want, "expr: {}", text);
    }

    #[test]
    fn int_expressions_agree_with_model(e in int(), w in world()) {
        let value = e.eval(&w);
        let text = format!("{} == {value}", e.text());
        prop_assert_eq!(verdict(&text, &w), Verdict::Deny, "expr: {} (model {})", e.text(), value);
        let text = format!("{} != {value}", e.text());
        prop_assert_eq!(verdict(&text, &w), Verdict::Allow, "expr: {} (model {})", e.text(), value);
    }
}
