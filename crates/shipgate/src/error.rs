//! Errors: policy diagnostics (with spans), input errors (with JSON paths), evaluation errors.

use crate::span::{SourceMap, Span};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};

/// How serious a [`Diagnostic`] is; serialised as `"warning"` or `"error"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// The policy compiles, but something in it is probably a mistake.
    Warning,
    /// The policy does not compile.
    Error,
}

/// One message about a policy, pointing at a span of its source. Its place in the source is
/// [`PolicyError::location_of`]; [`PolicyError::render`] and [`crate::Engine::render_warnings`]
/// print it rustc-style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub(crate) severity: Severity,
    pub(crate) message: String,
    pub(crate) span: Span,
    /// Short text under the caret.
    pub(crate) label: String,
    /// Other places worth showing (for example the first definition of a duplicate).
    pub(crate) secondary: Vec<(Span, String)>,
    /// "did you mean `high`?" and similar.
    pub(crate) help: Option<String>,
    pub(crate) notes: Vec<String>,
}

impl Diagnostic {
    /// Whether this is an error or a warning.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The message (`unknown tier \`hihg\``).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The short text under the caret; may be empty.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A suggestion such as "did you mean `high`?".
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Further notes.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub(crate) fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub(crate) fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub(crate) fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, label.into()));
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
}

/// An input string as an error message quotes it: as a JSON string (control characters
/// escaped), shortened to 60 characters, so an error never echoes a whole hostile input.
pub(crate) fn quoted(s: &str) -> String {
    let json = |s: String| serde_json::Value::String(s).to_string();
    match s.char_indices().nth(60) {
        None => json(s.to_string()),
        Some(_) => format!("{}...", json(s.chars().take(57).collect())),
    }
}

/// The longest name (in characters) "did you mean" is computed for: a longer name is not a
/// typo of anything, and comparing it costs time in proportion to its length.
pub(crate) const MAX_SUGGESTED_NAME: usize = 64;

/// The work one "did you mean" may do, in character pairs compared (name length times
/// candidate length, summed over the candidates): a few milliseconds. Past it, the candidates
/// not yet compared are not considered.
const SUGGESTION_WORK_PER_NAME: usize = 2_000_000;

/// The work every "did you mean" of one compilation may do together (see
/// [`suggestion_budget`]): a policy with thousands of misspelt names against thousands of
/// declared ones gets suggestions for the first of them only.
const SUGGESTION_WORK_PER_COMPILE: usize = 10_000_000;

/// Runs `f` on the work left to "did you mean" in the compilation running on this thread
/// (`None` outside one).
fn suggestion_work_left<T>(f: impl FnOnce(&std::cell::Cell<Option<usize>>) -> T) -> T {
    thread_local! {
        static LEFT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    }
    LEFT.with(f)
}

/// Runs `f` (a compilation) with the work of all its "did you mean"s bounded together.
pub(crate) fn suggestion_budget<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(Option<usize>);
    impl Drop for Restore {
        fn drop(&mut self) {
            suggestion_work_left(|left| left.set(self.0));
        }
    }
    let _restore = Restore(suggestion_work_left(|left| {
        left.replace(Some(SUGGESTION_WORK_PER_COMPILE))
    }));
    f()
}

/// "did you mean `x`?" for the closest candidate, when one is close enough: the same name but
/// for case and surrounding spaces (`CAB`, `"cab "` for `cab`), else within a small edit
/// distance (transpositions count as one edit) or very similar by Jaro-Winkler.
///
/// Bounded: no suggestion for a name over [`MAX_SUGGESTED_NAME`] characters, candidates over
/// twice that are skipped, and the comparisons stop after a fixed amount of work per name
/// (and per compilation, inside [`suggestion_budget`]).
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    if name.chars().count() > MAX_SUGGESTED_NAME {
        return None;
    }
    let shared = suggestion_work_left(|left| left.get());
    let mut work = shared.map_or(SUGGESTION_WORK_PER_NAME, |left| {
        left.min(SUGGESTION_WORK_PER_NAME)
    });
    let spent_from = work;
    let found = closest(name, candidates, &mut work);
    if let Some(left) = shared {
        suggestion_work_left(|cell| cell.set(Some(left - (spent_from - work))));
    }
    found.map(|c| format!("did you mean `{c}`?"))
}

