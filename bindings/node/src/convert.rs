//! The edges: JavaScript values to the engine's JSON inputs, instants and durations, and
//! results back to plain JavaScript objects.
//!
//! An input object is read in one call to V8's `JSON.stringify` (with a replacer that refuses
//! what JSON cannot hold faithfully), then parsed by serde. When the replacer refuses, the
//! input is read again by a walker that finds the offending value and names its JSON path:
//! functions, symbols, bigints, `NaN`, invalid `Date`s, `undefined` in a list, cycles. Both
//! paths read a `Date` as its ISO text and honour `toJSON`, and skip `undefined` properties, so
//! they agree on every input the fast path accepts. napi's own `serde_json::Value` conversion
//! is not used: it turns a `Date` into `{}` and reports errors without a path.

use chrono::{DateTime, SecondsFormat, Utc};
use napi::bindgen_prelude::{
    Array, FromNapiValue, Function, JsObjectValue, KeyCollectionMode, KeyConversion, KeyFilter,
    Object, ObjectRef, Unknown,
};
use napi::{Env, JsDate, JsString, JsValue, ValueType};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use shipgate::Instant;

use crate::failure::{Failure, input};

/// Deeper than any change or catalog needs (serde_json's own limit); a cycle hits it quickly.
const MAX_DEPTH: usize = 128;
/// Bounds the work on a DAG that shares objects (`{a: o, b: o}` nested is exponential).
const MAX_VALUES: usize = 1_000_000;

/// One step of a JSON path, kept unformatted until an error needs the text.
enum Step {
    Key(String),
    Index(u32),
}

struct Walker<'a> {
    root: &'a str,
    steps: Vec<Step>,
    values: usize,
    /// `NaN` and infinities read as `null` (observations: a sample without data).
    nan_null: bool,
}

/// Reads a JavaScript value as JSON; errors name the path under `root` (`change.start`).
pub fn read_input(env: &Env, value: Unknown<'_>, root: &str) -> Result<Value, Failure> {
    read_input_with(env, value, root, false)
}

/// [`read_input`] where `NaN` and infinities read as `null`: observations, where such a sample
/// is a sample without data (SPEC 8.8), as YAML's `.nan` reads in the engine.
pub fn read_input_nan_as_null(env: &Env, value: Unknown<'_>, root: &str) -> Result<Value, Failure> {
    read_input_with(env, value, root, true)
}

fn read_input_with(
    env: &Env,
    value: Unknown<'_>,
    root: &str,
    nan_null: bool,
) -> Result<Value, Failure> {
    // The fast path refuses `NaN` (it has no JSON form): the walker then reads it.
    let encode: Function<'_, Unknown<'_>, Option<String>> =
        helpers(env)?.get_named_property("encode")?;
    if let Some(text) = encode.call(value)? {
        if let Ok(json) = serde_json::from_str(&text) {
            return Ok(json);
        }
    }
    let mut walker = Walker {
        root,
        steps: Vec::new(),
        values: 0,
        nan_null,
    };
    walker.value(value)
}

/// The JavaScript half of the conversions, compiled once per environment (main thread or
/// worker). It keeps the original `JSON.parse` and `JSON.stringify`, so a later monkey-patch of
/// `JSON` does not change what the engine reads or returns.
const HELPERS: &str = r#"(function () {
  'use strict'
  const { parse, stringify } = JSON
  const isArray = Array.isArray
  const isFinite = Number.isFinite
  const getTime = Date.prototype.getTime
  const NumberClass = Number
  const MAX_VALUES = 1000000
  const REFUSED = {}
  let budget = 0
  // A Date of any realm (getTime throws for anything else).
  function isDate(value) {
    try {
      getTime.call(value)
      return true
    } catch {
      return false
    }
  }
  function replacer(key, value) {
    if (--budget < 0) throw REFUSED
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value
      case 'number':
        if (isFinite(value)) return value
        throw REFUSED
      case 'object':
        // An invalid Date serialises as null; only then is the holder read again.
        if (value === null) {
          if (isDate(this[key])) throw REFUSED
        } else if (value instanceof NumberClass && !isFinite(value.valueOf())) {
          throw REFUSED
        }
        return value
      case 'undefined':
        if (isArray(this)) throw REFUSED
        return value
      default:
        throw REFUSED
    }
  }
  return {
    parse,
    encode(value) {
      budget = MAX_VALUES
      try {
        return stringify(value, replacer)
      } catch {
        return undefined
      }
    },
  }
})()"#;

