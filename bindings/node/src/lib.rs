//! Node bindings for shipgate (napi-rs). Each export converts its arguments at the edge, calls
//! the engine, and converts the result or error back; there is no policy logic here.
//!
//! The evaluate calls return each decision packed into a string ([`codec`]); `index.js` wraps
//! it in a `Decision` whose parts are built, as plain objects with exactly the keys of the CLI's
//! JSON (snake_case), only when read (`decisionPart`, `decisionJson`). Errors are `Error`s with
//! a `code` (`POLICY_ERROR`, `INPUT_ERROR`, or `INTERNAL_ERROR` for a bug) and location
//! fields. The JavaScript surface is declared in `index.d.ts`.

mod audit;
mod codec;
mod convert;
mod failure;

use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, ClassInstance, FromNapiValue, Object, Unknown};
use napi::{Env, JsString, JsStringLatin1, JsValue, ScopedTask, ValueType};
use napi_derive::napi;

use convert::{flag, from_text, instant, option, options, read_input, to_text};
use failure::{Failure, guard, input};

type Outcome<T> = Result<T, Failure>;

/// Compiles the JavaScript helpers as the addon loads, so they hold the `JSON` functions as
/// they were then.
#[napi(module_exports)]
pub fn init(_exports: Object<'_>, env: Env) -> napi::Result<()> {
    finish(&env, convert::prepare(&env))
}

/// Turns a failure into the JavaScript error to throw.
fn finish<T>(env: &Env, outcome: Outcome<T>) -> napi::Result<T> {
    outcome.map_err(|f| f.into_napi(env))
}

// --- Engine -------------------------------------------------------------------------------

/// A compiled policy set.
#[napi]
pub struct Engine {
    inner: shipgate::Engine,
}

