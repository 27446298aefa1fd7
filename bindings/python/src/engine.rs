//! `Engine`, `Catalog` and `Change`: each method converts its arguments, calls the engine and
//! converts the result or error. Evaluation runs with the GIL released.

use std::path::PathBuf;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use shipgate::{InputError, Instant};

use crate::convert::{instant_arg, seconds_arg, to_json, to_json_nan_as_null, to_python};
use crate::decision::{Decision, RollbackCheck, Stretch};
use crate::errors::{INPUT_ERROR, IntoPyResult, fields, guard};
use crate::plan::Plan;

// --- where this binding adapts the library's answers -------------------------------------------
//
// The library reads changes and files; these functions only put its answers in the binding's
// shape. The Node binding has the same ones in `src/lib.rs`.

/// `change.start` -> `changes[3].start` for errors found while deciding (not reading) the
/// change at an index of a batch: the engine names those paths under `change`.
fn reroot(mut e: InputError, from: &str, to: &str) -> InputError {
    if let Some(rest) = e.path.strip_prefix(from) {
        if rest.is_empty() || rest.starts_with(['.', '[']) {
            e.path = format!("{to}{rest}");
        }
    }
    e
}

/// A change read from JSON, its errors under `root` (`change`, `changes[3]`).
fn change_from_json(value: &serde_json::Value, root: &str) -> Result<shipgate::Change, InputError> {
    shipgate::Change::from_json_at(value, root)
}

/// An input file the library could not read is an input error at `root` whose message names
/// the file (the same as Node's); any other error is the library's.
pub(crate) fn unreadable(e: shipgate::Error, root: &str) -> shipgate::Error {
    match e {
        shipgate::Error::Io { path, message } => {
            InputError::new(root, format!("cannot read {path}: {message}")).into()
        }
        other => other,
    }
}

// --- edges ------------------------------------------------------------------------------------

/// Reads a change given as a mapping; errors name the path under `root`.
fn change_from_py(obj: &Bound<'_, PyAny>, root: &str) -> Result<shipgate::Change, InputError> {
    let value = to_json(obj).map_err(|e| e.under(root))?;
    change_from_json(&value, root)
}

/// Reads the changes already scheduled (a plan dict, or a list of runs); errors name the path
/// under `scheduled`.
fn scheduled_from_py(obj: &Bound<'_, PyAny>) -> Result<shipgate::Scheduled, InputError> {
    let value = to_json(obj).map_err(|e| e.under("scheduled"))?;
    shipgate::Scheduled::from_json(&value)
}

/// Reads observations given as a mapping (a NaN sample is a sample without data); errors name
/// the path under `observations`.
fn observations_from_py(obj: &Bound<'_, PyAny>) -> Result<shipgate::Observations, InputError> {
    let value = to_json_nan_as_null(obj).map_err(|e| e.under("observations"))?;
    shipgate::Observations::from_json(&value)
}

/// Reads a catalog given as a mapping; errors name the path under `catalog`.
fn catalog_from_py(obj: &Bound<'_, PyAny>) -> Result<shipgate::Catalog, InputError> {
    let value = to_json(obj).map_err(|e| e.under("catalog"))?;
    shipgate::Catalog::from_json(&value)
}

/// An earlier plan for `plan(previous=...)`: a `Plan`, or its `to_dict()` (a mapping, as the
/// JSON of `shipgate plan --format json`); errors name the path under `previous`.
fn previous_from_py(obj: &Bound<'_, PyAny>) -> Result<shipgate::PreviousPlan, InputError> {
    if let Ok(plan) = obj.cast::<Plan>() {
        return shipgate::PreviousPlan::from_json(&plan.get().0.to_json_value());
    }
    let value = to_json(obj).map_err(|e| e.under("previous"))?;
    shipgate::PreviousPlan::from_json(&value)
}

/// `now=None` is the current time.
fn now_arg(now: Option<&Bound<'_, PyAny>>) -> Result<Instant, InputError> {
    instant_or_now(now, "now")
}

/// An instant argument named `name` (`now`, `start`); `None` is the current time.
fn instant_or_now(obj: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Instant, InputError> {
    match obj {
        None => Ok(chrono::Utc::now()),
        Some(obj) if obj.is_none() => Ok(chrono::Utc::now()),
        Some(obj) => instant_arg(obj, name),
    }
}

/// A catalog argument: a compiled `Catalog`, or a mapping compiled for this call only.
enum CatalogArg<'a> {
    Compiled(&'a shipgate::Catalog),
    Read(Box<shipgate::Catalog>),
}

impl CatalogArg<'_> {
    fn get(&self) -> &shipgate::Catalog {
        match self {
            CatalogArg::Compiled(c) => c,
            CatalogArg::Read(c) => c,
        }
    }
}

