//! The hostile shapes of issue 12, each given to the real `shipgate` binary under a memory
//! limit (`ulimit -v`, 512 MiB of address space) with the limits at their defaults. Each must
//! end with its documented exit code and an error that names the limit and where it was met
//! (or, for an input that is merely large, the right decision): never an `allow` it should not
//! give, never a signal (an allocation that fails under the limit aborts the process).
//!
//! The inputs are generated into a temporary directory at test time. The runs take turns (one
//! child at a time) and each has a generous deadline: a guard against hangs, not a speed
//! claim (speed is measured by the benches).

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::fs::{self, File};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use wait_timeout::ChildExt;

/// 512 MiB, in the KiB `ulimit -v` counts.
const MEMORY_LIMIT_KIB: u64 = 512 * 1024;

/// Far above what any shape needs in a debug build; a hang or a quadratic blow-up passes it.
const DEADLINE: Duration = Duration::from_secs(10);

const NOW: &str = "2026-12-01T09:00:00Z";

/// How a run of the binary ended.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `shipgate ARGS` in `dir` under the memory limit, reading `stdin` (a file) if given.
/// Panics when it does not finish before the deadline or is killed by a signal.
fn run_in(dir: &Path, args: &[&str], stdin: Option<&Path>) -> Outcome {
    try_run_in(dir, args, stdin).unwrap_or_else(|e| panic!("shipgate {}: {e}", args.join(" ")))
}

fn try_run_in(dir: &Path, args: &[&str], stdin: Option<&Path>) -> Result<Outcome, String> {
    // One run at a time: the deadline then bounds one process, not a crowd sharing the CPUs.
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let out = tempfile::tempdir().unwrap();
    let (stdout_path, stderr_path) = (out.path().join("stdout"), out.path().join("stderr"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_LIMIT_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_shipgate"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(match stdin {
            Some(path) => Stdio::from(File::open(path).unwrap()),
            None => Stdio::null(),
        })
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let status = match child.wait_timeout(DEADLINE).unwrap() {
        Some(status) => status,
        None => {
            child.kill().unwrap();
            child.wait().unwrap();
            return Err(format!("still running after {DEADLINE:?} (a hang?)"));
        }
    };
    let read = |p: &Path| String::from_utf8_lossy(&fs::read(p).unwrap()).into_owned();
    let (stdout, stderr) = (read(&stdout_path), read(&stderr_path));
    match status.code() {
        Some(code) => Ok(Outcome {
            code,
            stdout,
            stderr,
        }),
        None => Err(format!(
            "killed by signal {:?}; stderr: {}",
            status.signal(),
            cut(&stderr)
        )),
    }
}

