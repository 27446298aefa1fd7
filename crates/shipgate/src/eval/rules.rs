//! Rules: waivers, then the exemptions (a first pass, so that `exempt rule X` applies whatever
//! the order), then every rule's deny, allow and require effects, and the default.

use super::Builder;
use super::expr::{self, Ctx};
use super::value::EvalError;
use crate::calendar::Lift;
use crate::check::ir::*;
use crate::decision::*;
use crate::graph::Catalog;
use crate::input::{Change, Check, CheckStatus};
use crate::time::{Instant, format_duration};

/// What the rules decided besides the reasons (which go to the builder). A lean decision
/// (`FULL` false) leaves the lists empty: only `unmet`, `lift` and the reasons decide.
pub struct Outcome {
    pub exemptions: Vec<Exemption>,
    pub waivers: Vec<WaiverOutcome>,
    pub requirements: Vec<Requirement>,
    /// Approvals owed after the change (`require approval "g" within D after`), still missing.
    pub obligations: Vec<Obligation>,
    /// The calendar constraints lifted by `exempt blackout` / `exempt window` and by
    /// honoured blackout waivers.
    pub lift: Lift,
    /// The exemptions (by index in `exemptions`) that lift blackouts by name, with the bits of
    /// those names; the others of kind blackout lift every blackout. Empty unless a name is
    /// lifted.
    pub named: Vec<(usize, u64)>,
    /// Whether a requirement is not satisfied (the verdict is then at best pending).
    pub unmet: bool,
}