fn catalog_arg<'a>(py: Python<'_>, catalog: &'a Bound<'_, PyAny>) -> PyResult<CatalogArg<'a>> {
    if let Ok(compiled) = catalog.cast::<Catalog>() {
        return Ok(CatalogArg::Compiled(&compiled.get().inner));
    }
    if catalog.cast::<pyo3::types::PyMapping>().is_err() {
        return Err(PyTypeError::new_err(format!(
            "catalog must be a shipgate.Catalog or a mapping, got {}",
            catalog.get_type().name()?
        )));
    }
    let read = catalog_from_py(catalog).or_raise(py)?;
    Ok(CatalogArg::Read(Box::new(read)))
}

/// A change in a batch: borrowed from a prepared `Change`, or read from a dict for this call.
enum Held<'a> {
    Prepared(&'a shipgate::Change),
    Read(Box<shipgate::Change>),
}

impl Held<'_> {
    fn change(&self) -> &shipgate::Change {
        match self {
            Held::Prepared(c) => c,
            Held::Read(c) => c,
        }
    }
}

impl std::borrow::Borrow<shipgate::Change> for Held<'_> {
    fn borrow(&self) -> &shipgate::Change {
        self.change()
    }
}

/// The limits given as keyword arguments (`max_eval_steps=50_000_000`): the library knows their
/// names, where each applies (`inputs`: where a change or catalog is read) and their ranges.
pub(crate) fn limits_arg(
    options: Option<&Bound<'_, PyDict>>,
    inputs: bool,
) -> PyResult<shipgate::Limits> {
    let mut given = Vec::new();
    for (key, value) in options.into_iter().flat_map(|d| d.iter()) {
        let key: String = key.extract()?;
        if value.is_instance_of::<pyo3::types::PyBool>() {
            return Err(PyTypeError::new_err(format!(
                "{key} must be an int, not bool"
            )));
        }
        let value: i128 = value
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("{key} must be an int")))?;
        given.push((key, value));
    }
    shipgate::Limits::default()
        .with_options(given.iter().map(|(k, v)| (k.as_str(), *v)), inputs)
        .map_err(|e| match e.limit {
            // An unknown keyword, as Python says of any other.
            None => PyTypeError::new_err(e.message),
            Some(_) => PyValueError::new_err(e.message),
        })
}

/// A change request read once, to be decided many times without reading the dict again.
#[pyclass(frozen, module = "shipgate")]
pub struct Change {
    inner: shipgate::Change,
}

#[pymethods]
impl Change {
    #[new]
    fn new(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Change> {
        guard(|| {
            let inner = change_from_py(data, "change").or_raise(py)?;
            Ok(Change { inner })
        })
    }

    /// Reads a change file, JSON or YAML by extension, as the CLI does; `max_input_bytes=`
    /// changes the size limit.
    #[staticmethod]
    #[pyo3(signature = (path, **limits))]
    fn from_path(
        py: Python<'_>,
        path: PathBuf,
        limits: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Change> {
        guard(|| {
            let limits = limits_arg(limits, true)?;
            let inner = shipgate::Change::from_path_with(&path, &limits)
                .map_err(|e| unreadable(e, "change"))
                .or_raise(py)?;
            Ok(Change { inner })
        })
    }

    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Change(id={})",
            PyString::new(py, &self.inner.id).repr()?
        ))
    }
}

/// A service catalog, checked and compiled once (ids unique, dependencies known, no cycle).
#[pyclass(frozen, module = "shipgate")]
pub struct Catalog {
    inner: shipgate::Catalog,
}

