#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! Issue 15: the same twelve rule shapes written over built-in fields and over `extend` fields
//! (ten of the change, two of the services), decided prepared (`session.decide_at`) and whole
//! (`evaluate`, the session's preparation included): the cost of a condition on an `extend`
//! field against the same condition on a built-in one. The generated family of the scale bench
//! compares the two paths on larger policies.
//!
//! `cargo bench -p shipgate-benches --bench extend`
use criterion::{Criterion, criterion_group, criterion_main};
use shipgate::{Catalog, Change, Engine, Format};
use shipgate_benches::now;
use std::hint::black_box;

const BUILTIN: &str = r#"
tiers low, high
default allow
groups cab
rule r1 { deny when change.emergency and change.size > 500 }
rule r2 { deny when "wip" in change.labels }
rule r3 { deny when change.requester == change.implementer }
rule r4 { deny when change.size > 1000 }
rule r5 { deny when not change.backward_compatible and "database" in change.kind }
rule r6 { deny when change.title == "forbidden" }
rule r7 { deny when "freeze" in change.labels and change.size > 10 }
rule r8 { deny when any s in change.services: s.tier == 0 and change.size > 900 }
rule r9 { deny when change.duration > 8h }
rule r10 { deny when change.requester in ["mallory", "eve"] }
rule r11 { deny when change.emergency and not change.backward_compatible }
rule r12 { deny when change.size < 0 }
"#;

const EXTEND: &str = r#"
tiers low, high
default allow
groups cab
extend change { urgent: bool, risk: int, env: string, action: string, roles: list<string>, compat: bool, tags: list<string>, hours: int, owner: string, ticket: string? }
extend service { pci: bool, crit: int }
rule r1 { deny when change.urgent and change.risk > 500 }
rule r2 { deny when "wip" in change.tags }
rule r3 { deny when change.env == change.action }
rule r4 { deny when change.risk > 1000 }
rule r5 { deny when not change.compat and "database" in change.roles }
rule r6 { deny when change.owner == "forbidden" }
rule r7 { deny when "freeze" in change.tags and change.risk > 10 }
rule r8 { deny when any s in change.services: s.crit == 0 and change.risk > 900 }
rule r9 { deny when change.hours > 8 }
rule r10 { deny when change.owner in ["mallory", "eve"] }
rule r11 { deny when change.urgent and not change.compat }
rule r12 { deny when change.risk < 0 }
"#;

const CAT_B: &str = r#"{"services": [
 {"id": "api", "tier": 1, "team": "t", "regions": ["eu"]},
 {"id": "db", "tier": 2, "team": "t", "regions": ["eu"]}]}"#;
const CAT: &str = r#"{"services": [
 {"id": "api", "tier": 1, "team": "t", "regions": ["eu"], "pci": true, "crit": 1},
 {"id": "db", "tier": 2, "team": "t", "regions": ["eu"], "pci": false, "crit": 2}]}"#;

const CH_B: &str = r#"{"id": "C1", "title": "t", "kind": ["application"], "services": ["api", "db"],
 "requester": "a", "implementer": "b", "start": "2026-12-01T10:00:00Z", "duration": "1h",
 "size": 100, "labels": ["x", "y"], "backward_compatible": true}"#;
const CH_E: &str = r#"{"id": "C1", "title": "t", "kind": ["application"], "services": ["api", "db"],
 "requester": "a", "implementer": "b", "start": "2026-12-01T10:00:00Z", "duration": "1h",
 "urgent": false, "risk": 100, "env": "prod", "action": "deploy", "roles": ["dev", "ops"],
 "compat": true, "tags": ["x", "y"], "hours": 1, "owner": "a"}"#;

fn bench(c: &mut Criterion) {
    for (name, src, ch, cat) in [
        ("builtin", BUILTIN, CH_B, CAT_B),
        ("extend", EXTEND, CH_E, CAT),
    ] {
        let catalog = Catalog::from_text(cat, Format::Json).unwrap();
        let engine = Engine::from_source(src, "p.gate").unwrap();
        let change = Change::from_text(ch, Format::Json).unwrap();
        let d = engine.evaluate(&change, &catalog, now(), false).unwrap();
        assert_eq!(d.verdict.to_string(), "allow", "{name}");
        let session = engine.session(&change, &catalog, now()).unwrap();
        let start = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc();
        c.bench_function(&format!("micro/{name}/prepared"), |b| {
            b.iter(|| session.decide_at(black_box(start)).unwrap())
        });
        c.bench_function(&format!("micro/{name}/evaluate"), |b| {
            b.iter(|| {
                engine
                    .evaluate(black_box(&change), &catalog, now(), false)
                    .unwrap()
            })
        });
    }
}
criterion_group!(benches, bench);
criterion_main!(benches);
