#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! Issue 13: the whole change's window (`Engine::change_next_window`) for a change spanning
//! London, New York and Singapore whose regions also use two system calendars (a ledger's
//! batch runs and a card network's freezes) of 1,000 one-off blackouts each: five calendars in
//! three zones, searched by leapfrogging over their open stretches. Also the worst case, three
//! regions that never share an hour (the search walks the whole 365-day horizon), and the
//! decision of that change.
//!
//! `cargo bench -p shipgate-benches --bench whole`

use std::fmt::Write;
use std::hint::black_box;

use chrono::TimeDelta;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use shipgate::{Catalog, Change, Engine, Instant};

/// `n` one-off blackouts of `minutes`, the first at `first` (local time), every `every`.
fn blackouts(out: &mut String, name: &str, n: usize, first: &str, every: TimeDelta, minutes: i64) {
    let mut at = chrono::NaiveDateTime::parse_from_str(first, "%Y-%m-%dT%H:%M").unwrap();
    for i in 0..n {
        let end = at + TimeDelta::minutes(minutes);
        let _ = writeln!(
            out,
            "  blackout \"{name} {i}\" from {} to {}",
            at.format("%Y-%m-%dT%H:%M"),
            end.format("%Y-%m-%dT%H:%M")
        );
        at += every;
    }
}

/// The follow-the-sun policy: the three regions share 11:00-18:00 UTC on weekdays (in
/// winter); `ledger` (London time) and `cards` (New York time) black out 1,000 stretches each.
fn policy(windows: [&str; 3]) -> String {
    let mut src = String::new();
    let _ = writeln!(
        src,
        "calendar london timezone \"Europe/London\" {{ window {} }}",
        windows[0]
    );
    let _ = writeln!(
        src,
        "calendar new-york timezone \"America/New_York\" {{ window {} }}",
        windows[1]
    );
    let _ = writeln!(
        src,
        "calendar singapore timezone \"Asia/Singapore\" {{ window {} }}",
        windows[2]
    );
    src.push_str("calendar ledger timezone \"Europe/London\" {\n");
    blackouts(
        &mut src,
        "batch",
        1_000,
        "2026-12-01T00:00",
        TimeDelta::minutes(8 * 60 + 45),
        30,
    );
    src.push_str("}\ncalendar cards timezone \"America/New_York\" {\n");
    blackouts(
        &mut src,
        "freeze",
        1_000,
        "2026-12-01T03:00",
        TimeDelta::minutes(8 * 60 + 37),
        45,
    );
    src.push_str("}\n");
    src.push_str("region eu uses london, ledger\nregion us uses new-york, cards\nregion apac uses singapore\n");
    src
}

fn whole(c: &mut Criterion) {
    let catalog = Catalog::from_json(&json!({"services": [
        {"id": "ledger", "team": "payments", "tier": 1, "regions": ["eu", "us", "apac"]}
    ]}))
    .unwrap();
    let change = Change::from_json(&json!({
        "id": "CHG-1", "services": ["ledger"], "requester": "bob", "implementer": "chen",
        "start": "2026-12-14T12:00:00Z", "duration": "2h"
    }))
    .unwrap();
    let after: Instant = "2026-12-14T12:00:00Z".parse().unwrap();
    let common = Engine::from_source(
        &policy([
            "mon-fri 07:00-19:00",
            "mon-fri 06:00-18:00",
            "mon-fri 19:00-02:00",
        ]),
        "whole.gate",
    )
    .unwrap();
    let never = Engine::from_source(
        &policy([
            "mon-fri 09:00-17:00",
            "mon-fri 09:00-17:00",
            "mon-fri 09:00-17:00",
        ]),
        "whole.gate",
    )
    .unwrap();
    // Warm the yearly indexes (built once per calendar and year, then shared), and check
    // that the benchmark measures what it says.
    let found = common.change_next_window(&change, &catalog, after).unwrap();
    let (start, end) = found.expect("a common window");
    assert!(
        start >= after && end - start >= TimeDelta::hours(2),
        "{start} {end}"
    );
    assert_eq!(
        never.change_next_window(&change, &catalog, after).unwrap(),
        None
    );

    let mut g = c.benchmark_group("whole_change");
    g.bench_function("next_window/3_regions_2_calendars_1000_blackouts", |b| {
        b.iter(|| {
            common
                .change_next_window(black_box(&change), &catalog, black_box(after))
                .unwrap()
        })
    });
    g.bench_function("next_window/no_common_hour_in_a_year", |b| {
        b.iter(|| {
            never
                .change_next_window(black_box(&change), &catalog, black_box(after))
                .unwrap()
        })
    });
    g.bench_function("decision/3_regions_2_calendars_1000_blackouts", |b| {
        b.iter(|| {
            common
                .evaluate(black_box(&change), &catalog, after, false)
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, whole);
criterion_main!(benches);
