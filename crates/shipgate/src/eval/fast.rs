//! Conditions compiled a second time, for speed: the common shapes of release rules (a flag of
//! the change, a field compared with a constant, a constant in a list field, a quantifier over
//! the touched services) become single typed steps that read the inputs directly, without
//! building a `Value` at every node of the tree.
//!
//! Anything else falls back to the general evaluator (`Ctx::eval`) for that sub-expression, so
//! a condition is always decided by the same semantics: the fast form is an optimisation of
//! the general one, never a second meaning. `Engine::evaluate_reference` decides with the
//! general evaluator alone, and the tests compare the two on every case and on random policies.

use std::borrow::Cow;

use super::expr::{Ctx, local_date, ordering_holds, type_error};
use super::prepare::ExtStrs;
use super::value::{EvalError, ListVal, Value};
use crate::check::ir::*;
use crate::input::fields::FieldTy;

/// A condition as a flat list of steps with short-circuit jumps: no recursion and no
/// intermediate values for `and`, `or` and `not`.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    ops: Box<[Op]>,
    /// Whether some step falls back to the general evaluator, which reads quantifier
    /// variables from their slots (the fast steps read the bound service directly).
    general: bool,
}

impl Program {
    /// A program that decides `false`: the placeholder for an id no condition carries.
    pub fn never() -> Program {
        Program {
            ops: Box::new([Op::Test {
                test: Test::Const(false),
                negate: false,
                exit: Exit::Never,
            }]),
            general: false,
        }
    }
}

/// Consecutive rules that only deny (no guard, no exemption) or have a guard (and no
/// exemption), their conditions (a guarded rule's guard, another's denies) laid end to end in
/// one program that a decision runs in one loop, stopping only where a deny fires, a guard
/// holds, or a condition cannot be evaluated: the programs themselves, each `Op::End` marking
/// where one condition ends. The rules are the same and run in the same order as one by one.
#[derive(Debug, Clone, PartialEq)]
pub struct Fused {
    ops: Box<[Op]>,
    /// By `Op::End` number: the rule and its effect whose condition ends there, or
    /// `lower::GUARD` for the rule's guard.
    pub ends: Box<[(u32, u32)]>,
    /// The rules it runs: `first..end`.
    pub first: usize,
    pub end: usize,
}

impl Fused {
    /// The conditions of rules `first..end`, each effect's `(rule, effect, program)` in
    /// order.
    pub fn new<'p>(
        first: usize,
        end: usize,
        conditions: impl IntoIterator<Item = (u32, u32, &'p Program)>,
    ) -> Fused {
        let mut ops = Vec::new();
        let mut ends = Vec::new();
        for (rule, effect, p) in conditions {
            let at = u32::try_from(ops.len()).unwrap_or(u32::MAX);
            let len = u32::try_from(p.ops.len()).unwrap_or(u32::MAX);
            let k = u32::try_from(ends.len()).unwrap_or(u32::MAX);
            // A jump to the program's end lands on its `End`; a jump taken when the result is
            // false lands past it (a false condition fires nothing).
            let moved = |to: u32| to.saturating_add(at);
            let past_end_if = |to: u32| match to == len {
                true => moved(to).saturating_add(1),
                false => moved(to),
            };
            ops.extend(p.ops.iter().enumerate().map(|(j, op)| match op {
                Op::Test { test, negate, exit } => Op::Test {
                    test: test.clone(),
                    negate: *negate,
                    exit: match *exit {
                        // The last test decides the condition: it fires or not itself.
                        Exit::Never if j + 1 == p.ops.len() => Exit::End(k),
                        Exit::Never => Exit::Never,
                        Exit::IfFalse(to) => Exit::IfFalse(past_end_if(to)),
                        Exit::IfTrue(to) => Exit::IfTrue(moved(to)),
                        Exit::End(k) => Exit::End(k),
                    },
                },
                Op::JumpIfFalse(to) => Op::JumpIfFalse(past_end_if(*to)),
                Op::JumpIfTrue(to) => Op::JumpIfTrue(moved(*to)),
                Op::Not => Op::Not,
                Op::End(k) => Op::End(*k),
            }));
            ops.push(Op::End(k));
            ends.push((rule, effect));
        }
        Fused {
            ops: ops.into_boxed_slice(),
            ends: ends.into_boxed_slice(),
            first,
            end,
        }
    }
}

/// Quantifier slots whose service the fast steps can hold directly; deeper nesting runs on
/// the general evaluator.
pub const BOUND_SLOTS: usize = 4;

#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// The result so far becomes the test's value (negated for `not test`); then, as a fused
    /// `and`/`or`, the program may jump on it.
    Test {
        test: Test,
        negate: bool,
        exit: Exit,
    },
    Not,
    /// `and`: when the result so far is false, it is the result: jump to the end.
    JumpIfFalse(u32),
    /// `or`: when the result so far is true, it is the result.
    JumpIfTrue(u32),
    /// In a [`Fused`] run of rules only: the condition numbered so (in `Fused::ends`) ends
    /// here, and its deny fires when the result is true.
    End(u32),
}

/// Where a test jumps when its value decides the `and`/`or` it is the left side of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Never,
    IfFalse(u32),
    IfTrue(u32),
    /// In a [`Fused`] run only, on the last test of a condition: the condition's `Op::End`
    /// (numbered so) follows; the test fires its deny when true and goes past the `End`.
    End(u32),
}

