//! The service catalog compiled into a dependency graph: dependents, blast radius, waves.
//!
//! The catalog is read and checked once (unknown dependencies, duplicate ids, cycles), then
//! compiled into two compressed adjacency structures (petgraph `Csr`): "depends on" and its
//! reverse. A topological order and each service's wave are computed at that point, so the
//! per-decision work is a walk over the part of the graph a change touches.

mod drawing;
mod render;

pub use drawing::{Drawing, DrawingKind};

use std::collections::HashMap;
use std::sync::Arc;

use petgraph::csr::Csr;
use petgraph::visit::{Dfs, VisitMap, Visitable};
use serde_json::Value;

use crate::digest::CatalogPart;
use crate::error::{Error, InputError, did_you_mean};
use crate::input::fields::ServiceField;
use crate::input::{
    Format, Groups, JsonPath, Service, catalog_parts, got, parse_document, quoted,
    read_catalog_groups, read_input_file, read_service, unknown_field, unknown_group,
};
use crate::limits::Limits;

/// The keys of a catalog document.
const CATALOG_KEYS: [&str; 2] = ["services", "groups"];

/// Service indices are `u32`: the catalog refuses more services than that.
type Adjacency = Csr<(), (), petgraph::Directed, u32>;

/// A service catalog, compiled once and shared between evaluations.
///
/// It remembers, as a digest, the document it was read from (the whole document, as given):
/// each decision's `inputs` digest covers it.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(crate) services: Vec<Service>,
    /// Each service's id as decision text (`order` quotes them on every decision).
    ids: Vec<crate::decision::Text>,
    /// Every service's regions as decision text, one after the other; service `i`'s are
    /// `region_text[region_at[i]..region_at[i + 1]]` (the schedule quotes them).
    region_text: Vec<crate::decision::Text>,
    region_at: Vec<u32>,
    /// Whether each service's regions are sorted and unique (then a change touching only it
    /// has exactly those regions, and the decision borrows them).
    regions_sorted: Vec<bool>,
    /// Service id to index. foldhash: ids are looked up on every decision, and the keys are the
    /// operator's own catalog, so a fast non-cryptographic hash is safe.
    index: foldhash::HashMap<String, u32>,
    /// Edge `a -> b`: service `a` depends on service `b` (sorted, no duplicates).
    depends_on: Adjacency,
    /// Edge `b -> a`: service `a` depends on service `b`.
    dependents: Adjacency,
    /// Every service, dependencies before their dependents.
    topo_order: Vec<u32>,
    /// Position of each service in `topo_order`.
    topo_position: Vec<u32>,
    /// Each service's wave in the whole catalog: 0 without dependencies, else one more than
    /// its deepest dependency.
    wave: Vec<u32>,
    /// Whether any service has a key that is not a built-in field (found when read).
    has_extra: bool,
    /// Whether any service names `calendars` (found when read).
    has_calendars: bool,
    /// The check of those names against a policy's calendars, as `extra_checked`. See
    /// [`Catalog::check_calendars`].
    calendars_checked: std::sync::OnceLock<(u64, Option<InputError>)>,
    /// The check of those keys against a policy's `extend service` fields: the policy's id
    /// and the first unknown key's error. See [`Catalog::check_extra_fields`].
    extra_checked: std::sync::OnceLock<(u64, Option<InputError>)>,
    /// The catalog's part of every decision's `inputs` digest, hashed once when it is read:
    /// the SHA-256 state after `{"catalog":` and the catalog as given, in canonical form.
    inputs_part: Arc<CatalogPart>,
    /// `groups`: each group's members, for the groups that list them (SPEC 8.1).
    groups: Groups,
    /// The check of the group names against a policy's groups, as `extra_checked`. See
    /// [`Catalog::check_groups`].
    groups_checked: std::sync::OnceLock<(u64, Option<InputError>)>,
}

impl Catalog {
    /// Reads a catalog (`{"services": [...], "groups": {...}}`, `groups` optional); errors name
    /// the JSON path under `catalog` (`catalog.services[3].tier`, `catalog.groups.cab[1]`).
    pub fn from_json(value: &Value) -> Result<Catalog, InputError> {
        Catalog::from_json_at(value, "catalog")
    }

