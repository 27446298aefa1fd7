//! The service catalog compiled into a dependency graph: dependents, blast radius, waves.

use crate::error::InputError;
use crate::input::Service;

/// A service catalog, compiled once and shared between evaluations.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(crate) services: Vec<Service>,
}

impl Catalog {
    /// Reads a catalog (`{"services": [...]}`); errors name the JSON path under `catalog`.
    pub fn from_json(value: &serde_json::Value) -> Result<Catalog, InputError> {
        Err(InputError::new(
            "catalog",
            format!("not implemented yet: {value}"),
        ))
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }
}
