//! Conversions at the edge: Python objects to the engine's JSON inputs (with the JSON path of
//! anything that cannot be read), `datetime`/`timedelta` to instants and seconds, and JSON
//! values back to Python objects.

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Utc};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyDate, PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyDict, PyFloat, PyInt,
    PyList, PyMapping, PyString, PyTimeAccess, PyTuple, PyTzInfo, PyTzInfoAccess,
};
use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use shipgate::{InputError, Instant};

/// Nesting deeper than this is refused: real inputs are a few levels deep, and a limit keeps a
/// self-referencing dict from recursing until the stack overflows.
const MAX_DEPTH: usize = 64;

/// One step of a JSON path.
enum Step {
    Key(String),
    Index(usize),
}

/// A value that cannot be converted, with the steps from the failing value back up to the root
/// (innermost first: they are pushed while the recursion unwinds, so the success path never
/// builds a path).
pub struct Unreadable {
    steps: Vec<Step>,
    message: String,
}

impl Unreadable {
    fn new(message: impl Into<String>) -> Unreadable {
        Unreadable {
            steps: Vec::new(),
            message: message.into(),
        }
    }

    fn at_key(mut self, key: String) -> Unreadable {
        self.steps.push(Step::Key(key));
        self
    }

    fn at_index(mut self, index: usize) -> Unreadable {
        self.steps.push(Step::Index(index));
        self
    }

    /// The error with its path under `root` (`change`, `changes[3]`, `catalog`), written the
    /// way the engine writes JSON paths: `change.approvals[2].at`, `change["odd key"]`.
    pub fn under(self, root: &str) -> InputError {
        let mut path = root.to_string();
        for step in self.steps.iter().rev() {
            match step {
                Step::Index(i) => path.push_str(&format!("[{i}]")),
                Step::Key(key) if is_plain_key(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Step::Key(key) => {
                    path.push('[');
                    path.push_str(&Value::String(key.clone()).to_string());
                    path.push(']');
                }
            }
        }
        InputError::new(path, self.message)
    }
}

/// Keys written after a dot; others are quoted in brackets (same rule as the engine's paths).
fn is_plain_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `str`, `int`, `datetime`... for messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

fn read_str(s: &Bound<'_, PyString>) -> Result<String, Unreadable> {
    s.to_cow()
        .map(|c| c.into_owned())
        .map_err(|_| Unreadable::new("text is not valid Unicode (it holds a lone surrogate)"))
}

/// Converts a Python value (dicts and other mappings, lists, tuples, str, int, float, bool,
/// None, aware `datetime`, `timedelta`) into the JSON the engine reads.
pub fn to_json(obj: &Bound<'_, PyAny>) -> Result<Value, Unreadable> {
    to_json_at(obj, 0, false)
}

/// [`to_json`] where a NaN or infinite float reads as `None`: observations, where such a sample
/// is a sample without data (SPEC 8.8), as YAML's `.nan` reads in the engine.
pub fn to_json_nan_as_null(obj: &Bound<'_, PyAny>) -> Result<Value, Unreadable> {
    to_json_at(obj, 0, true)
}

fn to_json_at(obj: &Bound<'_, PyAny>, depth: usize, nan_null: bool) -> Result<Value, Unreadable> {
    if let Ok(s) = obj.cast::<PyString>() {
        return read_str(s).map(Value::String);
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        if depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        return object_to_json(dict.iter(), depth, nan_null);
    }
    if let Ok(list) = obj.cast::<PyList>() {
        if depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        return sequence_to_json(list.iter(), list.len(), depth, nan_null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        return Err(Unreadable::new(format!(
            "integer out of range: {}",
            obj.str().map(|s| s.to_string()).unwrap_or_default()
        )));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let f = f.value();
        if nan_null && !f.is_finite() {
            return Ok(Value::Null);
        }
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| Unreadable::new(format!("expected a finite number, got {f}")));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        if depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        return sequence_to_json(tuple.iter(), tuple.len(), depth, nan_null);
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        if depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        let items = mapping
            .items()
            .map_err(|e| Unreadable::new(format!("cannot read the mapping's items: {e}")))?;
        let mut pairs = Vec::with_capacity(items.len());
        for item in items.iter() {
            let pair = item
                .extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()
                .map_err(|_| Unreadable::new("the mapping's items() are not (key, value) pairs"))?;
            pairs.push(pair);
        }
        return object_to_json(pairs.into_iter(), depth, nan_null);
    }
    if let Ok(dt) = obj.cast::<PyDateTime>() {
        let instant = instant_of(dt).map_err(Unreadable::new)?;
        return Ok(Value::String(
            instant.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        ));
    }
    if obj.is_instance_of::<PyDate>() {
        return Err(Unreadable::new(
            "a date alone is not an instant: pass an aware datetime",
        ));
    }
    if let Ok(delta) = obj.cast::<PyDelta>() {
        return seconds_of(delta)
            .map(|s| Value::Number(s.into()))
            .map_err(Unreadable::new);
    }
    Err(Unreadable::new(format!(
        "unsupported type {}: expected a dict, list, str, int, float, bool, None, an aware \
         datetime or a timedelta",
        type_name(obj)
    )))
}

fn object_to_json<'py>(
    pairs: impl Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    depth: usize,
    nan_null: bool,
) -> Result<Value, Unreadable> {
    let mut map = Map::new();
    for (key, value) in pairs {
        let key = match key.cast::<PyString>() {
            Ok(k) => read_str(k)?,
            Err(_) => {
                return Err(Unreadable::new(format!(
                    "keys must be strings, got {} {}",
                    type_name(&key),
                    key.repr()
                        .map(|r| r.to_string())
                        .unwrap_or_else(|_| "?".into())
                )));
            }
        };
        match to_json_at(&value, depth + 1, nan_null) {
            Ok(v) => {
                map.insert(key, v);
            }
            Err(e) => return Err(e.at_key(key)),
        }
    }
    Ok(Value::Object(map))
}

