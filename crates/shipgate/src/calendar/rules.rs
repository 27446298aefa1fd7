//! The compiled forms of windows and blackouts, and their occurrences as wall-clock intervals.
//!
//! Wall-clock ("naive local") times are counted in seconds since 1970-01-01T00:00 on the
//! calendar's clock, with no zone attached; `index` maps them to UTC.

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, TimeDelta, TimeZone};
use chrono_tz::Tz;
use rrule::{Frequency, NWeekday, RRule, RRuleSet, Unvalidated};

use super::intervals::Iv;
use crate::limits::Limit;

pub(crate) const DAY: i64 = 86_400;
/// The longest a recurring occurrence may last (about ten years).
pub(crate) const MAX_DURATION: i64 = 3660 * DAY;
const MINUTE: i64 = 60;
/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// Wall-clock seconds of a naive date-time.
pub(crate) fn naive_secs(dt: NaiveDateTime) -> i64 {
    dt.and_utc().timestamp()
}

/// The naive date-time of wall-clock seconds.
pub(crate) fn naive_at(secs: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc())
}

/// Days since 1970-01-01 of a date.
pub(crate) fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - EPOCH_DAYS_FROM_CE
}

fn date_of(day: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + EPOCH_DAYS_FROM_CE).ok()?)
}

/// Monday = 0 ... Sunday = 6 of a day number (1970-01-01 was a Thursday).
fn weekday_of(day: i64) -> usize {
    // rem_euclid(7) is in 0..7
    (day + 3).rem_euclid(7) as usize
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    match (
        NaiveDate::from_ymd_opt(year, month, 1),
        NaiveDate::from_ymd_opt(ny, nm, 1),
    ) {
        (Some(a), Some(b)) => u32::try_from((b - a).num_days()).unwrap_or(31),
        _ => 31,
    }
}

/// A `monthly days` bound resolved against a month's length: positive counts from the
/// start (1 = first day), negative from the end (-1 = last day).
pub(crate) fn resolve_month_day(day: i32, len: u32) -> i64 {
    if day > 0 {
        i64::from(day)
    } else {
        i64::from(len) + 1 + i64::from(day)
    }
}

/// A rule that holds at certain wall-clock times of the calendar's zone.
#[derive(Debug, Clone)]
pub(crate) enum LocalRule {
    /// On each day in `days` (Monday = 0), from `start` to `end` minutes after midnight;
    /// `end <= start` runs into the next day. Windows and `daily` blackouts.
    Daily {
        days: [bool; 7],
        start: u32,
        end: u32,
    },
    /// Every week from `from_day` at `from_min` for `len_min` minutes (`weekly fri 18:00 -
    /// mon 06:00`).
    Weekly {
        from_day: u32,
        from_min: u32,
        len_min: u32,
    },
    /// Days `from..=to` of each month (negative from the end), all day or in a time range
    /// that may run into the next day.
    Monthly {
        from: i32,
        to: i32,
        times: Option<(u32, u32)>,
    },
    /// One wall-clock stretch `[start, end)` in wall-clock seconds.
    Span { start: i64, end: i64 },
    /// The occurrences of a recurrence, each lasting its duration on the wall clock.
    Recur(Recurrence),
}

impl LocalRule {
    /// Appends every wall-clock interval of the rule that meets `[lo, hi)` (and maybe a few
    /// more nearby).
    pub(crate) fn intervals(&self, lo: i64, hi: i64, out: &mut Vec<Iv>) {
        let (first_day, last_day) = (lo.div_euclid(DAY), hi.div_euclid(DAY));
        match self {
            LocalRule::Daily { days, start, end } => {
                for day in first_day - 1..=last_day {
                    if days.get(weekday_of(day)).copied().unwrap_or(false) {
                        out.push(day_range(day, *start, *end));
                    }
                }
            }
            LocalRule::Weekly {
                from_day,
                from_min,
                len_min,
            } => {
                for day in first_day - 7..=last_day {
                    if weekday_of(day) == *from_day as usize {
                        let a = day * DAY + i64::from(*from_min) * MINUTE;
                        out.push((a, a + i64::from(*len_min) * MINUTE));
                    }
                }
            }
            LocalRule::Monthly { from, to, times } => {
                let (Some(d0), Some(d1)) = (date_of(first_day - 1), date_of(last_day)) else {
                    return;
                };
                let mut month = d0.with_day(1);
                while let Some(m) = month {
                    if m > d1 {
                        break;
                    }
                    let len = days_in_month(m.year(), m.month());
                    let a = resolve_month_day(*from, len).max(1);
                    let b = resolve_month_day(*to, len).min(i64::from(len));
                    let base = day_number(m) - 1;
                    if a <= b {
                        match times {
                            None => out.push(((base + a) * DAY, (base + b + 1) * DAY)),
                            Some((s, e)) => {
                                for d in a..=b {
                                    out.push(day_range(base + d, *s, *e));
                                }
                            }
                        }
                    }
                    month = m.checked_add_months(Months::new(1));
                }
            }
            LocalRule::Span { start, end } => {
                if *start < hi && *end > lo {
                    out.push((*start, *end));
                }
            }
            LocalRule::Recur(r) => {
                let (Some(from), Some(to)) = (naive_at(lo), naive_at(hi)) else {
                    return;
                };
                for o in r.reaching(from, to) {
                    let a = naive_secs(o);
                    out.push((a, a + r.duration));
                }
            }
        }
    }
}

