//! The module map of `docs/architecture.md`, enforced: every `crate::<module>` a top-level
//! module of the library names must be one the map lets it use. The map is acyclic (checked
//! below), so the modules cannot form a cycle, and data flows one way: text -> AST -> checked
//! IR -> decision.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may use (the same table as the document).
const MAP: &[(&str, &[&str])] = &[
    ("span", &[]),
    ("time", &[]),
    ("digest", &[]),
    ("error", &["span"]),
    ("limits", &[]),
    ("syntax", &["span", "error"]),
    ("decision", &["time", "digest"]),
    ("input", &["error", "time", "digest", "limits"]),
    (
        "graph",
        &["input", "decision", "digest", "error", "time", "limits"],
    ),
    ("calendar", &["syntax", "span", "error", "time", "limits"]),
    (
        "check",
        &[
            "syntax", "span", "calendar", "decision", "digest", "input", "error", "time", "limits",
        ],
    ),
    (
        "eval",
        &[
            "check", "calendar", "decision", "graph", "input", "error", "span", "time", "limits",
        ],
    ),
    (
        "lint",
        &[
            "check", "calendar", "syntax", "input", "error", "span", "time",
        ],
    ),
    ("audit", &["decision", "error", "time"]),
    ("metrics", &["error", "time"]),
    (
        "replay",
        &["eval", "graph", "input", "decision", "error", "time"],
    ),
    ("query", &["check", "calendar", "decision", "error", "time"]),
    (
        "plan",
        &[
            "eval", "query", "check", "calendar", "decision", "graph", "input", "error", "span",
            "time",
        ],
    ),
];

/// Files that must not name a module although their top-level module may: the IR is the
/// checker's output and names nothing of the syntax tree.
const FILE_RULES: &[(&str, &str)] = &[("check/ir.rs", "syntax")];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Whether a file holds only tests (`tests.rs`, `model_tests.rs`, ...): tests may reach
/// anywhere to build their inputs.
fn is_test_file(p: &Path) -> bool {
    let name = p.file_stem().unwrap().to_string_lossy();
    name == "tests" || name.ends_with("_tests")
}

/// The text without line comments and without a trailing `#[cfg(test)] mod tests { ... }`.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named as `crate::m` or `crate::{m::.., n}` in `text`.
fn used_modules(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group, up to its matching brace.
            let (mut depth, mut start) = (0, 0);
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.insert(ident(&group[start..k]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&group[start..k]));
                        start = k + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

/// `(module, file, used module)` for every use the map does not allow, under `root`.
fn violations(root: &Path) -> Vec<String> {
    let map: BTreeMap<&str, &[&str]> = MAP.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap();
        let rel_text = rel.to_string_lossy().replace('\\', "/");
        if rel_text == "lib.rs" || is_test_file(&f) {
            continue; // the crate root wires every module together
        }
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(allowed) = map.get(module.as_str()) else {
            out.push(format!(
                "{rel_text}: module `{module}` is not in the module map (add it to docs/architecture.md and this test)"
            ));
            continue;
        };
        let text = std::fs::read_to_string(&f).unwrap();
        for used in used_modules(&code(&text)) {
            if used != module && !allowed.contains(&used.as_str()) {
                out.push(format!(
                    "{rel_text}: `{module}` may not use `crate::{used}`"
                ));
            }
            for (file, banned) in FILE_RULES {
                if rel_text == *file && used == *banned {
                    out.push(format!("{rel_text}: may not use `crate::{used}`"));
                }
            }
        }
    }
    out
}

#[test]
fn every_module_uses_only_what_the_map_allows() {
    let v = violations(&src());
    assert!(v.is_empty(), "{}", v.join("\n"));
}

#[test]
fn the_map_is_acyclic_and_names_only_its_own_modules() {
    let map: BTreeMap<&str, &[&str]> = MAP.iter().copied().collect();
    for (m, uses) in MAP {
        for u in *uses {
            assert!(
                map.contains_key(u),
                "{m} uses `{u}`, which the map does not list"
            );
        }
    }
    // Kahn's algorithm: repeatedly remove the modules that use nothing left.
    let mut left: BTreeMap<&str, BTreeSet<&str>> = MAP
        .iter()
        .map(|(m, uses)| (*m, uses.iter().copied().collect()))
        .collect();
    while !left.is_empty() {
        let free: Vec<&str> = left
            .iter()
            .filter(|(_, uses)| uses.is_empty())
            .map(|(m, _)| *m)
            .collect();
        assert!(
            !free.is_empty(),
            "the module map has a cycle among {left:?}"
        );
        for m in free {
            left.remove(m);
            for uses in left.values_mut() {
                uses.remove(m);
            }
        }
    }
}

#[test]
fn the_document_lists_every_module_of_the_map() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/architecture.md"),
    )
    .unwrap();
    for (m, uses) in MAP {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{m}` ")))
            .unwrap_or_else(|| panic!("docs/architecture.md has no row for `{m}`"));
        let may_use = row.rsplit('|').nth(1).unwrap();
        let listed: BTreeSet<&str> = may_use
            .split(',')
            .map(|s| s.trim().trim_matches('`'))
            .filter(|s| !s.is_empty() && *s != "nothing")
            .collect();
        let expected: BTreeSet<&str> = uses.iter().copied().collect();
        assert_eq!(listed, expected, "docs/architecture.md row of `{m}`");
    }
}

#[test]
fn the_scanner_sees_uses_in_every_form() {
    let text = "use crate::check::ir::*;\nuse crate::{eval, time::Instant};\n\
                let x = crate::graph::Catalog::new(); // crate::plan in a comment\n";
    let used: Vec<String> = used_modules(&code(text)).into_iter().collect();
    assert_eq!(used, ["check", "eval", "graph", "time"]);
}
