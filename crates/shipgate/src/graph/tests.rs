use serde_json::json;

use super::Catalog;
use crate::input::Format;

fn err(value: serde_json::Value) -> String {
    Catalog::from_json(&value).unwrap_err().to_string()
}

/// A catalog from `(id, depends_on)` pairs, tier 1 each.
fn catalog(services: &[(&str, &[&str])]) -> Catalog {
    let services: Vec<_> = services
        .iter()
        .map(|(id, deps)| json!({"id": id, "tier": 1, "depends_on": deps}))
        .collect();
    Catalog::from_json(&json!({ "services": services })).unwrap()
}

fn ids(c: &Catalog, idx: &[u32]) -> Vec<String> {
    idx.iter()
        .map(|&i| c.service(i).unwrap().id.clone())
        .collect()
}

fn wave_ids(c: &Catalog, waves: &[Vec<u32>]) -> Vec<Vec<String>> {
    waves.iter().map(|w| ids(c, w)).collect()
}

fn idx(c: &Catalog, names: &[&str]) -> Vec<u32> {
    names.iter().map(|n| c.index_of(n).unwrap()).collect()
}

/// The example of SPEC section 4: checkout-web -> payments-api, fraud-worker -> ledger-db.
fn shop() -> Catalog {
    catalog(&[
        ("checkout-web", &["payments-api", "fraud-worker"]),
        ("payments-api", &["ledger-db"]),
        ("fraud-worker", &["ledger-db"]),
        ("ledger-db", &[]),
        ("search", &[]),
    ])
}

#[test]
fn reads_a_service_with_defaults() {
    let c = Catalog::from_json(&json!({"services": [{"id": "api", "tier": 2}]})).unwrap();
    let s = c.service(0).unwrap();
    assert_eq!(s.id, "api");
    assert_eq!(s.tier, 2);
    assert_eq!(s.team, "");
    assert_eq!(s.error_budget, 1.0);
    assert!(!s.stateful && !s.automated_rollback && !s.legacy && !s.monitored);
    assert!(s.depends_on.is_empty() && s.regions.is_empty() && s.extra.is_empty());
    assert_eq!(c.len(), 1);
    assert_eq!(c.index_of("api"), Some(0));
    assert_eq!(c.index_of("nope"), None);
    assert!(c.service(1).is_none());
}

#[test]
fn reads_every_service_field_and_keeps_extend_fields() {
    let c = Catalog::from_json(&json!({"services": [
        {"id": "db", "tier": 0},
        {"id": "api", "team": "core", "tier": 3, "depends_on": ["db"], "regions": ["eu-west"],
         "stateful": true, "automated_rollback": true, "legacy": true, "monitored": true,
         "error_budget": -0.25, "pci": true}
    ]}))
    .unwrap();
    let s = c.service(1).unwrap();
    assert_eq!(s.team, "core");
    assert_eq!(s.tier, 3);
    assert_eq!(s.depends_on, vec!["db"]);
    assert_eq!(s.regions, vec!["eu-west"]);
    assert!(s.stateful && s.automated_rollback && s.legacy && s.monitored);
    assert_eq!(s.error_budget, -0.25);
    assert_eq!(s.extra.get("pci"), Some(&json!(true)));
    assert_eq!(s.extra.len(), 1);
    assert_eq!(c.depends_on_of(1), &[0]);
    assert_eq!(c.dependents_of(0), &[1]);
}

