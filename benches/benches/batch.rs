#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! The scale goals of issue 17:
//! - `batch/evaluate_many/{1,2}`: 100,000 decisions by `Engine::evaluate_many_on` on one and
//!   on two threads (goal: at least 1.8x on two cores), the results dropped inside the timing;
//!   `batch/evaluate_many/call/{1,2}`: the same with the results dropped outside it (the
//!   caller's serial work after the call);
//! - `batch/replay`: 1,000,000 generated changes replayed under two policies, streamed from a
//!   reader that writes them as they are read (goal: under 2 s on two cores);
//! - `batch/metrics`: the metrics of 1,000,000 history lines (goal:
//!   under 1 s), the lines generated into memory beforehand.
//!
//! `cargo bench -p shipgate-benches --bench batch`
//!
//! Under `cargo test` (criterion's test mode) the sizes are small so CI stays fast.

use std::hint::black_box;
use std::io::Read;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use shipgate::{HistoryFormat, MetricsQuery};
use shipgate_benches::{Race, now};

fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// A reader that makes `lines` lines one at a time with `line(i)`: a file of any length
/// without holding it, so a bench measures streaming, not a vector in memory.
struct Lines<F> {
    next: usize,
    lines: usize,
    line: F,
    buf: Vec<u8>,
    at: usize,
}

impl<F: FnMut(usize, &mut Vec<u8>)> Lines<F> {
    fn new(lines: usize, line: F) -> Self {
        Lines {
            next: 0,
            lines,
            line,
            buf: Vec::new(),
            at: 0,
        }
    }
}

impl<F: FnMut(usize, &mut Vec<u8>)> Read for Lines<F> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.buf.len() {
            if self.next == self.lines {
                return Ok(0);
            }
            self.buf.clear();
            self.at = 0;
            (self.line)(self.next, &mut self.buf);
            self.next += 1;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn evaluate_many(c: &mut Criterion) {
    let n = if quick() { 2_000 } else { 100_000 };
    let race = Race::new(n).unwrap();
    let now = now();
    let mut g = c.benchmark_group("batch/evaluate_many");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for threads in [1, 2] {
        g.bench_with_input(BenchmarkId::from_parameter(threads), &threads, |b, &t| {
            b.iter(|| {
                let out = race
                    .engine
                    .evaluate_many_on(&race.changes, &race.catalog, now, t);
                assert_eq!(out.len(), n);
                black_box(out)
            })
        });
    }
    // The call alone: the 100,000 decisions are dropped outside the timing. Dropping them is
    // the caller's work, on the caller's thread, after the call; the figure above includes it,
    // and the difference between the two is that serial part.
    for threads in [1, 2] {
        g.bench_with_input(BenchmarkId::new("call", threads), &threads, |b, &t| {
            b.iter_with_large_drop(|| {
                let out = race
                    .engine
                    .evaluate_many_on(&race.changes, &race.catalog, now, t);
                assert_eq!(out.len(), n);
                out
            })
        });
    }
    g.finish();
}

fn replay(c: &mut Criterion) {
    let n = if quick() { 2_000 } else { 1_000_000 };
    // 10,000 distinct changes, each line one of them with its `now`, so parsing and deciding
    // are real work and nothing is cached across lines.
    let race = Race::new(10_000).unwrap();
    let new = shipgate::Engine::from_source(
        &format!(
            "{}\nrule tightened {{ deny when change.size > 400 }}\n",
            shipgate_benches::race_source("gate").unwrap()
        ),
        "release.gate",
    )
    .unwrap();
    let now = shipgate::format_instant(now());
    let texts: Vec<Vec<u8>> = race
        .changes_text
        .iter()
        .map(|c| format!("{{\"change\": {c}, \"now\": \"{now}\"}}\n").into_bytes())
        .collect();
    let mut g = c.benchmark_group("batch/replay");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            let lines = Lines::new(n, |i, buf| buf.extend_from_slice(&texts[i % texts.len()]));
            let reader = std::io::BufReader::with_capacity(1 << 16, lines);
            let r = race
                .engine
                .replay(&new, &race.catalog, reader, "changes.jsonl")
                .unwrap();
            assert_eq!(r.total, n as u64);
            black_box(r)
        })
    });
    g.finish();
}

fn metrics(c: &mut Criterion) {
    let n = if quick() { 5_000 } else { 1_000_000 };
    let services = [
        "ledger-db",
        "payments-api",
        "fraud-worker",
        "checkout-web",
        "reporting",
    ];
    let line = |i: usize, buf: &mut Vec<u8>| {
        use std::io::Write;
        // One deployment every 30 s from 2026-01-01, lead times up to 3 days, 1 in 7 failed.
        let deployed = 1_767_225_600 + i as i64 * 30;
        let committed = deployed - (i as i64 * 7919) % 259_200;
        let t = |s: i64| shipgate::format_instant(chrono::DateTime::from_timestamp(s, 0).unwrap());
        let failed = i % 7 == 0;
        let _ = write!(
            buf,
            "{{\"change\": \"CHG-{i}\", \"service\": \"{}\", \"team\": \"t{}\", \"committed_at\": \"{}\", \"deployed_at\": \"{}\", \"failed\": {failed}",
            services[i % services.len()],
            i % 3,
            t(committed),
            t(deployed),
        );
        if failed {
            let _ = write!(
                buf,
                ", \"restored_at\": \"{}\"",
                t(deployed + 600 + (i as i64 % 3600))
            );
        }
        buf.extend_from_slice(b"}\n");
    };
    let mut g = c.benchmark_group("batch/metrics");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    // The lines are generated beforehand: the bench measures reading them, not writing them.
    let mut text = Vec::new();
    for i in 0..n {
        line(i, &mut text);
    }
    g.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            let mut q = MetricsQuery::new();
            q.by = Some(shipgate::GroupBy::Service);
            let m = shipgate::metrics(&text[..], "history.jsonl", HistoryFormat::JsonLines, &q)
                .unwrap();
            assert_eq!(m.overall.deployments, n as u64);
            black_box(m)
        })
    });
    g.finish();
}

criterion_group!(benches, evaluate_many, replay, metrics);
criterion_main!(benches);
