//! Named tests for the classic calendar failures, diagnostics, ics import and export.

use std::path::{Path, PathBuf};

use super::*;
use crate::error::{Diagnostic, Severity};
use crate::span::{FileId, Span};
use crate::syntax::ast::{
    BlackoutSpec, CalendarDecl, CalendarEntry, DateLit, DaySet, DurationLit, Ident,
    LocalDateTimeLit, LocalTime, RegionDecl, StrLit, TimeRange, Weekday,
};

// ---- builders -------------------------------------------------------------------------

/// Spans are distinct per call so diagnostics can be told apart.
pub(super) fn sp() -> Span {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(10, Ordering::Relaxed);
    Span::new(FileId(0), n, n + 5)
}

pub(super) fn ident(s: &str) -> Ident {
    Ident {
        name: s.to_string(),
        span: sp(),
    }
}

pub(super) fn strlit(s: &str) -> StrLit {
    StrLit {
        value: s.to_string(),
        span: sp(),
    }
}

/// `"09:30"` or `"24:00"`.
pub(super) fn time(s: &str) -> LocalTime {
    let (h, m) = s.split_once(':').unwrap();
    LocalTime {
        minutes: h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap(),
    }
}

pub(super) fn range(a: &str, b: &str) -> TimeRange {
    TimeRange {
        start: time(a),
        end: time(b),
        span: sp(),
    }
}

pub(super) fn weekday(s: &str) -> Weekday {
    let i = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .position(|d| *d == s)
        .unwrap();
    Weekday::ALL[i]
}

/// `"mon-thu"`, `"sat,sun"`, `"fri-mon"`, `"daily"`.
pub(super) fn days(s: &str) -> DaySet {
    let ranges = if s == "daily" {
        vec![(Weekday::Mon, Weekday::Sun)]
    } else {
        s.split(',')
            .map(|part| match part.split_once('-') {
                Some((a, b)) => (weekday(a), weekday(b)),
                None => (weekday(part), weekday(part)),
            })
            .collect()
    };
    DaySet { ranges, span: sp() }
}

pub(super) fn date(s: &str) -> DateLit {
    let p: Vec<u32> = s.split('-').map(|x| x.parse().unwrap()).collect();
    DateLit {
        year: p[0] as i32,
        month: p[1],
        day: p[2],
        span: sp(),
    }
}

/// `"2026-11-26T18:00"`.
pub(super) fn datetime(s: &str) -> LocalDateTimeLit {
    let (d, t) = s.split_once('T').unwrap();
    LocalDateTimeLit {
        date: date(d),
        minutes: time(t).minutes,
        second: 0,
        span: sp(),
    }
}

pub(super) fn window(d: &str, a: &str, b: &str) -> CalendarEntry {
    CalendarEntry::Window {
        days: days(d),
        times: range(a, b),
        span: sp(),
    }
}

pub(super) fn blackout(name: &str, spec: BlackoutSpec) -> CalendarEntry {
    CalendarEntry::Blackout {
        name: strlit(name),
        spec,
        span: sp(),
    }
}

pub(super) fn daily(a: &str, b: &str) -> BlackoutSpec {
    BlackoutSpec::Daily(range(a, b))
}

pub(super) fn weekly(fd: &str, ft: &str, td: &str, tt: &str) -> BlackoutSpec {
    BlackoutSpec::Weekly {
        from_day: weekday(fd),
        from_time: time(ft),
        to_day: weekday(td),
        to_time: time(tt),
        span: sp(),
    }
}

pub(super) fn monthly(from: i32, to: i32, times: Option<(&str, &str)>) -> BlackoutSpec {
    BlackoutSpec::Monthly {
        from_day: from,
        to_day: to,
        times: times.map(|(a, b)| range(a, b)),
        span: sp(),
    }
}

pub(super) fn dates(a: &str, b: &str) -> BlackoutSpec {
    BlackoutSpec::DateRange {
        from: date(a),
        to: date(b),
    }
}

pub(super) fn datetimes(a: &str, b: &str) -> BlackoutSpec {
    BlackoutSpec::DateTimeRange {
        from: datetime(a),
        to: datetime(b),
    }
}

pub(super) fn rrule(text: &str, at: &str, seconds: i64, except: &[&str]) -> BlackoutSpec {
    BlackoutSpec::Rrule {
        rule: strlit(text),
        at: time(at),
        duration: DurationLit {
            seconds,
            span: sp(),
        },
        except: except.iter().map(|d| date(d)).collect(),
        span: sp(),
    }
}

pub(super) fn calendar(name: &str, tz: &str, entries: Vec<CalendarEntry>) -> CalendarDecl {
    CalendarDecl {
        name: ident(name),
        timezone: strlit(tz),
        entries,
        span: sp(),
    }
}

pub(super) fn region(name: &str, calendars: &[&str]) -> RegionDecl {
    RegionDecl {
        name: ident(name),
        calendars: calendars.iter().map(|c| ident(c)).collect(),
        span: sp(),
    }
}

fn compile_in(
    cals: &[CalendarDecl],
    regions: &[RegionDecl],
    root: Option<&Path>,
) -> (CalendarSet, Vec<Diagnostic>) {
    let c: Vec<&CalendarDecl> = cals.iter().collect();
    let r: Vec<&RegionDecl> = regions.iter().collect();
    CalendarSet::compile(&c, &r, root)
}

fn errors(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter().filter(|d| d.is_error()).collect()
}

