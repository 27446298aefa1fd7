//! Items other than calendars: settings, `extend` blocks and field types, `tier` and
//! `condition`, rules, waivers, strategy, rollback and notify.

use super::super::ast::{
    CmpOp, ConditionDecl, DefaultEffect, DurationLit, Effect, ExtendDecl, ExtendTarget, FieldDecl,
    Item, NotifyDecl, RollbackDecl, RuleDecl, StrategyArm, StrategyDecl, Threshold, TierDecl,
    TriggerDecl, TypeExpr, WaivableDecl, Waived,
};
use super::super::build::duration_seconds;
use super::Parser;
use super::lex;

impl Parser<'_> {
    /// `tiers`, `groups` or `kinds`: a keyword and a list of (hyphenated) names.
    pub(super) fn name_list(&mut self) -> Option<Item> {
        let start = self.pos;
        let (_, kw_end) = self.word()?;
        let tiers = self.b.get(start..kw_end) == Some(b"tiers");
        self.skip();
        let mut names = Vec::new();
        let name = |p: &mut Self| {
            if tiers {
                p.tier_name()
            } else {
                p.hyphen_ident()
            }
        };
        names.push(name(self)?);
        self.skip();
        self.comma_list(&mut names, name)?;
        let span = self.span(start, self.pos);
        Some(match self.b.get(start..kw_end) {
            Some(b"tiers") => Item::Tiers { names, span },
            Some(b"groups") => Item::Groups { names, span },
            _ => Item::Kinds { names, span },
        })
    }

    pub(super) fn default(&mut self) -> Option<Item> {
        let (start, _) = self.expect_kw("default")?;
        self.skip();
        let effect = if self.kw("allow") {
            DefaultEffect::Allow
        } else if self.kw("deny") {
            DefaultEffect::Deny
        } else {
            return None;
        };
        Some(Item::Default {
            effect,
            span: self.span(start, self.pos),
        })
    }

    pub(super) fn capacity(&mut self) -> Option<Item> {
        let (start, _) = self.expect_kw("capacity")?;
        self.skip();
        let value = self.uint()?.0;
        self.skip();
        let mut per_region = false;
        if self.kw("per") {
            self.skip();
            self.expect_kw("region")?;
            per_region = true;
        }
        Some(Item::Capacity {
            value,
            per_region,
            span: self.span(start, self.pos),
        })
    }

    /// `uint`: its value and its bounds; `None` when it is too large (the builder's error).
    pub(super) fn uint(&mut self) -> Option<(u64, usize, usize)> {
        let start = self.pos;
        let end = lex::int(self.b, start)?;
        let value = self.text.get(start..end)?.parse().ok()?;
        self.pos = end;
        Some((value, start, end))
    }

    pub(super) fn duration(&mut self) -> Option<DurationLit> {
        let start = self.pos;
        let end = lex::duration(self.b, start)?;
        let seconds = duration_seconds(self.text.get(start..end)?)?;
        self.pos = end;
        Some(DurationLit {
            seconds,
            span: self.span(start, end),
        })
    }

    pub(super) fn extend(&mut self) -> Option<ExtendDecl> {
        let (start, _) = self.expect_kw("extend")?;
        self.skip();
        let t_start = self.pos;
        let target = if self.kw("change") {
            ExtendTarget::Change
        } else if self.kw("service") {
            ExtendTarget::Service
        } else {
            return None;
        };
        let target_span = self.span(t_start, self.pos);
        self.skip();
        let fields = self.fields()?;
        Some(ExtendDecl {
            target,
            target_span,
            fields,
            span: self.span(start, self.pos),
        })
    }

    /// `{ field: type, ... }` (commas optional, one may trail), of an `extend` or a record.
    fn fields(&mut self) -> Option<Vec<FieldDecl>> {
        self.punct(b'{')?;
        self.open()?;
        self.skip();
        let mut fields = Vec::new();
        while self.peek() != Some(b'}') {
            fields.push(self.field_decl()?);
            self.skip();
            if self.eat(b',') {
                self.skip();
            }
        }
        self.pos += 1;
        self.close();
        Some(fields)
    }

    fn field_decl(&mut self) -> Option<FieldDecl> {
        let name = self.word_ident()?;
        self.skip();
        self.punct(b':')?;
        self.skip();
        let ty = self.type_expr()?;
        Some(FieldDecl { name, ty })
    }

    fn type_expr(&mut self) -> Option<TypeExpr> {
        let start = self.pos;
        let list_open = self.at_kw("list") && {
            let after = self.skip_from(start + 4);
            self.b.get(after) == Some(&b'<')
        };
        let base = if list_open {
            self.kw("list");
            self.skip();
            self.pos += 1;
            self.open()?;
            self.skip();
            let inner = self.type_expr()?;
            self.skip();
            self.punct(b'>')?;
            self.close();
            TypeExpr::List(Box::new(inner), self.span(start, self.pos))
        } else if self.peek() == Some(b'{') {
            let fields = self.fields()?;
            TypeExpr::Record(fields, self.span(start, self.pos))
        } else {
            TypeExpr::Named(self.word_ident()?)
        };
        let save = self.pos;
        self.skip();
        if self.eat(b'?') {
            return Some(TypeExpr::Optional(
                Box::new(base),
                self.span(start, self.pos),
            ));
        }
        self.pos = save;
        Some(base)
    }

    pub(super) fn tier(&mut self) -> Option<TierDecl> {
        let (start, _) = self.expect_kw("tier")?;
        self.skip();
        let tier = self.tier_name()?;
        self.skip();
        self.expect_kw("when")?;
        self.skip();
        let when = self.expr()?;
        Some(TierDecl {
            tier,
            when,
            span: self.span(start, self.pos),
        })
    }

    pub(super) fn condition(&mut self) -> Option<ConditionDecl> {
        let (start, _) = self.expect_kw("condition")?;
        self.skip();
        let (s, e) = self.unreserved_word()?;
        let name = self.ident(s, e)?;
        self.skip();
        self.punct(b'=')?;
        self.skip();
        let value = self.expr()?;
        Some(ConditionDecl {
            name,
            value,
            span: self.span(start, self.pos),
        })
    }

    pub(super) fn rule(&mut self) -> Option<RuleDecl> {
        let (start, _) = self.expect_kw("rule")?;
        self.skip();
        let name = self.word_ident()?;
        self.skip();
        self.punct(b'{')?;
        self.open()?;
        self.skip();
        let mut guard = None;
        let mut message = None;
        let mut effects = Vec::new();
        while !self.eat(b'}') {
            let s = self.pos;
            if self.kw("when") {
                self.skip();
                let e = self.expr()?;
                // A second guard is the builder's error.
                if guard.replace(e).is_some() {
                    return None;
                }
            } else if self.kw("message") {
                self.skip();
                let m = self.string()?;
                if message.replace(m).is_some() {
                    return None;
                }
            } else {
                effects.push(self.effect(s)?);
            }
            self.skip();
        }
        self.close();
        Some(RuleDecl {
            name,
            guard,
            effects,
            message,
            span: self.span(start, self.pos),
        })
    }

    /// A statement of a rule other than its guard and message, starting at `s`.
    fn effect(&mut self, s: usize) -> Option<Effect> {
        if self.kw("deny") || self.kw("allow") {
            let deny = self.b.get(s) == Some(&b'd');
            self.skip();
            self.expect_kw("when")?;
            self.skip();
            let when = self.expr()?;
            let span = self.span(s, self.pos);
            return Some(if deny {
                Effect::Deny { when, span }
            } else {
                Effect::Allow { when, span }
            });
        }
        if self.kw("require") {
            self.skip();
            return self.requirement(s);
        }
        self.expect_kw("exempt")?;
        self.skip();
        if self.kw("blackout") {
            let mut names = Vec::new();
            self.skip();
            if self.peek() == Some(b'"') {
                names.push(self.string()?);
                self.skip();
                self.comma_list(&mut names, Self::string)?;
            }
            return Some(Effect::ExemptBlackout {
                names,
                span: self.span(s, self.pos),
            });
        }
        if self.kw("window") {
            return Some(Effect::ExemptWindow {
                span: self.span(s, self.pos),
            });
        }
        self.expect_kw("rule")?;
        self.skip();
        let rule = self.word_ident()?;
        Some(Effect::ExemptRule {
            rule,
            span: self.span(s, self.pos),
        })
    }

    /// `approval "g" [count N] [within D [after]]` or `check "c" [within D [after]]`.
    fn requirement(&mut self, s: usize) -> Option<Effect> {
        let approval = if self.kw("approval") {
            true
        } else if self.kw("check") {
            false
        } else {
            return None;
        };
        self.skip();
        let name = self.string()?;
        self.skip();
        let mut count = None;
        if approval && self.kw("count") {
            self.skip();
            let (n, a, b) = self.uint()?;
            count = Some((n, self.span(a, b)));
        }
        self.skip();
        let mut within = None;
        let mut after = None;
        if self.kw("within") {
            self.skip();
            within = Some(self.duration()?);
            self.skip();
            let a = self.pos;
            if self.kw("after") {
                after = Some(self.span(a, self.pos));
            }
        }
        let span = self.span(s, self.pos);
        Some(if approval {
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

    pub(super) fn waivable(&mut self) -> Option<WaivableDecl> {
        let (start, _) = self.expect_kw("waivable")?;
        self.skip();
        let target_start = self.pos;
        let mut target = None;
        if self.kw("blackout") {
            self.skip();
            if self.peek() == Some(b'"') {
                target = Some(Waived::Blackout(self.string()?));
            } else {
                // pest's `waived_blackout` fails here; `blackout` is then the rule's name.
                self.pos = target_start;
            }
        }
        let target = match target {
            Some(t) => t,
            None => Waived::Rule(self.word_ident()?),
        };
        self.skip();
        self.expect_kw("by")?;
        self.skip();
        let group = self.string()?;
        self.skip();
        self.expect_kw("max")?;
        self.skip();
        let max = self.duration()?;
        Some(WaivableDecl {
            target,
            group,
            max,
            span: self.span(start, self.pos),
        })
    }

    pub(super) fn strategy(&mut self) -> Option<StrategyDecl> {
        let (start, _) = self.expect_kw("strategy")?;
        self.skip();
        self.punct(b'{')?;
        self.open()?;
        self.skip();
        let mut arms = Vec::new();
        while !self.eat(b'}') {
            let s = self.pos;
            let (a, b) = self.unreserved_word()?;
            let name = self.ident(a, b)?;
            self.skip();
            let when = if self.kw("when") {
                self.skip();
                Some(self.expr()?)
            } else if self.kw("otherwise") {
                None
            } else {
                return None;
            };
            arms.push(StrategyArm {
                name,
                when,
                span: self.span(s, self.pos),
            });
            self.skip();
        }
        self.close();
        Some(StrategyDecl {
            arms,
            span: self.span(start, self.pos),
        })
    }

    pub(super) fn rollback(&mut self) -> Option<RollbackDecl> {
        let (start, _) = self.expect_kw("rollback")?;
        self.skip();
        let mut owner = None;
        let block = if self.kw("owner") {
            self.skip();
            owner = Some(self.string()?);
            self.skip();
            self.peek() == Some(b'{')
        } else {
            true
        };
        let mut triggers = Vec::new();
        if block {
            self.punct(b'{')?;
            self.open()?;
            self.skip();
            while !self.eat(b'}') {
                triggers.push(self.trigger()?);
                self.skip();
            }
            self.close();
        }
        Some(RollbackDecl {
            owner,
            block,
            triggers,
            span: self.span(start, self.pos),
        })
    }

    fn trigger(&mut self) -> Option<TriggerDecl> {
        let (start, _) = self.expect_kw("trigger")?;
        self.skip();
        let metric = self.word_ident()?;
        self.skip();
        let op = self.cmp_op()?;
        self.skip();
        let threshold = self.threshold()?;
        self.skip();
        self.expect_kw("for")?;
        self.skip();
        let for_ = self.duration()?;
        self.skip();
        let mut when = None;
        if self.kw("when") {
            self.skip();
            when = Some(self.expr()?);
        }
        self.skip();
        let mut on_no_data_fire = false;
        if self.kw("on") {
            self.skip();
            self.expect_kw("no_data")?;
            self.skip();
            self.expect_kw("fire")?;
            on_no_data_fire = true;
        }
        Some(TriggerDecl {
            metric,
            op,
            threshold,
            for_,
            when,
            on_no_data_fire,
            span: self.span(start, self.pos),
        })
    }

    /// `cmp_op`, consumed.
    fn cmp_op(&mut self) -> Option<CmpOp> {
        let two = self.b.get(self.pos + 1) == Some(&b'=');
        let (op, len) = match (self.peek()?, two) {
            (b'=', true) => (CmpOp::Eq, 2),
            (b'!', true) => (CmpOp::Ne, 2),
            (b'<', true) => (CmpOp::Le, 2),
            (b'>', true) => (CmpOp::Ge, 2),
            (b'<', false) => (CmpOp::Lt, 1),
            (b'>', false) => (CmpOp::Gt, 1),
            _ => return None,
        };
        self.pos += len;
        Some(op)
    }

    fn threshold(&mut self) -> Option<Threshold> {
        let start = self.pos;
        let negative = self.eat(b'-');
        if negative {
            self.skip();
        }
        let n = self.pos;
        let (end, percent) = if let Some(e) = lex::percent(self.b, n) {
            (e, true)
        } else {
            (
                lex::float(self.b, n).or_else(|| lex::int(self.b, n))?,
                false,
            )
        };
        let value = number(self.text.get(n..end)?, percent)?;
        let value = if negative { -value } else { value };
        self.pos = end;
        self.skip();
        let mut of_baseline = false;
        if self.kw("of") {
            self.skip();
            self.expect_kw("baseline")?;
            of_baseline = true;
        }
        let span = self.span(start, self.pos);
        Some(if of_baseline {
            Threshold::OfBaseline(value, span)
        } else {
            Threshold::Number(value, span)
        })
    }

    pub(super) fn notify(&mut self) -> Option<NotifyDecl> {
        let (start, _) = self.expect_kw("notify")?;
        self.skip();
        let mut audiences = vec![self.string()?];
        self.skip();
        self.comma_list(&mut audiences, Self::string)?;
        self.skip();
        let mut when = None;
        if self.kw("when") {
            self.skip();
            when = Some(self.expr()?);
        }
        Some(NotifyDecl {
            audiences,
            when,
            span: self.span(start, self.pos),
        })
    }
}

/// A number, percent (`2%` is 0.02) or float literal's value, as the builder reads it; `None`
/// where the builder reports it too large.
pub(super) fn number(text: &str, percent: bool) -> Option<f64> {
    let parsed = if percent {
        format!("{}e-2", text.trim_end_matches('%')).parse::<f64>()
    } else {
        text.parse::<f64>()
    };
    parsed.ok().filter(|v| v.is_finite())
}
