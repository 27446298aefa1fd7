//! Text rendering for people: verdict first, then what blocks it and what is missing.

use std::borrow::Cow;
use std::fmt::Write;

use shipgate::{
    CalendarReport, Change, ChangeCalendarReport, Decision, Error, Requirement, RequirementKind,
    Verdict,
};

/// An input-derived string as text output shows it: control characters (escape sequences,
/// newlines, carriage returns), bidirectional-text controls and line separators are written
/// as escapes (`\n`, `\u{1b}`, `\u{202e}`), so a change cannot forge a line or repaint the
/// terminal. Every string that comes from a change, a catalog or a policy goes through it.
pub fn clean(s: &str) -> Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control()
            || matches!(
                c,
                '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
            )
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    }
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text of several lines (a rendered policy diagnostic, which quotes the policy's source)
/// cleaned line by line: its own line ends are kept; with `color`, its own SGR colour codes
/// (`ESC [ ... m`) are kept too.
pub fn clean_lines(text: &str, color: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if !color {
            out.push_str(&clean(body));
        } else {
            let mut rest = body;
            while let Some(at) = rest.find('\x1b') {
                out.push_str(&clean(&rest[..at]));
                let after = &rest[at..];
                let sgr = after
                    .strip_prefix("\x1b[")
                    .and_then(|r| r.find(|c: char| !(c.is_ascii_digit() || c == ';')))
                    .filter(|&n| after.as_bytes().get(n + 2) == Some(&b'm'))
                    .map(|n| n + 3);
                match sgr {
                    Some(len) => {
                        out.push_str(&after[..len]);
                        rest = &after[len..];
                    }
                    None => {
                        out.push_str(&clean("\x1b"));
                        rest = &after[1..];
                    }
                }
            }
            out.push_str(&clean(rest));
        }
        out.push_str(end);
    }
    out
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("1;32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("1;33", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

/// `check <name>` (with `within 30d` when the rule sets it), and the same form for kinds
/// added later.
fn check_text(r: &Requirement) -> String {
    let mut text = format!("{} {}", r.kind, clean(r.check.as_deref().unwrap_or("")));
    if let Some(within) = &r.within {
        text.push_str(&format!(" within {within}"));
    }
    text
}

/// One line of the schedule: a region, a service's or the change's calendars; what keeps the
/// change out and the next window when it is shut.
fn schedule_line(
    p: &Paint,
    label: &str,
    open: bool,
    blocked_by: &[shipgate::Text],
    next_window: &Option<shipgate::Stretch>,
) -> String {
    let state = if open {
        p.green("open")
    } else {
        p.red("closed")
    };
    let mut line = format!("  {label:<12} {state}");
    if !blocked_by.is_empty() {
        let (outside, names): (Vec<&shipgate::Text>, Vec<&shipgate::Text>) =
            blocked_by.iter().partition(|b| *b == "outside windows");
        let names: Vec<Cow<str>> = names.iter().map(|s| clean(s.as_str())).collect();
        match (names.is_empty(), outside.is_empty()) {
            (false, true) => {
                let _ = write!(line, "  blocked by {}", names.join(", "));
            }
            (false, false) => {
                let _ = write!(
                    line,
                    "  blocked by {} and outside windows",
                    names.join(", ")
                );
            }
            _ => line.push_str("  outside windows"),
        }
    }
    if !open {
        match next_window {
            Some(w) => {
                let _ = write!(
                    line,
                    "  next window {} to {}",
                    shipgate::format_instant(w.start),
                    shipgate::format_instant(w.end)
                );
            }
            None => line.push_str("  no window within the horizon"),
        }
    }
    line
}

pub fn decision(d: &Decision, change: &Change, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let verdict = match d.verdict {
        Verdict::Allow => p.green("ALLOW"),
        Verdict::Pending => p.yellow("PENDING"),
        Verdict::Deny => p.red("DENY"),
    };
    let _ = writeln!(
        out,
        "{verdict}  {}  (tier {}, {} to {})",
        p.bold(&clean(&change.id)),
        d.tier,
        shipgate::format_instant(d.schedule.start),
        shipgate::format_instant(d.schedule.end)
    );
    if !d.reasons.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Blocked by:"));
        for r in &d.reasons {
            let at = if r.at.is_empty() {
                String::new()
            } else {
                format!("  {}", p.dim(&clean(&r.at)))
            };
            let _ = writeln!(
                out,
                "  {} {}: {}{at}",
                p.red("x"),
                clean(&r.rule),
                clean(&r.message)
            );
        }
    }
    let missing: Vec<_> = d.requirements.iter().filter(|r| !r.satisfied).collect();
    if !missing.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Missing:"));
        for r in missing {
            let what = match r.kind {
                RequirementKind::Approval => format!(
                    "{} of {} approval(s) from {}{}",
                    r.counted.len(),
                    r.needed,
                    clean(r.group.as_deref().unwrap_or("")),
                    if r.counted.is_empty() {
                        String::new()
                    } else {
                        format!(" (have {})", clean(&r.counted.join(", ")))
                    }
                ),
                _ => check_text(r),
            };
            let _ = writeln!(
                out,
                "  {} {what}  {}",
                p.yellow("?"),
                p.dim(&format!("rule {}", clean(&r.rule)))
            );
            for i in &r.ignored {
                let why = i.why.to_string();
                let _ = match r.kind {
                    RequirementKind::Approval => writeln!(
                        out,
                        "      ignored approval by {} ({})",
                        clean(&i.by),
                        clean(&why)
                    ),
                    _ => writeln!(
                        out,
                        "      ignored check {} ({})",
                        clean(&i.by),
                        clean(&why)
                    ),
                };
            }
        }
    }
    let met: Vec<_> = d.requirements.iter().filter(|r| r.satisfied).collect();
    if !met.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Satisfied:"));
        for r in met {
            let what = match r.kind {
                RequirementKind::Approval => format!(
                    "{} approval(s) from {}: {}",
                    r.needed,
                    clean(r.group.as_deref().unwrap_or("")),
                    clean(&r.counted.join(", "))
                ),
                _ => check_text(r),
            };
            let _ = writeln!(out, "  {} {what}", p.green("v"));
        }
    }
    if !d.obligations.is_empty() {
        // They do not block the change: owed after it, by their due time.
        let _ = writeln!(out, "\n{}", p.bold("Owed after the change:"));
        for o in &d.obligations {
            let _ = writeln!(
                out,
                "  {} {} approval(s) from {}, due {}  {}",
                p.yellow("!"),
                o.needed,
                clean(&o.group),
                shipgate::format_instant(o.due),
                p.dim(&format!("rule {}", clean(&o.rule)))
            );
        }
    }
    if !d.exemptions.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Exemptions:"));
        for e in &d.exemptions {
            let _ = writeln!(out, "  {}", clean(&exemption(e)));
        }
    }
    let rejected: Vec<_> = d.waivers.iter().filter(|w| !w.honored).collect();
    if !rejected.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Rejected waivers:"));
        for w in rejected {
            // What the waiver was for: a rule, or the blackouts of a name.
            let what = match &w.blackout {
                Some(name) => format!("blackout {name}"),
                None => w.rule.to_string(),
            };
            let _ = writeln!(
                out,
                "  {} by {}: {}",
                clean(&what),
                clean(&w.by),
                clean(&w.why)
            );
        }
    }
    let sched = &d.schedule;
    if !sched.regions.is_empty() || !sched.services.is_empty() || sched.change.is_some() {
        let _ = writeln!(
            out,
            "\n{} (tz database {})",
            p.bold("Schedule:"),
            sched.tzdb
        );
        for r in &sched.regions {
            let line = schedule_line(&p, &clean(&r.region), r.open, &r.blocked_by, &r.next_window);
            let _ = writeln!(out, "{line}");
        }
        // Calendars of the touched services and of the change itself (SPEC 8.3).
        for s in &sched.services {
            let names: Vec<Cow<str>> = s.calendars.iter().map(|c| clean(c.as_str())).collect();
            let label = format!("service {} ({})", clean(&s.service), names.join(", "));
            let line = schedule_line(&p, &label, s.open, &s.blocked_by, &s.next_window);
            let _ = writeln!(out, "{line}");
        }
        if let Some(c) = &sched.change {
            let names: Vec<Cow<str>> = c.calendars.iter().map(|c| clean(c.as_str())).collect();
            let label = format!("change ({})", names.join(", "));
            let line = schedule_line(&p, &label, c.open, &c.blocked_by, &c.next_window);
            let _ = writeln!(out, "{line}");
        }
        // Each region's window alone may be shut in another: say where the whole change
        // fits every calendar at once (SPEC 8.3).
        if !d.schedule.allowed {
            let _ = match &d.schedule.next_window {
                Some(w) => writeln!(
                    out,
                    "  next window for the whole change: {} to {}",
                    shipgate::format_instant(w.start),
                    shipgate::format_instant(w.end)
                ),
                None => writeln!(
                    out,
                    "  next window for the whole change: none within the horizon"
                ),
            };
        }
    }
    // Only with `--scheduled`: "none" then says the schedule was read and nothing conflicts.
    if let Some(conflicts) = &d.conflicts {
        let _ = writeln!(out, "\n{}", p.bold("Conflicts:"));
        if conflicts.is_empty() {
            let _ = writeln!(out, "  none with the scheduled changes");
        }
        for c in conflicts {
            let region = c
                .region
                .as_deref()
                .map(|r| format!(" in {}", clean(r)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {}{region}, {} to {}, on {}",
                p.yellow("!"),
                clean(&c.change),
                shipgate::format_instant(c.start),
                shipgate::format_instant(c.end),
                clean(&c.services.join(", "))
            );
        }
    }
    let _ = writeln!(out);
    if let Some(s) = &d.strategy {
        let _ = writeln!(out, "Strategy: {}", clean(s));
    }
    if !d.order.is_empty() {
        let waves: Vec<String> = d
            .order
            .iter()
            .map(|w| clean(&w.join(", ")).into_owned())
            .collect();
        let _ = writeln!(out, "Order:    {}", waves.join("  ->  "));
    }
    if !d.notify.is_empty() {
        let _ = writeln!(out, "Notify:   {}", clean(&d.notify.join(", ")));
    }
    if !d.rollback.is_empty() {
        let triggers: Vec<String> = d
            .rollback
            .iter()
            .map(|t| {
                let threshold = match &t.relative_to {
                    Some(base) => {
                        format!("{}% of {}", percent(t.threshold), clean(&base.to_string()))
                    }
                    None => t.threshold.to_string(),
                };
                let no_data = t
                    .on_no_data
                    .map(|what| format!(" on no_data {what}"))
                    .unwrap_or_default();
                format!(
                    "{} {} {threshold} for {}{no_data}",
                    clean(&t.metric),
                    t.op,
                    t.for_
                )
            })
            .collect();
        let _ = writeln!(out, "Rollback: {}", triggers.join("; "));
    }
    // What the decision was made from, so that a saved copy identifies itself.
    let _ = writeln!(
        out,
        "Decided:  {} by {}",
        shipgate::format_instant(d.now),
        d.engine
    );
    let _ = writeln!(out, "Policy:   {}", d.policy);
    let _ = writeln!(out, "Inputs:   {}", d.inputs);
    if !d.trace.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Trace:"));
        for t in &d.trace {
            let line = format!(
                "  {:<8} {:<28} {}  {}",
                t.kind,
                clean(&t.name),
                clean(t.outcome.as_ref()),
                p.dim(&clean(&t.at))
            );
            let _ = writeln!(out, "{}", line.trim_end());
            for v in &t.values {
                let _ = writeln!(out, "           {}", clean(&v.to_string()));
            }
            if t.more_values > 0 {
                let _ = writeln!(out, "           ... {} more value(s)", t.more_values);
            }
        }
    }
    if let Some(steps) = &d.to_ship {
        let _ = writeln!(out, "\n{}", p.bold("To ship this change:"));
        if steps.is_empty() {
            let _ = writeln!(out, "  nothing more: it may ship as asked");
        }
        for s in steps {
            let _ = writeln!(out, "  - {}", clean(&s.text));
        }
    }
    out
}