// One step of a decision: inlined into it, as it was before the split into phases.
#[inline]
pub fn decide<'a, const EXPLAIN: bool, const FULL: bool>(
    ctx: &mut Ctx<'a>,
    b: &mut Builder<EXPLAIN>,
    now: Instant,
) -> Outcome {
    let ir = ctx.ir;
    let change = ctx.change;
    let sources = ctx.sources;
    // Rules lifted by a waiver or an `exempt rule`; allocated only when something is lifted.
    let mut exempted: Vec<bool> = Vec::new();
    let mut exempt = |ri: usize| {
        if exempted.is_empty() {
            exempted.resize(ir.rules.len(), false);
        }
        if let Some(e) = exempted.get_mut(ri) {
            *e = true;
        }
    };

    // --- waivers ----------------------------------------------------------------------
    let mut exemptions = Vec::new();
    let mut named: Vec<(usize, u64)> = Vec::new();
    let mut lift = Lift::default();
    let mut waivers = Vec::with_capacity(if FULL { change.waivers.len() } else { 0 });
    for (wi, w) in change.waivers.iter().enumerate() {
        if !w.blackout.is_empty() {
            let waivable = ir
                .waivable_blackouts
                .iter()
                .find(|b| b.name.as_str() == w.blackout);
            let why = blackout_waiver_rejection(ir, change, ctx.catalog, w, now, ctx.prep.end);
            if why.is_none()
                && let Some(wb) = waivable
            {
                lift.named |= wb.bit;
                if FULL {
                    named.push((exemptions.len(), wb.bit));
                    // The blackouts it lifted are known once the schedule is checked.
                    exemptions.push(Exemption {
                        by: ExemptBy::Waiver(Text::new(&w.by)),
                        lifts: Lifted::Blackout(Vec::new()),
                    });
                }
            }
            // The `waivable blackout` declaration, else the waiver's place in the change.
            let at = || match waivable {
                Some(wb) => wb.at.to_string(),
                None => format!("change.waivers[{wi}]"),
            };
            if FULL {
                waivers.push(judged_waiver(b, w, &w.blackout, at, why));
            }
            continue;
        }
        let why = waiver_rejection(ir, change, ctx.catalog, w, now, ctx.prep.end);
        let rule = ir.rules.iter().position(|r| r.name == w.rule);
        if why.is_none()
            && let Some(ri) = rule
        {
            exempt(ri);
            if FULL {
                exemptions.push(Exemption {
                    by: ExemptBy::Waiver(Text::new(&w.by)),
                    lifts: Lifted::Rule(
                        ir.rules.get(ri).map(|r| r.name.clone()).unwrap_or_default(),
                    ),
                });
            }
        }
        // The `waivable` declaration, else the rule; a waiver naming no rule of the policy has
        // no policy text, so its place in the change.
        let at = || match rule.and_then(|ri| ir.rules.get(ri)) {
            Some(r) if !r.waivable_at.is_empty() => r.waivable_at.to_string(),
            Some(r) => r.at.to_string(),
            None => format!("change.waivers[{wi}]"),
        };
        if FULL {
            waivers.push(judged_waiver(b, w, &w.rule, at, why));
        }
    }

    // --- pass 1: exemptions (so that `exempt rule X` applies whatever the order) ----------
    // The guards evaluated here, by rule index, are not evaluated again in pass 2.
    let mut guards: Vec<(usize, Result<bool, EvalError>)> = Vec::new();
    for &ri in &ir.exempting_rules {
        let ri = usize::from(ri);
        let Some(r) = ir.rules.get(ri) else { continue };
        let g = match &r.guard {
            Some(g) => ctx.cond(g),
            None => Ok(true),
        };
        guards.push((ri, g.clone()));
        // An exemption whose guard cannot be evaluated does not apply (fail closed).
        if g != Ok(true) {
            continue;
        }
        for e in &r.effects {
            let lifts = match &e.effect {
                // The blackouts it lifted are known once the schedule is checked.
                EffectIr::ExemptBlackout(None) => {
                    lift.blackouts = true;
                    Lifted::Blackout(Vec::new())
                }
                EffectIr::ExemptBlackout(Some(bits)) => {
                    lift.named |= *bits;
                    if FULL {
                        named.push((exemptions.len(), *bits));
                    }
                    Lifted::Blackout(Vec::new())
                }
                EffectIr::ExemptWindow => {
                    lift.windows = true;
                    Lifted::Window
                }
                EffectIr::ExemptRule(x) => {
                    exempt(usize::from(*x));
                    if !FULL {
                        continue;
                    }
                    let name = ir
                        .rules
                        .get(usize::from(*x))
                        .map(|r| r.name.clone())
                        .unwrap_or_default();
                    Lifted::Rule(name)
                }
                _ => continue,
            };
            if !FULL {
                continue;
            }
            b.trace_with(
                TraceKind::Effect,
                &r.name,
                || format!("exempts {lifts}"),
                &e.at,
            );
            exemptions.push(Exemption {
                by: ExemptBy::Rule(r.name.clone()),
                lifts,
            });
        }
    }

    // --- pass 2: deny, allow and require effects --------------------------------------------
    // Allocated at the first requirement, for four (what growing from empty gives, without
    // the generic growth path): sized for every `require` of the policy, the vector would
    // often be too large for the allocator's fast per-thread caches.
    let mut requirements: Vec<Requirement> = Vec::new();
    let mut obligations = Vec::new();
    let mut unmet = false;
    let mut allowed = false;
    // Runs of rules go as one program each (`lower::fuse`), unless a rule is exempted (its
    // deny is then lifted, and said so) or the decision is traced or by the reference. A run
    // stops where a deny fires, a condition fails, or a rule's guard holds: that rule's
    // effects then go as below, its guard decided.
    let fused: &[super::fast::Fused] = if EXPLAIN || ctx.reference || !exempted.is_empty() {
        &[]
    } else {
        ctx.fused
    };
    let mut fused = fused.iter().peekable();
    // The run going on, and where it is.
    let mut running: Option<(&super::fast::Fused, usize)> = None;
    let mut next = 0;
    loop {
        // The rule to apply below, and its guard when the run decided it.
        let (ri, decided) = match &mut running {
            Some((run, pc)) => match ctx.run_fused(run, pc) {
                None => {
                    next = run.end;
                    running = None;
                    continue;
                }
                Some((k, outcome)) => {
                    let found = run.ends.get(k).and_then(|&(ri, ei)| {
                        let r = ir.rules.get(ri as usize)?;
                        let effect = match ei {
                            super::lower::GUARD => None,
                            ei => Some(r.effects.get(ei as usize)?),
                        };
                        Some((ri as usize, r, effect))
                    });
                    match (found, outcome) {
                        // A guard that holds, or cannot be evaluated.
                        (Some((ri, _, None)), guard) => (ri, Some(guard.map(|()| true))),
                        (Some((_, r, Some(e))), Ok(())) => {
                            deny(ctx, b, r, e);
                            continue;
                        }
                        (Some((_, r, Some(e))), Err(err)) => {
                            b.fail_closed(&r.name, "the deny condition", &err, &e.at);
                            continue;
                        }
                        // Not built so (`Fused::new` numbers the conditions it is given).
                        (None, _) => {
                            b.fail_closed(
                                "engine",
                                "a fused rule",
                                &EvalError::new("its condition's number is out of range"),
                                "",
                            );
                            continue;
                        }
                    }
                }
            },
            None => {
                let ri = next;
                if ri >= ir.rules.len() {
                    break;
                }
                next += 1;
                if let Some(run) = fused.next_if(|f| f.first == ri) {
                    running = Some((run, 0));
                    continue;
                }
                (ri, None)
            }
        };
        let Some(r) = ir.rules.get(ri) else {
            continue;
        };
        let is_exempt = exempted.get(ri).copied().unwrap_or(false);
        let earlier = if r.has_exemptions {
            guards
                .iter()
                .position(|(i, _)| *i == ri)
                .map(|k| guards.swap_remove(k).1)
        } else {
            None
        };
        let guard = match earlier.or(decided) {
            Some(g) => g,
            None => match &r.guard {
                Some(g) => ctx.cond(g),
                None => Ok(true),
            },
        };
        match guard {
            Ok(true) => {
                b.trace(
                    TraceKind::Rule,
                    &r.name,
                    if is_exempt {
                        "applies (exempted)"
                    } else {
                        "applies"
                    },
                    &r.at,
                );
                if let Some(g) = &r.guard {
                    b.values(ctx, g);
                }
            }
            Ok(false) => {
                b.trace(
                    TraceKind::Rule,
                    &r.name,
                    "skipped (guard does not hold)",
                    &r.at,
                );
                if let Some(g) = &r.guard {
                    b.values(ctx, g);
                }
                continue;
            }
            Err(e) => {
                b.trace(
                    TraceKind::Rule,
                    &r.name,
                    format!("error: {}", e.message),
                    &r.at,
                );
                if let Some(g) = &r.guard {
                    b.values(ctx, g);
                }
                if !is_exempt {
                    // Point at the guard that failed, not at the rule's name.
                    let at = r
                        .guard
                        .as_ref()
                        .map(|g| sources.location(g.span))
                        .unwrap_or_else(|| r.at.to_string());
                    b.fail_closed(&r.name, "the rule's guard", &e, &at);
                }
                continue;
            }
        }
        for e in &r.effects {
            match &e.effect {
                EffectIr::Deny(c) => {
                    if is_exempt {
                        b.trace(
                            TraceKind::Effect,
                            &r.name,
                            "deny lifted by exemption",
                            &e.at,
                        );
                        continue;
                    }
                    match ctx.cond(c) {
                        Ok(true) => {
                            b.trace(TraceKind::Effect, &r.name, "deny fires", &e.at);
                            b.values(ctx, c);
                            deny(ctx, b, r, e);
                        }
                        Ok(false) => {
                            b.trace(TraceKind::Effect, &r.name, "deny does not fire", &e.at);
                            b.values(ctx, c);
                        }
                        Err(err) => {
                            b.trace(
                                TraceKind::Effect,
                                &r.name,
                                format!("error: {}", err.message),
                                &e.at,
                            );
                            b.values(ctx, c);
                            b.fail_closed(&r.name, "the deny condition", &err, &e.at);
                        }
                    }
                }
                EffectIr::Allow(c) => match ctx.cond(c) {
                    Ok(h) => {
                        b.trace(
                            TraceKind::Effect,
                            &r.name,
                            if h {
                                "allow fires"
                            } else {
                                "allow does not fire"
                            },
                            &e.at,
                        );
                        b.values(ctx, c);
                        allowed |= h;
                    }
                    // An allow that cannot be evaluated does not allow.
                    Err(err) => {
                        b.trace(
                            TraceKind::Effect,
                            &r.name,
                            format!("error: {}", err.message),
                            &e.at,
                        );
                        b.values(ctx, c);
                    }
                },
                EffectIr::RequireApproval {
                    group,
                    count,
                    after,
                } => {
                    if is_exempt {
                        continue;
                    }
                    if !FULL {
                        // An obligation never blocks; a requirement only counts.
                        if after.is_none() {
                            let none = Text::default();
                            let gname = ir.groups.get(usize::from(*group)).unwrap_or(&none);
                            let n = approvals_counted(change, ctx.catalog, gname, ctx.now);
                            unmet |= n < *count as usize;
                        }
                        continue;
                    }
                    let gname = ir
                        .groups
                        .get(usize::from(*group))
                        .cloned()
                        .unwrap_or_default();
                    let (counted, ignored) = count_approvals(change, ctx.catalog, &gname, ctx.now);
                    let satisfied = counted.len() >= *count as usize;
                    if let Some((secs, within)) = after {
                        // An obligation never blocks: it is owed until the approvals are in.
                        b.trace_with(
                            TraceKind::Effect,
                            &r.name,
                            || {
                                format!(
                                    "owes {count} approval(s) from {gname} within {within} after \
                                     the start: {}",
                                    if satisfied { "given" } else { "open" }
                                )
                            },
                            &e.at,
                        );
                        if !satisfied {
                            obligations.push(Obligation {
                                rule: r.name.clone(),
                                group: gname,
                                needed: *count,
                                due: ctx.prep.start_at + chrono::TimeDelta::seconds(*secs),
                            });
                        }
                        continue;
                    }
                    b.trace_with(
                        TraceKind::Effect,
                        &r.name,
                        || {
                            format!(
                                "requires {count} approval(s) from {gname}: {}",
                                if satisfied { "satisfied" } else { "missing" }
                            )
                        },
                        &e.at,
                    );
                    unmet |= !satisfied;
                    first_requirement(&mut requirements);
                    requirements.push(Requirement {
                        rule: r.name.clone(),
                        kind: RequirementKind::Approval,
                        group: Some(gname),
                        check: None,
                        within: None,
                        needed: *count,
                        counted,
                        ignored,
                        satisfied,
                    });
                }
                EffectIr::RequireCheck { name, within } => {
                    if is_exempt {
                        continue;
                    }
                    let recent = within.as_ref().map(|(secs, text)| Recent {
                        since: ctx.prep.start.saturating_sub(*secs),
                        within: text,
                    });
                    if !FULL {
                        unmet |= !check_done(change, name, ctx.now, recent);
                        continue;
                    }
                    let (done, ignored) = judge_check_evidence(change, name, ctx.now, recent);
                    unmet |= !done;
                    b.trace_with(
                        TraceKind::Effect,
                        &r.name,
                        || {
                            format!(
                                "requires check {name}: {}",
                                if done { "done" } else { "missing" }
                            )
                        },
                        &e.at,
                    );
                    first_requirement(&mut requirements);
                    requirements.push(Requirement {
                        rule: r.name.clone(),
                        kind: RequirementKind::Check,
                        group: None,
                        check: Some(name.clone()),
                        within: within.as_ref().map(|(_, text)| text.clone()),
                        needed: 1,
                        counted: if done {
                            smallvec::smallvec![name.clone()]
                        } else {
                            SmallVec::new()
                        },
                        ignored,
                        satisfied: done,
                    });
                }
                EffectIr::ExemptBlackout(_) | EffectIr::ExemptWindow | EffectIr::ExemptRule(_) => {}
            }
        }
    }
    if ir.default_deny && !allowed {
        b.reasons.push(Reason {
            rule: Text::new_static("default"),
            message: Text::new_static(
                "no rule allows this change and the policy's default is deny",
            ),
            at: ir.default_at.clone(),
        });
    }
    Outcome {
        exemptions,
        waivers,
        requirements,
        obligations,
        lift,
        named,
        unmet,
    }
}