/// `[start, end)` minutes on day `day`; an end at or before the start is on the next day.
fn day_range(day: i64, start: u32, end: u32) -> Iv {
    let a = day * DAY + i64::from(start) * MINUTE;
    let end_day = if end > start { day } else { day + 1 };
    (a, end_day * DAY + i64::from(end) * MINUTE)
}

/// Occurrences of RFC 5545 recurrence rules, expanded on a wall clock (the calendar's, or
/// an imported event's zone).
#[derive(Debug, Clone)]
pub(crate) struct Recurrence {
    /// `RRULE`s, each already validated against `anchor`; none means only `anchor` and
    /// `rdates` occur.
    pub rules: Vec<RRule<Unvalidated>>,
    /// `DTSTART`.
    pub anchor: NaiveDateTime,
    /// Extra occurrences (`RDATE`, and an imported event's own `DTSTART`).
    pub rdates: Vec<NaiveDateTime>,
    /// Occurrences removed by exact start (`EXDATE`).
    pub exdates: BTreeSet<NaiveDateTime>,
    /// Occurrences removed by the date they start on (`except`, `EXDATE;VALUE=DATE`).
    pub except_dates: BTreeSet<NaiveDate>,
    /// How long each occurrence lasts, in seconds.
    pub duration: i64,
}

