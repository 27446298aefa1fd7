//! `shipgate`: the command line over the shipgate engine. Argument parsing and rendering only.

mod audit;
mod delivery;
mod lsp;
mod render;
mod suite;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use shipgate::{
    Catalog, Change, Drawing, Engine, Error, Format, GanttSections, Instant, Limit, Limits, Verdict,
};

/// Writes to standard output; a closed pipe (`shipgate ... | head`) is not an error, any other
/// write error is (`> /dev/full`).
macro_rules! out {
    ($($arg:tt)*) => {
        emit(&format!($($arg)*))?
    };
}

macro_rules! outln {
    ($($arg:tt)*) => {
        emit(&format!("{}\n", format!($($arg)*)))?
    };
}

/// Writes `text` to standard output and flushes it.
fn emit(text: &str) -> Result<(), Error> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io {
            path: "<stdout>".into(),
            message: format!("cannot write the output: {e}"),
        }),
        _ => Ok(()),
    }
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

/// The value of a `--max-...` flag: a number the limit may take (1 to its ceiling).
fn limit_value(limit: Limit) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync {
    move |text: &str| {
        let value = text
            .parse::<u64>()
            .map_err(|e| format!("{text:?} is not a whole number: {e}"))?;
        limit.check(value).map_err(|e| e.to_string())
    }
}

/// The size limit of the commands that read a change or a catalog.
#[derive(clap::Args)]
pub(crate) struct InputLimit {
    /// The largest input file (or standard input) read, in bytes; a larger one is an error.
    #[arg(long, default_value_t = Limit::InputBytes.default_value(),
          value_parser = limit_value(Limit::InputBytes))]
    pub(crate) max_input_bytes: u64,
}

/// The limits of the commands that compile a policy (docs/security.md).
#[derive(clap::Args)]
struct PolicyLimits {
    /// The largest policy file read, in bytes.
    #[arg(long, default_value_t = Limit::PolicyFileBytes.default_value(),
          value_parser = limit_value(Limit::PolicyFileBytes))]
    max_policy_file_bytes: u64,
    /// The most policy text of all the files of the policy set together, in bytes.
    #[arg(long, default_value_t = Limit::PolicyBytes.default_value(),
          value_parser = limit_value(Limit::PolicyBytes))]
    max_policy_bytes: u64,
    /// The most start times one blackout's rrule (or imported RRULE) may give in a year.
    #[arg(long, default_value_t = Limit::RruleStartsPerRule.default_value(),
          value_parser = limit_value(Limit::RruleStartsPerRule))]
    max_rrule_starts_per_rule: u64,
    /// The most start times all the recurrence rules of the policy may give in a year.
    #[arg(long, default_value_t = Limit::RruleStartsPerPolicy.default_value(),
          value_parser = limit_value(Limit::RruleStartsPerPolicy))]
    max_rrule_starts_per_policy: u64,
}

