//! What `explain` adds to a decision: the values each condition saw, and the steps that
//! stand between the change and shipping.
//!
//! Nothing here runs without `explain`. A condition is decided first as always (by its fast
//! program when it has one); explaining then evaluates it again with the general evaluator,
//! atom by atom, on a budget of its own, so that the decision itself is the same with or
//! without `explain` and the common path carries none of this code.

use chrono::TimeZone;

use super::expr::{Ctx, render, type_error};
use super::value::{EvalError, Value};
use crate::check::ir::{AtomText, Builtin, CExpr, Cond, PolicyIr, QuantKind};
use crate::decision::*;
use crate::span::{SourceMap, Span};
use crate::time::format_duration;

/// What each atom of `c` saw, in evaluation order, and how many more atoms were evaluated
/// than are listed. `budget` is what explaining may still spend in this decision; the
/// decision's own budget is left as it was.
pub fn seen<'a>(ctx: &mut Ctx<'a>, c: &'a Cond, budget: &mut u64) -> (Vec<SeenValue>, u32) {
    let saved = (ctx.budget, ctx.over_budget);
    ctx.budget = *budget;
    ctx.over_budget = false;
    let mut walk = Walk {
        atoms: &c.atoms,
        sources: ctx.sources,
        next: 0,
        out: Vec::new(),
        more: 0,
    };
    walk.node(ctx, &c.expr);
    *budget = ctx.budget;
    (ctx.budget, ctx.over_budget) = saved;
    (walk.out, walk.more)
}

struct Walk<'c> {
    atoms: &'c [AtomText],
    sources: &'c SourceMap,
    /// The index in `atoms` of the next atom met.
    next: usize,
    out: Vec<SeenValue>,
    more: u32,
}

/// Whether `e` is part of a condition's `and`/`or`/`not` skeleton rather than an atom.
fn skeleton(e: &CExpr) -> bool {
    matches!(e, CExpr::And(..) | CExpr::Or(..) | CExpr::Not(_))
}

/// The atoms under `e`, as `check::expr::atom_texts` counts them.
fn atoms_in(e: &CExpr) -> usize {
    match e {
        CExpr::And(a, b) | CExpr::Or(a, b) => atoms_in(a) + atoms_in(b),
        CExpr::Not(x) if skeleton(x) => atoms_in(x),
        _ => 1,
    }
}

impl Walk<'_> {
    /// Walks the skeleton as the evaluator does (`and`/`or` short-circuit, an error stops
    /// the condition): `None` when it could not be evaluated.
    fn node<'a>(&mut self, ctx: &mut Ctx<'a>, e: &'a CExpr) -> Option<bool> {
        match e {
            CExpr::And(a, b) => match self.node(ctx, a) {
                Some(true) => self.node(ctx, b),
                other => {
                    self.next += atoms_in(b);
                    other
                }
            },
            CExpr::Or(a, b) => match self.node(ctx, a) {
                Some(false) => self.node(ctx, b),
                other => {
                    self.next += atoms_in(b);
                    other
                }
            },
            CExpr::Not(x) if skeleton(x) => self.node(ctx, x).map(|h| !h),
            // `x not in y` is one atom written with its `not`; `not x` applies to the atom.
            CExpr::Not(x) => match self.atoms.get(self.next) {
                Some(t) if t.negated => self.atom(ctx, x, true),
                _ => self.atom(ctx, x, false).map(|h| !h),
            },
            _ => self.atom(ctx, e, false),
        }
    }

    fn atom<'a>(&mut self, ctx: &mut Ctx<'a>, e: &'a CExpr, negated: bool) -> Option<bool> {
        let text = self.atoms.get(self.next).copied();
        self.next += 1;
        if self.out.len() >= SeenValue::MAX_PER_CONDITION {
            self.more = self.more.saturating_add(1);
            return holds(ctx, e).ok().map(|h| h != negated);
        }
        let shown = |span: Option<Span>| {
            span.map(|s| snippet(self.sources.text(s)))
                .unwrap_or_else(|| Text::new_static("?"))
        };
        let [first, second] = text.map(|t| t.operands).unwrap_or([None, None]);
        let sides: Vec<&'a CExpr> = match e {
            CExpr::Cmp(_, _, a, b)
            | CExpr::In(a, b)
            | CExpr::Contains(a, b)
            | CExpr::SubsetOf(a, b)
            | CExpr::Intersects(a, b) => vec![a, b],
            CExpr::Call(Builtin::StartsWith | Builtin::EndsWith, args) => args.iter().collect(),
            _ => Vec::new(),
        };
        let mut operands = Vec::with_capacity(sides.len());
        for (side, span) in sides.into_iter().zip([first, second]) {
            let value = ctx.eval(side).ok().map(|v| json(&v, ctx));
            operands.push(Operand {
                expr: shown(span),
                value,
                literal: literal(side),
            });
        }
        // A named condition is listed by its name; a quantifier it stands for still names
        // its witness.
        let settled = match e {
            CExpr::Named(body) => body,
            _ => e,
        };
        let (outcome, witness) = match settled {
            CExpr::Quant(kind @ (QuantKind::Any | QuantKind::All), slot, list, body) => {
                match quantified(ctx, *kind, *slot, list, body) {
                    Ok((h, w)) => (Ok(h), w),
                    Err(err) => (Err(err), None),
                }
            }
            _ => (holds(ctx, e), None),
        };
        let outcome = outcome.map(|h| h != negated);
        self.out.push(SeenValue {
            expr: shown(text.map(|t| t.span)),
            result: outcome.as_ref().ok().copied(),
            error: outcome
                .as_ref()
                .err()
                .map(|e| Text::from(e.message.clone())),
            operands,
            witness: witness.map(|w| Text::from(capped(&w))),
        });
        outcome.ok()
    }
}

