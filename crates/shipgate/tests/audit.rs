//! The decision archive (SPEC 8.5) through the public API: tampering of each kind is found
//! with the record's seq and line, concurrent writers make one chain, an interrupted append is
//! reported and repaired, and export and obligations read what was appended.
//!
//! The PostgreSQL tests run against `SHIPGATE_TEST_POSTGRES` (a URL; each test uses its own
//! database, created and dropped); without it they are skipped, unless
//! `SHIPGATE_REQUIRE_POSTGRES=1` (CI), where a missing server fails them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use shipgate::{AuditLog, Instant, RecordFilter, TamperKind};

fn t(text: &str) -> Instant {
    text.parse().unwrap()
}

fn decision(change: &str, i: u64) -> Value {
    json!({"verdict": "allow", "change": change, "now": "2026-12-01T09:00:00Z", "tier": "low",
           "n": i, "threshold": 0.02})
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("shipgate-audit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An archive of `n` records, one per change CHG-1..n, appended a minute apart.
fn archive(path: &Path, n: u64) -> AuditLog {
    let mut log = AuditLog::open_file(path).unwrap();
    for i in 1..=n {
        let at = t("2026-12-01T10:00:00Z") + chrono::Duration::minutes(i as i64);
        let a = log
            .append_json(&decision(&format!("CHG-{i}"), i), at)
            .unwrap();
        assert_eq!((a.first_seq, a.last_seq), (i, i));
        assert!(a.warnings.is_empty());
    }
    log
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn an_intact_archive_verifies_with_its_count_and_head() {
    let dir = Dir::new("intact");
    let mut log = archive(&dir.file("a.jsonl"), 5);
    let report = log.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.records, 5);
    let last: Value = serde_json::from_str(&lines(&dir.file("a.jsonl"))[4]).unwrap();
    assert_eq!(report.head.as_deref(), last["hash"].as_str());
    // The first record has no predecessor; each other links to the one before.
    let first: Value = serde_json::from_str(&lines(&dir.file("a.jsonl"))[0]).unwrap();
    assert_eq!(first["prev"], Value::Null);
    assert_eq!(first["seq"], 1);
}

#[test]
fn an_edited_record_is_found_with_its_seq_and_line() {
    let dir = Dir::new("edit");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 5);
    let mut l = lines(&path);
    l[2] = l[2].replace("\"verdict\":\"allow\"", "\"verdict\":\"deny\"");
    write_lines(&path, &l);
    let p = log.verify().unwrap().problem.unwrap();
    assert_eq!((p.kind, p.seq, p.line), (TamperKind::Edited, 3, Some(3)));
    assert_eq!(log.verify().unwrap().records, 2);
}

#[test]
fn an_edit_that_recomputes_the_hash_breaks_the_next_link() {
    let dir = Dir::new("rehash");
    let path = dir.file("a.jsonl");
    archive(&path, 4);
    // Rewrite record 2 with a new decision and a correct hash of its own.
    let l = lines(&path);
    let other = dir.file("b.jsonl");
    let mut forged = AuditLog::open_file(&other).unwrap();
    forged
        .append_json(&decision("CHG-1", 1), t("2026-12-01T10:01:00Z"))
        .unwrap();
    forged
        .append_json(&decision("CHG-2", 99), t("2026-12-01T10:02:00Z"))
        .unwrap();
    let mut mixed = l.clone();
    mixed[1] = lines(&other)[1].clone();
    write_lines(&path, &mixed);
    let p = AuditLog::open_file(&path)
        .unwrap()
        .verify()
        .unwrap()
        .problem
        .unwrap();
    assert_eq!((p.kind, p.seq, p.line), (TamperKind::Link, 3, Some(3)));
}

#[test]
fn a_deleted_record_is_found_where_it_is_missing() {
    let dir = Dir::new("delete");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 5);
    let mut l = lines(&path);
    l.remove(1);
    write_lines(&path, &l);
    let p = log.verify().unwrap().problem.unwrap();
    assert_eq!((p.kind, p.seq, p.line), (TamperKind::Sequence, 3, Some(2)));
    assert!(
        p.message.contains("expected seq 2, found 3"),
        "{}",
        p.message
    );
}

