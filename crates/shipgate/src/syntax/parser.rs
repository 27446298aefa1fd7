//! Entry point of the syntax layer: the fast parser (see [`super::fast`]) for a file that
//! parses cleanly; otherwise pest in one pass, or item by item (see [`super::recovery`]) when
//! the file has errors, with pest's pairs handed to the builder.

use pest::Parser as _;

use super::ast::PolicyFile;
use super::build::build_items;
use super::fast;
use super::grammar::{GateParser, Rule};
use super::nesting::nesting_overflow;
use super::recovery;
use super::syntax_error::syntax_error;
use crate::error::Diagnostic;
use crate::span::FileId;

/// Where the text starts after a byte-order mark, if it has one.
fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

/// Parses one file; see [`super::parse`].
pub(super) fn parse(file: FileId, text: &str) -> (PolicyFile, Vec<Diagnostic>) {
    let base = bom_len(text);
    let body = text.get(base..).unwrap_or("");
    // The fast path answers only where pest and the builder would give these items and no
    // diagnostic; everything else goes the pest way.
    if let Some(items) = fast::parse_items(file, body, base) {
        #[cfg(test)]
        assert_eq!(
            (
                PolicyFile {
                    items: items.clone()
                },
                Vec::new()
            ),
            parse_with_pest(file, text),
            "the fast parser and pest disagree on:\n{text}"
        );
        return (PolicyFile { items }, Vec::new());
    }
    parse_with_pest(file, text)
}

/// Parses one file with pest and the builder (and recovery, on errors); every diagnostic of
/// the syntax layer comes from here.
pub(super) fn parse_with_pest(file: FileId, text: &str) -> (PolicyFile, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut items = Vec::new();
    let base = bom_len(text);
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

/// How the fast parser and pest differ on `text`, if they do: `None` when the fast parser
/// declines it or gives exactly pest's items with no diagnostic.
#[cfg(any(test, feature = "testing"))]
pub(super) fn fast_parse_difference(text: &str) -> Option<String> {
    let file = FileId(0);
    let base = bom_len(text);
    let fast = fast::parse_items(file, text.get(base..).unwrap_or(""), base)?;
    let (pest, diags) = parse_with_pest(file, text);
    if !diags.is_empty() {
        return Some(format!(
            "the fast parser accepted a text pest reports: {}",
            diags
                .iter()
                .map(|d| d.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    (pest.items != fast).then(|| format!("items differ:\nfast: {fast:?}\npest: {:?}", pest.items))
}
