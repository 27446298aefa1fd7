//! The dependency graph as Graphviz DOT, Mermaid and JSON (for `shipgate graph`).
//!
//! Edges go from a service to what it depends on. Order is deterministic: services in catalog
//! order, each one's dependencies in catalog order.

use std::fmt::Write;

use serde_json::{Value, json};

use super::Catalog;

impl Catalog {
    /// Every dependency edge `(service, dependency)`, in catalog order.
    pub(crate) fn edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0u32..)
            .take(self.len())
            .flat_map(move |s| self.depends_on_of(s).iter().map(move |&d| (s, d)))
    }

    /// Graphviz DOT: one node per service labelled with its id and tier, one edge from each
    /// service to each of its dependencies.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph catalog {\n  node [shape=box];\n");
        for s in &self.services {
            let id = dot_string(&s.id);
            let label = dot_string(&format!("{}\ntier {}", s.id, s.tier));
            let _ = writeln!(out, "  {id} [label={label}];");
        }
        for (from, to) in self.edges() {
            let _ = writeln!(
                out,
                "  {} -> {};",
                dot_string(self.id(from)),
                dot_string(self.id(to))
            );
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart (`graph TD`); nodes are `s0`, `s1`, ... in catalog order, labelled
    /// with id and tier.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("graph TD\n");
        for (i, s) in self.services.iter().enumerate() {
            let label = mermaid_text(&format!("{} (tier {})", s.id, s.tier));
            let _ = writeln!(out, "  s{i}[\"{label}\"]");
        }
        for (from, to) in self.edges() {
            let _ = writeln!(out, "  s{from} --> s{to}");
        }
        out
    }

    /// `{"services": [ids], "edges": [[from, to], ...], "waves": [[ids], ...]}`.
    pub fn to_graph_json(&self) -> Value {
        let services: Vec<&str> = self.services.iter().map(|s| s.id.as_str()).collect();
        let edges: Vec<[&str; 2]> = self
            .edges()
            .map(|(from, to)| [self.id(from), self.id(to)])
            .collect();
        let waves: Vec<Vec<&str>> = self
            .catalog_waves()
            .iter()
            .map(|wave| wave.iter().map(|&s| self.id(s)).collect())
            .collect();
        json!({"services": services, "edges": edges, "waves": waves})
    }
}

/// A DOT quoted string. Backslashes are doubled so that ids keep their text, and line breaks
/// become `\n` (a line break inside a label).
fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text inside a quoted Mermaid label: characters Mermaid would read as markup become entity
/// codes, line breaks become spaces.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
