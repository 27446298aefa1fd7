//! The compiled form of a policy set: names resolved to indices and slots, types known.
//!
//! The evaluator walks this and nothing else: no strings are looked up by name at evaluation.

use crate::calendar::{CalendarId, CalendarSet};
use crate::decision::Text;
use crate::span::Span;

/// A value type of the language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Int,
    Float,
    Str,
    Duration,
    DateTime,
    Date,
    Tier,
    List(Box<Ty>),
    /// `T?`: a field that may be absent.
    Opt(Box<Ty>),
    Service,
    Change,
    Approval,
    Incident,
    Waiver,
    /// `{name: T, ...}`: a record of an `extend` field, its fields in declaration order.
    Record(Box<[ExtField]>),
    /// The element type of an empty list literal: compatible with anything.
    Any,
}

impl Ty {
    pub fn list(t: Ty) -> Ty {
        Ty::List(Box::new(t))
    }

    pub fn opt(t: Ty) -> Ty {
        Ty::Opt(Box::new(t))
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }

    /// The type with one level of `?` removed.
    pub fn unopt(&self) -> &Ty {
        match self {
            Ty::Opt(t) => t,
            t => t,
        }
    }

    /// Whether a value of `self` can be compared for equality with one of `other`.
    pub fn comparable(&self, other: &Ty) -> bool {
        match (self.unopt(), other.unopt()) {
            (Ty::Any, _) | (_, Ty::Any) => true,
            (a, b) if a.is_numeric() && b.is_numeric() => true,
            (Ty::List(a), Ty::List(b)) => a.comparable(b),
            (a, b) => a == b,
        }
    }

    /// The type's name with its article, for messages: `an int`, `a string`.
    pub fn with_article(&self) -> String {
        let name = self.describe();
        let article = if matches!(self, Ty::Record(_)) {
            "a record"
        } else if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {name}")
    }

    pub fn describe(&self) -> String {
        match self {
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Str => "string".into(),
            Ty::Duration => "duration".into(),
            Ty::DateTime => "datetime".into(),
            Ty::Date => "date".into(),
            Ty::Tier => "tier".into(),
            Ty::List(t) => format!("list<{}>", t.describe()),
            Ty::Opt(t) => format!("{}?", t.describe()),
            Ty::Service => "service".into(),
            Ty::Change => "change".into(),
            Ty::Approval => "approval".into(),
            Ty::Incident => "incident".into(),
            Ty::Waiver => "waiver".into(),
            Ty::Record(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, f.ty.describe()))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            Ty::Any => "any".into(),
        }
    }
}

pub use crate::input::fields::{
    ApprovalField, ChangeField, IncidentField, ServiceField, WaiverField,
};

/// A field read, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Change(ChangeField),
    /// Index into `Compiled::change_ext`.
    ChangeExt(u16),
    Service(ServiceField),
    /// Index into `Compiled::service_ext`.
    ServiceExt(u16),
    Approval(ApprovalField),
    Incident(IncidentField),
    Waiver(WaiverField),
    /// A field of a record (`Ty::Record`), by its index in the record type.
    Record(u16),
}

/// A literal, typed at compile time.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Box<str>),
    /// seconds
    Duration(i64),
    /// unix seconds
    DateTime(i64),
    /// days since 1970-01-01
    Date(i64),
    Tier(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `len(list | string)`
    Len,
    /// `approvals("group")`: the group is resolved to its index at compile time.
    Approvals(u16),
    StartsWith,
    EndsWith,
    Lower,
    /// `weekday(t, "Zone")`: `"mon"` ... `"sun"`.
    Weekday(chrono_tz::Tz),
    /// `hour(t, "Zone")`: 0..23.
    Hour(chrono_tz::Tz),
    /// `date(t, "Zone")`: the calendar date of `t` in the zone. The checker also puts it
    /// around the datetime side of a comparison with a date, with the zone UTC.
    Date(chrono_tz::Tz),
}

