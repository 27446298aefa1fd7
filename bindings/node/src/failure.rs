//! What a call can fail with, and how it reaches JavaScript: an `Error` with a `code` and the
//! location fields of the engine's error. A panic is caught here too, so it never unwinds into
//! Node (which would abort the process).

use std::panic::{AssertUnwindSafe, catch_unwind};

use napi::bindgen_prelude::{JsObjectValue, Object};
use napi::{Env, JsValue, Status};
use shipgate::{Error, InputError};

/// Codes a JavaScript caller can switch on (`err.code`): the two of the contract, and one for
/// bugs.
pub const POLICY_ERROR: &str = "POLICY_ERROR";
pub const INPUT_ERROR: &str = "INPUT_ERROR";
pub const INTERNAL_ERROR: &str = "INTERNAL_ERROR";
/// An audit archive that cannot be opened, read or appended to (`AuditLog`).
pub const AUDIT_ERROR: &str = "AUDIT_ERROR";

/// A failed call, before it is turned into a JavaScript `Error`.
#[derive(Debug)]
pub enum Failure {
    /// The engine refused: a policy that does not compile, a malformed input, a missing file.
    Engine(Error),
    /// The N-API layer failed (for example a getter of the caller's object threw; that
    /// exception is left pending and reaches the caller unchanged).
    Napi(napi::Error),
    /// A panic inside the engine or the binding: a bug, reported instead of crashing.
    Internal(String),
    /// An `AuditLog` call failed: its I/O errors are `AUDIT_ERROR`, not the policy error an
    /// unreadable path is elsewhere.
    Audit(Error),
    /// The same failure, for the change at this index of an `evaluateMany` batch.
    AtIndex(usize, Box<Failure>),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Engine(e)
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Failure {
        Failure::Engine(Error::Input(e))
    }
}

impl From<napi::Error> for Failure {
    fn from(e: napi::Error) -> Failure {
        Failure::Napi(e)
    }
}

/// An input error at a JSON path (`options.now`, `change.approvals[2].at`).
pub fn input(path: impl Into<String>, message: impl Into<String>) -> Failure {
    Failure::Engine(Error::Input(InputError::new(path, message)))
}

/// Runs `f`, turning a panic into [`Failure::Internal`].
pub fn guard<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(Failure::Internal(message))
        }
    }
}

/// The fields of the JavaScript `Error` for a failure, independent of N-API so they can be
/// tested in Rust. Every error has all of them (`null` where one does not apply), with the
/// same names and meanings as the Python binding's exception attributes.
#[derive(Debug, Default, PartialEq)]
pub struct ErrorFields {
    pub code: &'static str,
    pub message: String,
    /// POLICY_ERROR: the policy file or folder (the same as `file`); INPUT_ERROR: the JSON path.
    pub path: Option<String>,
    /// POLICY_ERROR: the file of the first error.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// POLICY_ERROR: every diagnostic rendered rustc-style (no colour).
    pub diagnostics: Option<String>,
    /// evaluateMany: the index of the change that failed.
    pub index: Option<u32>,
}

impl Failure {
    pub fn fields(&self) -> ErrorFields {
        match self {
            Failure::Engine(Error::Policy(p)) => {
                let at = p.location();
                ErrorFields {
                    code: POLICY_ERROR,
                    message: p.to_string(),
                    path: at.as_ref().map(|l| l.path.clone()),
                    file: at.as_ref().map(|l| l.path.clone()),
                    line: at.as_ref().map(|l| saturate(l.line)),
                    column: at.as_ref().map(|l| saturate(l.column)),
                    diagnostics: Some(p.render(false).trim_end().to_string()),
                    index: None,
                }
            }
            Failure::Engine(Error::Input(i)) => ErrorFields {
                code: INPUT_ERROR,
                message: i.to_string(),
                path: Some(i.path.clone()),
                ..ErrorFields::default()
            },
            // Only policy files are read from disk by the engine (input files are read by
            // `read_file`, which reports an input error): a path that cannot be read is a
            // policy set that cannot be loaded. The Python binding says the same.
            Failure::Engine(Error::Io { path, message }) => ErrorFields {
                code: POLICY_ERROR,
                message: format!("{path}: {message}"),
                path: Some(path.clone()),
                file: Some(path.clone()),
                line: None,
                column: None,
                diagnostics: Some(format!("{path}: {message}")),
                index: None,
            },
            Failure::Engine(other) => ErrorFields {
                code: INTERNAL_ERROR,
                message: other.to_string(),
                ..ErrorFields::default()
            },
            Failure::Audit(Error::Io { path, message }) => ErrorFields {
                code: AUDIT_ERROR,
                message: format!("{path}: {message}"),
                path: Some(path.clone()),
                ..ErrorFields::default()
            },
            Failure::Audit(other) => Failure::Engine(other.clone()).fields(),
            Failure::Napi(e) => ErrorFields {
                code: INPUT_ERROR,
                message: e.reason.clone(),
                ..ErrorFields::default()
            },
            Failure::Internal(m) => ErrorFields {
                code: INTERNAL_ERROR,
                message: format!("internal error in shipgate (please report it): {m}"),
                ..ErrorFields::default()
            },
            // An input error's path is already under `changes[i]` (see `Failure::at_index`).
            Failure::AtIndex(i, inner) => {
                let mut fields = inner.fields();
                if fields.code != INPUT_ERROR {
                    fields.message = format!("changes[{i}]: {}", fields.message);
                }
                fields.index = Some(saturate(*i));
                fields
            }
        }
    }