#[test]
fn reordered_records_are_found_at_the_first_out_of_place() {
    let dir = Dir::new("reorder");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 5);
    let mut l = lines(&path);
    l.swap(2, 3);
    write_lines(&path, &l);
    let p = log.verify().unwrap().problem.unwrap();
    assert_eq!((p.kind, p.seq, p.line), (TamperKind::Sequence, 4, Some(3)));
}

#[test]
fn a_file_cut_mid_line_is_torn_at_that_record() {
    let dir = Dir::new("truncate");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 5);
    let text = std::fs::read(&path).unwrap();
    let cut = text.len() - 40;
    std::fs::write(&path, &text[..cut]).unwrap();
    let report = log.verify().unwrap();
    let p = report.problem.unwrap();
    assert_eq!((p.kind, p.seq, p.line), (TamperKind::Torn, 5, Some(5)));
    assert_eq!(report.records, 4);
}

#[test]
fn a_cut_in_the_middle_of_the_file_is_malformed_not_torn() {
    let dir = Dir::new("midcut");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 5);
    let mut l = lines(&path);
    l[1].truncate(30);
    write_lines(&path, &l);
    let p = log.verify().unwrap().problem.unwrap();
    assert_eq!((p.kind, p.seq, p.line), (TamperKind::Malformed, 2, Some(2)));
}

#[test]
fn an_interrupted_append_is_reported_then_removed_by_the_next_append() {
    let dir = Dir::new("crash");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 3);
    // What a writer killed inside its `write` leaves: part of record 4, no line end.
    let (partial, _) = {
        let other = dir.file("b.jsonl");
        let mut o = archive(&other, 4);
        o.verify().unwrap();
        let l = lines(&other);
        (l[3][..l[3].len() / 2].to_string(), ())
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut file, partial.as_bytes()).unwrap();
    drop(file);
    let report = log.verify().unwrap();
    let p = report.problem.unwrap();
    assert_eq!((p.kind, p.seq, p.line), (TamperKind::Torn, 4, Some(4)));
    assert_eq!(report.records, 3);

    let a = log
        .append_json(&decision("CHG-9", 9), t("2026-12-01T11:00:00Z"))
        .unwrap();
    assert_eq!((a.first_seq, a.last_seq), (4, 4));
    assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
    assert!(
        a.warnings[0].contains("removed a torn last line"),
        "{}",
        a.warnings[0]
    );
    let report = log.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.records, 4);
    // Every complete record is kept, unchanged.
    let changes: Vec<String> = log
        .records(&RecordFilter::all())
        .unwrap()
        .iter()
        .map(|r| r.change().to_string())
        .collect();
    assert_eq!(changes, ["CHG-1", "CHG-2", "CHG-3", "CHG-9"]);
}

#[test]
fn a_torn_line_alone_is_removed_and_the_chain_starts_at_one() {
    let dir = Dir::new("torn-only");
    let path = dir.file("a.jsonl");
    std::fs::write(&path, "{\"seq\":1,\"at\":\"2026").unwrap();
    let mut log = AuditLog::open_file(&path).unwrap();
    let p = log.verify().unwrap().problem.unwrap();
    assert_eq!((p.kind, p.seq, p.line), (TamperKind::Torn, 1, Some(1)));
    let a = log
        .append_json(&decision("C", 1), t("2026-12-01T10:00:00Z"))
        .unwrap();
    assert_eq!(a.first_seq, 1);
    assert_eq!(a.warnings.len(), 1);
    assert!(log.verify().unwrap().is_intact());
}

