//! Inputs for shipgate's benchmarks: the race policy and a deterministic corpus of change
//! requests, the same requests in each peer's native JSON, a plain-Rust model of the race
//! policy to check every engine against, and generators for the scale benchmarks (large policy
//! sets, catalogs and calendars).
//!
//! Everything is generated from a seed with a small fixed PRNG, so a run is repeatable on any
//! machine.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};
use shipgate::{Catalog, Change, Decision, Engine, Instant};

#[cfg(feature = "peers")]
pub mod peers;
pub mod race2;
pub mod scale;
pub mod timing;
pub mod train;

/// The evaluation instant of every benchmark (issue 2).
pub const NOW: &str = "2026-12-01T09:00:00Z";

/// The evaluation instant, parsed.
pub fn now() -> Instant {
    shipgate::parse_instant(NOW).unwrap_or_default()
}

/// The names of the race policy's 20 rules, in file order.
pub const RULES: [&str; 20] = [
    "separation_of_duties",
    "change_too_large",
    "emergency_needs_incident",
    "emergency_severity",
    "third_party_contracts",
    "database_backward_compat",
    "critical_small_changes",
    "error_budget_freeze",
    "cab_review",
    "schema_changes",
    "infrastructure_review",
    "unit_tests",
    "security_scan",
    "legacy_rehearsal",
    "stateful_infrastructure",
    "do_not_ship",
    "work_in_progress",
    "experiments_monitored",
    "config_review",
    "hotfix_commander",
];

/// The benches crate's folder (its `policy/` holds the race policy in three languages).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository root (its `policies/` holds the example policy set of issue 2).
pub fn repo_root() -> PathBuf {
    crate_dir().join("..")
}

/// The race policy's source in one language: `gate`, `cedar` or `rego`.
pub fn race_source(ext: &str) -> std::io::Result<String> {
    std::fs::read_to_string(crate_dir().join("policy").join(format!("release.{ext}")))
}

/// splitmix64: a tiny, well-known generator; enough for benchmark inputs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

const PEOPLE: [&str; 8] = ["ana", "bo", "cy", "dee", "eli", "fay", "gus", "hal"];
const KINDS: [&str; 5] = [
    "application",
    "infrastructure",
    "database",
    "config",
    "third_party",
];
const GROUPS: [&str; 5] = [
    "cab",
    "dba",
    "platform-lead",
    "team-lead",
    "incident-commander",
];
const CHECKS: [&str; 4] = [
    "unit-tests",
    "security-scan",
    "schema-backward-compat",
    "rollback-rehearsal",
];
const LABELS: [&str; 5] = ["wip", "do-not-ship", "experiment", "security", "launch"];

/// The race catalog: `n` services `svc-0..`, each depending on up to two earlier ones.
pub fn race_catalog(n: usize, seed: u64) -> Value {
    let mut rng = Rng::new(seed);
    let services: Vec<Value> = (0..n)
        .map(|i| {
            let deps: BTreeSet<String> = (0..rng.below(3))
                .filter(|_| i > 0)
                .map(|_| format!("svc-{}", rng.below(i)))
                .collect();
            let budget = if rng.chance(10) {
                -0.1
            } else {
                0.05 + (rng.below(95) as f64) / 100.0
            };
            let tier = [0, 1, 1, 2, 2, 2, 3, 3]
                .get(rng.below(8))
                .copied()
                .unwrap_or(3);
            let regions = [vec!["eu-west"], vec!["us-east"], vec!["eu-west", "us-east"]]
                .get(rng.below(3))
                .cloned()
                .unwrap_or_default();
            json!({
                "id": format!("svc-{i}"),
                "team": format!("team-{}", i % 7),
                "tier": tier,
                "depends_on": deps,
                "regions": regions,
                "stateful": rng.chance(20),
                "automated_rollback": rng.chance(70),
                "legacy": rng.chance(15),
                "monitored": rng.chance(85),
                "error_budget": budget,
            })
        })
        .collect();
    json!({ "services": services })
}

