//! Evaluation of the compiled policy set against one change; assembles the Decision.

mod expr;
pub mod fast;
pub(crate) mod fmt;
pub mod value;

use std::borrow::Cow;
use std::cell::OnceCell;

use crate::calendar::{Lift, tzdb_version};
use crate::check::Compiled;
use crate::check::ir::*;
use crate::decision::*;
use crate::error::{Error, InputError};
use crate::graph::Catalog;
use crate::input::{
    Change, Instant, format_duration, format_instant, parse_duration, parse_instant,
};
use expr::Ctx;
use value::{EvalError, ListVal, Value};

/// Per-evaluation facts derived from the inputs once, before any rule runs.
pub struct Prepared<'a> {
    /// The touched services, as catalog indices.
    pub services: smallvec::SmallVec<[u32; 4]>,
    /// The change's regions: its own, else the union of its services' (sorted, unique).
    pub regions: Cow<'a, [String]>,
    /// The same regions as decision text when they are one service's, as the catalog keeps
    /// them (else the schedule makes the text).
    pub region_texts: &'a [Text],
    /// `start` as an instant (whole seconds).
    pub start_at: Instant,
    pub start: i64,
    pub end: i64,
    /// `extend change` values, by field index (`None` when an optional is absent).
    pub change_ext: Vec<Option<Value<'a>>>,
    dependents: OnceCell<Vec<u32>>,
}

impl Prepared<'_> {
    /// Services that transitively depend on a touched one (computed on first use).
    pub fn dependents(&self, catalog: &Catalog) -> &[u32] {
        self.dependents
            .get_or_init(|| catalog.dependents(&self.services))
    }
}

/// Reads a JSON value as the declared `extend` type.
pub fn ext_value<'a>(v: &'a serde_json::Value, ty: &'a Ty) -> Result<Value<'a>, String> {
    use serde_json::Value as J;
    let expected = || format!("expected {}, got {}", ty.describe(), json_kind(v));
    Ok(match (ty.unopt(), v) {
        (Ty::Bool, J::Bool(b)) => Value::Bool(*b),
        (Ty::Int, J::Number(n)) => Value::Int(n.as_i64().ok_or_else(expected)?),
        (Ty::Float, J::Number(n)) => Value::Float(n.as_f64().ok_or_else(expected)?),
        (Ty::Str, J::String(s)) => Value::Str(Cow::Borrowed(s)),
        (Ty::Duration, J::String(s)) => Value::Duration(parse_duration(s)?),
        (Ty::Duration, J::Number(n)) => Value::Duration(n.as_i64().ok_or_else(expected)?),
        (Ty::DateTime, J::String(s)) => Value::DateTime(parse_instant(s)?.timestamp()),
        (Ty::Date, J::String(s)) => {
            let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| format!("expected a date like 2026-12-24, got {s:?}"))?;
            Value::Date(
                d.signed_duration_since(crate::check::expr::epoch_date())
                    .num_days(),
            )
        }
        (Ty::List(inner), J::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                ext_value(item, inner).map_err(|m| format!("[{i}]: {m}"))?;
            }
            Value::List(ListVal::Json(items, inner))
        }
        _ => return Err(expected()),
    })
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Walks the approvals from `group`, telling `each` whether one counts (`None`) or why it is
/// ignored: at most one per person, never the requester or the implementer, none dated after
/// `now`. The one rule behind a requirement's `counted`/`ignored` and `approvals("group")`.
fn judge_approvals<'c>(
    change: &'c Change,
    group: &str,
    now: i64,
    mut each: impl FnMut(&'c str, Option<IgnoredWhy>),
) {
    let mut counted: SmallVec<[&str; 4]> = SmallVec::new();
    for a in change.approvals.iter().filter(|a| a.group == group) {
        let why = if a.by == change.requester {
            Some(IgnoredWhy::Requester)
        } else if a.by == change.implementer {
            Some(IgnoredWhy::Implementer)
        } else if a.at.timestamp() > now {
            Some(IgnoredWhy::InTheFuture)
        } else if counted.contains(&a.by.as_str()) {
            Some(IgnoredWhy::Duplicate)
        } else {
            counted.push(&a.by);
            None
        };
        each(&a.by, why);
    }
}

