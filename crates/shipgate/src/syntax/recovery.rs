//! Error recovery: a file that does not parse is cut into top-level items (at lines whose
//! first word starts a declaration) and each piece is parsed on its own, so every broken item
//! is reported and every good item is still returned.

use pest::Parser as _;

use super::ast::Item;
use super::build::build_items;
use super::grammar::{GateParser, Rule};
use super::keywords::{ITEM_WORDS, is_reserved, is_word_byte};
use super::nesting::{MAX_NESTING, nesting_overflow};
use super::syntax_error::syntax_error;
use crate::error::Diagnostic;
use crate::span::{FileId, Span};

/// Parses `body` (the text of `text` after its first `base` bytes) item by item, adding the
/// items that parse to `items` and a diagnostic for each piece that does not.
pub(super) fn parse_by_item(
    file: FileId,
    text: &str,
    base: usize,
    items: &mut Vec<Item>,
    diags: &mut Vec<Diagnostic>,
) {
    let body = text.get(base..).unwrap_or("");
    let mut bounds = item_starts(body);
    bounds.push(body.len());
    let mut start = 0;
    for end in bounds {
        if end <= start {
            continue;
        }
        let Some(chunk) = body.get(start..end) else {
            break;
        };
        let offset = base + start;
        start = end;
        if let Some(pos) = nesting_overflow(chunk) {
            let at = offset + pos;
            diags.push(
                Diagnostic::error(
                    Span::new(file, at, at + 1),
                    format!("this nests too deeply (more than {MAX_NESTING} levels)"),
                )
                .with_label("too deep"),
            );
            continue;
        }
        match GateParser::parse(Rule::file, chunk) {
            Ok(pairs) => build_items(pairs, file, offset, diags, items),
            Err(e) => diags.push(syntax_error(file, text, offset, e)),
        }
    }
}

/// Byte offsets of lines whose first word starts a top-level item. Such a word can never
/// begin a line inside a block or continue an expression, with two exceptions handled here:
/// an `extend` field may be called like a keyword (`region: string`), and `tier`, `services`
/// and `changes` are also names in expressions (`tier >= high` on a continuation line).
fn item_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut line = 0;
    while line < bytes.len() {
        let mut i = line;
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        let word_start = i;
        while i < bytes.len() && is_word_byte(bytes[i]) {
            i += 1;
        }
        let word = text.get(word_start..i).unwrap_or("");
        if ITEM_WORDS.contains(&word) {
            let mut j = i;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            let next_start = j;
            while j < bytes.len() && is_word_byte(bytes[j]) {
                j += 1;
            }
            let next_word = text.get(next_start..j).unwrap_or("");
            let field_like = bytes.get(next_start) == Some(&b':');
            let starts_item = if word == "services" || word == "changes" {
                next_word == "where"
            } else if word == "tier" {
                next_word
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                    && !is_reserved(next_word)
            } else {
                !field_like
            };
            if starts_item && word_start > 0 {
                starts.push(word_start);
            }
        }
        match next_newline(bytes, i) {
            Some(nl) => line = nl + 1,
            None => break,
        }
    }
    starts
}

fn next_newline(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| p + from)
}
