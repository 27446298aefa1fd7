//! Instants, durations and dates as the engine reads and writes them. Below every other layer:
//! the inputs, the checker (date literals), the calendars, the evaluator and the decision's
//! JSON all share these, so each is written once.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// An instant in UTC.
pub type Instant = DateTime<Utc>;

/// Day 0 of the `date` type: dates are counted in days since 1970-01-01.
pub fn epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// The longest duration an input may give: 100 years. Longer ones are typos, and instants
/// this far out would leave the range the calendars can reason about.
pub const MAX_DURATION_SECS: i64 = 36_500 * 86_400;

pub(crate) const DURATION_UNITS: [(&str, i64); 5] = [
    ("w", 7 * 86_400),
    ("d", 86_400),
    ("h", 3_600),
    ("m", 60),
    ("s", 1),
];

/// Parses a duration such as `"2h"`, `"90m"`, `"1h30m"`, `"3d"`, `"2w"` or `"45s"` into
/// seconds. Units go from largest to smallest, each at most once; spaces between the parts are
/// allowed (`"1h 30m"`).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("invalid duration \"{text}\": {why}");
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad("expected e.g. \"2h\", \"90m\" or \"1h30m\""));
    }
    if trimmed.starts_with('-') {
        return Err(bad("a duration cannot be negative"));
    }
    let mut total: i64 = 0;
    // Index into DURATION_UNITS of the smallest unit allowed next.
    let mut next_unit = 0;
    // Each part is read as slices of the text (a duration is read for every change).
    let mut rest = trimmed;
    while !rest.is_empty() {
        rest = rest.trim_start_matches(char::is_whitespace);
        let (digits, after) = rest.split_at(
            rest.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len()),
        );
        let after = after.trim_start_matches(char::is_whitespace);
        if after.starts_with(['.', ',']) {
            return Err(bad("fractions are not supported: write e.g. \"1h30m\""));
        }
        let (unit, after) = after.split_at(
            after
                .find(|c: char| !c.is_alphabetic())
                .unwrap_or(after.len()),
        );
        if unit.is_empty() {
            return Err(match after.chars().next() {
                None => bad(&format!(
                    "a duration needs a unit (w, d, h, m or s), e.g. \"{digits}s\""
                )),
                Some(c) if !digits.is_empty() => {
                    bad(&format!("unknown unit \"{c}\" (use w, d, h, m or s)"))
                }
                Some(c) => bad(&format!("expected a number, got \"{c}\"")),
            });
        }
        if digits.is_empty() {
            return Err(bad(&format!("expected a number before \"{unit}\"")));
        }
        let Some(pos) = DURATION_UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(bad(&format!(
                "unknown unit \"{unit}\" (use w, d, h, m or s)"
            )));
        };
        if pos < next_unit {
            return Err(bad(
                "units must go from the largest to the smallest, each at most once",
            ));
        }
        next_unit = pos + 1;
        let too_large = || bad("too large (at most 100 years, 36500d)");
        let count: i64 = digits.parse().map_err(|_| too_large())?;
        let secs = DURATION_UNITS.get(pos).map_or(1, |(_, s)| *s);
        total = count
            .checked_mul(secs)
            .and_then(|s| total.checked_add(s))
            .filter(|t| *t <= MAX_DURATION_SECS)
            .ok_or_else(too_large)?;
        rest = after;
    }
    Ok(total)
}

/// Formats seconds as the shortest duration text `parse_duration` reads back: 5400 ->
/// `"1h30m"`, 300 -> `"5m"`, 0 -> `"0s"`. Negative values get a leading `-`.
pub fn format_duration(secs: i64) -> String {
    if secs == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    if secs < 0 {
        out.push('-');
    }
    let mut rest = secs.unsigned_abs();
    for (unit, size) in DURATION_UNITS {
        let size = size.unsigned_abs();
        let count = rest / size;
        if count > 0 {
            out.push_str(&count.to_string());
            out.push_str(unit);
            rest %= size;
        }
    }
    out
}

