//! Questions about a compiled policy that are not decisions: a region's calendar over a
//! range (as a report or as iCalendar) and its next window. They read the checked policy and
//! its calendars only; no change is decided.

use crate::calendar::{CalendarId, Lift, RegionId, tzdb_version};
use crate::check::Compiled;
use crate::decision::{BlackoutOccurrence, CalendarReport, ServiceCalendarReport, Stretch};
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
    let view = policy.ir.calendars.view(id, from, to);
    Ok(CalendarReport {
        region: region.to_string(),
        timezone_db: tzdb_version().to_string(),
        open: view
            .open
            .into_iter()
            .map(|(start, end)| Stretch { start, end })
            .collect(),
        blackouts: view
            .blackouts
            .into_iter()
            .map(|(name, s, e)| BlackoutOccurrence {
                name,
                start: format_instant(s),
                end: format_instant(e),
            })
            .collect(),
    })
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
    group: &[CalendarId],
    from: Instant,
    to: Instant,
) -> Result<ServiceCalendarReport, Error> {
    check_range(from, to)?;
    let cals = &policy.ir.calendars;
    let view = cals.group_view(group, from, to);
    Ok(ServiceCalendarReport {
        service: service.to_string(),
        regions,
        calendars: group
            .iter()
            .map(|&c| cals.calendar_name(c).to_string())
            .collect(),
        timezone_db: tzdb_version().to_string(),
        open: view
            .open
            .into_iter()
            .map(|(start, end)| Stretch { start, end })
            .collect(),
        blackouts: view
            .blackouts
            .into_iter()
            .map(|(name, s, e)| BlackoutOccurrence {
                name,
                start: format_instant(s),
                end: format_instant(e),
            })
            .collect(),
    })
}

/// The same as [`service_calendar_report`] as an RFC 5545 iCalendar document named after
/// the service.
pub fn service_calendar_ics(
    policy: &Compiled,
    service: &str,
    group: &[CalendarId],
    from: Instant,
    to: Instant,
) -> Result<String, Error> {
    check_range(from, to)?;
    Ok(policy.ir.calendars.group_to_ics(service, group, from, to))
}
