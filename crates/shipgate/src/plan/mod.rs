//! Release-train scheduling: orders several changes (by `after` and by the catalog's
//! dependencies), then gives each the earliest start its decision does not deny, with the
//! policy's `capacity` and the one-change-per-service rule respected (SPEC 5 and 8.4).
//!
//! The planner decides through the evaluator's sessions (one per change, or per region of a
//! `per_region` rollout), so a start is allowed exactly when `check` would allow it; it only
//! asks for the decisions at a few candidate starts, jumping to the next window the decision
//! reports instead of scanning.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::calendar::HORIZON_DAYS;
use crate::decision::{Decision, Verdict};
use crate::error::{Error, InputError, did_you_mean, quoted};
use crate::eval::{Policy, Session};
use crate::graph::{Catalog, Drawing};
use crate::input::{Change, ROLLOUT_PER_REGION, Scheduled, ScheduledRun};
use crate::time::Instant;

pub use mermaid::GanttSections;
pub use replan::{Cancelled, Moved, NewlyPlanned, NewlyUnschedulable, PreviousPlan, Replan};

mod ics;
mod mermaid;
mod replan;
#[cfg(test)]
mod tests;

/// How many decisions the planner asks for one slot (a change, or one region of a
/// `per_region` rollout) before it calls the slot unschedulable. Every decision but the first
/// is at the start of a later window, past the planned runs that block it, or after a rule
/// denied, so a year of weekday windows (about 260 of them, two decisions each at most when a
/// rule denies all along) stays well below it. Moving past planned runs needs no decision and
/// is not counted.
pub const MAX_PLAN_CANDIDATES: usize = 4096;

/// A release train planned: the planned runs in start order, and the changes that could not
/// be planned. Written as the JSON of SPEC 5 by [`Plan::to_json`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Plan {
    /// One entry per planned change, or per region of a `per_region` rollout, by start, then
    /// id (then the rollout's region order).
    pub changes: Vec<PlannedChange>,
    /// The changes that could not be planned, by id.
    pub unschedulable: Vec<Unschedulable>,
    /// What changed since an earlier plan, when planned with one
    /// ([`crate::Engine::replan`]): written beside `changes` and `unschedulable`.
    pub since: Option<Replan>,
}

impl Plan {
    /// The plan's JSON: `{"changes": [...], "unschedulable": [...]}`, and with
    /// [`Plan::since`] also `"moved"`, `"cancelled"`, `"newly_unschedulable"` and
    /// `"newly_planned"`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The plan's JSON as a value.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Whether every change was planned.
    pub fn is_complete(&self) -> bool {
        self.unschedulable.is_empty()
    }
}

impl Serialize for Plan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("changes", &self.changes)?;
        m.serialize_entry("unschedulable", &self.unschedulable)?;
        if let Some(since) = &self.since {
            m.serialize_entry("moved", &since.moved)?;
            m.serialize_entry("cancelled", &since.cancelled)?;
            m.serialize_entry("newly_unschedulable", &since.newly_unschedulable)?;
            m.serialize_entry("newly_planned", &since.newly_planned)?;
        }
        m.end()
    }
}

/// One planned run: a whole change, or one region of a `per_region` rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedChange {
    /// The change's id.
    pub id: String,
    /// The region of this run, for a `per_region` rollout; `None` for a whole change.
    pub region: Option<String>,
    /// When it starts.
    pub start: Instant,
    /// When it ends: the start plus the change's duration.
    pub end: Instant,
    /// Its depth in the order of the train: 0 for a change that follows no other, else one
    /// more than the deepest change it follows. A rollout's regions keep their change's wave.
    pub wave: u32,
    /// The regions the run touches (the decision's regions, in the policy's order); for a
    /// region of a rollout, that region alone.
    pub regions: Vec<String>,
    /// The change's services, as the change lists them.
    pub services: Vec<String>,
    /// The audiences to tell about this run: its decision's `notify` (at its start). Kept in
    /// the plan so that a later replan can say whom to tell when the change is cancelled.
    pub notify: Vec<String>,
}

impl Serialize for PlannedChange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        if let Some(region) = &self.region {
            m.serialize_entry("region", region)?;
        }
        m.serialize_entry("start", &rfc3339(self.start))?;
        m.serialize_entry("end", &rfc3339(self.end))?;
        m.serialize_entry("wave", &self.wave)?;
        if self.region.is_none() {
            m.serialize_entry("regions", &self.regions)?;
        }
        m.serialize_entry("services", &self.services)?;
        m.serialize_entry("notify", &self.notify)?;
        m.end()
    }
}

