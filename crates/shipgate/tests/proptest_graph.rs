//! The compiled catalog against slow, obvious models: reachability by fixpoint iteration,
//! cycles as "a service reaches itself", waves checked edge by edge.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};
use shipgate::{Catalog, Drawing};

/// A generated catalog: `deps[i]` are the indices service `i` depends on (may repeat); ids are
/// shuffled so that catalog order, id order and dependency order all differ.
#[derive(Debug, Clone)]
struct Model {
    ids: Vec<String>,
    deps: Vec<Vec<usize>>,
}

impl Model {
    fn to_json(&self) -> Value {
        let services: Vec<Value> = self
            .deps
            .iter()
            .enumerate()
            .map(|(i, deps)| {
                let deps: Vec<&str> = deps.iter().map(|&d| self.ids[d].as_str()).collect();
                json!({"id": self.ids[i], "tier": i % 4, "depends_on": deps})
            })
            .collect();
        json!({ "services": services })
    }

    /// `reach[i]`: services reachable from `i` over one or more "depends on" edges, by
    /// iterating until nothing changes.
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
                if next.len() != reach[i].len() {
                    reach[i] = next;
                    changed = true;
                }
            }
            if !changed {
                return reach;
            }
        }
    }

    fn has_cycle(&self) -> bool {
        self.reach().iter().enumerate().any(|(i, r)| r.contains(&i))
    }
}

fn ids_for(n: usize, perm: &[usize]) -> Vec<String> {
    perm.iter().take(n).map(|p| format!("s{p:02}")).collect()
}

/// A DAG: service `i` depends only on services with a higher `rank`; ranks are a shuffle, so
/// catalog order is not a topological order.
fn arb_dag() -> impl Strategy<Value = Model> {
    (1usize..24)
        .prop_flat_map(|n| {
            (
                Just(n),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                prop::collection::vec((0..n, 0..n), 0..n * 3),
            )
        })
        .prop_map(|(n, rank, names, pairs)| {
            let mut deps = vec![Vec::new(); n];
            for (a, b) in pairs {
                if rank[a] < rank[b] {
                    deps[a].push(b);
                } else if rank[b] < rank[a] {
                    deps[b].push(a);
                }
            }
            Model {
                ids: ids_for(n, &names),
                deps,
            }
        })
}

/// Any graph, self-loops and cycles included.
fn arb_graph() -> impl Strategy<Value = Model> {
    (1usize..16)
        .prop_flat_map(|n| {
            (
                Just(n),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                prop::collection::vec((0..n, 0..n), 0..n * 2),
            )
        })
        .prop_map(|(n, names, pairs)| {
            let mut deps = vec![Vec::new(); n];
            for (a, b) in pairs {
                deps[a].push(b);
            }
            Model {
                ids: ids_for(n, &names),
                deps,
            }
        })
}

/// Services named by id, as indices into the model.
fn indices(model: &Model, ids: &[&str]) -> Vec<u32> {
    ids.iter()
        .map(|id| {
            model
                .ids
                .iter()
                .position(|m| m == id)
                .map_or(u32::MAX, |i| i as u32)
        })
        .collect()
}

/// The ids of services given by index, each once (the catalog refuses an id listed twice).
fn ids_of(model: &Model, services: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &s in services {
        if !out.contains(&model.ids[s]) {
            out.push(model.ids[s].clone());
        }
    }
    out
}

fn load(model: &Model) -> Result<Catalog, TestCaseError> {
    Catalog::from_json(&model.to_json()).map_err(|e| TestCaseError::fail(e.to_string()))
}

