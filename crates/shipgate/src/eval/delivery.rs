//! Delivery: how the change ships once allowed: the first `strategy` arm that holds, the
//! rollback triggers that apply, the audiences to notify, and the order of its services.

use super::expr::Ctx;
use super::prepare::Prepared;
use super::rules::render_message;
use super::{Builder, outcome};
use crate::check::ir::{Audience, TriggerIr};
use crate::decision::*;
use crate::graph::Catalog;
use crate::time::format_duration;

/// The strategy, rollback triggers and audiences (none in a lean decision, `FULL` false).
pub struct Delivery {
    pub strategy: Option<Text>,
    pub rollback: Vec<RollbackTrigger>,
    pub notify: Vec<Text>,
}

// One step of a decision: inlined into it, as it was before the split into phases. A lean
// decision runs every condition all the same: one that cannot be evaluated may add a reason,
// and each spends the evaluation budget, whose end denies.
#[inline]
pub fn decide<const EXPLAIN: bool, const FULL: bool>(
    ctx: &mut Ctx<'_>,
    b: &mut Builder<EXPLAIN>,
) -> Delivery {
    let explain = EXPLAIN;
    let ir = ctx.ir;
    let mut strategy = None;
    for arm in &ir.strategy {
        let holds = match &arm.cond {
            None => Ok(true),
            Some(c) => ctx.cond(c),
        };
        match holds {
            Ok(h) => {
                b.trace(TraceKind::Strategy, &arm.name, outcome(h), &arm.at);
                if h {
                    if FULL {
                        strategy = Some(arm.name.clone());
                    }
                    break;
                }
            }
            Err(e) => {
                b.trace(
                    TraceKind::Strategy,
                    &arm.name,
                    format!("error: {}", e.message),
                    &arm.at,
                );
                b.fail_closed(
                    &format!("strategy {}", arm.name),
                    "the strategy arm",
                    &e,
                    &arm.at,
                );
                break;
            }
        }
    }
    let mut rollback = Vec::new();
    for (index, t) in ir.triggers.iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let applies = match &t.when {
            None => Ok(true),
            Some(c) => ctx.cond(c),
        };
        match applies {
            Ok(true) if FULL => rollback.push(trigger_out(t, index)),
            Ok(_) => {}
            // A trigger whose condition cannot be evaluated is kept: safer to watch too much.
            Err(_) if FULL => rollback.push(trigger_out(t, index)),
            Err(_) => {}
        }
        if explain {
            let o = match &applies {
                Ok(h) => outcome(*h).to_string(),
                Err(e) => format!("error: {} (kept)", e.message),
            };
            b.trace(TraceKind::Trigger, &t.metric, o, &t.at);
        }
    }
    let mut notify: Vec<Text> = Vec::new();
    for n in &ir.notify {
        let applies = match &n.when {
            None => Ok(true),
            Some(c) => ctx.cond(c),
        };
        let applies = match applies {
            Ok(h) => h,
            Err(e) => {
                b.trace(
                    TraceKind::Notify,
                    n.written.as_str(),
                    format!("error: {} (notified)", e.message),
                    &n.at,
                );
                true // tell too many rather than too few
            }
        };
        if applies {
            for a in &n.audiences {
                match a {
                    // Cloned only when new, as before templates existed.
                    Audience::Fixed(t) => {
                        if FULL && !notify.contains(t) {
                            notify.push(t.clone());
                        }
                    }
                    // Rendered in a lean decision too: its values spend the budget.
                    Audience::Template(parts) => {
                        let t = Text::from(render_message(parts, ctx));
                        if FULL && !notify.contains(&t) {
                            notify.push(t);
                        }
                    }
                }
            }
        }
        if explain {
            b.trace(
                TraceKind::Notify,
                n.written.as_str(),
                outcome(applies),
                &n.at,
            );
        }
    }
    Delivery {
        strategy,
        rollback,
        notify,
    }
}

/// The touched services in waves: each wave's services depend only on earlier waves'.
// One step of a decision: inlined into it, as it was before the split into phases.
#[inline]
pub fn order(catalog: &Catalog, prep: &Prepared<'_>) -> SmallVec<[SmallVec<[Text; 4]>; 1]> {
    let id = |i: u32| catalog.id_text(i).cloned();
    match prep.services.as_slice() {
        [] => SmallVec::new(),
        // One service is one wave: no graph to walk.
        [one] => id(*one)
            .map(|s| smallvec::smallvec![smallvec::smallvec![s]])
            .unwrap_or_default(),
        touched => catalog
            .waves(touched)
            .into_iter()
            .map(|w| w.into_iter().filter_map(id).collect())
            .collect(),
    }
}

fn trigger_out(t: &TriggerIr, index: u32) -> RollbackTrigger {
    RollbackTrigger {
        metric: t.metric.clone(),
        op: match t.op {
            crate::check::ir::CmpOp::Eq => Comparison::Eq,
            crate::check::ir::CmpOp::Ne => Comparison::Ne,
            crate::check::ir::CmpOp::Lt => Comparison::Lt,
            crate::check::ir::CmpOp::Le => Comparison::Le,
            crate::check::ir::CmpOp::Gt => Comparison::Gt,
            crate::check::ir::CmpOp::Ge => Comparison::Ge,
        },
        threshold: t.threshold,
        relative_to: t.of_baseline.then_some(RelativeTo::Baseline),
        for_: Text::from(format_duration(t.for_secs)),
        on_no_data: t.on_no_data_fire.then_some(OnNoData::Fire),
        index,
    }
}
