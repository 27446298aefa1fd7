//! What `explain` adds to a decision (docs/explain.md): the values each condition's atoms saw,
//! with their caps, and the steps left to ship; and that nothing else of the decision changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::Path;

use shipgate::{
    Catalog, Change, Decision, Engine, Instant, Limit, Limits, SeenValue, StepKind, TraceKind,
};

fn at(s: &str) -> Instant {
    s.parse().unwrap()
}

fn catalog() -> Catalog {
    Catalog::from_json(&serde_json::json!({"services": [
        {"id": "api", "team": "payments", "tier": 1, "regions": ["eu"]},
        {"id": "db", "team": "payments", "tier": 0, "regions": ["eu"]},
    ]}))
    .unwrap()
}

fn change(extra: serde_json::Value) -> Change {
    let mut c = serde_json::json!({
        "id": "CHG-1", "kind": ["application"], "services": ["api", "db"],
        "requester": "bob", "implementer": "chen", "start": "2026-12-01T10:00:00Z",
        "duration": "1h", "size": 412,
    });
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    Change::from_json(&c).unwrap()
}

fn explained(policy: &str, c: &Change) -> (Decision, Decision) {
    let engine = Engine::from_source(policy, "policy.gate").unwrap();
    let now = at("2026-12-01T09:00:00Z");
    let plain = engine.evaluate(c, &catalog(), now, false).unwrap();
    let loud = engine.evaluate(c, &catalog(), now, true).unwrap();
    (plain, loud)
}

fn entry<'d>(d: &'d Decision, kind: TraceKind, name: &str) -> &'d shipgate::TraceEntry {
    d.trace
        .iter()
        .find(|t| t.kind == kind && t.name == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {:#?}", d.trace))
}

const POLICY: &str = r#"
tiers low, high
groups cab, change-manager
tier high when any s in change.services: s.tier == 0
rule big { deny when change.size > 300 and change.emergency }
rule lists { deny when "database" not in change.kind and not change.emergency }
rule cab { when tier >= high
  require approval "cab" count 2 }
waivable cab by "change-manager" max 72h
"#;

#[test]
fn each_atom_shows_its_values_and_a_quantifier_its_witness() {
    let (plain, d) = explained(POLICY, &change(serde_json::json!({})));
    let tier = entry(&d, TraceKind::Tier, "high");
    assert_eq!(tier.values.len(), 1);
    assert_eq!(tier.values[0].witness.as_deref(), Some("db"));
    assert_eq!(
        tier.values[0].to_string(),
        "any s in change.services: s.tier == 0  true for db"
    );
    // `and` stops at its first false atom, as the evaluator does: the second is not listed.
    let big = d
        .trace
        .iter()
        .find(|t| t.kind == TraceKind::Effect && t.name == "big")
        .unwrap();
    let shown: Vec<String> = big.values.iter().map(|v| v.to_string()).collect();
    assert_eq!(
        shown,
        ["change.size = 412 > 300  true", "change.emergency = false"]
    );
    // `not in` is one atom with its own result; a `not` before an atom is not applied.
    let lists = entry(&d, TraceKind::Effect, "lists");
    let shown: Vec<String> = lists.values.iter().map(|v| v.to_string()).collect();
    assert_eq!(
        shown,
        [
            r#""database" not in change.kind = ["application"]  true"#,
            "change.emergency = false"
        ]
    );
    let json = d.to_json_value();
    assert_eq!(
        json["trace"][0]["values"][0],
        serde_json::json!({
            "expr": "any s in change.services: s.tier == 0", "result": true, "witness": "db"
        })
    );
    // Nothing but the trace and the steps differs, and the plain JSON has neither key.
    let mut a = plain.to_json_value();
    let mut b = d.to_json_value();
    assert!(a.get("to_ship").is_none());
    assert!(b.get("to_ship").is_some());
    for j in [&mut a, &mut b] {
        let o = j.as_object_mut().unwrap();
        o.remove("trace");
        o.remove("to_ship");
    }
    assert_eq!(a, b);
}

#[test]
fn an_atom_that_fails_shows_its_error() {
    let policy = "tiers low\nextend change { cost_center: string? }\n\
                  rule cc { deny when change.cost_center == \"x\" }\n";
    let engine = Engine::from_source(policy, "policy.gate").unwrap();
    let d = engine
        .evaluate(
            &change(serde_json::json!({})),
            &catalog(),
            at("2026-12-01T09:00:00Z"),
            true,
        )
        .unwrap();
    let cc = entry(&d, TraceKind::Effect, "cc");
    assert_eq!(cc.values[0].result, None);
    assert!(
        cc.values[0].error.as_deref().unwrap().contains("absent"),
        "{:?}",
        cc.values
    );
    assert!(cc.values[0].operands[0].value.is_none());
}

#[test]
fn values_are_capped() {
    let atoms: Vec<String> = (0..20).map(|i| format!("change.size > {i}")).collect();
    let long = "x".repeat(200);
    let policy = format!(
        "tiers low\nrule many {{ deny when {} }}\nrule long {{ deny when change.title == \"{long}\" }}\n\
         rule list {{ deny when change.title in change.kind }}\n",
        atoms.join(" and ")
    );
    let kinds: Vec<String> = (0..15).map(|i| format!("k{i}")).collect();
    let c = change(serde_json::json!({"title": long.clone(), "kind": kinds}));
    let engine = Engine::from_source(&policy, "policy.gate").unwrap();
    let d = engine
        .evaluate(&c, &catalog(), at("2026-12-01T09:00:00Z"), true)
        .unwrap();
    let many = entry(&d, TraceKind::Effect, "many");
    assert_eq!(many.values.len(), SeenValue::MAX_PER_CONDITION);
    assert_eq!(many.more_values, 4);
    let long_entry = entry(&d, TraceKind::Effect, "long");
    let text = long_entry.values[0].operands[0].value.as_ref().unwrap();
    let text = text.as_str().unwrap();
    assert_eq!(text.chars().count(), SeenValue::MAX_TEXT + 3);
    assert!(text.ends_with("..."));
    assert!(long_entry.values[0].expr.ends_with("..."));
    let list = entry(&d, TraceKind::Effect, "list");
    let items = list.values[0].operands[1].value.as_ref().unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), SeenValue::MAX_LIST + 1);
    assert_eq!(items[SeenValue::MAX_LIST], "... 5 more");
}

