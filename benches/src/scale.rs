//! Generators for the scale benchmarks: large policy sets, catalogs and calendars.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::Rng;

/// The settings file every generated policy set starts with.
const SETTINGS: &str = "tiers low, medium, high, critical\ndefault allow\n\
     groups cab, dba, platform-lead, team-lead, incident-commander\n\
     tier critical when any s in change.services: s.tier == 0\n\
     tier high when \"infrastructure\" in change.kind\n\
     tier medium when change.size > 300\n";

const GROUPS: [&str; 5] = [
    "cab",
    "dba",
    "platform-lead",
    "team-lead",
    "incident-commander",
];

/// Rule `i` of a generated policy set: six shapes in turn, with numbers that vary per rule.
pub fn rule_text(i: usize) -> String {
    let group = GROUPS.get(i % GROUPS.len()).copied().unwrap_or("cab");
    match i % 6 {
        0 => format!(
            "rule r{i} {{\n  deny when change.size > {} and \"label-{}\" in change.labels\n  \
             message \"change {{change.id}} is too large for label-{}\"\n}}\n",
            1000 + i,
            i % 50,
            i % 50
        ),
        1 => format!(
            "rule r{i} {{\n  when tier >= high and \"kind-{}\" in change.kind\n  \
             require approval \"{group}\" count {}\n}}\n",
            i % 40,
            1 + i % 3
        ),
        2 => format!(
            "rule r{i} {{\n  deny when any s in change.services: s.tier == {} and \
             s.error_budget < {}% and change.size > {}\n}}\n",
            i % 4,
            i % 10,
            i % 500
        ),
        3 => format!(
            "rule r{i} {{\n  when change.emergency and change has incident and \
             change.incident.severity <= {}\n  require check \"check-{}\"\n}}\n",
            1 + i % 3,
            i % 20
        ),
        4 => format!(
            "rule r{i} {{\n  deny when len(change.services) > {} and not change.backward_compatible\n}}\n",
            2 + i % 4
        ),
        _ => format!(
            "rule r{i} {{\n  deny when starts_with(change.title, \"tmp-{i}\") or \
             lower(change.requester) == \"bot-{i}\"\n}}\n"
        ),
    }
}

/// A policy set of `rules` rules spread over `files` files (plus a settings file), as named
/// sources for `Engine::from_sources`.
pub fn policy_sources(rules: usize, files: usize) -> Vec<(String, String)> {
    let files = files.max(1);
    let mut out = vec![("settings.gate".to_string(), SETTINGS.to_string())];
    let mut texts = vec![String::new(); files];
    for i in 0..rules {
        if let Some(t) = texts.get_mut(i % files) {
            t.push_str(&rule_text(i));
        }
    }
    out.extend(
        texts
            .into_iter()
            .enumerate()
            .map(|(f, t)| (format!("rules-{f:03}.gate"), t)),
    );
    out
}

/// A change for the generated policy sets: it touches `services` services `svc-0..`.
pub fn scale_change(services: usize) -> Value {
    json!({
        "id": "CHG-7",
        "title": "rotate keys",
        "kind": ["application", "kind-3"],
        "services": (0..services).map(|i| format!("svc-{i}")).collect::<Vec<_>>(),
        "requester": "ana",
        "implementer": "bo",
        "approvals": [
            {"by": "cy", "group": "cab", "at": "2026-11-30T15:30:00Z"},
            {"by": "dee", "group": "team-lead", "at": "2026-11-30T15:30:00Z"}
        ],
        "checks": ["check-1", "check-2"],
        "emergency": true,
        "incident": {"id": "INC-1", "severity": 2},
        "start": "2026-12-01T10:00:00Z",
        "duration": "1h",
        "size": 420,
        "labels": ["label-3", "label-17"],
        "backward_compatible": false
    })
}

/// Which fields a generated family's rules read: the built-in ones, or `extend` fields of
/// the same types holding the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    BuiltIn,
    Extend,
}

impl Fields {
    /// The name in a benchmark's id: `builtin` or `extend`.
    pub fn name(self) -> &'static str {
        match self {
            Fields::BuiltIn => "builtin",
            Fields::Extend => "extend",
        }
    }
}

