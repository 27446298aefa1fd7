//! The second race (issue 15): a release gate of 20 deny rules whose conditions read nearly
//! only `extend change` fields of a flat request (environment, action, tier names as strings,
//! approval counts, roles, weekday and hour, risk score, flags, ticket, cost centre), written
//! in `policy/gate2.{gate,cedar,rego}`; a seeded generator of requests; a plain-Rust model
//! every engine is checked against; and Cedar's form of a request.
//!
//! Where the first race measures the typed fast path over built-in fields, this one measures
//! what real policies read most: fields the policy declares itself.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shipgate::{Catalog, Change, Engine};

use crate::{Rng, crate_dir, now, shipgate_violations};

/// The names of the second race's 20 rules, in file order.
pub const RULES2: [&str; 20] = [
    "prod_needs_change_ticket",
    "prod_needs_tests",
    "weekend_freeze",
    "night_needs_oncall",
    "high_risk_needs_cab",
    "premium_tier_needs_lead",
    "restricted_data_needs_security",
    "delete_needs_admin",
    "migrate_needs_dba",
    "no_contractors_in_prod",
    "customer_facing_rollback_plan",
    "pci_dual_security",
    "cost_center_required",
    "retired_cost_center",
    "risk_ceiling",
    "hotfix_needs_incident",
    "deployer_role",
    "peak_season_freeze",
    "restricted_data_not_in_dev",
    "platinum_friday_afternoon",
];

/// Number of requests in the second race's corpus (the agreement check runs on all of them).
pub const RACE2_CORPUS: usize = 10_000;
/// Seed of the second race's corpus.
pub const RACE2_SEED: u64 = 0x5eed_2027;

/// The second race policy's source in one language: `gate`, `cedar` or `rego`.
pub fn race2_source(ext: &str) -> std::io::Result<String> {
    std::fs::read_to_string(crate_dir().join("policy").join(format!("gate2.{ext}")))
}

/// Picks one of `items` with the given weights (in percent; they need not add up to 100).
fn weighted<'a>(rng: &mut Rng, items: &[(&'a str, usize)]) -> &'a str {
    let total: usize = items.iter().map(|(_, w)| w).sum();
    let mut k = rng.below(total);
    for (item, w) in items {
        if k < *w {
            return item;
        }
        k -= w;
    }
    items.last().map(|(i, _)| *i).unwrap_or("")
}

/// A small count: zero with probability `zero`%, else 1..=3.
fn count(rng: &mut Rng, zero: u64) -> usize {
    if rng.chance(zero) {
        0
    } else {
        1 + rng.below(3)
    }
}

/// Request `i` of the corpus, as shipgate's (and Rego's) input JSON: the few built-in fields a
/// change must have, and the policy's `extend change` fields at the top level. Each field's
/// distribution is chosen so that every rule denies some requests and not others (the rarest
/// about one in 200), and about half the requests are allowed.
pub fn race2_request(i: usize, rng: &mut Rng) -> Value {
    let environment = weighted(
        rng,
        &[("prod", 40), ("staging", 25), ("dev", 20), ("sandbox", 15)],
    );
    let action = weighted(
        rng,
        &[
            ("deploy", 60),
            ("rollback", 10),
            ("restart", 10),
            ("scale", 10),
            ("migrate", 5),
            ("delete", 5),
        ],
    );
    let service_tier = weighted(
        rng,
        &[
            ("platinum", 10),
            ("gold", 20),
            ("silver", 35),
            ("bronze", 35),
        ],
    );
    let data_class = weighted(
        rng,
        &[
            ("public", 30),
            ("internal", 40),
            ("confidential", 20),
            ("restricted", 10),
        ],
    );
    let roles: Vec<&str> = [
        ("deployer", 90),
        ("admin", 10),
        ("dba", 40),
        ("oncall", 60),
        ("sre", 30),
        ("contractor", 4),
        ("auditor", 10),
    ]
    .iter()
    .filter(|(_, p)| rng.chance(*p))
    .map(|(r, _)| *r)
    .collect();
    let weekday = if rng.chance(8) {
        6 + rng.below(2)
    } else {
        1 + rng.below(5)
    };
    let hour = if rng.chance(15) {
        rng.below(24)
    } else {
        8 + rng.below(11)
    };
    let risk_score = if rng.chance(80) {
        rng.below(60)
    } else {
        rng.below(101)
    };
    let hotfix = rng.chance(6);
    let ticket = if hotfix && rng.chance(80) {
        format!("INC-{}", rng.below(10_000))
    } else {
        match rng.below(100) {
            0..=2 => String::new(),
            3..=4 => format!("JIRA-{}", rng.below(10_000)),
            5..=6 => format!("INC-{}", rng.below(10_000)),
            _ => format!("CHG-{}", rng.below(100_000)),
        }
    };
    let cost_center = match rng.below(100) {
        0..=2 => "CC-0000".to_string(),
        3..=4 => String::new(),
        5..=6 => format!("LEGACY-{}", rng.below(100)),
        _ => format!("CC-{:04}", 1 + rng.below(9_999)),
    };
    json!({
        "id": format!("REQ-{i}"),
        "services": [],
        "requester": "ana",
        "implementer": "bo",
        "start": "2026-12-01T10:00:00Z",
        "duration": "1h",
        "environment": environment,
        "action": action,
        "service_tier": service_tier,
        "data_class": data_class,
        "approvals_lead": count(rng, 15),
        "approvals_security": count(rng, 10),
        "approvals_cab": count(rng, 30),
        "roles": roles,
        "weekday": weekday,
        "hour": hour,
        "risk_score": risk_score,
        "tests_passed": rng.chance(93),
        "rollback_plan": rng.chance(85),
        "customer_facing": rng.chance(40),
        "hotfix": hotfix,
        "pci": rng.chance(8),
        "peak_season": rng.chance(15),
        "ticket": ticket,
        "cost_center": cost_center,
    })
}

