//! Named conditions, `condition NAME = EXPR`: their names, the order they read each other in
//! (no cycle), the size they expand to, and each body checked once where it is declared.
//!
//! A use is inlined by `ExprChecker` (`CExpr::Named` around the body's own IR), so the
//! evaluators see the body as if it were written in place. A body reads `change`, `tier`,
//! `now`, tier names and other named conditions, never a variable of the place it is used in
//! (a quantifier's, or the `s` of `services where`): its meaning does not depend on where it
//! stands.

use super::expr::ExprChecker;
use super::scopes::SERVICE_VAR;
use crate::error::Diagnostic;
use crate::span::Span;
use crate::syntax::ast::{ConditionDecl, Expr, ExprKind, Item};

/// How large a named condition may grow once every name it reads is replaced by its body
/// (expression nodes): a chain of conditions each reading the one before twice would double
/// at every step.
pub const MAX_EXPANDED_NODES: u64 = 10_000;
/// How deep a named condition may nest once expanded: the evaluators walk it recursively.
/// The same bound as a written expression's (`syntax::build::expr`).
pub const MAX_EXPANDED_DEPTH: u64 = 256;

/// Names an expression gives a meaning of its own to: a condition may not take them.
const TAKEN: &[&str] = &["change", "tier", "now", SERVICE_VAR];

/// The named conditions of a policy set, in declaration order. `usable[i]` is false when the
/// i-th has an error of its own (a duplicate, a cycle, too large), already reported: its uses
/// are then not checked again.
pub struct Conditions<'a> {
    pub decls: Vec<&'a ConditionDecl>,
    pub usable: Vec<bool>,
    /// Whether another condition's body reads it.
    read_by_condition: Vec<bool>,
}

impl Conditions<'_> {
    pub fn find(&self, name: &str) -> Option<usize> {
        self.decls.iter().position(|d| d.name.name == name)
    }
}

/// Collects the declarations and reports duplicates, taken names, cycles and oversized
/// expansions.
pub fn collect<'a>(
    items: &[&'a Item],
    tiers: &[String],
    diags: &mut Vec<Diagnostic>,
) -> Conditions<'a> {
    let mut decls: Vec<&ConditionDecl> = Vec::new();
    let mut usable = Vec::new();
    for item in items {
        let Item::Condition(c) = item else { continue };
        let name = c.name.name.as_str();
        let mut ok = true;
        if let Some(first) = decls.iter().find(|d| d.name.name == name) {
            diags.push(super::duplicate(
                "condition",
                name,
                c.name.span,
                first.name.span,
            ));
            ok = false;
        } else if TAKEN.contains(&name) || tiers.iter().any(|t| t == name) {
            let what = if tiers.iter().any(|t| t == name) {
                "a tier".to_owned()
            } else if name == SERVICE_VAR {
                "the service in `services where`".to_owned()
            } else if name == "change" {
                "the change".to_owned()
            } else if name == "tier" {
                "the change's tier".to_owned()
            } else {
                "the time of the decision".to_owned()
            };
            diags.push(
                Diagnostic::error(c.name.span, format!("a condition cannot be named `{name}`"))
                    .with_label(format!("`{name}` already names {what} in expressions"))
                    .with_help("choose another name, so that every name reads one way"),
            );
            ok = false;
        }
        decls.push(c);
        usable.push(ok);
    }
    let mut read_by_condition = vec![false; decls.len()];
    for (i, d) in decls.iter().enumerate() {
        let mut refs = Vec::new();
        references(&d.value, &decls, &mut Vec::new(), &mut refs);
        for (j, _) in refs {
            if j != i
                && let Some(r) = read_by_condition.get_mut(j)
            {
                *r = true;
            }
        }
    }
    let mut conditions = Conditions {
        decls,
        usable,
        read_by_condition,
    };
    expand_all(&mut conditions, diags);
    conditions
}

