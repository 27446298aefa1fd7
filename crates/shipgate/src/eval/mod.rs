//! Evaluation of the compiled policy set against one change; assembles the Decision.
//!
//! The engine lowers the checked IR once (`lower`). A `Session` prepares a change once
//! (`prepare`), then each decision runs the phases in order: `tier`, `rules` (waivers,
//! exemptions, effects), `schedule` (calendars), `delivery` (strategy, rollback, notify, order).
//! Conditions run as fast programs (`fast`), falling back to the general evaluator (`expr`).

pub mod batch;
mod conflicts;
mod delivery;
mod explain;
mod expr;
pub mod fast;
pub mod lower;
mod prepare;
pub mod rollback;
mod rules;
mod schedule;
mod tier;
pub mod typed;
pub mod value;

use crate::decision::*;
use crate::error::Error;
use crate::graph::Catalog;
use crate::input::{Change, Scheduled};
use crate::limits::Limit;
use crate::time::Instant;
use expr::Ctx;
pub use lower::Policy;
use prepare::{Facts, Prepared, ext_value, prepare};
use rules::approvals_counted;
use value::EvalError;

/// A change prepared once against a catalog at `now`: the touched services, regions and
/// `extend` values are found and validated here, and each `decide` only adds what depends on
/// the start (the change's start and end, the schedule) to run the rules.
pub struct Session<'a> {
    policy: &'a Policy,
    change: &'a Change,
    catalog: &'a Catalog,
    now: Instant,
    facts: Facts<'a>,
    /// Decide with the general evaluator only (`Engine::evaluate_reference`).
    reference: bool,
    /// The runs already scheduled, which `change.conflicts` counts; with `report`, the
    /// decision lists the conflicts and its `inputs` digest covers the schedule.
    scheduled: Option<&'a Scheduled>,
    report: bool,
}

impl<'a> Session<'a> {
    pub fn new(
        policy: &'a Policy,
        change: &'a Change,
        catalog: &'a Catalog,
        now: Instant,
        reference: bool,
    ) -> Result<Session<'a>, Error> {
        let facts = prepare(policy, change, catalog)?;
        Ok(Session {
            policy,
            change,
            catalog,
            now,
            facts,
            reference,
            scheduled: None,
            report: false,
        })
    }

    /// The session with `scheduled` as the runs already scheduled: `change.conflicts` counts
    /// those conflicting with each decided run; with `report`, each decision lists them (its
    /// `conflicts`) and digests the schedule. A service the schedule names that the catalog
    /// does not know is an input error at its path.
    pub fn with_scheduled(
        mut self,
        scheduled: &'a Scheduled,
        report: bool,
    ) -> Result<Session<'a>, Error> {
        if report {
            conflicts::check_services(scheduled, self.catalog)?;
        }
        self.scheduled = Some(scheduled);
        self.report = report;
        Ok(self)
    }

    /// The decision with the change starting at `start`; with `explain`, with its trace.
    pub fn decide(&self, start: Instant, explain: bool) -> Result<Decision, Error> {
        if explain {
            decide::<true>(self, start)
        } else {
            decide::<false>(self, start)
        }
    }
}

/// The decision's reasons and, when `EXPLAIN`, its trace. The flag is a constant so that the
/// common decision, without a trace, carries no trace code at all.
struct Builder<const EXPLAIN: bool> {
    trace: Vec<TraceEntry>,
    reasons: Vec<Reason>,
    /// The steps explaining may still spend re-evaluating conditions (`explain::seen`).
    explain_budget: u64,
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
            values: Vec::new(),
            more_values: 0,
        });
    }

    /// With `explain`, adds to the last step traced what each atom of `c` saw.
    #[inline]
    fn values<'a>(&mut self, ctx: &mut Ctx<'a>, c: &'a crate::check::ir::Cond) {
        if EXPLAIN {
            self.push_values(ctx, c);
        }
    }

    #[cold]
    fn push_values<'a>(&mut self, ctx: &mut Ctx<'a>, c: &'a crate::check::ir::Cond) {
        let (values, more) = explain::seen(ctx, c, &mut self.explain_budget);
        if let Some(t) = self.trace.last_mut() {
            t.values = values;
            t.more_values = more;
        }
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
    policy: &Policy,
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
    policy: &Policy,
    change: &Change,
    catalog: &Catalog,
    now: Instant,
    explain: bool,
    reference: bool,
) -> Result<Decision, Error> {
    let session = Session::new(policy, change, catalog, now, reference)?;
    session.decide(change.start.unwrap_or(now), explain)
}