/// The settings of the generated family: both variants declare the same `extend` fields, so
/// that they differ only in what their rules read.
const FAMILY_SETTINGS: &str = "tiers standard\ndefault allow\n\
     extend change { hotfix: bool, rollback_plan: bool, risk: int, environment: string,\n\
       ticket: string, tags: list<string>, roles: list<string>, steps: list<string> }\n\
     extend service { pci: bool, level: int }\n";

/// Rule `i` of the generated family: six shapes in turn (flags with an int comparison, int
/// comparisons, string equality, list membership, a quantifier over the touched services, a
/// quantifier over a list of strings), over built-in fields or over `extend` fields of the same
/// types. Each rule's selective test comes last, so that every test of a rule is evaluated
/// (`and` stops at the first false), and few rules deny `family_change`.
pub fn family_rule(i: usize, fields: Fields) -> String {
    let b = fields == Fields::BuiltIn;
    let pick = |builtin: &'static str, extend: &'static str| if b { builtin } else { extend };
    let cond = match i % 6 {
        0 => format!(
            "change.{} and not change.{} and change.{} > {}",
            pick("emergency", "hotfix"),
            pick("backward_compatible", "rollback_plan"),
            pick("size", "risk"),
            500 + i % 500
        ),
        1 => {
            let f = pick("size", "risk");
            format!("change.{f} > {} or change.{f} < {}", 1000 + i, i % 7)
        }
        2 => format!(
            "change.{} == \"bot-{i}\" or change.{} == \"tmp-{i}\"",
            pick("requester", "environment"),
            pick("title", "ticket")
        ),
        3 => format!(
            "\"label-{}\" in change.{} and \"kind-{}\" in change.{}",
            i % 50,
            pick("labels", "tags"),
            i % 40,
            pick("kind", "roles")
        ),
        4 => format!(
            "any s in change.services: s.{} and s.{} == {}",
            pick("stateful", "pci"),
            pick("tier", "level"),
            i % 4
        ),
        _ => format!(
            "any k in change.{}: k == \"check-{}\"",
            pick("checks", "steps"),
            i % 20
        ),
    };
    format!("rule r{i} {{\n  deny when {cond}\n}}\n")
}

/// The generated family of `rules` rules in files of 20, as named sources for
/// `Engine::from_sources`.
pub fn family_sources(rules: usize, fields: Fields) -> Vec<(String, String)> {
    let mut out = vec![("settings.gate".to_string(), FAMILY_SETTINGS.to_string())];
    let files = rules.div_ceil(20).max(1);
    let mut texts = vec![String::new(); files];
    for i in 0..rules {
        if let Some(t) = texts.get_mut(i / 20) {
            t.push_str(&family_rule(i, fields));
        }
    }
    out.extend(
        texts
            .into_iter()
            .enumerate()
            .map(|(f, t)| (format!("rules-{f:03}.gate"), t)),
    );
    out
}

/// The change both variants of the family decide: each `extend` field holds the value of the
/// built-in field it stands for, so both variants deny by the same rules.
pub fn family_change() -> Value {
    json!({
        "id": "CHG-8",
        "title": "rotate keys",
        "kind": ["application", "kind-3"],
        "services": ["svc-0", "svc-1", "svc-2"],
        "requester": "ana",
        "implementer": "bo",
        "checks": ["check-1", "check-2"],
        "emergency": true,
        "start": "2026-12-01T10:00:00Z",
        "duration": "1h",
        "size": 420,
        "labels": ["label-3", "label-17"],
        "backward_compatible": false,
        "hotfix": true,
        "rollback_plan": false,
        "risk": 420,
        "environment": "ana",
        "ticket": "rotate keys",
        "tags": ["label-3", "label-17"],
        "roles": ["application", "kind-3"],
        "steps": ["check-1", "check-2"]
    })
}

/// The family's catalog: three services, each `pci` as it is `stateful` and at `level` its
/// `tier`.
pub fn family_catalog() -> Value {
    let services: Vec<Value> = [(0, true), (2, false), (3, true)]
        .iter()
        .enumerate()
        .map(|(i, (tier, stateful))| {
            json!({"id": format!("svc-{i}"), "tier": tier, "stateful": stateful,
                   "level": tier, "pci": stateful})
        })
        .collect();
    json!({ "services": services })
}