/// A deny fires: the reason, with the rule's message.
#[inline(always)]
fn deny<'a, const EXPLAIN: bool>(
    ctx: &mut Ctx<'a>,
    b: &mut Builder<EXPLAIN>,
    r: &'a RuleIr,
    e: &EffectAt,
) {
    let message = match (&r.fixed_message, &r.message) {
        (Some(m), _) => m.clone(),
        (None, Some(parts)) => Text::from(render_message(parts, ctx)),
        (None, None) => Text::from(format!("denied by rule {}", r.name)),
    };
    b.reasons.push(Reason {
        rule: r.name.clone(),
        message,
        at: e.at.clone(),
    });
}

/// Makes room for the decision's requirements when the first is pushed.
fn first_requirement(requirements: &mut Vec<Requirement>) {
    if requirements.capacity() == 0 {
        *requirements = Vec::with_capacity(4);
    }
}

/// A waiver's outcome, rule or blackout alike, and with `explain` its trace step under `name`
/// (the rule or the blackout it names) at `at` (where its `waivable` declaration is).
fn judged_waiver<const EXPLAIN: bool>(
    b: &mut Builder<EXPLAIN>,
    w: &crate::input::Waiver,
    name: &str,
    at: impl FnOnce() -> String,
    why: Option<String>,
) -> WaiverOutcome {
    if EXPLAIN {
        let outcome = why
            .as_ref()
            .map(|w| Text::from(format!("rejected: {w}")))
            .unwrap_or_else(|| Text::new_static("honored"));
        b.trace(TraceKind::Waiver, name, outcome, at());
    }
    let blackout = (!w.blackout.is_empty()).then(|| Text::new(&w.blackout));
    WaiverOutcome {
        rule: Text::new(&w.rule),
        blackout,
        by: Text::new(&w.by),
        honored: why.is_none(),
        why: why.map(Text::from).unwrap_or_default(),
    }
}