fn too_deep() -> Unreadable {
    Unreadable::new(format!("nested more than {MAX_DEPTH} levels deep"))
}

fn sequence_to_json<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    len: usize,
    depth: usize,
    nan_null: bool,
) -> Result<Value, Unreadable> {
    let mut out = Vec::with_capacity(len);
    for (i, item) in items.enumerate() {
        out.push(to_json_at(&item, depth + 1, nan_null).map_err(|e| e.at_index(i))?);
    }
    Ok(Value::Array(out))
}

/// The instant an aware `datetime` stands for. A naive one is refused: guessing a zone is how
/// a change ships an hour into a freeze.
pub fn instant_of(dt: &Bound<'_, PyDateTime>) -> Result<Instant, String> {
    let py = dt.py();
    const NAIVE: &str = "a naive datetime is ambiguous: give it a tzinfo (datetime.timezone.utc \
                         or a zoneinfo.ZoneInfo)";
    let Some(tzinfo) = dt.get_tzinfo() else {
        return Err(NAIVE.to_string());
    };
    // `timezone.utc` is the common case and needs no call into Python.
    let offset = if PyTzInfo::utc(py).is_ok_and(|utc| tzinfo.is(&*utc)) {
        TimeDelta::zero()
    } else {
        let offset = dt
            .call_method0(intern!(py, "utcoffset"))
            .map_err(|e| format!("the datetime's tzinfo failed: {e}"))?;
        if offset.is_none() {
            return Err(NAIVE.to_string());
        }
        let offset = offset
            .cast::<PyDelta>()
            .map_err(|_| "the datetime's utcoffset() is not a timedelta".to_string())?;
        TimeDelta::try_days(i64::from(offset.get_days()))
            .zip(TimeDelta::try_seconds(i64::from(offset.get_seconds())))
            .map(|(d, s)| d + s + TimeDelta::microseconds(i64::from(offset.get_microseconds())))
            .ok_or_else(|| "the datetime's utcoffset() is out of range".to_string())?
    };
    let local = NaiveDate::from_ymd_opt(
        dt.get_year(),
        u32::from(dt.get_month()),
        u32::from(dt.get_day()),
    )
    .and_then(|d| {
        d.and_hms_micro_opt(
            u32::from(dt.get_hour()),
            u32::from(dt.get_minute()),
            u32::from(dt.get_second()),
            dt.get_microsecond(),
        )
    })
    .ok_or_else(|| "the datetime is out of range".to_string())?;
    let utc = local
        .checked_sub_signed(offset)
        .ok_or_else(|| "the datetime is out of range once converted to UTC".to_string())?;
    Ok(DateTime::from_naive_utc_and_offset(utc, Utc))
}

