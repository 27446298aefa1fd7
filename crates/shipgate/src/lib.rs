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
//!
//! # Features
//!
//! - `postgres`: the `postgres://` target of [`AuditLog`] (the decision archive); without
//!   it, an archive is a file of JSON lines and opening a URL is an error.
//! - `testing`: `Engine::evaluate_reference`, which decides with the general expression
//!   evaluator only, for tests that compare it with [`Engine::evaluate`]. Not for production.

// Flipped to `deny` once every module documents its public items.
#![deny(missing_docs)]

mod audit;
mod calendar;
mod check;
mod decision;
mod digest;
mod error;
mod eval;
mod graph;
mod input;
mod limits;
mod lint;
mod metrics;
mod plan;
mod query;
mod replay;
mod span;
mod syntax;
mod time;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use audit::{
    Appended, AuditLog, MAX_BATCH, MAX_RECORD_BYTES, ObligationReport, OpenObligation, Record,
    RecordFilter, Tamper, TamperKind, VerifyReport,
};
pub use decision::{
    BlackoutOccurrence, CalendarDays, CalendarReport, ChangeCalendarReport, ChangeSchedule,
    Comparison, Conflict, Decision, ExemptBy, Exemption, Ignored, IgnoredWhy, InputsDigest, Lifted,
    LocalDay, Obligation, OnNoData, Operand, PolicyDigest, Reason, RegionSchedule, RelativeTo,
    Requirement, RequirementKind, RollbackCheck, RollbackTrigger, Schedule, SeenValue,
    ServiceCalendarReport, ServiceSchedule, ShipStep, SmallVec, StepKind, Stretch, Text,
    TraceEntry, TraceKind, TriggerCheck, TriggerState, Verdict, WaiverOutcome,
};
pub use error::{
    Diagnostic, Error, InputError, Location, PolicyError, Severity, SourceRange, Warning,
};
pub use eval::batch::{Decisions, DecisionsIntoIter, DecisionsIter, DecisionsIterMut};
pub use graph::{Catalog, Drawing, DrawingKind};
pub use input::{
    Approval, Change, Check, CheckStatus, DEFAULT_MAX_INPUT_BYTES, Format, Incident, Instant,
    MAX_INPUT_NESTING, MAX_OBSERVATION_SAMPLES, MAX_SCHEDULED_RUNS, Observations, Scheduled,
    ScheduledRun, Service, Waiver, changes_from_json, changes_from_json_at, changes_from_path,
    changes_from_path_with, changes_from_text, format_duration, format_instant, parse_document,
    parse_duration, parse_instant, read_input_text,
};
pub use limits::{Limit, LimitError, Limits};
pub use lint::Finding;
pub use lint::symbols::{Symbol, SymbolIndex, SymbolKind, utf16_offset, utf16_position};
pub use metrics::{
    Figures, GroupBy, GroupFigures, HistoryFormat, MAX_HISTORY_LINE_BYTES, MAX_SVG_WEEKS, Metrics,
    MetricsQuery, WeekFigures, metrics, metrics_from_path,
};
pub use plan::{
    Cancelled, GanttSections, MAX_PLAN_CANDIDATES, Moved, NewlyPlanned, NewlyUnschedulable, Plan,
    PlannedChange, PreviousPlan, Replan, Unschedulable,
};
pub use query::local_days;
pub use replay::{MAX_REPLAY_LINE_BYTES, Replay, ReplayChange, ReplayReason};

