//! Release-train scheduling: orders several changes (by `after` and by the catalog's
//! dependencies), then gives each the earliest start its decision does not deny, with the
//! policy's `capacity` and the one-change-per-service rule respected (SPEC 5 and 8.4).
//!
//! The planner decides through the evaluator's sessions (one per change, or per region of a
//! `per_region` rollout), so a start is allowed exactly when `check` would allow it; it only
//! asks for the decisions at a few candidate starts, jumping to the next window the decision
//! reports instead of scanning.

use std::collections::{BTreeSet, HashMap};

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::calendar::HORIZON_DAYS;
use crate::decision::{Decision, Verdict};
use crate::error::{Error, InputError, did_you_mean, quoted};
use crate::eval::{Policy, Session};
use crate::graph::Catalog;
use crate::input::{Change, ROLLOUT_PER_REGION};
use crate::time::Instant;

#[cfg(test)]
mod tests;

/// How many candidate starts the planner tries for one slot (a change, or one region of a
/// `per_region` rollout) before it calls the slot unschedulable. Each candidate is one
/// decision; every candidate but the first is the start of a later window, the end of a
/// planned run, or the end of a window where a rule denied, so a year of weekday windows
/// (about 260) with every run of a large train ending in it stays well below it.
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
}

impl Plan {
    /// The plan's JSON: `{"changes": [...], "unschedulable": [...]}`.
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
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("changes", &self.changes)?;
        m.serialize_entry("unschedulable", &self.unschedulable)?;
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
}

/// An instant as decisions write it: RFC 3339 UTC to the second.
fn rfc3339(t: Instant) -> String {
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
        runs: Vec::new(),
        by_service: HashMap::new(),
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
    let mut refused: Vec<Option<String>> = vec![None; changes.len()];
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
                Some(reason) => Err(reason),
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
            r.map(|reason| Unschedulable {
                id: c.id.clone(),
                reason,
            })
        })
        .collect();
    unschedulable.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Plan {
        changes: keyed.into_iter().map(|(_, p)| p).collect(),
        unschedulable,
    })
}

/// Duplicate change ids are an input error at the second one.
fn check_ids(changes: &[Change]) -> Result<(), InputError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
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
                if !list.iter().any(|(q, _)| *q == p) {
                    list.push((p, Because::After));
                }
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
    for (i, services) in touched.iter().enumerate() {
        for &s in services {
            for on in catalog.dependencies(&[s]) {
                let Some(others) = touching.get(&on) else {
                    continue;
                };
                for &p in others {
                    if p == i {
                        continue;
                    }
                    if let Some(list) = preds.get_mut(i) {
                        if !list.iter().any(|(q, _)| *q == p) {
                            list.push((p, Because::Depends { service: s, on }));
                        }
                    }
                }
            }
        }
    }
    for list in &mut preds {
        list.sort_by_key(|(p, _)| *p);
    }

    // Kahn's algorithm; a change's wave is one more than its deepest predecessor's.
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut missing: Vec<usize> = vec![0; n];
    for (i, list) in preds.iter().enumerate() {
        for &(p, _) in list {
            if let Some(s) = succs.get_mut(p) {
                s.push(i);
            }
        }
        if let Some(m) = missing.get_mut(i) {
            *m = list.len();
        }
    }
    let mut waves = vec![0u32; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| missing.get(i) == Some(&0)).collect();
    let mut done = 0;
    while let Some(p) = ready.pop() {
        done += 1;
        let wave = waves.get(p).copied().unwrap_or_default();
        for &s in succs.get(p).map(Vec::as_slice).unwrap_or_default() {
            if let Some(w) = waves.get_mut(s) {
                *w = (*w).max(wave + 1);
            }
            if let Some(m) = missing.get_mut(s) {
                *m -= 1;
                if *m == 0 {
                    ready.push(s);
                }
            }
        }
    }
    if done < n {
        return Err(cycle_error(changes, catalog, &preds, &missing).into());
    }
    Ok(Order { preds, waves })
}