fn subset(rng: &mut Rng, items: &[&str], percent: u64) -> Vec<String> {
    items
        .iter()
        .filter(|_| rng.chance(percent))
        .map(|s| s.to_string())
        .collect()
}

/// One change request of the corpus, as shipgate's (and Rego's) input JSON.
pub fn race_change(i: usize, services: usize, rng: &mut Rng) -> Value {
    let requester = rng.pick(&PEOPLE);
    let implementer = if rng.chance(10) {
        requester
    } else {
        rng.pick(&PEOPLE)
    };
    let mut kind = vec![rng.pick(&KINDS).to_string()];
    if rng.chance(25) {
        let k = rng.pick(&KINDS).to_string();
        if !kind.contains(&k) {
            kind.push(k);
        }
    }
    let mut touched: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let s = format!("svc-{}", rng.below(services));
        if !touched.contains(&s) {
            touched.push(s);
        }
    }
    let approvals: Vec<Value> = (0..rng.below(6))
        .map(|_| {
            let at = if rng.chance(5) {
                "2026-12-02T08:00:00Z"
            } else {
                "2026-11-30T15:30:00Z"
            };
            json!({ "by": rng.pick(&PEOPLE), "group": rng.pick(&GROUPS), "at": at })
        })
        .collect();
    let checks = subset(rng, &CHECKS, 80);
    let labels = subset(rng, &LABELS, 5);
    let emergency = rng.chance(8);
    let size = match rng.below(10) {
        0 => 2000 + rng.below(1500),
        1..=2 => 200 + rng.below(800),
        _ => rng.below(200),
    };
    let mut change = json!({
        "id": format!("CHG-{i}"),
        "title": format!("change number {i}"),
        "kind": kind,
        "services": touched,
        "requester": requester,
        "implementer": implementer,
        "approvals": approvals,
        "checks": checks,
        "emergency": emergency,
        "start": "2026-12-01T10:00:00Z",
        "duration": "1h",
        "size": size,
        "labels": labels,
        "backward_compatible": rng.chance(85),
        "contract_verified": rng.chance(85),
    });
    if (emergency && rng.chance(80)) || rng.chance(5) {
        if let Some(fields) = change.as_object_mut() {
            fields.insert(
                "incident".into(),
                json!({ "id": format!("INC-{i}"), "severity": 1 + rng.below(4) }),
            );
        }
    }
    change
}

/// The corpus: `n` change requests over a catalog of `services` services.
pub fn race_corpus(n: usize, services: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    (0..n).map(|i| race_change(i, services, &mut rng)).collect()
}

/// The rules a shipgate decision reports as violated: every rule that denied, and every rule
/// with an unsatisfied requirement (sorted, unique).
pub fn shipgate_violations(decision: &Decision) -> Vec<String> {
    let mut out: BTreeSet<String> = decision
        .reasons
        .iter()
        .map(|r| r.rule.to_string())
        .collect();
    out.extend(
        decision
            .requirements
            .iter()
            .filter(|r| !r.satisfied)
            .map(|r| r.rule.to_string()),
    );
    out.into_iter().collect()
}

fn str_list(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Approvers that count toward `group`: distinct, not the requester or implementer, not dated
/// after `now` (all instants are written as `YYYY-MM-DDTHH:MM:SSZ`, so they compare as text).
pub fn counted_approvals(change: &Value, group: &str) -> usize {
    let requester = change["requester"].as_str().unwrap_or("");
    let implementer = change["implementer"].as_str().unwrap_or("");
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for a in change["approvals"].as_array().into_iter().flatten() {
        let by = a["by"].as_str().unwrap_or("");
        if a["group"].as_str() == Some(group)
            && by != requester
            && by != implementer
            && a["at"].as_str().unwrap_or("") <= NOW
        {
            seen.insert(by);
        }
    }
    seen.len()
}

/// The race catalog indexed by service id (JSON records).
pub struct CatalogIndex<'a> {
    by_id: std::collections::HashMap<&'a str, &'a Value>,
}