#[napi]
impl Engine {
    /// Compiles every `.gate` file in a folder (recursively, sorted), one file, or a list;
    /// `options` changes the limits (`{maxEvalSteps, maxPolicyBytes, ...}`).
    #[napi(factory)]
    pub fn from_path(
        env: &Env,
        path: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Engine> {
        finish(
            env,
            guard(|| {
                let paths = paths(path)?;
                let limits = limits(options, false)?;
                Ok(Engine {
                    inner: shipgate::Engine::from_paths_with(&paths, &limits)?,
                })
            }),
        )
    }

    /// Compiles policy text; `name` is the file name diagnostics and `at` locations use.
    #[napi(factory)]
    pub fn from_source(
        env: &Env,
        text: Unknown<'_>,
        name: Option<Unknown<'_>>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Engine> {
        finish(
            env,
            guard(|| {
                let text = string(text, "text")?;
                let name = match name {
                    Some(n) if n.get_type()? != ValueType::Undefined => string(n, "name")?,
                    _ => "inline.gate".to_string(),
                };
                let limits = limits(options, false)?;
                Ok(Engine {
                    inner: shipgate::Engine::from_sources_with(vec![(name, text)], None, &limits)?,
                })
            }),
        )
    }

    /// The names of the policy set's regions, in declaration order.
    #[napi(getter)]
    pub fn regions(&self) -> Vec<String> {
        self.inner.regions()
    }

    /// The policy set's digest, `sha256:<hex>`: the `policy` of every decision it makes.
    #[napi(getter)]
    pub fn policy_digest(&self) -> String {
        self.inner.policy_digest().to_string()
    }

    /// The IANA time zone a region's times are read in (`"Europe/Berlin"`): of the calendars
    /// it uses, the first with a `window`, else the first; `null` for an unknown region or one
    /// that uses no calendar.
    #[napi]
    pub fn region_timezone(&self, env: &Env, region: Unknown<'_>) -> napi::Result<Option<String>> {
        finish(
            env,
            guard(|| {
                let region = string(region, "region")?;
                Ok(self.inner.region_timezone(&region).map(str::to_string))
            }),
        )
    }

    /// Compile warnings, one object each: `{message, severity, file, line, column}` (the same
    /// objects as the Python binding's `warnings`).
    #[napi(getter, ts_return_type = "Warning[]")]
    pub fn warnings<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            to_text(&self.inner.warning_list()).and_then(|t| from_text(env, t)),
        )
    }

    /// Compile warnings rendered rustc-style; empty when there are none.
    #[napi]
    pub fn render_warnings(&self) -> String {
        self.inner.render_warnings(false)
    }

    /// Decides one change, packed (`index.js` wraps it in a `Decision`). `options.now` (a
    /// `Date` or RFC 3339 text) defaults to the current time; `options.explain` fills the trace.
    /// `index.js` passes what it already read of the options: see [`Given`].
    #[napi]
    #[allow(
        clippy::too_many_arguments,
        reason = "the options index.js read, see Given"
    )]
    pub fn evaluate<'env>(
        &self,
        env: &'env Env,
        change: Unknown<'_>,
        catalog: Unknown<'_>,
        options: Option<Unknown<'_>>,
        checked: Option<bool>,
        now_ms: Option<f64>,
        explain: Option<bool>,
    ) -> napi::Result<Unknown<'env>> {
        let given = Given::new(checked, now_ms, explain);
        finish(
            env,
            guard(|| {
                let call = Evaluate::read(env, self, change, catalog, options, given)?;
                let decision = call.decide()?;
                codec::with_packed(&decision, |bytes| packed_string(env, bytes)).map_err(packing)?
            }),
        )
    }

    /// `evaluate` on the libuv thread pool: the arguments are read now, the decision is made
    /// off the main thread, and the promise settles on it.
    #[napi]
    #[allow(
        clippy::too_many_arguments,
        reason = "the options index.js read, see Given"
    )]
    pub fn evaluate_async(
        &self,
        env: &Env,
        change: Unknown<'_>,
        catalog: Unknown<'_>,
        options: Option<Unknown<'_>>,
        checked: Option<bool>,
        now_ms: Option<f64>,
        explain: Option<bool>,
    ) -> napi::Result<AsyncTask<Evaluate>> {
        let given = Given::new(checked, now_ms, explain);
        let call = finish(
            env,
            guard(|| Evaluate::read(env, self, change, catalog, options, given)),
        )?;
        Ok(AsyncTask::new(call))
    }

    /// Decides many changes on all cores; the decisions, packed, are in input order. The first
    /// change that fails throws, with `index` and a path under `changes[i]`.
    #[napi]
    pub fn evaluate_many<'env>(
        &self,
        env: &'env Env,
        changes: Unknown<'_>,
        catalog: Unknown<'_>,
        options: Option<Unknown<'_>>,
        checked: Option<bool>,
        now_ms: Option<f64>,
    ) -> napi::Result<Unknown<'env>> {
        let given = Given::new(checked, now_ms, None);
        finish(
            env,
            guard(|| {
                let call = EvaluateMany::read(env, self, changes, catalog, options, given)?;
                packed_strings(env, &call.run()?)
            }),
        )
    }

    /// `evaluateMany` on the libuv thread pool (which then uses all cores).
    #[napi]
    pub fn evaluate_many_async(
        &self,
        env: &Env,
        changes: Unknown<'_>,
        catalog: Unknown<'_>,
        options: Option<Unknown<'_>>,
        checked: Option<bool>,
        now_ms: Option<f64>,
    ) -> napi::Result<AsyncTask<EvaluateMany>> {
        let given = Given::new(checked, now_ms, None);
        let call = finish(
            env,
            guard(|| EvaluateMany::read(env, self, changes, catalog, options, given)),
        )?;
        Ok(AsyncTask::new(call))
    }

    /// Plans a release train (docs/planning.md): the plan as a plain object with exactly the
    /// keys of `shipgate plan --format json`. `options.from` (a `Date` or RFC 3339 text), the
    /// earliest start and the decisions' `now`, defaults to the current time. A change that
    /// cannot be read, and what the planner refuses (a cycle, an unknown `after`, a duplicate
    /// id), throw an `INPUT_ERROR` at its path under `changes[i]`, as the library names it.
    /// `options.previous`, an earlier plan's object, compares the plan with it (`shipgate plan
    /// --previous`): the result has the replan keys too, and `warnings` (an earlier entry
    /// without `notify`); an earlier plan that cannot be read throws at `previous...`.
    #[napi(ts_return_type = "Plan")]
    pub fn plan<'env>(
        &self,
        env: &'env Env,
        changes: Unknown<'_>,
        catalog: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let read = change_list(env, changes)?;
                let catalog = CatalogArg::read(env, catalog)?;
                let opts = convert::options(options, &["from", "previous"], false)?;
                let from = match option(&opts, "from")? {
                    Some(v) if v.get_type()? != ValueType::Undefined => instant(v, "options.from")?,
                    _ => chrono::Utc::now(),
                };
                let previous = match option(&opts, "previous")? {
                    Some(v) if !matches!(v.get_type()?, ValueType::Undefined | ValueType::Null) => {
                        let value = read_input(env, v, "previous")?;
                        Some(shipgate::PreviousPlan::from_json(&value)?)
                    }
                    _ => None,
                };
                // The engine plans a slice of owned changes: a prepared one is copied.
                let train = read
                    .iter()
                    .map(|c| c.resolve().map(std::borrow::Cow::into_owned))
                    .collect::<Outcome<Vec<_>>>()?;
                let catalog = catalog.resolve()?;
                let Some(previous) = previous else {
                    let plan = self.inner.plan(&train, &catalog, from)?;
                    return from_text(env, to_text(&plan)?);
                };
                let plan = self.inner.replan(&train, &catalog, from, &previous)?;
                from_text(env, to_text(&Replanned(&plan))?)
            }),
        )
    }

    /// Checks the rollback triggers that apply to `change` against `observations`
    /// (`{baseline, metrics, intervals}`; a sample's value is a number, or `null` / `NaN` for
    /// no data) at `options.now` (default: the current time; later samples are not read): the
    /// object of `shipgate rollback --format json`, `{change, now, owner, triggers, rollback}`.
    #[napi(ts_return_type = "RollbackCheck")]
    pub fn rollback<'env>(
        &self,
        env: &'env Env,
        change: Unknown<'_>,
        catalog: Unknown<'_>,
        observations: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let change = ChangeArg::read(env, change, "change")?;
                let catalog = CatalogArg::read(env, catalog)?;
                let observations = shipgate::Observations::from_json(
                    &convert::read_input_nan_as_null(env, observations, "observations")?,
                )?;
                let opts = convert::options(options, &["now"], false)?;
                let now = now(option(&opts, "now")?)?;
                let (change, catalog) = (change.resolve()?, catalog.resolve()?);
                let check = self.inner.rollback(&change, &catalog, &observations, now)?;
                from_text(env, to_text(&check)?)
            }),
        )
    }

    /// Replays the historical changes of the file `changes` (JSON lines of `{"change": {...},
    /// "now": T}`) under this policy and `newer`, on all cores: the object of `shipgate replay
    /// --format json`, `{total, changed: [{change, old, new, reasons_added, reasons_removed}]}`.
    /// A line that cannot be read or decided throws an `INPUT_ERROR` naming it.
    #[napi(ts_return_type = "Replay")]
    pub fn replay<'env>(
        &self,
        env: &'env Env,
        newer: &Engine,
        catalog: Unknown<'_>,
        changes: Unknown<'_>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let catalog = CatalogArg::read(env, catalog)?;
                let path = string(changes, "changes")?;
                let catalog = catalog.resolve()?;
                let file = std::fs::File::open(&path).map_err(|e| shipgate::Error::Io {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                let replay = self.inner.replay(
                    &newer.inner,
                    &catalog,
                    std::io::BufReader::new(file),
                    &path,
                )?;
                from_text(env, to_text(&replay.to_json())?)
            }),
        )
    }

    /// The first stretch in `region` at or after `after` with room for `duration` (text like
    /// `"2h"` or seconds): `{start, end}` in RFC 3339 UTC, or `null` within the horizon.
    #[napi]
    pub fn next_window<'env>(
        &self,
        env: &'env Env,
        region: Unknown<'_>,
        after: Unknown<'_>,
        duration: Unknown<'_>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let region = string(region, "region")?;
                let after = instant(after, "after")?;
                let secs = convert::duration(duration, "duration")?;
                let window = self.inner.next_window(&region, after, secs)?;
                let window = window.map(|(start, end)| shipgate::Stretch::new(start, end));
                from_text(env, to_text(&window)?)
            }),
        )
    }

    /// The earliest stretch at or after `after` where the whole change fits every calendar
    /// that applies to it at once (all its regions', each in its own zone): `{start, end}` in
    /// RFC 3339 UTC (`end` where that common stretch closes), or `null` within the horizon.
    #[napi]
    pub fn change_next_window<'env>(
        &self,
        env: &'env Env,
        change: Unknown<'_>,
        catalog: Unknown<'_>,
        after: Unknown<'_>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let change = ChangeArg::read(env, change, "change")?;
                let catalog = CatalogArg::read(env, catalog)?;
                let after = instant(after, "after")?;
                let (change, catalog) = (change.resolve()?, catalog.resolve()?);
                let window = self.inner.change_next_window(&change, &catalog, after)?;
                let window = window.map(|(start, end)| shipgate::Stretch::new(start, end));
                from_text(env, to_text(&window)?)
            }),
        )
    }

    /// The calendar of one scope, `{region}` or `{service}`, over `[options.from, options.to)`
    /// (`options.catalog` is needed for a service): the object of `shipgate calendar --format
    /// json` (`--service` for a service), with `scope` (the scope as given), `timezone` (the
    /// IANA zone the scope is read in; `UTC` when no calendar applies) and `days` (each local
    /// day of the range in that zone, with its UTC offsets and whether it changes).
    #[napi(ts_return_type = "ScopeCalendar")]
    pub fn calendar<'env>(
        &self,
        env: &'env Env,
        scope: Unknown<'_>,
        options: Unknown<'_>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let call = CalendarCall::read(env, scope, options)?;
                let (mut value, zone) = match &call.scope {
                    Scope::Region(region) => {
                        let report = self.inner.calendar(region, call.from, call.to)?;
                        let mut value = json_value(&report)?;
                        value["scope"] = serde_json::json!({ "region": region });
                        (value, self.inner.region_timezone(region))
                    }
                    Scope::Service(service) => {
                        let catalog = call.catalog()?.resolve()?;
                        let report = self
                            .inner
                            .service_calendar(service, &catalog, call.from, call.to)?;
                        let mut value = json_value(&report)?;
                        value["scope"] = serde_json::json!({ "service": service });
                        (value, self.inner.service_timezone(service, &catalog)?)
                    }
                };
                let zone = zone.unwrap_or("UTC");
                value["timezone"] = zone.into();
                value["days"] = json_value(&shipgate::local_days(zone, call.from, call.to)?)?;
                from_text(env, to_text(&value)?)
            }),
        )
    }

    /// [`Engine::calendar`] as an RFC 5545 iCalendar document (`shipgate calendar --format
    /// ics`).
    #[napi]
    pub fn calendar_ics(
        &self,
        env: &Env,
        scope: Unknown<'_>,
        options: Unknown<'_>,
    ) -> napi::Result<String> {
        finish(
            env,
            guard(|| {
                let call = CalendarCall::read(env, scope, options)?;
                Ok(match &call.scope {
                    Scope::Region(region) => self.inner.calendar_ics(region, call.from, call.to)?,
                    Scope::Service(service) => {
                        let catalog = call.catalog()?.resolve()?;
                        self.inner
                            .service_calendar_ics(service, &catalog, call.from, call.to)?
                    }
                })
            }),
        )
    }
}

