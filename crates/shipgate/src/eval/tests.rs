//! The lean decision (`Session::judge`, what replay compares) against the full one.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::*;
use crate::limits::Limits;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// splitmix64, for the variations of the corpus's changes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A policy folder with a catalog, changes (as JSON) and the `now` to decide them at.
struct Case {
    policy: PathBuf,
    catalog: Catalog,
    changes: Vec<Value>,
    now: Instant,
}

fn read_value(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    crate::input::parse_document(
        &text,
        crate::input::Format::from_path(&path.to_string_lossy()),
        "x",
    )
    .unwrap()
}

/// Every case of `tests/cases/` with a change, and the example policies of `policies/` with
/// their changes.
fn cases() -> Vec<Case> {
    let root = root();
    let at = |s: &str| crate::time::parse_instant(s).unwrap();
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("tests/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        if !dir.join("change.json").exists() {
            continue;
        }
        let Ok(catalog) = Catalog::from_json(&read_value(&dir.join("catalog.json"))) else {
            continue;
        };
        let case = read_value(&dir.join("case.json"));
        out.push(Case {
            policy: dir.clone(),
            catalog,
            changes: vec![read_value(&dir.join("change.json"))],
            now: at(case["now"].as_str().unwrap()),
        });
    }
    let policies = root.join("policies");
    let mut payments = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(policies.join("changes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        payments.push(read_value(&f));
    }
    out.push(Case {
        policy: policies.join("payments"),
        catalog: Catalog::from_path(policies.join("catalog.yaml")).unwrap(),
        changes: payments,
        now: at("2026-12-01T09:00:00Z"),
    });
    let train = read_value(&policies.join("follow-the-sun/train.yaml"));
    out.push(Case {
        policy: policies.join("follow-the-sun"),
        catalog: Catalog::from_path(policies.join("follow-the-sun/catalog.yaml")).unwrap(),
        changes: train["changes"].as_array().cloned().unwrap_or_default(),
        now: at("2026-12-01T09:00:00Z"),
    });
    let replayed: Vec<Value> = std::fs::read_to_string(policies.join("replay/changes.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["change"].clone())
        .collect();
    for side in ["old", "new"] {
        out.push(Case {
            policy: policies.join("replay").join(side),
            catalog: Catalog::from_path(policies.join("replay/catalog.json")).unwrap(),
            changes: replayed.clone(),
            now: at("2026-10-01T09:00:00Z"),
        });
    }
    out
}

/// The change with a few of its fields changed at random: sizes, flags, approvals, checks and
/// labels kept or dropped, its start moved by hours or days.
fn vary(change: &Value, rng: &mut Rng) -> Value {
    let mut c = change.clone();
    let Some(fields) = c.as_object_mut() else {
        return c;
    };
    if rng.below(2) == 0 {
        fields.insert("size".into(), Value::from(rng.below(3000)));
    }
    if rng.below(3) == 0 {
        let was = fields
            .get("emergency")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        fields.insert("emergency".into(), Value::from(!was));
    }
    for list in ["approvals", "checks", "labels", "kind", "waivers"] {
        if let Some(Value::Array(items)) = fields.get_mut(list)
            && rng.below(3) == 0
        {
            let keep = rng.below(items.len() as u64 + 1) as usize;
            items.truncate(keep);
        }
    }
    if rng.below(3) == 0 {
        let labels = ["wip", "do-not-ship", "experiment", "security", "hotfix"];
        let label = labels[rng.below(labels.len() as u64) as usize];
        fields.insert("labels".into(), Value::from(vec![label]));
    }
    if let Some(start) = fields.get("start").and_then(Value::as_str)
        && let Ok(t) = crate::time::parse_instant(start)
        && rng.below(2) == 0
    {
        let moved = t + chrono::TimeDelta::hours(rng.below(24 * 21) as i64);
        fields.insert(
            "start".into(),
            Value::from(crate::time::format_instant(moved)),
        );
    }
    c
}

/// For every change of the corpus and of the example policies, and random variations of
/// each, at its start and at other starts, under the default evaluation budget and under
/// budgets small enough to run out in each phase: the lean decision's verdict and reasons
/// (each with its rule, message and place, in order) are the full decision's, and an error of
/// one is the other's.
#[test]
fn the_lean_decision_has_the_full_decisions_verdict_and_reasons() {
    let budgets = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 200, 1000];
    let mut rng = Rng(0x5eed_0017);
    let (mut decided, mut denied, mut pending, mut errors, mut over) = (0, 0, 0, 0, 0);
    for case in cases() {
        let Ok(compiled) =
            crate::check::compile_paths(std::slice::from_ref(&case.policy), &Limits::default())
        else {
            continue;
        };
        let mut policy = Policy::new(compiled, Limits::default());
        let mut changes = Vec::new();
        for c in &case.changes {
            changes.push(c.clone());
            for _ in 0..6 {
                changes.push(vary(c, &mut rng));
            }
        }
        for json in &changes {
            let Ok(change) = Change::from_json(json) else {
                continue;
            };
            for &budget in &budgets {
                let steps = if budget == 0 { 10_000_000 } else { budget };
                policy.limits.set(Limit::EvalSteps, steps).unwrap();
                let session = match Session::new(&policy, &change, &case.catalog, case.now, false) {
                    Ok(s) => s,
                    Err(_) => {
                        // `judge` prepares the same session, and fails with it.
                        assert!(judge(&policy, &change, &case.catalog, case.now).is_err());
                        errors += 1;
                        continue;
                    }
                };
                let own = change.start.unwrap_or(case.now);
                for start in [own, own + chrono::TimeDelta::hours(13), case.now] {
                    let full = session.decide(start, false);
                    let lean = session.judge(start);
                    let what = format!("{} at {start}, budget {steps}", case.policy.display());
                    match (full, lean) {
                        (Ok(full), Ok(lean)) => {
                            assert_eq!(lean.verdict, full.verdict, "{what}");
                            assert_eq!(lean.reasons, full.reasons, "{what}");
                            decided += 1;
                            denied += usize::from(full.verdict == Verdict::Deny);
                            pending += usize::from(full.verdict == Verdict::Pending);
                            over += usize::from(
                                full.reasons
                                    .iter()
                                    .any(|r| r.message.contains("evaluation budget")),
                            );
                        }
                        (Err(full), Err(lean)) => {
                            assert_eq!(lean.to_string(), full.to_string(), "{what}");
                            errors += 1;
                        }
                        (full, lean) => panic!("{what}: {full:?} but lean {:?}", lean.is_ok()),
                    }
                }
            }
        }
    }
    eprintln!(
        "{decided} decided: {denied} denied, {pending} pending, {over} over the budget; {errors} errors"
    );
    // Every outcome is met many times: a test that compared nothing would pass too.
    assert!(decided > 30_000, "{decided} decided");
    assert!(
        denied > 10_000 && pending > 5_000,
        "{denied} denied, {pending} pending"
    );
    assert!(over > 2_000, "{over} over the budget");
    assert!(errors > 1_000, "{errors} errors");
}
