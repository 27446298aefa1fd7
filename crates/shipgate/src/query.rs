//! Questions about a compiled policy that are not decisions: a region's calendar over a
//! range (as a report or as iCalendar) and its next window, and the same for everything that
//! applies to a change (a group of calendars found by the evaluator), and the local days of a
//! time zone over a range. They read the checked policy and its calendars only; no change is
//! decided.

use crate::calendar::{CalendarGroup, CalendarView, Lift, RegionId, tzdb_version, view_to_ics};
use crate::check::Compiled;
use crate::decision::{
    BlackoutOccurrence, CalendarDays, CalendarReport, ChangeCalendarReport, LocalDay,
    ServiceCalendarReport, Stretch,
};
use crate::error::{Error, InputError};
use crate::time::{Instant, format_instant};

fn region_id(policy: &Compiled, region: &str) -> Result<RegionId, Error> {
    let cals = &policy.ir.calendars;
    cals.region(region)
        .ok_or_else(|| InputError::new("region", cals.unknown_region(region)).into())
}

fn check_range(from: Instant, to: Instant) -> Result<(), Error> {
    if to <= from {
        return Err(InputError::new("to", "must be after `from`").into());
    }
    if (to - from).num_days() > 3 * 366 {
        return Err(InputError::new("to", "a calendar range may span at most three years").into());
    }
    Ok(())
}

pub fn calendar_report(
    policy: &Compiled,
    region: &str,
    from: Instant,
    to: Instant,
) -> Result<CalendarReport, Error> {
    let id = region_id(policy, region)?;
    check_range(from, to)?;
    let (open, blackouts) = report_parts(policy.ir.calendars.view(id, from, to));
    Ok(CalendarReport {
        region: region.to_string(),
        timezone_db: tzdb_version().to_string(),
        open,
        blackouts,
    })
}

fn report_parts(view: CalendarView) -> (Vec<Stretch>, Vec<BlackoutOccurrence>) {
    let open = view
        .open
        .into_iter()
        .map(|(start, end)| Stretch { start, end })
        .collect();
    let blackouts = view
        .blackouts
        .into_iter()
        .map(|(name, s, e)| BlackoutOccurrence {
            name,
            start: format_instant(s),
            end: format_instant(e),
        })
        .collect();
    (open, blackouts)
}

/// What the group allows over `[from, to)`; with no group (no calendar can allow the
/// change), never open and no blackout.
fn group_view(
    policy: &Compiled,
    group: Option<&CalendarGroup>,
    from: Instant,
    to: Instant,
) -> CalendarView {
    match group {
        Some(g) => policy.ir.calendars.group_view(g.ids(), from, to),
        None => CalendarView::default(),
    }
}

/// The calendar report of a change: `regions` and `group` as the evaluator found them.
pub fn change_calendar_report(
    policy: &Compiled,
    change: &str,
    regions: Vec<String>,
    group: Option<&CalendarGroup>,
    from: Instant,
    to: Instant,
) -> Result<ChangeCalendarReport, Error> {
    check_range(from, to)?;
    let cals = &policy.ir.calendars;
    let (open, blackouts) = report_parts(group_view(policy, group, from, to));
    Ok(ChangeCalendarReport {
        change: change.to_string(),
        regions,
        calendars: group
            .map(|g| {
                g.ids()
                    .iter()
                    .map(|&c| cals.calendar_name(c).to_string())
                    .collect()
            })
            .unwrap_or_default(),
        timezone_db: tzdb_version().to_string(),
        open,
        blackouts,
    })
}

/// [`change_calendar_report`] as an RFC 5545 calendar named after the change.
pub fn change_calendar_ics(
    policy: &Compiled,
    change: &str,
    group: Option<&CalendarGroup>,
    from: Instant,
    to: Instant,
) -> Result<String, Error> {
    check_range(from, to)?;
    Ok(view_to_ics(
        change,
        &group_view(policy, group, from, to),
        from,
    ))
}

/// The earliest stretch at or after `after` where `duration_secs` fits every calendar of the
/// group at once, as `(start, end of the common stretch)`; `None` with no group.
pub fn change_next_window(
    policy: &Compiled,
    group: Option<&CalendarGroup>,
    after: Instant,
    duration_secs: i64,
) -> Option<(Instant, Instant)> {
    let group = group?;
    policy
        .ir
        .calendars
        .group_next_window(group.ids(), after, duration_secs, Lift::default())
}