// --- Catalog and Change ----------------------------------------------------------------------

/// A service catalog, compiled once (dependency graph included) and shared by every call.
#[napi]
pub struct Catalog {
    inner: Arc<shipgate::Catalog>,
}

#[napi]
impl Catalog {
    /// Reads and compiles a catalog object (`{services: [...]}`).
    #[napi(constructor)]
    pub fn new(env: &Env, catalog: Unknown<'_>) -> napi::Result<Catalog> {
        finish(
            env,
            guard(|| {
                let value = read_input(env, catalog, "catalog")?;
                Ok(Catalog {
                    inner: Arc::new(shipgate::Catalog::from_json(&value)?),
                })
            }),
        )
    }

    /// Reads a catalog file, JSON or YAML by extension, as the CLI does; `options.maxInputBytes`
    /// changes the size limit.
    #[napi(factory)]
    pub fn from_path(
        env: &Env,
        path: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Catalog> {
        finish(
            env,
            guard(|| {
                let path = string(path, "path")?;
                let limits = limits(options, true)?;
                let catalog = shipgate::Catalog::from_path_with(&path, &limits)
                    .map_err(|e| unreadable(e, "catalog"))?;
                Ok(Catalog {
                    inner: Arc::new(catalog),
                })
            }),
        )
    }

    /// The number of services.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}

/// A change request read once; pass it instead of a plain object to skip the conversion on
/// every call.
#[napi]
pub struct Change {
    inner: Arc<shipgate::Change>,
}

#[napi]
impl Change {
    /// Reads a change object; `Date`s anywhere in it are accepted for instants.
    #[napi(constructor)]
    pub fn new(env: &Env, change: Unknown<'_>) -> napi::Result<Change> {
        finish(
            env,
            guard(|| {
                let value = read_input(env, change, "change")?;
                Ok(Change {
                    inner: Arc::new(change_from_json(&value, "change")?),
                })
            }),
        )
    }

    /// Reads a change file, JSON or YAML by extension, as the CLI does; `options.maxInputBytes`
    /// changes the size limit.
    #[napi(factory)]
    pub fn from_path(
        env: &Env,
        path: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Change> {
        finish(
            env,
            guard(|| {
                let path = string(path, "path")?;
                let limits = limits(options, true)?;
                let change = shipgate::Change::from_path_with(&path, &limits)
                    .map_err(|e| unreadable(e, "change"))?;
                Ok(Change {
                    inner: Arc::new(change),
                })
            }),
        )
    }

    /// The change's id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id.clone()
    }
}

// --- calls ---------------------------------------------------------------------------------

/// A change argument: a prepared `Change`, or an object to read (on the worker thread, for
/// the async calls).
enum ChangeArg {
    Prepared(Arc<shipgate::Change>),
    /// The object's JSON, and the root its errors are named under.
    Raw(serde_json::Value, String),
}

impl ChangeArg {
    fn read(env: &Env, value: Unknown<'_>, root: &str) -> Outcome<ChangeArg> {
        if value.get_type()? == ValueType::Object {
            if let Ok(prepared) = ClassInstance::<Change>::from_unknown(value) {
                return Ok(ChangeArg::Prepared(prepared.inner.clone()));
            }
        }
        if value.get_type()? != ValueType::Object || value.is_array()? {
            return Err(input(
                root,
                format!(
                    "expected a change object or a Change, got {}",
                    convert::kind(value)
                ),
            ));
        }
        Ok(ChangeArg::Raw(
            read_input(env, value, root)?,
            root.to_string(),
        ))
    }

    fn resolve(&self) -> Outcome<std::borrow::Cow<'_, shipgate::Change>> {
        match self {
            ChangeArg::Prepared(c) => Ok(std::borrow::Cow::Borrowed(c)),
            ChangeArg::Raw(v, root) => Ok(std::borrow::Cow::Owned(change_from_json(v, root)?)),
        }
    }
}

/// A catalog argument: a compiled `Catalog`, or an object compiled for this call only.
enum CatalogArg {
    Compiled(Arc<shipgate::Catalog>),
    Raw(serde_json::Value),
}

impl CatalogArg {
    fn read(env: &Env, value: Unknown<'_>) -> Outcome<CatalogArg> {
        if value.get_type()? == ValueType::Object {
            if let Ok(compiled) = ClassInstance::<Catalog>::from_unknown(value) {
                return Ok(CatalogArg::Compiled(compiled.inner.clone()));
            }
        }
        if value.get_type()? != ValueType::Object || value.is_array()? {
            return Err(input(
                "catalog",
                format!(
                    "expected a Catalog or a catalog object, got {}",
                    convert::kind(value)
                ),
            ));
        }
        Ok(CatalogArg::Raw(read_input(env, value, "catalog")?))
    }

