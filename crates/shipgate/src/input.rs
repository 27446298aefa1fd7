//! The inputs: a change request and a service catalog, read from JSON or YAML with errors that
//! name the JSON path of what is wrong.
//!
//! The built-in fields of each record are declared once, in `fields.rs`; the structs, both
//! readers (from a `Value` tree, and straight from JSON text in `fast.rs`), the checker's schema
//! and the evaluator's access are generated from that table. This file holds the readers of
//! single values on the tree, the public entry points, and durations and instants. The compiled
//! dependency graph lives in `graph`.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::digest::Source;
pub(crate) use crate::error::quoted;
use crate::error::{Error, InputError, did_you_mean};
use crate::limits::{Limit, Limits};

mod fast;
pub(crate) mod fields;
mod observations;
mod scheduled;
mod text;
pub(crate) mod typed;

pub(crate) use fast::{ChangeInto, Groups, catalog_parts, change_typed};
pub(crate) use fields::ROLLOUT_PER_REGION;
pub use fields::{Approval, Change, Check, CheckStatus, Incident, Service, Waiver};
#[cfg(test)]
use fields::{ChangeField, ServiceField};
use fields::{ChangeRecord, ServiceRecord, Tree};
pub(crate) use observations::Series;
pub use observations::{MAX_OBSERVATION_SAMPLES, Observations};
pub use scheduled::{MAX_SCHEDULED_RUNS, Scheduled, ScheduledRun};
pub use text::{DEFAULT_MAX_INPUT_BYTES, MAX_INPUT_NESTING, read_input_text};

pub use crate::time::Instant;

/// The text format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// YAML, read onto the same model as JSON.
    Yaml,
}

impl Format {
    /// By extension: `.yaml`/`.yml` are YAML, everything else JSON.
    pub fn from_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else {
            Format::Json
        }
    }
}

/// Reads a text document in the given format into a JSON value (YAML is mapped onto JSON).
///
/// An object with a key given twice is an error naming the key's path under `what` (JSON
/// parsers differ on which value wins, and YAML forbids it). Lists and objects may nest at
/// most [`MAX_INPUT_NESTING`] levels; YAML text is checked for that before it is parsed.
pub fn parse_document(
    text: &str,
    format: Format,
    what: &str,
) -> Result<serde_json::Value, InputError> {
    let yaml = format == Format::Yaml;
    if yaml {
        text::check_yaml_nesting(text, what)?;
    }
    text::parse_value(text, yaml, what).map_err(|(duplicate, message)| {
        duplicate.unwrap_or_else(|| {
            if yaml {
                InputError::new(what, format!("invalid YAML: {message}"))
            } else {
                InputError::new(what, message)
            }
        })
    })
}

/// The built-in fields of a change as read from the input; any other top-level field goes to
/// `Change::extra` (and must be declared by the policy's `extend change`).
#[cfg(test)]
pub(crate) const CHANGE_FIELDS: &[&str] = ChangeField::INPUT;

/// The built-in fields of a catalog service; any other field goes to `Service::extra`.
#[cfg(test)]
pub(crate) const SERVICE_FIELDS: &[&str] = ServiceField::INPUT;

pub use crate::time::{
    MAX_DURATION_SECS, format_duration, format_instant, parse_duration, parse_instant,
};
#[cfg(test)]
use {crate::time::DURATION_UNITS, chrono::DateTime};

// --- reading JSON values with paths -----------------------------------------------------------

/// Where a value sits in an input (`change.approvals[2].at`). Built on the stack while reading
/// and only turned into text for an error, so a large catalog reads without allocating paths.
#[derive(Clone, Copy)]
pub(crate) enum JsonPath<'a> {
    Root(&'a str),
    Key(&'a JsonPath<'a>, &'a str),
    Index(&'a JsonPath<'a>, usize),
}

impl<'a> JsonPath<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> JsonPath<'a> {
        JsonPath::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> JsonPath<'a> {
        JsonPath::Index(self, index)
    }
}

impl std::fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonPath::Root(name) => f.write_str(name),
            JsonPath::Index(base, i) => write!(f, "{base}[{i}]"),
            JsonPath::Key(base, key) => {
                // Keys that are not plain names are quoted: `change["my key"]`.
                let plain = key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
                if plain && key.len() <= 60 {
                    write!(f, "{base}.{key}")
                } else {
                    write!(f, "{base}[{}]", quoted(key))
                }
            }
        }
    }
}