impl PolicyLimits {
    /// The engine's limits: these, and `eval_steps` when the command decides.
    fn limits(&self, eval_steps: Option<u64>) -> Result<Limits, Error> {
        let mut limits = Limits::default();
        let given = [
            (Limit::PolicyFileBytes, Some(self.max_policy_file_bytes)),
            (Limit::PolicyBytes, Some(self.max_policy_bytes)),
            (
                Limit::RruleStartsPerRule,
                Some(self.max_rrule_starts_per_rule),
            ),
            (
                Limit::RruleStartsPerPolicy,
                Some(self.max_rrule_starts_per_policy),
            ),
            (Limit::EvalSteps, eval_steps),
        ];
        for (limit, value) in given {
            if let Some(value) = value {
                limits.set(limit, value).map_err(|e| {
                    Error::Input(shipgate::InputError::new(
                        format!("--{}", limit.name()),
                        e.message,
                    ))
                })?;
            }
        }
        Ok(limits)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutFormat {
    Text,
    Json,
}

/// The lowest severity of a lint finding that fails `shipgate lint`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DenyLevel {
    Warnings,
    Errors,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PlanFormat {
    Text,
    Json,
    Ics,
    Mermaid,
}

/// The sections of `plan --format mermaid`'s Gantt chart.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Sections {
    Wave,
    Region,
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
        /// The changes already scheduled: a plan (as `plan --format json` writes it) or a
        /// list of {"id", "services", "start", "end"} (JSON or YAML by extension; `-` for
        /// standard input). The decision lists the conflicts and `change.conflicts` counts
        /// them.
        #[arg(long)]
        scheduled: Option<String>,
        /// Append the decision to this audit archive (a file of JSON lines, or a
        /// postgres:// URL) before printing it; a failed append exits 3.
        #[arg(long, value_name = "TARGET")]
        audit_log: Option<String>,
        #[command(flatten)]
        limit: InputLimit,
        #[command(flatten)]
        policy_limits: PolicyLimits,
        /// The evaluation budget of the decision, in steps; past it the decision denies.
        #[arg(long, default_value_t = Limit::EvalSteps.default_value(),
              value_parser = limit_value(Limit::EvalSteps))]
        max_eval_steps: u64,
    },
    /// Plan a release train: exit 0 when every change is planned, 1 when some change is
    /// unschedulable, 3 bad input or policy.
    Plan {
        /// Policy folders or .gate files (a folder means every .gate file in it).
        #[arg(long, num_args = 1.., required = true)]
        policy: Vec<PathBuf>,
        /// The service catalog (JSON or YAML by extension; `-` for standard input).
        #[arg(long)]
        catalog: String,
        /// The changes: a list, or an object with "changes" (JSON or YAML by extension; `-`
        /// for standard input).
        #[arg(long)]
        changes: String,
        /// The earliest start of any change, also the decisions' `now` (RFC 3339 with
        /// offset); default: the current time.
        #[arg(long)]
        from: Option<String>,
        /// `ics`: one event per planned run for calendar clients (the unschedulable changes
        /// are listed on standard error); `mermaid`: a Gantt chart.
        #[arg(long, value_enum, default_value = "text")]
        format: PlanFormat,
        /// The sections of the Gantt chart (with `--format mermaid` only): one per wave
        /// (default), or one per region (a change in several regions is in each).
        #[arg(long, value_enum)]
        sections: Option<Sections>,
        /// An earlier plan (the JSON of `plan --format json`): say what moved, was cancelled,
        /// became unschedulable or newly planned since, and whom to tell (text and json).
        #[arg(long)]
        previous: Option<String>,
        #[command(flatten)]
        limit: InputLimit,
        #[command(flatten)]
        policy_limits: PolicyLimits,
        /// The evaluation budget of each decision, in steps; past it the decision denies.
        #[arg(long, default_value_t = Limit::EvalSteps.default_value(),
              value_parser = limit_value(Limit::EvalSteps))]
        max_eval_steps: u64,
    },
    /// Check the rollback triggers that apply to a change against observations: exit 1 when
    /// the answer is to roll back (a trigger fired, or one with `on no_data fire` has no
    /// data), 0 otherwise, 3 bad input or policy.
    Rollback {
        /// Policy folders or .gate files (a folder means every .gate file in it).
        #[arg(long, num_args = 1.., required = true)]
        policy: Vec<PathBuf>,
        /// The service catalog (JSON or YAML by extension; `-` for standard input).
        #[arg(long)]
        catalog: String,
        /// The change request (JSON or YAML by extension; `-` for standard input).
        #[arg(long)]
        change: String,
        /// The samples: {"baseline": {...}, "metrics": {"error_rate": [["T", 0.01], ...]},
        /// "intervals": {...}} (JSON or YAML by extension; `-` for standard input).
        #[arg(long)]
        observations: String,
        /// The instant of the check (RFC 3339 with offset): later samples are not read;
        /// default: the current time.
        #[arg(long)]
        now: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
        #[command(flatten)]
        limit: InputLimit,
        #[command(flatten)]
        policy_limits: PolicyLimits,
        /// The evaluation budget of the change's decision, in steps.
        #[arg(long, default_value_t = Limit::EvalSteps.default_value(),
              value_parser = limit_value(Limit::EvalSteps))]
        max_eval_steps: u64,
    },
    /// The decision archive: verify it, export it, list overdue obligations.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Rewrite .gate files in the canonical layout (`-`: standard input to standard output):
    /// exit 0; with --check, exit 1 when a file would change; 3 when a file does not parse
    /// (then no file is written).
    Fmt {
        /// Change nothing: name each file that would change, exit 1 if any.
        #[arg(long)]
        check: bool,
        /// Policy folders or .gate files, or `-` for standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run the YAML test cases under DIR: exit 0 when all pass, 1 when one fails, 3 when a
    /// case file, policy or input is wrong. Lists the rules and tier conditions no case
    /// exercised.
    Test {
        /// A folder of `*.yaml` case files (searched recursively), or one case file.
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
    /// Compile and type-check a policy set only: exit 0 valid, 3 not.
    Validate {
        #[arg(long, num_args = 1.., required = true)]
        policy: Vec<PathBuf>,
        #[command(flatten)]
        policy_limits: PolicyLimits,
    },
    /// Lint a policy set (docs/lint.md): exit 0 when no finding is at or above the `--deny`
    /// level, 1 when one is, 3 when the policy does not compile.
    Lint {
        #[arg(long, num_args = 1.., required = true)]
        policy: Vec<PathBuf>,
        /// The instant calendars are searched from (RFC 3339 with offset): a calendar not
        /// open within 365 days of it is a finding; default: the current time.
        #[arg(long)]
        now: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
        /// The lowest severity that fails the run (exit 1): `errors` (the default) or
        /// `warnings` (for CI: any finding fails).
        #[arg(long, value_enum, default_value = "errors")]
        deny: DenyLevel,
        #[command(flatten)]
        policy_limits: PolicyLimits,
    },
    /// A language server over standard input and output, for editors (docs/editors.md):
    /// diagnostics as you type, the type of a field on hover, go to definition.
    Lsp,
    /// Open windows and blackouts of one region, or of everything that applies to a change
    /// or to one service, over a range of time.
    Calendar {
        #[arg(long, num_args = 1.., required = true)]
        policy: Vec<PathBuf>,
        /// The region, as declared by `region NAME uses ...`.
        #[arg(long, required_unless_present_any = ["change", "service"],
              conflicts_with_all = ["change", "service"])]
        region: Option<String>,
        /// A change (JSON or YAML by extension; `-` for standard input): where every calendar
        /// that applies to it is open at once, and the blackouts of all of them.
        #[arg(long, group = "subject", requires = "catalog")]
        change: Option<String>,
        /// A service of the catalog: its regions' calendars, the `services where` that hold
        /// for it and its catalog `calendars`, all at once.
        #[arg(long, group = "subject", requires = "catalog")]
        service: Option<String>,
        /// The service catalog, with `--change` or `--service`.
        #[arg(long, requires = "subject")]
        catalog: Option<String>,
        /// Start of the range (RFC 3339 with offset).
        #[arg(long)]
        from: String,
        /// End of the range (RFC 3339 with offset), at most three years after `--from`.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "text")]
        format: CalendarFormat,
        #[command(flatten)]
        limit: InputLimit,
        #[command(flatten)]
        policy_limits: PolicyLimits,
    },
    /// The catalog's dependency graph, or a release train's order (`--changes`), in waves,
    /// with every cycle highlighted: exit 0, or 3 when there is a cycle (the drawing is still
    /// written, and the cycle named on standard error).
    Graph {
        #[arg(long)]
        catalog: String,
        /// Draw these changes (a file like `plan --changes`) and the order between them,
        /// instead of the catalog's services.
        #[arg(long)]
        changes: Option<String>,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        #[command(flatten)]
        limit: InputLimit,
    },
    /// Delivery metrics of a deployment history: deployments a day, lead time, change
    /// failure rate, time to restore; overall and by service or team (docs/metrics.md).
    Metrics(delivery::MetricsArgs),
    /// Decide historical changes under the old and the new policy and list what the new one
    /// decides differently, with the reasons added and removed (docs/metrics.md#replay).
    Replay(delivery::ReplayArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let err_color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let code = match run(cli, color) {
        Ok(code) => code,
        Err(e) => {
            // Nothing more can be said when standard error cannot be written either.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr().lock(),
                render::error(&e, err_color).as_bytes(),
            );
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
            scheduled,
            audit_log,
            limit: InputLimit {
                max_input_bytes: limit,
            },
            policy_limits,
            max_eval_steps,
        } => {
            let limits = policy_limits.limits(Some(max_eval_steps))?;
            let engine = Engine::from_paths_with(&policy, &limits)?;
            let catalog = read_catalog(&catalog, limit)?;
            let change = read_change(&change, limit)?;
            let now = parse_now(now.as_deref())?;
            let decision = match scheduled {
                None => engine.evaluate(&change, &catalog, now, explain)?,
                Some(path) => {
                    let scheduled =
                        shipgate::Scheduled::from_json(&read_input(&path, "scheduled", limit)?)?;
                    engine.evaluate_scheduled(&change, &catalog, now, explain, &scheduled)?
                }
            };
            if let Some(target) = audit_log {
                audit::archive(&target, &decision)?;
            }
            match format {
                OutFormat::Json => outln!("{}", decision.to_json()),
                OutFormat::Text => out!("{}", render::decision(&decision, &change, color)),
            }
            Ok(exit_code(decision.verdict))
        }
        Command::Plan {
            policy,
            catalog,
            changes,
            from,
            format,
            sections,
            previous,
            limit: InputLimit {
                max_input_bytes: limit,
            },
            policy_limits,
            max_eval_steps,
        } => {
            let sections = match (sections, format) {
                (None | Some(Sections::Wave), PlanFormat::Mermaid) => GanttSections::Wave,
                (Some(Sections::Region), PlanFormat::Mermaid) => GanttSections::Region,
                (None, _) => GanttSections::default(),
                (Some(_), other) => {
                    let name = other
                        .to_possible_value()
                        .map(|v| v.get_name().to_string())
                        .unwrap_or_default();
                    return Err(Error::Input(shipgate::InputError::new(
                        "--sections",
                        format!(
                            "only the Gantt chart of --format mermaid has sections, \
                             not --format {name}"
                        ),
                    )));
                }
            };
            if previous.is_some() && format == PlanFormat::Mermaid {
                // A chart of bars has no place for "moved" or "cancelled" either.
                return Err(Error::Input(shipgate::InputError::new(
                    "--previous",
                    "--format mermaid draws the new plan only, with no place for what changed \
                     since an earlier plan: use --format text or json with --previous",
                )));
            }
            if previous.is_some() && format == PlanFormat::Ics {
                // A calendar has no place for "moved" or "cancelled": importing the new plan
                // already moves each event (its UID is stable). Say so rather than drop it.
                return Err(Error::Input(shipgate::InputError::new(
                    "--previous",
                    "--format ics has no place for what changed since an earlier plan \
                     (importing the new calendar moves each event by its UID): use \
                     --format text or json with --previous",
                )));
            }
            let limits = policy_limits.limits(Some(max_eval_steps))?;
            let engine = Engine::from_paths_with(&policy, &limits)?;
            let catalog = read_catalog(&catalog, limit)?;
            let changes = shipgate::changes_from_json(&read_input(&changes, "changes", limit)?)?;
            let previous = match previous {
                Some(path) => Some(shipgate::PreviousPlan::from_json(&read_input(
                    &path, "previous", limit,
                )?)?),
                None => None,
            };
            let from = match from {
                None => chrono::Utc::now(),
                Some(t) => parse_time("--from", &t)?,
            };
            let plan = match &previous {
                Some(previous) => engine.replan(&changes, &catalog, from, previous)?,
                None => engine.plan(&changes, &catalog, from)?,
            };
            for w in plan.since.iter().flat_map(|s| &s.warnings) {
                eprintln!("warning: {}", render::clean(w));
            }
            match format {
                PlanFormat::Json => outln!("{}", plan.to_json()),
                PlanFormat::Text => out!("{}", render::plan(&engine, &plan, from, color)),
                PlanFormat::Mermaid => out!("{}", plan.to_mermaid(sections)),
                PlanFormat::Ics => {
                    out!("{}", plan.to_ics(from));
                    // A calendar has no place for a change without a time: say so where
                    // people look, and the exit code says it too.
                    for u in &plan.unschedulable {
                        eprintln!("unschedulable: {}: {}", u.id, u.reason);
                    }
                }
            }
            Ok(if plan.is_complete() { 0 } else { 1 })
        }
        Command::Rollback {
            policy,
            catalog,
            change,
            observations,
            now,
            format,
            limit: InputLimit {
                max_input_bytes: limit,
            },
            policy_limits,
            max_eval_steps,
        } => {
            let limits = policy_limits.limits(Some(max_eval_steps))?;
            let engine = Engine::from_paths_with(&policy, &limits)?;
            let catalog = read_catalog(&catalog, limit)?;
            let change = read_change(&change, limit)?;
            let observations = shipgate::Observations::from_json(&read_input(
                &observations,
                "observations",
                limit,
            )?)?;
            let now = parse_now(now.as_deref())?;
            let check = engine.rollback(&change, &catalog, &observations, now)?;
            match format {
                OutFormat::Json => outln!("{}", check.to_json()),
                OutFormat::Text => out!("{}", render::rollback(&check, color)),
            }
            Ok(u8::from(check.rollback))
        }
        Command::Audit { command } => {
            let (text, code) = audit::run(command)?;
            out!("{text}");
            Ok(code)
        }
        Command::Fmt { check, paths } => fmt(check, &paths),
        Command::Test { dir, format } => {
            let report = suite::run(&dir)?;
            match format {
                OutFormat::Json => outln!("{}", report.to_json()),
                OutFormat::Text => out!("{}", suite::render(&report)),
            }
            Ok(u8::from(report.failed() > 0))
        }
        Command::Validate {
            policy,
            policy_limits,
        } => {
            let engine = Engine::from_paths_with(&policy, &policy_limits.limits(None)?)?;
            let warnings = engine.render_warnings(std::io::stderr().is_terminal() && color);
            eprint!("{}", render::clean_lines(&warnings, color));
            let files = shipgate::policy_files(&policy)?;
            outln!(
                "ok: {} file(s) valid, {} warning(s)",
                files.len(),
                engine.warnings().len()
            );
            Ok(0)
        }
        Command::Lint {
            policy,
            now,
            format,
            deny,
            policy_limits,
        } => {
            let engine = Engine::from_paths_with(&policy, &policy_limits.limits(None)?)?;
            let now = parse_now(now.as_deref())?;
            let findings = engine.lint(now);
            match format {
                OutFormat::Json => outln!("{}", render::findings_json(&findings)),
                OutFormat::Text => out!("{}", render::findings(&findings, color)),
            }
            let failing = findings.iter().any(|f| match deny {
                DenyLevel::Warnings => true,
                DenyLevel::Errors => f.severity == shipgate::Severity::Error,
            });
            Ok(u8::from(failing))
        }
        Command::Lsp => lsp::serve(),
        Command::Calendar {
            policy,
            region,
            change,
            service,
            catalog,
            from,
            to,
            format,
            limit: InputLimit {
                max_input_bytes: limit,
            },
            policy_limits,
        } => {
            let engine = Engine::from_paths_with(&policy, &policy_limits.limits(None)?)?;
            let from = parse_time("--from", &from)?;
            let to = parse_time("--to", &to)?;
            if let (Some(change), Some(catalog)) = (change, &catalog) {
                let catalog = read_catalog(catalog, limit)?;
                let change = read_change(&change, limit)?;
                match format {
                    CalendarFormat::Ics => out!(
                        "{}",
                        engine.change_calendar_ics(&change, &catalog, from, to)?
                    ),
                    CalendarFormat::Json => outln!(
                        "{}",
                        engine
                            .change_calendar(&change, &catalog, from, to)?
                            .to_json()
                    ),
                    CalendarFormat::Text => out!(
                        "{}",
                        render::change_calendar(
                            &engine.change_calendar(&change, &catalog, from, to)?,
                            color
                        )
                    ),
                }
                return Ok(0);
            }
            if let (Some(service), Some(catalog)) = (service, catalog) {
                let catalog = read_catalog(&catalog, limit)?;
                match format {
                    CalendarFormat::Ics => out!(
                        "{}",
                        engine.service_calendar_ics(&service, &catalog, from, to)?
                    ),
                    CalendarFormat::Json => outln!(
                        "{}",
                        engine
                            .service_calendar(&service, &catalog, from, to)?
                            .to_json()
                    ),
                    CalendarFormat::Text => out!(
                        "{}",
                        render::service_calendar(
                            &engine.service_calendar(&service, &catalog, from, to)?,
                            color
                        )
                    ),
                }
                return Ok(0);
            }
            let region = region.unwrap_or_default();
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
        Command::Graph {
            catalog,
            changes,
            format,
            limit: InputLimit {
                max_input_bytes: limit,
            },
        } => {
            let drawing = match changes {
                None => Drawing::of_catalog_json(&read_input(&catalog, "catalog", limit)?)?,
                Some(changes) => {
                    let catalog = read_catalog(&catalog, limit)?;
                    let changes =
                        shipgate::changes_from_json(&read_input(&changes, "changes", limit)?)?;
                    Drawing::of_changes(&changes, &catalog)?
                }
            };
            match format {
                GraphFormat::Dot => out!("{}", drawing.to_dot()),
                GraphFormat::Mermaid => out!("{}", drawing.to_mermaid()),
                GraphFormat::Json => outln!("{}", render::pretty(&drawing.to_json())),
            }
            // The drawing shows the cycle; the exit code and standard error still fail the
            // step that asked.
            match drawing.cycle_error() {
                Some(e) => Err(Error::Input(e.clone())),
                None => Ok(0),
            }
        }
        Command::Metrics(args) => {
            out!("{}", delivery::metrics(args)?);
            Ok(0)
        }
        Command::Replay(args) => {
            out!("{}", delivery::replay(args)?);
            Ok(0)
        }
    }
}