    fn resolve(&self) -> Outcome<std::borrow::Cow<'_, shipgate::Catalog>> {
        match self {
            CatalogArg::Compiled(c) => Ok(std::borrow::Cow::Borrowed(c)),
            CatalogArg::Raw(v) => Ok(std::borrow::Cow::Owned(shipgate::Catalog::from_json(v)?)),
        }
    }
}

/// A replanned plan as `plan` returns it: the keys of `shipgate plan --previous --format
/// json`, in its order, then `warnings` (which the command writes on standard error).
struct Replanned<'a>(&'a shipgate::Plan);

impl serde::Serialize for Replanned<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("changes", &self.0.changes)?;
        m.serialize_entry("unschedulable", &self.0.unschedulable)?;
        if let Some(since) = &self.0.since {
            m.serialize_entry("moved", &since.moved)?;
            m.serialize_entry("cancelled", &since.cancelled)?;
            m.serialize_entry("newly_unschedulable", &since.newly_unschedulable)?;
            m.serialize_entry("newly_planned", &since.newly_planned)?;
            m.serialize_entry("warnings", &since.warnings)?;
        }
        m.end()
    }
}

/// What `index.js` already read of the options object, so that the common case costs no
/// Node-API call here (listing an object's keys through Node-API costs more than the rest of
/// reading the arguments). A caller that passes wrong values only loses the checks it claims
/// to have done: nothing here trusts them for memory safety.
#[derive(Clone, Copy)]
pub struct Given {
    /// The object has no enumerable key but the allowed ones; they need not be listed again.
    checked: bool,
    /// With `checked`: `options.now` was a valid `Date` of this time value, and
    /// `options.explain` was `explain`; the object is not read at all. `None`: read it here.
    now_ms: Option<f64>,
    explain: bool,
}

