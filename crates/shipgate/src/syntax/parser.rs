//! Entry point of the syntax layer: parses a file in one pass, or item by item (see
//! [`super::recovery`]) when it has errors, and hands pest's pairs to the builder.

use pest::Parser as _;
use pest::iterators::Pairs;

use super::ast::{
    BinOp, BlackoutSpec, CalendarDecl, CalendarEntry, CmpOp, DateLit, DaySet, DefaultEffect,
    DurationLit, Effect, Expr, ExprKind, ExtendDecl, ExtendTarget, FieldDecl, Ident, Item,
    LocalDateTimeLit, LocalTime, NotifyDecl, PolicyFile, Quantifier, RegionDecl, RollbackDecl,
    RuleDecl, StrLit, StrategyArm, StrategyDecl, Threshold, TierDecl, TimeRange, TriggerDecl,
    TypeExpr, WaivableDecl, Weekday,
};
use super::grammar::{GateParser, P, Rule};
use super::nesting::nesting_overflow;
use super::recovery;
use super::span::{FileId, Span};
use super::syntax_error::syntax_error;
use crate::error::Diagnostic;

/// How deep an expression tree may grow (long `or` chains count one level per operator).
/// Everything downstream walks expressions recursively, so their depth is bounded here.
const MAX_EXPR_DEPTH: u32 = 256;

/// Parses one file; see [`super::parse`].
pub(super) fn parse(file: FileId, text: &str) -> (PolicyFile, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut items = Vec::new();
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = text.get(base..).unwrap_or("");

    let mut whole_error = None;
    if nesting_overflow(body).is_none() {
        match GateParser::parse(Rule::file, body) {
            Ok(pairs) => {
                build_items(pairs, file, base, &mut diags, &mut items);
                return (PolicyFile { items }, diags);
            }
            Err(e) => whole_error = Some(e),
        }
    }

    recovery::parse_by_item(file, text, base, &mut items, &mut diags);
    if !diags.iter().any(|d| d.is_error()) {
        if let Some(e) = whole_error {
            diags.push(syntax_error(file, text, base, e));
        }
    }
    (PolicyFile { items }, diags)
}

/// Builds the items of one parsed piece of text that starts at `offset`.
pub(super) fn build_items(
    pairs: Pairs<'_, Rule>,
    file: FileId,
    offset: usize,
    diags: &mut Vec<Diagnostic>,
    items: &mut Vec<Item>,
) {
    let mut builder = Builder {
        file,
        offset,
        diags,
    };
    for pair in pairs {
        builder.file_items(pair, items);
    }
}

// --- pairs to AST --------------------------------------------------------------------------

/// Builds AST nodes from the pairs of one parsed piece of text that starts at `offset`.
///
/// Convention: a method that returns `None` has already reported why (a value error, an
/// expression too deep, or, should grammar and builder ever disagree, an internal error).
/// Value errors (a bad date, an out-of-range time) are reported and a placeholder is kept, so
/// the item still stands for name resolution.
struct Builder<'a> {
    file: FileId,
    offset: usize,
    diags: &'a mut Vec<Diagnostic>,
}