    /// Reads a catalog whose errors name the JSON path under `root`: with `root` set to
    /// `"request.catalog"`, a bad tier is reported at `request.catalog.services[3].tier`.
    pub fn from_json_at(value: &Value, root: &str) -> Result<Catalog, InputError> {
        let (services, groups) = Catalog::read_parts(value, root)?;
        let root = JsonPath::Root(root);
        Catalog::compile(
            services,
            groups,
            &root.key("services"),
            CatalogPart::of(value),
        )
    }

    /// A catalog document's services and groups, each read and checked alone (the checks
    /// across services come after).
    fn read_parts(value: &Value, root: &str) -> Result<(Vec<Service>, Groups), InputError> {
        let root = JsonPath::Root(root);
        let fields = match value {
            Value::Object(fields) => fields,
            other => {
                return Err(InputError::new(
                    root.to_string(),
                    format!("expected an object with \"services\", got {}", got(other)),
                ));
            }
        };
        // A misspelt `groups` would silently drop every membership check: only the known
        // keys are accepted.
        if let Some(key) = fields.keys().find(|k| !CATALOG_KEYS.contains(&k.as_str())) {
            return Err(unknown_field(&root, key, CATALOG_KEYS.into_iter()));
        }
        let list_path = root.key("services");
        let Some(list) = fields.get("services") else {
            return Err(InputError::new(
                list_path.to_string(),
                "required field is missing",
            ));
        };
        let Value::Array(items) = list else {
            return Err(InputError::new(
                list_path.to_string(),
                format!("expected a list of services, got {}", got(list)),
            ));
        };
        if u32::try_from(items.len()).is_err() {
            return Err(InputError::new(
                list_path.to_string(),
                "too many services (at most 4294967295)",
            ));
        }
        let services = items
            .iter()
            .enumerate()
            .map(|(i, item)| read_service(item, &list_path.index(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let groups = match fields.get("groups") {
            Some(g) => read_catalog_groups(g, &root.key("groups"))?,
            None => Groups::new(),
        };
        Ok((services, groups))
    }

    /// Reads a catalog from JSON or YAML text. JSON text is first read straight into services
    /// (no `Value` tree); a text that path does not accept is read again through the tree,
    /// which gives the precise error.
    pub fn from_text(text: &str, format: Format) -> Result<Catalog, InputError> {
        if format == Format::Json {
            if let Some((services, groups)) = catalog_parts(text) {
                // Read straight into services; the digest reads the text once more.
                let part = CatalogPart::of_text(text);
                let list = JsonPath::Root("catalog");
                return Catalog::compile(services, groups, &list.key("services"), part);
            }
        }
        Catalog::from_json(&parse_document(text, format, "catalog")?)
    }

    /// Reads a catalog file, JSON or YAML by its extension ([`Format::from_path`]). An error
    /// reading the file is an [`Error::Io`] naming it; errors in it name the path under
    /// `catalog`.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Catalog, Error> {
        Catalog::from_path_with(path, &Limits::default())
    }

    /// [`Catalog::from_path`] with other [`Limits`]: at most
    /// [`Limit::InputBytes`](crate::Limit::InputBytes) are read.
    pub fn from_path_with(
        path: impl AsRef<std::path::Path>,
        limits: &Limits,
    ) -> Result<Catalog, Error> {
        let (text, format) = read_input_file(path.as_ref(), limits)?;
        Ok(Catalog::from_text(&text, format)?)
    }

    /// Service id to index (ids unique), and every dependency edge `(service, dependency)`
    /// (dependencies known), in catalog order.
    #[allow(clippy::type_complexity)]
    fn index_and_edges(
        services: &[Service],
        list: &JsonPath,
    ) -> Result<(foldhash::HashMap<String, u32>, Vec<(u32, u32)>), InputError> {
        let mut index: foldhash::HashMap<String, u32> =
            foldhash::HashMap::with_capacity_and_hasher(services.len(), Default::default());
        for (i, s) in (0u32..).zip(services) {
            if let Some(first) = index.insert(s.id.clone(), i) {
                return Err(InputError::new(
                    format!("{list}[{i}].id"),
                    format!(
                        "duplicate service {} (first at {list}[{first}])",
                        quoted(&s.id)
                    ),
                ));
            }
        }
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for (i, s) in (0u32..).zip(services) {
            for (j, dep) in s.depends_on.iter().enumerate() {
                match index.get(dep) {
                    Some(&d) => edges.push((i, d)),
                    None => {
                        return Err(unknown_service(
                            format!("{list}[{i}].depends_on[{j}]"),
                            dep,
                            services,
                        ));
                    }
                }
            }
        }
        Ok((index, edges))
    }

    /// Checks and compiles services (ids unique, dependencies known, no cycle).
    /// `list` is where the services sit (`catalog.services`), for errors.
    fn compile(
        services: Vec<Service>,
        groups: Groups,
        list: &JsonPath,
        part: CatalogPart,
    ) -> Result<Catalog, InputError> {
        let (index, mut edges) = Catalog::index_and_edges(&services, list)?;
        let n = services.len();
        edges.sort_unstable();
        edges.dedup();
        let depends_on = adjacency(n, &edges, list)?;
        let mut reversed: Vec<(u32, u32)> = edges.iter().map(|&(a, b)| (b, a)).collect();
        reversed.sort_unstable();
        let dependents = adjacency(n, &reversed, list)?;

        let mut region_at = Vec::with_capacity(services.len() + 1);
        let mut region_text = Vec::new();
        for s in &services {
            region_at.push(u32::try_from(region_text.len()).unwrap_or(u32::MAX));
            region_text.extend(s.regions.iter().map(crate::decision::Text::new));
        }
        region_at.push(u32::try_from(region_text.len()).unwrap_or(u32::MAX));
        let regions_sorted = services
            .iter()
            .map(|s| s.regions.windows(2).all(|w| w[0] < w[1]))
            .collect();
        let has_extra = services.iter().any(|s| !s.extra.is_empty());
        let has_calendars = services.iter().any(|s| !s.calendars.is_empty());
        let mut catalog = Catalog {
            inputs_part: Arc::new(part),
            has_extra,
            has_calendars,
            calendars_checked: std::sync::OnceLock::new(),
            extra_checked: std::sync::OnceLock::new(),
            groups,
            groups_checked: std::sync::OnceLock::new(),
            regions_sorted,
            region_text,
            region_at,
            ids: services
                .iter()
                .map(|s| crate::decision::Text::new(&s.id))
                .collect(),
            services,
            index,
            depends_on,
            dependents,
            topo_order: Vec::new(),
            topo_position: Vec::new(),
            wave: Vec::new(),
        };
        catalog.order(list)?;
        Ok(catalog)
    }

    /// Kahn's algorithm over "depends on": fills the topological order and the waves, or
    /// names a cycle.
    fn order(&mut self, list: &JsonPath) -> Result<(), InputError> {
        let n = self.services.len();
        let mut waiting: Vec<u32> = (0..n).map(|i| self.dependency_count(i)).collect();
        let mut wave = vec![0u32; n];
        let mut topo: Vec<u32> = Vec::with_capacity(n);
        topo.extend(
            (0u32..)
                .zip(&waiting)
                .filter(|(_, w)| **w == 0)
                .map(|(i, _)| i),
        );
        let mut next = 0;
        while let Some(&done) = topo.get(next) {
            next += 1;
            let done_wave = wave.get(done as usize).copied().unwrap_or(0);
            for &user in self.dependents_of(done) {
                let u = user as usize;
                if let (Some(w), Some(left)) = (wave.get_mut(u), waiting.get_mut(u)) {
                    *w = (*w).max(done_wave + 1);
                    *left -= 1;
                    if *left == 0 {
                        topo.push(user);
                    }
                }
            }
        }
        if topo.len() < n {
            return Err(InputError::new(
                list.to_string(),
                format!("dependency cycle: {}", self.name_cycle(&waiting)),
            ));
        }
        let mut position = vec![0u32; n];
        for (pos, &s) in (0u32..).zip(&topo) {
            if let Some(p) = position.get_mut(s as usize) {
                *p = pos;
            }
        }
        self.topo_order = topo;
        self.topo_position = position;
        self.wave = wave;
        Ok(())
    }

    /// After Kahn's algorithm stalls, every service still waiting has a dependency that is
    /// also waiting; following those from the first one must close a loop. The cycle is
    /// named from its service listed first in the catalog.
    fn name_cycle(&self, waiting: &[u32]) -> String {
        let stuck = |s: u32| waiting.get(s as usize).is_some_and(|w| *w > 0);
        let Some(start) = (0u32..).zip(waiting).find(|(_, w)| **w > 0).map(|(i, _)| i) else {
            return String::new();
        };
        // Step on the dependencies in the order the catalog lists them.
        let step = |s: u32| -> Option<u32> {
            self.services
                .get(s as usize)?
                .depends_on
                .iter()
                .find_map(|d| {
                    let d = *self.index.get(d)?;
                    stuck(d).then_some(d)
                })
        };
        let mut seen_at: HashMap<u32, usize> = HashMap::new();
        let mut path: Vec<u32> = Vec::new();
        let mut at = start;
        while let std::collections::hash_map::Entry::Vacant(e) = seen_at.entry(at) {
            e.insert(path.len());
            path.push(at);
            match step(at) {
                Some(d) => at = d,
                None => break,
            }
        }
        let from = seen_at.get(&at).copied().unwrap_or(0);
        let mut cycle: Vec<u32> = path.get(from..).map(<[u32]>::to_vec).unwrap_or_default();
        if let Some(min_pos) = cycle
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| **s)
            .map(|(p, _)| p)
        {
            cycle.rotate_left(min_pos);
        }
        if let Some(&first) = cycle.first() {
            cycle.push(first);
        }
        cycle
            .iter()
            .map(|&s| self.id(s))
            .collect::<Vec<_>>()
            .join(" -> ")
    }

    fn dependency_count(&self, service: usize) -> u32 {
        u32::try_from(self.depends_on_of(service as u32).len()).unwrap_or(u32::MAX)
    }

    /// The direct dependencies of a service, by index (sorted).
    pub(crate) fn depends_on_of(&self, service: u32) -> &[u32] {
        if (service as usize) < self.depends_on.node_count() {
            self.depends_on.neighbors_slice(service)
        } else {
            &[]
        }
    }

    /// The services that directly depend on a service, by index (sorted).
    pub(crate) fn dependents_of(&self, service: u32) -> &[u32] {
        if (service as usize) < self.dependents.node_count() {
            self.dependents.neighbors_slice(service)
        } else {
            &[]
        }
    }

    fn id(&self, service: u32) -> &str {
        self.services
            .get(service as usize)
            .map_or("", |s| s.id.as_str())
    }

    /// The catalog's part of a decision's `inputs` digest.
    pub(crate) fn inputs_part(&self) -> &Arc<CatalogPart> {
        &self.inputs_part
    }

    /// The index of a service id.
    #[inline]
    pub(crate) fn index_of(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// Whether a service's regions are sorted and unique.
    pub(crate) fn regions_sorted(&self, idx: u32) -> bool {
        self.regions_sorted
            .get(idx as usize)
            .copied()
            .unwrap_or(false)
    }

    /// A service's regions as decision text, in the order of `Service::regions`.
    pub(crate) fn region_texts(&self, idx: u32) -> &[crate::decision::Text] {
        let at = |i: usize| self.region_at.get(i).map(|&a| a as usize);
        match (at(idx as usize), at(idx as usize + 1)) {
            (Some(from), Some(to)) => self.region_text.get(from..to).unwrap_or_default(),
            _ => &[],
        }
    }

    /// A service's id as decision text.
    pub(crate) fn id_text(&self, idx: u32) -> Option<&crate::decision::Text> {
        self.ids.get(idx as usize)
    }

    /// The service at an index.
    pub(crate) fn service(&self, idx: u32) -> Option<&Service> {
        self.services.get(idx as usize)
    }

    /// Checks that every key of every service (SPEC 8.8: the whole catalog, also services a
    /// change does not touch) is a built-in field or one of `declared`, the `extend service`
    /// fields of the policy whose id is `policy`; the error names the first unknown key.
    ///
    /// A decision must not cost O(catalog): a catalog with no key beyond the built-in fields
    /// (the common case) answers from a flag set when it was read, and otherwise the result
    /// is computed once and kept for the first policy that asks, by its id. A catalog shared
    /// by several policies is checked again for the others, each time (correct, not cached).
    pub(crate) fn check_extra_fields<'k, I>(
        &self,
        policy: u64,
        declared: impl Fn() -> I,
    ) -> Result<(), InputError>
    where
        I: Iterator<Item = &'k str> + Clone,
    {
        if !self.has_extra {
            return Ok(());
        }
        if let Some((id, found)) = self.extra_checked.get()
            && *id == policy
        {
            return found.clone().map_or(Ok(()), Err);
        }
        let found = self.first_unknown_field(&declared);
        // Another thread may have set it first: its result, for the same catalog, is kept.
        let _ = self.extra_checked.set((policy, found.clone()));
        found.map_or(Ok(()), Err)
    }

    /// The error for the first service key (in catalog order, then key order) that is neither
    /// built in nor declared.
    fn first_unknown_field<'k, I>(&self, declared: &impl Fn() -> I) -> Option<InputError>
    where
        I: Iterator<Item = &'k str> + Clone,
    {
        let list = JsonPath::Root("catalog");
        let list = list.key("services");
        for (i, s) in self.services.iter().enumerate() {
            for key in s.extra.keys() {
                if !declared().any(|d| d == key) {
                    let known = ServiceField::INPUT.iter().copied().chain(declared());
                    return Some(unknown_field(&list.index(i), key, known));
                }
            }
        }
        None
    }

    /// Checks that every group of the catalog's `groups` is one the policy whose id is
    /// `policy` knows (`known`): a member list under a misspelt name (`CAB`) would check no
    /// one. The error names the first unknown group (in name order), at `catalog.groups.NAME`.
    /// Cached per policy as [`Catalog::check_extra_fields`] is.
    pub(crate) fn check_groups<'k, I>(
        &self,
        policy: u64,
        known: impl Fn() -> I,
    ) -> Result<(), InputError>
    where
        I: Iterator<Item = &'k str> + Clone,
    {
        if self.groups.is_empty() {
            return Ok(());
        }
        if let Some((id, found)) = self.groups_checked.get()
            && *id == policy
        {
            return found.clone().map_or(Ok(()), Err);
        }
        let root = JsonPath::Root("catalog");
        let path = root.key("groups");
        let found = self
            .groups
            .keys()
            .find(|g| !known().any(|k| k == g.as_str()))
            .map(|g| unknown_group(path.key(g).to_string(), g, known()));
        let _ = self.groups_checked.set((policy, found.clone()));
        found.map_or(Ok(()), Err)
    }