impl Recurrence {
    /// Occurrence starts in `[from, to)`, sorted, without duplicates.
    pub(crate) fn starts(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
        let mut out: Vec<NaiveDateTime> = if self.rules.is_empty() {
            vec![self.anchor]
        } else {
            Vec::new()
        };
        for rule in &self.rules {
            out.extend(expand(rule, self.anchor, from, to));
        }
        out.extend(self.rdates.iter().copied());
        out.retain(|o| {
            *o >= from
                && *o < to
                && !self.exdates.contains(o)
                && !self.except_dates.contains(&o.date())
        });
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Recurrence {
    /// Starts of the occurrences that may meet `[from, to)`: those in `[from, to)`, and of
    /// the ones that start up to `duration` before `from`, only the latest (with any that
    /// start within [`TAIL`] before it). All occurrences last the same, so an earlier one
    /// ends earlier, and what it covers after `from` the latest one covers too: a long
    /// `for` then costs no more than a short one, instead of materialising years of
    /// occurrences. The latest start before `from` is found by looking back one day, then
    /// two, four and so on, up to `duration`.
    pub(crate) fn reaching(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
        let mut out = Vec::new();
        if let Some(earliest) = from.checked_sub_signed(TimeDelta::seconds(self.duration)) {
            let mut span = TimeDelta::days(1);
            loop {
                let lo = from
                    .checked_sub_signed(span)
                    .unwrap_or(earliest)
                    .max(earliest);
                let found = self.starts(lo, from);
                if let Some(&last) = found.last() {
                    let keep = last
                        .checked_sub_signed(TimeDelta::seconds(TAIL))
                        .unwrap_or(earliest)
                        .max(earliest);
                    if keep >= lo {
                        out.extend(found.into_iter().filter(|s| *s >= keep));
                    } else {
                        out.extend(self.starts(keep, from));
                    }
                    break;
                }
                if lo <= earliest {
                    break;
                }
                span = span.checked_mul(2).unwrap_or(span);
            }
        }
        out.extend(self.starts(from, to));
        out
    }
}

/// How far before the latest start before a range [`Recurrence::reaching`] keeps starts
/// too: occurrences of imported events in a fixed zone are ordered by their wall-clock
/// starts, and a start inside a skipped stretch maps to an instant up to the length of the
/// jump (a day at most) after that of a start a little later.
const TAIL: i64 = 3 * DAY;

/// Parses RRULE text (with or without the `RRULE:` prefix) for expansion on a wall clock.
///
/// `UNTIL` is moved onto that wall clock: a UTC value (`...Z`) is converted with `zone`, a
/// floating one is taken as written, and a date means the end of that day.
pub(crate) fn parse_rrule(text: &str, zone: Tz) -> Result<RRule<Unvalidated>, String> {
    let body = text.trim();
    let body = body
        .strip_prefix("RRULE:")
        .or_else(|| body.strip_prefix("rrule:"))
        .unwrap_or(body);
    // RFC 5545 recurrence rules are ASCII; the rrule crate slices its text by byte and panics
    // inside a multi-byte character (`BYDAY=-\u{3b9}R`, found by fuzzing): refuse it first.
    if let Some(c) = body.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "a recurrence rule is ASCII text (RFC 5545); found {c:?} (U+{:04X})",
            u32::from(c)
        ));
    }
    let mut parts = Vec::new();
    for part in body.split(';').filter(|p| !p.trim().is_empty()) {
        let part = part.trim();
        match part.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("UNTIL") => {
                let until = wall_clock_until(v.trim(), zone)
                    .ok_or_else(|| format!("`{}` is not a valid UNTIL date or date-time", v))?;
                parts.push(format!("UNTIL={}Z", until.format("%Y%m%dT%H%M%S")));
            }
            _ => parts.push(part.to_string()),
        }
    }
    let rule: RRule<Unvalidated> = parts.join(";").parse().map_err(|e| clean_error(&e))?;
    if let Frequency::Hourly | Frequency::Minutely | Frequency::Secondly = rule.get_freq() {
        return Err(format!(
            "FREQ={} is not supported: recurrences repeat at most daily (use a window or a \
             `daily` blackout for times of day)",
            rule.get_freq()
        ));
    }
    rfc_5545_parts(&rule)?;
    let per_year = starts_per_year(&rule);
    let limit = crate::limits::compiling().get(Limit::RruleStartsPerRule);
    if per_year > limit {
        return Err(format!(
            "the rule can start {per_year} times a year ({}), more than the limit of \
             {limit} a year for one rule (use a window or a `daily` blackout for times of day, \
             or {})",
            per_year_reason(&rule),
            Limit::RruleStartsPerRule.raise_hint()
        ));
    }
    Ok(rule)
}

// The most start times one recurrence rule may give in a year (`Limit::RruleStartsPerRule`)
// is counted before BYSETPOS, `except` and EXDATE remove any: expanding a year costs about
// this many steps, so the limit bounds the time and memory one rule can take.

/// The largest COUNT: a rule with COUNT is expanded from its DTSTART every time (its
/// occurrences are counted from there), so COUNT bounds that walk.
pub(crate) const MAX_COUNT: u32 = 10_000;

/// Rule parts that RFC 5545 forbids but the rrule crate accepts, each of which would make
/// a rule that never fires or means something else than it says.
fn rfc_5545_parts(rule: &RRule<Unvalidated>) -> Result<(), String> {
    if rule.get_interval() == 0 {
        return Err(
            "INTERVAL must be a positive number (RFC 5545): with INTERVAL=0 the rule never \
             repeats"
                .to_string(),
        );
    }
    match rule.get_count() {
        Some(0) => return Err("COUNT must be a positive number (RFC 5545)".to_string()),
        Some(n) if n > MAX_COUNT => {
            return Err(format!(
                "COUNT={n} is more than the limit of {MAX_COUNT} (a rule that repeats for \
                 ever needs no COUNT)"
            ));
        }
        Some(_) if rule.get_until().is_some() => {
            return Err("COUNT and UNTIL cannot both be given (RFC 5545)".to_string());
        }
        _ => {}
    }
    let numbered = rule
        .get_by_weekday()
        .iter()
        .any(|d| matches!(d, NWeekday::Nth(..)));
    if numbered {
        match rule.get_freq() {
            Frequency::Monthly => {}
            Frequency::Yearly if rule.get_by_week_no().is_empty() => {}
            Frequency::Yearly => {
                return Err(
                    "BYDAY with a number (such as 2TU) cannot be used with BYWEEKNO (RFC 5545)"
                        .to_string(),
                );
            }
            f => {
                return Err(format!(
                    "BYDAY with a number (such as 2TU) needs FREQ=MONTHLY or FREQ=YEARLY, not \
                     FREQ={f} (RFC 5545)"
                ));
            }
        }
    }
    Ok(())
}

