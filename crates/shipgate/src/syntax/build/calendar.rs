//! Builders of calendars (windows and blackouts of every kind) and of regions.

use super::super::ast::{
    BlackoutSpec, CalendarDecl, CalendarEntry, DaySet, RegionDecl, ScopeDecl, ScopeTarget,
    TimeRange, Weekday,
};
use super::super::grammar::{P, Rule};
use super::Builder;
use super::literal::weekday;
use crate::span::Span;

impl Builder<'_> {
    pub(super) fn calendar(&mut self, p: P<'_>, span: Span) -> Option<CalendarDecl> {
        let mut name = None;
        let mut timezone = None;
        let mut entries = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::calendar_name => name = Some(self.ident(&c)),
                Rule::string => timezone = Some(self.string(&c)),
                Rule::calendar_entry => {
                    if let Some(e) = self.calendar_entry(c) {
                        entries.push(e);
                    }
                }
                _ => {}
            }
        }
        Some(CalendarDecl {
            name: self.need(name, span)?,
            timezone: self.need(timezone, span)?,
            entries,
            span,
        })
    }

    pub(super) fn calendar_entry(&mut self, p: P<'_>) -> Option<CalendarEntry> {
        let outer = self.span(&p);
        let entry = p.into_inner().next();
        let entry = self.need(entry, outer)?;
        let span = self.span(&entry);
        match entry.as_rule() {
            Rule::window_entry => {
                let mut days = None;
                let mut times = None;
                for c in entry.into_inner() {
                    match c.as_rule() {
                        Rule::day_set => days = Some(self.day_set(c)?),
                        Rule::time_range => times = Some(self.time_range(c)?),
                        _ => {}
                    }
                }
                Some(CalendarEntry::Window {
                    days: self.need(days, span)?,
                    times: self.need(times, span)?,
                    span,
                })
            }
            Rule::blackout_entry => {
                let mut name = None;
                let mut spec = None;
                for c in entry.into_inner() {
                    match c.as_rule() {
                        Rule::string => name = Some(self.string(&c)),
                        Rule::blackout_spec => spec = Some(self.blackout_spec(c)?),
                        _ => {}
                    }
                }
                Some(CalendarEntry::Blackout {
                    name: self.need(name, span)?,
                    spec: self.need(spec, span)?,
                    span,
                })
            }
            _ => self.bug(span),
        }
    }

    /// The period of a `blackout`: one builder per kind.
    fn blackout_spec(&mut self, p: P<'_>) -> Option<BlackoutSpec> {
        let outer = self.span(&p);
        let spec = p.into_inner().next();
        let spec = self.need(spec, outer)?;
        let span = self.span(&spec);
        let rule = spec.as_rule();
        let parts: Vec<P<'_>> = spec.into_inner().collect();
        match rule {
            Rule::daily_spec => {
                let tr = parts.into_iter().find(|c| c.as_rule() == Rule::time_range);
                let tr = self.need(tr, span)?;
                Some(BlackoutSpec::Daily(self.time_range(tr)?))
            }
            Rule::weekly_spec => self.weekly(&parts, span),
            Rule::monthly_spec => self.monthly(parts, span),
            Rule::dated_spec => self.dated(parts, span),
            Rule::ics_spec => {
                let s = parts.into_iter().find(|c| c.as_rule() == Rule::string);
                let s = self.need(s, span)?;
                Some(BlackoutSpec::Ics(self.string(&s)))
            }
            Rule::rrule_spec => self.rrule(&parts, span),
            _ => self.bug(span),
        }
    }

    /// `weekly fri 18:00 - mon 06:00`.
    fn weekly(&mut self, parts: &[P<'_>], span: Span) -> Option<BlackoutSpec> {
        let days: Vec<Weekday> = parts
            .iter()
            .filter(|c| c.as_rule() == Rule::weekday)
            .filter_map(|c| weekday(c.as_str()))
            .collect();
        let times: Vec<&P<'_>> = parts.iter().filter(|c| c.as_rule() == Rule::time).collect();
        let (Some(&from_day), Some(&to_day), Some(from), Some(to)) =
            (days.first(), days.get(1), times.first(), times.get(1))
        else {
            return self.bug(span);
        };
        Some(BlackoutSpec::Weekly {
            from_day,
            from_time: self.time(from, false),
            to_day,
            to_time: self.time(to, true),
            span,
        })
    }

    /// `monthly days -3..-1 00:00-06:00`.
    fn monthly(&mut self, parts: Vec<P<'_>>, span: Span) -> Option<BlackoutSpec> {
        let days: Vec<i32> = parts
            .iter()
            .filter(|c| c.as_rule() == Rule::month_day)
            .map(|c| self.month_day(c))
            .collect();
        let from_day = *self.need(days.first(), span)?;
        let to_day = days.get(1).copied().unwrap_or(from_day);
        let mut times = None;
        for c in parts {
            if c.as_rule() == Rule::time_range {
                times = Some(self.time_range(c)?);
            }
        }
        Some(BlackoutSpec::Monthly {
            from_day,
            to_day,
            times,
            span,
        })
    }

    /// `from DATE to DATE`, or the same with two date-times.
    fn dated(&mut self, parts: Vec<P<'_>>, span: Span) -> Option<BlackoutSpec> {
        let ends: Vec<P<'_>> = parts
            .into_iter()
            .filter(|c| c.as_rule() == Rule::date_or_datetime)
            .filter_map(|c| c.into_inner().next())
            .collect();
        let (Some(from), Some(to)) = (ends.first(), ends.get(1)) else {
            return self.bug(span);
        };
        match (from.as_rule(), to.as_rule()) {
            (Rule::date_lit, Rule::date_lit) => Some(BlackoutSpec::DateRange {
                from: self.date(from),
                to: self.date(to),
            }),
            (Rule::datetime_lit, Rule::datetime_lit) => {
                let from = self.local_datetime(from)?;
                let to = self.local_datetime(to)?;
                Some(BlackoutSpec::DateTimeRange { from, to })
            }
            _ => {
                self.error(
                    span,
                    "both ends of `from ... to` must be dates, or both date-times",
                    "a date and a date-time",
                );
                None
            }
        }
    }

    /// `rrule "FREQ=..." at 00:00 for 1d except DATE, ...`.
    fn rrule(&mut self, parts: &[P<'_>], span: Span) -> Option<BlackoutSpec> {
        let mut rule = None;
        let mut at = None;
        let mut duration = None;
        let mut except = Vec::new();
        for c in parts {
            match c.as_rule() {
                Rule::string => rule = Some(self.string(c)),
                Rule::time => at = Some(self.time(c, false)),
                Rule::duration_lit => duration = Some(self.duration(c)),
                Rule::date_lit => except.push(self.date(c)),
                _ => {}
            }
        }
        Some(BlackoutSpec::Rrule {
            rule: self.need(rule, span)?,
            at: self.need(at, span)?,
            duration: self.need(duration, span)?,
            except,
            span,
        })
    }

    pub(super) fn day_set(&mut self, p: P<'_>) -> Option<DaySet> {
        let span = self.span(&p);
        let mut ranges = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_daily => ranges.push((Weekday::Mon, Weekday::Sun)),
                Rule::day_range => {
                    let rspan = self.span(&c);
                    let days: Vec<Weekday> = c
                        .into_inner()
                        .filter(|d| d.as_rule() == Rule::weekday)
                        .filter_map(|d| weekday(d.as_str()))
                        .collect();
                    let first = *self.need(days.first(), rspan)?;
                    ranges.push((first, days.get(1).copied().unwrap_or(first)));
                }
                _ => {}
            }
        }
        Some(DaySet { ranges, span })
    }

    pub(super) fn time_range(&mut self, p: P<'_>) -> Option<TimeRange> {
        let span = self.span(&p);
        let times: Vec<P<'_>> = p
            .into_inner()
            .filter(|c| c.as_rule() == Rule::time)
            .collect();
        let (Some(start), Some(end)) = (times.first(), times.get(1)) else {
            return self.bug(span);
        };
        Some(TimeRange {
            start: self.time(start, false),
            end: self.time(end, true),
            span,
        })
    }

    /// `region NAME uses CALENDAR, ...`.
    pub(super) fn region(&mut self, decl: P<'_>, span: Span) -> Option<RegionDecl> {
        let mut name = None;
        let mut calendars = Vec::new();
        for c in decl.into_inner() {
            match c.as_rule() {
                Rule::region_name => name = Some(self.ident(&c)),
                Rule::calendar_name => calendars.push(self.ident(&c)),
                _ => {}
            }
        }
        Some(RegionDecl {
            name: self.need(name, span)?,
            calendars,
            span,
        })
    }

    /// `services where EXPR use CALENDAR, ...` / `changes where EXPR use CALENDAR, ...`.
    pub(super) fn scope(
        &mut self,
        decl: P<'_>,
        target: ScopeTarget,
        span: Span,
    ) -> Option<ScopeDecl> {
        let mut when = None;
        let mut calendars = Vec::new();
        for c in decl.into_inner() {
            match c.as_rule() {
                Rule::expr => when = Some(self.expr(c)?),
                Rule::calendar_name => calendars.push(self.ident(&c)),
                _ => {}
            }
        }
        Some(ScopeDecl {
            target,
            when: self.need(when, span)?,
            calendars,
            span,
        })
    }
}