/// A rollback check: the answer and who decides, then each trigger's state.
pub fn rollback(c: &shipgate::RollbackCheck, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let answer = if c.rollback {
        p.red("ROLL BACK")
    } else {
        p.green("NO ROLLBACK")
    };
    let owner = match &c.owner {
        Some(o) => format!("{} decides", clean(o)),
        None => "no rollback owner named by the policy".to_string(),
    };
    let _ = writeln!(out, "{answer}  {}  ({owner})", p.bold(&clean(&c.change)));
    if c.triggers.is_empty() {
        let _ = writeln!(out, "\n  no rollback trigger applies to this change");
    } else {
        let _ = writeln!(out);
    }
    for t in &c.triggers {
        let state = match t.state {
            shipgate::TriggerState::Fired => p.red("fired  "),
            shipgate::TriggerState::Ok => p.green("ok     "),
            _ => p.yellow("no_data"),
        };
        let baseline = t
            .baseline
            .map(|b| format!(" (relative to the baseline {b})"))
            .unwrap_or_default();
        let detail = match (&t.since, &t.why) {
            (Some(since), _) => format!(", since {}", shipgate::format_instant(*since)),
            (None, Some(why)) => format!(": {}", clean(why)),
            _ => String::new(),
        };
        let fire = if t.on_no_data.is_some() {
            " (on no_data fire)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {state} {} {} {}{baseline} for {}{fire}{detail}  {}",
            clean(&t.metric),
            t.op,
            t.threshold,
            t.for_,
            p.dim(&clean(&t.at))
        );
    }
    let _ = writeln!(out, "\nChecked:  {}", shipgate::format_instant(c.now));
    out
}

