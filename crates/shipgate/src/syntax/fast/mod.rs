//! The fast path of parsing: a hand-written recursive-descent parser that builds the AST
//! straight from the text, for files that parse without any diagnostic.
//!
//! It answers `Some(items)` only where pest and the builder would return the same items with
//! no diagnostic at all; anything else (a syntax error, a value the builder reports, text
//! nested more than [`MAX_FAST_NESTING`] levels, or a case it does not try to follow) is
//! `None`, and the pest
//! path then runs as before, so every error message and every recovery comes from there.
//!
//! Each function follows one grammar rule: it calls [`Parser::skip`] exactly where pest's
//! implicit whitespace runs (between the parts of a non-atomic rule, before an optional part
//! even when that part is absent) and leaves the position where pest's pair for that rule
//! ends, so the spans are pest's to the byte.
//!
//! - `lex`: the atomic tokens (literals, strings, weekdays).
//! - `items`: settings, `extend` and types, rules, waivers, strategy, rollback, notify.
//! - `calendar`: calendars and their entries, regions, scopes.
//! - `expr`: expressions, with the builder's precedence and depth limit.

mod calendar;
mod expr;
mod items;
mod lex;

use super::ast::{Ident, Item, StrLit};
use super::keywords::{STATEMENT_WORDS, is_reserved, is_word_byte};
use super::nesting::MAX_NESTING;
use crate::span::{FileId, Span};

/// How deep the fast parser goes, counted as the nesting guard counts (an upper bound of its
/// count). Half the guard's limit: real policies nest a few levels, and text nested deeper is
/// left to the guard and pest, so the fast parser never needs more stack than pest does on the
/// deepest text the guard accepts.
const MAX_FAST_NESTING: usize = MAX_NESTING / 2;

/// The items of `body` (a file's text after its first `base` bytes), if it parses without a
/// diagnostic and this parser follows it; `None` sends the file to pest.
pub(super) fn parse_items(file: FileId, body: &str, base: usize) -> Option<Vec<Item>> {
    let mut p = Parser {
        text: body,
        b: body.as_bytes(),
        pos: 0,
        file,
        base,
        depth: 0,
        guard_words: 0,
        deep: false,
        expr_end: 0,
        run_ops: 0,
    };
    let mut items = Vec::new();
    p.skip();
    while p.pos < p.b.len() {
        items.push(p.item()?);
        p.skip();
    }
    (!p.deep).then_some(items)
}

/// A cursor over one file's text.
struct Parser<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    file: FileId,
    base: usize,
    /// Brackets (and `list<`) open here.
    depth: usize,
    /// Words the nesting guard may count as a level (`any`, `all`, `count`, `list`) since the
    /// last top-level statement word, where the guard starts counting again.
    guard_words: usize,
    /// Deeper than the fast parser goes: depth plus those words exceeded
    /// [`MAX_FAST_NESTING`].
    deep: bool,
    /// Where pest's `expr` pair for the expression parsed last ends.
    expr_end: usize,
    /// Operators read so far in the run of the expression being parsed.
    run_ops: usize,
}

