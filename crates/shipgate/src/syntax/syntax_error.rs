//! Turns pest's error for a piece of text into a diagnostic: where it points, what was
//! expected (in the words of [`super::wording`]) and what was found.

use pest::error::{ErrorVariant, InputLocation};

use super::grammar::Rule;
use super::keywords::{is_reserved, is_word_byte};
use super::wording::describe;
use crate::error::Diagnostic;
use crate::span::{FileId, Span};

/// What stands at `pos`: the word or character a syntax error points at.
fn found_at(text: &str, pos: usize) -> (String, usize) {
    let Some(rest) = text.get(pos..) else {
        return ("end of file".to_owned(), pos);
    };
    let mut chars = rest.char_indices();
    match chars.next() {
        None => ("end of file".to_owned(), pos),
        Some((_, c)) if c.is_ascii_alphanumeric() || c == '_' => {
            let len = rest
                .bytes()
                .position(|b| !is_word_byte(b))
                .unwrap_or(rest.len());
            (format!("`{}`", rest.get(..len).unwrap_or("")), pos + len)
        }
        Some((_, '\n')) | Some((_, '\r')) => ("end of line".to_owned(), pos + 1),
        Some((_, c)) if c.is_control() => (format!("{c:?}"), pos + c.len_utf8()),
        Some((_, c)) => (format!("`{c}`"), pos + c.len_utf8()),
    }
}

/// Rules that stand for "some operator could continue the expression here".
fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::infix
            | Rule::infix_symbol
            | Rule::op_not_in
            | Rule::op_subset_of
            | Rule::has_tail
            | Rule::op_has
            | Rule::op_dot
            | Rule::call_open
    )
}

/// Rules after which a name was expected (for the "reserved word" help).
fn expects_name(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::expr
            | Rule::operand
            | Rule::unary
            | Rule::primary
            | Rule::name_or_call
            | Rule::name
            | Rule::var_name
            | Rule::arm_name
            | Rule::tier_name
    )
}

pub(super) fn syntax_error(
    file: FileId,
    text: &str,
    offset: usize,
    mut err: pest::error::Error<Rule>,
) -> Diagnostic {
    let local = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = (offset + local).min(text.len());
    let (found, end) = found_at(text, pos);
    let found_word = text.get(pos..end).unwrap_or("");
    let mut help = None;
    let message = match &mut err.variant {
        ErrorVariant::ParsingError {
            positives,
            negatives,
        } => {
            if positives.len() > 1 {
                positives.retain(|r| *r != Rule::EOI);
            }
            positives.sort_by_key(|r| (!is_operator(*r), *r));
            let mut seen = Vec::new();
            positives.retain(|r| {
                let d = describe(*r);
                let fresh = !seen.contains(&d);
                seen.push(d);
                fresh
            });
            if is_reserved(found_word) && positives.iter().any(|r| expects_name(*r)) {
                help = Some(format!(
                    "`{found_word}` is a reserved word and cannot be used as a name"
                ));
            }
            // `s.tier = 0`: a single `=` where an operator could stand is a comparison
            // (`=>` and `=<` are `>=` and `<=` written backwards).
            let rest = text.get(pos..).unwrap_or("");
            let meant = if rest.starts_with("=>") {
                Some((">=", "=>"))
            } else if rest.starts_with("=<") {
                Some(("<=", "=<"))
            } else if rest.starts_with('=') && !rest.starts_with("==") {
                Some(("==", "="))
            } else {
                None
            };
            if let Some((op, written)) = meant
                && positives
                    .iter()
                    .any(|r| is_operator(*r) || *r == Rule::cmp_op)
            {
                help = Some(format!(
                    "did you mean `{op}`? `{written}` is not an operator"
                ));
            }
            let empty = positives.is_empty() && negatives.is_empty();
            let renamed = err.renamed_rules(|r| describe(*r).to_owned());
            if empty {
                format!("unexpected {found}")
            } else {
                format!("{}, found {found}", renamed.variant.message())
            }
        }
        ErrorVariant::CustomError { message } => {
            if message.contains("limit") {
                "this nests too deeply to parse".to_owned()
            } else {
                message.clone()
            }
        }
    };
    let label = if end == pos {
        "the file ends here".to_owned()
    } else {
        format!("unexpected {found}")
    };
    let diag = Diagnostic::error(Span::new(file, pos, end), message).with_label(label);
    match help {
        Some(h) => diag.with_help(h),
        None => diag,
    }
}
