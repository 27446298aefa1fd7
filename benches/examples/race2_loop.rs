//! shipgate's side of the second race alone, for profiling (perf, callgrind) without the peers
//! or the agreement check (docs/performance.md, "The second race"):
//!
//! `race2_loop <allowed | denied | json | loop>[-typed] [N]`
//!
//! `allowed` and `denied` decide one prepared request N times (the race's first allowed
//! request, and its first one denied by three or more rules), `json` reads the denied one from
//! its JSON text and decides it N times, `loop` decides N requests of the 10,000-request corpus
//! in turn (the race's 100,000-decision loop). With `-typed`, the changes are read for the
//! engine (`Engine::read_change`, `Engine::prepare_change`), as the race reads them.

#![allow(clippy::unwrap_used)] // a measuring tool stops loudly on bad input

use std::hint::black_box;
use std::time::Instant;

use shipgate::{Change, Format};
use shipgate_benches::race2::{RACE2_CORPUS, Race2};
use shipgate_benches::{now, shipgate_from_json};

fn main() {
    let mut args = std::env::args().skip(1);
    let arg = args.next().unwrap_or_else(|| "allowed".to_string());
    let (what, typed) = match arg.strip_suffix("-typed") {
        Some(w) => (w.to_string(), true),
        None => (arg.clone(), false),
    };
    let n: usize = args
        .next()
        .map_or(1_000_000, |s| s.parse().unwrap_or(1_000_000));
    let mut race = Race2::new(RACE2_CORPUS).unwrap();
    if !typed {
        // The race reads its changes for the engine; read them again without it.
        for (c, json) in race.requests.iter_mut().zip(&race.requests_json) {
            *c = Change::from_json(json).unwrap();
        }
    }
    let allowed = race.find(|v| v.is_empty()).unwrap();
    let denied = race.find(|v| v.len() >= 3).unwrap();
    let now = now();
    let (engine, catalog) = (&race.engine, &race.catalog);
    let started = Instant::now();
    match what.as_str() {
        "allowed" | "denied" => {
            let change = &race.requests[if what == "allowed" { allowed } else { denied }];
            for _ in 0..n {
                black_box(
                    engine
                        .evaluate(black_box(change), catalog, now, false)
                        .unwrap(),
                );
            }
        }
        "json" => {
            let text = &race.requests_text[denied];
            for _ in 0..n {
                if typed {
                    black_box(shipgate_from_json(engine, catalog, black_box(text)).unwrap());
                } else {
                    let change = Change::from_text(black_box(text), Format::Json).unwrap();
                    black_box(engine.evaluate(&change, catalog, now, false).unwrap());
                }
            }
        }
        "loop" => {
            // As the race's loop: N distinct changes, the corpus cloned over and over.
            let corpus = &race.requests;
            let changes: Vec<_> = (0..n).map(|k| corpus[k % corpus.len()].clone()).collect();
            let started = Instant::now();
            for change in &changes {
                black_box(engine.evaluate(change, catalog, now, false).unwrap());
            }
            let took = started.elapsed();
            println!("{arg}: {n} decisions in {took:.2?}");
            return;
        }
        other => {
            eprintln!("usage: race2_loop <allowed | denied | json | loop> [N] (not {other:?})");
            std::process::exit(2);
        }
    }
    let took = started.elapsed();
    println!(
        "{arg}: {n} decisions in {took:.2?}, {:.1} ns each",
        took.as_secs_f64() * 1e9 / n as f64
    );
}