#[test]
fn an_append_refuses_to_extend_an_edited_last_record() {
    let dir = Dir::new("edited-head");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 2);
    let mut l = lines(&path);
    l[1] = l[1].replace("CHG-2", "CHG-X");
    write_lines(&path, &l);
    let e = log
        .append_json(&decision("C", 3), t("2026-12-01T11:00:00Z"))
        .unwrap_err();
    assert!(
        e.to_string().contains("the last record cannot be extended"),
        "{e}"
    );
    assert_eq!(lines(&path).len(), 2, "nothing was appended");
}

#[test]
fn a_batch_is_one_run_of_seqs_and_verifies() {
    let dir = Dir::new("batch");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 1);
    let batch: Vec<Value> = (0..50).map(|i| decision("CHG-B", i)).collect();
    let a = log
        .append_batch_json(&batch, t("2026-12-02T00:00:00Z"))
        .unwrap();
    assert_eq!((a.first_seq, a.last_seq), (2, 51));
    let report = log.verify().unwrap();
    assert_eq!((report.records, report.head), (51, Some(a.hash)));
    assert!(
        log.append_batch_json(&[], t("2026-12-02T00:00:00Z"))
            .is_err()
    );
}

#[test]
fn a_decision_without_a_change_is_refused_at_its_path() {
    let dir = Dir::new("bad-decision");
    let mut log = AuditLog::open_file(dir.file("a.jsonl")).unwrap();
    let e = log
        .append_json(&json!({"verdict": "allow"}), t("2026-12-01T10:00:00Z"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "decision.change: a decision names its change (a string)"
    );
    let e = log
        .append_batch_json(&[decision("A", 1), json!([1])], t("2026-12-01T10:00:00Z"))
        .unwrap_err();
    assert_eq!(e.to_string(), "decisions[1]: a decision is a JSON object");
}

#[test]
fn a_real_decision_is_archived_through_the_engine() {
    let dir = Dir::new("engine");
    let engine = shipgate::Engine::from_source(
        "tiers low\nrule two_eyes { deny when change.requester == change.implementer }",
        "p.gate",
    )
    .unwrap();
    let catalog =
        shipgate::Catalog::from_json(&json!({"services": [{"id": "api", "tier": 1}]})).unwrap();
    let change = shipgate::Change::from_json(&json!({
        "id": "CHG-7", "services": ["api"], "requester": "ana", "implementer": "bob",
        "start": "2026-12-01T10:00:00Z", "duration": "1h"}))
    .unwrap();
    let mut log = AuditLog::open(dir.file("a.jsonl").to_str().unwrap()).unwrap();
    let (decision, appended) = engine
        .evaluate_logged(
            &change,
            &catalog,
            t("2026-12-01T09:00:00Z"),
            false,
            &mut log,
            t("2026-12-01T09:00:05Z"),
        )
        .unwrap();
    assert_eq!(appended.first_seq, 1);
    let records = log.records(&RecordFilter::all()).unwrap();
    assert_eq!(records[0].decision, decision.to_json_value());
    assert_eq!(records[0].at, t("2026-12-01T09:00:05Z"));
}

#[test]
fn export_filters_by_period_and_change_and_refuses_a_broken_archive() {
    let dir = Dir::new("filter");
    let path = dir.file("a.jsonl");
    let mut log = archive(&path, 6); // at 10:01 .. 10:06
    log.append_json(&decision("CHG-2", 7), t("2026-12-01T10:07:00Z"))
        .unwrap();
    let seqs = |f: RecordFilter, log: &mut AuditLog| -> Vec<u64> {
        log.records(&f).unwrap().iter().map(|r| r.seq).collect()
    };
    assert_eq!(seqs(RecordFilter::all().change("CHG-2"), &mut log), [2, 7]);
    assert_eq!(
        seqs(
            RecordFilter::all()
                .from(t("2026-12-01T10:02:00Z"))
                .to(t("2026-12-01T10:04:00Z")),
            &mut log
        ),
        [2, 3]
    );
    let mut l = lines(&path);
    l[4] = l[4].replace("\"n\":5", "\"n\":6");
    write_lines(&path, &l);
    let e = log.records(&RecordFilter::all()).unwrap_err();
    assert!(e.to_string().contains("record seq 5 (line 5)"), "{e}");
}

#[test]
fn obligations_come_from_each_changes_latest_decision() {
    let dir = Dir::new("obligations");
    let mut log = AuditLog::open_file(dir.file("a.jsonl")).unwrap();
    let owed = |change: &str, due: &str| {
        json!({"change": change, "verdict": "allow",
               "obligations": [{"rule": "emergency", "group": "cab", "needed": 1, "due": due}]})
    };
    let at = t("2026-12-01T00:00:00Z");
    log.append_json(&owed("CHG-1", "2026-12-03T10:00:00Z"), at)
        .unwrap();
    log.append_json(&owed("CHG-2", "2026-12-03T12:00:00Z"), at)
        .unwrap();
    log.append_json(&owed("CHG-3", "2026-12-05T00:00:00Z"), at)
        .unwrap();
    // CHG-2's later decision no longer lists it: met.
    log.append_json(
        &json!({"change": "CHG-2", "verdict": "allow", "obligations": []}),
        at,
    )
    .unwrap();
    let report = log.obligations(t("2026-12-03T12:00:00Z")).unwrap();
    let overdue: Vec<(&str, u64)> = report
        .overdue
        .iter()
        .map(|o| (o.change.as_str(), o.seq))
        .collect();
    assert_eq!(overdue, [("CHG-1", 1)]);
    let open: Vec<&str> = report.open.iter().map(|o| o.change.as_str()).collect();
    assert_eq!(open, ["CHG-3"]);
    // Due exactly now is overdue.
    let report = log.obligations(t("2026-12-05T00:00:00Z")).unwrap();
    assert_eq!(report.overdue.len(), 2);

    log.append_json(
        &json!({"change": "CHG-4", "obligations": [{"rule": "r", "group": "g",
                                                                  "needed": 1, "due": "soon"}]}),
        at,
    )
    .unwrap();
    let e = log.obligations(at).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("record 5: decision.obligations[0].due:"),
        "{e}"
    );
}

