//! Policy author tools: the lint (`shipgate lint`, SPEC 8.7) over a checked policy, and the
//! symbol index an editor reads (definitions and references of names).
//!
//! The lint reads the checked IR: what the evaluator will run, not the text. Where it needs a
//! place the IR does not keep (a name in the `groups` setting, an `otherwise` arm), it reads
//! the syntax tree of the same sources. Each finding has a stable code (docs/lint.md).

mod sat;
pub mod symbols;

use crate::calendar::{CalendarId, Lift};
use crate::check::Compiled;
use crate::check::ir::{Builtin, CExpr, ChangeField, CmpKind, CmpOp, Cond, Const, EffectIr, Field};
use crate::error::{Severity, SourceRange};
use crate::span::Span;
use crate::syntax::ast::{Item, Waived};
use sat::{Atoms, Formula};

/// Codes of the findings, stable across releases (tools filter on them).
pub mod code {
    /// A tier condition that can never decide the tier.
    pub const SHADOWED_TIER: &str = "SG-L001";
    /// A rule, or a `deny when`/`allow when` of a rule, whose condition can never hold.
    pub const NEVER_FIRES: &str = "SG-L002";
    /// An exemption or waiver declaration that can lift nothing.
    pub const LIFTS_NOTHING: &str = "SG-L003";
    /// A calendar or region never open within the horizon.
    pub const NEVER_OPEN: &str = "SG-L004";
    /// A group of the `groups` setting that nothing requires or grants.
    pub const GROUP_UNUSED: &str = "SG-L005";
    /// A strategy arm that can never be chosen.
    pub const ARM_NEVER_CHOSEN: &str = "SG-L006";
    /// A review skipped by a bare `emergency: true`.
    pub const EMERGENCY_SKIPS_REVIEW: &str = "SG-L007";
}

/// One finding of the lint: a stable code, a severity, where and what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// `SG-L001` ... (docs/lint.md lists them).
    pub code: &'static str,
    /// `error` for a policy that cannot work as written (a region never open); `warning`
    /// for what is almost certainly a mistake.
    pub severity: Severity,
    /// `file:line:col`.
    pub at: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The span the finding points at, for editors.
    #[serde(skip)]
    pub range: SourceRange,
}

/// Lints a compiled policy at `now` (calendars are searched over the horizon from `now`).
pub fn lint(compiled: &Compiled, now: crate::time::Instant) -> Vec<Finding> {
    let mut lint = Lint {
        compiled,
        atoms: Atoms::new(compiled.ir.tiers.len()),
        findings: Vec::new(),
    };
    lint.tiers();
    lint.rules();
    lint.exemptions();
    lint.calendars(now);
    lint.groups();
    lint.strategy();
    lint.emergency();
    let mut findings = lint.findings;
    findings.sort_by(|a, b| {
        (&a.range.path, a.range.start, a.code).cmp(&(&b.range.path, b.range.start, b.code))
    });
    findings
}

struct Lint<'a> {
    compiled: &'a Compiled,
    atoms: Atoms,
    findings: Vec<Finding>,
}

