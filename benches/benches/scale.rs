#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! How cost grows: compile and evaluate against policy sets of growing size (up to 1,000+
//! rules across 50 files), a catalog of up to 100,000 services and 300,000 edges (load with
//! its cycle check, waves, blast radius of one service), and `next_window` over calendars of
//! up to 1,000 blackouts and rrules across two years; hostile shapes of issue 12: a change with
//! 100,000 approvals (`scale/approvals`); issue 15: one family of rule shapes over built-in
//! fields and over `extend` fields (`scale/builtin`, `scale/extend`).
//!
//! `cargo bench -p shipgate-benches --bench scale`
//!
//! Under `cargo test` (criterion's test mode) the sizes are small so CI stays fast.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use shipgate::{Catalog, Change, Engine, Format, Limit, Limits, parse_instant};
use shipgate_benches::scale::{
    Fields, calendar_policy, catalog_text, dense_calendar_policy, family_catalog, family_change,
    family_sources, policy_sources, scale_change,
};
use shipgate_benches::{now, race_catalog};

/// Criterion's test mode (`cargo test --benches`: run without `--bench`): run each routine once on small inputs.
fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn sizes(full: &[usize], small: &[usize]) -> Vec<usize> {
    if quick() {
        small.to_vec()
    } else {
        full.to_vec()
    }
}

fn policies(c: &mut Criterion) {
    let catalog = Catalog::from_json(&race_catalog(200, 3)).unwrap();
    let change = Change::from_json(&scale_change(3)).unwrap();
    let now = now();
    let mut g = c.benchmark_group("scale/rules");
    g.sample_size(20);
    for rules in sizes(&[10, 100, 1_000, 5_000], &[10, 100]) {
        // 20 rules per file: 1,000 rules are 50 files.
        let files = (rules / 20).max(1);
        let sources = policy_sources(rules, files);
        g.bench_with_input(BenchmarkId::new("compile", rules), &sources, |b, s| {
            b.iter(|| Engine::from_sources(black_box(s.clone()), None).unwrap())
        });
        let engine = Engine::from_sources(sources, None).unwrap();
        g.bench_with_input(BenchmarkId::new("evaluate", rules), &engine, |b, e| {
            b.iter(|| {
                e.evaluate(black_box(&change), &catalog, now, false)
                    .unwrap()
            })
        });
    }
    g.finish();
}

/// Issue 15: the same rule shapes over built-in fields and over `extend` fields, side by side
/// (`scale/builtin/...` and `scale/extend/...`), so the two paths of the evaluator are
/// compared directly.
fn family(c: &mut Criterion) {
    let catalog = Catalog::from_json(&family_catalog()).unwrap();
    let change = Change::from_json(&family_change()).unwrap();
    let now = now();
    for fields in [Fields::BuiltIn, Fields::Extend] {
        let mut g = c.benchmark_group(format!("scale/{}", fields.name()));
        g.sample_size(20);
        for rules in sizes(&[10, 100, 1_000], &[10, 100]) {
            let sources = family_sources(rules, fields);
            g.bench_with_input(BenchmarkId::new("compile", rules), &sources, |b, s| {
                b.iter(|| Engine::from_sources(black_box(s.clone()), None).unwrap())
            });
            let engine = Engine::from_sources(sources, None).unwrap();
            g.bench_with_input(BenchmarkId::new("evaluate", rules), &engine, |b, e| {
                b.iter(|| {
                    e.evaluate(black_box(&change), &catalog, now, false)
                        .unwrap()
                })
            });
        }
        g.finish();
    }
}