#[test]
fn explaining_spends_its_own_budget_and_never_changes_the_decision() {
    // A budget the decision just fits (with a shared budget, the explained decision would run
    // out and deny): explaining evaluates again, but on a budget of its own.
    let policy = "tiers low\nrule r { deny when any s in change.services: s.tier == 7 }\n";
    let limits = Limits::default().with(Limit::EvalSteps, 4).unwrap();
    let engine = Engine::from_sources_with(
        vec![("policy.gate".to_owned(), policy.to_owned())],
        None,
        &limits,
    )
    .unwrap();
    let c = change(serde_json::json!({}));
    let now = at("2026-12-01T09:00:00Z");
    let plain = engine.evaluate(&c, &catalog(), now, false).unwrap();
    let loud = engine.evaluate(&c, &catalog(), now, true).unwrap();
    assert_eq!(plain.verdict, loud.verdict);
    assert_eq!(plain.reasons, loud.reasons);
    assert!(
        loud.to_ship.as_ref().unwrap().is_empty(),
        "{:?}",
        loud.to_ship
    );
}

#[test]
fn the_steps_name_approvals_waivers_and_the_window_in_local_time() {
    let (_, d) = explained(
        POLICY,
        &change(serde_json::json!({
            "emergency": true,
            "kind": ["database"],
            "approvals": [
                {"group": "cab", "by": "ana", "at": "2026-12-01T08:00:00Z"},
                {"group": "cab", "by": "bob", "at": "2026-12-01T08:00:00Z"},
            ],
        })),
    );
    let steps = d.to_ship.unwrap();
    assert_eq!(steps[0].step, StepKind::Resolve);
    assert_eq!(steps[0].rule.as_deref(), Some("big"));
    assert_eq!(steps[1].step, StepKind::Approval);
    assert_eq!(steps[1].missing, Some(1));
    assert_eq!(
        steps[1].text,
        "get 1 more approval from cab (have ana; bob is the requester), or get a waiver of cab \
         from change-manager (at most 3d)"
    );
    assert_eq!(steps.len(), 2);

    // Three regions: the window on the clock of the first region of `schedule.regions`, then
    // the others'.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/calendar-three-regions-window-days-away");
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let engine = Engine::from_path(&dir).unwrap();
    let c = Change::from_json(&read("change.json")).unwrap();
    let cat = Catalog::from_json(&read("catalog.json")).unwrap();
    let d = engine
        .evaluate(&c, &cat, at("2026-12-14T09:00:00Z"), true)
        .unwrap();
    let steps = d.to_ship.unwrap();
    let last = steps.last().unwrap();
    assert_eq!(last.step, StepKind::Window);
    assert_eq!(
        last.window.as_ref().unwrap().start,
        at("2026-12-18T11:00:00Z")
    );
    assert_eq!(
        last.text,
        "wait for the window for the whole change opening Fri 18 Dec 2026 19:00 Asia/Singapore \
         (Fri 18 Dec 2026 11:00 Europe/London; Fri 18 Dec 2026 06:00 America/New_York)"
    );
}

#[test]
fn a_waivable_blackout_names_who_may_waive_it() {
    let policy = r#"
tiers low
groups change-manager
calendar main timezone "Europe/Berlin" { blackout "freeze" from 2026-12-01 to 2026-12-03 }
region eu uses main
waivable blackout "freeze" by "change-manager" max 48h
"#;
    let (_, d) = explained(policy, &change(serde_json::json!({})));
    let steps = d.to_ship.unwrap();
    let [window] = steps.as_slice() else {
        panic!("{steps:?}")
    };
    assert_eq!(window.step, StepKind::Window);
    assert_eq!(window.group.as_deref(), Some("change-manager"));
    assert!(
        window.text.ends_with(
            "Fri 4 Dec 2026 00:00 Europe/Berlin; or get a waiver of blackout \"freeze\" from \
             change-manager (at most 2d)"
        ),
        "{}",
        window.text
    );
}

#[test]
fn a_missing_check_of_a_waivable_rule_names_who_may_waive_it() {
    let policy = "tiers low\ngroups change-manager\nrule scan { require check \"pci-scan\" within 7d }\n\
                  waivable scan by \"change-manager\" max 24h\n";
    let c = change(serde_json::json!({
        "checks": [{"name": "pci-scan", "status": "failed", "at": "2026-12-01T08:00:00Z"}],
    }));
    let (_, d) = explained(policy, &c);
    let steps = d.to_ship.unwrap();
    let [check] = steps.as_slice() else {
        panic!("{steps:?}")
    };
    assert_eq!(check.step, StepKind::Check);
    assert_eq!(check.group.as_deref(), Some("change-manager"));
    assert_eq!(
        check.text,
        "pass check pci-scan within 7d before the start (it failed), or get a waiver of scan \
         from change-manager (at most 1d)"
    );
}