    /// The JavaScript `Error` to throw or reject with.
    pub fn into_napi(self, env: &Env) -> napi::Error {
        if let Failure::Napi(e) = &self {
            // A pending JavaScript exception (thrown by a getter or proxy of the caller's
            // object) is the most precise error there is: let it through unchanged.
            if e.status == Status::PendingException {
                return napi::Error::new(Status::PendingException, e.reason.clone());
            }
        }
        let fields = self.fields();
        match build(env, &fields) {
            Ok(error) => napi::Error::from(error.to_unknown()),
            Err(e) => e,
        }
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn build<'env>(env: &'env Env, f: &ErrorFields) -> napi::Result<Object<'env>> {
    let mut error =
        env.create_error(napi::Error::new(Status::GenericFailure, f.message.clone()))?;
    error.set_named_property("code", f.code)?;
    error.set_named_property("path", f.path.as_deref())?;
    error.set_named_property("file", f.file.as_deref())?;
    error.set_named_property("line", f.line)?;
    error.set_named_property("column", f.column)?;
    error.set_named_property("diagnostics", f.diagnostics.as_deref())?;
    error.set_named_property("index", f.index)?;
    Ok(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let result: Result<(), Failure> = guard(|| panic!("boom {}", 42));
        let fields = result.unwrap_err().fields();
        assert_eq!(fields.code, INTERNAL_ERROR);
        assert!(fields.message.contains("boom 42"), "{}", fields.message);
    }

    #[test]
    fn input_errors_keep_their_json_path() {
        let fields = input("change.approvals[2].at", "expected a date-time").fields();
        assert_eq!(fields.code, INPUT_ERROR);
        assert_eq!(fields.path.as_deref(), Some("change.approvals[2].at"));
        assert_eq!(
            fields.message,
            "change.approvals[2].at: expected a date-time"
        );
        assert_eq!(fields.line, None);
    }

    #[test]
    fn batch_errors_say_the_index() {
        let inner = input("changes[7].start", "expected a date-time, got 3");
        let fields = Failure::AtIndex(7, Box::new(inner)).fields();
        assert_eq!(fields.path.as_deref(), Some("changes[7].start"));
        assert_eq!(
            fields.message,
            "changes[7].start: expected a date-time, got 3"
        );
        assert_eq!(fields.index, Some(7));
        let internal = Failure::AtIndex(2, Box::new(Failure::Internal("x".into()))).fields();
        assert!(
            internal.message.starts_with("changes[2]: "),
            "{}",
            internal.message
        );
        assert_eq!(internal.index, Some(2));
    }

    #[test]
    fn an_unreadable_policy_folder_is_a_policy_error_without_a_line() {
        let e = Failure::Engine(Error::Io {
            path: "nope/".into(),
            message: "not found".into(),
        });
        let fields = e.fields();
        assert_eq!(fields.code, POLICY_ERROR);
        assert_eq!(fields.path.as_deref(), Some("nope/"));
        assert_eq!((fields.line, fields.column), (None, None));
        assert_eq!(fields.message, "nope/: not found");
    }

    #[test]
    fn policy_errors_carry_the_first_location_and_the_rendering() {
        let e = shipgate::PolicyError::bare("policies/p.gate", "cannot read the folder");
        let fields = Failure::from(Error::from(e)).fields();
        assert_eq!(fields.code, POLICY_ERROR);
        assert_eq!(fields.path.as_deref(), Some("policies/p.gate"));
        assert_eq!(fields.file.as_deref(), Some("policies/p.gate"));
        assert_eq!((fields.line, fields.column), (Some(1), Some(1)));
        assert!(fields.message.contains("cannot read the folder"));
        assert!(
            fields
                .diagnostics
                .unwrap()
                .contains("cannot read the folder")
        );
    }
}
