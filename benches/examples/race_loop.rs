//! shipgate's side of the first race (the release gate) alone, for profiling (perf, callgrind)
//! without the peers or the agreement check (docs/performance.md):
//!
//! `race_loop <allowed | denied | json> [N]`
//!
//! `allowed` and `denied` decide one change N times, as `release_gate/evaluate/{allowed,denied}`
//! of the engine bench picks them (the first allowed change of a 1,000-change corpus, and the
//! first denied by three or more rules); `json` reads the denied change of
//! `release_gate/from_json/race_denied` from its JSON text for the engine and decides it N
//! times. Under callgrind, N+1 decisions less 1 is one decision's count.

#![allow(clippy::unwrap_used)] // a measuring tool stops loudly on bad input

use std::hint::black_box;
use std::time::Instant;

use shipgate_benches::{Race, now, shipgate_from_json};

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "allowed".to_string());
    let n: usize = args
        .next()
        .map_or(1_000_000, |s| s.parse().unwrap_or(1_000_000));
    let race = Race::new(1_000).unwrap();
    let allowed = race.find(|v| v.is_empty()).unwrap();
    let denied = race.find(|v| v.len() >= 3).unwrap();
    let now = now();
    let (engine, catalog) = (&race.engine, &race.catalog);
    let started = Instant::now();
    match what.as_str() {
        "allowed" | "denied" => {
            let change = &race.changes[if what == "allowed" { allowed } else { denied }];
            for _ in 0..n {
                black_box(
                    engine
                        .evaluate(black_box(change), catalog, now, false)
                        .unwrap(),
                );
            }
        }
        "json" => {
            let picked = race
                .find(|v| v.len() >= 3 && v.iter().any(|r| r == "separation_of_duties"))
                .unwrap();
            let text = &race.changes_text[picked];
            for _ in 0..n {
                black_box(shipgate_from_json(engine, catalog, black_box(text)).unwrap());
            }
        }
        other => {
            eprintln!("usage: race_loop <allowed | denied | json> [N] (not {other:?})");
            std::process::exit(2);
        }
    }
    println!("{what}: {n} decisions in {:.2?}", started.elapsed());
}
