//! iCalendar (RFC 5545): importing the events of an `.ics` file as blackout occurrences, and
//! exporting a region's open stretches and blackouts.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::parser::{Component as RawComponent, Property as RawProperty};
use icalendar::{Component, EventLike};

use super::rules::{
    DAY, MAX_DURATION, Recurrence, ever_starts, naive_secs, parse_rrule, validate_rrule,
};
use super::zone::{localize, wall_clock};

/// Which clock an imported event's times are read on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Frame {
    /// The calendar's own zone, as wall-clock membership (all-day and floating events).
    Local,
    /// A fixed zone (`TZID=` or UTC `...Z`): each occurrence is the instant its start denotes
    /// in that zone, lasting the event's exact duration.
    Zone(Tz),
}

/// One imported `VEVENT` with its recurrence.
#[derive(Debug, Clone)]
pub(crate) struct ImportedEvent {
    pub frame: Frame,
    pub recurrence: Recurrence,
}

/// What an `.ics` file holds: its events, and things worth a warning.
#[derive(Debug, Default)]
pub(crate) struct Imported {
    pub events: Vec<ImportedEvent>,
    pub warnings: Vec<String>,
}

/// A date or date-time value as written in an iCalendar property.
#[derive(Debug, Clone, Copy, PartialEq)]
enum IcsTime {
    Date(NaiveDate),
    Floating(NaiveDateTime),
    Utc(NaiveDateTime),
    Zoned(NaiveDateTime, Tz),
}

impl IcsTime {
    /// The wall-clock time on `zone`'s clock.
    fn on_clock(self, zone: Tz) -> NaiveDateTime {
        match self {
            IcsTime::Date(d) => d.and_time(NaiveTime::MIN),
            IcsTime::Floating(n) => n,
            IcsTime::Utc(n) => zone.from_utc_datetime(&n).naive_local(),
            IcsTime::Zoned(n, z) => {
                let t = localize(z, n);
                wall_clock(zone, t).unwrap_or(n)
            }
        }
    }

    /// The UTC second it denotes, reading dates and floating times in `zone`.
    fn instant(self, zone: Tz) -> i64 {
        match self {
            IcsTime::Date(d) => localize(zone, d.and_time(NaiveTime::MIN)),
            IcsTime::Floating(n) => localize(zone, n),
            IcsTime::Utc(n) => naive_secs(n),
            IcsTime::Zoned(n, z) => localize(z, n),
        }
    }
}

fn name_is(p: &RawProperty<'_>, name: &str) -> bool {
    p.name.as_str().eq_ignore_ascii_case(name)
}

fn param<'a>(p: &'a RawProperty<'_>, key: &str) -> Option<&'a str> {
    p.params
        .iter()
        .find(|x| x.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|x| x.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

fn props<'a, 'b>(
    c: &'a RawComponent<'b>,
    name: &'a str,
) -> impl Iterator<Item = &'a RawProperty<'b>> {
    c.properties.iter().filter(move |p| name_is(p, name))
}

fn prop<'a, 'b>(c: &'a RawComponent<'b>, name: &str) -> Option<&'a RawProperty<'b>> {
    c.properties.iter().find(|p| name_is(p, name))
}

/// A `TZID` as an IANA zone; also accepts vendor prefixes such as
/// `/mozilla.org/20050126_1/Europe/Berlin` by trying each suffix after a `/`.
fn zone_of(tzid: &str) -> Result<Tz, String> {
    let tzid = tzid.trim();
    if let Ok(z) = Tz::from_str(tzid) {
        return Ok(z);
    }
    for (i, _) in tzid.match_indices('/') {
        if let Some(z) = tzid.get(i + 1..).and_then(|s| Tz::from_str(s).ok()) {
            return Ok(z);
        }
    }
    Err(format!(
        "TZID `{tzid}` is not an IANA time zone name (only IANA names are supported)"
    ))
}

/// Every value of a date or date-time property (EXDATE and RDATE may hold several).
fn times(p: &RawProperty<'_>) -> Result<Vec<IcsTime>, String> {
    let zone = param(p, "TZID").map(zone_of).transpose()?;
    let value_type = param(p, "VALUE").map(str::to_ascii_uppercase);
    if value_type.as_deref() == Some("PERIOD") {
        return Err(format!(
            "{}: PERIOD values are not supported",
            p.name.as_str()
        ));
    }
    let mut out = Vec::new();
    for v in p
        .val
        .as_str()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let bad = || {
            format!(
                "{}: `{v}` is not a valid date or date-time",
                p.name.as_str()
            )
        };
        let t = if value_type.as_deref() == Some("DATE") || v.len() == 8 {
            IcsTime::Date(NaiveDate::parse_from_str(v, "%Y%m%d").map_err(|_| bad())?)
        } else if let Some(u) = v.strip_suffix('Z') {
            IcsTime::Utc(NaiveDateTime::parse_from_str(u, "%Y%m%dT%H%M%S").map_err(|_| bad())?)
        } else {
            let n = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
            match zone {
                Some(z) => IcsTime::Zoned(n, z),
                None => IcsTime::Floating(n),
            }
        };
        out.push(t);
    }
    Ok(out)
}

fn time(p: &RawProperty<'_>) -> Result<IcsTime, String> {
    times(p)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{} has no value", p.name.as_str()))
}

/// An RFC 5545 duration (`P1D`, `PT1H30M`, `P2W`, `-PT5M`) in seconds; days count 24 hours.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    let (sign, t) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let t = t.strip_prefix('P')?;
    let (mut total, mut number, mut in_time, mut any) = (0i64, None::<i64>, false, false);
    for c in t.chars() {
        if let Some(d) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(i64::from(d))?,
            );
            continue;
        }
        let unit = match (c, in_time) {
            ('T', false) if number.is_none() => {
                in_time = true;
                continue;
            }
            ('W', false) => 7 * DAY,
            ('D', false) => DAY,
            ('H', true) => 3600,
            ('M', true) => 60,
            ('S', true) => 1,
            _ => return None,
        };
        total = total.checked_add(number.take()?.checked_mul(unit)?)?;
        any = true;
    }
    (any && number.is_none()).then_some(sign * total)
}