/// `evaluate` with the runs already scheduled: the decision lists the conflicts, and
/// `change.conflicts` counts them.
pub fn evaluate_scheduled(
    policy: &Policy,
    change: &Change,
    catalog: &Catalog,
    now: Instant,
    explain: bool,
    scheduled: &Scheduled,
) -> Result<Decision, Error> {
    let session =
        Session::new(policy, change, catalog, now, false)?.with_scheduled(scheduled, true)?;
    session.decide(change.start.unwrap_or(now), explain)
}

/// The regions a change touches and every calendar that applies to it: its regions', its
/// services' (`services where`, catalog `calendars`) and its own (`changes where`, whose
/// conditions see the change starting at `start`, at `now` = `start`, with its tier),
/// validated as a decision validates the change; the group is `None` when no calendar can
/// allow the change (a policy with regions, a change that touches none). A scope condition
/// that cannot be evaluated is an error here, where a decision would deny.
pub fn applying_calendars(
    policy: &Policy,
    change: &Change,
    catalog: &Catalog,
    start: Instant,
) -> Result<(Vec<String>, Option<crate::calendar::CalendarGroup>), Error> {
    let facts = prepare(policy, change, catalog)?;
    let group = schedule::applying_calendars(&policy.compiled, &facts, change, catalog)?;
    let Some(mut group) = group else {
        return Ok((facts.regions.to_vec(), None));
    };
    let ir = &policy.compiled.ir;
    if !ir.service_scopes.is_empty()
        || !ir.change_scopes.is_empty()
        || !facts.catalog_calendars.is_empty()
    {
        let prep = Prepared::at(&facts, start, change.duration);
        let mut ctx = context(policy, change, catalog, &prep, start.timestamp(), false);
        let mut b = Builder::<false> {
            trace: Vec::new(),
            reasons: Vec::new(),
            explain_budget: 0,
        };
        ctx.tier = tier::decide(&mut ctx, &mut b);
        let scoped = schedule::scopes(&mut ctx, &mut b);
        if let Some(reason) = b.reasons.first() {
            return Err(crate::error::InputError::new("change", reason.message.to_string()).into());
        }
        group.extend(scoped.calendars());
    }
    Ok((facts.regions.to_vec(), Some(group)))
}

/// The evaluation context of one decision of `change` (prepared as `prep`) at `now`.
fn context<'a>(
    lowered: &'a Policy,
    change: &'a Change,
    catalog: &'a Catalog,
    prep: &'a Prepared<'a>,
    now: i64,
    reference: bool,
) -> Ctx<'a> {
    let policy = &lowered.compiled;
    Ctx {
        ir: &policy.ir,
        programs: &lowered.programs,
        fused: &lowered.fused,
        sources: &policy.sources,
        change,
        catalog,
        prep,
        change_ext: &prep.facts().change_ext,
        tier: 0,
        now,
        vars: smallvec::SmallVec::new(),
        bound: [None; fast::BOUND_SLOTS],
        bound_pos: [u32::MAX; fast::BOUND_SLOTS],
        reference,
        approvals: smallvec::SmallVec::new(),
        budget: lowered.limits.get(Limit::EvalSteps),
        budget_of: lowered.limits.get(Limit::EvalSteps),
        over_budget: false,
        scheduled: None,
    }
}

/// What the phases of one decision found besides its reasons (in the builder). A lean run
/// (`FULL` false) leaves everything but `unmet` empty (see [`Session::judge`]).
///
/// The schedule is not among them: `run` puts it in `keep` as soon as it is built, so that a
/// decision moves its 200 bytes once more, into the [`Decision`], rather than through every
/// struct on the way (each move of it was a `memcpy`).
struct Found {
    tier: u8,
    rules: rules::Outcome,
    delivery: delivery::Delivery,
    order: SmallVec<[SmallVec<[Text; 4]>; 1]>,
}

