//! Inputs are checked, never trusted (SPEC 8.1): for random valid changes and catalogs, a
//! random misspelling of any field a change, a service or a check object knows (built in, or
//! declared with `extend`), of a key of the catalog, or of a group name in the catalog's
//! `groups` is an input error naming the misspelt key's JSON path, never a decision. Both
//! readers of a change (the `Value` tree and the fast path from JSON text) and of a catalog
//! are exercised.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use shipgate::{Catalog, Change, Engine, Error, Format};

const POLICY: &str = r#"
groups cab, change-manager
tiers low, high
extend change { ticket: string?, cost_center: string? }
extend service { pci: bool? }
calendar anytime timezone "UTC" { window mon-sun 00:00-24:00 }
region eu-west uses anytime
region us-east uses anytime
tier high when any s in change.services: s.legacy or s.tier == 0
rule cab_review {
  when tier >= high and not change.emergency
  require approval "cab"
}
rule stateful_needs_check {
  when any s in change.services: s.stateful
  require check "rollback-rehearsal"
}
waivable cab_review by "change-manager" max 72h
"#;

/// Every key a change accepts: the built-in fields (SPEC section 3) and the policy's
/// `extend change` fields.
const CHANGE_KEYS: &[&str] = &[
    "id",
    "title",
    "kind",
    "services",
    "requester",
    "implementer",
    "approvals",
    "checks",
    "emergency",
    "incident",
    "start",
    "duration",
    "regions",
    "size",
    "labels",
    "backward_compatible",
    "contract_verified",
    "after",
    "waivers",
    "ticket",
    "cost_center",
];
const CHANGE_REQUIRED: &[&str] = &["id", "services", "requester", "implementer", "duration"];

/// Every key a service accepts, with the policy's `extend service` field.
const SERVICE_KEYS: &[&str] = &[
    "id",
    "team",
    "tier",
    "depends_on",
    "regions",
    "stateful",
    "automated_rollback",
    "legacy",
    "monitored",
    "error_budget",
    "pci",
];
const SERVICE_REQUIRED: &[&str] = &["id", "tier"];

/// Every key of a check object, and the required ones.
const CHECK_KEYS: &[&str] = &["name", "status", "at", "url"];
const CHECK_REQUIRED: &[&str] = &["name", "status"];

/// Every key of a catalog, and the required one.
const CATALOG_KEYS: &[&str] = &["services", "groups"];
const CATALOG_REQUIRED: &[&str] = &["services"];

/// The groups of the catalog's `groups`: each a group the policy knows.
const GROUPS: &[&str] = &["cab", "change-manager"];

/// The change's check object, at `change.checks[1]` (the first is a bare name).
fn check_object() -> Value {
    json!({"name": "pci-scan", "status": "passed", "at": "2026-11-30T12:00:00Z",
           "url": "https://ci.example/runs/1"})
}

/// Keys the engine computes: giving one is refused with its own message (still at its path).
const COMPUTED: &[&str] = &["dependents", "blast_radius"];

const REGIONS: &[&str] = &["eu-west", "us-east"];
const NOW: &str = "2026-12-01T09:00:00Z";

/// Optional keys of a record, each kept or dropped by a mask bit.
fn keep(record: &mut Map<String, Value>, optional: &[(&str, Value)], mask: u32) {
    for (bit, (key, value)) in optional.iter().enumerate() {
        if mask & (1 << bit) != 0 {
            record.insert((*key).to_string(), value.clone());
        }
    }
}

/// A valid catalog of `n` services: service `i` may depend on earlier ones; every service
/// has at least one region, and random optional fields.
fn catalog(n: usize, masks: &[u32], region_sets: &[u8]) -> Value {
    let services: Vec<Value> = (0..n)
        .map(|i| {
            let mask = masks[i % masks.len()];
            let regions: Vec<&str> = match region_sets[i % region_sets.len()] % 3 {
                0 => vec!["eu-west"],
                1 => vec!["us-east"],
                _ => REGIONS.to_vec(),
            };
            let mut s = Map::new();
            s.insert("id".into(), json!(format!("svc-{i}")));
            s.insert("tier".into(), json!(i % 4));
            s.insert("regions".into(), json!(regions));
            let deps: Vec<String> = (0..i)
                .filter(|d| (mask >> (8 + d % 8)) & 1 == 1)
                .map(|d| format!("svc-{d}"))
                .collect();
            keep(
                &mut s,
                &[
                    ("team", json!("core")),
                    ("depends_on", json!(deps)),
                    ("stateful", json!(true)),
                    ("automated_rollback", json!(false)),
                    ("legacy", json!(i % 2 == 0)),
                    ("monitored", json!(true)),
                    ("error_budget", json!(-0.25)),
                    ("pci", json!(true)),
                ],
                mask,
            );
            Value::Object(s)
        })
        .collect();
    // The approver and the grantor of `change` are members of their groups.
    json!({ "services": services, "groups": {"cab": ["eve"], "change-manager": ["maria"]} })
}

