//! The data-driven corpus: every folder under `tests/cases/` is one case, and one test named
//! after its folder, so that a case runs alone with
//! `cargo test -p shipgate --test corpus -- calendar-dst-spring-gap` (add `--exact` to skip
//! cases whose names contain it).
//!
//! A case holds its policy (`*.gate`, plus any `ics` files it imports) and either
//! - `catalog.json`, `change.json`, `case.json` (`{"now": "...", "explain": false}`) and
//!   `expected.json`, the decision the engine must produce: the file's text must be exactly the
//!   decision pretty-printed (two-space indent, keys sorted) plus a final newline; or
//! - `expected_error.txt`: the rendered compile error (rustc-style, without colour) or input
//!   error (`path: message`), exactly, with a final newline; or
//! - neither: the policy must compile without errors (a validate-only case).
//!
//! Every decision is also made by the general expression evaluator
//! (`Engine::evaluate_reference`), with and without the trace, and must be the same, byte for
//! byte, as the fast evaluator's.
//!
//! `SHIPGATE_BLESS=1 cargo test --test corpus` writes `expected.json` for cases that lack it,
//! and rewrites an `expected_error.txt` whose every line the new error still contains (so a
//! bless never drops what a file asked for); review every blessed file before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
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

fn read_json(path: &Path) -> Result<serde_json::Value, Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// The outcome of a case: the decision as a JSON value, `Null` for a validate-only case, or
/// the rendered error.
fn run_case(dir: &Path) -> Result<Result<serde_json::Value, String>, Failed> {
    let render = |e: Error| match e {
        Error::Policy(p) => p.render(false),
        other => other.to_string(),
    };
    let engine = match Engine::from_path(dir) {
        Ok(engine) => engine,
        Err(e) => return Ok(Err(render(e))),
    };
    if !dir.join("change.json").exists() {
        return Ok(Ok(serde_json::Value::Null));
    }
    let catalog = match Catalog::from_json(&read_json(&dir.join("catalog.json"))?) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let change = match Change::from_json(&read_json(&dir.join("change.json"))?) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let case = read_json(&dir.join("case.json"))?;
    let now = case["now"]
        .as_str()
        .and_then(|s| shipgate::parse_instant(s).ok())
        .ok_or_else(|| format!("{}: case.json needs \"now\"", dir.display()))?;
    let explain = case["explain"].as_bool().unwrap_or(false);
    let decision = match engine.evaluate(&change, &catalog, now, explain) {
        Ok(d) => d,
        Err(e) => return Ok(Err(render(e))),
    };
    // The fast condition forms must decide exactly as the general evaluator, with and
    // without the trace.
    for explain in [false, true] {
        let fast = engine.evaluate(&change, &catalog, now, explain);
        let reference = engine.evaluate_reference(&change, &catalog, now, explain);
        match (fast, reference) {
            (Ok(fast), Ok(reference)) if fast.to_json() == reference.to_json() => {}
            (Ok(fast), Ok(reference)) => {
                return Err(format!(
                    "the fast evaluator differs from the reference (explain {explain}):\n{}\n---\n{}",
                    fast.to_json(),
                    reference.to_json()
                )
                .into());
            }
            (fast, reference) => {
                return Err(format!(
                    "the fast evaluator and the reference disagree (explain {explain}):\n\
                     {fast:?}\n---\n{reference:?}"
                )
                .into());
            }
        }
    }
    Ok(Ok(decision.to_json_value()))
}

/// The expected text of a decision: pretty-printed with sorted keys, and a final newline.
fn decision_text(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

/// The expected text of an error: as rendered, with a final newline when it has none (an input
/// error is one line without one).
fn error_text(mut rendered: String) -> String {
    if !rendered.ends_with('\n') {
        rendered.push('\n');
    }
    rendered
}

/// Checks one case against its expected files.
fn check_case(dir: &Path, bless: bool) -> Result<(), Failed> {
    let outcome = run_case(dir)?;
    let expected_err = dir.join("expected_error.txt");
    let expected_json = dir.join("expected.json");
    if expected_err.exists() {
        let want = std::fs::read_to_string(&expected_err).map_err(|e| e.to_string())?;
        let got = match outcome {
            Ok(v) => return Err(format!("expected an error, got {v}").into()),
            Err(got) => error_text(got),
        };
        if got == want {
            return Ok(());
        }
        let kept = want
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| got.contains(l.trim()));
        if bless && kept {
            std::fs::write(&expected_err, &got).map_err(|e| e.to_string())?;
            return Ok(());
        }
        return Err(format!(
            "the error differs from expected_error.txt\n--- expected\n{want}\n--- got\n{got}"
        )
        .into());
    }
    let got = match outcome {
        Err(e) => return Err(format!("unexpected error:\n{e}").into()),
        Ok(serde_json::Value::Null) => return Ok(()),
        Ok(got) => decision_text(&got),
    };
    if !expected_json.exists() {
        if bless {
            std::fs::write(&expected_json, got).map_err(|e| e.to_string())?;
            return Ok(());
        }
        return Err("no expected.json (run with SHIPGATE_BLESS=1 and review)".into());
    }
    let want = std::fs::read_to_string(&expected_json).map_err(|e| e.to_string())?;
    if want != got {
        return Err(format!("the decision differs\n--- expected\n{want}--- got\n{got}").into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    // Set once, before any test runs, so no test races with it.
    std::env::set_current_dir(repo_root()).expect("the repository root exists");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let count = dirs.len();
    let bless = std::env::var_os("SHIPGATE_BLESS").is_some();
    let mut trials: Vec<Trial> = dirs
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || check_case(&dir, bless))
        })
        .collect();
    // The corpus is the contract's examples: it must not shrink by accident.
    trials.push(Trial::test("corpus-has-at-least-30-cases", move || {
        if count >= 30 {
            Ok(())
        } else {
            Err(format!("the corpus must hold at least 30 cases, has {count}").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}