type Read<T> = Result<T, InputError>;

/// How a value is shown after "got": scalars as JSON (long strings shortened), containers by
/// their kind.
pub(crate) fn got(value: &Value) -> String {
    match value {
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "an object".to_string(),
        Value::String(s) => quoted(s),
        other => other.to_string(),
    }
}

fn expected(path: &JsonPath, what: &str, value: &Value) -> InputError {
    InputError::new(
        path.to_string(),
        format!("expected {what}, got {}", got(value)),
    )
}

fn read_string(value: &Value, path: &JsonPath) -> Read<String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| expected(path, "a string", value))
}

fn read_bool(value: &Value, path: &JsonPath) -> Read<bool> {
    value
        .as_bool()
        .ok_or_else(|| expected(path, "true or false", value))
}

/// An integer; a float with no fractional part (`2.0`, as JavaScript hosts send numbers) counts.
fn read_int(value: &Value, path: &JsonPath) -> Read<i64> {
    let Value::Number(n) = value else {
        return Err(expected(path, "an integer", value));
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    if n.is_u64() {
        return Err(InputError::new(
            path.to_string(),
            format!("integer too large: {n}"),
        ));
    }
    n.as_f64()
        .and_then(int_from_f64)
        .ok_or_else(|| expected(path, "an integer", value))
}

/// A float with no fractional part inside the `i64` range, as that integer.
fn int_from_f64(f: f64) -> Option<i64> {
    // 2^63 as f64; every whole float strictly inside the range converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && f > -LIMIT && f < LIMIT).then_some(f as i64)
}

fn read_number(value: &Value, path: &JsonPath) -> Read<f64> {
    value
        .as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| expected(path, "a number", value))
}

fn read_list<'v>(value: &'v Value, path: &JsonPath, of: &str) -> Read<&'v [Value]> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(expected(path, &format!("a list of {of}"), other)),
    }
}

fn read_list_of<T>(
    value: &Value,
    path: &JsonPath,
    of: &str,
    read: impl Fn(&Value, &JsonPath) -> Read<T>,
) -> Read<Vec<T>> {
    read_list(value, path, of)?
        .iter()
        .enumerate()
        .map(|(i, item)| read(item, &path.index(i)))
        .collect()
}

fn read_string_list(value: &Value, path: &JsonPath) -> Read<Vec<String>> {
    read_list_of(value, path, "strings", read_string)
}

fn read_instant(value: &Value, path: &JsonPath) -> Read<Instant> {
    match value {
        Value::String(text) => {
            parse_instant(text).map_err(|m| InputError::new(path.to_string(), m))
        }
        other => Err(expected(
            path,
            "an RFC 3339 date-time with offset (a string)",
            other,
        )),
    }
}

/// The reading rules of the built-in fields, for the values of `extend` fields: one rule for
/// every field of a type (a whole float is an integer; a duration is never negative nor over
/// 100 years). The caller puts the message under the field's path.
pub(crate) mod scalar {
    use super::{JsonPath, Value};

    const HERE: JsonPath<'static> = JsonPath::Root("");

    /// An integer, as built-in integer fields read it.
    pub(crate) fn int(value: &Value) -> Result<i64, String> {
        super::read_int(value, &HERE).map_err(|e| e.message)
    }

    /// A finite number, as built-in number fields read it.
    pub(crate) fn number(value: &Value) -> Result<f64, String> {
        super::read_number(value, &HERE).map_err(|e| e.message)
    }

    /// A duration (text or whole seconds), as built-in durations read it.
    pub(crate) fn duration(value: &Value) -> Result<i64, String> {
        super::read_duration(value, &HERE).map_err(|e| e.message)
    }

    /// An RFC 3339 date-time with offset, as built-in instants read it.
    pub(crate) fn instant(value: &Value) -> Result<super::Instant, String> {
        super::read_instant(value, &HERE).map_err(|e| e.message)
    }

    /// A calendar date (`2026-12-24`), as days since 1970-01-01 (an `extend` `date`).
    pub(crate) fn date(value: &Value) -> Result<i64, String> {
        let Value::String(s) = value else {
            return Err(format!("expected a date like 2026-12-24, got {value}"));
        };
        let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| format!("expected a date like 2026-12-24, got {s:?}"))?;
        Ok(d.signed_duration_since(crate::time::epoch_date())
            .num_days())
    }
}