/// A set with one region `r` using the given calendars; panics on any error.
pub(super) fn one_region(cals: Vec<CalendarDecl>) -> (CalendarSet, RegionId) {
    let names: Vec<String> = cals.iter().map(|c| c.name.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (set, diags) = compile_in(&cals, &[region("r", &names)], None);
    assert!(errors(&diags).is_empty(), "{diags:#?}");
    let id = set.region("r").unwrap();
    (set, id)
}

pub(super) fn at(s: &str) -> Instant {
    s.parse().unwrap()
}

fn hours(h: i64) -> TimeDelta {
    TimeDelta::hours(h)
}

use chrono::TimeDelta;

fn span_of(s: &str, e: &str) -> Option<(Instant, Instant)> {
    Some((at(s), at(e)))
}

fn check(set: &CalendarSet, r: RegionId, start: &str, end: &str) -> RegionCheck {
    set.check(r, at(start), at(end), Lift::NONE)
}

// ---- classic failures -------------------------------------------------------------------

#[test]
fn window_starting_in_the_spring_forward_gap_is_shorter_that_day() {
    // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 never happens.
    let (set, r) = one_region(vec![calendar(
        "emea",
        "Europe/Berlin",
        vec![window("daily", "02:30", "06:00")],
    )]);
    let view = set.view(r, at("2026-03-28T00:00:00Z"), at("2026-03-30T00:00:00Z"));
    assert_eq!(
        view.open,
        vec![
            // Saturday: 02:30-06:00 CET = 01:30Z-05:00Z (3.5 hours)
            (at("2026-03-28T01:30:00Z"), at("2026-03-28T05:00:00Z")),
            // Sunday: opens when the clock reaches 03:00 CEST = 01:00Z, until 06:00 CEST = 04:00Z
            (at("2026-03-29T01:00:00Z"), at("2026-03-29T04:00:00Z")),
        ]
    );
    assert!(!check(&set, r, "2026-03-29T00:59:00Z", "2026-03-29T01:30:00Z").open);
    assert!(check(&set, r, "2026-03-29T01:00:00Z", "2026-03-29T04:00:00Z").open);
    // A 3.5-hour change fitted on Saturday but not on Sunday: the next fit is Monday.
    assert_eq!(
        set.next_window(r, at("2026-03-28T06:00:00Z"), 3 * 3600 + 1800, Lift::NONE),
        span_of("2026-03-30T00:30:00Z", "2026-03-30T04:00:00Z")
    );
}

#[test]
fn both_instants_of_the_repeated_fall_back_hour_count() {
    // 2026-10-25 in Berlin: 03:00 CEST falls back to 02:00 CET; 02:00-03:00 happens twice.
    let (set, r) = one_region(vec![calendar(
        "emea",
        "Europe/Berlin",
        vec![
            blackout("batch", daily("02:00", "03:00")),
            window("sun", "02:15", "02:45"),
        ],
    )]);
    let view = set.view(r, at("2026-10-24T22:00:00Z"), at("2026-10-25T03:00:00Z"));
    // The blackout covers both passes: 00:00Z-01:00Z (CEST) and 01:00Z-02:00Z (CET).
    assert_eq!(
        view.blackouts,
        vec![(
            "batch".to_string(),
            at("2026-10-25T00:00:00Z"),
            at("2026-10-25T02:00:00Z")
        )]
    );
    let (set, r) = one_region(vec![calendar(
        "emea",
        "Europe/Berlin",
        vec![window("sun", "02:15", "02:45")],
    )]);
    let view = set.view(r, at("2026-10-24T22:00:00Z"), at("2026-10-25T03:00:00Z"));
    assert_eq!(
        view.open,
        vec![
            (at("2026-10-25T00:15:00Z"), at("2026-10-25T00:45:00Z")),
            (at("2026-10-25T01:15:00Z"), at("2026-10-25T01:45:00Z")),
        ]
    );
    // 30 minutes fit in either pass; 45 minutes fit in neither.
    assert!(check(&set, r, "2026-10-25T01:15:00Z", "2026-10-25T01:45:00Z").open);
    assert!(!check(&set, r, "2026-10-25T00:30:00Z", "2026-10-25T01:15:00Z").open);
}

#[test]
fn weekly_freeze_in_auckland_follows_local_time_across_the_april_change() {
    let (set, r) = one_region(vec![calendar(
        "nz",
        "Pacific/Auckland",
        vec![blackout(
            "weekend freeze",
            weekly("fri", "18:00", "mon", "06:00"),
        )],
    )]);
    // January (NZDT, +13): Fri 2026-01-02 18:00 = 05:00Z; Mon 2026-01-05 06:00 = Sun 17:00Z.
    let v = set.view(r, at("2026-01-01T00:00:00Z"), at("2026-01-06T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![(
            "weekend freeze".to_string(),
            at("2026-01-02T05:00:00Z"),
            at("2026-01-04T17:00:00Z")
        )]
    );
    // NZDT ends Sunday 2026-04-05 03:00 -> 02:00: that freeze lasts 61 hours, ending at
    // Mon 06:00 NZST (+12) = Sun 18:00Z.
    let v = set.view(r, at("2026-04-01T00:00:00Z"), at("2026-04-07T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![(
            "weekend freeze".to_string(),
            at("2026-04-03T05:00:00Z"),
            at("2026-04-05T18:00:00Z")
        )]
    );
    let c = check(&set, r, "2026-04-04T00:00:00Z", "2026-04-04T01:00:00Z");
    assert!(!c.open);
    assert_eq!(c.blocked_by, vec!["weekend freeze"]);
    assert_eq!(c.next_window.map(|w| w.0), Some(at("2026-04-05T18:00:00Z")));
}

#[test]
fn weekly_freeze_in_kiritimati_including_the_skipped_day() {
    let (set, r) = one_region(vec![calendar(
        "line",
        "Pacific/Kiritimati",
        vec![blackout(
            "weekend freeze",
            weekly("fri", "18:00", "mon", "06:00"),
        )],
    )]);
    // +14: Fri 2026-01-02 18:00 = 04:00Z; Mon 2026-01-05 06:00 = Sun 16:00Z.
    let v = set.view(r, at("2026-01-01T00:00:00Z"), at("2026-01-06T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![(
            "weekend freeze".to_string(),
            at("2026-01-02T04:00:00Z"),
            at("2026-01-04T16:00:00Z")
        )]
    );
    // Kiritimati skipped Saturday 1994-12-31 (UTC-10 to UTC+14). The freeze starts Friday
    // 1994-12-30 18:00 -10 (= Dec 31 04:00Z) and ends Monday 1995-01-02 06:00 +14
    // (= Jan 1 16:00Z): 36 hours instead of 60.
    let v = set.view(r, at("1994-12-29T00:00:00Z"), at("1995-01-03T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![(
            "weekend freeze".to_string(),
            at("1994-12-31T04:00:00Z"),
            at("1995-01-01T16:00:00Z")
        )]
    );
}

#[test]
fn a_date_range_is_one_off_and_includes_both_dates() {
    let (set, r) = one_region(vec![calendar(
        "emea",
        "Europe/Berlin",
        vec![blackout(
            "year-end freeze",
            dates("2026-12-19", "2027-01-04"),
        )],
    )]);
    // Whole local days: 2026-12-19 00:00 CET = 12-18 23:00Z to 2027-01-05 00:00 CET.
    let v = set.view(r, at("2026-12-01T00:00:00Z"), at("2027-02-01T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![(
            "year-end freeze".to_string(),
            at("2026-12-18T23:00:00Z"),
            at("2027-01-04T23:00:00Z")
        )]
    );
    assert!(!check(&set, r, "2027-01-04T22:00:00Z", "2027-01-04T22:30:00Z").open);
    assert!(check(&set, r, "2027-01-04T23:00:00Z", "2027-01-04T23:30:00Z").open);
    // Not the next year, nor the one before.
    assert!(check(&set, r, "2027-12-25T10:00:00Z", "2027-12-25T11:00:00Z").open);
    assert!(check(&set, r, "2025-12-25T10:00:00Z", "2025-12-25T11:00:00Z").open);
    let v = set.view(r, at("2027-06-01T00:00:00Z"), at("2028-06-01T00:00:00Z"));
    assert!(v.blackouts.is_empty());
}

