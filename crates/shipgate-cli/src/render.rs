//! Text rendering for people: verdict first, then what blocks it and what is missing.

use std::fmt::Write;

use shipgate::{CalendarReport, Catalog, Change, Decision, Error, RequirementKind, Verdict};

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
            let _ = writeln!(out, "  {}", exemption(e));
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
                    Some(base) => format!("{}% of {base}", percent(t.threshold)),
                    None => t.threshold.to_string(),
                };
                let no_data = t
                    .on_no_data
                    .map(|what| format!(" on no_data {what}"))
                    .unwrap_or_default();
                format!("{} {} {threshold} for {}{no_data}", t.metric, t.op, t.for_)
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
                t.name,
                t.outcome,
                p.dim(&t.at)
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
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
            let mut s = p.render(color);
            let errors = p.diagnostics().iter().filter(|d| d.is_error()).count();
            let _ = writeln!(s, "error: the policy set has {errors} error(s)");
            s
        }
        other => format!("error: {other}\n"),
    }
}

/// `graph --format json`: the catalog's services, edges and waves, and each service's tier
/// (`"tiers": {"ledger-db": 0, ...}`), as the DOT and Mermaid graphs label them.
pub fn graph_json(catalog: &Catalog) -> String {
    let mut graph = catalog.to_graph_json();
    let tiers: serde_json::Map<String, serde_json::Value> = catalog
        .services()
        .iter()
        .map(|s| (s.id.clone(), s.tier.into()))
        .collect();
    if let Some(object) = graph.as_object_mut() {
        object.insert("tiers".into(), tiers.into());
    }
    serde_json::to_string_pretty(&graph).unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::percent;

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