    /// Checks that every calendar a service names in `calendars` is one the policy whose id
    /// is `policy` declares (`known`), in every service, also those a change does not touch
    /// (SPEC 8.8): a misspelt name would otherwise apply no calendar. The error is at
    /// `catalog.services[i].calendars[j]`, its message `unknown(name)`. Cached per policy as
    /// [`Catalog::check_extra_fields`] is.
    pub(crate) fn check_calendars(
        &self,
        policy: u64,
        known: impl Fn(&str) -> bool,
        unknown: impl Fn(&str) -> String,
    ) -> Result<(), InputError> {
        if !self.has_calendars {
            return Ok(());
        }
        if let Some((id, found)) = self.calendars_checked.get()
            && *id == policy
        {
            return found.clone().map_or(Ok(()), Err);
        }
        let found = self.services.iter().enumerate().find_map(|(i, s)| {
            let (j, name) = s.calendars.iter().enumerate().find(|(_, c)| !known(c))?;
            Some(InputError::new(
                format!("catalog.services[{i}].calendars[{j}]"),
                unknown(name),
            ))
        });
        let _ = self.calendars_checked.set((policy, found.clone()));
        found.map_or(Ok(()), Err)
    }

    /// The members of `group`, when the catalog lists them (`"groups": {"cab": [...]}`);
    /// `None` when it does not, and then anyone's approval in the group counts.
    pub fn members(&self, group: &str) -> Option<&[String]> {
        self.groups.get(group).map(Vec::as_slice)
    }