/// Walks the approvals from `group`, telling `each` whether one counts (`None`) or why it is
/// ignored: at most one per person, never the requester or the implementer, only members of
/// the group when the catalog lists them, none dated after `now`. The one rule behind a
/// requirement's `counted`/`ignored` and `approvals("group")`.
///
/// Linear in the approvals and the group's members (issue 12): the people already counted
/// and a long member list are looked up in hash sets, not scanned per approval, so 100,000
/// approvals cost milliseconds rather than the square of their number.
fn judge_approvals<'c>(
    change: &'c Change,
    catalog: &'c Catalog,
    group: &Text,
    now: i64,
    mut each: impl FnMut(&'c str, Option<IgnoredWhy>),
) {
    let members = catalog.members(group).map(Lookup::new);
    let mut counted = Lookup::default();
    for a in change
        .approvals
        .iter()
        .filter(|a| a.group == group.as_str())
    {
        let why = if a.by == change.requester {
            Some(IgnoredWhy::Requester)
        } else if a.by == change.implementer {
            Some(IgnoredWhy::Implementer)
        } else if members.as_ref().is_some_and(|m| !m.contains(&a.by)) {
            Some(IgnoredWhy::NotAMember(group.clone()))
        } else if a.at.timestamp() > now {
            Some(IgnoredWhy::InTheFuture)
        } else if !counted.insert(&a.by) {
            Some(IgnoredWhy::Duplicate)
        } else {
            None
        };
        each(&a.by, why);
    }
}

