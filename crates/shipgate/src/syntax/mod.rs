//! Text to AST: the pest grammar and the parser.

pub mod ast;
mod parser;
/// Spans live below every layer (errors point into sources too); re-exported for the parser.
pub(crate) use crate::span;

#[cfg(test)]
mod tests;

use crate::error::Diagnostic;
use span::FileId;

/// Parses one file. Returns the items that parsed (recovering at the next top-level item after
/// an error) and every diagnostic found.
pub fn parse(file: FileId, text: &str) -> (ast::PolicyFile, Vec<Diagnostic>) {
    parser::parse(file, text)
}
