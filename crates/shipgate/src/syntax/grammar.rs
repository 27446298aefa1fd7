//! The pest parser generated from `grammar.pest`: [`GateParser`] and its [`Rule`] enum.

use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "syntax/grammar.pest"]
pub(super) struct GateParser;

/// One node of pest's parse tree.
pub(super) type P<'i> = Pair<'i, Rule>;

/// Whether the grammar alone accepts `text` (for timing the builder apart from pest).
#[cfg(test)]
pub(super) fn grammar_accepts(text: &str) -> bool {
    use pest::Parser as _;
    GateParser::parse(Rule::file, text).is_ok()
}
