//! Pest pairs to AST: the [`Builder`] and the dispatch over top-level items. Each construct's
//! builder lives in a file of its own below.
//!
//! Convention: a method that returns `None` has already reported why (a value error, an
//! expression too deep, or, should grammar and builder ever disagree, an internal error).
//! Value errors (a bad date, an out-of-range time) are reported and a placeholder is kept, so
//! the item still stands for name resolution.

mod calendar;
mod delivery;
mod expr;
mod literal;
mod rule;
mod settings;

use pest::iterators::Pairs;

use super::ast::{Ident, Item, ScopeTarget};
use super::grammar::{P, Rule};
use crate::error::Diagnostic;
use crate::span::{FileId, Span};
use settings::default_effect;

/// The expression builder's depth limit and precedence levels, which the fast parser shares.
pub(super) use expr::{ADD, AND, CMP, MAX_EXPR_DEPTH, NOT, OR};

pub(super) use literal::duration_seconds;

/// Builds the items of one parsed piece of text that starts at `offset`.
pub(super) fn build_items(
    pairs: Pairs<'_, Rule>,
    file: FileId,
    offset: usize,
    diags: &mut Vec<Diagnostic>,
    items: &mut Vec<Item>,
) {
    let mut builder = Builder {
        file,
        offset,
        diags,
    };
    for pair in pairs {
        builder.file_items(pair, items);
    }
}

/// Builds AST nodes from the pairs of one parsed piece of text that starts at `offset`.
struct Builder<'a> {
    file: FileId,
    offset: usize,
    diags: &'a mut Vec<Diagnostic>,
}

impl Builder<'_> {
    pub(super) fn span(&self, p: &P<'_>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    pub(super) fn ident(&self, p: &P<'_>) -> Ident {
        Ident {
            name: p.as_str().to_owned(),
            span: self.span(p),
        }
    }

    pub(super) fn error(
        &mut self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::error(span, message).with_label(label));
    }

    /// Grammar and builder disagree: report instead of panicking.
    pub(super) fn bug<T>(&mut self, span: Span) -> Option<T> {
        self.error(
            span,
            "internal error: the parser could not read this (please report it)",
            "here",
        );
        None
    }

    pub(super) fn need<T>(&mut self, value: Option<T>, span: Span) -> Option<T> {
        match value {
            Some(v) => Some(v),
            None => self.bug(span),
        }
    }

    fn file_items(&mut self, file: P<'_>, out: &mut Vec<Item>) {
        for p in file.into_inner() {
            if p.as_rule() == Rule::item {
                if let Some(item) = self.item(p) {
                    out.push(item);
                }
            }
        }
    }

    fn item(&mut self, p: P<'_>) -> Option<Item> {
        let outer = self.span(&p);
        let decl = p.into_inner().next();
        let decl = self.need(decl, outer)?;
        let span = self.span(&decl);
        match decl.as_rule() {
            Rule::tiers_decl => Some(Item::Tiers {
                names: self.names(decl, Rule::tier_name),
                span,
            }),
            Rule::default_decl => Some(Item::Default {
                effect: default_effect(decl),
                span,
            }),
            Rule::capacity_decl => {
                let per_region = decl
                    .clone()
                    .into_inner()
                    .any(|c| c.as_rule() == Rule::kw_per);
                let value = self.capacity(decl, span)?;
                Some(Item::Capacity {
                    value,
                    per_region,
                    span,
                })
            }
            Rule::groups_decl => Some(Item::Groups {
                names: self.names(decl, Rule::group_name),
                span,
            }),
            Rule::kinds_decl => Some(Item::Kinds {
                names: self.names(decl, Rule::kind_name),
                span,
            }),
            Rule::extend_decl => self.extend(decl, span).map(Item::Extend),
            Rule::tier_decl => self.tier(decl, span).map(Item::Tier),
            Rule::calendar_decl => self.calendar(decl, span).map(Item::Calendar),
            Rule::region_decl => self.region(decl, span).map(Item::Region),
            Rule::services_decl => self
                .scope(decl, ScopeTarget::Services, span)
                .map(Item::Scope),
            Rule::changes_decl => self
                .scope(decl, ScopeTarget::Changes, span)
                .map(Item::Scope),
            Rule::rule_decl => self.rule(decl, span).map(Item::Rule),
            Rule::waivable_decl => self.waivable(decl, span).map(Item::Waivable),
            Rule::strategy_decl => self.strategy(decl, span).map(Item::Strategy),
            Rule::rollback_decl => Some(Item::Rollback(self.rollback(decl, span))),
            Rule::notify_decl => self.notify(decl, span).map(Item::Notify),
            Rule::condition_decl => self.condition(decl, span).map(Item::Condition),
            _ => self.bug(span),
        }
    }

    /// The names `rule` matches among `p`'s children.
    fn names(&self, p: P<'_>, rule: Rule) -> Vec<Ident> {
        p.into_inner()
            .filter(|c| c.as_rule() == rule)
            .map(|c| self.ident(&c))
            .collect()
    }
}
