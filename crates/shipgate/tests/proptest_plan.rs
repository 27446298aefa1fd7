//! The release-train planner against a slow, obvious model: on random small DAGs of changes
//! over random catalogs and calendars (two regions in their own zones, weekday windows and a
//! daily blackout, all on 15-minute boundaries), every planned run
//! - starts at or after `from`, its own `start` and the end of every change it follows (by
//!   `after`, or by the catalog's dependencies as the model finds them by fixpoint),
//! - has a decision at its start that is not a deny,
//! - never overlaps another change's run on a shared service, nor exceeds the capacity,
//!
//! and, on these small cases, no change could start earlier given the runs planned before it:
//! every 15-minute start between its lower bound and its planned start is denied or blocked
//! (exact, as every boundary of a calendar, a duration and `from` is on that grid).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeDelta;
use proptest::prelude::*;
use serde_json::json;
use shipgate::{Catalog, Change, Engine, Instant, Plan, Verdict};

const REGIONS: [&str; 2] = ["eu", "in"];
/// Mon 2026-12-07, 07:00 UTC.
const FROM: &str = "2026-12-07T07:00:00Z";
const STEP_MINUTES: i64 = 15;

#[derive(Debug, Clone)]
struct Service {
    deps: Vec<usize>,
    regions: Vec<usize>,
}

/// One change: services, duration in 15-minute steps, `after` (earlier changes), a start
/// offset from `from` in steps, and for a per-region rollout its soak in steps.
type ChangeSpec = (Vec<usize>, i64, Vec<usize>, Option<i64>, Option<i64>);

#[derive(Debug, Clone)]
struct Train {
    services: Vec<Service>,
    changes: Vec<ChangeSpec>,
    /// `capacity N`, and whether per region.
    capacity: Option<(u64, bool)>,
    blackout: bool,
}

fn train() -> impl Strategy<Value = Train> {
    let service = |i: usize| {
        (
            proptest::sample::subsequence((0..i).collect::<Vec<_>>(), 0..=i.min(2)),
            proptest::sample::subsequence(vec![0usize, 1], 1..=2),
        )
            .prop_map(|(deps, regions)| Service { deps, regions })
    };
    let services =
        (service(0), service(1), service(2), service(3)).prop_map(|(a, b, c, d)| vec![a, b, c, d]);
    let change = |i: usize| {
        (
            proptest::sample::subsequence(vec![0usize, 1, 2, 3], 1..=2),
            prop_oneof![Just(2i64), Just(4), Just(8), Just(16)],
            proptest::sample::subsequence((0..i).collect::<Vec<_>>(), 0..=i.min(1)),
            proptest::option::weighted(0.3, 0i64..40),
            proptest::option::weighted(0.25, 0i64..8),
        )
    };
    (
        services,
        1usize..=5,
        (change(0), change(1), change(2), change(3), change(4)),
        proptest::option::of((1u64..=2, any::<bool>())),
        any::<bool>(),
    )
        .prop_map(|(services, n, (a, b, c, d, e), capacity, blackout)| Train {
            services,
            changes: vec![a, b, c, d, e].into_iter().take(n).collect(),
            capacity,
            blackout,
        })
}

fn policy(t: &Train) -> String {
    let blackout = if t.blackout {
        "blackout \"lunch\" daily 12:00-12:45"
    } else {
        ""
    };
    let capacity = match t.capacity {
        Some((n, true)) => format!("capacity {n} per region"),
        Some((n, false)) => format!("capacity {n}"),
        None => String::new(),
    };
    format!(
        "{capacity}\n\
         calendar eu_hours timezone \"Europe/Berlin\" {{ window mon-fri 09:00-17:00 {blackout} }}\n\
         calendar in_hours timezone \"Asia/Kolkata\" {{ window mon-fri 12:00-20:00 }}\n\
         region eu uses eu_hours\nregion in uses in_hours\n\
         rule two_eyes {{ deny when change.requester == change.implementer }}\n"
    )
}

fn catalog(t: &Train) -> Catalog {
    let services: Vec<_> = t
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({"id": format!("s{i}"), "tier": 2,
                   "depends_on": s.deps.iter().map(|d| format!("s{d}")).collect::<Vec<_>>(),
                   "regions": s.regions.iter().map(|&r| REGIONS[r]).collect::<Vec<_>>()})
        })
        .collect();
    Catalog::from_json(&json!({ "services": services })).unwrap()
}

fn from() -> Instant {
    FROM.parse().unwrap()
}

fn steps(n: i64) -> TimeDelta {
    TimeDelta::minutes(n * STEP_MINUTES)
}

