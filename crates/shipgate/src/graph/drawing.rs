//! The dependency graph drawn for people and tools (`shipgate graph`): a catalog's services or
//! a release train's changes, grouped in their waves, with every cycle highlighted.
//!
//! A drawing is made also when the graph has a cycle, which the catalog and the planner
//! refuse: the cycle is what the reader has to see. Its nodes and edges are drawn in red,
//! outside the waves, and the nodes that come after a cycle (and so have no wave either) are
//! drawn dashed. [`Drawing::cycle_error`] keeps the error the catalog or the planner gives for
//! it, so a command still fails.
//!
//! Edges go from a node to what it comes after: a service to each service it depends on, a
//! change to each change it follows. Order is deterministic: nodes as listed, edges by node,
//! then by the node they point to.

use std::fmt::Write;

use petgraph::algo::tarjan_scc;
use serde_json::{Map, Value, json};

use super::{Catalog, layers};
use crate::error::InputError;
use crate::input::JsonPath;

/// What a [`Drawing`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DrawingKind {
    /// A catalog's services and their dependencies.
    Catalog,
    /// A release train's changes and the order between them.
    Train,
}

/// A dependency graph with its waves and cycles, ready to be written as Graphviz DOT,
/// Mermaid or JSON. See the module documentation.
#[derive(Debug, Clone)]
pub struct Drawing {
    kind: DrawingKind,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// Each node's wave; `None` on a cycle or after one.
    waves: Vec<Option<u32>>,
    /// Each node's cycle (index into `cycles`), if it lies on one.
    cycle_of: Vec<Option<usize>>,
    /// The cycles: the strongly connected parts with more than one node, or a node that
    /// comes after itself, each listed in node order; in the order of their first node.
    cycles: Vec<Vec<u32>>,
    cycle_error: Option<InputError>,
}

#[derive(Debug, Clone)]
struct Node {
    id: String,
    detail: Detail,
}

#[derive(Debug, Clone)]
enum Detail {
    Tier(i64),
    Services(Vec<String>),
}

#[derive(Debug, Clone)]
struct Edge {
    from: u32,
    to: u32,
    /// Why, for a train: `after`, or which service depends on which.
    because: Option<String>,
}

impl Drawing {
    /// The drawing of a catalog (which has no cycle: the catalog refuses them).
    pub fn of_catalog(catalog: &Catalog) -> Drawing {
        Drawing::of_services(catalog.services(), catalog.edges().collect(), None)
    }

    /// The drawing of a catalog document, also when its dependencies form a cycle: the
    /// cycle is highlighted and [`Drawing::cycle_error`] gives the error
    /// [`Catalog::from_json`] gives for it. Any other error in the document is returned as
    /// [`Catalog::from_json`] returns it.
    pub fn of_catalog_json(value: &Value) -> Result<Drawing, InputError> {
        let (services, _) = Catalog::read_parts(value, "catalog")?;
        let root = JsonPath::Root("catalog");
        let (_, mut edges) = Catalog::index_and_edges(&services, &root.key("services"))?;
        edges.sort_unstable();
        edges.dedup();
        let mut drawing = Drawing::of_services(&services, edges, None);
        if !drawing.cycles.is_empty() {
            // The catalog's own reading names the cycle, with its path.
            drawing.cycle_error = Some(match Catalog::from_json(value) {
                Err(e) => e,
                Ok(_) => InputError::new("catalog.services", "dependency cycle"),
            });
        }
        Ok(drawing)
    }

    /// A train's drawing (see `plan`'s `Drawing::of_changes`): each change's id and
    /// services, and the edges `(change, change it follows, why)`; `cycle_error` makes the
    /// error for a cycle, from each change's wave (`None` on a cycle or after one).
    pub(crate) fn of_train(
        nodes: Vec<(String, Vec<String>)>,
        edges: Vec<(u32, u32, String)>,
        cycle_error: impl FnOnce(&[Option<u32>]) -> InputError,
    ) -> Drawing {
        let nodes = nodes
            .into_iter()
            .map(|(id, services)| Node {
                id,
                detail: Detail::Services(services),
            })
            .collect();
        let edges = edges
            .into_iter()
            .map(|(from, to, because)| Edge {
                from,
                to,
                because: Some(because),
            })
            .collect();
        let mut drawing = Drawing::new(DrawingKind::Train, nodes, edges);
        if !drawing.cycles.is_empty() {
            drawing.cycle_error = Some(cycle_error(&drawing.waves));
        }
        drawing
    }