/// A valid change touching `touched` (indices into a catalog of `n` services) with random
/// optional fields; its own regions, when given, are regions of its services.
fn change(catalog: &Value, touched: &[usize], mask: u32) -> Value {
    let services: Vec<String> = touched.iter().map(|i| format!("svc-{i}")).collect();
    let first_region = catalog["services"][touched[0]]["regions"][0].clone();
    let mut c = Map::new();
    c.insert("id".into(), json!("CHG-1"));
    c.insert("services".into(), json!(services));
    c.insert("requester".into(), json!("ana"));
    c.insert("implementer".into(), json!("bob"));
    c.insert("duration".into(), json!("1h"));
    keep(
        &mut c,
        &[
            ("title", json!("a change")),
            ("kind", json!(["application", "config"])),
            (
                "approvals",
                json!([{"by": "eve", "group": "cab", "at": "2026-11-30T12:00:00Z"}]),
            ),
            ("checks", json!(["unit", check_object()])),
            ("emergency", json!(true)),
            (
                "incident",
                json!({"id": "INC-1", "severity": 2, "opened": "2026-12-01T08:00:00Z"}),
            ),
            ("start", json!("2026-12-01T10:00:00Z")),
            ("regions", json!([first_region])),
            ("size", json!(12)),
            ("labels", json!(["copy"])),
            ("backward_compatible", json!(true)),
            ("contract_verified", json!(false)),
            ("after", json!(["CHG-0"])),
            (
                "waivers",
                json!([{"rule": "cab_review", "by": "maria", "group": "change-manager",
                        "granted_at": "2026-12-01T08:00:00Z",
                        "expires_at": "2026-12-02T08:00:00Z"},
                       {"blackout": "year-end freeze", "by": "maria", "group": "change-manager",
                        "granted_at": "2026-12-01T08:00:00Z",
                        "expires_at": "2026-12-02T08:00:00Z"}]),
            ),
            ("ticket", json!("PAY-1")),
            ("cost_center", json!("CC-7")),
        ],
        mask,
    );
    Value::Object(c)
}

/// One edit of `name`: 0 deletes, 1 inserts, 2 substitutes, 3 swaps two neighbours.
fn edit(name: &str, kind: u8, at: usize, letter: char) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let at = at % (chars.len() + 1);
    match kind % 4 {
        0 if chars.len() > 1 => {
            chars.remove(at.min(chars.len() - 1));
        }
        1 => chars.insert(at, letter),
        3 if chars.len() > 1 => {
            let i = at.min(chars.len() - 2);
            chars.swap(i, i + 1);
        }
        _ => {
            let i = at.min(chars.len() - 1);
            chars[i] = letter;
        }
    }
    chars.into_iter().collect()
}

/// The record a misspelling goes in.
#[derive(Debug, Clone)]
enum Target {
    Change,
    /// Service `i` (modulo the catalog's size).
    Service(usize),
    /// The check object of the change.
    Check,
    /// The catalog itself (`services`, `groups`).
    Catalog,
    /// A group name of the catalog's `groups`.
    Group,
}

/// Where the misspelling goes and how: the record, the field misspelt, and one or two edits.
#[derive(Debug, Clone)]
struct Typo {
    target: Target,
    field: usize,
    edits: Vec<(u8, usize, char)>,
}

fn arb_typo() -> impl Strategy<Value = Typo> {
    (
        prop_oneof![
            4 => Just(Target::Change),
            4 => (0usize..8).prop_map(Target::Service),
            1 => Just(Target::Check),
            1 => Just(Target::Catalog),
            1 => Just(Target::Group),
        ],
        0usize..64,
        prop::collection::vec(
            (
                0u8..4,
                0usize..32,
                prop::sample::select("abcdefghijklmnopqrstuvwxyz_".chars().collect::<Vec<_>>()),
            ),
            1..=2,
        ),
    )
        .prop_map(|(target, field, edits)| Typo {
            target,
            field,
            edits,
        })
}

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| Engine::from_source(POLICY, "policy.gate").unwrap())
}