    /// The catalog's `groups`, as read.
    #[cfg(test)]
    pub(crate) fn groups(&self) -> &Groups {
        &self.groups
    }

    /// Every service, in the order of the catalog.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// How many services the catalog has.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// Whether the catalog has no service.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// The service with this id.
    pub fn get(&self, id: &str) -> Option<&Service> {
        self.index_of(id).and_then(|i| self.service(i))
    }

    /// Whether the catalog has a service with this id.
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// The ids of services given by index, in that order.
    fn ids_of(&self, services: &[u32]) -> Vec<&str> {
        services.iter().map(|&s| self.id(s)).collect()
    }

    /// The services that transitively depend on any of `ids` (the blast radius), without
    /// those, in catalog order. An id the catalog does not have, or one listed twice, is an
    /// error at `services[i]`.
    pub fn transitive_dependents<S: AsRef<str>>(&self, ids: &[S]) -> Result<Vec<&str>, InputError> {
        let seeds = self.services_from_ids(ids, "services")?;
        Ok(self.ids_of(&self.dependents(&seeds)))
    }

    /// The services any of `ids` transitively depends on, without those, in catalog order.
    /// Unknown or repeated ids are errors as in [`Catalog::transitive_dependents`].
    pub fn transitive_dependencies<S: AsRef<str>>(
        &self,
        ids: &[S],
    ) -> Result<Vec<&str>, InputError> {
        let seeds = self.services_from_ids(ids, "services")?;
        Ok(self.ids_of(&self.dependencies(&seeds)))
    }

