//! Questions about a compiled policy that are not decisions: a region's calendar over a
//! range (as a report or as iCalendar) and its next window, and the same for everything that
//! applies to a change (a group of calendars found by the evaluator). They read the checked
//! policy and its calendars only; no change is decided.

use crate::calendar::{CalendarGroup, CalendarView, Lift, RegionId, tzdb_version, view_to_ics};
use crate::check::Compiled;
use crate::decision::{
    BlackoutOccurrence, CalendarReport, ChangeCalendarReport, ServiceCalendarReport, Stretch,
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
