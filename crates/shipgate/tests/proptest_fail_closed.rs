//! Failing closed, as a property (issue 12): for random policies and random inputs, whenever
//! an obvious model says that something stops the change (a deny condition holds or cannot be
//! evaluated, a requirement is unmet, a blackout covers it, a tier condition errs above the
//! tier, no `allow` fires under `default deny`), the engine never answers `allow`.
//!
//! The policies are built from a small grammar: a `default`, tier conditions, rules with a
//! guard, a `deny when`, a `require approval` and an `exempt` (of a later rule, so never a
//! cycle, or of the blackout), `allow when` rules, and a one-off blackout. Their conditions are
//! the well-typed expressions of `model` (which never fail), and expressions that can fail at
//! run time: an absent optional field read without `has` (also inside a quantifier) and an
//! integer overflow. The model evaluates `and`, `or` and `any` left to right, short-circuiting
//! as the language reference says, so an error is an error wherever the engine must meet it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod model;

use model::*;
use proptest::prelude::*;
use serde_json::json;
use shipgate::{Catalog, Change, Engine, Verdict};

const TIERS: [&str; 4] = ["low", "medium", "high", "critical"];

/// `change.size + OVERFLOW_BASE` overflows an `i64` exactly when the size is above 807.
const OVERFLOW_BASE: i64 = i64::MAX - 807;

/// A condition that may fail when evaluated. `Err(())` is an evaluation error.
#[derive(Debug, Clone)]
enum E {
    /// A well-typed expression of the model: never an error.
    Pure(B),
    /// `change.opt OP N`: an error when `opt` is absent.
    Opt(&'static str, i64),
    /// `change has opt`
    HasOpt,
    /// `change.size + OVERFLOW_BASE > 0`: an error when the sum overflows.
    Overflow,
    /// `tier >= NAME` (not in tier conditions).
    TierAtLeast(usize),
    /// `any s in change.services: (SB) and change.opt OP s.tier`
    AnyOpt(Box<SB>, &'static str),
    Not(Box<E>),
    And(Box<E>, Box<E>),
    Or(Box<E>, Box<E>),
}

/// What the model needs beyond `World`: the optional field and the computed tier.
struct Ctx<'a> {
    w: &'a World,
    opt: Option<i64>,
    tier: usize,
}

impl E {
    fn text(&self) -> String {
        match self {
            E::Pure(b) => format!("({})", b.text()),
            E::Opt(op, n) => format!("change.opt {op} {n}"),
            E::HasOpt => "change has opt".into(),
            E::Overflow => format!("change.size + {OVERFLOW_BASE} > 0"),
            E::TierAtLeast(t) => format!("tier >= {}", TIERS[*t]),
            E::AnyOpt(sb, op) => format!(
                "(any s in change.services: ({}) and change.opt {op} s.tier)",
                sb.text()
            ),
            E::Not(x) => format!("not ({})", x.text()),
            E::And(a, b) => format!("({}) and ({})", a.text(), b.text()),
            E::Or(a, b) => format!("({}) or ({})", a.text(), b.text()),
        }
    }

