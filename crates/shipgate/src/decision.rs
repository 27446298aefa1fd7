//! The decision: what the engine answers, serialised to the stable JSON of the contract.

use std::fmt;

use serde::{Serialize, Serializer};

pub use crate::digest::{InputsDigest, PolicyDigest};
use crate::time::Instant;

/// What a decision's `engine` says: `shipgate <version of this crate>`.
pub(crate) const ENGINE: &str = concat!("shipgate ", env!("CARGO_PKG_VERSION"));

/// The strings of a decision: immutable, stored inline up to 23 bytes, and shared (not
/// copied) when longer, so that building a decision from the compiled policy's names does not
/// allocate. Derefs to `&str`; compares with `&str` and `String`.
pub use smol_str::SmolStr as Text;

/// A vector stored inline up to `N` items (the `smallvec` crate); derefs to a slice. Used for
/// [`Requirement::counted`], [`Schedule::regions`] and [`Decision::order`] and its waves: most
/// decisions then need no heap block for them.
pub use smallvec::SmallVec;

/// `allow`, `pending` (nothing forbids it but approvals or checks are missing) or `deny`.
///
/// Not `#[non_exhaustive]`: the three verdicts are the contract, and callers are meant to
/// match on all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing forbids the change and nothing it needs is missing.
    Allow,
    /// Nothing forbids the change, but approvals or checks are missing.
    Pending,
    /// A rule, the schedule or `default deny` forbids the change.
    Deny,
}

impl Verdict {
    /// The verdict as the JSON writes it: `allow`, `pending` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Pending => "pending",
            Verdict::Deny => "deny",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why a change is denied: one per rule that denied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Reason {
    /// The rule that denied, or `"schedule"` for a start that is not allowed, or `"default"`
    /// for `default deny` with no `allow` firing.
    pub rule: Text,
    /// The rule's message, with its `{...}` values filled in.
    pub message: Text,
    /// `file:line:col` of the policy text behind the reason: the effect that denied, the
    /// `default deny` setting, or for `schedule` the declaration of what blocked the start (a
    /// blackout, the windows of a calendar, or a region). Empty only for `budget`, which comes
    /// from the engine's evaluation budget rather than from policy text.
    pub at: Text,
}

/// What a [`Requirement`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RequirementKind {
    /// Approvals from a group (`require approval "cab" count 2`).
    Approval,
    /// A named check that must be done (`require check "load-test"`).
    Check,
}

impl RequirementKind {
    /// The kind as the JSON writes it: `approval` or `check`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementKind::Approval => "approval",
            RequirementKind::Check => "check",
        }
    }
}

impl fmt::Display for RequirementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why an approval, or a check's evidence, did not count.
///
/// Written in the JSON as its text (`requester`, `not a member of cab`, `older than 30d`):
/// see [`IgnoredWhy`]'s `Display`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoredWhy {
    /// The approver is the change's requester.
    Requester,
    /// The approver is the change's implementer.
    Implementer,
    /// The approval, or the check, is dated after `now`.
    InTheFuture,
    /// The approver already approved for the same group.
    Duplicate,
    /// The catalog lists the group's members and the approver is not one of them
    /// (`not a member of cab`); the group is carried.
    NotAMember(Text),
    /// The check failed (`"status": "failed"`).
    Failed,
    /// The check has not finished (`"status": "pending"`).
    Pending,
    /// The check passed, but the requirement asks for it `within` a time and the check does
    /// not say when it ran (a bare name, or an object without `at`).
    TimeUnknown,
    /// The check passed longer before the change's start than the requirement's `within`
    /// allows (`older than 30d`); the duration is carried as the policy writes it.
    OlderThan(Text),
}

impl fmt::Display for IgnoredWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fixed = match self {
            IgnoredWhy::Requester => "requester",
            IgnoredWhy::Implementer => "implementer",
            IgnoredWhy::InTheFuture => "in the future",
            IgnoredWhy::Duplicate => "duplicate",
            IgnoredWhy::Failed => "failed",
            IgnoredWhy::Pending => "pending",
            IgnoredWhy::TimeUnknown => "time unknown",
            IgnoredWhy::NotAMember(group) => return f.pad(&format!("not a member of {group}")),
            IgnoredWhy::OlderThan(d) => return f.pad(&format!("older than {d}")),
        };
        f.pad(fixed)
    }
}

