#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! Issue 16: the decision archive. Appending real decisions (the example policy's decision of
//! CHG-1043, about 2.5 kB of JSON) to a file archive, durably: in batches of 1,000 (one `fsync`
//! each) and one by one (an `fsync` each); and, when `SHIPGATE_TEST_POSTGRES` names a server,
//! 8 writer threads with their own connections appending to one PostgreSQL table (one
//! transaction per decision).
//!
//! `cargo bench -p shipgate-benches --bench audit`
//! (`SHIPGATE_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres` for the PostgreSQL
//! figure; it appends to the `shipgate_audit` table of that database.)

use std::path::PathBuf;
use std::time::{Duration, Instant as Clock};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shipgate::{AuditLog, Catalog, Change, Decision, Engine};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn decision() -> Decision {
    let policies = root().join("policies");
    let engine = Engine::from_path(policies.join("payments")).unwrap();
    let read = |p: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(policies.join(p)).unwrap();
        if p.ends_with(".yaml") {
            shipgate::parse_document(&text, shipgate::Format::Yaml, p).unwrap()
        } else {
            serde_json::from_str(&text).unwrap()
        }
    };
    let catalog = Catalog::from_json(&read("catalog.yaml")).unwrap();
    let change = Change::from_json(&read("changes/chg-1043-ledger-migration.json")).unwrap();
    let now = "2026-12-01T09:00:00Z".parse().unwrap();
    engine.evaluate(&change, &catalog, now, false).unwrap()
}

fn file_appends(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("shipgate-bench-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = decision();
    let batch: Vec<Decision> = (0..1000).map(|_| d.clone()).collect();
    let at = "2026-12-01T09:00:01Z".parse().unwrap();

    let mut group = c.benchmark_group("audit_file");
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(1000));
    let mut log = AuditLog::open_file(dir.join("batch.jsonl")).unwrap();
    group.bench_function("append_batch_1000_durable", |b| {
        b.iter(|| log.append_batch(&batch, at).unwrap())
    });
    group.throughput(Throughput::Elements(1));
    let mut log = AuditLog::open_file(dir.join("one.jsonl")).unwrap();
    group.bench_function("append_one_durable", |b| {
        b.iter(|| log.append(&d, at).unwrap())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn postgres_writers(c: &mut Criterion) {
    let Ok(url) = std::env::var("SHIPGATE_TEST_POSTGRES") else {
        eprintln!("audit_postgres skipped: set SHIPGATE_TEST_POSTGRES");
        return;
    };
    let d = decision();
    let at = "2026-12-01T09:00:01Z".parse().unwrap();
    let mut logs: Vec<AuditLog> = (0..8).map(|_| AuditLog::open(&url).unwrap()).collect();
    let mut group = c.benchmark_group("audit_postgres");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    // Each iteration: 8 writers, each appending 25 decisions one transaction at a time.
    group.throughput(Throughput::Elements(8 * 25));
    group.bench_function("8_writers_x_25_appends", |b| {
        b.iter_custom(|iters| {
            let start = Clock::now();
            for _ in 0..iters {
                std::thread::scope(|s| {
                    for log in logs.iter_mut() {
                        let d = &d;
                        s.spawn(move || {
                            for _ in 0..25 {
                                log.append(d, at).unwrap();
                            }
                        });
                    }
                });
            }
            start.elapsed()
        })
    });
    group.finish();
    assert!(logs[0].verify().unwrap().is_intact());
}

criterion_group!(benches, file_appends, postgres_writers);
criterion_main!(benches);
