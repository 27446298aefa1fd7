//! `shipgate.AuditLog`: the decision archive (docs/governance.md) over `shipgate::AuditLog`.
//! Conversion only: results are the library's JSON as dicts.

use std::sync::Mutex;

use pyo3::prelude::*;

use crate::convert::{instant_arg, to_python};
use crate::decision::Decision;
use crate::errors::{Fields, IntoPyResult, fields, guard};

/// The code of an archive that cannot be opened, read or appended to.
pub const AUDIT_ERROR: &str = "AUDIT_ERROR";

/// An archive's error: a file or database that cannot be used is a `ShipgateError` with code
/// `AUDIT_ERROR` (not the policy error an unreadable path is elsewhere); a bad argument stays
/// an `InputError`.
pub fn audit_err(py: Python<'_>, e: shipgate::Error) -> PyErr {
    match e {
        shipgate::Error::Io { path, message } => Fields {
            code: AUDIT_ERROR,
            message: format!("{path}: {message}"),
            path: Some(path),
            ..Fields::default()
        }
        .into_err(py),
        other => fields(&other).into_err(py),
    }
}

/// An instant argument; `None` is the current time.
fn at_arg(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> Result<shipgate::Instant, shipgate::InputError> {
    match obj {
        Some(obj) if !obj.is_none() => instant_arg(obj, name),
        _ => Ok(chrono::Utc::now()),
    }
}

/// A decision archive: a file of JSON lines, or a `postgres://` URL.
#[pyclass(frozen, module = "shipgate")]
pub struct AuditLog {
    inner: Mutex<shipgate::AuditLog>,
}

impl AuditLog {
    /// Appends a decision at `at`; warnings (a torn last line removed) are Python warnings.
    pub fn append_decision(
        &self,
        py: Python<'_>,
        decision: &shipgate::Decision,
        at: shipgate::Instant,
    ) -> PyResult<shipgate::Appended> {
        let appended = self.with(py, |log| log.append(decision, at))?;
        for w in &appended.warnings {
            PyErr::warn(
                py,
                &py.get_type::<pyo3::exceptions::PyUserWarning>(),
                &std::ffi::CString::new(w.replace('\0', " ")).unwrap_or_default(),
                1,
            )?;
        }
        Ok(appended)
    }

    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut shipgate::AuditLog) -> Result<T, shipgate::Error> + Send,
    ) -> PyResult<T> {
        // The lock is taken without the GIL: another thread's append may hold it.
        py.detach(|| match self.inner.lock() {
            Ok(mut log) => f(&mut log),
            Err(_) => Err(poisoned()),
        })
        .map_err(|e| audit_err(py, e))
    }
}

fn poisoned() -> shipgate::Error {
    shipgate::Error::Internal {
        message: "the audit log's lock was poisoned by an earlier panic".into(),
    }
}

#[pymethods]
impl AuditLog {
    /// Opens (or creates) the archive at `target`.
    #[new]
    fn new(py: Python<'_>, target: &str) -> PyResult<AuditLog> {
        guard(|| {
            let log = py
                .detach(|| shipgate::AuditLog::open(target))
                .map_err(|e| audit_err(py, e))?;
            Ok(AuditLog {
                inner: Mutex::new(log),
            })
        })
    }

    /// The target, a URL's password hidden.
    #[getter]
    fn target(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |log| Ok(log.target().to_string()))
    }

    /// Appends a decision, at `at` (default: the current time); returns
    /// `{"first_seq", "last_seq", "hash", "warnings"}`.
    #[pyo3(signature = (decision, at = None))]
    fn append<'py>(
        &self,
        py: Python<'py>,
        decision: &Decision,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = at_arg(at, "at").or_raise(py)?;
            let appended = self.append_decision(py, &decision.0, at)?;
            to_python(py, &appended)
        })
    }

    /// Checks every record: `{"intact", "records", "head", "problem"}`, `problem` being
    /// `{"seq", "line", "kind", "message"}` of the first bad record or `None`.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let report = self.with(py, |log| log.verify())?;
            let mut value = serde_json::to_value(&report).unwrap_or_default();
            value["intact"] = report.is_intact().into();
            to_python(py, &value)
        })
    }

    /// The records appended in `[from_, to)` (by `at`) of change `change`, as dicts; an
    /// archive that is not intact raises.
    #[pyo3(signature = (from_ = None, to = None, change = None))]
    fn records<'py>(
        &self,
        py: Python<'py>,
        from_: Option<&Bound<'py, PyAny>>,
        to: Option<&Bound<'py, PyAny>>,
        change: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let mut filter = shipgate::RecordFilter::all();
            if let Some(from) = from_.filter(|f| !f.is_none()) {
                filter = filter.from(instant_arg(from, "from_").or_raise(py)?);
            }
            if let Some(to) = to.filter(|t| !t.is_none()) {
                filter = filter.to(instant_arg(to, "to").or_raise(py)?);
            }
            if let Some(change) = change {
                filter = filter.change(change);
            }
            let records = self.with(py, |log| log.records(&filter))?;
            let list: Vec<serde_json::Value> = records
                .iter()
                .map(shipgate::Record::to_json_value)
                .collect();
            to_python(py, &list)
        })
    }

    /// The open obligations at `now` (default: the current time):
    /// `{"now", "overdue", "open"}`.
    #[pyo3(signature = (now = None))]
    fn obligations<'py>(
        &self,
        py: Python<'py>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let now = at_arg(now, "now").or_raise(py)?;
            let report = self.with(py, |log| log.obligations(now))?;
            to_python(py, &report)
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("AuditLog({:?})", self.target(py)?))
    }
}
