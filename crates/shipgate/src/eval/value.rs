//! Runtime values: borrowed from the inputs wherever possible, so evaluation allocates little.

use std::borrow::Cow;

use crate::check::ir::{CExpr, ExtField, Ty};
use crate::input::fields::FieldRef;
use crate::input::{Approval, Check, Incident, Waiver};

/// A list value without copying the input it comes from.
#[derive(Debug, Clone)]
pub enum ListVal<'a> {
    Strs(&'a [String]),
    /// `change.checks`: the names of the checks that count as passed at `now` (unix seconds),
    /// in input order (see `passed_checks`).
    Checks(&'a [Check], i64),
    Services(Cow<'a, [u32]>),
    /// Services by catalog index, read as their ids (`s.upstream`).
    Ids(Cow<'a, [u32]>),
    Approvals(&'a [Approval]),
    Waivers(&'a [Waiver]),
    /// A list literal of the policy, evaluated element by element.
    Exprs(&'a [CExpr]),
    /// An `extend` field's JSON array, read with its declared element type.
    Json(&'a [serde_json::Value], &'a Ty),
}

impl ListVal<'_> {
    pub fn len(&self) -> usize {
        match self {
            ListVal::Strs(s) => s.len(),
            ListVal::Checks(c, now) => passed_checks(c, *now).count(),
            ListVal::Services(s) | ListVal::Ids(s) => s.len(),
            ListVal::Approvals(a) => a.len(),
            ListVal::Waivers(w) => w.len(),
            ListVal::Exprs(e) => e.len(),
            ListVal::Json(j, _) => j.len(),
        }
    }
}

/// The names of the checks that count as passed at `now`, by the rule of a `require check`
/// without `within` (`rules::judge_check`): what a policy reads as `change.checks`.
pub fn passed_checks(checks: &[Check], now: i64) -> impl Iterator<Item = &str> {
    checks
        .iter()
        .filter(move |c| super::rules::judge_check(c, now, None).is_none())
        .map(|c| c.name.as_str())
}

#[derive(Debug, Clone)]
pub enum Value<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    /// seconds
    Duration(i64),
    /// unix seconds
    DateTime(i64),
    /// days since 1970-01-01
    Date(i64),
    Tier(u8),
    Change,
    Service(u32),
    Approval(&'a Approval),
    Incident(&'a Incident),
    Waiver(&'a Waiver),
    List(ListVal<'a>),
    /// A record of an `extend` field (`{service: string, taken_at: datetime}`): its JSON
    /// object, already checked against its type, whose fields are read when named.
    Record(
        &'a serde_json::Map<String, serde_json::Value>,
        &'a [ExtField],
    ),
}

impl<'a> Value<'a> {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Duration(i) | Value::DateTime(i) | Value::Date(i) => Some(*i),
            Value::Tier(t) => Some(i64::from(*t)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The value of a built-in field as the input holds it (`input::fields`); `None` when an
/// optional field is absent. A field the evaluator resolves itself is an error here.
#[inline(always)]
pub fn field_value(f: FieldRef<'_>) -> Result<Option<Value<'_>>, EvalError> {
    Ok(Some(match f {
        FieldRef::Bool(b) => Value::Bool(b),
        FieldRef::Int(i) => Value::Int(i),
        FieldRef::Float(x) => Value::Float(x),
        FieldRef::Str(s) => Value::Str(Cow::Borrowed(s)),
        FieldRef::Duration(secs) => Value::Duration(secs),
        FieldRef::DateTime(t) => Value::DateTime(t.timestamp()),
        FieldRef::OptDateTime(t) => match t {
            Some(t) => Value::DateTime(t.timestamp()),
            None => return Ok(None),
        },
        FieldRef::Strs(s) => Value::List(ListVal::Strs(s)),
        FieldRef::Approvals(a) => Value::List(ListVal::Approvals(a)),
        FieldRef::Waivers(w) => Value::List(ListVal::Waivers(w)),
        FieldRef::OptIncident(i) => match i {
            Some(i) => Value::Incident(i),
            None => return Ok(None),
        },
        FieldRef::Computed => return Err(EvalError::new("field resolved at evaluation")),
    }))
}

/// Why an expression could not be evaluated. Evaluation fails closed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// Boxed, so that `Result<bool, EvalError>` fits in two registers: conditions return it
    /// at every step, and errors are rare.
    pub message: Box<str>,
}

impl EvalError {
    #[cold]
    pub fn new(message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into().into_boxed_str(),
        }
    }
}

pub type EvalResult<'a> = Result<Value<'a>, EvalError>;