/// A compiled policy set. Cheap to clone and share between threads.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<eval::Policy>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Compiles every `.gate` file in a folder (recursively, sorted by path), or one file.
    /// `ics` paths are relative to that folder, or to the file's folder.
    ///
    /// The decisions' `policy` digest covers every `.gate` file, named by its path relative to
    /// the folder (or, for a file given itself, by its file name), and every imported `ics`
    /// file, named by its path relative to the policy folder (`docs/semantics.md`).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Engine, Error> {
        Engine::from_paths(&[path.as_ref().to_path_buf()])
    }

    /// Compiles a list of files and folders as one policy set.
    pub fn from_paths(paths: &[PathBuf]) -> Result<Engine, Error> {
        Engine::from_paths_with(paths, &Limits::default())
    }

    /// [`Engine::from_paths`] with other [`Limits`] than the defaults: the size of the policy
    /// files, the recurrence rules' starts, and the evaluation budget of its decisions.
    pub fn from_paths_with(paths: &[PathBuf], limits: &Limits) -> Result<Engine, Error> {
        let compiled = check::compile_paths(paths, limits)?;
        Ok(Engine {
            inner: Arc::new(eval::Policy::new(compiled, *limits)),
        })
    }

    /// Compiles policy text; `name` is what diagnostics and `at` locations call the file,
    /// and what the decisions' `policy` digest names it (the digest of the one file `name`
    /// with this text: the same as a folder holding only that file).
    ///
    /// Text has no folder, so a `blackout ... ics "PATH"` import is a policy error at the
    /// import (compiling never reads relative to the process's working folder): compile from
    /// the files with [`Engine::from_path`], or give the folder with [`Engine::from_sources`].
    pub fn from_source(text: &str, name: &str) -> Result<Engine, Error> {
        Engine::from_sources(vec![(name.to_string(), text.to_string())], None)
    }

    /// Compiles several named sources as one set; `root` is the policy folder that `ics`
    /// paths are relative to (and confined in). With `None`, an `ics` import is a policy error
    /// at the import, as with [`Engine::from_source`]. The `policy` digest names each source
    /// as given, and each imported `ics` file by its path relative to `root`.
    pub fn from_sources(
        files: Vec<(String, String)>,
        root: Option<PathBuf>,
    ) -> Result<Engine, Error> {
        Engine::from_sources_with(files, root, &Limits::default())
    }

    /// [`Engine::from_sources`] with other [`Limits`] than the defaults.
    pub fn from_sources_with(
        files: Vec<(String, String)>,
        root: Option<PathBuf>,
        limits: &Limits,
    ) -> Result<Engine, Error> {
        let compiled = check::compile_sources(files, root, limits)?;
        Ok(Engine {
            inner: Arc::new(eval::Policy::new(compiled, *limits)),
        })
    }

    /// The limits the engine was compiled with; its decisions have the evaluation budget of
    /// [`Limit::EvalSteps`], and inputs read for it may use the same limits
    /// ([`Change::from_path_with`]`(path, engine.limits())`).
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Warnings found while compiling (for example an optional field read without `has`).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.compiled.warnings
    }

    /// Where one of [`Engine::warnings`] points: its file and 1-based line and column.
    pub fn warning_location(&self, warning: &Diagnostic) -> Option<Location> {
        error::locate(&self.inner.compiled.sources, warning.span)
    }

    /// The warnings as located plain data (the bindings' `warnings`).
    pub fn warning_list(&self) -> Vec<Warning> {
        let sources = &self.inner.compiled.sources;
        self.inner
            .compiled
            .warnings
            .iter()
            .map(|d| Warning::of(d, sources))
            .collect()
    }

    /// The warning's span as byte offsets into its file (for editors).
    pub fn warning_range(&self, warning: &Diagnostic) -> SourceRange {
        SourceRange::of(&self.inner.compiled.sources, warning.span)
    }

    /// Lints the policy (`shipgate lint`, docs/lint.md): rules that can never fire, tiers
    /// and strategy arms that can never be chosen, calendars never open within the horizon
    /// from `now`, and more, each finding with a stable code, in source order.
    pub fn lint(&self, now: Instant) -> Vec<Finding> {
        lint::lint(&self.inner.compiled, now)
    }

    /// The warnings rendered rustc-style.
    pub fn render_warnings(&self, color: bool) -> String {
        error::render_diagnostics(
            &self.inner.compiled.warnings,
            &self.inner.compiled.sources,
            color,
        )
    }

    /// Reads a change from JSON or YAML text for this engine: the same as
    /// [`Change::from_text`] then [`Engine::prepare_change`], JSON read straight into the
    /// slots where it can be. Its `extend change` fields are checked against the
    /// policy's declarations here, once, with the errors an evaluation would give, and kept
    /// typed, so that every decision on it reads them without finding or checking them again
    /// (docs/extend.md, "Reading a change for a policy").
    pub fn read_change(&self, text: &str, format: Format) -> Result<Change, InputError> {
        eval::typed::read_change(&self.inner, text, format)
    }

    /// Checks `change`'s keys and `extend change` values against this engine's policy and,
    /// when its `extend change` fields are all of the simple types (`bool`, `int`, `float`,
    /// `string`, `duration`, `datetime`, `date`, `list<string>`, each optional or not), keeps
    /// them typed in the change for this engine: they leave [`Change::extra`], and a decision
    /// borrows them instead of reading them by name. The change is then for this engine only:
    /// another engine refuses it with an error, as it refuses a field added to `extra`
    /// afterwards. Preparing a change twice for the same engine does nothing; its `inputs`
    /// digest and every decision on it are the same as on the change unprepared.
    pub fn prepare_change(&self, change: &mut Change) -> Result<(), InputError> {
        eval::typed::prepare_change(&self.inner, change)
    }

    /// Decides one change at `now`. With `explain`, the decision's `trace` is filled.
    ///
    /// The same as [`Engine::session`] followed by [`Session::decide_at`] the change's own
    /// start (`now` when it has none).
    pub fn evaluate(
        &self,
        change: &Change,
        catalog: &Catalog,
        now: Instant,
        explain: bool,
    ) -> Result<Decision, Error> {
        eval::evaluate(&self.inner, change, catalog, now, explain)
    }

    /// [`Engine::evaluate`], then the decision appended to an audit archive at `at` (the
    /// instant of the append; a caller passes its clock, tests a fixed instant). A failed
    /// append is an error: a decision that should be archived is never returned unarchived.
    pub fn evaluate_logged(
        &self,
        change: &Change,
        catalog: &Catalog,
        now: Instant,
        explain: bool,
        log: &mut AuditLog,
        at: Instant,
    ) -> Result<(Decision, Appended), Error> {
        let decision = self.evaluate(change, catalog, now, explain)?;
        let appended = log.append(&decision, at)?;
        Ok((decision, appended))
    }

    /// [`Engine::evaluate`] with the changes already scheduled (SPEC 8.4, `docs/planning.md`
    /// "Conflicts"): the decision's `conflicts` lists the scheduled runs that overlap the
    /// change's run and touch one of its services or a direct neighbour of one (a run with the
    /// change's own id is the change itself and is skipped), `change.conflicts` is their
    /// number, and the `inputs` digest covers the schedule too. A service the schedule names
    /// that the catalog does not know is an input error at its path
    /// (`scheduled.changes[2].services[0]`). Without a schedule ([`Engine::evaluate`]),
    /// `change.conflicts` is 0 and the decision has no `conflicts`.
    pub fn evaluate_scheduled(
        &self,
        change: &Change,
        catalog: &Catalog,
        now: Instant,
        explain: bool,
        scheduled: &Scheduled,
    ) -> Result<Decision, Error> {
        eval::evaluate_scheduled(&self.inner, change, catalog, now, explain, scheduled)
    }

    /// Checks the rollback triggers that apply to `change` (those its decision at `now`
    /// lists) against `observations` (SPEC 5, `docs/rollback.md`): each is `fired` (with when
    /// the breach began), `ok` or `no_data`, and `rollback` is true when one fired or one with
    /// `on no_data fire` has no data. The answer names the policy's `rollback owner`.
    ///
    /// Only samples at or before `now` are read. A trigger relative to a baseline (`150% of
    /// baseline`) whose metric has no `baseline` in the observations is an input error at
    /// `observations.baseline.<metric>`; the decision's own input errors are returned as
    /// [`Engine::evaluate`] returns them.
    pub fn rollback(
        &self,
        change: &Change,
        catalog: &Catalog,
        observations: &Observations,
        now: Instant,
    ) -> Result<RollbackCheck, Error> {
        eval::rollback::check(&self.inner, change, catalog, observations, now)
    }

    /// Prepares `change` once for deciding it at several starts (a planner's candidates):
    /// the touched services, regions and `extend` values are found and validated here, and
    /// each [`Session::decide_at`] only recomputes what depends on the start. Fails with the
    /// input errors found while preparing (an unknown service, a malformed `extend` value);
    /// those found while deciding (an unknown region, an end beyond supported dates) come
    /// from `decide_at`, exactly as `evaluate` reports them.
    pub fn session<'a>(
        &'a self,
        change: &'a Change,
        catalog: &'a Catalog,
        now: Instant,
    ) -> Result<Session<'a>, Error> {
        Ok(Session {
            inner: eval::Session::new(&self.inner, change, catalog, now, false)?,
        })
    }

    /// [`Engine::evaluate`] with every condition decided by the general expression evaluator,
    /// not by the compiled fast forms that `evaluate` uses. The decision must be the same,
    /// byte for byte: this exists so that tests can check it. Not for production use; only
    /// with the `testing` feature.
    #[cfg(feature = "testing")]
    pub fn evaluate_reference(
        &self,
        change: &Change,
        catalog: &Catalog,
        now: Instant,
        explain: bool,
    ) -> Result<Decision, Error> {
        eval::evaluate_with(&self.inner, change, catalog, now, explain, true)
    }

    /// Decides many changes, in parallel on all cores; results are in input order. The
    /// [`Decisions`] are read by index or iterated (by reference or by value); dropped whole,
    /// each thread frees the results it made.
    /// Takes owned changes or references (`&[Change]`, `&[&Change]`, ...), so callers that
    /// hold changes elsewhere need not copy them.
    pub fn evaluate_many<C: std::borrow::Borrow<Change> + Sync>(
        &self,
        changes: &[C],
        catalog: &Catalog,
        now: Instant,
    ) -> Decisions {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        eval::batch::evaluate_many(&self.inner, changes, catalog, now, threads)
    }

    /// [`Engine::evaluate_many`] on at most `threads` threads (at least one).
    pub fn evaluate_many_on<C: std::borrow::Borrow<Change> + Sync>(
        &self,
        changes: &[C],
        catalog: &Catalog,
        now: Instant,
        threads: usize,
    ) -> Decisions {
        eval::batch::evaluate_many(&self.inner, changes, catalog, now, threads.max(1))
    }

    /// Replays historical changes (SPEC 8.6): decides each line of `changes` (JSON lines of
    /// `{"change": {...}, "now": T}`) under this policy (the old one) and under `new`, on all
    /// cores, and lists the changes whose verdict or reasons differ. `name` names the stream
    /// in errors (`changes.jsonl:12: ...`); the first line that cannot be read or decided
    /// stops the replay. Memory grows with the changes that differ, not with the stream.
    pub fn replay(
        &self,
        new: &Engine,
        catalog: &Catalog,
        changes: impl std::io::BufRead + Send,
        name: &str,
    ) -> Result<Replay, Error> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.replay_on(new, catalog, changes, name, threads)
    }

    /// [`Engine::replay`] on `threads` threads (at least one).
    pub fn replay_on(
        &self,
        new: &Engine,
        catalog: &Catalog,
        changes: impl std::io::BufRead + Send,
        name: &str,
        threads: usize,
    ) -> Result<Replay, Error> {
        replay::replay(&self.inner, &new.inner, catalog, changes, name, threads)
    }

    /// The first stretch in `region` at or after `after` with room for `duration_secs`,
    /// as `(start, end of the stretch)`; `None` when there is none within the horizon.
    pub fn next_window(
        &self,
        region: &str,
        after: Instant,
        duration_secs: i64,
    ) -> Result<Option<(Instant, Instant)>, Error> {
        query::next_window(&self.inner.compiled, region, after, duration_secs)
    }

    /// The earliest stretch at or after `after` where the whole change (its `duration`) fits
    /// every calendar that applies to it at once: its regions', its services' (`services
    /// where`, catalog `calendars`) and its own (`changes where`, decided with the change
    /// starting at its `start`, else at `after`), each in its own time zone. Returns `(start, end of that common stretch)`; `None` when there is none
    /// within the horizon (365 days), or when the change touches no region of a policy with
    /// regions. The calendars as declared: a decision's `schedule.next_window` also counts
    /// the exemptions its rules grant. The change is validated against the policy and the
    /// catalog as a decision validates it (an unknown region is an input error).
    pub fn change_next_window(
        &self,
        change: &Change,
        catalog: &Catalog,
        after: Instant,
    ) -> Result<Option<(Instant, Instant)>, Error> {
        let at = change.start.unwrap_or(after);
        let (_, group) = eval::applying_calendars(&self.inner, change, catalog, at)?;
        Ok(query::change_next_window(
            &self.inner.compiled,
            group.as_ref(),
            after,
            change.duration,
        ))
    }

    /// Everything that applies to a change over `[from, to)` (as [`Engine::change_next_window`]
    /// finds it, `changes where` decided with the change starting at its `start`, else at
    /// `from`): the stretches where every applying calendar is open at once, and the blackout
    /// occurrences of any of them. Never open when the change touches no region of a policy
    /// with regions.
    pub fn change_calendar(
        &self,
        change: &Change,
        catalog: &Catalog,
        from: Instant,
        to: Instant,
    ) -> Result<ChangeCalendarReport, Error> {
        let at = change.start.unwrap_or(from);
        let (regions, group) = eval::applying_calendars(&self.inner, change, catalog, at)?;
        query::change_calendar_report(
            &self.inner.compiled,
            &change.id,
            regions,
            group.as_ref(),
            from,
            to,
        )
    }

    /// The same as [`Engine::change_calendar`] as an RFC 5545 iCalendar document.
    pub fn change_calendar_ics(
        &self,
        change: &Change,
        catalog: &Catalog,
        from: Instant,
        to: Instant,
    ) -> Result<String, Error> {
        let at = change.start.unwrap_or(from);
        let (_, group) = eval::applying_calendars(&self.inner, change, catalog, at)?;
        query::change_calendar_ics(&self.inner.compiled, &change.id, group.as_ref(), from, to)
    }

    /// Open stretches and blackout occurrences of `region` within `[from, to)`.
    pub fn calendar(
        &self,
        region: &str,
        from: Instant,
        to: Instant,
    ) -> Result<CalendarReport, Error> {
        query::calendar_report(&self.inner.compiled, region, from, to)
    }

    /// The same as [`Engine::calendar`] as an RFC 5545 iCalendar document.
    pub fn calendar_ics(&self, region: &str, from: Instant, to: Instant) -> Result<String, Error> {
        query::calendar_ics(&self.inner.compiled, region, from, to)
    }

    /// Open stretches and blackout occurrences of everything that applies to `service`
    /// within `[from, to)` (SPEC 8.3): its regions' calendars, those of the `services where`
    /// that hold for it and those its catalog entry names, all at once. The catalog is
    /// checked against the policy as a decision checks it.
    pub fn service_calendar(
        &self,
        service: &str,
        catalog: &Catalog,
        from: Instant,
        to: Instant,
    ) -> Result<ServiceCalendarReport, Error> {
        let (regions, group) = eval::service_calendars(&self.inner, catalog, service)?;
        query::service_calendar_report(&self.inner.compiled, service, regions, &group, from, to)
    }

    /// The same as [`Engine::service_calendar`] as an RFC 5545 iCalendar document.
    pub fn service_calendar_ics(
        &self,
        service: &str,
        catalog: &Catalog,
        from: Instant,
        to: Instant,
    ) -> Result<String, Error> {
        let (_, group) = eval::service_calendars(&self.inner, catalog, service)?;
        query::service_calendar_ics(&self.inner.compiled, service, &group, from, to)
    }

    /// How many changes may deploy at once (`capacity N`); `None` when unlimited.
    pub fn capacity(&self) -> Option<u64> {
        self.inner.compiled.ir.capacity
    }

    /// Whether [`Engine::capacity`] bounds each region rather than the whole train
    /// (`capacity N per region`).
    pub fn capacity_per_region(&self) -> bool {
        self.inner.compiled.ir.capacity_per_region
    }

    /// Plans a release train (SPEC 5 and 8.4; `docs/planning.md`): orders `changes` by their
    /// `after` and by the catalog's dependencies (a change to a service after the changes to
    /// the services it depends on), then gives each the earliest start at or after `from`,
    /// its own `start` and its predecessors' ends at which its decision is not a deny, with
    /// the policy's `capacity` respected and no two changes on one service at once. `from` is
    /// also the decisions' `now`.
    ///
    /// A dependency cycle, an unknown id in `after`, a duplicate id, or an input a decision
    /// refuses is an error naming the change's place (`changes[2].after[0]`); a change that
    /// fits nowhere within the horizon is listed in [`Plan::unschedulable`] with the reason.
    pub fn plan(
        &self,
        changes: &[Change],
        catalog: &Catalog,
        from: Instant,
    ) -> Result<Plan, Error> {
        plan::plan(&self.inner, changes, catalog, from)
    }

    /// [`Engine::plan`], then compared with an earlier plan (`shipgate plan --previous`;
    /// SPEC 8.4 and 8.8): [`Plan::since`] lists the runs that moved, the changes cancelled,
    /// newly unschedulable or newly planned, each with the audiences to tell.
    pub fn replan(
        &self,
        changes: &[Change],
        catalog: &Catalog,
        from: Instant,
        previous: &PreviousPlan,
    ) -> Result<Plan, Error> {
        let mut plan = plan::plan(&self.inner, changes, catalog, from)?;
        plan::replan(&self.inner, &mut plan, previous);
        Ok(plan)
    }

    /// The policy set's digest, `sha256:<hex>`: the `policy` every decision of this engine
    /// carries (over the sorted relative paths and bytes of its files).
    pub fn policy_digest(&self) -> &str {
        &self.inner.compiled.policy_digest
    }

    /// The tier names, ascending.
    pub fn tiers(&self) -> &[String] {
        &self.inner.compiled.ir.tiers
    }

    /// The IANA time zone a region's times are read in (`"Europe/Berlin"`): the zone of the
    /// first calendar the region uses (in the order after `uses`) that has a `window`, or,
    /// when none has one, of its first calendar. `None` for a region the policy does not
    /// declare, or one that uses no calendar.
    pub fn region_timezone(&self, region: &str) -> Option<&'static str> {
        self.inner
            .compiled
            .ir
            .calendars
            .region_zone(region)
            .map(|tz| tz.name())
    }

    /// The local days of a region's calendar over `[from, to)` (as [`Engine::calendar`]
    /// bounds it), each with the UTC offsets it begins and ends with, in the zone the region's
    /// times are read in ([`Engine::region_timezone`]; UTC when it uses no calendar): what a
    /// month view needs to mark its DST days. An unknown region is an input error.
    pub fn region_days(
        &self,
        region: &str,
        from: Instant,
        to: Instant,
    ) -> Result<CalendarDays, Error> {
        query::region_days(&self.inner.compiled, region, from, to)
    }

    /// [`Engine::region_days`] for everything that applies to a service
    /// ([`Engine::service_calendar`]), in [`Engine::service_timezone`]'s zone.
    pub fn service_days(
        &self,
        service: &str,
        catalog: &Catalog,
        from: Instant,
        to: Instant,
    ) -> Result<CalendarDays, Error> {
        let (_, group) = eval::service_calendars(&self.inner, catalog, service)?;
        query::service_days(&self.inner.compiled, &group, from, to)
    }

    /// The IANA time zone a service's calendar report is read in: of every calendar that
    /// applies to it ([`Engine::service_calendar`]), the first with a `window`, else the
    /// first; `None` when none applies. An unknown service is an input error at `service`.
    pub fn service_timezone(
        &self,
        service: &str,
        catalog: &Catalog,
    ) -> Result<Option<&'static str>, Error> {
        let (_, group) = eval::service_calendars(&self.inner, catalog, service)?;
        Ok(self
            .inner
            .compiled
            .ir
            .calendars
            .group_zone(group.ids())
            .map(|tz| tz.name()))
    }

    /// `t` on the wall clock of the region's zone ([`Engine::region_timezone`]): the local
    /// date and time with its UTC offset, and the zone's abbreviation there and then (`CET`,
    /// `EDT`, or the offset, `+08`, where the database has no abbreviation).
    pub fn region_local_time(
        &self,
        region: &str,
        t: Instant,
    ) -> Option<(chrono::DateTime<chrono::FixedOffset>, String)> {
        use chrono::Offset;
        let tz = self.inner.compiled.ir.calendars.region_zone(region)?;
        let local = t.with_timezone(&tz);
        let abbreviation = local.format("%Z").to_string();
        Some((local.with_timezone(&local.offset().fix()), abbreviation))
    }

    /// The names of the policy set's regions, in declaration order.
    pub fn regions(&self) -> Vec<String> {
        self.inner.compiled.region_names()
    }
}