fn changes(t: &Train) -> Vec<Change> {
    t.changes
        .iter()
        .enumerate()
        .map(|(i, (services, duration, after, start, soak))| {
            let mut c = json!({
                "id": format!("C{i}"),
                "services": services.iter().map(|s| format!("s{s}")).collect::<Vec<_>>(),
                "requester": "ana", "implementer": "bo",
                "duration": duration * STEP_MINUTES * 60,
                "after": after.iter().map(|a| format!("C{a}")).collect::<Vec<_>>(),
            });
            if let Some(s) = start {
                c["start"] = json!(shipgate::format_instant(from() + steps(*s)));
            }
            if let Some(soak) = soak {
                c["rollout"] = json!("per_region");
                c["soak"] = json!(soak * STEP_MINUTES * 60);
            }
            Change::from_json(&c).unwrap()
        })
        .collect()
}

/// The changes each change follows: its `after`, and every change to a service one of its
/// services depends on, transitively (reachability iterated to a fixpoint).
fn predecessors(t: &Train) -> Vec<BTreeSet<usize>> {
    let mut reach: Vec<BTreeSet<usize>> = t
        .services
        .iter()
        .map(|s| s.deps.iter().copied().collect())
        .collect();
    loop {
        let before: usize = reach.iter().map(BTreeSet::len).sum();
        for i in 0..reach.len() {
            let more: Vec<usize> = reach[i].iter().flat_map(|&j| reach[j].clone()).collect();
            reach[i].extend(more);
        }
        if reach.iter().map(BTreeSet::len).sum::<usize>() == before {
            break;
        }
    }
    t.changes
        .iter()
        .enumerate()
        .map(|(i, (services, _, after, _, _))| {
            let mut preds: BTreeSet<usize> = after.iter().copied().collect();
            for (j, (other, ..)) in t.changes.iter().enumerate() {
                let depends = services
                    .iter()
                    .any(|&s| other.iter().any(|o| reach[s].contains(o)));
                if j != i && depends {
                    preds.insert(j);
                }
            }
            preds
        })
        .collect()
}

/// Whether the order has a cycle: some change remains once every change whose predecessors
/// are all removed has been removed, repeatedly.
fn has_cycle(preds: &[BTreeSet<usize>]) -> bool {
    let mut left: BTreeSet<usize> = (0..preds.len()).collect();
    loop {
        let free: Vec<usize> = left
            .iter()
            .copied()
            .filter(|&i| preds[i].iter().all(|p| !left.contains(p)))
            .collect();
        if free.is_empty() {
            return !left.is_empty();
        }
        for i in free {
            left.remove(&i);
        }
    }
}

/// A planned run as the model sees it.
#[derive(Debug, Clone)]
struct Run {
    change: usize,
    start: Instant,
    end: Instant,
    regions: Vec<String>,
    services: Vec<String>,
}

fn runs(plan: &Plan) -> Vec<Run> {
    plan.changes
        .iter()
        .map(|p| Run {
            change: p.id[1..].parse().unwrap(),
            start: p.start,
            end: p.end,
            regions: p.regions.clone(),
            services: p.services.clone(),
        })
        .collect()
}

/// Whether a run `[start, end)` in `regions` on `services` is blocked by `others` under the
/// capacity: a shared service overlaps, or at some 15-minute instant the others already fill
/// the capacity (globally, or in one of `regions`).
fn blocked(
    start: Instant,
    end: Instant,
    regions: &[String],
    services: &[String],
    others: &[&Run],
    capacity: Option<(u64, bool)>,
) -> bool {
    let overlaps = |r: &Run| r.start < end && start < r.end;
    if others
        .iter()
        .any(|r| overlaps(r) && r.services.iter().any(|s| services.contains(s)))
    {
        return true;
    }
    let Some((cap, per_region)) = capacity else {
        return false;
    };
    let mut x = start;
    while x < end {
        let covering: Vec<&&Run> = others
            .iter()
            .filter(|r| r.start <= x && x < r.end)
            .collect();
        if per_region {
            for region in regions {
                let n = covering
                    .iter()
                    .filter(|r| r.regions.contains(region))
                    .count();
                if n as u64 >= cap {
                    return true;
                }
            }
        } else if covering.len() as u64 >= cap {
            return true;
        }
        x += steps(1);
    }
    false
}

