//! The catalog's dependency graph as Graphviz DOT, Mermaid and JSON (for `shipgate graph`),
//! written by its [`Drawing`].

use serde_json::Value;

use super::{Catalog, Drawing};

impl Catalog {
    /// Every dependency edge `(service, dependency)`, in catalog order.
    pub(crate) fn edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0u32..)
            .take(self.len())
            .flat_map(move |s| self.depends_on_of(s).iter().map(move |&d| (s, d)))
    }

    /// Graphviz DOT of the catalog's [`Drawing`]: a cluster per wave, one node per service
    /// labelled with its id and tier, one edge from each service to each of its dependencies.
    pub fn to_dot(&self) -> String {
        Drawing::of_catalog(self).to_dot()
    }

    /// A Mermaid flowchart (`graph TD`) of the catalog's [`Drawing`]: a subgraph per wave,
    /// nodes `s0`, `s1`, ... in catalog order, labelled with id and tier.
    pub fn to_mermaid(&self) -> String {
        Drawing::of_catalog(self).to_mermaid()
    }

    /// `{"services": [ids], "tiers": {id: tier}, "edges": [[from, to], ...], "waves": [[ids],
    /// ...], "cycles": []}`.
    pub fn to_graph_json(&self) -> Value {
        Drawing::of_catalog(self).to_json()
    }
}
