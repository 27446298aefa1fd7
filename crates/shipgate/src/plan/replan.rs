//! Replanning: an earlier plan read back ([`PreviousPlan`]) and compared with a new one
//! ([`Replan`]), so that a delay announced to stakeholders is followed by a correction
//! (SPEC 8.4 and 8.8; `docs/planning.md`).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::{Plan, rfc3339};
use crate::error::{InputError, quoted};
use crate::input::{Format, parse_document};
use crate::time::{Instant, parse_instant};

/// The keys of a planned run in plan JSON.
const RUN_KEYS: &[&str] = &[
    "id", "region", "start", "end", "wave", "regions", "services", "notify",
];
/// The keys of an unschedulable entry in plan JSON.
const UNSCHEDULABLE_KEYS: &[&str] = &["id", "reason", "notify"];
/// The keys of plan JSON: its own, and those a replanned plan adds (read past, not compared).
const PLAN_KEYS: &[&str] = &[
    "changes",
    "unschedulable",
    "moved",
    "cancelled",
    "newly_unschedulable",
    "newly_planned",
];

/// One run of an earlier plan, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    id: String,
    /// The region, for a region of a `per_region` rollout.
    region: Option<String>,
    start: Instant,
    end: Instant,
    /// Whom it said to tell; `None` for a plan written before plans carried `notify`.
    notify: Option<Vec<String>>,
    /// Where the entry is in the earlier plan (`previous.changes[3]`), for warnings.
    path: String,
}

/// An unschedulable change of an earlier plan: id, audiences (`None` when not written), path.
type Refused = (String, Option<Vec<String>>, String);

/// An earlier plan read back from its JSON (the output of `shipgate plan --format json`,
/// possibly itself a replan), to compare a new plan with ([`crate::Engine::replan`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreviousPlan {
    /// The planned runs, in the order given.
    runs: Vec<Run>,
    /// The unschedulable changes.
    unschedulable: Vec<Refused>,
}

impl PreviousPlan {
    /// Reads plan JSON; errors name the JSON path under `previous` (`previous.changes[2].end`).
    /// Unknown keys are errors (a misspelt key would otherwise be read as missing); the keys
    /// a replan adds (`moved`, ...) are read past.
    pub fn from_json(value: &Value) -> Result<PreviousPlan, InputError> {
        PreviousPlan::from_json_at(value, "previous")
    }

    /// [`PreviousPlan::from_json`] with errors under `root` instead of `previous`.
    pub fn from_json_at(value: &Value, root: &str) -> Result<PreviousPlan, InputError> {
        let fields = object(value, root, "a plan: an object with \"changes\"")?;
        only_keys(fields, root, PLAN_KEYS)?;
        let Some(list) = fields.get("changes") else {
            return Err(InputError::new(
                root,
                "expected a plan: an object with \"changes\" (the output of `plan --format json`)",
            ));
        };
        let at = format!("{root}.changes");
        let mut runs = Vec::new();
        let mut keys: HashMap<(String, Option<String>), String> = HashMap::new();
        for (i, item) in array(list, &at)?.iter().enumerate() {
            let path = format!("{at}[{i}]");
            let entry = object(item, &path, "a planned run")?;
            only_keys(entry, &path, RUN_KEYS)?;
            let id = string(entry, &path, "id")?
                .ok_or_else(|| missing(&path, "id"))?
                .to_string();
            let region = string(entry, &path, "region")?.map(str::to_string);
            let start = instant(entry, &path, "start")?;
            let end = instant(entry, &path, "end")?;
            if end < start {
                return Err(InputError::new(
                    format!("{path}.end"),
                    "the run ends before it starts",
                ));
            }
            if let Some(wave) = entry.get("wave") {
                if !wave.is_u64() {
                    return Err(InputError::new(
                        format!("{path}.wave"),
                        "expected a wave: a whole number from 0",
                    ));
                }
            }
            strings(entry, &path, "regions")?;
            strings(entry, &path, "services")?;
            let notify = strings(entry, &path, "notify")?;
            if let Some(first) = keys.insert((id.clone(), region.clone()), path.clone()) {
                return Err(InputError::new(
                    format!("{path}.id"),
                    format!(
                        "change {}{} is planned twice (also at {first})",
                        quoted(&id),
                        region
                            .as_deref()
                            .map(|r| format!(" in region {}", quoted(r)))
                            .unwrap_or_default()
                    ),
                ));
            }
            runs.push(Run {
                id,
                region,
                start,
                end,
                notify,
                path,
            });
        }
        let planned: HashSet<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        let mut unschedulable = Vec::new();
        if let Some(list) = fields.get("unschedulable") {
            let at = format!("{root}.unschedulable");
            let mut seen: HashSet<String> = HashSet::new();
            for (i, item) in array(list, &at)?.iter().enumerate() {
                let path = format!("{at}[{i}]");
                let entry = object(item, &path, "an unschedulable change")?;
                only_keys(entry, &path, UNSCHEDULABLE_KEYS)?;
                let id = string(entry, &path, "id")?
                    .ok_or_else(|| missing(&path, "id"))?
                    .to_string();
                string(entry, &path, "reason")?;
                if planned.contains(id.as_str()) || !seen.insert(id.clone()) {
                    return Err(InputError::new(
                        format!("{path}.id"),
                        format!(
                            "change {} is listed twice (planned or unschedulable already)",
                            quoted(&id)
                        ),
                    ));
                }
                let notify = strings(entry, &path, "notify")?;
                unschedulable.push((id, notify, path));
            }
        }
        Ok(PreviousPlan {
            runs,
            unschedulable,
        })
    }