impl<'a> CatalogIndex<'a> {
    pub fn new(catalog: &'a Value) -> CatalogIndex<'a> {
        let by_id = catalog["services"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["id"].as_str().map(|id| (id, s)))
            .collect();
        CatalogIndex { by_id }
    }

    pub fn get(&self, id: &str) -> Option<&'a Value> {
        self.by_id.get(id).copied()
    }

    /// The touched services' records.
    pub fn touched(&self, change: &Value) -> Vec<&'a Value> {
        str_list(&change["services"])
            .into_iter()
            .filter_map(|id| self.get(id))
            .collect()
    }
}

/// The race policy written directly in Rust: the obvious model every engine is checked
/// against.
pub fn model_violations(change: &Value, catalog: &CatalogIndex) -> Vec<String> {
    let kind = str_list(&change["kind"]);
    let checks = str_list(&change["checks"]);
    let labels = str_list(&change["labels"]);
    let has_kind = |k: &str| kind.contains(&k);
    let done = |c: &str| checks.contains(&c);
    let label = |l: &str| labels.contains(&l);
    let flag = |v: &Value, f: &str| v[f].as_bool().unwrap_or(false);
    let emergency = flag(change, "emergency");
    let size = change["size"].as_i64().unwrap_or(0);
    let incident = change.get("incident").filter(|v| !v.is_null());
    let services = catalog.touched(change);
    let any = |p: &dyn Fn(&Value) -> bool| services.iter().any(|s| p(s));
    let tier = |s: &Value| s["tier"].as_i64().unwrap_or(3);
    let approvals = |g: &str| counted_approvals(change, g);

    let checks_of: [(&str, bool); 20] = [
        (
            "separation_of_duties",
            change["requester"] == change["implementer"],
        ),
        ("change_too_large", size > 2000 && !emergency),
        ("emergency_needs_incident", emergency && incident.is_none()),
        (
            "emergency_severity",
            emergency && incident.is_some_and(|i| i["severity"].as_i64().unwrap_or(0) > 2),
        ),
        (
            "third_party_contracts",
            has_kind("third_party") && !flag(change, "contract_verified"),
        ),
        (
            "database_backward_compat",
            has_kind("database") && !flag(change, "backward_compatible"),
        ),
        (
            "critical_small_changes",
            size > 500 && any(&|s| tier(s) == 0),
        ),
        (
            "error_budget_freeze",
            !emergency && any(&|s| s["error_budget"].as_f64().unwrap_or(1.0) < 0.0),
        ),
        (
            "cab_review",
            !emergency && any(&|s| tier(s) <= 1) && approvals("cab") < 2,
        ),
        (
            "schema_changes",
            has_kind("database") && (approvals("dba") < 1 || !done("schema-backward-compat")),
        ),
        (
            "infrastructure_review",
            has_kind("infrastructure") && approvals("platform-lead") < 1,
        ),
        ("unit_tests", !done("unit-tests")),
        (
            "security_scan",
            (has_kind("third_party") || label("security")) && !done("security-scan"),
        ),
        (
            "legacy_rehearsal",
            any(&|s| flag(s, "legacy") && !flag(s, "automated_rollback"))
                && !done("rollback-rehearsal"),
        ),
        (
            "stateful_infrastructure",
            has_kind("infrastructure") && size > 200 && any(&|s| flag(s, "stateful")),
        ),
        ("do_not_ship", label("do-not-ship")),
        ("work_in_progress", label("wip") && !emergency),
        (
            "experiments_monitored",
            label("experiment") && any(&|s| !flag(s, "monitored")),
        ),
        (
            "config_review",
            has_kind("config") && size > 100 && approvals("team-lead") < 1,
        ),
        (
            "hotfix_commander",
            emergency && approvals("incident-commander") < 1,
        ),
    ];
    let mut out: Vec<String> = checks_of
        .iter()
        .filter(|(_, hit)| *hit)
        .map(|(name, _)| name.to_string())
        .collect();
    out.sort();
    out
}

