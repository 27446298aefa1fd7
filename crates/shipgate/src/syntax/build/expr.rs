//! Builder of expressions: precedence climbing over the grammar's flat run of operands and
//! operators, with the depth limit that keeps later recursive walks safe.
//!
//! Precedence, lowest first: `or` < `and` < `not` and quantifiers (prefix) < comparisons,
//! `in`, `not in`, `subset of`, `intersects`, `has` (non-associative) < `+ -` < unary `-` <
//! `.field`.

use super::super::ast::{BinOp, CmpOp, Expr, ExprKind, Quantifier};
use super::super::grammar::{P, Rule};
use super::Builder;
use crate::error::Diagnostic;
use crate::span::Span;

/// How deep an expression tree may grow. A run of `and` (or of `or`) is built as a balanced
/// tree, so it counts about log2 of its length; other operators count one level each.
/// Everything downstream walks expressions recursively, so their depth is bounded here.
pub(in crate::syntax) const MAX_EXPR_DEPTH: u32 = 256;

/// Precedence levels, lowest first (`not` and quantifiers sit at `NOT`); the fast parser
/// (`syntax/fast/expr.rs`) applies the same ones.
pub(in crate::syntax) const OR: u8 = 1;
pub(in crate::syntax) const AND: u8 = 2;
pub(in crate::syntax) const NOT: u8 = 3;
pub(in crate::syntax) const CMP: u8 = 4;
pub(in crate::syntax) const ADD: u8 = 5;