/// The decision, or the input error, for a change and a catalog given as JSON values; the
/// change and the catalog are each read by both readers, which must agree.
fn decide(change: &Value, catalog: &Value) -> Result<shipgate::Decision, Error> {
    let now = shipgate::parse_instant(NOW).unwrap();
    let catalog_text = Catalog::from_text(&serde_json::to_string(catalog).unwrap(), Format::Json);
    let catalog = Catalog::from_json(catalog);
    assert_eq!(
        catalog_text
            .as_ref()
            .map(Catalog::services)
            .map_err(ToString::to_string),
        catalog
            .as_ref()
            .map(Catalog::services)
            .map_err(ToString::to_string),
        "the two readers read the catalog differently"
    );
    let (catalog_text, catalog) = (catalog_text?, catalog?);
    let text = serde_json::to_string(change).unwrap();
    let fast = Change::from_text(&text, Format::Json)?;
    let tree = Change::from_json(change)?;
    assert_eq!(fast, tree, "the two readers read the change differently");
    let by_text = engine().evaluate(&fast, &catalog_text, now, false);
    let by_tree = engine().evaluate(&tree, &catalog, now, false);
    assert_eq!(
        by_text.as_ref().map_err(ToString::to_string),
        by_tree.as_ref().map_err(ToString::to_string)
    );
    by_tree
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_misspelt_field_is_an_input_error_at_its_path(
        n in 1usize..6,
        masks in prop::collection::vec(any::<u32>(), 1..6),
        region_sets in prop::collection::vec(any::<u8>(), 1..6),
        touched_seed in any::<u8>(),
        change_mask in any::<u32>(),
        typo in arb_typo(),
    ) {
        let mut catalog = catalog(n, &masks, &region_sets);
        let touched: Vec<usize> = (0..n).filter(|i| (touched_seed >> i) & 1 == 1).collect();
        let touched = if touched.is_empty() { vec![usize::from(touched_seed) % n] } else { touched };
        let mut change = change(&catalog, &touched, change_mask);

        // The generated inputs are valid: without the typo, they decide.
        prop_assert!(decide(&change, &catalog).is_ok(), "{:?}", decide(&change, &catalog).err());

        if matches!(typo.target, Target::Check) {
            change["checks"] = json!(["unit", check_object()]);
        }
        let (record, keys, required, path) = match typo.target {
            Target::Change => (change.as_object_mut().unwrap(), CHANGE_KEYS, CHANGE_REQUIRED, "change".to_string()),
            Target::Service(i) => {
                let i = i % n;
                let record = catalog["services"][i].as_object_mut().unwrap();
                (record, SERVICE_KEYS, SERVICE_REQUIRED, format!("catalog.services[{i}]"))
            }
            Target::Check => {
                let record = change["checks"][1].as_object_mut().unwrap();
                (record, CHECK_KEYS, CHECK_REQUIRED, "change.checks[1]".to_string())
            }
            Target::Catalog => (catalog.as_object_mut().unwrap(), CATALOG_KEYS, CATALOG_REQUIRED, "catalog".to_string()),
            Target::Group => {
                let record = catalog["groups"].as_object_mut().unwrap();
                (record, GROUPS, &[][..], "catalog.groups".to_string())
            }
        };
        let field = keys[typo.field % keys.len()];
        let misspelt = typo.edits.iter().fold(field.to_string(), |name, &(kind, at, letter)| {
            edit(&name, kind, at, letter)
        });
        prop_assume!(!keys.contains(&misspelt.as_str()) && !COMPUTED.contains(&misspelt.as_str()));
        // The misspelt key carries the field's value: it replaces the field when that is
        // optional (the user meant it), and is added beside a required one (else the missing
        // required field would be the first error).
        let value = if required.contains(&field) {
            record.get(field).cloned()
        } else {
            record.remove(field)
        };
        let value = value.unwrap_or(json!(true));
        record.insert(misspelt.clone(), value);

        match decide(&change, &catalog) {
            Err(Error::Input(e)) => {
                prop_assert_eq!(&e.path, &format!("{path}.{misspelt}"));
                let unknown = if matches!(typo.target, Target::Group) { "unknown group" } else { "unknown field" };
                prop_assert!(e.message.starts_with(unknown), "{}", e.message);
                prop_assert!(e.message.contains(field) , "the hint or the list names `{}`: {}", field, e.message);
            }
            other => prop_assert!(false, "`{}` for `{}` gave {:?}", misspelt, field, other.map(|d| d.verdict)),
        }
    }
}