/// A change the planner could not place, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Unschedulable {
    /// The change's id.
    pub id: String,
    /// Why, for people.
    pub reason: String,
    /// The audiences to tell: the change's decision's `notify` at its earliest possible start.
    pub notify: Vec<String>,
}

/// An instant as decisions write it: RFC 3339 UTC to the second.
pub(crate) fn rfc3339(t: Instant) -> String {
    match crate::time::utc_seconds(t.timestamp()) {
        Some(text) if t.timestamp_subsec_nanos() == 0 => text.as_str().to_string(),
        _ => crate::time::format_instant(t),
    }
}

/// Why one change must follow another, for the message of a cycle.
#[derive(Debug, Clone)]
enum Because {
    /// The later change lists the earlier in `after`.
    After,
    /// A service of the later change depends (maybe transitively) on one of the earlier's.
    Depends { service: u32, on: u32 },
}

/// The train's order: for each change its predecessors (index, why) and its wave.
struct Order {
    preds: Vec<Vec<(usize, Because)>>,
    waves: Vec<u32>,
}

/// Plans `changes` from `from` (also the decisions' `now`); see the module documentation and
/// `docs/planning.md`.
pub fn plan(
    policy: &Policy,
    changes: &[Change],
    catalog: &Catalog,
    from: Instant,
) -> Result<Plan, Error> {
    check_ids(changes)?;
    let order = order(changes, catalog)?;
    let capacity = policy.compiled.ir.capacity;
    let per_region = policy.compiled.ir.capacity_per_region;
    let mut planner = Planner {
        policy,
        catalog,
        from,
        capacity,
        per_region,
        ends: BTreeMap::new(),
        all: Profile::default(),
        by_region: HashMap::new(),
        by_service: HashMap::new(),
        planned: Scheduled::default(),
    };

    // Wave by wave (every predecessor is in an earlier wave, so planned or refused before),
    // then by the earliest start allowed before any decision, then by id.
    let mut by_wave: Vec<Vec<usize>> = Vec::new();
    for (i, &w) in order.waves.iter().enumerate() {
        let w = w as usize;
        if by_wave.len() <= w {
            by_wave.resize_with(w + 1, Vec::new);
        }
        if let Some(list) = by_wave.get_mut(w) {
            list.push(i);
        }
    }
    let mut ends: Vec<Option<Instant>> = vec![None; changes.len()];
    let mut refused: Vec<Option<Refusal>> = vec![None; changes.len()];
    let mut placed: Vec<PlannedChange> = Vec::new();
    for wave in by_wave {
        let mut queue: Vec<(Instant, &str, usize, Option<String>)> = Vec::new();
        for i in wave {
            let Some(change) = changes.get(i) else {
                continue;
            };
            let mut lower = from.max(change.start.unwrap_or(from));
            let mut blocked_by: Option<&str> = None;
            let preds = order.preds.get(i).map(Vec::as_slice).unwrap_or_default();
            for &(p, _) in preds {
                let pred_id = changes.get(p).map(|c| c.id.as_str()).unwrap_or_default();
                match ends.get(p).copied().flatten() {
                    Some(end) => lower = lower.max(end),
                    None if blocked_by.is_none_or(|b| pred_id < b) => blocked_by = Some(pred_id),
                    None => {}
                }
            }
            let blocked =
                blocked_by.map(|b| format!("after {}, which is unschedulable", quoted(b)));
            queue.push((lower, change.id.as_str(), i, blocked));
        }
        queue.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (lower, _, i, blocked) in queue {
            let Some(change) = changes.get(i) else {
                continue;
            };
            let wave = order.waves.get(i).copied().unwrap_or_default();
            let outcome = match blocked {
                Some(reason) => {
                    // Not planned, but still read: an input it cannot read is an error, never
                    // hidden behind another change's fate.
                    let d = planner
                        .session(i, change)?
                        .decide(lower, false)
                        .map_err(|e| reroot(e, i))?;
                    Err(Refusal {
                        reason,
                        notify: texts(&d.notify),
                    })
                }
                None => planner.plan_change(i, change, lower, wave)?,
            };
            match outcome {
                Ok(runs) => {
                    if let Some(last) = runs.last() {
                        if let Some(e) = ends.get_mut(i) {
                            *e = Some(last.end);
                        }
                    }
                    placed.extend(runs);
                }
                Err(reason) => {
                    if let Some(r) = refused.get_mut(i) {
                        *r = Some(reason);
                    }
                }
            }
        }
    }

    // Start order, ties by id, then by a rollout's own order (which `placed` keeps).
    let mut keyed: Vec<(usize, PlannedChange)> = placed.into_iter().enumerate().collect();
    keyed.sort_by(|(ia, a), (ib, b)| (a.start, &a.id, ia).cmp(&(b.start, &b.id, ib)));
    let mut unschedulable: Vec<Unschedulable> = changes
        .iter()
        .zip(refused)
        .filter_map(|(c, r)| {
            r.map(|r| Unschedulable {
                id: c.id.clone(),
                reason: r.reason,
                notify: r.notify,
            })
        })
        .collect();
    unschedulable.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Plan {
        changes: keyed.into_iter().map(|(_, p)| p).collect(),
        unschedulable,
        since: None,
    })
}