impl Given {
    fn new(checked: Option<bool>, now_ms: Option<f64>, explain: Option<bool>) -> Given {
        Given {
            checked: checked.unwrap_or(false),
            now_ms,
            explain: explain.unwrap_or(false),
        }
    }

    /// `(now, explain)` of the options; `explain` only where it is `allowed`.
    fn read(
        self,
        opts: Option<Unknown<'_>>,
        allowed: &[&str],
    ) -> Outcome<(shipgate::Instant, bool)> {
        if let (true, Some(ms)) = (self.checked, self.now_ms) {
            let now = convert::millis_instant(ms)
                .ok_or_else(|| input("options.now", "expected a valid Date, got Invalid Date"))?;
            return Ok((now, self.explain && allowed.contains(&"explain")));
        }
        let opts = options(opts, allowed, self.checked)?;
        let now = now(option(&opts, "now")?)?;
        let explain = match allowed.contains(&"explain") {
            true => flag(option(&opts, "explain")?, "options.explain")?,
            false => false,
        };
        Ok((now, explain))
    }
}

/// An array of changes (objects or prepared `Change`s), each named `changes[i]` in errors.
fn change_list(env: &Env, changes: Unknown<'_>) -> Outcome<Vec<ChangeArg>> {
    if changes.get_type()? != ValueType::Object || !changes.is_array()? {
        return Err(input(
            "changes",
            format!(
                "expected an array of changes, got {}",
                convert::kind(changes)
            ),
        ));
    }
    let list = napi::bindgen_prelude::Array::from_unknown(changes)?;
    let mut read = Vec::with_capacity(list.len() as usize);
    for i in 0..list.len() {
        let root = format!("changes[{i}]");
        let item = list
            .get::<Unknown<'_>>(i)?
            .ok_or_else(|| input(root.as_str(), "expected a change, got undefined"))?;
        read.push(ChangeArg::read(env, item, &root)?);
    }
    Ok(read)
}

/// One `evaluate` call with its arguments read; runs on either thread.
pub struct Evaluate {
    engine: shipgate::Engine,
    change: ChangeArg,
    catalog: CatalogArg,
    now: shipgate::Instant,
    explain: bool,
    /// `options.scheduled`: the changes already scheduled, read.
    scheduled: Option<shipgate::Scheduled>,
}

impl Evaluate {
    fn read(
        env: &Env,
        engine: &Engine,
        change: Unknown<'_>,
        catalog: Unknown<'_>,
        opts: Option<Unknown<'_>>,
        given: Given,
    ) -> Outcome<Evaluate> {
        let change = ChangeArg::read(env, change, "change")?;
        let catalog = CatalogArg::read(env, catalog)?;
        let (now, explain) = given.read(opts, &["now", "explain", "scheduled"])?;
        // `index.js` sends the options it checked itself only when they hold no `scheduled`.
        let scheduled = match option(&options(opts, &[], true)?, "scheduled")? {
            Some(v) if !matches!(v.get_type()?, ValueType::Undefined | ValueType::Null) => {
                Some(shipgate::Scheduled::from_json_at(
                    &read_input(env, v, "options.scheduled")?,
                    "options.scheduled",
                )?)
            }
            _ => None,
        };
        Ok(Evaluate {
            engine: engine.inner.clone(),
            change,
            catalog,
            now,
            explain,
            scheduled,
        })
    }

    fn decide(&self) -> Outcome<shipgate::Decision> {
        let change = self.change.resolve()?;
        let catalog = self.catalog.resolve()?;
        Ok(match &self.scheduled {
            None => self
                .engine
                .evaluate(&change, &catalog, self.now, self.explain)?,
            Some(s) => {
                self.engine
                    .evaluate_scheduled(&change, &catalog, self.now, self.explain, s)?
            }
        })
    }
}

impl<'task> ScopedTask<'task> for Evaluate {
    type Output = Outcome<Vec<u8>>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(guard(|| codec::pack(&self.decide()?).map_err(packing)))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Unknown<'task>> {
        finish(env, output.and_then(|bytes| packed_string(env, &bytes)))
    }
}

/// One `evaluateMany` call with its arguments read.
pub struct EvaluateMany {
    engine: shipgate::Engine,
    changes: Vec<ChangeArg>,
    catalog: CatalogArg,
    now: shipgate::Instant,
}

impl EvaluateMany {
    fn read(
        env: &Env,
        engine: &Engine,
        changes: Unknown<'_>,
        catalog: Unknown<'_>,
        opts: Option<Unknown<'_>>,
        given: Given,
    ) -> Outcome<EvaluateMany> {
        let read = change_list(env, changes)?;
        let catalog = CatalogArg::read(env, catalog)?;
        let (now, _) = given.read(opts, &["now"])?;
        Ok(EvaluateMany {
            engine: engine.inner.clone(),
            changes: read,
            catalog,
            now,
        })
    }

