//! `shipgate metrics` and `shipgate replay` (SPEC 8.6): argument parsing and rendering only;
//! the figures are `shipgate::metrics`, the replay `Engine::replay`.

use std::fmt::Write as _;

use clap::{Args, ValueEnum};
use shipgate::{
    Catalog, Engine, Error, Figures, GroupBy, HistoryFormat, Metrics, MetricsQuery, Replay,
};

use crate::render::{clean, pretty};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricsFormat {
    Text,
    Json,
    /// The four measures week by week, one panel each (an SVG picture).
    Svg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    Service,
    Team,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryKind {
    /// One JSON object a line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

#[derive(Args)]
pub struct MetricsArgs {
    /// The deployment history: JSON lines of {"change", "service", "team"?, "committed_at",
    /// "deployed_at", "failed", "restored_at"?}, or CSV with those columns (`.csv`).
    #[arg(long)]
    history: String,
    /// The history's format; default: by extension (`.csv` is CSV, anything else JSON lines).
    #[arg(long, value_enum)]
    history_format: Option<HistoryKind>,
    /// The period's start, included (RFC 3339); default: the earliest deployment.
    #[arg(long)]
    from: Option<String>,
    /// The period's end, excluded (RFC 3339); default: the latest deployment, included.
    #[arg(long)]
    to: Option<String>,
    /// Figures per service or per team as well (deployments without a team form one group).
    #[arg(long, value_enum)]
    by: Option<By>,
    #[arg(long, value_enum, default_value = "text")]
    format: MetricsFormat,
}

pub fn metrics(args: MetricsArgs) -> Result<String, Error> {
    let mut query = MetricsQuery::new();
    query.from = args
        .from
        .as_deref()
        .map(|t| crate::parse_time("--from", t))
        .transpose()?;
    query.to = args
        .to
        .as_deref()
        .map(|t| crate::parse_time("--to", t))
        .transpose()?;
    query.by = args.by.map(|b| match b {
        By::Service => GroupBy::Service,
        By::Team => GroupBy::Team,
    });
    let format = args.history_format.map(|k| match k {
        HistoryKind::Jsonl => HistoryFormat::JsonLines,
        HistoryKind::Csv => HistoryFormat::Csv,
    });
    let m = shipgate::metrics_from_path(&args.history, format, &query)?;
    Ok(match args.format {
        MetricsFormat::Json => format!("{}\n", pretty(&m.to_json())),
        MetricsFormat::Svg => m.to_svg()?,
        MetricsFormat::Text => text(&m, args.by),
    })
}

fn seconds(s: Option<i64>) -> String {
    s.map_or_else(|| "-".to_string(), shipgate::format_duration)
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{r:.2}"))
}

fn text(m: &Metrics, by: Option<By>) -> String {
    let mut out = String::new();
    let when =
        |t: Option<shipgate::Instant>| t.map_or_else(|| "-".to_string(), shipgate::format_instant);
    let _ = writeln!(out, "period {} to {}", when(m.from), when(m.to));
    let f = &m.overall;
    let _ = writeln!(
        out,
        "deployments              {} ({} a day)",
        f.deployments,
        rate(f.per_day)
    );
    let _ = writeln!(
        out,
        "lead time                median {}, p90 {}",
        seconds(f.lead_time_median_s),
        seconds(f.lead_time_p90_s)
    );
    let _ = writeln!(
        out,
        "change failure rate      {} ({} failed)",
        percent(f.change_failure_rate),
        f.failed
    );
    let _ = write!(
        out,
        "time to restore          median {}",
        seconds(f.time_to_restore_median_s)
    );
    if f.not_restored > 0 {
        let _ = write!(
            out,
            " ({} failed not restored, not counted)",
            f.not_restored
        );
    }
    out.push('\n');
    if let Some(by) = by {
        let title = match by {
            By::Service => "service",
            By::Team => "team",
        };
        let rows: Vec<(String, &Figures)> = m
            .groups
            .iter()
            .map(|g| {
                let key = g
                    .key
                    .as_deref()
                    .map_or_else(|| "(no team)".to_string(), |k| clean(k).into_owned());
                (key, &g.figures)
            })
            .collect();
        let width = rows
            .iter()
            .map(|r| r.0.chars().count())
            .chain([title.len()])
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            out,
            "\n{title:<width$}  deployments  per day  lead median  lead p90  failure rate  restore median"
        );
        for (key, f) in rows {
            let _ = writeln!(
                out,
                "{key:<width$}  {:>11}  {:>7}  {:>11}  {:>8}  {:>12}  {:>14}",
                f.deployments,
                rate(f.per_day),
                seconds(f.lead_time_median_s),
                seconds(f.lead_time_p90_s),
                percent(f.change_failure_rate),
                seconds(f.time_to_restore_median_s),
            );
        }
    }
    out
}

#[derive(Args)]
pub struct ReplayArgs {
    /// The policy as it is (folders or .gate files).
    #[arg(long, num_args = 1.., required = true)]
    old: Vec<std::path::PathBuf>,
    /// The policy as proposed.
    #[arg(long, num_args = 1.., required = true)]
    new: Vec<std::path::PathBuf>,
    /// The service catalog (JSON or YAML by extension).
    #[arg(long)]
    catalog: String,
    /// The historical changes: JSON lines of {"change": {...}, "now": T} (`-` for standard
    /// input), read as a stream.
    #[arg(long)]
    changes: String,
    #[arg(long, value_enum, default_value = "text")]
    format: crate::OutFormat,
    #[command(flatten)]
    limit: crate::InputLimit,
}

pub fn replay(args: ReplayArgs) -> Result<String, Error> {
    let old = Engine::from_paths(&args.old)?;
    let new = Engine::from_paths(&args.new)?;
    let catalog: Catalog = crate::read_catalog(&args.catalog, args.limit.max_input_bytes)?;
    let replay = if args.changes == "-" {
        old.replay(
            &new,
            &catalog,
            std::io::BufReader::new(std::io::stdin()),
            "<stdin>",
        )?
    } else {
        let file = std::fs::File::open(&args.changes).map_err(|e| Error::Io {
            path: args.changes.clone(),
            message: e.to_string(),
        })?;
        let reader = std::io::BufReader::with_capacity(1 << 16, file);
        old.replay(&new, &catalog, reader, &args.changes)?
    };
    Ok(match args.format {
        crate::OutFormat::Json => format!("{}\n", pretty(&replay.to_json())),
        crate::OutFormat::Text => replay_text(&replay),
    })
}

fn replay_text(r: &Replay) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} change(s) replayed, {} decided differently",
        r.total,
        r.changed.len()
    );
    for c in &r.changed {
        let _ = writeln!(
            out,
            "{}  {} -> {}  (line {})",
            clean(&c.change),
            c.old,
            c.new,
            c.line
        );
        for (sign, reasons) in [("+", &c.reasons_added), ("-", &c.reasons_removed)] {
            for reason in reasons {
                let _ = writeln!(
                    out,
                    "  {sign} {}: {}",
                    clean(&reason.rule),
                    clean(&reason.message)
                );
            }
        }
    }
    out
}