impl<'t> Parser<'t> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// pest's implicit whitespace: `WHITESPACE*` and comments, from `at`.
    fn skip_from(&self, at: usize) -> usize {
        let mut i = at;
        while let Some(&c) = self.b.get(i) {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' => {
                    while self.b.get(i).is_some_and(|&c| c != b'\n') {
                        i += 1;
                    }
                }
                _ => break,
            }
        }
        i
    }

    fn skip(&mut self) {
        self.pos = self.skip_from(self.pos);
    }

    /// Consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// `c` next, consumed; `None` otherwise.
    fn punct(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// Whether keyword `kw` (followed by a non-word byte) starts at `at`.
    fn kw_at(&self, at: usize, kw: &str) -> bool {
        let end = at + kw.len();
        self.b.get(at..end) == Some(kw.as_bytes())
            && !self.b.get(end).is_some_and(|&c| is_word_byte(c))
    }

    fn at_kw(&self, kw: &str) -> bool {
        self.kw_at(self.pos, kw)
    }

    /// Consumes keyword `kw` if it is next.
    fn kw(&mut self, kw: &str) -> bool {
        if !self.at_kw(kw) {
            return false;
        }
        let start = self.pos;
        self.pos += kw.len();
        self.note_word(start, self.pos);
        true
    }

    /// Keyword `kw` next, consumed, with its span's bounds; `None` otherwise.
    fn expect_kw(&mut self, kw: &str) -> Option<(usize, usize)> {
        let start = self.pos;
        self.kw(kw).then_some((start, self.pos))
    }

    /// Where the word (`(ASCII_ALPHA | "_") ~ ident_char*`) starting at `at` ends.
    fn word_end(&self, at: usize) -> Option<usize> {
        let first = *self.b.get(at)?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let mut i = at + 1;
        while self.b.get(i).is_some_and(|&c| is_word_byte(c)) {
            i += 1;
        }
        Some(i)
    }

    /// `word`, consumed: its bounds.
    fn word(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        let end = self.word_end(start)?;
        self.pos = end;
        self.note_word(start, end);
        Some((start, end))
    }

    /// `!reserved ~ word` (`name`, `var_name`, `arm_name`, `condition_name`).
    fn unreserved_word(&mut self) -> Option<(usize, usize)> {
        let end = self.word_end(self.pos)?;
        if is_reserved(self.text.get(self.pos..end)?) {
            return None;
        }
        self.word()
    }

    /// `hyphen_word`: a word, then `-` and word bytes, any number of times.
    fn hyphen_word(&mut self) -> Option<(usize, usize)> {
        let (start, mut end) = self.word()?;
        while self.b.get(end) == Some(&b'-')
            && self.b.get(end + 1).is_some_and(|&c| is_word_byte(c))
        {
            let seg = end + 1;
            end = seg + 1;
            while self.b.get(end).is_some_and(|&c| is_word_byte(c)) {
                end += 1;
            }
            // The guard reads a word from the segment's first letter (`-1any` holds `any`).
            if let Some(letter) =
                (seg..end).find(|&i| self.b.get(i).is_some_and(|c| !c.is_ascii_digit()))
            {
                self.note_word(letter, end);
            }
        }
        self.pos = end;
        Some((start, end))
    }

    /// `tier_name`: a hyphenated word whose first word is not reserved unless a `-` follows.
    fn tier_name(&mut self) -> Option<Ident> {
        let first_end = self.word_end(self.pos)?;
        if is_reserved(self.text.get(self.pos..first_end)?) && self.b.get(first_end) != Some(&b'-')
        {
            return None;
        }
        let (s, e) = self.hyphen_word()?;
        self.ident(s, e)
    }

    fn ident(&self, start: usize, end: usize) -> Option<Ident> {
        Some(Ident {
            name: self.text.get(start..end)?.to_owned(),
            span: self.span(start, end),
        })
    }

    fn word_ident(&mut self) -> Option<Ident> {
        let (s, e) = self.word()?;
        self.ident(s, e)
    }

    fn hyphen_ident(&mut self) -> Option<Ident> {
        let (s, e) = self.hyphen_word()?;
        self.ident(s, e)
    }

    fn string(&mut self) -> Option<StrLit> {
        let start = self.pos;
        let (end, value) = lex::string(self.text, start)?;
        self.pos = end;
        Some(StrLit {
            value,
            span: self.span(start, end),
        })
    }

    /// Counts a word the nesting guard reads as a level (`any`, `all`, `count`, `list`).
    fn note_word(&mut self, start: usize, end: usize) {
        if matches!(
            self.b.get(start..end),
            Some(b"any" | b"all" | b"count" | b"list")
        ) {
            self.guard_words += 1;
            if self.depth + self.guard_words > MAX_FAST_NESTING {
                self.deep = true;
            }
        }
    }

    /// Opens a bracket level; `None` deeper than [`MAX_FAST_NESTING`], before recursing.
    fn open(&mut self) -> Option<()> {
        self.depth += 1;
        (!self.deep && self.depth + self.guard_words <= MAX_FAST_NESTING).then_some(())
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// `(comma ~ x)*` after the skip before it: each `x` into `out`; the position ends after
    /// the last `x` (or stays, when there is none).
    fn comma_list<T>(
        &mut self,
        out: &mut Vec<T>,
        mut x: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<()> {
        if self.peek() != Some(b',') {
            return Some(());
        }
        loop {
            self.pos += 1;
            self.skip();
            out.push(x(self)?);
            let save = self.pos;
            self.skip();
            if self.peek() != Some(b',') {
                self.pos = save;
                return Some(());
            }
        }
    }

    /// One top-level item, chosen by its first word.
    fn item(&mut self) -> Option<Item> {
        let end = self.word_end(self.pos)?;
        let word = self.text.get(self.pos..end)?;
        if STATEMENT_WORDS.contains(&word) {
            // The nesting guard starts counting again at a top-level statement word.
            self.guard_words = 0;
        }
        match word {
            "rule" => self.rule().map(Item::Rule),
            "tier" => self.tier().map(Item::Tier),
            "condition" => self.condition().map(Item::Condition),
            "notify" => self.notify().map(Item::Notify),
            "calendar" => self.calendar().map(Item::Calendar),
            "region" => self.region().map(Item::Region),
            "services" | "changes" => self.scope().map(Item::Scope),
            "waivable" => self.waivable().map(Item::Waivable),
            "tiers" | "groups" | "kinds" => self.name_list(),
            "default" => self.default(),
            "capacity" => self.capacity(),
            "extend" => self.extend().map(Item::Extend),
            "strategy" => self.strategy().map(Item::Strategy),
            "rollback" => self.rollback().map(Item::Rollback),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
