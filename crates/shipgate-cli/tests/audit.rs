//! `shipgate check --audit-log` and `shipgate audit ...`, run as CI runs them: exit codes,
//! the tampered record named with its seq and line, exports and overdue obligations. The
//! PostgreSQL test runs against `SHIPGATE_TEST_POSTGRES` (skipped without it, unless
//! `SHIPGATE_REQUIRE_POSTGRES=1`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shipgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn check_logged(change: &str, target: &str) -> Output {
    shipgate(&[
        "check",
        "--policy",
        "policies/payments",
        "--catalog",
        "policies/catalog.yaml",
        "--change",
        &format!("policies/changes/{change}"),
        "--now",
        "2026-12-01T08:00:00Z",
        "--audit-log",
        target,
    ])
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("shipgate-cli-audit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
    fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn check_appends_each_decision_and_verify_counts_them() {
    let dir = Dir::new("check");
    let log = dir.file("audit.jsonl");
    let o = check_logged("chg-1042-checkout-copy.json", &log);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("archived: seq 1 in"), "{}", stderr(&o));
    let o = check_logged("chg-1043-ledger-migration.json", &log);
    assert!(stderr(&o).contains("archived: seq 2 in"), "{}", stderr(&o));
    // The archived decision is the one printed with --format json.
    let line = std::fs::read_to_string(&log).unwrap();
    let first: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(first["decision"]["change"], "CHG-1042");
    assert_eq!(first["prev"], Value::Null);

    let o = shipgate(&["audit", "verify", &log]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("ok: 2 record(s) intact, head sha256:"),
        "{}",
        stdout(&o)
    );
    let o = shipgate(&["audit", "verify", &log, "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (report["intact"].clone(), report["records"].clone()),
        (json!(true), json!(2))
    );
}

#[test]
fn a_failed_append_exits_3_and_says_why() {
    let dir = Dir::new("fail");
    let log = dir.file("no-such-folder/audit.jsonl");
    let o = check_logged("chg-1042-checkout-copy.json", &log);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("cannot create the audit archive in"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "no decision is printed unarchived");
    // Reading a misspelt path is an error, not an empty archive that verifies.
    let o = shipgate(&["audit", "verify", &dir.file("typo.jsonl")]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("No such file"), "{}", stderr(&o));
    assert!(!Path::new(&dir.file("typo.jsonl")).exists());
}

/// Runs `audit verify` on the archive rewritten by `tamper` and returns (exit, stdout).
fn verify_tampered(name: &str, tamper: impl Fn(&mut Vec<String>)) -> (Option<i32>, String) {
    let dir = Dir::new(name);
    let log = dir.file("audit.jsonl");
    for change in [
        "chg-1042-checkout-copy.json",
        "chg-1043-ledger-migration.json",
        "chg-1045-hotfix.json",
        "chg-1046-partner-api.json",
    ] {
        assert!(check_logged(change, &log).status.code().is_some());
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    tamper(&mut lines);
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let o = shipgate(&["audit", "verify", &log]);
    (o.status.code(), stdout(&o))
}

#[test]
fn verify_names_the_tampered_record_of_each_kind() {
    let (code, out) = verify_tampered("edit", |l| {
        l[1] = l[1].replacen("CHG-1043", "CHG-1099", 1);
    });
    assert_eq!(code, Some(1));
    assert!(
        out.starts_with("TAMPERED (edited): record seq 2 (line 2):"),
        "{out}"
    );

    let (code, out) = verify_tampered("delete", |l| {
        l.remove(2);
    });
    assert_eq!(code, Some(1));
    assert!(
        out.starts_with("TAMPERED (sequence): record seq 4 (line 3): expected seq 3, found 4"),
        "{out}"
    );

    let (code, out) = verify_tampered("reorder", |l| l.swap(0, 1));
    assert_eq!(code, Some(1));
    assert!(
        out.starts_with("TAMPERED (sequence): record seq 2 (line 1):"),
        "{out}"
    );

    // A line cut short that still ends in a line end (cut in an editor) is not JSON; a cut
    // with no line end is torn (the next test).
    let (code, out) = verify_tampered("truncate", |l| {
        let last = l.pop().unwrap();
        l.push(last[..last.len() / 3].to_string());
    });
    assert_eq!(code, Some(1));
    assert!(
        out.starts_with("TAMPERED (malformed): record seq 4 (line 4):"),
        "{out}"
    );
}

#[test]
fn a_file_cut_mid_line_is_torn_and_the_next_check_repairs_it() {
    let dir = Dir::new("torn");
    let log = dir.file("audit.jsonl");
    check_logged("chg-1042-checkout-copy.json", &log);
    check_logged("chg-1043-ledger-migration.json", &log);
    let bytes = std::fs::read(&log).unwrap();
    std::fs::write(&log, &bytes[..bytes.len() - 100]).unwrap();
    let o = shipgate(&["audit", "verify", &log]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with("TAMPERED (torn): record seq 2 (line 2):"),
        "{}",
        stdout(&o)
    );
    let o = check_logged("chg-1045-hotfix.json", &log);
    assert!(
        stderr(&o).contains("removed a torn last line"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("archived: seq 2 in"), "{}", stderr(&o));
    let o = shipgate(&["audit", "verify", &log]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn export_filters_and_writes_json_or_csv() {
    let o = shipgate(&[
        "audit",
        "export",
        "policies/audit/decisions.jsonl",
        "--change",
        "CHG-1042",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let list: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["seq"], 2);
    let o = shipgate(&[
        "audit",
        "export",
        "policies/audit/decisions.jsonl",
        "--from",
        "2026-11-28T01:52:00Z",
        "--format",
        "csv",
    ]);
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows[0].starts_with("seq,at,change,verdict,tier,now,policy,inputs,prev,hash"));
    assert!(
        rows[1].starts_with("2,2026-11-28T01:52:00Z,CHG-1042,pending,"),
        "{out}"
    );
    assert!(
        rows[2].starts_with("3,2026-11-28T01:55:00Z,CHG-1046,"),
        "{out}"
    );
    // A tampered archive is not exported.
    let o = shipgate(&["audit", "export", "policies/audit/edited.jsonl"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("record seq 2 (line 2)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn obligations_exit_1_when_one_is_overdue() {
    let args = |now: &'static str| {
        [
            "audit",
            "obligations",
            "policies/audit/decisions.jsonl",
            "--now",
            now,
            "--format",
            "json",
        ]
    };
    let o = shipgate(&args("2026-11-29T00:00:00Z"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["overdue"], json!([]));
    assert_eq!(report["open"].as_array().unwrap().len(), 2);
    let o = shipgate(&args("2026-11-30T02:00:00Z"));
    assert_eq!(o.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        report["overdue"],
        json!([{"change": "CHG-1045", "rule": "emergency_hotfix", "group": "cab", "needed": 1,
                "due": "2026-11-30T02:00:00Z", "seq": 1}])
    );
}

#[test]
fn check_archives_into_postgres() {
    let Ok(admin) = std::env::var("SHIPGATE_TEST_POSTGRES") else {
        assert_ne!(
            std::env::var("SHIPGATE_REQUIRE_POSTGRES").as_deref(),
            Ok("1"),
            "SHIPGATE_REQUIRE_POSTGRES=1 but SHIPGATE_TEST_POSTGRES is not set"
        );
        eprintln!("SKIPPED: set SHIPGATE_TEST_POSTGRES to run the PostgreSQL test");
        return;
    };
    let name = format!("shipgate_cli_{}", std::process::id());
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    for change in ["chg-1042-checkout-copy.json", "chg-1045-hotfix.json"] {
        let o = check_logged(change, &url);
        assert!(stderr(&o).contains("archived: seq"), "{}", stderr(&o));
    }
    let o = shipgate(&["audit", "verify", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("ok: 2 record(s) intact"),
        "{}",
        stdout(&o)
    );
    let o = shipgate(&[
        "audit", "export", &url, "--change", "CHG-1045", "--format", "csv",
    ]);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    db.batch_execute("DELETE FROM shipgate_audit WHERE seq = 1")
        .unwrap();
    drop(db);
    let o = shipgate(&["audit", "verify", &url]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with("TAMPERED (sequence): record seq 2:"),
        "{}",
        stdout(&o)
    );
    let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