/// One exemption: who lifted what (`emergency lifts blackout: black friday`,
/// `waiver by eve lifts rule cab_review`).
fn exemption(e: &shipgate::Exemption) -> String {
    let by = match &e.by {
        shipgate::ExemptBy::Rule(rule) => rule.to_string(),
        shipgate::ExemptBy::Waiver(by) => format!("waiver by {by}"),
        // An exemption of a kind added later: its JSON says it.
        other => format!("{other:?}"),
    };
    let lifts = match &e.lifts {
        shipgate::Lifted::Blackout(names) if names.is_empty() => {
            "blackout (none met the change's run)".to_string()
        }
        shipgate::Lifted::Blackout(names) => format!("blackout: {}", names.join(", ")),
        other => other.to_string(),
    };
    format!("{by} lifts {lifts}")
}

/// A ratio as a percent (`1.15` as `115`): the ratio's shortest decimal, the one that reads
/// back as the same number (as Rust prints it), with the point moved two places. A percent
/// literal is read as `<digits>e-2`, so `115%` prints `115` again: no float noise from
/// multiplying by 100 (`114.99999999999999`), and no digit of the stored ratio rounded away.
fn percent(ratio: f64) -> String {
    if !ratio.is_finite() {
        return (ratio * 100.0).to_string();
    }
    let text = ratio.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = format!("{int}{frac:0<2}");
    let (int, frac) = digits.split_at(int.len() + 2);
    let int = match int.trim_start_matches('0') {
        "" => "0",
        int => int,
    };
    let frac = frac.trim_end_matches('0');
    let sign = if ratio < 0.0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

pub fn error(e: &Error, color: bool) -> String {
    match e {
        Error::Policy(p) => {
            let mut s = clean_lines(&p.render(color), color);
            let errors = p.diagnostics().iter().filter(|d| d.is_error()).count();
            let _ = writeln!(s, "error: the policy set has {errors} error(s)");
            s
        }
        other => format!("error: {}\n", clean(&other.to_string())),
    }
}

/// Indented JSON (what `graph --format json` prints).
pub fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

pub fn calendar(c: &CalendarReport, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (tz database {})",
        p.bold(&format!("Region {}", clean(&c.region))),
        c.timezone_db
    );
    stretches_and_blackouts(&mut out, &c.open, &c.blackouts, p);
    out
}