fn holds<'a>(ctx: &mut Ctx<'a>, e: &'a CExpr) -> Result<bool, EvalError> {
    match ctx.eval(e)? {
        Value::Bool(b) => Ok(b),
        _ => Err(type_error()),
    }
}

/// `any`/`all` as the evaluator decides it, with the element that settled it: the first an
/// `any` holds for, the first an `all` fails for.
fn quantified<'a>(
    ctx: &mut Ctx<'a>,
    kind: QuantKind,
    slot: u16,
    list: &'a CExpr,
    body: &'a CExpr,
) -> Result<(bool, Option<String>), EvalError> {
    let Value::List(l) = ctx.eval(list)? else {
        return Err(type_error());
    };
    for i in 0..ctx.list_len(&l)? {
        ctx.charge(1)?;
        let v = ctx.item(&l, i)?;
        ctx.bind(usize::from(slot), v.clone());
        let h = holds(ctx, body)?;
        if h == matches!(kind, QuantKind::Any) {
            return Ok((h, Some(render(&v, ctx))));
        }
    }
    Ok((matches!(kind, QuantKind::All), None))
}

/// Whether an operand is a literal of the policy (`300`, `"cab"`, `[a, b]`, `high`).
fn literal(e: &CExpr) -> bool {
    match e {
        CExpr::Const(_) => true,
        CExpr::Neg(x) => literal(x),
        CExpr::List(items) => items.iter().all(literal),
        _ => false,
    }
}

/// Source text on one line, capped.
fn snippet(text: &str) -> Text {
    Text::from(capped(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
    ))
}

/// `s` cut to `SeenValue::MAX_TEXT` characters, ending `...` when cut.
fn capped(s: &str) -> String {
    match s.char_indices().nth(SeenValue::MAX_TEXT) {
        None => s.to_owned(),
        Some((end, _)) => format!("{}...", s.get(..end).unwrap_or_default()),
    }
}

/// A value as JSON: numbers, bools and strings as they are, lists as arrays (capped), any
/// other value as its text.
fn json<'a>(v: &Value<'a>, ctx: &mut Ctx<'a>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or_else(|| J::String(f.to_string())),
        Value::Str(s) => J::String(capped(s)),
        Value::List(l) => {
            let n = l.len();
            let mut items = Vec::with_capacity(n.min(SeenValue::MAX_LIST + 1));
            for i in 0..n.min(SeenValue::MAX_LIST) {
                items.push(match ctx.item(l, i) {
                    Ok(x) => json(&x, ctx),
                    Err(_) => J::String(String::from("<invalid>")),
                });
            }
            if n > SeenValue::MAX_LIST {
                items.push(J::String(format!("... {} more", n - SeenValue::MAX_LIST)));
            }
            J::Array(items)
        }
        other => J::String(capped(&render(other, ctx))),
    }
}