#[test]
fn eight_writers_with_their_own_handles_make_one_file_chain() {
    let dir = Dir::new("concurrent");
    let path = dir.file("a.jsonl");
    std::thread::scope(|s| {
        for w in 0..8 {
            let path = path.clone();
            s.spawn(move || {
                let mut log = AuditLog::open_file(&path).unwrap();
                for i in 0..1000 {
                    log.append_json(&decision(&format!("W{w}"), i), t("2026-12-01T10:00:00Z"))
                        .unwrap();
                }
            });
        }
    });
    let mut log = AuditLog::open_file(&path).unwrap();
    let report = log.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.records, 8000);
    for w in 0..8 {
        let n = log
            .records(&RecordFilter::all().change(format!("W{w}")))
            .unwrap()
            .len();
        assert_eq!(n, 1000);
    }
}

/// Run by the tests below in child processes (`SHIPGATE_AUDIT_CHILD=PATH,WRITER,N`): appends
/// N decisions of change WRITER one by one (N = 0: batches of large decisions until killed).
#[test]
fn child_writer() {
    let Ok(spec) = std::env::var("SHIPGATE_AUDIT_CHILD") else {
        return;
    };
    let mut parts = spec.split(',');
    let (path, writer, n) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap().parse::<u64>().unwrap(),
    );
    let mut log = AuditLog::open_file(path).unwrap();
    if n == 0 {
        let big = "x".repeat(64 * 1024);
        let batch: Vec<Value> = (0..64)
            .map(|i| json!({"change": writer, "n": i, "padding": big}))
            .collect();
        loop {
            log.append_batch_json(&batch, t("2026-12-01T10:00:00Z"))
                .unwrap();
        }
    }
    for i in 0..n {
        log.append_json(&decision(writer, i), t("2026-12-01T10:00:00Z"))
            .unwrap();
    }
}