    /// The services `ids` in deployment waves, dependencies first: a service goes in a later
    /// wave than every one of them it depends on, directly or through other services, and as
    /// early as that allows. Within a wave, sorted by id. Unknown or repeated ids are errors
    /// as in [`Catalog::transitive_dependents`].
    pub fn deployment_waves<S: AsRef<str>>(&self, ids: &[S]) -> Result<Vec<Vec<&str>>, InputError> {
        let touched = self.services_from_ids(ids, "services")?;
        Ok(self
            .waves(&touched)
            .iter()
            .map(|w| self.ids_of(w))
            .collect())
    }

    /// The whole catalog in deployment waves (the same rule as
    /// [`Catalog::deployment_waves`]).
    pub fn all_deployment_waves(&self) -> Vec<Vec<&str>> {
        self.catalog_waves()
            .iter()
            .map(|w| self.ids_of(w))
            .collect()
    }

    /// Resolves a change's service ids, in order; `path` is where the list sits
    /// (`change.services`), so an unknown id is reported as `change.services[1]`. Inline up to
    /// four services: every decision resolves its change's list.
    pub(crate) fn services_from_ids<S: AsRef<str>>(
        &self,
        ids: &[S],
        path: &str,
    ) -> Result<smallvec::SmallVec<[u32; 4]>, InputError> {
        let mut out = smallvec::SmallVec::with_capacity(ids.len());
        // Past a few services, where each was listed is kept by catalog index, so that a
        // long list is checked for repeats in linear time.
        let mut listed_at: Vec<u32> = Vec::new();
        if ids.len() > 8 {
            listed_at.resize(self.len(), u32::MAX);
        }
        for (i, id) in ids.iter().enumerate() {
            let id = id.as_ref();
            let Some(idx) = self.index_of(id) else {
                return Err(unknown_service(format!("{path}[{i}]"), id, &self.services));
            };
            let earlier = match listed_at.get_mut(idx as usize) {
                Some(at) if *at != u32::MAX => Some(*at as usize),
                Some(at) => {
                    *at = u32::try_from(i).unwrap_or(u32::MAX);
                    None
                }
                None => out.iter().position(|&o| o == idx),
            };
            if let Some(first) = earlier {
                return Err(InputError::new(
                    format!("{path}[{i}]"),
                    format!("{} is listed twice (also at {path}[{first}])", quoted(id)),
                ));
            }
            out.push(idx);
        }
        Ok(out)
    }