/// A catalog of `n` services where service `i` depends on `edges_per` distinct earlier
/// services (fewer for the first ones), as JSON text. Earlier services are picked with a bias
/// towards the recent ones so the graph is deep as well as wide.
pub fn catalog_text(n: usize, edges_per: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(n * 120);
    out.push_str("{\"services\":[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let mut deps: Vec<usize> = Vec::with_capacity(edges_per);
        let mut tries = 0;
        while deps.len() < edges_per.min(i) && tries < 4 * edges_per {
            tries += 1;
            // Half the edges reach anywhere earlier, half into the last thousand.
            let d = if rng.chance(50) {
                rng.below(i)
            } else {
                i - 1 - rng.below(i.min(1000))
            };
            if !deps.contains(&d) {
                deps.push(d);
            }
        }
        let _ = write!(
            out,
            "{{\"id\":\"svc-{i}\",\"team\":\"team-{}\",\"tier\":{},\"regions\":[\"eu-west\"],\"depends_on\":[",
            i % 97,
            rng.below(4)
        );
        for (k, d) in deps.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"svc-{d}\"");
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

/// A policy with one calendar of working-hours windows (mon-fri 08:00-18:00) and `n`
/// blackouts over two years (2027 and 2028), and a region `eu` that uses it.
///
/// The mix is that of a busy organisation: per ten blackouts, one whole day, five one-off
/// slots of 30-90 minutes, two yearly dates, one yearly slot by ISO week and one monthly slot.
pub fn calendar_policy(n: usize) -> String {
    let mut rng = Rng::new(0xca1e_da25);
    let mut out = calendar_head();
    const DAYS: [&str; 5] = ["MO", "TU", "WE", "TH", "FR"];
    for i in 0..n {
        let year = 2027 + rng.below(2);
        let month = 1 + rng.below(12);
        let day = 1 + rng.below(28);
        let hour = 8 + rng.below(9);
        let _ = match i % 10 {
            0 => writeln!(
                out,
                "  blackout \"b{i}\" from {year}-{month:02}-{day:02} to {year}-{month:02}-{day:02}"
            ),
            1..=5 => writeln!(
                out,
                "  blackout \"b{i}\" from {year}-{month:02}-{day:02}T{hour:02}:00 to {year}-{month:02}-{day:02}T{hour:02}:{}",
                [30, 45, 59][rng.below(3)]
            ),
            6 | 7 => writeln!(
                out,
                "  blackout \"b{i}\" rrule \"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}\" at {hour:02}:00 for 1h"
            ),
            8 => writeln!(
                out,
                "  blackout \"b{i}\" rrule \"FREQ=YEARLY;BYWEEKNO={};BYDAY={}\" at {hour:02}:30 for 30m",
                1 + rng.below(52),
                DAYS.get(rng.below(5)).copied().unwrap_or("MO")
            ),
            _ => writeln!(
                out,
                "  blackout \"b{i}\" rrule \"FREQ=MONTHLY;BYMONTHDAY={day}\" at {hour:02}:00 for 30m"
            ),
        };
    }
    out.push_str("}\n\nregion eu uses ops\n");
    out
}

fn calendar_head() -> String {
    String::from(
        "tiers standard\n\ncalendar ops timezone \"Europe/Berlin\" {\n  window mon-fri 08:00-18:00\n",
    )
}

/// A stress case: `n` blackouts of which a fifth are weekly slots that repeat until a date in
/// 2027-2028, so that for months no working day has a free two-hour stretch and
/// `next_window` must walk far.
pub fn dense_calendar_policy(n: usize) -> String {
    let mut rng = Rng::new(0xca1e_da25);
    let mut out = calendar_head();
    for i in 0..n {
        let year = 2027 + rng.below(2);
        let month = 1 + rng.below(12);
        let day = 1 + rng.below(27);
        let _ = match i % 5 {
            0 => writeln!(
                out,
                "  blackout \"b{i}\" from {year}-{month:02}-{day:02} to {year}-{month:02}-{:02}",
                day + 1
            ),
            1 => writeln!(
                out,
                "  blackout \"b{i}\" from {year}-{month:02}-{day:02}T{:02}:00 to {year}-{month:02}-{day:02}T{:02}:30",
                8 + rng.below(4),
                12 + rng.below(5)
            ),
            2 => writeln!(
                out,
                "  blackout \"b{i}\" rrule \"FREQ=WEEKLY;BYDAY={};UNTIL={year}{month:02}{day:02}T000000Z\" at {:02}:{:02} for {}m",
                ["MO", "TU", "WE", "TH", "FR"]
                    .get(rng.below(5))
                    .copied()
                    .unwrap_or("MO"),
                8 + rng.below(9),
                [0, 15, 30, 45].get(rng.below(4)).copied().unwrap_or(0),
                15 + 15 * rng.below(4)
            ),
            3 => writeln!(
                out,
                "  blackout \"b{i}\" rrule \"FREQ=MONTHLY;BYMONTHDAY={}\" at {:02}:00 for {}h",
                1 + rng.below(28),
                8 + rng.below(9),
                1 + rng.below(3)
            ),
            _ => writeln!(
                out,
                "  blackout \"b{i}\" rrule \"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}\" at 00:00 for 1d"
            ),
        };
    }
    out.push_str("}\n\nregion eu uses ops\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate::{Catalog, Change, Engine, Format, Verdict};

    #[test]
    fn generated_policy_sets_compile_and_decide() {
        let engine = Engine::from_sources(policy_sources(120, 7), None).unwrap();
        let catalog = Catalog::from_text(&catalog_text(50, 3, 1), Format::Json).unwrap();
        let change = Change::from_json(&scale_change(5)).unwrap();
        let d = engine
            .evaluate(&change, &catalog, crate::now(), false)
            .unwrap();
        // len(services) > 2 and not backward compatible: the r4-shaped rules deny.
        assert_eq!(d.verdict, Verdict::Deny);
        assert!(d.reasons.iter().any(|r| r.rule == "r4"));
    }

    #[test]
    fn both_variants_of_the_family_deny_by_the_same_rules() {
        let catalog = Catalog::from_json(&family_catalog()).unwrap();
        let change = Change::from_json(&family_change()).unwrap();
        let denied = |fields| {
            let engine = Engine::from_sources(family_sources(240, fields), None).unwrap();
            let d = engine
                .evaluate(&change, &catalog, crate::now(), false)
                .unwrap();
            d.reasons
                .iter()
                .map(|r| r.rule.to_string())
                .collect::<Vec<_>>()
        };
        let builtin = denied(Fields::BuiltIn);
        assert_eq!(builtin, denied(Fields::Extend));
        // Some rules of the shapes that can deny (membership, both quantifiers), not most.
        for shape in [3, 4, 5] {
            assert!(
                builtin
                    .iter()
                    .any(|r| r[1..].parse::<usize>().unwrap() % 6 == shape),
                "no rule of shape {shape} denies: {builtin:?}"
            );
        }
        assert!(builtin.len() < 240 / 4, "{}", builtin.len());
    }

    #[test]
    fn the_family_variants_read_different_fields() {
        let b = family_rule(6, Fields::BuiltIn);
        let e = family_rule(6, Fields::Extend);
        assert!(
            b.contains("change.size") && !b.contains("change.risk"),
            "{b}"
        );
        assert!(
            e.contains("change.risk") && !e.contains("change.size"),
            "{e}"
        );
    }

    #[test]
    fn generated_catalogs_have_the_asked_edges() {
        let catalog = Catalog::from_text(&catalog_text(2_000, 3, 9), Format::Json).unwrap();
        assert_eq!(catalog.len(), 2_000);
        let edges: usize = catalog.services().iter().map(|s| s.depends_on.len()).sum();
        assert_eq!(edges, 3 * 2_000 - 3 - 2 - 1);
    }

    #[test]
    fn generated_calendars_compile_and_have_windows() {
        for text in [calendar_policy(200), dense_calendar_policy(200)] {
            let engine = Engine::from_source(&text, "cal.gate").unwrap();
            let after = shipgate::parse_instant("2027-03-01T00:00:00Z").unwrap();
            let (start, end) = engine.next_window("eu", after, 3600).unwrap().unwrap();
            assert!(start >= after && end - start >= chrono::Duration::hours(1));
        }
    }

    #[test]
    fn generated_blackouts_fall_in_the_two_years() {
        // Every blackout of the realistic mix blocks something in 2027-2028.
        let engine = Engine::from_source(&calendar_policy(50), "cal.gate").unwrap();
        let from = shipgate::parse_instant("2027-01-01T00:00:00Z").unwrap();
        let to = shipgate::parse_instant("2028-12-31T00:00:00Z").unwrap();
        let report = engine.calendar("eu", from, to).unwrap();
        let names: std::collections::BTreeSet<_> =
            report.blackouts.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names.len(), 50);
    }
}
