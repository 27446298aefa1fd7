//! Lowering: the checked IR's conditions to the evaluator's fast programs (`fast`), once, when
//! the engine is built. The checker knows nothing of these forms; the IR numbers its conditions
//! (`Cond::id`) and the programs are kept beside it at those indices.

use super::fast::{Fused, Program, compile};
use crate::check::Compiled;
use crate::check::ir::{Cond, EffectIr, PolicyIr, RuleIr};

/// A compiled policy set ready to evaluate: the checked IR and its conditions' programs.
#[derive(Debug)]
pub struct Policy {
    pub compiled: Compiled,
    /// `programs[c.id]` is the fast form of the condition `c`.
    pub programs: Box<[Program]>,
    /// The runs of two or more consecutive rules that only deny or have a guard (and no
    /// exemption), their conditions fused into one program each (`fast::Fused`), in the
    /// order of the rules.
    pub fused: Box<[Fused]>,
    /// This policy's identity, unique in the process: a catalog caches the check of its
    /// services' `extend` keys against the policy it was last checked with by this number
    /// (an address could be reused by a later policy).
    pub id: u64,
    /// The limits it was compiled with; a decision reads its evaluation budget here.
    pub limits: crate::limits::Limits,
    /// The indices of the `extend change` fields in the order of their names, and of the
    /// `extend service` fields: a session reads an input's fields into their slots in one
    /// pass over its keys, which are kept in that order (`prepare`).
    pub change_ext_order: Box<[u16]>,
    pub service_ext_order: Box<[u16]>,
    /// The `extend change` fields as a reader that reads a change for this policy knows them,
    /// when every one is of a type kept in a slot of its own (`typed.rs`).
    pub typed_schema: Option<crate::input::typed::TypedSchema>,
    /// The policy's groups (SPEC 8.8) and, when declared, its kinds: a session looks up every
    /// approval's and waiver's group and every kind of the change among them.
    pub group_names: NameSet,
    pub kind_names: Option<NameSet>,
}

/// A set of names a session looks names up in: a few plain strings scanned in place (a plain
/// string compares without first asking a `Text` where its bytes are), a hash set past
/// [`NameSet::SCANNED`], so that a lookup costs the same however many names the policy has.
#[derive(Debug)]
pub enum NameSet {
    Few(Box<[Box<str>]>),
    Many(foldhash::HashSet<Box<str>>),
}

impl NameSet {
    const SCANNED: usize = 8;

    fn new(names: &[crate::decision::Text]) -> NameSet {
        let plain = names.iter().map(|n| Box::<str>::from(n.as_str()));
        if names.len() > Self::SCANNED {
            NameSet::Many(plain.collect())
        } else {
            NameSet::Few(plain.collect())
        }
    }

    #[inline(always)]
    pub fn contains(&self, name: &str) -> bool {
        match self {
            // Most names differ in length or first byte: only a likely match pays for the
            // comparison of all its bytes (a call into the C library's `memcmp`).
            NameSet::Few(names) => names.iter().any(|n| {
                n.len() == name.len()
                    && n.as_bytes().first() == name.as_bytes().first()
                    && **n == *name
            }),
            NameSet::Many(set) => set.contains(name),
        }
    }
}

/// The indices of `fields` ordered by name.
fn by_name(fields: &[crate::check::ir::ExtField]) -> Box<[u16]> {
    let mut order: Vec<u16> = (0..fields.len())
        .filter_map(|i| u16::try_from(i).ok())
        .collect();
    order.sort_by(|a, b| {
        let name = |i: &u16| fields.get(usize::from(*i)).map(|f| f.name.as_str());
        name(a).cmp(&name(b))
    });
    order.into_boxed_slice()
}

impl Policy {
    /// Lowers every condition of the checked policy.
    pub fn new(compiled: Compiled, limits: crate::limits::Limits) -> Policy {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let programs = lower(&compiled.ir);
        let fused = fuse(&compiled.ir, &programs);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let change_ext_order = by_name(&compiled.ir.change_ext);
        let service_ext_order = by_name(&compiled.ir.service_ext);
        let typed_schema = super::typed::schema(id, &compiled.ir.change_ext);
        let group_names = NameSet::new(&compiled.ir.groups);
        let kind_names = compiled.ir.kinds.as_deref().map(NameSet::new);
        Policy {
            compiled,
            programs,
            fused,
            id,
            limits,
            change_ext_order,
            service_ext_order,
            typed_schema,
            group_names,
            kind_names,
        }
    }
}

