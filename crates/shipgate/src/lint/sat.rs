//! A small satisfiability check over checked conditions, for the lint.
//!
//! A condition's `and`/`or`/`not` skeleton is kept; each leaf becomes an atom over a *term*
//! (a field path such as `change.size`, `len(change.services)` or `tier`):
//! - a boolean term (`change.emergency`, `change.emergency == true`);
//! - an integer or tier term compared with a constant (`change.size > 300`, `tier >= high`);
//! - a string term compared with a constant or tested against a list of constants
//!   (`change.requester == "ana"`, `change.rollout in ["a", "b"]`).
//!
//! Anything else (quantifiers, `in` on lists, calls, comparisons of two fields...) is an
//! *opaque* atom: a free boolean, the same one wherever the same expression is written. That
//! is conservative: it can only make a condition look satisfiable, never the reverse, so the
//! lint never says "never holds" of a condition that can hold.
//!
//! The check is exact for that abstraction: each term's truth values only depend on which of
//! finitely many regions (split by the constants it is compared with) its value lies in, so
//! trying one value per region of every term decides it. The work is bounded: past
//! [`MAX_ASSIGNMENTS`] combinations the answer is "satisfiable" (unknown, so no finding).

use crate::check::ir::{CExpr, CmpKind, CmpOp, Const};

/// The most combinations of term values one question tries before it gives up (and answers
/// "satisfiable", which makes no finding).
pub const MAX_ASSIGNMENTS: u64 = 1 << 16;

/// The most combinations all the questions of one lint try together: past it, every further
/// question is answered "satisfiable" (no finding), so linting any policy is bounded work.
pub const MAX_TOTAL_ASSIGNMENTS: u64 = 1 << 24;

/// A boolean formula over atoms, built from checked conditions.
#[derive(Debug, Clone)]
pub enum Formula {
    True,
    False,
    Atom(usize),
    Not(Box<Formula>),
    And(Box<Formula>, Box<Formula>),
    Or(Box<Formula>, Box<Formula>),
}

impl Formula {
    pub fn not(f: Formula) -> Formula {
        match f {
            Formula::True => Formula::False,
            Formula::False => Formula::True,
            Formula::Not(inner) => *inner,
            f => Formula::Not(Box::new(f)),
        }
    }

    pub fn and(a: Formula, b: Formula) -> Formula {
        match (a, b) {
            (Formula::False, _) | (_, Formula::False) => Formula::False,
            (Formula::True, f) | (f, Formula::True) => f,
            (a, b) => Formula::And(Box::new(a), Box::new(b)),
        }
    }

    pub fn or(a: Formula, b: Formula) -> Formula {
        match (a, b) {
            (Formula::True, _) | (_, Formula::True) => Formula::True,
            (Formula::False, f) | (f, Formula::False) => f,
            (a, b) => Formula::Or(Box::new(a), Box::new(b)),
        }
    }
}

/// What a term holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Bool,
    /// Integers in `lo..=hi`.
    Int {
        lo: i64,
        hi: i64,
    },
    Str,
}

#[derive(Debug, Clone)]
enum Atom {
    /// The boolean term is true.
    Bool(usize),
    /// `term op constant` over integers.
    Int(usize, CmpOp, i64),
    /// The string term is one of these constants.
    StrIn(usize, Vec<Box<str>>),
    /// A free boolean.
    Opaque,
}

/// The atoms and terms met while translating conditions: formulas from one `Atoms` may be
/// combined, and share them.
#[derive(Debug, Default)]
pub struct Atoms {
    terms: Vec<(CExpr, Sort)>,
    atoms: Vec<Atom>,
    /// The expression of each opaque atom, so that the same expression is the same atom.
    opaque: Vec<(CExpr, usize)>,
    /// The tier count, for the domain of `tier` (`0..tiers`).
    tiers: u8,
    /// The combinations tried so far, against `budget`.
    spent: std::cell::Cell<u64>,
    /// The most combinations all questions may try: [`MAX_TOTAL_ASSIGNMENTS`] (less in tests).
    pub(in crate::lint) budget: u64,
}

impl Atoms {
    pub fn new(tiers: usize) -> Atoms {
        Atoms {
            tiers: u8::try_from(tiers).unwrap_or(u8::MAX),
            budget: MAX_TOTAL_ASSIGNMENTS,
            ..Atoms::default()
        }
    }