    /// Services that transitively depend on any seed, without the seeds, sorted by index.
    pub(crate) fn dependents(&self, seeds: &[u32]) -> Vec<u32> {
        self.reach(&self.dependents, seeds)
    }

    /// Services any seed transitively depends on, without the seeds, sorted by index.
    pub(crate) fn dependencies(&self, seeds: &[u32]) -> Vec<u32> {
        self.reach(&self.depends_on, seeds)
    }

    /// Everything reachable from the seeds in `graph`, minus the seeds, sorted.
    fn reach(&self, graph: &Adjacency, seeds: &[u32]) -> Vec<u32> {
        let n = graph.node_count();
        let starts: Vec<u32> = seeds
            .iter()
            .copied()
            .filter(|&s| (s as usize) < n)
            .collect();
        let mut is_seed = graph.visit_map();
        for &s in &starts {
            is_seed.visit(s);
        }
        let mut walk = Dfs::from_parts(starts, graph.visit_map());
        let mut out = Vec::new();
        while let Some(s) = walk.next(graph) {
            if !is_seed.is_visited(&s) {
                out.push(s);
            }
        }
        out.sort_unstable();
        out
    }

    /// The touched services in deployment waves, dependencies first: a touched service goes in
    /// a later wave than every touched service it depends on, directly or through untouched
    /// services, and as early as that allows. Within a wave, sorted by service id.
    pub(crate) fn waves(&self, touched: &[u32]) -> Vec<Vec<u32>> {
        if let Some(waves) = self.small_waves(touched) {
            return waves;
        }
        self.waves_by_region(touched)
    }

