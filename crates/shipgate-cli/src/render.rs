//! Text rendering for people: verdict first, then what blocks it and what is missing.

use std::fmt::Write;

use shipgate::{CalendarReport, Change, Decision, Error, RequirementKind, Verdict};

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
        p.bold(&change.id),
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
                format!("  {}", p.dim(&r.at))
            };
            let _ = writeln!(out, "  {} {}: {}{at}", p.red("x"), r.rule, r.message);
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
                    r.group.as_deref().unwrap_or(""),
                    if r.counted.is_empty() {
                        String::new()
                    } else {
                        format!(" (have {})", r.counted.join(", "))
                    }
                ),
                // `check <name>`, and the same form for kinds added later.
                _ => format!("{} {}", r.kind, r.check.as_deref().unwrap_or("")),
            };
            let _ = writeln!(
                out,
                "  {} {what}  {}",
                p.yellow("?"),
                p.dim(&format!("rule {}", r.rule))
            );
            for i in &r.ignored {
                let _ = writeln!(out, "      ignored approval by {} ({})", i.by, i.why);
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
                    r.group.as_deref().unwrap_or(""),
                    r.counted.join(", ")
                ),
                // `check <name>`, and the same form for kinds added later.
                _ => format!("{} {}", r.kind, r.check.as_deref().unwrap_or("")),
            };
            let _ = writeln!(out, "  {} {what}", p.green("v"));
        }
    }
    if !d.exemptions.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Exemptions:"));
        for e in &d.exemptions {
            let by =
                e.by.as_deref()
                    .map(|b| format!(" granted by {b}"))
                    .unwrap_or_default();
            let _ = writeln!(out, "  {} lifts {}{by}", e.rule, e.lifts);
        }
    }
    let rejected: Vec<_> = d.waivers.iter().filter(|w| !w.honored).collect();
    if !rejected.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Rejected waivers:"));
        for w in rejected {
            let _ = writeln!(out, "  {} by {}: {}", w.rule, w.by, w.why);
        }
    }
    if !d.schedule.regions.is_empty() {
        let _ = writeln!(
            out,
            "\n{} (tz database {})",
            p.bold("Schedule:"),
            d.schedule.tzdb
        );
        for r in &d.schedule.regions {
            let state = if r.open {
                p.green("open")
            } else {
                p.red("closed")
            };
            let mut line = format!("  {:<12} {state}", r.region);
            if !r.blocked_by.is_empty() {
                let (outside, names): (Vec<&shipgate::Text>, Vec<&shipgate::Text>) =
                    r.blocked_by.iter().partition(|b| *b == "outside windows");
                let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
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
            if !r.open {
                match &r.next_window {
                    Some(w) => {
                        let _ = write!(line, "  next window {} to {}", w.start, w.end);
                    }
                    None => line.push_str("  no window within the horizon"),
                }
            }
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out);
    if let Some(s) = &d.strategy {
        let _ = writeln!(out, "Strategy: {s}");
    }
    if !d.order.is_empty() {
        let waves: Vec<String> = d.order.iter().map(|w| w.join(", ")).collect();
        let _ = writeln!(out, "Order:    {}", waves.join("  ->  "));
    }
    if !d.notify.is_empty() {
        let _ = writeln!(out, "Notify:   {}", d.notify.join(", "));
    }
    if !d.rollback.is_empty() {
        let triggers: Vec<String> = d
            .rollback
            .iter()
            .map(|t| {
                let threshold = match &t.relative_to {
                    Some(base) => format!("{}% of {base}", t.threshold * 100.0),
                    None => t.threshold.to_string(),
                };
                format!("{} {} {threshold} for {}", t.metric, t.op, t.for_)
            })
            .collect();
        let _ = writeln!(out, "Rollback: {}", triggers.join("; "));
    }
    if !d.trace.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Trace:"));
        for t in &d.trace {
            let _ = writeln!(
                out,
                "  {:<8} {:<28} {}  {}",
                t.kind,
                t.name,
                t.outcome,
                p.dim(&t.at)
            );
        }
    }
    out
}

pub fn error(e: &Error, color: bool) -> String {
    match e {
        Error::Policy(p) => {
            let mut s = p.render(color);
            let errors = p.diagnostics().iter().filter(|d| d.is_error()).count();
            let _ = writeln!(s, "error: the policy set has {errors} error(s)");
            s
        }
        other => format!("error: {other}\n"),
    }
}

pub fn calendar(c: &CalendarReport, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (tz database {})",
        p.bold(&format!("Region {}", c.region)),
        c.timezone_db
    );
    let _ = writeln!(out, "\n{}", p.bold("Open:"));
    if c.open.is_empty() {
        let _ = writeln!(out, "  (never open in this range)");
    }
    for s in &c.open {
        let _ = writeln!(
            out,
            "  {} {} to {}",
            p.green("+"),
            shipgate::format_instant(s.start),
            shipgate::format_instant(s.end)
        );
    }
    let _ = writeln!(out, "\n{}", p.bold("Blackouts:"));
    if c.blackouts.is_empty() {
        let _ = writeln!(out, "  (none in this range)");
    }
    for b in &c.blackouts {
        let _ = writeln!(out, "  {} {} to {}  {}", p.red("-"), b.start, b.end, b.name);
    }
    out
}