/// A set of names: a short list scanned in place (the common case, a few approvers), a hash
/// set past `Lookup::SHORT` names, so a lookup costs the same however many there are.
#[derive(Default)]
struct Lookup<'c> {
    short: SmallVec<[&'c str; 4]>,
    long: Option<foldhash::HashSet<&'c str>>,
}

impl<'c> Lookup<'c> {
    const SHORT: usize = 8;

    fn new(names: &'c [String]) -> Lookup<'c> {
        let mut set = Lookup::default();
        for n in names {
            set.insert(n);
        }
        set
    }

    fn contains(&self, name: &str) -> bool {
        match &self.long {
            Some(set) => set.contains(name),
            None => self.short.contains(&name),
        }
    }

    /// Adds `name`; `false` when it was there already.
    fn insert(&mut self, name: &'c str) -> bool {
        if let Some(set) = &mut self.long {
            return set.insert(name);
        }
        if self.short.contains(&name) {
            return false;
        }
        if self.short.len() < Self::SHORT {
            self.short.push(name);
        } else {
            let mut set: foldhash::HashSet<&str> =
                foldhash::HashSet::with_capacity_and_hasher(2 * Self::SHORT, Default::default());
            set.extend(self.short.drain(..));
            set.insert(name);
            self.long = Some(set);
        }
        true
    }
}

/// Approvals from `group` that count, and those ignored with why (see `judge_approvals`).
/// Inlined into its one caller, as `judge_check_evidence` is.
#[inline(always)]
pub fn count_approvals(
    change: &Change,
    catalog: &Catalog,
    group: &Text,
    now: i64,
) -> (SmallVec<[Text; 2]>, Vec<Ignored>) {
    let mut counted: SmallVec<[Text; 2]> = SmallVec::new();
    let mut ignored = Vec::new();
    judge_approvals(change, catalog, group, now, |by, why| match why {
        Some(why) => ignored.push(Ignored {
            by: Text::new(by),
            why,
        }),
        None => counted.push(Text::new(by)),
    });
    (counted, ignored)
}

/// How many approvals from `group` count (`approvals("group")` in a condition).
pub fn approvals_counted(change: &Change, catalog: &Catalog, group: &Text, now: i64) -> usize {
    let mut n = 0;
    judge_approvals(change, catalog, group, now, |_, why| {
        n += usize::from(why.is_none())
    });
    n
}

/// `require check "x" within D`: the earliest instant a check may have run (the change's
/// start minus D), and D as the decision writes it.
pub struct Recent<'a> {
    pub since: i64,
    pub within: &'a Text,
}