/// The corpus: `n` requests from `seed`.
pub fn race2_corpus(n: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    (0..n).map(|i| race2_request(i, &mut rng)).collect()
}

/// The second race policy written directly in Rust: the obvious model every engine is
/// checked against. Returns the denying rules, sorted.
pub fn model2_violations(r: &Value) -> Vec<String> {
    let text = |f: &str| r[f].as_str().unwrap_or("");
    let int = |f: &str| r[f].as_i64().unwrap_or(0);
    let flag = |f: &str| r[f].as_bool().unwrap_or(false);
    let roles: BTreeSet<&str> = r["roles"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let role = |x: &str| roles.contains(x);
    let prod = text("environment") == "prod";
    let hotfix = flag("hotfix");
    let (hour, weekday, risk) = (int("hour"), int("weekday"), int("risk_score"));
    let tier = text("service_tier");
    let restricted = text("data_class") == "restricted";
    let action = text("action");
    let checks: [(&str, bool); 20] = [
        (
            "prod_needs_change_ticket",
            prod && !hotfix && !text("ticket").starts_with("CHG-"),
        ),
        ("prod_needs_tests", prod && !flag("tests_passed")),
        ("weekend_freeze", prod && weekday >= 6 && !hotfix),
        (
            "night_needs_oncall",
            prod && !(7..20).contains(&hour) && !role("oncall"),
        ),
        (
            "high_risk_needs_cab",
            risk >= 70 && int("approvals_cab") < 2,
        ),
        (
            "premium_tier_needs_lead",
            (tier == "platinum" || tier == "gold") && int("approvals_lead") < 1,
        ),
        (
            "restricted_data_needs_security",
            restricted && int("approvals_security") < 1,
        ),
        ("delete_needs_admin", action == "delete" && !role("admin")),
        ("migrate_needs_dba", action == "migrate" && !role("dba")),
        ("no_contractors_in_prod", role("contractor") && prod),
        (
            "customer_facing_rollback_plan",
            flag("customer_facing") && !flag("rollback_plan") && action != "rollback",
        ),
        (
            "pci_dual_security",
            flag("pci") && int("approvals_security") < 2,
        ),
        (
            "cost_center_required",
            text("environment") != "sandbox" && !text("cost_center").starts_with("CC-"),
        ),
        ("retired_cost_center", text("cost_center") == "CC-0000"),
        ("risk_ceiling", risk > 90 && !hotfix),
        (
            "hotfix_needs_incident",
            hotfix && !text("ticket").starts_with("INC-"),
        ),
        ("deployer_role", !role("deployer") && !role("admin")),
        (
            "peak_season_freeze",
            flag("peak_season") && flag("customer_facing") && risk > 40,
        ),
        (
            "restricted_data_not_in_dev",
            restricted && matches!(text("environment"), "dev" | "sandbox"),
        ),
        (
            "platinum_friday_afternoon",
            tier == "platinum" && prod && weekday == 5 && hour >= 12,
        ),
    ];
    let mut out: Vec<String> = checks
        .iter()
        .filter(|(_, hit)| *hit)
        .map(|(name, _)| name.to_string())
        .collect();
    out.sort();
    out
}

/// The request's fields that are not built-in change fields: the policy's `extend` fields.
const BUILT_IN: [&str; 6] = [
    "id",
    "services",
    "requester",
    "implementer",
    "start",
    "duration",
];

/// Cedar's view of one request: principal (the requester), resource (the request's id), every
/// `extend` field in the context, and no entities, as the JSON that Cedar's parsers read.
pub fn cedar2_request_json(r: &Value) -> Value {
    let context: serde_json::Map<String, Value> = r
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !BUILT_IN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    json!({
        "principal": r["requester"],
        "resource": r["id"],
        "context": context,
        "entities": [],
    })
}

/// Everything the second race needs on shipgate's side, prepared once.
pub struct Race2 {
    pub engine: Engine,
    /// No services: the request is flat.
    pub catalog: Catalog,
    /// The corpus as JSON values (shipgate's and Rego's input).
    pub requests_json: Vec<Value>,
    /// The same, as JSON text.
    pub requests_text: Vec<String>,
    /// The same, read by shipgate for its engine (`Engine::prepare_change`: the `extend`
    /// values checked and typed once, as a tool that reads a change for a policy has them).
    pub requests: Vec<Change>,
}

impl Race2 {
    /// Compiles the policy and generates `n` requests.
    pub fn new(n: usize) -> Result<Race2, String> {
        let source = race2_source("gate").map_err(|e| e.to_string())?;
        let engine = Engine::from_source(&source, "gate2.gate").map_err(|e| e.to_string())?;
        let catalog = Catalog::from_json(&json!({ "services": [] })).map_err(|e| e.to_string())?;
        let requests_json = race2_corpus(n, RACE2_SEED);
        let requests_text = requests_json.iter().map(Value::to_string).collect();
        let requests = requests_json
            .iter()
            .map(|r| {
                let mut change = Change::from_json(r)?;
                engine.prepare_change(&mut change)?;
                Ok(change)
            })
            .collect::<Result<Vec<_>, shipgate::InputError>>()
            .map_err(|e| e.to_string())?;
        Ok(Race2 {
            engine,
            catalog,
            requests_json,
            requests_text,
            requests,
        })
    }

    /// shipgate's denying rules for request `i`.
    pub fn shipgate(&self, i: usize) -> Result<Vec<String>, String> {
        let change = self.requests.get(i).ok_or("no such request")?;
        let d = self
            .engine
            .evaluate(change, &self.catalog, now(), false)
            .map_err(|e| e.to_string())?;
        Ok(shipgate_violations(&d))
    }

    /// Index of the first request that `pick` accepts by its model violations.
    pub fn find(&self, pick: impl Fn(&[String]) -> bool) -> Option<usize> {
        self.requests_json
            .iter()
            .position(|r| pick(&model2_violations(r)))
    }
}

/// How often each rule denies over a corpus, and how many requests are allowed.
#[derive(Debug, Default)]
pub struct Coverage {
    pub requests: usize,
    pub allowed: usize,
    /// Per rule of `RULES2` (in that order), the requests it denies.
    pub denies: Vec<usize>,
}

impl Coverage {
    /// Adds one request's denying rules.
    pub fn add(&mut self, violations: &[String]) {
        if self.denies.is_empty() {
            self.denies = vec![0; RULES2.len()];
        }
        self.requests += 1;
        self.allowed += usize::from(violations.is_empty());
        for (k, rule) in RULES2.iter().enumerate() {
            if violations.iter().any(|v| v == rule) {
                if let Some(n) = self.denies.get_mut(k) {
                    *n += 1;
                }
            }
        }
    }

    /// An error naming every rule that never denies or always denies, or when no request or
    /// every request is allowed: a corpus that does not exercise each rule both ways.
    pub fn check(&self) -> Result<(), String> {
        let mut problems: Vec<String> = RULES2
            .iter()
            .zip(&self.denies)
            .filter(|(_, n)| **n == 0 || **n == self.requests)
            .map(|(rule, n)| format!("{rule} denies {n} of {} requests", self.requests))
            .collect();
        if self.denies.len() != RULES2.len() {
            problems.push("no requests".into());
        }
        if self.allowed == 0 || self.allowed == self.requests {
            problems.push(format!(
                "{} of {} requests allowed",
                self.allowed, self.requests
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipgate_agrees_with_the_rust_model_and_every_rule_denies_both_ways() {
        let race = Race2::new(2_000).unwrap();
        let mut coverage = Coverage::default();
        for (i, r) in race.requests_json.iter().enumerate() {
            let want = model2_violations(r);
            assert_eq!(race.shipgate(i).unwrap(), want, "request {i}: {r}");
            coverage.add(&want);
        }
        coverage.check().unwrap();
        // About half allowed: plenty of both verdicts to time each.
        assert!((700..1_300).contains(&coverage.allowed), "{coverage:?}");
    }

    #[test]
    fn the_corpus_is_deterministic() {
        assert_eq!(race2_corpus(50, 7), race2_corpus(50, 7));
        assert_ne!(race2_corpus(50, 7), race2_corpus(50, 8));
    }

    #[test]
    fn coverage_names_a_rule_that_never_denies() {
        let mut c = Coverage::default();
        c.add(&["deployer_role".to_string()]);
        c.add(&[]);
        let err = c.check().unwrap_err();
        assert!(err.contains("risk_ceiling denies 0 of 2"), "{err}");
        assert!(!err.contains("deployer_role"), "{err}");
    }

    #[test]
    fn cedar_gets_only_the_extend_fields() {
        let r = race2_corpus(1, 3).remove(0);
        let c = cedar2_request_json(&r);
        assert_eq!(c["principal"], "ana");
        assert!(c["context"].get("requester").is_none());
        assert_eq!(c["context"]["environment"], r["environment"]);
        assert_eq!(c["context"].as_object().unwrap().len(), 19);
    }
}