/// The error for a cycle among the changes Kahn's algorithm could not order (`missing > 0`):
/// from the smallest such id, follow the smallest-id unordered predecessor until a change
/// repeats; the repeated stretch is a cycle, written from its smallest id in the order the
/// changes would have to run.
fn cycle_error(
    changes: &[Change],
    catalog: &Catalog,
    preds: &[Vec<(usize, Because)>],
    missing: &[usize],
) -> InputError {
    let id = |i: usize| changes.get(i).map(|c| c.id.as_str()).unwrap_or_default();
    let stuck = |i: usize| missing.get(i).is_some_and(|&m| m > 0);
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

/// A planned run, as the later changes see it.
struct Run {
    start: Instant,
    end: Instant,
    regions: Vec<String>,
}

/// The planner's state: the runs placed so far.
struct Planner<'a> {
    policy: &'a Policy,
    catalog: &'a Catalog,
    from: Instant,
    capacity: Option<u64>,
    per_region: bool,
    runs: Vec<Run>,
    /// For each service, the runs (indices into `runs`) of the changes touching it.
    by_service: HashMap<String, Vec<usize>>,
}

/// What a slot's planning gave: its `[start, end)` and regions, or why nothing fits.
type Slot = Result<(Instant, Instant, Vec<String>), String>;