    fn of_services(
        services: &[super::Service],
        edges: Vec<(u32, u32)>,
        cycle_error: Option<InputError>,
    ) -> Drawing {
        let nodes = services
            .iter()
            .map(|s| Node {
                id: s.id.clone(),
                detail: Detail::Tier(s.tier),
            })
            .collect();
        let edges = edges
            .into_iter()
            .map(|(from, to)| Edge {
                from,
                to,
                because: None,
            })
            .collect();
        let mut drawing = Drawing::new(DrawingKind::Catalog, nodes, edges);
        drawing.cycle_error = cycle_error;
        drawing
    }

    fn new(kind: DrawingKind, nodes: Vec<Node>, edges: Vec<Edge>) -> Drawing {
        let n = nodes.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in &edges {
            if let Some(list) = deps.get_mut(e.from as usize) {
                list.push(e.to as usize);
            }
        }
        let waves = layers(n, |i| deps.get(i).into_iter().flatten().copied());
        let mut cycle_of = vec![None; n];
        let mut cycles: Vec<Vec<u32>> = Vec::new();
        if waves.iter().any(Option::is_none) {
            let mut graph = petgraph::graph::DiGraph::<(), (), u32>::with_capacity(n, edges.len());
            for _ in 0..n {
                graph.add_node(());
            }
            for e in &edges {
                if (e.from as usize) < n && (e.to as usize) < n {
                    graph.add_edge(e.from.into(), e.to.into(), ());
                }
            }
            for part in tarjan_scc(&graph) {
                let mut members: Vec<u32> = part
                    .iter()
                    .filter_map(|v| u32::try_from(v.index()).ok())
                    .collect();
                let looped = members.len() == 1
                    && edges
                        .iter()
                        .any(|e| e.from == members[0] && e.to == members[0]);
                if members.len() > 1 || looped {
                    members.sort_unstable();
                    cycles.push(members);
                }
            }
            cycles.sort_unstable_by_key(|c| c.first().copied());
            for (k, members) in cycles.iter().enumerate() {
                for &m in members {
                    if let Some(slot) = cycle_of.get_mut(m as usize) {
                        *slot = Some(k);
                    }
                }
            }
        }
        Drawing {
            kind,
            nodes,
            edges,
            waves,
            cycle_of,
            cycles,
            cycle_error: None,
        }
    }

    /// What the drawing shows.
    pub fn kind(&self) -> DrawingKind {
        self.kind
    }

    /// The error the catalog or the planner gives for the first cycle, when there is one: a
    /// drawing with a cycle is for finding it, not for deploying.
    pub fn cycle_error(&self) -> Option<&InputError> {
        self.cycle_error.as_ref()
    }

    /// The ids in each wave, each wave sorted by id. Nodes on a cycle or after one are in no
    /// wave.
    pub fn waves(&self) -> Vec<Vec<&str>> {
        let (waves, _) = self.by_wave();
        waves
            .iter()
            .map(|members| {
                let mut ids: Vec<&str> = members.iter().map(|&m| self.id(m)).collect();
                ids.sort_unstable();
                ids
            })
            .collect()
    }

    /// The ids on each cycle (every node of a strongly connected part), in the order listed.
    pub fn cycles(&self) -> Vec<Vec<&str>> {
        self.cycles
            .iter()
            .map(|c| c.iter().map(|&m| self.id(m)).collect())
            .collect()
    }

    fn id(&self, node: u32) -> &str {
        self.nodes.get(node as usize).map_or("", |n| n.id.as_str())
    }

    fn on_cycle(&self, node: u32) -> bool {
        self.cycle_of
            .get(node as usize)
            .copied()
            .flatten()
            .is_some()
    }

    fn edge_on_cycle(&self, e: &Edge) -> bool {
        let of = |n: u32| self.cycle_of.get(n as usize).copied().flatten();
        of(e.from).is_some() && of(e.from) == of(e.to)
    }