impl Builder<'_> {
    pub(super) fn expr(&mut self, p: P<'_>) -> Option<Expr> {
        self.expr_depth(p).map(|(e, _)| e)
    }

    fn too_deep(&mut self, span: Span) -> Option<(Expr, u32)> {
        self.error(
            span,
            format!("this expression nests too deeply (more than {MAX_EXPR_DEPTH} levels)"),
            "too deep",
        );
        None
    }

    /// Builds an `expr` pair (a flat run of prefixes, operands and operators) by precedence
    /// climbing, and returns it with its tree depth.
    fn expr_depth(&mut self, p: P<'_>) -> Option<(Expr, u32)> {
        let span = self.span(&p);
        let mut tokens = Vec::new();
        for c in p.into_inner() {
            if c.as_rule() == Rule::operand {
                tokens.extend(c.into_inner());
            } else {
                tokens.push(c);
            }
        }
        let mut pos = 0;
        let e = self.climb(&tokens, &mut pos, OR)?;
        if pos != tokens.len() {
            return self.bug(span);
        }
        Some(e)
    }

    /// Parses operators of level `min` and above, starting with an operand at `tokens[*pos]`.
    fn climb(&mut self, tokens: &[P<'_>], pos: &mut usize, min: u8) -> Option<(Expr, u32)> {
        let (mut lhs, mut depth) = self.prefixed_operand(tokens, pos, min)?;
        let mut last_comparison: Option<Span> = None;
        while let Some(tok) = tokens.get(*pos) {
            let op_span = self.span(tok);
            let (level, bin) = match tok.as_rule() {
                Rule::has_tail => (CMP, None),
                Rule::infix => match infix_op(tok) {
                    Some((level, bin)) => (level, Some(bin)),
                    None => return self.bug(op_span),
                },
                _ => return self.bug(op_span),
            };
            if level < min {
                break;
            }
            if level == CMP {
                if let Some(first) = last_comparison {
                    let d = Diagnostic::error(op_span, "comparisons cannot be chained")
                        .with_label("second comparison")
                        .with_secondary(first, "first comparison")
                        .with_help("combine them with `and`, or add parentheses");
                    self.diags.push(d);
                    return None;
                }
                last_comparison = Some(op_span);
            } else {
                last_comparison = None;
            }
            *pos += 1;
            let (expr, d) = match bin {
                None => {
                    let field = tok
                        .clone()
                        .into_inner()
                        .find(|c| c.as_rule() == Rule::field_name);
                    let field = self.need(field, op_span)?;
                    let field = self.ident(&field);
                    let span = lhs.span.to(field.span);
                    let kind = ExprKind::Has(Box::new(lhs), field);
                    (Expr { kind, span }, depth + 1)
                }
                Some(bin @ (BinOp::And | BinOp::Or)) => {
                    // A run of one of these associative operators becomes a balanced tree,
                    // so that only real nesting counts against the depth: `a and b and c
                    // ...` of any length is as shallow as its deepest term plus log2 of its
                    // length. Evaluation runs left to right either way.
                    let mut terms = vec![(lhs, depth), self.climb(tokens, pos, level + 1)?];
                    while let Some(next) = tokens.get(*pos)
                        && next.as_rule() == Rule::infix
                        && infix_op(next).map(|(_, b)| b) == Some(bin)
                    {
                        *pos += 1;
                        terms.push(self.climb(tokens, pos, level + 1)?);
                    }
                    match balanced(bin, terms) {
                        Some(e) => e,
                        None => return self.bug(op_span),
                    }
                }
                Some(bin) => {
                    let (rhs, rd) = self.climb(tokens, pos, level + 1)?;
                    let span = lhs.span.to(rhs.span);
                    let kind = ExprKind::Binary(bin, Box::new(lhs), Box::new(rhs));
                    (Expr { kind, span }, depth.max(rd) + 1)
                }
            };
            if d > MAX_EXPR_DEPTH {
                return self.too_deep(op_span);
            }
            lhs = expr;
            depth = d;
        }
        Some((lhs, depth))
    }

    /// An operand with its `not` and quantifier prefixes. A quantifier's body runs to the end
    /// of the expression; `not` takes a comparison (or another prefix).
    fn prefixed_operand(
        &mut self,
        tokens: &[P<'_>],
        pos: &mut usize,
        min: u8,
    ) -> Option<(Expr, u32)> {
        let Some(first) = tokens.get(*pos) else {
            let at = tokens.last().map(|t| self.span(t)).unwrap_or_default();
            return self.bug(at);
        };
        let first_span = self.span(first);
        match first.as_rule() {
            Rule::unary => {
                *pos += 1;
                self.unary(first.clone())
            }
            Rule::kw_not | Rule::quant_head if min > NOT => {
                self.error(
                    first_span,
                    "`not` and quantifiers cannot stand directly after a comparison, `+` or `-`",
                    "put this in parentheses",
                );
                None
            }
            Rule::kw_not => {
                let mut nots = Vec::new();
                while let Some(t) = tokens.get(*pos) {
                    if t.as_rule() != Rule::kw_not {
                        break;
                    }
                    nots.push(self.span(t));
                    *pos += 1;
                }
                let (e, depth) = self.climb(tokens, pos, NOT)?;
                self.wrap_prefixes(e, depth, nots, first_span, |e| ExprKind::Not(Box::new(e)))
            }
            Rule::quant_head => {
                *pos += 1;
                let mut q = None;
                let mut var = None;
                let mut list = None;
                for c in first.clone().into_inner() {
                    match c.as_rule() {
                        Rule::quantifier => {
                            q = match c.as_str() {
                                "any" => Some(Quantifier::Any),
                                "all" => Some(Quantifier::All),
                                _ => Some(Quantifier::Count),
                            }
                        }
                        Rule::var_name => var = Some(self.ident(&c)),
                        Rule::expr => list = Some(self.expr_depth(c)?),
                        _ => {}
                    }
                }
                let (Some(q), Some(var), Some((list, ld))) = (q, var, list) else {
                    return self.bug(first_span);
                };
                let (body, bd) = self.climb(tokens, pos, OR)?;
                let depth = ld.max(bd) + 1;
                if depth > MAX_EXPR_DEPTH {
                    return self.too_deep(first_span);
                }
                let span = first_span.to(body.span);
                let kind = ExprKind::Quant {
                    q,
                    var,
                    list: Box::new(list),
                    body: Box::new(body),
                };
                Some((Expr { kind, span }, depth))
            }
            _ => self.bug(first_span),
        }
    }

    /// Applies prefix operators (written at `prefixes`, innermost last) around `e`.
    fn wrap_prefixes(
        &mut self,
        mut e: Expr,
        mut depth: u32,
        prefixes: Vec<Span>,
        span: Span,
        kind: fn(Expr) -> ExprKind,
    ) -> Option<(Expr, u32)> {
        for at in prefixes.into_iter().rev() {
            depth += 1;
            if depth > MAX_EXPR_DEPTH {
                return self.too_deep(span);
            }
            let s = at.to(e.span);
            e = Expr {
                kind: kind(e),
                span: s,
            };
        }
        Some((e, depth))
    }

    /// `-base.field.field`: the fields bind tighter than the minus.
    fn unary(&mut self, p: P<'_>) -> Option<(Expr, u32)> {
        let span = self.span(&p);
        let mut negs = Vec::new();
        let mut base = None;
        let mut fields = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::op_neg => negs.push(self.span(&c)),
                Rule::field_name => fields.push(self.ident(&c)),
                Rule::primary => base = Some(c),
                _ => {}
            }
        }
        let base = self.need(base, span)?;
        let (mut e, mut depth) = self.primary(base)?;
        for field in fields {
            depth += 1;
            if depth > MAX_EXPR_DEPTH {
                return self.too_deep(span);
            }
            let s = e.span.to(field.span);
            e = Expr {
                kind: ExprKind::Field(Box::new(e), field),
                span: s,
            };
        }
        self.wrap_prefixes(e, depth, negs, span, |e| ExprKind::Neg(Box::new(e)))
    }

    fn primary(&mut self, p: P<'_>) -> Option<(Expr, u32)> {
        let outer = self.span(&p);
        let inner = p.into_inner().next();
        let inner = self.need(inner, outer)?;
        let span = self.span(&inner);
        match inner.as_rule() {
            Rule::paren => {
                let e = inner.into_inner().find(|c| c.as_rule() == Rule::expr);
                let e = self.need(e, span)?;
                let (mut e, depth) = self.expr_depth(e)?;
                e.span = span;
                Some((e, depth))
            }
            Rule::list_lit | Rule::name_or_call => self.list_or_call(inner, span),
            _ => self.literal(inner, span).map(|e| (e, 1)),
        }
    }

    /// `[a, b]`, `f(a, b)` and a bare name.
    fn list_or_call(&mut self, p: P<'_>, span: Span) -> Option<(Expr, u32)> {
        let is_list = p.as_rule() == Rule::list_lit;
        let mut func = None;
        let mut args = None;
        let mut depth = 0;
        let mut items = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::name => func = Some(self.ident(&c)),
                Rule::call_args => {
                    let mut list = Vec::new();
                    for a in c.into_inner() {
                        if a.as_rule() == Rule::expr {
                            let (e, d) = self.expr_depth(a)?;
                            depth = depth.max(d);
                            list.push(e);
                        }
                    }
                    args = Some(list);
                }
                Rule::expr => {
                    let (e, d) = self.expr_depth(c)?;
                    depth = depth.max(d);
                    items.push(e);
                }
                _ => {}
            }
        }
        let (kind, span) = if is_list {
            (ExprKind::List(items), span)
        } else {
            let func = self.need(func, span)?;
            match args {
                Some(args) => (ExprKind::Call { func, args }, span),
                // The name's own span: the `name_or_call` pair also holds the whitespace
                // pest skips while looking for call arguments (up to the next line).
                None => (ExprKind::Name(func.name), func.span),
            }
        };
        Some((Expr { kind, span }, depth + 1))
    }

    fn literal(&mut self, p: P<'_>, span: Span) -> Option<Expr> {
        let kind = match p.as_rule() {
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::string => ExprKind::Str(self.string(&p).value),
            Rule::int_lit => match p.as_str().parse::<i64>() {
                Ok(v) => ExprKind::Int(v),
                Err(_) => {
                    self.error(
                        span,
                        format!("this number is too large (the largest is {})", i64::MAX),
                        "too large",
                    );
                    ExprKind::Int(0)
                }
            },
            Rule::float_lit => ExprKind::Float(self.number(&p)),
            Rule::percent_lit => ExprKind::Percent(self.number(&p)),
            Rule::duration_lit => ExprKind::Duration(self.duration(&p).seconds),
            Rule::date_lit => ExprKind::Date(self.date(&p)),
            Rule::datetime_lit => {
                let (local, offset_minutes) = self.datetime(&p);
                ExprKind::DateTime {
                    local,
                    offset_minutes,
                }
            }
            _ => return self.bug(span),
        };
        Some(Expr { kind, span })
    }
}

