//! The changes already scheduled (`check --scheduled F`, SPEC 8.4 and 8.8): a plan JSON as
//! `plan --format json` writes it, or a list of `{"id", "services", "start", "end"}`. A decision
//! given them lists the ones that conflict with its change (`eval::conflicts`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::{
    Format, Instant, JsonPath, Read, Record, expected, parse_document, quoted, read_input_file,
    read_instant, read_int, read_list, read_non_empty_id, read_string, read_string_list,
    read_unique_ids,
};
use crate::error::{Error, InputError};
use crate::limits::Limits;

/// The most runs a schedule may hold (entries of a plan's `changes`, or of a list); a larger
/// one is an input error. Each decision looks only at the runs on its services and their
/// direct neighbours, through an index by service.
pub const MAX_SCHEDULED_RUNS: usize = 100_000;

/// The keys of an entry of the list form; any other is an error (a misspelt key must not drop
/// a run).
const LIST_KEYS: &[&str] = &["id", "services", "start", "end"];

/// Changes already scheduled, read from a plan JSON or a list of runs (SPEC 8.4); see
/// [`crate::Engine::evaluate_scheduled`] and `docs/planning.md` ("Conflicts").
#[derive(Clone)]
pub struct Scheduled {
    runs: Vec<ScheduledRun>,
    /// The runs touching each service, by index into `runs`.
    by_service: HashMap<String, Vec<u32>>,
    /// The document as given, in RFC 8785 canonical form, for the decision's `inputs` digest;
    /// `None` for the planner's own runs (never digested).
    pub(crate) canonical: Option<Arc<str>>,
}

impl std::fmt::Debug for Scheduled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduled")
            .field("runs", &self.runs)
            .finish_non_exhaustive()
    }
}

/// One scheduled run: a whole change, or one region of a `per_region` rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScheduledRun {
    /// The change's id.
    pub id: String,
    /// The run's region, for a plan's per-region entry; `None` otherwise.
    pub region: Option<String>,
    /// The services it touches, as given.
    pub services: Vec<String>,
    /// When it starts.
    pub start: Instant,
    /// When it ends (not before `start`).
    pub end: Instant,
    /// Where it was given (`scheduled.changes[2]`, `scheduled[0]`), for errors.
    pub(crate) path: String,
}

impl Scheduled {
    /// Reads a schedule from its JSON form; errors name the path under `scheduled`
    /// (`scheduled.changes[2].start`, `scheduled[0].services`).
    ///
    /// An object is a plan: its `changes` are the runs (each `{"id", "services", "start",
    /// "end"}`, and a plan's other keys such as `region`, `wave` and `regions` are accepted),
    /// its other keys (`unschedulable`, `moved`, ...) are not read. A list is the list form:
    /// each entry has exactly `id`, `services`, `start` and `end`.
    pub fn from_json(value: &Value) -> Result<Scheduled, InputError> {
        Scheduled::from_json_at(value, "scheduled")
    }

    /// [`Scheduled::from_json`] with errors under `root` instead of `scheduled`.
    pub fn from_json_at(value: &Value, root: &str) -> Result<Scheduled, InputError> {
        let root = JsonPath::Root(root);
        let mut scheduled = Scheduled::default();
        match value {
            Value::Array(items) => {
                check_count(items, &root)?;
                for (i, item) in items.iter().enumerate() {
                    let path = root.index(i);
                    Record::new(item, &path)?.deny_unknown(LIST_KEYS)?;
                    scheduled.push(read_run(item, &path)?);
                }
            }
            Value::Object(fields) => {
                let Some(list) = fields.get("changes") else {
                    return Err(InputError::new(
                        root.key("changes").to_string(),
                        "required field is missing (a plan has \"changes\"; or give a list of \
                         {\"id\", \"services\", \"start\", \"end\"})",
                    ));
                };
                let path = root.key("changes");
                let items = read_list(list, &path, "planned changes")?;
                check_count(items, &path)?;
                for (i, item) in items.iter().enumerate() {
                    scheduled.push(read_run(item, &path.index(i))?);
                }
            }
            other => {
                return Err(expected(
                    &root,
                    "a plan (an object with \"changes\") or a list of {\"id\", \"services\", \
                     \"start\", \"end\"}",
                    other,
                ));
            }
        }
        let mut out = Vec::new();
        crate::digest::write_canonical(value, &mut out)
            .and_then(|()| String::from_utf8(out).map_err(|e| e.to_string()))
            .map(|text| scheduled.canonical = Some(text.into()))
            .map_err(|why| InputError::new(root.to_string(), why))?;
        Ok(scheduled)
    }