/// The fast program of every condition of `ir`, by `Cond::id`.
pub fn lower(ir: &PolicyIr) -> Box<[Program]> {
    let mut programs: Vec<Option<Program>> = vec![None; ir.conditions as usize];
    let mut put = |c: &Cond| {
        if let Some(slot) = programs.get_mut(c.id as usize) {
            *slot = Some(compile(&c.expr));
        }
    };
    for t in &ir.tier_rules {
        put(&t.cond);
    }
    for r in &ir.rules {
        if let Some(g) = &r.guard {
            put(g);
        }
        for e in &r.effects {
            if let EffectIr::Deny(c) | EffectIr::Allow(c) = &e.effect {
                put(c);
            }
        }
    }
    for arm in &ir.strategy {
        if let Some(c) = &arm.cond {
            put(c);
        }
    }
    for t in &ir.triggers {
        if let Some(c) = &t.when {
            put(c);
        }
    }
    for n in &ir.notify {
        if let Some(c) = &n.when {
            put(c);
        }
    }
    for s in ir.service_scopes.iter().chain(&ir.change_scopes) {
        put(&s.cond);
    }
    // An id no condition of the IR carries is never looked up; it gets a program that holds
    // nothing rather than a hole.
    programs
        .into_iter()
        .map(|p| p.unwrap_or_else(Program::never))
        .collect()
}

/// Whether a rule only denies: no guard, no exemption, every effect a `deny`.
fn only_denies(r: &RuleIr) -> bool {
    r.guard.is_none()
        && !r.has_exemptions
        && !r.effects.is_empty()
        && r.effects
            .iter()
            .all(|e| matches!(e.effect, EffectIr::Deny(_)))
}

/// Whether a rule can be in a fused run: one that only denies (its conditions run there), or
/// one with a guard and no exemption (its guard runs there; where it holds, the run stops and
/// the rule's effects go one by one).
fn fusable(r: &RuleIr) -> bool {
    only_denies(r) || (r.guard.is_some() && !r.has_exemptions)
}

/// The number that marks a rule's guard among a fused run's conditions (`Fused::ends`), in
/// place of an effect's index.
pub const GUARD: u32 = u32::MAX;

/// A fusable rule's conditions in a run: a guarded rule's guard (numbered `GUARD`), an
/// unguarded one's denies (by effect index); `None` for anything else.
fn steps(r: &RuleIr) -> Vec<Option<(u32, &Cond)>> {
    match &r.guard {
        Some(g) => vec![Some((GUARD, g))],
        None => r
            .effects
            .iter()
            .enumerate()
            .map(|(ei, e)| match &e.effect {
                EffectIr::Deny(c) => Some((u32::try_from(ei).ok()?, c)),
                _ => None,
            })
            .collect(),
    }
}

