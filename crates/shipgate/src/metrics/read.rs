//! Reading a deployment history: JSON lines or CSV, one record at a time, each checked.

use std::borrow::Cow;
use std::io::{BufRead, Read as _};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::MAX_HISTORY_LINE_BYTES;
use crate::error::{Error, InputError};
use crate::time::parse_instant;

/// How a history is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HistoryFormat {
    /// One JSON object a line: `{"change", "service", "team"?, "committed_at", "deployed_at",
    /// "failed", "restored_at"?}`.
    JsonLines,
    /// CSV with a header row naming those columns (any order); an empty `team` or
    /// `restored_at` is absent, `failed` is `true` or `false`.
    Csv,
}

impl HistoryFormat {
    /// `.csv` is CSV; anything else JSON lines.
    pub fn of_path(path: &Path) -> HistoryFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => HistoryFormat::Csv,
            _ => HistoryFormat::JsonLines,
        }
    }
}

/// One record, checked: instants in unix seconds.
pub(super) struct Record<'a> {
    pub line: u64,
    pub change: &'a str,
    pub service: &'a str,
    pub team: Option<&'a str>,
    pub committed: i64,
    pub deployed: i64,
    pub failed: bool,
    pub restored: Option<i64>,
}

const FIELDS: [&str; 7] = [
    "change",
    "service",
    "team",
    "committed_at",
    "deployed_at",
    "failed",
    "restored_at",
];

/// A record as written, before its instants are read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw<'a> {
    #[serde(borrow)]
    change: Cow<'a, str>,
    #[serde(borrow)]
    service: Cow<'a, str>,
    #[serde(borrow, default)]
    team: Option<Cow<'a, str>>,
    #[serde(borrow)]
    committed_at: Cow<'a, str>,
    #[serde(borrow)]
    deployed_at: Cow<'a, str>,
    failed: bool,
    #[serde(borrow, default)]
    restored_at: Option<Cow<'a, str>>,
}

fn at(name: &str, line: u64, field: &str, message: impl Into<String>) -> Error {
    let path = if field.is_empty() {
        format!("{name}:{line}")
    } else {
        format!("{name}:{line}: {field}")
    };
    InputError::new(path, message).into()
}

/// Calls `each` with every record of the history, in order; the first error stops the reading.
/// An error of `each` is about the record's line.
pub(super) fn records(
    reader: impl BufRead,
    name: &str,
    format: HistoryFormat,
    mut each: impl FnMut(Record<'_>) -> Result<(), String>,
) -> Result<(), Error> {
    let mut accept = |raw: RawFields<'_>, line: u64| -> Result<(), Error> {
        let record = check(raw, line).map_err(|(field, m)| at(name, line, field, m))?;
        each(record).map_err(|m| at(name, line, "", m))
    };
    match format {
        HistoryFormat::JsonLines => json_lines(reader, name, &mut accept),
        HistoryFormat::Csv => csv_rows(reader, name, &mut accept),
    }
}

/// The fields of one record as text, from either format.
struct RawFields<'a> {
    change: &'a str,
    service: &'a str,
    team: Option<&'a str>,
    committed_at: &'a str,
    deployed_at: &'a str,
    failed: bool,
    restored_at: Option<&'a str>,
}

fn check<'a>(raw: RawFields<'a>, line: u64) -> Result<Record<'a>, (&'static str, String)> {
    if raw.change.is_empty() {
        return Err(("change", "must not be empty".into()));
    }
    if raw.service.is_empty() {
        return Err(("service", "must not be empty".into()));
    }
    let when = |field: &'static str, text: &str| {
        parse_instant(text)
            .map(|t| t.timestamp())
            .map_err(|m| (field, m))
    };
    let committed = when("committed_at", raw.committed_at)?;
    let deployed = when("deployed_at", raw.deployed_at)?;
    if deployed < committed {
        return Err((
            "deployed_at",
            format!(
                "{} is before committed_at {}: a change is deployed after it is committed",
                raw.deployed_at, raw.committed_at
            ),
        ));
    }
    let restored = match raw.restored_at {
        None => None,
        Some(text) => {
            let restored = when("restored_at", text)?;
            if !raw.failed {
                return Err((
                    "restored_at",
                    "given for a deployment that did not fail (failed is false)".into(),
                ));
            }
            if restored < deployed {
                return Err((
                    "restored_at",
                    format!(
                        "{text} is before deployed_at {}: a failure is restored after it is deployed",
                        raw.deployed_at
                    ),
                ));
            }
            Some(restored)
        }
    };
    Ok(Record {
        line,
        change: raw.change,
        service: raw.service,
        team: raw.team.filter(|t| !t.is_empty()),
        committed,
        deployed,
        failed: raw.failed,
        restored,
    })
}

