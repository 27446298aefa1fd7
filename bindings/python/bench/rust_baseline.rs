//! The Rust figures for the work `bench_evaluate.py` measures through Python: `evaluate` per
//! call for the example change, and `evaluate_many` for 100,000 changes.
//!
//! `cargo run --release -p shipgate-python --example rust_baseline [-- N]`

use std::error::Error;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use shipgate::{Catalog, Change, Engine, Format};

/// Median time per call over 7 runs of a loop that lasts about half a second in all.
fn per_call(mut f: impl FnMut()) -> Duration {
    let mut n: u32 = 1;
    loop {
        let t0 = Instant::now();
        for _ in 0..n {
            f();
        }
        if t0.elapsed() >= Duration::from_millis(100) {
            break;
        }
        n = n.saturating_mul(2);
    }
    let mut samples: Vec<Duration> = (0..7)
        .map(|_| {
            let t0 = Instant::now();
            for _ in 0..n {
                f();
            }
            t0.elapsed() / n
        })
        .collect();
    samples.sort();
    samples.get(3).copied().unwrap_or_default()
}

fn main() -> Result<(), Box<dyn Error>> {
    let many: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 100_000,
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let policies = root.join("policies");
    let engine = Engine::from_path(policies.join("payments"))?;
    let catalog = Catalog::from_text(
        &fs::read_to_string(policies.join("catalog.yaml"))?,
        Format::Yaml,
    )?;
    let example = policies.join("changes/chg-1043-ledger-migration.json");
    let text = fs::read_to_string(&example)?;
    let change = Change::from_text(&text, Format::Json)?;
    let now = shipgate::parse_instant("2026-12-01T09:00:00Z")?;

    let t = per_call(|| {
        let _ = std::hint::black_box(engine.evaluate(&change, &catalog, now, false));
    });
    println!(
        "evaluate(prepared Change)               {:>12.2} us/call",
        t.as_secs_f64() * 1e6
    );

    let mut bases = Vec::new();
    let mut files: Vec<_> = fs::read_dir(policies.join("changes"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for f in files {
        bases.push(Change::from_text(&fs::read_to_string(f)?, Format::Json)?);
    }
    let changes: Vec<Change> = (0..many)
        .filter_map(|i| {
            let mut c = bases.get(i % bases.len())?.clone();
            c.id = format!("{}-{i}", c.id);
            Some(c)
        })
        .collect();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t0 = Instant::now();
        let out = engine.evaluate_many(&changes, &catalog, now);
        best = best.min(t0.elapsed());
        std::hint::black_box(out);
    }
    println!(
        "evaluate_many({many} prepared)          {:>12.0} changes/s",
        many as f64 / best.as_secs_f64()
    );
    println!(
        "evaluate_many({many} prepared) wall     {:>12.2} ms",
        best.as_secs_f64() * 1e3
    );
    Ok(())
}