impl Serialize for IgnoredWhy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An approval, or a check's evidence, that did not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Ignored {
    /// Who gave the approval; for a check, the check's name.
    pub by: Text,
    /// Why it did not count.
    pub why: IgnoredWhy,
}

/// An approval or check asked for by a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Requirement {
    /// The rule that asks for it.
    pub rule: Text,
    /// An approval or a check.
    pub kind: RequirementKind,
    /// The approving group (approvals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Text>,
    /// The check's name (checks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Text>,
    /// How recent a check must be, as the policy writes it (`require check "x" within 30d`);
    /// absent when the rule sets no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<Text>,
    /// How many approvals are needed (1 for a check).
    pub needed: u32,
    /// Approvers who counted (approvals), or the check's name once done (checks). Stored
    /// inline up to two names; derefs to a slice.
    pub counted: SmallVec<[Text; 2]>,
    /// Approvals from the group that did not count, and why; for a check, each piece of
    /// evidence under its name that did not count (failed, pending, too old, ...).
    pub ignored: Vec<Ignored>,
    /// Whether enough approvals counted, or the check is done.
    pub satisfied: bool,
}

/// Approvals owed after the change (`require approval "cab" within 48h after`): they do not
/// block it, and are listed while they are missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Obligation {
    /// The rule that asks for them.
    pub rule: Text,
    /// The approving group.
    pub group: Text,
    /// How many approvals are needed.
    pub needed: u32,
    /// When they are due: the change's start plus the rule's `within`; RFC 3339 UTC in the
    /// JSON.
    #[serde(serialize_with = "rfc3339")]
    pub due: Instant,
}

/// Who lifted something: a rule's `exempt` effect, or a honoured waiver.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExemptBy {
    /// The rule whose `exempt` effect applied; `"rule"` in the JSON.
    Rule(Text),
    /// A honoured waiver, by who granted it; `"waiver"` in the JSON.
    Waiver(Text),
}

/// What an [`Exemption`] lifted for this change. Written in the JSON as `"lifts"`
/// (`blackout`, `window` or `rule`) with the blackouts' names or the rule's name beside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lifted {
    /// The blackouts of the change's regions (`exempt blackout`): the names of those that
    /// covered part of `[start, end)` and so were lifted, in the order of the regions and
    /// their calendars, each once; empty when none did. `"blackouts"` in the JSON.
    Blackout(Vec<Text>),
    /// The windows of the change's regions (`exempt window`).
    Window,
    /// The rule of that name (`exempt rule <name>`, or a honoured waiver); `"target"` in the
    /// JSON.
    Rule(Text),
}

impl Lifted {
    /// What kind of thing is lifted, as the JSON's `"lifts"` writes it: `blackout`, `window`
    /// or `rule`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Lifted::Blackout(_) => "blackout",
            Lifted::Window => "window",
            Lifted::Rule(_) => "rule",
        }
    }
}

/// `blackout`, `window` or `rule <name>`.
impl fmt::Display for Lifted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lifted::Rule(name) if f.width().is_none() => write!(f, "rule {name}"),
            Lifted::Rule(name) => f.pad(&format!("rule {name}")),
            other => f.pad(other.as_str()),
        }
    }
}

/// What was lifted for this change, and by which rule or waiver. The JSON is flat:
/// `{"rule": "emergency_hotfix", "lifts": "blackout", "blackouts": ["black friday"]}`,
/// `{"rule": "...", "lifts": "window"}`, `{"rule": "...", "lifts": "rule", "target":
/// "cab_review"}`, and for a waiver `{"waiver": "eve", "lifts": "rule", "target":
/// "cab_review"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exemption {
    /// The rule or the waiver that lifted it.
    pub by: ExemptBy,
    /// What it lifted.
    pub lifts: Lifted,
}

