//! Builders of the settings: `default`, `capacity`, `extend` blocks and their types, and
//! `tier ... when` conditions (`tiers` and `groups` are plain name lists, built in `mod.rs`).

use super::super::ast::{
    ConditionDecl, DefaultEffect, ExtendDecl, ExtendTarget, FieldDecl, TierDecl, TypeExpr,
};
use super::super::grammar::{P, Rule};
use super::Builder;
use crate::span::Span;

/// `default allow` or `default deny`.
pub(super) fn default_effect(decl: P<'_>) -> DefaultEffect {
    if decl
        .into_inner()
        .any(|c| c.as_rule() == Rule::default_effect && c.as_str() == "deny")
    {
        DefaultEffect::Deny
    } else {
        DefaultEffect::Allow
    }
}

impl Builder<'_> {
    /// `capacity N`: the number.
    pub(super) fn capacity(&mut self, decl: P<'_>, span: Span) -> Option<u64> {
        let n = decl.into_inner().find(|c| c.as_rule() == Rule::uint);
        let n = self.need(n, span)?;
        Some(self.uint(&n))
    }

    pub(super) fn extend(&mut self, p: P<'_>, span: Span) -> Option<ExtendDecl> {
        let mut target = None;
        let mut fields = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::extend_target => {
                    let t = if c.as_str() == "service" {
                        ExtendTarget::Service
                    } else {
                        ExtendTarget::Change
                    };
                    target = Some((t, self.span(&c)));
                }
                Rule::field_decl => fields.push(self.field_decl(c)?),
                _ => {}
            }
        }
        let (target, target_span) = self.need(target, span)?;
        Some(ExtendDecl {
            target,
            target_span,
            fields,
            span,
        })
    }

    /// `name: type`, in an `extend` block or a record type.
    fn field_decl(&mut self, p: P<'_>) -> Option<FieldDecl> {
        let span = self.span(&p);
        let mut name = None;
        let mut ty = None;
        for f in p.into_inner() {
            match f.as_rule() {
                Rule::field_name => name = Some(self.ident(&f)),
                Rule::type_expr => ty = Some(self.type_expr(f)?),
                _ => {}
            }
        }
        Some(FieldDecl {
            name: self.need(name, span)?,
            ty: self.need(ty, span)?,
        })
    }

    pub(super) fn type_expr(&mut self, p: P<'_>) -> Option<TypeExpr> {
        let span = self.span(&p);
        let mut base = None;
        let mut optional = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::type_name => base = Some(TypeExpr::Named(self.ident(&c))),
                Rule::list_type => {
                    let lspan = self.span(&c);
                    let inner = c.into_inner().find(|x| x.as_rule() == Rule::type_expr);
                    let inner = self.need(inner, lspan)?;
                    base = Some(TypeExpr::List(Box::new(self.type_expr(inner)?), lspan));
                }
                Rule::record_type => {
                    let rspan = self.span(&c);
                    let mut fields = Vec::new();
                    for f in c.into_inner() {
                        if f.as_rule() == Rule::field_decl {
                            fields.push(self.field_decl(f)?);
                        }
                    }
                    base = Some(TypeExpr::Record(fields, rspan));
                }
                Rule::question => optional = true,
                _ => {}
            }
        }
        let base = self.need(base, span)?;
        Some(if optional {
            TypeExpr::Optional(Box::new(base), span)
        } else {
            base
        })
    }

    /// `tier NAME when EXPR`.
    pub(super) fn tier(&mut self, decl: P<'_>, span: Span) -> Option<TierDecl> {
        let mut tier = None;
        let mut when = None;
        for c in decl.into_inner() {
            match c.as_rule() {
                Rule::tier_name => tier = Some(self.ident(&c)),
                Rule::expr => when = Some(self.expr(c)?),
                _ => {}
            }
        }
        Some(TierDecl {
            tier: self.need(tier, span)?,
            when: self.need(when, span)?,
            span,
        })
    }

    /// `condition NAME = EXPR`.
    pub(super) fn condition(&mut self, decl: P<'_>, span: Span) -> Option<ConditionDecl> {
        let mut name = None;
        let mut value = None;
        for c in decl.into_inner() {
            match c.as_rule() {
                Rule::condition_name => name = Some(self.ident(&c)),
                Rule::expr => value = Some(self.expr(c)?),
                _ => {}
            }
        }
        Some(ConditionDecl {
            name: self.need(name, span)?,
            value: self.need(value, span)?,
            span,
        })
    }
}
