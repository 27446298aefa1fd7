//! Phase 4: `tier NAME when ...` conditions (which may not read `tier` themselves).

use super::expr::ExprChecker;
use super::ir::TierRule;
use crate::error::{Diagnostic, did_you_mean};
use crate::syntax::ast::Item;

pub fn check(items: &[&Item], tiers: &[String], ck: &mut ExprChecker<'_, '_>) -> Vec<TierRule> {
    let mut tier_rules = Vec::new();
    ck.tier_available = false;
    for item in items {
        let Item::Tier(t) = item else { continue };
        let Some(ti) = tiers.iter().position(|n| *n == t.tier.name) else {
            let mut d = Diagnostic::error(t.tier.span, format!("unknown tier `{}`", t.tier.name))
                .with_label("not in `tiers`");
            match did_you_mean(&t.tier.name, tiers.iter().map(String::as_str)) {
                Some(h) => d = d.with_help(h),
                None => d = d.with_note(format!("tiers are: {}", tiers.join(", "))),
            }
            ck.diagnostics.push(d);
            continue;
        };
        if ti == 0 {
            // The lowest tier is every change's tier when no condition holds: its condition
            // could never change the tier.
            ck.diagnostics.push(
                Diagnostic::warning(
                    t.tier.span,
                    format!("`tier {} when ...` has no effect", t.tier.name),
                )
                .with_label("the lowest tier")
                .with_help(format!(
                    "a change is `{}` when no tier condition holds; remove this line",
                    t.tier.name
                )),
            );
        }
        if let Some(cond) = ck.condition(&t.when, &[]) {
            tier_rules.push(TierRule {
                tier: u8::try_from(ti).unwrap_or(u8::MAX),
                cond,
                span: t.span,
            });
        }
    }
    ck.tier_available = true;
    tier_rules
}
