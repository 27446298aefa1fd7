//! Calendars of services against a slow, obvious model (SPEC 8.3): on random dependency
//! graphs, the calendars that apply to each service (`services where "X" in s.upstream use
//! cX` for every X, plus the catalog's `calendars`) are those the model finds by iterating
//! reachability to a fixpoint; the decision's `schedule.services` lists exactly them, and the
//! fast evaluator agrees with the reference.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::json;
use shipgate::{Catalog, Change, Engine};

/// A DAG (`deps[i]` only lists services of a higher rank) and each service's own calendars.
#[derive(Debug, Clone)]
struct Model {
    deps: Vec<Vec<usize>>,
    own: Vec<Vec<usize>>,
}

fn id(i: usize) -> String {
    format!("svc-{i}")
}

impl Model {
    /// `reach[i]`: what `i` depends on, transitively, by iterating until nothing changes.
    fn reach(&self) -> Vec<BTreeSet<usize>> {
        let mut reach: Vec<BTreeSet<usize>> = self
            .deps
            .iter()
            .map(|d| d.iter().copied().collect())
            .collect();
        loop {
            let mut changed = false;
            for i in 0..reach.len() {
                let mut next = reach[i].clone();
                for &j in &reach[i] {
                    next.extend(reach[j].iter().copied());
                }
                changed |= next.len() != reach[i].len();
                reach[i] = next;
            }
            if !changed {
                return reach;
            }
        }
    }

    /// The calendars of service `i`, as names: the scopes in declaration order (one per
    /// service, in index order), then its own, each once.
    fn calendars(&self, i: usize, reach: &[BTreeSet<usize>]) -> Vec<String> {
        let mut out: Vec<String> = reach[i].iter().map(|j| format!("c{j}")).collect();
        for &c in &self.own[i] {
            let name = format!("c{c}");
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    fn policy(&self) -> String {
        let n = self.deps.len();
        let mut p = String::new();
        for j in 0..n {
            p.push_str(&format!("calendar c{j} timezone \"UTC\" {{ }}\n"));
        }
        for j in 0..n {
            p.push_str(&format!(
                "services where \"{}\" in s.upstream use c{j}\n",
                id(j)
            ));
        }
        p
    }

    fn catalog(&self) -> Catalog {
        let services: Vec<serde_json::Value> = (0..self.deps.len())
            .map(|i| {
                let deps: Vec<String> = self.deps[i].iter().map(|&d| id(d)).collect();
                let own: Vec<String> = self.own[i].iter().map(|&c| format!("c{c}")).collect();
                json!({"id": id(i), "tier": 1, "depends_on": deps, "calendars": own})
            })
            .collect();
        Catalog::from_json(&json!({ "services": services })).unwrap()
    }
}

fn arb_model() -> impl Strategy<Value = Model> {
    (1usize..10)
        .prop_flat_map(|n| {
            (
                Just(n),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                prop::collection::vec((0..n, 0..n), 0..n * 2),
                prop::collection::vec(prop::collection::vec(0..n, 0..3), n),
            )
        })
        .prop_map(|(n, rank, pairs, own)| {
            let mut deps = vec![Vec::new(); n];
            for (a, b) in pairs {
                if rank[a] < rank[b] && !deps[a].contains(&b) {
                    deps[a].push(b);
                }
            }
            Model { deps, own }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn service_calendars_are_the_models(model in arb_model(), touched in any::<u16>()) {
        let engine = Engine::from_source(&model.policy(), "p.gate").unwrap();
        let catalog = model.catalog();
        let reach = model.reach();
        let from = shipgate::parse_instant("2026-12-01T00:00:00Z").unwrap();
        let to = shipgate::parse_instant("2026-12-02T00:00:00Z").unwrap();
        let n = model.deps.len();
        for i in 0..n {
            let report = engine.service_calendar(&id(i), &catalog, from, to).unwrap();
            prop_assert_eq!(&report.calendars, &model.calendars(i, &reach), "service {}", i);
        }
        // A change touching a subset: one schedule entry per touched service with calendars.
        let services: Vec<usize> = (0..n).filter(|i| touched & (1 << i) != 0).collect();
        let ids: Vec<String> = services.iter().map(|&i| id(i)).collect();
        let change = Change::from_json(&json!({
            "id": "CHG-1", "services": ids, "requester": "a", "implementer": "b",
            "duration": "1h", "start": "2026-12-01T10:00:00Z",
        }))
        .unwrap();
        let now = from;
        let fast = engine.evaluate(&change, &catalog, now, true).unwrap();
        let reference = engine.evaluate_reference(&change, &catalog, now, true).unwrap();
        prop_assert_eq!(fast.to_json(), reference.to_json());
        let got: Vec<(String, Vec<String>)> = fast
            .schedule
            .services
            .iter()
            .map(|s| {
                let cals = s.calendars.iter().map(|c| c.to_string()).collect();
                (s.service.to_string(), cals)
            })
            .collect();
        let want: Vec<(String, Vec<String>)> = services
            .iter()
            .map(|&i| (id(i), model.calendars(i, &reach)))
            .filter(|(_, c)| !c.is_empty())
            .collect();
        prop_assert_eq!(got, want);
        prop_assert!(fast.schedule.allowed);
    }
}