fn read_duration(value: &Value, path: &JsonPath) -> Read<i64> {
    match value {
        Value::String(text) => {
            parse_duration(text).map_err(|m| InputError::new(path.to_string(), m))
        }
        Value::Number(_) => {
            let secs = read_int(value, path)
                .map_err(|_| expected(path, "a whole number of seconds", value))?;
            if secs < 0 {
                Err(InputError::new(
                    path.to_string(),
                    format!("a duration cannot be negative, got {secs}"),
                ))
            } else if secs > MAX_DURATION_SECS {
                Err(InputError::new(
                    path.to_string(),
                    format!("duration too large (at most 100 years), got {secs}"),
                ))
            } else {
                Ok(secs)
            }
        }
        other => Err(expected(
            path,
            "a duration like \"2h\" or \"1h30m\", or a number of seconds",
            other,
        )),
    }
}

/// A check's status: `passed`, `failed` or `pending`.
fn read_check_status(value: &Value, path: &JsonPath) -> Read<CheckStatus> {
    let name = value.as_str();
    if let Some(status) = name.and_then(CheckStatus::from_name) {
        return Ok(status);
    }
    let mut message = format!(
        "expected \"passed\", \"failed\" or \"pending\", got {}",
        got(value)
    );
    if let Some(help) = name.and_then(|n| did_you_mean(n, CheckStatus::NAMES)) {
        message.push_str(&format!(" ({help})"));
    }
    Err(InputError::new(path.to_string(), message))
}

/// A change's `rollout`: `all_at_once` or `per_region`.
fn read_rollout(value: &Value, path: &JsonPath) -> Read<String> {
    let name = value.as_str();
    if let Some(name) = name.filter(|n| fields::ROLLOUTS.contains(n)) {
        return Ok(name.to_string());
    }
    let mut message = format!(
        "expected \"all_at_once\" or \"per_region\", got {}",
        got(value)
    );
    if let Some(help) = name.and_then(|n| did_you_mean(n, fields::ROLLOUTS)) {
        message.push_str(&format!(" ({help})"));
    }
    Err(InputError::new(path.to_string(), message))
}

/// A catalog's `groups` (`{"cab": ["ana", "eve"]}`): each group's members, strings. Which
/// groups may appear depends on the policy, and is checked when a change is prepared.
pub(crate) fn read_catalog_groups(value: &Value, path: &JsonPath) -> Read<Groups> {
    let Value::Object(fields) = value else {
        return Err(expected(
            path,
            "an object of group names to lists of members",
            value,
        ));
    };
    fields
        .iter()
        .map(|(group, members)| {
            let members = read_list_of(members, &path.key(group), "member names", read_string)?;
            Ok((group.clone(), members))
        })
        .collect()
}

/// The error for a group the policy does not know (`change.approvals[2].group`,
/// `catalog.groups.CAB`): `known` are the groups it knows. Built only on the error path.
pub(crate) fn unknown_group<'k>(
    path: String,
    group: &str,
    known: impl Iterator<Item = &'k str> + Clone,
) -> InputError {
    let mut message = format!("unknown group {}", Value::String(group.to_string()));
    if let Some(help) = did_you_mean(group, known.clone()) {
        message.push_str(&format!(" ({help})"));
    }
    let known: Vec<&str> = known.collect();
    if known.is_empty() {
        message.push_str("; the policy names no group");
    } else {
        message.push_str("; the policy's groups are: ");
        message.push_str(&known.join(", "));
    }
    InputError::new(path, message)
}

/// The error for a key no field of its record has: `path` is the record's, `known` every name
/// the record accepts (built-in fields, then the policy's `extend` fields, for a change or a
/// service). Built only on the error path.
pub(crate) fn unknown_field<'k>(
    path: &JsonPath,
    key: &str,
    known: impl Iterator<Item = &'k str> + Clone,
) -> InputError {
    let mut message = "unknown field".to_string();
    if let Some(help) = did_you_mean(key, known.clone()) {
        message.push_str(&format!(" ({help})"));
    }
    message.push_str("; expected one of: ");
    message.push_str(&known.collect::<Vec<_>>().join(", "));
    InputError::new(path.key(key).to_string(), message)
}