#[test]
fn overlapping_blackouts_union_and_both_names_are_reported() {
    let (set, r) = one_region(vec![calendar(
        "global",
        "UTC",
        vec![
            blackout("launch", dates("2026-06-01", "2026-06-10")),
            blackout("audit", datetimes("2026-06-05T12:00", "2026-06-15T00:00")),
        ],
    )]);
    let c = check(&set, r, "2026-06-04T12:00:00Z", "2026-06-06T00:00:00Z");
    assert!(!c.open);
    assert_eq!(c.blocked_by, vec!["launch", "audit"]);
    // The union ends 2026-06-15T00:00Z: the next window starts there.
    assert_eq!(c.next_window.map(|w| w.0), Some(at("2026-06-15T00:00:00Z")));
    let c = check(&set, r, "2026-06-12T00:00:00Z", "2026-06-12T01:00:00Z");
    assert_eq!(c.blocked_by, vec!["audit"]);
    let v = set.view(r, at("2026-05-31T00:00:00Z"), at("2026-06-16T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![
            (
                "launch".to_string(),
                at("2026-06-01T00:00:00Z"),
                at("2026-06-11T00:00:00Z")
            ),
            (
                "audit".to_string(),
                at("2026-06-05T12:00:00Z"),
                at("2026-06-15T00:00:00Z")
            ),
        ]
    );
    assert_eq!(
        v.open,
        vec![
            (at("2026-05-31T00:00:00Z"), at("2026-06-01T00:00:00Z")),
            (at("2026-06-15T00:00:00Z"), at("2026-06-16T00:00:00Z")),
        ]
    );
}

#[test]
fn a_change_that_would_overrun_its_window_is_not_open() {
    let (set, r) = one_region(vec![calendar(
        "americas",
        "America/New_York",
        vec![window("mon-fri", "10:00", "15:00")],
    )]);
    // Tuesday 2026-12-01 14:00 EST = 19:00Z, two hours: overruns 15:00.
    let c = check(&set, r, "2026-12-01T19:00:00Z", "2026-12-01T21:00:00Z");
    assert!(!c.open);
    assert_eq!(c.blocked_by, vec![OUTSIDE_WINDOWS]);
    // Next: Wednesday 10:00-15:00 EST.
    assert_eq!(
        c.next_window,
        span_of("2026-12-02T15:00:00Z", "2026-12-02T20:00:00Z")
    );
    // One hour fits, and the reported window is its own stretch.
    let c = check(&set, r, "2026-12-01T19:00:00Z", "2026-12-01T20:00:00Z");
    assert!(c.open);
    assert!(c.blocked_by.is_empty());
    assert_eq!(
        c.next_window,
        span_of("2026-12-01T19:00:00Z", "2026-12-01T20:00:00Z")
    );
    // A five-hour change fits exactly; five and a bit does not fit anywhere.
    assert!(check(&set, r, "2026-12-01T15:00:00Z", "2026-12-01T20:00:00Z").open);
    assert_eq!(
        set.next_window(r, at("2026-12-01T15:00:00Z"), 5 * 3600 + 60, Lift::NONE),
        None
    );
}

