//! The decision as Python objects. Each class wraps the engine's struct and builds Python
//! values only when an attribute is read, so a decision nobody inspects costs one allocation.
//! Instants come back as aware `datetime`s in UTC and durations as `timedelta`s; `to_dict()`
//! gives the JSON form of the contract (the same as `shipgate check --format json`).

use chrono::TimeDelta;
use pyo3::prelude::*;
use serde::Serialize;
use shipgate::Instant;

use crate::convert::to_python;
use crate::errors::{ShipgateError, guard};

/// `obj` in its JSON form, as plain Python objects.
pub(crate) fn dict_of<'py>(py: Python<'py>, obj: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, obj).map_err(|e| ShipgateError::new_err(e.to_string()))
}

/// A duration as the decision writes it (`5m`), as a `timedelta`.
fn timedelta_of(text: &str) -> PyResult<TimeDelta> {
    shipgate::parse_duration(text)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(|| ShipgateError::new_err(format!("bad duration {text:?}")))
}

/// `Name({...})`: the class name and its `to_dict()`.
pub(crate) fn repr_of(py: Python<'_>, name: &str, obj: &impl Serialize) -> PyResult<String> {
    Ok(format!("{name}({})", dict_of(py, obj)?.repr()?))
}

/// A `#[pymethods]` block with the given getters plus `to_dict()` and `__repr__`, for a class
/// wrapping a serialisable engine struct (pyo3 allows one `#[pymethods]` block per class).
macro_rules! wrapper_methods {
    ($class:ident, $name:literal, { $($getters:tt)* }) => {
        #[pymethods]
        impl $class {
            $($getters)*

            /// The JSON form as plain Python objects.
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                guard(|| dict_of(py, &self.0))
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                guard(|| repr_of(py, $name, &self.0))
            }
        }
    };
}

/// A rule that denied.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Reason(pub shipgate::Reason);

wrapper_methods!(Reason, "Reason", {
    #[getter]
    fn rule(&self) -> &str {
        &self.0.rule
    }
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    #[getter]
    fn at(&self) -> &str {
        &self.0.at
    }
});

/// An approval that did not count, and why.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Ignored(pub shipgate::Ignored);

wrapper_methods!(Ignored, "Ignored", {
    #[getter]
    fn by(&self) -> &str {
        &self.0.by
    }
    #[getter]
    fn why(&self) -> String {
        self.0.why.to_string()
    }
});

/// An approval or check asked for by a rule.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Requirement(pub shipgate::Requirement);

wrapper_methods!(Requirement, "Requirement", {
    #[getter]
    fn rule(&self) -> &str {
        &self.0.rule
    }
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind.as_str()
    }
    #[getter]
    fn group(&self) -> Option<&str> {
        self.0.group.as_deref()
    }
    #[getter]
    fn check(&self) -> Option<&str> {
        self.0.check.as_deref()
    }
    #[getter]
    fn within(&self) -> Option<&str> {
        self.0.within.as_deref()
    }
    #[getter]
    fn needed(&self) -> u32 {
        self.0.needed
    }
    #[getter]
    fn counted(&self) -> Vec<&str> {
        self.0.counted.iter().map(|t| t.as_str()).collect()
    }
    #[getter]
    fn ignored(&self) -> Vec<Ignored> {
        self.0.ignored.iter().cloned().map(Ignored).collect()
    }
    #[getter]
    fn satisfied(&self) -> bool {
        self.0.satisfied
    }
});

/// What was lifted for this change, and by which rule or waiver.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Exemption(pub shipgate::Exemption);

wrapper_methods!(Exemption, "Exemption", {
    /// The rule whose `exempt` effect applied; `None` for a waiver.
    #[getter]
    fn rule(&self) -> Option<&str> {
        match &self.0.by {
            shipgate::ExemptBy::Rule(rule) => Some(rule),
            _ => None,
        }
    }
    /// Who granted the honoured waiver; `None` for a rule.
    #[getter]
    fn waiver(&self) -> Option<&str> {
        match &self.0.by {
            shipgate::ExemptBy::Waiver(by) => Some(by),
            _ => None,
        }
    }
    #[getter]
    fn lifts(&self) -> &'static str {
        self.0.lifts.as_str()
    }
    /// The blackouts lifted (`lifts == "blackout"`); else `None`.
    #[getter]
    fn blackouts(&self) -> Option<Vec<&str>> {
        match &self.0.lifts {
            shipgate::Lifted::Blackout(names) => Some(names.iter().map(|n| n.as_str()).collect()),
            _ => None,
        }
    }
    /// The rule lifted (`lifts == "rule"`); else `None`.
    #[getter]
    fn target(&self) -> Option<&str> {
        match &self.0.lifts {
            shipgate::Lifted::Rule(target) => Some(target),
            _ => None,
        }
    }
});