#[test]
fn catalog_error_paths() {
    assert_eq!(
        err(json!([])),
        "catalog: expected an object with \"services\", got a list"
    );
    assert_eq!(
        err(json!({})),
        "catalog.services: required field is missing"
    );
    assert_eq!(
        err(json!({"services": {"id": "a"}})),
        "catalog.services: expected a list of services, got an object"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1}, 7]})),
        "catalog.services[1]: expected an object, got 7"
    );
    assert_eq!(
        err(json!({"services": [{"tier": 1}]})),
        "catalog.services[0].id: required field is missing"
    );
    assert_eq!(
        err(json!({"services": [{"id": "", "tier": 1}]})),
        "catalog.services[0].id: an id cannot be empty"
    );
    assert_eq!(
        err(json!({"services": [{"id": 5, "tier": 1}]})),
        "catalog.services[0].id: expected a string, got 5"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a"}]})),
        "catalog.services[0].tier: required field is missing"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 4}]})),
        "catalog.services[0].tier: expected an integer from 0 to 3, got 4"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1.5}]})),
        "catalog.services[0].tier: expected an integer from 0 to 3, got 1.5"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": "1"}]})),
        "catalog.services[0].tier: expected an integer from 0 to 3, got \"1\""
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "team": null}]})),
        "catalog.services[0].team: expected a string, got null"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "stateful": "yes"}]})),
        "catalog.services[0].stateful: expected true or false, got \"yes\""
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "error_budget": "50%"}]})),
        "catalog.services[0].error_budget: expected a number, or an SLO object {\"target\", \"window\", \"bad\", \"total\"}, got \"50%\""
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "regions": "eu"}]})),
        "catalog.services[0].regions: expected a list of strings, got \"eu\""
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "depends_on": ["b", 3]}]})),
        "catalog.services[0].depends_on[1]: expected a string, got 3"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "depends_on": ["b"]}]})),
        "catalog.services[0].depends_on[0]: unknown service \"b\""
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "depends_on": [3]}]})),
        "catalog.services[0].depends_on[0]: expected a string, got 3"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "dependents": []}]})),
        "catalog.services[0].dependents: this field is computed from the catalog and cannot \
         be given"
    );
}

#[test]
fn groups_list_members_and_are_read_with_paths() {
    let services = json!([{"id": "a", "tier": 1}]);
    let c = Catalog::from_json(&json!({
        "services": services, "groups": {"cab": ["ana", "eve"], "dba": []}
    }))
    .unwrap();
    assert_eq!(
        c.members("cab"),
        Some(&["ana".to_string(), "eve".to_string()][..])
    );
    assert_eq!(c.members("dba"), Some(&[][..]));
    assert_eq!(c.members("security"), None);
    let yaml = "services: [{id: a, tier: 1}]\ngroups:\n  cab: [ana]\n";
    let c = Catalog::from_text(yaml, Format::Yaml).unwrap();
    assert_eq!(c.members("cab"), Some(&["ana".to_string()][..]));
    for (groups, message) in [
        (
            json!(["cab"]),
            "catalog.groups: expected an object of group names to lists of members, got a list",
        ),
        (
            json!({"cab": "ana"}),
            "catalog.groups.cab: expected a list of member names, got \"ana\"",
        ),
        (
            json!({"cab": ["ana", null]}),
            "catalog.groups.cab[1]: expected a string, got null",
        ),
        (
            json!({"cab ": [1]}),
            "catalog.groups[\"cab \"][0]: expected a string, got 1",
        ),
    ] {
        assert_eq!(
            err(json!({"services": services, "groups": groups})),
            message
        );
    }
    assert_eq!(
        err(json!({"services": services, "group": {}})),
        "catalog.group: unknown field (did you mean `groups`?); expected one of: services, groups"
    );
}

#[test]
fn unknown_dependency_suggests_the_closest_id() {
    assert_eq!(
        err(json!({"services": [
            {"id": "ledger", "tier": 0},
            {"id": "api", "tier": 1},
            {"id": "web", "tier": 1},
            {"id": "pay", "tier": 1, "depends_on": ["api", "ledgr"]}
        ]})),
        "catalog.services[3].depends_on[1]: unknown service \"ledgr\" (did you mean `ledger`?)"
    );
}

#[test]
fn duplicate_ids_name_both_indices() {
    assert_eq!(
        err(json!({"services": [
            {"id": "a", "tier": 1}, {"id": "b", "tier": 1}, {"id": "a", "tier": 2}
        ]})),
        "catalog.services[2].id: duplicate service \"a\" (first at catalog.services[0])"
    );
}

