//! Nothing the language accepts may be a silent no-op: what is accepted but has no effect yet
//! is a warning, with its location.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use shipgate::Engine;

#[test]
fn capacity_warns_that_it_has_no_effect_yet() {
    let engine = Engine::from_source("tiers low, high\ncapacity 2\n", "p.gate").unwrap();
    assert_eq!(engine.warnings().len(), 1, "{}", engine.render_warnings(false));
    assert_eq!(
        engine.render_warnings(false),
        "warning: `capacity` has no effect until the release-train planner exists \
         (shipgate plan); it is accepted so that policies can declare it\n  \
         ┌─ p.gate:2:1\n  │\n2 │ capacity 2\n  │ ^^^^^^^^^^ no effect yet\n\n"
    );
}

#[test]
fn a_policy_without_capacity_has_no_warning() {
    let engine = Engine::from_source("tiers low, high\n", "p.gate").unwrap();
    assert!(engine.warnings().is_empty());
}