/// The phases of a decision, in order: tier, rules, scopes, schedule, delivery and the
/// budget. Every decision runs them all, full or lean: anything that can add a reason or
/// spend the evaluation budget runs in both; with `FULL`, each also builds what the
/// decision states (requirements, waivers, the schedule, the strategy, the order ...).
#[inline(always)]
fn run<'a, const EXPLAIN: bool, const FULL: bool>(
    ctx: &mut Ctx<'a>,
    b: &mut Builder<EXPLAIN>,
    session: &Session<'_>,
    keep: &mut Option<Schedule>,
) -> Result<Found, Error> {
    let Session {
        policy: lowered,
        change,
        catalog,
        now,
        ..
    } = *session;
    let policy = &lowered.compiled;
    let prep = ctx.prep;
    let tier = tier::decide(ctx, b);
    ctx.tier = tier;
    let mut rules = rules::decide::<EXPLAIN, FULL>(ctx, b, now);
    let scoped = schedule::scopes(ctx, b);
    let schedule::Scheduled { schedule, lifted } =
        schedule::schedule::<EXPLAIN, FULL>(policy, change, catalog, prep, rules.lift, &scoped, b)?;
    *keep = Some(schedule);
    if FULL && (rules.lift.blackouts || rules.lift.named != 0) {
        let cals = &policy.ir.calendars;
        let lifted = &lifted;
        for (i, e) in rules.exemptions.iter_mut().enumerate() {
            if let Lifted::Blackout(names) = &mut e.lifts {
                // An exemption by name lists the names it lifted; any other lifts them all.
                match rules.named.iter().find(|(k, _)| *k == i) {
                    Some(&(_, bits)) => names.extend(
                        lifted
                            .iter()
                            .filter(|n| cals.liftable_bit(n) & bits != 0)
                            .cloned(),
                    ),
                    None => names.clone_from(lifted),
                }
            }
        }
    }
    let delivery = delivery::decide::<EXPLAIN, FULL>(ctx, b);
    let order = if FULL {
        delivery::order(catalog, prep)
    } else {
        SmallVec::new()
    };
    if ctx.over_budget
        && !b
            .reasons
            .iter()
            .any(|r| r.message.contains("evaluation budget"))
    {
        // Whatever the conditions that ran out decided, the decision is not an allow.
        b.reasons.push(Reason {
            rule: Text::new_static("budget"),
            message: Text::from(format!(
                "{}; failing closed",
                expr::budget_message(ctx.budget_of)
            )),
            at: Text::default(),
        });
    }
    Ok(Found {
        tier,
        rules,
        delivery,
        order,
    })
}

/// A decision's verdict: deny with any reason, else pending while a requirement is unmet.
fn verdict(reasons: &[Reason], unmet: bool) -> Verdict {
    if !reasons.is_empty() {
        Verdict::Deny
    } else if unmet {
        Verdict::Pending
    } else {
        Verdict::Allow
    }
}

/// The decision, with the trace when `EXPLAIN`.
fn decide<const EXPLAIN: bool>(session: &Session<'_>, start: Instant) -> Result<Decision, Error> {
    let Session {
        policy: lowered,
        change,
        catalog,
        now,
        reference,
        scheduled,
        report,
        ..
    } = *session;
    let policy = &lowered.compiled;
    let ir = &policy.ir;
    let prep = Prepared::at(&session.facts, start, change.duration);
    let mut ctx = context(lowered, change, catalog, &prep, now.timestamp(), reference);
    ctx.scheduled = scheduled;
    let mut b = Builder::<EXPLAIN> {
        trace: Vec::new(),
        reasons: Vec::new(),
        explain_budget: if EXPLAIN { ctx.budget_of } else { 0 },
    };
    let mut kept = None;
    let Found {
        tier,
        rules:
            rules::Outcome {
                exemptions,
                waivers,
                requirements,
                obligations,
                unmet,
                ..
            },
        delivery:
            delivery::Delivery {
                strategy,
                rollback,
                notify,
            },
        order,
    } = run::<EXPLAIN, true>(&mut ctx, &mut b, session, &mut kept)?;
    let Some(schedule) = kept else {
        return Err(Error::Internal {
            message: "a decision's schedule was not built".to_string(),
        });
    };

    let (conflicts, inputs) = match scheduled {
        Some(s) if report => (
            Some(conflicts::list(
                s,
                catalog,
                &change.id,
                &prep.services,
                prep.start,
                prep.end,
            )),
            InputsDigest::new(catalog.inputs_part(), &change.source)
                .with_scheduled(s.canonical.clone()),
        ),
        _ => (
            None,
            InputsDigest::new(catalog.inputs_part(), &change.source),
        ),
    };
    let verdict = verdict(&b.reasons, unmet);
    let to_ship = if EXPLAIN {
        Some(explain::to_ship(ir, &b.reasons, &requirements, &schedule))
    } else {
        None
    };
    Ok(Decision {
        verdict,
        change: Text::new(&change.id),
        now,
        tier: ir
            .tier_names
            .get(usize::from(tier))
            .cloned()
            .unwrap_or_default(),
        reasons: b.reasons,
        requirements,
        obligations,
        exemptions,
        waivers,
        schedule,
        conflicts,
        strategy,
        rollback,
        notify,
        order,
        trace: b.trace,
        to_ship,
        policy: policy.policy_digest,
        inputs,
        engine: Text::new_static(crate::decision::ENGINE),
    })
}