    /// [`Catalog::waves`] for a few touched services whose dependencies are few: a bounded
    /// walk below each touched service finds the touched ones it depends on, without
    /// allocating per-catalog visit maps. `None` when the walk would be large; the general
    /// form then decides.
    fn small_waves(&self, touched: &[u32]) -> Option<Vec<Vec<u32>>> {
        const MAX_TOUCHED: usize = 8;
        const MAX_WALK: usize = 64;
        let n = self.len();
        let mut members: smallvec::SmallVec<[u32; MAX_TOUCHED]> = smallvec::SmallVec::new();
        for &t in touched {
            if (t as usize) < n && !members.contains(&t) {
                if members.len() == MAX_TOUCHED {
                    return None;
                }
                members.push(t);
            }
        }
        let position = |s: u32| self.topo_position.get(s as usize).copied().unwrap_or(0);
        // Dependencies come first in the topological order: from each member in that order,
        // the members it depends on are settled before it.
        members.sort_unstable_by_key(|&s| position(s));
        let lowest = members.first().map_or(0, |&s| position(s));
        let mut wave: smallvec::SmallVec<[u32; MAX_TOUCHED]> = smallvec::SmallVec::new();
        let mut seen: smallvec::SmallVec<[u32; MAX_WALK]> = smallvec::SmallVec::new();
        let mut stack: smallvec::SmallVec<[u32; MAX_WALK]> = smallvec::SmallVec::new();
        for (k, &m) in members.iter().enumerate() {
            // The deepest wave among the earlier members that `m` transitively depends on.
            let mut below: Option<u32> = None;
            seen.clear();
            stack.clear();
            stack.push(m);
            while let Some(s) = stack.pop() {
                for &d in self.depends_on_of(s) {
                    // Nothing under the lowest member can lead to one.
                    if position(d) < lowest || seen.contains(&d) {
                        continue;
                    }
                    if seen.len() == MAX_WALK {
                        return None;
                    }
                    seen.push(d);
                    stack.push(d);
                    if let Some(j) = members
                        .get(..k)
                        .and_then(|e| e.iter().position(|&x| x == d))
                    {
                        let w = wave.get(j).copied().unwrap_or(0);
                        below = Some(below.map_or(w, |b| b.max(w)));
                    }
                }
            }
            wave.push(below.map_or(0, |b| b + 1));
        }
        Some(self.group_waves(members.iter().copied().zip(wave).collect()))
    }

    /// [`Catalog::waves`] over the region below the touched services, for any size.
    fn waves_by_region(&self, touched: &[u32]) -> Vec<Vec<u32>> {
        let n = self.len();
        let mut is_touched = self.depends_on.visit_map();
        let mut members: Vec<u32> = Vec::with_capacity(touched.len());
        for &t in touched {
            if (t as usize) < n && is_touched.visit(t) {
                members.push(t);
            }
        }
        if members.len() <= 1 {
            return if members.is_empty() {
                Vec::new()
            } else {
                vec![members]
            };
        }
        // Everything the touched services depend on, as (topological position, service),
        // sorted, so each service is settled after all its dependencies.
        let position = |s: u32| self.topo_position.get(s as usize).copied().unwrap_or(0);
        let mut region: Vec<(u32, u32)> = members.iter().map(|&s| (position(s), s)).collect();
        region.extend(
            self.dependencies(&members)
                .into_iter()
                .map(|s| (position(s), s)),
        );
        region.sort_unstable();
        // For each service of the region: the deepest wave of a touched service at or below
        // it (`None` when there is none).
        let mut deepest: Vec<Option<u32>> = vec![None; region.len()];
        let mut wave_of: Vec<(u32, u32)> = Vec::with_capacity(members.len());
        for (k, &(_, s)) in region.iter().enumerate() {
            let below = self
                .depends_on_of(s)
                .iter()
                .filter_map(|&d| {
                    let at = region.binary_search(&(position(d), d)).ok()?;
                    deepest.get(at).copied().flatten()
                })
                .max();
            let here = if is_touched.is_visited(&s) {
                let w = below.map_or(0, |b| b + 1);
                wave_of.push((s, w));
                Some(w)
            } else {
                below
            };
            if let Some(slot) = deepest.get_mut(k) {
                *slot = here;
            }
        }
        self.group_waves(wave_of)
    }

