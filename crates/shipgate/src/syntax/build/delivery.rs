//! Builders of delivery: the `strategy` block, `rollback` triggers and `notify` audiences.

use super::super::ast::{
    NotifyDecl, RollbackDecl, StrategyArm, StrategyDecl, Threshold, TriggerDecl,
};
use super::super::grammar::{P, Rule};
use super::Builder;
use super::expr::cmp_op;
use crate::span::Span;

impl Builder<'_> {
    pub(super) fn strategy(&mut self, decl: P<'_>, span: Span) -> Option<StrategyDecl> {
        let mut arms = Vec::new();
        for c in decl.into_inner() {
            if c.as_rule() == Rule::strategy_arm {
                arms.push(self.strategy_arm(c)?);
            }
        }
        Some(StrategyDecl { arms, span })
    }

    fn strategy_arm(&mut self, p: P<'_>) -> Option<StrategyArm> {
        let span = self.span(&p);
        let mut name = None;
        let mut when = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::arm_name => name = Some(self.ident(&c)),
                Rule::expr => when = Some(self.expr(c)?),
                _ => {}
            }
        }
        Some(StrategyArm {
            name: self.need(name, span)?,
            when,
            span,
        })
    }

    /// A `rollback` declaration: its owner and its block; a broken trigger is reported and
    /// left out.
    pub(super) fn rollback(&mut self, decl: P<'_>, span: Span) -> RollbackDecl {
        let mut owner = None;
        let mut block = false;
        let mut triggers = Vec::new();
        for c in decl.into_inner() {
            match c.as_rule() {
                Rule::string => owner = Some(self.string(&c)),
                Rule::rollback_block => {
                    block = true;
                    for t in c.into_inner() {
                        if t.as_rule() == Rule::trigger_decl {
                            if let Some(t) = self.trigger(t) {
                                triggers.push(t);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        RollbackDecl {
            owner,
            block,
            triggers,
            span,
        }
    }

    fn trigger(&mut self, p: P<'_>) -> Option<TriggerDecl> {
        let span = self.span(&p);
        let mut metric = None;
        let mut op = None;
        let mut threshold = None;
        let mut for_ = None;
        let mut when = None;
        let mut on_no_data_fire = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::metric_name => metric = Some(self.ident(&c)),
                Rule::cmp_op => op = cmp_op(c.as_str()),
                Rule::threshold => threshold = Some(self.threshold(c)?),
                Rule::duration_lit => for_ = Some(self.duration(&c)),
                Rule::expr => when = Some(self.expr(c)?),
                Rule::kw_fire => on_no_data_fire = true,
                _ => {}
            }
        }
        Some(TriggerDecl {
            metric: self.need(metric, span)?,
            op: self.need(op, span)?,
            threshold: self.need(threshold, span)?,
            for_: self.need(for_, span)?,
            when,
            on_no_data_fire,
            span,
        })
    }

    fn threshold(&mut self, p: P<'_>) -> Option<Threshold> {
        let span = self.span(&p);
        let mut negative = false;
        let mut value = None;
        let mut of_baseline = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::op_neg => negative = true,
                Rule::percent_lit | Rule::float_lit | Rule::int_lit => {
                    value = Some(self.number(&c));
                }
                Rule::kw_baseline => of_baseline = true,
                _ => {}
            }
        }
        let value = self.need(value, span)?;
        let value = if negative { -value } else { value };
        Some(if of_baseline {
            Threshold::OfBaseline(value, span)
        } else {
            Threshold::Number(value, span)
        })
    }

    /// `notify "audience", ... when EXPR`.
    pub(super) fn notify(&mut self, decl: P<'_>, span: Span) -> Option<NotifyDecl> {
        let mut audiences = Vec::new();
        let mut when = None;
        for c in decl.into_inner() {
            match c.as_rule() {
                Rule::string => audiences.push(self.string(&c)),
                Rule::expr => when = Some(self.expr(c)?),
                _ => {}
            }
        }
        Some(NotifyDecl {
            audiences,
            when,
            span,
        })
    }
}