#[test]
fn cycles_are_named() {
    assert_eq!(
        err(json!({"services": [
            {"id": "x", "tier": 1, "depends_on": ["a"]},
            {"id": "a", "tier": 1, "depends_on": ["b"]},
            {"id": "b", "tier": 1, "depends_on": ["c"]},
            {"id": "c", "tier": 1, "depends_on": ["a"]}
        ]})),
        "catalog.services: dependency cycle: a -> b -> c -> a"
    );
    // Named from the service listed first, whatever the walk entered by.
    assert_eq!(
        err(json!({"services": [
            {"id": "c", "tier": 1, "depends_on": ["a"]},
            {"id": "b", "tier": 1, "depends_on": ["c"]},
            {"id": "a", "tier": 1, "depends_on": ["b"]}
        ]})),
        "catalog.services: dependency cycle: c -> a -> b -> c"
    );
    assert_eq!(
        err(json!({"services": [{"id": "a", "tier": 1, "depends_on": ["a"]}]})),
        "catalog.services: dependency cycle: a -> a"
    );
}

#[test]
fn duplicate_dependencies_are_one_edge() {
    let c = catalog(&[("a", &["b", "b"]), ("b", &[])]);
    assert_eq!(c.depends_on_of(0), &[1]);
    assert_eq!(c.edges().collect::<Vec<_>>(), vec![(0, 1)]);
}

#[test]
fn dependents_are_transitive_without_the_seeds() {
    let c = shop();
    let db = idx(&c, &["ledger-db"]);
    assert_eq!(
        ids(&c, &c.dependents(&db)),
        vec!["checkout-web", "payments-api", "fraud-worker"]
    );
    let pay = idx(&c, &["payments-api", "checkout-web"]);
    assert!(c.dependents(&pay).is_empty());
    assert!(c.dependents(&[]).is_empty());
    // Out-of-range seeds are ignored, not a panic.
    assert!(c.dependents(&[99]).is_empty());
    assert_eq!(
        ids(&c, &c.dependencies(&idx(&c, &["checkout-web"]))),
        vec!["payments-api", "fraud-worker", "ledger-db"]
    );
}

#[test]
fn waves_put_dependencies_first_and_sort_by_id() {
    let c = shop();
    let all = idx(
        &c,
        &["checkout-web", "payments-api", "fraud-worker", "ledger-db"],
    );
    assert_eq!(
        wave_ids(&c, &c.waves(&all)),
        vec![
            vec!["ledger-db"],
            vec!["fraud-worker", "payments-api"],
            vec!["checkout-web"]
        ]
    );
    // Through an untouched service: checkout-web depends on ledger-db via payments-api.
    let two = idx(&c, &["checkout-web", "ledger-db"]);
    assert_eq!(
        wave_ids(&c, &c.waves(&two)),
        vec![vec!["ledger-db"], vec!["checkout-web"]]
    );
    // Unrelated services share the first wave; duplicates and bad indices are dropped.
    let mut loose = idx(&c, &["search", "payments-api", "search"]);
    loose.push(1000);
    assert_eq!(
        wave_ids(&c, &c.waves(&loose)),
        vec![vec!["payments-api", "search"]]
    );
    assert!(c.waves(&[]).is_empty());
}

#[test]
fn waves_are_minimal_layers() {
    // d depends on a directly and on c through a long chain: d must follow c.
    let c = catalog(&[
        ("a", &[]),
        ("b", &["a"]),
        ("c", &["b"]),
        ("d", &["a", "c"]),
        ("e", &["a"]),
    ]);
    let t = idx(&c, &["a", "c", "d", "e"]);
    assert_eq!(
        wave_ids(&c, &c.waves(&t)),
        vec![vec!["a"], vec!["c", "e"], vec!["d"]]
    );
    assert_eq!(
        wave_ids(&c, &c.catalog_waves()),
        vec![vec!["a"], vec!["b", "e"], vec!["c"], vec!["d"]]
    );
    assert_eq!(c.catalog_wave_of(3), Some(3));
}

