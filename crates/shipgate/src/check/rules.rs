//! Phase 5: rules: their names (unique, so `exempt rule` and waivers can name them), the
//! `waivable` declarations, and each rule's guard, effects and message.

use foldhash::{HashMap, HashMapExt};

use super::duplicate;
use super::expr::{self, ExprChecker, GroupResolver};
use super::ir::*;
use crate::calendar::CalendarSet;
use crate::decision::Text;
use crate::error::{Diagnostic, did_you_mean};
use crate::span::{SourceMap, Span};
use crate::syntax::ast::{self, Effect, Item, Waived};

/// The rules by name, in declaration order (a duplicate is reported and left out).
pub struct RuleIndex<'i> {
    by_name: HashMap<&'i str, (u16, Span)>,
    decls: Vec<&'i ast::RuleDecl>,
}

impl<'i> RuleIndex<'i> {
    pub fn new(items: &[&'i Item], diags: &mut Vec<Diagnostic>) -> RuleIndex<'i> {
        let mut by_name: HashMap<&str, (u16, Span)> = HashMap::with_capacity(items.len());
        let mut decls: Vec<&ast::RuleDecl> = Vec::new();
        for item in items {
            let Item::Rule(r) = item else { continue };
            if let Some((_, first)) = by_name.get(r.name.name.as_str()) {
                diags.push(duplicate("rule", &r.name.name, r.name.span, *first));
                continue;
            }
            let idx = u16::try_from(decls.len()).unwrap_or(u16::MAX);
            by_name.insert(r.name.name.as_str(), (idx, r.name.span));
            decls.push(r);
        }
        RuleIndex { by_name, decls }
    }

    fn get(&self, name: &str) -> Option<u16> {
        self.by_name.get(name).map(|(i, _)| *i)
    }

    /// A warning when rule `id` (at index `i`) has no `deny` or `require` effect: an exemption
    /// or a waiver lifts only those, so one naming it would lift nothing.
    fn nothing_to_lift(&self, i: u16, id: &ast::Ident, what: &str) -> Option<Diagnostic> {
        let decl = self.decls.get(usize::from(i))?;
        let lifts = decl.effects.iter().any(|e| {
            matches!(
                e,
                Effect::Deny { .. } | Effect::RequireApproval { .. } | Effect::RequireCheck { .. }
            )
        });
        (!lifts).then(|| {
            Diagnostic::warning(id.span, format!("{what} rule `{}` lifts nothing", id.name))
                .with_label("the rule has no `deny` or `require`")
                .with_secondary(decl.name.span, "defined here")
        })
    }

    fn unknown(&self, id: &ast::Ident) -> Diagnostic {
        let mut d = Diagnostic::error(id.span, format!("unknown rule `{}`", id.name))
            .with_label("no such rule");
        if let Some(h) = did_you_mean(&id.name, self.by_name.keys().copied()) {
            d = d.with_help(h);
        }
        d
    }
}

/// `waivable RULE by "group" max D`, by rule index: (group index, max seconds, where).
pub type Waivable = HashMap<u16, (u16, i64, Span)>;

/// The `waivable` declarations: of rules, by rule index, and of blackouts (whose names become
/// liftable in `calendars`), in order.
pub fn waivable(
    items: &[&Item],
    rules: &RuleIndex<'_>,
    calendars: &mut CalendarSet,
    groups: &mut dyn GroupResolver,
    sources: &SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> (Waivable, Vec<WaivableBlackout>) {
    let mut waivable: Waivable = HashMap::new();
    let mut blackouts: Vec<(WaivableBlackout, Span)> = Vec::new();
    enum Target<'a> {
        Rule(u16, &'a ast::Ident),
        Blackout(&'a ast::StrLit, u64),
    }
    for item in items {
        let Item::Waivable(w) = item else { continue };
        let target = match &w.target {
            Waived::Rule(rule) => match rules.get(rule.name.as_str()) {
                Some(ri) => {
                    diags.extend(rules.nothing_to_lift(ri, rule, "waiving"));
                    Target::Rule(ri, rule)
                }
                None => {
                    diags.push(rules.unknown(rule));
                    continue;
                }
            },
            Waived::Blackout(name) => match super::calendars::liftable(calendars, name, diags) {
                Some(bit) => Target::Blackout(name, bit),
                None => continue,
            },
        };
        let Some(g) = groups.group(&w.group.value, w.group.span) else {
            continue;
        };
        if w.max.seconds <= 0 {
            diags.push(
                Diagnostic::error(w.max.span, "a waiver's maximum must be positive")
                    .with_label("zero or negative"),
            );
        }
        match target {
            Target::Rule(ri, rule) => {
                if let Some((_, _, first)) = waivable.insert(ri, (g, w.max.seconds, w.span)) {
                    diags.push(duplicate(
                        "waivable declaration for rule",
                        &rule.name,
                        w.span,
                        first,
                    ));
                }
            }
            Target::Blackout(name, bit) => {
                if let Some((_, first)) = blackouts.iter().find(|(b, _)| b.bit == bit) {
                    diags.push(duplicate(
                        "waivable declaration for blackout",
                        &name.value,
                        w.span,
                        *first,
                    ));
                    continue;
                }
                blackouts.push((
                    WaivableBlackout {
                        name: name.value.as_str().into(),
                        bit,
                        group: g,
                        max: w.max.seconds,
                        at: sources.location_text(w.span),
                    },
                    w.span,
                ));
            }
        }
    }
    (waivable, blackouts.into_iter().map(|(b, _)| b).collect())
}

/// Every rule's guard, effects and message.
pub fn check(
    index: &RuleIndex<'_>,
    waivable: &Waivable,
    calendars: &mut CalendarSet,
    ck: &mut ExprChecker<'_, '_>,
    sources: &SourceMap,
    default_deny: bool,
) -> Vec<RuleIr> {
    let at = |span: Span| sources.location_text(span);
    let mut rules = Vec::with_capacity(index.decls.len());
    let mut exemptions: Vec<Exemption> = Vec::new();
    for (ri, r) in index.decls.iter().enumerate() {
        no_effect_warnings(r, default_deny, &mut ck.diagnostics);
        let mut guard_has = Vec::new();
        let guard = match &r.guard {
            Some(g) => {
                expr::collect_has(g, sources, &mut guard_has);
                ck.condition(g, &[])
            }
            None => None,
        };
        let mut effects = Vec::with_capacity(r.effects.len());
        for e in &r.effects {
            let (effect, span) = match e {
                Effect::Deny { when, span } => match ck.condition(when, &guard_has) {
                    Some(c) => (EffectIr::Deny(c), *span),
                    None => continue,
                },
                Effect::Allow { when, span } => match ck.condition(when, &guard_has) {
                    Some(c) => (EffectIr::Allow(c), *span),
                    None => continue,
                },
                Effect::RequireApproval {
                    group,
                    count,
                    within,
                    after,
                    span,
                } => {
                    let Some(g) = ck.groups.group(&group.value, group.span) else {
                        continue;
                    };
                    let after = match (within, after) {
                        (Some(d), None) => {
                            ck.diagnostics.push(
                                Diagnostic::error(d.span, "`within` on an approval needs `after`")
                                    .with_label("an approval is not a check with an age")
                                    .with_help(
                                        "write `within 48h after` for an obligation due after the \
                                     change's start, or drop `within`",
                                    ),
                            );
                            continue;
                        }
                        (Some(d), Some(_)) if d.seconds <= 0 => {
                            ck.diagnostics.push(
                                Diagnostic::error(d.span, "`within` must be a positive duration")
                                    .with_label("zero: the obligation would be due at the start"),
                            );
                            continue;
                        }
                        // As the policy writes it (`48h`): the trace quotes it.
                        (Some(d), Some(_)) => Some((d.seconds, sources.text(d.span).trim().into())),
                        (None, _) => None,
                    };
                    let n = match count {
                        Some((n, s)) => {
                            if *n == 0 || *n > 1000 {
                                ck.diagnostics.push(
                                    Diagnostic::error(
                                        *s,
                                        "an approval count must be between 1 and 1000",
                                    )
                                    .with_label("out of range"),
                                );
                                continue;
                            }
                            u32::try_from(*n).unwrap_or(1)
                        }
                        None => 1,
                    };
                    (
                        EffectIr::RequireApproval {
                            group: g,
                            count: n,
                            after,
                        },
                        *span,
                    )
                }
                Effect::RequireCheck {
                    name,
                    within,
                    after,
                    span,
                } => {
                    if let Some(a) = after {
                        ck.diagnostics.push(
                            Diagnostic::error(*a, "`after` applies to approvals only")
                                .with_label("a check is done before the change, not after")
                                .with_help(
                                    "`require check \"name\" within 30d` asks for a check at \
                                     most 30 days before the start",
                                ),
                        );
                        continue;
                    }
                    let within = match within {
                        Some(d) if d.seconds <= 0 => {
                            ck.diagnostics.push(
                                Diagnostic::error(d.span, "`within` must be a positive duration")
                                    .with_label("zero: no check could ever be recent enough"),
                            );
                            continue;
                        }
                        // As the policy writes it (`30d`, not `4w2d`): the decision quotes it.
                        Some(d) => Some((d.seconds, sources.text(d.span).trim().into())),
                        None => None,
                    };
                    (
                        EffectIr::RequireCheck {
                            name: name.value.as_str().into(),
                            within,
                        },
                        *span,
                    )
                }
                Effect::ExemptBlackout { names, span } if names.is_empty() => {
                    (EffectIr::ExemptBlackout(None), *span)
                }
                Effect::ExemptBlackout { names, span } => {
                    let mut bits = 0u64;
                    let mut known = true;
                    for name in names {
                        match super::calendars::liftable(calendars, name, &mut ck.diagnostics) {
                            Some(bit) => bits |= bit,
                            None => known = false,
                        }
                    }
                    if !known {
                        continue;
                    }
                    (EffectIr::ExemptBlackout(Some(bits)), *span)
                }
                Effect::ExemptWindow { span } => (EffectIr::ExemptWindow, *span),
                Effect::ExemptRule { rule, span } => match index.get(rule.name.as_str()) {
                    Some(i) => {
                        if usize::from(i) == ri {
                            ck.diagnostics.push(
                                Diagnostic::error(rule.span, "a rule cannot exempt itself")
                                    .with_label("same rule"),
                            );
                            continue;
                        }
                        let warning = index.nothing_to_lift(i, rule, "exempting");
                        ck.diagnostics.extend(warning);
                        exemptions.push(Exemption {
                            from: ri,
                            to: usize::from(i),
                            at: rule.span,
                        });
                        (EffectIr::ExemptRule(i), *span)
                    }
                    None => {
                        ck.diagnostics.push(index.unknown(rule));
                        continue;
                    }
                },
            };
            effects.push(EffectAt {
                effect,
                at: at(span),
                span,
            });
        }
        // A message is rendered once per rule, outside every quantifier of the rule.
        ck.quantified.clear();
        let conditions = r
            .guard
            .iter()
            .chain(r.effects.iter().filter_map(|e| match e {
                Effect::Deny { when, .. } | Effect::Allow { when, .. } => Some(when),
                _ => None,
            }));
        for c in conditions {
            expr::collect_quantified(c, &mut ck.quantified);
        }
        let message = r
            .message
            .as_ref()
            .and_then(|m| compile_template(m, ck, &guard_has, Template::Message));
        let has_exemptions = effects.iter().any(|e| {
            matches!(
                e.effect,
                EffectIr::ExemptBlackout(_) | EffectIr::ExemptWindow | EffectIr::ExemptRule(_)
            )
        });
        let idx = u16::try_from(ri).unwrap_or(u16::MAX);
        let fixed_message = match &message {
            None => {
                let mut text = smol_str::SmolStrBuilder::new();
                text.push_str("denied by rule ");
                text.push_str(&r.name.name);
                Some(text.finish())
            }
            Some(parts) => fixed_text(parts).map(Text::from),
        };
        rules.push(RuleIr {
            name: r.name.name.as_str().into(),
            guard,
            effects,
            message,
            fixed_message,
            at: at(r.name.span),
            waivable: waivable.get(&idx).map(|(g, m, _)| (*g, *m)),
            waivable_at: waivable
                .get(&idx)
                .map(|(_, _, span)| at(*span))
                .unwrap_or_default(),
            has_exemptions,
        });
    }
    exemption_cycles(index, &exemptions, &mut ck.diagnostics);
    rules
}

/// `exempt rule TO` written in rule `from`, at the rule name `at`.
struct Exemption {
    from: usize,
    to: usize,
    at: Span,
}

/// Rules that exempt each other, directly or through others, would lift each other's denies
/// whenever their guards hold together, so that none of them ever denies: an error, like a
/// rule exempting itself. Each cycle is reported once, at the exemption that closes it, with
/// the others shown. The walk is iterative, so a long chain of exemptions cannot exhaust the
/// stack.
fn exemption_cycles(index: &RuleIndex<'_>, edges: &[Exemption], diags: &mut Vec<Diagnostic>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let n = index.decls.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in edges.iter().enumerate() {
        if let Some(list) = out.get_mut(e.from) {
            list.push(k);
        }
    }
    let name = |i: usize| index.decls.get(i).map_or("?", |d| d.name.name.as_str());
    let mut mark = vec![Mark::New; n];
    for root in 0..n {
        if mark.get(root) != Some(&Mark::New) {
            continue;
        }
        // The path: (rule, how many of its exemptions are walked, the edge that led here).
        let mut path: Vec<(usize, usize, Option<usize>)> = vec![(root, 0, None)];
        if let Some(m) = mark.get_mut(root) {
            *m = Mark::OnPath;
        }
        while let Some(top) = path.last_mut() {
            let (node, next) = (top.0, top.1);
            let Some(&k) = out.get(node).and_then(|l| l.get(next)) else {
                if let Some(m) = mark.get_mut(node) {
                    *m = Mark::Done;
                }
                path.pop();
                continue;
            };
            top.1 += 1;
            let Some(edge) = edges.get(k) else { continue };
            match mark.get(edge.to) {
                Some(Mark::New) => {
                    if let Some(m) = mark.get_mut(edge.to) {
                        *m = Mark::OnPath;
                    }
                    path.push((edge.to, 0, Some(k)));
                }
                Some(Mark::OnPath) => {
                    // The cycle: the edges on the path after `edge.to` was entered, then `edge`.
                    let entered = path.iter().position(|p| p.0 == edge.to).unwrap_or(0);
                    let mut cycle: Vec<&Exemption> = path
                        .iter()
                        .skip(entered + 1)
                        .filter_map(|p| p.2.and_then(|k| edges.get(k)))
                        .collect();
                    cycle.push(edge);
                    diags.push(cycle_error(&cycle, &name));
                }
                _ => {}
            }
        }
    }
}

fn cycle_error<'n>(cycle: &[&Exemption], name: &dyn Fn(usize) -> &'n str) -> Diagnostic {
    let names: Vec<String> = cycle
        .iter()
        .map(|e| format!("`{}`", name(e.from)))
        .collect();
    let who = match names.as_slice() {
        [a, b] => format!("rules {a} and {b} exempt each other"),
        [init @ .., last] => format!(
            "rules {} and {last} exempt each other in a cycle",
            init.join(", ")
        ),
        [] => "rules exempt each other".to_string(),
    };
    let chain: Vec<String> = cycle
        .iter()
        .map(|e| format!("`{}` exempts `{}`", name(e.from), name(e.to)))
        .collect();
    let Some((closing, others)) = cycle.split_last() else {
        return Diagnostic::error(Span::default(), who);
    };
    let mut d = Diagnostic::error(closing.at, who).with_label(format!(
        "`{}` exempts `{}` here",
        name(closing.from),
        name(closing.to)
    ));
    for e in others {
        d = d.with_secondary(
            e.at,
            format!("`{}` exempts `{}` here", name(e.from), name(e.to)),
        );
    }
    d.with_note(format!(
        "{}: where they apply together, each lifts the next one's denies and none of them denies",
        chain.join(", ")
    ))
    .with_help("remove one of these exemptions")
}

/// Nothing the language accepts may be a silent no-op: a rule without effects, a message no
/// `deny` quotes, and an `allow when` under `default allow` are warnings.
fn no_effect_warnings(r: &ast::RuleDecl, default_deny: bool, out: &mut Vec<Diagnostic>) {
    if r.effects.is_empty() {
        out.push(
            Diagnostic::warning(r.name.span, format!("rule `{}` has no effect", r.name.name))
                .with_label("no `deny`, `allow`, `require` or `exempt`")
                .with_help("add an effect, or remove the rule"),
        );
        return;
    }
    let denies = r.effects.iter().any(|e| matches!(e, Effect::Deny { .. }));
    if let (Some(m), false) = (&r.message, denies) {
        out.push(
            Diagnostic::warning(m.span, "this message is never shown")
                .with_label("the rule has no `deny`")
                .with_help("a rule's message is the reason of its `deny`; without one, remove it"),
        );
    }
    if !default_deny {
        for e in &r.effects {
            if let Effect::Allow { span, .. } = e {
                // The keyword: the effect's span runs on to the next statement.
                let keyword = Span::new(span.file, span.start as usize, span.start as usize + 5);
                out.push(
                    Diagnostic::warning(
                        keyword,
                        "`allow when` has no effect under `default allow`",
                    )
                    .with_label("nothing waits for an allow")
                    .with_help(
                        "only `default deny` waits for some `allow when` to fire: \
                             declare `default deny`, or remove the allow",
                    ),
                );
            }
        }
    }
}

/// A template's text when it interpolates nothing.
pub(super) fn fixed_text(parts: &[MessagePart]) -> Option<String> {
    parts
        .iter()
        .map(|p| match p {
            MessagePart::Text(t) => Some(t.as_str()),
            MessagePart::Value(_) => None,
        })
        .collect()
}

/// Where a template is written: a rule's `message` interpolates any value; a `notify`
/// audience names one audience, so a list (several names) is refused there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Template {
    Message,
    Notify,
}

/// Splits `"text {change.requester} more"` into parts, checking each interpolated path.
pub(super) fn compile_template(
    m: &ast::StrLit,
    ck: &mut ExprChecker<'_, '_>,
    guard_has: &[(String, String)],
    kind: Template,
) -> Option<Vec<MessagePart>> {
    let what = match kind {
        Template::Message => "message",
        Template::Notify => "notify audience",
    };
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = m.value.char_indices().peekable();
    let mut ok = true;
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let rest = m.value.get(i + 1..).unwrap_or("");
                let Some(close) = rest.find('}') else {
                    ck.diagnostics.push(
                        Diagnostic::error(m.span, format!("unclosed `{{` in {what}"))
                            .with_label("write `{{` for a literal brace"),
                    );
                    return None;
                };
                let raw_path = rest.get(..close).unwrap_or("");
                let path = raw_path.trim();
                // Point at the path inside the literal's source text.
                let lead = raw_path.len() - raw_path.trim_start().len();
                let body = ck.sources.text(m.span).get(1..).unwrap_or("");
                let start = m.span.start as usize + 1 + source_offset(body, i + 1 + lead);
                let span = Span::new(m.span.file, start, start + path.len());
                match path_expr(path, span) {
                    Some(e) => {
                        ck.has_tests.clear();
                        ck.has_tests.extend_from_slice(guard_has);
                        match ck.expr(&e) {
                            Some((_, t))
                                if kind == Template::Notify
                                    && matches!(t.unopt(), Ty::List(_) | Ty::Record(_)) =>
                            {
                                ck.diagnostics.push(list_audience(path, &t, span));
                                ok = false;
                            }
                            Some((c, _)) => {
                                if !text.is_empty() {
                                    parts.push(MessagePart::Text(std::mem::take(&mut text)));
                                }
                                parts.push(MessagePart::Value(c));
                            }
                            None => ok = false,
                        }
                    }
                    None => {
                        ck.diagnostics.push(
                            Diagnostic::error(span, format!("`{path}` is not a path"))
                                .with_label("expected a path like change.requester"),
                        );
                        ok = false;
                    }
                }
                for _ in 0..=close {
                    chars.next();
                }
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(MessagePart::Text(text));
    }
    ok.then_some(parts)
}