fn describe(c: &RawComponent<'_>) -> String {
    let uid = prop(c, "UID").map(|p| p.val.as_str().to_string());
    let summary = prop(c, "SUMMARY").map(|p| p.val.as_str().to_string());
    match (summary, uid) {
        (Some(s), _) => format!("event \"{s}\""),
        (None, Some(u)) => format!("event {u}"),
        (None, None) => "an event".to_string(),
    }
}

fn collect_events<'a, 'b>(cs: &'a [RawComponent<'b>], out: &mut Vec<&'a RawComponent<'b>>) {
    for c in cs {
        if c.name.as_str().eq_ignore_ascii_case("VEVENT") {
            out.push(c);
        } else {
            collect_events(&c.components, out);
        }
    }
}

/// Reads every `VEVENT` of an iCalendar text. Dates and floating times are read on the
/// calendar's clock `zone`.
pub(crate) fn import(text: &str, zone: Tz) -> Result<Imported, String> {
    let unfolded = icalendar::parser::unfold(text);
    let components = icalendar::parser::read_components(&unfolded)
        .map_err(|e| e.trim_start_matches("error: ").trim().to_string())?;
    let mut raw = Vec::new();
    collect_events(&components, &mut raw);

    let mut imported = Imported::default();
    // Masters (events without RECURRENCE-ID) by UID, as indices into `imported.events`.
    let mut masters: HashMap<String, usize> = HashMap::new();
    let mut overrides = Vec::new();
    for c in &raw {
        if prop(c, "RECURRENCE-ID").is_some() {
            overrides.push(*c);
            continue;
        }
        if let Some(event) = event(c, zone, &mut imported.warnings)? {
            if let Some(uid) = prop(c, "UID") {
                masters.insert(uid.val.as_str().to_string(), imported.events.len());
            }
            imported.events.push(event);
        }
    }
    // A RECURRENCE-ID event replaces one occurrence of its master: remove that occurrence,
    // then add the replacement (unless it is cancelled).
    for c in overrides {
        let master = prop(c, "UID").and_then(|u| masters.get(u.val.as_str()).copied());
        if let (Some(i), Some(p)) = (master, prop(c, "RECURRENCE-ID")) {
            let rid = time(p).map_err(|e| format!("{}: {e}", describe(c)))?;
            if let Some(m) = imported.events.get_mut(i) {
                let clock = match m.frame {
                    Frame::Local => zone,
                    Frame::Zone(z) => z,
                };
                m.recurrence.exdates.insert(rid.on_clock(clock));
            }
        }
        if let Some(mut event) = event(c, zone, &mut imported.warnings)? {
            event.recurrence.rules.clear();
            imported.events.push(event);
        }
    }
    if raw.is_empty() {
        imported
            .warnings
            .push("the file holds no VEVENT".to_string());
    }
    Ok(imported)
}