    /// Reads a schedule from JSON or YAML text; see [`Scheduled::from_json`].
    pub fn from_text(text: &str, format: Format) -> Result<Scheduled, InputError> {
        Scheduled::from_json(&parse_document(text, format, "scheduled")?)
    }

    /// Reads a schedule file, JSON or YAML by its extension; see [`Scheduled::from_json`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Scheduled, Error> {
        Scheduled::from_path_with(path, &Limits::default())
    }

    /// [`Scheduled::from_path`] with other [`Limits`]: at most `Limit::InputBytes` are read.
    pub fn from_path_with(path: impl AsRef<Path>, limits: &Limits) -> Result<Scheduled, Error> {
        let (text, format) = read_input_file(path.as_ref(), limits)?;
        Ok(Scheduled::from_text(&text, format)?)
    }

    /// The runs, in the order given.
    pub fn runs(&self) -> &[ScheduledRun] {
        &self.runs
    }

    /// How many runs there are.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Adds a run (the planner adds the runs it has placed).
    pub(crate) fn push(&mut self, run: ScheduledRun) {
        let k = u32::try_from(self.runs.len()).unwrap_or(u32::MAX);
        for s in &run.services {
            self.by_service.entry(s.clone()).or_default().push(k);
        }
        self.runs.push(run);
    }

    /// The runs touching `service`, by index into [`Scheduled::runs`].
    pub(crate) fn on_service(&self, service: &str) -> &[u32] {
        self.by_service.get(service).map_or(&[], Vec::as_slice)
    }
}

impl Default for Scheduled {
    /// No run: every change has no conflict.
    fn default() -> Scheduled {
        Scheduled {
            runs: Vec::new(),
            by_service: HashMap::new(),
            canonical: None,
        }
    }
}

impl ScheduledRun {
    /// A run the planner placed.
    pub(crate) fn planned(
        id: &str,
        region: Option<&str>,
        services: &[String],
        start: Instant,
        end: Instant,
    ) -> ScheduledRun {
        ScheduledRun {
            id: id.to_string(),
            region: region.map(str::to_string),
            services: services.to_vec(),
            start,
            end,
            path: String::new(),
        }
    }

    /// Where it was given (`scheduled.changes[2]`), for errors about it.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }
}

fn check_count(items: &[Value], path: &JsonPath) -> Read<()> {
    if items.len() > MAX_SCHEDULED_RUNS {
        return Err(InputError::new(
            path.to_string(),
            format!(
                "too many scheduled runs: {} (at most {MAX_SCHEDULED_RUNS})",
                items.len()
            ),
        ));
    }
    Ok(())
}

/// One run at `path`: `id`, `services`, `start`, `end` (and a plan's `region`, `wave`,
/// `regions`, type-checked when given).
fn read_run(value: &Value, path: &JsonPath) -> Read<ScheduledRun> {
    let r = Record::new(value, path)?;
    let id = r.required("id", read_non_empty_id)?;
    let services = r.required("services", read_unique_ids)?;
    let start = r.required("start", read_instant)?;
    let end = r.required("end", read_instant)?;
    let region = r.nullable("region", read_string)?;
    r.nullable("wave", read_int)?;
    r.nullable("regions", read_string_list)?;
    if end < start {
        return Err(InputError::new(
            path.key("end").to_string(),
            format!(
                "the run of {} ends before it starts ({})",
                quoted(&id),
                crate::time::format_instant(start)
            ),
        ));
    }
    Ok(ScheduledRun {
        id,
        region,
        services,
        start,
        end,
        path: path.to_string(),
    })
}