/// `shipgate fmt`: every file formatted before any is written, so that a file that does not
/// parse leaves all of them as they were.
fn fmt(check: bool, paths: &[PathBuf]) -> Result<u8, Error> {
    let limit = Limits::default().get(Limit::PolicyFileBytes);
    if paths.len() == 1 && paths.first().is_some_and(|p| p.as_os_str() == "-") {
        let text = shipgate::read_input_text(std::io::stdin().lock(), "<stdin>", limit)?;
        let formatted = shipgate::format_policy(&text, "<stdin>")?;
        if check {
            if formatted != text {
                outln!("<stdin>");
                return Ok(1);
            }
            return Ok(0);
        }
        out!("{formatted}");
        return Ok(0);
    }
    let mut changed = Vec::new();
    for path in shipgate::policy_files(paths)? {
        let name = path.display().to_string();
        let file = std::fs::File::open(&path).map_err(|e| Error::Io {
            path: name.clone(),
            message: e.to_string(),
        })?;
        let text = shipgate::read_input_text(file, &name, limit)?;
        let formatted = shipgate::format_policy(&text, &name)?;
        if formatted != text {
            changed.push((path, name, formatted));
        }
    }
    for (path, name, formatted) in &changed {
        if !check {
            std::fs::write(path, formatted).map_err(|e| Error::Io {
                path: name.clone(),
                message: e.to_string(),
            })?;
        }
        outln!("{name}");
    }
    Ok(u8::from(check && !changed.is_empty()))
}