/// A comparison operator. The IR's own, so that nothing after the checker depends on the
/// syntax tree; the checker converts the parser's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// How two operands of a comparison are compared, decided at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpKind {
    Int,
    /// At least one side is a float.
    Num,
    Str,
    Bool,
    Duration,
    DateTime,
    Date,
    Tier,
    /// Structural equality (lists, records).
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithKind {
    Int,
    Float,
    Duration,
    /// datetime ± duration
    DateTimeDuration,
    /// datetime - datetime
    DateTimeDiff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantKind {
    Any,
    All,
    Count,
}

/// A typed, resolved expression.
#[derive(Debug, Clone, PartialEq)]
pub enum CExpr {
    Const(Const),
    List(Vec<CExpr>),
    /// The change being decided.
    Change,
    /// The computed tier (not available inside tier conditions).
    Tier,
    /// The evaluation instant.
    Now,
    /// A quantifier's variable, by slot.
    Var(u16),
    /// `base.field`; `span` locates errors (reading an absent optional).
    Field(Box<CExpr>, Field, Span),
    /// `base has field` (the field's presence).
    Has(Box<CExpr>, Field),
    Not(Box<CExpr>),
    Neg(Box<CExpr>),
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    Cmp(CmpOp, CmpKind, Box<CExpr>, Box<CExpr>),
    In(Box<CExpr>, Box<CExpr>),
    /// substring test: `"prod" in change.title`
    Contains(Box<CExpr>, Box<CExpr>),
    SubsetOf(Box<CExpr>, Box<CExpr>),
    Intersects(Box<CExpr>, Box<CExpr>),
    Add(ArithKind, Box<CExpr>, Box<CExpr>),
    Sub(ArithKind, Box<CExpr>, Box<CExpr>),
    Quant(QuantKind, u16, Box<CExpr>, Box<CExpr>),
    Call(Builtin, Vec<CExpr>),
    /// A named condition's body inlined where its name is read (`condition deploy = ...`):
    /// evaluated as the body itself; the mark lets `explain` list it as one atom by its name.
    Named(Box<CExpr>),
}

/// A condition with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    pub expr: CExpr,
    pub span: Span,
    /// Numbers the policy's conditions from 0 (up to `PolicyIr::conditions`): the evaluator
    /// keeps each condition's compiled form at this index.
    pub id: u32,
    /// Where each atom of the condition is written, in the order `explain` meets them (see
    /// [`AtomText`]); read only when explaining.
    pub atoms: Box<[AtomText]>,
}

/// Where one atom of a condition is written: an operand of its `and`/`or`/`not` skeleton
/// (a comparison, `in`, a quantifier, a call, a field...). Atoms are listed left to right;
/// the IR keeps the same skeleton, so the k-th atom met walking the IR is the k-th here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomText {
    pub span: Span,
    /// The two operands of a binary atom (`change.size`, `300`) or of a two-argument call.
    pub operands: [Option<Span>; 2],
    /// `x not in y`: the IR writes it `not (x in y)`, one atom here.
    pub negated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TierRule {
    pub tier: u8,
    pub cond: Cond,
    pub span: Span,
}

