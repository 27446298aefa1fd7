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
    "The policy set does not compile (or cannot be read): `.file` (also `.path`), `.line`, \
     `.column` of the first error, `.diagnostics` with every diagnostic rendered rustc-style."
);
create_exception!(
    shipgate,
    InputError,
    ShipgateError,
    "A change, catalog or argument cannot be read: `.path` is its JSON path \
     (`change.approvals[2].at`), `.message` is `path: what is wrong`."
);

/// The fields every exception carries, with the same names and meanings as the Node
/// binding's `Error`s (`code`, `message`, `path`, `file`, `line`, `column`, `diagnostics`,
/// `index`); a field that does not apply is `None`.
#[derive(Default)]
pub struct Fields {
    pub code: &'static str,
    /// One line: `path: what is wrong` for an input error, `file:line:col: what is wrong` for a
    /// policy error (the Node `Error`'s `message`).
    pub message: String,
    /// Input errors: the JSON path; policy errors: the file (the same as `file`).
    pub path: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Policy errors: every diagnostic rendered rustc-style.
    pub diagnostics: Option<String>,
    /// `evaluate_many`: the position of the change that failed.
    pub index: Option<usize>,
}

pub const POLICY_ERROR: &str = "POLICY_ERROR";
pub const INPUT_ERROR: &str = "INPUT_ERROR";
pub const INTERNAL_ERROR: &str = "INTERNAL_ERROR";

impl Fields {
    /// The exception, of the class that matches `code`, with every field set as an attribute.
    /// `str(e)` is the rendered diagnostics for a policy error (so a traceback shows what
    /// `shipgate validate` prints), `message` otherwise. Setting an attribute on a plain
    /// exception object cannot fail short of memory exhaustion, and a failure would only lose
    /// the attribute, not the error.
    pub fn into_err(self, py: Python<'_>) -> PyErr {
        let text = match (&self.diagnostics, self.code) {
            (Some(d), POLICY_ERROR) if !d.trim_end().is_empty() => d.trim_end().to_string(),
            _ => self.message.clone(),
        };
        let err = match self.code {
            POLICY_ERROR => PolicyError::new_err(text),
            INPUT_ERROR => InputError::new_err(text),
            _ => ShipgateError::new_err(text),
        };
        let value = err.value(py);
        let _ = value.setattr("code", self.code);
        let _ = value.setattr("message", self.message);
        let _ = value.setattr("path", self.path);
        let _ = value.setattr("file", self.file);
        let _ = value.setattr("line", self.line);
        let _ = value.setattr("column", self.column);
        let _ = value.setattr("diagnostics", self.diagnostics);
        let _ = value.setattr("index", self.index);
        err
    }
}

/// A policy error: located at its first error.
fn policy_fields(e: &shipgate::PolicyError) -> Fields {
    let location = e.location();
    let file = location.as_ref().map(|l| l.path.clone());
    Fields {
        code: POLICY_ERROR,
        message: e.to_string(),
        path: file.clone(),
        file,
        line: location.as_ref().map(|l| l.line),
        column: location.as_ref().map(|l| l.column),
        diagnostics: Some(e.render(false).trim_end().to_string()),
        index: None,
    }
}

/// An input error; `str(e)` is `path: message`, as the CLI prints it.
pub fn input_fields(e: &shipgate::InputError) -> Fields {
    Fields {
        code: INPUT_ERROR,
        message: e.to_string(),
        path: Some(e.path.clone()),
        ..Fields::default()
    }
}

pub fn input_error(py: Python<'_>, e: &shipgate::InputError) -> PyErr {
    input_fields(e).into_err(py)
}

/// The fields of an engine error.
pub fn fields(e: &shipgate::Error) -> Fields {
    match e {
        shipgate::Error::Policy(p) => policy_fields(p),
        shipgate::Error::Input(i) => input_fields(i),
        // Only policy files are read from disk by the engine: a path that cannot be read is a
        // policy set that cannot be loaded. The Node binding says the same.
        shipgate::Error::Io { path, message } => Fields {
            code: POLICY_ERROR,
            message: format!("{path}: {message}"),
            path: Some(path.clone()),
            file: Some(path.clone()),
            diagnostics: Some(format!("{path}: {message}")),
            ..Fields::default()
        },
        other => Fields {
            code: INTERNAL_ERROR,
            message: other.to_string(),
            ..Fields::default()
        },
    }
}

/// Maps an engine error onto the exception tree.
pub fn to_py_err(py: Python<'_>, e: shipgate::Error) -> PyErr {
    fields(&e).into_err(py)
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
        Err(payload) => Python::attach(|py| {
            Err(Fields {
                code: INTERNAL_ERROR,
                message: format!(
                    "internal error in shipgate (please report it): {}",
                    panic_message(payload.as_ref())
                ),
                ..Fields::default()
            }
            .into_err(py))
        }),
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