    /// The decisions, packed, in input order.
    fn run(&self) -> Outcome<codec::PackedList> {
        let catalog = self.catalog.resolve()?;
        // Prepared changes are borrowed, not copied; objects were read into owned ones.
        let changes = self
            .changes
            .iter()
            .enumerate()
            .map(|(i, c)| c.resolve().map_err(|f| at_index(i, f)))
            .collect::<Outcome<Vec<_>>>()?;
        let decisions = self.engine.evaluate_many(&changes, &catalog, self.now);
        let mut packed = codec::PackedList::with_capacity(decisions.len());
        for (i, decision) in decisions.into_iter().enumerate() {
            match decision {
                Ok(d) => packed.push(&d).map_err(packing)?,
                Err(e) => return Err(at_index(i, e.into())),
            }
        }
        Ok(packed)
    }
}

impl<'task> ScopedTask<'task> for EvaluateMany {
    type Output = Outcome<codec::PackedList>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(guard(|| self.run()))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Unknown<'task>> {
        finish(env, output.and_then(|list| packed_strings(env, &list)))
    }
}

// --- decisions ---------------------------------------------------------------------------------

/// Decisions are packed where they are made (on the worker thread, for the async calls).
fn packing(e: codec::CodecError) -> Failure {
    Failure::Internal(format!("a decision did not pack: {e}"))
}

/// A packed decision as a JavaScript string, one character per byte: V8 owns it and frees it
/// with the `Decision` that holds it.
fn packed_string<'env>(env: &'env Env, bytes: &[u8]) -> Outcome<Unknown<'env>> {
    Ok(env.create_string_latin1(bytes)?.to_unknown())
}

fn packed_strings<'env>(env: &'env Env, list: &codec::PackedList) -> Outcome<Unknown<'env>> {
    let len = u32::try_from(list.len())
        .map_err(|_| Failure::Internal("more results than a JavaScript array holds".into()))?;
    let mut array = env.create_array(len)?;
    for (i, bytes) in (0..len).zip(list.iter()) {
        array.set(i, packed_string(env, bytes)?)?;
    }
    Ok(array.to_unknown())
}

/// The bytes of a packed decision (a string `evaluate` returned), copied out of V8.
fn unpack(packed: JsString<'_>) -> Outcome<JsStringLatin1<'_>> {
    Ok(packed.into_latin1()?)
}

fn damaged(e: codec::CodecError) -> Failure {
    Failure::Internal(format!("a packed decision did not read back: {e}"))
}

/// The compact JSON text of one field of a packed decision (`reasons`, `schedule`, ...), for
/// `Decision`'s getters to parse.
#[napi(js_name = "decisionPart")]
pub fn decision_part(env: &Env, packed: JsString<'_>, key: String) -> napi::Result<String> {
    finish(
        env,
        guard(|| {
            match codec::part_json(unpack(packed)?.as_slice(), &key).map_err(damaged)? {
                Some(json) => Ok(json),
                // Present only when a schedule was given (`evaluate(..., {scheduled})`), and
                // with `explain`.
                None if key == "conflicts" || key == "to_ship" => Ok("null".to_string()),
                // Present only when approvals are owed after the change.
                None if key == "obligations" => Ok("[]".to_string()),
                None => Err(Failure::Internal(format!("a decision has no field {key}"))),
            }
        }),
    )
}

/// The JSON text of a whole packed decision: compact (for `toObject` and `toJSON`), or pretty
/// exactly as `shipgate check --format json` prints it (`toJSONText`).
#[napi(js_name = "decisionJson")]
pub fn decision_json(env: &Env, packed: JsString<'_>, pretty: bool) -> napi::Result<String> {
    finish(
        env,
        guard(|| codec::whole_json(unpack(packed)?.as_slice(), pretty).map_err(damaged)),
    )
}

// --- where this binding adapts the library's answers -------------------------------------------
//
// The library reads changes and files and locates warnings; these functions only put its
// answers in the binding's shape. The Python binding has the same ones in `src/engine.rs`.

/// `change.start` -> `changes[3].start` for errors found while deciding (not reading) the
/// change at an index of a batch: the engine names those paths under `change`.
fn reroot(mut e: shipgate::InputError, from: &str, to: &str) -> shipgate::InputError {
    if let Some(rest) = e.path.strip_prefix(from) {
        if rest.is_empty() || rest.starts_with(['.', '[']) {
            e.path = format!("{to}{rest}");
        }
    }
    e
}

/// A change read from JSON, its errors under `root` (`change`, `changes[3]`).
fn change_from_json(value: &serde_json::Value, root: &str) -> Outcome<shipgate::Change> {
    Ok(shipgate::Change::from_json_at(value, root)?)
}

/// The failure of the change at `index` of a batch: an input error's path goes under
/// `changes[index]`.
fn at_index(index: usize, failure: Failure) -> Failure {
    let failure = match failure {
        Failure::Engine(shipgate::Error::Input(e)) => {
            Failure::from(reroot(e, "change", &format!("changes[{index}]")))
        }
        other => other,
    };
    Failure::AtIndex(index, Box::new(failure))
}

/// An input file the library could not read is an input error at `root` whose message names
/// the file (the same as Python's); any other error is the library's.
fn unreadable(e: shipgate::Error, root: &str) -> Failure {
    match e {
        shipgate::Error::Io { path, message } => {
            input(root, format!("cannot read {path}: {message}"))
        }
        other => other.into(),
    }
}

// --- calendars of a scope ------------------------------------------------------------------

/// What `calendar` shows: one region, or one service (which needs the catalog).
enum Scope {
    Region(String),
    Service(String),
}

/// One `calendar`/`calendarIcs` call with its arguments read.
struct CalendarCall {
    scope: Scope,
    from: shipgate::Instant,
    to: shipgate::Instant,
    catalog: Option<CatalogArg>,
}

impl CalendarCall {
    fn read(env: &Env, scope: Unknown<'_>, options: Unknown<'_>) -> Outcome<CalendarCall> {
        // The scope is read as an options object is; its errors are the scope's.
        let object = convert::options(Some(scope), &["region", "service"], false)
            .map_err(|f| match f {
                Failure::Engine(shipgate::Error::Input(e)) => reroot(e, "options", "scope").into(),
                other => other,
            })?
            .ok_or_else(|| input("scope", "expected {region} or {service}, got nothing"))?;
        let region = option(&Some(object), "region")?;
        let service = option(&Some(object), "service")?;
        let scope = match (region, service) {
            (Some(r), None) => Scope::Region(string(r, "scope.region")?),
            (None, Some(s)) => Scope::Service(string(s, "scope.service")?),
            _ => return Err(input("scope", "expected exactly one of region and service")),
        };
        let opts = convert::options(Some(options), &["from", "to", "catalog"], false)?;
        let required = |key: &str| -> Outcome<shipgate::Instant> {
            match option(&opts, key)? {
                Some(v) => instant(v, &format!("options.{key}")),
                None => Err(input(format!("options.{key}"), "required")),
            }
        };
        let (from, to) = (required("from")?, required("to")?);
        let catalog = match option(&opts, "catalog")? {
            // A region's calendar reads no catalog: one given there is a mistake, not ignored.
            Some(_) if matches!(scope, Scope::Region(_)) => {
                return Err(input(
                    "options.catalog",
                    "only a service's calendar reads the catalog",
                ));
            }
            Some(v) => Some(CatalogArg::read(env, v)?),
            None => None,
        };
        Ok(CalendarCall {
            scope,
            from,
            to,
            catalog,
        })
    }

    fn catalog(&self) -> Outcome<&CatalogArg> {
        self.catalog
            .as_ref()
            .ok_or_else(|| input("options.catalog", "required for a service's calendar"))
    }
}

fn json_value<T: serde::Serialize>(value: &T) -> Outcome<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| Failure::Internal(format!("a result did not serialise: {e}")))
}