/// A JSON object being read, with the path it sits at.
struct Record<'a> {
    fields: &'a serde_json::Map<String, Value>,
    path: &'a JsonPath<'a>,
}

impl<'a> Record<'a> {
    fn new(value: &'a Value, path: &'a JsonPath<'a>) -> Read<Record<'a>> {
        match value {
            Value::Object(fields) => Ok(Record { fields, path }),
            other => Err(expected(path, "an object", other)),
        }
    }

    /// Nested records have a fixed shape: a field they do not know is a mistake (a misspelt
    /// optional field would otherwise be silently dropped).
    fn deny_unknown(&self, known: &[&str]) -> Read<()> {
        for key in self.fields.keys() {
            if !known.contains(&key.as_str()) {
                return Err(unknown_field(self.path, key, known.iter().copied()));
            }
        }
        Ok(())
    }

    fn required<T>(&self, key: &str, read: impl FnOnce(&Value, &JsonPath) -> Read<T>) -> Read<T> {
        let path = self.path.key(key);
        match self.fields.get(key) {
            Some(value) => read(value, &path),
            None => Err(InputError::new(
                path.to_string(),
                "required field is missing",
            )),
        }
    }

    /// An optional field: absent gives `default`, `null` is a type error.
    fn or<T>(
        &self,
        key: &str,
        default: T,
        read: impl FnOnce(&Value, &JsonPath) -> Read<T>,
    ) -> Read<T> {
        match self.fields.get(key) {
            Some(value) => read(value, &self.path.key(key)),
            None => Ok(default),
        }
    }

    fn or_default<T: Default>(
        &self,
        key: &str,
        read: impl FnOnce(&Value, &JsonPath) -> Read<T>,
    ) -> Read<T> {
        self.or(key, T::default(), read)
    }

    /// A field that may be absent: absent or `null` gives `None`.
    fn nullable<T>(
        &self,
        key: &str,
        read: impl FnOnce(&Value, &JsonPath) -> Read<T>,
    ) -> Read<Option<T>> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => read(value, &self.path.key(key)).map(Some),
        }
    }

    /// Fields other than the built-in ones, unchanged; a computed field is refused.
    fn extra(&self, builtin: &[&str], computed: &[&str]) -> Read<BTreeMap<String, Value>> {
        let mut extra = BTreeMap::new();
        for (key, value) in self.fields {
            if computed.contains(&key.as_str()) {
                return Err(InputError::new(
                    self.path.key(key).to_string(),
                    "this field is computed from the catalog and cannot be given",
                ));
            }
            if !builtin.contains(&key.as_str()) {
                extra.insert(key.clone(), value.clone());
            }
        }
        Ok(extra)
    }
}

fn read_non_empty_id(value: &Value, path: &JsonPath) -> Read<String> {
    let id = read_string(value, path)?;
    if id.is_empty() {
        return Err(InputError::new(path.to_string(), "an id cannot be empty"));
    }
    Ok(id)
}

/// A list of ids where each appears once (`change.services`).
fn read_unique_ids(value: &Value, path: &JsonPath) -> Read<Vec<String>> {
    let ids = read_string_list(value, path)?;
    if let Some((first, dup)) = first_duplicate(&ids) {
        return Err(InputError::new(
            path.index(dup).to_string(),
            format!(
                "{} is listed twice (also at {})",
                quoted(ids.get(dup).map_or("", String::as_str)),
                path.index(first)
            ),
        ));
    }
    Ok(ids)
}

/// The first index whose value appeared earlier, with that earlier index.
fn first_duplicate<S: AsRef<str>>(ids: &[S]) -> Option<(usize, usize)> {
    // A change lists a few services: comparing pairs is cheaper than hashing them.
    if ids.len() <= 8 {
        return ids.iter().enumerate().find_map(|(i, id)| {
            let id = id.as_ref();
            ids.iter()
                .take(i)
                .position(|earlier| earlier.as_ref() == id)
                .map(|first| (first, i))
        });
    }
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if let Some(first) = seen.insert(id.as_ref(), i) {
            return Some((first, i));
        }
    }
    None
}