/// Whether one piece of check evidence counts (`None`) or why not: only `passed`, never dated
/// after `now`, and with `recent`, only when dated no earlier than its `since` (a check
/// without a time never satisfies `within`, SPEC 8.8). The one rule behind a check
/// requirement's `counted`/`ignored` and the names in `change.checks`.
pub fn judge_check(check: &Check, now: i64, recent: Option<&Recent<'_>>) -> Option<IgnoredWhy> {
    match check.status {
        CheckStatus::Failed => return Some(IgnoredWhy::Failed),
        CheckStatus::Pending => return Some(IgnoredWhy::Pending),
        CheckStatus::Passed => {}
    }
    let at = check.at.map(|t| t.timestamp());
    if at.is_some_and(|t| t > now) {
        return Some(IgnoredWhy::InTheFuture);
    }
    let recent = recent?;
    match at {
        None => Some(IgnoredWhy::TimeUnknown),
        Some(t) if t < recent.since => Some(IgnoredWhy::OlderThan(recent.within.clone())),
        Some(_) => None,
    }
}

/// Whether the change has evidence of check `name` that counts, and every piece of evidence
/// under that name that does not, with why (see `judge_check`). Inlined into its one caller:
/// as a call, it returned the pair through memory and cost more than its scan of a few checks.
#[inline(always)]
fn judge_check_evidence(
    change: &Change,
    name: &str,
    now: i64,
    recent: Option<Recent<'_>>,
) -> (bool, Vec<Ignored>) {
    let mut done = false;
    let mut ignored = Vec::new();
    for c in change.checks.iter().filter(|c| c.name == name) {
        match judge_check(c, now, recent.as_ref()) {
            None => done = true,
            Some(why) => ignored.push(Ignored {
                by: Text::new(&c.name),
                why,
            }),
        }
    }
    (done, ignored)
}