#[test]
fn a_calendar_that_never_opens_gives_none_quickly() {
    let (set, r) = one_region(vec![calendar(
        "closed",
        "Europe/Berlin",
        vec![
            window("mon-fri", "09:00", "17:00"),
            blackout("all day", daily("00:00", "24:00")),
        ],
    )]);
    let started = std::time::Instant::now();
    let c = check(&set, r, "2026-05-04T08:00:00Z", "2026-05-04T09:00:00Z");
    assert!(!c.open);
    assert_eq!(c.blocked_by, vec!["all day"]);
    assert_eq!(c.next_window, None);
    // Open on 2027-02-01 but that is past the horizon of the asked start.
    let (set2, r2) = one_region(vec![calendar(
        "long",
        "UTC",
        vec![blackout("freeze", dates("2026-01-01", "2027-01-31"))],
    )]);
    assert_eq!(
        set2.next_window(r2, at("2026-01-15T00:00:00Z"), 3600, Lift::NONE),
        None
    );
    assert_eq!(
        set2.next_window(r2, at("2026-03-01T00:00:00Z"), 3600, Lift::NONE)
            .map(|w| w.0),
        Some(at("2027-02-01T00:00:00Z"))
    );
    // Lifting the blackouts opens the weekday windows again.
    assert_eq!(
        set.next_window(r, at("2026-05-04T08:00:00Z"), 3600, Lift::BLACKOUTS),
        span_of("2026-05-04T08:00:00Z", "2026-05-04T15:00:00Z")
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn rrule_with_except_drops_the_excepted_occurrence() {
    let cal = calendar(
        "emea",
        "Europe/Berlin",
        vec![blackout(
            "month-end run",
            rrule(
                "FREQ=MONTHLY;BYMONTHDAY=-1",
                "18:00",
                12 * 3600,
                &["2026-04-30", "2026-05-01"],
            ),
        )],
    );
    let (set, diags) = compile_in(&[cal], &[region("r", &["emea"])], None);
    assert!(errors(&diags).is_empty(), "{diags:#?}");
    // 2026-05-01 is not a month end: warned about, not an error.
    let warned: Vec<_> = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    assert_eq!(warned.len(), 1, "{diags:#?}");
    assert!(warned[0].message.contains("2026-05-01"));
    let r = set.region("r").unwrap();
    let v = set.view(r, at("2026-03-02T00:00:00Z"), at("2026-07-01T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![
            // 2026-03-31 18:00 CEST - 04-01 06:00 CEST
            (
                "month-end run".to_string(),
                at("2026-03-31T16:00:00Z"),
                at("2026-04-01T04:00:00Z")
            ),
            // 04-30 excepted
            (
                "month-end run".to_string(),
                at("2026-05-31T16:00:00Z"),
                at("2026-06-01T04:00:00Z")
            ),
            (
                "month-end run".to_string(),
                at("2026-06-30T16:00:00Z"),
                at("2026-07-01T00:00:00Z")
            ),
        ]
    );
    // Far years work too (the expansion does not start at the anchor each time).
    let v = set.view(r, at("2150-02-02T00:00:00Z"), at("2150-03-01T00:00:00Z"));
    assert_eq!(v.blackouts.len(), 1);
    assert_eq!(v.blackouts[0].1, at("2150-02-28T17:00:00Z"));
}

#[test]
fn monthly_negative_days_follow_february_in_leap_and_common_years() {
    let (set, r) = one_region(vec![calendar(
        "close",
        "UTC",
        vec![
            blackout("month-end close", monthly(-3, -1, None)),
            blackout("late days", monthly(30, 31, None)),
        ],
    )]);
    let v = set.view(r, at("2028-02-01T00:00:00Z"), at("2028-03-02T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![
            // 2028 is a leap year: the 27th, 28th and 29th; February has no 30th or 31st.
            (
                "month-end close".to_string(),
                at("2028-02-27T00:00:00Z"),
                at("2028-03-01T00:00:00Z")
            ),
        ]
    );
    let v = set.view(r, at("2027-02-01T00:00:00Z"), at("2027-03-01T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![(
            "month-end close".to_string(),
            at("2027-02-26T00:00:00Z"),
            at("2027-03-01T00:00:00Z")
        )]
    );
    let v = set.view(r, at("2028-01-01T00:00:00Z"), at("2028-02-01T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![
            (
                "month-end close".to_string(),
                at("2028-01-29T00:00:00Z"),
                at("2028-02-01T00:00:00Z")
            ),
            (
                "late days".to_string(),
                at("2028-01-30T00:00:00Z"),
                at("2028-02-01T00:00:00Z")
            ),
        ]
    );
    // With a time range: 09:00-12:00 on the last two days only.
    let (set, r) = one_region(vec![calendar(
        "close",
        "UTC",
        vec![blackout("close", monthly(-2, -1, Some(("09:00", "12:00"))))],
    )]);
    let v = set.view(r, at("2028-02-01T00:00:00Z"), at("2028-03-01T00:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![
            (
                "close".to_string(),
                at("2028-02-28T09:00:00Z"),
                at("2028-02-28T12:00:00Z")
            ),
            (
                "close".to_string(),
                at("2028-02-29T09:00:00Z"),
                at("2028-02-29T12:00:00Z")
            ),
        ]
    );
}

#[test]
fn ranges_past_midnight_and_ending_at_24_00() {
    let (set, r) = one_region(vec![calendar(
        "ops",
        "UTC",
        vec![
            window("fri", "22:00", "02:00"),
            window("mon", "20:00", "24:00"),
            window("tue", "00:00", "01:00"),
        ],
    )]);
    let v = set.view(r, at("2026-11-30T00:00:00Z"), at("2026-12-07T00:00:00Z"));
    assert_eq!(
        v.open,
        vec![
            // Monday 20:00 to 24:00 and Tuesday from 00:00: one stretch.
            (at("2026-11-30T20:00:00Z"), at("2026-12-01T01:00:00Z")),
            // Friday 22:00 runs into Saturday 02:00.
            (at("2026-12-04T22:00:00Z"), at("2026-12-05T02:00:00Z")),
        ]
    );
    assert!(check(&set, r, "2026-11-30T23:00:00Z", "2026-12-01T00:30:00Z").open);
    assert!(check(&set, r, "2026-12-05T01:00:00Z", "2026-12-05T02:00:00Z").open);
    assert!(!check(&set, r, "2026-12-05T01:00:00Z", "2026-12-05T02:01:00Z").open);
    // A daily blackout past midnight in a zone with DST, over the spring-forward night:
    // 22:00-02:00 on Saturday 2026-03-28 ends at Sunday 02:00, which is 03:00 CEST.
    let (set, r) = one_region(vec![calendar(
        "emea",
        "Europe/Berlin",
        vec![blackout("nightly", daily("22:00", "02:00"))],
    )]);
    let v = set.view(r, at("2026-03-28T12:00:00Z"), at("2026-03-29T12:00:00Z"));
    assert_eq!(
        v.blackouts,
        vec![(
            "nightly".to_string(),
            at("2026-03-28T21:00:00Z"),
            at("2026-03-29T01:00:00Z")
        )]
    );
}

#[test]
fn regions_intersect_their_calendars_and_lifts_apply() {
    let cals = vec![
        calendar(
            "emea",
            "Europe/Berlin",
            vec![window("mon-fri", "09:00", "16:00")],
        ),
        calendar(
            "americas",
            "America/New_York",
            vec![window("mon-fri", "09:00", "17:00")],
        ),
        calendar(
            "global",
            "UTC",
            vec![blackout("black friday", dates("2026-11-27", "2026-11-30"))],
        ),
    ];
    let regions = vec![
        region("both", &["emea", "americas", "global"]),
        region("us", &["americas"]),
    ];
    let (set, diags) = compile_in(&cals, &regions, None);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(set.region_names(), vec!["both", "us"]);
    let both = set.region("both").unwrap();
    assert_eq!(set.region_name(both), "both");
    assert_eq!(set.region("nowhere"), None);
    // Winter: Berlin 09:00-16:00 CET = 08:00Z-15:00Z; New York 09:00-17:00 EST = 14:00Z-22:00Z.
    let v = set.view(both, at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z"));
    assert_eq!(
        v.open,
        vec![(at("2026-12-01T14:00:00Z"), at("2026-12-01T15:00:00Z"))]
    );
    // In one calendar's window but not the other's: outside windows.
    let c = check(&set, both, "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z");
    assert_eq!(c.blocked_by, vec![OUTSIDE_WINDOWS]);
    // Black Friday blocks, and the windows too (Saturday).
    let c = check(&set, both, "2026-11-28T14:00:00Z", "2026-11-28T15:00:00Z");
    assert_eq!(c.blocked_by, vec!["black friday", OUTSIDE_WINDOWS]);
    let lifted = set.check(
        both,
        at("2026-11-27T14:00:00Z"),
        at("2026-11-27T15:00:00Z"),
        Lift::BLACKOUTS,
    );
    assert!(lifted.open);
    let lifted = set.check(
        both,
        at("2026-11-28T14:00:00Z"),
        at("2026-11-28T15:00:00Z"),
        Lift::WINDOWS,
    );
    assert_eq!(lifted.blocked_by, vec!["black friday"]);
    assert_eq!(
        lifted.next_window.map(|w| w.0),
        Some(at("2026-12-01T00:00:00Z"))
    );
    assert!(
        set.check(
            both,
            at("2026-11-28T14:00:00Z"),
            at("2026-11-28T15:00:00Z"),
            Lift::ALL
        )
        .open
    );
}

#[test]
fn calendars_without_rules_are_always_open_and_stretches_cross_new_year() {
    let (set, r) = one_region(vec![calendar("free", "UTC", vec![])]);
    assert!(check(&set, r, "2026-12-31T23:00:00Z", "2027-01-01T01:00:00Z").open);
    // A 400-day change fits in an endless stretch; the reported end is where it ends.
    let w = set
        .next_window(r, at("2026-06-01T00:00:00Z"), 400 * 86_400, Lift::NONE)
        .unwrap();
    assert_eq!(w, (at("2026-06-01T00:00:00Z"), at("2027-07-06T00:00:00Z")));
    // Otherwise the stretch is reported up to the horizon.
    let w = set
        .next_window(r, at("2026-06-01T00:00:00Z"), 3600, Lift::NONE)
        .unwrap();
    assert_eq!(
        w.1,
        at("2026-06-01T00:00:00Z") + TimeDelta::days(HORIZON_DAYS)
    );
    // Outside the indexed years nothing is open.
    let c = check(&set, r, "2200-01-01T00:00:00Z", "2200-01-01T01:00:00Z");
    assert!(!c.open);
    assert_eq!(c.blocked_by, vec![OUTSIDE_RANGE]);
    assert_eq!(hours(1), TimeDelta::seconds(3600));
}

#[test]
fn calendar_set_is_send_and_sync_and_reports_the_tzdb() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CalendarSet>();
    let v = tzdb_version();
    assert_eq!(v.len(), 5);
    assert!(v.starts_with("20"));
    // Concurrent first use of the same year computes it once and agrees.
    let (set, r) = one_region(vec![calendar(
        "emea",
        "Europe/Berlin",
        vec![window("mon-fri", "09:00", "16:00")],
    )]);
    let results: Vec<bool> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| check(&set, r, "2031-06-03T08:00:00Z", "2031-06-03T09:00:00Z").open)
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results, vec![true; 4]);
}