/// Parses an RFC 3339 date-time with an offset (`Z` or `+01:00`) into UTC. Seconds may be
/// left out (`2026-12-01T10:00Z`). A date-time without an offset is an error, not a guess.
pub fn parse_instant(text: &str) -> Result<Instant, String> {
    if let Some(t) = utc_instant(text) {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(with_seconds) = insert_seconds(text) {
        if let Ok(t) = DateTime::parse_from_rfc3339(&with_seconds) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    let expected = format!("expected an RFC 3339 date-time with offset, got \"{text}\"");
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .any(|f| NaiveDateTime::parse_from_str(text, f).is_ok());
    if naive {
        return Err(format!(
            "{expected} (a naive date-time is ambiguous: add Z or an offset)"
        ));
    }
    if NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() {
        return Err(format!(
            "{expected} (a date alone is not an instant: write e.g. \"{text}T00:00:00Z\")"
        ));
    }
    Err(format!("{expected} (e.g. \"2026-12-01T10:00:00Z\")"))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the shape nearly every instant of an input has (and the one
/// decisions write), read without chrono's general RFC 3339 parser, which showed in the
/// profile of a replay (several instants a change); `None` for any other text, which that
/// parser then reads (a leap second included). The same instant as that parser for every text
/// it takes.
fn utc_instant(text: &str) -> Option<Instant> {
    let b: &[u8; 20] = text.as_bytes().try_into().ok()?;
    if [b[4], b[7], b[10], b[13], b[16], b[19]] != *b"--T::Z" {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5, 7)?, number(8, 10)?)?
        .and_hms_opt(number(11, 13)?, number(14, 16)?, number(17, 19)?)
        .map(|t| t.and_utc())
}

/// `2026-12-01T10:00Z` -> `2026-12-01T10:00:00Z`, so minute precision reads like the policy
/// language's date-times; `None` when the text does not have that shape.
fn insert_seconds(text: &str) -> Option<String> {
    let head = text.get(..16)?;
    let tail = text.get(16..)?;
    let offset_follows = matches!(tail.as_bytes().first(), Some(b'Z' | b'z' | b'+' | b'-'));
    (head.as_bytes().get(13) == Some(&b':') && offset_follows).then(|| format!("{head}:00{tail}"))
}

/// The instant `secs` seconds after `t`, a whole-second instant (`DateTime::from_timestamp` of
/// its seconds plus `secs`, `None` where that is). Within `t`'s UTC day only the time of day
/// moves: a decision's end an hour after its start is then built without turning a second
/// count back into a date, which is most of that conversion's cost.
pub fn seconds_after(t: Instant, secs: i64) -> Option<Instant> {
    use chrono::Timelike;
    let naive = t.naive_utc();
    let time = naive.time();
    if time.nanosecond() == 0
        && let Some(tod) = i64::from(time.num_seconds_from_midnight()).checked_add(secs)
        && let Ok(tod) = u32::try_from(tod)
        && let Some(time) = chrono::NaiveTime::from_num_seconds_from_midnight_opt(tod, 0)
    {
        return Some(naive.date().and_time(time).and_utc());
    }
    DateTime::from_timestamp(t.timestamp().checked_add(secs)?, 0)
}

/// The instant 365 days after `t` (a whole-second instant), as
/// `DateTime::from_timestamp(t + 365 days)` gives it: the same time of day, the date moved by
/// its ordinal within its year (a calendar's horizon, reached by every decision of a policy
/// without calendars).
pub fn year_after(t: Instant) -> Option<Instant> {
    use chrono::{Datelike, Timelike};
    let naive = t.naive_utc();
    let date = naive.date();
    if naive.time().nanosecond() == 0 {
        let year = date.year();
        let ordinal = date.ordinal() + 365;
        let length = if date.leap_year() { 366 } else { 365 };
        let later = if ordinal <= length {
            NaiveDate::from_yo_opt(year, ordinal)
        } else {
            NaiveDate::from_yo_opt(year.checked_add(1)?, ordinal - length)
        };
        if let Some(later) = later {
            return Some(later.and_time(naive.time()).and_utc());
        }
    }
    DateTime::from_timestamp(t.timestamp().checked_add(365 * 86_400)?, 0)
}

/// RFC 3339 in UTC with `Z`, to the second: `2026-12-01T10:00:00Z`.
pub fn format_instant(instant: Instant) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// --- a compact writer for the instants of a decision's JSON ----------------------------------
// `YYYY-MM-DDTHH:MM:SSZ` straight from unix seconds, without going through chrono's general
// formatter (which showed up in profiles when decisions held their instants as text). The same
// text as `format_instant` for every instant it handles.

/// An instant's RFC 3339 text, `YYYY-MM-DDTHH:MM:SSZ`, in a fixed buffer (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcText([u8; 20]);

impl UtcText {
    pub fn as_str(&self) -> &str {
        // Only `utc_seconds` builds one, from ASCII digits and separators.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Unix seconds as RFC 3339 UTC to the second; `None` outside years 0000-9999.
pub fn utc_seconds(secs: i64) -> Option<UtcText> {
    // Counted from 1970 minus five 400-year eras, every year from 0000 is non-negative, so the
    // arithmetic is unsigned: divisions by constants become multiplications, where the signed
    // euclidean forms cost several times more. The calendar repeats every era.
    let shifted = u64::try_from(secs.checked_add(ERAS_BACK * ERA_SECS)?).ok()?;
    let (y, m, d) = civil_from_days(shifted / 86_400);
    let y = y.checked_sub(400 * ERAS_BACK as u64)?;
    if y > 9999 {
        return None;
    }
    let rem = shifted % 86_400;
    let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
    // Every value is in range here (year 0..=9999, the others below 100).
    let two = |v: u64| {
        let v = (v % 100) as u8;
        [b'0' + v / 10, b'0' + v % 10]
    };
    let [c1, c2] = two(y / 100);
    let [y1, y2] = two(y);
    let [m1, m2] = two(m);
    let [d1, d2] = two(d);
    let [h1, h2] = two(hh);
    let [n1, n2] = two(mm);
    let [s1, s2] = two(ss);
    let buf = [
        c1, c2, y1, y2, b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', n1, n2, b':', s1, s2, b'Z',
    ];
    Some(UtcText(buf))
}

/// Seconds in 400 Gregorian years, and how many of them `utc_seconds` counts back from 1970.
const ERA_SECS: i64 = 146_097 * 86_400;
const ERAS_BACK: i64 = 5;

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`), for days on or after it.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chrono_text(secs: i64) -> String {
        format_instant(chrono::DateTime::from_timestamp(secs, 0).unwrap())
    }

    /// `parse_duration` as it was first written, char by char into strings: the model the
    /// reading by slices is held to.
    fn parse_duration_model(text: &str) -> Result<i64, String> {
        let bad = |why: &str| format!("invalid duration \"{text}\": {why}");
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(bad("expected e.g. \"2h\", \"90m\" or \"1h30m\""));
        }
        if trimmed.starts_with('-') {
            return Err(bad("a duration cannot be negative"));
        }
        let mut total: i64 = 0;
        // Index into DURATION_UNITS of the smallest unit allowed next.
        let mut next_unit = 0;
        let mut chars = trimmed.chars().peekable();
        while chars.peek().is_some() {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let mut digits = String::new();
            while let Some(c) = chars.next_if(char::is_ascii_digit) {
                digits.push(c);
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            if chars.next_if(|c| *c == '.' || *c == ',').is_some() {
                return Err(bad("fractions are not supported: write e.g. \"1h30m\""));
            }
            let mut unit = String::new();
            while let Some(c) = chars.next_if(|c| c.is_alphabetic()) {
                unit.push(c);
            }
            if unit.is_empty() {
                return Err(match chars.peek() {
                    None => bad(&format!(
                        "a duration needs a unit (w, d, h, m or s), e.g. \"{digits}s\""
                    )),
                    Some(c) if !digits.is_empty() => {
                        bad(&format!("unknown unit \"{c}\" (use w, d, h, m or s)"))
                    }
                    Some(c) => bad(&format!("expected a number, got \"{c}\"")),
                });
            }
            if digits.is_empty() {
                return Err(bad(&format!("expected a number before \"{unit}\"")));
            }
            let Some(pos) = DURATION_UNITS.iter().position(|(u, _)| *u == unit) else {
                return Err(bad(&format!(
                    "unknown unit \"{unit}\" (use w, d, h, m or s)"
                )));
            };
            if pos < next_unit {
                return Err(bad(
                    "units must go from the largest to the smallest, each at most once",
                ));
            }
            next_unit = pos + 1;
            let too_large = || bad("too large (at most 100 years, 36500d)");
            let count: i64 = digits.parse().map_err(|_| too_large())?;
            let secs = DURATION_UNITS.get(pos).map_or(1, |(_, s)| *s);
            total = count
                .checked_mul(secs)
                .and_then(|s| total.checked_add(s))
                .filter(|t| *t <= MAX_DURATION_SECS)
                .ok_or_else(too_large)?;
        }
        Ok(total)
    }

    #[test]
    fn known_instants() {
        assert_eq!(utc_seconds(0).unwrap().as_str(), "1970-01-01T00:00:00Z");
        assert_eq!(
            utc_seconds(1_796_115_600).unwrap().as_str(),
            chrono_text(1_796_115_600)
        );
        assert_eq!(
            utc_seconds(951_782_400).unwrap().as_str(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(utc_seconds(-1).unwrap().as_str(), "1969-12-31T23:59:59Z");
        assert_eq!(
            utc_seconds(253_402_300_799).unwrap().as_str(),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(utc_seconds(253_402_300_800), None);
        assert_eq!(
            utc_seconds(-62_167_219_200).unwrap().as_str(),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(utc_seconds(-62_167_219_201), None);
    }

    #[test]
    fn a_year_after_the_ends_of_leap_and_common_years() {
        for day in [
            "2027-12-31",
            "2028-01-01",
            "2028-02-28",
            "2028-02-29",
            "2028-03-01",
            "2028-12-30",
            "2028-12-31",
            "2029-01-01",
            "2100-02-28",
            "2100-03-01",
            "1999-12-31",
            "2000-01-01",
        ] {
            for time in ["00:00:00", "10:00:00", "23:59:59"] {
                let t = parse_instant(&format!("{day}T{time}Z")).unwrap();
                let model = DateTime::from_timestamp(t.timestamp() + 365 * 86_400, 0);
                assert_eq!(year_after(t), model, "{day}T{time}Z");
                for by in [0, 1, 3_600, 86_399, 86_400, -1, -86_400] {
                    let model = DateTime::from_timestamp(t.timestamp() + by, 0);
                    assert_eq!(seconds_after(t, by), model, "{day}T{time}Z + {by}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn same_text_as_chrono(secs in -62_167_219_200i64..=253_402_300_799) {
            let text = utc_seconds(secs).unwrap();
            prop_assert_eq!(text.as_str(), chrono_text(secs));
        }

        /// An instant moved within its day or by a year is the instant of the moved second
        /// count, wherever chrono has one.
        #[test]
        fn moved_instants_are_those_of_their_seconds(
            secs in -62_167_219_200i64..=253_402_300_799,
            by in prop_oneof![0i64..86_400, -86_400i64..0, 0i64..=40 * 86_400, Just(i64::MAX)],
        ) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let model = |s: Option<i64>| s.and_then(|s| DateTime::from_timestamp(s, 0));
            prop_assert_eq!(seconds_after(t, by), model(secs.checked_add(by)));
            prop_assert_eq!(year_after(t), model(secs.checked_add(365 * 86_400)));
        }

        /// Durations read by slices read as the model reads them, errors included.
        #[test]
        fn durations_read_as_the_model_reads_them(
            text in "[0-9 hmdswx.,\u{e9}\u{a0}-]{0,12}",
        ) {
            prop_assert_eq!(parse_duration(&text), parse_duration_model(&text));
        }

        /// The short path reads every `YYYY-MM-DDTHH:MM:SSZ` as chrono's RFC 3339 parser
        /// does, and refuses what it refuses: digits anywhere (month 13, February 30th, hour
        /// 24, second 60 ...) and the separators mostly right.
        #[test]
        fn the_short_path_reads_instants_as_chrono(
            digits in prop::collection::vec(0u8..10, 14),
            high in prop::collection::vec(any::<bool>(), 14),
            separators in prop::sample::select(vec![
                "--T::Z", "--T::Z", "--T::Z", "--t::Z", "--T::z", "-- ::Z", "/-T::Z", "--T:.Z",
            ]),
        ) {
            // Digits mostly in range, sometimes not: the first of each field small or not.
            let d: Vec<u8> = digits
                .iter()
                .zip(&high)
                .enumerate()
                .map(|(i, (&d, &h))| match i {
                    4 | 6 | 8 | 10 | 12 if !h => b'0' + d % 3,
                    _ => b'0' + d,
                })
                .collect();
            let s = separators.as_bytes();
            let text: String = [
                &d[0..4], &s[0..1], &d[4..6], &s[1..2], &d[6..8], &s[2..3], &d[8..10], &s[3..4],
                &d[10..12], &s[4..5], &d[12..14], &s[5..6],
            ]
            .concat()
            .into_iter()
            .map(char::from)
            .collect();
            let chrono = DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).ok();
            let short = utc_instant(&text);
            if let Some(t) = short {
                prop_assert_eq!(Some(t), chrono, "{}", text);
            } else if separators == "--T::Z" {
                // Refused by the short path only where chrono refuses too, or reads a leap
                // second (which the short path leaves to it).
                prop_assert!(chrono.is_none() || &text[17..19] == "60", "{}", text);
            }
            if let Some(c) = chrono {
                prop_assert_eq!(parse_instant(&text), Ok(c));
            }
        }
    }
}