/// The runs of at least two consecutive rules that can be fused, each fused into one
/// program.
pub fn fuse(ir: &PolicyIr, programs: &[Program]) -> Box<[Fused]> {
    let mut runs = Vec::new();
    let mut ri = 0;
    while ri < ir.rules.len() {
        let first = ri;
        while ir.rules.get(ri).is_some_and(fusable) {
            ri += 1;
        }
        let rules = ir.rules.get(first..ri).unwrap_or_default();
        let conditions: Option<Vec<_>> = rules
            .iter()
            .enumerate()
            .flat_map(|(k, r)| {
                let rule = u32::try_from(first + k).ok();
                steps(r).into_iter().map(move |step| {
                    let (effect, c) = step?;
                    Some((rule?, effect, programs.get(c.id as usize)?))
                })
            })
            .collect();
        // A condition without its program (none is) leaves the rules to run one by one.
        if rules.len() >= 2
            && let Some(conditions) = conditions
        {
            runs.push(Fused::new(first, ri, conditions));
        }
        ri = ri.max(first + 1);
    }
    runs.into_boxed_slice()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::Policy;
    use crate::graph::Catalog;
    use crate::input::Change;
    use crate::limits::Limits;

    const POLICY: &str = r#"
tiers low
groups cab
extend change { env: string, n: int?, flag: bool }
rule a { deny when change.env == "prod" }
rule b { deny when change.n > 2 }
rule c {
  deny when change.flag
  deny when change.env != "dev"
}
rule guarded {
  when change.flag
  deny when change.env == "x"
}
rule guarded_require {
  when change.n > 2 or change.env == "x"
  require approval "cab"
}
rule d {
  deny when "prod" == change.env and change.flag
  message "flagged in {change.env}"
}
rule e { deny when change.n >= 0 or change.flag }
rule lone_before_allow { deny when change.flag }
rule f { allow when change.flag }
rule g { deny when not change.flag }
rule h { deny when not (change.flag and change.env == "prod") }
rule i { deny when (change.flag and change.env == "dev") or change.env == "x" }
"#;

    fn engine() -> Policy {
        let files = vec![("p.gate".to_string(), POLICY.to_string())];
        let compiled = crate::check::compile_sources(files, None, &Limits::default()).unwrap();
        Policy::new(compiled, Limits::default())
    }

    /// Runs of two or more rules that only deny or have a guard (and no exemption), one
    /// fused program each: every `deny` of an unguarded rule numbered in order, a guarded
    /// rule's guard (`GUARD`); a rule with neither stays out.
    #[test]
    fn runs_of_rules_that_deny_or_have_a_guard_are_fused() {
        let engine = engine();
        let runs: Vec<_> = engine
            .fused
            .iter()
            .map(|f| (f.first, f.end, f.ends.to_vec()))
            .collect();
        assert_eq!(
            runs,
            vec![
                (
                    0,
                    8,
                    vec![
                        (0, 0),
                        (1, 0),
                        (2, 0),
                        (2, 1),
                        (3, super::GUARD),
                        (4, super::GUARD),
                        (5, 0),
                        (6, 0),
                        (7, 0)
                    ]
                ),
                (9, 12, vec![(9, 0), (10, 0), (11, 0)]),
            ]
        );
    }

    /// The fused runs decide as the rules one by one do: the general evaluator's decision
    /// (no fused run), the same reasons in the same order, a condition that cannot be
    /// evaluated (an absent optional) failing closed without stopping the next rules.
    #[test]
    fn fused_runs_decide_as_the_rules_one_by_one() {
        let engine = engine();
        let catalog = Catalog::from_json(&serde_json::json!({ "services": [] })).unwrap();
        let now = crate::time::parse_instant("2026-12-01T09:00:00Z").unwrap();
        let mut seen_error = false;
        for env in ["prod", "dev", "x"] {
            for n in [None, Some(1), Some(3)] {
                for flag in [false, true] {
                    let mut json = serde_json::json!({
                        "id": "C1", "services": [], "requester": "ana", "implementer": "bo",
                        "start": "2026-12-01T10:00:00Z", "duration": "1h",
                        "env": env, "flag": flag,
                    });
                    if let Some(n) = n {
                        json["n"] = n.into();
                    }
                    let change = Change::from_json(&json).unwrap();
                    let decide = |reference| {
                        super::super::evaluate_with(
                            &engine, &change, &catalog, now, false, reference,
                        )
                        .unwrap()
                    };
                    let (fast, reference) = (decide(false), decide(true));
                    assert_eq!(fast.to_json(), reference.to_json(), "{json}");
                    let rules: Vec<&str> = fast.reasons.iter().map(|r| r.rule.as_str()).collect();
                    if n.is_none() {
                        // `change.n > 2` fails closed; rule c still runs after it.
                        assert!(rules.contains(&"b"), "{rules:?}");
                        // So does the guard of `guarded_require` (the `or`'s left side
                        // fails before its right side is read), and the run goes on.
                        assert!(rules.contains(&"guarded_require"), "{rules:?}");
                        assert_eq!(rules.contains(&"d"), env == "prod" && flag, "{rules:?}");
                        assert!(
                            fast.reasons
                                .iter()
                                .any(|r| r.message.contains("failing closed"))
                        );
                        assert_eq!(rules.contains(&"c"), flag || env != "dev", "{rules:?}");
                        seen_error = true;
                    }
                }
            }
        }
        assert!(seen_error);
    }
}
