//! shipgate: an embeddable release-policy engine.
//!
//! Compile a policy set once with [`Engine`], load a [`Catalog`] once, and ask for a
//! [`Decision`] for each [`Change`] at an instant `now`.
//!
//! ```
//! use shipgate::{Catalog, Change, Engine};
//! let engine = Engine::from_source(r#"
//!     tiers low, high
//!     tier high when change.size > 100
//!     rule two_eyes { deny when change.requester == change.implementer }
//! "#, "inline.gate").unwrap();
//! let catalog = Catalog::from_json(&serde_json::json!({
//!     "services": [{"id": "api", "tier": 1}]
//! })).unwrap();
//! let change = Change::from_json(&serde_json::json!({
//!     "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "ana",
//!     "start": "2026-12-01T10:00:00Z", "duration": "1h"
//! })).unwrap();
//! let now = "2026-12-01T09:00:00Z".parse().unwrap();
//! let decision = engine.evaluate(&change, &catalog, now, false).unwrap();
//! assert_eq!(decision.verdict, shipgate::Verdict::Deny);
//! ```

mod calendar;
mod check;
mod decision;
mod error;
mod eval;
mod graph;
mod input;
mod syntax;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use decision::{
    BlackoutOccurrence, CalendarReport, Decision, Exemption, Ignored, Reason, RegionSchedule,
    Requirement, RequirementKind, RollbackTrigger, Schedule, Stretch, Text, TraceEntry, Verdict,
    WaiverOutcome,
};
pub use error::{Diagnostic, Error, InputError, Location, PolicyError, Severity};
pub use graph::Catalog;
pub use input::{
    Approval, Change, Format, Incident, Instant, Service, Waiver, changes_from_json,
    changes_from_json_at, changes_from_path, changes_from_text, format_duration, format_instant,
    parse_document, parse_duration, parse_instant,
};

/// A compiled policy set. Cheap to clone and share between threads.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<check::Compiled>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Compiles every `.gate` file in a folder (recursively, sorted by path), or one file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Engine, Error> {
        Engine::from_paths(&[path.as_ref().to_path_buf()])
    }

    /// Compiles a list of files and folders as one policy set.
    pub fn from_paths(paths: &[PathBuf]) -> Result<Engine, Error> {
        let compiled = check::compile_paths(paths)?;
        Ok(Engine {
            inner: Arc::new(compiled),
        })
    }

    /// Compiles policy text; `name` is what diagnostics and `at` locations call the file.
    /// `ics` imports are resolved against the current folder.
    pub fn from_source(text: &str, name: &str) -> Result<Engine, Error> {
        Engine::from_sources(vec![(name.to_string(), text.to_string())], None)
    }

    /// Compiles several named sources as one set; `root` is the folder `ics` paths are
    /// relative to (and confined in).
    pub fn from_sources(
        files: Vec<(String, String)>,
        root: Option<PathBuf>,
    ) -> Result<Engine, Error> {
        let compiled = check::compile_sources(files, root)?;
        Ok(Engine {
            inner: Arc::new(compiled),
        })
    }

    /// Warnings found while compiling (for example an optional field read without `has`).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }

    /// The warnings rendered rustc-style.
    pub fn render_warnings(&self, color: bool) -> String {
        error::render_diagnostics(&self.inner.warnings, &self.inner.sources, color)
    }

    /// Decides one change at `now`. With `explain`, the decision's `trace` is filled.
    pub fn evaluate(
        &self,
        change: &Change,
        catalog: &Catalog,
        now: Instant,
        explain: bool,
    ) -> Result<Decision, Error> {
        eval::evaluate(&self.inner, change, catalog, now, explain)
    }

    /// [`Engine::evaluate`] with every condition decided by the general expression evaluator,
    /// not by the compiled fast forms that `evaluate` uses. The decision must be the same,
    /// byte for byte: this exists so that tests can check it. Not for production use.
    #[doc(hidden)]
    pub fn evaluate_reference(
        &self,
        change: &Change,
        catalog: &Catalog,
        now: Instant,
        explain: bool,
    ) -> Result<Decision, Error> {
        eval::evaluate_with(&self.inner, change, catalog, now, explain, true)
    }

    /// Decides many changes, in parallel on all cores; results are in input order.
    /// Takes owned changes or references (`&[Change]`, `&[&Change]`, ...), so callers that
    /// hold changes elsewhere need not copy them.
    pub fn evaluate_many<C: std::borrow::Borrow<Change> + Sync>(
        &self,
        changes: &[C],
        catalog: &Catalog,
        now: Instant,
    ) -> Vec<Result<Decision, Error>> {
        eval::evaluate_many(&self.inner, changes, catalog, now)
    }

    /// The first stretch in `region` at or after `after` with room for `duration_secs`,
    /// as `(start, end of the stretch)`; `None` when there is none within the horizon.
    pub fn next_window(
        &self,
        region: &str,
        after: Instant,
        duration_secs: i64,
    ) -> Result<Option<(Instant, Instant)>, Error> {
        eval::next_window(&self.inner, region, after, duration_secs)
    }

    /// Open stretches and blackout occurrences of `region` within `[from, to)`.
    pub fn calendar(
        &self,
        region: &str,
        from: Instant,
        to: Instant,
    ) -> Result<CalendarReport, Error> {
        eval::calendar_report(&self.inner, region, from, to)
    }

    /// The same as [`Engine::calendar`] as an RFC 5545 iCalendar document.
    pub fn calendar_ics(&self, region: &str, from: Instant, to: Instant) -> Result<String, Error> {
        eval::calendar_ics(&self.inner, region, from, to)
    }

    /// How many changes may deploy at once (`capacity N`); `None` when unlimited.
    pub fn capacity(&self) -> Option<u64> {
        self.inner.ir.capacity
    }

    /// The tier names, ascending.
    pub fn tiers(&self) -> &[String] {
        &self.inner.ir.tiers
    }

    /// The names of the policy set's regions, in declaration order.
    pub fn regions(&self) -> Vec<String> {
        self.inner.region_names()
    }
}

/// Where the engine reads policies from: `.gate` files under the given paths, sorted.
pub fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    check::collect_gate_files(paths)
}

/// `docs/rust.md`, whose Rust examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/rust.md")]
pub struct RustGuide;