impl Lint<'_> {
    fn push(
        &mut self,
        code: &'static str,
        severity: Severity,
        span: Span,
        message: String,
        help: &str,
    ) {
        let sources = &self.compiled.sources;
        self.findings.push(Finding {
            code,
            severity,
            at: sources.location(span),
            message,
            help: help.to_string(),
            range: SourceRange::of(sources, span),
        });
    }

    fn formula(&mut self, cond: Option<&Cond>) -> Formula {
        match cond {
            Some(c) => self.atoms.formula(&c.expr),
            None => Formula::True,
        }
    }

    /// `Some(false)` only when the formula surely never holds.
    fn never(&self, f: &Formula) -> bool {
        self.atoms.satisfiable(f) == Some(false)
    }

    /// The syntax trees of the policy's files (they parsed once already, so again).
    fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for (i, f) in self.compiled.sources.files.iter().enumerate() {
            let id = crate::span::FileId(u32::try_from(i).unwrap_or(u32::MAX));
            items.extend(crate::syntax::parse(id, &f.text).0.items);
        }
        items
    }

    /// SG-L001: a tier condition that never holds, or that holds only when a higher tier's
    /// does (then the higher tier wins), or one for the lowest tier (the default anyway).
    fn tiers(&mut self) {
        let ir = &self.compiled.ir;
        let conds: Vec<(u8, Cond)> = ir
            .tier_rules
            .iter()
            .map(|t| (t.tier, t.cond.clone()))
            .collect();
        let formulas: Vec<Formula> = conds
            .iter()
            .map(|(_, c)| self.atoms.formula(&c.expr))
            .collect();
        for (i, (tier, cond)) in conds.iter().enumerate() {
            let name = ir
                .tiers
                .get(usize::from(*tier))
                .cloned()
                .unwrap_or_default();
            let f = formulas.get(i).cloned().unwrap_or(Formula::True);
            if *tier == 0 {
                self.push(
                    code::SHADOWED_TIER,
                    Severity::Warning,
                    cond.span,
                    format!("tier `{name}` is the lowest tier: a change is `{name}` when no other tier's condition holds, so this condition decides nothing"),
                    "remove this tier condition",
                );
                continue;
            }
            if self.never(&f) {
                self.push(
                    code::SHADOWED_TIER,
                    Severity::Warning,
                    cond.span,
                    format!("this condition for tier `{name}` can never hold"),
                    "fix the condition (its comparisons contradict each other) or remove it",
                );
                continue;
            }
            let higher = conds
                .iter()
                .zip(&formulas)
                .filter(|((t, _), _)| t > tier)
                .fold(Formula::False, |acc, (_, g)| Formula::or(acc, g.clone()));
            if self.never(&Formula::and(f, Formula::not(higher))) {
                self.push(
                    code::SHADOWED_TIER,
                    Severity::Warning,
                    cond.span,
                    format!("this condition for tier `{name}` never decides the tier: whenever it holds, the condition of a higher tier holds too"),
                    "the higher tier wins whenever this holds: narrow the higher tier's condition, or remove this one",
                );
            }
        }
    }

    /// SG-L002: a rule whose guard never holds, or a `deny when`/`allow when` that never
    /// holds under its rule's guard.
    fn rules(&mut self) {
        let rules: Vec<_> = self.compiled.ir.rules.iter().collect();
        for rule in rules {
            let guard = self.formula(rule.guard.as_ref());
            if let Some(g) = &rule.guard
                && self.never(&guard)
            {
                self.push(
                    code::NEVER_FIRES,
                    Severity::Warning,
                    g.span,
                    format!(
                        "rule `{}` never applies: its guard can never hold",
                        rule.name
                    ),
                    "fix the guard (its comparisons contradict each other) or remove the rule",
                );
                continue;
            }
            for effect in &rule.effects {
                let (EffectIr::Deny(c) | EffectIr::Allow(c)) = &effect.effect else {
                    continue;
                };
                let kind = if matches!(effect.effect, EffectIr::Deny(_)) {
                    "deny"
                } else {
                    "allow"
                };
                let f = self.atoms.formula(&c.expr);
                if self.never(&Formula::and(guard.clone(), f)) {
                    let under = if rule.guard.is_some() {
                        " under the rule's guard"
                    } else {
                        ""
                    };
                    self.push(
                        code::NEVER_FIRES,
                        Severity::Warning,
                        c.span,
                        format!("`{kind} when` of rule `{}` can never fire: its condition never holds{under}", rule.name),
                        "fix the condition (its comparisons contradict each other) or remove the effect",
                    );
                }
            }
        }
    }

    /// SG-L003: `exempt window` with no calendar that has a window, `exempt blackout` with no
    /// blackout at all, and a blackout lifted by name (`exempt blackout "N"`, `waivable
    /// blackout "N"`) whose calendars no region and no `services where`/`changes where`
    /// uses. (A name no calendar declares is already a compile error.)
    fn exemptions(&mut self) {
        let ir = &self.compiled.ir;
        let outlines = ir.calendars.outlines();
        let any_window = outlines.iter().any(|c| c.has_windows);
        let any_blackout = outlines.iter().any(|c| !c.blackouts.is_empty());
        let mut used: Vec<CalendarId> = ir
            .calendars
            .region_outlines()
            .iter()
            .flat_map(|r| r.calendars.iter().copied())
            .collect();
        used.extend(
            ir.service_scopes
                .iter()
                .chain(&ir.change_scopes)
                .flat_map(|s| s.calendars.iter().copied()),
        );
        // The bits of the names some used calendar declares.
        let reachable: u64 = outlines
            .iter()
            .filter(|c| used.contains(&c.id))
            .flat_map(|c| c.blackouts.iter().map(|(_, bit)| *bit))
            .fold(0, |a, b| a | b);
        let name_of = |bit: u64| {
            outlines
                .iter()
                .flat_map(|c| &c.blackouts)
                .find(|(_, b)| *b == bit)
                .map(|(n, _)| n.to_string())
                .unwrap_or_default()
        };
        let mut found = Vec::new();
        for rule in &ir.rules {
            for effect in &rule.effects {
                match effect.effect {
                    EffectIr::ExemptWindow if !any_window => found.push((
                        effect.span,
                        format!("`exempt window` in rule `{}` lifts nothing: no calendar has a window", rule.name),
                        "remove the exemption, or declare the windows it is meant to lift",
                    )),
                    EffectIr::ExemptBlackout(None) if !any_blackout => found.push((
                        effect.span,
                        format!("`exempt blackout` in rule `{}` lifts nothing: no calendar has a blackout", rule.name),
                        "remove the exemption, or declare the blackouts it is meant to lift",
                    )),
                    EffectIr::ExemptBlackout(Some(bits)) => {
                        for bit in (0..64).map(|i| 1u64 << i).filter(|b| bits & b != 0) {
                            if reachable & bit == 0 {
                                found.push((
                                    effect.span,
                                    format!(
                                        "`exempt blackout \"{}\"` in rule `{}` lifts nothing the policy applies: no region and no `services where`/`changes where` uses a calendar with that blackout",
                                        name_of(bit),
                                        rule.name
                                    ),
                                    "use the calendar in a region or scope, or remove the name (a catalog service's own `calendars` can still apply it)",
                                ));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let unreachable: Vec<String> = ir
            .waivable_blackouts
            .iter()
            .filter(|w| reachable & w.bit == 0)
            .map(|w| w.name.to_string())
            .collect();
        if !unreachable.is_empty() {
            for item in self.items() {
                if let Item::Waivable(w) = item
                    && let Waived::Blackout(name) = &w.target
                    && unreachable.contains(&name.value)
                {
                    found.push((
                        name.span,
                        format!(
                            "`waivable blackout \"{}\"` lets waivers lift nothing the policy applies: no region and no `services where`/`changes where` uses a calendar with that blackout",
                            name.value
                        ),
                        "use the calendar in a region or scope, or remove the declaration (a catalog service's own `calendars` can still apply it)",
                    ));
                }
            }
        }
        for (span, message, help) in found {
            self.push(code::LIFTS_NOTHING, Severity::Warning, span, message, help);
        }
    }

    /// SG-L004: a calendar with no open stretch within the horizon from `now`, and a region
    /// whose calendars are never open at once.
    fn calendars(&mut self, now: crate::time::Instant) {
        let set = &self.compiled.ir.calendars;
        let mut found = Vec::new();
        let mut closed = Vec::new();
        for c in set.outlines() {
            if set.group_next_window(&[c.id], now, 1, Lift::NONE).is_none() {
                closed.push(c.id);
                found.push((
                    c.span,
                    format!("calendar `{}` is never open within 365 days of {}", c.name, crate::time::format_instant(now)),
                    "a change that must fit this calendar can never ship: check its windows and blackouts",
                ));
            }
        }
        for r in set.region_outlines() {
            // A region with a closed calendar is reported at the calendar.
            if r.calendars.iter().any(|c| closed.contains(c)) {
                continue;
            }
            if set
                .group_next_window(r.calendars, now, 1, Lift::NONE)
                .is_none()
            {
                found.push((
                    r.span,
                    format!("region `{}` is never open within 365 days of {}: its calendars are each open, but never at the same time", r.name, crate::time::format_instant(now)),
                    "no change in this region can ship: check that the calendars' windows overlap (in their own time zones)",
                ));
            }
        }
        for (span, message, help) in found {
            self.push(code::NEVER_OPEN, Severity::Error, span, message, help);
        }
    }

    /// SG-L005: a group of the `groups` setting that no `require approval` asks for, no
    /// `waivable` lets grant waivers, and no `approvals("g")` counts.
    fn groups(&mut self) {
        let ir = &self.compiled.ir;
        let mut used = Vec::new();
        for rule in &ir.rules {
            for effect in &rule.effects {
                if let EffectIr::RequireApproval { group, .. } = effect.effect {
                    used.push(group);
                }
            }
            used.extend(rule.waivable.map(|(g, _)| g));
        }
        used.extend(ir.waivable_blackouts.iter().map(|w| w.group));
        let mut conds: Vec<&Cond> = ir.tier_rules.iter().map(|t| &t.cond).collect();
        for rule in &ir.rules {
            conds.extend(&rule.guard);
            for effect in &rule.effects {
                if let EffectIr::Deny(c) | EffectIr::Allow(c) = &effect.effect {
                    conds.push(c);
                }
            }
        }
        conds.extend(ir.strategy.iter().filter_map(|a| a.cond.as_ref()));
        conds.extend(ir.triggers.iter().filter_map(|t| t.when.as_ref()));
        conds.extend(ir.notify.iter().filter_map(|n| n.when.as_ref()));
        conds.extend(
            ir.service_scopes
                .iter()
                .chain(&ir.change_scopes)
                .map(|s| &s.cond),
        );
        for c in conds {
            counted_groups(&c.expr, &mut used);
        }
        let mut found = Vec::new();
        for item in self.items() {
            let Item::Groups { names, .. } = item else {
                continue;
            };
            for n in names {
                let index = ir.groups.iter().position(|g| **g == *n.name);
                if index.is_some_and(|i| !used.iter().any(|u| usize::from(*u) == i)) {
                    found.push((
                        n.span,
                        format!("group `{}` is never required: no `require approval`, `waivable ... by` or `approvals(\"{}\")` names it", n.name, n.name),
                    ));
                }
            }
        }
        for (span, message) in found {
            self.push(
                code::GROUP_UNUSED,
                Severity::Warning,
                span,
                message,
                "require its approval where it is meant to count, or remove it from `groups`",
            );
        }
    }

    /// SG-L006: a strategy arm whose condition never holds, or never holds unless an
    /// earlier arm's does (the first arm that holds is chosen).
    fn strategy(&mut self) {
        let arms = self.compiled.ir.strategy.clone();
        let written: Vec<Span> = self
            .items()
            .into_iter()
            .filter_map(|i| match i {
                Item::Strategy(s) => Some(s.arms.into_iter().map(|a| a.span)),
                _ => None,
            })
            .flatten()
            .collect();
        let mut earlier = Formula::False;
        for (i, arm) in arms.iter().enumerate() {
            let f = self.formula(arm.cond.as_ref());
            let span = match (&arm.cond, written.get(i)) {
                (Some(c), _) => c.span,
                (None, Some(s)) => *s,
                (None, None) => continue,
            };
            if self.never(&f) {
                self.push(
                    code::ARM_NEVER_CHOSEN,
                    Severity::Warning,
                    span,
                    format!(
                        "strategy `{}` is never chosen: its condition can never hold",
                        arm.name
                    ),
                    "fix the condition or remove the arm",
                );
            } else if self.never(&Formula::and(f.clone(), Formula::not(earlier.clone()))) {
                self.push(
                    code::ARM_NEVER_CHOSEN,
                    Severity::Warning,
                    span,
                    format!("strategy `{}` is never chosen: whenever its condition holds, an earlier arm's holds too (the first arm that holds is chosen)", arm.name),
                    "move the arm before the one that covers it, or narrow the earlier arm",
                );
            }
            earlier = Formula::or(earlier, f);
        }
    }

    /// SG-L007: a rule that requires an approval under a guard with the conjunct `not
    /// change.emergency`, when no other rule requires an approval (before the change) for
    /// every change the conjunct lets through: the same guard without it, with
    /// `change.emergency` true. A bare flag, with no incident or other evidence, then ships
    /// without any review.
    fn emergency(&mut self) {
        let ir = &self.compiled.ir;
        let reviews = |r: &crate::check::ir::RuleIr| {
            r.effects
                .iter()
                .any(|e| matches!(e.effect, EffectIr::RequireApproval { after: None, .. }))
        };
        // The rules that may review an emergency: they require an approval before the change,
        // and their guard has no `not change.emergency` conjunct. Their guards' formulas,
        // once each.
        let mut reviewers: Vec<Formula> = Vec::new();
        for rule in &ir.rules {
            if !reviews(rule) {
                continue;
            }
            let mut conjuncts = Vec::new();
            if let Some(g) = &rule.guard {
                conjuncts_of(&g.expr, &mut conjuncts);
            }
            if conjuncts.iter().any(|c| not_emergency(c).is_some()) {
                continue;
            }
            let g = self.formula(rule.guard.as_ref());
            reviewers.push(g);
        }
        let mut found = Vec::new();
        for rule in &ir.rules {
            let Some(guard) = &rule.guard else { continue };
            if !reviews(rule) {
                continue;
            }
            let mut conjuncts = Vec::new();
            conjuncts_of(&guard.expr, &mut conjuncts);
            let Some((k, flag_span)) = conjuncts
                .iter()
                .enumerate()
                .find_map(|(k, c)| Some((k, not_emergency(c)?)))
            else {
                continue;
            };
            let emergency = CExpr::Field(
                Box::new(CExpr::Change),
                Field::Change(ChangeField::Emergency),
                Span::default(),
            );
            let mut rest = self.atoms.formula(&emergency);
            for (j, c) in conjuncts.iter().enumerate() {
                if j != k {
                    let f = self.atoms.formula(c);
                    rest = Formula::and(rest, f);
                }
            }
            // Covered unless every reviewer surely misses some such change: an unknown answer
            // counts as covered, so the finding is only made when it is sure.
            let covered = reviewers.iter().any(|g| {
                self.atoms
                    .satisfiable(&Formula::and(rest.clone(), Formula::not(g.clone())))
                    != Some(true)
            });
            if !covered {
                found.push((
                    flag_span,
                    format!(
                        "`not change.emergency` lets a change skip the approvals of rule `{}` by saying `emergency: true`: no other rule requires an approval for such a change",
                        rule.name
                    ),
                ));
            }
        }
        for (span, message) in found {
            self.push(
                code::EMERGENCY_SKIPS_REVIEW,
                Severity::Warning,
                span,
                message,
                "ask for evidence of the emergency: drop `not change.emergency` and lift the rule with `exempt rule` from a rule whose guard checks the incident (`change has incident and ...`) and requires its own approval",
            );
        }
    }
}

/// The groups counted by `approvals("g")` in an expression.
fn counted_groups(e: &CExpr, out: &mut Vec<u16>) {
    if let CExpr::Call(Builtin::Approvals(g), _) = e {
        out.push(*g);
    }
    let mut walk = |x: &CExpr| counted_groups(x, out);
    match e {
        CExpr::Call(_, args) | CExpr::List(args) => args.iter().for_each(walk),
        CExpr::Field(a, ..)
        | CExpr::Has(a, _)
        | CExpr::Not(a)
        | CExpr::Neg(a)
        | CExpr::Named(a) => walk(a),
        CExpr::And(a, b)
        | CExpr::Or(a, b)
        | CExpr::Cmp(_, _, a, b)
        | CExpr::In(a, b)
        | CExpr::Contains(a, b)
        | CExpr::SubsetOf(a, b)
        | CExpr::Intersects(a, b)
        | CExpr::Add(_, a, b)
        | CExpr::Sub(_, a, b)
        | CExpr::Quant(_, _, a, b) => {
            walk(a);
            walk(b);
        }
        CExpr::Const(_) | CExpr::Change | CExpr::Tier | CExpr::Now | CExpr::Var(_) => {}
    }
}

fn conjuncts_of<'e>(e: &'e CExpr, out: &mut Vec<&'e CExpr>) {
    match e {
        CExpr::And(a, b) => {
            conjuncts_of(a, out);
            conjuncts_of(b, out);
        }
        CExpr::Named(a) => conjuncts_of(a, out),
        e => out.push(e),
    }
}

/// The span of `change.emergency` when `e` is `not change.emergency` (or `change.emergency
/// == false`, `change.emergency != true`).
fn not_emergency(e: &CExpr) -> Option<Span> {
    let flag = |x: &CExpr| match x {
        CExpr::Field(base, Field::Change(ChangeField::Emergency), span)
            if matches!(**base, CExpr::Change) =>
        {
            Some(*span)
        }
        _ => None,
    };
    match e {
        CExpr::Not(x) => flag(x),
        CExpr::Cmp(CmpOp::Eq, CmpKind::Bool, x, c) if **c == CExpr::Const(Const::Bool(false)) => {
            flag(x)
        }
        CExpr::Cmp(CmpOp::Ne, CmpKind::Bool, x, c) if **c == CExpr::Const(Const::Bool(true)) => {
            flag(x)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