fn read_size(value: &Value, path: &JsonPath) -> Read<i64> {
    let size = read_int(value, path)?;
    if size < 0 {
        return Err(expected(path, "a non-negative integer", value));
    }
    Ok(size)
}

fn read_tier(value: &Value, path: &JsonPath) -> Read<i64> {
    match read_int(value, path) {
        Ok(tier) if (0..=3).contains(&tier) => Ok(tier),
        _ => Err(expected(path, "an integer from 0 to 3", value)),
    }
}

/// A service's `error_budget`: the fraction remaining as a number, or an SLO object
/// `{"target", "window", "bad", "total"}` whose remaining fraction the engine computes:
/// `1 - bad / ((1 - target) * total)`, rounded to 9 decimals (docs/metrics.md). Both forms give
/// the policy the same number.
fn read_error_budget(value: &Value, path: &JsonPath) -> Read<f64> {
    let Value::Object(slo) = value else {
        return read_number(value, path).map_err(|_| {
            expected(
                path,
                "a number, or an SLO object {\"target\", \"window\", \"bad\", \"total\"}",
                value,
            )
        });
    };
    const KEYS: [&str; 4] = ["target", "window", "bad", "total"];
    if let Some(unknown) = slo.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(InputError::new(
            path.key(unknown).to_string(),
            format!("unknown key of an SLO (the keys are {})", KEYS.join(", ")),
        ));
    }
    let field = |key: &'static str| {
        slo.get(key).ok_or_else(|| {
            InputError::new(
                path.key(key).to_string(),
                "missing: an SLO gives target, window, bad and total",
            )
        })
    };
    let target_path = path.key("target");
    let target = read_number(field("target")?, &target_path)?;
    if !(target > 0.0 && target < 1.0) {
        return Err(InputError::new(
            target_path.to_string(),
            format!(
                "the target is the fraction of good events, strictly between 0 and 1 (0.999 for 99.9%), got {target}"
            ),
        ));
    }
    let window_path = path.key("window");
    let window = read_duration(field("window")?, &window_path)?;
    if window == 0 {
        return Err(InputError::new(
            window_path.to_string(),
            "the window the events were counted over cannot be empty",
        ));
    }
    let count = |key: &'static str| -> Read<i64> {
        let p = path.key(key);
        let n = read_int(field(key)?, &p)?;
        if n < 0 {
            return Err(InputError::new(
                p.to_string(),
                format!("a count of events cannot be negative, got {n}"),
            ));
        }
        Ok(n)
    };
    let bad = count("bad")?;
    let total = count("total")?;
    if total == 0 {
        return Err(InputError::new(
            path.key("total").to_string(),
            "no events in the window: the budget is unknown (give the number as error_budget instead)",
        ));
    }
    if bad > total {
        return Err(InputError::new(
            path.key("bad").to_string(),
            format!("{bad} bad events of {total} in all: bad cannot exceed total"),
        ));
    }
    let allowed = (1.0 - target) * total as f64;
    let remaining = 1.0 - bad as f64 / allowed;
    Ok((remaining * 1e9).round() / 1e9)
}

/// Reads one catalog service at `path` (`catalog.services[3]`). Dependencies are only read
/// here; the catalog resolves them.
pub(crate) fn read_service(value: &Value, path: &JsonPath) -> Read<Service> {
    ServiceRecord.tree(value, path)
}

impl Change {
    /// Reads a change from its JSON form; errors name the path under `change`
    /// (`change.approvals[2].at`).
    pub fn from_json(value: &Value) -> Result<Change, InputError> {
        Change::from_json_at(value, "change")
    }

    /// Reads a change whose errors name the JSON path under `root`: with `root` set to
    /// `"changes[3]"`, an unknown field of the first approval is reported at
    /// `changes[3].approvals[0].…`.
    pub fn from_json_at(value: &Value, root: &str) -> Result<Change, InputError> {
        let mut change = ChangeRecord.tree(value, &JsonPath::Root(root))?;
        change.source = Source::tree(value);
        Ok(change)
    }

    /// Reads a change from JSON or YAML text; errors name the path under `change`.
    ///
    /// JSON text is first read straight into a change (no `Value` tree); a text that path
    /// does not accept is read again through the tree, which gives the precise error.
    pub fn from_text(text: &str, format: Format) -> Result<Change, InputError> {
        if format == Format::Json {
            if let Some(change) = fast::change(text) {
                return Ok(change);
            }
        }
        Change::from_text_slow(text, format)
    }