    /// The formula of a boolean condition.
    pub fn formula(&mut self, e: &CExpr) -> Formula {
        match e {
            CExpr::Const(Const::Bool(b)) => bool_formula(*b),
            // A named condition is its body.
            CExpr::Named(a) => self.formula(a),
            CExpr::Not(a) => Formula::not(self.formula(a)),
            CExpr::And(a, b) => {
                let a = self.formula(a);
                Formula::and(a, self.formula(b))
            }
            CExpr::Or(a, b) => {
                let a = self.formula(a);
                Formula::or(a, self.formula(b))
            }
            CExpr::Field(..) if is_path(e) => {
                let t = self.term(e, Sort::Bool);
                self.atom(Atom::Bool(t))
            }
            CExpr::Cmp(op, kind, a, b) => self.comparison(e, *op, *kind, a, b),
            CExpr::In(a, b) => match (string_term(a), &**b) {
                (true, CExpr::List(items)) => match string_consts(items) {
                    Some(consts) => {
                        let t = self.term(a, Sort::Str);
                        self.atom(Atom::StrIn(t, consts))
                    }
                    None => self.opaque(e),
                },
                _ => self.opaque(e),
            },
            _ => self.opaque(e),
        }
    }

    fn comparison(&mut self, e: &CExpr, op: CmpOp, kind: CmpKind, a: &CExpr, b: &CExpr) -> Formula {
        // A constant on the left is written the other way round: `300 < x` is `x > 300`.
        let (op, term, value) = match (a, b) {
            (_, CExpr::Const(c)) if !matches!(a, CExpr::Const(_)) => (op, a, c),
            (CExpr::Const(c), _) if !matches!(b, CExpr::Const(_)) => (flip(op), b, c),
            _ => return self.opaque(e),
        };
        match (kind, value) {
            (CmpKind::Bool, Const::Bool(v)) if is_path(term) => {
                let t = self.term(term, Sort::Bool);
                let holds = self.atom(Atom::Bool(t));
                match (op, *v) {
                    (CmpOp::Eq, true) | (CmpOp::Ne, false) => holds,
                    (CmpOp::Eq, false) | (CmpOp::Ne, true) => Formula::not(holds),
                    _ => self.opaque(e),
                }
            }
            (CmpKind::Int, Const::Int(v)) if int_term(term) => {
                let lo = if matches!(term, CExpr::Call(crate::check::ir::Builtin::Len, _)) {
                    0
                } else {
                    i64::MIN
                };
                let t = self.term(term, Sort::Int { lo, hi: i64::MAX });
                self.atom(Atom::Int(t, op, *v))
            }
            (CmpKind::Tier, Const::Tier(v)) if matches!(term, CExpr::Tier) => {
                let hi = i64::from(self.tiers.saturating_sub(1));
                let t = self.term(term, Sort::Int { lo: 0, hi });
                self.atom(Atom::Int(t, op, i64::from(*v)))
            }
            (CmpKind::Str, Const::Str(v)) if string_term(term) => {
                let t = self.term(term, Sort::Str);
                let is = self.atom(Atom::StrIn(t, vec![v.clone()]));
                match op {
                    CmpOp::Eq => is,
                    CmpOp::Ne => Formula::not(is),
                    _ => self.opaque(e),
                }
            }
            _ => self.opaque(e),
        }
    }

    fn term(&mut self, e: &CExpr, sort: Sort) -> usize {
        let e = &unplaced(e);
        if let Some(i) = self.terms.iter().position(|(t, s)| t == e && *s == sort) {
            return i;
        }
        self.terms.push((e.clone(), sort));
        self.terms.len() - 1
    }

    fn atom(&mut self, a: Atom) -> Formula {
        self.atoms.push(a);
        Formula::Atom(self.atoms.len() - 1)
    }

    fn opaque(&mut self, e: &CExpr) -> Formula {
        let e = &unplaced(e);
        if let Some((_, i)) = self.opaque.iter().find(|(x, _)| x == e) {
            return Formula::Atom(*i);
        }
        self.atoms.push(Atom::Opaque);
        let i = self.atoms.len() - 1;
        self.opaque.push((e.clone(), i));
        Formula::Atom(i)
    }