// --- catalogs, documents, charts --------------------------------------------------------------

/// The catalog's dependency graph in waves (`shipgate graph`): `options.format` `"json"` (the
/// default; the drawing as an object), `"dot"` or `"mermaid"` (text). A catalog with a cycle is
/// drawn with the cycle highlighted, not refused.
#[napi(js_name = "drawGraph", ts_return_type = "Drawing | string")]
pub fn draw_graph<'env>(
    env: &'env Env,
    catalog: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> napi::Result<Unknown<'env>> {
    finish(
        env,
        guard(|| {
            let value = read_input(env, catalog, "catalog")?;
            let opts = convert::options(options, &["format"], false)?;
            let format = match option(&opts, "format")? {
                Some(v) if v.get_type()? != ValueType::Undefined => string(v, "options.format")?,
                _ => "json".to_string(),
            };
            let drawing = shipgate::Drawing::of_catalog_json(&value)?;
            let text = match format.as_str() {
                "json" => return from_text(env, drawing.to_json().to_string()),
                "dot" => drawing.to_dot(),
                "mermaid" => drawing.to_mermaid(),
                other => {
                    return Err(input(
                        "options.format",
                        format!("expected \"json\", \"dot\" or \"mermaid\", got {other:?}"),
                    ));
                }
            };
            Ok(env.create_string(&text)?.to_unknown())
        }),
    )
}

/// A JSON or YAML file (by extension) read as the engine reads its inputs (size limit,
/// nesting limit, duplicate keys refused), as plain objects: `options.maxInputBytes` changes
/// the size limit.
#[napi(js_name = "readDocument", ts_return_type = "unknown")]
pub fn read_document<'env>(
    env: &'env Env,
    path: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> napi::Result<Unknown<'env>> {
    finish(
        env,
        guard(|| {
            let path = string(path, "path")?;
            let limits = limits(options, true)?;
            let file = std::fs::File::open(&path)
                .map_err(|e| input("path", format!("cannot read {path}: {e}")))?;
            let text =
                shipgate::read_input_text(file, &path, limits.get(shipgate::Limit::InputBytes))
                    .map_err(|e| unreadable(e, "path"))?;
            let value =
                shipgate::parse_document(&text, shipgate::Format::from_path(&path), "document")?;
            from_text(env, to_text(&value)?)
        }),
    )
}

/// The delivery metrics of the history file `history` as an SVG picture (`shipgate metrics
/// --format svg`): the four measures week by week; the options are those of `metrics`.
#[napi(js_name = "metricsSvg")]
pub fn metrics_svg(
    env: &Env,
    history: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> napi::Result<String> {
    finish(
        env,
        guard(|| {
            let m = read_metrics(history, options)?;
            Ok(m.to_svg()?)
        }),
    )
}

// --- delivery metrics ----------------------------------------------------------------------------

/// The delivery metrics of the history file `history` (JSON lines, or CSV by `.csv` or
/// `options.format: "csv"`), over `[options.from, options.to)`, grouped by `options.by`
/// (`"service"` or `"team"`): the object of `shipgate metrics --format json`.
#[napi(ts_return_type = "Metrics")]
pub fn metrics<'env>(
    env: &'env Env,
    history: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> napi::Result<Unknown<'env>> {
    finish(
        env,
        guard(|| {
            let m = read_metrics(history, options)?;
            from_text(env, to_text(&m.to_json())?)
        }),
    )
}