/// The decision for change `c` (restricted to `region` for a run of a rollout) at `start`.
fn verdict(
    engine: &Engine,
    catalog: &Catalog,
    c: &Change,
    region: Option<&str>,
    start: Instant,
) -> Verdict {
    let mut one = c.clone();
    if let Some(r) = region {
        one.regions = Some(vec![r.to_string()]);
    }
    let session = engine.session(&one, catalog, from()).unwrap();
    session.decide_at(start).unwrap().verdict
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn plans_keep_order_windows_capacity_and_are_earliest(t in train()) {
        let engine = Engine::from_source(&policy(&t), "train.gate").unwrap();
        let catalog = catalog(&t);
        let changes = changes(&t);
        let plan = match engine.plan(&changes, &catalog, from()) {
            Ok(plan) => plan,
            // Only a cycle through `after` and the catalog may refuse these trains.
            Err(e) => {
                prop_assert!(e.to_string().contains("dependency cycle"), "{e}");
                prop_assert!(has_cycle(&predecessors(&t)), "no cycle in the model: {e}");
                return Ok(());
            }
        };
        let preds = predecessors(&t);
        prop_assert!(!has_cycle(&preds), "the model has a cycle the planner missed");
        let runs = runs(&plan);
        let by_change: BTreeMap<usize, Vec<&Run>> = runs.iter().fold(BTreeMap::new(), |mut m, r| {
            m.entry(r.change).or_insert_with(Vec::new).push(r);
            m
        });
        let refused: BTreeSet<usize> =
            plan.unschedulable.iter().map(|u| u.id[1..].parse().unwrap()).collect();
        prop_assert_eq!(by_change.len() + refused.len(), changes.len());
        let end_of = |i: usize| by_change.get(&i).map(|r| r.iter().map(|r| r.end).max().unwrap());

        // Each change's lower bound, for those whose predecessors are all planned.
        let mut lower: BTreeMap<usize, Instant> = BTreeMap::new();
        for (i, c) in changes.iter().enumerate() {
            let mut l = from().max(c.start.unwrap_or(from()));
            for &p in &preds[i] {
                match end_of(p) {
                    Some(e) => l = l.max(e),
                    None => {
                        prop_assert!(refused.contains(&i), "C{i} planned after unplanned C{p}");
                    }
                }
            }
            lower.insert(i, l);
        }

        for (&i, mine) in &by_change {
            let c = &changes[i];
            let per_region = c.rollout == "per_region";
            let mut at = lower[&i];
            for r in mine {
                // Order, duration, and not a deny.
                prop_assert!(r.start >= at, "C{i} starts {} before {}", r.start, at);
                prop_assert_eq!(r.end - r.start, TimeDelta::seconds(c.duration));
                let region = per_region.then(|| r.regions[0].as_str());
                prop_assert_ne!(verdict(&engine, &catalog, c, region, r.start), Verdict::Deny);
                // Same service and capacity, against every other change's runs.
                let others: Vec<&Run> = runs.iter().filter(|o| o.change != i).collect();
                let same = others.iter().any(|o| {
                    o.start < r.end && r.start < o.end && o.services.iter().any(|s| r.services.contains(s))
                });
                prop_assert!(!same, "C{i} overlaps a change on a shared service");
                if let Some((cap, per)) = t.capacity {
                    let mut x = r.start;
                    while x < r.end {
                        let covering: Vec<&Run> =
                            runs.iter().filter(|o| o.start <= x && x < o.end).collect();
                        if per {
                            for region in &r.regions {
                                let n = covering.iter().filter(|o| o.regions.contains(region)).count();
                                prop_assert!(n as u64 <= cap, "{n} runs in {region} at {x}");
                            }
                        } else {
                            prop_assert!(covering.len() as u64 <= cap, "{} runs at {x}", covering.len());
                        }
                        x += steps(1);
                    }
                }
                at = r.end + TimeDelta::seconds(c.soak);
            }
        }

        // Earliest: the runs planned before a change are those of changes earlier in the
        // documented order (wave, lower bound, id); no 15-minute start between its lower bound
        // and its start would have been allowed and unblocked.
        for (&i, mine) in &by_change {
            let c = &changes[i];
            if c.rollout == "per_region" {
                continue;
            }
            let r = mine[0];
            let wave = plan.changes.iter().find(|p| p.id == c.id).unwrap().wave;
            let key = |j: usize| {
                let w = plan.changes.iter().find(|p| p.id == changes[j].id).map(|p| p.wave);
                (w, lower[&j], j)
            };
            let earlier: Vec<&Run> = runs
                .iter()
                .filter(|o| o.change != i && key(o.change) < (Some(wave), lower[&i], i))
                .collect();
            let mut s = lower[&i];
            // Keep the search small: a start days later is a schedule jump the unit tests cover.
            if r.start - s > TimeDelta::days(4) {
                continue;
            }
            while s < r.start {
                let e = s + TimeDelta::seconds(c.duration);
                let free = !blocked(s, e, &r.regions, &r.services, &earlier, t.capacity)
                    && verdict(&engine, &catalog, c, None, s) != Verdict::Deny;
                prop_assert!(!free, "C{} could start at {s}, planned at {}", i, r.start);
                s += steps(1);
            }
        }
    }
}
