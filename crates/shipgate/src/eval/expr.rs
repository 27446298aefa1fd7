//! The expression evaluator over the compiled IR.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{Datelike, TimeZone, Timelike};

use super::value::{EvalError, EvalResult, ListVal, Value, field_value};
use super::{Prepared, ext_value};
use crate::check::ir::*;
use crate::graph::Catalog;
use crate::input::{Change, JsonPath};
use crate::span::SourceMap;
use crate::time::format_duration;

/// Everything an expression can read during one evaluation.
pub struct Ctx<'a> {
    pub ir: &'a PolicyIr,
    /// The conditions' fast forms, by `Cond::id` (see `lower`).
    pub programs: &'a [super::fast::Program],
    /// The runs of rules that only deny, fused (`lower::fuse`).
    pub fused: &'a [super::fast::Fused],
    pub sources: &'a SourceMap,
    pub change: &'a Change,
    pub catalog: &'a Catalog,
    pub prep: &'a Prepared<'a>,
    /// The session's `extend change` slots (`prep.facts().change_ext`), at hand.
    pub change_ext: &'a super::prepare::Slots<'a>,
    pub tier: u8,
    pub now: i64,
    /// Quantifier variables of the general evaluator, by slot (grown by `bind`).
    pub vars: smallvec::SmallVec<[Value<'a>; 4]>,
    /// The services bound by the fast quantifiers (`eval::fast`), by slot.
    pub bound: [Option<&'a crate::input::Service>; super::fast::BOUND_SLOTS],
    /// Their positions among the touched services when the quantifier runs over those (the
    /// session's `extend service` slots are by that position), else `u32::MAX`.
    pub bound_pos: [u32; super::fast::BOUND_SLOTS],
    /// Decide every condition with the general evaluator, ignoring the fast forms (the
    /// reference the tests compare the fast forms with).
    pub reference: bool,
    /// `approvals("group")` by group index, counted once per decision: a call inside a
    /// quantifier must not walk every approval again for each element.
    pub approvals: smallvec::SmallVec<[(u16, usize); 2]>,
    /// Steps left in this decision's evaluation budget (see `charge`).
    pub budget: u64,
    /// The budget the decision started with (`Limit::EvalSteps` of its engine), for the
    /// error once it is spent.
    pub budget_of: u64,
    /// Whether the budget ran out: the decision then denies (`eval::decide`).
    pub over_budget: bool,
    /// The runs already scheduled, which `change.conflicts` counts (none: 0).
    pub scheduled: Option<&'a crate::input::Scheduled>,
}

// The evaluation budget of one decision (`Limit::EvalSteps`, by default 10,000,000), in
// steps: an element a quantifier visits, an element a list scan (`in`, `subset_of`,
// `intersects`) compares, a service reached through `s.dependents`, 64 bytes of a string
// compared or searched. Nested quantifiers over a large catalog are quadratic or worse
// (`any s in change.dependents: any d in s.dependents: ...` over a chain of 20,000 services
// visits 200 million services), so the work of a decision is bounded rather than linear; a
// real policy over a catalog of 10,000 services stays far below it. Running out is an
// evaluation error, which fails closed, and the decision denies with a reason that says so
// (docs/security.md).

/// The steps of comparing a string of `bytes` bytes.
#[inline(always)]
pub fn str_steps(bytes: usize) -> usize {
    1 + (bytes >> 6)
}

impl<'a> Ctx<'a> {
    /// Spends `steps` of the decision's budget; an error once it is spent.
    #[inline(always)]
    pub fn charge(&mut self, steps: usize) -> Result<(), EvalError> {
        match self.budget.checked_sub(steps as u64) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(self.exhausted()),
        }
    }

    #[cold]
    #[inline(never)]
    fn exhausted(&mut self) -> EvalError {
        self.budget = 0;
        self.over_budget = true;
        EvalError::new(budget_message(self.budget_of))
    }

    /// The length of a list; counting `change.checks` walks the evidence, so it is charged.
    pub(super) fn list_len(&mut self, l: &ListVal<'a>) -> Result<usize, EvalError> {
        if let ListVal::Checks(c, _) = l {
            self.charge(c.len())?;
        }
        Ok(l.len())
    }

    /// Sets a quantifier variable; the slots are made on first use (most decisions run no
    /// quantifier on the general evaluator).
    pub fn bind(&mut self, slot: usize, v: Value<'a>) {
        if self.vars.len() <= slot {
            self.vars.resize(slot + 1, Value::Bool(false));
        }
        if let Some(s) = self.vars.get_mut(slot) {
            *s = v;
        }
    }

    #[inline(always)]
    pub fn cond(&mut self, c: &'a Cond) -> Result<bool, EvalError> {
        if !self.reference
            && let Some(p) = self.programs.get(c.id as usize)
        {
            return self.run(p);
        }
        match self.eval(&c.expr)? {
            Value::Bool(b) => Ok(b),
            _ => Err(EvalError::new("condition is not a bool")),
        }
    }

    pub fn eval(&mut self, e: &'a CExpr) -> EvalResult<'a> {
        Ok(match e {
            CExpr::Const(c) => match c {
                Const::Bool(b) => Value::Bool(*b),
                Const::Int(i) => Value::Int(*i),
                Const::Float(f) => Value::Float(*f),
                Const::Str(s) => Value::Str(Cow::Borrowed(s)),
                Const::Duration(d) => Value::Duration(*d),
                Const::DateTime(t) => Value::DateTime(*t),
                Const::Date(d) => Value::Date(*d),
                Const::Tier(t) => Value::Tier(*t),
            },
            CExpr::List(items) => Value::List(ListVal::Exprs(items)),
            CExpr::Change => Value::Change,
            CExpr::Tier => Value::Tier(self.tier),
            CExpr::Now => Value::DateTime(self.now),
            CExpr::Var(slot) => self
                .vars
                .get(usize::from(*slot))
                .cloned()
                .ok_or_else(|| EvalError::new("unbound variable"))?,
            CExpr::Field(base, f, span) => {
                let b = self.eval(base)?;
                match self.field(&b, *f)? {
                    Some(v) => v,
                    None => {
                        return Err(EvalError::new(format!(
                            "`{}` is absent (guard it with `has`)",
                            self.sources.text(*span).trim()
                        )));
                    }
                }
            }
            CExpr::Has(base, f) => {
                let b = self.eval(base)?;
                Value::Bool(self.field(&b, *f)?.is_some())
            }
            CExpr::Not(x) => Value::Bool(!self.bool(x)?),
            CExpr::Named(x) => return self.eval(x),
            CExpr::Neg(x) => match self.eval(x)? {
                Value::Int(i) => Value::Int(i.checked_neg().ok_or_else(overflow)?),
                Value::Float(f) => Value::Float(-f),
                Value::Duration(d) => Value::Duration(d.checked_neg().ok_or_else(overflow)?),
                _ => return Err(type_error()),
            },
            CExpr::And(a, b) => Value::Bool(self.bool(a)? && self.bool(b)?),
            CExpr::Or(a, b) => Value::Bool(self.bool(a)? || self.bool(b)?),
            CExpr::Cmp(op, kind, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                Value::Bool(compare(*op, *kind, &x, &y, self)?)
            }
            CExpr::In(x, list) => {
                let x = self.eval(x)?;
                let Value::List(l) = self.eval(list)? else {
                    return Err(type_error());
                };
                Value::Bool(self.contains(&l, &x)?)
            }
            CExpr::Contains(needle, hay) => {
                let (n, h) = (self.eval(needle)?, self.eval(hay)?);
                match (n.as_str(), h.as_str()) {
                    (Some(n), Some(h)) => {
                        self.charge(str_steps(h.len()))?;
                        Value::Bool(h.contains(n))
                    }
                    _ => return Err(type_error()),
                }
            }
            CExpr::SubsetOf(a, b) => {
                let (Value::List(a), Value::List(b)) = (self.eval(a)?, self.eval(b)?) else {
                    return Err(type_error());
                };
                let mut all = true;
                for i in 0..self.list_len(&a)? {
                    let x = self.item(&a, i)?;
                    if !self.contains(&b, &x)? {
                        all = false;
                        break;
                    }
                }
                Value::Bool(all)
            }
            CExpr::Intersects(a, b) => {
                let (Value::List(a), Value::List(b)) = (self.eval(a)?, self.eval(b)?) else {
                    return Err(type_error());
                };
                let mut any = false;
                for i in 0..self.list_len(&a)? {
                    let x = self.item(&a, i)?;
                    if self.contains(&b, &x)? {
                        any = true;
                        break;
                    }
                }
                Value::Bool(any)
            }
            CExpr::Add(kind, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                arith(*kind, true, &x, &y)?
            }
            CExpr::Sub(kind, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                arith(*kind, false, &x, &y)?
            }
            CExpr::Quant(kind, slot, list, body) => {
                let Value::List(l) = self.eval(list)? else {
                    return Err(type_error());
                };
                let slot = usize::from(*slot);
                let mut count: i64 = 0;
                let mut result = matches!(kind, QuantKind::All);
                for i in 0..self.list_len(&l)? {
                    self.charge(1)?;
                    let v = self.item(&l, i)?;
                    self.bind(slot, v);
                    let holds = self.bool(body)?;
                    match kind {
                        QuantKind::Any if holds => {
                            result = true;
                            break;
                        }
                        QuantKind::All if !holds => {
                            result = false;
                            break;
                        }
                        QuantKind::Count if holds => count += 1,
                        _ => {}
                    }
                }
                match kind {
                    QuantKind::Count => Value::Int(count),
                    _ => Value::Bool(result),
                }
            }
            CExpr::Call(b, args) => self.call(*b, args)?,
        })
    }

    fn bool(&mut self, e: &'a CExpr) -> Result<bool, EvalError> {
        match self.eval(e)? {
            Value::Bool(b) => Ok(b),
            _ => Err(type_error()),
        }
    }

    /// Element `i` of a list.
    pub fn item(&mut self, l: &ListVal<'a>, i: usize) -> EvalResult<'a> {
        let missing = || EvalError::new("list index out of range");
        Ok(match l {
            ListVal::Strs(s) => Value::Str(Cow::Borrowed(s.get(i).ok_or_else(missing)?.as_str())),
            ListVal::Checks(c, now) => {
                let c: &'a [crate::input::Check] = c;
                // The i-th passed check is found by walking the evidence from the start.
                self.charge(i)?;
                let name = super::value::passed_checks(c, *now)
                    .nth(i)
                    .ok_or_else(missing)?;
                Value::Str(Cow::Borrowed(name))
            }
            ListVal::Services(s) => Value::Service(*s.get(i).ok_or_else(missing)?),
            ListVal::Ids(s) => {
                let idx = *s.get(i).ok_or_else(missing)?;
                let catalog: &'a Catalog = self.catalog;
                let service = catalog.service(idx).ok_or_else(missing)?;
                Value::Str(Cow::Borrowed(service.id.as_str()))
            }
            ListVal::Approvals(a) => Value::Approval(a.get(i).ok_or_else(missing)?),
            ListVal::Waivers(w) => Value::Waiver(w.get(i).ok_or_else(missing)?),
            ListVal::Exprs(e) => {
                let e: &'a [CExpr] = e;
                let x = e.get(i).ok_or_else(missing)?;
                self.eval(x)?
            }
            ListVal::Json(j, ty) => {
                let j: &'a [serde_json::Value] = j;
                let ty: &'a Ty = ty;
                let v = j.get(i).ok_or_else(missing)?;
                ext_value(v, ty, &JsonPath::Root("list element").index(i)).map_err(input_error)?
            }
        })
    }

    pub(super) fn contains(&mut self, l: &ListVal<'a>, x: &Value<'a>) -> Result<bool, EvalError> {
        // Fast paths for the common shapes.
        match (l, x) {
            // An `extend` list of strings, whose elements the session checked.
            (ListVal::Json(items, Ty::Str), Value::Str(x)) => {
                self.charge(items.len().saturating_mul(str_steps(x.len())))?;
                return Ok(items.iter().any(|s| s.as_str() == Some(x)));
            }
            (ListVal::Strs(s), Value::Str(x)) => {
                self.charge(s.len().saturating_mul(str_steps(x.len())))?;
                return Ok(s.iter().any(|s| s == x));
            }
            (ListVal::Checks(c, now), Value::Str(x)) => {
                self.charge(c.len().saturating_mul(str_steps(x.len())))?;
                return Ok(super::value::passed_checks(c, *now).any(|s| s == x));
            }
            (ListVal::Services(s), Value::Service(x)) => {
                self.charge(s.len())?;
                return Ok(s.contains(x));
            }
            // An id is in `s.upstream` when its service is: one lookup, not a scan.
            (ListVal::Ids(s), Value::Str(x)) => {
                self.charge(str_steps(x.len()))?;
                return Ok(self
                    .catalog
                    .index_of(x)
                    .is_some_and(|i| s.binary_search(&i).is_ok()));
            }
            _ => {}
        }
        for i in 0..self.list_len(l)? {
            self.charge(1)?;
            let y = self.item(l, i)?;
            if equal(x, &y, self)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reads a field; `None` when an optional field is absent.
    fn field(&mut self, base: &Value<'a>, f: Field) -> Result<Option<Value<'a>>, EvalError> {
        let c = self.change;
        let p = self.prep;
        Ok(Some(match (base, f) {
            (Value::Change, Field::Change(cf)) => {
                use ChangeField as F;
                match cf {
                    F::Services => Value::List(ListVal::Services(Cow::Borrowed(&p.services))),
                    F::Start => Value::DateTime(p.start),
                    F::End => Value::DateTime(p.end),
                    F::Regions => Value::List(ListVal::Strs(&p.regions)),
                    F::Checks => Value::List(ListVal::Checks(&c.checks, self.now)),
                    F::Dependents => {
                        Value::List(ListVal::Services(Cow::Borrowed(p.dependents(self.catalog))))
                    }
                    F::BlastRadius => Value::Int(
                        i64::try_from(p.dependents(self.catalog).len()).unwrap_or(i64::MAX),
                    ),
                    F::Conflicts => {
                        let n = match self.scheduled {
                            // Counted only when a condition reads it: the planner gives every
                            // session its planned runs, and most policies never read them.
                            Some(s) => {
                                let (n, looked) = super::conflicts::count(
                                    s,
                                    self.catalog,
                                    &c.id,
                                    &p.services,
                                    p.start,
                                    p.end,
                                );
                                self.charge(looked)?;
                                n
                            }
                            None => 0,
                        };
                        Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
                    }
                    _ => return field_value(c.field(cf)),
                }
            }
            (Value::Change, Field::ChangeExt(i)) => {
                let facts: &'a super::prepare::Facts<'a> = p.facts();
                match facts.change_ext.value(usize::from(i)) {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            (Value::Service(idx), Field::Service(sf)) => {
                use ServiceField as F;
                let s = self
                    .catalog
                    .service(*idx)
                    .ok_or_else(|| EvalError::new("service index out of range"))?;
                match sf {
                    F::Dependents => {
                        // Each service's own walk: nested under a quantifier over services,
                        // these walks are what makes a decision quadratic (see `charge`).
                        self.charge(1)?;
                        let reached = self.catalog.dependents(&[*idx]);
                        self.charge(reached.len())?;
                        Value::List(ListVal::Services(Cow::Owned(reached)))
                    }
                    F::Upstream => {
                        // Charged as `dependents` is: one step, then one per service reached.
                        self.charge(1)?;
                        let reached = self.catalog.dependencies(&[*idx]);
                        self.charge(reached.len())?;
                        Value::List(ListVal::Ids(Cow::Owned(reached)))
                    }
                    _ => return field_value(s.field(sf)),
                }
            }
            (Value::Service(idx), Field::ServiceExt(i)) => {
                // A touched service's value was read and checked when the session began.
                if let Some(slot) = p
                    .touched_position(*idx)
                    .and_then(|pos| p.touched_ext(pos, i))
                {
                    return Ok(slot.clone());
                }
                let s = self
                    .catalog
                    .service(*idx)
                    .ok_or_else(|| EvalError::new("service index out of range"))?;
                let f = self
                    .ir
                    .service_ext
                    .get(usize::from(i))
                    .ok_or_else(|| EvalError::new("field index out of range"))?;
                match s.extra.get(&f.name) {
                    None | Some(serde_json::Value::Null) => {
                        if matches!(f.ty, Ty::Opt(_)) {
                            return Ok(None);
                        }
                        return Err(EvalError::new(format!(
                            "catalog service \"{}\" has no field `{}`",
                            s.id, f.name
                        )));
                    }
                    Some(v) => {
                        let services = JsonPath::Root("catalog.services");
                        let service = services.index(*idx as usize);
                        ext_value(v, f.ty.unopt(), &service.key(&f.name)).map_err(|e| {
                            EvalError::new(format!("catalog service \"{}\": {e}", s.id))
                        })?
                    }
                }
            }
            (Value::Record(map, fields), Field::Record(i)) => {
                let f = fields
                    .get(usize::from(i))
                    .ok_or_else(|| EvalError::new("field index out of range"))?;
                match map.get(&f.name) {
                    None | Some(serde_json::Value::Null) => return Ok(None),
                    Some(v) => {
                        ext_value(v, f.ty.unopt(), &JsonPath::Root(&f.name)).map_err(input_error)?
                    }
                }
            }
            (Value::Approval(a), Field::Approval(f)) => return field_value(a.field(f)),
            (Value::Incident(i), Field::Incident(f)) => return field_value(i.field(f)),
            (Value::Waiver(w), Field::Waiver(f)) => return field_value(w.field(f)),
            _ => return Err(type_error()),
        }))
    }

    fn call(&mut self, b: Builtin, args: &'a [CExpr]) -> EvalResult<'a> {
        let arg = |i: usize| args.get(i).ok_or_else(type_error);
        Ok(match b {
            Builtin::Len => match self.eval(arg(0)?)? {
                Value::List(l) => Value::Int(i64::try_from(self.list_len(&l)?).unwrap_or(i64::MAX)),
                Value::Str(s) => {
                    self.charge(str_steps(s.len()))?;
                    Value::Int(i64::try_from(s.chars().count()).unwrap_or(i64::MAX))
                }
                _ => return Err(type_error()),
            },
            Builtin::Approvals(g) => {
                let counted = match self.approvals.iter().find(|(k, _)| *k == g) {
                    Some(&(_, n)) => n,
                    None => {
                        let group = self.ir.groups.get(usize::from(g)).ok_or_else(type_error)?;
                        let n =
                            super::approvals_counted(self.change, self.catalog, group, self.now);
                        self.approvals.push((g, n));
                        n
                    }
                };
                Value::Int(i64::try_from(counted).unwrap_or(i64::MAX))
            }
            Builtin::StartsWith | Builtin::EndsWith => {
                let (a, b2) = (self.eval(arg(0)?)?, self.eval(arg(1)?)?);
                let (Some(a), Some(b2)) = (a.as_str(), b2.as_str()) else {
                    return Err(type_error());
                };
                Value::Bool(if b == Builtin::StartsWith {
                    a.starts_with(b2)
                } else {
                    a.ends_with(b2)
                })
            }
            Builtin::Lower => match self.eval(arg(0)?)? {
                Value::Str(s) => Value::Str(Cow::Owned(s.to_lowercase())),
                _ => return Err(type_error()),
            },
            Builtin::Date(tz) => {
                let Value::DateTime(t) = self.eval(arg(0)?)? else {
                    return Err(type_error());
                };
                Value::Date(local_date(t, tz)?)
            }
            Builtin::Weekday(tz) | Builtin::Hour(tz) => {
                let Value::DateTime(t) = self.eval(arg(0)?)? else {
                    return Err(type_error());
                };
                let local = tz
                    .timestamp_opt(t, 0)
                    .single()
                    .ok_or_else(|| EvalError::new("date-time out of range"))?;
                if let Builtin::Hour(_) = b {
                    Value::Int(i64::from(local.hour()))
                } else {
                    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
                    let d = DAYS
                        .get(local.weekday().num_days_from_monday() as usize)
                        .copied()
                        .unwrap_or("mon");
                    Value::Str(Cow::Borrowed(d))
                }
            }
        })
    }
}

/// The calendar date of the instant `t` (unix seconds) in `tz`, as days since 1970-01-01.
#[inline]
pub(super) fn local_date(t: i64, tz: chrono_tz::Tz) -> Result<i64, EvalError> {
    let local = tz
        .timestamp_opt(t, 0)
        .single()
        .ok_or_else(|| EvalError::new("date-time out of range"))?;
    Ok(local
        .date_naive()
        .signed_duration_since(crate::time::epoch_date())
        .num_days())
}

/// A value of an `extend` field that does not read as its type, met while evaluating (a
/// service reached through `dependents` is not checked up front).
#[cold]
fn input_error(e: crate::error::InputError) -> EvalError {
    EvalError::new(e.to_string())
}

pub(super) fn type_error() -> EvalError {
    EvalError::new("internal type error")
}

fn overflow() -> EvalError {
    EvalError::new("arithmetic overflow")
}

fn arith<'a>(kind: ArithKind, add: bool, x: &Value<'a>, y: &Value<'a>) -> EvalResult<'a> {
    let ints = || match (x.as_i64(), y.as_i64()) {
        (Some(a), Some(b)) => {
            let r = if add {
                a.checked_add(b)
            } else {
                a.checked_sub(b)
            };
            r.ok_or_else(overflow)
        }
        _ => Err(type_error()),
    };
    Ok(match kind {
        ArithKind::Int => Value::Int(ints()?),
        ArithKind::Duration => Value::Duration(ints()?),
        ArithKind::DateTimeDuration => Value::DateTime(ints()?),
        ArithKind::DateTimeDiff => Value::Duration(ints()?),
        ArithKind::Float => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => Value::Float(if add { a + b } else { a - b }),
            _ => return Err(type_error()),
        },
    })
}

#[inline(always)]
pub(super) fn ordering_holds(op: CmpOp, o: Option<Ordering>) -> bool {
    match o {
        // NaN compares false except `!=`.
        None => op == CmpOp::Ne,
        Some(o) => match op {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        },
    }
}

fn compare<'a>(
    op: CmpOp,
    kind: CmpKind,
    x: &Value<'a>,
    y: &Value<'a>,
    ctx: &mut Ctx<'a>,
) -> Result<bool, EvalError> {
    let o = match kind {
        CmpKind::Int | CmpKind::Duration | CmpKind::DateTime | CmpKind::Date | CmpKind::Tier => {
            match (x.as_i64(), y.as_i64()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => return Err(type_error()),
            }
        }
        CmpKind::Num => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => return Err(type_error()),
        },
        CmpKind::Str => match (x.as_str(), y.as_str()) {
            (Some(a), Some(b)) => {
                ctx.charge(str_steps(a.len().min(b.len())))?;
                Some(a.cmp(b))
            }
            _ => return Err(type_error()),
        },
        CmpKind::Bool => match (x, y) {
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => return Err(type_error()),
        },
        CmpKind::Any => {
            let eq = equal(x, y, ctx)?;
            return Ok(if op == CmpOp::Ne { !eq } else { eq });
        }
    };
    Ok(ordering_holds(op, o))
}

/// Structural equality of two values of comparable types.
pub fn equal<'a>(x: &Value<'a>, y: &Value<'a>, ctx: &mut Ctx<'a>) -> Result<bool, EvalError> {
    Ok(match (x, y) {
        (Value::Str(a), Value::Str(b)) => {
            ctx.charge(str_steps(a.len().min(b.len())))?;
            a == b
        }
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Service(a), Value::Service(b)) => a == b,
        (Value::Change, Value::Change) => true,
        (Value::Approval(a), Value::Approval(b)) => a == b,
        (Value::Incident(a), Value::Incident(b)) => a == b,
        (Value::Waiver(a), Value::Waiver(b)) => a == b,
        (Value::Record(a, fields), Value::Record(b, _)) => {
            // Records of one type: equal when every field is (an absent optional field
            // equals only an absent one).
            for f in fields.iter() {
                let read = |m: &'a serde_json::Map<String, serde_json::Value>| match m.get(&f.name)
                {
                    None | Some(serde_json::Value::Null) => Ok(None),
                    Some(v) => ext_value(v, f.ty.unopt(), &JsonPath::Root(&f.name))
                        .map(Some)
                        .map_err(input_error),
                };
                let same = match (read(a)?, read(b)?) {
                    (None, None) => true,
                    (Some(p), Some(q)) => equal(&p, &q, ctx)?,
                    _ => false,
                };
                if !same {
                    return Ok(false);
                }
            }
            true
        }
        (Value::List(a), Value::List(b)) => {
            if a.len() != b.len() {
                return Ok(false);
            }
            for i in 0..a.len() {
                let (p, q) = (ctx.item(a, i)?, ctx.item(b, i)?);
                if !equal(&p, &q, ctx)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Float(_), _) | (_, Value::Float(_)) => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        _ => match (x.as_i64(), y.as_i64()) {
            (Some(a), Some(b)) => std::mem::discriminant(x) == std::mem::discriminant(y) && a == b,
            _ => false,
        },
    })
}

/// A value as message text; a list is its items separated by commas (`database, config`).
pub fn render<'a>(v: &Value<'a>, ctx: &mut Ctx<'a>) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.to_string(),
        Value::Duration(d) => format_duration(*d),
        Value::DateTime(t) => chrono::DateTime::from_timestamp(*t, 0)
            .map(crate::time::format_instant)
            .unwrap_or_else(|| t.to_string()),
        Value::Date(d) => (crate::time::epoch_date() + chrono::Duration::days(*d)).to_string(),
        Value::Tier(t) => ctx
            .ir
            .tiers
            .get(usize::from(*t))
            .cloned()
            .unwrap_or_default(),
        Value::Change => ctx.change.id.clone(),
        Value::Service(i) => ctx
            .catalog
            .service(*i)
            .map(|s| s.id.clone())
            .unwrap_or_default(),
        Value::Approval(a) => a.by.clone(),
        Value::Incident(i) => i.id.clone(),
        // What the waiver lifts: its rule, or for a blackout waiver the blackout's name.
        Value::Waiver(w) if w.rule.is_empty() => w.blackout.clone(),
        Value::Waiver(w) => w.rule.clone(),
        Value::Record(map, fields) => {
            let mut parts = Vec::with_capacity(fields.len());
            for f in fields.iter() {
                let shown = match map.get(&f.name) {
                    None | Some(serde_json::Value::Null) => String::from("<absent>"),
                    Some(v) => match ext_value(v, f.ty.unopt(), &JsonPath::Root(&f.name)) {
                        Ok(value) => render(&value, ctx),
                        Err(_) => String::from("<invalid>"),
                    },
                };
                parts.push(format!("{}: {shown}", f.name));
            }
            format!("{{{}}}", parts.join(", "))
        }
        Value::List(l) => {
            let mut items = Vec::with_capacity(l.len());
            for i in 0..l.len() {
                match ctx.item(l, i) {
                    Ok(item) => items.push(render(&item, ctx)),
                    Err(_) => items.push(String::from("<invalid>")),
                }
            }
            items.join(", ")
        }
    }
}

/// The error of a decision that ran out of its evaluation budget (`fail_closed` and the
/// `budget` reason add "; failing closed").
pub fn budget_message(steps: u64) -> String {
    format!(
        "the decision exceeded its evaluation budget of {steps} steps (nested quantifiers \
         over large lists or a large catalog; {})",
        crate::limits::Limit::EvalSteps.raise_hint()
    )
}
