//! Observations for a rollback check (`shipgate rollback`, SPEC 5 and 8.8): the samples of each
//! metric, the baselines that `% of baseline` thresholds compare with, and optionally each
//! metric's sampling interval. `eval::rollback` judges the triggers against them.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::{
    Format, JsonPath, Read, Record, expected, parse_document, read_duration, read_input_file,
    read_instant, read_number,
};
use crate::error::{Error, InputError};
use crate::limits::Limits;

/// The most samples observations may hold, all metrics together; more is an input error.
/// Judging a trigger reads each sample of its metric at most twice, and the median spacing is
/// found in linear time, so a check costs time linear in the samples.
pub const MAX_OBSERVATION_SAMPLES: usize = 1_000_000;

/// The keys of an observations document; any other is an error (a misspelt `baseline` must
/// not silently drop every baseline).
const KEYS: &[&str] = &["baseline", "metrics", "intervals"];

/// The samples of each metric and their baselines, read from
/// `{"baseline": {"p99_latency": 120}, "metrics": {"error_rate": [["2026-12-01T10:00:00Z",
/// 0.01], ...]}, "intervals": {"error_rate": "1m"}}` (`baseline` and `intervals` optional);
/// see [`crate::Engine::rollback`] and `docs/rollback.md`.
///
/// Each metric's samples are `[time, value]` pairs in strictly increasing time (RFC 3339 with
/// an offset); a value is a number, or `null` for a sample without data (YAML's `.nan` and
/// `.inf` read as `null` too).
#[derive(Debug, Clone, Default)]
pub struct Observations {
    baseline: HashMap<String, f64>,
    intervals: HashMap<String, i64>,
    metrics: HashMap<String, Series>,
}

/// One metric's samples, in increasing time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Series {
    /// Seconds since the epoch, strictly increasing.
    pub times: Vec<i64>,
    /// `None` for a sample without data (`null`, NaN, infinite).
    pub values: Vec<Option<f64>>,
}

impl Observations {
    /// Reads observations from their JSON form; errors name the path under `observations`
    /// (`observations.metrics.error_rate[3][0]`).
    pub fn from_json(value: &Value) -> Result<Observations, InputError> {
        Observations::from_json_at(value, "observations")
    }

    /// [`Observations::from_json`] with errors under `root` instead of `observations`.
    pub fn from_json_at(value: &Value, root: &str) -> Result<Observations, InputError> {
        let root = JsonPath::Root(root);
        let r = Record::new(value, &root)?;
        r.deny_unknown(KEYS)?;
        let mut out = Observations::default();
        if let Some(b) = r.fields.get("baseline") {
            let path = root.key("baseline");
            for (metric, v) in object(b, &path, "an object of baselines by metric")? {
                let at = path.key(metric);
                let n = read_number(v, &at)?;
                if !n.is_finite() {
                    return Err(InputError::new(at.to_string(), "a baseline must be finite"));
                }
                out.baseline.insert(metric.clone(), n);
            }
        }
        if let Some(i) = r.fields.get("intervals") {
            let path = root.key("intervals");
            for (metric, v) in object(i, &path, "an object of sampling intervals by metric")? {
                let at = path.key(metric);
                let secs = read_duration(v, &at)?;
                if secs <= 0 {
                    return Err(InputError::new(
                        at.to_string(),
                        "a sampling interval must be positive",
                    ));
                }
                out.intervals.insert(metric.clone(), secs);
            }
        }
        let path = root.key("metrics");
        let Some(metrics) = r.fields.get("metrics") else {
            return Err(InputError::new(
                path.to_string(),
                "required field is missing",
            ));
        };
        let metrics = object(metrics, &path, "an object of samples by metric")?;
        // Counted before any sample is read: a document over the limit costs no parsing.
        let total: usize = metrics
            .values()
            .map(|v| v.as_array().map_or(0, Vec::len))
            .fold(0, usize::saturating_add);
        if total > MAX_OBSERVATION_SAMPLES {
            return Err(InputError::new(
                path.to_string(),
                format!(
                    "too many samples: {total} in all metrics together (at most \
                     {MAX_OBSERVATION_SAMPLES})"
                ),
            ));
        }
        for (metric, samples) in metrics {
            let at = path.key(metric);
            let Value::Array(samples) = samples else {
                return Err(expected(&at, "a list of [time, value] samples", samples));
            };
            out.metrics
                .insert(metric.clone(), read_series(samples, &at)?);
        }
        Ok(out)
    }

    /// Reads observations from JSON or YAML text; see [`Observations::from_json`].
    pub fn from_text(text: &str, format: Format) -> Result<Observations, InputError> {
        Observations::from_json(&parse_document(text, format, "observations")?)
    }

    /// Reads an observations file, JSON or YAML by its extension; see
    /// [`Observations::from_json`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Observations, Error> {
        Observations::from_path_with(path, &Limits::default())
    }

    /// [`Observations::from_path`] with other [`Limits`]: at most `Limit::InputBytes` are read.
    pub fn from_path_with(path: impl AsRef<Path>, limits: &Limits) -> Result<Observations, Error> {
        let (text, format) = read_input_file(path.as_ref(), limits)?;
        Ok(Observations::from_text(&text, format)?)
    }

    /// The baseline of `metric`, when given.
    pub fn baseline(&self, metric: &str) -> Option<f64> {
        self.baseline.get(metric).copied()
    }

    /// The declared sampling interval of `metric` in seconds, when given.
    pub fn interval(&self, metric: &str) -> Option<i64> {
        self.intervals.get(metric).copied()
    }

    /// How many samples `metric` has (0 when it is missing).
    pub fn samples(&self, metric: &str) -> usize {
        self.metrics.get(metric).map_or(0, |s| s.times.len())
    }

    pub(crate) fn series(&self, metric: &str) -> Option<&Series> {
        self.metrics.get(metric)
    }
}

fn object<'v>(
    value: &'v Value,
    path: &JsonPath,
    what: &str,
) -> Read<&'v serde_json::Map<String, Value>> {
    match value {
        Value::Object(fields) => Ok(fields),
        other => Err(expected(path, what, other)),
    }
}

/// `[[time, value], ...]` in strictly increasing time.
fn read_series(samples: &[Value], path: &JsonPath) -> Read<Series> {
    let mut series = Series {
        times: Vec::with_capacity(samples.len()),
        values: Vec::with_capacity(samples.len()),
    };
    for (i, sample) in samples.iter().enumerate() {
        let at = path.index(i);
        let pair = match sample {
            Value::Array(pair) if pair.len() == 2 => pair,
            other => return Err(expected(&at, "a [time, value] pair", other)),
        };
        let (Some(time), Some(value)) = (pair.first(), pair.get(1)) else {
            return Err(expected(&at, "a [time, value] pair", sample));
        };
        let t = read_instant(time, &at.index(0))?.timestamp();
        if let Some(&before) = series.times.last() {
            if t <= before {
                return Err(InputError::new(
                    at.index(0).to_string(),
                    format!(
                        "samples must be in increasing time: this one is not after the one \
                         before it ({})",
                        crate::time::format_instant(
                            chrono::DateTime::from_timestamp(before, 0).unwrap_or_default()
                        )
                    ),
                ));
            }
        }
        let v = match value {
            Value::Null => None,
            Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
            other => {
                return Err(expected(
                    &at.index(1),
                    "a number, or null for a sample without data",
                    other,
                ));
            }
        };
        series.times.push(t);
        series.values.push(v);
    }
    Ok(series)
}