impl Serialize for Exemption {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(3))?;
        match &self.by {
            ExemptBy::Rule(rule) => map.serialize_entry("rule", rule)?,
            ExemptBy::Waiver(by) => map.serialize_entry("waiver", by)?,
        }
        map.serialize_entry("lifts", self.lifts.as_str())?;
        match &self.lifts {
            Lifted::Blackout(names) => map.serialize_entry("blackouts", names)?,
            Lifted::Window => {}
            Lifted::Rule(target) => map.serialize_entry("target", target)?,
        }
        map.end()
    }
}

/// A waiver found on the change, honoured or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WaiverOutcome {
    /// The rule the waiver is for; empty for a blackout waiver.
    #[serde(skip_serializing_if = "Text::is_empty")]
    pub rule: Text,
    /// The blackout the waiver is for (`"blackout"` in the JSON); `None` for a rule waiver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blackout: Option<Text>,
    /// Who granted it.
    pub by: Text,
    /// Whether it was honoured (the rule is then exempted, or the blackout lifted).
    pub honored: bool,
    /// Why it was rejected; empty when honoured.
    #[serde(skip_serializing_if = "Text::is_empty")]
    pub why: Text,
}

/// An open stretch of time, `[start, end)`; serialised as RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stretch {
    /// The first instant of the stretch.
    #[serde(serialize_with = "rfc3339")]
    pub start: Instant,
    /// The first instant after the stretch.
    #[serde(serialize_with = "rfc3339")]
    pub end: Instant,
}

impl Stretch {
    /// The stretch `[start, end)`.
    pub fn new(start: Instant, end: Instant) -> Stretch {
        Stretch { start, end }
    }
}

/// An instant as the contract writes it: RFC 3339 UTC, `2026-12-01T10:00:00Z`. Decisions hold
/// instants, not their text, so that deciding never formats one that nobody reads.
fn rfc3339<S: serde::Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
    match crate::time::utc_seconds(t.timestamp()) {
        Some(text) if t.timestamp_subsec_nanos() == 0 => s.serialize_str(text.as_str()),
        _ => s.serialize_str(&crate::time::format_instant(*t)),
    }
}

/// [`rfc3339`] of an optional instant (only called when present: `skip_serializing_if`).
fn rfc3339_opt<S: serde::Serializer>(t: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// An already scheduled run that conflicts with the decided change (SPEC 8.4 and 8.8): it
/// overlaps the change's run `[start, end)` and touches one of its services, or a service
/// directly depending on, or depended on by, one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Conflict {
    /// The scheduled change's id.
    pub change: String,
    /// The scheduled change's services that make the conflict (the decided change's own
    /// services and their direct neighbours), in the scheduled entry's order.
    pub services: Vec<String>,
    /// When the scheduled run starts.
    #[serde(serialize_with = "rfc3339")]
    pub start: Instant,
    /// When it ends.
    #[serde(serialize_with = "rfc3339")]
    pub end: Instant,
    /// The run's region, for a plan's per-region entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// How the change's `[start, end)` fits one of its regions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RegionSchedule {
    /// The region's name.
    pub region: Text,
    /// Whether `[start, end)` fits in the region.
    pub open: bool,
    /// The names of the blackouts hit, `"outside windows"` when the region's windows do not
    /// hold the change, or `"outside the calendar range (1970 to 2199)"`.
    pub blocked_by: Vec<Text>,
    /// The next stretch where the whole change fits (`null` when none within the horizon).
    pub next_window: Option<Stretch>,
}

/// How the change's `[start, end)` fits the calendars of one of its services (SPEC 8.3): those
/// of the `services where ... use ...` declarations whose condition holds for the service,
/// and those its catalog entry names in `"calendars"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ServiceSchedule {
    /// The service's id.
    pub service: Text,
    /// The names of its calendars: its scopes' in declaration order, then its catalog
    /// entry's, each once.
    pub calendars: Vec<Text>,
    /// Whether `[start, end)` fits every one of them at once.
    pub open: bool,
    /// What keeps it out, as a region's `blocked_by` says.
    pub blocked_by: Vec<Text>,
    /// The next stretch where the whole change fits these calendars (`null` when none within
    /// the horizon).
    pub next_window: Option<Stretch>,
}

