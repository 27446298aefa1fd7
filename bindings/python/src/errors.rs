//! The exception tree (one root, like polars' `exceptions.rs`) and the mapping of engine
//! errors onto it. Every entry point runs inside [`guard`], so a Rust panic reaches Python as a
//! `ShipgateError`, never as pyo3's `PanicException` (a `BaseException` that `except
//! Exception` does not catch).

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    shipgate,
    ShipgateError,
    PyException,
    "Base class of every error shipgate raises."
);
create_exception!(
    shipgate,
    PolicyError,
    ShipgateError,
    "The policy set does not compile (or cannot be read): `.path`, `.line`, `.column` of the \
     first error, `.diagnostics` with every diagnostic rendered rustc-style."
);
create_exception!(
    shipgate,
    InputError,
    ShipgateError,
    "A change, catalog or argument cannot be read: `.path` is its JSON path \
     (`change.approvals[2].at`), `.message` says what is wrong."
);

/// Sets attributes on the exception instance; the instance is a plain exception object with a
/// `__dict__`, so this cannot fail short of memory exhaustion, and a failure would only lose
/// the attribute, not the error.
fn with_attrs<'py>(py: Python<'py>, err: PyErr, attrs: &[(&str, Bound<'py, PyAny>)]) -> PyErr {
    let value = err.value(py);
    for (name, v) in attrs {
        let _ = value.setattr(*name, v);
    }
    err
}

/// A policy error: the message is the rendered diagnostics (file:line:col, source line, caret,
/// help), so a traceback shows the same text as `shipgate validate`.
fn policy_error(py: Python<'_>, e: &shipgate::PolicyError) -> PyErr {
    let rendered = e.render(false);
    let rendered = rendered.trim_end();
    let message = if rendered.is_empty() {
        e.to_string()
    } else {
        rendered.to_string()
    };
    let location = e.location();
    let path = location.as_ref().map(|l| l.path.clone());
    let line = location.as_ref().map(|l| l.line);
    let column = location.as_ref().map(|l| l.column);
    let attrs = [
        ("path", path.into_pyobject(py).map(Bound::into_any)),
        ("line", line.into_pyobject(py).map(Bound::into_any)),
        ("column", column.into_pyobject(py).map(Bound::into_any)),
        (
            "diagnostics",
            message.clone().into_pyobject(py).map(Bound::into_any),
        ),
    ];
    let attrs: Vec<_> = attrs
        .into_iter()
        .filter_map(|(k, v)| v.ok().map(|v| (k, v)))
        .collect();
    with_attrs(py, PolicyError::new_err(message), &attrs)
}

/// An input error; `str(e)` is `path: message`, as the CLI prints it.
pub fn input_error(py: Python<'_>, e: &shipgate::InputError) -> PyErr {
    let attrs = [
        ("path", e.path.clone().into_pyobject(py)),
        ("message", e.message.clone().into_pyobject(py)),
    ];
    let attrs: Vec<_> = attrs
        .into_iter()
        .filter_map(|(k, v)| v.ok().map(|v| (k, v.into_any())))
        .collect();
    with_attrs(py, InputError::new_err(e.to_string()), &attrs)
}

/// Maps an engine error onto the exception tree.
pub fn to_py_err(py: Python<'_>, e: shipgate::Error) -> PyErr {
    match e {
        shipgate::Error::Policy(p) => policy_error(py, &p),
        shipgate::Error::Input(i) => input_error(py, &i),
        // Only policy files are read from disk here: a path that cannot be read is a policy
        // set that cannot be loaded.
        shipgate::Error::Io { path, message } => {
            let text = format!("{path}: {message}");
            let attrs: Vec<_> = [
                ("path", path.into_pyobject(py).map(Bound::into_any)),
                ("line", Ok(py.None().into_bound(py))),
                ("column", Ok(py.None().into_bound(py))),
                (
                    "diagnostics",
                    text.clone().into_pyobject(py).map(Bound::into_any),
                ),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.ok().map(|v| (k, v)))
            .collect();
            with_attrs(py, PolicyError::new_err(text), &attrs)
        }
        other => ShipgateError::new_err(other.to_string()),
    }
}

/// A result of the engine as a Python result.
pub trait IntoPyResult<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, shipgate::Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, e))
    }
}

impl<T> IntoPyResult<T> for Result<T, shipgate::InputError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| input_error(py, &e))
    }
}

/// Runs an entry point; a panic inside becomes a `ShipgateError` naming it as a bug.
pub fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(ShipgateError::new_err(format!(
            "internal error in shipgate (please report it): {}",
            panic_message(payload.as_ref())
        ))),
    }
}

/// The text a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