#[pymethods]
impl Catalog {
    #[new]
    fn new(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Catalog> {
        guard(|| {
            let inner = catalog_from_py(data).or_raise(py)?;
            Ok(Catalog { inner })
        })
    }

    /// Reads a catalog file, JSON or YAML by extension, as the CLI does; `max_input_bytes=`
    /// changes the size limit.
    #[staticmethod]
    #[pyo3(signature = (path, **limits))]
    fn from_path(
        py: Python<'_>,
        path: PathBuf,
        limits: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Catalog> {
        guard(|| {
            let limits = limits_arg(limits, true)?;
            let inner = shipgate::Catalog::from_path_with(&path, &limits)
                .map_err(|e| unreadable(e, "catalog"))
                .or_raise(py)?;
            Ok(Catalog { inner })
        })
    }

    /// The service ids, in catalog order.
    #[getter]
    fn service_ids(&self) -> Vec<String> {
        self.inner.services().iter().map(|s| s.id.clone()).collect()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, id: &Bound<'_, PyAny>) -> bool {
        id.extract::<String>()
            .is_ok_and(|id| self.inner.contains(&id))
    }

    fn __repr__(&self) -> String {
        format!("Catalog({} services)", self.inner.len())
    }
}

/// A compiled policy set. Thread-safe; evaluation releases the GIL.
#[pyclass(frozen, module = "shipgate")]
pub struct Engine {
    inner: shipgate::Engine,
}

#[pymethods]
impl Engine {
    /// Compiles every `.gate` file under a folder, one file, or a list of them; keyword
    /// arguments change the limits (`max_policy_bytes=`, `max_eval_steps=`, ...).
    #[staticmethod]
    #[pyo3(signature = (path, **limits))]
    fn from_path(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        limits: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Engine> {
        guard(|| {
            let limits = limits_arg(limits, false)?;
            let paths: Vec<PathBuf> = if let Ok(one) = path.extract::<PathBuf>() {
                vec![one]
            } else if let Ok(many) = path.extract::<Vec<PathBuf>>() {
                many
            } else {
                return Err(PyTypeError::new_err(
                    "path must be a str or os.PathLike, or a list of them",
                ));
            };
            let inner = py
                .detach(|| shipgate::Engine::from_paths_with(&paths, &limits))
                .or_raise(py)?;
            Ok(Engine { inner })
        })
    }

    /// Compiles policy text; `name` is what diagnostics and `at` locations call the file.
    #[staticmethod]
    #[pyo3(signature = (text, name = "inline.gate", **limits))]
    fn from_source(
        py: Python<'_>,
        text: &str,
        name: &str,
        limits: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Engine> {
        guard(|| {
            let limits = limits_arg(limits, false)?;
            let files = vec![(name.to_string(), text.to_string())];
            let inner = py
                .detach(|| shipgate::Engine::from_sources_with(files, None, &limits))
                .or_raise(py)?;
            Ok(Engine { inner })
        })
    }

    /// Decides one change at `now` (default: the current time); with `scheduled` (a plan
    /// dict or a list of runs), against the changes already scheduled; with `audit_log`, the
    /// decision is appended to it at the current time before it is returned.
    #[pyo3(signature = (change, catalog, now = None, explain = false, scheduled = None,
                        audit_log = None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn evaluate(
        &self,
        py: Python<'_>,
        change: &Bound<'_, PyAny>,
        catalog: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        explain: bool,
        scheduled: Option<&Bound<'_, PyAny>>,
        audit_log: Option<&Bound<'_, crate::audit::AuditLog>>,
    ) -> PyResult<Decision> {
        guard(|| {
            let catalog = catalog_arg(py, catalog)?;
            let catalog = catalog.get();
            let now = now_arg(now).or_raise(py)?;
            let scheduled = match scheduled {
                Some(s) if !s.is_none() => Some(scheduled_from_py(s).or_raise(py)?),
                _ => None,
            };
            let engine = &self.inner;
            let decide = |change: &shipgate::Change| match &scheduled {
                None => engine.evaluate(change, catalog, now, explain),
                Some(s) => engine.evaluate_scheduled(change, catalog, now, explain, s),
            };
            let decision = if let Ok(prepared) = change.cast::<Change>() {
                let change = &prepared.get().inner;
                py.detach(|| decide(change))
            } else {
                let change = change_from_py(change, "change").or_raise(py)?;
                py.detach(|| decide(&change))
            };
            let decision = decision.or_raise(py)?;
            if let Some(log) = audit_log {
                log.get()
                    .append_decision(py, &decision, chrono::Utc::now())?;
            }
            Ok(Decision(decision))
        })
    }

    /// Replays the historical changes of a file (JSON lines of `{"change": {...}, "now": T}`)
    /// under this policy and `new`, on all cores with the GIL released: the dict of
    /// `shipgate replay --format json`, `{"total", "changed": [...]}`.
    #[pyo3(signature = (new, catalog, changes))]
    fn replay<'py>(
        &self,
        py: Python<'py>,
        new: &Engine,
        catalog: &Bound<'py, PyAny>,
        changes: PathBuf,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let catalog = catalog_arg(py, catalog)?;
            let catalog = catalog.get();
            let name = changes.display().to_string();
            let file = std::fs::File::open(&changes)
                .map_err(|e| shipgate::Error::Io {
                    path: name.clone(),
                    message: e.to_string(),
                })
                .or_raise(py)?;
            let (old, new) = (&self.inner, &new.inner);
            let replay = py
                .detach(|| old.replay(new, catalog, std::io::BufReader::new(file), &name))
                .or_raise(py)?;
            crate::convert::to_python(py, &replay.to_json())
        })
    }

    /// Decides many changes on all cores, with the GIL released; results are in input order.
    /// The first change (lowest index) that cannot be read or decided raises, naming its index.
    #[pyo3(signature = (changes, catalog, now = None))]
    fn evaluate_many(
        &self,
        py: Python<'_>,
        changes: &Bound<'_, PyAny>,
        catalog: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Decision>> {
        guard(|| {
            let catalog = catalog_arg(py, catalog)?;
            let catalog = catalog.get();
            let now = now_arg(now).or_raise(py)?;
            let items = change_items(changes)?;
            // Prepared changes are borrowed from their Python objects (which `items` keeps
            // alive), dicts are read here: nothing is copied.
            let held = items
                .iter()
                .enumerate()
                .map(|(i, item)| match item.cast::<Change>() {
                    Ok(prepared) => Ok(Held::Prepared(&prepared.get().inner)),
                    Err(_) => change_from_py(item, &format!("changes[{i}]"))
                        .map(|c| Held::Read(Box::new(c)))
                        .map_err(|e| (i, shipgate::Error::Input(e))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|(i, e)| at_index(py, i, &e))?;
            let engine = &self.inner;
            // The engine borrows the prepared changes: nothing is copied.
            let results = py.detach(|| engine.evaluate_many(&held, catalog, now));
            results
                .into_iter()
                .enumerate()
                .map(|(i, r)| match r {
                    Ok(d) => Ok(Decision(d)),
                    Err(shipgate::Error::Input(e)) => Err(at_index(
                        py,
                        i,
                        &shipgate::Error::Input(reroot(e, "change", &format!("changes[{i}]"))),
                    )),
                    Err(e) => Err(at_index(py, i, &e)),
                })
                .collect()
        })
    }

    /// Plans a release train (docs/planning.md) from `start` (default: the current time), which
    /// is also the decisions' `now`, with the GIL released. A change that cannot be read, and
    /// every error the planner finds (a cycle, an unknown `after`, a duplicate id), raises
    /// `InputError` at its path under `changes[i]`, as the library names it. With `previous`
    /// (an earlier `Plan` or its `to_dict()`), the plan is compared with it
    /// (`shipgate plan --previous`): `Plan.since`; an earlier plan that cannot be read raises
    /// `InputError` at its path under `previous`.
    #[pyo3(signature = (changes, catalog, start = None, previous = None))]
    fn plan(
        &self,
        py: Python<'_>,
        changes: &Bound<'_, PyAny>,
        catalog: &Bound<'_, PyAny>,
        start: Option<&Bound<'_, PyAny>>,
        previous: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Plan> {
        guard(|| {
            let catalog = catalog_arg(py, catalog)?;
            let catalog = catalog.get();
            let from = instant_or_now(start, "start").or_raise(py)?;
            let previous = previous
                .filter(|p| !p.is_none())
                .map(previous_from_py)
                .transpose()
                .or_raise(py)?;
            let items = change_items(changes)?;
            // The engine plans a slice of owned changes: a prepared one is copied.
            let train = items
                .iter()
                .enumerate()
                .map(|(i, item)| match item.cast::<Change>() {
                    Ok(prepared) => Ok(prepared.get().inner.clone()),
                    Err(_) => change_from_py(item, &format!("changes[{i}]")),
                })
                .collect::<Result<Vec<_>, _>>()
                .or_raise(py)?;
            let engine = &self.inner;
            let plan = py
                .detach(|| match &previous {
                    Some(previous) => engine.replan(&train, catalog, from, previous),
                    None => engine.plan(&train, catalog, from),
                })
                .or_raise(py)?;
            Ok(Plan(plan))
        })
    }

    /// Checks the rollback triggers that apply to `change` against `observations` (a dict:
    /// `{"baseline", "metrics", "intervals"}`) at `now` (default: the current time; later
    /// samples are not read): each trigger is `fired`, `ok` or `no_data`, and `rollback` says
    /// whether to roll back.
    #[pyo3(signature = (change, catalog, observations, now = None))]
    fn rollback(
        &self,
        py: Python<'_>,
        change: &Bound<'_, PyAny>,
        catalog: &Bound<'_, PyAny>,
        observations: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RollbackCheck> {
        guard(|| {
            let catalog = catalog_arg(py, catalog)?;
            let catalog = catalog.get();
            let now = now_arg(now).or_raise(py)?;
            let observations = observations_from_py(observations).or_raise(py)?;
            let engine = &self.inner;
            let check = if let Ok(prepared) = change.cast::<Change>() {
                let change = &prepared.get().inner;
                py.detach(|| engine.rollback(change, catalog, &observations, now))
            } else {
                let change = change_from_py(change, "change").or_raise(py)?;
                py.detach(|| engine.rollback(&change, catalog, &observations, now))
            };
            Ok(RollbackCheck(check.or_raise(py)?))
        })
    }

    /// The first stretch in `region` at or after `after` with room for `duration`, or `None`
    /// when there is none within the horizon.
    fn next_window(
        &self,
        py: Python<'_>,
        region: &str,
        after: &Bound<'_, PyAny>,
        duration: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Stretch>> {
        guard(|| {
            let after = instant_arg(after, "after").or_raise(py)?;
            let secs = seconds_arg(duration, "duration").or_raise(py)?;
            let engine = &self.inner;
            let window = py
                .detach(|| engine.next_window(region, after, secs))
                .or_raise(py)?;
            Ok(window.map(|(start, end)| Stretch { start, end }))
        })
    }

    /// The earliest stretch at or after `after` where the whole change fits every calendar
    /// that applies to it at once (all its regions', each in its own zone), as a `Stretch`
    /// (its start, and the end of that common stretch); `None` when there is none within the
    /// horizon.
    fn change_next_window(
        &self,
        py: Python<'_>,
        change: &Bound<'_, PyAny>,
        catalog: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Stretch>> {
        guard(|| {
            let catalog = catalog_arg(py, catalog)?;
            let catalog = catalog.get();
            let after = instant_arg(after, "after").or_raise(py)?;
            let engine = &self.inner;
            let window = if let Ok(prepared) = change.cast::<Change>() {
                let change = &prepared.get().inner;
                py.detach(|| engine.change_next_window(change, catalog, after))
            } else {
                let change = change_from_py(change, "change").or_raise(py)?;
                py.detach(|| engine.change_next_window(&change, catalog, after))
            };
            Ok(window
                .or_raise(py)?
                .map(|(start, end)| Stretch { start, end }))
        })
    }

    /// The policy set's regions, in declaration order.
    #[getter]
    fn regions(&self) -> Vec<String> {
        self.inner.regions()
    }

    /// The policy set's digest, `sha256:<hex>`: the `policy` of every decision it makes.
    #[getter]
    fn policy_digest(&self) -> String {
        self.inner.policy_digest().to_string()
    }

    /// The IANA time zone a region's times are read in; `None` for an unknown region or one
    /// that uses no calendar.
    fn region_timezone(&self, region: &str) -> Option<&'static str> {
        self.inner.region_timezone(region)
    }

    /// The calendar of one region, or of one service (which needs `catalog`), over
    /// `[from_, to)`: the dict of `shipgate calendar --format json`, with `scope`, `timezone`
    /// (the zone the scope is read in) and `days` (each local day with its UTC offsets), the
    /// same dict as the Node binding's `engine.calendar`.
    #[pyo3(signature = (*, from_, to, region = None, service = None, catalog = None))]
    fn calendar<'py>(
        &self,
        py: Python<'py>,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        region: Option<&str>,
        service: Option<&str>,
        catalog: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let from = instant_arg(from_, "from_").or_raise(py)?;
            let to = instant_arg(to, "to").or_raise(py)?;
            let engine = &self.inner;
            let (report, scope, days) = match calendar_scope(region, service, catalog)? {
                (Some(region), None) => (
                    json_of(
                        &py.detach(|| engine.calendar(region, from, to))
                            .or_raise(py)?,
                    )?,
                    serde_json::json!({ "region": region }),
                    py.detach(|| engine.region_days(region, from, to))
                        .or_raise(py)?,
                ),
                (None, Some((service, catalog))) => {
                    let catalog = catalog_arg(py, catalog)?;
                    let catalog = catalog.get();
                    (
                        json_of(
                            &py.detach(|| engine.service_calendar(service, catalog, from, to))
                                .or_raise(py)?,
                        )?,
                        serde_json::json!({ "service": service }),
                        py.detach(|| engine.service_days(service, catalog, from, to))
                            .or_raise(py)?,
                    )
                }
                _ => unreachable_scope()?,
            };
            let mut value = report;
            value["scope"] = scope;
            value["timezone"] = days.timezone.into();
            value["days"] = json_of(&days.days)?;
            to_python(py, &value)
        })
    }

    /// `calendar` as an RFC 5545 iCalendar document (`shipgate calendar --format ics`).
    #[pyo3(signature = (*, from_, to, region = None, service = None, catalog = None))]
    fn calendar_ics(
        &self,
        py: Python<'_>,
        from_: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        region: Option<&str>,
        service: Option<&str>,
        catalog: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        guard(|| {
            let from = instant_arg(from_, "from_").or_raise(py)?;
            let to = instant_arg(to, "to").or_raise(py)?;
            let engine = &self.inner;
            match calendar_scope(region, service, catalog)? {
                (Some(region), None) => py
                    .detach(|| engine.calendar_ics(region, from, to))
                    .or_raise(py),
                (None, Some((service, catalog))) => {
                    let catalog = catalog_arg(py, catalog)?;
                    let catalog = catalog.get();
                    py.detach(|| engine.service_calendar_ics(service, catalog, from, to))
                        .or_raise(py)
                }
                _ => unreachable_scope(),
            }
        })
    }

    /// Compile warnings, one dict each: `message`, `severity` (`"warning"`), `file`, `line`,
    /// `column` (the same objects as the Node binding's `warnings`).
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let list = self.inner.warning_list();
            crate::convert::to_python(py, &list)
        })
    }

    /// Compile warnings rendered rustc-style; empty when there are none.
    fn render_warnings(&self) -> String {
        self.inner.render_warnings(false)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Engine(regions={})",
            self.inner.regions().into_pyobject(py)?.repr()?
        ))
    }
}