/// How the change's `[start, end)` fits the calendars that apply to the change itself
/// (`changes where ... use ...` whose condition holds; SPEC 8.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChangeSchedule {
    /// The names of the calendars, in declaration order, each once.
    pub calendars: Vec<Text>,
    /// Whether `[start, end)` fits every one of them at once.
    pub open: bool,
    /// What keeps it out, as a region's `blocked_by` says.
    pub blocked_by: Vec<Text>,
    /// The next stretch where the whole change fits these calendars (`null` when none within
    /// the horizon).
    pub next_window: Option<Stretch>,
}

/// When the change would run, and whether its regions' calendars allow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Schedule {
    /// The change's start.
    #[serde(serialize_with = "rfc3339")]
    pub start: Instant,
    /// The change's start plus its duration.
    #[serde(serialize_with = "rfc3339")]
    pub end: Instant,
    /// Whether every region, service and change calendar allows `[start, end)` (after
    /// exemptions).
    pub allowed: bool,
    /// The earliest stretch, at or after the requested start, where the whole change fits
    /// every calendar that applies to it at once (all its regions', each in its own zone),
    /// after exemptions: `start` is where it may start, `end` where that common stretch ends
    /// (a stretch running past the horizon ends at the horizon). When the change is allowed,
    /// it starts at the requested start. `null` when there is none within the horizon (365
    /// days), or when the change touches no region of a policy with regions. With no
    /// calendar at all, the change fits from its start to the horizon.
    pub next_window: Option<Stretch>,
    /// The IANA time-zone database version used.
    pub tzdb: Text,
    /// One entry per region of the change, in the order of the policy's declarations. Stored
    /// inline for one region; derefs to a slice.
    pub regions: SmallVec<[RegionSchedule; 1]>,
    /// One entry per touched service with calendars of its own, in the change's order;
    /// absent from the JSON when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceSchedule>,
    /// The calendars of the change itself, when `changes where` gives it any; absent from
    /// the JSON otherwise. Boxed: most decisions have none, and every decision is moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Box<ChangeSchedule>>,
}

/// The comparison of a [`RollbackTrigger`]: the metric against the threshold. Written in the
/// JSON as the policy writes it (`==`, `!=`, `<`, `<=`, `>`, `>=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Comparison {
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl Comparison {
    /// The operator as the policy and the JSON write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What the threshold of a relative [`RollbackTrigger`] is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RelativeTo {
    /// The metric's baseline (`150% of baseline` gives a threshold of 1.5).
    Baseline,
}

impl fmt::Display for RelativeTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl RelativeTo {
    /// As the JSON writes it: `baseline`.
    pub fn as_str(self) -> &'static str {
        match self {
            RelativeTo::Baseline => "baseline",
        }
    }
}

/// What a [`RollbackTrigger`] does when the metric has no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OnNoData {
    /// The trigger fires (`on no data fire`).
    Fire,
}

impl fmt::Display for OnNoData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl OnNoData {
    /// As the JSON writes it: `fire`.
    pub fn as_str(self) -> &'static str {
        match self {
            OnNoData::Fire => "fire",
        }
    }
}

/// A rollback trigger that applies to this change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RollbackTrigger {
    /// The metric watched.
    pub metric: Text,
    /// How the metric is compared with the threshold.
    pub op: Comparison,
    /// The threshold (a ratio when `relative_to` is set).
    pub threshold: f64,
    /// Set when the threshold is relative (`150% of baseline` gives 1.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_to: Option<RelativeTo>,
    /// How long the breach must last, as a duration (`5m`); `"for"` in the JSON.
    #[serde(rename = "for")]
    pub for_: Text,
    /// Set when the trigger fires on missing data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_no_data: Option<OnNoData>,
    /// The trigger's index in the policy (a rollback check finds its `for` and location).
    #[serde(skip)]
    pub(crate) index: u32,
}