/// One change prepared for deciding at several starts; see [`Engine::session`].
///
/// ```
/// use shipgate::{Catalog, Change, Engine};
/// let engine = Engine::from_source("rule r { deny when change.start < now }", "p.gate").unwrap();
/// let catalog = Catalog::from_json(&serde_json::json!({"services": [{"id": "api", "tier": 1}]}))
///     .unwrap();
/// let change = Change::from_json(&serde_json::json!({
///     "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bo",
///     "duration": "1h"
/// })).unwrap();
/// let now = "2026-12-01T09:00:00Z".parse().unwrap();
/// let session = engine.session(&change, &catalog, now).unwrap();
/// let earlier = session.decide_at("2026-12-01T08:00:00Z".parse().unwrap()).unwrap();
/// let later = session.decide_at("2026-12-01T10:00:00Z".parse().unwrap()).unwrap();
/// assert_eq!(earlier.verdict, shipgate::Verdict::Deny);
/// assert_eq!(later.verdict, shipgate::Verdict::Allow);
/// ```
pub struct Session<'a> {
    inner: eval::Session<'a>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session<'_> {
    /// The decision for the change starting at `start` (its own `start` is not read): the
    /// same decision, byte for byte, as [`Engine::evaluate`] of the change with that start.
    pub fn decide_at(&self, start: Instant) -> Result<Decision, Error> {
        self.inner.decide(start, false)
    }

    /// [`Session::decide_at`] with the decision's `trace` filled (`explain`).
    pub fn explain_at(&self, start: Instant) -> Result<Decision, Error> {
        self.inner.decide(start, true)
    }
}