    /// Reads plan JSON (or YAML) text; see [`PreviousPlan::from_json`]. Read the text within
    /// the input size limit first ([`crate::read_input_text`]), as for any input.
    pub fn from_text(text: &str, format: Format) -> Result<PreviousPlan, InputError> {
        PreviousPlan::from_json(&parse_document(text, format, "previous")?)
    }

    /// How many runs the earlier plan had.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The ids of the changes the earlier plan could not schedule, in its order.
    pub fn unschedulable(&self) -> Vec<&str> {
        self.unschedulable
            .iter()
            .map(|(id, _, _)| id.as_str())
            .collect()
    }
}

fn object<'v>(
    value: &'v Value,
    path: &str,
    what: &str,
) -> Result<&'v serde_json::Map<String, Value>, InputError> {
    value
        .as_object()
        .ok_or_else(|| InputError::new(path, format!("expected {what}, found {}", kind(value))))
}

fn array<'v>(value: &'v Value, path: &str) -> Result<&'v [Value], InputError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| InputError::new(path, format!("expected a list, found {}", kind(value))))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn missing(path: &str, key: &str) -> InputError {
    InputError::new(path, format!("missing {}", quoted(key)))
}

fn only_keys(
    fields: &serde_json::Map<String, Value>,
    path: &str,
    known: &[&str],
) -> Result<(), InputError> {
    // Sorted, so that the error names the same key whatever the map's order.
    let mut unknown: Vec<&String> = fields
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    unknown.sort();
    match unknown.first() {
        None => Ok(()),
        Some(key) => Err(InputError::new(
            format!("{path}.{key}"),
            format!(
                "unknown key {} (expected one of: {})",
                quoted(key),
                known.join(", ")
            ),
        )),
    }
}

