//! The explain text of every example change of `policies/changes/`, decided against the
//! payments policy and the example catalog at one fixed `now`, kept as insta snapshots in
//! `tests/snapshots/`: a change to what `--explain` prints shows up as a diff to review.
//!
//! A missing or different snapshot fails. insta writes no snapshot in CI (`CI` set) and
//! otherwise only a `.snap.new` beside the old one; this test also fails on a missing
//! snapshot before insta is asked, unless the run is a deliberate bless:
//! `INSTA_UPDATE=always cargo test -p shipgate-cli --test explain_snapshots`, then review the
//! diff before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

/// Chosen so that the examples say something: CHG-1043's first CAB approval counts by then,
/// its run falls in the year-end freeze, and CHG-1047's only approval is its requester's.
const NOW: &str = "2026-12-18T09:00:00Z";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn explain(change: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .current_dir(root())
        .args(["check", "--policy", "policies/payments"])
        .args(["--catalog", "policies/catalog.yaml", "--change"])
        .arg(change)
        .args(["--now", NOW, "--explain"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(
        code <= 2,
        "{}: {}",
        change.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    format!("exit {code}\n{}", String::from_utf8(out.stdout).unwrap())
}

fn blessing() -> bool {
    matches!(
        std::env::var("INSTA_UPDATE").as_deref(),
        Ok("always" | "new" | "unseen")
    )
}

#[test]
fn the_explain_text_of_each_example_change() {
    let dir = root().join("policies/changes");
    let mut changes: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    changes.sort();
    assert!(changes.len() >= 7, "the example changes are missing");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for change in changes {
        let stem = change.file_stem().unwrap().to_str().unwrap().to_owned();
        let name = format!("explain__{stem}");
        let file = snapshots.join(format!("explain_snapshots__{name}.snap"));
        assert!(
            blessing() || file.exists(),
            "no snapshot {}: bless it with INSTA_UPDATE=always and review it",
            file.display()
        );
        let relative = change.strip_prefix(root()).unwrap().to_owned();
        insta::assert_snapshot!(name, explain(&relative));
    }
}
