#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! The planner (issue 14): release trains of 100 to 10,000 changes over a catalog of 100,000
//! services in three regions with realistic calendars (`benches/src/train.rs`), under
//! `capacity N per region` and `capacity N`; and shapes it was not designed for: many
//! changes on a few services, `capacity 1`, and a rule that reads `change.start`.
//!
//! `cargo bench -p shipgate-benches --bench plan`
//!
//! Every train is generated, and its plan checked once (`check_plan`: every change planned
//! or unschedulable, `after`, same-service exclusion and capacity kept), before any timing.
//! Under `cargo test` (criterion's test mode) only the 100- and 1,000-change trains run, over a
//! catalog of 20,000 services, so CI stays fast.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::Value;
use shipgate::{Catalog, Change, Engine, Format};
use shipgate_benches::train::{
    Capacity, TrainShape, catalog_text, check_plan, from, policy_text, read_changes, train,
    without_cycles,
};

/// Criterion's test mode (`cargo test --benches`: run without `--bench`).
fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

struct Train {
    values: Vec<Value>,
    changes: Vec<Change>,
}

fn make_train(text: &str, catalog: &Catalog, shape: TrainShape) -> Train {
    let values = without_cycles(train(text, shape, 0x7a1_2026).unwrap(), catalog).unwrap();
    let changes = read_changes(&values).unwrap();
    Train { values, changes }
}

/// Plans once outside timing and checks the plan; prints what it holds.
fn checked(engine: &Engine, catalog: &Catalog, t: &Train, cap: Capacity, name: &str) {
    let started = std::time::Instant::now();
    let plan = engine.plan(&t.changes, catalog, from()).unwrap();
    let took = started.elapsed();
    let s = check_plan(&plan, &t.values, catalog, cap).unwrap();
    let roots = plan
        .unschedulable
        .iter()
        .filter(|u| !u.reason.starts_with("after"))
        .count();
    eprintln!(
        "{name}: {} changes, {} planned ({} runs, last ends {}), {} unschedulable ({roots} not \
         for a predecessor); one plan {:.1?}",
        t.changes.len(),
        s.planned,
        s.runs,
        s.last_end,
        s.unschedulable,
        took
    );
    for u in plan
        .unschedulable
        .iter()
        .filter(|u| !u.reason.starts_with("after"))
        .take(4)
    {
        eprintln!("  {}: {}", u.id, u.reason);
    }
    // Most are planned; the unschedulable are a few refused changes and those following them
    // (through the catalog, a refused change low in it is followed by many).
    assert!(s.planned * 10 >= t.changes.len() * 6, "{name}: {s:?}");
}

fn trains(c: &mut Criterion) {
    let services = if quick() { 20_000 } else { 100_000 };
    let sizes: &[usize] = if quick() {
        &[100, 1_000]
    } else {
        &[100, 1_000, 3_000, 10_000]
    };
    let text = catalog_text(services, 42);
    let catalog = Catalog::from_text(&text, Format::Json).unwrap();
    let mut g = c.benchmark_group("plan/train");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    for &n in sizes {
        let t = make_train(&text, &catalog, TrainShape::usual(n, services));
        // Eight changes at once per region; or 16 in all.
        for (name, cap) in [
            ("per_region", Capacity::PerRegion(8)),
            ("total", Capacity::Total(16)),
        ] {
            let engine = Engine::from_source(&policy_text(cap), "train.gate").unwrap();
            checked(
                &engine,
                &catalog,
                &t,
                cap,
                &format!("plan/train/{name}/{n}"),
            );
            g.bench_with_input(BenchmarkId::new(name, n), &t, |b, t| {
                b.iter(|| {
                    engine
                        .plan(black_box(&t.changes), &catalog, from())
                        .unwrap()
                })
            });
        }
    }
    g.finish();
}

/// Shapes the train was not designed for, 1,000 changes over the same catalog.
fn odd_shapes(c: &mut Criterion) {
    let services = if quick() { 20_000 } else { 100_000 };
    let n = if quick() { 200 } else { 1_000 };
    let text = catalog_text(services, 42);
    let catalog = Catalog::from_text(&text, Format::Json).unwrap();
    let mut g = c.benchmark_group("plan/odd");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));

    // Three picks in four among four services (one per tier): long queues per service.
    let few = TrainShape {
        hot: 4,
        ..TrainShape::usual(n, services)
    };
    let t = make_train(&text, &catalog, few);
    let cap = Capacity::PerRegion(3);
    let engine = Engine::from_source(&policy_text(cap), "train.gate").unwrap();
    checked(
        &engine,
        &catalog,
        &t,
        cap,
        &format!("plan/odd/few_services/{n}"),
    );
    g.bench_with_input(BenchmarkId::new("few_services", n), &t, |b, t| {
        b.iter(|| {
            engine
                .plan(black_box(&t.changes), &catalog, from())
                .unwrap()
        })
    });

    // The usual train under `capacity 1`: one change at a time, the train spans months.
    let t = make_train(&text, &catalog, TrainShape::usual(n, services));
    let cap = Capacity::Total(1);
    let engine = Engine::from_source(&policy_text(cap), "train.gate").unwrap();
    checked(
        &engine,
        &catalog,
        &t,
        cap,
        &format!("plan/odd/capacity_1/{n}"),
    );
    g.bench_with_input(BenchmarkId::new("capacity_1", n), &t, |b, t| {
        b.iter(|| {
            engine
                .plan(black_box(&t.changes), &catalog, from())
                .unwrap()
        })
    });

    // A rule that reads the start (no change on a Thursday afternoon in Berlin without a
    // ticket) and an optional `extend` field: the planner tries such a rule only at its
    // candidates.
    let cap = Capacity::PerRegion(3);
    let text_policy = format!(
        "{}\nextend change {{ ticket: string? }}\n\
         rule thursday_afternoon {{\n  deny when weekday(change.start, \"Europe/Berlin\") == \"thu\" \
         and hour(change.start, \"Europe/Berlin\") >= 12 and not (change has ticket)\n}}\n",
        policy_text(cap)
    );
    let engine = Engine::from_source(&text_policy, "train.gate").unwrap();
    checked(
        &engine,
        &catalog,
        &t,
        cap,
        &format!("plan/odd/start_rule/{n}"),
    );
    g.bench_with_input(BenchmarkId::new("start_rule", n), &t, |b, t| {
        b.iter(|| {
            engine
                .plan(black_box(&t.changes), &catalog, from())
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, trains, odd_shapes);
criterion_main!(benches);