fn json_lines(
    mut reader: impl BufRead,
    name: &str,
    accept: &mut impl FnMut(RawFields<'_>, u64) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut text = String::new();
    let mut line = 0u64;
    loop {
        text.clear();
        line += 1;
        let read = (&mut reader)
            .take(MAX_HISTORY_LINE_BYTES as u64 + 1)
            .read_line(&mut text)
            .map_err(|e| at(name, line, "", format!("cannot read the line: {e}")))?;
        if read == 0 {
            return Ok(());
        }
        if read > MAX_HISTORY_LINE_BYTES && !text.ends_with('\n') {
            return Err(at(
                name,
                line,
                "",
                format!("the line is longer than {MAX_HISTORY_LINE_BYTES} bytes"),
            ));
        }
        let body = text.trim();
        if body.is_empty() {
            continue;
        }
        match serde_json::from_str::<Raw<'_>>(body) {
            Ok(raw) => accept(
                RawFields {
                    change: &raw.change,
                    service: &raw.service,
                    team: raw.team.as_deref(),
                    committed_at: &raw.committed_at,
                    deployed_at: &raw.deployed_at,
                    failed: raw.failed,
                    restored_at: raw.restored_at.as_deref(),
                },
                line,
            )?,
            Err(e) => {
                let (field, message) = diagnose(body, &e);
                return Err(at(name, line, field, message));
            }
        }
    }
}

/// Which field of a line that did not read is wrong, and how (read again as a JSON value:
/// the typed reader does not say which field a wrong type is in).
fn diagnose(body: &str, e: &serde_json::Error) -> (&'static str, String) {
    let value: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => return ("", format!("invalid JSON at column {}: {e}", e.column())),
    };
    let Value::Object(object) = value else {
        return (
            "",
            "expected an object {\"change\", \"service\", ...}".into(),
        );
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return (
            "",
            format!(
                "unknown field \"{unknown}\" (the fields are {})",
                FIELDS.join(", ")
            ),
        );
    }
    for field in FIELDS {
        let optional = matches!(field, "team" | "restored_at");
        match (object.get(field), field) {
            (None, _) if optional => {}
            (None, _) => return (field, "missing".into()),
            (Some(Value::Null), _) if optional => {}
            (Some(Value::Bool(_)), "failed") => {}
            (Some(other), "failed") => {
                return (field, format!("expected true or false, got {other}"));
            }
            (Some(Value::String(_)), _) => {}
            (Some(other), _) => return (field, format!("expected a string, got {other}")),
        }
    }
    ("", e.to_string())
}

fn csv_rows(
    reader: impl BufRead,
    name: &str,
    accept: &mut impl FnMut(RawFields<'_>, u64) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut rows = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = rows
        .headers()
        .map_err(|e| at(name, 1, "", format!("cannot read the header row: {e}")))?
        .clone();
    let mut column = [usize::MAX; 7];
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        let Some(f) = FIELDS.iter().position(|f| *f == h) else {
            return Err(at(
                name,
                1,
                "",
                format!(
                    "unknown column \"{h}\" (the columns are {})",
                    FIELDS.join(", ")
                ),
            ));
        };
        if column[f] != usize::MAX {
            return Err(at(
                name,
                1,
                "",
                format!("the column \"{h}\" is given twice"),
            ));
        }
        column[f] = i;
    }
    for (f, c) in FIELDS.iter().zip(column) {
        if c == usize::MAX && !matches!(*f, "team" | "restored_at") {
            return Err(at(name, 1, "", format!("the column \"{f}\" is missing")));
        }
    }
    let mut row = csv::StringRecord::new();
    loop {
        let more = rows.read_record(&mut row).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            at(name, line, "", format!("invalid CSV: {e}"))
        })?;
        if !more {
            return Ok(());
        }
        let line = row.position().map_or(0, |p| p.line());
        let get = |f: usize| row.get(column[f]).filter(|t| !t.is_empty());
        let need = |f: usize| {
            get(f).ok_or_else(|| at(name, line, FIELDS[f], "missing (the cell is empty)"))
        };
        let failed = match need(5)? {
            "true" => true,
            "false" => false,
            other => {
                return Err(at(
                    name,
                    line,
                    "failed",
                    format!("expected true or false, got \"{other}\""),
                ));
            }
        };
        accept(
            RawFields {
                change: need(0)?,
                service: need(1)?,
                team: get(2),
                committed_at: need(3)?,
                deployed_at: need(4)?,
                failed,
                restored_at: get(6),
            },
            line,
        )?;
    }
}