/// What a condition expands to, once known.
#[derive(Clone, Copy)]
enum Expansion {
    Unvisited,
    /// On the current path of the walk: reading it again closes a cycle.
    Visiting,
    /// Nodes and depth of the body with every name replaced; `None` when it cannot be
    /// expanded (a cycle or a limit, reported).
    Done(Option<(u64, u64)>),
}

fn expand_all(c: &mut Conditions<'_>, diags: &mut Vec<Diagnostic>) {
    let mut state = vec![Expansion::Unvisited; c.decls.len()];
    let mut path = Vec::new();
    for i in 0..c.decls.len() {
        expand(c, i, &mut state, &mut path, diags);
    }
    for (i, s) in state.iter().enumerate() {
        if let (Expansion::Done(None), Some(u)) = (s, c.usable.get_mut(i)) {
            *u = false;
        }
    }
}

/// The expansion of condition `i` (walked depth-first; conditions are few and each is
/// visited once, so this is linear in the policy).
fn expand(
    c: &Conditions<'_>,
    i: usize,
    state: &mut [Expansion],
    path: &mut Vec<(usize, Span)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(u64, u64)> {
    match state.get(i).copied() {
        Some(Expansion::Done(r)) => return r,
        Some(Expansion::Visiting) | None => return None,
        Some(Expansion::Unvisited) => {}
    }
    let decl = c.decls.get(i)?;
    if let Some(s) = state.get_mut(i) {
        *s = Expansion::Visiting;
    }
    let mut refs = Vec::new();
    references(&decl.value, &c.decls, &mut Vec::new(), &mut refs);
    let mut expanded = Vec::with_capacity(refs.len());
    let mut ok = true;
    for &(j, at) in &refs {
        if matches!(state.get(j), Some(Expansion::Visiting)) {
            diags.push(cycle(c, j, at, path, i));
            ok = false;
            continue;
        }
        path.push((i, at));
        let e = expand(c, j, state, path, diags);
        path.pop();
        match e {
            Some(e) => expanded.push((j, e)),
            None => ok = false,
        }
    }
    let result = if ok {
        let (nodes, depth) = measure(&decl.value, c, &expanded, &mut Vec::new());
        if nodes > MAX_EXPANDED_NODES || depth > MAX_EXPANDED_DEPTH {
            diags.push(
                Diagnostic::error(
                    decl.name.span,
                    format!(
                        "condition `{}` expands to {nodes} expression nodes {depth} levels \
                         deep, more than the limits of {MAX_EXPANDED_NODES} nodes and \
                         {MAX_EXPANDED_DEPTH} levels",
                        decl.name.name
                    ),
                )
                .with_label("too large once the conditions it reads are written out")
                .with_help("each name a condition reads is replaced by its body; read fewer"),
            );
            None
        } else {
            Some((nodes, depth))
        }
    } else {
        None
    };
    if let Some(s) = state.get_mut(i) {
        *s = Expansion::Done(result);
    }
    result
}

/// The error for condition `i` reading `j` at `at`, where `j` is on the walk's `path`.
fn cycle(c: &Conditions<'_>, j: usize, at: Span, path: &[(usize, Span)], i: usize) -> Diagnostic {
    let name = |k: usize| c.decls.get(k).map_or("?", |d| d.name.name.as_str());
    let start = path.iter().position(|(k, _)| *k == j).unwrap_or(path.len());
    let steps: Vec<(usize, Span)> = path
        .get(start..)
        .unwrap_or_default()
        .iter()
        .copied()
        .chain([(i, at)])
        .collect();
    let mut names: Vec<&str> = steps.iter().map(|(k, _)| name(*k)).collect();
    names.push(name(j));
    let mut d = Diagnostic::error(
        at,
        format!(
            "condition `{}` reads itself: {}",
            name(j),
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" reads ")
        ),
    )
    .with_label(format!("`{}` read here closes the cycle", name(j)))
    .with_help("a condition is written out where it is read, so it may not read itself");
    // Each step but the last (the primary label): `k` reads the next step's condition.
    for (p, (k, span)) in steps.iter().enumerate().take(steps.len().saturating_sub(1)) {
        let next = steps.get(p + 1).map_or(j, |s| s.0);
        d = d.with_secondary(*span, format!("`{}` reads `{}` here", name(*k), name(next)));
    }
    d
}