struct Helpers(ObjectRef<false>);

/// Compiles the helpers for this environment now rather than at first use.
pub fn prepare(env: &Env) -> Result<(), Failure> {
    helpers(env).map(|_| ())
}

fn helpers(env: &Env) -> Result<Object<'_>, Failure> {
    if let Some(Helpers(object)) = env.get_instance_data::<Helpers>()? {
        return Ok(object.get_value(env)?);
    }
    let object: Object<'_> = env.run_script(HELPERS)?;
    env.set_instance_data(Helpers(object.create_ref::<false>()?), (), |_| {})?;
    Ok(object)
}

impl Walker<'_> {
    /// The current path, formatted like the engine's (`change.approvals[2].at`,
    /// `change["odd key"]`).
    fn path(&self) -> String {
        let mut out = self.root.to_string();
        for step in &self.steps {
            match step {
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::Key(k) if is_plain_key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Step::Key(k) => out.push_str(&format!("[{}]", Value::String(k.clone()))),
            }
        }
        out
    }

    /// The key `toJSON` is called with: the property name or index, `""` at the top.
    fn key(&self) -> String {
        match self.steps.last() {
            Some(Step::Key(k)) => k.clone(),
            Some(Step::Index(i)) => i.to_string(),
            None => String::new(),
        }
    }

    fn fail(&self, message: impl Into<String>) -> Failure {
        input(self.path(), message)
    }

    fn value(&mut self, value: Unknown<'_>) -> Result<Value, Failure> {
        self.read(value, true)
    }

    /// `to_json`: whether an object's `toJSON` applies. It does once per value, as in
    /// `JSON.stringify`, so a `toJSON` that returns its own object cannot recurse.
    fn read(&mut self, value: Unknown<'_>, to_json: bool) -> Result<Value, Failure> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(self.fail(format!("more than {MAX_VALUES} values in one input")));
        }
        match value.get_type()? {
            ValueType::Null => Ok(Value::Null),
            ValueType::Boolean => Ok(Value::Bool(bool::from_unknown(value)?)),
            ValueType::Number if self.nan_null && !f64::from_unknown(value)?.is_finite() => {
                Ok(Value::Null)
            }
            ValueType::Number => number(f64::from_unknown(value)?).ok_or_else(|| {
                self.fail(format!(
                    "expected a finite number, got {}",
                    f64::from_unknown(value).unwrap_or(f64::NAN)
                ))
            }),
            ValueType::String => Ok(Value::String(text(value, || self.path())?)),
            ValueType::Object => {
                if self.steps.len() >= MAX_DEPTH {
                    return Err(self.fail(format!(
                        "nested more than {MAX_DEPTH} levels deep (is the object cyclic?)"
                    )));
                }
                if value.is_date()? {
                    let text = date_text(JsDate::from_unknown(value)?)
                        .ok_or_else(|| self.fail("expected a valid Date, got Invalid Date"))?;
                    Ok(Value::String(text))
                } else if value.is_array()? {
                    self.array(Array::from_unknown(value)?)
                } else {
                    let object = Object::from_unknown(value)?;
                    let method = match to_json {
                        true => object.get::<Unknown<'_>>("toJSON")?,
                        false => None,
                    };
                    match method {
                        // As JSON.stringify does: an object that says how to serialise itself.
                        Some(method) if method.get_type()? == ValueType::Function => {
                            let method = Function::<'_, String, Unknown<'_>>::from_unknown(method)?;
                            let replaced = method.apply(object, self.key())?;
                            self.read(replaced, false)
                        }
                        _ => self.object(object),
                    }
                }
            }
            ValueType::Undefined => Err(self.fail("expected a value, got undefined")),
            ValueType::Function => Err(self.fail("expected a value, got a function")),
            ValueType::Symbol => Err(self.fail("expected a value, got a symbol")),
            ValueType::BigInt => Err(self.fail("expected a number, got a bigint")),
            _ => Err(self.fail("expected a JSON value")),
        }
    }

    fn array(&mut self, array: Array<'_>) -> Result<Value, Failure> {
        let len = array.len();
        let mut items = Vec::with_capacity(len.min(1024) as usize);
        for i in 0..len {
            self.steps.push(Step::Index(i));
            let item = match array.get::<Unknown<'_>>(i)? {
                Some(item) => self.value(item)?,
                None => return Err(self.fail("expected a value, got undefined")),
            };
            self.steps.pop();
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn object(&mut self, object: Object<'_>) -> Result<Value, Failure> {
        let keys = object.get_all_property_names(
            KeyCollectionMode::OwnOnly,
            KeyFilter::Enumerable,
            KeyConversion::NumbersToStrings,
        )?;
        let len = keys.get_array_length()?;
        let mut map = Map::new();
        for i in 0..len {
            let key: Unknown<'_> = keys.get_element(i)?;
            if key.get_type()? != ValueType::String {
                continue; // symbol keys are not data
            }
            let key = text(key, || self.path())?;
            let Some(field) = object.get::<Unknown<'_>>(&key)? else {
                continue; // `undefined` means absent, as in JSON.stringify
            };
            self.steps.push(Step::Key(key));
            let field = self.value(field)?;
            if let Some(Step::Key(key)) = self.steps.pop() {
                map.insert(key, field);
            }
        }
        Ok(Value::Object(map))
    }
}