/// A waiver found on the change, honoured or not.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct WaiverOutcome(pub shipgate::WaiverOutcome);

wrapper_methods!(WaiverOutcome, "WaiverOutcome", {
    #[getter]
    fn rule(&self) -> &str {
        &self.0.rule
    }
    #[getter]
    fn blackout(&self) -> Option<&str> {
        self.0.blackout.as_deref()
    }
    #[getter]
    fn by(&self) -> &str {
        &self.0.by
    }
    #[getter]
    fn honored(&self) -> bool {
        self.0.honored
    }
    #[getter]
    fn why(&self) -> &str {
        &self.0.why
    }
});

/// An already scheduled run that conflicts with the change (`evaluate(..., scheduled=...)`).
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Conflict(pub shipgate::Conflict);

wrapper_methods!(Conflict, "Conflict", {
    #[getter]
    fn change(&self) -> &str {
        &self.0.change
    }
    #[getter]
    fn services(&self) -> Vec<&str> {
        self.0.services.iter().map(String::as_str).collect()
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
    fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
});

/// An open stretch of time `[start, end)`.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Stretch {
    pub start: Instant,
    pub end: Instant,
}

#[derive(Serialize)]
struct StretchJson {
    start: String,
    end: String,
}

impl Stretch {
    fn json(&self) -> StretchJson {
        StretchJson {
            start: shipgate::format_instant(self.start),
            end: shipgate::format_instant(self.end),
        }
    }
}

#[pymethods]
impl Stretch {
    #[getter]
    fn start(&self) -> Instant {
        self.start
    }
    #[getter]
    fn end(&self) -> Instant {
        self.end
    }
    /// `{"start": ..., "end": ...}` with RFC 3339 UTC strings.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| dict_of(py, &self.json()))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| repr_of(py, "Stretch", &self.json()))
    }
}

/// One region's view of the requested start.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct RegionSchedule(pub shipgate::RegionSchedule);

wrapper_methods!(RegionSchedule, "RegionSchedule", {
    #[getter]
    fn region(&self) -> &str {
        &self.0.region
    }
    #[getter]
    fn open(&self) -> bool {
        self.0.open
    }
    #[getter]
    fn blocked_by(&self) -> Vec<&str> {
        self.0.blocked_by.iter().map(|t| t.as_str()).collect()
    }
    #[getter]
    fn next_window(&self) -> PyResult<Option<Stretch>> {
        guard(|| {
            self.0
                .next_window
                .as_ref()
                .map(|w| {
                    Ok(Stretch {
                        start: w.start,
                        end: w.end,
                    })
                })
                .transpose()
        })
    }
});

/// The change's stretch as a window, for the bindings' getters.
fn stretch_of(w: &Option<shipgate::Stretch>) -> Option<Stretch> {
    w.as_ref().map(|w| Stretch {
        start: w.start,
        end: w.end,
    })
}

/// One touched service's calendars (`services where`, its catalog `calendars`) and how the
/// change fits them.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct ServiceSchedule(pub shipgate::ServiceSchedule);

wrapper_methods!(ServiceSchedule, "ServiceSchedule", {
    #[getter]
    fn service(&self) -> &str {
        &self.0.service
    }
    #[getter]
    fn calendars(&self) -> Vec<&str> {
        self.0.calendars.iter().map(|t| t.as_str()).collect()
    }
    #[getter]
    fn open(&self) -> bool {
        self.0.open
    }
    #[getter]
    fn blocked_by(&self) -> Vec<&str> {
        self.0.blocked_by.iter().map(|t| t.as_str()).collect()
    }
    #[getter]
    fn next_window(&self) -> Option<Stretch> {
        stretch_of(&self.0.next_window)
    }
});

/// The change's own calendars (`changes where`) and how the change fits them.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct ChangeSchedule(pub shipgate::ChangeSchedule);

wrapper_methods!(ChangeSchedule, "ChangeSchedule", {
    #[getter]
    fn calendars(&self) -> Vec<&str> {
        self.0.calendars.iter().map(|t| t.as_str()).collect()
    }
    #[getter]
    fn open(&self) -> bool {
        self.0.open
    }
    #[getter]
    fn blocked_by(&self) -> Vec<&str> {
        self.0.blocked_by.iter().map(|t| t.as_str()).collect()
    }
    #[getter]
    fn next_window(&self) -> Option<Stretch> {
        stretch_of(&self.0.next_window)
    }
});

/// The requested stretch and whether every region allows it.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Schedule(pub shipgate::Schedule);