// ---- diagnostics ------------------------------------------------------------------------

#[test]
fn unknown_time_zone_suggests_the_closest_name() {
    let cal = calendar("emea", "Europe/Berln", vec![]);
    let span = cal.timezone.span;
    let (_, diags) = compile_in(&[cal], &[region("r", &["emea"])], None);
    let e = errors(&diags);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].span, span);
    assert_eq!(e[0].message, "unknown time zone `Europe/Berln`");
    assert_eq!(e[0].help.as_deref(), Some("did you mean `Europe/Berlin`?"));
    let (_, diags) = compile_in(
        &[calendar("x", "america/new_york", vec![])],
        &[region("r", &["x"])],
        None,
    );
    assert_eq!(
        errors(&diags)[0].help.as_deref(),
        Some("did you mean `America/New_York`?")
    );
}

#[test]
fn duplicates_name_both_places_and_unknown_calendars_get_a_suggestion() {
    let a = calendar("emea", "UTC", vec![]);
    let b = calendar("emea", "UTC", vec![]);
    let (a_span, b_span) = (a.name.span, b.name.span);
    let r1 = region("eu", &["emae"]);
    let r2 = region("eu", &["emea"]);
    let (r1_span, r2_span, typo_span) = (r1.name.span, r2.name.span, r1.calendars[0].span);
    let (set, diags) = compile_in(&[a, b], &[r1, r2], None);
    let e = errors(&diags);
    assert_eq!(e.len(), 3, "{diags:#?}");
    assert_eq!(e[0].message, "calendar `emea` is defined twice");
    assert_eq!(e[0].span, b_span);
    assert_eq!(
        e[0].secondary,
        vec![(a_span, "first defined here".to_string())]
    );
    assert_eq!(e[1].message, "unknown calendar `emae`");
    assert_eq!(e[1].span, typo_span);
    assert_eq!(e[1].help.as_deref(), Some("did you mean `emea`?"));
    assert_eq!(e[2].message, "region `eu` is defined twice");
    assert_eq!(e[2].span, r2_span);
    assert_eq!(
        e[2].secondary,
        vec![(r1_span, "first defined here".to_string())]
    );
    assert_eq!(set.region_names(), vec!["eu"]);
    // The unused first `emea` is warned about.
    assert!(
        diags
            .iter()
            .any(|d| d.severity == Severity::Warning && d.message.contains("not used"))
    );
}

#[test]
fn bad_dates_times_ranges_and_rrules_are_errors_at_their_spans() {
    let bad_date = date("2026-02-30");
    let bad_date_span = bad_date.span;
    let bad_rrule = rrule("FREQ=FORTNIGHTLY", "00:00", 3600, &[]);
    let BlackoutSpec::Rrule {
        rule: ref bad_rrule_lit,
        ..
    } = bad_rrule
    else {
        unreachable!()
    };
    let bad_rrule_span = bad_rrule_lit.span;
    let empty = range("09:00", "09:00");
    let empty_span = empty.span;
    let cal = calendar(
        "c",
        "UTC",
        vec![
            blackout(
                "a",
                BlackoutSpec::DateRange {
                    from: bad_date,
                    to: date("2026-03-01"),
                },
            ),
            blackout("b", bad_rrule),
            CalendarEntry::Window {
                days: days("mon"),
                times: empty,
                span: sp(),
            },
            window("mon", "24:00", "02:00"),
            blackout("c", dates("2026-03-02", "2026-03-01")),
            blackout("d", datetimes("2026-03-02T10:00", "2026-03-02T10:00")),
            blackout("e", monthly(-1, -3, None)),
            blackout("f", monthly(0, 3, None)),
            blackout("g", weekly("fri", "18:00", "fri", "18:00")),
            blackout("h", rrule("FREQ=HOURLY;BYMINUTE=0", "00:00", 60, &[])),
            blackout("i", rrule("FREQ=DAILY", "00:00", 0, &[])),
            blackout("j", monthly(-2, 2, None)),
            blackout("k", rrule("FREQ=YEARLY", "00:00", 4000 * 86_400, &[])),
        ],
    );
    let (_, diags) = compile_in(&[cal], &[region("r", &["c"])], None);
    let e = errors(&diags);
    let messages: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(e.len(), 13, "{messages:#?}");
    assert_eq!(e[0].span, bad_date_span);
    assert_eq!(e[0].message, "2026-02-30 is not a date");
    assert_eq!(e[1].span, bad_rrule_span);
    assert!(
        e[1].message.starts_with("invalid RRULE"),
        "{}",
        e[1].message
    );
    assert_eq!(e[2].span, empty_span);
    assert_eq!(
        e[2].message,
        "empty time range: it starts and ends at 09:00"
    );
    assert_eq!(e[3].message, "a range cannot start at 24:00");
    assert_eq!(e[4].message, "the date range ends before it starts");
    assert!(e[5].message.contains("empty"));
    assert!(e[6].message.contains("runs backwards"));
    assert!(e[7].message.contains("days of the month"));
    assert!(e[8].message.contains("empty weekly range"));
    assert!(
        e[9].message.contains("FREQ=HOURLY is not supported"),
        "{}",
        e[9].message
    );
    assert!(e[10].message.contains("duration must be positive"));
    assert!(e[11].message.contains("runs backwards"));
    assert!(e[12].message.contains("at most 3660 days"));
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/calendar/testdata")
}

fn ics_cal(path: &str) -> CalendarDecl {
    calendar(
        "emea",
        "Europe/Berlin",
        vec![blackout("public holidays", BlackoutSpec::Ics(strlit(path)))],
    )
}

#[test]
fn ics_paths_must_stay_in_the_policy_folder() {
    let root = testdata();
    for (path, expect) in [
        ("/etc/hosts", "must be relative"),
        ("../mod.rs", "outside the policy folder"),
        ("sub/../../tests.rs", "outside the policy folder"),
        ("missing.ics", "cannot read"),
        ("broken.ics", "cannot import `broken.ics`"),
    ] {
        let cal = ics_cal(path);
        let (_, diags) = compile_in(&[cal], &[region("r", &["emea"])], Some(&root));
        let e = errors(&diags);
        assert_eq!(e.len(), 1, "{path}: {diags:#?}");
        assert!(e[0].message.contains(expect), "{path}: {}", e[0].message);
    }
}

#[test]
fn ics_without_a_policy_folder_is_an_error_not_a_read_from_the_working_folder() {
    // `holidays.ics` exists in the crate's test data; from the working folder it would not,
    // but the point is that no folder is tried at all.
    let (_, diags) = compile_in(&[ics_cal("holidays.ics")], &[region("r", &["emea"])], None);
    let e = errors(&diags);
    assert_eq!(e.len(), 1, "{diags:#?}");
    assert!(
        e[0].message
            .starts_with("cannot import `holidays.ics`: there is no policy folder"),
        "{}",
        e[0].message
    );
}

