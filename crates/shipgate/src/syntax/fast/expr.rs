//! Expressions: the grammar's flat run of operands and operators, read with the builder's
//! precedence climbing (`build/expr.rs`) as it goes, with the same depth limit and the same
//! refusals (chained comparisons, `not` after a comparison), which send the file to pest.

use smallvec::{SmallVec, smallvec};

use super::super::ast::{BinOp, CmpOp, Expr, ExprKind, Ident, Quantifier};
// `build/expr.rs`'s depth limit and precedence levels: the two parsers must agree.
use super::super::build::{ADD, AND, CMP, MAX_EXPR_DEPTH, NOT, OR};
use super::Parser;
use super::items::number;
use super::lex;

/// An operator of the run: an infix operator or `has`.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    Bin(BinOp),
    Has,
}

/// An expression with the depth the builder counts for it.
type Built = (Expr, u32);

impl Parser<'_> {
    /// `expr`; the position is left where pest's `expr` pair ends.
    pub(super) fn expr(&mut self) -> Option<Expr> {
        self.run_ops = 0;
        let (e, _) = self.climb(OR)?;
        // pest's `expr` is `operand ~ (...)*`: with no operator it ends after the whitespace
        // that follows its operand; otherwise where its last operator's operand ends.
        self.pos = if self.run_ops == 0 {
            self.skip_from(self.expr_end)
        } else {
            self.expr_end
        };
        Some(e)
    }

    /// An expression inside an expression (in brackets, or a quantifier's list): its operators
    /// are not the outer run's.
    fn inner_expr(&mut self) -> Option<Built> {
        let outer = self.run_ops;
        let built = self.climb(OR);
        self.run_ops = outer;
        built
    }

    /// The operator (and its level and end) at the position, without consuming it.
    fn peek_op(&self) -> Option<(Op, u8, usize)> {
        let p = self.pos;
        let next = self.b.get(p + 1).copied();
        let cmp = |op, len| Some((Op::Bin(BinOp::Cmp(op)), CMP, p + len));
        match self.peek()? {
            b'=' if next == Some(b'=') => cmp(CmpOp::Eq, 2),
            b'!' if next == Some(b'=') => cmp(CmpOp::Ne, 2),
            b'<' if next == Some(b'=') => cmp(CmpOp::Le, 2),
            b'>' if next == Some(b'=') => cmp(CmpOp::Ge, 2),
            b'<' => cmp(CmpOp::Lt, 1),
            b'>' => cmp(CmpOp::Gt, 1),
            b'+' => Some((Op::Bin(BinOp::Add), ADD, p + 1)),
            b'-' => Some((Op::Bin(BinOp::Sub), ADD, p + 1)),
            b'o' if self.kw_at(p, "or") => Some((Op::Bin(BinOp::Or), OR, p + 2)),
            b'a' if self.kw_at(p, "and") => Some((Op::Bin(BinOp::And), AND, p + 3)),
            b'i' if self.kw_at(p, "intersects") => Some((Op::Bin(BinOp::Intersects), CMP, p + 10)),
            b'i' if self.kw_at(p, "in") => Some((Op::Bin(BinOp::In), CMP, p + 2)),
            b'n' if self.kw_at(p, "not") => {
                let q = self.skip_from(p + 3);
                self.kw_at(q, "in")
                    .then_some((Op::Bin(BinOp::NotIn), CMP, q + 2))
            }
            b's' if self.kw_at(p, "subset") => {
                let q = self.skip_from(p + 6);
                self.kw_at(q, "of")
                    .then_some((Op::Bin(BinOp::SubsetOf), CMP, q + 2))
            }
            b'h' if self.kw_at(p, "has") => Some((Op::Has, CMP, p + 3)),
            _ => None,
        }
    }

    /// Operators of level `min` and above after an operand (`build/expr.rs`'s `climb`).
    fn climb(&mut self, min: u8) -> Option<Built> {
        let (mut lhs, mut depth) = self.prefixed_operand(min)?;
        let mut last_comparison = false;
        loop {
            self.skip();
            let Some((op, level, end)) = self.peek_op() else {
                break;
            };
            if level < min {
                break;
            }
            if level == CMP {
                if last_comparison {
                    return None;
                }
                last_comparison = true;
            } else {
                last_comparison = false;
            }
            self.pos = end;
            self.run_ops += 1;
            self.skip();
            let (expr, d) = match op {
                Op::Has => {
                    let (s, e) = self.word()?;
                    self.expr_end = e;
                    let field = self.ident(s, e)?;
                    let span = lhs.span.to(field.span);
                    let kind = ExprKind::Has(Box::new(lhs), field);
                    (Expr { kind, span }, depth + 1)
                }
                Op::Bin(bin @ (BinOp::And | BinOp::Or)) => {
                    let mut terms: SmallVec<[Built; 4]> =
                        smallvec![(lhs, depth), self.climb(level + 1)?];
                    loop {
                        self.skip();
                        match self.peek_op() {
                            Some((Op::Bin(next), _, end)) if next == bin => {
                                self.pos = end;
                                self.run_ops += 1;
                                self.skip();
                                terms.push(self.climb(level + 1)?);
                            }
                            _ => break,
                        }
                    }
                    let n = terms.len();
                    let mut terms = terms.into_iter();
                    balanced(bin, &mut terms, n)?
                }
                Op::Bin(bin) => {
                    let (rhs, rd) = self.climb(level + 1)?;
                    let span = lhs.span.to(rhs.span);
                    let kind = ExprKind::Binary(bin, Box::new(lhs), Box::new(rhs));
                    (Expr { kind, span }, depth.max(rd) + 1)
                }
            };
            if d > MAX_EXPR_DEPTH {
                return None;
            }
            lhs = expr;
            depth = d;
        }
        Some((lhs, depth))
    }

    /// An operand with its `not` and quantifier prefixes (`build/expr.rs`'s
    /// `prefixed_operand`).
    fn prefixed_operand(&mut self, min: u8) -> Option<Built> {
        let start = self.pos;
        if self.at_kw("not") {
            if min > NOT {
                return None;
            }
            let mut nots: SmallVec<[usize; 2]> = SmallVec::new();
            while self.at_kw("not") {
                nots.push(self.pos);
                self.pos += 3;
                self.skip();
            }
            let (mut e, mut depth) = self.climb(NOT)?;
            for &at in nots.iter().rev() {
                depth += 1;
                if depth > MAX_EXPR_DEPTH {
                    return None;
                }
                let span = self.span(at, at + 3).to(e.span);
                e = Expr {
                    kind: ExprKind::Not(Box::new(e)),
                    span,
                };
            }
            return Some((e, depth));
        }
        let q = if self.at_kw("any") {
            Some(Quantifier::Any)
        } else if self.at_kw("all") {
            Some(Quantifier::All)
        } else if self.at_kw("count") {
            Some(Quantifier::Count)
        } else {
            None
        };
        let Some(q) = q else {
            return self.unary();
        };
        if min > NOT {
            return None;
        }
        // The quantifier word counts towards the nesting guard's limit: stop before it.
        self.word()?;
        if self.deep {
            return None;
        }
        self.skip();
        let (vs, ve) = self.unreserved_word()?;
        let var = self.ident(vs, ve)?;
        self.skip();
        self.expect_kw("in")?;
        self.skip();
        let (list, ld) = self.inner_expr()?;
        self.skip();
        self.punct(b':')?;
        let head = self.span(start, self.pos);
        self.skip();
        let (body, bd) = self.climb(OR)?;
        let depth = ld.max(bd) + 1;
        if depth > MAX_EXPR_DEPTH {
            return None;
        }
        let span = head.to(body.span);
        let kind = ExprKind::Quant {
            q,
            var,
            list: Box::new(list),
            body: Box::new(body),
        };
        Some((Expr { kind, span }, depth))
    }

    /// `-base.field.field`: the fields bind tighter than the minus.
    fn unary(&mut self) -> Option<Built> {
        let mut negs: SmallVec<[usize; 2]> = SmallVec::new();
        while self.peek() == Some(b'-') {
            negs.push(self.pos);
            self.pos += 1;
            self.skip();
        }
        let (mut e, mut depth) = self.primary()?;
        self.skip();
        self.expr_end = self.pos;
        while self.peek() == Some(b'.') {
            self.pos += 1;
            self.skip();
            let (s, end) = self.word()?;
            let field = self.ident(s, end)?;
            self.expr_end = end;
            depth += 1;
            if depth > MAX_EXPR_DEPTH {
                return None;
            }
            let span = e.span.to(field.span);
            e = Expr {
                kind: ExprKind::Field(Box::new(e), field),
                span,
            };
            self.skip();
        }
        for &at in negs.iter().rev() {
            depth += 1;
            if depth > MAX_EXPR_DEPTH {
                return None;
            }
            let span = self.span(at, at + 1).to(e.span);
            e = Expr {
                kind: ExprKind::Neg(Box::new(e)),
                span,
            };
        }
        Some((e, depth))
    }

    fn primary(&mut self) -> Option<Built> {
        let start = self.pos;
        let c = self.peek()?;
        if c.is_ascii_digit() {
            return self.literal(start).map(|e| (e, 1));
        }
        match c {
            b'"' => {
                let s = self.string()?;
                let kind = ExprKind::Str(s.value);
                Some((Expr { kind, span: s.span }, 1))
            }
            b'[' => {
                self.pos += 1;
                let (items, depth) = self.expr_list(b']')?;
                let kind = ExprKind::List(items);
                let span = self.span(start, self.pos);
                Some((Expr { kind, span }, depth + 1))
            }
            b'(' => {
                self.pos += 1;
                self.open()?;
                self.skip();
                let (mut e, depth) = self.inner_expr()?;
                self.skip();
                self.punct(b')')?;
                self.close();
                e.span = self.span(start, self.pos);
                Some((e, depth))
            }
            _ => {
                let end = self.word_end(start)?;
                let word = self.text.get(start..end)?;
                let b = match word {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                };
                if let Some(b) = b {
                    self.pos = end;
                    let span = self.span(start, end);
                    return Some((
                        Expr {
                            kind: ExprKind::Bool(b),
                            span,
                        },
                        1,
                    ));
                }
                let (s, e) = self.unreserved_word()?;
                let func = self.ident(s, e)?;
                let after = self.skip_from(self.pos);
                if self.b.get(after) != Some(&b'(') {
                    let Ident { name, span } = func;
                    return Some((
                        Expr {
                            kind: ExprKind::Name(name),
                            span,
                        },
                        1,
                    ));
                }
                self.pos = after + 1;
                let (args, depth) = self.expr_list(b')')?;
                let span = self.span(start, self.pos);
                Some((
                    Expr {
                        kind: ExprKind::Call { func, args },
                        span,
                    },
                    depth + 1,
                ))
            }
        }
    }

    /// After an opening bracket: `(expr ~ (comma ~ expr)* ~ comma?)? ~ close`, with the
    /// deepest element's depth.
    fn expr_list(&mut self, close: u8) -> Option<(Vec<Expr>, u32)> {
        self.open()?;
        self.skip();
        let mut items = Vec::new();
        let mut depth = 0;
        while !self.eat(close) {
            let (e, d) = self.inner_expr()?;
            depth = depth.max(d);
            items.push(e);
            self.skip();
            if self.eat(b',') {
                self.skip();
            } else {
                self.punct(close)?;
                break;
            }
        }
        self.close();
        Some((items, depth))
    }

    /// A literal that starts with a digit, tried in the grammar's order.
    fn literal(&mut self, start: usize) -> Option<Expr> {
        let b = self.b;
        let (kind, end) = if let Some(end) = lex::datetime(b, start) {
            let (local, offset_minutes) = self.datetime_value(start, end)?;
            (
                ExprKind::DateTime {
                    local,
                    offset_minutes,
                },
                end,
            )
        } else if let Some(end) = lex::date(b, start) {
            (ExprKind::Date(self.date_value(start)?), end)
        } else if lex::duration(b, start).is_some() {
            let d = self.duration()?;
            return Some(Expr {
                kind: ExprKind::Duration(d.seconds),
                span: d.span,
            });
        } else if let Some(end) = lex::percent(b, start) {
            (
                ExprKind::Percent(number(self.text.get(start..end)?, true)?),
                end,
            )
        } else if let Some(end) = lex::float(b, start) {
            (
                ExprKind::Float(number(self.text.get(start..end)?, false)?),
                end,
            )
        } else {
            let end = lex::int(b, start)?;
            (ExprKind::Int(self.text.get(start..end)?.parse().ok()?), end)
        };
        self.pos = end;
        Some(Expr {
            kind,
            span: self.span(start, end),
        })
    }
}

/// The first `n` of `terms` joined by `op` as a balanced tree, in their order (the builder's
/// `balanced`: the left half takes the larger share).
fn balanced(op: BinOp, terms: &mut impl Iterator<Item = Built>, n: usize) -> Option<Built> {
    if n <= 1 {
        return terms.next();
    }
    let left = n.div_ceil(2);
    let (l, ld) = balanced(op, terms, left)?;
    let (r, rd) = balanced(op, terms, n - left)?;
    let span = l.span.to(r.span);
    let kind = ExprKind::Binary(op, Box::new(l), Box::new(r));
    Some((Expr { kind, span }, ld.max(rd) + 1))
}
