//! A planned release train as Python objects (`Engine.plan`). Each class wraps the engine's
//! struct; instants come back as aware `datetime`s in UTC, as in decisions, and `to_dict()`
//! is the JSON of `shipgate plan --format json` (`Plan::to_json_value`).

use pyo3::prelude::*;
use shipgate::Instant;

use crate::decision::{dict_of, repr_of};
use crate::errors::guard;

/// A release train planned: the planned runs in start order, and the changes that could not
/// be planned.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Plan(pub shipgate::Plan);

#[pymethods]
impl Plan {
    #[getter]
    fn changes(&self) -> Vec<PlannedChange> {
        self.0.changes.iter().cloned().map(PlannedChange).collect()
    }
    #[getter]
    fn unschedulable(&self) -> Vec<Unschedulable> {
        self.0
            .unschedulable
            .iter()
            .cloned()
            .map(Unschedulable)
            .collect()
    }
    #[getter]
    fn is_complete(&self) -> bool {
        self.0.is_complete()
    }
    /// What changed since the earlier plan given as `previous`, as the JSON of `shipgate plan
    /// --previous` (`moved`, `cancelled`, `newly_unschedulable`, `newly_planned`); `None`
    /// when planned without one.
    #[getter]
    fn since<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(|| match &self.0.since {
            Some(since) => dict_of(py, since).map(Some),
            None => Ok(None),
        })
    }
    /// Warnings about the comparison with `previous`: an earlier entry without `notify`, told
    /// to the policy's unconditional audiences instead. Empty without `previous`.
    #[getter]
    fn replan_warnings(&self) -> Vec<&str> {
        self.0
            .since
            .iter()
            .flat_map(|s| s.warnings.iter().map(String::as_str))
            .collect()
    }

    /// The whole plan as plain Python objects: the JSON of `shipgate plan --format json`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| dict_of(py, &self.0))
    }

    fn __repr__(&self) -> String {
        format!(
            "Plan(changes={}, unschedulable={})",
            self.0.changes.len(),
            self.0.unschedulable.len()
        )
    }
}

/// One planned run: a whole change, or one region of a `per_region` rollout.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct PlannedChange(pub shipgate::PlannedChange);

#[pymethods]
impl PlannedChange {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    #[getter]
    fn start(&self) -> Instant {
        self.0.start
    }
    #[getter]
    fn end(&self) -> Instant {
        self.0.end
    }
    #[getter]
    fn wave(&self) -> u32 {
        self.0.wave
    }
    #[getter]
    fn regions(&self) -> Vec<&str> {
        self.0.regions.iter().map(String::as_str).collect()
    }
    #[getter]
    fn services(&self) -> Vec<&str> {
        self.0.services.iter().map(String::as_str).collect()
    }
    /// Whom to tell about this run (its decision's `notify`).
    #[getter]
    fn notify(&self) -> Vec<&str> {
        self.0.notify.iter().map(String::as_str).collect()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| dict_of(py, &self.0))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| repr_of(py, "PlannedChange", &self.0))
    }
}

/// A change the planner could not place, and why.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Unschedulable(pub shipgate::Unschedulable);

#[pymethods]
impl Unschedulable {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn reason(&self) -> &str {
        &self.0.reason
    }
    /// Whom to tell about it (its decision's `notify`).
    #[getter]
    fn notify(&self) -> Vec<&str> {
        self.0.notify.iter().map(String::as_str).collect()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| dict_of(py, &self.0))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| repr_of(py, "Unschedulable", &self.0))
    }
}