fn child(path: &Path, writer: &str, n: u64) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--quiet", "--test-threads=1"])
        .env(
            "SHIPGATE_AUDIT_CHILD",
            format!("{},{writer},{n}", path.display()),
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn eight_writer_processes_make_one_file_chain() {
    let dir = Dir::new("processes");
    let path = dir.file("a.jsonl");
    let children: Vec<_> = (0..8)
        .map(|w| child(&path, &format!("P{w}"), 1000))
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let mut log = AuditLog::open_file(&path).unwrap();
    let report = log.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.records, 8000);
    assert_eq!(lines(&path).len(), 8000);
}

#[test]
fn a_writer_killed_mid_append_loses_no_complete_record() {
    let dir = Dir::new("killed");
    let path = dir.file("a.jsonl");
    let mut c = child(&path, "K", 0);
    // Let it append a few batches (4 MiB each), then kill it wherever it is.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::metadata(&path).map_or(0, |m| m.len()) < 12 << 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer wrote too little"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    c.kill().unwrap();
    c.wait().unwrap();
    let mut log = AuditLog::open_file(&path).unwrap();
    let report = log.verify().unwrap();
    eprintln!("the killed writer left: {:?}", report.problem);
    let complete = std::fs::read(&path)
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64;
    assert_eq!(report.records, complete);
    if let Some(p) = &report.problem {
        // Killed inside a write: the torn line is the one after the last complete record.
        assert_eq!(
            (p.kind, p.seq, p.line),
            (TamperKind::Torn, complete + 1, Some(complete + 1))
        );
    }
    let a = log
        .append_json(&decision("after", 0), t("2026-12-01T11:00:00Z"))
        .unwrap();
    assert_eq!(a.first_seq, complete + 1);
    assert_eq!(a.warnings.len(), usize::from(report.problem.is_some()));
    let report = log.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.records, complete + 1);
}

// --- PostgreSQL ------------------------------------------------------------------------------

/// A fresh database on the test server, dropped at the end; `None` when there is no server
/// and none is required.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    fn new(name: &str) -> Option<Database> {
        let Ok(admin) = std::env::var("SHIPGATE_TEST_POSTGRES") else {
            if std::env::var("SHIPGATE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("SHIPGATE_REQUIRE_POSTGRES=1 but SHIPGATE_TEST_POSTGRES is not set");
            }
            eprintln!("SKIPPED: set SHIPGATE_TEST_POSTGRES to run the PostgreSQL tests");
            return None;
        };
        let name = format!("shipgate_{name}_{}", std::process::id());
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Some(Database { admin, name, url })
    }

    fn sql(&self, text: &str) {
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
        client.batch_execute(text).unwrap();
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[test]
fn postgres_eight_writers_make_one_chain() {
    let Some(db) = Database::new("concurrent") else {
        return;
    };
    std::thread::scope(|s| {
        for w in 0..8 {
            let url = db.url.clone();
            s.spawn(move || {
                let mut log = AuditLog::open(&url).unwrap();
                for i in 0..1000 {
                    log.append_json(&decision(&format!("W{w}"), i), t("2026-12-01T10:00:00Z"))
                        .unwrap();
                }
            });
        }
    });
    let mut log = AuditLog::open(&db.url).unwrap();
    let report = log.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.records, 8000);
    assert_eq!(
        log.records(&RecordFilter::all().change("W3"))
            .unwrap()
            .len(),
        1000
    );
}