fn string<'v>(
    fields: &'v serde_json::Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<&'v str>, InputError> {
    match fields.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(InputError::new(
            format!("{path}.{key}"),
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

fn strings(
    fields: &serde_json::Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<Vec<String>>, InputError> {
    let Some(value) = fields.get(key) else {
        return Ok(None);
    };
    let at = format!("{path}.{key}");
    array(value, &at)?
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(InputError::new(
                format!("{at}[{i}]"),
                format!("expected a string, found {}", kind(other)),
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn instant(
    fields: &serde_json::Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Instant, InputError> {
    let text = string(fields, path, key)?.ok_or_else(|| missing(path, key))?;
    parse_instant(text).map_err(|e| InputError::new(format!("{path}.{key}"), e))
}

/// What changed since an earlier plan (SPEC 8.8), each entry with the audiences to tell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Replan {
    /// Runs planned in both whose start or end differs, in the new plan's order.
    pub moved: Vec<Moved>,
    /// Changes of the earlier plan no longer in the train (by id), and runs of a change still
    /// planned that the new plan no longer has (a region dropped; with `region`).
    pub cancelled: Vec<Cancelled>,
    /// Changes unschedulable now that were planned before, or not in the earlier plan, by id.
    pub newly_unschedulable: Vec<NewlyUnschedulable>,
    /// Runs planned now that the earlier plan did not have: a change that was unschedulable,
    /// a new change, a new region; in the new plan's order.
    pub newly_planned: Vec<NewlyPlanned>,
    /// Things people should know about the comparison itself: an earlier entry without
    /// `notify`, told to the policy's unconditional audiences instead.
    pub warnings: Vec<String>,
}

/// A run that moved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Moved {
    /// The change's id.
    pub id: String,
    /// The region, for a region of a `per_region` rollout.
    pub region: Option<String>,
    /// The earlier `[start, end)`.
    pub from: (Instant, Instant),
    /// The new `[start, end)`.
    pub to: (Instant, Instant),
    /// Whom to tell: the new run's audiences.
    pub notify: Vec<String>,
}

/// A change, or a run of one, no longer planned because it left the train.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cancelled {
    /// The change's id.
    pub id: String,
    /// The region of a run dropped from a change still planned; `None` for a whole change.
    pub region: Option<String>,
    /// Whom to tell: the audiences the earlier plan recorded.
    pub notify: Vec<String>,
}

/// A change that cannot be planned now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewlyUnschedulable {
    /// The change's id.
    pub id: String,
    /// Why, as in [`Plan::unschedulable`].
    pub reason: String,
    /// Whom to tell: the change's audiences now.
    pub notify: Vec<String>,
}

/// A run planned now that the earlier plan did not have.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewlyPlanned {
    /// The change's id.
    pub id: String,
    /// The region, for a region of a `per_region` rollout.
    pub region: Option<String>,
    /// Its `[start, end)`.
    pub to: (Instant, Instant),
    /// Whom to tell: the run's audiences.
    pub notify: Vec<String>,
}

/// `{"start", "end"}`, in that order.
struct Span(Instant, Instant);

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("start", &rfc3339(self.0))?;
        m.serialize_entry("end", &rfc3339(self.1))?;
        m.end()
    }
}

fn span<S: SerializeMap>(
    m: &mut S,
    key: &str,
    (start, end): (Instant, Instant),
) -> Result<(), S::Error> {
    m.serialize_entry(key, &Span(start, end))
}

/// The four keys a replan adds to plan JSON (not the warnings, which are for people).
impl Serialize for Replan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("moved", &self.moved)?;
        m.serialize_entry("cancelled", &self.cancelled)?;
        m.serialize_entry("newly_unschedulable", &self.newly_unschedulable)?;
        m.serialize_entry("newly_planned", &self.newly_planned)?;
        m.end()
    }
}

impl Serialize for Moved {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        if let Some(region) = &self.region {
            m.serialize_entry("region", region)?;
        }
        span(&mut m, "from", self.from)?;
        span(&mut m, "to", self.to)?;
        m.serialize_entry("notify", &self.notify)?;
        m.end()
    }
}

impl Serialize for Cancelled {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        if let Some(region) = &self.region {
            m.serialize_entry("region", region)?;
        }
        m.serialize_entry("notify", &self.notify)?;
        m.end()
    }
}

impl Serialize for NewlyUnschedulable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("reason", &self.reason)?;
        m.serialize_entry("notify", &self.notify)?;
        m.end()
    }
}

impl Serialize for NewlyPlanned {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        if let Some(region) = &self.region {
            m.serialize_entry("region", region)?;
        }
        span(&mut m, "to", self.to)?;
        m.serialize_entry("notify", &self.notify)?;
        m.end()
    }
}

/// Appends the audiences in `more` that `into` does not have yet, in their order.
fn union(into: &mut Vec<String>, more: &[String]) {
    for a in more {
        if !into.contains(a) {
            into.push(a.clone());
        }
    }
}