    /// Whether some values of the terms make `f` true: `None` when the question would take
    /// more than [`MAX_ASSIGNMENTS`] combinations, or when the lint's whole budget
    /// ([`MAX_TOTAL_ASSIGNMENTS`]) is spent (unknown).
    pub fn satisfiable(&self, f: &Formula) -> Option<bool> {
        let mut used = Vec::new();
        atoms_of(f, &mut used);
        used.sort_unstable();
        used.dedup();
        // One candidate value per region of each term the formula reads; a free boolean per
        // opaque atom.
        let mut terms: Vec<usize> = Vec::new();
        let mut opaque: Vec<usize> = Vec::new();
        for (k, &a) in used.iter().enumerate() {
            match self.atoms.get(a) {
                Some(Atom::Bool(t) | Atom::Int(t, ..) | Atom::StrIn(t, _)) => terms.push(*t),
                Some(Atom::Opaque) => opaque.push(k),
                None => return None,
            }
        }
        terms.sort_unstable();
        terms.dedup();
        let candidates: Vec<Vec<Value>> =
            terms.iter().map(|&t| self.candidates(t, &used)).collect();
        let mut total: u64 = 1u64.checked_shl(u32::try_from(opaque.len()).ok()?)?;
        for c in &candidates {
            if c.is_empty() {
                return Some(false);
            }
            total = total.checked_mul(c.len() as u64)?;
        }
        if total > MAX_ASSIGNMENTS {
            return None;
        }
        let spent = self.spent.get().saturating_add(total);
        if spent > self.budget {
            return None;
        }
        self.spent.set(spent);
        // The term of each used atom, as an index into `terms`.
        let term_of: Vec<Option<usize>> = used
            .iter()
            .map(|&a| match self.atoms.get(a) {
                Some(Atom::Bool(t) | Atom::Int(t, ..) | Atom::StrIn(t, _)) => {
                    terms.iter().position(|x| x == t)
                }
                _ => None,
            })
            .collect();
        let mut pick = vec![0usize; candidates.len()];
        // The value of each used atom (by its index in `used`) under the current choice.
        let mut values: Vec<bool> = vec![false; used.len()];
        for n in 0..total {
            // Decode `n` into a choice per term and a truth value per opaque atom.
            let mut rest = n;
            for (i, c) in candidates.iter().enumerate() {
                let len = c.len() as u64;
                pick[i] = usize::try_from(rest % len).unwrap_or(0);
                rest /= len;
            }
            for (bit, &k) in opaque.iter().enumerate() {
                values[k] = rest >> bit & 1 == 1;
            }
            for (k, &a) in used.iter().enumerate() {
                let value = term_of[k].and_then(|i| candidates.get(i)?.get(*pick.get(i)?));
                values[k] = match (self.atoms.get(a), value) {
                    (Some(Atom::Bool(_)), Some(Value::Bool(b))) => *b,
                    (Some(Atom::Int(_, op, c)), Some(Value::Int(v))) => compare(*op, *v, *c),
                    (Some(Atom::StrIn(_, set)), Some(Value::Str(s))) => {
                        s.as_deref().is_some_and(|s| set.iter().any(|x| &**x == s))
                    }
                    (Some(Atom::Opaque), _) => values[k],
                    _ => return None,
                };
            }
            if eval(f, &used, &values)? {
                return Some(true);
            }
        }
        Some(false)
    }

    /// One value per region of term `t`, split by the constants the atoms compare it with.
    fn candidates(&self, t: usize, used: &[usize]) -> Vec<Value> {
        let Some((_, sort)) = self.terms.get(t) else {
            return Vec::new();
        };
        match *sort {
            Sort::Bool => vec![Value::Bool(false), Value::Bool(true)],
            Sort::Int { lo, hi } => {
                let mut points = vec![lo, hi];
                for &a in used {
                    if let Some(Atom::Int(x, _, c)) = self.atoms.get(a)
                        && *x == t
                    {
                        points.extend([c.saturating_sub(1), *c, c.saturating_add(1)]);
                    }
                }
                points.retain(|p| (lo..=hi).contains(p));
                points.sort_unstable();
                points.dedup();
                points.into_iter().map(Value::Int).collect()
            }
            Sort::Str => {
                let mut names: Vec<Option<Box<str>>> = vec![None];
                for &a in used {
                    if let Some(Atom::StrIn(x, set)) = self.atoms.get(a)
                        && *x == t
                    {
                        names.extend(set.iter().cloned().map(Some));
                    }
                }
                names.sort();
                names.dedup();
                names.into_iter().map(Value::Str).collect()
            }
        }
    }
}