impl Drawing {
    /// The drawing of a release train: each change and the changes it must follow (by
    /// `after`, and through the catalog's dependencies, as [`Engine::plan`](crate::Engine::plan)
    /// orders them), in the planner's waves. A cycle among the changes is highlighted and
    /// [`Drawing::cycle_error`] gives the error `plan` gives for it; the other errors `plan`
    /// reports before planning (a repeated id, an unknown id in `after`) are returned.
    pub fn of_changes(changes: &[Change], catalog: &Catalog) -> Result<Drawing, Error> {
        check_ids(changes)?;
        let preds = constraints(changes, catalog)?;
        let service_id = |s: u32| {
            catalog
                .id_text(s)
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        let mut edges = Vec::new();
        for (i, list) in (0u32..).zip(&preds) {
            for (p, because) in list {
                let because = match because {
                    Because::After => "after".to_string(),
                    Because::Depends { service, on } => {
                        format!("{} depends on {}", service_id(*service), service_id(*on))
                    }
                };
                edges.push((i, u32::try_from(*p).unwrap_or(u32::MAX), because));
            }
        }
        let nodes = changes
            .iter()
            .map(|c| (c.id.clone(), c.services.clone()))
            .collect();
        Ok(Drawing::of_train(nodes, edges, |waves| {
            cycle_error(changes, catalog, &preds, waves)
        }))
    }
}

/// Compares a new plan with an earlier one and records the result in [`Plan::since`]. An
/// earlier entry without `notify` that must be told is told to the policy's unconditional
/// audiences (fixed names of `notify` statements without `when`), with a warning.
pub fn replan(policy: &Policy, plan: &mut Plan, previous: &PreviousPlan) {
    let mut fallback: Vec<String> = Vec::new();
    for n in &policy.compiled.ir.notify {
        if n.when.is_none() {
            for a in &n.audiences {
                if let crate::check::ir::Audience::Fixed(t) = a {
                    if !fallback.iter().any(|f| f == t.as_str()) {
                        fallback.push(t.to_string());
                    }
                }
            }
        }
    }
    plan.since = Some(replan::compare(plan, previous, &fallback));
}

/// Why a change was not planned, and whom to tell.
#[derive(Debug, Clone)]
struct Refusal {
    reason: String,
    notify: Vec<String>,
}

/// A decision's audiences as plain strings.
fn texts(notify: &[crate::decision::Text]) -> Vec<String> {
    notify.iter().map(|t| t.to_string()).collect()
}

/// Duplicate change ids are an input error at the second one; a `soak` on a change that is
/// not a `per_region` rollout is one too (it would wait for nothing: nothing fails silently).
fn check_ids(changes: &[Change]) -> Result<(), InputError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        if c.soak != 0 && c.rollout != ROLLOUT_PER_REGION {
            return Err(InputError::new(
                format!("changes[{i}].soak"),
                format!(
                    "`soak` is the wait between the regions of a per_region rollout, but the                      rollout of change {} is {} (add \"rollout\": \"per_region\", or remove                      `soak`)",
                    quoted(&c.id),
                    quoted(&c.rollout)
                ),
            ));
        }
        if let Some(first) = seen.insert(c.id.as_str(), i) {
            return Err(InputError::new(
                format!("changes[{i}].id"),
                format!(
                    "duplicate change id {} (also at changes[{first}])",
                    quoted(&c.id)
                ),
            ));
        }
    }
    Ok(())
}

