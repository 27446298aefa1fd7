//! `shipgate audit ...` and `check --audit-log`: the decision archive (SPEC 8.5). Argument
//! parsing and rendering only; the archive is `shipgate::AuditLog`.

use std::fmt::Write as _;

use clap::{Subcommand, ValueEnum};
use shipgate::{AuditLog, Decision, Error, Instant, RecordFilter, VerifyReport};

use crate::render::clean;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every record's hash, seq and link: exit 0 and the record count when intact,
    /// 1 and the first bad record's seq (and line, for a file) when not.
    Verify {
        /// A file of JSON lines, or a postgres:// URL.
        target: String,
        #[arg(long, value_enum, default_value = "text")]
        format: crate::OutFormat,
    },
    /// Write the records (all, or those of a period or a change), after verifying them: a
    /// broken archive is an error (exit 3), never a silently shorter export.
    Export {
        /// A file of JSON lines, or a postgres:// URL.
        target: String,
        /// The earliest `at` (when the record was appended), included (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// The latest `at`, excluded (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// Only the decisions of this change id.
        #[arg(long)]
        change: Option<String>,
        /// `json`: a list of the records; `csv`: one row per record (seq, at, change,
        /// verdict, tier, now, policy, inputs, prev, hash).
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
    /// The obligations of each change's latest archived decision: exit 1 when one is
    /// overdue (due <= --now), 0 otherwise.
    Obligations {
        /// A file of JSON lines, or a postgres:// URL.
        target: String,
        /// The instant to judge at (RFC 3339); default: the current time.
        #[arg(long)]
        now: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: crate::OutFormat,
    },
}

/// Appends a decision to the archive at the system clock (`check --audit-log`); the warnings
/// of the append (a torn line removed) and where the record went are said on standard error.
pub fn archive(target: &str, decision: &Decision) -> Result<(), Error> {
    let mut log = AuditLog::open(target)?;
    let appended = log.append(decision, chrono::Utc::now())?;
    for w in &appended.warnings {
        eprintln!("warning: {}", clean(w));
    }
    eprintln!(
        "archived: seq {} in {}",
        appended.last_seq,
        clean(log.target())
    );
    Ok(())
}

pub fn run(command: AuditCommand) -> Result<(String, u8), Error> {
    match command {
        AuditCommand::Verify { target, format } => {
            let report = AuditLog::open(&target)?.verify()?;
            let code = if report.is_intact() { 0 } else { 1 };
            let text = match format {
                crate::OutFormat::Json => {
                    let mut value = serde_json::to_value(&report).unwrap_or_default();
                    value["intact"] = report.is_intact().into();
                    format!("{}\n", crate::render::pretty(&value))
                }
                crate::OutFormat::Text => verify_text(&report),
            };
            Ok((text, code))
        }
        AuditCommand::Export {
            target,
            from,
            to,
            change,
            format,
        } => {
            let mut filter = RecordFilter::all();
            if let Some(from) = from {
                filter = filter.from(crate::parse_time("--from", &from)?);
            }
            if let Some(to) = to {
                filter = filter.to(crate::parse_time("--to", &to)?);
            }
            if let Some(change) = change {
                filter = filter.change(change);
            }
            let records = AuditLog::open(&target)?.records(&filter)?;
            let text = match format {
                ExportFormat::Json => {
                    let list: Vec<serde_json::Value> = records
                        .iter()
                        .map(shipgate::Record::to_json_value)
                        .collect();
                    format!("{}\n", crate::render::pretty(&list.into()))
                }
                ExportFormat::Csv => csv(&records)?,
            };
            Ok((text, 0))
        }
        AuditCommand::Obligations {
            target,
            now,
            format,
        } => {
            let now = crate::parse_now(now.as_deref())?;
            let report = AuditLog::open(&target)?.obligations(now)?;
            let code = if report.overdue.is_empty() { 0 } else { 1 };
            let text = match format {
                crate::OutFormat::Json => format!(
                    "{}\n",
                    crate::render::pretty(&serde_json::to_value(&report).unwrap_or_default())
                ),
                crate::OutFormat::Text => obligations_text(&report, now),
            };
            Ok((text, code))
        }
    }
}

fn verify_text(report: &VerifyReport) -> String {
    match &report.problem {
        None => format!(
            "ok: {} record(s) intact, head {}\n",
            report.records,
            report.head.as_deref().unwrap_or("none (empty archive)")
        ),
        Some(p) => format!(
            "TAMPERED ({}): {}\n{} record(s) intact before it\n",
            p.kind.as_str(),
            clean(&p.describe()),
            report.records
        ),
    }
}

fn obligations_text(report: &shipgate::ObligationReport, now: Instant) -> String {
    let mut out = String::new();
    let line = |o: &shipgate::OpenObligation| {
        format!(
            "{}  rule {}: {} approval(s) from {}, due {} (record seq {})",
            clean(&o.change),
            clean(&o.rule),
            o.needed,
            clean(&o.group),
            shipgate::format_instant(o.due),
            o.seq
        )
    };
    let _ = writeln!(
        out,
        "{} overdue, {} open at {}",
        report.overdue.len(),
        report.open.len(),
        shipgate::format_instant(now)
    );
    for o in &report.overdue {
        let _ = writeln!(out, "  OVERDUE  {}", line(o));
    }
    for o in &report.open {
        let _ = writeln!(out, "  open     {}", line(o));
    }
    out
}

fn csv(records: &[shipgate::Record]) -> Result<String, Error> {
    let fail = |e: csv::Error| Error::Io {
        path: "<stdout>".into(),
        message: format!("cannot write CSV: {e}"),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "seq", "at", "change", "verdict", "tier", "now", "policy", "inputs", "prev", "hash",
    ])
    .map_err(fail)?;
    for r in records {
        let field = |key: &str| {
            r.decision
                .get(key)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        w.write_record([
            r.seq.to_string(),
            shipgate::format_instant(r.at),
            r.change().to_string(),
            field("verdict"),
            field("tier"),
            field("now"),
            field("policy"),
            field("inputs"),
            r.prev.clone().unwrap_or_default(),
            r.hash.clone(),
        ])
        .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Io {
        path: "<stdout>".into(),
        message: format!("cannot write CSV: {e}"),
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