/// `notify "{change.services}-oncall"`: a list would render as names joined by commas, and a
/// record as its fields, which names no audience.
fn list_audience(path: &str, ty: &Ty, span: Span) -> Diagnostic {
    let (what, label) = match ty.unopt() {
        Ty::Record(_) => ("a record", "a record, not one name"),
        _ => ("a list", "a list, not one name"),
    };
    Diagnostic::error(
        span,
        format!("a notify audience cannot interpolate {what}: `{path}`"),
    )
    .with_label(label)
    .with_help(
        "name each audience, with a condition if needed: \
             `notify \"payments-oncall\" when any s in change.services: s.id == \"payments\"`",
    )
}

/// Where the byte at `value_at` of a string's value stands in its source text `body` (after
/// the opening quote): each escape (`\"`, `\\`, `\n`, `\t`) is one byte longer in the source.
fn source_offset(body: &str, value_at: usize) -> usize {
    let mut value = 0;
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        if value >= value_at {
            return at;
        }
        if c == '\\' {
            if let Some((_, escaped)) = chars.next() {
                value += match escaped {
                    '"' | '\\' | 'n' | 't' => 1,
                    other => other.len_utf8(),
                };
            }
        } else {
            value += c.len_utf8();
        }
    }
    body.len()
}

/// `a.b.c` (spanning `span`) as an expression, each node spanning its own prefix of the path
/// (`a`, `a.b`, `a.b.c`) so that `has` guards and diagnostics see the text they name.
fn path_expr(path: &str, span: Span) -> Option<ast::Expr> {
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    let start = span.start as usize;
    let mut segs = path.split('.');
    let first = segs.next()?;
    if !ident_ok(first) {
        return None;
    }
    let mut end = start + first.len();
    let mut e = ast::Expr {
        kind: ast::ExprKind::Name(first.to_string()),
        span: Span::new(span.file, start, end),
    };
    for s in segs {
        if !ident_ok(s) {
            return None;
        }
        let seg_start = end + 1;
        end = seg_start + s.len();
        e = ast::Expr {
            kind: ast::ExprKind::Field(
                Box::new(e),
                ast::Ident {
                    name: s.to_string(),
                    span: Span::new(span.file, seg_start, end),
                },
            ),
            span: Span::new(span.file, start, end),
        };
    }
    Some(e)
}
