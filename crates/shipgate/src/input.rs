//! The inputs: a change request and a service catalog, read from JSON or YAML with errors that
//! name the JSON path of what is wrong.
//!
//! Parsing lives here; the compiled dependency graph lives in `graph`.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use crate::error::InputError;

/// An instant in UTC.
pub type Instant = DateTime<Utc>;

/// The text format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// By extension: `.yaml`/`.yml` are YAML, everything else JSON.
    pub fn from_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else {
            Format::Json
        }
    }
}

/// A service of the catalog (SPEC section 3). Missing booleans are false.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub id: String,
    pub team: String,
    /// 0 (most critical) to 3.
    pub tier: i64,
    pub depends_on: Vec<String>,
    pub regions: Vec<String>,
    pub stateful: bool,
    pub automated_rollback: bool,
    pub legacy: bool,
    pub monitored: bool,
    /// Fraction of the error budget remaining; may be negative. Default 1.0.
    pub error_budget: f64,
    /// Fields not built in (checked against the policy's `extend service` when read).
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub by: String,
    pub group: String,
    pub at: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub severity: i64,
    pub opened: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    pub rule: String,
    pub by: String,
    pub group: String,
    pub reason: String,
    pub granted_at: Instant,
    pub expires_at: Instant,
}

/// A change request (SPEC section 3).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: String,
    pub title: String,
    pub kind: Vec<String>,
    /// Service ids; resolved against the catalog at evaluation.
    pub services: Vec<String>,
    pub requester: String,
    pub implementer: String,
    pub approvals: Vec<Approval>,
    pub checks: Vec<String>,
    pub emergency: bool,
    pub incident: Option<Incident>,
    /// Requested start; `None` means "now" for a decision and "as soon as possible" for a plan.
    pub start: Option<Instant>,
    /// Seconds.
    pub duration: i64,
    /// Explicit regions; `None` means the union of the services' regions.
    pub regions: Option<Vec<String>>,
    pub size: i64,
    pub labels: Vec<String>,
    pub backward_compatible: bool,
    pub contract_verified: bool,
    pub after: Vec<String>,
    pub waivers: Vec<Waiver>,
    /// Fields not built in (checked against the policy's `extend change` at evaluation).
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Reads a text document in the given format into a JSON value (YAML is mapped onto JSON).
pub fn parse_document(
    text: &str,
    format: Format,
    what: &str,
) -> Result<serde_json::Value, InputError> {
    match format {
        Format::Json => serde_json::from_str(text).map_err(|e| {
            InputError::new(
                what,
                format!(
                    "invalid JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        }),
        Format::Yaml => serde_yaml_ng::from_str(text)
            .map_err(|e| InputError::new(what, format!("invalid YAML: {e}"))),
    }
}

impl Change {
    /// Reads a change from its JSON form; errors name the path under `change`.
    pub fn from_json(value: &serde_json::Value) -> Result<Change, InputError> {
        Err(InputError::new(
            "change",
            format!("not implemented yet: {value}"),
        ))
    }

    pub fn from_text(text: &str, format: Format) -> Result<Change, InputError> {
        Change::from_json(&parse_document(text, format, "change")?)
    }
}

/// Parses `"2h"`, `"90m"`, `"1h30m"`, `"45s"`, `"3d"`, `"2w"` into seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let mut total: i64 = 0;
    let mut num = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 604800,
            _ => return Err(format!("expected a duration like 2h or 90m, got {text:?}")),
        };
        let n: i64 = num
            .parse()
            .map_err(|_| format!("expected a duration like 2h or 90m, got {text:?}"))?;
        total = total.saturating_add(n.saturating_mul(unit));
        num.clear();
    }
    if !num.is_empty() || text.trim().is_empty() {
        return Err(format!("expected a duration like 2h or 90m, got {text:?}"));
    }
    Ok(total)
}

/// Seconds as the shortest duration text: 5400 -> "1h30m", 300 -> "5m", 0 -> "0s".
pub fn format_duration(secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = secs.unsigned_abs();
    if secs < 0 {
        out.push('-');
    }
    for (unit, name) in [
        (604800, "w"),
        (86400, "d"),
        (3600, "h"),
        (60, "m"),
        (1, "s"),
    ] {
        if rest >= unit {
            out.push_str(&format!("{}{}", rest / unit, name));
            rest %= unit;
        }
    }
    out
}

/// Parses an RFC 3339 date-time with an offset; a naive one is an error.
pub fn parse_instant(text: &str) -> Result<Instant, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("expected an RFC 3339 date-time with offset, got {text:?}"))
}

/// RFC 3339 in UTC with seconds: `2026-12-01T10:00:00Z`.
pub fn format_instant(t: Instant) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
