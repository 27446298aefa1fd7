//! Builders of rules (guard, effects, message) and of waivers.

use super::super::ast::{Effect, Expr, RuleDecl, StrLit, WaivableDecl, Waived};
use super::super::grammar::{P, Rule};
use super::Builder;
use crate::error::Diagnostic;
use crate::span::Span;

impl Builder<'_> {
    pub(super) fn rule(&mut self, p: P<'_>, span: Span) -> Option<RuleDecl> {
        let mut name = None;
        let mut guard: Option<(Expr, Span)> = None;
        let mut message: Option<(StrLit, Span)> = None;
        let mut effects = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::rule_name => name = Some(self.ident(&c)),
                Rule::rule_stmt => {
                    let outer = self.span(&c);
                    let stmt = c.into_inner().next();
                    let stmt = self.need(stmt, outer)?;
                    let sspan = self.span(&stmt);
                    match stmt.as_rule() {
                        Rule::guard_stmt => self.guard(stmt, sspan, &mut guard)?,
                        Rule::message_stmt => self.message(stmt, sspan, &mut message)?,
                        _ => effects.push(self.effect(stmt, sspan)?),
                    }
                }
                _ => {}
            }
        }
        Some(RuleDecl {
            name: self.need(name, span)?,
            guard: guard.map(|(e, _)| e),
            effects,
            message: message.map(|(s, _)| s),
            span,
        })
    }

    /// `when EXPR` into `guard`, or an error if the rule already has one.
    fn guard(&mut self, stmt: P<'_>, span: Span, guard: &mut Option<(Expr, Span)>) -> Option<()> {
        let e = stmt.into_inner().find(|x| x.as_rule() == Rule::expr);
        let e = self.need(e, span)?;
        let e = self.expr(e)?;
        match guard {
            Some((_, first)) => {
                let d = Diagnostic::error(span, "a rule can have only one `when` guard")
                    .with_label("second guard")
                    .with_secondary(*first, "first guard")
                    .with_help("combine the conditions with `and`");
                self.diags.push(d);
            }
            None => *guard = Some((e, span)),
        }
        Some(())
    }

    /// `message "..."` into `message`, or an error if the rule already has one.
    fn message(
        &mut self,
        stmt: P<'_>,
        span: Span,
        message: &mut Option<(StrLit, Span)>,
    ) -> Option<()> {
        let s = stmt.into_inner().find(|x| x.as_rule() == Rule::string);
        let s = self.need(s, span)?;
        let s = self.string(&s);
        match message {
            Some((_, first)) => {
                let d = Diagnostic::error(span, "a rule can have only one `message`")
                    .with_label("second message")
                    .with_secondary(*first, "first message");
                self.diags.push(d);
            }
            None => *message = Some((s, span)),
        }
        Some(())
    }

    fn effect(&mut self, stmt: P<'_>, span: Span) -> Option<Effect> {
        match stmt.as_rule() {
            Rule::deny_stmt | Rule::allow_stmt => {
                let deny = stmt.as_rule() == Rule::deny_stmt;
                let e = stmt.into_inner().find(|x| x.as_rule() == Rule::expr);
                let e = self.need(e, span)?;
                let when = self.expr(e)?;
                Some(if deny {
                    Effect::Deny { when, span }
                } else {
                    Effect::Allow { when, span }
                })
            }
            Rule::require_stmt => {
                let req = stmt
                    .into_inner()
                    .find(|x| matches!(x.as_rule(), Rule::approval_req | Rule::check_req));
                let req = self.need(req, span)?;
                let is_approval = req.as_rule() == Rule::approval_req;
                let mut name = None;
                let mut count = None;
                let mut within = None;
                let mut after = None;
                for c in req.into_inner() {
                    match c.as_rule() {
                        Rule::string => name = Some(self.string(&c)),
                        Rule::uint => count = Some((self.uint(&c), self.span(&c))),
                        Rule::duration_lit => within = Some(self.duration(&c)),
                        Rule::kw_after => after = Some(self.span(&c)),
                        _ => {}
                    }
                }
                let name = self.need(name, span)?;
                Some(if is_approval {
                    Effect::RequireApproval {
                        group: name,
                        count,
                        within,
                        after,
                        span,
                    }
                } else {
                    Effect::RequireCheck {
                        name,
                        within,
                        after,
                        span,
                    }
                })
            }
            Rule::exempt_stmt => {
                let target = stmt
                    .into_inner()
                    .find(|x| x.as_rule() == Rule::exempt_target);
                let target = self.need(target, span)?;
                let mut parts = target.into_inner();
                let kw = parts.next();
                let kw = self.need(kw, span)?;
                match kw.as_rule() {
                    Rule::kw_blackout => {
                        let names = parts
                            .find(|x| x.as_rule() == Rule::blackout_names)
                            .map(|list| {
                                list.into_inner()
                                    .filter(|x| x.as_rule() == Rule::string)
                                    .map(|x| self.string(&x))
                                    .collect()
                            })
                            .unwrap_or_default();
                        Some(Effect::ExemptBlackout { names, span })
                    }
                    Rule::kw_window => Some(Effect::ExemptWindow { span }),
                    _ => {
                        let rule = parts.find(|x| x.as_rule() == Rule::rule_name);
                        let rule = self.need(rule, span)?;
                        Some(Effect::ExemptRule {
                            rule: self.ident(&rule),
                            span,
                        })
                    }
                }
            }
            _ => self.bug(span),
        }
    }

    /// `waivable RULE by "group" max DURATION`, `waivable blackout "NAME" by ...`.
    pub(super) fn waivable(&mut self, decl: P<'_>, span: Span) -> Option<WaivableDecl> {
        let mut target = None;
        let mut group = None;
        let mut max = None;
        for c in decl.into_inner() {
            match c.as_rule() {
                Rule::rule_name => target = Some(Waived::Rule(self.ident(&c))),
                Rule::waived_blackout => {
                    let name = c.into_inner().find(|x| x.as_rule() == Rule::string);
                    let name = self.need(name, span)?;
                    target = Some(Waived::Blackout(self.string(&name)));
                }
                Rule::string => group = Some(self.string(&c)),
                Rule::duration_lit => max = Some(self.duration(&c)),
                _ => {}
            }
        }
        Some(WaivableDecl {
            target: self.need(target, span)?,
            group: self.need(group, span)?,
            max: self.need(max, span)?,
            span,
        })
    }
}
