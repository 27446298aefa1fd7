#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a measurement tool

//! `evaluate_many` of the race corpus, its call and the caller's drop of the results timed
//! apart, a fixed number of times: for `perf stat` (page faults) and callgrind, which need a
//! known number of batches rather than criterion's adaptive loop. Beside each wall time, the
//! CPU time of the calling thread and of all the process's threads (Linux's
//! `/proc/.../schedstat`), which other jobs on the machine do not inflate as they do the
//! wall time: the caller's CPU in the drop is the drop's serial part.
//!
//! `cargo build --profile bench -p shipgate-benches --example batch_parts`, then from
//! `benches/`: `../target/release/examples/batch_parts THREADS [BATCHES] [CHANGES]`.

use std::time::Instant;

use shipgate_benches::{Race, now};

/// CPU time in ns of the calling thread, and of every thread of the process (0 off Linux).
fn cpu() -> (u64, u64) {
    let of = |path: &std::path::Path| -> u64 {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let own = of(std::path::Path::new("/proc/thread-self/schedstat"));
    let all = std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(Result::ok)
                .map(|t| of(&t.path().join("schedstat")))
                .sum()
        })
        .unwrap_or(0);
    (own, all)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let threads = args.first().copied().unwrap_or(2);
    let batches = args.get(1).copied().unwrap_or(5);
    let n = args.get(2).copied().unwrap_or(100_000);
    let race = Race::new(n).unwrap();
    let now = now();
    // One batch first, so that the pool and the engine's lazy indexes exist.
    drop(
        race.engine
            .evaluate_many_on(&race.changes, &race.catalog, now, threads),
    );
    let ms = |ns: u64| ns as f64 / 1e6;
    for _ in 0..batches {
        let (own0, all0) = cpu();
        let t = Instant::now();
        let out = race
            .engine
            .evaluate_many_on(&race.changes, &race.catalog, now, threads);
        let call = t.elapsed();
        let (own1, all1) = cpu();
        assert_eq!(out.len(), n);
        let t = Instant::now();
        drop(std::hint::black_box(out));
        let dropped = t.elapsed();
        let (own2, all2) = cpu();
        println!(
            "{threads} thread(s), {n} changes: call {:.1} ms (CPU: caller {:.1}, all {:.1}), \
             drop {:.1} ms (CPU: caller {:.1}, all {:.1})",
            call.as_secs_f64() * 1e3,
            ms(own1 - own0),
            ms(all1 - all0),
            dropped.as_secs_f64() * 1e3,
            ms(own2 - own1),
            ms(all2 - all1),
        );
    }
}
