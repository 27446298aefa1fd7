//! The sample outputs in README.md, docs/cli.md, docs/calendars.md, docs/planning.md,
//! docs/rollback.md, docs/explain.md, docs/governance.md, docs/lint.md and docs/metrics.md are
//! what the command really prints.
//!
//! A sample is a ```` ```text ```` block whose first line is a command, `$ shipgate ARGS`
//! (continued on the next lines after a trailing `\`), and whose other lines are the output,
//! exactly: standard error then standard output, colour off, run from the repository root.
//! The test runs every sample and compares byte for byte, so a sample cannot drift from the
//! real output, nor the output from the documented one, without the test failing.
//!
//! `SHIPGATE_BLESS=1 cargo test -p shipgate-cli --test samples` rewrites each sample's output
//! with the real one; review the diff before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Markdown files whose samples are checked, relative to the repository root.
const FILES: [&str; 9] = [
    "README.md",
    "docs/cli.md",
    "docs/calendars.md",
    "docs/planning.md",
    "docs/rollback.md",
    "docs/explain.md",
    "docs/governance.md",
    "docs/lint.md",
    "docs/metrics.md",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One sample: where it is, the command's arguments, and the output as written.
struct Sample {
    file: &'static str,
    /// 1-based line of the `$ shipgate` line.
    line: usize,
    args: Vec<String>,
    /// 0-based line range of the output inside the file.
    output_lines: std::ops::Range<usize>,
    output: String,
}

/// The samples of a Markdown text, in order. Other fences are skipped.
fn samples(file: &'static str, markdown: &str) -> Vec<Sample> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim();
        i += 1;
        if !fence.starts_with("```") {
            continue;
        }
        let is_text = fence == "```text";
        let body_start = i;
        while i < lines.len() && lines[i].trim() != "```" {
            i += 1;
        }
        let body = &lines[body_start..i.min(lines.len())];
        assert!(
            i < lines.len(),
            "{file}:{body_start}: a fence is not closed"
        );
        i += 1; // the closing fence
        let Some(first) = body.first() else { continue };
        if !is_text || !first.starts_with("$ shipgate ") {
            continue;
        }
        let mut command = String::new();
        let mut n = 0;
        for line in body {
            n += 1;
            match line.strip_suffix('\\') {
                Some(part) => {
                    command.push_str(part);
                    command.push(' ');
                }
                None => {
                    command.push_str(line);
                    break;
                }
            }
        }
        assert!(
            !command.contains(['"', '\'', '`', '|', '>', '<', '*'])
                && command.matches('$').count() == 1,
            "{file}:{}: a sample command is plain words, no quotes, pipes or variables: {command}",
            body_start + 1
        );
        let mut words = command.split_whitespace().skip(1); // `$`
        assert_eq!(words.next(), Some("shipgate"));
        let output_lines = body_start + n..body_start + body.len();
        let mut output = String::new();
        for line in &lines[output_lines.clone()] {
            output.push_str(line);
            output.push('\n');
        }
        out.push(Sample {
            file,
            line: body_start + 1,
            args: words.map(str::to_string).collect(),
            output_lines,
            output,
        });
    }
    out
}

/// What a terminal shows for the command, colour off: standard error, then standard output.
fn run(args: &[String]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let mut text = String::from_utf8(o.stderr).unwrap();
    text.push_str(&String::from_utf8(o.stdout).unwrap());
    text
}

#[test]
fn every_sample_output_is_the_real_output() {
    let bless = std::env::var_os("SHIPGATE_BLESS").is_some();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in FILES {
        let path = root().join(file);
        let markdown = std::fs::read_to_string(&path).unwrap();
        let found = samples(file, &markdown);
        let mut lines: Vec<String> = markdown.lines().map(str::to_string).collect();
        // Rewrite from the last sample so that earlier line numbers stay valid.
        for s in found.iter().rev() {
            count += 1;
            let real = run(&s.args);
            if real == s.output {
                continue;
            }
            if bless {
                lines.splice(s.output_lines.clone(), real.lines().map(str::to_string));
            } else {
                failures.push(format!(
                    "{}:{}: `shipgate {}` prints\n{real}--- but the sample says\n{}---",
                    s.file,
                    s.line,
                    s.args.join(" "),
                    s.output
                ));
            }
        }
        if bless {
            let mut text = lines.join("\n");
            text.push('\n');
            if text != markdown {
                std::fs::write(&path, text).unwrap();
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} sample(s) differ from the real output (SHIPGATE_BLESS=1 rewrites them):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_readme_shows_the_check_of_the_ledger_migration() {
    // The README's "What it does" block is a sample, so the test above runs it.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let found = samples("README.md", &readme);
    let check = found
        .iter()
        .find(|s| s.args.first().map(String::as_str) == Some("check"))
        .expect("README.md has a `$ shipgate check` sample");
    assert!(
        check
            .args
            .contains(&"policies/changes/chg-1043-ledger-migration.json".to_string()),
        "{:?}",
        check.args
    );
    assert!(
        check.output.starts_with("DENY  CHG-1043"),
        "{}",
        check.output
    );
    // docs/cli.md has samples of its own.
    let cli = std::fs::read_to_string(root().join("docs/cli.md")).unwrap();
    assert!(samples("docs/cli.md", &cli).len() >= 3);
    // docs/calendars.md shows a service blocked by its upstream's batch, and what applies to
    // that service.
    let calendars = std::fs::read_to_string(root().join("docs/calendars.md")).unwrap();
    let found = samples("docs/calendars.md", &calendars);
    assert!(
        found
            .iter()
            .any(|s| s.args.contains(&"--service".to_string()))
    );
    assert!(
        found
            .iter()
            .any(|s| s.output.contains("service payments-web (ledger-batch)"))
    );
}

#[test]
fn samples_are_parsed_with_their_continuations() {
    let md = "text\n```sh\n$ shipgate not a sample\n```\n```text\n$ shipgate check --a 1 \\\n    \
              --b 2\nDENY  X\n\nmore\n```\n```text\nnot a command\n```\n";
    let found = samples("x.md", md);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].args, ["check", "--a", "1", "--b", "2"]);
    assert_eq!(found[0].output, "DENY  X\n\nmore\n");
    assert_eq!(found[0].line, 6);
    assert_eq!(found[0].output_lines, 7..10);
}
