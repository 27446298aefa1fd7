//! A plan as a Mermaid `gantt` chart (issue 14): one bar per planned run, in sections by wave
//! or by region, for the pages where release managers already draw diagrams.
//!
//! Two things of Mermaid's shape the output:
//! - Mermaid reads dates without a zone in the viewer's local zone, so a chart written with
//!   `dateFormat YYYY-MM-DD HH:mm` moves with whoever opens it. The chart uses `dateFormat x`
//!   (Unix milliseconds), which names an instant. (`X`, Unix seconds, is not used: Mermaid 11
//!   reads a start in that format as milliseconds.)
//! - Mermaid's gantt lexer reads a task line's text up to the first `:`, cuts task data at `#`
//!   and `;`, takes `%%` (and `x%` anywhere a token starts) as a comment, and takes a line that
//!   starts with a keyword (`section`, `title`, `click`, `call`, a date ...) as that statement.
//!   Every name the chart writes goes through [`gantt_text`], which turns those characters into
//!   Mermaid's entity codes (`#58;` shows as `:`) and escapes the first character of a name
//!   that would start a statement.

use std::collections::HashMap;
use std::fmt::Write;

use super::{Plan, PlannedChange};

/// How [`Plan::to_mermaid`] groups the bars of its Gantt chart into sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum GanttSections {
    /// One section per wave (`wave 0`, `wave 1`, ...), in wave order.
    #[default]
    Wave,
    /// One section per region, in the order the regions first appear in the plan. A region of
    /// a `per_region` rollout is a bar in its region's section; a whole change that spans
    /// several regions is a bar in each of its regions' sections (the same run, so a region's
    /// section shows everything that deploys there); a change with no region is in a section
    /// `no region`.
    Region,
}

/// The section of the changes that touch no region, with [`GanttSections::Region`].
const NO_REGION: &str = "no region";

/// Lines that start with one of these (any case) are read as a statement, not a task: the
/// keywords of Mermaid 11's gantt lexer. (Its comments and directives start with `%`, which is
/// always escaped; its dates with a digit, escaped at the start of a line.)
const KEYWORDS: [&str; 19] = [
    "accdescr",
    "accdescription",
    "acctitle",
    "axisformat",
    "call",
    "click",
    "dateformat",
    "excludes",
    "gantt",
    "href",
    "includes",
    "inclusiveenddates",
    "section",
    "tickinterval",
    "title",
    "todaymarker",
    "topaxis",
    "weekday",
    "weekend",
];

impl Plan {
    /// The plan as a Mermaid `gantt` chart: a title that counts the planned runs and the
    /// unschedulable changes, `dateFormat x` (instants as Unix milliseconds, so the bars do not
    /// move with the viewer's time zone), `todayMarker off` (the same plan gives the same
    /// picture whenever it is drawn), then the bars grouped by `sections`, each in the plan's
    /// order (start, then id). A bar is named by the change id, ` in REGION` for a region of a
    /// `per_region` rollout, and its services in parentheses. A chart has no place for a
    /// change without a time: each unschedulable change is a `%% unschedulable ID: reason`
    /// comment line at the end, by id, its text on one line. Ids, regions and services are
    /// escaped so that any text stays a task name (see the module documentation). An empty
    /// plan gives a chart with no sections, which Mermaid still draws.
    pub fn to_mermaid(&self, sections: GanttSections) -> String {
        let mut out = String::from("gantt\n");
        let _ = writeln!(
            out,
            "  title Release train, {} planned, {} unschedulable",
            self.changes.len(),
            self.unschedulable.len()
        );
        out.push_str("  dateFormat x\n  axisFormat %Y-%m-%d %H:%M\n  todayMarker off\n");
        for (name, runs) in self.sections(sections) {
            let _ = writeln!(out, "  section {}", gantt_text(&name, false));
            for run in runs {
                let _ = writeln!(
                    out,
                    "  {} :{}, {}",
                    bar_name(run),
                    run.start.timestamp_millis(),
                    run.end.timestamp_millis()
                );
            }
        }
        for u in &self.unschedulable {
            let _ = writeln!(
                out,
                "  %% unschedulable {}: {}",
                one_line(&u.id),
                one_line(&u.reason)
            );
        }
        out
    }

    /// The sections of the chart, each with its runs in the plan's order. Linear in the bars.
    fn sections(&self, by: GanttSections) -> Vec<(String, Vec<&PlannedChange>)> {
        let mut sections = Sections::default();
        match by {
            GanttSections::Wave => {
                for run in &self.changes {
                    sections.add(format!("wave {}", run.wave), run);
                }
                // Waves in order, whatever order their runs start in.
                sections
                    .list
                    .sort_by_key(|(_, runs)| runs.first().map(|r| r.wave));
            }
            GanttSections::Region => {
                for run in &self.changes {
                    match &run.region {
                        Some(region) => sections.add(region.clone(), run),
                        None if run.regions.is_empty() => {
                            sections.add(NO_REGION.to_string(), run);
                        }
                        None => {
                            for region in &run.regions {
                                sections.add(region.clone(), run);
                            }
                        }
                    }
                }
            }
        }
        sections.list
    }
}

/// The sections being filled, in the order they were opened, and where each is.
#[derive(Default)]
struct Sections<'a> {
    list: Vec<(String, Vec<&'a PlannedChange>)>,
    at: HashMap<String, usize>,
}

impl<'a> Sections<'a> {
    /// Adds `run` to the section `name`, opening it after the others when it is new.
    fn add(&mut self, name: String, run: &'a PlannedChange) {
        let next = self.list.len();
        let i = *self.at.entry(name.clone()).or_insert(next);
        match self.list.get_mut(i) {
            Some((_, runs)) => runs.push(run),
            None => self.list.push((name, vec![run])),
        }
    }
}

/// A bar's name: `ID`, ` in REGION` for a region of a rollout, ` (services)`.
fn bar_name(run: &PlannedChange) -> String {
    let mut name = run.id.clone();
    if let Some(region) = &run.region {
        let _ = write!(name, " in {region}");
    }
    if !run.services.is_empty() {
        let _ = write!(name, " ({})", run.services.join(", "));
    }
    gantt_text(&name, true)
}

/// Text that Mermaid's gantt lexer reads back as it is: the characters it treats specially
/// become entity codes (`#58;`), which Mermaid draws as the character; line breaks and other
/// control characters become spaces. A text that starts a line (a task name, not a section's
/// name, which follows `section`) and would start a statement (a keyword, a date, a space the
/// lexer would skip) has its first character escaped too.
fn gantt_text(text: &str, starts_line: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let lower = text.to_ascii_lowercase();
    let escape_first = starts_line
        && (KEYWORDS.iter().any(|k| lower.starts_with(k))
            || text.chars().next().is_some_and(|c| c.is_ascii_digit()));
    for (i, c) in text.chars().enumerate() {
        match c {
            '#' | ':' | ';' | '%' | '<' | '>' | '"' => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            // The lexer skips space before a token, which would bring what follows to the
            // start; a control character has no entity an SVG may hold.
            c if i == 0 && (c.is_whitespace() || c == '\u{feff}' || line_break(c)) => {
                out.push_str("#32;")
            }
            c if line_break(c) => out.push(' '),
            c if i == 0 && escape_first => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Text for a `%%` comment line: one line, whatever it holds.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if line_break(c) { ' ' } else { c })
        .collect()
}

/// A character that ends a line for Mermaid (JavaScript's line terminators) or that an SVG
/// cannot hold: every control character.
fn line_break(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}