    /// Reads a change file, JSON or YAML by its extension ([`Format::from_path`]). A file
    /// that cannot be read is an [`Error::Io`] naming it; errors in it name the path under
    /// `change`.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Change, Error> {
        Change::from_path_with(path, &Limits::default())
    }

    /// [`Change::from_path`] with other [`Limits`]: at most [`Limit::InputBytes`] are read.
    pub fn from_path_with(path: impl AsRef<Path>, limits: &Limits) -> Result<Change, Error> {
        let (text, format) = read_input_file(path.as_ref(), limits)?;
        Ok(Change::from_text(&text, format)?)
    }

    /// Reads a change from text through the `Value` tree: the reader whose errors the user
    /// sees, and the model the fast path is tested against.
    pub(crate) fn from_text_slow(text: &str, format: Format) -> Result<Change, InputError> {
        Change::from_json(&parse_document(text, format, "change")?)
    }
}

/// A file's text and its format by extension; an error reading it names the file. At most
/// [`Limit::InputBytes`] are read: a larger file is an error.
pub(crate) fn read_input_file(path: &Path, limits: &Limits) -> Result<(String, Format), Error> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::Io {
        path: name.clone(),
        message: e.to_string(),
    })?;
    let text = read_input_text(file, &name, limits.get(Limit::InputBytes))?;
    Ok((text, Format::from_path(&name)))
}

/// Reads several changes (for a release train): a list, or `{"changes": [...]}`. Errors name
/// the path under `changes` (`changes[3].start`). Change ids must be unique.
pub fn changes_from_json(value: &Value) -> Result<Vec<Change>, InputError> {
    changes_from_json_at(value, "changes")
}

/// [`changes_from_json`] with errors under `root` instead of `changes`
/// (`"request.changes"` gives `request.changes[3].start`).
pub fn changes_from_json_at(value: &Value, root: &str) -> Result<Vec<Change>, InputError> {
    let root = JsonPath::Root(root);
    let items = match value {
        Value::Array(items) => items,
        Value::Object(fields) => match fields.get("changes") {
            Some(list) => read_list(list, &root, "changes")?,
            None => {
                return Err(InputError::new(
                    root.to_string(),
                    "expected a list of changes or an object with \"changes\"",
                ));
            }
        },
        other => return Err(expected(&root, "a list of changes", other)),
    };
    let changes = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut change = ChangeRecord.tree(item, &root.index(i))?;
            change.source = Source::tree(item);
            Ok(change)
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    if let Some((first, dup)) = first_duplicate(&ids) {
        return Err(InputError::new(
            root.index(dup).key("id").to_string(),
            format!(
                "duplicate change id {} (also at {})",
                quoted(ids.get(dup).copied().unwrap_or_default()),
                root.index(first)
            ),
        ));
    }
    Ok(changes)
}

/// Reads several changes from JSON or YAML text; see [`changes_from_json`]. JSON text takes
/// the fast path first, as in [`Change::from_text`].
pub fn changes_from_text(text: &str, format: Format) -> Result<Vec<Change>, InputError> {
    if format == Format::Json {
        if let Some(changes) = fast::changes(text) {
            return Ok(changes);
        }
    }
    changes_from_text_slow(text, format)
}

/// Reads a file of several changes, JSON or YAML by its extension; see
/// [`changes_from_json`] and [`Change::from_path`].
pub fn changes_from_path(path: impl AsRef<Path>) -> Result<Vec<Change>, Error> {
    changes_from_path_with(path, &Limits::default())
}

/// [`changes_from_path`] with other [`Limits`]: at most [`Limit::InputBytes`] are read.
pub fn changes_from_path_with(
    path: impl AsRef<Path>,
    limits: &Limits,
) -> Result<Vec<Change>, Error> {
    let (text, format) = read_input_file(path.as_ref(), limits)?;
    Ok(changes_from_text(&text, format)?)
}

/// Reads several changes from text through the `Value` tree (see [`Change::from_text_slow`]).
pub(crate) fn changes_from_text_slow(
    text: &str,
    format: Format,
) -> Result<Vec<Change>, InputError> {
    changes_from_json(&parse_document(text, format, "changes")?)
}

#[cfg(test)]
mod tests;
