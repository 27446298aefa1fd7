//! `format_policy` (`shipgate fmt`): the formatted policy decides as the original, and
//! formatting twice changes nothing.
//!
//! - every case of `tests/cases/` with a change, and every change of `policies/changes/`
//!   against `policies/payments`, is decided by the policy as written and as formatted: the
//!   decisions are the same but for the `policy` digest (it hashes the files' bytes) and the
//!   `at` locations (line and column move with the layout);
//! - generated policies (random expressions of the evaluator's model in every kind of
//!   item, their whitespace scrambled and comments sprinkled in) are formatted idempotently
//!   and decide as before.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod model;

use std::path::{Path, PathBuf};

use model::*;
use proptest::prelude::*;
use serde_json::Value;
use shipgate::{Catalog, Change, Engine, format_policy};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A decision's JSON without what the layout moves: `policy` and every `at`.
fn comparable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("at");
                m.remove("policy");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// Policy files as (name, text).
type Sources = Vec<(String, String)>;

/// The policy files of `dir`, as written and as formatted.
fn sources(dir: &Path) -> (Sources, Sources) {
    let files = shipgate::policy_files(&[dir.to_path_buf()]).unwrap();
    let mut written = Vec::new();
    let mut formatted = Vec::new();
    for f in files {
        let name = f.strip_prefix(dir).unwrap().display().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let once = format_policy(&text, &name)
            .unwrap_or_else(|e| panic!("{}: {}", f.display(), e.render(false)));
        let twice = format_policy(&once, &name).unwrap();
        assert_eq!(once, twice, "{}: formatting is not idempotent", f.display());
        written.push((name.clone(), text));
        formatted.push((name, once));
    }
    (written, formatted)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn formatted_corpus_cases_decide_the_same() {
    let mut decided = 0;
    let mut cases: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    for dir in cases {
        if !dir.join("change.json").exists() {
            continue;
        }
        let (written, formatted) = sources(&dir);
        let root = Some(dir.clone());
        let (Ok(before), after) = (
            Engine::from_sources(written, root.clone()),
            Engine::from_sources(formatted, root),
        ) else {
            continue; // a case whose inputs are the error: the engine never decides
        };
        let after = after.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let (Ok(catalog), Ok(change)) = (
            Catalog::from_json(&read_json(&dir.join("catalog.json"))),
            Change::from_json(&read_json(&dir.join("change.json"))),
        ) else {
            continue;
        };
        let case = read_json(&dir.join("case.json"));
        let now = shipgate::parse_instant(case["now"].as_str().unwrap()).unwrap();
        let a = before.evaluate(&change, &catalog, now, false);
        let b = after.evaluate(&change, &catalog, now, false);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(
                    comparable(a.to_json_value()),
                    comparable(b.to_json_value()),
                    "{}",
                    dir.display()
                );
                decided += 1;
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("{}: {a:?} but formatted {b:?}", dir.display()),
        }
    }
    assert!(decided >= 90, "only {decided} cases decided");
}

