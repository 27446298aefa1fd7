//! `shipgate`: the command line over the shipgate engine. Argument parsing and rendering only.

mod render;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use shipgate::{Catalog, Change, Engine, Error, Format, Instant, Verdict};

/// Writes to standard output; a closed pipe (`shipgate ... | head`) is not an error.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Exit code for bad input or a policy that does not compile.
const EXIT_BAD_INPUT: u8 = 3;

#[derive(Parser)]
#[command(
    name = "shipgate",
    version,
    about = "Release-policy engine: may this change ship now?"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CalendarFormat {
    Text,
    Json,
    Ics,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Decide one change: exit 0 allow, 1 deny, 2 pending, 3 bad input or policy.
    Check {
        /// Policy folders or .gate files (a folder means every .gate file in it).
        #[arg(long, num_args = 1.., required = true)]
        policy: Vec<PathBuf>,
        /// The service catalog (JSON or YAML by extension; `-` for standard input).
        #[arg(long)]
        catalog: String,
        /// The change request (JSON or YAML by extension; `-` for standard input).
        #[arg(long)]
        change: String,
        /// The evaluation instant (RFC 3339 with offset); default: the current time.
        #[arg(long)]
        now: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
        /// Fill the decision's trace with every tier, rule and strategy arm evaluated.
        #[arg(long)]
        explain: bool,
    },
    /// Compile and type-check a policy set only: exit 0 valid, 3 not.
    Validate {
        #[arg(long, num_args = 1.., required = true)]
        policy: Vec<PathBuf>,
    },
    /// Open windows and blackouts of one region over a range of time.
    Calendar {
        #[arg(long, num_args = 1.., required = true)]
        policy: Vec<PathBuf>,
        /// The region, as declared by `region NAME uses ...`.
        #[arg(long)]
        region: String,
        /// Start of the range (RFC 3339 with offset).
        #[arg(long)]
        from: String,
        /// End of the range (RFC 3339 with offset), at most three years after `--from`.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "text")]
        format: CalendarFormat,
    },
    /// The catalog's dependency graph and its deployment waves.
    Graph {
        #[arg(long)]
        catalog: String,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let err_color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let code = match run(cli, color) {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", render::error(&e, err_color));
            EXIT_BAD_INPUT
        }
    };
    ExitCode::from(code)
}

fn run(cli: Cli, color: bool) -> Result<u8, Error> {
    match cli.command {
        Command::Check {
            policy,
            catalog,
            change,
            now,
            format,
            explain,
        } => {
            let engine = Engine::from_paths(&policy)?;
            let catalog = read_catalog(&catalog)?;
            let change = read_change(&change)?;
            let now = parse_now(now.as_deref())?;
            let decision = engine.evaluate(&change, &catalog, now, explain)?;
            match format {
                OutFormat::Json => outln!("{}", decision.to_json()),
                OutFormat::Text => out!("{}", render::decision(&decision, &change, color)),
            }
            Ok(exit_code(decision.verdict))
        }
        Command::Validate { policy } => {
            let engine = Engine::from_paths(&policy)?;
            let warnings = engine.render_warnings(std::io::stderr().is_terminal() && color);
            eprint!("{warnings}");
            let files = shipgate::policy_files(&policy)?;
            outln!(
                "ok: {} file(s) valid, {} warning(s)",
                files.len(),
                engine.warnings().len()
            );
            Ok(0)
        }
        Command::Calendar {
            policy,
            region,
            from,
            to,
            format,
        } => {
            let engine = Engine::from_paths(&policy)?;
            let from = parse_time("--from", &from)?;
            let to = parse_time("--to", &to)?;
            match format {
                CalendarFormat::Ics => out!("{}", engine.calendar_ics(&region, from, to)?),
                CalendarFormat::Json => {
                    outln!("{}", engine.calendar(&region, from, to)?.to_json())
                }
                CalendarFormat::Text => {
                    out!(
                        "{}",
                        render::calendar(&engine.calendar(&region, from, to)?, color)
                    )
                }
            }
            Ok(0)
        }
        Command::Graph { catalog, format } => {
            let catalog = read_catalog(&catalog)?;
            match format {
                GraphFormat::Dot => out!("{}", catalog.to_dot()),
                GraphFormat::Mermaid => out!("{}", catalog.to_mermaid()),
                GraphFormat::Json => outln!("{}", render::graph_json(&catalog)),
            }
            Ok(0)
        }
    }
}

/// The exit code for a verdict: 0 allow, 1 deny, 2 pending (3 is a bad input).
fn exit_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Allow => 0,
        Verdict::Deny => 1,
        Verdict::Pending => 2,
    }
}

fn parse_time(flag: &str, text: &str) -> Result<Instant, Error> {
    shipgate::parse_instant(text).map_err(|m| Error::Input(shipgate::InputError::new(flag, m)))
}

/// Reads a file or standard input (`-`).
fn read_input(path: &str) -> Result<(String, Format), Error> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::Io {
                path: "<stdin>".into(),
                message: e.to_string(),
            })?;
        // JSON is tried first; anything else is read as YAML.
        let format = if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
            Format::Json
        } else {
            Format::Yaml
        };
        return Ok((text, format));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    Ok((text, Format::from_path(path)))
}

fn read_catalog(path: &str) -> Result<Catalog, Error> {
    let (text, format) = read_input(path)?;
    let value = shipgate::parse_document(&text, format, "catalog")?;
    Ok(Catalog::from_json(&value)?)
}

fn read_change(path: &str) -> Result<Change, Error> {
    let (text, format) = read_input(path)?;
    let value = shipgate::parse_document(&text, format, "change")?;
    Ok(Change::from_json(&value)?)
}

fn parse_now(now: Option<&str>) -> Result<Instant, Error> {
    match now {
        None => Ok(chrono::Utc::now()),
        Some(t) => parse_time("--now", t),
    }
}