fn catalogs(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale/catalog");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    for n in sizes(&[1_000, 10_000, 100_000], &[1_000]) {
        // Three dependencies per service: 100,000 services have 300,000 edges.
        let text = catalog_text(n, 3, 42);
        g.bench_with_input(BenchmarkId::new("load", n), &text, |b, t| {
            b.iter(|| Catalog::from_text(black_box(t), Format::Json).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("load_and_waves", n), &text, |b, t| {
            b.iter(|| {
                let catalog = Catalog::from_text(black_box(t), Format::Json).unwrap();
                let waves = catalog.all_deployment_waves().len();
                (catalog, waves)
            })
        });
        let catalog = Catalog::from_text(&text, Format::Json).unwrap();
        g.bench_with_input(BenchmarkId::new("waves", n), &catalog, |b, cat| {
            b.iter(|| black_box(cat).all_deployment_waves().len())
        });
        // Blast radius of one service: the root most of the graph depends on (worst case),
        // and a recent one (typical).
        let root = "svc-0".to_string();
        let leafish = format!("svc-{}", n - n / 100 - 1);
        for (name, s) in [
            ("blast_radius_root", root),
            ("blast_radius_recent", leafish),
        ] {
            g.bench_with_input(BenchmarkId::new(name, n), &catalog, |b, cat| {
                b.iter(|| black_box(cat).transitive_dependents(&[&s]).unwrap().len())
            });
        }
        // The waves of a change touching ten services spread over the catalog.
        let touched: Vec<String> = (0..10).map(|k| format!("svc-{}", k * (n / 10))).collect();
        g.bench_with_input(BenchmarkId::new("change_waves", n), &catalog, |b, cat| {
            b.iter(|| black_box(cat).deployment_waves(&touched).unwrap())
        });
    }
    g.finish();
}

/// Compiles a generated calendar policy. At 1,000 blackouts the realistic calendar counts
/// 100,284 recurrence starts a year, over the default limit of issue 12 (100,000), and the
/// bench stopped there: it raises that limit, which is not what it measures.
fn calendar_engine(name: &str, text: &str) -> Engine {
    let limits = Limits::default()
        .with(Limit::RruleStartsPerPolicy, 1_000_000)
        .unwrap();
    Engine::from_sources_with(vec![(name.to_string(), text.to_string())], None, &limits).unwrap()
}

fn calendars(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale/calendar");
    g.sample_size(20);
    let afters: Vec<_> = [
        "2027-01-04T07:00:00Z",
        "2027-06-15T16:55:00Z",
        "2027-12-24T12:00:00Z",
        "2028-03-01T03:00:00Z",
        "2028-10-20T17:30:00Z",
    ]
    .iter()
    .map(|t| parse_instant(t).unwrap())
    .collect();
    for n in sizes(&[10, 100, 1_000], &[10]) {
        let text = calendar_policy(n);
        g.bench_with_input(BenchmarkId::new("compile", n), &text, |b, t| {
            b.iter(|| calendar_engine("calendar.gate", black_box(t)))
        });
        let engine = calendar_engine("calendar.gate", &text);
        let dense = calendar_engine("dense.gate", &dense_calendar_policy(n));
        // Requests spread over the two years, for a 2h change: one call per iteration.
        for (name, e) in [("next_window", &engine), ("next_window_dense", &dense)] {
            g.bench_with_input(BenchmarkId::new(name, n), e, |b, e| {
                let mut k = 0;
                b.iter(|| {
                    k = (k + 1) % afters.len();
                    e.next_window("eu", afters[k], 7_200).unwrap()
                })
            });
        }
    }
    g.finish();
}

/// Issue 12, finding 2: counting approvals was quadratic (100,000 approvals: 28 s). A change
/// with `n` approvals from distinct members of a group of `n`, each given twice (the second a
/// duplicate), against a rule requiring three and a condition counting them per service.
fn approvals(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale/approvals");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    let engine = Engine::from_source(
        "rule gate {\n  require approval \"cab\" count 3\n}\n\
         rule per_service {\n  deny when any s in change.services: approvals(\"cab\") < 3\n}",
        "approvals.gate",
    )
    .unwrap();
    for n in sizes(&[1_000, 10_000, 100_000], &[1_000]) {
        let members: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let services: Vec<_> = (0..10)
            .map(|i| serde_json::json!({"id": format!("s{i}"), "tier": 1}))
            .collect();
        let catalog = Catalog::from_json(&serde_json::json!({
            "services": services, "groups": {"cab": members},
        }))
        .unwrap();
        let approvals: Vec<_> = (0..2 * n)
            .map(|i| {
                serde_json::json!({"by": format!("m{}", i % n), "group": "cab",
                    "at": "2026-12-01T08:00:00Z"})
            })
            .collect();
        let ids: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
        let change = Change::from_json(&serde_json::json!({
            "id": "CHG-1", "services": ids, "requester": "ana", "implementer": "bob",
            "start": "2026-12-01T10:00:00Z", "duration": "1h", "approvals": approvals,
        }))
        .unwrap();
        let at = parse_instant("2026-12-01T09:00:00Z").unwrap();
        g.bench_with_input(BenchmarkId::new("evaluate", n), &change, |b, ch| {
            b.iter(|| {
                let d = engine.evaluate(black_box(ch), &catalog, at, false).unwrap();
                assert_eq!(d.requirements[0].counted.len(), n);
                d
            })
        });
    }
    g.finish();
}

criterion_group!(benches, approvals, policies, family, catalogs, calendars);
criterion_main!(benches);