/// Cedar's view of one change: principal and resource ids, the context, and the entities
/// (the change, whose parents are its services, and each service with its `Tier::` and
/// `Class::` parents), as the JSON that Cedar's parsers read.
pub fn cedar_request_json(change: &Value, catalog: &CatalogIndex) -> Value {
    let mut context = json!({
        "requester": change["requester"],
        "implementer": change["implementer"],
        "kind": change["kind"],
        "size": change["size"],
        "emergency": change["emergency"],
        "contract_verified": change["contract_verified"],
        "backward_compatible": change["backward_compatible"],
        "checks": change["checks"],
        "labels": change["labels"],
        "approvals": {
            "cab": counted_approvals(change, "cab"),
            "dba": counted_approvals(change, "dba"),
            "platform_lead": counted_approvals(change, "platform-lead"),
            "team_lead": counted_approvals(change, "team-lead"),
            "incident_commander": counted_approvals(change, "incident-commander"),
        },
    });
    if let (Some(incident), Some(fields)) = (
        change.get("incident").filter(|v| !v.is_null()),
        context.as_object_mut(),
    ) {
        fields.insert(
            "incident".into(),
            json!({ "severity": incident["severity"] }),
        );
    }
    let uid = |t: &str, id: &str| json!({ "type": t, "id": id });
    let mut entities = Vec::new();
    let touched = str_list(&change["services"]);
    let id = change["id"].as_str().unwrap_or("");
    entities.push(json!({
        "uid": uid("Change", id),
        "attrs": {},
        "parents": touched.iter().map(|s| uid("Service", s)).collect::<Vec<_>>(),
    }));
    for sid in touched {
        let Some(s) = catalog.get(sid) else { continue };
        let flag = |f: &str| s[f].as_bool().unwrap_or(false);
        let mut parents = vec![uid("Tier", &s["tier"].as_i64().unwrap_or(3).to_string())];
        let classes = [
            (
                "budget_exhausted",
                s["error_budget"].as_f64().unwrap_or(1.0) < 0.0,
            ),
            (
                "legacy_without_rollback",
                flag("legacy") && !flag("automated_rollback"),
            ),
            ("stateful", flag("stateful")),
            ("unmonitored", !flag("monitored")),
        ];
        parents.extend(
            classes
                .iter()
                .filter(|(_, member)| *member)
                .map(|(c, _)| uid("Class", c)),
        );
        entities.push(json!({ "uid": uid("Service", sid), "attrs": {}, "parents": parents }));
    }
    json!({
        "principal": change["requester"],
        "resource": id,
        "context": context,
        "entities": entities,
    })
}

/// Everything the race needs on shipgate's side, prepared once.
pub struct Race {
    pub engine: Engine,
    pub catalog_json: Value,
    pub catalog: Catalog,
    /// The corpus as JSON values (shipgate's and Rego's input).
    pub changes_json: Vec<Value>,
    /// The same, as JSON text.
    pub changes_text: Vec<String>,
    /// The same, read by shipgate.
    pub changes: Vec<Change>,
}

/// Number of services in the race catalog.
pub const RACE_SERVICES: usize = 200;
/// Number of change requests in the race corpus (the agreement check runs on all of them).
pub const RACE_CORPUS: usize = 10_000;
/// Seed of the race corpus.
pub const RACE_SEED: u64 = 0x5eed_2026;