/// `terms` (with their depths) joined by `op` as a balanced tree, in their order.
fn balanced(op: BinOp, mut terms: Vec<(Expr, u32)>) -> Option<(Expr, u32)> {
    if terms.len() <= 1 {
        return terms.pop();
    }
    let right = terms.split_off(terms.len().div_ceil(2));
    let (l, ld) = balanced(op, terms)?;
    let (r, rd) = balanced(op, right)?;
    let span = l.span.to(r.span);
    let kind = ExprKind::Binary(op, Box::new(l), Box::new(r));
    Some((Expr { kind, span }, ld.max(rd) + 1))
}

/// The level and operator of an `infix` pair.
fn infix_op(p: &P<'_>) -> Option<(u8, BinOp)> {
    let op = p.clone().into_inner().next()?;
    Some(match op.as_rule() {
        Rule::op_not_in => (CMP, BinOp::NotIn),
        Rule::op_subset_of => (CMP, BinOp::SubsetOf),
        _ => match op.as_str() {
            "or" => (OR, BinOp::Or),
            "and" => (AND, BinOp::And),
            "+" => (ADD, BinOp::Add),
            "-" => (ADD, BinOp::Sub),
            "in" => (CMP, BinOp::In),
            "intersects" => (CMP, BinOp::Intersects),
            text => (CMP, BinOp::Cmp(cmp_op(text)?)),
        },
    })
}

/// A comparison operator as written.
pub(super) fn cmp_op(text: &str) -> Option<CmpOp> {
    Some(match text {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        _ => return None,
    })
}
