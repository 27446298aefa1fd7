//! Tier: the highest tier whose condition holds.

use super::expr::Ctx;
use super::value::EvalError;
use super::{Builder, outcome};
use crate::decision::TraceKind;

/// The change's tier (an index into the policy's tiers).
// One step of a decision: inlined into it, as it was before the split into phases.
#[inline]
pub fn decide<const EXPLAIN: bool>(ctx: &mut Ctx<'_>, b: &mut Builder<EXPLAIN>) -> u8 {
    let explain = EXPLAIN;
    let ir = ctx.ir;
    let sources = ctx.sources;
    // A condition that cannot be evaluated fails closed only when its tier is above the one
    // computed: one at or below it could not change the tier. Deciding this after the loop
    // keeps the decision independent of declaration order and of `explain` (which evaluates
    // the conditions the fast path skips).
    let mut tier = 0u8;
    let mut tier_errors: Vec<(u8, &str, EvalError, String)> = Vec::new();
    for t in &ir.tier_rules {
        let name = ir
            .tiers
            .get(usize::from(t.tier))
            .map(String::as_str)
            .unwrap_or("");
        if t.tier <= tier && !explain {
            continue; // cannot raise the tier
        }
        match ctx.cond(&t.cond) {
            Ok(h) => {
                if explain {
                    let at = sources.location(t.span);
                    b.trace(TraceKind::Tier, name, outcome(h), &at);
                    b.values(ctx, &t.cond);
                }
                if h {
                    tier = tier.max(t.tier);
                }
            }
            Err(e) => {
                let at = sources.location(t.span);
                b.trace(TraceKind::Tier, name, format!("error: {}", e.message), &at);
                b.values(ctx, &t.cond);
                tier_errors.push((t.tier, name, e, at));
            }
        }
    }
    for (_, name, e, at) in tier_errors.iter().filter(|(t, ..)| *t > tier) {
        b.fail_closed(&format!("tier {name}"), "the tier condition", e, at);
    }
    tier
}
