//! The abstract syntax of `.gate` files, exactly as written (names unresolved, types unchecked).
//!
//! Every node that a diagnostic can point at carries a [`Span`].

use crate::span::Span;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal (escapes already resolved) with its span (quotes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// One parsed `.gate` file.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `tiers low, medium, high, critical` (ascending)
    Tiers { names: Vec<Ident>, span: Span },
    /// `default allow` / `default deny`
    Default { effect: DefaultEffect, span: Span },
    /// `capacity 2`, or `capacity 2 per region` (`per_region`).
    Capacity {
        value: u64,
        per_region: bool,
        span: Span,
    },
    /// `groups cab, team-lead, dba`
    Groups { names: Vec<Ident>, span: Span },
    /// `kinds application, infrastructure, database`
    Kinds { names: Vec<Ident>, span: Span },
    /// `extend change { ticket: string, cost_center: string? }`
    Extend(ExtendDecl),
    /// `tier critical when EXPR`
    Tier(TierDecl),
    /// `calendar emea timezone "Europe/Berlin" { ... }`
    Calendar(CalendarDecl),
    /// `region eu-west uses emea, global`
    Region(RegionDecl),
    /// `services where COND use C, ...` / `changes where COND use C, ...`
    Scope(ScopeDecl),
    /// `rule name { ... }`
    Rule(RuleDecl),
    /// `waivable cab_review by "change-manager" max 72h`
    Waivable(WaivableDecl),
    /// `strategy { canary when E  ...  rolling otherwise }`
    Strategy(StrategyDecl),
    /// `rollback [owner "name"] { trigger ... }`
    Rollback(RollbackDecl),
    /// `notify "a", "b" [when E]`
    Notify(NotifyDecl),
    /// `condition NAME = EXPR`
    Condition(ConditionDecl),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultEffect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendTarget {
    Change,
    Service,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExtendDecl {
    pub target: ExtendTarget,
    pub target_span: Span,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
}

/// A field type as written: `bool`, `list<string>`, `int?`, `{service: string}`.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    /// `bool`, `int`, `float`, `string`, `duration`, `datetime`, `date` (checked later).
    Named(Ident),
    List(Box<TypeExpr>, Span),
    Optional(Box<TypeExpr>, Span),
    /// `{name: T, ...}`: a record of named fields.
    Record(Vec<FieldDecl>, Span),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TierDecl {
    pub tier: Ident,
    pub when: Expr,
    pub span: Span,
}

/// `condition deploy = change.action == "deploy"`: a bool read by name in any expression.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionDecl {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegionDecl {
    pub name: Ident,
    pub calendars: Vec<Ident>,
    pub span: Span,
}

/// What a scope's calendars apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeTarget {
    /// `services where ...`: the condition reads the service as `s`.
    Services,
    /// `changes where ...`: the condition reads `change`.
    Changes,
}

/// `services where s.legacy use batch, global`: calendars that apply where the condition holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeDecl {
    pub target: ScopeTarget,
    pub when: Expr,
    pub calendars: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarDecl {
    pub name: Ident,
    pub timezone: StrLit,
    pub entries: Vec<CalendarEntry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CalendarEntry {
    /// `window mon-thu 09:00-16:00`
    Window {
        days: DaySet,
        times: TimeRange,
        span: Span,
    },
    /// `blackout "name" <spec>`
    Blackout {
        name: StrLit,
        spec: BlackoutSpec,
        span: Span,
    },
}

/// Days of the week as written: `mon-thu`, `fri`, `sat,sun`, `daily`.
/// Each element is an inclusive range (a single day is `(d, d)`); a range may wrap (`fri-mon`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySet {
    pub ranges: Vec<(Weekday, Weekday)>,
    pub span: Span,
}

/// Monday = 0 ... Sunday = 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    #[cfg(test)]
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// 0 for Monday through 6 for Sunday.
    pub fn index(self) -> u32 {
        self as u32
    }
}

/// A local wall-clock time of day in minutes since midnight, `0..=1440` (`24:00` = 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    pub minutes: u32,
}

/// `09:00-16:00`; `22:00-02:00` runs past midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: LocalTime,
    pub end: LocalTime,
    pub span: Span,
}

/// A calendar date as written (`2026-12-24`), not yet validated beyond its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateLit {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub span: Span,
}

