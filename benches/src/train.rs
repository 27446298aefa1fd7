//! Generators for the planner's benchmark (issue 14): a catalog of tiered services spread over
//! three regions, a policy with three regions' calendars in their own zones, and release
//! trains of any size; and a checker that a plan keeps its promises, run once outside timing.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::{Value, json};
use shipgate::{Catalog, Change, Instant, Plan};

use crate::Rng;

/// The three regions, as the policy and the catalog name them.
pub const REGIONS: [&str; 3] = ["eu-west", "us-east", "ap-southeast"];

/// Where every generated train starts planning: a Monday, a week before the year-end freeze.
pub const FROM: &str = "2026-12-14T00:00:00Z";

/// The train's start, parsed.
pub fn from() -> Instant {
    shipgate::parse_instant(FROM).unwrap_or_default()
}

/// The first index of each tier of a catalog of `n` services: 1% platform (tier 0), 10%
/// shared services (tier 1), 40% domain services (tier 2), the rest edge services (tier 3).
fn tier_starts(n: usize) -> [usize; 4] {
    [
        0,
        (n / 100).max(1),
        (n * 11 / 100).max(2),
        (n * 51 / 100).max(3),
    ]
}

/// The tier of service `i` of a catalog of `n`.
fn tier_of(i: usize, n: usize) -> usize {
    let t = tier_starts(n);
    (1..4).rev().find(|&k| i >= t[k]).unwrap_or(0)
}

/// One of the services `lo..hi`, skewed towards the first ones (`lo + (hi-lo)·u²`), so a few
/// services are the providers of many (fan-in) while most have few dependents.
fn skewed(rng: &mut Rng, lo: usize, hi: usize) -> usize {
    let span = hi.saturating_sub(lo).max(1);
    let u = rng.below(1 << 16) as u64;
    lo + ((span as u64 * u * u) >> 32) as usize
}