/// How the syntax layer's fast parser and its pest parser differ on `text`: `None` when the
/// fast parser declines the text (pest then decides, as always) or gives exactly pest's items
/// with no diagnostic. For the fuzz target and tests; only with the `testing` feature.
#[cfg(feature = "testing")]
#[doc(hidden)]
pub fn fast_parse_difference(text: &str) -> Option<String> {
    syntax::fast_parse_difference(text)
}

/// One `.gate` file's text in the canonical layout (`shipgate fmt`, docs/authoring.md):
/// the same tokens and comments, laid out one way, so that the result compiles to the same
/// engine and formatting it again changes nothing. `name` is what errors call the file.
///
/// Text that does not parse is an error with every syntax error located (nothing is
/// formatted); the file need not compile on its own (names may live in other files).
///
/// ```
/// let text = "rule r {  deny when change.size>10 # big\n}";
/// let formatted = shipgate::format_policy(text, "p.gate").unwrap();
/// assert_eq!(formatted, "rule r {\n  deny when change.size > 10  # big\n}\n");
/// assert!(shipgate::format_policy("rule r {", "p.gate").is_err());
/// ```
pub fn format_policy(text: &str, name: &str) -> Result<String, PolicyError> {
    let mut sources = span::SourceMap::default();
    let file = sources.add(name, text);
    let (_, diagnostics) = syntax::parse(file, text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(PolicyError::new(diagnostics, sources));
    }
    syntax::format(text).map_err(|e| match e {
        syntax::FormatError::Syntax | syntax::FormatError::Changed => PolicyError::bare(
            name,
            "internal error: formatting would change this file, so it was left as it is \
             (please report it)",
        ),
    })
}

/// Where the engine reads policies from: `.gate` files under the given paths, sorted.
pub fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    check::collect_gate_files(paths)
}

/// `docs/rust.md`, whose Rust examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/rust.md")]
pub struct RustGuide;