    /// The whole catalog in deployment waves (same rule as [`Catalog::waves`]).
    pub(crate) fn catalog_waves(&self) -> Vec<Vec<u32>> {
        self.group_waves((0u32..).zip(self.wave.iter().copied()).collect())
    }

    /// `(service, wave)` pairs into waves, each sorted by service id.
    fn group_waves(&self, mut wave_of: Vec<(u32, u32)>) -> Vec<Vec<u32>> {
        wave_of.sort_unstable_by(|a, b| a.1.cmp(&b.1).then_with(|| self.id(a.0).cmp(self.id(b.0))));
        let mut waves: Vec<Vec<u32>> = Vec::new();
        let mut current = None;
        for (s, w) in wave_of {
            if current != Some(w) {
                waves.push(Vec::new());
                current = Some(w);
            }
            if let Some(last) = waves.last_mut() {
                last.push(s);
            }
        }
        waves
    }

    /// Each service's wave in the whole catalog (0 for services without dependencies).
    #[allow(dead_code)]
    pub(crate) fn catalog_wave_of(&self, service: u32) -> Option<u32> {
        self.wave.get(service as usize).copied()
    }
}

/// A `Csr` over `n` nodes from edges sorted by (source, target) without duplicates.
fn adjacency(n: usize, edges: &[(u32, u32)], list: &JsonPath) -> Result<Adjacency, InputError> {
    // `from_sorted_edges` sizes the graph by the largest index it sees; services after that
    // (without edges) are added one by one.
    let mut graph = Adjacency::from_sorted_edges(edges).map_err(|e| {
        InputError::new(
            list.to_string(),
            format!("internal error: dependency edges out of order: {e:?}"),
        )
    })?;
    while graph.node_count() < n {
        graph.add_node(());
    }
    Ok(graph)
}

fn unknown_service(path: String, id: &str, services: &[Service]) -> InputError {
    let mut message = format!("unknown service {}", quoted(id));
    if let Some(help) = did_you_mean(id, services.iter().map(|s| s.id.as_str())) {
        message.push_str(&format!(" ({help})"));
    }
    InputError::new(path, message)
}

#[cfg(test)]
mod tests;

/// Kahn's algorithm over `n` nodes where `deps(i)` lists the nodes `i` comes after: each
/// node's wave, 0 without any, else one more than its deepest; `None` for a node that can
/// never be ordered (on a cycle, or after one). Repeated entries in `deps` are allowed.
pub(crate) fn layers<F, I>(n: usize, deps: F) -> Vec<Option<u32>>
where
    F: Fn(usize) -> I,
    I: Iterator<Item = usize>,
{
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut missing: Vec<usize> = vec![0; n];
    for i in 0..n {
        for d in deps(i) {
            if let (Some(u), Some(m)) = (users.get_mut(d), missing.get_mut(i)) {
                u.push(i);
                *m += 1;
            }
        }
    }
    let mut wave: Vec<Option<u32>> = vec![None; n];
    let mut depth: Vec<u32> = vec![0; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| missing.get(i) == Some(&0)).collect();
    while let Some(done) = ready.pop() {
        let w = depth.get(done).copied().unwrap_or_default();
        if let Some(slot) = wave.get_mut(done) {
            *slot = Some(w);
        }
        for &u in users.get(done).map(Vec::as_slice).unwrap_or_default() {
            if let (Some(d), Some(m)) = (depth.get_mut(u), missing.get_mut(u)) {
                *d = (*d).max(w + 1);
                *m -= 1;
                if *m == 0 {
                    ready.push(u);
                }
            }
        }
    }
    wave
}
