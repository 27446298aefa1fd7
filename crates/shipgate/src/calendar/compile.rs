//! From `calendar` and `region` declarations to a [`CalendarSet`], with diagnostics.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use chrono_tz::Tz;

use super::CalendarSet;
use super::ics;
use super::index::{Blackout, Calendar, Located, Region, Source};
use super::rules::{
    DAY, LocalRule, MAX_DURATION, Recurrence, ever_starts, naive_secs, parse_rrule,
    starts_per_year, validate_rrule,
};
use crate::error::{Diagnostic, did_you_mean};
use crate::limits::Limit;
use crate::span::Span;
use crate::syntax::ast::{
    BlackoutSpec, CalendarDecl, CalendarEntry, DateLit, DaySet, LocalDateTimeLit, LocalTime,
    RegionDecl, StrLit, TimeRange,
};

/// The DTSTART of every `rrule` blackout, at the `at` time on the calendar's wall clock:
/// Monday 1969-12-01, so that weekly rules without BYDAY fall on Mondays, monthly ones on
/// the 1st, and every-third-month rules (`FREQ=MONTHLY;INTERVAL=3`) on the calendar
/// quarters' last months (December, March, June, September).
pub(crate) const RRULE_ANCHOR: (i32, u32, u32) = (1969, 12, 1);

const MINUTES_PER_DAY: u32 = 1440;