/// The exit code for a verdict: 0 allow, 1 deny, 2 pending (3 is a bad input).
fn exit_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Allow => 0,
        Verdict::Deny => 1,
        Verdict::Pending => 2,
    }
}

pub(crate) fn parse_time(flag: &str, text: &str) -> Result<Instant, Error> {
    shipgate::parse_instant(text).map_err(|m| Error::Input(shipgate::InputError::new(flag, m)))
}

/// Reads a file or standard input (`-`), at most `limit` bytes, into a value: by extension for
/// a file; standard input is JSON when it parses as JSON, else YAML, and text that starts
/// like JSON (`{` or `[`) and is neither gets the JSON error.
fn read_input(path: &str, what: &str, limit: u64) -> Result<serde_json::Value, Error> {
    if path == "-" {
        let text = shipgate::read_input_text(std::io::stdin().lock(), "<stdin>", limit)?;
        return match shipgate::parse_document(&text, Format::Json, what) {
            Ok(value) => Ok(value),
            Err(json) => match shipgate::parse_document(&text, Format::Yaml, what) {
                Ok(value) => Ok(value),
                Err(_) if text.trim_start().starts_with(['{', '[']) => Err(json.into()),
                Err(yaml) => Err(yaml.into()),
            },
        };
    }
    let file = std::fs::File::open(path).map_err(|e| Error::Io {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    let text = shipgate::read_input_text(file, path, limit)?;
    Ok(shipgate::parse_document(
        &text,
        Format::from_path(path),
        what,
    )?)
}

pub(crate) fn read_catalog(path: &str, limit: u64) -> Result<Catalog, Error> {
    Ok(Catalog::from_json(&read_input(path, "catalog", limit)?)?)
}

fn read_change(path: &str, limit: u64) -> Result<Change, Error> {
    Ok(Change::from_json(&read_input(path, "change", limit)?)?)
}

fn parse_now(now: Option<&str>) -> Result<Instant, Error> {
    match now {
        None => Ok(chrono::Utc::now()),
        Some(t) => parse_time("--now", t),
    }
}