/// The train's order: explicit `after`, and a change to a service after every change to a
/// service it depends on, directly or through others. A cycle is an input error listing it.
fn order(changes: &[Change], catalog: &Catalog) -> Result<Order, Error> {
    let preds = constraints(changes, catalog)?;
    let waves = crate::graph::layers(preds.len(), |i| {
        preds.get(i).into_iter().flatten().map(|(p, _)| *p)
    });
    if waves.iter().any(Option::is_none) {
        return Err(cycle_error(changes, catalog, &preds, &waves).into());
    }
    Ok(Order {
        waves: waves.into_iter().map(Option::unwrap_or_default).collect(),
        preds,
    })
}

/// Each change's predecessors, by index, with why: the changes it lists in `after`, and the
/// changes to services its services depend on (the nearest on each path). An unknown id in
/// `after` is an input error.
fn constraints(changes: &[Change], catalog: &Catalog) -> Result<Vec<Vec<(usize, Because)>>, Error> {
    let n = changes.len();
    let index: HashMap<&str, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut preds: Vec<Vec<(usize, Because)>> = vec![Vec::new(); n];

    for (i, c) in changes.iter().enumerate() {
        for (j, id) in c.after.iter().enumerate() {
            let Some(&p) = index.get(id.as_str()) else {
                let mut message = format!("unknown change {} in `after`", quoted(id));
                if let Some(help) = did_you_mean(id, index.keys().copied()) {
                    message.push_str(&format!(" ({help})"));
                }
                return Err(InputError::new(format!("changes[{i}].after[{j}]"), message).into());
            };
            if let Some(list) = preds.get_mut(i) {
                list.push((p, Because::After));
            }
        }
    }

    // Which changes touch each service (services unknown to the catalog are reported by the
    // decisions, with their paths).
    let mut touching: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut touched: Vec<Vec<u32>> = Vec::with_capacity(n);
    for (i, c) in changes.iter().enumerate() {
        let ids: Vec<u32> = c
            .services
            .iter()
            .filter_map(|s| catalog.index_of(s))
            .collect();
        for &s in &ids {
            touching.entry(s).or_default().push(i);
        }
        touched.push(ids);
    }
    // Below each change's services, the first touched services on every path: a change to
    // one of those goes before it, and what lies below them is ordered through them (their
    // changes follow the changes further down), so the walk stops there. Stamps instead of
    // sets keep the walk linear in what it visits.
    let mut seen_service: Vec<usize> = vec![usize::MAX; catalog.len()];
    let mut seen_pred: Vec<usize> = vec![usize::MAX; n];
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for (i, services) in touched.iter().enumerate() {
        let Some(list) = preds.get_mut(i) else {
            continue;
        };
        for &(p, _) in list.iter() {
            if let Some(seen) = seen_pred.get_mut(p) {
                *seen = i;
            }
        }
        stack.clear();
        // A service of the change is marked only when reached from another one: a change
        // sharing it may then be one this change follows.
        stack.extend(services.iter().map(|&s| (s, s)));
        while let Some((at, seed)) = stack.pop() {
            for &on in catalog.depends_on_of(at) {
                match seen_service.get_mut(on as usize) {
                    Some(seen) if *seen != i => *seen = i,
                    _ => continue,
                }
                let others = touching.get(&on).map(Vec::as_slice).unwrap_or_default();
                let mut stop = false;
                for &p in others {
                    if p == i {
                        continue;
                    }
                    stop = true;
                    if let Some(seen) = seen_pred.get_mut(p) {
                        if *seen != i {
                            *seen = i;
                            list.push((p, Because::Depends { service: seed, on }));
                        }
                    }
                }
                if !stop {
                    stack.push((on, seed));
                }
            }
        }
    }
    for list in &mut preds {
        // Stable: an `after` stays ahead of the same change found through the catalog.
        list.sort_by_key(|(p, _)| *p);
        list.dedup_by_key(|(p, _)| *p);
    }

    Ok(preds)
}