#[test]
fn services_from_ids_resolves_in_order() {
    let c = shop();
    let list = vec!["ledger-db".to_string(), "search".to_string()];
    assert_eq!(
        c.services_from_ids(&list, "change.services")
            .unwrap()
            .as_slice(),
        [3, 4]
    );
    let bad = vec!["search".to_string(), "ledger".to_string()];
    assert_eq!(
        c.services_from_ids(&bad, "change.services")
            .unwrap_err()
            .to_string(),
        "change.services[1]: unknown service \"ledger\" (did you mean `ledger-db`?)"
    );
    let far = vec!["zzz".to_string()];
    assert_eq!(
        c.services_from_ids(&far, "changes[2].services")
            .unwrap_err()
            .to_string(),
        "changes[2].services[0]: unknown service \"zzz\""
    );
    let twice = vec!["search".to_string(), "search".to_string()];
    assert_eq!(
        c.services_from_ids(&twice, "change.services")
            .unwrap_err()
            .to_string(),
        "change.services[1]: \"search\" is listed twice (also at change.services[0])"
    );
}

#[test]
fn dot_output_is_deterministic_and_escaped() {
    let c = Catalog::from_json(&json!({"services": [
        {"id": "web", "tier": 2, "depends_on": ["db \"main\""]},
        {"id": "db \"main\"", "tier": 0}
    ]}))
    .unwrap();
    assert_eq!(
        c.to_dot(),
        "digraph catalog {\n  node [shape=box];\n  subgraph cluster_wave_0 {\n    \
         label=\"wave 0\";\n    \"db \\\"main\\\"\" [label=\"db \\\"main\\\"\\ntier 0\"];\n  }\n  \
         subgraph cluster_wave_1 {\n    label=\"wave 1\";\n    \
         \"web\" [label=\"web\\ntier 2\"];\n  }\n  \
         \"web\" -> \"db \\\"main\\\"\";\n}\n"
    );
}

#[test]
fn mermaid_output() {
    let c = catalog(&[("web", &["db"]), ("db", &[])]);
    assert_eq!(
        c.to_mermaid(),
        "graph TD\n  subgraph wave_0 [\"wave 0\"]\n    s1[\"db (tier 1)\"]\n  end\n  \
         subgraph wave_1 [\"wave 1\"]\n    s0[\"web (tier 1)\"]\n  end\n  s0 --> s1\n"
    );
    let odd = Catalog::from_json(&json!({"services": [{"id": " a\"<#>%%|", "tier": 0}]})).unwrap();
    assert_eq!(
        odd.to_mermaid(),
        "graph TD\n  subgraph wave_0 [\"wave 0\"]\n    \
         s0[\"#32;a#quot;#lt;#35;#gt;#37;#37;#124; (tier 0)\"]\n  end\n"
    );
}

#[test]
fn graph_json_lists_services_edges_and_waves() {
    let c = shop();
    assert_eq!(
        c.to_graph_json(),
        json!({
            "services": ["checkout-web", "payments-api", "fraud-worker", "ledger-db", "search"],
            "edges": [["checkout-web", "payments-api"], ["checkout-web", "fraud-worker"],
                      ["payments-api", "ledger-db"], ["fraud-worker", "ledger-db"]],
            "waves": [["ledger-db", "search"], ["fraud-worker", "payments-api"],
                      ["checkout-web"]],
            "tiers": {"checkout-web": 1, "payments-api": 1, "fraud-worker": 1, "ledger-db": 1,
                      "search": 1},
            "cycles": []
        })
    );
}

#[test]
fn empty_catalog() {
    let c = Catalog::from_json(&json!({"services": []})).unwrap();
    assert!(c.is_empty());
    assert!(c.catalog_waves().is_empty());
    assert!(c.dependents(&[0]).is_empty());
    assert_eq!(
        c.to_graph_json(),
        json!({"services": [], "tiers": {}, "edges": [], "waves": [], "cycles": []})
    );
    let d = Catalog::default();
    assert!(d.waves(&[0, 1]).is_empty());
    assert!(d.depends_on_of(0).is_empty());
}

