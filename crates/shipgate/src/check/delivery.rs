//! Phase 6: what a decision says about delivery: the `strategy` arms, the rollback
//! triggers and the `notify` audiences.

use foldhash::{HashMap, HashMapExt};

use super::duplicate;
use super::expr::{self, ExprChecker, cmp_op};
use super::ir::*;
use super::rules::{Template, compile_template, fixed_text};
use crate::decision::Text;
use crate::error::Diagnostic;
use crate::span::{SourceMap, Span};
use crate::syntax::ast::{self, Item};

/// `strategy { }`, `rollback { }`: accepted, but they do nothing.
pub(super) fn empty_block(span: Span, keyword: &str) -> Diagnostic {
    let start = span.start as usize;
    Diagnostic::warning(
        Span::new(span.file, start, start + keyword.len()),
        format!("this `{keyword}` block is empty"),
    )
    .with_label("no effect")
    .with_help("fill it in, or remove it")
}

pub fn strategy(
    items: &[&Item],
    ck: &mut ExprChecker<'_, '_>,
    sources: &SourceMap,
) -> Vec<StrategyArmIr> {
    let at = |span: Span| sources.location_text(span);
    let mut strategy = Vec::new();
    let mut strategy_span: Option<Span> = None;
    for item in items {
        let Item::Strategy(s) = item else { continue };
        if let Some(first) = strategy_span {
            ck.diagnostics
                .push(duplicate("block", "strategy", s.span, first));
            continue;
        }
        strategy_span = Some(s.span);
        if s.arms.is_empty() {
            ck.diagnostics.push(empty_block(s.span, "strategy"));
        }
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut otherwise_seen: Option<Span> = None;
        for arm in &s.arms {
            if let Some(first) = seen.insert(arm.name.name.as_str(), arm.name.span) {
                ck.diagnostics
                    .push(duplicate("strategy", &arm.name.name, arm.name.span, first));
            }
            if let Some(o) = otherwise_seen {
                ck.diagnostics.push(
                    Diagnostic::error(arm.span, "this arm can never be chosen")
                        .with_label("unreachable")
                        .with_secondary(o, "`otherwise` already matches everything"),
                );
            }
            let cond = match &arm.when {
                Some(w) => match ck.condition(w, &[]) {
                    Some(c) => Some(c),
                    None => continue,
                },
                None => {
                    otherwise_seen = Some(arm.span);
                    None
                }
            };
            strategy.push(StrategyArmIr {
                name: arm.name.name.as_str().into(),
                cond,
                at: at(arm.span),
            });
        }
    }
    strategy
}

pub fn triggers(
    items: &[&Item],
    ck: &mut ExprChecker<'_, '_>,
    sources: &SourceMap,
) -> Vec<TriggerIr> {
    let at = |span: Span| sources.location_text(span);
    let mut triggers = Vec::new();
    for item in items {
        let Item::Rollback(rb) = item else { continue };
        if rb.block && rb.triggers.is_empty() {
            ck.diagnostics.push(empty_block(rb.span, "rollback"));
        }
        for t in &rb.triggers {
            let when = match &t.when {
                Some(w) => match ck.condition(w, &[]) {
                    Some(c) => Some(c),
                    None => continue,
                },
                None => None,
            };
            if t.for_.seconds <= 0 {
                ck.diagnostics.push(
                    Diagnostic::error(t.for_.span, "a trigger's `for` must be positive")
                        .with_label("zero or negative"),
                );
                continue;
            }
            let (threshold, of_baseline) = match t.threshold {
                ast::Threshold::Number(v, _) => (v, false),
                ast::Threshold::OfBaseline(v, _) => (v, true),
            };
            triggers.push(TriggerIr {
                metric: t.metric.name.as_str().into(),
                op: cmp_op(t.op),
                threshold,
                of_baseline,
                for_secs: t.for_.seconds,
                when,
                on_no_data_fire: t.on_no_data_fire,
                at: at(t.span),
            });
        }
    }
    triggers
}

/// `rollback owner "name"`: given at most once in the policy set, and not empty.
pub fn rollback_owner(items: &[&Item], ck: &mut ExprChecker<'_, '_>) -> Option<Text> {
    let mut owner: Option<&ast::StrLit> = None;
    for item in items {
        let Item::Rollback(rb) = item else { continue };
        let Some(o) = &rb.owner else { continue };
        if let Some(first) = owner {
            ck.diagnostics.push(
                Diagnostic::error(o.span, "a policy set names one `rollback owner`")
                    .with_label("second owner")
                    .with_secondary(first.span, "first owner")
                    .with_help("one owner decides a rollback: keep one of them"),
            );
            continue;
        }
        if o.value.trim().is_empty() {
            ck.diagnostics.push(
                Diagnostic::error(o.span, "a rollback owner cannot be empty")
                    .with_label("empty")
                    .with_help("name who decides a rollback, like \"sre-oncall\""),
            );
            continue;
        }
        owner = Some(o);
    }
    owner.map(|o| Text::from(o.value.as_str()))
}

pub fn notify(items: &[&Item], ck: &mut ExprChecker<'_, '_>, sources: &SourceMap) -> Vec<NotifyIr> {
    let at = |span: Span| sources.location_text(span);
    let mut notify = Vec::new();
    for item in items {
        let Item::Notify(n) = item else { continue };
        let mut when_has = Vec::new();
        let when = match &n.when {
            Some(w) => {
                expr::collect_has(w, sources, &mut when_has);
                match ck.condition(w, &[]) {
                    Some(c) => Some(c),
                    None => continue,
                }
            }
            None => None,
        };
        // Templates are rendered outside the condition's quantifiers.
        ck.quantified.clear();
        if let Some(w) = &n.when {
            expr::collect_quantified(w, &mut ck.quantified);
        }
        let mut audiences = Vec::with_capacity(n.audiences.len());
        for a in &n.audiences {
            let Some(parts) = compile_template(a, ck, &when_has, Template::Notify) else {
                continue;
            };
            audiences.push(match fixed_text(&parts) {
                Some(t) => Audience::Fixed(Text::from(t)),
                None => Audience::Template(parts),
            });
        }
        let written: Vec<&str> = n.audiences.iter().map(|a| a.value.as_str()).collect();
        notify.push(NotifyIr {
            audiences,
            written: Text::from(written.join(", ")),
            when,
            at: at(n.span),
        });
    }
    notify
}