/// A local date-time as written (`2026-11-26T18:00`), optionally with seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDateTimeLit {
    pub date: DateLit,
    pub minutes: u32,
    pub second: u32,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BlackoutSpec {
    /// `daily 01:00-04:00`
    Daily(TimeRange),
    /// `weekly fri 18:00 - mon 06:00`
    Weekly {
        from_day: Weekday,
        from_time: LocalTime,
        to_day: Weekday,
        to_time: LocalTime,
        span: Span,
    },
    /// `monthly days -3..-1` (negative counts from the month's end, -1 = last day), all day,
    /// or restricted to `times` when written (`monthly days 1..2 09:00-12:00`).
    Monthly {
        from_day: i32,
        to_day: i32,
        times: Option<TimeRange>,
        span: Span,
    },
    /// `from 2026-12-19 to 2027-01-04`: both dates included, whole days.
    DateRange { from: DateLit, to: DateLit },
    /// `from 2026-11-26T18:00 to 2026-11-27T06:00`: half-open.
    DateTimeRange {
        from: LocalDateTimeLit,
        to: LocalDateTimeLit,
    },
    /// `ics "calendars/de-holidays.ics"` (relative to the policy folder).
    Ics(StrLit),
    /// `rrule "FREQ=...;..." at 00:00 for 2d [except 2026-12-31, ...]`
    Rrule {
        rule: StrLit,
        at: LocalTime,
        duration: DurationLit,
        except: Vec<DateLit>,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    pub name: Ident,
    /// The rule's guard: `when E`, applying to every effect.
    pub guard: Option<Expr>,
    pub effects: Vec<Effect>,
    pub message: Option<StrLit>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Deny {
        when: Expr,
        span: Span,
    },
    Allow {
        when: Expr,
        span: Span,
    },
    RequireApproval {
        group: StrLit,
        count: Option<(u64, Span)>,
        /// `within 48h`: with `after`, an obligation due that long after the change's start.
        within: Option<DurationLit>,
        /// The `after` keyword's span, when written.
        after: Option<Span>,
        span: Span,
    },
    RequireCheck {
        name: StrLit,
        /// `within 30d`: how recently the check must have passed, before the change's start.
        within: Option<DurationLit>,
        /// The `after` keyword's span, when written (an error: checks are done before).
        after: Option<Span>,
        span: Span,
    },
    /// `exempt blackout` (every blackout), or `exempt blackout "A", "B"` (those names only).
    ExemptBlackout {
        names: Vec<StrLit>,
        span: Span,
    },
    ExemptWindow {
        span: Span,
    },
    ExemptRule {
        rule: Ident,
        span: Span,
    },
}

/// What a `waivable` declaration lets a waiver lift.
#[derive(Debug, Clone, PartialEq)]
pub enum Waived {
    /// `waivable RULE by ...`
    Rule(Ident),
    /// `waivable blackout "NAME" by ...`
    Blackout(StrLit),
}

#[derive(Debug, Clone, PartialEq)]
pub struct WaivableDecl {
    pub target: Waived,
    pub group: StrLit,
    pub max: DurationLit,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StrategyDecl {
    pub arms: Vec<StrategyArm>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StrategyArm {
    pub name: Ident,
    /// `None` for `otherwise`.
    pub when: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RollbackDecl {
    /// `rollback owner "sre-oncall"`: who decides a rollback.
    pub owner: Option<StrLit>,
    /// Whether the declaration has a `{ ... }` block (it may name only the owner).
    pub block: bool,
    pub triggers: Vec<TriggerDecl>,
    pub span: Span,
}

/// `trigger error_rate > 2% for 5m [when E] [on no_data fire]`
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerDecl {
    pub metric: Ident,
    pub op: CmpOp,
    pub threshold: Threshold,
    pub for_: DurationLit,
    pub when: Option<Expr>,
    pub on_no_data_fire: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    /// `2%` (as 0.02), `3`, `1.5`
    Number(f64, Span),
    /// `150% of baseline` (as 1.5)
    OfBaseline(f64, Span),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotifyDecl {
    pub audiences: Vec<StrLit>,
    pub when: Option<Expr>,
    pub span: Span,
}

/// A duration literal: `90s 5m 24h 3d 2w`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationLit {
    pub seconds: i64,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Cmp(CmpOp),
    /// `x in list` (or `"sub" in string`? no: membership in a list only)
    In,
    NotIn,
    SubsetOf,
    Intersects,
    Add,
    Sub,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
    Count,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// `2%` stored as 0.02
    Percent(f64),
    Str(String),
    /// seconds
    Duration(i64),
    Date(DateLit),
    /// A date-time literal. `offset_minutes` is `Some` for `Z` (0) or `+01:00`; `None` when
    /// local (naive), which the checker rejects where an instant is needed.
    DateTime {
        local: LocalDateTimeLit,
        offset_minutes: Option<i32>,
    },
    List(Vec<Expr>),
    /// A bare name: a bound variable, `change`, `tier`, or a tier name like `high`.
    Name(String),
    /// `base.field`
    Field(Box<Expr>, Ident),
    /// `x has field`
    Has(Box<Expr>, Ident),
    Not(Box<Expr>),
    /// Unary minus on a number or duration.
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `any s in LIST: BODY`
    Quant {
        q: Quantifier,
        var: Ident,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    /// `len(x)`, `approvals("cab")`, `starts_with(a, b)`, ...
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
}