/// The candidate "did you mean" suggests for `name`, in one pass over the candidates, each
/// comparison (the case-insensitive one too) paid from `work`: once the work is spent
/// (thousands of misspelt names in one compilation), a name costs nothing more, however many
/// candidates there are.
fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    work: &mut usize,
) -> Option<&'a str> {
    let len = name.chars().count();
    let folded = name.trim().to_lowercase();
    // A name of one or two characters is too short to guess from, but for case.
    let budget = (len >= 3).then(|| (len / 3).max(1));
    let mut best: Option<(usize, f64, &str)> = None;
    for c in candidates {
        if *work <= len {
            break;
        }
        if c == name || c.len() > 8 * MAX_SUGGESTED_NAME {
            continue;
        }
        let c_len = c.chars().count();
        let cost = len + c.len() + 1 + budget.map_or(0, |_| (len + 1) * (c_len + 1));
        if cost > *work {
            break;
        }
        *work -= cost;
        if c.to_lowercase() == folded {
            return Some(c);
        }
        let Some(budget) = budget else { continue };
        if c_len > 2 * MAX_SUGGESTED_NAME {
            continue;
        }
        let edits = strsim::osa_distance(name, c);
        let similarity = strsim::jaro_winkler(name, c);
        if edits > budget && similarity < 0.85 {
            continue;
        }
        let better = match best {
            None => true,
            Some((e, s, _)) => edits < e || (edits == e && similarity > s),
        };
        if better {
            best = Some((edits, similarity, c));
        }
    }
    best.map(|(_, _, c)| c)
}

/// A policy set that failed to compile: every diagnostic found, and the sources to render them.
#[derive(Debug, Clone)]
pub struct PolicyError {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) sources: SourceMap,
}

/// Where a diagnostic points, in 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Location {
    /// The file, as the policy set names it.
    pub path: String,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

/// A span of a policy file: its name (as the policy set names it) and the byte offsets of the
/// span's start and end in the file's text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SourceRange {
    /// The file, as the policy set names it.
    pub path: String,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
}

impl SourceRange {
    pub(crate) fn of(sources: &SourceMap, span: Span) -> SourceRange {
        SourceRange {
            path: sources
                .get(span.file)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            start: span.start as usize,
            end: span.end as usize,
        }
    }
}

impl PolicyError {
    pub(crate) fn new(diagnostics: Vec<Diagnostic>, sources: SourceMap) -> PolicyError {
        PolicyError {
            diagnostics,
            sources,
        }
    }

    /// An error that is not tied to any source text (for example an unreadable folder).
    pub fn bare(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
        let mut sources = SourceMap::default();
        let file = sources.add(path, "");
        PolicyError {
            diagnostics: vec![Diagnostic::error(Span::new(file, 0, 0), message)],
            sources,
        }
    }

    /// Every diagnostic found, errors and warnings, in the order found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The first error's location.
    pub fn location(&self) -> Option<Location> {
        let d = self
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .or(self.diagnostics.first())?;
        self.locate(d.span)
    }

    /// Where one of this error's [`diagnostics`](PolicyError::diagnostics) points.
    pub fn location_of(&self, diagnostic: &Diagnostic) -> Option<Location> {
        self.locate(diagnostic.span)
    }

    pub(crate) fn locate(&self, span: Span) -> Option<Location> {
        locate(&self.sources, span)
    }

    /// The span one of this error's diagnostics points at, as byte offsets into its file
    /// (what an editor converts to its own positions).
    pub fn range_of(&self, diagnostic: &Diagnostic) -> SourceRange {
        SourceRange::of(&self.sources, diagnostic.span)
    }

    /// rustc-style rendering with carets; `color` adds ANSI colours.
    pub fn render(&self, color: bool) -> String {
        render_diagnostics(&self.diagnostics, &self.sources, color)
    }
}

