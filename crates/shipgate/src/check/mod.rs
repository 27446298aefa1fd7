//! Name resolution and type checking: AST to the compiled policy set.

use std::path::PathBuf;

use crate::error::{Diagnostic, Error, PolicyError};
use crate::syntax::span::SourceMap;

/// A compiled policy set.
#[derive(Debug)]
pub struct Compiled {
    pub sources: SourceMap,
    pub warnings: Vec<Diagnostic>,
}

impl Compiled {
    pub fn region_names(&self) -> Vec<String> {
        Vec::new()
    }
}

pub fn collect_gate_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    Ok(paths.to_vec())
}

pub fn compile_paths(paths: &[PathBuf]) -> Result<Compiled, Error> {
    let _ = paths;
    Err(PolicyError::bare("<policy>", "not implemented yet").into())
}

pub fn compile_sources(
    files: Vec<(String, String)>,
    root: Option<PathBuf>,
) -> Result<Compiled, Error> {
    let _ = (files, root);
    Err(PolicyError::bare("<policy>", "not implemented yet").into())
}