/// `shipgate calendar --service`: what applies to one service, then where all of it is open
/// at once.
pub fn service_calendar(c: &shipgate::ServiceCalendarReport, color: bool) -> String {
    let title = format!("Service {}", clean(&c.service));
    applying_calendars(
        &title,
        &c.timezone_db,
        &c.regions,
        &c.calendars,
        &c.open,
        &c.blackouts,
        color,
    )
}

/// `shipgate calendar --change`: what applies, then where all of it is open at once.
pub fn change_calendar(c: &ChangeCalendarReport, color: bool) -> String {
    let title = format!("Change {}", clean(&c.change));
    applying_calendars(
        &title,
        &c.timezone_db,
        &c.regions,
        &c.calendars,
        &c.open,
        &c.blackouts,
        color,
    )
}

/// The text of `calendar --service` and `--change`: the title, the regions and calendars that
/// apply, then where every one of them is open at once and their blackouts.
fn applying_calendars(
    title: &str,
    timezone_db: &str,
    regions: &[String],
    calendars: &[String],
    open: &[shipgate::Stretch],
    blackouts: &[shipgate::BlackoutOccurrence],
    color: bool,
) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(out, "{} (tz database {})", p.bold(title), timezone_db);
    let list = |items: &[String]| {
        if items.is_empty() {
            "(none)".to_string()
        } else {
            clean(&items.join(", ")).into_owned()
        }
    };
    let _ = writeln!(out, "Regions:   {}", list(regions));
    let _ = writeln!(out, "Calendars: {}", list(calendars));
    let _ = writeln!(
        out,
        "\n{}",
        p.bold("Open (every applying calendar at once):")
    );
    stretches_and_blackouts_body(&mut out, open, blackouts, p);
    out
}