/// Renders diagnostics rustc-style (file:line:col, source line, caret, help).
pub(crate) fn render_diagnostics(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    color: bool,
) -> String {
    let mut files = SimpleFiles::new();
    for f in &sources.files {
        files.add(f.name.clone(), f.text.clone());
    }
    let config = Config::default();
    let mut out = String::new();
    for d in diagnostics {
        let cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        };
        let mut labels = vec![
            Label::primary(d.span.file.0 as usize, d.span.range()).with_message(d.label.clone()),
        ];
        for (s, l) in &d.secondary {
            labels.push(Label::secondary(s.file.0 as usize, s.range()).with_message(l.clone()));
        }
        let mut notes = d.notes.clone();
        if let Some(h) = &d.help {
            notes.push(format!("help: {h}"));
        }
        let cs = cs
            .with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(notes);
        let rendered = if color {
            let mut buf = codespan_reporting::term::termcolor::Buffer::ansi();
            term::emit_to_write_style(&mut buf, &config, &files, &cs)
                .ok()
                .map(|_| String::from_utf8_lossy(buf.as_slice()).into_owned())
        } else {
            let mut s = String::new();
            term::emit_to_string(&mut s, &config, &files, &cs)
                .ok()
                .map(|_| s)
        };
        match rendered {
            Some(r) => out.push_str(&r),
            None => {
                out.push_str(&format!("{}: {}\n", sources.location(d.span), d.message));
            }
        }
    }
    out
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        match self.diagnostics.iter().find(|d| d.is_error()) {
            Some(d) => {
                write!(f, "{}: {}", self.sources.location(d.span), d.message)?;
                if let Some(h) = &d.help {
                    write!(f, " ({h})")?;
                }
                if errors > 1 {
                    write!(f, " (and {} more errors)", errors - 1)?;
                }
                Ok(())
            }
            None => write!(f, "policy error"),
        }
    }
}

impl std::error::Error for PolicyError {}

/// A change, catalog or observation input that cannot be read; `path` is the JSON path
/// (`change.approvals[2].at`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
#[non_exhaustive]
pub struct InputError {
    /// The JSON path of the value (`change.approvals[2].at`), or the name of the argument.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl InputError {
    /// An error about the value at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Everything the engine can fail with.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The policy set does not compile.
    #[error("{0}")]
    Policy(Box<PolicyError>),
    /// An input (change, catalog, observations) is malformed.
    #[error("{0}")]
    Input(InputError),
    /// A file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: String,
        /// Why it could not be read.
        message: String,
    },
    /// A bug in the engine (for example a panic in a worker of
    /// [`Engine::evaluate_many`](crate::Engine::evaluate_many)); please report it.
    #[error("internal error: {message}")]
    Internal {
        /// What went wrong.
        message: String,
    },
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Error {
        Error::Policy(Box::new(e))
    }
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Error {
        Error::Input(e)
    }
}

/// Where a span points: the file's name, and the 1-based line and column.
pub(crate) fn locate(sources: &SourceMap, span: Span) -> Option<Location> {
    let f = sources.get(span.file)?;
    let (line, column) = f.line_col(span.start as usize);
    Some(Location {
        path: f.name.clone(),
        line,
        column,
    })
}

/// A compile warning as plain data, located: what the Python and Node packages return for
/// `engine.warnings` (`{"message", "severity", "file", "line", "column"}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Warning {
    /// What is probably wrong.
    pub message: String,
    /// Always [`Severity::Warning`] for an engine that compiled.
    pub severity: Severity,
    /// The policy file it points into.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
}

impl Warning {
    pub(crate) fn of(d: &Diagnostic, sources: &SourceMap) -> Warning {
        let at = locate(sources, d.span);
        Warning {
            message: d.message.clone(),
            severity: d.severity,
            file: at.as_ref().map(|l| l.path.clone()),
            line: at.as_ref().map(|l| l.line),
            column: at.as_ref().map(|l| l.column),
        }
    }
}

#[cfg(test)]
mod tests;
