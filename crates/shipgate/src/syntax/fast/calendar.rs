//! Calendars (windows and every kind of blackout), regions, and scopes (`services where` and
//! `changes where`), with the builder's checks of times, days and dates.

use super::super::ast::{
    BlackoutSpec, CalendarDecl, CalendarEntry, DateLit, DaySet, Ident, LocalDateTimeLit, LocalTime,
    RegionDecl, ScopeDecl, ScopeTarget, TimeRange, Weekday,
};
use super::Parser;
use super::lex;

impl Parser<'_> {
    pub(super) fn calendar(&mut self) -> Option<CalendarDecl> {
        let (start, _) = self.expect_kw("calendar")?;
        self.skip();
        let name = self.hyphen_ident()?;
        self.skip();
        self.expect_kw("timezone")?;
        self.skip();
        let timezone = self.string()?;
        self.skip();
        self.punct(b'{')?;
        self.open()?;
        self.skip();
        let mut entries = Vec::new();
        while !self.eat(b'}') {
            entries.push(self.calendar_entry()?);
            self.skip();
        }
        self.close();
        Some(CalendarDecl {
            name,
            timezone,
            entries,
            span: self.span(start, self.pos),
        })
    }

    fn calendar_entry(&mut self) -> Option<CalendarEntry> {
        let start = self.pos;
        if self.kw("window") {
            self.skip();
            let days = self.day_set()?;
            self.skip();
            let times = self.time_range()?;
            return Some(CalendarEntry::Window {
                days,
                times,
                span: self.span(start, self.pos),
            });
        }
        self.expect_kw("blackout")?;
        self.skip();
        let name = self.string()?;
        self.skip();
        let spec = self.blackout_spec()?;
        Some(CalendarEntry::Blackout {
            name,
            spec,
            span: self.span(start, self.pos),
        })
    }

    fn blackout_spec(&mut self) -> Option<BlackoutSpec> {
        let start = self.pos;
        if self.kw("daily") {
            self.skip();
            return Some(BlackoutSpec::Daily(self.time_range()?));
        }
        if self.kw("weekly") {
            self.skip();
            let from_day = self.weekday()?;
            self.skip();
            let from_time = self.time(false)?;
            self.skip();
            self.punct(b'-')?;
            self.skip();
            let to_day = self.weekday()?;
            self.skip();
            let to_time = self.time(true)?;
            return Some(BlackoutSpec::Weekly {
                from_day,
                from_time,
                to_day,
                to_time,
                span: self.span(start, self.pos),
            });
        }
        if self.kw("monthly") {
            self.skip();
            self.expect_kw("days")?;
            self.skip();
            let from_day = self.month_day()?;
            self.skip();
            let mut to_day = from_day;
            if self.b.get(self.pos..self.pos + 2) == Some(b"..") {
                self.pos += 2;
                self.skip();
                to_day = self.month_day()?;
            }
            self.skip();
            let times = if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                Some(self.time_range()?)
            } else {
                None
            };
            return Some(BlackoutSpec::Monthly {
                from_day,
                to_day,
                times,
                span: self.span(start, self.pos),
            });
        }
        if self.kw("from") {
            return self.dated();
        }
        if self.kw("ics") {
            self.skip();
            return Some(BlackoutSpec::Ics(self.string()?));
        }
        self.expect_kw("rrule")?;
        self.skip();
        let rule = self.string()?;
        self.skip();
        self.expect_kw("at")?;
        self.skip();
        let at = self.time(false)?;
        self.skip();
        self.expect_kw("for")?;
        self.skip();
        let duration = self.duration()?;
        self.skip();
        let mut except = Vec::new();
        if self.kw("except") {
            self.skip();
            except.push(self.date()?);
            self.skip();
            self.comma_list(&mut except, Self::date)?;
        }
        Some(BlackoutSpec::Rrule {
            rule,
            at,
            duration,
            except,
            span: self.span(start, self.pos),
        })
    }

    /// `from DATE to DATE` or `from DATETIME to DATETIME`, after `from`.
    fn dated(&mut self) -> Option<BlackoutSpec> {
        self.skip();
        let from = self.date_or_datetime()?;
        self.skip();
        self.expect_kw("to")?;
        self.skip();
        let to = self.date_or_datetime()?;
        match (from, to) {
            (Dated::Date(from), Dated::Date(to)) => Some(BlackoutSpec::DateRange { from, to }),
            (Dated::DateTime(from), Dated::DateTime(to)) => {
                Some(BlackoutSpec::DateTimeRange { from, to })
            }
            // Mixed ends are the builder's error.
            _ => None,
        }
    }

    /// A date, or a date-time local to the calendar (an offset is the builder's error).
    fn date_or_datetime(&mut self) -> Option<Dated> {
        if let Some(end) = lex::datetime(self.b, self.pos) {
            let (local, offset) = self.datetime_value(self.pos, end)?;
            self.pos = end;
            return offset.is_none().then_some(Dated::DateTime(local));
        }
        self.date().map(Dated::Date)
    }

    /// `date_lit`, valid.
    pub(super) fn date(&mut self) -> Option<DateLit> {
        let start = self.pos;
        let end = lex::date(self.b, start)?;
        self.pos = end;
        self.date_value(start)
    }

    /// The date at `start` (`YYYY-MM-DD`, shape already matched), if it is a real date.
    pub(super) fn date_value(&self, start: usize) -> Option<DateLit> {
        let num = |a: usize, b: usize| -> Option<u32> {
            self.text.get(start + a..start + b)?.parse().ok()
        };
        let year = num(0, 4)?;
        let month = num(5, 7)?;
        let day = num(8, 10)?;
        let year = i32::try_from(year).ok()?;
        chrono::NaiveDate::from_ymd_opt(year, month, day)?;
        Some(DateLit {
            year,
            month,
            day,
            span: self.span(start, start + 10),
        })
    }

    /// The date-time literal at `start..end`, if valid: its local part and offset (minutes).
    pub(super) fn datetime_value(
        &self,
        start: usize,
        end: usize,
    ) -> Option<(LocalDateTimeLit, Option<i32>)> {
        let date = self.date_value(start)?;
        let text = self.text.get(start..end)?;
        let num = |a: usize, b: usize| -> Option<u32> { text.get(a..b)?.parse().ok() };
        let hour = num(11, 13)?;
        let minute = num(14, 16)?;
        let (second, rest) = if text.get(16..17) == Some(":") {
            (num(17, 19)?, text.get(19..)?)
        } else {
            (0, text.get(16..)?)
        };
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let offset = match rest.as_bytes().first() {
            Some(b'Z') => Some(0),
            Some(&sign @ (b'+' | b'-')) => {
                let oh: i32 = rest.get(1..3)?.parse().ok()?;
                let om: i32 = rest.get(4..6)?.parse().ok()?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let total = oh * 60 + om;
                Some(if sign == b'-' { -total } else { total })
            }
            _ => None,
        };
        let local = LocalDateTimeLit {
            date,
            minutes: hour * 60 + minute,
            second,
            span: self.span(start, end),
        };
        Some((local, offset))
    }

    fn weekday(&mut self) -> Option<Weekday> {
        let (day, end) = lex::weekday(self.b, self.pos)?;
        self.pos = end;
        Some(day)
    }

    /// `time`, valid; `24:00` only where `end` (the end of a range).
    fn time(&mut self, end: bool) -> Option<LocalTime> {
        let start = self.pos;
        let stop = lex::time(self.b, start)?;
        let text = self.text.get(start..stop)?;
        let (h, m) = text.split_once(':')?;
        let h: u32 = h.parse().ok()?;
        let m: u32 = m.parse().ok()?;
        let ok = if h == 24 {
            m == 0 && end
        } else {
            h < 24 && m < 60
        };
        self.pos = stop;
        ok.then_some(LocalTime {
            minutes: h * 60 + m,
        })
    }

    fn time_range(&mut self) -> Option<TimeRange> {
        let start = self.pos;
        let from = self.time(false)?;
        self.skip();
        self.punct(b'-')?;
        self.skip();
        let to = self.time(true)?;
        Some(TimeRange {
            start: from,
            end: to,
            span: self.span(start, self.pos),
        })
    }

    /// `month_day`, valid (1 to 31 or -1 to -31).
    fn month_day(&mut self) -> Option<i32> {
        let start = self.pos;
        let end = lex::month_day(self.b, start)?;
        let day: i32 = self.text.get(start..end)?.parse().ok()?;
        self.pos = end;
        (day != 0 && (-31..=31).contains(&day)).then_some(day)
    }

    /// `daily`, or day ranges (`mon-fri, sun`).
    fn day_set(&mut self) -> Option<DaySet> {
        let start = self.pos;
        let mut ranges = Vec::new();
        if self.kw("daily") {
            ranges.push((Weekday::Mon, Weekday::Sun));
        } else {
            ranges.push(self.day_range()?);
            self.skip();
            self.comma_list(&mut ranges, Self::day_range)?;
        }
        Some(DaySet {
            ranges,
            span: self.span(start, self.pos),
        })
    }

    fn day_range(&mut self) -> Option<(Weekday, Weekday)> {
        let first = self.weekday()?;
        self.skip();
        let save = self.pos;
        if self.eat(b'-') {
            self.skip();
            match self.weekday() {
                Some(last) => return Some((first, last)),
                None => self.pos = save,
            }
        }
        Some((first, first))
    }

    pub(super) fn region(&mut self) -> Option<RegionDecl> {
        let (start, _) = self.expect_kw("region")?;
        self.skip();
        let name = self.hyphen_ident()?;
        self.skip();
        self.expect_kw("uses")?;
        self.skip();
        let calendars = self.calendar_names()?;
        Some(RegionDecl {
            name,
            calendars,
            span: self.span(start, self.pos),
        })
    }

    /// `calendar_name ~ (comma ~ calendar_name)*`.
    fn calendar_names(&mut self) -> Option<Vec<Ident>> {
        let mut names = vec![self.hyphen_ident()?];
        self.skip();
        self.comma_list(&mut names, Self::hyphen_ident)?;
        Some(names)
    }

    /// `services where EXPR use C, ...` or `changes where EXPR use C, ...`.
    pub(super) fn scope(&mut self) -> Option<ScopeDecl> {
        let start = self.pos;
        let target = if self.kw("services") {
            ScopeTarget::Services
        } else {
            self.expect_kw("changes")?;
            ScopeTarget::Changes
        };
        self.skip();
        self.expect_kw("where")?;
        self.skip();
        let when = self.expr()?;
        self.skip();
        self.expect_kw("use")?;
        self.skip();
        let calendars = self.calendar_names()?;
        Some(ScopeDecl {
            target,
            when,
            calendars,
            span: self.span(start, self.pos),
        })
    }
}

/// An end of `from ... to ...`.
enum Dated {
    Date(DateLit),
    DateTime(LocalDateTimeLit),
}