/// Approvals from `group` that count, and those ignored with why (see `judge_approvals`).
pub fn count_approvals(
    change: &Change,
    group: &str,
    now: i64,
) -> (SmallVec<[Text; 2]>, Vec<Ignored>) {
    let mut counted: SmallVec<[Text; 2]> = SmallVec::new();
    let mut ignored = Vec::new();
    judge_approvals(change, group, now, |by, why| match why {
        Some(why) => ignored.push(Ignored {
            by: Text::new(by),
            why,
        }),
        None => counted.push(Text::new(by)),
    });
    (counted, ignored)
}

/// How many approvals from `group` count (`approvals("group")` in a condition).
pub fn approvals_counted(change: &Change, group: &str, now: i64) -> usize {
    let mut n = 0;
    judge_approvals(change, group, now, |_, why| n += usize::from(why.is_none()));
    n
}

fn prepare<'a>(
    policy: &'a Compiled,
    change: &'a Change,
    catalog: &'a Catalog,
    now: Instant,
) -> Result<Prepared<'a>, InputError> {
    let services = catalog.services_from_ids(&change.services, "change.services")?;
    // One touched service whose regions are already sorted and unique: its own, borrowed.
    let sole = match services.as_slice() {
        [one] if catalog.regions_sorted(*one) => catalog.service(*one).map(|s| (*one, s)),
        _ => None,
    };
    let (regions, region_texts): (Cow<'a, [String]>, &'a [Text]) = match (&change.regions, sole) {
        (Some(r), _) => (Cow::Borrowed(r), &[]),
        (None, Some((i, s))) => (Cow::Borrowed(&s.regions), catalog.region_texts(i)),
        (None, None) => {
            let mut r: Vec<String> = services
                .iter()
                .filter_map(|i| catalog.service(*i))
                .flat_map(|s| s.regions.iter().cloned())
                .collect();
            r.sort();
            r.dedup();
            (Cow::Owned(r), &[])
        }
    };
    let requested = change.start.unwrap_or(now);
    let start = requested.timestamp();
    // Decisions state instants to the second.
    let start_at = if requested.timestamp_subsec_nanos() == 0 {
        requested
    } else {
        chrono::DateTime::from_timestamp(start, 0).unwrap_or(requested)
    };
    let end = start.saturating_add(change.duration);
    let mut change_ext = Vec::with_capacity(policy.ir.change_ext.len());
    for f in &policy.ir.change_ext {
        // Paths are formatted only on the error path: this runs on every evaluation.
        let path = || format!("change.{}", f.name);
        match change.extra.get(&f.name) {
            None | Some(serde_json::Value::Null) => {
                if matches!(f.ty, Ty::Opt(_)) {
                    change_ext.push(None);
                } else {
                    return Err(InputError::new(
                        path(),
                        format!("missing required field ({})", f.ty.describe()),
                    ));
                }
            }
            Some(v) => change_ext.push(Some(
                ext_value(v, &f.ty).map_err(|m| InputError::new(path(), m))?,
            )),
        }
    }
    // `extend service` fields of the touched services are validated up front, so a
    // malformed catalog entry is an input error rather than a failed rule.
    for (k, idx) in services.iter().enumerate() {
        let Some(s) = catalog.service(*idx) else {
            continue;
        };
        for f in &policy.ir.service_ext {
            let path = || format!("catalog.services[{idx}].{}", f.name);
            match s.extra.get(&f.name) {
                None | Some(serde_json::Value::Null) => {
                    if !matches!(f.ty, Ty::Opt(_)) {
                        return Err(InputError::new(
                            path(),
                            format!(
                                "missing required field ({}) of service \"{}\" (change.services[{k}])",
                                f.ty.describe(),
                                s.id
                            ),
                        ));
                    }
                }
                Some(v) => {
                    ext_value(v, &f.ty).map_err(|m| InputError::new(path(), m))?;
                }
            }
        }
    }
    Ok(Prepared {
        services,
        regions,
        region_texts,
        start_at,
        start,
        end,
        change_ext,
        dependents: OnceCell::new(),
    })
}