/// The error for a cycle among the changes that could not be ordered (no wave):
/// from the smallest such id, follow the smallest-id unordered predecessor until a change
/// repeats; the repeated stretch is a cycle, written from its smallest id in the order the
/// changes would have to run.
fn cycle_error(
    changes: &[Change],
    catalog: &Catalog,
    preds: &[Vec<(usize, Because)>],
    waves: &[Option<u32>],
) -> InputError {
    let id = |i: usize| changes.get(i).map(|c| c.id.as_str()).unwrap_or_default();
    let stuck = |i: usize| waves.get(i).is_some_and(Option::is_none);
    let Some(mut at) = (0..changes.len())
        .filter(|&i| stuck(i))
        .min_by_key(|&i| id(i))
    else {
        return InputError::new("changes", "the changes form a dependency cycle");
    };
    let mut walk: Vec<usize> = Vec::new();
    let cycle = loop {
        if let Some(k) = walk.iter().position(|&w| w == at) {
            break walk.split_off(k);
        }
        walk.push(at);
        let next = preds
            .get(at)
            .into_iter()
            .flatten()
            .map(|(p, _)| *p)
            .filter(|&p| stuck(p))
            .min_by_key(|&p| id(p));
        match next {
            Some(p) => at = p,
            None => return InputError::new("changes", "the changes form a dependency cycle"),
        }
    };
    // `cycle` runs from each change to one it must follow; reverse it into running order.
    let mut run: Vec<usize> = cycle.into_iter().rev().collect();
    if let Some(k) = (0..run.len()).min_by_key(|&k| run.get(k).map(|&i| id(i))) {
        run.rotate_left(k);
    }
    let first = run.first().copied().unwrap_or_default();
    let mut names: Vec<&str> = run.iter().map(|&i| id(i)).collect();
    names.push(id(first));
    let mut why = Vec::new();
    for (k, &later) in run
        .iter()
        .enumerate()
        .skip(1)
        .chain(std::iter::once((0, &first)))
    {
        let Some(&earlier) = run.get((k + run.len() - 1) % run.len()) else {
            continue;
        };
        let because = preds
            .get(later)
            .into_iter()
            .flatten()
            .find(|(p, _)| *p == earlier)
            .map(|(_, b)| b);
        let service = |s: u32| {
            catalog
                .id_text(s)
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        why.push(match because {
            Some(Because::Depends { service: s, on }) => format!(
                "{} after {}: {} depends on {}",
                quoted(id(later)),
                quoted(id(earlier)),
                quoted(&service(*s)),
                quoted(&service(*on))
            ),
            _ => format!(
                "{} after {}: `after`",
                quoted(id(later)),
                quoted(id(earlier))
            ),
        });
    }
    InputError::new(
        format!("changes[{first}]"),
        format!(
            "the changes form a dependency cycle: {} ({})",
            names.join(" -> "),
            why.join("; ")
        ),
    )
}

/// How many planned runs are under way over time: a step function, kept as the instants
/// where the count changes and the count from each until the next (zero before the first and
/// after the last). Equal neighbours are merged, so a busy stretch of back-to-back runs is one
/// step however many runs make it, and a search skips it in one go.
#[derive(Debug, Default)]
struct Profile {
    steps: BTreeMap<Instant, u32>,
}

impl Profile {
    /// The count at `x`.
    fn at(&self, x: Instant) -> u32 {
        self.steps.range(..=x).next_back().map_or(0, |(_, c)| *c)
    }

    /// One more run over `[start, end)`.
    fn add(&mut self, start: Instant, end: Instant) {
        if start >= end {
            return;
        }
        let (at_start, at_end) = (self.at(start), self.at(end));
        self.steps.entry(start).or_insert(at_start);
        self.steps.entry(end).or_insert(at_end);
        for (_, c) in self.steps.range_mut(start..end) {
            *c += 1;
        }
        self.merge(start);
        self.merge(end);
    }

    /// Drops the step at `x` when it does not change the count.
    fn merge(&mut self, x: Instant) {
        let before = self.steps.range(..x).next_back().map_or(0, |(_, c)| *c);
        if self.steps.get(&x) == Some(&before) {
            self.steps.remove(&x);
        }
    }

    /// The earliest `s >= t` such that fewer than `cap` runs are under way at every instant of
    /// `[s, s + d)`. Every start it passes over has an instant in its run where `cap` or more
    /// run: it moves only to the end of a full step (any earlier start in that step is itself
    /// full), or to a full step that begins inside the run (any earlier start's run still
    /// holds that step's beginning).
    fn first_fit(&self, t: Instant, d: chrono::TimeDelta, cap: u32) -> Instant {
        // A run of no length is under way at no instant.
        if d <= chrono::TimeDelta::zero() {
            return t;
        }
        let mut s = t;
        'search: loop {
            if self.at(s) >= cap {
                // To the first step after `s` whose count is below the cap.
                match self
                    .steps
                    .range((std::ops::Bound::Excluded(s), std::ops::Bound::Unbounded))
                    .find(|(_, c)| **c < cap)
                {
                    Some((x, _)) => s = *x,
                    // The last step is always zero, so this is not reached; never loop.
                    None => return s,
                }
            }
            let Some(end) = s.checked_add_signed(d) else {
                return s;
            };
            for (x, c) in self
                .steps
                .range((std::ops::Bound::Excluded(s), std::ops::Bound::Excluded(end)))
            {
                if *c >= cap {
                    s = *x;
                    continue 'search;
                }
            }
            return s;
        }
    }
}

