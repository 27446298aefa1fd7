//! `shipgate._shipgate`: the native module behind the `shipgate` Python package.
//!
//! A thin layer over the engine: arguments are converted at the edge (dicts to the engine's
//! JSON inputs, aware datetimes to instants), the engine decides, and the decision is wrapped
//! for Python. No policy logic lives here. The public names are re-exported by
//! `python/shipgate/__init__.py` and typed in `_shipgate.pyi`.

mod audit;
mod convert;
mod decision;
mod delivery;
mod engine;
mod errors;
mod plan;

use pyo3::prelude::*;

/// Panics inside the same guard as every entry point, so that the tests can check that a panic
/// reaches Python as a `ShipgateError` (private: not re-exported, not in the stubs).
#[pyfunction]
#[allow(clippy::panic)] // the point of the function
fn _panic_for_tests() -> PyResult<()> {
    errors::guard(|| panic!("deliberate panic for the tests"))
}

#[pymodule]
fn _shipgate(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ShipgateError", py.get_type::<errors::ShipgateError>())?;
    m.add("PolicyError", py.get_type::<errors::PolicyError>())?;
    m.add("InputError", py.get_type::<errors::InputError>())?;
    m.add_class::<audit::AuditLog>()?;
    m.add_class::<engine::Engine>()?;
    m.add_class::<engine::Catalog>()?;
    m.add_class::<engine::Change>()?;
    m.add_class::<decision::Decision>()?;
    m.add_class::<decision::Reason>()?;
    m.add_class::<decision::Requirement>()?;
    m.add_class::<decision::Ignored>()?;
    m.add_class::<decision::Exemption>()?;
    m.add_class::<decision::WaiverOutcome>()?;
    m.add_class::<decision::Schedule>()?;
    m.add_class::<decision::RegionSchedule>()?;
    m.add_class::<decision::ServiceSchedule>()?;
    m.add_class::<decision::ChangeSchedule>()?;
    m.add_class::<decision::Stretch>()?;
    m.add_class::<decision::Conflict>()?;
    m.add_class::<decision::RollbackTrigger>()?;
    m.add_class::<decision::Obligation>()?;
    m.add_class::<decision::TriggerCheck>()?;
    m.add_class::<decision::RollbackCheck>()?;
    m.add_class::<decision::TraceEntry>()?;
    m.add_class::<plan::Plan>()?;
    m.add_class::<plan::PlannedChange>()?;
    m.add_class::<plan::Unschedulable>()?;
    m.add_function(wrap_pyfunction!(delivery::metrics, m)?)?;
    m.add_function(wrap_pyfunction!(delivery::metrics_svg, m)?)?;
    m.add_function(wrap_pyfunction!(delivery::draw_graph, m)?)?;
    m.add_function(wrap_pyfunction!(delivery::read_document, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}