/// A candidate value of a term; `Str(None)` is any string none of the atoms names.
#[derive(Debug, Clone)]
enum Value {
    Bool(bool),
    Int(i64),
    Str(Option<Box<str>>),
}

fn bool_formula(b: bool) -> Formula {
    if b { Formula::True } else { Formula::False }
}

fn atoms_of(f: &Formula, out: &mut Vec<usize>) {
    match f {
        Formula::True | Formula::False => {}
        Formula::Atom(a) => out.push(*a),
        Formula::Not(a) => atoms_of(a, out),
        Formula::And(a, b) | Formula::Or(a, b) => {
            atoms_of(a, out);
            atoms_of(b, out);
        }
    }
}

/// The formula's value, `values[k]` being the value of atom `used[k]` (`used` sorted).
fn eval(f: &Formula, used: &[usize], values: &[bool]) -> Option<bool> {
    Some(match f {
        Formula::True => true,
        Formula::False => false,
        Formula::Atom(a) => *values.get(used.binary_search(a).ok()?)?,
        Formula::Not(a) => !eval(a, used, values)?,
        Formula::And(a, b) => eval(a, used, values)? && eval(b, used, values)?,
        Formula::Or(a, b) => eval(a, used, values)? || eval(b, used, values)?,
    })
}

fn compare(op: CmpOp, a: i64, b: i64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        op => op,
    }
}

/// A field path read from the change, a quantifier's variable or a record: the same path
/// always reads the same value within one evaluation.
fn is_path(e: &CExpr) -> bool {
    match e {
        CExpr::Change | CExpr::Var(_) => true,
        CExpr::Field(base, _, _) => is_path(base),
        _ => false,
    }
}

fn int_term(e: &CExpr) -> bool {
    match e {
        CExpr::Call(crate::check::ir::Builtin::Len, args) => {
            matches!(args.as_slice(), [a] if is_path(a))
        }
        CExpr::Field(..) => is_path(e),
        _ => false,
    }
}

fn string_term(e: &CExpr) -> bool {
    is_path(e)
}

fn string_consts(items: &[CExpr]) -> Option<Vec<Box<str>>> {
    items
        .iter()
        .map(|i| match i {
            CExpr::Const(Const::Str(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// The expression without the spans of its field reads: the same path written in two places
/// is the same term.
fn unplaced(e: &CExpr) -> CExpr {
    let b = |e: &CExpr| Box::new(unplaced(e));
    let nowhere = crate::span::Span::default();
    match e {
        CExpr::Field(base, f, _) => CExpr::Field(b(base), *f, nowhere),
        // A named condition is the same term as its body written out.
        CExpr::Named(a) => unplaced(a),
        CExpr::List(items) => CExpr::List(items.iter().map(unplaced).collect()),
        CExpr::Has(base, f) => CExpr::Has(b(base), *f),
        CExpr::Not(a) => CExpr::Not(b(a)),
        CExpr::Neg(a) => CExpr::Neg(b(a)),
        CExpr::And(x, y) => CExpr::And(b(x), b(y)),
        CExpr::Or(x, y) => CExpr::Or(b(x), b(y)),
        CExpr::Cmp(op, k, x, y) => CExpr::Cmp(*op, *k, b(x), b(y)),
        CExpr::In(x, y) => CExpr::In(b(x), b(y)),
        CExpr::Contains(x, y) => CExpr::Contains(b(x), b(y)),
        CExpr::SubsetOf(x, y) => CExpr::SubsetOf(b(x), b(y)),
        CExpr::Intersects(x, y) => CExpr::Intersects(b(x), b(y)),
        CExpr::Add(k, x, y) => CExpr::Add(*k, b(x), b(y)),
        CExpr::Sub(k, x, y) => CExpr::Sub(*k, b(x), b(y)),
        CExpr::Quant(k, slot, x, y) => CExpr::Quant(*k, *slot, b(x), b(y)),
        CExpr::Call(f, args) => CExpr::Call(*f, args.iter().map(unplaced).collect()),
        CExpr::Const(_) | CExpr::Change | CExpr::Tier | CExpr::Now | CExpr::Var(_) => e.clone(),
    }
}