/// The planner's state: the runs placed so far.
struct Planner<'a> {
    policy: &'a Policy,
    catalog: &'a Catalog,
    from: Instant,
    capacity: Option<u64>,
    per_region: bool,
    /// How many runs end at each instant, for the next end after a candidate.
    ends: BTreeMap<Instant, u32>,
    /// The runs under way, all of them (for `capacity N`).
    all: Profile,
    /// The runs under way in each region (for `capacity N per region`).
    by_region: HashMap<String, Profile>,
    /// The runs of the changes touching each service (at most one at a time).
    by_service: HashMap<String, Profile>,
    /// The runs placed so far, which a candidate's `change.conflicts` counts (SPEC 8.8): a
    /// rule on it then denies starts that overlap a planned change on a neighbouring service.
    planned: Scheduled,
}

/// What blocked the last candidate of a slot, for the reason when nothing fits.
enum Blocker {
    /// No window where the whole change fits.
    Schedule,
    /// A rule denied (the reason, written).
    Rule(String),
    /// Another change on this service (an index into the change's services).
    Service(usize),
    /// The capacity.
    Capacity(u64),
    /// The capacity of this region (an index into the slot's regions).
    RegionCapacity(u64, usize),
}

/// A slot that fits: its `[start, end)`, regions and the audiences of its decision.
type Fit = (Instant, Instant, Vec<String>, Vec<String>);

/// What a slot's planning gave: where it fits, or why nothing fits.
type Slot = Result<Fit, Refusal>;