/// Compares `plan` with `previous`. `fallback` is whom to tell about a cancelled entry that
/// recorded no audiences (the policy's unconditional ones), with what the warning says of it.
pub(crate) fn compare(plan: &Plan, previous: &PreviousPlan, fallback: &[String]) -> Replan {
    let mut out = Replan::default();
    let now_planned: HashSet<&str> = plan.changes.iter().map(|c| c.id.as_str()).collect();
    let now_unschedulable: HashSet<&str> =
        plan.unschedulable.iter().map(|u| u.id.as_str()).collect();
    let now_runs: HashSet<(&str, Option<&str>)> = plan
        .changes
        .iter()
        .map(|c| (c.id.as_str(), c.region.as_deref()))
        .collect();
    let before: HashMap<(&str, Option<&str>), &Run> = previous
        .runs
        .iter()
        .map(|r| ((r.id.as_str(), r.region.as_deref()), r))
        .collect();
    let was_unschedulable: HashSet<&str> = previous
        .unschedulable
        .iter()
        .map(|(id, _, _)| id.as_str())
        .collect();

    let warn = |out: &mut Replan, path: &str, id: &str| -> Vec<String> {
        out.warnings.push(format!(
            "{path}: the earlier plan records no \"notify\" for change {} (a plan written \
             before plans carried it): telling the policy's unconditional audiences ({})",
            quoted(id),
            if fallback.is_empty() {
                "none: tell its owners yourself".to_string()
            } else {
                fallback.join(", ")
            }
        ));
        fallback.to_vec()
    };

    for c in &plan.changes {
        match before.get(&(c.id.as_str(), c.region.as_deref())) {
            Some(r) if (r.start, r.end) != (c.start, c.end) => out.moved.push(Moved {
                id: c.id.clone(),
                region: c.region.clone(),
                from: (r.start, r.end),
                to: (c.start, c.end),
                notify: c.notify.clone(),
            }),
            Some(_) => {}
            None => out.newly_planned.push(NewlyPlanned {
                id: c.id.clone(),
                region: c.region.clone(),
                to: (c.start, c.end),
                notify: c.notify.clone(),
            }),
        }
    }

    // Cancelled: whole changes that left the train (one entry each, the audiences of all its
    // earlier entries), then runs dropped from a change still planned; by id, then the earlier
    // plan's order.
    let mut gone: BTreeMap<&str, (Option<Vec<String>>, Vec<&str>)> = BTreeMap::new();
    let mut dropped: Vec<Cancelled> = Vec::new();
    for r in &previous.runs {
        let id = r.id.as_str();
        if now_unschedulable.contains(id) {
            continue; // told as newly unschedulable
        }
        if now_planned.contains(id) {
            if !now_runs.contains(&(id, r.region.as_deref())) {
                let notify = match &r.notify {
                    Some(n) => n.clone(),
                    None => warn(&mut out, &r.path, id),
                };
                dropped.push(Cancelled {
                    id: r.id.clone(),
                    region: r.region.clone(),
                    notify,
                });
            }
            continue;
        }
        let e = gone.entry(id).or_insert((Some(Vec::new()), Vec::new()));
        match (&mut e.0, &r.notify) {
            (Some(into), Some(n)) => union(into, n),
            (known, None) => {
                *known = None;
                e.1.push(r.path.as_str());
            }
            (None, Some(_)) => {}
        }
    }
    for (id, notify, path) in &previous.unschedulable {
        if now_planned.contains(id.as_str()) || now_unschedulable.contains(id.as_str()) {
            continue;
        }
        let e = gone
            .entry(id.as_str())
            .or_insert((Some(Vec::new()), Vec::new()));
        match (&mut e.0, notify) {
            (Some(into), Some(n)) => union(into, n),
            (known, None) => {
                *known = None;
                e.1.push(path.as_str());
            }
            (None, Some(_)) => {}
        }
    }
    for (id, (notify, paths)) in gone {
        let notify = match notify {
            Some(n) => n,
            None => {
                let path = paths.first().copied().unwrap_or_default();
                warn(&mut out, path, id)
            }
        };
        out.cancelled.push(Cancelled {
            id: id.to_string(),
            region: None,
            notify,
        });
    }
    dropped.sort_by(|a, b| a.id.cmp(&b.id));
    out.cancelled.extend(dropped);

    for u in &plan.unschedulable {
        if !was_unschedulable.contains(u.id.as_str()) {
            out.newly_unschedulable.push(NewlyUnschedulable {
                id: u.id.clone(),
                reason: u.reason.clone(),
                notify: u.notify.clone(),
            });
        }
    }
    out
}
