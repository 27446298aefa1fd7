//! The data-driven corpus: every folder under `tests/cases/` is one case.
//!
//! A case holds its policy (`*.gate`, plus any `ics` files it imports) and either
//! - `catalog.json`, `change.json`, `case.json` (`{"now": "...", "explain": false}`) and
//!   `expected.json`, the decision the engine must produce, byte for byte after parsing; or
//! - `expected_error.txt`: lines that must each appear in the rendered compile or input error
//!   (for example `policy.gate:3:14` and the message); or
//! - neither: the policy must compile without errors (a validate-only case).
//!
//! `SHIPGATE_BLESS=1 cargo test --test corpus` writes `expected.json` for cases that lack it;
//! review every blessed file before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use shipgate::{Catalog, Change, Engine, Error};

/// The repository root. The corpus runs from there and names each case by its relative path
/// (`tests/cases/<case>`), so `at` locations and error texts read exactly as the CLI's
/// `shipgate check --policy tests/cases/<case> ...` prints them, with no machine paths.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cases_dir() -> PathBuf {
    PathBuf::from("tests/cases")
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs one case; returns the rendered outcome (decision JSON or error text).
fn run_case(dir: &Path) -> Result<serde_json::Value, String> {
    let render = |e: Error| match e {
        Error::Policy(p) => p.render(false),
        other => other.to_string(),
    };
    let engine = Engine::from_path(dir).map_err(render)?;
    if !dir.join("change.json").exists() {
        return Ok(serde_json::Value::Null);
    }
    let catalog =
        Catalog::from_json(&read_json(&dir.join("catalog.json"))).map_err(|e| e.to_string())?;
    let change =
        Change::from_json(&read_json(&dir.join("change.json"))).map_err(|e| e.to_string())?;
    let case = read_json(&dir.join("case.json"));
    let now = case["now"]
        .as_str()
        .and_then(|s| shipgate::parse_instant(s).ok())
        .unwrap_or_else(|| panic!("{}: case.json needs \"now\"", dir.display()));
    let explain = case["explain"].as_bool().unwrap_or(false);
    let d = engine
        .evaluate(&change, &catalog, now, explain)
        .map_err(render)?;
    // The fast condition forms must decide exactly as the general evaluator, with and
    // without the trace.
    for explain in [false, true] {
        let fast = engine
            .evaluate(&change, &catalog, now, explain)
            .map_err(render)?;
        let reference = engine
            .evaluate_reference(&change, &catalog, now, explain)
            .map_err(render)?;
        if fast.to_json() != reference.to_json() {
            return Err(format!(
                "the fast evaluator differs from the reference (explain {explain}):\n{}\n---\n{}",
                fast.to_json(),
                reference.to_json()
            ));
        }
    }
    Ok(d.to_json_value())
}

#[test]
fn corpus() {
    // The only test in this binary, so changing the process's folder races with nothing.
    std::env::set_current_dir(repo_root()).expect("the repository root exists");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases found");
    let bless = std::env::var_os("SHIPGATE_BLESS").is_some();
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let outcome = run_case(dir);
        let expected_err = dir.join("expected_error.txt");
        let expected_json = dir.join("expected.json");
        if expected_err.exists() {
            let want = std::fs::read_to_string(&expected_err).unwrap();
            match &outcome {
                Ok(v) => failures.push(format!("{name}: expected an error, got {v}")),
                Err(got) => {
                    for line in want.lines().filter(|l| !l.trim().is_empty()) {
                        if !got.contains(line.trim()) {
                            failures.push(format!("{name}: error lacks {line:?}; got:\n{got}"));
                        }
                    }
                }
            }
            continue;
        }
        match outcome {
            Err(e) => failures.push(format!("{name}: unexpected error:\n{e}")),
            Ok(serde_json::Value::Null) => {}
            Ok(got) => {
                if !expected_json.exists() {
                    if bless {
                        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
                        std::fs::write(&expected_json, text).unwrap();
                        continue;
                    }
                    failures.push(format!(
                        "{name}: no expected.json (run with SHIPGATE_BLESS=1 and review)"
                    ));
                    continue;
                }
                let want = read_json(&expected_json);
                if want != got {
                    failures.push(format!(
                        "{name}: decision differs\n--- expected\n{}\n--- got\n{}",
                        serde_json::to_string_pretty(&want).unwrap(),
                        serde_json::to_string_pretty(&got).unwrap()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
    assert!(
        dirs.len() >= 30,
        "the corpus must hold at least 30 cases, has {}",
        dirs.len()
    );
}