impl Race {
    /// Compiles the race policy and generates the catalog and `n` changes.
    pub fn new(n: usize) -> Result<Race, String> {
        let source = race_source("gate").map_err(|e| e.to_string())?;
        let engine = Engine::from_source(&source, "release.gate").map_err(|e| e.to_string())?;
        let catalog_json = race_catalog(RACE_SERVICES, RACE_SEED);
        let catalog = Catalog::from_json(&catalog_json).map_err(|e| e.to_string())?;
        let changes_json = race_corpus(n, RACE_SERVICES, RACE_SEED ^ 1);
        let changes_text = changes_json.iter().map(Value::to_string).collect();
        let changes = changes_json
            .iter()
            .map(Change::from_json)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        Ok(Race {
            engine,
            catalog_json,
            catalog,
            changes_json,
            changes_text,
            changes,
        })
    }

    /// shipgate's violated rules for change `i`.
    pub fn shipgate(&self, i: usize) -> Result<Vec<String>, String> {
        let change = self.changes.get(i).ok_or("no such change")?;
        let d = self
            .engine
            .evaluate(change, &self.catalog, now(), false)
            .map_err(|e| e.to_string())?;
        Ok(shipgate_violations(&d))
    }

    /// Index of the first change that `pick` accepts by its model violations.
    pub fn find(&self, pick: impl Fn(&[String]) -> bool) -> Option<usize> {
        let index = CatalogIndex::new(&self.catalog_json);
        self.changes_json
            .iter()
            .position(|c| pick(&model_violations(c, &index)))
    }
}

/// Reads a JSON text into shipgate's change for the engine (`Engine::read_change`) and decides it:
/// the "from JSON" path.
pub fn shipgate_from_json(
    engine: &Engine,
    catalog: &Catalog,
    text: &str,
) -> Result<Decision, String> {
    let change = engine
        .read_change(text, shipgate::Format::Json)
        .map_err(|e| e.to_string())?;
    engine
        .evaluate(&change, catalog, now(), false)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipgate_agrees_with_the_rust_model_on_the_corpus() {
        let race = Race::new(2_000).unwrap();
        let index = CatalogIndex::new(&race.catalog_json);
        let mut hits = std::collections::BTreeMap::<String, usize>::new();
        let mut allowed = 0;
        for (i, c) in race.changes_json.iter().enumerate() {
            let want = model_violations(c, &index);
            let got = race.shipgate(i).unwrap();
            assert_eq!(got, want, "change {i}: {c}");
            allowed += usize::from(got.is_empty());
            for r in got {
                *hits.entry(r).or_default() += 1;
            }
        }
        // The corpus exercises every rule, and both outcomes.
        for r in RULES {
            assert!(
                hits.get(r).copied().unwrap_or(0) > 0,
                "rule {r} never fires"
            );
        }
        assert!(allowed > 20, "only {allowed} changes allowed");
        assert!(allowed < 1_900);
    }

    #[test]
    fn the_corpus_is_deterministic() {
        assert_eq!(race_corpus(50, 200, 7), race_corpus(50, 200, 7));
        assert_ne!(race_corpus(50, 200, 7), race_corpus(50, 200, 8));
    }

    #[test]
    fn approvals_count_once_per_person_and_never_the_requester() {
        let c = json!({
            "requester": "ana", "implementer": "bo",
            "approvals": [
                {"by": "cy", "group": "cab", "at": "2026-11-30T00:00:00Z"},
                {"by": "cy", "group": "cab", "at": "2026-11-30T01:00:00Z"},
                {"by": "ana", "group": "cab", "at": "2026-11-30T00:00:00Z"},
                {"by": "bo", "group": "cab", "at": "2026-11-30T00:00:00Z"},
                {"by": "dee", "group": "cab", "at": "2026-12-02T00:00:00Z"},
                {"by": "eli", "group": "dba", "at": "2026-11-30T00:00:00Z"}
            ]
        });
        assert_eq!(counted_approvals(&c, "cab"), 1);
        assert_eq!(counted_approvals(&c, "dba"), 1);
        assert_eq!(counted_approvals(&c, "team-lead"), 0);
    }
}