/// The decision's reasons and, when `EXPLAIN`, its trace. The flag is a constant so that the
/// common decision, without a trace, carries no trace code at all.
struct Builder<const EXPLAIN: bool> {
    trace: Vec<TraceEntry>,
    reasons: Vec<Reason>,
}

impl<const EXPLAIN: bool> Builder<EXPLAIN> {
    /// Records a step with `explain`. The arguments are converted only then: this is called
    /// for every rule and effect of every decision.
    #[inline]
    fn trace(
        &mut self,
        kind: TraceKind,
        name: impl AsRef<str>,
        outcome: impl Into<Text>,
        at: impl AsRef<str>,
    ) {
        if EXPLAIN {
            self.push_trace(kind, name.as_ref(), outcome.into(), at.as_ref());
        }
    }

    #[cold]
    fn push_trace(&mut self, kind: TraceKind, name: &str, outcome: Text, at: &str) {
        self.trace.push(TraceEntry {
            kind,
            name: Text::new(name),
            outcome,
            at: Text::new(at),
        });
    }

    /// As `trace`, for an outcome that costs a `format!`: built only with `explain`.
    #[inline]
    fn trace_with(
        &mut self,
        kind: TraceKind,
        name: impl AsRef<str>,
        outcome: impl FnOnce() -> String,
        at: impl AsRef<str>,
    ) {
        if EXPLAIN {
            self.push_trace(kind, name.as_ref(), Text::from(outcome()), at.as_ref());
        }
    }

    /// An evaluation error denies: the engine fails closed.
    fn fail_closed(&mut self, rule: &str, what: &str, err: &EvalError, at: &str) {
        self.reasons.push(Reason {
            rule: Text::new(rule),
            message: Text::from(format!(
                "{what} could not be evaluated: {}; failing closed",
                err.message
            )),
            at: Text::new(at),
        });
    }
}

fn outcome(b: bool) -> &'static str {
    if b { "holds" } else { "does not hold" }
}

pub fn evaluate(
    policy: &Compiled,
    change: &Change,
    catalog: &Catalog,
    now: Instant,
    explain: bool,
) -> Result<Decision, Error> {
    evaluate_with(policy, change, catalog, now, explain, false)
}

/// `evaluate`; with `reference`, every condition is decided by the general evaluator instead
/// of its fast form (the tests compare the two).
pub fn evaluate_with(
    policy: &Compiled,
    change: &Change,
    catalog: &Catalog,
    now: Instant,
    explain: bool,
    reference: bool,
) -> Result<Decision, Error> {
    if explain {
        decide::<true>(policy, change, catalog, now, reference)
    } else {
        decide::<false>(policy, change, catalog, now, reference)
    }
}