/// `shipgate plan`: one line per planned run in start order (times in UTC), then the changes
/// that could not be planned and why.
/// A run's `[start, end)` as a reader of one zone sees it: `Mon 2026-12-07 09:00 -> 11:00 CET`
/// (the end's day is written when it is another day). `zone` gives a local time and its
/// abbreviation; `None` writes UTC.
fn span_in(
    start: shipgate::Instant,
    end: shipgate::Instant,
    zone: &dyn Fn(shipgate::Instant) -> Option<(chrono::DateTime<chrono::FixedOffset>, String)>,
    with_day: bool,
) -> String {
    let (s, e, abbr) = match (zone(start), zone(end)) {
        (Some((s, abbr)), Some((e, end_abbr))) => {
            // A zone that changes its offset during the run: say both.
            let abbr = if abbr == end_abbr {
                abbr
            } else {
                format!("{abbr}/{end_abbr}")
            };
            (s.naive_local(), e.naive_local(), abbr)
        }
        _ => (start.naive_utc(), end.naive_utc(), "UTC".to_string()),
    };
    let first = if with_day {
        s.format("%a %Y-%m-%d %H:%M").to_string()
    } else {
        s.format("%a %H:%M").to_string()
    };
    let last = if e.date() == s.date() {
        e.format("%H:%M").to_string()
    } else if with_day {
        e.format("%a %Y-%m-%d %H:%M").to_string()
    } else {
        e.format("%a %H:%M").to_string()
    };
    format!("{first} -> {last} {}", clean(&abbr))
}

/// The timeline of a plan: one line per run in start order, in the local time of its region
/// (a region of a rollout, or a change in one region) with UTC beside it; a change in several
/// regions in UTC, with each region's local time on the next line. Then the unschedulable
/// changes, and with `--previous` what changed since the earlier plan.
pub fn plan(
    engine: &shipgate::Engine,
    plan: &shipgate::Plan,
    from: shipgate::Instant,
    color: bool,
) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} from {} (local times of each region, and UTC): {} planned, {} unschedulable",
        p.bold("Release train"),
        shipgate::format_instant(from),
        plan.changes.len(),
        plan.unschedulable.len()
    );
    if !plan.changes.is_empty() {
        let _ = writeln!(out);
    }
    let utc = |_: shipgate::Instant| None;
    for c in &plan.changes {
        let name = match &c.region {
            Some(region) => format!("{} in {}", clean(&c.id), clean(region)),
            None => clean(&c.id).into_owned(),
        };
        let services: Vec<Cow<'_, str>> = c.services.iter().map(|s| clean(s)).collect();
        let regions: Vec<Cow<'_, str>> = c.regions.iter().map(|s| clean(s)).collect();
        let one = one_region(c);
        let when = match one.filter(|r| engine.region_timezone(r).is_some()) {
            Some(region) => format!(
                "{}  ({})",
                span_in(
                    c.start,
                    c.end,
                    &|t| engine.region_local_time(region, t),
                    true
                ),
                span_in(c.start, c.end, &utc, false)
            ),
            None => span_in(c.start, c.end, &utc, true),
        };
        let _ = writeln!(
            out,
            "  {} {}  wave {}  {}  services: {}{}",
            p.green("+"),
            when,
            c.wave,
            p.bold(&name),
            services.join(", "),
            if c.region.is_none() && !regions.is_empty() {
                format!("  regions: {}", regions.join(", "))
            } else {
                String::new()
            }
        );
        if one.is_none() && c.regions.len() > 1 {
            let locals: Vec<String> = c
                .regions
                .iter()
                .map(|r| {
                    let zone = |t| engine.region_local_time(r, t);
                    format!("{} {}", clean(r), span_in(c.start, c.end, &zone, false))
                })
                .collect();
            let _ = writeln!(out, "      local: {}", locals.join("; "));
        }
    }
    if !plan.unschedulable.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Unschedulable:"));
    }
    for u in &plan.unschedulable {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            p.red("-"),
            clean(&u.id),
            clean(&u.reason)
        );
    }
    if let Some(since) = &plan.since {
        since_previous(&mut out, engine, plan, since, p);
    }
    out
}