/// The state of a rollback trigger against observations (SPEC 5, `docs/rollback.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TriggerState {
    /// Every sample over a span of at least the trigger's `for`, up to the last one, breaches.
    Fired,
    /// The latest sample does not breach (or the breach is shorter than `for`).
    Ok,
    /// The samples cannot tell: missing, stale, too few to cover `for`, a gap, or a sample
    /// without a value.
    NoData,
}

impl TriggerState {
    /// As the JSON writes it: `fired`, `ok` or `no_data`.
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerState::Fired => "fired",
            TriggerState::Ok => "ok",
            TriggerState::NoData => "no_data",
        }
    }
}

impl fmt::Display for TriggerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One trigger that applies to the change, judged against the observations.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TriggerCheck {
    /// The metric watched.
    pub metric: Text,
    /// `fired`, `ok` or `no_data`.
    pub state: TriggerState,
    /// When `fired`: the first sample of the breach that is still going on; RFC 3339 UTC.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339_opt"
    )]
    pub since: Option<Instant>,
    /// How a sample is compared with the threshold.
    pub op: Comparison,
    /// The threshold a sample is compared with (for `150% of baseline`, 1.5 times the
    /// baseline).
    pub threshold: f64,
    /// The baseline a relative threshold was computed from; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// How long the breach must last (`5m`); `"for"` in the JSON.
    #[serde(rename = "for")]
    pub for_: Text,
    /// Set when the trigger fires on missing data (`on no_data fire`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_no_data: Option<OnNoData>,
    /// When `no_data`: why the samples cannot tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Text>,
    /// `file:line:col` of the trigger in the policy.
    pub at: Text,
}

/// The answer of a rollback check (`shipgate rollback`, [`crate::Engine::rollback`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RollbackCheck {
    /// The change's id.
    pub change: Text,
    /// The instant the check was made at; RFC 3339 UTC in the JSON.
    #[serde(serialize_with = "rfc3339")]
    pub now: Instant,
    /// Who decides a rollback (`rollback owner "sre-oncall"`); `null` when the policy names
    /// no one.
    pub owner: Option<Text>,
    /// Each trigger that applies to the change, in policy order.
    pub triggers: Vec<TriggerCheck>,
    /// Whether to roll back: a trigger fired, or one with `on no_data fire` has no data.
    pub rollback: bool,
}

impl RollbackCheck {
    /// The stable JSON form (pretty-printed, two-space indent, keys in contract order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The check as a JSON value (the same content as [`RollbackCheck::to_json`]).
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// What a [`TraceEntry`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TraceKind {
    /// A `tier ... when` condition.
    Tier,
    /// A waiver on the change.
    Waiver,
    /// A rule's `when` guard.
    Rule,
    /// One effect of a rule (`deny`, `allow`, `require`, `exempt`).
    Effect,
    /// The schedule of a region.
    Schedule,
    /// An arm of the `strategy` block.
    Strategy,
    /// A rollback trigger.
    Trigger,
    /// A `notify` statement.
    Notify,
}

impl TraceKind {
    /// The kind as the JSON writes it (`tier`, `waiver`, `rule`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TraceKind::Tier => "tier",
            TraceKind::Waiver => "waiver",
            TraceKind::Rule => "rule",
            TraceKind::Effect => "effect",
            TraceKind::Schedule => "schedule",
            TraceKind::Strategy => "strategy",
            TraceKind::Trigger => "trigger",
            TraceKind::Notify => "notify",
        }
    }
}