/// The named conditions `e` reads (a name no enclosing quantifier of `e` binds), in order.
fn references(
    e: &Expr,
    c: &[&ConditionDecl],
    bound: &mut Vec<String>,
    out: &mut Vec<(usize, Span)>,
) {
    match &e.kind {
        ExprKind::Name(n) => {
            if !bound.contains(n)
                && let Some(j) = c.iter().position(|d| d.name.name == *n)
            {
                out.push((j, e.span));
            }
        }
        ExprKind::Quant {
            var, list, body, ..
        } => {
            references(list, c, bound, out);
            bound.push(var.name.clone());
            references(body, c, bound, out);
            bound.pop();
        }
        ExprKind::List(items) => items.iter().for_each(|x| references(x, c, bound, out)),
        ExprKind::Field(b, _) | ExprKind::Has(b, _) | ExprKind::Not(b) | ExprKind::Neg(b) => {
            references(b, c, bound, out)
        }
        ExprKind::Binary(_, l, r) => {
            references(l, c, bound, out);
            references(r, c, bound, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|x| references(x, c, bound, out)),
        _ => {}
    }
}

/// Nodes and depth of `e` with each named condition it reads replaced by its expansion.
fn measure(
    e: &Expr,
    c: &Conditions<'_>,
    expanded: &[(usize, (u64, u64))],
    bound: &mut Vec<String>,
) -> (u64, u64) {
    let of = |xs: &[&Expr], bound: &mut Vec<String>| {
        xs.iter().fold((1u64, 1u64), |(n, d), x| {
            let (xn, xd) = measure(x, c, expanded, bound);
            (n.saturating_add(xn), d.max(xd.saturating_add(1)))
        })
    };
    match &e.kind {
        ExprKind::Name(n) if !bound.contains(n) => c
            .find(n)
            .and_then(|j| expanded.iter().find(|(k, _)| *k == j))
            .map_or((1, 1), |(_, (n, d))| (*n, d.saturating_add(1))),
        ExprKind::Quant {
            var, list, body, ..
        } => {
            let l = of(&[list], bound);
            bound.push(var.name.clone());
            let b = of(&[body], bound);
            bound.pop();
            (l.0.saturating_add(b.0), l.1.max(b.1))
        }
        ExprKind::List(items) => of(&items.iter().collect::<Vec<_>>(), bound),
        ExprKind::Field(b, _) | ExprKind::Has(b, _) | ExprKind::Not(b) | ExprKind::Neg(b) => {
            of(&[b], bound)
        }
        ExprKind::Binary(_, l, r) => of(&[l, r], bound),
        ExprKind::Call { args, .. } => of(&args.iter().collect::<Vec<_>>(), bound),
        _ => (1, 1),
    }
}

/// Checks each usable condition's body once, where it is declared: a bool, with `tier`
/// readable and no variable in scope. Errors here are reported once, at the declaration;
/// the condition is then not checked again where it is used.
pub fn check_bodies(conditions: &Conditions<'_>, ck: &mut ExprChecker<'_, '_>) {
    for i in 0..conditions.decls.len() {
        ck.named_checked(i);
    }
}

/// A warning for each condition no expression reads (a name left over, or misspelt where it
/// was meant to be read), unless it has an error already.
pub fn unused(conditions: &Conditions<'_>, used: &[bool], diags: &mut Vec<Diagnostic>) {
    for (i, (decl, used)) in conditions.decls.iter().zip(used).enumerate() {
        let read = *used || conditions.read_by_condition.get(i) == Some(&true);
        if !read && conditions.usable.get(i) == Some(&true) {
            diags.push(
                Diagnostic::warning(
                    decl.name.span,
                    format!("condition `{}` is never read", decl.name.name),
                )
                .with_label("declared here")
                .with_help("read it in a rule, tier or other condition, or remove it"),
            );
        }
    }
}
