//! Calendar expressions and `rrule` text, through a tiny policy: the first byte picks the mode
//! and the time zone, the rest is either the body of a `calendar` block (windows and
//! blackouts) or the text of a blackout's `rrule "..."`. A calendar that compiles must answer
//! `calendar` and `next_window` over a year, and decide a change in its region.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipgate::Engine;
use shipgate_fuzz::{check_error, check_region_r, instant};

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
    check_region_r(&engine, instant(40 * 86_400 + 3 * 3600 + 17 * 60), 5400);
});