#[test]
fn yaml_catalog_goes_through_the_same_checks() {
    let text = "services:\n  - id: db\n    tier: 0\n  - id: api\n    tier: 1\n    \
                depends_on: [db]\n    launched: 2026-12-01T10:00:00Z\n";
    let c = Catalog::from_text(text, Format::Yaml).unwrap();
    assert_eq!(c.depends_on_of(1), &[0]);
    // A YAML timestamp stays a string.
    assert_eq!(
        c.service(1).unwrap().extra.get("launched"),
        Some(&json!("2026-12-01T10:00:00Z"))
    );
    let bad = "services:\n  - id: db\n    tier: high\n";
    assert_eq!(
        Catalog::from_text(bad, Format::Yaml)
            .unwrap_err()
            .to_string(),
        "catalog.services[0].tier: expected an integer from 0 to 3, got \"high\""
    );
    let nan = "services:\n  - id: db\n    tier: 0\n    error_budget: .nan\n";
    assert_eq!(
        Catalog::from_text(nan, Format::Yaml)
            .unwrap_err()
            .to_string(),
        "catalog.services[0].error_budget: expected a number, or an SLO object {\"target\", \"window\", \"bad\", \"total\"}, got null"
    );
    assert!(
        Catalog::from_text("services: [", Format::Yaml)
            .unwrap_err()
            .to_string()
            .starts_with("catalog: invalid YAML")
    );
    assert!(
        Catalog::from_text("{\"services\": [", Format::Json)
            .unwrap_err()
            .to_string()
            .starts_with("catalog: invalid JSON at line 1")
    );
}

/// 100,000 services, 300,000 edges: load, cycle check and waves. The time bound is only
/// asserted in optimised builds.
#[test]
fn large_catalog_loads_fast() {
    let n = 100_000usize;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let services: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            // Three dependencies on earlier services, some far back, so the graph is deep.
            let deps: Vec<String> = if i == 0 {
                Vec::new()
            } else {
                (0..3)
                    .map(|k| {
                        let back = if k == 0 { 1 } else { 1 + (next() as usize % i) };
                        format!("svc-{}", i - back.min(i))
                    })
                    .collect()
            };
            json!({"id": format!("svc-{i}"), "tier": i % 4, "depends_on": deps})
        })
        .collect();
    let value = json!({ "services": services });
    let started = std::time::Instant::now();
    let c = Catalog::from_json(&value).unwrap();
    let waves = c.catalog_waves();
    let elapsed = started.elapsed();
    assert_eq!(c.len(), n);
    // svc-i always depends on svc-(i-1): a chain, so every service has its own wave.
    assert_eq!(waves.len(), n);
    assert_eq!(c.dependents(&[0]).len(), n - 1);
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_millis() < 300, "took {elapsed:?}");
    }
}

#[test]
fn catalog_is_shareable_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Catalog>();
    let c = shop();
    let from_thread = std::thread::scope(|s| s.spawn(|| c.dependents(&[3]).len()).join().unwrap());
    assert_eq!(from_thread, 3);
}

mod small_waves {
    use super::super::Catalog;
    use proptest::prelude::*;
    use serde_json::json;

    /// A random DAG: service `i` may depend on any earlier service.
    fn dag() -> impl Strategy<Value = Catalog> {
        prop::collection::vec(
            prop::collection::vec(any::<prop::sample::Index>(), 0..4),
            1..40,
        )
        .prop_map(|deps| {
            let services: Vec<serde_json::Value> = deps
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let on: Vec<String> = if i == 0 {
                        Vec::new()
                    } else {
                        d.iter().map(|x| format!("s{}", x.index(i))).collect()
                    };
                    json!({"id": format!("s{i}"), "tier": 1, "depends_on": on})
                })
                .collect();
            Catalog::from_json(&json!({ "services": services })).unwrap()
        })
    }

    proptest! {
        /// The bounded walk for a few touched services gives the same waves as the general
        /// form over the region below them, whenever it answers.
        #[test]
        fn small_walk_agrees_with_the_region_form(
            c in dag(),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        ) {
            let touched: Vec<u32> = picks.iter().map(|p| p.index(c.len()) as u32).collect();
            if let Some(small) = c.small_waves(&touched) {
                prop_assert_eq!(small, c.waves_by_region(&touched));
            }
        }
    }
}

