#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! Issue 2: compile and evaluate on the example policy set `policies/` (policy
//! `policies/payments`, catalog `policies/catalog.yaml`, the changes of `policies/changes/`,
//! at `2026-12-01T09:00:00Z`), and the race policy on its own.
//!
//! `cargo bench -p shipgate-benches --bench engine`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use shipgate::{Catalog, Change, Engine, Format, parse_document};
use shipgate_benches::{Race, now, repo_root, shipgate_from_json};

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A change read from JSON text through a `Value` tree.
fn change_via_value(text: &str) -> Change {
    Change::from_json(&parse_document(text, Format::Json, "change").unwrap()).unwrap()
}

fn example_changes() -> Vec<(String, String, Change)> {
    let dir = repo_root().join("policies/changes");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let text = read(&p);
            let change = Change::from_text(&text, Format::from_path(&p.to_string_lossy())).unwrap();
            (name, text, change)
        })
        .collect()
}

fn payments(c: &mut Criterion) {
    let policy = repo_root().join("policies/payments");
    let catalog_text = read(&repo_root().join("policies/catalog.yaml"));
    let engine = Engine::from_path(&policy).unwrap();
    let catalog = Catalog::from_text(&catalog_text, Format::Yaml).unwrap();
    let changes = example_changes();
    let now = now();

    let mut g = c.benchmark_group("payments");
    g.bench_function("compile", |b| {
        b.iter(|| Engine::from_path(black_box(&policy)).unwrap())
    });
    g.bench_function("load_catalog", |b| {
        b.iter(|| Catalog::from_text(black_box(&catalog_text), Format::Yaml).unwrap())
    });
    for (name, _, change) in &changes {
        g.bench_function(format!("evaluate/{name}"), |b| {
            b.iter(|| {
                engine
                    .evaluate(black_box(change), &catalog, now, false)
                    .unwrap()
            })
        });
    }
    if let Some((name, text, change)) = changes.first() {
        g.bench_function(format!("evaluate_explain/{name}"), |b| {
            b.iter(|| {
                engine
                    .evaluate(black_box(change), &catalog, now, true)
                    .unwrap()
            })
        });
        g.bench_function(format!("from_json/{name}"), |b| {
            b.iter(|| shipgate_from_json(&engine, &catalog, black_box(text)).unwrap())
        });
        g.bench_function(format!("change_from_text/{name}"), |b| {
            b.iter(|| Change::from_text(black_box(text), Format::Json).unwrap())
        });
        g.bench_function(format!("change_via_value/{name}"), |b| {
            b.iter(|| change_via_value(black_box(text)))
        });
        let decision = engine.evaluate(change, &catalog, now, false).unwrap();
        g.bench_function(format!("decision_to_json/{name}"), |b| {
            b.iter(|| black_box(&decision).to_json())
        });
    }
    g.finish();
}

/// Issue 3: the schedule part of one decision, alone: the example's calendars and regions
/// with no rules, so what is timed is reading the regions, checking `[start, end)` in each
/// and finding its next window. The settings come along for their `extend` declarations:
/// without them the example changes' extra fields are unknown, and an input error.
fn schedule(c: &mut Criterion) {
    let payments = repo_root().join("policies/payments");
    let engine = Engine::from_paths(&[
        payments.join("settings.gate"),
        payments.join("calendars.gate"),
    ])
    .unwrap();
    let catalog = Catalog::from_text(
        &read(&repo_root().join("policies/catalog.yaml")),
        Format::Yaml,
    )
    .unwrap();
    let now = now();
    let mut g = c.benchmark_group("schedule");
    for (name, _, change) in example_changes() {
        let d = engine.evaluate(&change, &catalog, now, false).unwrap();
        assert!(!d.schedule.regions.is_empty(), "{name} touches a region");
        g.bench_function(format!("decision/{name}"), |b| {
            b.iter(|| {
                engine
                    .evaluate(black_box(&change), &catalog, now, false)
                    .unwrap()
            })
        });
    }
    let after = "2026-12-18T09:00:00Z".parse().unwrap();
    g.bench_function("next_window/eu-west/3h", |b| {
        b.iter(|| {
            engine
                .next_window("eu-west", black_box(after), 3 * 3600)
                .unwrap()
        })
    });
    g.finish();
}