impl fmt::Display for TraceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One step of evaluation, recorded with `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TraceEntry {
    /// What the step is about.
    pub kind: TraceKind,
    /// The tier, rule, region, strategy arm, metric or audiences concerned.
    pub name: Text,
    /// What happened: `holds`, `does not hold`, `deny fires`, `skipped (guard does not
    /// hold)`, `error: ...`.
    pub outcome: Text,
    /// `file:line:col` of the policy text concerned (the tier, rule, effect, `waivable`
    /// declaration, region, strategy arm, trigger or `notify`); for a waiver naming no rule of
    /// the policy, the waiver's JSON path in the change (`change.waivers[0]`).
    pub at: Text,
    /// For a tier condition, a rule's guard and a `deny`/`allow` condition: what each atom of
    /// the condition saw, in evaluation order (an atom that `and`/`or` skipped is not
    /// listed). At most [`SeenValue::MAX_PER_CONDITION`]; absent from the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<SeenValue>,
    /// How many atoms were evaluated beyond those listed in `values`; absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub more_values: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What one atom of a condition saw (`change.size > 300` with `change.size` = 412), recorded
/// with `explain`. An atom is an operand of the condition's `and`/`or`/`not`: a comparison,
/// `in`, a quantifier, a call or a bool field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SeenValue {
    /// The atom as the policy writes it (whitespace runs collapsed; at most
    /// [`SeenValue::MAX_TEXT`] characters).
    pub expr: Text,
    /// What the atom came to (`not` around it is not applied); absent when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<bool>,
    /// Why the atom could not be evaluated; absent when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Text>,
    /// The two sides of a comparison, `in`, `subset_of`, `intersects`, or the arguments of
    /// `starts_with`/`ends_with`, each with its value; absent for other atoms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operands: Vec<Operand>,
    /// For `any` that holds, the first element it holds for; for `all` that fails, the first
    /// element it fails for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<Text>,
}

impl SeenValue {
    /// The most atoms listed per condition (`TraceEntry::more_values` counts the others).
    pub const MAX_PER_CONDITION: usize = 16;
    /// The longest expression or string value printed, in characters (longer ones end `...`).
    pub const MAX_TEXT: usize = 80;
    /// The most elements of a list value printed (a last element says how many more).
    pub const MAX_LIST: usize = 10;
}

/// One side of an atom, with its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Operand {
    /// The operand as the policy writes it.
    pub expr: Text,
    /// Its value: a number, bool or string as JSON has them; a duration, instant, date, tier,
    /// service or approval as its text; a list as an array. Absent when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// Whether the operand is a literal of the policy (its value is its text).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub literal: bool,
}

impl fmt::Display for SeenValue {
    /// `change.size = 412 > 300  false`, `any s in change.services: s.tier == 0  true for
    /// ledger-db`, `change.emergency = false`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |o: &Operand| match (&o.value, o.literal) {
            (Some(v), false) => format!("{} = {}", o.expr, compact(v)),
            (None, false) => format!("{} = ?", o.expr),
            (_, true) => o.expr.to_string(),
        };
        let outcome = match (&self.result, &self.error) {
            (Some(r), _) => r.to_string(),
            (None, Some(e)) => format!("error: {e}"),
            (None, None) => String::from("not evaluated"),
        };
        let outcome = match &self.witness {
            Some(w) => format!("{outcome} for {w}"),
            None => outcome,
        };
        match self.operands.as_slice() {
            [a, b] if !(a.literal && b.literal) => {
                // The operator is what lies between the two operands in the text.
                let op = operator(&self.expr, &a.expr, &b.expr);
                match op {
                    Some(op) => write!(f, "{} {op} {}  {outcome}", shown(a), shown(b)),
                    None => write!(f, "{}: {}, {}  {outcome}", self.expr, shown(a), shown(b)),
                }
            }
            [] if self.result.is_some() && self.witness.is_none() && !is_quantifier(&self.expr) => {
                write!(f, "{} = {outcome}", self.expr)
            }
            _ => write!(f, "{}  {outcome}", self.expr),
        }
    }
}

fn is_quantifier(expr: &str) -> bool {
    ["any ", "all ", "count "]
        .iter()
        .any(|q| expr.starts_with(q))
}

/// The text between two operands of an infix atom (`>`, `in`, `not in`), or `None` for a call
/// (`starts_with(a, b)`).
fn operator<'t>(expr: &'t str, a: &str, b: &str) -> Option<&'t str> {
    let rest = expr.strip_prefix(a)?;
    let op = rest.strip_suffix(b)?.trim();
    (!op.is_empty() && !op.contains(',')).then_some(op)
}

