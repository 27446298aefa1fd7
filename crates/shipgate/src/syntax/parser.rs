//! Entry point of the syntax layer: parses a file in one pass, or item by item (see
//! [`super::recovery`]) when it has errors, and hands pest's pairs to the builder.

use pest::Parser as _;

use super::ast::PolicyFile;
use super::build::build_items;
use super::grammar::{GateParser, Rule};
use super::nesting::nesting_overflow;
use super::recovery;
use super::syntax_error::syntax_error;
use crate::error::Diagnostic;
use crate::span::FileId;

/// Parses one file; see [`super::parse`].
pub(super) fn parse(file: FileId, text: &str) -> (PolicyFile, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut items = Vec::new();
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = text.get(base..).unwrap_or("");

    let mut whole_error = None;
    if nesting_overflow(body).is_none() {
        match GateParser::parse(Rule::file, body) {
            Ok(pairs) => {
                build_items(pairs, file, base, &mut diags, &mut items);
                return (PolicyFile { items }, diags);
            }
            Err(e) => whole_error = Some(e),
        }
    }

    recovery::parse_by_item(file, text, base, &mut items, &mut diags);
    if !diags.iter().any(|d| d.is_error()) {
        if let Some(e) = whole_error {
            diags.push(syntax_error(file, text, base, e));
        }
    }
    (PolicyFile { items }, diags)
}