fn race_policy(c: &mut Criterion) {
    let race = Race::new(1_000).unwrap();
    let allowed = race.find(|v| v.is_empty()).unwrap();
    let denied = race.find(|v| v.len() >= 3).unwrap();
    let now = now();
    let mut g = c.benchmark_group("release_gate");
    for (name, i) in [("allowed", allowed), ("denied", denied)] {
        g.bench_function(format!("evaluate/{name}"), |b| {
            b.iter(|| {
                race.engine
                    .evaluate(black_box(&race.changes[i]), &race.catalog, now, false)
                    .unwrap()
            })
        });
    }
    // Issue 6: the race's from-JSON case, on the denied change `race.rs` picks (677 bytes of
    // JSON): the decision alone, from the text, and the reading alone.
    let picked = race
        .find(|v| v.len() >= 3 && v.iter().any(|r| r == "separation_of_duties"))
        .unwrap();
    let text = &race.changes_text[picked];
    g.bench_function("evaluate/race_denied", |b| {
        b.iter(|| {
            race.engine
                .evaluate(black_box(&race.changes[picked]), &race.catalog, now, false)
                .unwrap()
        })
    });
    g.bench_function("from_json/race_denied", |b| {
        b.iter(|| shipgate_from_json(&race.engine, &race.catalog, black_box(text)).unwrap())
    });
    g.bench_function("change_from_text/race_denied", |b| {
        b.iter(|| Change::from_text(black_box(text), Format::Json).unwrap())
    });
    // The same through a `serde_json::Value` tree (the reader that gives the error messages),
    // alone and in a decision, to compare with the direct reading above in one run.
    g.bench_function("change_via_value/race_denied", |b| {
        b.iter(|| change_via_value(black_box(text)))
    });
    g.bench_function("from_json_via_value/race_denied", |b| {
        b.iter(|| {
            let change = change_via_value(black_box(text));
            race.engine
                .evaluate(&change, &race.catalog, now, false)
                .unwrap()
        })
    });
    // Issue 11: what the `inputs` digest costs when it is read. Deciding does not compute it;
    // the first read of a change's digest puts the change in canonical form (from its text, or
    // from its `Value` tree) and hashes it onto the catalog's state; a later decision of the
    // same change against the same catalog reuses the last digest.
    let fresh = || {
        let change = Change::from_text(text, Format::Json).unwrap();
        let d = race
            .engine
            .evaluate(&change, &race.catalog, now, false)
            .unwrap();
        (change, d)
    };
    g.bench_function("inputs_digest/first_from_text/race_denied", |b| {
        b.iter_batched(
            fresh,
            |(change, d)| (black_box(d.inputs.as_str().len()), change),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("inputs_digest/first_from_tree/race_denied", |b| {
        b.iter_batched(
            || {
                let change = change_via_value(text);
                let d = race
                    .engine
                    .evaluate(&change, &race.catalog, now, false)
                    .unwrap();
                (change, d)
            },
            |(change, d)| (black_box(d.inputs.as_str().len()), change),
            BatchSize::SmallInput,
        )
    });
    let change = &race.changes[picked];
    g.bench_function("inputs_digest/again/race_denied", |b| {
        b.iter_batched(
            || {
                race.engine
                    .evaluate(change, &race.catalog, now, false)
                    .unwrap()
            },
            |d| black_box(d.inputs.as_str().len()),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("decision_to_json_with_digest/race_denied", |b| {
        b.iter_batched(
            fresh,
            |(change, d)| (black_box(d.to_json()), change),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("from_json_to_json/race_denied", |b| {
        b.iter(|| {
            let change = Change::from_text(black_box(text), Format::Json).unwrap();
            let d = race
                .engine
                .evaluate(&change, &race.catalog, now, false)
                .unwrap();
            d.to_json()
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = payments, schedule, race_policy }
criterion_main!(benches);
