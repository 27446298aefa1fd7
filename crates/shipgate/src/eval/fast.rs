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

use super::expr::{Ctx, ordering_holds, type_error};
use super::value::{EvalError, Value};
use crate::check::ir::*;
use crate::syntax::ast::CmpOp;

/// A boolean condition.
#[derive(Debug, Clone, PartialEq)]
pub enum FBool {
    Const(bool),
    /// `change.emergency`, `change.backward_compatible`, `change.contract_verified`.
    ChangeFlag(ChangeField),
    /// A boolean field of the service bound to a quantifier's slot.
    ServiceFlag(u16, ServiceField),
    /// `change has incident`.
    HasIncident,
    Not(Box<FBool>),
    And(Box<FBool>, Box<FBool>),
    Or(Box<FBool>, Box<FBool>),
    /// An integer-like comparison (int, duration, date-time, date, tier).
    Int(CmpOp, FInt, FInt),
    /// A numeric comparison where one side is a float.
    Num(CmpOp, FNum, FNum),
    Str(CmpOp, FStr, FStr),
    /// A string in a list of strings.
    StrIn(FStr, FStrs),
    /// `any`/`all` over the touched services or their dependents.
    Services(QuantKind, u16, Services, Box<FBool>),
    /// Any other shape: the general evaluator.
    Expr(CExpr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Services {
    Touched,
    Dependents,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FInt {
    Const(i64),
    Size,
    Duration,
    Start,
    End,
    Now,
    Tier,
    ServiceTier(u16),
    Expr(CExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum FNum {
    Const(f64),
    ErrorBudget(u16),
    Int(FInt),
    Expr(CExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum FStr {
    Const(Box<str>),
    Id,
    Title,
    Requester,
    Implementer,
    ServiceId(u16),
    ServiceTeam(u16),
    Expr(CExpr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FStrs {
    Kind,
    Checks,
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

/// `<slot>.<f>` for a service bound to a slot.
fn service_field(e: &CExpr) -> Option<(u16, ServiceField)> {
    match e {
        CExpr::Field(base, Field::Service(f), _) => var(base).map(|s| (s, *f)),
        _ => None,
    }
}

pub fn compile(e: &CExpr) -> FBool {
    use ChangeField as C;
    use ServiceField as S;
    if let Some(f) = change_field(e)
        && matches!(
            f,
            C::Emergency | C::BackwardCompatible | C::ContractVerified
        )
    {
        return FBool::ChangeFlag(f);
    }
    if let Some((slot, f)) = service_field(e)
        && matches!(
            f,
            S::Stateful | S::AutomatedRollback | S::Legacy | S::Monitored
        )
    {
        return FBool::ServiceFlag(slot, f);
    }
    match e {
        CExpr::Const(Const::Bool(b)) => FBool::Const(*b),
        CExpr::Has(base, Field::Change(C::Incident)) if **base == CExpr::Change => {
            FBool::HasIncident
        }
        CExpr::Not(x) => FBool::Not(Box::new(compile(x))),
        CExpr::And(a, b) => FBool::And(Box::new(compile(a)), Box::new(compile(b))),
        CExpr::Or(a, b) => FBool::Or(Box::new(compile(a)), Box::new(compile(b))),
        CExpr::Cmp(op, kind, a, b) => match kind {
            CmpKind::Int
            | CmpKind::Duration
            | CmpKind::DateTime
            | CmpKind::Date
            | CmpKind::Tier => FBool::Int(*op, int(a), int(b)),
            CmpKind::Num => FBool::Num(*op, num(a), num(b)),
            CmpKind::Str => FBool::Str(*op, string(a), string(b)),
            _ => FBool::Expr(e.clone()),
        },
        CExpr::In(x, list) => match (string(x), strings(list)) {
            (FStr::Expr(_), _) | (_, None) => FBool::Expr(e.clone()),
            (s, Some(l)) => FBool::StrIn(s, l),
        },
        CExpr::Quant(kind @ (QuantKind::Any | QuantKind::All), slot, list, body) => {
            let source = match change_field(list) {
                Some(C::Services) => Services::Touched,
                Some(C::Dependents) => Services::Dependents,
                _ => return FBool::Expr(e.clone()),
            };
            FBool::Services(*kind, *slot, source, Box::new(compile(body)))
        }
        _ => FBool::Expr(e.clone()),
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
    match e {
        CExpr::Const(Const::Int(i) | Const::Duration(i) | Const::DateTime(i) | Const::Date(i)) => {
            FInt::Const(*i)
        }
        CExpr::Const(Const::Tier(t)) => FInt::Const(i64::from(*t)),
        CExpr::Now => FInt::Now,
        CExpr::Tier => FInt::Tier,
        _ => FInt::Expr(e.clone()),
    }
}

/// A number compared with a float: only `int` and `float` values convert (as `as_f64`).
fn num(e: &CExpr) -> FNum {
    match service_field(e) {
        Some((slot, ServiceField::ErrorBudget)) => return FNum::ErrorBudget(slot),
        Some((slot, ServiceField::Tier)) => return FNum::Int(FInt::ServiceTier(slot)),
        _ => {}
    }
    match e {
        CExpr::Const(Const::Float(f)) => FNum::Const(*f),
        CExpr::Const(Const::Int(i)) => FNum::Int(FInt::Const(*i)),
        _ if change_field(e) == Some(ChangeField::Size) => FNum::Int(FInt::Size),
        _ => FNum::Expr(e.clone()),
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
    match service_field(e) {
        Some((slot, ServiceField::Id)) => return FStr::ServiceId(slot),
        Some((slot, ServiceField::Team)) => return FStr::ServiceTeam(slot),
        _ => {}
    }
    match e {
        CExpr::Const(Const::Str(s)) => FStr::Const(s.clone()),
        _ => FStr::Expr(e.clone()),
    }
}

fn strings(e: &CExpr) -> Option<FStrs> {
    use ChangeField as C;
    if let Some(f) = change_field(e) {
        return match f {
            C::Kind => Some(FStrs::Kind),
            C::Checks => Some(FStrs::Checks),
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

impl<'a> Ctx<'a> {
    /// The service bound to `slot` (a quantifier over services is running).
    fn bound(&self, slot: u16) -> Result<&'a crate::input::Service, EvalError> {
        match self.vars.get(usize::from(slot)) {
            Some(Value::Service(i)) => self
                .catalog
                .service(*i)
                .ok_or_else(|| EvalError::new("service index out of range")),
            _ => Err(type_error()),
        }
    }

    pub fn fast_bool(&mut self, f: &'a FBool) -> Result<bool, EvalError> {
        use ServiceField as S;
        Ok(match f {
            FBool::Const(b) => *b,
            FBool::ChangeFlag(cf) => match cf {
                ChangeField::Emergency => self.change.emergency,
                ChangeField::BackwardCompatible => self.change.backward_compatible,
                ChangeField::ContractVerified => self.change.contract_verified,
                _ => return Err(type_error()),
            },
            FBool::ServiceFlag(slot, sf) => {
                let s = self.bound(*slot)?;
                match sf {
                    S::Stateful => s.stateful,
                    S::AutomatedRollback => s.automated_rollback,
                    S::Legacy => s.legacy,
                    S::Monitored => s.monitored,
                    _ => return Err(type_error()),
                }
            }
            FBool::HasIncident => self.change.incident.is_some(),
            FBool::Not(x) => !self.fast_bool(x)?,
            FBool::And(a, b) => self.fast_bool(a)? && self.fast_bool(b)?,
            FBool::Or(a, b) => self.fast_bool(a)? || self.fast_bool(b)?,
            FBool::Int(op, a, b) => {
                let (x, y) = (self.fast_int(a)?, self.fast_int(b)?);
                ordering_holds(*op, Some(x.cmp(&y)))
            }
            FBool::Num(op, a, b) => {
                let (x, y) = (self.fast_num(a)?, self.fast_num(b)?);
                ordering_holds(*op, x.partial_cmp(&y))
            }
            FBool::Str(op, a, b) => {
                let x = self.fast_str(a)?;
                let y = self.fast_str(b)?;
                ordering_holds(*op, Some(x.as_ref().cmp(y.as_ref())))
            }
            FBool::StrIn(x, list) => {
                let x = self.fast_str(x)?;
                self.fast_strs(*list)?.iter().any(|s| *s == *x)
            }
            FBool::Services(kind, slot, source, body) => {
                let list: &'a [u32] = match source {
                    Services::Touched => &self.prep.services,
                    Services::Dependents => self.prep.dependents(self.catalog),
                };
                let all = *kind == QuantKind::All;
                for i in list {
                    match self.vars.get_mut(usize::from(*slot)) {
                        Some(v) => *v = Value::Service(*i),
                        None => return Err(EvalError::new("unbound variable")),
                    }
                    if self.fast_bool(body)? != all {
                        return Ok(!all);
                    }
                }
                all
            }
            FBool::Expr(e) => match self.eval(e)? {
                Value::Bool(b) => b,
                _ => return Err(type_error()),
            },
        })
    }

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
            FInt::Expr(e) => self.eval(e)?.as_i64().ok_or_else(type_error)?,
        })
    }

    fn fast_num(&mut self, f: &'a FNum) -> Result<f64, EvalError> {
        Ok(match f {
            FNum::Const(x) => *x,
            FNum::ErrorBudget(slot) => self.bound(*slot)?.error_budget,
            FNum::Int(i) => self.fast_int(i)? as f64,
            FNum::Expr(e) => self.eval(e)?.as_f64().ok_or_else(type_error)?,
        })
    }

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
            FStr::Expr(e) => {
                return match self.eval(e)? {
                    Value::Str(s) => Ok(s),
                    _ => Err(type_error()),
                };
            }
        }))
    }

    fn fast_strs(&self, f: FStrs) -> Result<&'a [String], EvalError> {
        let c = self.change;
        Ok(match f {
            FStrs::Kind => &c.kind,
            FStrs::Checks => &c.checks,
            FStrs::Labels => &c.labels,
            FStrs::After => &c.after,
            FStrs::Regions => &self.prep.regions,
            FStrs::ServiceRegions(slot) => &self.bound(slot)?.regions,
            FStrs::ServiceDependsOn(slot) => &self.bound(slot)?.depends_on,
        })
    }
}