/// The times of day a rule gives on each day it falls on: every BYHOUR x BYMINUTE x
/// BYSECOND combination (a part not given is one value, taken from DTSTART; the rrule crate
/// reads each list sorted and without repeats).
fn times_per_day(rule: &RRule<Unvalidated>) -> u64 {
    let n = |len: usize| u64::try_from(len.max(1)).unwrap_or(u64::MAX);
    n(rule.get_by_hour().len())
        .saturating_mul(n(rule.get_by_minute().len()))
        .saturating_mul(n(rule.get_by_second().len()))
}

/// An upper bound of the days a rule falls on in any year.
fn days_per_year(rule: &RRule<Unvalidated>) -> u64 {
    let interval = u64::from(rule.get_interval().max(1));
    let weekdays: BTreeSet<_> = rule
        .get_by_weekday()
        .iter()
        .map(|d| match d {
            NWeekday::Every(w) | NWeekday::Nth(_, w) => w.num_days_from_monday(),
        })
        .collect();
    let days = match rule.get_freq() {
        Frequency::Daily => 366u64.div_ceil(interval),
        // A year meets at most 54 weeks and 13 months.
        Frequency::Weekly => 54u64.div_ceil(interval) * (weekdays.len().max(1) as u64),
        Frequency::Monthly => {
            let per_month = if weekdays.is_empty() && rule.get_by_month_day().is_empty() {
                1
            } else {
                31
            };
            13u64.div_ceil(interval) * per_month
        }
        _ => {
            let whole_year = weekdays.is_empty()
                && rule.get_by_month_day().is_empty()
                && rule.get_by_year_day().is_empty()
                && rule.get_by_week_no().is_empty();
            if whole_year {
                rule.get_by_month().len().max(1) as u64
            } else {
                366
            }
        }
    };
    days.min(366)
}

/// The number of start times a rule may give in a year, counted before BYSETPOS.
pub(crate) fn starts_per_year(rule: &RRule<Unvalidated>) -> u64 {
    days_per_year(rule).saturating_mul(times_per_day(rule))
}

fn per_year_reason(rule: &RRule<Unvalidated>) -> String {
    format!(
        "on up to {} days, {} times a day from BYHOUR x BYMINUTE x BYSECOND",
        days_per_year(rule),
        times_per_day(rule)
    )
}

fn wall_clock_until(v: &str, zone: Tz) -> Option<NaiveDateTime> {
    if v.len() == 8 {
        let d = NaiveDate::parse_from_str(v, "%Y%m%d").ok()?;
        return d.and_hms_opt(23, 59, 59);
    }
    if let Some(utc) = v.strip_suffix('Z') {
        let n = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some(zone.from_utc_datetime(&n).naive_local());
    }
    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok()
}

fn clean_error(e: &rrule::RRuleError) -> String {
    let s = e.to_string();
    s.strip_prefix("RRule parsing error: ")
        .or_else(|| s.strip_prefix("RRule validation error: "))
        .unwrap_or(&s)
        .to_string()
}

/// The rrule crate works on zoned date-times; wall-clock times ride on UTC, which has no
/// jumps, so the expansion is the pure calendar arithmetic of RFC 5545.
fn on_wall_clock(n: NaiveDateTime) -> chrono::DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&n)
}

/// Checks that the rule is valid with `anchor` as its DTSTART.
pub(crate) fn validate_rrule(
    rule: &RRule<Unvalidated>,
    anchor: NaiveDateTime,
) -> Result<(), String> {
    rule.clone()
        .validate(on_wall_clock(anchor))
        .map(|_| ())
        .map_err(|e| clean_error(&e))
}

