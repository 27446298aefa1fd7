//! `shipgate.metrics(...)` (SPEC 8.6): converts the arguments, calls `shipgate::metrics_from_path`
//! with the GIL released, and returns the contract's JSON as plain Python objects.

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::convert::{instant_arg, to_python};
use crate::errors::{IntoPyResult, guard};

/// The delivery metrics of a history file (JSON lines, or CSV by `.csv` or `format="csv"`):
/// the dict of `shipgate metrics --format json`.
#[pyfunction]
#[pyo3(signature = (history, *, from_ = None, to = None, by = None, format = None))]
pub fn metrics<'py>(
    py: Python<'py>,
    history: PathBuf,
    from_: Option<&Bound<'py, PyAny>>,
    to: Option<&Bound<'py, PyAny>>,
    by: Option<&str>,
    format: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let m = read_metrics(py, history, from_, to, by, format)?;
        to_python(py, &m.to_json())
    })
}

/// The same figures as an SVG chart of the four measures week by week (`shipgate metrics
/// --format svg`).
#[pyfunction]
#[pyo3(signature = (history, *, from_ = None, to = None, by = None, format = None))]
pub fn metrics_svg<'py>(
    py: Python<'py>,
    history: PathBuf,
    from_: Option<&Bound<'py, PyAny>>,
    to: Option<&Bound<'py, PyAny>>,
    by: Option<&str>,
    format: Option<&str>,
) -> PyResult<String> {
    guard(|| {
        read_metrics(py, history, from_, to, by, format)?
            .to_svg()
            .or_raise(py)
    })
}

/// The catalog's dependency graph in waves (`shipgate graph`): `format="json"` (a dict:
/// `services`, `tiers`, `edges`, `waves`, `cycles`), `"dot"` or `"mermaid"` (text). A cycle is
/// drawn, not refused.
#[pyfunction]
#[pyo3(signature = (catalog, *, format = "json"))]
pub fn draw_graph<'py>(
    py: Python<'py>,
    catalog: &Bound<'py, PyAny>,
    format: &str,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let value = crate::convert::to_json(catalog)
            .map_err(|e| e.under("catalog"))
            .or_raise(py)?;
        let drawing = shipgate::Drawing::of_catalog_json(&value).or_raise(py)?;
        match format {
            "json" => to_python(py, &drawing.to_json()),
            "dot" => Ok(pyo3::types::PyString::new(py, &drawing.to_dot()).into_any()),
            "mermaid" => Ok(pyo3::types::PyString::new(py, &drawing.to_mermaid()).into_any()),
            other => Err(PyValueError::new_err(format!(
                "format must be \"json\", \"dot\" or \"mermaid\", got {other:?}"
            ))),
        }
    })
}

/// A JSON or YAML file (by extension) read as the engine reads its inputs (size limit,
/// nesting limit, a key given twice refused), as plain Python objects: the twin of Node's
/// `readDocument`. `max_input_bytes=` changes the size limit.
#[pyfunction]
#[pyo3(signature = (path, **limits))]
pub fn read_document<'py>(
    py: Python<'py>,
    path: PathBuf,
    limits: Option<&Bound<'py, pyo3::types::PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let limits = crate::engine::limits_arg(limits, true)?;
        let name = path.display().to_string();
        let value = py
            .detach(|| -> Result<serde_json::Value, shipgate::Error> {
                let file = std::fs::File::open(&path).map_err(|e| {
                    shipgate::InputError::new("path", format!("cannot read {name}: {e}"))
                })?;
                let text =
                    shipgate::read_input_text(file, &name, limits.get(shipgate::Limit::InputBytes))
                        .map_err(|e| crate::engine::unreadable(e, "path"))?;
                Ok(shipgate::parse_document(
                    &text,
                    shipgate::Format::from_path(&name),
                    "document",
                )?)
            })
            .or_raise(py)?;
        to_python(py, &value)
    })
}

fn read_metrics(
    py: Python<'_>,
    history: PathBuf,
    from_: Option<&Bound<'_, PyAny>>,
    to: Option<&Bound<'_, PyAny>>,
    by: Option<&str>,
    format: Option<&str>,
) -> PyResult<shipgate::Metrics> {
    {
        let mut query = shipgate::MetricsQuery::new();
        query.from = from_
            .map(|t| instant_arg(t, "from_"))
            .transpose()
            .or_raise(py)?;
        query.to = to.map(|t| instant_arg(t, "to")).transpose().or_raise(py)?;
        query.by = match by {
            None => None,
            Some("service") => Some(shipgate::GroupBy::Service),
            Some("team") => Some(shipgate::GroupBy::Team),
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "by must be \"service\" or \"team\", got {other:?}"
                )));
            }
        };
        let format = match format {
            None => None,
            Some("jsonl") => Some(shipgate::HistoryFormat::JsonLines),
            Some("csv") => Some(shipgate::HistoryFormat::Csv),
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "format must be \"jsonl\" or \"csv\", got {other:?}"
                )));
            }
        };
        py.detach(|| shipgate::metrics_from_path(&history, format, &query))
            .or_raise(py)
    }
}