/// The error of the change at `index` of a batch: its path is under `changes[index]` already;
/// `index` says which.
fn at_index(py: Python<'_>, index: usize, e: &shipgate::Error) -> PyErr {
    let mut f = fields(e);
    if f.code != INPUT_ERROR {
        f.message = format!("changes[{index}]: {}", f.message);
    }
    f.index = Some(index);
    f.into_err(py)
}

/// The items of an argument that must be an iterable of changes (dicts or `shipgate.Change`),
/// as `evaluate_many` and `plan` take them.
fn change_items<'py>(changes: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    changes
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err("changes must be an iterable of dicts or shipgate.Change")
        })?
        .collect()
}

/// The scope of `calendar`: exactly one of `region` and `service`, the catalog with a service
/// only (a region's calendar reads none, so one given there is a mistake, not ignored).
#[allow(
    clippy::type_complexity,
    reason = "one (region | service, catalog) pair, read once"
)]
fn calendar_scope<'a, 'py>(
    region: Option<&'a str>,
    service: Option<&'a str>,
    catalog: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<(Option<&'a str>, Option<(&'a str, &'a Bound<'py, PyAny>)>)> {
    match (region, service, catalog) {
        (Some(region), None, None) => Ok((Some(region), None)),
        (Some(_), None, Some(_)) => Err(PyValueError::new_err(
            "catalog is only read for a service's calendar",
        )),
        (None, Some(service), Some(catalog)) => Ok((None, Some((service, catalog)))),
        (None, Some(_), None) => Err(PyValueError::new_err("a service's calendar needs catalog")),
        _ => Err(PyValueError::new_err(
            "give exactly one of region and service",
        )),
    }
}

/// `calendar_scope` answers one of the two shapes the callers match.
fn unreachable_scope<T>() -> PyResult<T> {
    Err(PyValueError::new_err(
        "give exactly one of region and service",
    ))
}

fn json_of(value: &impl serde::Serialize) -> PyResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| PyValueError::new_err(format!("cannot serialise: {e}")))
}
