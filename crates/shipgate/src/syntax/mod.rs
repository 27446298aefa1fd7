//! Text to AST: a hand-written parser for files that parse cleanly, and the pest grammar and
//! parser for everything else (and for every error message).
//!
//! - `parser`: the entry point: `fast`, else pest in one pass over the file, else `recovery`.
//! - `build`: pest's pairs to AST nodes, one file per construct.
//! - `fast`: a hand-written parser straight to the AST for files that parse without a
//!   diagnostic (most of them); anything else goes to pest, so every error comes from there.
//! - `format`: the canonical layout of a file (`shipgate fmt`).
//! - `grammar`: the pest parser generated from `grammar.pest`.
//! - `keywords`: the one keyword table; every Rust keyword list derives from it.
//! - `nesting`: refuses text that nests too deeply before pest recurses into it.
//! - `recovery`: parses a broken file item by item.
//! - `syntax_error` and `wording`: pest's errors as diagnostics with human rule names.

pub mod ast;
mod build;
mod fast;
mod format;
mod grammar;
mod keywords;
mod nesting;
mod parser;
mod recovery;
mod syntax_error;
mod wording;

#[cfg(test)]
mod tests;

use crate::error::Diagnostic;
use crate::span::FileId;

pub use format::FormatError;

/// `text` (a whole `.gate` file that parses) in the canonical layout (`format.rs`).
pub fn format(text: &str) -> Result<String, FormatError> {
    format::format(text)
}

/// Parses one file. Returns the items that parsed (recovering at the next top-level item after
/// an error) and every diagnostic found.
pub fn parse(file: FileId, text: &str) -> (ast::PolicyFile, Vec<Diagnostic>) {
    parser::parse(file, text)
}

/// How the fast parser and pest differ on `text`, if they do (see `parser.rs`).
#[cfg(feature = "testing")]
pub fn fast_parse_difference(text: &str) -> Option<String> {
    parser::fast_parse_difference(text)
}