/// The start of a long output, for a failure message.
fn cut(text: &str) -> &str {
    let end = text.char_indices().nth(2000).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// `shipgate check` of `change` against `catalog` with the policy `policy` (paths in `dir`).
fn check(dir: &Path, policy: &str, catalog: &str, change: &str) -> Outcome {
    run_in(
        dir,
        &[
            "check",
            "--policy",
            policy,
            "--catalog",
            catalog,
            "--change",
            change,
            "--now",
            NOW,
        ],
        None,
    )
}

/// A policy error: exit 3, and every `needle` (the limit, the location) in standard error.
fn assert_policy_error(o: &Outcome, needles: &[&str]) {
    assert_eq!(
        o.code,
        3,
        "stdout: {}\nstderr: {}",
        cut(&o.stdout),
        cut(&o.stderr)
    );
    assert!(
        o.stdout.is_empty(),
        "no decision is printed: {}",
        cut(&o.stdout)
    );
    for needle in needles {
        assert!(
            o.stderr.contains(needle),
            "{needle:?} in {}",
            cut(&o.stderr)
        );
    }
}

/// A temporary directory holding `catalog.json` (`n` services `service-0`... in region `eu`),
/// `change.json` (touching `service-1`), and `files`.
fn workspace(n: usize, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let services: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"id": "service-{i}", "tier": 1, "regions": ["eu"]}}"#))
        .collect();
    let catalog = format!(r#"{{"services": [{}]}}"#, services.join(", "));
    fs::write(dir.path().join("catalog.json"), catalog).unwrap();
    fs::write(dir.path().join("change.json"), change_json("")).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// A change touching `service-1`, starting an hour after `NOW`, with `extra` fields (JSON
/// members, each followed by a comma).
fn change_json(extra: &str) -> String {
    format!(
        r#"{{{extra}"id": "CHG-1", "services": ["service-1"], "requester": "ana", "implementer": "bob", "start": "2026-12-01T10:00:00Z", "duration": "1h"}}"#
    )
}

const DENY_NEEDLE: &str = "rule r {\n  deny when \"needle\" in change.labels\n}\n";

// --- Calendars ---------------------------------------------------------------------------

/// BYHOUR x BYMINUTE x BYSECOND got past the "at most daily" check: 19 s and 870 MB for one
/// check, and with `for 3660d` an allocation of 3.2 GB that aborted the process.
#[test]
fn a_dense_rrule_for_3660d_is_a_policy_error_naming_the_limit() {
    let list = |n: u32| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let policy = format!(
        "calendar c timezone \"UTC\" {{\n  blackout \"b\" rrule \
         \"FREQ=DAILY;BYHOUR={};BYMINUTE={};BYSECOND={}\" at 00:00 for 3660d\n}}\nregion eu uses c\n",
        list(24),
        list(60),
        list(60)
    );
    let dir = workspace(10, &[("p.gate", &policy)]);
    let o = check(dir.path(), "p.gate", "catalog.json", "change.json");
    assert_policy_error(
        &o,
        &[
            "invalid RRULE: the rule can start 31622400 times a year",
            "more than the limit of 10000 a year for one rule",
            "p.gate:2:22",
        ],
    );
}

/// INTERVAL=0 (forbidden by RFC 5545) was accepted and the blackout never fired: a change
/// inside it was allowed.
#[test]
fn an_rrule_with_interval_0_is_a_policy_error_not_an_open_gate() {
    let policy = "calendar c timezone \"UTC\" {\n  \
                  blackout \"b\" rrule \"FREQ=DAILY;INTERVAL=0\" at 09:00 for 2h\n}\nregion eu uses c\n";
    let dir = workspace(10, &[("p.gate", policy)]);
    let o = check(dir.path(), "p.gate", "catalog.json", "change.json");
    assert_policy_error(&o, &["INTERVAL must be a positive number", "p.gate:2:22"]);
}

/// An `ics` path that is a FIFO blocked compilation forever.
#[test]
fn an_ics_import_that_is_a_fifo_is_a_policy_error_not_a_hang() {
    let policy = "calendar c timezone \"UTC\" {\n  blackout \"h\" ics \"cal.ics\"\n}\n\
                  region eu uses c\n";
    let dir = workspace(10, &[("policy/p.gate", policy)]);
    let fifo = dir.path().join("policy/cal.ics");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let o = check(dir.path(), "policy", "catalog.json", "change.json");
    assert_policy_error(
        &o,
        &[
            "cannot import `cal.ics`: it is not a regular file",
            "policy/p.gate:2:20",
        ],
    );
}

// --- Policies ----------------------------------------------------------------------------

/// "did you mean" had no cap: 5,000 misspelt names took 66 s. Every one is still reported
/// with its location; the first ones keep their suggestion.
#[test]
fn five_thousand_misspelt_names_are_reported_in_bounded_time() {
    let policy: String = (0..5000)
        .map(|i| {
            format!(
                "rule rule_number_{i} {{\n  exempt rule rule_nubmer_{i} when change.emergency\n}}\n"
            )
        })
        .collect();
    let dir = workspace(10, &[("p.gate", &policy)]);
    let o = check(dir.path(), "p.gate", "catalog.json", "change.json");
    assert_policy_error(
        &o,
        &[
            "error: unknown rule `rule_nubmer_0`\n  ┌─ p.gate:2:15",
            "help: did you mean `rule_number_0`?",
            "p.gate:14999:15",
            "error: the policy set has 5000 error(s)",
        ],
    );
}

/// Two rules that exempt each other cancelled both denies without a word.
#[test]
fn an_exemption_cycle_is_a_policy_error_naming_both_places() {
    let policy = "rule a {\n  deny when change.size > 1\n  exempt rule b\n}\n\
                  rule b {\n  deny when change.size > 2\n  exempt rule a\n}\n";
    let dir = workspace(10, &[("p.gate", policy)]);
    fs::write(dir.path().join("big.json"), change_json(r#""size": 5, "#)).unwrap();
    let o = check(dir.path(), "p.gate", "catalog.json", "big.json");
    assert_policy_error(
        &o,
        &[
            "error: rules `a` and `b` exempt each other",
            "p.gate:7:15",
            "`a` exempts `b` here",
        ],
    );
}

/// A flat chain of 5,000 `and` terms and one of 5,000 `or` terms decide (they were "nested
/// too deeply" past 256); real nesting past the limit is an error at its place.
#[test]
fn long_and_or_chains_decide_and_deep_nesting_is_located() {
    let n = 5000;
    let all = (0..n)
        .map(|i| format!("change.size != {i}"))
        .collect::<Vec<_>>()
        .join(" and ");
    let any = (n..2 * n)
        .map(|i| format!("change.size == {i}"))
        .collect::<Vec<_>>()
        .join("\n    or ");
    let policy =
        format!("rule all {{\n  deny when {all}\n}}\nrule any {{\n  deny when {any}\n}}\n");
    let deep = format!(
        "rule r {{\n  deny when {}change.size > 1{}\n}}\n",
        "not (".repeat(300),
        ")".repeat(300)
    );
    let dir = workspace(10, &[("p.gate", &policy), ("deep.gate", &deep)]);
    fs::write(
        dir.path().join("last.json"),
        change_json(&format!(r#""size": {}, "#, 2 * n - 1)),
    )
    .unwrap();
    let o = check(dir.path(), "p.gate", "catalog.json", "last.json");
    assert_eq!(o.code, 1, "{}{}", cut(&o.stdout), cut(&o.stderr));
    assert!(o.stdout.starts_with("DENY  CHG-1"), "{}", cut(&o.stdout));
    assert!(o.stdout.contains("x all: denied by rule all  p.gate:2:3"));
    assert!(o.stdout.contains("x any: denied by rule any  p.gate:5:3"));
    let o = check(dir.path(), "deep.gate", "catalog.json", "last.json");
    assert_policy_error(&o, &["nests too deeply", "deep.gate:2:"]);
}

/// The folder walk followed directory links: two self-links made it exponential. Each real
/// folder is walked once, so the one rule is read once and decides.
#[test]
fn symlink_loops_in_a_policy_folder_are_walked_once() {
    let dir = workspace(
        10,
        &[("policy/p.gate", DENY_NEEDLE), ("policy/sub/q.gate", "")],
    );
    let policy = dir.path().join("policy");
    std::os::unix::fs::symlink(".", policy.join("self")).unwrap();
    std::os::unix::fs::symlink(".", policy.join("again")).unwrap();
    std::os::unix::fs::symlink("..", policy.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("../sub", policy.join("sub/down")).unwrap();
    fs::write(
        dir.path().join("needle.json"),
        change_json(r#""labels": ["needle"], "#),
    )
    .unwrap();
    let o = check(dir.path(), "policy", "catalog.json", "needle.json");
    assert_eq!(o.code, 1, "{}{}", cut(&o.stdout), cut(&o.stderr));
    assert_eq!(
        o.stdout.matches("x r: denied by rule r").count(),
        1,
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("policy/p.gate:2:3"), "{}", o.stdout);
}

/// Counting approvals was quadratic in their number (100,000 approvals: 28 s). 100,000
/// approvals from as many people are all counted: the requirement of 1,000 is met and the
/// rule that denies at exactly 100,000 denies.
#[test]
fn a_hundred_thousand_approvals_are_counted_in_bounded_time() {
    let policy = "rule cab {\n  require approval \"cab\" count 1000\n  \
                  deny when approvals(\"cab\") == 100000\n}\n";
    let approvals: Vec<String> = (0..100_000)
        .map(|i| format!(r#"{{"by": "person-{i}", "group": "cab", "at": "2026-12-01T08:00:00Z"}}"#))
        .collect();
    let dir = workspace(10, &[("p.gate", policy)]);
    fs::write(
        dir.path().join("approved.json"),
        change_json(&format!(r#""approvals": [{}], "#, approvals.join(", "))),
    )
    .unwrap();
    let o = check(dir.path(), "p.gate", "catalog.json", "approved.json");
    assert_eq!(o.code, 1, "{}{}", cut(&o.stdout), cut(&o.stderr));
    assert!(o.stdout.starts_with("DENY  CHG-1"), "{}", cut(&o.stdout));
    assert!(
        o.stdout.contains("x cab: denied by rule cab  p.gate:3:3"),
        "{}",
        cut(&o.stdout)
    );
    assert!(
        o.stdout.contains("v 1000 approval(s) from cab"),
        "{}",
        cut(&o.stdout)
    );
}

/// Nested quantifiers over the dependents of a 20,000-service chain were O(n^2) (27 s). The
/// condition holds, so the answer is a deny: decided, or an evaluation over its budget, which
/// fails closed (a deny at the condition, or an error naming the budget). Never an allow.
#[test]
fn nested_quantifiers_over_a_20000_service_chain_are_bounded_and_fail_closed() {
    let n = 20_000;
    let services: Vec<String> = (0..n)
        .map(|i| {
            let deps = if i == 0 {
                String::new()
            } else {
                format!("\"service-{}\"", i - 1)
            };
            format!(
                r#"{{"id": "service-{i}", "tier": 1, "regions": ["eu"], "depends_on": [{deps}]}}"#
            )
        })
        .collect();
    let policy = "rule deep {\n  deny when any s in change.services: all d in s.dependents: \
                  all e in d.dependents: e.tier >= 1\n}\n";
    let dir = workspace(10, &[("p.gate", policy)]);
    fs::write(
        dir.path().join("chain.json"),
        format!(r#"{{"services": [{}]}}"#, services.join(", ")),
    )
    .unwrap();
    fs::write(
        dir.path().join("root.json"),
        change_json("").replace("service-1", "service-0"),
    )
    .unwrap();
    let o = check(dir.path(), "p.gate", "chain.json", "root.json");
    match o.code {
        1 => assert!(o.stdout.contains("p.gate:2:3"), "{}", cut(&o.stdout)),
        3 => assert!(
            o.stderr.contains("budget") || o.stderr.contains("limit"),
            "{}",
            cut(&o.stderr)
        ),
        _ => panic!("exit {}: {}{}", o.code, cut(&o.stdout), cut(&o.stderr)),
    }
}

// --- Inputs ------------------------------------------------------------------------------

/// An unknown service id of 100 kB against 1,000 services: "did you mean" compared it with
/// every id (9-13 s) and the error printed it whole.
#[test]
fn a_100kb_unknown_service_id_is_a_short_error_naming_its_path() {
    let dir = workspace(1000, &[("p.gate", DENY_NEEDLE)]);
    let id = format!("service-{}", "9".repeat(100_000));
    fs::write(
        dir.path().join("long.json"),
        change_json("").replace("\"service-1\"", &format!("\"{id}\"")),
    )
    .unwrap();
    let o = check(dir.path(), "p.gate", "catalog.json", "long.json");
    assert_eq!(o.code, 3, "{}", cut(&o.stderr));
    assert!(
        o.stderr
            .starts_with("error: change.services[0]: unknown service \"service-9999"),
        "{}",
        cut(&o.stderr)
    );
    assert!(
        o.stderr.len() < 400,
        "the id is not echoed whole: {}",
        o.stderr.len()
    );
}

/// Ten megabytes of nesting, as JSON, flow YAML and block YAML, in the change and in the
/// catalog: an error at the line where the 129th level opens (YAML's parser took time in the
/// square of the depth, and a JSON error on standard input was reported as "invalid YAML").
#[test]
fn ten_megabytes_of_nesting_are_an_input_error_at_the_line_of_the_limit() {
    let flow = "[".repeat(5_000_000) + &"]".repeat(5_000_000);
    let block: String = (0..3000).map(|i| "  ".repeat(i) + "k:\n").collect();
    assert!(block.len() > 9_000_000);
    let dir = workspace(10, &[("p.gate", DENY_NEEDLE)]);
    for (name, text) in [
        ("deep.json", &flow),
        ("deep.yaml", &flow),
        ("block.yaml", &block),
    ] {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let limit = "lists and objects may nest at most 128 levels";
    for (change, line) in [("deep.json", 1), ("deep.yaml", 1), ("block.yaml", 129)] {
        let o = check(dir.path(), "p.gate", "catalog.json", change);
        assert_eq!(o.code, 3, "{change}: {}", cut(&o.stderr));
        assert_eq!(
            o.stderr,
            format!("error: change: nested too deeply at line {line}: {limit}\n"),
            "{change}"
        );
    }
    let o = check(dir.path(), "p.gate", "deep.json", "change.json");
    assert_eq!(o.code, 3);
    assert_eq!(
        o.stderr,
        format!("error: catalog: nested too deeply at line 1: {limit}\n")
    );
    // On standard input, JSON that fails the limit stays a JSON error.
    let o = run_in(
        dir.path(),
        &[
            "check",
            "--policy",
            "p.gate",
            "--catalog",
            "catalog.json",
            "--change",
            "-",
            "--now",
            NOW,
        ],
        Some(&dir.path().join("deep.json")),
    );
    assert_eq!(o.code, 3);
    assert!(o.stderr.contains(limit), "{}", cut(&o.stderr));
    assert!(!o.stderr.contains("YAML"), "{}", cut(&o.stderr));
}

/// `--change /dev/zero` read 6 GB in 15 s: reading stops at the size limit, from a file and
/// from standard input.
#[test]
fn dev_zero_as_the_change_stops_at_the_size_limit() {
    let dir = workspace(10, &[("p.gate", DENY_NEEDLE)]);
    let o = check(dir.path(), "p.gate", "catalog.json", "/dev/zero");
    assert_eq!(o.code, 3, "{}", cut(&o.stderr));
    assert_eq!(
        o.stderr,
        "error: /dev/zero: the input is larger than the limit of 16777216 bytes (raise it with the max-input-bytes option)\n"
    );
    let o = run_in(
        dir.path(),
        &[
            "check",
            "--policy",
            "p.gate",
            "--catalog",
            "/dev/zero",
            "--change",
            "-",
            "--now",
            NOW,
        ],
        Some(Path::new("/dev/zero")),
    );
    assert_eq!(o.code, 3, "{}", cut(&o.stderr));
    assert!(
        o.stderr
            .contains("the input is larger than the limit of 16777216 bytes"),
        "{}",
        cut(&o.stderr)
    );
}

/// A change of 10 MB of flat data (a 4 MB title and 600,000 labels) is read and decided: the
/// label the rule looks for is the last one.
#[test]
fn a_change_of_ten_megabytes_of_flat_data_is_decided() {
    let labels: Vec<String> = (0..600_000).map(|i| format!("\"label-{i}\"")).collect();
    let text = change_json(&format!(
        r#""title": "{}", "labels": [{}, "needle"], "#,
        "t".repeat(4_000_000),
        labels.join(", ")
    ));
    assert!(text.len() > 10_000_000 && text.len() < 16 * 1024 * 1024);
    let dir = workspace(10, &[("p.gate", DENY_NEEDLE), ("flat.json", &text)]);
    let o = check(dir.path(), "p.gate", "catalog.json", "flat.json");
    assert_eq!(o.code, 1, "{}{}", cut(&o.stdout), cut(&o.stderr));
    assert!(o.stdout.starts_with("DENY  CHG-1"), "{}", cut(&o.stdout));
    assert!(o.stdout.contains("x r: denied by rule r  p.gate:2:3"));
}

// --- The harness itself ------------------------------------------------------------------

/// The memory limit is in force: with the size limit raised to 8 GiB, reading `/dev/zero`
/// runs out of the 512 MiB of address space, and the reader reports it (it reserves before it
/// grows) instead of aborting. Without the size limit this is what every shape would meet.
#[test]
fn the_memory_limit_is_in_force() {
    let dir = workspace(10, &[("p.gate", DENY_NEEDLE)]);
    let args = [
        "check",
        "--policy",
        "p.gate",
        "--catalog",
        "catalog.json",
        "--change",
        "/dev/zero",
        "--max-input-bytes",
        "8589934592",
    ];
    let o = run_in(dir.path(), &args, None);
    assert_eq!(o.code, 3);
    assert_eq!(o.stderr, "error: /dev/zero: out of memory\n");
}

// --- Release trains ------------------------------------------------------------------------

/// `shipgate plan` of `changes` (a JSON list of changes) against `policy`, in a workspace of
/// 2,000 services.
fn plan(policy: &str, changes: &[String]) -> Outcome {
    let dir = workspace(
        2000,
        &[
            ("p.gate", policy),
            ("train.json", &format!("[{}]", changes.join(",\n"))),
        ],
    );
    run_in(
        dir.path(),
        &[
            "plan",
            "--policy",
            "p.gate",
            "--catalog",
            "catalog.json",
            "--changes",
            "train.json",
            "--from",
            NOW,
            "--format",
            "json",
        ],
        None,
    )
}

fn train_change(i: usize, service: usize, after: Option<usize>) -> String {
    let after = after.map_or(String::new(), |a| format!(r#""after": ["C{a}"], "#));
    format!(
        r#"{{"id": "C{i}", {after}"services": ["service-{service}"], "requester": "ana", "implementer": "bob", "duration": "1h"}}"#
    )
}

/// A chain of 20,000 changes, each after the one before, under `capacity 1`: planned end to
/// end (no recursion to overflow, no quadratic walk), and a cycle through all of them is an
/// error that names it.
#[test]
fn a_train_of_twenty_thousand_changes_is_planned_and_its_cycle_reported() {
    let n = 20_000;
    let chain: Vec<String> = (0..n)
        .map(|i| train_change(i, i % 2000, i.checked_sub(1)))
        .collect();
    let o = plan("capacity 1\n", &chain);
    assert_eq!(o.code, 0, "{}", cut(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), n);
    assert_eq!(v["changes"][n - 1]["wave"], n - 1);

    let mut cycle = chain;
    cycle[0] = train_change(0, 0, Some(n - 1));
    let o = plan("capacity 1\n", &cycle);
    assert_eq!(o.code, 3, "{}", cut(&o.stdout));
    assert!(
        o.stderr.contains("dependency cycle: C0 -> C1 -> C2"),
        "{}",
        cut(&o.stderr)
    );
}