/// The metrics of `metrics` and `metricsSvg`, their arguments read.
fn read_metrics(history: Unknown<'_>, options: Option<Unknown<'_>>) -> Outcome<shipgate::Metrics> {
    let history = string(history, "history")?;
    let opts = convert::options(options, &["from", "to", "by", "format"], false)?;
    let given = |key: &str| -> Outcome<Option<Unknown<'_>>> {
        Ok(option(&opts, key)?
            .filter(|v| !matches!(v.get_type(), Ok(ValueType::Undefined | ValueType::Null))))
    };
    let mut query = shipgate::MetricsQuery::new();
    if let Some(v) = given("from")? {
        query.from = Some(instant(v, "options.from")?);
    }
    if let Some(v) = given("to")? {
        query.to = Some(instant(v, "options.to")?);
    }
    if let Some(v) = given("by")? {
        query.by = Some(match string(v, "options.by")?.as_str() {
            "service" => shipgate::GroupBy::Service,
            "team" => shipgate::GroupBy::Team,
            other => {
                return Err(input(
                    "options.by",
                    format!("expected \"service\" or \"team\", got {other:?}"),
                ));
            }
        });
    }
    let format = match given("format")? {
        None => None,
        Some(v) => Some(match string(v, "options.format")?.as_str() {
            "jsonl" => shipgate::HistoryFormat::JsonLines,
            "csv" => shipgate::HistoryFormat::Csv,
            other => {
                return Err(input(
                    "options.format",
                    format!("expected \"jsonl\" or \"csv\", got {other:?}"),
                ));
            }
        }),
    };
    Ok(shipgate::metrics_from_path(&history, format, &query)?)
}

// --- small readers ----------------------------------------------------------------------------

fn string(value: Unknown<'_>, path: &str) -> Outcome<String> {
    if value.get_type()? == ValueType::String {
        Ok(convert::text(value, || path.to_string())?)
    } else {
        Err(input(
            path,
            format!("expected a string, got {}", convert::kind(value)),
        ))
    }
}

fn paths(value: Unknown<'_>) -> Outcome<Vec<std::path::PathBuf>> {
    if value.get_type()? == ValueType::Object && value.is_array()? {
        let list = napi::bindgen_prelude::Array::from_unknown(value)?;
        let mut out = Vec::with_capacity(list.len() as usize);
        for i in 0..list.len() {
            let item = list.get::<Unknown<'_>>(i)?;
            let path = format!("path[{i}]");
            match item {
                Some(item) => out.push(string(item, &path)?.into()),
                None => return Err(input(path, "expected a string, got undefined")),
            }
        }
        if out.is_empty() {
            return Err(input("path", "expected at least one path"));
        }
        Ok(out)
    } else {
        Ok(vec![string(value, "path")?.into()])
    }
}

/// The limits given in an options object (`{maxEvalSteps: 50_000_000}`): the library knows
/// their names, where each applies (`inputs`: where a change or catalog is read) and their
/// ranges. `undefined` or `null` for the defaults.
fn limits(value: Option<Unknown<'_>>, inputs: bool) -> Outcome<shipgate::Limits> {
    let Some(object) = options(value, &[], true)? else {
        return Ok(shipgate::Limits::default());
    };
    let mut given = Vec::new();
    for key in convert::own_keys(&object)? {
        let path = format!("options.{key}");
        let Some(value) = object.get::<Unknown<'_>>(&key)? else {
            continue;
        };
        if value.get_type()? != ValueType::Number {
            return Err(input(
                path,
                format!("expected a whole number, got {}", convert::kind(value)),
            ));
        }
        let number = f64::from_unknown(value)?;
        if !number.is_finite() || number.fract() != 0.0 {
            return Err(input(
                path,
                format!("expected a whole number, got {number}"),
            ));
        }
        // Whole and finite: `as` saturates at the range of i128, far past every ceiling.
        given.push((key, number as i128));
    }
    shipgate::Limits::default()
        .with_options(given.iter().map(|(k, v)| (k.as_str(), *v)), inputs)
        .map_err(|e| {
            let path = match e.limit {
                Some(l) => format!("options.{}", l.node_name()),
                None => "options".to_string(),
            };
            input(path, e.message)
        })
}

fn now(value: Option<Unknown<'_>>) -> Outcome<shipgate::Instant> {
    match value {
        Some(v) => instant(v, "options.now"),
        None => Ok(chrono::Utc::now()),
    }
}

/// Throws a panic from inside the binding, to test that it reaches JavaScript as an
/// `INTERNAL_ERROR` instead of aborting the process. Debug builds only; not in `index.d.ts`.
#[cfg(debug_assertions)]
#[allow(clippy::panic, reason = "a test hook whose purpose is to panic")]
#[napi(js_name = "__panicForTests")]
pub fn panic_for_tests(env: &Env, is_async: bool) -> napi::Result<Option<AsyncTask<Panic>>> {
    if is_async {
        return Ok(Some(AsyncTask::new(Panic)));
    }
    finish(
        env,
        guard(|| -> Outcome<()> { std::panic::panic_any("test panic") }),
    )?;
    Ok(None)
}

#[cfg(debug_assertions)]
pub struct Panic;

#[cfg(debug_assertions)]
#[allow(clippy::panic, reason = "a test hook whose purpose is to panic")]
impl<'task> ScopedTask<'task> for Panic {
    type Output = Outcome<()>;
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(guard(|| -> Outcome<()> {
            std::panic::panic_any("test panic on a worker")
        }))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<()> {
        finish(env, output)
    }
}