/// The one region a run is in (a region of a rollout, or a change in one region).
fn one_region(c: &shipgate::PlannedChange) -> Option<&str> {
    match (&c.region, c.regions.as_slice()) {
        (Some(region), _) => Some(region.as_str()),
        (None, [region]) => Some(region.as_str()),
        _ => None,
    }
}

/// The "Since the previous plan" section of `plan --previous`: each difference, whom to tell.
fn since_previous(
    out: &mut String,
    engine: &shipgate::Engine,
    plan: &shipgate::Plan,
    since: &shipgate::Replan,
    p: Paint,
) {
    let _ = writeln!(out, "\n{}", p.bold("Since the previous plan:"));
    // In the local time of the run's one region, as in the timeline; else in UTC.
    let when = |id: &str,
                region: &Option<String>,
                (start, end): (shipgate::Instant, shipgate::Instant)| {
        let zone = plan
            .changes
            .iter()
            .find(|c| c.id == id && &c.region == region)
            .and_then(one_region)
            .filter(|r| engine.region_timezone(r).is_some());
        match zone {
            Some(r) => span_in(start, end, &|t| engine.region_local_time(r, t), true),
            None => span_in(start, end, &|_| None, true),
        }
    };
    let name = |id: &str, region: &Option<String>| match region {
        Some(r) => format!("{} in {}", clean(id), clean(r)),
        None => clean(id).into_owned(),
    };
    let tell = |notify: &[String]| {
        if notify.is_empty() {
            "tell: (no audience)".to_string()
        } else {
            let n: Vec<Cow<'_, str>> = notify.iter().map(|a| clean(a)).collect();
            format!("tell: {}", n.join(", "))
        }
    };
    let total = since.moved.len()
        + since.cancelled.len()
        + since.newly_unschedulable.len()
        + since.newly_planned.len();
    if total == 0 {
        let _ = writeln!(out, "  nothing changed");
    }
    for m in &since.moved {
        let _ = writeln!(
            out,
            "  {} moved {}: {} => {}  {}",
            p.yellow("~"),
            p.bold(&name(&m.id, &m.region)),
            when(&m.id, &m.region, m.from),
            when(&m.id, &m.region, m.to),
            tell(&m.notify)
        );
    }
    for c in &since.cancelled {
        let _ = writeln!(
            out,
            "  {} cancelled {}  {}",
            p.red("x"),
            p.bold(&name(&c.id, &c.region)),
            tell(&c.notify)
        );
    }
    for u in &since.newly_unschedulable {
        let _ = writeln!(
            out,
            "  {} now unschedulable {}: {}  {}",
            p.red("-"),
            p.bold(&clean(&u.id)),
            clean(&u.reason),
            tell(&u.notify)
        );
    }
    for n in &since.newly_planned {
        let _ = writeln!(
            out,
            "  {} newly planned {}: {}  {}",
            p.green("+"),
            p.bold(&name(&n.id, &n.region)),
            when(&n.id, &n.region, n.to),
            tell(&n.notify)
        );
    }
}

fn stretches_and_blackouts(
    out: &mut String,
    open: &[shipgate::Stretch],
    blackouts: &[shipgate::BlackoutOccurrence],
    p: Paint,
) {
    let _ = writeln!(out, "\n{}", p.bold("Open:"));
    stretches_and_blackouts_body(out, open, blackouts, p);
}

fn stretches_and_blackouts_body(
    out: &mut String,
    open: &[shipgate::Stretch],
    blackouts: &[shipgate::BlackoutOccurrence],
    p: Paint,
) {
    if open.is_empty() {
        let _ = writeln!(out, "  (never open in this range)");
    }
    for s in open {
        let _ = writeln!(
            out,
            "  {} {} to {}",
            p.green("+"),
            shipgate::format_instant(s.start),
            shipgate::format_instant(s.end)
        );
    }
    let _ = writeln!(out, "\n{}", p.bold("Blackouts:"));
    if blackouts.is_empty() {
        let _ = writeln!(out, "  (none in this range)");
    }
    for b in blackouts {
        let _ = writeln!(
            out,
            "  {} {} to {}  {}",
            p.red("-"),
            b.start,
            b.end,
            clean(&b.name)
        );
    }
}