wrapper_methods!(Schedule, "Schedule", {
    #[getter]
    fn start(&self) -> Instant {
        self.0.start
    }
    #[getter]
    fn end(&self) -> Instant {
        self.0.end
    }
    #[getter]
    fn allowed(&self) -> bool {
        self.0.allowed
    }
    #[getter]
    fn next_window(&self) -> Option<Stretch> {
        self.0.next_window.as_ref().map(|w| Stretch {
            start: w.start,
            end: w.end,
        })
    }
    #[getter]
    fn tzdb(&self) -> &str {
        &self.0.tzdb
    }
    #[getter]
    fn regions(&self) -> Vec<RegionSchedule> {
        self.0.regions.iter().cloned().map(RegionSchedule).collect()
    }
    #[getter]
    fn services(&self) -> Vec<ServiceSchedule> {
        self.0
            .services
            .iter()
            .cloned()
            .map(ServiceSchedule)
            .collect()
    }
    #[getter]
    fn change(&self) -> Option<ChangeSchedule> {
        self.0.change.as_deref().cloned().map(ChangeSchedule)
    }
});

/// A rollback trigger that applies to the change.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct RollbackTrigger(pub shipgate::RollbackTrigger);

wrapper_methods!(RollbackTrigger, "RollbackTrigger", {
    #[getter]
    fn metric(&self) -> &str {
        &self.0.metric
    }
    #[getter]
    fn op(&self) -> &str {
        self.0.op.as_str()
    }
    #[getter]
    fn threshold(&self) -> f64 {
        self.0.threshold
    }
    #[getter]
    fn relative_to(&self) -> Option<&str> {
        self.0.relative_to.map(shipgate::RelativeTo::as_str)
    }
    /// How long the breach must last (`"for"` in the JSON; `for` is a Python keyword).
    #[getter]
    fn for_(&self) -> PyResult<TimeDelta> {
        guard(|| timedelta_of(&self.0.for_))
    }
    #[getter]
    fn on_no_data(&self) -> Option<&str> {
        self.0.on_no_data.map(shipgate::OnNoData::as_str)
    }
});

/// Approvals owed after the change (`require approval "cab" within 48h after`), still missing.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Obligation(pub shipgate::Obligation);

wrapper_methods!(Obligation, "Obligation", {
    #[getter]
    fn rule(&self) -> &str {
        &self.0.rule
    }
    #[getter]
    fn group(&self) -> &str {
        &self.0.group
    }
    #[getter]
    fn needed(&self) -> u32 {
        self.0.needed
    }
    #[getter]
    fn due(&self) -> Instant {
        self.0.due
    }
});

/// One rollback trigger judged against observations: `fired`, `ok` or `no_data`.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct TriggerCheck(pub shipgate::TriggerCheck);

wrapper_methods!(TriggerCheck, "TriggerCheck", {
    #[getter]
    fn metric(&self) -> &str {
        &self.0.metric
    }
    #[getter]
    fn state(&self) -> &'static str {
        self.0.state.as_str()
    }
    #[getter]
    fn since(&self) -> Option<Instant> {
        self.0.since
    }
    #[getter]
    fn op(&self) -> &str {
        self.0.op.as_str()
    }
    #[getter]
    fn threshold(&self) -> f64 {
        self.0.threshold
    }
    #[getter]
    fn baseline(&self) -> Option<f64> {
        self.0.baseline
    }
    /// How long the breach must last (`"for"` in the JSON; `for` is a Python keyword).
    #[getter]
    fn for_(&self) -> PyResult<TimeDelta> {
        guard(|| timedelta_of(&self.0.for_))
    }
    #[getter]
    fn on_no_data(&self) -> Option<&str> {
        self.0.on_no_data.map(shipgate::OnNoData::as_str)
    }
    #[getter]
    fn why(&self) -> Option<&str> {
        self.0.why.as_deref()
    }
    #[getter]
    fn at(&self) -> &str {
        &self.0.at
    }
});

/// The answer of a rollback check: each applying trigger's state, whether to roll back, and
/// who decides.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct RollbackCheck(pub shipgate::RollbackCheck);

wrapper_methods!(RollbackCheck, "RollbackCheck", {
    #[getter]
    fn change(&self) -> &str {
        &self.0.change
    }
    #[getter]
    fn now(&self) -> Instant {
        self.0.now
    }
    #[getter]
    fn owner(&self) -> Option<&str> {
        self.0.owner.as_deref()
    }
    #[getter]
    fn triggers(&self) -> Vec<TriggerCheck> {
        self.0.triggers.iter().cloned().map(TriggerCheck).collect()
    }
    #[getter]
    fn rollback(&self) -> bool {
        self.0.rollback
    }
});