pub fn calendar_ics(
    policy: &Compiled,
    region: &str,
    from: Instant,
    to: Instant,
) -> Result<String, Error> {
    let id = region_id(policy, region)?;
    check_range(from, to)?;
    Ok(policy.ir.calendars.to_ics(id, from, to))
}

pub fn next_window(
    policy: &Compiled,
    region: &str,
    after: Instant,
    duration_secs: i64,
) -> Result<Option<(Instant, Instant)>, Error> {
    let cals = &policy.ir.calendars;
    let id = region_id(policy, region)?;
    if duration_secs < 0 {
        return Err(InputError::new("duration", "must not be negative").into());
    }
    Ok(cals.next_window(id, after, duration_secs, Lift::default()))
}

/// What applies to one service (`shipgate calendar --service`): where every calendar of the
/// group (its regions', its scopes', its catalog entry's) is open at once, and the blackouts
/// of any of them, within `[from, to)`.
pub fn service_calendar_report(
    policy: &Compiled,
    service: &str,
    regions: Vec<String>,
    group: &CalendarGroup,
    from: Instant,
    to: Instant,
) -> Result<ServiceCalendarReport, Error> {
    check_range(from, to)?;
    let cals = &policy.ir.calendars;
    let (open, blackouts) = report_parts(group_view(policy, Some(group), from, to));
    Ok(ServiceCalendarReport {
        service: service.to_string(),
        regions,
        calendars: group
            .ids()
            .iter()
            .map(|&c| cals.calendar_name(c).to_string())
            .collect(),
        timezone_db: tzdb_version().to_string(),
        open,
        blackouts,
    })
}

/// [`service_calendar_report`] as an RFC 5545 calendar named after the service.
pub fn service_calendar_ics(
    policy: &Compiled,
    service: &str,
    group: &CalendarGroup,
    from: Instant,
    to: Instant,
) -> Result<String, Error> {
    check_range(from, to)?;
    Ok(view_to_ics(
        service,
        &group_view(policy, Some(group), from, to),
        from,
    ))
}

/// The local days of a region's calendar over `[from, to)`, in its zone (UTC when it uses no
/// calendar).
pub fn region_days(
    policy: &Compiled,
    region: &str,
    from: Instant,
    to: Instant,
) -> Result<CalendarDays, Error> {
    let id = region_id(policy, region)?;
    let cals = &policy.ir.calendars;
    group_days(cals.group_zone(cals.region_calendars(id)), from, to)
}

/// The local days of a group of calendars over `[from, to)`, in the group's zone (UTC for an
/// empty group).
pub fn service_days(
    policy: &Compiled,
    group: &CalendarGroup,
    from: Instant,
    to: Instant,
) -> Result<CalendarDays, Error> {
    group_days(policy.ir.calendars.group_zone(group.ids()), from, to)
}

fn group_days(
    zone: Option<chrono_tz::Tz>,
    from: Instant,
    to: Instant,
) -> Result<CalendarDays, Error> {
    // Without a calendar nothing is local: the days are UTC's.
    let timezone = zone.map_or("UTC", |tz| tz.name());
    Ok(CalendarDays {
        timezone: timezone.to_string(),
        days: local_days(timezone, from, to)?,
    })
}

/// The local days of the IANA zone `timezone` that `[from, to)` touches, in order: each with
/// the UTC offset it begins and ends with, so that a month view can mark the days whose offset
/// changes. The range is bounded as a calendar report's (at most three years).
pub fn local_days(timezone: &str, from: Instant, to: Instant) -> Result<Vec<LocalDay>, Error> {
    let zone: chrono_tz::Tz = timezone.parse().map_err(|_| {
        InputError::new(
            "timezone",
            format!("unknown time zone {timezone:?}: expected an IANA name like \"Europe/Berlin\""),
        )
    })?;
    check_range(from, to)?;
    let first = from.with_timezone(&zone).date_naive();
    let last = (to - chrono::TimeDelta::nanoseconds(1))
        .with_timezone(&zone)
        .date_naive();
    // The offset in effect just before an instant: a day begins with the one its first
    // instant follows, and ends with the one the next day begins with.
    let before = |t: Instant| offset_at(zone, t - chrono::TimeDelta::seconds(1));
    let mut days = Vec::new();
    let mut date = first;
    let mut begins = before(day_start(zone, date));
    while date <= last {
        let Some(next) = date.succ_opt() else { break };
        let ends = before(day_start(zone, next));
        days.push(LocalDay {
            date,
            utc_offset_start: begins.to_string(),
            utc_offset_end: ends.to_string(),
            dst_change: begins != ends,
        });
        (date, begins) = (next, ends);
    }
    Ok(days)
}