// --- the public, id-based surface ---------------------------------------------------------------

#[test]
fn id_queries_agree_with_the_index_ones() {
    let c = shop();
    assert!(c.contains("ledger-db") && !c.contains("ledger"));
    assert_eq!(
        c.get("payments-api").map(|s| s.id.as_str()),
        Some("payments-api")
    );
    assert_eq!(c.get("nope"), None);
    assert_eq!(
        c.transitive_dependents(&["ledger-db"]).unwrap(),
        ids(&c, &c.dependents(&idx(&c, &["ledger-db"])))
    );
    assert_eq!(
        c.transitive_dependents(&["ledger-db"]).unwrap(),
        ["checkout-web", "payments-api", "fraud-worker"]
    );
    assert_eq!(
        c.transitive_dependencies(&["checkout-web"]).unwrap(),
        ["payments-api", "fraud-worker", "ledger-db"]
    );
    assert_eq!(
        c.deployment_waves(&["checkout-web", "ledger-db"]).unwrap(),
        [vec!["ledger-db"], vec!["checkout-web"]]
    );
    let all: Vec<Vec<String>> = c
        .all_deployment_waves()
        .iter()
        .map(|w| w.iter().map(|s| s.to_string()).collect())
        .collect();
    assert_eq!(all, wave_ids(&c, &c.catalog_waves()));
    let e = c
        .transitive_dependents(&["ledger-db", "ledgr-db"])
        .unwrap_err();
    assert_eq!(e.path, "services[1]");
    assert!(
        e.message.starts_with("unknown service \"ledgr-db\""),
        "{}",
        e.message
    );
    let e = c.deployment_waves(&["search", "search"]).unwrap_err();
    assert_eq!(e.path, "services[1]");
}

#[test]
fn from_json_at_roots_every_error_path() {
    let bad_tier = json!({"services": [{"id": "a", "tier": 1}, {"id": "b", "tier": 9}]});
    assert_eq!(
        Catalog::from_json_at(&bad_tier, "req.catalog")
            .unwrap_err()
            .path,
        "req.catalog.services[1].tier"
    );
    let duplicate = json!({"services": [{"id": "a", "tier": 1}, {"id": "a", "tier": 1}]});
    let e = Catalog::from_json_at(&duplicate, "req.catalog").unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        (
            "req.catalog.services[1].id",
            "duplicate service \"a\" (first at req.catalog.services[0])"
        )
    );
    let unknown = json!({"services": [{"id": "a", "tier": 1, "depends_on": ["b"]}]});
    assert_eq!(
        Catalog::from_json_at(&unknown, "x").unwrap_err().path,
        "x.services[0].depends_on[0]"
    );
    let cycle = json!({"services": [
        {"id": "a", "tier": 1, "depends_on": ["b"]},
        {"id": "b", "tier": 1, "depends_on": ["a"]}
    ]});
    assert_eq!(
        Catalog::from_json_at(&cycle, "x").unwrap_err().path,
        "x.services"
    );
    assert_eq!(
        Catalog::from_json(&cycle).unwrap_err().path,
        "catalog.services"
    );
    assert_eq!(
        Catalog::from_json_at(&json!([]), "x").unwrap_err().path,
        "x"
    );
    assert_eq!(
        Catalog::from_json_at(&json!({}), "x").unwrap_err().path,
        "x.services"
    );
}

#[test]
fn from_path_reads_yaml_and_names_a_missing_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let yaml = root.join("policies/catalog.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    let c = Catalog::from_path(&yaml).unwrap();
    assert_eq!(
        c.services(),
        Catalog::from_text(&text, Format::Yaml).unwrap().services()
    );
    assert!(!c.is_empty());
    let missing = root.join("policies/no-such-catalog.json");
    match Catalog::from_path(&missing) {
        Err(crate::Error::Io { path, .. }) => assert_eq!(path, missing.display().to_string()),
        other => panic!("{other:?}"),
    }
}