#[cfg(unix)]
#[test]
fn ics_paths_may_not_escape_through_a_symbolic_link() {
    let dir = std::env::temp_dir().join(format!("shipgate-ics-{}", std::process::id()));
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    let outside = dir.join("outside.ics");
    std::fs::copy(testdata().join("holidays.ics"), &outside).unwrap();
    let link = policies.join("link.ics");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let (_, diags) = compile_in(
        &[ics_cal("link.ics")],
        &[region("r", &["emea"])],
        Some(&policies),
    );
    let e = errors(&diags);
    assert_eq!(e.len(), 1, "{diags:#?}");
    assert!(
        e[0].message.contains("outside the policy folder"),
        "{}",
        e[0].message
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ics_import_reads_all_day_recurring_zoned_and_overridden_events() {
    let root = testdata();
    let (set, diags) = compile_in(
        &[ics_cal("holidays.ics")],
        &[region("r", &["emea"])],
        Some(&root),
    );
    assert!(errors(&diags).is_empty(), "{diags:#?}");
    // The event without a duration is warned about.
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0].message.contains("no duration"));
    let r = set.region("r").unwrap();
    let name = "public holidays".to_string();
    let v = set.view(r, at("2026-01-01T00:00:00Z"), at("2028-12-31T00:00:00Z"));
    let want = vec![
        // New Year's Day, yearly, all day in Berlin (CET).
        (
            name.clone(),
            at("2025-12-31T23:00:00Z"),
            at("2026-01-01T23:00:00Z"),
        ),
        // Weekly on Fridays 09:00-17:00 New York (EDT), COUNT=3, the second moved to Saturday
        // by a RECURRENCE-ID override, the third cancelled by EXDATE.
        (
            name.clone(),
            at("2026-07-03T13:00:00Z"),
            at("2026-07-03T21:00:00Z"),
        ),
        (
            name.clone(),
            at("2026-07-11T14:00:00Z"),
            at("2026-07-11T16:00:00Z"),
        ),
        // A UTC event.
        (
            name.clone(),
            at("2026-11-11T10:00:00Z"),
            at("2026-11-11T12:00:00Z"),
        ),
        // Christmas, two whole days (DTEND exclusive).
        (
            name.clone(),
            at("2026-12-24T23:00:00Z"),
            at("2026-12-26T23:00:00Z"),
        ),
        (
            name.clone(),
            at("2026-12-31T23:00:00Z"),
            at("2027-01-01T23:00:00Z"),
        ),
        // 2028-01-01 is an EXDATE.
    ];
    let mut got = v.blackouts.clone();
    got.retain(|b| b.1 >= at("2026-01-01T00:00:00Z") || b.2 > at("2026-01-01T00:00:00Z"));
    // The view is clipped to its range: the first occurrence starts at the range start.
    let mut want = want;
    want[0].1 = at("2026-01-01T00:00:00Z");
    assert_eq!(got, want);
}

#[test]
fn to_ics_is_rfc5545_and_parses_back() {
    let long = "a blackout with a rather long name, a comma; a semicolon and more words to fold";
    let (set, r) = one_region(vec![calendar(
        "emea",
        "Europe/Berlin",
        vec![
            window("mon-fri", "09:00", "16:00"),
            blackout(long, daily("12:00", "13:00")),
        ],
    )]);
    let from = at("2026-12-01T00:00:00Z");
    let to = at("2026-12-03T00:00:00Z");
    let text = set.to_ics(r, from, to);
    assert_eq!(text, set.to_ics(r, from, to), "reproducible");
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    for line in text.split("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line break in {line:?}"
        );
        assert!(line.len() <= 75, "unfolded line {line:?}");
    }
    assert!(text.contains("DTSTAMP:20261201T000000Z\r\n"));
    assert!(text.contains("DTSTART:20261201T080000Z\r\n"));

    let parsed: icalendar::Calendar = text.parse().unwrap();
    use icalendar::Component;
    let events: Vec<_> = parsed.events().collect();
    // Two days: each has 08:00-11:00Z open, 11:00-12:00Z blackout, 12:00-15:00Z open.
    assert_eq!(events.len(), 6);
    let utc = |e: &icalendar::Event, key: &str| -> Instant {
        let v = e.property_value(key).unwrap();
        chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ")
            .unwrap()
            .and_utc()
    };
    let rows: Vec<(String, Instant, Instant)> = events
        .iter()
        .map(|e| {
            (
                e.get_summary().unwrap().to_string(),
                utc(e, "DTSTART"),
                utc(e, "DTEND"),
            )
        })
        .collect();
    let open = ics::OPEN_SUMMARY.to_string();
    assert_eq!(
        rows,
        vec![
            (
                open.clone(),
                at("2026-12-01T08:00:00Z"),
                at("2026-12-01T11:00:00Z")
            ),
            (
                long.to_string(),
                at("2026-12-01T11:00:00Z"),
                at("2026-12-01T12:00:00Z")
            ),
            (
                open.clone(),
                at("2026-12-01T12:00:00Z"),
                at("2026-12-01T15:00:00Z")
            ),
            (
                open.clone(),
                at("2026-12-02T08:00:00Z"),
                at("2026-12-02T11:00:00Z")
            ),
            (
                long.to_string(),
                at("2026-12-02T11:00:00Z"),
                at("2026-12-02T12:00:00Z")
            ),
            (open, at("2026-12-02T12:00:00Z"), at("2026-12-02T15:00:00Z")),
        ]
    );
    let uids: std::collections::BTreeSet<&str> =
        events.iter().map(|e| e.get_uid().unwrap()).collect();
    assert_eq!(uids.len(), 6);
    for e in &events {
        assert_eq!(e.property_value("DTSTAMP"), Some("20261201T000000Z"));
    }
}