fn is_plain_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A JavaScript number as JSON: integral values become integers (so `tier: 2` reads as an
/// integer), others floats; `NaN` and infinities have no JSON form.
fn number(f: f64) -> Option<Value> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact
    if f.fract() == 0.0 && f.abs() < EXACT {
        Some(Value::Number(Number::from(f as i64)))
    } else {
        Number::from_f64(f).map(Value::Number)
    }
}

/// A `Date` as `toISOString` writes it (RFC 3339 UTC with milliseconds), so both readers give
/// the same text; `None` for an invalid `Date`.
fn date_text(date: JsDate<'_>) -> Option<String> {
    let instant = date_instant(date)?;
    Some(instant.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn date_instant(date: JsDate<'_>) -> Option<Instant> {
    millis_instant(date.value_of().ok()?)
}

/// The instant of a `Date`'s time value (milliseconds since the epoch); `None` for `NaN`.
pub fn millis_instant(ms: f64) -> Option<Instant> {
    if !ms.is_finite() {
        return None;
    }
    DateTime::<Utc>::from_timestamp_millis(ms as i64)
}

/// A JavaScript string as text. A lone surrogate (half of a UTF-16 pair, which Unicode text
/// cannot hold) is an input error at `path`, as in the Python package and the command line:
/// napi's own conversion would silently replace it with U+FFFD.
pub fn text(value: Unknown<'_>, path: impl FnOnce() -> String) -> Result<String, Failure> {
    // `as_str` drops the terminating NUL napi writes, and refuses invalid UTF-16.
    let units = JsString::from_unknown(value)?.into_utf16()?;
    units.as_str().map_err(|_| {
        input(
            path(),
            "text is not valid Unicode (it holds a lone surrogate)",
        )
    })
}

/// An instant given as a `Date` or an RFC 3339 string with offset.
pub fn instant(value: Unknown<'_>, path: &str) -> Result<Instant, Failure> {
    match value.get_type()? {
        ValueType::String => {
            let text = text(value, || path.to_string())?;
            shipgate::parse_instant(&text).map_err(|m| input(path, m))
        }
        ValueType::Object if value.is_date()? => date_instant(JsDate::from_unknown(value)?)
            .ok_or_else(|| input(path, "expected a valid Date, got Invalid Date")),
        _ => Err(input(
            path,
            format!(
                "expected a Date or an RFC 3339 string with offset, got {}",
                kind(value)
            ),
        )),
    }
}

/// A duration given as text (`"2h"`, `"1h30m"`) or a number of seconds.
pub fn duration(value: Unknown<'_>, path: &str) -> Result<i64, Failure> {
    match value.get_type()? {
        ValueType::String => {
            let text = text(value, || path.to_string())?;
            shipgate::parse_duration(&text).map_err(|m| input(path, m))
        }
        ValueType::Number => {
            let secs = f64::from_unknown(value)?;
            if secs.fract() != 0.0 || !secs.is_finite() {
                return Err(input(
                    path,
                    format!("expected a whole number of seconds, got {secs}"),
                ));
            }
            // The engine's parser owns the limits (no negatives, at most 100 years).
            shipgate::parse_duration(&format!("{secs:.0}s")).map_err(|m| input(path, m))
        }
        _ => Err(input(
            path,
            format!(
                "expected a duration like \"2h\" or a number of seconds, got {}",
                kind(value)
            ),
        )),
    }
}

/// `true`/`false`; `undefined` is the default.
pub fn flag(value: Option<Unknown<'_>>, path: &str) -> Result<bool, Failure> {
    match value {
        None => Ok(false),
        Some(v) if v.get_type()? == ValueType::Boolean => Ok(bool::from_unknown(v)?),
        Some(v) => Err(input(
            path,
            format!("expected true or false, got {}", kind(v)),
        )),
    }
}

/// What a value is, for error messages.
pub fn kind(value: Unknown<'_>) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "a boolean",
        Ok(ValueType::Number) => "a number",
        Ok(ValueType::String) => "a string",
        Ok(ValueType::Symbol) => "a symbol",
        Ok(ValueType::Function) => "a function",
        Ok(ValueType::BigInt) => "a bigint",
        Ok(ValueType::Object) if value.is_array().unwrap_or(false) => "an array",
        Ok(ValueType::Object) if value.is_date().unwrap_or(false) => "a Date",
        Ok(ValueType::Object) => "an object",
        _ => "an unknown value",
    }
}

/// The own enumerable string keys of an object.
pub fn own_keys(object: &Object<'_>) -> Result<Vec<String>, Failure> {
    let keys = object.get_all_property_names(
        KeyCollectionMode::OwnOnly,
        KeyFilter::Enumerable,
        KeyConversion::NumbersToStrings,
    )?;
    let mut out = Vec::new();
    for i in 0..keys.get_array_length()? {
        let key: Unknown<'_> = keys.get_element(i)?;
        if key.get_type()? == ValueType::String {
            out.push(text(key, || "options".to_string())?);
        }
    }
    Ok(out)
}

/// The options object (`{now, explain}`): `undefined` or `null` for none; any key other than
/// `allowed` is an error, so a misspelt option never goes unnoticed. `checked`: the caller
/// (`index.js`) already found only allowed keys, so they are not listed again here (listing an
/// object's keys through Node-API costs more than the rest of reading the options).
pub fn options<'env>(
    value: Option<Unknown<'env>>,
    allowed: &[&str],
    checked: bool,
) -> Result<Option<Object<'env>>, Failure> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(None),
        ValueType::Object if !value.is_array()? && !value.is_date()? => {
            let object = Object::from_unknown(value)?;
            if checked {
                return Ok(Some(object));
            }
            let keys = object.get_all_property_names(
                KeyCollectionMode::OwnOnly,
                KeyFilter::Enumerable,
                KeyConversion::NumbersToStrings,
            )?;
            for i in 0..keys.get_array_length()? {
                let key: Unknown<'_> = keys.get_element(i)?;
                if key.get_type()? != ValueType::String {
                    continue;
                }
                let key = text(key, || "options".to_string())?;
                if !allowed.contains(&key.as_str()) {
                    return Err(input(
                        format!("options.{key}"),
                        format!("unknown option (expected one of: {})", allowed.join(", ")),
                    ));
                }
            }
            Ok(Some(object))
        }
        _ => Err(input(
            "options",
            format!("expected an object, got {}", kind(value)),
        )),
    }
}

/// A field of the options object; `undefined` reads as absent.
pub fn option<'env>(
    options: &Option<Object<'env>>,
    key: &str,
) -> Result<Option<Unknown<'env>>, Failure> {
    match options {
        Some(o) => Ok(o.get::<Unknown<'env>>(key)?),
        None => Ok(None),
    }
}

/// A result (a window) as its JSON text, the same text the CLI prints.
pub fn to_text<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value)
        .map_err(|e| Failure::Internal(format!("a result did not serialise: {e}")))
}

/// JSON text as plain JavaScript objects, with the same keys as the JSON the CLI prints.
/// Letting V8's `JSON.parse` build the objects is about twice as fast as creating them one
/// N-API call at a time (decisions are parsed the same way, part by part, in `index.js`).
pub fn from_text<'env>(env: &'env Env, text: String) -> Result<Unknown<'env>, Failure> {
    let parse: Function<'_, String, Unknown<'env>> = helpers(env)?.get_named_property("parse")?;
    Ok(parse.call(text)?)
}