/// 99.9% of 1,000,000 events may fail 1,000 of them; 250 bad leave 75% of the budget.
#[test]
fn an_slo_gives_the_remaining_budget() {
    let slo = |bad: i64| {
        json!({"services": [{"id": "api", "tier": 1, "error_budget":
            {"target": 0.999, "window": "30d", "bad": bad, "total": 1_000_000}}]})
    };
    let budget = |value: serde_json::Value| {
        let from_tree = Catalog::from_json(&value)
            .unwrap()
            .service(0)
            .unwrap()
            .error_budget;
        // The text reader leaves the object to the tree reader: the same number.
        let from_text = Catalog::from_text(&value.to_string(), Format::Json)
            .unwrap()
            .service(0)
            .unwrap()
            .error_budget;
        assert_eq!(from_tree.to_bits(), from_text.to_bits());
        from_tree
    };
    assert_eq!(budget(slo(250)), 0.75);
    assert_eq!(budget(slo(0)), 1.0);
    assert_eq!(budget(slo(1_000)), 0.0);
    // Over budget: negative, as a number given outright may be.
    assert_eq!(budget(slo(1_500)), -0.5);
    // The number a policy sees is the same as the one written out.
    let plain = json!({"services": [{"id": "api", "tier": 1, "error_budget": 0.75}]});
    assert_eq!(budget(plain), budget(slo(250)));
    // YAML, and a window in seconds.
    let yaml = "services:\n  - id: api\n    tier: 1\n    error_budget: {target: 0.99, window: 604800, bad: 5, total: 1000}\n";
    let c = Catalog::from_text(yaml, Format::Yaml).unwrap();
    assert_eq!(c.service(0).unwrap().error_budget, 0.5);
}

#[test]
fn a_bad_slo_is_an_error_at_its_path() {
    let with = |slo: serde_json::Value| {
        err(
            json!({"services": [{"id": "a", "tier": 1}, {"id": "api", "tier": 1, "error_budget": slo}]}),
        )
    };
    let base = json!({"target": 0.999, "window": "30d", "bad": 1, "total": 100});
    let edit = |key: &str, value: serde_json::Value| {
        let mut slo = base.clone();
        slo[key] = value;
        with(slo)
    };
    assert_eq!(
        edit("target", json!(1.0)),
        "catalog.services[1].error_budget.target: the target is the fraction of good events, \
         strictly between 0 and 1 (0.999 for 99.9%), got 1"
    );
    assert!(
        edit("target", json!(0)).starts_with("catalog.services[1].error_budget.target: the target")
    );
    assert!(
        edit("target", json!(99.9))
            .starts_with("catalog.services[1].error_budget.target: the target")
    );
    assert_eq!(
        edit("total", json!(0)),
        "catalog.services[1].error_budget.total: no events in the window: the budget is unknown \
         (give the number as error_budget instead)"
    );
    assert_eq!(
        edit("bad", json!(101)),
        "catalog.services[1].error_budget.bad: 101 bad events of 100 in all: bad cannot exceed total"
    );
    assert_eq!(
        edit("bad", json!(-1)),
        "catalog.services[1].error_budget.bad: a count of events cannot be negative, got -1"
    );
    assert_eq!(
        edit("bad", json!(1.5)),
        "catalog.services[1].error_budget.bad: expected an integer, got 1.5"
    );
    assert_eq!(
        edit("window", json!("0s")),
        "catalog.services[1].error_budget.window: the window the events were counted over cannot be empty"
    );
    assert!(edit("window", json!("soon")).starts_with("catalog.services[1].error_budget.window: "));
    assert_eq!(
        edit("good", json!(5)),
        "catalog.services[1].error_budget.good: unknown key of an SLO (the keys are target, window, bad, total)"
    );
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("window");
    assert_eq!(
        with(missing),
        "catalog.services[1].error_budget.window: missing: an SLO gives target, window, bad and total"
    );
}
