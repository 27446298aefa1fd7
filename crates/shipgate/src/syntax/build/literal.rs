//! Builders of literal values: times, dates, date-times, durations, numbers and strings.
//! Each checks its value, reports what is out of range and returns a placeholder.

use super::super::ast::{DateLit, DurationLit, LocalDateTimeLit, LocalTime, StrLit, Weekday};
use super::super::grammar::{P, Rule};
use super::Builder;
use crate::span::Span;

impl Builder<'_> {
    /// `HH:MM`; `24:00` only where `end` (the end of a range). Out of range: reported, clamped.
    pub(super) fn time(&mut self, p: &P<'_>, end: bool) -> LocalTime {
        let span = self.span(p);
        let text = p.as_str();
        let (h, m) = text.split_once(':').unwrap_or((text, "0"));
        let h: u32 = h.parse().unwrap_or(99);
        let m: u32 = m.parse().unwrap_or(99);
        let ok = if h == 24 {
            m == 0 && end
        } else {
            h < 24 && m < 60
        };
        if !ok {
            let why = if h > 24 || (h == 24 && m != 0) {
                "hours go from 00 to 23 (24:00 may end a range)"
            } else if h == 24 {
                "24:00 can only end a range"
            } else {
                "minutes go from 00 to 59"
            };
            self.error(span, format!("`{text}` is not a valid time of day"), why);
        }
        LocalTime {
            minutes: (h.min(24) * 60 + m.min(59)).min(1440),
        }
    }

    pub(super) fn month_day(&mut self, p: &P<'_>) -> i32 {
        let span = self.span(p);
        let day: i32 = p.as_str().parse().unwrap_or(0);
        if day == 0 || !(-31..=31).contains(&day) {
            self.error(
                span,
                format!("`{}` is not a day of the month", p.as_str()),
                "use 1 to 31, or -1 (the last day) to -31",
            );
            return 1;
        }
        day
    }

    pub(super) fn date(&mut self, p: &P<'_>) -> DateLit {
        let span = self.span(p);
        self.date_text(p.as_str(), span)
    }

    /// `YYYY-MM-DD` at the start of `text` (the grammar guarantees the shape).
    pub(super) fn date_text(&mut self, text: &str, span: Span) -> DateLit {
        let num = |r: std::ops::Range<usize>| -> u32 {
            text.get(r).and_then(|s| s.parse().ok()).unwrap_or(0)
        };
        let year = num(0..4);
        let month = num(5..7);
        let day = num(8..10);
        let date_span = Span::new(
            span.file,
            span.start as usize,
            (span.start as usize + 10).min(span.end as usize),
        );
        let valid = i32::try_from(year)
            .ok()
            .and_then(|y| chrono::NaiveDate::from_ymd_opt(y, month, day))
            .is_some();
        if !valid {
            let why = if !(1..=12).contains(&month) {
                format!("there is no month {month}")
            } else {
                format!("month {month} of {year} has no day {day}")
            };
            self.error(
                date_span,
                format!("`{}` is not a valid date", text.get(0..10).unwrap_or(text)),
                why,
            );
        }
        DateLit {
            year: i32::try_from(year).unwrap_or(0),
            month,
            day,
            span: date_span,
        }
    }

    /// A date-time literal: the local part and the offset in minutes, if written.
    pub(super) fn datetime(&mut self, p: &P<'_>) -> (LocalDateTimeLit, Option<i32>) {
        let span = self.span(p);
        let text = p.as_str();
        let date = self.date_text(text, span);
        let num = |r: std::ops::Range<usize>| -> u32 {
            text.get(r).and_then(|s| s.parse().ok()).unwrap_or(0)
        };
        let hour = num(11..13);
        let minute = num(14..16);
        let (second, rest) = if text.get(16..17) == Some(":") {
            (num(17..19), text.get(19..).unwrap_or(""))
        } else {
            (0, text.get(16..).unwrap_or(""))
        };
        if hour > 23 || minute > 59 || second > 59 {
            self.error(
                span,
                format!("`{text}` is not a valid date-time"),
                "the time must be 00:00 to 23:59:59",
            );
        }
        let offset = match rest.as_bytes().first() {
            Some(b'Z') => Some(0),
            Some(&sign @ (b'+' | b'-')) => {
                let oh = rest
                    .get(1..3)
                    .and_then(|s| s.parse::<i32>().ok())
                    .unwrap_or(0);
                let om = rest
                    .get(4..6)
                    .and_then(|s| s.parse::<i32>().ok())
                    .unwrap_or(0);
                if oh > 23 || om > 59 {
                    self.error(
                        span,
                        format!("`{rest}` is not a valid time-zone offset"),
                        "offsets go from -23:59 to +23:59",
                    );
                }
                let total = oh.min(23) * 60 + om.min(59);
                Some(if sign == b'-' { -total } else { total })
            }
            _ => None,
        };
        let local = LocalDateTimeLit {
            date,
            minutes: hour.min(23) * 60 + minute.min(59),
            second: second.min(59),
            span,
        };
        (local, offset)
    }

    /// A date-time inside a calendar: local to the calendar's zone, so no offset.
    pub(super) fn local_datetime(&mut self, p: &P<'_>) -> Option<LocalDateTimeLit> {
        let (local, offset) = self.datetime(p);
        if offset.is_some() {
            self.error(
                local.span,
                "date-times in a calendar are local to its time zone",
                "remove the offset",
            );
            return None;
        }
        Some(local)
    }

    pub(super) fn duration(&mut self, p: &P<'_>) -> DurationLit {
        let span = self.span(p);
        let seconds = match duration_seconds(p.as_str()) {
            Some(s) => s,
            None => {
                self.error(span, "this duration is too long", "too long");
                0
            }
        };
        DurationLit { seconds, span }
    }

    pub(super) fn uint(&mut self, p: &P<'_>) -> u64 {
        match p.as_str().parse() {
            Ok(v) => v,
            Err(_) => {
                let span = self.span(p);
                self.error(
                    span,
                    format!("this number is too large (the largest is {})", u64::MAX),
                    "too large",
                );
                0
            }
        }
    }

    /// A number, percent or float literal as an `f64` (`2%` is 0.02).
    pub(super) fn number(&mut self, p: &P<'_>) -> f64 {
        let text = p.as_str();
        let parsed = match p.as_rule() {
            // "2e-2" parses to the double nearest 0.02, as the literal `0.02` would.
            Rule::percent_lit => format!("{}e-2", text.trim_end_matches('%')).parse::<f64>(),
            _ => text.parse::<f64>(),
        };
        match parsed {
            Ok(v) if v.is_finite() => v,
            _ => {
                let span = self.span(p);
                self.error(span, "this number is too large", "too large");
                0.0
            }
        }
    }

    pub(super) fn string(&mut self, p: &P<'_>) -> StrLit {
        let span = self.span(p);
        let body = p
            .clone()
            .into_inner()
            .find(|c| c.as_rule() == Rule::string_body);
        let (raw, body_start) = match &body {
            Some(b) => (b.as_str(), self.offset + b.as_span().start()),
            None => ("", span.start as usize),
        };
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, other)) => {
                    let at = body_start + i;
                    self.error(
                        Span::new(self.file, at, at + 1 + other.len_utf8()),
                        format!("unknown escape `\\{other}` in a string"),
                        "use \\\" \\\\ \\n or \\t",
                    );
                    value.push(other);
                }
                None => {}
            }
        }
        StrLit { value, span }
    }
}

/// A day as written (`mon`).
pub(super) fn weekday(text: &str) -> Option<Weekday> {
    Some(match text {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

/// `90s`, `1h30m`, ... in seconds; `None` on overflow.
pub(in crate::syntax) fn duration_seconds(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut n: i64 = 0;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            n = n.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
            continue;
        }
        let unit: i64 = match b {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            b'd' => 86_400,
            b'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        n = 0;
    }
    Some(total)
}