impl Planner<'_> {
    /// Plans change `i` at or after `lower`: one run, or one per region for a `per_region`
    /// rollout. The runs are committed only when every region fits.
    fn plan_change(
        &mut self,
        i: usize,
        change: &Change,
        lower: Instant,
        wave: u32,
    ) -> Result<Result<Vec<PlannedChange>, String>, Error> {
        let entry = |region: Option<String>,
                     (start, end, regions): (Instant, Instant, Vec<String>)| {
            PlannedChange {
                id: change.id.clone(),
                region,
                start,
                end,
                wave,
                regions,
                services: change.services.clone(),
            }
        };
        let mut out = Vec::new();
        if change.rollout == ROLLOUT_PER_REGION {
            let regions = match &change.regions {
                Some(regions) => regions.clone(),
                None => {
                    // The regions a decision finds for it (its services'), in the policy's order.
                    let session = self.session(i, change)?;
                    let d = session.decide(lower, false).map_err(|e| reroot(e, i))?;
                    d.schedule
                        .regions
                        .iter()
                        .map(|r| r.region.to_string())
                        .collect()
                }
            };
            if regions.is_empty() {
                return Ok(Err("a per_region rollout with no region".to_string()));
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
                    Err(reason) => {
                        return Ok(Err(format!("in region {}: {reason}", quoted(&region))));
                    }
                }
            }
        } else {
            let session = self.session(i, change)?;
            match self.place(i, &session, change, lower)? {
                Ok(slot) => out.push(entry(None, slot)),
                Err(reason) => return Ok(Err(reason)),
            }
        }
        for p in &out {
            let r = self.runs.len();
            self.runs.push(Run {
                start: p.start,
                end: p.end,
                regions: p.regions.clone(),
            });
            for s in &change.services {
                self.by_service.entry(s.clone()).or_default().push(r);
            }
        }
        Ok(Ok(out))
    }

    fn session<'s>(&'s self, i: usize, change: &'s Change) -> Result<Session<'s>, Error> {
        Session::new(self.policy, change, self.catalog, self.from, false).map_err(|e| reroot(e, i))
    }

    /// The earliest start at or after `lower` where the decision is not a deny and no planned
    /// run blocks the change, within the horizon and [`MAX_PLAN_CANDIDATES`] decisions.
    ///
    /// Why no earlier start exists: the candidates start at `lower` and only move forward, to
    /// - the start of the next window the decision reports, when the schedule denies at `t`:
    ///   `next_window` is the earliest start at or after `t` where the whole change fits every
    ///   applying calendar (exemptions included), so every start in between is denied by the
    ///   schedule, hence by the decision;
    /// - the earliest end `e` of the planned runs that overlap `[t, t + d)` and block it (same
    ///   service, or counting towards an exceeded capacity): each of them starts before
    ///   `t + d` and ends at or after `e`, so for any start `s` in `(t, e)` a same-service run
    ///   still overlaps `[s, s + d)`, and the runs that exceeded the capacity at an instant
    ///   `x < t + d` all still run at `max(x, s)`, which lies in `[s, s + d)`: the same
    ///   conflict holds at every such `s`;
    /// - when a rule (not the schedule) denies at `t`, the earliest of the next end of a
    ///   planned run after `t` and the end of the window `t` lies in (from which the next
    ///   decision jumps to the next window). Here the guarantee is weaker: a rule that reads
    ///   the start itself (`change.start`, `change.end`) is only tried at candidates.
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
        let beyond = |why: &str| {
            format!(
                "nothing fits within {HORIZON_DAYS} days of {}: {why}",
                rfc3339(lower)
            )
        };
        let mut t = lower;
        let mut last = String::from("no window where the whole change fits");
        for _ in 0..MAX_PLAN_CANDIDATES {
            if t > horizon {
                return Ok(Err(beyond(&last)));
            }
            let d = session.decide(t, false).map_err(|e| reroot(e, i))?;
            let regions: Vec<String> = d
                .schedule
                .regions
                .iter()
                .map(|r| r.region.to_string())
                .collect();
            let Some(window) = d.schedule.next_window.clone() else {
                return Ok(Err(beyond("no window where the whole change fits")));
            };
            if !d.schedule.allowed {
                if window.start > t {
                    t = window.start;
                    last = "no window where the whole change fits".to_string();
                    continue;
                }
                // A schedule that denies at `t` yet reports a window at `t`: do not loop.
                return Ok(Err(beyond("the schedule denies every start")));
            }
            let end = match t.checked_add_signed(duration) {
                Some(end) => end,
                None => return Ok(Err(beyond("the change would end beyond supported dates"))),
            };
            if let Some((next, why)) = self.blocked(change, &regions, t, end) {
                t = next;
                last = why;
                continue;
            }
            if d.verdict == Verdict::Deny {
                last = rule_denial(&d);
                let next_end = self.runs.iter().map(|r| r.end).filter(|&e| e > t).min();
                t = match next_end {
                    Some(e) if e < window.end => e,
                    _ if window.end > t => window.end,
                    _ => return Ok(Err(beyond(&last))),
                };
                continue;
            }
            return Ok(Ok((t, end, regions)));
        }
        Ok(Err(format!(
            "no start found within {MAX_PLAN_CANDIDATES} candidate starts from {} (the planner's limit); last: {last}",
            rfc3339(lower)
        )))
    }

    /// When `[start, end)` conflicts with planned runs: the earliest end of the runs that
    /// block it, and why. `None` when nothing blocks it.
    fn blocked(
        &self,
        change: &Change,
        regions: &[String],
        start: Instant,
        end: Instant,
    ) -> Option<(Instant, String)> {
        let overlaps = |r: &Run| r.start < end && start < r.end && start < end;
        let mut first: Option<(Instant, String)> = None;
        let mut note = |e: Instant, why: String| {
            if first.as_ref().is_none_or(|(f, _)| e < *f) {
                first = Some((e, why));
            }
        };
        // The same service: at most one change at a time.
        for s in &change.services {
            for &r in self
                .by_service
                .get(s)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Some(run) = self.runs.get(r) {
                    if overlaps(run) {
                        note(
                            run.end,
                            format!("another change deploys {} at the same time", quoted(s)),
                        );
                    }
                }
            }
        }
        if let Some(cap) = self.capacity {
            if self.per_region {
                for region in regions {
                    let runs: Vec<&Run> = self
                        .runs
                        .iter()
                        .filter(|r| overlaps(r) && r.regions.contains(region))
                        .collect();
                    if peak(&runs, start) >= cap {
                        let e = runs.iter().map(|r| r.end).min().unwrap_or(end);
                        note(
                            e,
                            format!("capacity {cap} per region is taken in {}", quoted(region)),
                        );
                    }
                }
            } else {
                let runs: Vec<&Run> = self.runs.iter().filter(|r| overlaps(r)).collect();
                if peak(&runs, start) >= cap {
                    let e = runs.iter().map(|r| r.end).min().unwrap_or(end);
                    note(e, format!("capacity {cap} is taken"));
                }
            }
        }
        first
    }
}

/// The most of `runs` (all overlapping the candidate) that run at one instant of the
/// candidate: the count peaks at the candidate's start or at one of the runs' starts.
fn peak(runs: &[&Run], start: Instant) -> u64 {
    let mut events: Vec<(Instant, i64)> = Vec::with_capacity(runs.len() * 2);
    for r in runs {
        events.push((r.start.max(start), 1));
        events.push((r.end, -1));
    }
    // At one instant, ends before starts: runs are half-open.
    events.sort();
    let (mut now, mut most) = (0i64, 0i64);
    for (_, delta) in events {
        now += delta;
        most = most.max(now);
    }
    u64::try_from(most).unwrap_or_default()
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