fn fmt_time(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl CalendarSet {
    /// Validates and compiles the calendars and regions of a policy set.
    ///
    /// `root` is the policy folder that `ics` paths are relative to and confined in; without
    /// one an `ics` import is an error (compiling never reads relative to the working folder). Diagnostics cover unknown time zones, duplicate names,
    /// unknown calendars, invalid dates, times, ranges and RRULEs, and unreadable `ics`
    /// files; the set is usable only when none of them is an error.
    #[cfg(test)]
    pub fn compile(
        calendars: &[&CalendarDecl],
        regions: &[&RegionDecl],
        root: Option<&Path>,
    ) -> (CalendarSet, Vec<Diagnostic>) {
        CalendarSet::compile_scoped(calendars, regions, &[], root)
    }

    /// [`CalendarSet::compile`], where `scoped` names the calendars that `services where` /
    /// `changes where` use (their names are checked by the caller): those count as used.
    pub fn compile_scoped(
        calendars: &[&CalendarDecl],
        regions: &[&RegionDecl],
        scoped: &[&str],
        root: Option<&Path>,
    ) -> (CalendarSet, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut imported = Vec::new();
        let mut compiled: Vec<Calendar> = Vec::new();
        let mut cal_names: HashMap<String, (usize, Span)> = HashMap::new();
        let mut starts_a_year = 0u64;
        for decl in calendars {
            if let Some((_, first)) = cal_names.get(&decl.name.name) {
                diags.push(
                    Diagnostic::error(
                        decl.name.span,
                        format!("calendar `{}` is defined twice", decl.name.name),
                    )
                    .with_label("defined again here")
                    .with_secondary(*first, "first defined here"),
                );
                continue;
            }
            let cal = compile_calendar(decl, root, &mut imported, &mut starts_a_year, &mut diags);
            cal_names.insert(decl.name.name.clone(), (compiled.len(), decl.name.span));
            compiled.push(cal);
        }

        let mut used: HashSet<usize> = scoped
            .iter()
            .filter_map(|name| cal_names.get(*name).map(|&(i, _)| i))
            .collect();
        let mut region_list: Vec<Region> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut region_spans: HashMap<String, Span> = HashMap::new();
        for decl in regions {
            if let Some(first) = region_spans.get(&decl.name.name) {
                diags.push(
                    Diagnostic::error(
                        decl.name.span,
                        format!("region `{}` is defined twice", decl.name.name),
                    )
                    .with_label("defined again here")
                    .with_secondary(*first, "first defined here"),
                );
                continue;
            }
            let mut members: Vec<usize> = Vec::new();
            for cal in &decl.calendars {
                match cal_names.get(&cal.name) {
                    Some(&(i, _)) => {
                        used.insert(i);
                        if members.contains(&i) {
                            diags.push(
                                Diagnostic::warning(
                                    cal.span,
                                    format!(
                                        "region `{}` lists calendar `{}` twice",
                                        decl.name.name, cal.name
                                    ),
                                )
                                .with_label("listed again here"),
                            );
                        } else {
                            members.push(i);
                        }
                    }
                    None => {
                        let mut d =
                            Diagnostic::error(cal.span, format!("unknown calendar `{}`", cal.name))
                                .with_label("no calendar has this name");
                        if let Some(help) =
                            did_you_mean(&cal.name, cal_names.keys().map(String::as_str))
                        {
                            d = d.with_help(help);
                        }
                        diags.push(d);
                    }
                }
            }
            region_spans.insert(decl.name.name.clone(), decl.name.span);
            by_name.insert(decl.name.name.clone(), region_list.len());
            region_list.push(Region::new(
                decl.name.name.clone(),
                members,
                Located::new(decl.span),
            ));
        }

        for decl in calendars {
            if let Some(&(i, span)) = cal_names.get(&decl.name.name)
                && span == decl.name.span
                && !used.contains(&i)
            {
                diags.push(
                    Diagnostic::warning(
                        decl.name.span,
                        format!("calendar `{}` is not used by any region", decl.name.name),
                    )
                    .with_label("unused calendar")
                    .with_help("list it in a region: `region NAME uses ...`"),
                );
            }
        }

        imported.sort();
        imported.dedup();
        let set = CalendarSet {
            calendars: compiled,
            regions: region_list,
            by_name,
            imported,
            common: Default::default(),
        };
        (set, diags)
    }
}

// The most start times all the recurrence rules of a policy set (its `rrule` blackouts and
// the RRULEs of the files it imports) may give in a year together
// (`Limit::RruleStartsPerPolicy`, by default ten rules at the limit of one). A check expands
// every blackout of the calendars it meets, so this bounds its work whatever the number of
// rules.

/// The start times a year of a blackout's recurrence rules.
fn starts_a_year(sources: &[Source]) -> u64 {
    sources
        .iter()
        .flat_map(|s| match s {
            Source::Local(LocalRule::Recur(r)) | Source::Zoned { recurrence: r, .. } => {
                r.rules.as_slice()
            }
            Source::Local(_) => &[],
        })
        .map(starts_per_year)
        .fold(0u64, u64::saturating_add)
}

/// `imported` collects the `ics` files read: (path relative to the policy folder, text).
fn compile_calendar(
    decl: &CalendarDecl,
    root: Option<&Path>,
    imported: &mut Vec<(String, String)>,
    starts_so_far: &mut u64,
    diags: &mut Vec<Diagnostic>,
) -> Calendar {
    let tz = resolve_zone(&decl.timezone, diags).unwrap_or(Tz::UTC);
    let mut windows = Vec::new();
    let mut windows_at = None;
    let mut blackouts = Vec::new();
    for entry in &decl.entries {
        match entry {
            CalendarEntry::Window { days, times, span } => {
                let days = day_mask(days, diags);
                let range = time_range(times, diags);
                if let (Some(days), Some((start, end))) = (days, range) {
                    windows.push(LocalRule::Daily { days, start, end });
                }
                windows_at.get_or_insert_with(|| Located::new(*span));
            }
            CalendarEntry::Blackout { name, spec, span } => {
                if let Some(sources) = blackout_sources(spec, tz, root, imported, diags) {
                    let before = *starts_so_far;
                    *starts_so_far = before.saturating_add(starts_a_year(&sources));
                    let limit = crate::limits::compiling().get(Limit::RruleStartsPerPolicy);
                    if before <= limit && *starts_so_far > limit {
                        diags.push(
                            Diagnostic::error(
                                name.span,
                                format!(
                                    "the recurring blackouts of the policy can start {} times \
                                     a year in all with this one, more than the limit of \
                                     {limit} ({})",
                                    *starts_so_far,
                                    Limit::RruleStartsPerPolicy.raise_hint()
                                ),
                            )
                            .with_label("over the limit from here")
                            .with_help(
                                "use windows, `daily` or `weekly` blackouts for times of day and \
                                 week",
                            ),
                        );
                    }
                    blackouts.push(Blackout {
                        name: name.value.clone(),
                        sources,
                        at: Located::new(*span),
                        bit: 0,
                    });
                }
            }
        }
    }
    Calendar::new(
        decl.name.name.clone(),
        Located::new(decl.name.span),
        tz,
        windows,
        windows_at,
        blackouts,
    )
}

fn resolve_zone(name: &StrLit, diags: &mut Vec<Diagnostic>) -> Option<Tz> {
    if let Ok(tz) = Tz::from_str(&name.value) {
        return Some(tz);
    }
    let names = || chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
    let help = names()
        .find(|n| n.eq_ignore_ascii_case(&name.value))
        .map(|n| format!("did you mean `{n}`?"))
        .or_else(|| did_you_mean(&name.value, names()));
    let mut d = Diagnostic::error(name.span, format!("unknown time zone `{}`", name.value))
        .with_label("not an IANA time zone name")
        .with_note("time zones are IANA names such as \"Europe/Berlin\" or \"UTC\"");
    if let Some(help) = help {
        d = d.with_help(help);
    }
    diags.push(d);
    None
}

fn day_mask(days: &DaySet, diags: &mut Vec<Diagnostic>) -> Option<[bool; 7]> {
    let mut mask = [false; 7];
    for (a, b) in &days.ranges {
        let (a, b) = (a.index() as usize, b.index() as usize);
        let len = (b + 7 - a) % 7;
        for k in 0..=len {
            if let Some(m) = mask.get_mut((a + k) % 7) {
                *m = true;
            }
        }
    }
    if mask.iter().any(|&d| d) {
        Some(mask)
    } else {
        diags.push(
            Diagnostic::error(days.span, "no days given")
                .with_label("expected days like `mon-fri`"),
        );
        None
    }
}

fn check_time(t: LocalTime, span: Span, diags: &mut Vec<Diagnostic>) -> bool {
    if t.minutes > MINUTES_PER_DAY {
        diags.push(
            Diagnostic::error(span, "a time of day is at most 24:00")
                .with_label("not a time of day"),
        );
        return false;
    }
    true
}

/// A time range as (start, end) minutes; an end at or before the start is on the next day.
fn time_range(r: &TimeRange, diags: &mut Vec<Diagnostic>) -> Option<(u32, u32)> {
    if !check_time(r.start, r.span, diags) || !check_time(r.end, r.span, diags) {
        return None;
    }
    if r.start.minutes == MINUTES_PER_DAY {
        diags.push(
            Diagnostic::error(r.span, "a range cannot start at 24:00")
                .with_label("starts at 24:00")
                .with_help("start at 00:00 instead"),
        );
        return None;
    }
    if r.start == r.end {
        diags.push(
            Diagnostic::error(
                r.span,
                format!(
                    "empty time range: it starts and ends at {}",
                    fmt_time(r.start.minutes)
                ),
            )
            .with_label("empty range")
            .with_help("for the whole day write 00:00-24:00"),
        );
        return None;
    }
    Some((r.start.minutes, r.end.minutes))
}

fn date(d: &DateLit, diags: &mut Vec<Diagnostic>) -> Option<NaiveDate> {
    let date = NaiveDate::from_ymd_opt(d.year, d.month, d.day);
    if date.is_none() {
        diags.push(
            Diagnostic::error(
                d.span,
                format!("{:04}-{:02}-{:02} is not a date", d.year, d.month, d.day),
            )
            .with_label("no such day"),
        );
    }
    date
}

fn date_time(d: &LocalDateTimeLit, diags: &mut Vec<Diagnostic>) -> Option<NaiveDateTime> {
    let day = date(&d.date, diags)?;
    let time = (d.minutes < MINUTES_PER_DAY)
        .then(|| NaiveTime::from_hms_opt(d.minutes / 60, d.minutes % 60, d.second))
        .flatten();
    match time {
        Some(t) => Some(day.and_time(t)),
        None => {
            diags.push(
                Diagnostic::error(d.span, "not a valid time of day")
                    .with_label("hours 00-23, minutes and seconds 00-59"),
            );
            None
        }
    }
}

fn month_day_ok(day: i32) -> bool {
    (1..=31).contains(&day) || (-31..=-1).contains(&day)
}

fn blackout_sources(
    spec: &BlackoutSpec,
    tz: Tz,
    root: Option<&Path>,
    imported: &mut Vec<(String, String)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Source>> {
    let rule = match spec {
        BlackoutSpec::Daily(times) => {
            let (start, end) = time_range(times, diags)?;
            LocalRule::Daily {
                days: [true; 7],
                start,
                end,
            }
        }
        BlackoutSpec::Weekly {
            from_day,
            from_time,
            to_day,
            to_time,
            span,
        } => {
            if !check_time(*from_time, *span, diags) || !check_time(*to_time, *span, diags) {
                return None;
            }
            if from_time.minutes == MINUTES_PER_DAY {
                diags.push(
                    Diagnostic::error(*span, "a range cannot start at 24:00")
                        .with_label("starts at 24:00"),
                );
                return None;
            }
            let week = 7 * MINUTES_PER_DAY;
            let from = from_day.index() * MINUTES_PER_DAY + from_time.minutes;
            let to = to_day.index() * MINUTES_PER_DAY + to_time.minutes;
            // An end at 24:00 is the end of that day, as in daily ranges: when it meets the
            // start (`mon 00:00 - sun 24:00`) the range is the whole week, not empty.
            let len_min = match (to + week - from) % week {
                0 if to_time.minutes == MINUTES_PER_DAY => week,
                0 => {
                    diags.push(
                        Diagnostic::error(*span, "empty weekly range: it starts where it ends")
                            .with_label("empty range")
                            .with_help("for the whole week write `mon 00:00 - sun 24:00`"),
                    );
                    return None;
                }
                len => len,
            };
            LocalRule::Weekly {
                from_day: from_day.index(),
                from_min: from_time.minutes,
                len_min,
            }
        }
        BlackoutSpec::Monthly {
            from_day,
            to_day,
            times,
            span,
        } => {
            if !month_day_ok(*from_day) || !month_day_ok(*to_day) {
                diags.push(
                    Diagnostic::error(
                        *span,
                        "days of the month are 1 to 31, or -1 (the last day) to -31",
                    )
                    .with_label("no such day of a month"),
                );
                return None;
            }
            if (from_day.signum() == to_day.signum() && from_day > to_day)
                || (*from_day < 0 && *to_day > 0)
            {
                diags.push(
                    Diagnostic::error(*span, format!("the day range {from_day}..{to_day} runs backwards"))
                        .with_label("empty in every month")
                        .with_help("a range stays inside one month; for the turn of the month write two blackouts, `days -2..-1` and `days 1..2`"),
                );
                return None;
            }
            let times = match times {
                Some(t) => Some(time_range(t, diags)?),
                None => None,
            };
            LocalRule::Monthly {
                from: *from_day,
                to: *to_day,
                times,
            }
        }
        BlackoutSpec::DateRange { from, to } => {
            let (a, b) = (date(from, diags), date(to, diags));
            let (a, b) = (a?, b?);
            if b < a {
                diags.push(
                    Diagnostic::error(
                        from.span.to(to.span),
                        "the date range ends before it starts",
                    )
                    .with_label("ends before it starts"),
                );
                return None;
            }
            let start = naive_secs(a.and_time(NaiveTime::MIN));
            LocalRule::Span {
                start,
                end: naive_secs(b.and_time(NaiveTime::MIN)) + DAY,
            }
        }
        BlackoutSpec::DateTimeRange { from, to } => {
            let (a, b) = (date_time(from, diags), date_time(to, diags));
            let (a, b) = (a?, b?);
            if b <= a {
                diags.push(
                    Diagnostic::error(
                        from.span.to(to.span),
                        "the range is empty: it must end after it starts",
                    )
                    .with_label("empty range"),
                );
                return None;
            }
            LocalRule::Span {
                start: naive_secs(a),
                end: naive_secs(b),
            }
        }
        BlackoutSpec::Ics(path) => return ics_sources(path, tz, root, imported, diags),
        BlackoutSpec::Rrule {
            rule,
            at,
            duration,
            except,
            span,
        } => {
            return rrule_source(
                rule,
                *at,
                duration.seconds,
                duration.span,
                except,
                *span,
                tz,
                diags,
            )
            .map(|r| vec![Source::Local(LocalRule::Recur(r))]);
        }
    };
    Some(vec![Source::Local(rule)])
}

#[allow(clippy::too_many_arguments)]
fn rrule_source(
    rule: &StrLit,
    at: LocalTime,
    duration: i64,
    duration_span: Span,
    except: &[DateLit],
    span: Span,
    tz: Tz,
    diags: &mut Vec<Diagnostic>,
) -> Option<Recurrence> {
    let parsed = match parse_rrule(&rule.value, tz) {
        Ok(r) => Some(r),
        Err(e) => {
            diags.push(
                Diagnostic::error(rule.span, format!("invalid RRULE: {e}"))
                    .with_label("this RRULE"),
            );
            None
        }
    };
    let at_ok = at.minutes < MINUTES_PER_DAY;
    if !at_ok {
        diags.push(
            Diagnostic::error(span, "`at` must be a time from 00:00 to 23:59")
                .with_label("not a start time"),
        );
    }
    let duration_ok = duration > 0 && duration <= MAX_DURATION;
    if duration <= 0 {
        diags.push(
            Diagnostic::error(duration_span, "the duration must be positive")
                .with_label("empty occurrences"),
        );
    } else if duration > MAX_DURATION {
        diags.push(
            Diagnostic::error(duration_span, "an occurrence may last at most 3660 days")
                .with_label("too long")
                .with_help("for a one-off stretch write `from DATE to DATE`"),
        );
    }
    let mut except_dates = BTreeSet::new();
    let mut dates_ok = true;
    for d in except {
        match date(d, diags) {
            Some(d) => {
                except_dates.insert(d);
            }
            None => dates_ok = false,
        }
    }
    let parsed = parsed?;
    if !(at_ok && duration_ok && dates_ok) {
        return None;
    }
    let (y, m, d) = RRULE_ANCHOR;
    let anchor = NaiveDate::from_ymd_opt(y, m, d)?
        .and_time(NaiveTime::MIN)
        .checked_add_signed(TimeDelta::minutes(i64::from(at.minutes)))?;
    if let Err(e) = validate_rrule(&parsed, anchor) {
        diags.push(
            Diagnostic::error(rule.span, format!("invalid RRULE: {e}")).with_label("this RRULE"),
        );
        return None;
    }
    // A rule whose parts never meet (`BYMONTH=2;BYMONTHDAY=30`, or February 29 every fourth
    // year from a common year) would be a blackout that never holds.
    if !ever_starts(&parsed, anchor) {
        diags.push(
            Diagnostic::error(rule.span, "this RRULE never occurs")
                .with_label("no date matches all of its parts")
                .with_note(format!(
                    "rules start from {:04}-{:02}-{:02}, which decides what INTERVAL counts from",
                    y, m, d
                )),
        );
        return None;
    }
    let recurrence = Recurrence {
        rules: vec![parsed],
        anchor,
        rdates: Vec::new(),
        exdates: BTreeSet::new(),
        except_dates: BTreeSet::new(),
        duration,
    };
    // An `except` date on which nothing starts is most likely a mistake.
    for lit in except {
        let Some(day) = NaiveDate::from_ymd_opt(lit.year, lit.month, lit.day) else {
            continue;
        };
        let from = day.and_time(NaiveTime::MIN);
        let Some(to) = from.checked_add_signed(TimeDelta::days(1)) else {
            continue;
        };
        if recurrence.starts(from, to).is_empty() {
            diags.push(
                Diagnostic::warning(
                    lit.span,
                    format!("no occurrence starts on {day}, so this `except` removes nothing"),
                )
                .with_label("nothing to remove"),
            );
        }
    }
    Some(Recurrence {
        except_dates,
        ..recurrence
    })
}

/// Resolves an `ics` path against the policy folder; it must stay inside it, also after
/// following `..` and symbolic links. Gives the file, and its path relative to the folder
/// (`/` between folders) for the policy digest.
fn resolve_ics_path(path: &str, root: Option<&Path>) -> Result<(PathBuf, String), String> {
    let rel = Path::new(path);
    if path.trim().is_empty() {
        return Err("the path is empty".to_string());
    }
    if rel.is_absolute() || rel.has_root() {
        return Err("the path must be relative to the policy folder".to_string());
    }
    let mut depth = 0i32;
    for c in rel.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::Prefix(_) | Component::RootDir => {
                return Err("the path must be relative to the policy folder".to_string());
            }
        }
        if depth < 0 {
            return Err("the path leads outside the policy folder".to_string());
        }
    }
    // Compiling never reads relative to the process's working folder: without a policy
    // folder there is nothing to resolve against.
    let Some(root) = root else {
        return Err(
            "there is no policy folder to resolve it against (the policy was compiled \
                    from text: compile it from its files, or give its folder)"
                .to_string(),
        );
    };
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot open the policy folder {}: {e}", root.display()))?;
    let full = root.join(rel);
    let real = full
        .canonicalize()
        .map_err(|e| format!("cannot read it: {e}"))?;
    let Ok(inside) = real.strip_prefix(&root) else {
        return Err(
            "the path leads outside the policy folder (through a symbolic link)".to_string(),
        );
    };
    let name = inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    Ok((real, name))
}