/// What stands between the change and shipping, in order: the deny reasons to resolve, the
/// approvals and checks missing, the window to wait for.
pub fn to_ship(
    ir: &PolicyIr,
    reasons: &[Reason],
    requirements: &[Requirement],
    schedule: &Schedule,
) -> Vec<ShipStep> {
    let mut steps = Vec::new();
    // Who may waive a rule, and for how long, when the policy says.
    let waiver = |rule: &str| {
        let r = ir.rules.iter().find(|r| r.name == rule)?;
        let (g, max) = r.waivable?;
        let group = ir.groups.get(usize::from(g))?.clone();
        let text = format!(
            "or get a waiver of {rule} from {group} (at most {})",
            format_duration(max)
        );
        Some((group, text))
    };
    for r in reasons.iter().filter(|r| r.rule != "schedule") {
        let mut text = format!("resolve {}: {}", r.rule, r.message);
        let mut group = None;
        if let Some((g, w)) = waiver(&r.rule) {
            text = format!("{text}; {w}");
            group = Some(g);
        }
        steps.push(ShipStep {
            step: StepKind::Resolve,
            text: Text::from(text),
            rule: Some(r.rule.clone()),
            group,
            missing: None,
            window: None,
        });
    }
    for r in requirements.iter().filter(|r| !r.satisfied) {
        let mut notes: Vec<String> = Vec::new();
        let (step, mut text, missing) = match r.kind {
            RequirementKind::Approval => {
                let missing = r.needed.saturating_sub(r.counted.len() as u32);
                let group = r.group.as_deref().unwrap_or_default();
                let plural = if missing == 1 { "" } else { "s" };
                if !r.counted.is_empty() {
                    notes.push(format!("have {}", r.counted.join(", ")));
                }
                notes.extend(r.ignored.iter().map(|i| approval_note(&i.by, &i.why)));
                let text = format!("get {missing} more approval{plural} from {group}");
                (StepKind::Approval, text, Some(missing))
            }
            RequirementKind::Check => {
                let name = r.check.as_deref().unwrap_or_default();
                notes.extend(r.ignored.iter().map(|i| check_note(&i.why)));
                let text = match &r.within {
                    Some(w) => format!("pass check {name} within {w} before the start"),
                    None => format!("pass check {name}"),
                };
                (StepKind::Check, text, None)
            }
        };
        if !notes.is_empty() {
            text = format!("{text} ({})", notes.join("; "));
        }
        let mut group = r.group.clone();
        if let Some((g, w)) = waiver(&r.rule) {
            text = format!("{text}, {w}");
            group = group.or(Some(g));
        }
        steps.push(ShipStep {
            step,
            text: Text::from(text),
            rule: Some(r.rule.clone()),
            group,
            missing,
            window: None,
        });
    }
    if !schedule.allowed {
        let mut group = None;
        let mut text = match &schedule.next_window {
            Some(w) => format!(
                "wait for the window for the whole change opening {}",
                local_times(ir, schedule, w.start)
            ),
            None => String::from(
                "no window fits the whole change within the horizon (365 days): move it, or \
                 shorten it",
            ),
        };
        // A blackout that blocks the change and that a waiver may lift.
        let blocking = schedule.regions.iter().flat_map(|r| r.blocked_by.iter());
        let mut offered: Vec<&str> = Vec::new();
        for name in blocking {
            let Some(wb) = ir.waivable_blackouts.iter().find(|b| b.name == *name) else {
                continue;
            };
            if offered.contains(&wb.name.as_str()) {
                continue;
            }
            offered.push(&wb.name);
            let g = ir.groups.get(usize::from(wb.group)).cloned();
            text = format!(
                "{text}; or get a waiver of blackout \"{}\" from {} (at most {})",
                wb.name,
                g.as_deref().unwrap_or_default(),
                format_duration(wb.max)
            );
            group = group.or(g);
        }
        steps.push(ShipStep {
            step: StepKind::Window,
            text: Text::from(text),
            rule: None,
            group,
            missing: None,
            window: schedule.next_window.clone(),
        });
    }
    steps
}