/// A catalog of `n` services `svc-0..` as JSON text: a layered DAG where each service depends
/// on one to three services of the tier below (skewed towards hubs) and sometimes on one
/// earlier service of its own tier, each in one (55%), two (30%) or three (15%) regions.
/// About one edge service (tier 3) in 500 has a negative error budget.
pub fn catalog_text(n: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let starts = tier_starts(n);
    let mut out = String::with_capacity(n * 140);
    out.push_str("{\"services\":[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let tier = tier_of(i, n);
        let mut deps: Vec<usize> = Vec::with_capacity(4);
        if tier > 0 {
            let (lo, hi) = (starts[tier - 1], starts[tier]);
            for _ in 0..1 + rng.below(3) {
                let d = skewed(&mut rng, lo, hi);
                if !deps.contains(&d) {
                    deps.push(d);
                }
            }
        }
        if i > starts[tier] && rng.chance(30) {
            let d = i - 1 - rng.below((i - starts[tier]).min(200));
            if !deps.contains(&d) {
                deps.push(d);
            }
        }
        let count = match rng.below(100) {
            0..=54 => 1,
            55..=84 => 2,
            _ => 3,
        };
        let first = rng.below(3);
        let regions: Vec<&str> = (0..count).map(|k| REGIONS[(first + k) % 3]).collect();
        let budget = if tier == 3 && rng.chance(1) && rng.chance(20) {
            -0.05
        } else {
            0.5
        };
        let _ = write!(
            out,
            "{{\"id\":\"svc-{i}\",\"team\":\"team-{}\",\"tier\":{tier},\"error_budget\":{budget},\
             \"stateful\":{},\"regions\":[",
            i % 211,
            tier == 0 || rng.chance(5)
        );
        for (k, r) in regions.iter().enumerate() {
            let _ = write!(out, "{}\"{r}\"", if k > 0 { "," } else { "" });
        }
        out.push_str("],\"depends_on\":[");
        for (k, d) in deps.iter().enumerate() {
            let _ = write!(out, "{}\"svc-{d}\"", if k > 0 { "," } else { "" });
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

/// How the train's capacity is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// No `capacity`.
    Unlimited,
    /// `capacity N`.
    Total(u32),
    /// `capacity N per region`.
    PerRegion(u32),
}

/// The policy of the planner's benchmark: four tiers, approvals by tier and kind, a few
/// denies, the capacity, and three regions with business-hours windows in their own zones,
/// weekends closed (no window), the year-end freeze, 2027's public holidays and a monthly
/// maintenance blackout (an `rrule`), plus a UTC calendar every region uses (quarter close).
pub fn policy_text(capacity: Capacity) -> String {
    let mut out = String::from(
        "tiers low, medium, high, critical\ndefault allow\ngroups cab, team-lead, dba\n",
    );
    match capacity {
        Capacity::Unlimited => {}
        Capacity::Total(n) => {
            let _ = writeln!(out, "capacity {n}");
        }
        Capacity::PerRegion(n) => {
            let _ = writeln!(out, "capacity {n} per region");
        }
    }
    out.push_str(
        r#"
tier critical when any s in change.services: s.tier == 0
tier high when any s in change.services: s.tier == 1 or "infrastructure" in change.kind
tier medium when "database" in change.kind or change.size > 400

rule peer_review {
  require approval "team-lead"
}
rule cab_review {
  when tier >= high
  require approval "cab"
}
rule schema_changes {
  when "database" in change.kind
  require approval "dba"
}
rule do_not_ship {
  deny when "do-not-ship" in change.labels
  message "change {change.id} is marked do-not-ship"
}
rule budget_freeze {
  deny when any s in change.services: s.error_budget < 0% and not change.emergency
}
rule stateful_backward_compat {
  deny when "database" in change.kind and not change.backward_compatible and any s in change.services: s.stateful
}
rule too_large {
  deny when change.size > 5000
}

calendar berlin timezone "Europe/Berlin" {
  window mon-thu 09:00-17:00
  window fri 09:00-13:00
  blackout "year-end freeze" from 2026-12-19 to 2027-01-04
  blackout "patch day" rrule "FREQ=MONTHLY;BYDAY=2TU" at 13:00 for 4h
  blackout "good friday" from 2027-03-26 to 2027-03-29
  blackout "labour day" from 2027-05-01 to 2027-05-01
  blackout "ascension" from 2027-05-06 to 2027-05-07
  blackout "whit monday" from 2027-05-17 to 2027-05-17
  blackout "unity day" from 2027-10-04 to 2027-10-04
  blackout "christmas" from 2027-12-23 to 2028-01-03
}

calendar new-york timezone "America/New_York" {
  window mon-fri 09:00-17:00
  blackout "year-end freeze" from 2026-12-19 to 2027-01-04
  blackout "maintenance" rrule "FREQ=MONTHLY;BYDAY=3WE" at 20:00 for 6h
  blackout "mlk day" from 2027-01-18 to 2027-01-18
  blackout "presidents day" from 2027-02-15 to 2027-02-15
  blackout "memorial day" from 2027-05-31 to 2027-05-31
  blackout "juneteenth" from 2027-06-18 to 2027-06-18
  blackout "independence day" from 2027-07-05 to 2027-07-05
  blackout "labor day" from 2027-09-06 to 2027-09-06
  blackout "thanksgiving" from 2027-11-24 to 2027-11-26
  blackout "christmas" from 2027-12-23 to 2028-01-03
}

calendar singapore timezone "Asia/Singapore" {
  window mon-fri 10:00-18:00
  blackout "year-end freeze" from 2026-12-19 to 2027-01-04
  blackout "maintenance" rrule "FREQ=MONTHLY;BYDAY=1TH" at 14:00 for 3h
  blackout "chinese new year" from 2027-02-05 to 2027-02-09
  blackout "good friday" from 2027-03-26 to 2027-03-26
  blackout "labour day" from 2027-05-01 to 2027-05-01
  blackout "vesak" from 2027-05-20 to 2027-05-20
  blackout "national day" from 2027-08-09 to 2027-08-09
  blackout "deepavali" from 2027-10-28 to 2027-10-28
  blackout "christmas" from 2027-12-23 to 2028-01-03
}

calendar global timezone "UTC" {
  blackout "quarter close" rrule "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1" at 00:00 for 1d
}

region eu-west uses berlin, global
region us-east uses new-york, global
region ap-southeast uses singapore, global
"#,
    );
    out
}

/// The shape of a generated train.
#[derive(Debug, Clone, Copy)]
pub struct TrainShape {
    /// How many changes.
    pub changes: usize,
    /// Services are drawn from the first `hot` services of each tier's share (the services
    /// under active development), so changes share services and follow each other through
    /// the catalog; one pick in four is any service of the catalog.
    pub hot: usize,
    /// Of the changes to services nothing depends on, how many per thousand are marked
    /// do-not-ship (denied by a rule at every start).
    pub denied_per_mille: usize,
}

impl TrainShape {
    /// The usual shape: 2% of the catalog (at least 50 services) is under active development;
    /// two in 1,000 of the changes to services nothing depends on are denied by a rule whatever its start.
    pub fn usual(changes: usize, catalog: usize) -> TrainShape {
        TrainShape {
            changes,
            hot: (catalog / 50).max(50),
            denied_per_mille: 2,
        }
    }
}

/// A release train over a catalog of `n` services (as [`catalog_text`] made it, with the same
/// seed), as JSON values:
/// - each change touches one service (75%), two (20%) or three, of the hot set mostly;
/// - 30% follow one or two of the 50 changes before them (`after`), and the catalog orders
///   the changes whose services depend on others' (that is most of them);
/// - changes whose services span regions roll out region by region (`per_region`, with a
///   soak of 0-4 hours), except 30% of those spanning only eu-west and us-east (which share
///   two hours a day) and one in 30 changes spanning Singapore and touching only services
///   nothing depends on, which must fit
///   all regions at once and cannot (unschedulable: those windows never overlap);
/// - approvals are given as the rules require, mostly (one change in ten lacks one: pending);
/// - two in 1,000 changes to services nothing depends on are marked do-not-ship (a rule
///   denies them at every start: unschedulable, and so are the changes following them by
///   `after`), and one
///   in 20 has its own earliest `start` a few days after the train's.
pub fn train(catalog_json: &str, shape: TrainShape, seed: u64) -> Result<Vec<Value>, String> {
    let catalog: Value = serde_json::from_str(catalog_json).map_err(|e| e.to_string())?;
    let services = catalog["services"].as_array().ok_or("no services")?;
    let n = services.len();
    let starts = tier_starts(n);
    let regions_of = |i: usize| -> Vec<String> {
        services
            .get(i)
            .and_then(|s| s["regions"].as_array())
            .map(|r| {
                r.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let tier_of_service = |i: usize| tier_of(i, n);
    // The hot set: in each tier, its first services, in proportion to the tier's share.
    let hot_in = |rng: &mut Rng| -> usize {
        let tier = match rng.below(100) {
            0..=4 => 0,
            5..=29 => 1,
            30..=69 => 2,
            _ => 3,
        };
        let (lo, hi) = (starts[tier], if tier == 3 { n } else { starts[tier + 1] });
        let share = ((hi - lo) * shape.hot / n.max(1)).max(1);
        lo + rng.below(share)
    };
    // Services nothing depends on: the refused changes touch only those, so that what
    // follows them through the catalog stays few.
    let mut depended = vec![false; n];
    for s in services {
        for d in s["depends_on"].as_array().into_iter().flatten() {
            let k = d.as_str().and_then(|d| d.strip_prefix("svc-"));
            if let Some(k) = k.and_then(|k| k.parse::<usize>().ok()) {
                if let Some(x) = depended.get_mut(k) {
                    *x = true;
                }
            }
        }
    }
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(shape.changes);
    let mut highest: Vec<usize> = Vec::with_capacity(shape.changes);
    let mut refused: Vec<bool> = Vec::with_capacity(shape.changes);
    const PEOPLE: [&str; 6] = ["ana", "bo", "cy", "dee", "eli", "fay"];
    const DURATIONS: [&str; 5] = ["30m", "45m", "1h", "90m", "2h"];
    for i in 0..shape.changes {
        let count = match rng.below(100) {
            0..=74 => 1,
            75..=94 => 2,
            _ => 3,
        };
        let mut picked: Vec<usize> = Vec::with_capacity(count);
        for _ in 0..count {
            let s = if rng.chance(75) {
                hot_in(&mut rng)
            } else {
                rng.below(n)
            };
            if !picked.contains(&s) {
                picked.push(s);
            }
        }
        let mut regions: Vec<String> = picked.iter().flat_map(|&s| regions_of(s)).collect();
        regions.sort();
        regions.dedup();
        let kind = match rng.below(10) {
            0 => "database",
            1 => "infrastructure",
            2 | 3 => "config",
            _ => "application",
        };
        let leaf = picked
            .iter()
            .all(|&s| !depended.get(s).copied().unwrap_or(true));
        let top_tier = picked
            .iter()
            .map(|&s| tier_of_service(s))
            .min()
            .unwrap_or(3);
        let requester = PEOPLE[rng.below(PEOPLE.len())];
        let implementer = PEOPLE[(PEOPLE.iter().position(|p| *p == requester).unwrap_or(0)
            + 1
            + rng.below(PEOPLE.len() - 1))
            % PEOPLE.len()];
        let mut approvals =
            vec![json!({"by": "gus", "group": "team-lead", "at": "2026-12-10T09:00:00Z"})];
        if (top_tier <= 1 || kind == "infrastructure") && !rng.chance(10) {
            approvals.push(json!({"by": "hal", "group": "cab", "at": "2026-12-11T09:00:00Z"}));
        }
        if kind == "database" {
            approvals.push(json!({"by": "ivy", "group": "dba", "at": "2026-12-11T10:00:00Z"}));
        }
        let mut labels: Vec<&str> = Vec::new();
        if leaf && rng.below(1000) < shape.denied_per_mille {
            labels.push("do-not-ship");
        }
        let labels_empty = labels.is_empty();
        // A schema change that is not backward compatible is denied on stateful services.
        let backward = kind != "database" || !leaf || !rng.chance(3);
        let mut change = json!({
            "id": format!("CHG-{i:05}"),
            "title": format!("change {i}"),
            "kind": [kind],
            "services": picked.iter().map(|s| format!("svc-{s}")).collect::<Vec<_>>(),
            "requester": requester,
            "implementer": implementer,
            "approvals": approvals,
            "duration": DURATIONS[rng.below(DURATIONS.len())],
            "size": 20 + rng.below(600),
            "backward_compatible": backward,
            "labels": labels,
        });
        let Some(fields) = change.as_object_mut() else {
            return Err("a change is not an object".into());
        };
        // eu-west and us-east share two hours a day (14:00-16:00 UTC, Monday to Thursday):
        // a change there may go at once; elsewhere a change spanning regions rolls out
        // region by region, but for one edge change in 30, which is then unschedulable.
        let at_once = match regions.len() {
            0 | 1 => true,
            2 if regions.iter().all(|r| r != "ap-southeast") => rng.chance(30),
            _ => leaf && rng.chance(3),
        };
        if !at_once {
            fields.insert("rollout".into(), json!("per_region"));
            let soak = rng.below(5);
            if soak > 0 {
                fields.insert("soak".into(), json!(format!("{soak}h")));
            }
        }
        if i > 0 && rng.chance(30) {
            // Only after changes entirely below this one in the catalog's order (services
            // depend on services of lower index), so `after` agrees with the catalog, and
            // never after a change made to be refused (chains of `after` reach far).
            let low = picked.iter().copied().min().unwrap_or(0);
            let mut after: Vec<String> = Vec::new();
            for _ in 0..1 + rng.below(2) {
                let p = i - 1 - rng.below(i.min(50));
                if highest.get(p).is_some_and(|&h| h < low) && !refused.get(p).unwrap_or(&true) {
                    let id = format!("CHG-{p:05}");
                    if !after.contains(&id) {
                        after.push(id);
                    }
                }
            }
            if !after.is_empty() {
                fields.insert("after".into(), json!(after));
            }
        }
        highest.push(picked.iter().copied().max().unwrap_or(0));
        refused.push(!labels_empty || (at_once && regions.len() > 1) || !backward);
        if rng.chance(5) {
            fields.insert(
                "start".into(),
                json!(format!("2027-01-{:02}T08:00:00Z", 5 + rng.below(20))),
            );
        }
        out.push(change);
    }
    Ok(out)
}

/// Removes the dependency cycles of a generated train: a change of several services can
/// depend through the catalog on a change that depends on it through another service. While
/// the planner reports a cycle, the last change of the cycle with several services keeps only
/// its first (changes of one service each cannot form a cycle: services depend on services of
/// lower index, and `after` points only below too). Slow (it plans the train each time, under a policy without calendars) and outside
/// any timing.
pub fn without_cycles(mut values: Vec<Value>, catalog: &Catalog) -> Result<Vec<Value>, String> {
    let engine = shipgate::Engine::from_source("groups cab, team-lead, dba\n", "open.gate")
        .map_err(|e| e.to_string())?;
    let index: HashMap<String, usize> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| Some((v["id"].as_str()?.to_string(), i)))
        .collect();
    for _ in 0..values.len() {
        let changes = read_changes(&values)?;
        let message = match engine.plan(&changes, catalog, from()) {
            Ok(_) => return Ok(values),
            Err(e) => e.to_string(),
        };
        let Some(cycle) = message
            .split("dependency cycle: ")
            .nth(1)
            .and_then(|rest| rest.split(" (").next())
        else {
            return Err(message);
        };
        let last = cycle
            .split(" -> ")
            .filter_map(|id| index.get(id.trim_matches('"')).copied())
            .filter(|&i| {
                values[i]["services"]
                    .as_array()
                    .is_some_and(|s| s.len() > 1)
            })
            .max()
            .ok_or_else(|| message.clone())?;
        let change = values.get_mut(last).ok_or("no such change")?;
        let first = change["services"][0].clone();
        change["services"] = json!([first]);
        if change["services"].as_array().is_some_and(|s| s.len() == 1)
            && change.get("rollout").is_some()
        {
            // One service, maybe one region: keep the rollout only if it still spans regions.
            let regions = catalog
                .get(first.as_str().unwrap_or_default())
                .map_or(0, |s| s.regions.len());
            if regions < 2 {
                if let Some(fields) = change.as_object_mut() {
                    fields.remove("rollout");
                    fields.remove("soak");
                }
            }
        }
    }
    let changes = read_changes(&values)?;
    Err(format!(
        "could not remove the cycles: {:?}",
        engine.plan(&changes, catalog, from()).err()
    ))
}

/// The changes read by shipgate.
pub fn read_changes(values: &[Value]) -> Result<Vec<Change>, String> {
    values
        .iter()
        .map(Change::from_json)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

/// What [`check_plan`] found: how many changes were planned and refused, and how many runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    pub planned: usize,
    pub unschedulable: usize,
    pub runs: usize,
    pub last_end: Instant,
}

/// One planned run: start, end, regions.
type Run = (Instant, Instant, Vec<String>);

/// Checks that `plan` keeps the planner's promises for `changes` (as JSON values): every
/// change is planned (once, or once per region of a rollout) or unschedulable; every run
/// starts at or after `from` and its own `start`, after the end of every change it names in
/// `after`; no two runs on one service overlap; the capacity holds at every instant (in every
/// region, for `capacity N per region`). The catalog's implied order and the calendars are
/// the property tests' job.
pub fn check_plan(
    plan: &Plan,
    changes: &[Value],
    catalog: &Catalog,
    capacity: Capacity,
) -> Result<PlanSummary, String> {
    let from = from();
    let mut runs: BTreeMap<&str, Vec<Run>> = BTreeMap::new();
    for p in &plan.changes {
        if p.end <= p.start || p.start < from {
            return Err(format!("{}: bad run {} - {}", p.id, p.start, p.end));
        }
        let regions = match &p.region {
            Some(r) => vec![r.clone()],
            None => p.regions.clone(),
        };
        runs.entry(p.id.as_str())
            .or_default()
            .push((p.start, p.end, regions));
    }
    let refused: HashMap<&str, &str> = plan
        .unschedulable
        .iter()
        .map(|u| (u.id.as_str(), u.reason.as_str()))
        .collect();
    let mut by_service: HashMap<&str, Vec<(Instant, Instant)>> = HashMap::new();
    for c in changes {
        let id = c["id"].as_str().ok_or("change without id")?;
        let Some(own) = runs.get(id) else {
            if refused.contains_key(id) {
                continue;
            }
            return Err(format!("{id} is neither planned nor unschedulable"));
        };
        if refused.contains_key(id) {
            return Err(format!("{id} is both planned and unschedulable"));
        }
        let first = own.iter().map(|r| r.0).min().unwrap_or(from);
        if let Some(start) = c["start"].as_str() {
            let start = shipgate::parse_instant(start).map_err(|e| e.to_string())?;
            if first < start {
                return Err(format!("{id} starts before its own start"));
            }
        }
        for pred in c["after"].as_array().into_iter().flatten() {
            let pred = pred.as_str().unwrap_or_default();
            let end = runs
                .get(pred)
                .and_then(|r| r.iter().map(|x| x.1).max())
                .ok_or_else(|| format!("{id} planned after unplanned {pred}"))?;
            if first < end {
                return Err(format!("{id} starts before {pred} ends"));
            }
        }
        if c["rollout"] == "per_region" {
            let regions: std::collections::BTreeSet<&str> = c["services"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| catalog.get(s.as_str().unwrap_or_default()))
                .flat_map(|s| s.regions.iter().map(|r| r.as_str()))
                .collect();
            if own.len() != regions.len() {
                return Err(format!(
                    "{id}: {} runs for {} regions",
                    own.len(),
                    regions.len()
                ));
            }
        } else if own.len() != 1 {
            return Err(format!("{id}: {} runs", own.len()));
        }
        for s in c["services"].as_array().into_iter().flatten() {
            let list = by_service
                .entry(s.as_str().unwrap_or_default())
                .or_default();
            list.extend(own.iter().map(|r| (r.0, r.1)));
        }
    }
    for (s, list) in &mut by_service {
        list.sort();
        if list.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(format!("two runs overlap on {s}"));
        }
    }
    // Capacity: sweep the runs' starts and ends (an end before a start at the same instant).
    let (cap, per_region) = match capacity {
        Capacity::Unlimited => (u32::MAX, false),
        Capacity::Total(n) => (n, false),
        Capacity::PerRegion(n) => (n, true),
    };
    let mut events: BTreeMap<&str, Vec<(Instant, i32)>> = BTreeMap::new();
    for (start, end, regions) in runs.values().flatten() {
        let keys: Vec<&str> = if per_region {
            regions.iter().map(String::as_str).collect()
        } else {
            vec![""]
        };
        for k in keys {
            let e = events.entry(k).or_default();
            e.push((*start, 1));
            e.push((*end, -1));
        }
    }
    for (k, e) in &mut events {
        e.sort();
        let mut open = 0i64;
        for (_, d) in e.iter() {
            open += i64::from(*d);
            if open > i64::from(cap) {
                return Err(format!("capacity {cap} exceeded in {k:?}"));
            }
        }
    }
    Ok(PlanSummary {
        planned: runs.len(),
        unschedulable: plan.unschedulable.len(),
        runs: plan.changes.len(),
        last_end: plan.changes.iter().map(|p| p.end).max().unwrap_or(from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate::{Engine, Format};

    #[test]
    fn a_small_train_plans_and_keeps_its_promises() {
        let text = catalog_text(5_000, 7);
        let catalog = Catalog::from_text(&text, Format::Json).unwrap();
        assert_eq!(catalog.len(), 5_000);
        let values = train(&text, TrainShape::usual(300, 5_000), 11).unwrap();
        let values = without_cycles(values, &catalog).unwrap();
        let changes = read_changes(&values).unwrap();
        for cap in [Capacity::PerRegion(4), Capacity::Total(6)] {
            let engine = Engine::from_source(&policy_text(cap), "train.gate").unwrap();
            let plan = engine.plan(&changes, &catalog, from()).unwrap();
            let summary = check_plan(&plan, &values, &catalog, cap).unwrap();
            assert_eq!(summary.planned + summary.unschedulable, 300);
            // A few are unschedulable (all regions at once, do-not-ship, what follows them),
            // most are planned, and rollouts give more runs than changes.
            assert!(summary.unschedulable >= 1, "{summary:?}");
            assert!(summary.unschedulable < 30, "{summary:?}");
            assert!(summary.runs > summary.planned, "{summary:?}");
        }
    }
}