/// A piece of a message template: text, or a value to interpolate.
#[derive(Debug, Clone, PartialEq)]
pub enum MessagePart {
    Text(String),
    Value(CExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum EffectIr {
    Deny(Cond),
    Allow(Cond),
    RequireApproval {
        group: u16,
        count: u32,
        /// `within D after`: an obligation due D after the change's start, which does not
        /// block the change: (seconds, D as the policy writes it).
        after: Option<(i64, Text)>,
    },
    RequireCheck {
        name: Text,
        /// `within D`: (seconds, D as the policy writes it, which the decision quotes).
        within: Option<(i64, Text)>,
    },
    /// `exempt blackout`: `None` lifts every blackout; `exempt blackout "A", "B"` lifts the
    /// names whose bits (in `Lift::named`) are set.
    ExemptBlackout(Option<u64>),
    ExemptWindow,
    /// Index into `Compiled::rules`.
    ExemptRule(u16),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EffectAt {
    pub effect: EffectIr,
    /// `file:line:col` of the effect, precomputed for the decision.
    pub at: Text,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleIr {
    pub name: Text,
    pub guard: Option<Cond>,
    pub effects: Vec<EffectAt>,
    /// `None`: the default message naming the rule.
    pub message: Option<Vec<MessagePart>>,
    /// The message when it needs no value from the inputs: `denied by rule <name>`, or a
    /// template made of text only. Shared by every decision that quotes it.
    pub fixed_message: Option<Text>,
    pub at: Text,
    /// `waivable ... by "group" max D`: (group index, max seconds).
    pub waivable: Option<(u16, i64)>,
    /// Where the `waivable` declaration is (a waiver's trace points there); empty without one.
    pub waivable_at: Text,
    /// Whether any effect is an exemption (evaluated in the first pass).
    pub has_exemptions: bool,
}

/// `waivable blackout "NAME" by "group" max D`.
#[derive(Debug, Clone, PartialEq)]
pub struct WaivableBlackout {
    pub name: Text,
    /// The name's bit in `Lift::named`.
    pub bit: u64,
    pub group: u16,
    /// The longest validity, in seconds.
    pub max: i64,
    /// Where it is declared (a waiver's trace points there).
    pub at: Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StrategyArmIr {
    pub name: Text,
    pub cond: Option<Cond>,
    pub at: Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TriggerIr {
    pub metric: Text,
    pub op: CmpOp,
    pub threshold: f64,
    pub of_baseline: bool,
    pub for_secs: i64,
    pub when: Option<Cond>,
    pub on_no_data_fire: bool,
    pub at: Text,
}

/// A `notify` audience: a fixed name, or a template (`"{change.requester}-oncall"`) rendered
/// against the change as a rule's message is.
#[derive(Debug, Clone, PartialEq)]
pub enum Audience {
    Fixed(Text),
    Template(Vec<MessagePart>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotifyIr {
    pub audiences: Vec<Audience>,
    /// The audiences as written, separated by commas: what the trace names.
    pub written: Text,
    pub when: Option<Cond>,
    pub at: Text,
}

/// `services where COND use C, ...` or `changes where COND use C, ...`: calendars that apply
/// to each touched service (its condition reads the service in slot 0) or to the change
/// where the condition holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeIr {
    pub cond: Cond,
    /// `services where`: the quantifier slot the condition reads the service `s` from.
    pub slot: u16,
    /// The calendars after `use`, each once, in the order written.
    pub calendars: Vec<CalendarId>,
    /// `file:line:col` of the declaration (a schedule reason points there).
    pub at: Text,
}

/// An `extend` field, or a field of a record type: its name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtField {
    pub name: String,
    pub ty: Ty,
}

/// The compiled policy: settings, rules and indexes.
#[derive(Debug)]
pub struct PolicyIr {
    /// Tier names, ascending.
    pub tiers: Vec<String>,
    /// The same names, shared into decisions.
    pub tier_names: Vec<Text>,
    pub tier_rules: Vec<TierRule>,
    pub default_deny: bool,
    pub default_at: Text,
    /// `capacity N`: at most N planned changes run at once (per region with `per region`).
    pub capacity: Option<u64>,
    /// `capacity N per region`: the capacity bounds each region, not the whole train.
    pub capacity_per_region: bool,
    /// Every group named anywhere (declared or used), by index: the groups the policy knows
    /// (an approval, a waiver or a catalog group in any other is an input error).
    pub groups: Vec<Text>,
    /// `kinds ...`: the change kinds the policy knows, when it closes the set (any other kind
    /// in a change is an input error); `None` when every kind is accepted.
    pub kinds: Option<Vec<Text>>,
    pub change_ext: Vec<ExtField>,
    pub service_ext: Vec<ExtField>,
    pub rules: Vec<RuleIr>,
    /// The blackouts a waiver may lift, in declaration order.
    pub waivable_blackouts: Vec<WaivableBlackout>,
    /// Indices of the rules with an `exempt` effect, in order (evaluated in a first pass).
    pub exempting_rules: Vec<u16>,
    pub strategy: Vec<StrategyArmIr>,
    pub triggers: Vec<TriggerIr>,
    /// `rollback owner "name"`: who decides a rollback.
    pub rollback_owner: Option<Text>,
    pub notify: Vec<NotifyIr>,
    pub calendars: CalendarSet,
    /// `services where ... use ...`, in declaration order.
    pub service_scopes: Vec<ScopeIr>,
    /// `changes where ... use ...`, in declaration order.
    pub change_scopes: Vec<ScopeIr>,
    /// How many conditions (`Cond`) the policy has; their ids are `0..conditions`.
    pub conditions: u32,
}