fn offset_at(zone: chrono_tz::Tz, t: Instant) -> chrono::FixedOffset {
    use chrono::Offset;
    t.with_timezone(&zone).offset().fix()
}

/// The first instant whose local date in `zone` is `date`: its midnight, the earlier one when
/// midnight comes twice, or the end of the gap when the clocks skip midnight.
fn day_start(zone: chrono_tz::Tz, date: chrono::NaiveDate) -> Instant {
    use chrono::{LocalResult, TimeZone};
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    match zone.from_local_datetime(&midnight) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.to_utc(),
        LocalResult::None => {
            // Midnight is in a gap that starts there: the day begins at the instant the clock
            // would have read midnight with the offset of the day before.
            let before = offset_at(
                zone,
                chrono::Utc.from_utc_datetime(&midnight) - chrono::TimeDelta::days(1),
            );
            chrono::Utc.from_utc_datetime(&(midnight - before))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Instant {
        text.parse().unwrap()
    }

    fn days(zone: &str, from: &str, to: &str) -> Vec<LocalDay> {
        local_days(zone, at(from), at(to)).unwrap()
    }

    #[test]
    fn berlin_falls_back_on_the_last_sunday_of_october() {
        let october = days(
            "Europe/Berlin",
            "2026-09-30T22:00:00Z",
            "2026-10-31T23:00:00Z",
        );
        assert_eq!(october.len(), 31);
        assert_eq!(october[0].date.to_string(), "2026-10-01");
        assert_eq!(october[30].date.to_string(), "2026-10-31");
        let changed: Vec<String> = october
            .iter()
            .filter(|d| d.dst_change)
            .map(|d| d.date.to_string())
            .collect();
        assert_eq!(changed, ["2026-10-25"]);
        let day = &october[24];
        assert_eq!(
            (day.utc_offset_start.as_str(), day.utc_offset_end.as_str()),
            ("+02:00", "+01:00")
        );
        assert_eq!(october[23].utc_offset_end, "+02:00");
        assert_eq!(october[25].utc_offset_start, "+01:00");
        let json = serde_json::to_value(day).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"date": "2026-10-25", "utc_offset_start": "+02:00",
                               "utc_offset_end": "+01:00", "dst_change": true})
        );
    }

    #[test]
    fn kolkata_never_changes() {
        let year = days(
            "Asia/Kolkata",
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
        );
        // The range starts at 05:30 local on January 1st and ends at 05:30 on January 1st of
        // the next year: that day is touched too.
        assert_eq!(year.len(), 366);
        assert!(
            year.iter()
                .all(|d| !d.dst_change && d.utc_offset_start == "+05:30")
        );
    }

    #[test]
    fn lord_howe_shifts_half_an_hour() {
        let spring = days(
            "Australia/Lord_Howe",
            "2026-10-03T00:00:00Z",
            "2026-10-05T00:00:00Z",
        );
        let changed: Vec<_> = spring.iter().filter(|d| d.dst_change).collect();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].date.to_string(), "2026-10-04");
        assert_eq!(changed[0].utc_offset_start, "+10:30");
        assert_eq!(changed[0].utc_offset_end, "+11:00");
    }

    #[test]
    fn a_switch_at_midnight_marks_the_day_that_starts_late() {
        // Chile skips from 00:00 to 01:00 on 2026-09-06 (Santiago, -04:00 to -03:00).
        let week = days(
            "America/Santiago",
            "2026-09-04T12:00:00Z",
            "2026-09-08T12:00:00Z",
        );
        let changed: Vec<String> = week
            .iter()
            .filter(|d| d.dst_change)
            .map(|d| d.date.to_string())
            .collect();
        assert_eq!(changed, ["2026-09-06"]);
    }

    #[test]
    fn bad_zone_and_range_are_input_errors() {
        let e = local_days(
            "Europe/Berln",
            at("2026-10-01T00:00:00Z"),
            at("2026-10-02T00:00:00Z"),
        )
        .unwrap_err();
        assert!(matches!(&e, Error::Input(i) if i.path == "timezone"), "{e}");
        let e = local_days(
            "UTC",
            at("2026-10-02T00:00:00Z"),
            at("2026-10-01T00:00:00Z"),
        )
        .unwrap_err();
        assert!(matches!(&e, Error::Input(i) if i.path == "to"), "{e}");
        let e = local_days(
            "UTC",
            at("2026-01-01T00:00:00Z"),
            at("2036-01-01T00:00:00Z"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("three years"), "{e}");
    }
}