/// A JSON value on one line.
fn compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// What kind of step a [`ShipStep`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum StepKind {
    /// Get more approvals from a group.
    Approval,
    /// Pass a check (again, or more recently).
    Check,
    /// Remove a deny reason: change what the rule objects to, or get a waiver where the
    /// policy allows one.
    Resolve,
    /// Wait for the next window where the whole change fits.
    Window,
}

impl StepKind {
    /// The kind as the JSON writes it (`resolve`, `approval`, `check`, `window`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Approval => "approval",
            StepKind::Check => "check",
            StepKind::Resolve => "resolve",
            StepKind::Window => "window",
        }
    }
}

/// One thing that stands between a change and shipping, with `explain`
/// ([`Decision::to_ship`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ShipStep {
    /// What kind of step.
    pub step: StepKind,
    /// The step for a reader: `get 1 more approval from cab (have ana; bob is the
    /// requester)`.
    pub text: Text,
    /// The rule behind it (approvals, checks, deny reasons); absent for a window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Text>,
    /// The group to ask: for an approval, the approving group; for a deny reason or a missing
    /// requirement the policy lets a waiver lift, the group that may grant it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Text>,
    /// How many more approvals are needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<u32>,
    /// For a window: where the whole change fits next (`null` in `schedule.next_window`
    /// gives a step without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Stretch>,
}

/// The engine's answer for one change at one instant.
///
/// It identifies itself, so that an archive can keep it alone (SPEC 8.2): the change's id,
/// `now`, digests of the policy files and of the inputs, and the engine's version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// The change's id.
    pub change: Text,
    /// The instant the decision was taken at (the `now` it was asked for); RFC 3339 UTC in the
    /// JSON.
    #[serde(serialize_with = "rfc3339")]
    pub now: Instant,
    /// The change's tier: the highest whose condition holds, or the lowest.
    pub tier: Text,
    /// Why the change is denied; empty unless the verdict is `deny`.
    pub reasons: Vec<Reason>,
    /// The approvals and checks asked for, satisfied or not.
    pub requirements: Vec<Requirement>,
    /// Approvals owed after the change (`within D after`) and still missing, in rule order;
    /// they never block the change. Absent from the JSON when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<Obligation>,
    /// What `exempt` effects and honoured waivers lifted for this change.
    pub exemptions: Vec<Exemption>,
    /// Every waiver on the change, honoured or not.
    pub waivers: Vec<WaiverOutcome>,
    /// Whether the calendars allow the change's start.
    pub schedule: Schedule,
    /// With a schedule ([`crate::Engine::evaluate_scheduled`]), the scheduled runs that
    /// conflict with the change, by start, then id; `None` (and absent from the JSON) when
    /// no schedule was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<Vec<Conflict>>,
    /// The first `strategy` arm that applies, if any.
    pub strategy: Option<Text>,
    /// The rollback triggers that apply.
    pub rollback: Vec<RollbackTrigger>,
    /// The audiences to notify.
    pub notify: Vec<Text>,
    /// Deployment waves, each stored inline up to four services, stored inline themselves
    /// when there is one wave; derefs to a slice.
    pub order: SmallVec<[SmallVec<[Text; 4]>; 1]>,
    /// The steps of evaluation, with `explain`; empty otherwise.
    pub trace: Vec<TraceEntry>,
    /// With `explain`, what stands between the change and shipping, in order: deny reasons to
    /// resolve, approvals and checks to get, the window to wait for; empty when it may ship.
    /// `None` (and absent from the JSON) without `explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_ship: Option<Vec<ShipStep>>,
    /// `sha256:<hex>` over the policy set's files (their relative paths and bytes), computed
    /// once when the engine was compiled. The format is in `docs/semantics.md`.
    pub policy: PolicyDigest,
    /// `sha256:<hex>` over the RFC 8785 canonical JSON of `{"catalog", "change"}` as they were
    /// given; computed when first read.
    pub inputs: InputsDigest,
    /// `shipgate <version>`: the engine that decided.
    pub engine: Text,
}

