//! Every policy example in `docs/*.md` compiles: each ```` ```gate ```` fenced block is a
//! complete policy and is compiled with `Engine`. The fence's flags say what is expected:
//!
//! - ```` ```gate ````: compiles;
//! - ```` ```gate,warning ````: compiles, with at least one warning;
//! - ```` ```gate,error ````: fails to compile with a policy error;
//! - ```` ```gate,ics ````: compiles with `tests/cases/spec-example` as the folder `ics` paths
//!   are relative to (it holds `calendars/de-holidays.ics`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use shipgate::{Engine, Error};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fenced `gate` block: where it starts, its flags and its text.
struct Block {
    file: String,
    line: usize,
    flags: Vec<String>,
    text: String,
}

/// The `gate` blocks of a Markdown text, in order. Other fences (`sh`, `text`, ...) are skipped.
/// As in CommonMark, a fence closes at a line of backticks alone (no info string).
fn gate_blocks(file: &str, markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    let mut in_other_fence = false;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim();
        let closes = trimmed == "```";
        if let Some(block) = open.as_mut() {
            if closes {
                blocks.push(open.take().unwrap());
            } else {
                block.text.push_str(line);
                block.text.push('\n');
            }
            continue;
        }
        if in_other_fence {
            in_other_fence = !closes;
            continue;
        }
        let Some(info) = trimmed.strip_prefix("```") else {
            continue;
        };
        let mut parts = info.split(',').map(str::trim);
        if parts.next() == Some("gate") {
            open = Some(Block {
                file: file.to_string(),
                line: i + 1,
                flags: parts.map(str::to_string).collect(),
                text: String::new(),
            });
        } else {
            in_other_fence = true;
        }
    }
    assert!(open.is_none(), "{file}: a ```gate block is not closed");
    blocks
}

fn doc_blocks() -> Vec<Block> {
    let docs = repo_root().join("docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&docs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let mut blocks = Vec::new();
    for f in files {
        let name = format!("docs/{}", f.file_name().unwrap().to_string_lossy());
        blocks.extend(gate_blocks(&name, &std::fs::read_to_string(&f).unwrap()));
    }
    blocks
}

/// Compiles a block as a file named after its Markdown file, padded with blank lines so that
/// diagnostics point at the Markdown file's own lines.
fn compile(block: &Block) -> Result<Engine, Error> {
    let text = "\n".repeat(block.line) + &block.text;
    if block.flags.iter().any(|f| f == "ics") {
        let root = repo_root().join("tests/cases/spec-example");
        Engine::from_sources(vec![(block.file.clone(), text)], Some(root))
    } else {
        Engine::from_source(&text, &block.file)
    }
}

#[test]
fn every_gate_block_in_the_docs_behaves_as_its_fence_says() {
    let blocks = doc_blocks();
    let mut failures = Vec::new();
    for b in &blocks {
        let at = format!("{}:{} ```gate{}", b.file, b.line, {
            let f = b.flags.join(",");
            if f.is_empty() { f } else { format!(",{f}") }
        });
        for f in &b.flags {
            if !["error", "warning", "ics"].contains(&f.as_str()) {
                failures.push(format!("{at}: unknown fence flag `{f}`"));
            }
        }
        let wants_error = b.flags.iter().any(|f| f == "error");
        let wants_warning = b.flags.iter().any(|f| f == "warning");
        match (compile(b), wants_error) {
            (Ok(engine), false) => {
                if wants_warning && engine.warnings().is_empty() {
                    failures.push(format!("{at}: expected a warning, got none"));
                }
            }
            (Ok(_), true) => failures.push(format!("{at}: compiled, but should fail")),
            (Err(Error::Policy(_)), true) => {}
            (Err(e), true) => failures.push(format!("{at}: failed, but not in the policy: {e}")),
            (Err(Error::Policy(p)), false) => {
                failures.push(format!("{at}: does not compile:\n{}", p.render(false)))
            }
            (Err(e), false) => failures.push(format!("{at}: does not compile: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_language_reference_has_examples_of_every_kind() {
    let blocks = doc_blocks();
    let count = |file: &str, flag: Option<&str>| {
        blocks
            .iter()
            .filter(|b| b.file == file)
            .filter(|b| match flag {
                Some(f) => b.flags.iter().any(|x| x == f),
                None => b.flags.is_empty(),
            })
            .count()
    };
    let plain = count("docs/language.md", None);
    assert!(plain >= 15, "only {plain} examples in docs/language.md");
    assert!(count("docs/language.md", Some("error")) >= 5);
    assert!(count("docs/language.md", Some("warning")) >= 1);
    assert!(count("docs/calendars.md", None) + count("docs/calendars.md", Some("ics")) >= 5);
}

#[test]
fn fences_are_found_with_their_flags_and_lines() {
    let md = "text\n```gate\nrule a { deny when true }\n```\n```sh\n```gate\n```\n\
              ```gate,error\nrule\n```\n";
    let blocks = gate_blocks("x.md", md);
    assert_eq!(
        blocks.len(),
        2,
        "the ```gate inside the sh fence is not a block"
    );
    assert_eq!(blocks[0].line, 2);
    assert_eq!(blocks[0].text, "rule a { deny when true }\n");
    assert!(blocks[0].flags.is_empty());
    assert_eq!(blocks[1].line, 8);
    assert_eq!(blocks[1].flags, vec!["error".to_string()]);
}

/// `[case-a, case-b]` groups (not links) in a Markdown text: the corpus cases it cites.
fn cited_cases(markdown: &str) -> Vec<String> {
    let text = markdown.replace('\n', " ");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inside = &after[..close];
        let is_link = after[close + 1..].starts_with('(');
        let names: Vec<&str> = inside.split(',').map(str::trim).collect();
        let case_like = |n: &str| {
            n.contains('-')
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !is_link && names.iter().all(|n| case_like(n)) {
            out.extend(names.into_iter().map(str::to_string));
        }
        rest = &after[close + 1..];
    }
    out
}

#[test]
fn cases_cited_in_the_semantics_exist() {
    let text = std::fs::read_to_string(repo_root().join("docs/semantics.md")).unwrap();
    let cited = cited_cases(&text);
    assert!(
        cited.len() >= 20,
        "docs/semantics.md cites {} cases",
        cited.len()
    );
    let missing: Vec<&String> = cited
        .iter()
        .filter(|c| !repo_root().join("tests/cases").join(c).is_dir())
        .collect();
    assert!(
        missing.is_empty(),
        "cited but not in tests/cases: {missing:?}"
    );
}

#[test]
fn citations_are_told_from_links() {
    let md = "see [a-b, c-d] and [calendars.md](calendars.md) and [x]\n[e-\nf]";
    assert_eq!(cited_cases(md), vec!["a-b", "c-d"]);
}

/// The follow-the-sun example of docs/calendars.md is the policy of the corpus case whose
/// decision its sample shows (the sample itself is checked by the CLI's samples test).
#[test]
fn the_follow_the_sun_example_is_the_corpus_case() {
    let md = std::fs::read_to_string(repo_root().join("docs/calendars.md")).unwrap();
    let blocks = gate_blocks("docs/calendars.md", &md);
    let section = md.find("### Worked example: follow the sun").unwrap();
    let line = md[..section].lines().count();
    let block = blocks.iter().find(|b| b.line > line).unwrap();
    let case = std::fs::read_to_string(
        repo_root().join("tests/cases/calendar-three-regions-window-days-away/calendars.gate"),
    )
    .unwrap();
    let policy: String = case
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(block.text, policy);
}