/// A decision's verdict and reasons, and nothing else it would state: what replay compares.
pub struct Judgement {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
}

impl Session<'_> {
    /// The verdict and the reasons of `decide(start, false)`, exactly, without building the
    /// rest of the decision: no requirements, waivers, schedule, delivery, order or digest.
    pub fn judge(&self, start: Instant) -> Result<Judgement, Error> {
        let prep = Prepared::at(&self.facts, start, self.change.duration);
        let mut ctx = context(
            self.policy,
            self.change,
            self.catalog,
            &prep,
            self.now.timestamp(),
            self.reference,
        );
        ctx.scheduled = self.scheduled;
        let mut b = Builder::<false> {
            trace: Vec::new(),
            reasons: Vec::new(),
            explain_budget: 0,
        };
        let found = run::<false, false>(&mut ctx, &mut b, self, &mut None)?;
        Ok(Judgement {
            verdict: verdict(&b.reasons, found.rules.unmet),
            reasons: b.reasons,
        })
    }
}

/// [`Session::judge`] of the change at its own start: the verdict and reasons of
/// [`evaluate`] without explain.
pub fn judge(
    policy: &Policy,
    change: &Change,
    catalog: &Catalog,
    now: Instant,
) -> Result<Judgement, Error> {
    Session::new(policy, change, catalog, now, false)?.judge(change.start.unwrap_or(now))
}

/// The calendars that apply to every change touching `service` alone (SPEC 8.3): its
/// regions' (in the order it lists them), those of the `services where` that hold for it,
/// and its catalog entry's; with its regions. The catalog is checked against the policy as
/// a decision checks it.
pub fn service_calendars(
    policy: &Policy,
    catalog: &Catalog,
    service: &str,
) -> Result<(Vec<String>, crate::calendar::CalendarGroup), Error> {
    use crate::error::InputError;
    let Some(idx) = catalog.index_of(service) else {
        let ids = catalog.services().iter().map(|s| s.id.as_str());
        let mut message = format!("unknown service {}", crate::error::quoted(service));
        if let Some(help) = crate::error::did_you_mean(service, ids) {
            message.push_str(&format!(" ({help})"));
        }
        return Err(InputError::new("service", message).into());
    };
    // The question is the change that touches only this service, at any time: the
    // `services where` conditions read the service alone (the checker sees to it).
    let change = Change::from_json(&serde_json::json!({
        "id": "calendar", "services": [service], "requester": "", "implementer": "",
        "duration": 0,
    }))?;
    let now = chrono::DateTime::from_timestamp(0, 0).unwrap_or_default();
    let facts = prepare::service_facts(&policy.compiled, policy.id, catalog, idx)?;
    let prep = Prepared::at(&facts, now, 0);
    let ir = &policy.compiled.ir;
    let mut ctx = context(policy, &change, catalog, &prep, 0, false);
    let mut b = Builder::<false> {
        trace: Vec::new(),
        reasons: Vec::new(),
        explain_budget: 0,
    };
    let scoped = schedule::service_scopes(&mut ctx, &mut b);
    if let Some(reason) = b.reasons.first() {
        return Err(InputError::new("service", reason.message.to_string()).into());
    }
    let cals = &ir.calendars;
    let mut group = crate::calendar::CalendarGroup::new();
    let regions: Vec<String> = prep.regions.to_vec();
    if cals.has_regions() {
        for r in &regions {
            let Some(id) = cals.region(r) else {
                let path = format!("catalog.services[{idx}].regions");
                return Err(InputError::new(path, cals.unknown_region(r)).into());
            };
            group.extend(cals.region_calendars(id).iter().copied());
        }
    }
    for (_, own, _) in &scoped {
        group.extend(own.ids().iter().copied());
    }
    Ok((regions, group))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests;