/// Whether the change has evidence of check `name` that counts (`judge_check_evidence`
/// without the list of what does not).
fn check_done(change: &Change, name: &str, now: i64, recent: Option<Recent<'_>>) -> bool {
    change
        .checks
        .iter()
        .filter(|c| c.name == name)
        .any(|c| judge_check(c, now, recent.as_ref()).is_none())
}

/// A template (a rule's message, a `notify` audience) rendered against the change.
pub(super) fn render_message<'a>(parts: &'a [MessagePart], ctx: &mut Ctx<'a>) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            MessagePart::Text(t) => out.push_str(t),
            MessagePart::Value(e) => match ctx.eval(e) {
                Ok(v) => out.push_str(&expr::render(&v, ctx)),
                Err(_) => out.push_str("<absent>"),
            },
        }
    }
    out
}

/// Why a waiver is not honoured, or `None` when it is.
fn waiver_rejection(
    ir: &PolicyIr,
    change: &Change,
    catalog: &Catalog,
    w: &crate::input::Waiver,
    now: Instant,
    end: i64,
) -> Option<String> {
    let Some(rule) = ir.rules.iter().find(|r| r.name == w.rule) else {
        return Some(format!("no rule named {}", w.rule));
    };
    let Some((group, max)) = rule.waivable else {
        return Some(format!("rule {} is not waivable", w.rule));
    };
    waiver_check(ir, change, catalog, w, now, end, group, max)
}

/// Why a blackout waiver is not honoured, or `None` when it is: the checks of a rule waiver
/// (`waiver_check`) against the `waivable blackout` declaration of its name.
fn blackout_waiver_rejection(
    ir: &PolicyIr,
    change: &Change,
    catalog: &Catalog,
    w: &crate::input::Waiver,
    now: Instant,
    end: i64,
) -> Option<String> {
    let Some(wb) = ir
        .waivable_blackouts
        .iter()
        .find(|b| b.name.as_str() == w.blackout)
    else {
        return Some(if ir.calendars.has_blackout(&w.blackout) {
            format!("blackout {} is not waivable", w.blackout)
        } else {
            format!("no blackout named {}", w.blackout)
        });
    };
    waiver_check(ir, change, catalog, w, now, end, wb.group, wb.max)
}

/// The checks every waiver passes, whatever it lifts: granted by a member of `group`, neither
/// the requester nor the implementer, valid now and over the change's whole run, and for at
/// most `max` seconds.
#[allow(clippy::too_many_arguments)]
fn waiver_check(
    ir: &PolicyIr,
    change: &Change,
    catalog: &Catalog,
    w: &crate::input::Waiver,
    now: Instant,
    end: i64,
    group: u16,
    max: i64,
) -> Option<String> {
    let gname = ir
        .groups
        .get(usize::from(group))
        .map(Text::as_str)
        .unwrap_or("");
    if w.group != gname {
        return Some(format!("must be granted by group {gname}, not {}", w.group));
    }
    if catalog.members(gname).is_some_and(|m| !m.contains(&w.by)) {
        return Some(format!("not a member of {gname}"));
    }
    // Separation of duties, as for approvals (`judge_approvals`): neither the person asking
    // for the change nor the one carrying it out may lift a rule for it.
    if w.by == change.requester {
        return Some("granted by the change's requester".into());
    }
    if w.by == change.implementer {
        return Some("granted by the change's implementer".into());
    }
    if now < w.granted_at {
        return Some("not yet valid".into());
    }
    if now >= w.expires_at {
        return Some("expired".into());
    }
    // SPEC 8.1: a waiver covers the change's whole run, `[start, end)` as decided, or nothing.
    if w.expires_at.timestamp() < end {
        return Some("expires before the change ends".into());
    }
    let span = (w.expires_at - w.granted_at).num_seconds();
    if span > max {
        return Some(format!(
            "valid for {}, longer than the maximum {}",
            format_duration(span),
            format_duration(max)
        ));
    }
    None
}
