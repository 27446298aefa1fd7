//! The compiled forms of windows and blackouts, and their occurrences as wall-clock intervals.
//!
//! Wall-clock ("naive local") times are counted in seconds since 1970-01-01T00:00 on the
//! calendar's clock, with no zone attached; `index` maps them to UTC.

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, TimeDelta, TimeZone};
use chrono_tz::Tz;
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};

use super::intervals::Iv;

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
                let (Some(from), Some(to)) = (naive_at(lo - r.duration), naive_at(hi)) else {
                    return;
                };
                for o in r.starts(from, to) {
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
    match rule.get_freq() {
        Frequency::Hourly | Frequency::Minutely | Frequency::Secondly => Err(format!(
            "FREQ={} is not supported: recurrences repeat at most daily (use a window or a \
             `daily` blackout for times of day)",
            rule.get_freq()
        )),
        _ => Ok(rule),
    }
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
