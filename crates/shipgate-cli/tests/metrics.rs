//! `shipgate metrics`: the command over the example history, its SVG picture, its errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shipgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const HISTORY: &str = "policies/history/deployments.jsonl";

#[test]
fn json_and_csv_histories_give_the_same_figures() {
    let json = shipgate(&[
        "metrics",
        "--history",
        HISTORY,
        "--by",
        "team",
        "--format",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(0), "{json:?}");
    let csv = shipgate(&[
        "metrics",
        "--history",
        "policies/history/deployments.csv",
        "--by",
        "team",
        "--format",
        "json",
    ]);
    assert_eq!(stdout(&json), stdout(&csv));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["deployments"], 42);
    let sum: u64 = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["deployments"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 42, "every deployment is in one group");
    // The deployments without a team are the last group, keyed null.
    assert_eq!(
        v["groups"].as_array().unwrap().last().unwrap()["key"],
        serde_json::Value::Null
    );
}

#[test]
fn an_explicit_format_overrides_the_extension() {
    let o = shipgate(&["metrics", "--history", HISTORY, "--history-format", "csv"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("deployments.jsonl:1: unknown column"), "{err}");
}

#[test]
fn an_input_error_exits_3_with_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.jsonl");
    std::fs::write(
        &path,
        "{\"change\": \"a\", \"service\": \"s\", \"committed_at\": \"2026-11-02T00:00:00Z\", \"deployed_at\": \"2026-11-01T00:00:00Z\", \"failed\": false}\n",
    )
    .unwrap();
    let o = shipgate(&["metrics", "--history", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("h.jsonl:1: deployed_at: 2026-11-01T00:00:00Z is before committed_at"),
        "{err}"
    );
}

#[test]
fn the_svg_is_well_formed_and_draws_the_four_series() {
    let o = shipgate(&["metrics", "--history", HISTORY, "--format", "svg"]);
    assert_eq!(o.status.code(), Some(0));
    let svg = stdout(&o);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for title in [
        "Deployments per week",
        "Lead time, median (hours)",
        "Change failure rate (%)",
        "Time to restore, median (hours)",
    ] {
        // The panel's caption and the legend of its series.
        assert_eq!(texts.iter().filter(|t| **t == title).count(), 2, "{title}");
    }
    assert!(texts.contains(&"week starting (UTC)"));
    // Six weeks of history: each series is one line through its weekly points, in its colour
    // (the second line of that colour is its legend's sample). One week has no restored
    // failure: no point for time to restore there, rather than a 0.
    for (colour, weeks) in [
        ("#1F77B4", 6),
        ("#2CA02C", 6),
        ("#D62728", 6),
        ("#9467BD", 5),
    ] {
        let points: Vec<usize> = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(colour))
            .map(|n| n.attribute("points").unwrap().split_whitespace().count())
            .collect();
        assert_eq!(points, [weeks, 2], "{colour}");
    }
}

/// Writes docs/metrics.png, the picture of the example history, rendered by resvg:
/// `cargo test -p shipgate-cli --test metrics -- --ignored render_the_png`.
#[test]
#[ignore = "writes docs/metrics.png; run it after changing the picture"]
fn render_the_png() {
    let o = shipgate(&["metrics", "--history", HISTORY, "--format", "svg"]);
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    // The picture asks for "sans-serif": map it to a sans face the machine has.
    let sans = options
        .fontdb
        .faces()
        .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
        .find(|name| name.contains("Sans") && !name.contains("Mono"))
        .expect("a sans-serif font installed");
    options.fontdb_mut().set_sans_serif_family(sans);
    let tree = resvg::usvg::Tree::from_str(&stdout(&o), &options).unwrap();
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.save_png(root().join("docs/metrics.png")).unwrap();
}