/// Lint findings for people: `file:line:col: warning[SG-L001]: message`, the fix below, and
/// a count.
pub fn findings(findings: &[shipgate::Finding], color: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in findings {
        let (word, paint) = match f.severity {
            shipgate::Severity::Error => ("error", "\x1b[1;31m"),
            _ => ("warning", "\x1b[1;33m"),
        };
        let word = if color {
            format!("{paint}{word}[{}]\x1b[0m", f.code)
        } else {
            format!("{word}[{}]", f.code)
        };
        let _ = writeln!(out, "{}: {word}: {}", f.at, f.message);
        let _ = writeln!(out, "  help: {}", f.help);
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == shipgate::Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    if findings.is_empty() {
        out.push_str("no findings\n");
    } else {
        let _ = writeln!(
            out,
            "{} finding(s): {errors} error(s), {warnings} warning(s)",
            findings.len()
        );
    }
    out
}

/// Lint findings for machines: `{"findings": [{"code", "severity", "at", "message", "help"}]}`.
pub fn findings_json(findings: &[shipgate::Finding]) -> String {
    serde_json::json!({ "findings": findings }).to_string()
}

#[cfg(test)]
mod tests {
    use super::{clean, clean_lines, percent};

    #[test]
    fn clean_escapes_controls_bidi_and_separators_only() {
        assert_eq!(clean("CHG-1 é 😀 \\n"), "CHG-1 é 😀 \\n");
        assert_eq!(
            clean("a\nALLOW\r\t\u{1b}[2J\u{7f}\u{85}\u{202e}\u{2066}\u{200f}\u{2028}z"),
            "a\\nALLOW\\r\\t\\u{1b}[2J\\u{7f}\\u{85}\\u{202e}\\u{2066}\\u{200f}\\u{2028}z"
        );
    }

    #[test]
    fn clean_lines_keeps_line_ends_and_with_colour_only_colour_codes() {
        let text = "\u{1b}[1;31merror\u{1b}[0m: x\u{1b}]0;title\u{7}\n  y\u{202e}\n";
        assert_eq!(
            clean_lines(text, true),
            "\u{1b}[1;31merror\u{1b}[0m: x\\u{1b}]0;title\\u{7}\n  y\\u{202e}\n"
        );
        assert_eq!(
            clean_lines(text, false),
            "\\u{1b}[1;31merror\\u{1b}[0m: x\\u{1b}]0;title\\u{7}\n  y\\u{202e}\n"
        );
        // An unfinished sequence at the end is escaped, not kept.
        assert_eq!(clean_lines("a\u{1b}[31", true), "a\\u{1b}[31");
    }

    /// What a percent literal reads as: the double nearest `<digits>e-2`.
    fn literal(text: &str) -> f64 {
        format!("{text}e-2").parse().unwrap_or(f64::NAN)
    }

    #[test]
    fn percents_print_as_written() {
        for text in [
            "115",
            "150",
            "33.3",
            "0.5",
            "100",
            "0",
            "1",
            "10",
            "7.25",
            "0.01",
            "99.9",
            "1000",
            "12345.678",
            "0.0001",
        ] {
            assert_eq!(percent(literal(text)), text, "{text}%");
        }
        assert_eq!(percent(-literal("15")), "-15");
        assert_eq!(percent(1.15), "115");
        assert_eq!(percent(1.5), "150");
        assert_eq!(percent(0.333), "33.3");
        assert_eq!(percent(0.005), "0.5");
    }

    #[test]
    fn no_digit_of_the_ratio_is_lost() {
        // The printed percent reads back as the very same ratio, noise or not.
        for ratio in [
            1.15,
            0.1 + 0.2,
            1.0 / 3.0,
            2.0_f64.sqrt(),
            1e-9,
            123_456.789,
        ] {
            assert_eq!(literal(&percent(ratio)), ratio, "{ratio}");
        }
        assert_eq!(percent(0.1 + 0.2), "30.000000000000004");
    }
}