impl Decision {
    /// The stable JSON form (pretty-printed, two-space indent, keys in contract order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The decision as a JSON value (the same content as [`Decision::to_json`]).
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A blackout occurrence, `[start, end)`, RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BlackoutOccurrence {
    /// The blackout's name.
    pub name: String,
    /// Its first instant, RFC 3339 UTC.
    pub start: String,
    /// The first instant after it, RFC 3339 UTC.
    pub end: String,
}

/// Open stretches and blackouts of one region over a range (`shipgate calendar`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CalendarReport {
    /// The region's name.
    pub region: String,
    /// The IANA time-zone database version used.
    pub timezone_db: String,
    /// The stretches where changes may run.
    pub open: Vec<Stretch>,
    /// The blackout occurrences that overlap the range.
    pub blackouts: Vec<BlackoutOccurrence>,
}

/// One local day of a time zone (the days of a calendar's range, so that a month view can
/// mark the days whose UTC offset changes): its date, the offset it begins and ends with, and
/// whether they differ (a daylight-saving switch, or a change of the zone's standard time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LocalDay {
    /// The local date, `2026-10-25`.
    #[serde(serialize_with = "iso_date")]
    pub date: chrono::NaiveDate,
    /// The offset in effect as the day begins (the instant before its first), `+02:00`.
    pub utc_offset_start: String,
    /// The offset in effect as the day ends (its last instant), `+01:00`.
    pub utc_offset_end: String,
    /// Whether the offset changes within the day: the day is not 24 hours long.
    pub dst_change: bool,
}

/// The local days of a region's or a service's calendar over a range, in the zone its times
/// are read in ([`crate::Engine::region_days`], [`crate::Engine::service_days`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CalendarDays {
    /// The IANA zone: that of the first applying calendar with a `window`, else of the first;
    /// `UTC` when no calendar applies.
    pub timezone: String,
    /// Each local day that the range touches, in order.
    pub days: Vec<LocalDay>,
}

fn iso_date<S: serde::Serializer>(d: &chrono::NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.format("%Y-%m-%d"))
}

/// Open stretches and blackouts of everything that applies to one service over a range
/// (`shipgate calendar --service`): its regions' calendars, those of the `services where`
/// that hold for it and those its catalog entry names, all at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ServiceCalendarReport {
    /// The service's id.
    pub service: String,
    /// Its regions, as the catalog lists them.
    pub regions: Vec<String>,
    /// Every calendar that applies: its regions' first, then its own; each once.
    pub calendars: Vec<String>,
    /// The IANA time-zone database version used.
    pub timezone_db: String,
    /// The stretches where every one of those calendars is open.
    pub open: Vec<Stretch>,
    /// The blackout occurrences of any of them that overlap the range.
    pub blackouts: Vec<BlackoutOccurrence>,
}

impl ServiceCalendarReport {
    /// The stable JSON form (pretty-printed, two-space indent).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// What everything that applies to a change allows over a range (`shipgate calendar
/// --change`): where every applying calendar is open at once, and the blackouts of any of
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChangeCalendarReport {
    /// The change's id.
    pub change: String,
    /// The regions the change touches, in the order the decision lists them.
    pub regions: Vec<String>,
    /// The calendars that apply to it, each once: its regions' (in the order of its regions
    /// and of their `uses`), then its services' and its own (`services where`, catalog
    /// `calendars`, `changes where`).
    pub calendars: Vec<String>,
    /// The IANA time-zone database version used.
    pub timezone_db: String,
    /// The stretches where every applying calendar is open at once: where the change may run.
    pub open: Vec<Stretch>,
    /// The blackout occurrences of any applying calendar that overlap the range.
    pub blackouts: Vec<BlackoutOccurrence>,
}

impl ChangeCalendarReport {
    /// The stable JSON form (pretty-printed, two-space indent).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

impl CalendarReport {
    /// The stable JSON form (pretty-printed, two-space indent).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}
