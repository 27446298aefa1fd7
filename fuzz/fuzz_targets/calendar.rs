//! Calendar expressions and `rrule` text, through a tiny policy: the first byte picks the mode
//! and the time zone, the rest is either the body of a `calendar` block (windows and
//! blackouts) or the text of a blackout's `rrule "..."`. A calendar that compiles must answer
//! `calendar` and `next_window` over a year, and decide a change in its region.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipgate::Engine;
use shipgate_fuzz::{
    check_calendar, check_engine, check_error, evaluate_and_check, instant, simple_catalog,
    simple_change,
};

const ZONES: [&str; 8] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "America/Sao_Paulo",
    "Africa/Casablanca",
];

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let zone = ZONES[usize::from(head >> 1) % ZONES.len()];
    let body = if head & 1 == 0 {
        text.to_string()
    } else {
        // A policy string cannot hold a raw quote or newline: keep the rrule text to one line.
        if text.contains(['"', '\\', '\n', '\r']) {
            return;
        }
        format!("blackout \"b\" rrule \"{text}\" at 01:00 for 2h\n")
    };
    let source = format!("calendar c timezone \"{zone}\" {{\n{body}\n}}\nregion r uses c\n");
    let engine = match Engine::from_source(&source, "fuzz.gate") {
        Ok(engine) => engine,
        Err(e) => {
            check_error(&e);
            return;
        }
    };
    check_engine(&engine);
    let (from, to) = (instant(0), instant(366 * 86_400));
    match engine.calendar("r", from, to) {
        Ok(report) => check_calendar(&report, from, to),
        Err(e) => check_error(&e),
    }
    let now = instant(40 * 86_400 + 3 * 3600 + 17 * 60);
    match engine.next_window("r", now, 5400) {
        Ok(Some((start, end))) => {
            assert!(start >= now, "next window before its search start");
            assert!(
                end - start >= chrono::TimeDelta::seconds(5400),
                "next window too short"
            );
        }
        Ok(None) => {}
        Err(e) => check_error(&e),
    }
    if let Some(change) = simple_change(now, "90m") {
        evaluate_and_check(&engine, &change, &simple_catalog(), now, false);
    }
});