impl Exit {
    /// Where a test whose result is `acc` sends the program: `Some(to)` to jump there.
    #[inline(always)]
    fn jump(self, acc: bool) -> Option<usize> {
        match self {
            Exit::IfFalse(to) if !acc => Some(to as usize),
            Exit::IfTrue(to) if acc => Some(to as usize),
            _ => None,
        }
    }
}

/// One boolean test that reads the inputs directly.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    Const(bool),
    /// A boolean field of the change (`change.emergency`, ...).
    ChangeFlag(ChangeField),
    /// A boolean field of the service bound to a quantifier's slot.
    ServiceFlag(u16, ServiceField),
    /// `change has incident`.
    HasIncident,
    /// A boolean `extend change` field, by index; the expression is the general form, run
    /// when the slot does not hold a bool (an absent optional: the general form's error).
    ExtFlag(u16, Box<CExpr>),
    /// `change has f` for an `extend change` field.
    HasExt(u16),
    /// A boolean `extend service` field of the service bound to a slot.
    ServiceExtFlag(u16, u16, Box<CExpr>),
    /// An integer-like comparison (int, duration, date-time, date, tier).
    Int(CmpOp, FInt, FInt),
    /// A numeric comparison where one side is a float.
    Num(CmpOp, FNum, FNum),
    Str(CmpOp, FStr, FStr),
    /// An integer-like `extend change` field compared with a constant (`field op k`); the
    /// expression is the field's general form, run when the slot holds no such value.
    ExtInt(CmpOp, u16, i64, Box<CExpr>),
    /// A string `extend change` field equal to a constant (`true`) or not (`false`); the
    /// expression is the field's general form.
    ExtStrIs(u16, Box<str>, bool, Box<CExpr>),
    /// A string equal to a constant (`true`) or not (`false`): only strings of the same
    /// length are compared byte by byte.
    StrIs(FStr, Box<str>, bool),
    /// A string in a list of strings.
    StrIn(FStr, FStrs),
    /// A string in an `extend` list of strings or a list literal of string constants.
    StrInList(FStr, FList),
    /// `starts_with(a, b)` (`true`) or `ends_with(a, b)` (`false`).
    Affix(bool, FStr, FStr),
    /// `a intersects b` over two lists of strings; the expression is the general form, run
    /// when a list is not in its slot.
    Intersects(FList, FList, Box<CExpr>),
    /// `any`/`all` over the touched services or their dependents.
    Services(QuantKind, u16, Services, Program),
    /// Any other shape: the general evaluator.
    Expr(Box<CExpr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Services {
    Touched,
    Dependents,
}

#[derive(Debug, Clone, PartialEq)]
enum FInt {
    Const(i64),
    Size,
    Duration,
    Start,
    End,
    Now,
    Tier,
    ServiceTier(u16),
    /// `date(t, "Zone")`, also the UTC date the checker takes of a date-time compared with a
    /// date: days since 1970-01-01.
    Date(chrono_tz::Tz, Box<FInt>),
    /// An integer-like `extend change` field (int, duration, date-time, date).
    Ext(u16, Box<CExpr>),
    /// The same of the service bound to a slot.
    ServiceExt(u16, u16, Box<CExpr>),
    Expr(Box<CExpr>),
}

impl FInt {
    fn is_general(&self) -> bool {
        match self {
            // The general form of a service's field reads the slot's variable.
            FInt::Expr(_) | FInt::ServiceExt(..) => true,
            FInt::Date(_, inner) => inner.is_general(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum FNum {
    Const(f64),
    ErrorBudget(u16),
    Int(FInt),
    /// A float `extend change` field.
    Ext(u16, Box<CExpr>),
    ServiceExt(u16, u16, Box<CExpr>),
    Expr(Box<CExpr>),
}

impl FNum {
    fn is_general(&self) -> bool {
        match self {
            FNum::Expr(_) | FNum::ServiceExt(..) => true,
            FNum::Int(i) => i.is_general(),
            FNum::Const(_) | FNum::ErrorBudget(_) | FNum::Ext(..) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum FStr {
    Const(Box<str>),
    Id,
    Title,
    Requester,
    Implementer,
    ServiceId(u16),
    ServiceTeam(u16),
    /// A string `extend change` field.
    Ext(u16, Box<CExpr>),
    ServiceExt(u16, u16, Box<CExpr>),
    Expr(Box<CExpr>),
}

impl FStr {
    fn is_general(&self) -> bool {
        matches!(self, FStr::Expr(_) | FStr::ServiceExt(..))
    }
}

/// A list of strings that is not a built-in field (or, for `intersects`, one that is).
#[derive(Debug, Clone, PartialEq)]
enum FList {
    Builtin(FStrs),
    /// A list literal whose items are all string constants.
    Consts(Box<[Box<str>]>),
    /// A `list<string>` `extend change` field.
    Ext(u16, Box<CExpr>),
    ServiceExt(u16, u16, Box<CExpr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FStrs {
    Kind,
    Labels,
    After,
    Regions,
    ServiceRegions(u16),
    ServiceDependsOn(u16),
}

/// A service bound to a quantifier's slot: `Var(slot)`.
fn var(e: &CExpr) -> Option<u16> {
    match e {
        CExpr::Var(s) => Some(*s),
        _ => None,
    }
}

/// `change.<f>`.
fn change_field(e: &CExpr) -> Option<ChangeField> {
    match e {
        CExpr::Field(base, Field::Change(f), _) if **base == CExpr::Change => Some(*f),
        _ => None,
    }
}

/// `change.<f>` for an `extend change` field `f`.
fn change_ext(e: &CExpr) -> Option<u16> {
    match e {
        CExpr::Field(base, Field::ChangeExt(f), _) if **base == CExpr::Change => Some(*f),
        _ => None,
    }
}

/// `<slot>.<f>` for an `extend service` field `f` of a service bound to a slot.
fn service_ext(e: &CExpr) -> Option<(u16, u16)> {
    match e {
        CExpr::Field(base, Field::ServiceExt(f), _) => var(base).map(|s| (s, *f)),
        _ => None,
    }
}

/// `<slot>.<f>` for a service bound to a slot.
fn service_field(e: &CExpr) -> Option<(u16, ServiceField)> {
    match e {
        CExpr::Field(base, Field::Service(f), _) => var(base).map(|s| (s, *f)),
        _ => None,
    }
}

/// Compiles a condition; shapes without a fast form run on the general evaluator.
pub fn compile(e: &CExpr) -> Program {
    let mut ops = Vec::new();
    emit(e, &mut ops);
    let general = ops.iter().any(|op| match op {
        Op::Test { test, .. } => test.is_general(),
        _ => false,
    });
    Program {
        ops: ops.into_boxed_slice(),
        general,
    }
}

impl Test {
    /// Whether this test, or a step inside it, uses the general evaluator.
    fn is_general(&self) -> bool {
        match self {
            Test::Expr(_) => true,
            Test::Int(_, a, b) => a.is_general() || b.is_general(),
            Test::Num(_, a, b) => a.is_general() || b.is_general(),
            Test::Str(_, a, b) => a.is_general() || b.is_general(),
            Test::StrIs(x, _, _) => x.is_general(),
            Test::ExtInt(..) | Test::ExtStrIs(..) => false,
            Test::StrIn(x, _) => x.is_general(),
            Test::StrInList(x, l) => x.is_general() || matches!(l, FList::ServiceExt(..)),
            Test::Affix(_, a, b) => a.is_general() || b.is_general(),
            // The general form of a service's list reads the slot's variable.
            Test::Intersects(a, b, _) => {
                matches!(a, FList::ServiceExt(..)) || matches!(b, FList::ServiceExt(..))
            }
            Test::Services(_, _, _, body) => body.general,
            Test::ServiceExtFlag(..) => true,
            Test::Const(_)
            | Test::ChangeFlag(_)
            | Test::ServiceFlag(..)
            | Test::HasIncident
            | Test::ExtFlag(..)
            | Test::HasExt(_) => false,
        }
    }
}

fn emit(e: &CExpr, ops: &mut Vec<Op>) {
    // `a and b` / `a or b`: a lone test on the left carries the jump itself.
    let jump = |ops: &mut Vec<Op>, a: &CExpr, b: &CExpr, on_false: bool| {
        let start = ops.len();
        emit(a, ops);
        let at = ops.len();
        let fused = at == start + 1
            && matches!(
                ops.last(),
                Some(Op::Test {
                    exit: Exit::Never,
                    ..
                })
            );
        if !fused {
            ops.push(Op::Not); // placeholder, replaced below
        }
        emit(b, ops);
        let end = u32::try_from(ops.len()).unwrap_or(u32::MAX);
        let exit = if on_false {
            Exit::IfFalse(end)
        } else {
            Exit::IfTrue(end)
        };
        if fused {
            if let Some(Op::Test { exit: e, .. }) = ops.get_mut(start) {
                *e = exit;
            }
        } else if let Some(j) = ops.get_mut(at) {
            *j = if on_false {
                Op::JumpIfFalse(end)
            } else {
                Op::JumpIfTrue(end)
            };
        }
    };
    match e {
        CExpr::Not(x) => {
            let start = ops.len();
            emit(x, ops);
            let lone = ops.len() == start + 1;
            match ops.get_mut(start) {
                Some(Op::Test {
                    negate,
                    exit: Exit::Never,
                    ..
                }) if lone => *negate = !*negate,
                _ => ops.push(Op::Not),
            }
        }
        // Inlined: the program is the same as for the body written in place.
        CExpr::Named(x) => emit(x, ops),
        CExpr::And(a, b) => jump(ops, a, b, true),
        CExpr::Or(a, b) => jump(ops, a, b, false),
        _ => ops.push(Op::Test {
            test: test(e),
            negate: false,
            exit: Exit::Never,
        }),
    }
}

fn test(e: &CExpr) -> Test {
    use ChangeField as C;
    if let Some(f) = change_field(e)
        && f.ty() == FieldTy::Bool
    {
        return Test::ChangeFlag(f);
    }
    if let Some((slot, f)) = service_field(e)
        && f.ty() == FieldTy::Bool
    {
        return Test::ServiceFlag(slot, f);
    }
    if let Some(f) = change_ext(e) {
        return Test::ExtFlag(f, Box::new(e.clone()));
    }
    if let Some((slot, f)) = service_ext(e) {
        return Test::ServiceExtFlag(slot, f, Box::new(e.clone()));
    }
    let general = || Test::Expr(Box::new(e.clone()));
    match e {
        CExpr::Named(x) => test(x),
        CExpr::Const(Const::Bool(b)) => Test::Const(*b),
        CExpr::Has(base, Field::ChangeExt(f)) if **base == CExpr::Change => Test::HasExt(*f),
        CExpr::Has(base, Field::Change(C::Incident)) if **base == CExpr::Change => {
            Test::HasIncident
        }
        CExpr::Cmp(op, kind, a, b) => match kind {
            CmpKind::Int
            | CmpKind::Duration
            | CmpKind::DateTime
            | CmpKind::Date
            | CmpKind::Tier => match (int(a), int(b)) {
                (FInt::Ext(f, e), FInt::Const(k)) => Test::ExtInt(*op, f, k, e),
                (FInt::Const(k), FInt::Ext(f, e)) => Test::ExtInt(flipped(*op), f, k, e),
                (a, b) => Test::Int(*op, a, b),
            },
            CmpKind::Num => Test::Num(*op, num(a), num(b)),
            CmpKind::Str => match (op, string(a), string(b)) {
                (CmpOp::Eq | CmpOp::Ne, x, FStr::Const(k))
                | (CmpOp::Eq | CmpOp::Ne, FStr::Const(k), x) => match x {
                    FStr::Ext(f, e) => Test::ExtStrIs(f, k, *op == CmpOp::Eq, e),
                    x => Test::StrIs(x, k, *op == CmpOp::Eq),
                },
                (op, a, b) => Test::Str(*op, a, b),
            },
            _ => general(),
        },
        CExpr::In(x, list) => match (string(x), strings(list)) {
            (FStr::Expr(_), _) => general(),
            (s, Some(l)) => Test::StrIn(s, l),
            (s, None) => match str_list(list) {
                Some(l) => Test::StrInList(s, l),
                None => general(),
            },
        },
        CExpr::Call(b @ (Builtin::StartsWith | Builtin::EndsWith), args) => match &**args {
            [a, x] => Test::Affix(*b == Builtin::StartsWith, string(a), string(x)),
            _ => general(),
        },
        CExpr::Intersects(a, b) => match (any_str_list(a), any_str_list(b)) {
            (Some(x), Some(y)) => Test::Intersects(x, y, Box::new(e.clone())),
            _ => general(),
        },
        CExpr::Quant(kind @ (QuantKind::Any | QuantKind::All), slot, list, body) => {
            let source = match change_field(list) {
                Some(C::Services) => Services::Touched,
                Some(C::Dependents) => Services::Dependents,
                _ => return general(),
            };
            if usize::from(*slot) >= BOUND_SLOTS {
                return general();
            }
            Test::Services(*kind, *slot, source, compile(body))
        }
        _ => general(),
    }
}

/// The operator with its sides swapped: `k < x` is `x > k`.
fn flipped(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::Ne => CmpOp::Ne,
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
    }
}

fn int(e: &CExpr) -> FInt {
    use ChangeField as C;
    if let Some(f) = change_field(e) {
        match f {
            C::Size => return FInt::Size,
            C::Duration => return FInt::Duration,
            C::Start => return FInt::Start,
            C::End => return FInt::End,
            _ => {}
        }
    }
    if let Some((slot, ServiceField::Tier)) = service_field(e) {
        return FInt::ServiceTier(slot);
    }
    if let Some(f) = change_ext(e) {
        return FInt::Ext(f, Box::new(e.clone()));
    }
    if let Some((slot, f)) = service_ext(e) {
        return FInt::ServiceExt(slot, f, Box::new(e.clone()));
    }
    match e {
        CExpr::Const(Const::Int(i) | Const::Duration(i) | Const::DateTime(i) | Const::Date(i)) => {
            FInt::Const(*i)
        }
        CExpr::Const(Const::Tier(t)) => FInt::Const(i64::from(*t)),
        CExpr::Now => FInt::Now,
        CExpr::Tier => FInt::Tier,
        CExpr::Call(Builtin::Date(tz), args) if args.len() == 1 => match args.first() {
            Some(t) => FInt::Date(*tz, Box::new(int(t))),
            None => FInt::Expr(Box::new(e.clone())),
        },
        _ => FInt::Expr(Box::new(e.clone())),
    }
}

/// A number compared with a float: only `int` and `float` values convert (as `as_f64`).
fn num(e: &CExpr) -> FNum {
    match service_field(e) {
        Some((slot, ServiceField::ErrorBudget)) => return FNum::ErrorBudget(slot),
        Some((slot, ServiceField::Tier)) => return FNum::Int(FInt::ServiceTier(slot)),
        _ => {}
    }
    if let Some(f) = change_ext(e) {
        return FNum::Ext(f, Box::new(e.clone()));
    }
    if let Some((slot, f)) = service_ext(e) {
        return FNum::ServiceExt(slot, f, Box::new(e.clone()));
    }
    match e {
        CExpr::Const(Const::Float(f)) => FNum::Const(*f),
        CExpr::Const(Const::Int(i)) => FNum::Int(FInt::Const(*i)),
        _ if change_field(e) == Some(ChangeField::Size) => FNum::Int(FInt::Size),
        _ => FNum::Expr(Box::new(e.clone())),
    }
}

fn string(e: &CExpr) -> FStr {
    use ChangeField as C;
    if let Some(f) = change_field(e) {
        match f {
            C::Id => return FStr::Id,
            C::Title => return FStr::Title,
            C::Requester => return FStr::Requester,
            C::Implementer => return FStr::Implementer,
            _ => {}
        }
    }
    if let Some(f) = change_ext(e) {
        return FStr::Ext(f, Box::new(e.clone()));
    }
    if let Some((slot, f)) = service_ext(e) {
        return FStr::ServiceExt(slot, f, Box::new(e.clone()));
    }
    match service_field(e) {
        Some((slot, ServiceField::Id)) => return FStr::ServiceId(slot),
        Some((slot, ServiceField::Team)) => return FStr::ServiceTeam(slot),
        _ => {}
    }
    match e {
        CExpr::Const(Const::Str(s)) => FStr::Const(s.clone()),
        _ => FStr::Expr(Box::new(e.clone())),
    }
}

fn strings(e: &CExpr) -> Option<FStrs> {
    use ChangeField as C;
    if let Some(f) = change_field(e) {
        return match f {
            C::Kind => Some(FStrs::Kind),
            // `change.checks` is computed from the evidence (`value::passed_checks`): the
            // general evaluator reads it.
            C::Labels => Some(FStrs::Labels),
            C::After => Some(FStrs::After),
            C::Regions => Some(FStrs::Regions),
            _ => None,
        };
    }
    match service_field(e) {
        Some((slot, ServiceField::Regions)) => Some(FStrs::ServiceRegions(slot)),
        Some((slot, ServiceField::DependsOn)) => Some(FStrs::ServiceDependsOn(slot)),
        _ => None,
    }
}

/// A list of strings, built-in or not.
fn any_str_list(e: &CExpr) -> Option<FList> {
    strings(e).map(FList::Builtin).or_else(|| str_list(e))
}

/// A list of strings read other than as a built-in field: an `extend` field's, or a literal of
/// string constants.
fn str_list(e: &CExpr) -> Option<FList> {
    if let Some(f) = change_ext(e) {
        return Some(FList::Ext(f, Box::new(e.clone())));
    }
    if let Some((slot, f)) = service_ext(e) {
        return Some(FList::ServiceExt(slot, f, Box::new(e.clone())));
    }
    match e {
        CExpr::List(items) => items
            .iter()
            .map(|i| match i {
                CExpr::Const(Const::Str(s)) => Some(s.clone()),
                _ => None,
            })
            .collect::<Option<Box<[_]>>>()
            .map(FList::Consts),
        _ => None,
    }
}

impl<'a> Ctx<'a> {
    /// The session's slot of `extend service` field `f` of the service bound to `slot`, when
    /// the quantifier binding it runs over the touched services.
    #[inline(always)]
    fn bound_ext(&self, slot: u16, f: u16) -> Option<&'a Option<Value<'a>>> {
        let pos = *self.bound_pos.get(usize::from(slot))?;
        if pos == u32::MAX {
            return None;
        }
        let prep: &'a super::Prepared<'a> = self.prep;
        prep.facts().touched_ext(pos as usize, f)
    }

    /// The value in an `extend change` slot.
    #[inline(always)]
    fn ext(&self) -> &'a super::prepare::Slots<'a> {
        self.change_ext
    }

    /// The service bound to `slot` (a quantifier over services is running).
    #[inline(always)]
    fn bound(&self, slot: u16) -> Result<&'a crate::input::Service, EvalError> {
        match self.bound.get(usize::from(slot)) {
            Some(Some(s)) => Ok(s),
            _ => Err(type_error()),
        }
    }

    /// Runs a compiled condition.
    pub fn run(&mut self, p: &'a Program) -> Result<bool, EvalError> {
        // Most conditions are one test (`change.emergency`, `"wip" in change.labels`).
        if let [
            Op::Test {
                test,
                negate,
                exit: Exit::Never,
            },
        ] = &*p.ops
        {
            return Ok(self.test(test)? ^ *negate);
        }
        let mut acc = false;
        let mut pc = 0usize;
        while let Some(op) = p.ops.get(pc) {
            pc += 1;
            match op {
                Op::Test { test, negate, exit } => {
                    acc = self.test(test)? ^ *negate;
                    // `Exit::End` is only in a fused run, where an `End` follows.
                    if let Some(to) = exit.jump(acc) {
                        pc = to;
                    }
                }
                Op::Not => acc = !acc,
                Op::JumpIfFalse(to) => {
                    if !acc {
                        pc = *to as usize;
                    }
                }
                Op::JumpIfTrue(to) => {
                    if acc {
                        pc = *to as usize;
                    }
                }
                // Only in a fused run (`run_fused`).
                Op::End(_) => break,
            }
        }
        Ok(acc)
    }

    /// Runs a fused run of rules from `*pc` until a deny fires or a guard holds (its
    /// `Fused::ends` number and `Ok`) or a condition cannot be evaluated (its number and the
    /// error; the next condition runs from the next call); `None` once every condition ran.
    pub fn run_fused(
        &mut self,
        f: &'a Fused,
        pc: &mut usize,
    ) -> Option<(usize, Result<(), EvalError>)> {
        let ops = &*f.ops;
        let mut acc = false;
        let mut i = *pc;
        while let Some(op) = ops.get(i) {
            i += 1;
            match op {
                Op::Test { test, negate, exit } => match self.test(test) {
                    Ok(v) => {
                        acc = v ^ *negate;
                        match *exit {
                            Exit::End(k) => {
                                // Past the `End` that follows.
                                i += 1;
                                if acc {
                                    *pc = i;
                                    return Some((k as usize, Ok(())));
                                }
                            }
                            exit => {
                                if let Some(to) = exit.jump(acc) {
                                    i = to;
                                }
                            }
                        }
                    }
                    Err(e) => {
                        // The condition fails; the next one starts after its end. A run
                        // always ends a condition with an `End`; were one missing, the error
                        // still comes back (with no rule of the run: the caller fails closed)
                        // and the run stops.
                        let rest = ops.get(i..).unwrap_or_default();
                        let Some((at, k)) = rest.iter().enumerate().find_map(|(j, op)| match op {
                            Op::End(k) => Some((j, *k as usize)),
                            _ => None,
                        }) else {
                            *pc = ops.len();
                            return Some((usize::MAX, Err(e)));
                        };
                        *pc = i + at + 1;
                        return Some((k, Err(e)));
                    }
                },
                Op::Not => acc = !acc,
                Op::JumpIfFalse(to) => {
                    if !acc {
                        i = *to as usize;
                    }
                }
                Op::JumpIfTrue(to) => {
                    if acc {
                        i = *to as usize;
                    }
                }
                Op::End(k) => {
                    if acc {
                        *pc = i;
                        return Some((*k as usize, Ok(())));
                    }
                }
            }
        }
        *pc = i;
        None
    }

    #[inline(always)]
    fn test(&mut self, t: &'a Test) -> Result<bool, EvalError> {
        Ok(match t {
            Test::Const(b) => *b,
            Test::ChangeFlag(cf) => self.change.flag(*cf).ok_or_else(type_error)?,
            Test::ServiceFlag(slot, sf) => self.bound(*slot)?.flag(*sf).ok_or_else(type_error)?,
            Test::HasIncident => self.change.incident.is_some(),
            Test::ExtFlag(f, e) => match self.ext().bool_at(usize::from(*f)) {
                Some(b) => b,
                _ => self.general(e)?,
            },
            Test::HasExt(f) => self.ext().has(usize::from(*f)),
            Test::ServiceExtFlag(slot, f, e) => match self.bound_ext(*slot, *f) {
                Some(Some(Value::Bool(b))) => *b,
                _ => self.general(e)?,
            },
            Test::Int(op, a, b) => {
                let (x, y) = (self.fast_int(a)?, self.fast_int(b)?);
                ordering_holds(*op, Some(x.cmp(&y)))
            }
            Test::Num(op, a, b) => {
                let (x, y) = (self.fast_num(a)?, self.fast_num(b)?);
                ordering_holds(*op, x.partial_cmp(&y))
            }
            Test::Str(op, a, b) => {
                let x = self.fast_str(a)?;
                let y = self.fast_str(b)?;
                self.charge(super::expr::str_steps(x.len().min(y.len())))?;
                ordering_holds(*op, Some(x.as_ref().cmp(y.as_ref())))
            }
            Test::ExtInt(op, f, k, e) => {
                let x = match self.ext().int_at(usize::from(*f)) {
                    Some(x) => x,
                    None => self.general_int(e)?,
                };
                match op {
                    CmpOp::Eq => x == *k,
                    CmpOp::Ne => x != *k,
                    CmpOp::Lt => x < *k,
                    CmpOp::Le => x <= *k,
                    CmpOp::Gt => x > *k,
                    CmpOp::Ge => x >= *k,
                }
            }
            Test::ExtStrIs(f, k, eq, e) => match self.ext().str_at(usize::from(*f)) {
                Some(x) => self.str_is(x, k, *eq)?,
                None => {
                    let x = self.general_str(e)?;
                    self.str_is(&x, k, *eq)?
                }
            },
            Test::StrIs(x, k, eq) => {
                let x = self.fast_str(x)?;
                self.str_is(&x, k, *eq)?
            }
            Test::StrIn(x, list) => {
                let x = self.fast_str(x)?;
                let list = self.fast_strs(*list)?;
                self.charge(list.len().saturating_mul(super::expr::str_steps(x.len())))?;
                list.iter().any(|s| *s == *x)
            }
            Test::StrInList(x, list) => {
                let x = self.fast_str(x)?;
                self.str_in_list(&x, list)?
            }
            Test::Affix(starts, a, b) => {
                let (a, b) = (self.fast_str(a)?, self.fast_str(b)?);
                if *starts {
                    a.starts_with(b.as_ref())
                } else {
                    a.ends_with(b.as_ref())
                }
            }
            Test::Intersects(a, b, e) => self.intersects(a, b, e)?,
            Test::Services(kind, slot, source, body) => {
                self.services(*kind, *slot, *source, body)?
            }
            Test::Expr(e) => self.general(e)?,
        })
    }

    /// `x == k` (`eq`) or `x != k`, charged as the general evaluator charges a comparison.
    #[inline(always)]
    fn str_is(&mut self, x: &str, k: &str, eq: bool) -> Result<bool, EvalError> {
        self.charge(super::expr::str_steps(x.len().min(k.len())))?;
        Ok((x.len() == k.len() && x.as_bytes() == k.as_bytes()) == eq)
    }

    /// `any`/`all` over services: binds each to the slot and runs the body.
    #[inline(never)]
    fn services(
        &mut self,
        kind: QuantKind,
        slot: u16,
        source: Services,
        body: &'a Program,
    ) -> Result<bool, EvalError> {
        let list: &'a [u32] = match source {
            Services::Touched => &self.prep.services,
            Services::Dependents => self.prep.dependents(self.catalog),
        };
        let all = kind == QuantKind::All;
        for (k, i) in list.iter().enumerate() {
            self.charge(1)?;
            let service = self
                .catalog
                .service(*i)
                .ok_or_else(|| EvalError::new("service index out of range"))?;
            match self.bound.get_mut(usize::from(slot)) {
                Some(b) => *b = Some(service),
                None => return Err(EvalError::new("unbound variable")),
            }
            if let Some(p) = self.bound_pos.get_mut(usize::from(slot)) {
                *p = match source {
                    Services::Touched => u32::try_from(k).unwrap_or(u32::MAX),
                    Services::Dependents => u32::MAX,
                };
            }
            if body.general {
                self.bind(usize::from(slot), Value::Service(*i));
            }
            let holds = self.run(body)?;
            if holds != all {
                return Ok(!all);
            }
        }
        Ok(all)
    }

    /// `x in list` for a list of strings that is not a built-in field.
    #[inline(never)]
    fn str_in_list(&mut self, x: &str, list: &'a FList) -> Result<bool, EvalError> {
        let steps = super::expr::str_steps(x.len());
        let json = match list {
            FList::Builtin(f) => {
                let items = self.fast_strs(*f)?;
                self.charge(items.len().saturating_mul(steps))?;
                return Ok(items.iter().any(|s| s == x));
            }
            FList::Consts(items) => {
                self.charge(items.len().saturating_mul(steps))?;
                return Ok(items.iter().any(|s| **s == *x));
            }
            FList::Ext(f, e) => match self.ext().strs_at(usize::from(*f)) {
                Some(ExtStrs::Json(items)) => Some(items),
                // A change read for the policy: its strings, kept by the change.
                Some(ExtStrs::Strs(items)) => {
                    self.charge(items.len().saturating_mul(steps))?;
                    return Ok(items.iter().any(|s| s == x));
                }
                _ => return self.general_in(x, e),
            },
            FList::ServiceExt(slot, f, e) => match self.bound_ext(*slot, *f) {
                Some(Some(Value::List(ListVal::Json(items, _)))) => Some(*items),
                _ => return self.general_in(x, e),
            },
        };
        let items = json.unwrap_or(&[]);
        self.charge(items.len().saturating_mul(steps))?;
        // The session checked every element against the declared `list<string>`.
        Ok(items.iter().any(|s| s.as_str() == Some(x)))
    }

    /// The strings of a list in its slot; `None` when it is not there (an absent optional).
    #[inline(always)]
    fn str_items(&self, l: &'a FList) -> Result<Option<StrItems<'a>>, EvalError> {
        Ok(match l {
            FList::Builtin(f) => Some(StrItems::Strs(self.fast_strs(*f)?)),
            FList::Consts(items) => Some(StrItems::Consts(items)),
            FList::Ext(f, _) => match self.ext().strs_at(usize::from(*f)) {
                Some(ExtStrs::Json(items)) => Some(StrItems::Json(items)),
                Some(ExtStrs::Strs(items)) => Some(StrItems::Strs(items)),
                _ => None,
            },
            FList::ServiceExt(slot, f, _) => match self.bound_ext(*slot, *f) {
                Some(Some(Value::List(ListVal::Json(items, _)))) => Some(StrItems::Json(items)),
                _ => None,
            },
        })
    }

    /// `a intersects b` over lists of strings: each element of `a` looked for in `b`, charged
    /// as the general evaluator's scan is, one step per element compared.
    #[inline(never)]
    fn intersects(&mut self, a: &'a FList, b: &'a FList, e: &'a CExpr) -> Result<bool, EvalError> {
        let (Some(a), Some(b)) = (self.str_items(a)?, self.str_items(b)?) else {
            return self.general(e);
        };
        a.any(|x| {
            self.charge(b.len().saturating_mul(super::expr::str_steps(x.len())))?;
            b.any(|y| Ok(y == x))
        })
    }

    /// `x in e` on the general evaluator.
    #[cold]
    #[inline(never)]
    fn general_in(&mut self, x: &str, e: &'a CExpr) -> Result<bool, EvalError> {
        let Value::List(l) = self.eval(e)? else {
            return Err(type_error());
        };
        let x = Value::Str(Cow::Owned(x.to_owned()));
        self.contains(&l, &x)
    }

    #[inline(never)]
    fn general_int(&mut self, e: &'a CExpr) -> Result<i64, EvalError> {
        self.eval(e)?.as_i64().ok_or_else(type_error)
    }

    #[inline(never)]
    fn general_num(&mut self, e: &'a CExpr) -> Result<f64, EvalError> {
        self.eval(e)?.as_f64().ok_or_else(type_error)
    }

    #[inline(never)]
    fn general_str(&mut self, e: &'a CExpr) -> Result<Cow<'a, str>, EvalError> {
        match self.eval(e)? {
            Value::Str(s) => Ok(s),
            _ => Err(type_error()),
        }
    }

    #[inline(never)]
    fn general(&mut self, e: &'a CExpr) -> Result<bool, EvalError> {
        match self.eval(e)? {
            Value::Bool(b) => Ok(b),
            _ => Err(type_error()),
        }
    }

    #[inline(always)]
    fn fast_int(&mut self, f: &'a FInt) -> Result<i64, EvalError> {
        Ok(match f {
            FInt::Const(i) => *i,
            FInt::Size => self.change.size,
            FInt::Duration => self.change.duration,
            FInt::Start => self.prep.start,
            FInt::End => self.prep.end,
            FInt::Now => self.now,
            FInt::Tier => i64::from(self.tier),
            FInt::ServiceTier(slot) => self.bound(*slot)?.tier,
            FInt::Date(tz, t) => self.fast_date(*tz, t)?,
            FInt::Ext(f, e) => match self.ext().int_at(usize::from(*f)) {
                Some(i) => i,
                None => self.general_int(e)?,
            },
            FInt::ServiceExt(slot, f, e) => {
                match self
                    .bound_ext(*slot, *f)
                    .and_then(Option::as_ref)
                    .and_then(ext_int)
                {
                    Some(i) => i,
                    None => self.general_int(e)?,
                }
            }
            FInt::Expr(e) => self.general_int(e)?,
        })
    }

    /// Kept out of line: `fast_int` is inlined into every comparison, and most read no date.
    #[inline(never)]
    fn fast_date(&mut self, tz: chrono_tz::Tz, t: &'a FInt) -> Result<i64, EvalError> {
        let t = self.fast_int(t)?;
        local_date(t, tz)
    }

    #[inline(always)]
    fn fast_num(&mut self, f: &'a FNum) -> Result<f64, EvalError> {
        Ok(match f {
            FNum::Const(x) => *x,
            FNum::ErrorBudget(slot) => self.bound(*slot)?.error_budget,
            FNum::Int(i) => self.fast_int(i)? as f64,
            FNum::Ext(f, e) => match self.ext().num_at(usize::from(*f)) {
                Some(x) => x,
                _ => self.general_num(e)?,
            },
            FNum::ServiceExt(slot, f, e) => match self.bound_ext(*slot, *f) {
                Some(Some(Value::Float(x))) => *x,
                Some(Some(Value::Int(i))) => *i as f64,
                _ => self.general_num(e)?,
            },
            FNum::Expr(e) => self.general_num(e)?,
        })
    }

    #[inline(always)]
    fn fast_str(&mut self, f: &'a FStr) -> Result<Cow<'a, str>, EvalError> {
        let c = self.change;
        Ok(Cow::Borrowed(match f {
            FStr::Const(s) => s,
            FStr::Id => &c.id,
            FStr::Title => &c.title,
            FStr::Requester => &c.requester,
            FStr::Implementer => &c.implementer,
            FStr::ServiceId(slot) => &self.bound(*slot)?.id,
            FStr::ServiceTeam(slot) => &self.bound(*slot)?.team,
            // Borrowed from the change's JSON, or from a change read for the policy.
            FStr::Ext(f, e) => match self.ext().str_at(usize::from(*f)) {
                Some(s) => s,
                _ => return self.general_str(e),
            },
            FStr::ServiceExt(slot, f, e) => match self.bound_ext(*slot, *f) {
                Some(Some(Value::Str(Cow::Borrowed(s)))) => s,
                _ => return self.general_str(e),
            },
            FStr::Expr(e) => return self.general_str(e),
        }))
    }

    #[inline(always)]
    fn fast_strs(&self, f: FStrs) -> Result<&'a [String], EvalError> {
        let c = self.change;
        Ok(match f {
            FStrs::Kind => &c.kind,
            FStrs::Labels => &c.labels,
            FStrs::After => &c.after,
            FStrs::Regions => &self.prep.regions,
            FStrs::ServiceRegions(slot) => &self.bound(slot)?.regions,
            FStrs::ServiceDependsOn(slot) => &self.bound(slot)?.depends_on,
        })
    }
}

/// An integer-like value (int, duration, date-time, date), as `fast_int` compares it.
#[inline(always)]
fn ext_int(v: &Value<'_>) -> Option<i64> {
    match v {
        Value::Int(i) | Value::Duration(i) | Value::DateTime(i) | Value::Date(i) => Some(*i),
        _ => None,
    }
}

/// The strings of a list, wherever it is kept.
#[derive(Clone, Copy)]
enum StrItems<'a> {
    Strs(&'a [String]),
    Consts(&'a [Box<str>]),
    /// An `extend` list of strings, each element checked when the session read it.
    Json(&'a [serde_json::Value]),
}

impl<'a> StrItems<'a> {
    fn len(self) -> usize {
        match self {
            StrItems::Strs(s) => s.len(),
            StrItems::Consts(s) => s.len(),
            StrItems::Json(s) => s.len(),
        }
    }

    /// Whether `f` holds for some element (stopping at the first), or its error.
    #[inline(always)]
    fn any(self, mut f: impl FnMut(&'a str) -> Result<bool, EvalError>) -> Result<bool, EvalError> {
        match self {
            StrItems::Strs(s) => {
                for x in s {
                    if f(x)? {
                        return Ok(true);
                    }
                }
            }
            StrItems::Consts(s) => {
                for x in s {
                    if f(x)? {
                        return Ok(true);
                    }
                }
            }
            StrItems::Json(s) => {
                for x in s.iter().filter_map(serde_json::Value::as_str) {
                    if f(x)? {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }
}