/// One VEVENT, or `None` when it blocks nothing (cancelled, or no duration).
fn event(
    c: &RawComponent<'_>,
    zone: Tz,
    warnings: &mut Vec<String>,
) -> Result<Option<ImportedEvent>, String> {
    let what = describe(c);
    let err = |e: String| format!("{what}: {e}");
    if prop(c, "STATUS").is_some_and(|s| s.val.as_str().trim().eq_ignore_ascii_case("CANCELLED")) {
        return Ok(None);
    }
    let start =
        time(prop(c, "DTSTART").ok_or_else(|| err("no DTSTART".to_string()))?).map_err(err)?;
    let (frame, clock, all_day) = match start {
        IcsTime::Date(_) => (Frame::Local, zone, true),
        IcsTime::Floating(_) => (Frame::Local, zone, false),
        IcsTime::Utc(_) => (Frame::Zone(Tz::UTC), Tz::UTC, false),
        IcsTime::Zoned(_, z) => (Frame::Zone(z), z, false),
    };
    let anchor = start.on_clock(clock);

    let duration = if let Some(p) = prop(c, "DTEND") {
        let end = time(p).map_err(err)?;
        match (frame, end) {
            (Frame::Local, IcsTime::Date(d)) if all_day => {
                naive_secs(d.and_time(NaiveTime::MIN)) - naive_secs(anchor)
            }
            (Frame::Local, _) if all_day => {
                return Err(err(
                    "DTEND must be a date when DTSTART is a date".to_string()
                ));
            }
            (Frame::Local, end) => naive_secs(end.on_clock(zone)) - naive_secs(anchor),
            (Frame::Zone(z), end) => end.instant(z) - start.instant(z),
        }
    } else if let Some(p) = prop(c, "DURATION") {
        parse_duration(p.val.as_str())
            .ok_or_else(|| err(format!("`{}` is not a valid DURATION", p.val.as_str())))?
    } else if all_day {
        DAY
    } else {
        0
    };
    if duration < 0 {
        return Err(err("it ends before it starts".to_string()));
    }
    if duration > MAX_DURATION {
        return Err(err("it lasts more than 3660 days".to_string()));
    }
    if duration == 0 {
        warnings.push(format!("{what} has no duration and blocks nothing"));
        return Ok(None);
    }

    let mut recurrence = Recurrence {
        rules: Vec::new(),
        anchor,
        rdates: Vec::new(),
        exdates: BTreeSet::new(),
        except_dates: BTreeSet::new(),
        duration,
    };
    for p in props(c, "RRULE") {
        let rule = parse_rrule(p.val.as_str(), clock).map_err(|e| err(format!("RRULE: {e}")))?;
        validate_rrule(&rule, anchor).map_err(|e| err(format!("RRULE: {e}")))?;
        // A rule whose parts never meet adds nothing to DTSTART, but every expansion would
        // search thousands of years for its next start: leave it out, and say so.
        if !ever_starts(&rule, anchor) {
            warnings.push(format!(
                "{what}: its RRULE `{}` never occurs, so only its DTSTART counts",
                p.val.as_str()
            ));
            continue;
        }
        recurrence.rules.push(rule);
    }
    if !recurrence.rules.is_empty() {
        // RFC 5545: DTSTART always counts as the first occurrence.
        recurrence.rdates.push(anchor);
    }
    for p in props(c, "EXDATE") {
        for t in times(p).map_err(err)? {
            match t {
                IcsTime::Date(d) => {
                    recurrence.except_dates.insert(d);
                }
                t => {
                    recurrence.exdates.insert(t.on_clock(clock));
                }
            }
        }
    }
    for p in props(c, "RDATE") {
        for t in times(p).map_err(err)? {
            let n = match t {
                IcsTime::Date(d) => d.and_time(anchor.time()),
                t => t.on_clock(clock),
            };
            recurrence.rdates.push(n);
        }
    }
    Ok(Some(ImportedEvent { frame, recurrence }))
}

/// One event of an export.
pub(crate) struct ExportEvent<'a> {
    /// The blackout's name, or `None` for an open stretch.
    pub blackout: Option<&'a str>,
    /// Distinguishes blackouts whose names differ but look alike in a UID.
    pub ordinal: usize,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Summary of exported open stretches.
pub(crate) const OPEN_SUMMARY: &str = "open window";

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.trim_matches('-').to_string()
}

/// An RFC 5545 calendar of the events, built with the `icalendar` crate (CRLF line ends,
/// lines folded at 75 octets, text escaped). `dtstamp` is fixed so the output is
/// reproducible.
pub(crate) fn export(
    region: &str,
    tzdb: &str,
    dtstamp: DateTime<Utc>,
    events: &[ExportEvent<'_>],
) -> String {
    let mut cal = icalendar::Calendar::empty();
    cal.append_property(icalendar::Property::new("VERSION", "2.0"));
    cal.append_property(icalendar::Property::new(
        "PRODID",
        "-//shipgate//calendar//EN",
    ));
    cal.append_property(icalendar::Property::new("CALSCALE", "GREGORIAN"));
    cal.append_property(icalendar::Property::new("METHOD", "PUBLISH"));
    cal.append_property(icalendar::Property::new(
        "X-WR-CALNAME",
        format!("shipgate {region}"),
    ));
    cal.append_property(icalendar::Property::new("X-SHIPGATE-TZDB", tzdb));
    for e in events {
        let mut ev = icalendar::Event::new();
        let (summary, uid, category, transp) = match e.blackout {
            Some(name) => (
                name,
                format!(
                    "blackout-{}-{}-{}@{region}.shipgate",
                    e.ordinal,
                    stamp(e.start),
                    slug(name)
                ),
                "BLACKOUT",
                "OPAQUE",
            ),
            None => (
                OPEN_SUMMARY,
                format!("open-{}@{region}.shipgate", stamp(e.start)),
                "OPEN-WINDOW",
                "TRANSPARENT",
            ),
        };
        ev.uid(&uid)
            .timestamp(dtstamp)
            .starts(e.start)
            .ends(e.end)
            .summary(summary)
            .add_property("CATEGORIES", category)
            .add_property("TRANSP", transp);
        cal.push(ev.done());
    }
    cal.to_string()
}
