//! Text to AST: the pest grammar, the parser and source spans.

pub mod ast;
mod grammar;
mod keywords;
mod nesting;
mod parser;
mod recovery;
pub mod span;

#[cfg(test)]
mod tests;

use crate::error::Diagnostic;
use span::FileId;

/// Parses one file. Returns the items that parsed (recovering at the next top-level item after
/// an error) and every diagnostic found.
pub fn parse(file: FileId, text: &str) -> (ast::PolicyFile, Vec<Diagnostic>) {
    parser::parse(file, text)
}
