//! Compile warnings as plain data, the same objects in the Python and Node bindings:
//! `{message, severity, file, line, column}`.

use serde::Serialize;

/// One compile warning.
#[derive(Serialize)]
pub struct Warning {
    pub message: String,
    /// `"warning"` (an engine that compiled has no errors).
    pub severity: &'static str,
    /// Where it points (1-based); `None` while the engine does not say (see [`locate`]).
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// The engine's compile warnings, in the order it reports them.
pub fn of(engine: &shipgate::Engine) -> Vec<Warning> {
    engine
        .warnings()
        .iter()
        .map(|d| {
            let at = locate(engine, d);
            Warning {
                message: d.message().to_string(),
                severity: if d.is_error() { "error" } else { "warning" },
                file: at.as_ref().map(|l| l.path.clone()),
                line: at.as_ref().map(|l| l.line),
                column: at.as_ref().map(|l| l.column),
            }
        })
        .collect()
}

/// Where a warning points, as the library locates it.
fn locate(engine: &shipgate::Engine, warning: &shipgate::Diagnostic) -> Option<shipgate::Location> {
    engine.warning_location(warning)
}
