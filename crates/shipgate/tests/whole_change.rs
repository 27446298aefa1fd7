//! The whole change's window from the library (`Engine::change_next_window`,
//! `Engine::change_calendar`, `Engine::change_calendar_ics`): the follow-the-sun cases of the
//! corpus, where each region alone advises a window that another region shuts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use shipgate::{Catalog, Change, Engine, Instant};

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases")
        .join(name)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn load(name: &str) -> (Engine, Catalog, Change) {
    let dir = case(name);
    (
        Engine::from_path(&dir).unwrap(),
        Catalog::from_json(&read_json(&dir.join("catalog.json"))).unwrap(),
        Change::from_json(&read_json(&dir.join("change.json"))).unwrap(),
    )
}

fn at(s: &str) -> Instant {
    s.parse().unwrap()
}

#[test]
fn the_whole_change_window_is_the_decision_s() {
    let (engine, catalog, change) = load("calendar-three-regions-window-days-away");
    let start = change.start.unwrap();
    let got = engine.change_next_window(&change, &catalog, start).unwrap();
    assert_eq!(
        got,
        Some((at("2026-12-18T11:00:00Z"), at("2026-12-18T18:00:00Z")))
    );
    let d = engine.evaluate(&change, &catalog, start, false).unwrap();
    let w = d.schedule.next_window.unwrap();
    assert_eq!(Some((w.start, w.end)), got);
    // New York alone would go on Thursday; Singapore's payroll run shuts it.
    assert_eq!(
        engine.next_window("us", start, change.duration).unwrap(),
        Some((at("2026-12-17T11:00:00Z"), at("2026-12-17T23:00:00Z")))
    );
    // From inside the window, the window is now, until the common stretch ends.
    assert_eq!(
        engine
            .change_next_window(&change, &catalog, at("2026-12-18T15:30:00Z"))
            .unwrap(),
        Some((at("2026-12-18T15:30:00Z"), at("2026-12-18T18:00:00Z")))
    );
}

#[test]
fn three_regions_with_no_common_hour_have_no_window() {
    let (engine, catalog, change) = load("calendar-three-regions-no-common-window");
    let start = change.start.unwrap();
    assert_eq!(
        engine.change_next_window(&change, &catalog, start).unwrap(),
        None
    );
    let report = engine
        .change_calendar(&change, &catalog, start, at("2026-12-15T00:00:00Z"))
        .unwrap();
    assert_eq!(report.calendars, ["singapore", "london", "new-york"]);
    assert_eq!(report.regions, ["apac", "eu", "us"]);
    assert!(report.open.is_empty(), "{:?}", report.open);
}

#[test]
fn the_change_calendar_is_the_intersection_and_every_blackout() {
    let (engine, catalog, change) = load("calendar-three-regions-window-days-away");
    let (from, to) = (at("2026-12-14T00:00:00Z"), at("2026-12-19T00:00:00Z"));
    let report = engine.change_calendar(&change, &catalog, from, to).unwrap();
    assert_eq!(report.change, "CHG-8");
    let open: Vec<(Instant, Instant)> = report.open.iter().map(|s| (s.start, s.end)).collect();
    // Monday to Wednesday are New York's quarter close, Thursday's common hours are
    // Singapore's payroll run: only Friday's 11:00-18:00 UTC is open everywhere.
    assert_eq!(
        open,
        [(at("2026-12-18T11:00:00Z"), at("2026-12-18T18:00:00Z"))]
    );
    let names: Vec<&str> = report.blackouts.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["quarter close", "payroll run"]);
    let ics = engine
        .change_calendar_ics(&change, &catalog, from, to)
        .unwrap();
    assert!(ics.contains("SUMMARY:payroll run"), "{ics}");
    assert!(ics.contains("DTSTART:20261218T110000Z"), "{ics}");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
}

#[test]
fn an_unknown_region_is_the_decision_s_input_error() {
    let (engine, catalog, _) = load("calendar-three-regions-window-days-away");
    let change = Change::from_json(&serde_json::json!({
        "id": "CHG-9", "services": ["ledger"], "requester": "bob", "implementer": "chen",
        "duration": "1h", "regions": ["eu", "mars"]
    }))
    .unwrap();
    let err = engine
        .change_next_window(&change, &catalog, at("2026-12-14T12:00:00Z"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("change.regions[1]"), "{err}");
}