/// Whole seconds of a `timedelta`; a fraction of a second is refused rather than rounded.
pub fn seconds_of(delta: &Bound<'_, PyDelta>) -> Result<i64, String> {
    if delta.get_microseconds() != 0 {
        return Err(format!(
            "durations are whole seconds, got {}",
            delta.str().map(|s| s.to_string()).unwrap_or_default()
        ));
    }
    Ok(i64::from(delta.get_days()) * 86_400 + i64::from(delta.get_seconds()))
}

/// An instant argument (`now`, `after`): an aware `datetime` or an RFC 3339 string with offset.
pub fn instant_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<Instant, InputError> {
    if let Ok(dt) = obj.cast::<PyDateTime>() {
        return instant_of(dt).map_err(|m| InputError::new(name, m));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = read_str(s).map_err(|e| e.under(name))?;
        return shipgate::parse_instant(&text).map_err(|m| InputError::new(name, m));
    }
    Err(InputError::new(
        name,
        format!(
            "expected an aware datetime or an RFC 3339 string, got {}",
            type_name(obj)
        ),
    ))
}

/// A duration argument: a `timedelta`, whole seconds as an `int`, or text like `"1h30m"`.
/// Numbers are held to the same rule as text (not negative, at most 100 years).
pub fn seconds_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<i64, InputError> {
    let secs = if let Ok(delta) = obj.cast::<PyDelta>() {
        seconds_of(delta).map_err(|m| InputError::new(name, m))?
    } else if let Ok(s) = obj.cast::<PyString>() {
        let text = read_str(s).map_err(|e| e.under(name))?;
        return shipgate::parse_duration(&text).map_err(|m| InputError::new(name, m));
    } else if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
        obj.extract::<i64>()
            .map_err(|_| InputError::new(name, "integer out of range"))?
    } else {
        return Err(InputError::new(
            name,
            format!(
                "expected a timedelta, whole seconds or text like \"1h30m\", got {}",
                type_name(obj)
            ),
        ));
    };
    if secs < 0 {
        return Err(InputError::new(
            name,
            format!("a duration cannot be negative, got {secs} seconds"),
        ));
    }
    // The engine's reader of duration text applies the upper bound.
    shipgate::parse_duration(&format!("{secs}s")).map_err(|m| InputError::new(name, m))
}

/// A serialisable value as plain Python objects (dict, list, str, int, float, bool, None),
/// with dict keys in the order the value serialises them (the contract's order), which a
/// `serde_json::Value` would lose (its maps are sorted).
pub fn to_python<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| PyValueError::new_err(format!("cannot serialise: {e}")))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    PyBuilder(py)
        .deserialize(&mut de)
        .map_err(|e| PyValueError::new_err(format!("cannot convert: {e}")))
}

/// Builds Python objects while JSON text is read.
#[derive(Clone, Copy)]
struct PyBuilder<'py>(Python<'py>);

fn py_err<E: de::Error>(e: PyErr) -> E {
    E::custom(e)
}

impl<'de, 'py> DeserializeSeed<'de> for PyBuilder<'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 'py> Visitor<'de> for PyBuilder<'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PyBool::new(self.0, v).to_owned().into_any())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        let Ok(int) = v.into_pyobject(self.0);
        Ok(int.into_any())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let Ok(int) = v.into_pyobject(self.0);
        Ok(int.into_any())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(PyFloat::new(self.0, v).into_any())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.0, v).into_any())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.None().into_bound(self.0))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = PyList::empty(self.0);
        while let Some(item) = seq.next_element_seed(self)? {
            list.append(item).map_err(py_err)?;
        }
        Ok(list.into_any())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.0);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let value = map.next_value_seed(self)?;
            dict.set_item(key.as_ref(), value).map_err(py_err)?;
        }
        Ok(dict.into_any())
    }
}