    /// The nodes of each wave in the order listed, then the nodes without a wave.
    fn by_wave(&self) -> (Vec<Vec<u32>>, Vec<u32>) {
        let mut waves: Vec<Vec<u32>> = Vec::new();
        let mut rest = Vec::new();
        for (i, wave) in (0u32..).zip(&self.waves) {
            match *wave {
                Some(w) => {
                    let w = w as usize;
                    if waves.len() <= w {
                        waves.resize_with(w + 1, Vec::new);
                    }
                    if let Some(list) = waves.get_mut(w) {
                        list.push(i);
                    }
                }
                None => rest.push(i),
            }
        }
        (waves, rest)
    }

    fn label_lines(&self, node: u32) -> (String, String) {
        let Some(n) = self.nodes.get(node as usize) else {
            return (String::new(), String::new());
        };
        let detail = match &n.detail {
            Detail::Tier(t) => format!("tier {t}"),
            Detail::Services(s) => format!("services: {}", s.join(", ")),
        };
        let detail = match (self.waves.get(node as usize), self.on_cycle(node)) {
            (_, true) => format!("{detail}, on a cycle"),
            (Some(None), false) => format!("{detail}, after a cycle"),
            _ => detail,
        };
        (n.id.clone(), detail)
    }

    /// Graphviz DOT: each wave a cluster labelled `wave N`; each node labelled with its id
    /// and its tier (a service) or services (a change); each edge from a node to what it
    /// comes after, labelled with why for a train. Cycles are red, the nodes after them
    /// dashed, and the graph's label names the cycles.
    pub fn to_dot(&self) -> String {
        let name = match self.kind {
            DrawingKind::Catalog => "catalog",
            DrawingKind::Train => "train",
        };
        let mut out = format!("digraph {name} {{\n  node [shape=box];\n");
        let (waves, rest) = self.by_wave();
        for (w, members) in waves.iter().enumerate() {
            let _ = writeln!(
                out,
                "  subgraph cluster_wave_{w} {{\n    label={};",
                dot_string(&format!("wave {w}"))
            );
            for &m in members {
                let _ = writeln!(out, "    {}", self.dot_node(m));
            }
            out.push_str("  }\n");
        }
        for &m in &rest {
            let _ = writeln!(out, "  {}", self.dot_node(m));
        }
        for e in &self.edges {
            let mut attrs = Vec::new();
            if let Some(because) = &e.because {
                attrs.push(format!("label={}", dot_string(because)));
            }
            if self.edge_on_cycle(e) {
                attrs.push("color=red, fontcolor=red, penwidth=2".to_string());
            }
            let attrs = if attrs.is_empty() {
                String::new()
            } else {
                format!(" [{}]", attrs.join(", "))
            };
            let _ = writeln!(
                out,
                "  {} -> {}{attrs};",
                dot_string(self.id(e.from)),
                dot_string(self.id(e.to))
            );
        }
        if !self.cycles.is_empty() {
            let _ = writeln!(
                out,
                "  label={};\n  labelloc=b;\n  fontcolor=red;",
                dot_string(&self.cycles_text())
            );
        }
        out.push_str("}\n");
        out
    }

    fn dot_node(&self, node: u32) -> String {
        let (id, detail) = self.label_lines(node);
        let mut text = format!(
            "{} [label={}",
            dot_string(&id),
            dot_string(&format!("{id}\n{detail}"))
        );
        if self.on_cycle(node) {
            text.push_str(", color=red, fontcolor=red, penwidth=2");
        } else if self.waves.get(node as usize) == Some(&None) {
            text.push_str(", style=dashed");
        }
        text.push_str("];");
        text
    }