/// One step of evaluation, recorded with `explain=True`.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct TraceEntry(pub shipgate::TraceEntry);

wrapper_methods!(TraceEntry, "TraceEntry", {
    #[getter]
    fn kind(&self) -> &str {
        self.0.kind.as_str()
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn outcome(&self) -> &str {
        &self.0.outcome
    }
    #[getter]
    fn at(&self) -> &str {
        &self.0.at
    }
    /// With `explain=True`, what each atom of a tier condition, rule guard or deny/allow
    /// condition saw: dicts as in the decision JSON (`expr`, `result`, `operands`, ...).
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| dict_of(py, &self.0.values))
    }
    /// How many atoms were evaluated beyond those in `values`.
    #[getter]
    fn more_values(&self) -> u32 {
        self.0.more_values
    }
});

/// The engine's answer for one change at one instant.
#[pyclass(frozen, eq, module = "shipgate")]
#[derive(PartialEq)]
pub struct Decision(pub shipgate::Decision);

#[pymethods]
impl Decision {
    #[getter]
    fn verdict(&self) -> &'static str {
        self.0.verdict.as_str()
    }
    #[getter]
    fn change(&self) -> &str {
        &self.0.change
    }
    #[getter]
    fn now(&self) -> Instant {
        self.0.now
    }
    #[getter]
    fn tier(&self) -> &str {
        &self.0.tier
    }
    #[getter]
    fn reasons(&self) -> Vec<Reason> {
        self.0.reasons.iter().cloned().map(Reason).collect()
    }
    #[getter]
    fn requirements(&self) -> Vec<Requirement> {
        self.0
            .requirements
            .iter()
            .cloned()
            .map(Requirement)
            .collect()
    }
    /// Approvals owed after the change and still missing; empty when nothing is owed.
    #[getter]
    fn obligations(&self) -> Vec<Obligation> {
        self.0.obligations.iter().cloned().map(Obligation).collect()
    }
    #[getter]
    fn exemptions(&self) -> Vec<Exemption> {
        self.0.exemptions.iter().cloned().map(Exemption).collect()
    }
    #[getter]
    fn waivers(&self) -> Vec<WaiverOutcome> {
        self.0.waivers.iter().cloned().map(WaiverOutcome).collect()
    }
    #[getter]
    fn schedule(&self) -> Schedule {
        Schedule(self.0.schedule.clone())
    }
    /// `None` when no schedule was given.
    #[getter]
    fn conflicts(&self) -> Option<Vec<Conflict>> {
        self.0
            .conflicts
            .as_ref()
            .map(|c| c.iter().cloned().map(Conflict).collect())
    }
    #[getter]
    fn strategy(&self) -> Option<&str> {
        self.0.strategy.as_deref()
    }
    #[getter]
    fn rollback(&self) -> Vec<RollbackTrigger> {
        self.0
            .rollback
            .iter()
            .cloned()
            .map(RollbackTrigger)
            .collect()
    }
    #[getter]
    fn notify(&self) -> Vec<&str> {
        self.0.notify.iter().map(|t| t.as_str()).collect()
    }
    #[getter]
    fn order(&self) -> Vec<Vec<&str>> {
        self.0
            .order
            .iter()
            .map(|w| w.iter().map(|t| t.as_str()).collect())
            .collect()
    }
    #[getter]
    fn trace(&self) -> Vec<TraceEntry> {
        self.0.trace.iter().cloned().map(TraceEntry).collect()
    }
    /// With `explain=True`, what stands between the change and shipping: dicts as in the
    /// decision JSON's `to_ship` (`step`, `text`, `rule`, `group`, `missing`, `window`);
    /// `None` without explain.
    #[getter]
    fn to_ship<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.0.to_ship {
            Some(steps) => guard(|| dict_of(py, steps)).map(Some),
            None => Ok(None),
        }
    }
    #[getter]
    fn policy(&self) -> &str {
        &self.0.policy
    }
    /// Hashed the first time it is read.
    #[getter]
    fn inputs(&self) -> &str {
        self.0.inputs.as_str()
    }
    #[getter]
    fn engine(&self) -> &str {
        &self.0.engine
    }

    /// The whole decision as plain Python objects: the JSON of `shipgate check --format json`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| dict_of(py, &self.0))
    }

    /// The decision's stable JSON text (two-space indent, keys in contract order), as the CLI
    /// prints it.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "Decision(verdict='{}', tier='{}', reasons={}, requirements={})",
            self.0.verdict.as_str(),
            self.0.tier,
            self.0.reasons.len(),
            self.0.requirements.len()
        )
    }
}