/// The largest iCalendar file an `ics` import reads: 16 MiB.
pub(crate) const MAX_ICS_BYTES: u64 = 16 * 1024 * 1024;

/// An iCalendar file's text: a regular file (a pipe or a device could block compilation
/// forever) of at most [`MAX_ICS_BYTES`].
fn read_ics(file: &Path) -> Result<String, String> {
    use std::io::Read;
    let meta = std::fs::metadata(file).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("it is not a regular file".to_string());
    }
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_ICS_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| format!("cannot read it: {e}"))?;
    if text.len() as u64 > MAX_ICS_BYTES {
        return Err(format!(
            "it is larger than the limit of {MAX_ICS_BYTES} bytes"
        ));
    }
    Ok(text)
}

fn ics_sources(
    path: &StrLit,
    tz: Tz,
    root: Option<&Path>,
    imported: &mut Vec<(String, String)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Source>> {
    let fail = |diags: &mut Vec<Diagnostic>, msg: String| {
        diags.push(
            Diagnostic::error(path.span, format!("cannot import `{}`: {msg}", path.value))
                .with_label("this iCalendar file"),
        );
    };
    let (file, name) = match resolve_ics_path(&path.value, root) {
        Ok(f) => f,
        Err(e) => {
            fail(diags, e);
            return None;
        }
    };
    let text = match read_ics(&file) {
        Ok(t) => t,
        Err(e) => {
            fail(diags, e);
            return None;
        }
    };
    match ics::import(&text, tz) {
        Ok(events) => {
            for w in events.warnings {
                diags.push(
                    Diagnostic::warning(path.span, format!("in `{}`: {w}", path.value))
                        .with_label("imported here"),
                );
            }
            imported.push((name, text));
            Some(events.events.into_iter().map(Source::from).collect())
        }
        Err(e) => {
            fail(diags, e);
            None
        }
    }
}