    /// `cycle: a, b; cycle: c` (what the drawings' legends say).
    fn cycles_text(&self) -> String {
        self.cycles
            .iter()
            .map(|c| {
                let ids: Vec<&str> = c.iter().map(|&m| self.id(m)).collect();
                format!("cycle: {}", ids.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A Mermaid flowchart (`graph TD`): each wave a subgraph `wave N`; nodes `s0`, `s1`, ...
    /// (services) or `c0`, `c1`, ... (changes) in the order listed, labelled with id and tier
    /// or services; cycles in the class `cycle` (red) with their edges red, the nodes after
    /// them in the class `after_cycle` (dashed).
    pub fn to_mermaid(&self) -> String {
        let prefix = match self.kind {
            DrawingKind::Catalog => 's',
            DrawingKind::Train => 'c',
        };
        let mut out = String::from("graph TD\n");
        let (waves, rest) = self.by_wave();
        let node = |m: u32| {
            let (id, detail) = self.label_lines(m);
            let class = if self.on_cycle(m) {
                ":::cycle"
            } else if self.waves.get(m as usize) == Some(&None) {
                ":::after_cycle"
            } else {
                ""
            };
            format!(
                "{prefix}{m}[\"{}\"]{class}",
                mermaid_text(&format!("{id} ({detail})"))
            )
        };
        for (w, members) in waves.iter().enumerate() {
            let _ = writeln!(out, "  subgraph wave_{w} [\"wave {w}\"]");
            for &m in members {
                let _ = writeln!(out, "    {}", node(m));
            }
            out.push_str("  end\n");
        }
        for &m in &rest {
            let _ = writeln!(out, "  {}", node(m));
        }
        let mut red = Vec::new();
        for (k, e) in self.edges.iter().enumerate() {
            let label = match &e.because {
                Some(b) => format!("|\"{}\"|", mermaid_text(b)),
                None => String::new(),
            };
            let _ = writeln!(out, "  {prefix}{} -->{label} {prefix}{}", e.from, e.to);
            if self.edge_on_cycle(e) {
                red.push(k.to_string());
            }
        }
        if !self.cycles.is_empty() {
            out.push_str("  classDef cycle stroke:#d00,stroke-width:3px,color:#d00\n");
            out.push_str("  classDef after_cycle stroke-dasharray:5 5\n");
        }
        if !red.is_empty() {
            let _ = writeln!(
                out,
                "  linkStyle {} stroke:#d00,stroke-width:3px",
                red.join(",")
            );
        }
        out
    }

    /// JSON. A catalog: `{"services": [ids], "tiers": {id: tier}, "edges": [[service,
    /// dependency], ...], "waves": [[ids], ...], "cycles": [[ids], ...]}`. A train:
    /// `{"changes": [ids], "services": {id: [services]}, "edges": [{"from", "to", "because"}],
    /// "waves", "cycles"}`.
    pub fn to_json(&self) -> Value {
        let ids: Vec<&str> = self.nodes.iter().map(|n| n.id.as_str()).collect();
        let mut out = Map::new();
        match self.kind {
            DrawingKind::Catalog => {
                out.insert("services".into(), json!(ids));
                let tiers: Map<String, Value> = self
                    .nodes
                    .iter()
                    .filter_map(|n| match n.detail {
                        Detail::Tier(t) => Some((n.id.clone(), t.into())),
                        Detail::Services(_) => None,
                    })
                    .collect();
                out.insert("tiers".into(), tiers.into());
                let edges: Vec<[&str; 2]> = self
                    .edges
                    .iter()
                    .map(|e| [self.id(e.from), self.id(e.to)])
                    .collect();
                out.insert("edges".into(), json!(edges));
            }
            DrawingKind::Train => {
                out.insert("changes".into(), json!(ids));
                let services: Map<String, Value> = self
                    .nodes
                    .iter()
                    .filter_map(|n| match &n.detail {
                        Detail::Services(s) => Some((n.id.clone(), json!(s))),
                        Detail::Tier(_) => None,
                    })
                    .collect();
                out.insert("services".into(), services.into());
                let edges: Vec<Value> = self
                    .edges
                    .iter()
                    .map(|e| {
                        json!({"from": self.id(e.from), "to": self.id(e.to),
                            "because": e.because.as_deref().unwrap_or_default()})
                    })
                    .collect();
                out.insert("edges".into(), edges.into());
            }
        }
        out.insert("waves".into(), json!(self.waves()));
        out.insert("cycles".into(), json!(self.cycles()));
        out.into()
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

/// Text inside a quoted Mermaid label: characters Mermaid would read as markup (`%%` starts a
/// comment or a directive even inside quotes) become entity codes, control characters and line
/// breaks become spaces, and a space at either end becomes `#32;` (Mermaid trims labels).
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let last = text.chars().count().saturating_sub(1);
    for (k, c) in text.chars().enumerate() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '%' => out.push_str("#37;"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            c if c.is_whitespace() && (k == 0 || k == last) => {
                out.push_str(&format!("#{};", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}
