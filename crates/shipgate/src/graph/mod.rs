//! The service catalog compiled into a dependency graph: dependents, blast radius, waves.
//! (Stub until the graph module lands.)

use std::collections::HashMap;

use crate::error::InputError;
use crate::input::Service;

/// A service catalog, compiled once and shared between evaluations.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(crate) services: Vec<Service>,
    index: HashMap<String, u32>,
}

impl Catalog {
    pub fn from_json(value: &serde_json::Value) -> Result<Catalog, InputError> {
        Err(InputError::new(
            "catalog",
            format!("not implemented yet: {value}"),
        ))
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub fn service(&self, idx: u32) -> Option<&Service> {
        self.services.get(idx as usize)
    }

    pub fn dependents(&self, seeds: &[u32]) -> Vec<u32> {
        let _ = seeds;
        Vec::new()
    }

    pub fn waves(&self, touched: &[u32]) -> Vec<Vec<u32>> {
        vec![touched.to_vec()]
    }

    pub fn services_from_ids(&self, ids: &[String], path: &str) -> Result<Vec<u32>, InputError> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                self.index_of(id).ok_or_else(|| {
                    InputError::new(format!("{path}[{i}]"), format!("unknown service {id:?}"))
                })
            })
            .collect()
    }
}