#[test]
fn postgres_tampering_of_each_kind_is_found_with_the_seq() {
    let Some(db) = Database::new("tamper") else {
        return;
    };
    let mut log = AuditLog::open(&db.url).unwrap();
    for i in 1..=5 {
        log.append_json(&decision(&format!("CHG-{i}"), i), t("2026-12-01T10:00:00Z"))
            .unwrap();
    }
    assert_eq!(log.verify().unwrap().records, 5);
    let problem = |log: &mut AuditLog| {
        let p = log.verify().unwrap().problem.unwrap();
        (p.kind, p.seq, p.line)
    };
    // Edited.
    db.sql(
        "UPDATE shipgate_audit SET record = replace(record, '\"n\":3', '\"n\":4') WHERE seq = 3",
    );
    assert_eq!(problem(&mut log), (TamperKind::Edited, 3, None));
    db.sql(
        "UPDATE shipgate_audit SET record = replace(record, '\"n\":4', '\"n\":3') WHERE seq = 3",
    );
    assert!(log.verify().unwrap().is_intact());
    // Reordered: records 2 and 3 swap places.
    db.sql(
        "UPDATE shipgate_audit SET seq = seq + 100 WHERE seq IN (2, 3);
            UPDATE shipgate_audit SET seq = 105 - seq WHERE seq > 100;",
    );
    // The rows' seq columns are 3 and 2 now, each holding the other's record.
    assert_eq!(problem(&mut log), (TamperKind::Sequence, 3, None));
    db.sql(
        "UPDATE shipgate_audit SET seq = seq + 100 WHERE seq IN (2, 3);
            UPDATE shipgate_audit SET seq = 105 - seq WHERE seq > 100;",
    );
    assert!(log.verify().unwrap().is_intact());
    // Deleted.
    db.sql("DELETE FROM shipgate_audit WHERE seq = 2");
    assert_eq!(problem(&mut log), (TamperKind::Sequence, 3, None));
    // Truncated text.
    db.sql("UPDATE shipgate_audit SET record = left(record, 40) WHERE seq = 1");
    assert_eq!(problem(&mut log), (TamperKind::Malformed, 1, None));
}

#[test]
fn a_missing_file_is_created_by_the_first_append_never_by_a_read() {
    let dir = Dir::new("missing");
    let path = dir.file("a.jsonl");
    let mut log = AuditLog::open_file(&path).unwrap();
    let e = log.verify().unwrap_err();
    assert!(
        e.to_string().contains("cannot open the audit archive"),
        "{e}"
    );
    assert!(!path.exists());
    log.append_json(&decision("C", 1), t("2026-12-01T10:00:00Z"))
        .unwrap();
    assert_eq!(log.verify().unwrap().records, 1);
    let e = AuditLog::open_file(dir.file("no/such/folder.jsonl")).unwrap_err();
    assert!(
        e.to_string().contains("cannot create the audit archive in"),
        "{e}"
    );
    let e = AuditLog::open_file(&dir.0).unwrap_err();
    assert!(e.to_string().contains("it is a folder"), "{e}");
}

#[test]
fn a_large_batch_of_decisions_keeps_its_order() {
    let dir = Dir::new("large-batch");
    let engine = shipgate::Engine::from_source("tiers low", "p.gate").unwrap();
    let catalog =
        shipgate::Catalog::from_json(&json!({"services": [{"id": "api", "tier": 1}]})).unwrap();
    let change = shipgate::Change::from_json(&json!({
        "id": "CHG-7", "services": ["api"], "requester": "ana", "implementer": "bob",
        "start": "2026-12-01T10:00:00Z", "duration": "1h"}))
    .unwrap();
    // More than one thread's share, with a distinct `now` each.
    let decisions: Vec<shipgate::Decision> = (0..1000)
        .map(|i| {
            let now = t("2026-12-01T00:00:00Z") + chrono::Duration::seconds(i);
            engine.evaluate(&change, &catalog, now, false).unwrap()
        })
        .collect();
    let mut log = AuditLog::open_file(dir.file("a.jsonl")).unwrap();
    let a = log
        .append_batch(&decisions, t("2026-12-01T10:00:00Z"))
        .unwrap();
    assert_eq!((a.first_seq, a.last_seq), (1, 1000));
    let records = log.records(&RecordFilter::all()).unwrap();
    for (r, d) in records.iter().zip(&decisions) {
        assert_eq!(r.decision, d.to_json_value());
    }
    assert!(log.verify().unwrap().is_intact());
}