/// Checks `waves` of `touched` against the model: every touched service exactly once; a
/// service after everything touched it reaches; minimal (each service in wave k > 0 reaches a
/// touched service in wave k - 1); ids sorted within a wave.
fn check_waves(
    model: &Model,
    reach: &[BTreeSet<usize>],
    touched: &BTreeSet<usize>,
    waves: &[Vec<u32>],
) -> Result<(), TestCaseError> {
    let mut wave_of = vec![None; model.ids.len()];
    for (k, wave) in waves.iter().enumerate() {
        prop_assert!(!wave.is_empty());
        let names: Vec<&str> = wave
            .iter()
            .map(|&s| model.ids[s as usize].as_str())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        prop_assert_eq!(&names, &sorted);
        for &s in wave {
            prop_assert!(wave_of[s as usize].is_none(), "{} twice", s);
            wave_of[s as usize] = Some(k);
        }
    }
    for (i, wave) in wave_of.iter().enumerate() {
        prop_assert_eq!(wave.is_some(), touched.contains(&i));
    }
    for &t in touched {
        let k = wave_of[t].unwrap_or(0);
        for &u in reach[t].intersection(touched) {
            prop_assert!(wave_of[u].unwrap_or(0) < k, "{} not after {}", t, u);
        }
        if k > 0 {
            let has_previous = reach[t]
                .intersection(touched)
                .any(|&u| wave_of[u] == Some(k - 1));
            prop_assert!(has_previous, "{} could go earlier than wave {}", t, k);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn cycle_detection_matches_the_model(model in arb_graph()) {
        match Catalog::from_json(&model.to_json()) {
            Ok(_) => prop_assert!(!model.has_cycle()),
            Err(e) => {
                prop_assert!(model.has_cycle(), "{}", e);
                prop_assert_eq!(e.path.as_str(), "catalog.services");
                // The named cycle is real: each step is a dependency, it closes, and no
                // service repeats before it does.
                let named = e.message.strip_prefix("dependency cycle: ").unwrap();
                let steps: Vec<usize> = named
                    .split(" -> ")
                    .map(|id| model.ids.iter().position(|m| m == id).unwrap())
                    .collect();
                prop_assert!(steps.len() >= 2);
                prop_assert_eq!(steps.first(), steps.last());
                let inner: BTreeSet<_> = steps[1..].iter().collect();
                prop_assert_eq!(inner.len(), steps.len() - 1);
                for pair in steps.windows(2) {
                    prop_assert!(model.deps[pair[0]].contains(&pair[1]));
                }
            }
        }
    }

    #[test]
    fn dependents_match_the_fixpoint_model(
        model in arb_dag(),
        seeds in prop::collection::vec(0usize..24, 0..4),
    ) {
        let catalog = load(&model)?;
        let n = model.ids.len();
        let seeds: Vec<usize> = seeds.into_iter().filter(|&s| s < n).collect();
        let reach = model.reach();
        let expected: Vec<u32> = (0..n)
            .filter(|v| !seeds.contains(v) && seeds.iter().any(|s| reach[*v].contains(s)))
            .map(|v| v as u32)
            .collect();
        let seed_ids = ids_of(&model, &seeds);
        let dependents = catalog.transitive_dependents(&seed_ids).unwrap();
        prop_assert_eq!(indices(&model, &dependents), expected);
        let below: Vec<u32> = (0..n)
            .filter(|v| !seeds.contains(v) && seeds.iter().any(|s| reach[*s].contains(v)))
            .map(|v| v as u32)
            .collect();
        let dependencies = catalog.transitive_dependencies(&seed_ids).unwrap();
        prop_assert_eq!(indices(&model, &dependencies), below);
    }

    #[test]
    fn waves_go_forward_and_are_minimal(
        model in arb_dag(),
        touched in prop::collection::vec(0usize..24, 0..10),
    ) {
        let catalog = load(&model)?;
        let n = model.ids.len();
        let touched: Vec<usize> = touched.into_iter().filter(|&t| t < n).collect();
        let set: BTreeSet<usize> = touched.iter().copied().collect();
        let reach = model.reach();
        let waves = catalog.deployment_waves(&ids_of(&model, &touched)).unwrap();
        let waves: Vec<Vec<u32>> = waves.iter().map(|w| indices(&model, w)).collect();
        check_waves(&model, &reach, &set, &waves)?;
    }

    #[test]
    fn catalog_waves_go_forward_and_are_minimal(model in arb_dag()) {
        let catalog = load(&model)?;
        let all: BTreeSet<usize> = (0..model.ids.len()).collect();
        let reach = model.reach();
        let waves = catalog.all_deployment_waves();
        let indexed: Vec<Vec<u32>> = waves.iter().map(|w| indices(&model, w)).collect();
        check_waves(&model, &reach, &all, &indexed)?;
        prop_assert_eq!(catalog.deployment_waves(&model.ids).unwrap(), waves);
    }

    #[test]
    fn graph_json_edges_are_the_distinct_dependencies(model in arb_dag()) {
        let catalog = load(&model)?;
        let json = catalog.to_graph_json();
        let edges: BTreeSet<(String, String)> = json["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e[0].as_str().unwrap().to_string(), e[1].as_str().unwrap().to_string()))
            .collect();
        let expected: BTreeSet<(String, String)> = model
            .deps
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.iter().map(move |&j| (i, j)))
            .map(|(i, j)| (model.ids[i].clone(), model.ids[j].clone()))
            .collect();
        prop_assert_eq!(json["edges"].as_array().unwrap().len(), expected.len());
        prop_assert_eq!(catalog.to_dot().matches(" -> ").count(), expected.len());
        prop_assert_eq!(edges, expected);
    }

    #[test]
    fn drawing_waves_and_cycles_match_the_model(model in arb_graph()) {
        let drawing = Drawing::of_catalog_json(&model.to_json()).unwrap();
        let reach = model.reach();
        let n = model.ids.len();
        let on_cycle: Vec<bool> = (0..n).map(|i| reach[i].contains(&i)).collect();
        // The cycles: services on one, grouped by reaching each other, each in catalog order.
        let mut cycles: Vec<Vec<String>> = Vec::new();
        let mut placed = vec![false; n];
        for i in 0..n {
            if !on_cycle[i] || placed[i] {
                continue;
            }
            let part: Vec<usize> =
                (0..n).filter(|&j| j == i || (reach[i].contains(&j) && reach[j].contains(&i))).collect();
            for &j in &part {
                placed[j] = true;
            }
            cycles.push(part.iter().map(|&j| model.ids[j].clone()).collect());
        }
        let drawn: Vec<Vec<String>> = drawing
            .cycles()
            .iter()
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect();
        prop_assert_eq!(&drawn, &cycles);
        prop_assert_eq!(drawing.cycle_error().is_some(), model.has_cycle());
        // A wave: the longest path down, for every service that reaches no cycle.
        let stuck: Vec<bool> =
            (0..n).map(|i| on_cycle[i] || reach[i].iter().any(|&j| on_cycle[j])).collect();
        let mut wave: Vec<Option<usize>> = vec![None; n];
        for _ in 0..=n {
            for i in 0..n {
                if stuck[i] {
                    continue;
                }
                let below: Option<Vec<usize>> = model.deps[i].iter().map(|&d| wave[d]).collect();
                wave[i] = below.map(|b| b.into_iter().map(|w| w + 1).max().unwrap_or(0));
            }
        }
        let mut expected: Vec<Vec<String>> = Vec::new();
        for (id, w) in model.ids.iter().zip(&wave) {
            if let Some(w) = *w {
                if expected.len() <= w {
                    expected.resize(w + 1, Vec::new());
                }
                expected[w].push(id.clone());
            }
        }
        for w in &mut expected {
            w.sort();
        }
        let waves: Vec<Vec<String>> = drawing
            .waves()
            .iter()
            .map(|w| w.iter().map(|s| s.to_string()).collect())
            .collect();
        prop_assert_eq!(&waves, &expected);
        if let Ok(catalog) = Catalog::from_json(&model.to_json()) {
            let catalog_waves: Vec<Vec<String>> = catalog
                .all_deployment_waves()
                .iter()
                .map(|w| w.iter().map(|s| s.to_string()).collect())
                .collect();
            prop_assert_eq!(waves, catalog_waves);
        }
        // Every edge on a cycle is drawn red, and no other.
        let red = drawing.to_dot().matches("color=red, fontcolor=red, penwidth=2];").count();
        let distinct: BTreeSet<(usize, usize)> = model
            .deps
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.iter().map(move |&j| (i, j)))
            .collect();
        let red_edges = distinct
            .iter()
            .filter(|&&(i, j)| on_cycle[i] && reach[i].contains(&j) && reach[j].contains(&i))
            .count();
        let red_nodes = on_cycle.iter().filter(|&&c| c).count();
        prop_assert_eq!(red, red_edges + red_nodes);
    }

    #[test]
    fn catalog_from_json_never_panics(value in arb_catalogish()) {
        let _ = Catalog::from_json(&value);
    }
}

/// Values shaped roughly like catalogs: a `services` list of objects with built-in keys and
/// arbitrary values, plus arbitrary JSON.
fn arb_catalogish() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        (-10.0f64..10.0).prop_map(|f| json!(f)),
        prop_oneof![Just("a"), Just("b"), Just("c"), Just("")].prop_map(|s| json!(s)),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let key = proptest::sample::select(vec![
        "id",
        "tier",
        "depends_on",
        "team",
        "regions",
        "stateful",
        "error_budget",
        "dependents",
        "pci",
    ]);
    let service = prop::collection::btree_map(key, value.clone(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
    prop_oneof![
        prop::collection::vec(service, 0..6).prop_map(|s| json!({ "services": s })),
        value,
    ]
}
