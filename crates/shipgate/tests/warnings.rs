//! Nothing the language accepts may be a silent no-op: what is accepted but has no effect yet
//! is a warning, with its location.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use shipgate::Engine;

#[test]
fn capacity_takes_effect_in_plans_so_it_has_no_warning() {
    for text in ["capacity 2\n", "capacity 2 per region\n"] {
        let engine = Engine::from_source(&format!("tiers low, high\n{text}"), "p.gate").unwrap();
        assert!(engine.warnings().is_empty(), "{text}");
        assert_eq!(engine.capacity(), Some(2));
        assert_eq!(engine.capacity_per_region(), text.contains("per region"));
    }
}

#[test]
fn a_policy_without_capacity_has_no_warning() {
    let engine = Engine::from_source("tiers low, high\n", "p.gate").unwrap();
    assert!(engine.warnings().is_empty());
}

/// The rendered warnings of a policy that compiles.
fn warnings(policy: &str) -> String {
    Engine::from_source(policy, "p.gate")
        .unwrap()
        .render_warnings(false)
}

#[test]
fn a_rule_without_effects_warns() {
    let w = warnings("rule r {\n  when change.size > 3\n  message \"m\"\n}\n");
    assert!(w.starts_with("warning: rule `r` has no effect\n"), "{w}");
    assert!(w.contains("p.gate:1:6"), "{w}");
    assert_eq!(w.matches("warning:").count(), 1, "{w}");
}

#[test]
fn a_message_no_deny_quotes_warns() {
    let w = warnings("rule r {\n  require approval \"cab\"\n  message \"m\"\n}\n");
    assert!(
        w.starts_with("warning: this message is never shown\n"),
        "{w}"
    );
    assert!(w.contains("p.gate:3:11"), "{w}");
    assert!(
        warnings("rule r {\n  deny when true\n  message \"m\"\n}\n").is_empty(),
        "a deny quotes it"
    );
}

#[test]
fn allow_under_default_allow_warns() {
    let rule = "rule r {\n  allow when change.size < 50\n}\n";
    let w = warnings(rule);
    assert!(
        w.starts_with("warning: `allow when` has no effect under `default allow`\n"),
        "{w}"
    );
    assert!(
        w.contains("p.gate:2:3") && w.contains("^^^^^ nothing waits"),
        "{w}"
    );
    assert!(warnings(&format!("default deny\n{rule}")).is_empty());
}

#[test]
fn a_condition_for_the_lowest_tier_warns() {
    let w = warnings("tiers low, high\ntier low when change.size < 50\n");
    assert!(
        w.starts_with("warning: `tier low when ...` has no effect\n"),
        "{w}"
    );
    assert!(warnings("tiers low, high\ntier high when change.size > 50\n").is_empty());
}

#[test]
fn a_has_guard_covers_a_template_path() {
    // The rule's guard tests `change has incident`, so the message may read it.
    let guarded = "rule r {\n  when change has incident\n  deny when true\n  \
                   message \"incident {change.incident.id}\"\n}\n";
    assert!(warnings(guarded).is_empty(), "{}", warnings(guarded));
    let unguarded = "rule r {\n  deny when true\n  message \"incident {change.incident.id}\"\n}\n";
    assert!(
        warnings(unguarded).contains("p.gate:3:22"),
        "{}",
        warnings(unguarded)
    );
    let notify = "notify \"{change.incident.id}\" when change has incident\n";
    assert!(warnings(notify).is_empty(), "{}", warnings(notify));
}

#[test]
fn a_template_error_points_at_its_path_past_escapes() {
    let policy = "rule r {\n  deny when true\n  message \"a \\\"b\\\" {change.nope}\"\n}\n";
    let Err(shipgate::Error::Policy(e)) = Engine::from_source(policy, "p.gate") else {
        panic!("expected a policy error");
    };
    let text = e.render(false);
    // `message "a \"b\" {change.nope}"`: `nope` starts at column 28.
    assert!(text.contains("p.gate:3:28"), "{text}");
    assert!(text.contains("^^^^ no such field"), "{text}");
}

#[test]
fn exempting_or_waiving_a_rule_with_nothing_to_lift_warns() {
    let policy = "default deny\nrule a {\n  allow when true\n}\nrule b {\n  exempt rule a\n}\n\
                  waivable a by \"cab\" max 1d\n";
    let w = warnings(policy);
    assert!(
        w.contains("warning: exempting rule `a` lifts nothing\n"),
        "{w}"
    );
    assert!(
        w.contains("warning: waiving rule `a` lifts nothing\n"),
        "{w}"
    );
    assert_eq!(w.matches("warning:").count(), 2, "{w}");
    let lifts = "rule a {\n  require check \"x\"\n}\nrule b {\n  exempt rule a\n}\n";
    assert!(warnings(lifts).is_empty(), "{}", warnings(lifts));
}

#[test]
fn empty_blocks_warn() {
    let w = warnings("strategy { }\nrollback { }\nextend change { }\n");
    for block in ["strategy", "rollback", "extend"] {
        assert!(
            w.contains(&format!("warning: this `{block}` block is empty\n")),
            "{w}"
        );
    }
    assert_eq!(w.matches("warning:").count(), 3, "{w}");
}