/// Whether the rule, from DTSTART `anchor`, ever starts (the rrule crate gives up on a rule
/// whose parts never meet, such as `BYMONTH=2;BYMONTHDAY=30`, after a bounded search).
pub(crate) fn ever_starts(rule: &RRule<Unvalidated>, anchor: NaiveDateTime) -> bool {
    let start = on_wall_clock(anchor);
    let Ok(valid) = rule.clone().validate(start) else {
        return false;
    };
    let set = RRuleSet::new(start).rrule(valid).limit();
    (&set).into_iter().next().is_some()
}

/// Occurrence starts of one rule from DTSTART `anchor` in `[from, to)`.
fn expand(
    rule: &RRule<Unvalidated>,
    anchor: NaiveDateTime,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Vec<NaiveDateTime> {
    let start = on_wall_clock(shifted_anchor(rule, anchor, from));
    // Fails only when UNTIL lies before the shifted anchor: then nothing occurs after it.
    let Ok(valid) = rule.clone().validate(start) else {
        return Vec::new();
    };
    // `limit` bounds the work spent on rules that can never match again.
    let set = RRuleSet::new(start).rrule(valid).limit();
    let mut out = Vec::new();
    for dt in &set {
        let n = dt.naive_utc();
        if n >= to {
            break;
        }
        if n >= from {
            out.push(n);
        }
    }
    out
}

/// Moves DTSTART forward by whole periods (days, weeks, months or years times INTERVAL) to
/// shortly before `from`, so expanding a far year does not walk every occurrence since the
/// anchor. Each period is expanded from the period's own fields, so whole-period shifts keep
/// every occurrence after the new anchor; the shifted anchor stays more than one period
/// plus two weeks before `from`, which covers rules whose occurrences spill over a period
/// edge (BYWEEKNO). Not done with COUNT (which counts from the real DTSTART) or where a
/// shift would change a day that the rule inherits from DTSTART (day 29-31, Feb 29).
fn shifted_anchor(
    rule: &RRule<Unvalidated>,
    anchor: NaiveDateTime,
    from: NaiveDateTime,
) -> NaiveDateTime {
    if rule.get_count().is_some() {
        return anchor;
    }
    let interval = i64::from(rule.get_interval().max(1));
    let period_days = match rule.get_freq() {
        Frequency::Yearly => 366 * interval,
        Frequency::Monthly => 31 * interval,
        Frequency::Weekly => 7 * interval,
        _ => interval,
    };
    let Some(target) = from.checked_sub_signed(TimeDelta::days(period_days + 14)) else {
        return anchor;
    };
    if target <= anchor {
        return anchor;
    }
    let shifted = match rule.get_freq() {
        Frequency::Yearly | Frequency::Monthly => {
            if anchor.day() > 28 {
                return anchor;
            }
            let step = if rule.get_freq() == Frequency::Yearly {
                12 * interval
            } else {
                interval
            };
            let months = i64::from(target.year() - anchor.year()) * 12 + i64::from(target.month())
                - i64::from(anchor.month());
            let k = months.div_euclid(step) * step;
            u32::try_from(k)
                .ok()
                .and_then(|k| anchor.checked_add_months(Months::new(k)))
        }
        _ => {
            let days = (target - anchor).num_days();
            let k = days.div_euclid(period_days) * period_days;
            anchor.checked_add_signed(TimeDelta::days(k))
        }
    };
    match shifted {
        Some(s) if s <= target => s,
        _ => anchor,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    fn n(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    /// The expansion with a shifted anchor equals the one walked from the real anchor.
    #[test]
    fn shifted_expansion_equals_full_expansion() {
        let anchor = n("1970-01-01T09:30:00");
        for text in [
            "FREQ=DAILY;INTERVAL=3",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR",
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1",
            "FREQ=MONTHLY;BYDAY=-1FR",
            "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO",
            "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29",
            "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
        ] {
            let rule = parse_rrule(text, Tz::UTC).unwrap();
            let (from, to) = (n("2031-12-20T00:00:00"), n("2032-03-10T00:00:00"));
            let fast = expand(&rule, anchor, from, to);
            let start = on_wall_clock(anchor);
            let set = RRuleSet::new(start).rrule(rule.clone().validate(start).unwrap());
            let full: Vec<NaiveDateTime> = set
                .after(on_wall_clock(from))
                .before(on_wall_clock(to - TimeDelta::seconds(1)))
                .all(u16::MAX)
                .dates
                .into_iter()
                .map(|d| d.naive_utc())
                .collect();
            assert!(!full.is_empty(), "{text}");
            assert_eq!(fast, full, "{text}");
        }
    }

    #[test]
    fn sub_daily_frequencies_are_rejected() {
        assert!(
            parse_rrule("FREQ=HOURLY;BYMINUTE=0", Tz::UTC)
                .unwrap_err()
                .contains("not supported")
        );
        assert!(parse_rrule("FREQ=FORTNIGHTLY", Tz::UTC).is_err());
    }

    /// Parts RFC 5545 forbids, which the rrule crate accepts, are errors: INTERVAL=0 never
    /// repeats, so its blackout would never fire.
    #[test]
    fn rfc_5545_invalid_parts_are_rejected() {
        for (text, says) in [
            (
                "FREQ=WEEKLY;INTERVAL=0;BYDAY=TU",
                "INTERVAL must be a positive number",
            ),
            (
                "FREQ=DAILY;INTERVAL=0",
                "INTERVAL must be a positive number",
            ),
            ("FREQ=DAILY;COUNT=0", "COUNT must be a positive number"),
            ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "COUNT and UNTIL"),
            ("FREQ=DAILY;COUNT=10001", "more than the limit of 10000"),
            ("FREQ=WEEKLY;BYDAY=2TU", "needs FREQ=MONTHLY or FREQ=YEARLY"),
            ("FREQ=DAILY;BYDAY=-1FR", "needs FREQ=MONTHLY or FREQ=YEARLY"),
            (
                "FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO",
                "cannot be used with BYWEEKNO",
            ),
        ] {
            let e = parse_rrule(text, Tz::UTC).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
        for ok in [
            "FREQ=MONTHLY;BYDAY=2TU",
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO",
            "FREQ=DAILY;COUNT=10000",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR",
        ] {
            assert!(parse_rrule(ok, Tz::UTC).is_ok(), "{ok}");
        }
    }

    fn list(n: u32) -> String {
        (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
    }

    /// BYHOUR x BYMINUTE x BYSECOND passes the "at most daily" FREQ check but can give
    /// 86,400 starts a day: the starts a year are counted before anything is expanded.
    #[test]
    fn rules_over_the_yearly_start_limit_are_rejected_before_expanding() {
        let every_second = format!(
            "FREQ=DAILY;BYHOUR={};BYMINUTE={};BYSECOND={}",
            list(24),
            list(60),
            list(60)
        );
        let e = parse_rrule(&every_second, Tz::UTC).unwrap_err();
        assert!(e.contains("31622400 times a year"), "{e}");
        assert!(e.contains("limit of 10000"), "{e}");
        // Repeated values are read once (the rrule crate sorts and dedupes the lists).
        let repeated = format!("FREQ=DAILY;BYHOUR={}", vec!["1"; 100].join(","));
        assert_eq!(
            starts_per_year(&parse_rrule(&repeated, Tz::UTC).unwrap()),
            366
        );
        // BYSETPOS picks from the candidates, which are still all generated.
        let picked = format!(
            "FREQ=YEARLY;BYSETPOS=1;BYMONTHDAY=1;BYHOUR={};BYMINUTE={}",
            list(24),
            list(60)
        );
        assert!(parse_rrule(&picked, Tz::UTC).is_err());
        // Hourly every day is within the limit; so are a few times a day, and sparse rules
        // with many times.
        for ok in [
            format!("FREQ=DAILY;BYHOUR={}", list(24)),
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9,13,17".to_string(),
            format!("FREQ=YEARLY;BYMONTH=1;BYHOUR={};BYMINUTE=0,30", list(24)),
            format!(
                "FREQ=DAILY;INTERVAL=7;BYHOUR={};BYMINUTE=0,15,30,45",
                list(24)
            ),
        ] {
            assert!(parse_rrule(&ok, Tz::UTC).is_ok(), "{ok}");
        }
    }

    /// The yearly count is an upper bound of what a year's expansion gives.
    #[test]
    fn the_yearly_start_count_bounds_the_expansion() {
        let anchor = n("1969-12-01T00:00:00");
        for text in [
            "FREQ=DAILY;BYHOUR=0,6,12,18;BYMINUTE=0,30",
            "FREQ=DAILY;INTERVAL=3;BYHOUR=1,2",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=9,17",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;BYMINUTE=0,10,20",
            "FREQ=MONTHLY;BYMONTHDAY=1,2,3,-1;BYHOUR=3,4",
            "FREQ=MONTHLY;BYDAY=MO,TU;BYSECOND=0,30",
            "FREQ=MONTHLY",
            "FREQ=YEARLY;BYMONTH=1,6;BYHOUR=0,12",
            "FREQ=YEARLY;BYWEEKNO=1,2;BYDAY=MO;BYHOUR=1,2,3",
            "FREQ=YEARLY;BYYEARDAY=1,100,200,-1",
            "FREQ=YEARLY",
        ] {
            let rule = parse_rrule(text, Tz::UTC).unwrap();
            let bound = starts_per_year(&rule);
            for year in [2026, 2027, 2028] {
                let from = n(&format!("{year}-01-01T00:00:00"));
                let to = n(&format!("{}-01-01T00:00:00", year + 1));
                let got = expand(&rule, anchor, from, to).len() as u64;
                assert!(got <= bound, "{text} in {year}: {got} > {bound}");
            }
        }
    }

    fn covered(r: &Recurrence, starts: &[NaiveDateTime], lo: i64, hi: i64) -> Vec<Iv> {
        let ivs: Vec<Iv> = starts
            .iter()
            .map(|s| (naive_secs(*s), naive_secs(*s) + r.duration))
            .collect();
        super::super::intervals::clip(&super::super::intervals::normalize(ivs), lo, hi)
    }

    /// What `reaching` keeps covers `[from, to)` exactly as every occurrence that starts up
    /// to `duration` before it does, for long and short durations.
    #[test]
    fn reaching_keeps_what_every_earlier_occurrence_covers() {
        let anchor = n("1969-12-01T09:00:00");
        for text in [
            "FREQ=DAILY;BYHOUR=1,13",
            "FREQ=WEEKLY;BYDAY=TU,SA",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15",
            "FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29",
            "FREQ=DAILY;COUNT=40",
            "FREQ=DAILY;UNTIL=20200101",
        ] {
            for hours in [1, 20, 24 * 9, 24 * 40, 24 * 400, 24 * 3660] {
                let r = Recurrence {
                    rules: vec![parse_rrule(text, Tz::UTC).unwrap()],
                    anchor,
                    rdates: Vec::new(),
                    exdates: BTreeSet::new(),
                    except_dates: [NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()].into(),
                    duration: hours * 3600,
                };
                for (a, b) in [
                    ("2026-07-01T00:00:00", "2027-01-01T00:00:00"),
                    ("1970-01-01T00:00:00", "1970-03-01T00:00:00"),
                ] {
                    let (from, to) = (n(a), n(b));
                    let (lo, hi) = (naive_secs(from), naive_secs(to));
                    let all = r.starts(from - TimeDelta::seconds(r.duration), to);
                    let kept = r.reaching(from, to);
                    assert!(kept.len() <= all.len());
                    if text == "FREQ=DAILY;BYHOUR=1,13"
                        && hours == 24 * 3660
                        && a.starts_with("2026")
                    {
                        // Ten years of starts before the range are not materialised.
                        assert!(all.len() > 7000 && kept.len() < 400, "{}", kept.len());
                    }
                    assert_eq!(
                        covered(&r, &kept, lo, hi),
                        covered(&r, &all, lo, hi),
                        "{text} for {hours}h from {a}"
                    );
                }
            }
        }
    }

    #[test]
    fn non_ascii_rrule_text_is_an_error_not_a_panic() {
        // Found by fuzzing: the rrule crate panicked on a multi-byte character in BYDAY.
        let e = parse_rrule("FREQ=MONTHLY;BYDAY=-\u{3b9}R;BySETPOS=0", Tz::UTC).unwrap_err();
        assert!(e.contains("ASCII") && e.contains("U+03B9"), "{e}");
    }

    #[test]
    fn until_is_moved_onto_the_wall_clock() {
        let berlin = chrono_tz::Europe::Berlin;
        let r = parse_rrule("FREQ=DAILY;UNTIL=20260105T080000Z", berlin).unwrap();
        assert_eq!(r.get_until().unwrap().naive_utc(), n("2026-01-05T09:00:00"));
        let r = parse_rrule("RRULE:FREQ=DAILY;UNTIL=20260105", berlin).unwrap();
        assert_eq!(r.get_until().unwrap().naive_utc(), n("2026-01-05T23:59:59"));
    }
}