/// Why an approval did not count, as a reader says it.
fn approval_note(by: &str, why: &IgnoredWhy) -> String {
    match why {
        IgnoredWhy::Requester => format!("{by} is the requester"),
        IgnoredWhy::Implementer => format!("{by} is the implementer"),
        IgnoredWhy::InTheFuture => format!("{by}'s approval is dated in the future"),
        IgnoredWhy::Duplicate => format!("{by} approved twice"),
        IgnoredWhy::NotAMember(g) => format!("{by} is not a member of {g}"),
        other => format!("{by}: {other}"),
    }
}

/// Why a check's evidence did not count, as a reader says it.
fn check_note(why: &IgnoredWhy) -> String {
    match why {
        IgnoredWhy::Failed => String::from("it failed"),
        IgnoredWhy::Pending => String::from("it is pending"),
        IgnoredWhy::TimeUnknown => String::from("it does not say when it ran"),
        IgnoredWhy::OlderThan(d) => format!("it ran more than {d} before the start"),
        IgnoredWhy::InTheFuture => String::from("it is dated in the future"),
        other => other.to_string(),
    }
}

/// `t` on the wall clock of each distinct zone of the change's regions, in the order of its
/// regions (`Tue 5 Jan 2027 09:00 Europe/Berlin (Tue 5 Jan 2027 03:00 America/New_York)`);
/// UTC when no region has a zone.
fn local_times(ir: &PolicyIr, schedule: &Schedule, t: crate::time::Instant) -> String {
    let mut zones: Vec<chrono_tz::Tz> = Vec::new();
    for r in &schedule.regions {
        if let Some(tz) = ir.calendars.region_zone(&r.region)
            && !zones.contains(&tz)
        {
            zones.push(tz);
        }
    }
    if zones.is_empty() {
        zones.push(chrono_tz::UTC);
    }
    let at = |tz: &chrono_tz::Tz| {
        format!(
            "{} {}",
            tz.from_utc_datetime(&t.naive_utc())
                .format("%a %-d %b %Y %H:%M"),
            tz.name()
        )
    };
    let mut shown = zones.iter().map(at);
    let first = shown.next().unwrap_or_default();
    let rest: Vec<String> = shown.collect();
    if rest.is_empty() {
        first
    } else {
        format!("{first} ({})", rest.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ir::EffectIr;

    /// Every condition of every policy of the corpus and of `policies/`: the atoms the
    /// checker recorded are the atoms the walk meets, so each value is shown with its own text.
    #[test]
    fn the_recorded_atoms_match_the_ir_of_every_example_condition() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut dirs: Vec<std::path::PathBuf> = Vec::new();
        for parent in ["tests/cases", "policies"] {
            for e in std::fs::read_dir(root.join(parent)).into_iter().flatten() {
                let path = e.map(|e| e.path()).unwrap_or_default();
                if path.is_dir() {
                    dirs.push(path);
                }
            }
        }
        let mut checked = 0;
        for dir in dirs {
            let Ok(compiled) =
                crate::check::compile_paths(&[dir], &crate::limits::Limits::default())
            else {
                continue;
            };
            let ir = &compiled.ir;
            let mut conds: Vec<&Cond> = ir.tier_rules.iter().map(|t| &t.cond).collect();
            for r in &ir.rules {
                conds.extend(r.guard.iter());
                for e in &r.effects {
                    if let EffectIr::Deny(c) | EffectIr::Allow(c) = &e.effect {
                        conds.push(c);
                    }
                }
            }
            conds.extend(ir.strategy.iter().filter_map(|a| a.cond.as_ref()));
            conds.extend(ir.service_scopes.iter().map(|s| &s.cond));
            for c in conds {
                assert_eq!(atoms_in(&c.expr), c.atoms.len(), "{:?}", c.expr);
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} conditions checked");
    }
}