impl Planner<'_> {
    /// Plans change `i` at or after `lower`: one run, or one per region for a `per_region`
    /// rollout. The runs are committed only when every region fits.
    fn plan_change(
        &mut self,
        i: usize,
        change: &Change,
        lower: Instant,
        wave: u32,
    ) -> Result<Result<Vec<PlannedChange>, Refusal>, Error> {
        let entry = |region: Option<String>, (start, end, regions, notify): Fit| PlannedChange {
            id: change.id.clone(),
            region,
            start,
            end,
            wave,
            regions,
            services: change.services.clone(),
            notify,
        };
        let mut out = Vec::new();
        if change.rollout == ROLLOUT_PER_REGION {
            // The whole change decided once first: its errors (an unknown region) keep their
            // paths in the change, and without `regions` it gives its services' regions, in
            // the policy's order.
            let whole = self.session(i, change)?;
            let d = whole.decide(lower, false).map_err(|e| reroot(e, i))?;
            let regions: Vec<String> = match &change.regions {
                Some(regions) => regions.clone(),
                None => d
                    .schedule
                    .regions
                    .iter()
                    .map(|r| r.region.to_string())
                    .collect(),
            };
            if regions.is_empty() {
                return Ok(Err(Refusal {
                    reason: "a per_region rollout with no region".to_string(),
                    notify: texts(&d.notify),
                }));
            }
            let mut at = lower;
            for region in regions {
                let mut one = change.clone();
                one.regions = Some(vec![region.clone()]);
                let session = self.session(i, &one)?;
                match self.place(i, &session, &one, at)? {
                    Ok(slot) => {
                        at = slot
                            .1
                            .checked_add_signed(chrono::TimeDelta::seconds(change.soak))
                            .unwrap_or(slot.1);
                        out.push(entry(Some(region), slot));
                    }
                    Err(refusal) => {
                        // Whom to tell about the change as a whole, not one region.
                        return Ok(Err(Refusal {
                            reason: format!("in region {}: {}", quoted(&region), refusal.reason),
                            notify: texts(&d.notify),
                        }));
                    }
                }
            }
        } else {
            let session = self.session(i, change)?;
            match self.place(i, &session, change, lower)? {
                Ok(slot) => out.push(entry(None, slot)),
                Err(refusal) => return Ok(Err(refusal)),
            }
        }
        for p in &out {
            *self.ends.entry(p.end).or_default() += 1;
            if self.capacity.is_some() {
                if self.per_region {
                    for r in &p.regions {
                        self.by_region
                            .entry(r.clone())
                            .or_default()
                            .add(p.start, p.end);
                    }
                } else {
                    self.all.add(p.start, p.end);
                }
            }
            for s in &change.services {
                self.by_service
                    .entry(s.clone())
                    .or_default()
                    .add(p.start, p.end);
            }
            self.planned.push(ScheduledRun::planned(
                &p.id,
                p.region.as_deref(),
                &p.services,
                p.start,
                p.end,
            ));
        }
        Ok(Ok(out))
    }

    fn session<'s>(&'s self, i: usize, change: &'s Change) -> Result<Session<'s>, Error> {
        Session::new(self.policy, change, self.catalog, self.from, false)
            .and_then(|s| s.with_scheduled(&self.planned, false))
            .map_err(|e| reroot(e, i))
    }

    /// The earliest start at or after `lower` where the decision is not a deny and no planned
    /// run blocks the change, within the horizon and [`MAX_PLAN_CANDIDATES`] decisions.
    ///
    /// Why no earlier start exists: the candidate `t` starts at `lower` and only moves forward,
    /// - past planned runs, to [`Planner::free`]'s start: for each service and capacity, the
    ///   earliest start at or after `t` where that constraint holds for the whole run
    ///   ([`Profile::first_fit`] says why it skips nothing), repeated until all hold at once,
    ///   so every start skipped breaks one of them;
    /// - when the schedule denies at `t`, to the start of the next window the decision
    ///   reports: `next_window` is the earliest start at or after `t` where the whole change
    ///   fits every applying calendar (exemptions included), so every start in between is
    ///   denied by the schedule, hence by the decision;
    /// - when a rule (not the schedule) denies at `t`, to the earlier of the next end of a
    ///   planned run after `t` and the end of the window `t` lies in (from where the next
    ///   decision jumps to the next window). Here the guarantee is weaker: a rule that reads
    ///   the start itself (`change.start`, `change.end`) is only tried at these candidates.
    fn place(
        &self,
        i: usize,
        session: &Session<'_>,
        change: &Change,
        lower: Instant,
    ) -> Result<Slot, Error> {
        let horizon = lower
            .checked_add_signed(chrono::TimeDelta::days(HORIZON_DAYS))
            .unwrap_or(lower);
        let duration = chrono::TimeDelta::seconds(change.duration);
        let first = session.decide(lower, false).map_err(|e| reroot(e, i))?;
        // Whom to tell when it fits nowhere: its decision at its earliest possible start.
        let refused_notify = texts(&first.notify);
        let refuse = |reason: String| -> Result<Slot, Error> {
            Ok(Err(Refusal {
                reason,
                notify: refused_notify.clone(),
            }))
        };
        // A change's regions do not depend on its start.
        let regions: Vec<String> = first
            .schedule
            .regions
            .iter()
            .map(|r| r.region.to_string())
            .collect();
        let mut known = Some(first);
        let mut t = lower;
        let mut last = Blocker::Schedule;
        let mut decisions = 1;
        let beyond = |last: &Blocker| {
            let why = match last {
                Blocker::Schedule => "no window where the whole change fits".to_string(),
                Blocker::Rule(why) => why.clone(),
                Blocker::Service(k) => format!(
                    "another change deploys {} at every start that fits",
                    quoted(
                        change
                            .services
                            .get(*k)
                            .map(String::as_str)
                            .unwrap_or_default()
                    )
                ),
                Blocker::Capacity(cap) => {
                    format!("capacity {cap} is taken at every start that fits")
                }
                Blocker::RegionCapacity(cap, k) => format!(
                    "capacity {cap} per region is taken in {} at every start that fits",
                    quoted(regions.get(*k).map(String::as_str).unwrap_or_default())
                ),
            };
            refuse(format!(
                "nothing fits within {HORIZON_DAYS} days of {}: {why}",
                rfc3339(lower)
            ))
        };
        loop {
            // Planned runs first (no decision needed).
            let (free, why) = self.free(change, &regions, t, duration);
            if let Some(why) = why {
                (t, last, known) = (free, why, None);
            }
            if t > horizon {
                return beyond(&last);
            }
            let d = match known.take() {
                Some(d) => d,
                None if decisions >= MAX_PLAN_CANDIDATES => {
                    return refuse(format!(
                        "no start found within {MAX_PLAN_CANDIDATES} candidate starts from {} \
                         (the planner's limit)",
                        rfc3339(lower)
                    ));
                }
                None => {
                    decisions += 1;
                    session.decide(t, false).map_err(|e| reroot(e, i))?
                }
            };
            // No window left before the horizon: what blocked the starts tried so far is the
            // reason (a rule that denied in every window there was), else the windows.
            let Some(window) = d.schedule.next_window.clone() else {
                return beyond(&last);
            };
            if !d.schedule.allowed {
                if window.start <= t {
                    // A schedule that denies at `t` yet reports a window at `t`: do not loop.
                    return beyond(&Blocker::Schedule);
                }
                t = window.start;
                last = Blocker::Schedule;
                continue;
            }
            if d.verdict == Verdict::Deny {
                last = Blocker::Rule(rule_denial(&d));
                let next_end = self
                    .ends
                    .range((std::ops::Bound::Excluded(t), std::ops::Bound::Unbounded))
                    .next()
                    .map(|(e, _)| *e);
                t = match next_end {
                    Some(e) if e < window.end => e,
                    _ if window.end > t => window.end,
                    _ => return beyond(&last),
                };
                continue;
            }
            let Some(end) = t.checked_add_signed(duration) else {
                return beyond(&last);
            };
            return Ok(Ok((t, end, regions, texts(&d.notify))));
        }
    }

    /// The earliest start at or after `t` that no planned run blocks (the same service, the
    /// capacity), and what blocked `t` when that is later. Each constraint's
    /// [`Profile::first_fit`] is the earliest for it, so no start that all of them allow is
    /// skipped; they are applied in turn until none moves the start.
    fn free(
        &self,
        change: &Change,
        regions: &[String],
        t: Instant,
        d: chrono::TimeDelta,
    ) -> (Instant, Option<Blocker>) {
        let cap = self.capacity.map(|c| u32::try_from(c).unwrap_or(u32::MAX));
        let mut s = t;
        let mut why = None;
        loop {
            let before = s;
            for (k, service) in change.services.iter().enumerate() {
                if let Some(p) = self.by_service.get(service) {
                    let next = p.first_fit(s, d, 1);
                    if next > s {
                        (s, why) = (next, Some(Blocker::Service(k)));
                    }
                }
            }
            if let Some(cap) = cap {
                if self.per_region {
                    for (k, region) in regions.iter().enumerate() {
                        if let Some(p) = self.by_region.get(region) {
                            let next = p.first_fit(s, d, cap);
                            if next > s {
                                (s, why) = (next, Some(Blocker::RegionCapacity(cap.into(), k)));
                            }
                        }
                    }
                } else {
                    let next = self.all.first_fit(s, d, cap);
                    if next > s {
                        (s, why) = (next, Some(Blocker::Capacity(cap.into())));
                    }
                }
            }
            if s == before {
                return (s, why);
            }
        }
    }
}

/// The rules that denied, for a reason: their names and messages.
fn rule_denial(d: &Decision) -> String {
    let rules: BTreeSet<String> = d
        .reasons
        .iter()
        .filter(|r| r.rule.as_str() != "schedule")
        .map(|r| format!("rule {}", quoted(r.rule.as_str())))
        .collect();
    if rules.is_empty() {
        "the policy denies it".to_string()
    } else {
        format!(
            "denied by {} at every start tried",
            rules.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}

/// A decision's error about `change...` re-rooted at the change's place in the train.
fn reroot(e: Error, i: usize) -> Error {
    match e {
        Error::Input(mut input) => {
            if let Some(rest) = input.path.strip_prefix("change") {
                if rest.is_empty() || rest.starts_with('.') || rest.starts_with('[') {
                    input.path = format!("changes[{i}]{rest}");
                }
            }
            Error::Input(input)
        }
        other => other,
    }
}