    fn eval(&self, c: &Ctx) -> Result<bool, ()> {
        match self {
            E::Pure(b) => Ok(b.eval(c.w)),
            E::Opt(op, n) => c.opt.map(|v| cmp(op, v, *n)).ok_or(()),
            E::HasOpt => Ok(c.opt.is_some()),
            E::Overflow => c.w.size.checked_add(OVERFLOW_BASE).map(|v| v > 0).ok_or(()),
            E::TierAtLeast(t) => Ok(c.tier >= *t),
            E::AnyOpt(sb, op) => {
                for i in &c.w.touched {
                    let s = &c.w.services[*i];
                    if sb.eval(s, c.w) && cmp(op, c.opt.ok_or(())?, s.tier) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            E::Not(x) => x.eval(c).map(|b| !b),
            E::And(a, b) => Ok(a.eval(c)? && b.eval(c)?),
            E::Or(a, b) => Ok(a.eval(c)? || b.eval(c)?),
        }
    }

    fn reads_tier(&self) -> bool {
        match self {
            E::TierAtLeast(_) => true,
            E::Not(x) => x.reads_tier(),
            E::And(a, b) | E::Or(a, b) => a.reads_tier() || b.reads_tier(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
enum Exempt {
    /// `exempt rule r{index}` of a later rule.
    Rule(usize),
    Blackout,
    /// `exempt blackout "freeze"` (generated only when the policy has the blackout).
    Named,
}

#[derive(Debug, Clone)]
struct Rule {
    guard: Option<E>,
    deny: Option<E>,
    /// `require approval "cab" count N`
    require: Option<usize>,
    exempt: Option<Exempt>,
}

#[derive(Debug, Clone)]
struct Policy {
    default_deny: bool,
    /// `tier NAME when COND`: the tier's index (above the lowest) and the condition.
    tiers: Vec<(usize, E)>,
    rules: Vec<Rule>,
    /// `allow when COND` rules (generated under `default deny` only).
    allows: Vec<E>,
    /// A one-off blackout `[from, to)` in UTC, unix seconds on the hour.
    blackout: Option<(i64, i64)>,
    /// The rules declared `waivable ... by "change-manager" max 60d`.
    waivable: Vec<usize>,
    /// `waivable blackout "freeze" by "change-manager" max 60d` (with the blackout only).
    waivable_blackout: bool,
}

fn minute_text(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

impl Policy {
    fn text(&self) -> String {
        let mut p = String::from(
            "groups cab, change-manager\nextend change {\n  opt: int?\n  \
             backups: list<{service: string, taken_at: datetime}>\n}\n",
        );
        p += if self.default_deny {
            "default deny\n"
        } else {
            "default allow\n"
        };
        for (t, cond) in &self.tiers {
            p += &format!("tier {} when {}\n", TIERS[*t], cond.text());
        }
        for (i, r) in self.rules.iter().enumerate() {
            p += &format!("rule r{i} {{\n");
            if let Some(g) = &r.guard {
                p += &format!("  when {}\n", g.text());
            }
            if let Some(d) = &r.deny {
                p += &format!("  deny when {}\n", d.text());
            }
            if let Some(n) = r.require {
                p += &format!("  require approval \"cab\" count {n}\n");
            }
            match r.exempt {
                Some(Exempt::Rule(j)) => p += &format!("  exempt rule r{j}\n"),
                Some(Exempt::Blackout) => p += "  exempt blackout\n",
                Some(Exempt::Named) => p += "  exempt blackout \"freeze\"\n",
                None => {}
            }
            p += "}\n";
        }
        for (i, a) in self.allows.iter().enumerate() {
            p += &format!("rule allow{i} {{\n  allow when {}\n}}\n", a.text());
        }
        for i in &self.waivable {
            p += &format!("waivable r{i} by \"change-manager\" max 60d\n");
        }
        if self.waivable_blackout {
            p += "waivable blackout \"freeze\" by \"change-manager\" max 60d\n";
        }
        if let Some((from, to)) = self.blackout {
            p += &format!(
                "calendar c timezone \"UTC\" {{\n  blackout \"freeze\" from {} to {}\n}}\n\
                 region eu uses c\n",
                minute_text(from),
                minute_text(to)
            );
        }
        p
    }
}

/// The inputs beyond `World`: the optional field, the approvals `(by, seconds after now)`
/// and the waivers `(index of the rule, by)` and of the blackout `(by)`, each valid from
/// before `now` to after the change.
#[derive(Debug, Clone)]
struct Extra {
    opt: Option<i64>,
    approvals: Vec<(&'static str, i64)>,
    waivers: Vec<(usize, &'static str)>,
    blackout_waivers: Vec<&'static str>,
}

const NOW: &str = "2026-12-01T09:00:00Z";

fn now_secs() -> i64 {
    chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .timestamp()
}

/// Why the model says the change must not be allowed, if it does.
fn must_not_allow(p: &Policy, w: &World, x: &Extra) -> Option<String> {
    let ctx = |tier| Ctx {
        w,
        opt: x.opt,
        tier,
    };
    // The tier: the highest whose condition holds; one that errs above it stops the change.
    let tier = p
        .tiers
        .iter()
        .filter(|(_, c)| c.eval(&ctx(0)) == Ok(true))
        .map(|(t, _)| *t)
        .max()
        .unwrap_or(0);
    for (t, c) in &p.tiers {
        if *t > tier && c.eval(&ctx(0)).is_err() {
            return Some(format!("tier {} errs above {}", TIERS[*t], TIERS[tier]));
        }
    }
    let c = ctx(tier);
    let holds = |g: &Option<E>| g.as_ref().map_or(Ok(true), |g| g.eval(&c));
    // Exemptions apply first, from rules whose guard holds (an error lifts nothing).
    let mut exempted = vec![false; p.rules.len()];
    // A waiver lifts a waivable rule when neither the requester nor the implementer grants it
    // (separation of duties, as for approvals); every other condition holds by construction.
    for (k, by) in &x.waivers {
        if p.waivable.contains(k) && *by != w.requester && *by != w.implementer {
            exempted[*k] = true;
        }
    }
    // A blackout waiver: the same separation of duties.
    let mut blackout_exempt = p.waivable_blackout
        && x.blackout_waivers
            .iter()
            .any(|by| *by != w.requester && *by != w.implementer);
    for r in &p.rules {
        if holds(&r.guard) == Ok(true) {
            match r.exempt {
                Some(Exempt::Rule(j)) => exempted[j] = true,
                Some(Exempt::Blackout | Exempt::Named) => blackout_exempt = true,
                None => {}
            }
        }
    }
    // The approvals that count: distinct, neither the requester's nor the implementer's, not
    // dated after now.
    let mut counted: Vec<&str> = x
        .approvals
        .iter()
        .filter(|(by, after)| *by != w.requester && *by != w.implementer && *after <= 0)
        .map(|(by, _)| *by)
        .collect();
    counted.sort();
    counted.dedup();
    for (i, r) in p.rules.iter().enumerate() {
        if exempted[i] || (r.deny.is_none() && r.require.is_none()) {
            continue;
        }
        match holds(&r.guard) {
            Err(()) => return Some(format!("the guard of r{i} errs")),
            Ok(false) => continue,
            Ok(true) => {}
        }
        if let Some(d) = &r.deny {
            match d.eval(&c) {
                Ok(true) => return Some(format!("r{i} denies")),
                Err(()) => return Some(format!("the deny condition of r{i} errs")),
                Ok(false) => {}
            }
        }
        if let Some(n) = r.require {
            if counted.len() < n {
                return Some(format!("r{i} needs {n} approvals, {} count", counted.len()));
            }
        }
    }
    if let Some((from, to)) = p.blackout {
        if !blackout_exempt && w.start < to && from < w.start + 3600 {
            return Some("the blackout covers the change".into());
        }
    }
    if p.default_deny && !p.allows.iter().any(|a| a.eval(&c) == Ok(true)) {
        return Some("default deny and no allow fires".into());
    }
    None
}

fn cond(tier: bool) -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        3 => boolean().prop_map(E::Pure),
        2 => (op(), -1i64..5).prop_map(|(o, n)| E::Opt(o, n)),
        1 => Just(E::HasOpt),
        1 => Just(E::Overflow),
        1 => (sb(), op()).prop_map(|(s, o)| E::AnyOpt(Box::new(s), o)),
        (if tier { 1 } else { 0 }) => (1..4usize).prop_map(E::TierAtLeast),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| E::Not(Box::new(x))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| E::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| E::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::option::weighted(0.5, cond(true)),
        prop::option::weighted(0.7, cond(true)),
        prop::option::weighted(0.3, 1..3usize),
        prop::option::weighted(
            0.4,
            prop_oneof![
                3 => (1..4usize).prop_map(Exempt::Rule),
                1 => Just(Exempt::Blackout),
                1 => Just(Exempt::Named),
            ],
        ),
    )
        .prop_map(|(guard, deny, require, exempt)| Rule {
            guard,
            deny,
            require,
            exempt,
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        prop::collection::vec((1..4usize, cond(false)), 0..3),
        prop::collection::vec(rule(), 1..5),
        prop::collection::vec(cond(true), 0..3),
        prop::option::weighted(0.5, (-60i64..60, 1i64..36)),
    )
        .prop_map(|(default_deny, tiers, mut rules, allows, blackout)| {
            // An exemption names a later rule (so never a cycle), or none past the last.
            let n = rules.len();
            for (i, r) in rules.iter_mut().enumerate() {
                if let Some(Exempt::Rule(d)) = r.exempt {
                    r.exempt = (i + d < n).then_some(Exempt::Rule(i + d));
                }
                // A name no calendar declares does not compile: lift them all instead.
                if matches!(r.exempt, Some(Exempt::Named)) && blackout.is_none() {
                    r.exempt = Some(Exempt::Blackout);
                }
            }
            Policy {
                default_deny,
                tiers,
                rules,
                allows: if default_deny { allows } else { Vec::new() },
                blackout: blackout.map(|(from, hours)| {
                    let from = base_day() * 86_400 + from * 3600;
                    (from, from + hours * 3600)
                }),
                waivable: Vec::new(),
                waivable_blackout: false,
            }
        })
}

fn extra() -> impl Strategy<Value = Extra> {
    let by = prop::sample::select(vec!["ana", "Bob", "bob", "chen", "dana", "eve"]);
    (
        prop::option::weighted(0.5, -1i64..5),
        prop::collection::vec((by, prop::sample::select(vec![-3600i64, 0, 60])), 0..4),
    )
        .prop_map(|(opt, approvals)| Extra {
            opt,
            approvals,
            waivers: Vec::new(),
            blackout_waivers: Vec::new(),
        })
}

/// A policy whose rules may be waivable, and inputs with waivers granted by anyone, the
/// requester and the implementer included.
fn waived() -> impl Strategy<Value = (Policy, Extra)> {
    let by = prop::sample::select(vec!["ana", "Bob", "bob", "chen"]);
    (
        policy(),
        extra(),
        prop::collection::vec(0..4usize, 1..3),
        prop::collection::vec((0..4usize, by.clone()), 1..3),
        any::<bool>(),
        prop::collection::vec(by, 0..3),
    )
        .prop_map(
            |(mut p, mut x, waivable, waivers, waivable_blackout, blackout_waivers)| {
                p.waivable = waivable
                    .into_iter()
                    .filter(|i| *i < p.rules.len())
                    .collect();
                p.waivable.sort();
                p.waivable.dedup();
                x.waivers = waivers;
                p.waivable_blackout = waivable_blackout && p.blackout.is_some();
                x.blackout_waivers = blackout_waivers;
                (p, x)
            },
        )
}

fn decide(p: &Policy, w: &World, x: &Extra) -> (Verdict, Verdict) {
    let text = p.text();
    let engine = Engine::from_source(&text, "prop.gate")
        .unwrap_or_else(|e| panic!("policy did not compile: {e}\n{text}"));
    let (mut catalog, mut change) = input_json(w);
    for s in catalog["services"].as_array_mut().unwrap() {
        s["regions"] = json!(["eu"]);
    }
    if let Some(v) = x.opt {
        change["opt"] = json!(v);
    }
    let now = now_secs();
    change["approvals"] = x
        .approvals
        .iter()
        .map(|(by, after)| json!({"by": by, "group": "cab", "at": instant_text(now + after)}))
        .collect();
    change["waivers"] = x
        .waivers
        .iter()
        .map(|(k, by)| {
            json!({"rule": format!("r{k}"), "by": by, "group": "change-manager",
                   "granted_at": instant_text(now - 3600),
                   "expires_at": instant_text(w.start + 2 * 86_400)})
        })
        .chain(x.blackout_waivers.iter().map(|by| {
            json!({"blackout": "freeze", "by": by, "group": "change-manager",
                   "granted_at": instant_text(now - 3600),
                   "expires_at": instant_text(w.start + 2 * 86_400)})
        }))
        .collect();
    let catalog = Catalog::from_json(&catalog).unwrap();
    let change = Change::from_json(&change).unwrap();
    let now = shipgate::parse_instant(NOW).unwrap();
    let fast = engine.evaluate(&change, &catalog, now, false).unwrap();
    let reference = engine
        .evaluate_reference(&change, &catalog, now, false)
        .unwrap();
    (fast.verdict, reference.verdict)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_never_allows_what_the_model_stops(p in policy(), w in world(), x in extra()) {
        // A tier condition cannot read `tier`: those conditions are generated without it.
        prop_assert!(p.tiers.iter().all(|(_, c)| !c.reads_tier()));
        if let Some(why) = must_not_allow(&p, &w, &x) {
            let (fast, reference) = decide(&p, &w, &x);
            prop_assert_ne!(fast, Verdict::Allow, "{}\n{}", why, p.text());
            prop_assert_ne!(reference, Verdict::Allow, "{}\n{}", why, p.text());
        }
    }

    /// Waivers, the implementer's among them: the implementer's approval never counts, and
    /// the implementer's waiver must not lift a rule either (issue 12, finding 7), nor a
    /// blackout (SPEC 8.3).
    #[test]
    fn waivers_never_open_what_the_model_keeps_closed((p, x) in waived(), w in world()) {
        if let Some(why) = must_not_allow(&p, &w, &x) {
            let (fast, reference) = decide(&p, &w, &x);
            prop_assert_ne!(fast, Verdict::Allow, "{}\n{}\n{:?}", why, p.text(), x.waivers);
            prop_assert_ne!(reference, Verdict::Allow, "{}\n{}\n{:?}", why, p.text(), x.waivers);
        }
    }
}