/// The decision, with the trace when `EXPLAIN`.
fn decide<const EXPLAIN: bool>(
    policy: &Compiled,
    change: &Change,
    catalog: &Catalog,
    now: Instant,
    reference: bool,
) -> Result<Decision, Error> {
    let explain = EXPLAIN;
    let ir = &policy.ir;
    let prep = prepare(policy, change, catalog, now)?;
    let mut ctx = Ctx {
        ir,
        sources: &policy.sources,
        change,
        catalog,
        prep: &prep,
        tier: 0,
        now: now.timestamp(),
        vars: smallvec::SmallVec::new(),
        bound: [None; fast::BOUND_SLOTS],
        reference,
    };
    let mut b = Builder::<EXPLAIN> {
        trace: Vec::new(),
        reasons: Vec::new(),
    };

    // --- tier: the highest whose condition holds ------------------------------------
    // A condition that cannot be evaluated fails closed only when its tier is above the one
    // computed: one at or below it could not change the tier. Deciding this after the loop
    // keeps the decision independent of declaration order and of `explain` (which evaluates
    // the conditions the fast path skips).
    let mut tier = 0u8;
    let mut tier_errors: Vec<(u8, &str, EvalError, String)> = Vec::new();
    for t in &ir.tier_rules {
        let name = ir
            .tiers
            .get(usize::from(t.tier))
            .map(String::as_str)
            .unwrap_or("");
        if t.tier <= tier && !explain {
            continue; // cannot raise the tier
        }
        match ctx.cond(&t.cond) {
            Ok(h) => {
                if explain {
                    let at = policy.sources.location(t.span);
                    b.trace(TraceKind::Tier, name, outcome(h), &at);
                }
                if h {
                    tier = tier.max(t.tier);
                }
            }
            Err(e) => {
                let at = policy.sources.location(t.span);
                b.trace(TraceKind::Tier, name, format!("error: {}", e.message), &at);
                tier_errors.push((t.tier, name, e, at));
            }
        }
    }
    for (_, name, e, at) in tier_errors.iter().filter(|(t, ..)| *t > tier) {
        b.fail_closed(&format!("tier {name}"), "the tier condition", e, at);
    }
    ctx.tier = tier;

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
    let mut waivers = Vec::with_capacity(change.waivers.len());
    for w in &change.waivers {
        let why = waiver_rejection(ir, change, w, now);
        if why.is_none()
            && let Some(ri) = ir.rules.iter().position(|r| r.name == w.rule)
        {
            exempt(ri);
            exemptions.push(Exemption {
                rule: Text::new_static("waiver"),
                lifts: Lifted::Rule(Text::new(&w.rule)),
                by: Some(Text::new(&w.by)),
            });
        }
        b.trace(
            TraceKind::Waiver,
            &w.rule,
            why.as_ref()
                .map(|w| Text::from(format!("rejected: {w}")))
                .unwrap_or_else(|| Text::new_static("honored")),
            "",
        );
        waivers.push(WaiverOutcome {
            rule: Text::new(&w.rule),
            by: Text::new(&w.by),
            honored: why.is_none(),
            why: why.map(Text::from).unwrap_or_default(),
        });
    }

    // --- pass 1: exemptions (so that `exempt rule X` applies whatever the order) ----------
    // The guards evaluated here, by rule index, are not evaluated again in pass 2.
    let mut guards: Vec<(usize, Result<bool, EvalError>)> = Vec::new();
    let mut lift = Lift::default();
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
                EffectIr::ExemptBlackout => {
                    lift.blackouts = true;
                    Lifted::Blackout
                }
                EffectIr::ExemptWindow => {
                    lift.windows = true;
                    Lifted::Window
                }
                EffectIr::ExemptRule(x) => {
                    exempt(usize::from(*x));
                    let name = ir
                        .rules
                        .get(usize::from(*x))
                        .map(|r| r.name.clone())
                        .unwrap_or_default();
                    Lifted::Rule(name)
                }
                _ => continue,
            };
            b.trace_with(
                TraceKind::Effect,
                &r.name,
                || format!("exempts {lifts}"),
                &e.at,
            );
            exemptions.push(Exemption {
                rule: r.name.clone(),
                lifts,
                by: None,
            });
        }
    }

    // --- pass 2: deny, allow and require effects --------------------------------------------
    // Grown as needed: sized for every `require` of the policy, the vector would often be
    // too large for the allocator's fast per-thread caches.
    let mut requirements = Vec::new();
    let mut allowed = false;
    for (ri, r) in ir.rules.iter().enumerate() {
        let is_exempt = exempted.get(ri).copied().unwrap_or(false);
        let earlier = if r.has_exemptions {
            guards
                .iter()
                .position(|(i, _)| *i == ri)
                .map(|k| guards.swap_remove(k).1)
        } else {
            None
        };
        let guard = match earlier {
            Some(g) => g,
            None => match &r.guard {
                Some(g) => ctx.cond(g),
                None => Ok(true),
            },
        };
        match guard {
            Ok(true) => b.trace(
                TraceKind::Rule,
                &r.name,
                if is_exempt {
                    "applies (exempted)"
                } else {
                    "applies"
                },
                &r.at,
            ),
            Ok(false) => {
                b.trace(
                    TraceKind::Rule,
                    &r.name,
                    "skipped (guard does not hold)",
                    &r.at,
                );
                continue;
            }
            Err(e) => {
                b.trace(
                    TraceKind::Rule,
                    &r.name,
                    format!("error: {}", e.message),
                    &r.at,
                );
                if !is_exempt {
                    // Point at the guard that failed, not at the rule's name.
                    let at = r
                        .guard
                        .as_ref()
                        .map(|g| policy.sources.location(g.span))
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
                            let message = match (&r.fixed_message, &r.message) {
                                (Some(m), _) => m.clone(),
                                (None, Some(parts)) => Text::from(render_message(parts, &mut ctx)),
                                (None, None) => Text::from(format!("denied by rule {}", r.name)),
                            };
                            b.trace(TraceKind::Effect, &r.name, "deny fires", &e.at);
                            b.reasons.push(Reason {
                                rule: r.name.clone(),
                                message,
                                at: e.at.clone(),
                            });
                        }
                        Ok(false) => {
                            b.trace(TraceKind::Effect, &r.name, "deny does not fire", &e.at)
                        }
                        Err(err) => {
                            b.trace(
                                TraceKind::Effect,
                                &r.name,
                                format!("error: {}", err.message),
                                &e.at,
                            );
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
                        allowed |= h;
                    }
                    // An allow that cannot be evaluated does not allow.
                    Err(err) => b.trace(
                        TraceKind::Effect,
                        &r.name,
                        format!("error: {}", err.message),
                        &e.at,
                    ),
                },
                EffectIr::RequireApproval { group, count } => {
                    if is_exempt {
                        continue;
                    }
                    let gname = ir
                        .groups
                        .get(usize::from(*group))
                        .cloned()
                        .unwrap_or_default();
                    let (counted, ignored) = count_approvals(change, &gname, ctx.now);
                    let satisfied = counted.len() >= *count as usize;
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
                    requirements.push(Requirement {
                        rule: r.name.clone(),
                        kind: RequirementKind::Approval,
                        group: Some(gname),
                        check: None,
                        needed: *count,
                        counted,
                        ignored,
                        satisfied,
                    });
                }
                EffectIr::RequireCheck { name } => {
                    if is_exempt {
                        continue;
                    }
                    let done = change.checks.iter().any(|c| c == name);
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
                    requirements.push(Requirement {
                        rule: r.name.clone(),
                        kind: RequirementKind::Check,
                        group: None,
                        check: Some(name.clone()),
                        needed: 1,
                        counted: if done {
                            smallvec::smallvec![name.clone()]
                        } else {
                            SmallVec::new()
                        },
                        ignored: Vec::new(),
                        satisfied: done,
                    });
                }
                EffectIr::ExemptBlackout | EffectIr::ExemptWindow | EffectIr::ExemptRule(_) => {}
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

    // --- schedule ---------------------------------------------------------------------------
    let schedule = schedule(policy, change, catalog, &prep, lift, &mut b)?;

    // --- strategy, rollback, notify -----------------------------------------------------------
    let mut strategy = None;
    for arm in &ir.strategy {
        let holds = match &arm.cond {
            None => Ok(true),
            Some(c) => ctx.cond(c),
        };
        match holds {
            Ok(h) => {
                b.trace(TraceKind::Strategy, &arm.name, outcome(h), &arm.at);
                if h {
                    strategy = Some(arm.name.clone());
                    break;
                }
            }
            Err(e) => {
                b.trace(
                    TraceKind::Strategy,
                    &arm.name,
                    format!("error: {}", e.message),
                    &arm.at,
                );
                b.fail_closed(
                    &format!("strategy {}", arm.name),
                    "the strategy arm",
                    &e,
                    &arm.at,
                );
                break;
            }
        }
    }
    let mut rollback = Vec::new();
    for t in &ir.triggers {
        let applies = match &t.when {
            None => Ok(true),
            Some(c) => ctx.cond(c),
        };
        match applies {
            Ok(true) => rollback.push(trigger_out(t)),
            Ok(false) => {}
            // A trigger whose condition cannot be evaluated is kept: safer to watch too much.
            Err(_) => rollback.push(trigger_out(t)),
        }
        if explain {
            let o = match &applies {
                Ok(h) => outcome(*h).to_string(),
                Err(e) => format!("error: {} (kept)", e.message),
            };
            b.trace(TraceKind::Trigger, &t.metric, o, &t.at);
        }
    }
    let mut notify: Vec<Text> = Vec::new();
    for n in &ir.notify {
        let applies = match &n.when {
            None => Ok(true),
            Some(c) => ctx.cond(c),
        };
        let applies = match applies {
            Ok(h) => h,
            Err(e) => {
                b.trace(
                    TraceKind::Notify,
                    n.audiences.join(", "),
                    format!("error: {} (notified)", e.message),
                    &n.at,
                );
                true // tell too many rather than too few
            }
        };
        if applies {
            for a in &n.audiences {
                if !notify.contains(a) {
                    notify.push(a.clone());
                }
            }
        }
        if explain {
            b.trace(
                TraceKind::Notify,
                n.audiences.join(", "),
                outcome(applies),
                &n.at,
            );
        }
    }

    let id = |i: u32| catalog.id_text(i).cloned();
    let order = match prep.services.as_slice() {
        // One service is one wave: no graph to walk.
        [one] => id(*one)
            .map(|s| vec![smallvec::smallvec![s]])
            .unwrap_or_default(),
        touched => catalog
            .waves(touched)
            .into_iter()
            .map(|w| w.into_iter().filter_map(id).collect())
            .collect(),
    };

    let verdict = if !b.reasons.is_empty() {
        Verdict::Deny
    } else if requirements.iter().any(|r| !r.satisfied) {
        Verdict::Pending
    } else {
        Verdict::Allow
    };
    Ok(Decision {
        verdict,
        tier: ir
            .tier_names
            .get(usize::from(tier))
            .cloned()
            .unwrap_or_default(),
        reasons: b.reasons,
        requirements,
        exemptions,
        waivers,
        schedule,
        strategy,
        rollback,
        notify,
        order,
        trace: b.trace,
    })
}

fn trigger_out(t: &TriggerIr) -> RollbackTrigger {
    use crate::syntax::ast::CmpOp;
    RollbackTrigger {
        metric: t.metric.clone(),
        op: match t.op {
            CmpOp::Eq => Comparison::Eq,
            CmpOp::Ne => Comparison::Ne,
            CmpOp::Lt => Comparison::Lt,
            CmpOp::Le => Comparison::Le,
            CmpOp::Gt => Comparison::Gt,
            CmpOp::Ge => Comparison::Ge,
        },
        threshold: t.threshold,
        relative_to: t.of_baseline.then_some(RelativeTo::Baseline),
        for_: Text::from(format_duration(t.for_secs)),
        on_no_data: t.on_no_data_fire.then_some(OnNoData::Fire),
    }
}

fn render_message<'a>(parts: &'a [MessagePart], ctx: &mut Ctx<'a>) -> String {
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
    w: &crate::input::Waiver,
    now: Instant,
) -> Option<String> {
    let Some(rule) = ir.rules.iter().find(|r| r.name == w.rule) else {
        return Some(format!("no rule named {}", w.rule));
    };
    let Some((group, max)) = rule.waivable else {
        return Some(format!("rule {} is not waivable", w.rule));
    };
    let gname = ir
        .groups
        .get(usize::from(group))
        .map(Text::as_str)
        .unwrap_or("");
    if w.group != gname {
        return Some(format!("must be granted by group {gname}, not {}", w.group));
    }
    if w.by == change.requester {
        return Some("granted by the change's requester".into());
    }
    if now < w.granted_at {
        return Some("not yet valid".into());
    }
    if now >= w.expires_at {
        return Some("expired".into());
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

fn schedule<const EXPLAIN: bool>(
    policy: &Compiled,
    change: &Change,
    catalog: &Catalog,
    prep: &Prepared<'_>,
    lift: Lift,
    b: &mut Builder<EXPLAIN>,
) -> Result<Schedule, Error> {
    let cals = &policy.ir.calendars;
    let start = prep.start_at;
    let Some(end) = chrono::DateTime::from_timestamp(prep.end, 0) else {
        return Err(InputError::new(
            "change.duration",
            "the change would end outside the range of supported dates",
        )
        .into());
    };
    let region_text = |i: usize, r: &str| {
        prep.region_texts
            .get(i)
            .cloned()
            .unwrap_or_else(|| Text::new(r))
    };
    let mut regions = Vec::with_capacity(prep.regions.len());
    let mut allowed = true;
    let mut blocked: Vec<String> = Vec::new();
    for (i, r) in prep.regions.iter().enumerate() {
        let id = if cals.has_regions() {
            cals.region(r)
        } else {
            None
        };
        let Some(id) = id else {
            if !cals.has_regions() {
                regions.push(RegionSchedule {
                    region: region_text(i, r),
                    open: true,
                    blocked_by: Vec::new(),
                    next_window: None,
                });
                continue;
            }
            let path = match &change.regions {
                Some(_) => format!("change.regions[{i}]"),
                None => {
                    let owner = prep
                        .services
                        .iter()
                        .filter_map(|s| catalog.service(*s).map(|svc| (s, svc)))
                        .find(|(_, svc)| svc.regions.contains(r));
                    match owner {
                        Some((s, _)) => format!("catalog.services[{s}].regions"),
                        None => "change.regions".into(),
                    }
                }
            };
            return Err(InputError::new(path, unknown_region(cals, r)).into());
        };
        let check = cals.check(id, start, end, lift);
        let next_window = check.next_window.map(|(start, end)| Stretch { start, end });
        if !check.open {
            allowed = false;
            let when = match &next_window {
                Some(w) => format!("next window starts {}", format_instant(w.start)),
                None => format!(
                    "no window in the next {} days",
                    crate::calendar::HORIZON_DAYS
                ),
            };
            blocked.push(format!(
                "{r}: {}; {when}",
                blocked_phrase(&check.blocked_by)
            ));
        }
        b.trace(
            TraceKind::Schedule,
            r,
            if check.open { "open" } else { "blocked" },
            "",
        );
        regions.push(RegionSchedule {
            region: region_text(i, r),
            open: check.open,
            blocked_by: check.blocked_by.into_iter().map(Text::from).collect(),
            next_window,
        });
    }
    // A policy with calendars cannot let a change through that names no region: no calendar
    // could have been consulted, and the engine fails closed.
    if prep.regions.is_empty() && cals.has_regions() {
        allowed = false;
        blocked.push(
            "the change touches no region (give `regions` on the change or on its services), \
             so no calendar can allow it"
                .to_string(),
        );
    }
    if !allowed {
        b.reasons.push(Reason {
            rule: Text::new_static("schedule"),
            message: Text::from(format!(
                "the requested start is not allowed: {}",
                blocked.join("; ")
            )),
            at: Text::default(),
        });
    }
    Ok(Schedule {
        start,
        end,
        allowed,
        tzdb: Text::new_static(tzdb_version()),
        regions,
    })
}

/// `blocked by year-end freeze and outside windows`: blackouts are what blocks; being outside
/// the windows or the calendar range is a state, not a blocker, so it is not "blocked by".
fn blocked_phrase(blocked_by: &[String]) -> String {
    use crate::calendar::{OUTSIDE_RANGE, OUTSIDE_WINDOWS};
    let (states, blackouts): (Vec<&str>, Vec<&str>) = blocked_by
        .iter()
        .map(String::as_str)
        .partition(|b| *b == OUTSIDE_WINDOWS || *b == OUTSIDE_RANGE);
    let mut parts = Vec::with_capacity(2);
    if !blackouts.is_empty() {
        parts.push(format!("blocked by {}", blackouts.join(", ")));
    }
    parts.extend(states.into_iter().map(str::to_string));
    parts.join(" and ")
}

/// Batches smaller than this are decided on the calling thread: spawning costs more.
const PARALLEL_FROM: usize = 64;

pub fn evaluate_many<C: std::borrow::Borrow<Change> + Sync>(
    policy: &Compiled,
    changes: &[C],
    catalog: &Catalog,
    now: Instant,
) -> Vec<Result<Decision, Error>> {
    let decide = |part: &[C]| -> Vec<Result<Decision, Error>> {
        part.iter()
            .map(|c| evaluate(policy, c.borrow(), catalog, now, false))
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads <= 1 || changes.len() < PARALLEL_FROM {
        return decide(changes);
    }
    let chunk = changes.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = changes
            .chunks(chunk)
            .map(|part| s.spawn(move || decide(part)))
            .collect();
        let mut out = Vec::with_capacity(changes.len());
        for (h, part) in handles.into_iter().zip(changes.chunks(chunk)) {
            match h.join() {
                Ok(v) => out.extend(v),
                // A panic in a worker is a bug; report it per change rather than crash the host.
                Err(_) => out.extend(part.iter().map(|c| {
                    Err(Error::Internal {
                        message: format!(
                            "change {}: a worker panicked while evaluating (please report it)",
                            c.borrow().id
                        ),
                    })
                })),
            }
        }
        out
    })
}

fn region_id(policy: &Compiled, region: &str) -> Result<crate::calendar::RegionId, Error> {
    let cals = &policy.ir.calendars;
    cals.region(region)
        .ok_or_else(|| InputError::new("region", unknown_region(cals, region)).into())
}

/// "unknown region ...: the policy declares ..." with a suggestion when one is close.
fn unknown_region(cals: &crate::calendar::CalendarSet, region: &str) -> String {
    let declared = cals.region_names();
    let mut msg = format!(
        "unknown region {region:?}: the policy declares {}",
        declared.join(", ")
    );
    if let Some(h) = crate::error::did_you_mean(region, declared.iter().map(String::as_str)) {
        msg.push_str(&format!(" ({h})"));
    }
    msg
}

fn check_range(from: Instant, to: Instant) -> Result<(), Error> {
    if to <= from {
        return Err(InputError::new("to", "must be after `from`").into());
    }
    if (to - from).num_days() > 3 * 366 {
        return Err(InputError::new("to", "a calendar range may span at most three years").into());
    }
    Ok(())
}

pub fn calendar_report(
    policy: &Compiled,
    region: &str,
    from: Instant,
    to: Instant,
) -> Result<CalendarReport, Error> {
    let id = region_id(policy, region)?;
    check_range(from, to)?;
    let view = policy.ir.calendars.view(id, from, to);
    Ok(CalendarReport {
        region: region.to_string(),
        timezone_db: tzdb_version().to_string(),
        open: view
            .open
            .into_iter()
            .map(|(start, end)| Stretch { start, end })
            .collect(),
        blackouts: view
            .blackouts
            .into_iter()
            .map(|(name, s, e)| BlackoutOccurrence {
                name,
                start: format_instant(s),
                end: format_instant(e),
            })
            .collect(),
    })
}

pub fn calendar_ics(
    policy: &Compiled,
    region: &str,
    from: Instant,
    to: Instant,
) -> Result<String, Error> {
    let id = region_id(policy, region)?;
    check_range(from, to)?;
    Ok(policy.ir.calendars.to_ics(id, from, to))
}

pub fn next_window(
    policy: &Compiled,
    region: &str,
    after: Instant,
    duration_secs: i64,
) -> Result<Option<(Instant, Instant)>, Error> {
    let cals = &policy.ir.calendars;
    let id = region_id(policy, region)?;
    if duration_secs < 0 {
        return Err(InputError::new("duration", "must not be negative").into());
    }
    Ok(cals.next_window(id, after, duration_secs, Lift::default()))
}