#[test]
fn formatted_example_policies_decide_the_same() {
    let policies = repo().join("policies");
    let catalog = Catalog::from_json(
        &shipgate::parse_document(
            &std::fs::read_to_string(policies.join("catalog.yaml")).unwrap(),
            shipgate::Format::Yaml,
            "catalog",
        )
        .unwrap(),
    )
    .unwrap();
    let (written, formatted) = sources(&policies.join("payments"));
    let root = Some(policies.join("payments"));
    let before = Engine::from_sources(written, root.clone()).unwrap();
    let after = Engine::from_sources(formatted, root).unwrap();
    let mut changes: Vec<PathBuf> = std::fs::read_dir(policies.join("changes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    changes.sort();
    assert!(changes.len() >= 5);
    for path in changes {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = shipgate::parse_document(
            &text,
            shipgate::Format::from_path(&path.display().to_string()),
            "change",
        )
        .unwrap();
        let change = Change::from_json(&doc).unwrap();
        let now = shipgate::parse_instant("2026-12-18T09:00:00Z").unwrap();
        let a = before.evaluate(&change, &catalog, now, false).unwrap();
        let b = after.evaluate(&change, &catalog, now, false).unwrap();
        assert_eq!(
            comparable(a.to_json_value()),
            comparable(b.to_json_value()),
            "{}",
            path.display()
        );
    }
    // The other example set formats idempotently too.
    sources(&policies.join("follow-the-sun"));
}

/// Every layout rule at once (docs/language.md, "Layout"), as an exact text.
#[test]
fn the_canonical_layout() {
    let written = r#"# header

# second header
tiers low,high # trailing
extend change {
  ticket: string,   # the ticket
  cost: list<{a: int, b: string?}>

  # own line
  x: bool
}
extend service {a:int b:string}


rule r {   # after brace
  # first
  when change.size>10 and
     # middle
     change.emergency   # end of expr
  deny when not starts_with( change.ticket , "X" ) or change.kind subset of [ "a","b", ]
  message "m"

  require approval "cab" count 2


  # before close
}
rule empty {}
calendar c timezone "UTC" { window mon - thu , sat 09:00 - 16:00 blackout "x" monthly days -3 .. -1
blackout "w" weekly fri 18:00 - mon 06:00 }
rollback { trigger e > - 5% for 5m when -change.size < -3 on no_data fire }
notify "a", "b" when x # eof
# last
"#;
    let want = r#"# header

# second header
tiers low, high  # trailing
extend change {
  ticket: string  # the ticket
  cost: list<{ a: int, b: string? }>

  # own line
  x: bool
}
extend service { a: int, b: string }

rule r {  # after brace
  # first
  when change.size > 10 and
      # middle
      change.emergency  # end of expr
  deny when not starts_with(change.ticket, "X") or change.kind subset of ["a", "b"]
  message "m"

  require approval "cab" count 2
  # before close
}
rule empty {
}
calendar c timezone "UTC" {
  window mon-thu, sat 09:00-16:00
  blackout "x" monthly days -3..-1
  blackout "w" weekly fri 18:00 - mon 06:00
}
rollback {
  trigger e > -5% for 5m when -change.size < -3 on no_data fire
}
notify "a", "b" when x  # eof
# last
"#;
    assert_eq!(format_policy(written, "p.gate").unwrap(), want);
    // Aligned runs: a blank line or another kind of line ends one.
    let written = "tier high when a\ntier medium when b\n\ntier critical when c\ncondition a = x\ncondition bb = y\nregion eu uses a\nregion us-east uses b\n";
    let want = "tier high   when a\ntier medium when b\n\ntier critical when c\ncondition a  = x\ncondition bb = y\nregion eu      uses a\nregion us-east uses b\n";
    assert_eq!(format_policy(written, "p.gate").unwrap(), want);
}

#[test]
fn text_that_does_not_parse_is_located_and_not_formatted() {
    let e =
        format_policy("tiers low\nrule r {\n  deny change.size > 1\n}\n", "p.gate").unwrap_err();
    let loc = e.location().unwrap();
    assert_eq!((loc.path.as_str(), loc.line, loc.column), ("p.gate", 3, 8));
}

/// Separators between tokens: spaces, line breaks, blank lines, comments after code and on
/// lines of their own.
const SEPARATORS: &[&str] = &[
    " ",
    "  ",
    "\n",
    "\n\n",
    "\n\n\n  ",
    " # note\n",
    "\n# own line\n",
    "\t",
];

/// `text` with each run of whitespace outside strings replaced by a separator picked by
/// `picks` (cycled).
fn scramble(text: &str, picks: &[usize]) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut n = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            in_string = !in_string;
        }
        if !in_string && c.is_whitespace() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let pick = picks.get(n % picks.len().max(1)).copied().unwrap_or(0);
            out.push_str(SEPARATORS[pick % SEPARATORS.len()]);
            n += 1;
        } else {
            out.push(c);
        }
    }
    out
}

fn policy_text(exprs: &[String]) -> String {
    let e = |i: usize| exprs[i % exprs.len()].as_str();
    format!(
        "extend change {{ backups: list<{{service: string, taken_at: datetime}}> }}\n\
         tiers low, medium, high\n\
         groups cab\n\
         condition first = {}\n\
         condition second = first or ({})\n\
         tier high when {}\n\
         tier medium when second\n\
         rule guarded {{\n  when {}\n  require approval \"cab\" count 2\n}}\n\
         rule denies {{\n  deny when tier >= medium and ({})\n  message \"no {{change.id}}\"\n}}\n\
         rule allows {{ allow when second }}\n\
         strategy {{ canary when {} rolling otherwise }}\n\
         notify \"ops\", \"sre\" when {}\n",
        e(0),
        e(1),
        e(2),
        e(3),
        e(4),
        e(5),
        e(6)
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn formatting_is_idempotent_and_keeps_decisions(
        exprs in prop::collection::vec(boolean(), 1..8),
        picks in prop::collection::vec(0..SEPARATORS.len(), 1..40),
        w in world(),
    ) {
        let texts: Vec<String> = exprs.iter().map(B::text).collect();
        let written = scramble(&policy_text(&texts), &picks);
        let once = format_policy(&written, "p.gate")
            .unwrap_or_else(|e| panic!("{}\n{written}", e.render(false)));
        let twice = format_policy(&once, "p.gate").unwrap();
        prop_assert_eq!(&once, &twice, "written:\n{}", written);
        prop_assert!(once.matches("# note").count() == written.matches("# note").count());
        let before = Engine::from_source(&written, "p.gate").unwrap();
        let after = Engine::from_source(&once, "p.gate").unwrap();
        let (catalog, change) = inputs(&w);
        let now = "2026-12-01T09:00:00Z".parse().unwrap();
        let a = before.evaluate(&change, &catalog, now, false).unwrap();
        let b = after.evaluate(&change, &catalog, now, false).unwrap();
        prop_assert_eq!(comparable(a.to_json_value()), comparable(b.to_json_value()));
    }
}
