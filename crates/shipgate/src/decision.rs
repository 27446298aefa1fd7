//! The decision: what the engine answers, serialised to the stable JSON of the contract.

use serde::Serialize;

use crate::time::Instant;

/// The strings of a decision: immutable, stored inline up to 23 bytes, and shared (not
/// copied) when longer, so that building a decision from the compiled policy's names does not
/// allocate. Derefs to `&str`; compares with `&str` and `String`.
pub use smol_str::SmolStr as Text;

/// A vector stored inline up to `N` items (the `smallvec` crate); derefs to a slice.
pub use smallvec::SmallVec;

/// `allow`, `pending` (nothing forbids it but approvals or checks are missing) or `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Pending,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Pending => "pending",
            Verdict::Deny => "deny",
        }
    }

    /// The CLI's exit code for this verdict: 0 allow, 1 deny, 2 pending.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Allow => 0,
            Verdict::Deny => 1,
            Verdict::Pending => 2,
        }
    }
}

/// A rule that denied (or `"schedule"` for a start that is not allowed, or `"default"` for
/// `default deny` with no `allow` firing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub rule: Text,
    pub message: Text,
    /// `file:line:col` of the effect that denied; empty for `schedule`.
    pub at: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequirementKind {
    Approval,
    Check,
}

/// An approval that did not count, and why (`requester`, `implementer`, `duplicate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    pub by: Text,
    pub why: Text,
}

/// An approval or check asked for by a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    pub rule: Text,
    pub kind: RequirementKind,
    /// The approving group (approvals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Text>,
    /// The check's name (checks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Text>,
    pub needed: u32,
    /// Approvers who counted (approvals), or the check's name once done (checks). Stored
    /// inline up to two names; derefs to a slice.
    pub counted: SmallVec<[Text; 2]>,
    pub ignored: Vec<Ignored>,
    pub satisfied: bool,
}

/// What was lifted, and by which rule or waiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exemption {
    /// The rule whose `exempt` effect applied, or `"waiver"` for a honoured waiver.
    pub rule: Text,
    /// `blackout`, `window`, or `rule <name>`.
    pub lifts: Text,
    /// Who granted it, for a waiver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Text>,
}

/// A waiver found on the change, honoured or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverOutcome {
    pub rule: Text,
    pub by: Text,
    pub honored: bool,
    /// Why it was rejected; empty when honoured.
    #[serde(skip_serializing_if = "Text::is_empty")]
    pub why: Text,
}

/// An open stretch of time, `[start, end)`; serialised as RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stretch {
    #[serde(serialize_with = "rfc3339")]
    pub start: Instant,
    #[serde(serialize_with = "rfc3339")]
    pub end: Instant,
}

/// An instant as the contract writes it: RFC 3339 UTC, `2026-12-01T10:00:00Z`. Decisions hold
/// instants, not their text, so that deciding never formats one that nobody reads.
fn rfc3339<S: serde::Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
    match crate::time::utc_seconds(t.timestamp()) {
        Some(text) if t.timestamp_subsec_nanos() == 0 => s.serialize_str(text.as_str()),
        _ => s.serialize_str(&crate::time::format_instant(*t)),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionSchedule {
    pub region: Text,
    /// Whether `[start, end)` fits in the region.
    pub open: bool,
    /// Blackouts hit, or `"outside windows"`.
    pub blocked_by: Vec<Text>,
    /// The next stretch where the whole change fits (`null` when none within the horizon).
    pub next_window: Option<Stretch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    #[serde(serialize_with = "rfc3339")]
    pub start: Instant,
    #[serde(serialize_with = "rfc3339")]
    pub end: Instant,
    pub allowed: bool,
    /// The IANA time-zone database version used.
    pub tzdb: Text,
    pub regions: Vec<RegionSchedule>,
}

/// A rollback trigger that applies to this change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollbackTrigger {
    pub metric: Text,
    pub op: Text,
    pub threshold: f64,
    /// `"baseline"` when the threshold is relative (`150% of baseline` gives 1.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_to: Option<Text>,
    #[serde(rename = "for")]
    pub for_: Text,
    /// `"fire"` when the trigger fires on missing data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_no_data: Option<Text>,
}

/// One step of evaluation, recorded with `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceEntry {
    /// `tier`, `rule`, `effect`, `strategy`, `notify`, `trigger`, `waiver`.
    pub kind: Text,
    pub name: Text,
    /// What happened: `holds`, `does not hold`, `fired`, `skipped (guard false)`, `error: ...`.
    pub outcome: Text,
    pub at: Text,
}

/// The engine's answer for one change at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub tier: Text,
    pub reasons: Vec<Reason>,
    pub requirements: Vec<Requirement>,
    pub exemptions: Vec<Exemption>,
    pub waivers: Vec<WaiverOutcome>,
    pub schedule: Schedule,
    pub strategy: Option<Text>,
    pub rollback: Vec<RollbackTrigger>,
    pub notify: Vec<Text>,
    /// Deployment waves, each stored inline up to four services; derefs to a slice.
    pub order: Vec<SmallVec<[Text; 4]>>,
    pub trace: Vec<TraceEntry>,
}

impl Decision {
    /// The stable JSON form (pretty-printed, two-space indent, keys in contract order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A blackout occurrence, `[start, end)`, RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlackoutOccurrence {
    pub name: String,
    pub start: String,
    pub end: String,
}

/// Open stretches and blackouts of one region over a range (`shipgate calendar`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarReport {
    pub region: String,
    pub timezone_db: String,
    pub open: Vec<Stretch>,
    pub blackouts: Vec<BlackoutOccurrence>,
}

impl CalendarReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}
