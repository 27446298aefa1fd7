//! Policy text: compile it from a string (no folder, so no `ics` import reads a file). A
//! policy that compiles must also decide a fixed change without a panic or an internal error,
//! and its calendars must answer queries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipgate::Engine;
use shipgate_fuzz::{check_calendar, check_engine, check_error, evaluate_and_check, instant};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Where the fast parser answers, it must answer exactly as pest and the builder do.
    if let Some(difference) = shipgate::fast_parse_difference(text) {
        panic!("{difference}\n--- on ---\n{text}");
    }
    let engine = match Engine::from_source(text, "fuzz.gate") {
        Ok(engine) => engine,
        Err(e) => {
            check_error(&e);
            return;
        }
    };
    check_engine(&engine);
    let catalog = shipgate_fuzz::simple_catalog();
    let now = instant(334 * 86_400 + 9 * 3600);
    if let Some(change) = shipgate_fuzz::simple_change(now, "1h") {
        evaluate_and_check(&engine, &change, &catalog, now, true);
    }
    for region in engine.regions().iter().take(4) {
        let to = instant(365 * 86_400);
        match engine.calendar(region, instant(0), to) {
            Ok(report) => check_calendar(&report, instant(0), to),
            Err(e) => check_error(&e),
        }
        if let Err(e) = engine.next_window(region, now, 3600) {
            check_error(&e);
        }
    }
});