impl Builder<'_> {
    fn span(&self, p: &P<'_>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn ident(&self, p: &P<'_>) -> Ident {
        Ident {
            name: p.as_str().to_owned(),
            span: self.span(p),
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>, label: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(span, message).with_label(label));
    }

    /// Grammar and builder disagree: report instead of panicking.
    fn bug<T>(&mut self, span: Span) -> Option<T> {
        self.error(
            span,
            "internal error: the parser could not read this (please report it)",
            "here",
        );
        None
    }

    fn need<T>(&mut self, value: Option<T>, span: Span) -> Option<T> {
        match value {
            Some(v) => Some(v),
            None => self.bug(span),
        }
    }

    fn file_items(&mut self, file: P<'_>, out: &mut Vec<Item>) {
        for p in file.into_inner() {
            if p.as_rule() == Rule::item {
                if let Some(item) = self.item(p) {
                    out.push(item);
                }
            }
        }
    }

    fn item(&mut self, p: P<'_>) -> Option<Item> {
        let outer = self.span(&p);
        let decl = p.into_inner().next();
        let decl = self.need(decl, outer)?;
        let span = self.span(&decl);
        match decl.as_rule() {
            Rule::tiers_decl => Some(Item::Tiers {
                names: self.names(decl, Rule::tier_name),
                span,
            }),
            Rule::default_decl => {
                let effect = if decl
                    .into_inner()
                    .any(|c| c.as_rule() == Rule::default_effect && c.as_str() == "deny")
                {
                    DefaultEffect::Deny
                } else {
                    DefaultEffect::Allow
                };
                Some(Item::Default { effect, span })
            }
            Rule::capacity_decl => {
                let n = decl.into_inner().find(|c| c.as_rule() == Rule::uint);
                let n = self.need(n, span)?;
                let value = self.uint(&n);
                Some(Item::Capacity { value, span })
            }
            Rule::groups_decl => Some(Item::Groups {
                names: self.names(decl, Rule::group_name),
                span,
            }),
            Rule::extend_decl => self.extend(decl, span).map(Item::Extend),
            Rule::tier_decl => {
                let mut tier = None;
                let mut when = None;
                for c in decl.into_inner() {
                    match c.as_rule() {
                        Rule::tier_name => tier = Some(self.ident(&c)),
                        Rule::expr => when = Some(self.expr(c)?),
                        _ => {}
                    }
                }
                Some(Item::Tier(TierDecl {
                    tier: self.need(tier, span)?,
                    when: self.need(when, span)?,
                    span,
                }))
            }
            Rule::calendar_decl => self.calendar(decl, span).map(Item::Calendar),
            Rule::region_decl => {
                let mut name = None;
                let mut calendars = Vec::new();
                for c in decl.into_inner() {
                    match c.as_rule() {
                        Rule::region_name => name = Some(self.ident(&c)),
                        Rule::calendar_name => calendars.push(self.ident(&c)),
                        _ => {}
                    }
                }
                Some(Item::Region(RegionDecl {
                    name: self.need(name, span)?,
                    calendars,
                    span,
                }))
            }
            Rule::rule_decl => self.rule(decl, span).map(Item::Rule),
            Rule::waivable_decl => {
                let mut rule = None;
                let mut group = None;
                let mut max = None;
                for c in decl.into_inner() {
                    match c.as_rule() {
                        Rule::rule_name => rule = Some(self.ident(&c)),
                        Rule::string => group = Some(self.string(&c)),
                        Rule::duration_lit => max = Some(self.duration(&c)),
                        _ => {}
                    }
                }
                Some(Item::Waivable(WaivableDecl {
                    rule: self.need(rule, span)?,
                    group: self.need(group, span)?,
                    max: self.need(max, span)?,
                    span,
                }))
            }
            Rule::strategy_decl => {
                let mut arms = Vec::new();
                for c in decl.into_inner() {
                    if c.as_rule() == Rule::strategy_arm {
                        arms.push(self.strategy_arm(c)?);
                    }
                }
                Some(Item::Strategy(StrategyDecl { arms, span }))
            }
            Rule::rollback_decl => {
                let mut triggers = Vec::new();
                for c in decl.into_inner() {
                    if c.as_rule() == Rule::trigger_decl {
                        if let Some(t) = self.trigger(c) {
                            triggers.push(t);
                        }
                    }
                }
                Some(Item::Rollback(RollbackDecl { triggers, span }))
            }
            Rule::notify_decl => {
                let mut audiences = Vec::new();
                let mut when = None;
                for c in decl.into_inner() {
                    match c.as_rule() {
                        Rule::string => audiences.push(self.string(&c)),
                        Rule::expr => when = Some(self.expr(c)?),
                        _ => {}
                    }
                }
                Some(Item::Notify(NotifyDecl {
                    audiences,
                    when,
                    span,
                }))
            }
            _ => self.bug(span),
        }
    }

    fn names(&self, p: P<'_>, rule: Rule) -> Vec<Ident> {
        p.into_inner()
            .filter(|c| c.as_rule() == rule)
            .map(|c| self.ident(&c))
            .collect()
    }

    fn extend(&mut self, p: P<'_>, span: Span) -> Option<ExtendDecl> {
        let mut target = None;
        let mut fields = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::extend_target => {
                    let t = if c.as_str() == "service" {
                        ExtendTarget::Service
                    } else {
                        ExtendTarget::Change
                    };
                    target = Some((t, self.span(&c)));
                }
                Rule::field_decl => {
                    let fspan = self.span(&c);
                    let mut name = None;
                    let mut ty = None;
                    for f in c.into_inner() {
                        match f.as_rule() {
                            Rule::field_name => name = Some(self.ident(&f)),
                            Rule::type_expr => ty = Some(self.type_expr(f)?),
                            _ => {}
                        }
                    }
                    fields.push(FieldDecl {
                        name: self.need(name, fspan)?,
                        ty: self.need(ty, fspan)?,
                    });
                }
                _ => {}
            }
        }
        let (target, target_span) = self.need(target, span)?;
        Some(ExtendDecl {
            target,
            target_span,
            fields,
            span,
        })
    }

    fn type_expr(&mut self, p: P<'_>) -> Option<TypeExpr> {
        let span = self.span(&p);
        let mut base = None;
        let mut optional = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::type_name => base = Some(TypeExpr::Named(self.ident(&c))),
                Rule::list_type => {
                    let lspan = self.span(&c);
                    let inner = c.into_inner().find(|x| x.as_rule() == Rule::type_expr);
                    let inner = self.need(inner, lspan)?;
                    base = Some(TypeExpr::List(Box::new(self.type_expr(inner)?), lspan));
                }
                Rule::question => optional = true,
                _ => {}
            }
        }
        let base = self.need(base, span)?;
        Some(if optional {
            TypeExpr::Optional(Box::new(base), span)
        } else {
            base
        })
    }

    // --- calendars ---

    fn calendar(&mut self, p: P<'_>, span: Span) -> Option<CalendarDecl> {
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

    fn calendar_entry(&mut self, p: P<'_>) -> Option<CalendarEntry> {
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
            Rule::weekly_spec => {
                let days: Vec<Weekday> = parts
                    .iter()
                    .filter(|c| c.as_rule() == Rule::weekday)
                    .filter_map(|c| weekday(c.as_str()))
                    .collect();
                let times: Vec<&P<'_>> =
                    parts.iter().filter(|c| c.as_rule() == Rule::time).collect();
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
            Rule::monthly_spec => {
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
            Rule::dated_spec => {
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
            Rule::ics_spec => {
                let s = parts.into_iter().find(|c| c.as_rule() == Rule::string);
                let s = self.need(s, span)?;
                Some(BlackoutSpec::Ics(self.string(&s)))
            }
            Rule::rrule_spec => {
                let mut rule = None;
                let mut at = None;
                let mut duration = None;
                let mut except = Vec::new();
                for c in &parts {
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
            _ => self.bug(span),
        }
    }

    fn day_set(&mut self, p: P<'_>) -> Option<DaySet> {
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

    fn time_range(&mut self, p: P<'_>) -> Option<TimeRange> {
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

    /// `HH:MM`; `24:00` only where `end` (the end of a range). Out of range: reported, clamped.
    fn time(&mut self, p: &P<'_>, end: bool) -> LocalTime {
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

    fn month_day(&mut self, p: &P<'_>) -> i32 {
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

    fn date(&mut self, p: &P<'_>) -> DateLit {
        let span = self.span(p);
        self.date_text(p.as_str(), span)
    }

    /// `YYYY-MM-DD` at the start of `text` (the grammar guarantees the shape).
    fn date_text(&mut self, text: &str, span: Span) -> DateLit {
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
    fn datetime(&mut self, p: &P<'_>) -> (LocalDateTimeLit, Option<i32>) {
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
    fn local_datetime(&mut self, p: &P<'_>) -> Option<LocalDateTimeLit> {
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

    fn duration(&mut self, p: &P<'_>) -> DurationLit {
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

    fn uint(&mut self, p: &P<'_>) -> u64 {
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

    fn string(&mut self, p: &P<'_>) -> StrLit {
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

    // --- rules ---

    fn rule(&mut self, p: P<'_>, span: Span) -> Option<RuleDecl> {
        let mut name = None;
        let mut guard: Option<(Expr, Span)> = None;
        let mut message: Option<StrLit> = None;
        let mut message_span = None;
        let mut effects = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::rule_name => name = Some(self.ident(&c)),
                Rule::rule_stmt => {
                    let outer = self.span(&c);
                    let stmt = c.into_inner().next();
                    let stmt = self.need(stmt, outer)?;
                    let sspan = self.span(&stmt);
                    match stmt.as_rule() {
                        Rule::guard_stmt => {
                            let e = stmt.into_inner().find(|x| x.as_rule() == Rule::expr);
                            let e = self.need(e, sspan)?;
                            let e = self.expr(e)?;
                            match &guard {
                                Some((_, first)) => {
                                    let d = Diagnostic::error(
                                        sspan,
                                        "a rule can have only one `when` guard",
                                    )
                                    .with_label("second guard")
                                    .with_secondary(*first, "first guard")
                                    .with_help("combine the conditions with `and`");
                                    self.diags.push(d);
                                }
                                None => guard = Some((e, sspan)),
                            }
                        }
                        Rule::message_stmt => {
                            let s = stmt.into_inner().find(|x| x.as_rule() == Rule::string);
                            let s = self.need(s, sspan)?;
                            let s = self.string(&s);
                            match message_span {
                                Some(first) => {
                                    let d = Diagnostic::error(
                                        sspan,
                                        "a rule can have only one `message`",
                                    )
                                    .with_label("second message")
                                    .with_secondary(first, "first message");
                                    self.diags.push(d);
                                }
                                None => {
                                    message = Some(s);
                                    message_span = Some(sspan);
                                }
                            }
                        }
                        _ => effects.push(self.effect(stmt, sspan)?),
                    }
                }
                _ => {}
            }
        }
        Some(RuleDecl {
            name: self.need(name, span)?,
            guard: guard.map(|(e, _)| e),
            effects,
            message,
            span,
        })
    }

    fn effect(&mut self, stmt: P<'_>, span: Span) -> Option<Effect> {
        match stmt.as_rule() {
            Rule::deny_stmt | Rule::allow_stmt => {
                let deny = stmt.as_rule() == Rule::deny_stmt;
                let e = stmt.into_inner().find(|x| x.as_rule() == Rule::expr);
                let e = self.need(e, span)?;
                let when = self.expr(e)?;
                Some(if deny {
                    Effect::Deny { when, span }
                } else {
                    Effect::Allow { when, span }
                })
            }
            Rule::require_stmt => {
                let req = stmt
                    .into_inner()
                    .find(|x| matches!(x.as_rule(), Rule::approval_req | Rule::check_req));
                let req = self.need(req, span)?;
                let is_approval = req.as_rule() == Rule::approval_req;
                let mut name = None;
                let mut count = None;
                for c in req.into_inner() {
                    match c.as_rule() {
                        Rule::string => name = Some(self.string(&c)),
                        Rule::uint => count = Some((self.uint(&c), self.span(&c))),
                        _ => {}
                    }
                }
                let name = self.need(name, span)?;
                Some(if is_approval {
                    Effect::RequireApproval {
                        group: name,
                        count,
                        span,
                    }
                } else {
                    Effect::RequireCheck { name, span }
                })
            }
            Rule::exempt_stmt => {
                let target = stmt
                    .into_inner()
                    .find(|x| x.as_rule() == Rule::exempt_target);
                let target = self.need(target, span)?;
                let mut parts = target.into_inner();
                let kw = parts.next();
                let kw = self.need(kw, span)?;
                match kw.as_rule() {
                    Rule::kw_blackout => Some(Effect::ExemptBlackout { span }),
                    Rule::kw_window => Some(Effect::ExemptWindow { span }),
                    _ => {
                        let rule = parts.find(|x| x.as_rule() == Rule::rule_name);
                        let rule = self.need(rule, span)?;
                        Some(Effect::ExemptRule {
                            rule: self.ident(&rule),
                            span,
                        })
                    }
                }
            }
            _ => self.bug(span),
        }
    }

    fn strategy_arm(&mut self, p: P<'_>) -> Option<StrategyArm> {
        let span = self.span(&p);
        let mut name = None;
        let mut when = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::arm_name => name = Some(self.ident(&c)),
                Rule::expr => when = Some(self.expr(c)?),
                _ => {}
            }
        }
        Some(StrategyArm {
            name: self.need(name, span)?,
            when,
            span,
        })
    }

    fn trigger(&mut self, p: P<'_>) -> Option<TriggerDecl> {
        let span = self.span(&p);
        let mut metric = None;
        let mut op = None;
        let mut threshold = None;
        let mut for_ = None;
        let mut when = None;
        let mut on_no_data_fire = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::metric_name => metric = Some(self.ident(&c)),
                Rule::cmp_op => op = cmp_op(c.as_str()),
                Rule::threshold => threshold = Some(self.threshold(c)?),
                Rule::duration_lit => for_ = Some(self.duration(&c)),
                Rule::expr => when = Some(self.expr(c)?),
                Rule::kw_fire => on_no_data_fire = true,
                _ => {}
            }
        }
        Some(TriggerDecl {
            metric: self.need(metric, span)?,
            op: self.need(op, span)?,
            threshold: self.need(threshold, span)?,
            for_: self.need(for_, span)?,
            when,
            on_no_data_fire,
            span,
        })
    }

    fn threshold(&mut self, p: P<'_>) -> Option<Threshold> {
        let span = self.span(&p);
        let mut negative = false;
        let mut value = None;
        let mut of_baseline = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::op_neg => negative = true,
                Rule::percent_lit | Rule::float_lit | Rule::int_lit => {
                    value = Some(self.number(&c));
                }
                Rule::kw_baseline => of_baseline = true,
                _ => {}
            }
        }
        let value = self.need(value, span)?;
        let value = if negative { -value } else { value };
        Some(if of_baseline {
            Threshold::OfBaseline(value, span)
        } else {
            Threshold::Number(value, span)
        })
    }

    /// A number, percent or float literal as an `f64` (`2%` is 0.02).
    fn number(&mut self, p: &P<'_>) -> f64 {
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

    // --- expressions ---

    fn expr(&mut self, p: P<'_>) -> Option<Expr> {
        self.expr_depth(p).map(|(e, _)| e)
    }

    fn too_deep(&mut self, span: Span) -> Option<(Expr, u32)> {
        self.error(
            span,
            format!("this expression nests too deeply (more than {MAX_EXPR_DEPTH} levels)"),
            "too deep",
        );
        None
    }

    /// Builds an `expr` pair (a flat run of prefixes, operands and operators) by precedence
    /// climbing, and returns it with its tree depth.
    fn expr_depth(&mut self, p: P<'_>) -> Option<(Expr, u32)> {
        let span = self.span(&p);
        let mut tokens = Vec::new();
        for c in p.into_inner() {
            if c.as_rule() == Rule::operand {
                tokens.extend(c.into_inner());
            } else {
                tokens.push(c);
            }
        }
        let mut pos = 0;
        let e = self.climb(&tokens, &mut pos, OR)?;
        if pos != tokens.len() {
            return self.bug(span);
        }
        Some(e)
    }

    /// Parses operators of level `min` and above, starting with an operand at `tokens[*pos]`.
    fn climb(&mut self, tokens: &[P<'_>], pos: &mut usize, min: u8) -> Option<(Expr, u32)> {
        let (mut lhs, mut depth) = self.prefixed_operand(tokens, pos, min)?;
        let mut last_comparison: Option<Span> = None;
        while let Some(tok) = tokens.get(*pos) {
            let op_span = self.span(tok);
            let (level, bin) = match tok.as_rule() {
                Rule::has_tail => (CMP, None),
                Rule::infix => match infix_op(tok) {
                    Some((level, bin)) => (level, Some(bin)),
                    None => return self.bug(op_span),
                },
                _ => return self.bug(op_span),
            };
            if level < min {
                break;
            }
            if level == CMP {
                if let Some(first) = last_comparison {
                    let d = Diagnostic::error(op_span, "comparisons cannot be chained")
                        .with_label("second comparison")
                        .with_secondary(first, "first comparison")
                        .with_help("combine them with `and`, or add parentheses");
                    self.diags.push(d);
                    return None;
                }
                last_comparison = Some(op_span);
            } else {
                last_comparison = None;
            }
            *pos += 1;
            let (kind, d) = match bin {
                None => {
                    let field = tok
                        .clone()
                        .into_inner()
                        .find(|c| c.as_rule() == Rule::field_name);
                    let field = self.need(field, op_span)?;
                    let field = self.ident(&field);
                    (ExprKind::Has(Box::new(lhs), field), depth + 1)
                }
                Some(bin) => {
                    let (rhs, rd) = self.climb(tokens, pos, level + 1)?;
                    let d = depth.max(rd) + 1;
                    (ExprKind::Binary(bin, Box::new(lhs), Box::new(rhs)), d)
                }
            };
            if d > MAX_EXPR_DEPTH {
                return self.too_deep(op_span);
            }
            let span = match &kind {
                ExprKind::Has(l, f) => l.span.to(f.span),
                ExprKind::Binary(_, l, r) => l.span.to(r.span),
                _ => op_span,
            };
            lhs = Expr { kind, span };
            depth = d;
        }
        Some((lhs, depth))
    }

    /// An operand with its `not` and quantifier prefixes. A quantifier's body runs to the end
    /// of the expression; `not` takes a comparison (or another prefix).
    fn prefixed_operand(
        &mut self,
        tokens: &[P<'_>],
        pos: &mut usize,
        min: u8,
    ) -> Option<(Expr, u32)> {
        let Some(first) = tokens.get(*pos) else {
            let at = tokens.last().map(|t| self.span(t)).unwrap_or_default();
            return self.bug(at);
        };
        let first_span = self.span(first);
        match first.as_rule() {
            Rule::unary => {
                *pos += 1;
                self.unary(first.clone())
            }
            Rule::kw_not | Rule::quant_head if min > NOT => {
                self.error(
                    first_span,
                    "`not` and quantifiers cannot stand directly after a comparison, `+` or `-`",
                    "put this in parentheses",
                );
                None
            }
            Rule::kw_not => {
                let mut nots = Vec::new();
                while let Some(t) = tokens.get(*pos) {
                    if t.as_rule() != Rule::kw_not {
                        break;
                    }
                    nots.push(self.span(t));
                    *pos += 1;
                }
                let (e, depth) = self.climb(tokens, pos, NOT)?;
                self.wrap_prefixes(e, depth, nots, first_span, |e| ExprKind::Not(Box::new(e)))
            }
            Rule::quant_head => {
                *pos += 1;
                let mut q = None;
                let mut var = None;
                let mut list = None;
                for c in first.clone().into_inner() {
                    match c.as_rule() {
                        Rule::quantifier => {
                            q = match c.as_str() {
                                "any" => Some(Quantifier::Any),
                                "all" => Some(Quantifier::All),
                                _ => Some(Quantifier::Count),
                            }
                        }
                        Rule::var_name => var = Some(self.ident(&c)),
                        Rule::expr => list = Some(self.expr_depth(c)?),
                        _ => {}
                    }
                }
                let (Some(q), Some(var), Some((list, ld))) = (q, var, list) else {
                    return self.bug(first_span);
                };
                let (body, bd) = self.climb(tokens, pos, OR)?;
                let depth = ld.max(bd) + 1;
                if depth > MAX_EXPR_DEPTH {
                    return self.too_deep(first_span);
                }
                let span = first_span.to(body.span);
                let kind = ExprKind::Quant {
                    q,
                    var,
                    list: Box::new(list),
                    body: Box::new(body),
                };
                Some((Expr { kind, span }, depth))
            }
            _ => self.bug(first_span),
        }
    }

    /// Applies prefix operators (written at `prefixes`, innermost last) around `e`.
    fn wrap_prefixes(
        &mut self,
        mut e: Expr,
        mut depth: u32,
        prefixes: Vec<Span>,
        span: Span,
        kind: fn(Expr) -> ExprKind,
    ) -> Option<(Expr, u32)> {
        for at in prefixes.into_iter().rev() {
            depth += 1;
            if depth > MAX_EXPR_DEPTH {
                return self.too_deep(span);
            }
            let s = at.to(e.span);
            e = Expr {
                kind: kind(e),
                span: s,
            };
        }
        Some((e, depth))
    }

    /// `-base.field.field`: the fields bind tighter than the minus.
    fn unary(&mut self, p: P<'_>) -> Option<(Expr, u32)> {
        let span = self.span(&p);
        let mut negs = Vec::new();
        let mut base = None;
        let mut fields = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::op_neg => negs.push(self.span(&c)),
                Rule::field_name => fields.push(self.ident(&c)),
                Rule::primary => base = Some(c),
                _ => {}
            }
        }
        let base = self.need(base, span)?;
        let (mut e, mut depth) = self.primary(base)?;
        for field in fields {
            depth += 1;
            if depth > MAX_EXPR_DEPTH {
                return self.too_deep(span);
            }
            let s = e.span.to(field.span);
            e = Expr {
                kind: ExprKind::Field(Box::new(e), field),
                span: s,
            };
        }
        self.wrap_prefixes(e, depth, negs, span, |e| ExprKind::Neg(Box::new(e)))
    }

    fn primary(&mut self, p: P<'_>) -> Option<(Expr, u32)> {
        let outer = self.span(&p);
        let inner = p.into_inner().next();
        let inner = self.need(inner, outer)?;
        let span = self.span(&inner);
        match inner.as_rule() {
            Rule::paren => {
                let e = inner.into_inner().find(|c| c.as_rule() == Rule::expr);
                let e = self.need(e, span)?;
                let (mut e, depth) = self.expr_depth(e)?;
                e.span = span;
                Some((e, depth))
            }
            Rule::list_lit | Rule::name_or_call => self.list_or_call(inner, span),
            _ => self.literal(inner, span).map(|e| (e, 1)),
        }
    }

    /// `[a, b]`, `f(a, b)` and a bare name.
    fn list_or_call(&mut self, p: P<'_>, span: Span) -> Option<(Expr, u32)> {
        let is_list = p.as_rule() == Rule::list_lit;
        let mut func = None;
        let mut args = None;
        let mut depth = 0;
        let mut items = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::name => func = Some(self.ident(&c)),
                Rule::call_args => {
                    let mut list = Vec::new();
                    for a in c.into_inner() {
                        if a.as_rule() == Rule::expr {
                            let (e, d) = self.expr_depth(a)?;
                            depth = depth.max(d);
                            list.push(e);
                        }
                    }
                    args = Some(list);
                }
                Rule::expr => {
                    let (e, d) = self.expr_depth(c)?;
                    depth = depth.max(d);
                    items.push(e);
                }
                _ => {}
            }
        }
        let (kind, span) = if is_list {
            (ExprKind::List(items), span)
        } else {
            let func = self.need(func, span)?;
            match args {
                Some(args) => (ExprKind::Call { func, args }, span),
                // The name's own span: the `name_or_call` pair also holds the whitespace
                // pest skips while looking for call arguments (up to the next line).
                None => (ExprKind::Name(func.name), func.span),
            }
        };
        Some((Expr { kind, span }, depth + 1))
    }

    fn literal(&mut self, p: P<'_>, span: Span) -> Option<Expr> {
        let kind = match p.as_rule() {
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::string => ExprKind::Str(self.string(&p).value),
            Rule::int_lit => match p.as_str().parse::<i64>() {
                Ok(v) => ExprKind::Int(v),
                Err(_) => {
                    self.error(
                        span,
                        format!("this number is too large (the largest is {})", i64::MAX),
                        "too large",
                    );
                    ExprKind::Int(0)
                }
            },
            Rule::float_lit => ExprKind::Float(self.number(&p)),
            Rule::percent_lit => ExprKind::Percent(self.number(&p)),
            Rule::duration_lit => ExprKind::Duration(self.duration(&p).seconds),
            Rule::date_lit => ExprKind::Date(self.date(&p)),
            Rule::datetime_lit => {
                let (local, offset_minutes) = self.datetime(&p);
                ExprKind::DateTime {
                    local,
                    offset_minutes,
                }
            }
            _ => return self.bug(span),
        };
        Some(Expr { kind, span })
    }
}

/// Precedence levels, lowest first (`not` and quantifiers sit at `NOT`).
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const ADD: u8 = 5;

/// The level and operator of an `infix` pair.
fn infix_op(p: &P<'_>) -> Option<(u8, BinOp)> {
    let op = p.clone().into_inner().next()?;
    Some(match op.as_rule() {
        Rule::op_not_in => (CMP, BinOp::NotIn),
        Rule::op_subset_of => (CMP, BinOp::SubsetOf),
        _ => match op.as_str() {
            "or" => (OR, BinOp::Or),
            "and" => (AND, BinOp::And),
            "+" => (ADD, BinOp::Add),
            "-" => (ADD, BinOp::Sub),
            "in" => (CMP, BinOp::In),
            "intersects" => (CMP, BinOp::Intersects),
            text => (CMP, BinOp::Cmp(cmp_op(text)?)),
        },
    })
}

fn cmp_op(text: &str) -> Option<CmpOp> {
    Some(match text {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        _ => return None,
    })
}

fn weekday(text: &str) -> Option<Weekday> {
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
pub(super) fn duration_seconds(text: &str) -> Option<i64> {
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
