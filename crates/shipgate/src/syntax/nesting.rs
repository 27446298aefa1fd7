//! The nesting guard: finds text whose brackets, quantifiers and `list<...>` types nest too
//! deeply for pest's recursion, before pest sees it.

use super::keywords::{QUANTIFIER_WORDS, STATEMENT_WORDS, is_word_byte};

/// How deeply brackets, quantifiers and `list<...>` types may nest before parsing is refused.
/// The grammar recurses once per level; this keeps the stack small on any thread.
pub(super) const MAX_NESTING: usize = 64;

/// One open bracket (or `list<`) and the quantifiers opened inside it since its last
/// statement word.
struct Level {
    opener: u8,
    quants: usize,
}

/// The offset where brackets, quantifiers and `list<` types nest deeper than [`MAX_NESTING`],
/// if they do. Conservative: a quantifier counts until the next statement word or the end of
/// its bracket.
pub(super) fn nesting_overflow(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut levels = vec![Level {
        opener: 0,
        quants: 0,
    }];
    let mut quants = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let at = i;
        match b {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if bytes.get(i) == Some(&b'"') {
                    i += 1;
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => levels.push(Level {
                opener: b,
                quants: 0,
            }),
            b')' | b']' | b'}' => {
                // An unclosed `list<` (or `list < 3`) ends with its enclosing bracket.
                while levels.len() > 1 && levels.last().is_some_and(|l| l.opener == b'<') {
                    quants = quants.saturating_sub(levels.pop().map_or(0, |l| l.quants));
                }
                if levels.len() > 1 {
                    quants = quants.saturating_sub(levels.pop().map_or(0, |l| l.quants));
                }
            }
            b'>' if levels.last().is_some_and(|l| l.opener == b'<') => {
                quants = quants.saturating_sub(levels.pop().map_or(0, |l| l.quants));
            }
            b'.' => {
                // A field name is never a keyword: skip it.
                i += 1;
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                continue;
            }
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                let word = text.get(at..i).unwrap_or("");
                if QUANTIFIER_WORDS.contains(&word) {
                    quants += 1;
                    if let Some(top) = levels.last_mut() {
                        top.quants += 1;
                    }
                } else if STATEMENT_WORDS.contains(&word) {
                    while levels.len() > 1 && levels.last().is_some_and(|l| l.opener == b'<') {
                        quants = quants.saturating_sub(levels.pop().map_or(0, |l| l.quants));
                    }
                    if let Some(top) = levels.last_mut() {
                        quants = quants.saturating_sub(top.quants);
                        top.quants = 0;
                    }
                } else if word == "list" {
                    let rest = bytes.get(i..).unwrap_or(&[]);
                    let gap = rest.iter().take_while(|c| c.is_ascii_whitespace()).count();
                    if rest.get(gap) == Some(&b'<') {
                        levels.push(Level {
                            opener: b'<',
                            quants: 0,
                        });
                        i += gap + 1;
                    }
                }
            }
            _ => {}
        }
        if levels.len() - 1 + quants > MAX_NESTING {
            return Some(at);
        }
        if i == at {
            i += 1;
        }
    }
    None
}