#[test]
fn rrule_anchor_makes_quarterly_rules_hit_quarter_ends_and_weekly_rules_mondays() {
    // The SPEC's example: "quarter close" rrule "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1" at 00:00 for 2d.
    let (set, r) = one_region(vec![calendar(
        "emea",
        "UTC",
        vec![
            blackout(
                "quarter close",
                rrule(
                    "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1",
                    "00:00",
                    2 * 86_400,
                    &[],
                ),
            ),
            blackout("monday", rrule("FREQ=WEEKLY", "06:00", 3600, &[])),
        ],
    )]);
    let v = set.view(r, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
    let quarters: Vec<_> = v
        .blackouts
        .iter()
        .filter(|b| b.0 == "quarter close")
        .map(|b| (b.1, b.2))
        .collect();
    assert_eq!(
        quarters,
        vec![
            // 2025-12-31 for two days, clipped to the view
            (at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z")),
            (at("2026-03-31T00:00:00Z"), at("2026-04-02T00:00:00Z")),
            (at("2026-06-30T00:00:00Z"), at("2026-07-02T00:00:00Z")),
            (at("2026-09-30T00:00:00Z"), at("2026-10-02T00:00:00Z")),
            (at("2026-12-31T00:00:00Z"), at("2027-01-01T00:00:00Z")),
        ]
    );
    let mondays: Vec<_> = v
        .blackouts
        .iter()
        .filter(|b| b.0 == "monday")
        .map(|b| b.1)
        .collect();
    assert_eq!(mondays.len(), 52);
    assert!(
        mondays
            .iter()
            .all(|m| m.format("%a %H:%M").to_string() == "Mon 06:00")
    );
}

// ---- hostile and edge-case rules (issue 12) ----------------------------------------------

/// `weekly mon 00:00 - sun 24:00` is the whole week (docs/calendars.md): 24:00 ends Sunday,
/// as it ends a day in daily ranges. Its weeks touch at the boundary, so the blackout is one
/// stretch, and a change across Sunday midnight is blocked on both sides of it.
#[test]
fn a_weekly_range_to_sunday_24_00_is_the_whole_week() {
    for (from, to) in [("mon", "sun"), ("tue", "mon"), ("sun", "sat")] {
        let (set, r) = one_region(vec![calendar(
            "freeze",
            "Europe/Berlin",
            vec![blackout("all week", weekly(from, "00:00", to, "24:00"))],
        )]);
        let v = set.view(r, at("2026-11-29T00:00:00Z"), at("2026-12-14T00:00:00Z"));
        assert_eq!(
            v.blackouts,
            vec![(
                "all week".to_string(),
                at("2026-11-29T00:00:00Z"),
                at("2026-12-14T00:00:00Z")
            )],
            "{from} - {to}"
        );
        assert!(v.open.is_empty());
        // Sunday 2026-12-06 23:30 to Monday 00:30 Berlin time, and each side alone.
        for (a, b) in [
            ("2026-12-06T22:30:00Z", "2026-12-06T23:30:00Z"),
            ("2026-12-06T22:59:00Z", "2026-12-06T23:00:00Z"),
            ("2026-12-06T23:00:00Z", "2026-12-06T23:01:00Z"),
        ] {
            let c = check(&set, r, a, b);
            assert!(!c.open, "{from} - {to}: {a}");
            assert_eq!(c.blocked_by, vec!["all week".to_string()]);
        }
    }
    // Ending at 24:00 one day earlier leaves Sunday open, to the minute.
    let (set, r) = one_region(vec![calendar(
        "freeze",
        "UTC",
        vec![blackout("weekdays", weekly("mon", "00:00", "sat", "24:00"))],
    )]);
    assert!(!check(&set, r, "2026-12-05T23:59:00Z", "2026-12-06T00:00:00Z").open);
    assert!(check(&set, r, "2026-12-06T00:00:00Z", "2026-12-06T23:59:59Z").open);
    assert!(!check(&set, r, "2026-12-06T23:59:00Z", "2026-12-07T00:00:01Z").open);
    // A range that starts where it ends, away from 24:00, is still empty.
    let cal = calendar(
        "c",
        "UTC",
        vec![blackout("g", weekly("mon", "00:00", "mon", "00:00"))],
    );
    let (_, diags) = compile_in(&[cal], &[region("r", &["c"])], None);
    let e = errors(&diags);
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("empty weekly range"));
}

/// RRULEs that would never fire or would cost unbounded work are compile errors at the
/// RRULE's text: INTERVAL=0, parts that never meet, and too many starts a year.
#[test]
fn rrules_that_never_fire_or_start_too_often_are_errors() {
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let minutes: Vec<String> = (0..60).map(|m| m.to_string()).collect();
    let too_many = format!(
        "FREQ=DAILY;BYHOUR={};BYMINUTE={}",
        hours.join(","),
        minutes.join(",")
    );
    let cases = [
        (
            "FREQ=WEEKLY;INTERVAL=0;BYDAY=TU",
            "INTERVAL must be a positive number",
        ),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
        // From 1969, every fourth year is a common year.
        (
            "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
            "never occurs",
        ),
        (too_many.as_str(), "more than the limit of 10000"),
    ];
    for (text, says) in cases {
        let cal = calendar(
            "c",
            "UTC",
            vec![blackout("b", rrule(text, "00:00", 3660 * 86_400, &[]))],
        );
        let (_, diags) = compile_in(&[cal], &[region("r", &["c"])], None);
        let e = errors(&diags);
        assert_eq!(e.len(), 1, "{text}: {diags:#?}");
        assert!(e[0].message.contains(says), "{text}: {}", e[0].message);
    }
}

/// A rule at the limit with the longest `for` compiles and answers quickly: a year of the
/// index holds the year's own occurrences plus the latest before it, not ten years of them.
#[test]
fn the_longest_occurrences_of_a_dense_rule_stay_cheap() {
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let text = format!("FREQ=DAILY;BYHOUR={}", hours.join(","));
    let (set, r) = one_region(vec![calendar(
        "c",
        "Europe/Berlin",
        vec![blackout("b", rrule(&text, "00:00", 3660 * 86_400, &[]))],
    )]);
    let started = std::time::Instant::now();
    let c = check(&set, r, "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z");
    assert!(!c.open);
    assert_eq!(c.blocked_by, vec!["b".to_string()]);
    // Generous for a debug build on a loaded machine; it took 19 s before the fix with a
    // much denser rule, and this one materialised ten years of occurrences.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// Rules each within their own limit still add up: all the recurring blackouts of a policy
/// may start at most 100,000 times a year together, reported at the one that goes over.
#[test]
fn the_policy_s_recurring_blackouts_have_a_yearly_limit_in_all() {
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let hourly = format!("FREQ=DAILY;BYHOUR={}", hours.join(","));
    let cal = |name: &str, n: usize| {
        let entries = (0..n)
            .map(|i| blackout(&format!("b{i}"), rrule(&hourly, "00:00", 60, &[])))
            .collect();
        calendar(name, "UTC", entries)
    };
    // Eleven hourly rules (8,784 starts a year each) are within the limit.
    let (_, diags) = compile_in(&[cal("c", 11)], &[region("r", &["c"])], None);
    assert!(errors(&diags).is_empty(), "{diags:#?}");
    // A twelfth, in another calendar, goes over it; one error, at that blackout.
    let (_, diags) = compile_in(
        &[cal("c", 11), cal("d", 3)],
        &[region("r", &["c", "d"])],
        None,
    );
    let e = errors(&diags);
    assert_eq!(e.len(), 1, "{diags:#?}");
    assert!(
        e[0].message
            .contains("can start 105408 times a year in all with this one"),
        "{}",
        e[0].message
    );
}

/// An imported RRULE whose parts never meet is left out with a warning (only the event's
/// DTSTART counts), instead of making every expansion search thousands of years; imported
/// rules are held to the same RFC 5545 checks and limits as `rrule` blackouts.
#[test]
fn imported_rrules_that_never_occur_are_dropped_and_invalid_ones_are_errors() {
    let event = |rrule: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:close\r\n\
             DTSTART;VALUE=DATE:20260210\r\nDTEND;VALUE=DATE:20260211\r\nRRULE:{rrule}\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let imported = super::ics::import(
        &event("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30"),
        chrono_tz::Tz::UTC,
    )
    .unwrap();
    assert_eq!(imported.events.len(), 1);
    assert!(imported.events[0].recurrence.rules.is_empty());
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    assert!(
        imported.warnings[0].contains("never occurs"),
        "{:?}",
        imported.warnings
    );
    for (rule, says) in [
        (
            "FREQ=WEEKLY;INTERVAL=0",
            "INTERVAL must be a positive number",
        ),
        (
            "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,30",
            "limit of 10000",
        ),
    ] {
        let e = super::ics::import(&event(rule), chrono_tz::Tz::UTC).unwrap_err();
        assert!(e.contains(says), "{rule}: {e}");
    }
}

// ---- groups: every calendar at once, each in its own zone --------------------------------

/// London, New York and Singapore business hours (Monday to Friday, 09:00-17:00 local),
/// one region each, and a blackout in New York on Monday 2026-12-07.
fn follow_the_sun() -> (CalendarSet, [RegionId; 3]) {
    let cals = vec![
        calendar(
            "london",
            "Europe/London",
            vec![window("mon-fri", "09:00", "17:00")],
        ),
        calendar(
            "new-york",
            "America/New_York",
            vec![
                window("mon-fri", "09:00", "17:00"),
                blackout("town hall", dates("2026-12-07", "2026-12-07")),
            ],
        ),
        calendar(
            "singapore",
            "Asia/Singapore",
            vec![window("mon-fri", "09:00", "17:00")],
        ),
    ];
    let regions = [
        region("eu", &["london"]),
        region("us", &["new-york"]),
        region("apac", &["singapore"]),
    ];
    let (set, diags) = compile_in(&cals, &regions, None);
    assert!(errors(&diags).is_empty(), "{diags:#?}");
    let ids = ["eu", "us", "apac"].map(|r| set.region(r).unwrap());
    (set, ids)
}

fn group_of(set: &CalendarSet, regions: &[RegionId]) -> CalendarGroup {
    regions
        .iter()
        .flat_map(|&r| set.region_calendars(r).iter().copied())
        .collect()
}

#[test]
fn a_group_fits_only_where_every_calendar_is_open_at_once() {
    let (set, [eu, us, apac]) = follow_the_sun();
    let both = group_of(&set, &[eu, us]);
    assert_eq!(both.ids().len(), 2);
    // London 09:00-17:00Z and New York 14:00-22:00Z in December: 14:00-17:00Z in common;
    // Monday the 7th is New York's town hall, so Tuesday.
    assert_eq!(
        set.group_next_window(both.ids(), at("2026-12-07T08:00:00Z"), 2 * 3600, Lift::NONE),
        span_of("2026-12-08T14:00:00Z", "2026-12-08T17:00:00Z")
    );
    // Each region alone is open on Monday morning (London) or Monday evening (nothing:
    // New York is blacked out all day).
    assert_eq!(
        set.next_window(eu, at("2026-12-07T08:00:00Z"), 2 * 3600, Lift::NONE),
        span_of("2026-12-07T09:00:00Z", "2026-12-07T17:00:00Z")
    );
    // With the blackouts lifted, Monday's common stretch.
    assert_eq!(
        set.group_next_window(
            both.ids(),
            at("2026-12-07T08:00:00Z"),
            2 * 3600,
            Lift::BLACKOUTS
        ),
        span_of("2026-12-07T14:00:00Z", "2026-12-07T17:00:00Z")
    );
    // Four hours fit only while New York has moved its clocks and London has not yet
    // (13:00-17:00Z from Monday 2027-03-15), never in winter.
    assert_eq!(
        set.group_next_window(both.ids(), at("2026-12-07T08:00:00Z"), 4 * 3600, Lift::NONE),
        span_of("2027-03-15T13:00:00Z", "2027-03-15T17:00:00Z")
    );
    // Singapore (01:00-09:00Z) never meets New York: no window for all three in a year.
    let all = group_of(&set, &[eu, us, apac]);
    assert_eq!(
        set.group_next_window(all.ids(), at("2026-12-07T08:00:00Z"), 60, Lift::NONE),
        None
    );
    let c = set.check_group(
        all.ids(),
        at("2026-12-08T15:00:00Z"),
        at("2026-12-08T16:00:00Z"),
        Lift::NONE,
        None,
    );
    assert!(!c.open);
    assert_eq!(c.blocked_by, vec![OUTSIDE_WINDOWS.to_string()]);
    assert_eq!(c.next_window, None);
    // Inside the common hours, but on New York's blackout.
    let c = set.check_group(
        both.ids(),
        at("2026-12-07T15:00:00Z"),
        at("2026-12-07T16:00:00Z"),
        Lift::NONE,
        None,
    );
    assert!(!c.open);
    assert_eq!(c.blocked_by, vec!["town hall".to_string()]);
    assert_eq!(
        c.next_window,
        span_of("2026-12-08T14:00:00Z", "2026-12-08T17:00:00Z")
    );
}

#[test]
fn a_region_check_is_the_group_check_of_its_calendars() {
    let (set, [eu, us, _]) = follow_the_sun();
    for (start, end) in [
        ("2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z"),
        ("2026-12-07T15:00:00Z", "2026-12-07T18:00:00Z"),
        ("2026-12-12T10:00:00Z", "2026-12-12T11:00:00Z"),
    ] {
        for r in [eu, us] {
            let region = set.check(r, at(start), at(end), Lift::NONE);
            let group = set.check_group(
                set.region_calendars(r),
                at(start),
                at(end),
                Lift::NONE,
                set.region_at(r),
            );
            assert_eq!(region, group, "{start} in {}", set.region_name(r));
        }
    }
    // A calendar listed twice changes nothing; an unknown one never fits.
    let london = set.calendar("london").unwrap();
    assert_eq!(set.calendar_name(london), "london");
    let once = set.check_group(
        &[london],
        at("2026-12-07T10:00:00Z"),
        at("2026-12-07T11:00:00Z"),
        Lift::NONE,
        None,
    );
    let twice = set.check_group(
        &[london, london],
        at("2026-12-07T10:00:00Z"),
        at("2026-12-07T11:00:00Z"),
        Lift::NONE,
        None,
    );
    assert!(once.open);
    assert_eq!(once, twice);
    let unknown = set.check_group(
        &[london, CalendarId(99)],
        at("2026-12-07T10:00:00Z"),
        at("2026-12-07T11:00:00Z"),
        Lift::NONE,
        None,
    );
    assert!(!unknown.open);
    assert_eq!(unknown.next_window, None);
    // The empty group is open everywhere; its stretch is reported up to the horizon.
    assert_eq!(
        set.group_next_window(&[], at("2026-12-07T10:00:00Z"), 3600, Lift::NONE),
        span_of("2026-12-07T10:00:00Z", "2027-12-07T10:00:00Z")
    );
}
