//! Policy replay (SPEC 8.6) through the public API, on the corpus in `policies/replay/`: the
//! new policy tightens `big_change` from size 1000 to 400, and exactly the changes of size
//! 401 to 1000 are decided differently.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use shipgate::{Catalog, Engine, Verdict};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn engines() -> (Engine, Engine, Catalog) {
    let r = root().join("policies/replay");
    (
        Engine::from_path(r.join("old")).unwrap(),
        Engine::from_path(r.join("new")).unwrap(),
        Catalog::from_path(r.join("catalog.json")).unwrap(),
    )
}

fn corpus() -> String {
    std::fs::read_to_string(root().join("policies/replay/changes.jsonl")).unwrap()
}

#[test]
fn a_tightened_rule_flips_exactly_the_expected_changes() {
    let (old, new, catalog) = engines();
    let replay = old
        .replay(&new, &catalog, corpus().as_bytes(), "changes.jsonl")
        .unwrap();
    assert_eq!(replay.total, 12);
    let changed: Vec<(&str, Verdict, Verdict)> = replay
        .changed
        .iter()
        .map(|c| (c.change.as_str(), c.old, c.new))
        .collect();
    use Verdict::{Allow, Deny};
    assert_eq!(
        changed,
        [
            ("CHG-2001", Allow, Deny), // size 450
            ("CHG-2004", Allow, Deny), // 401
            ("CHG-2006", Allow, Deny), // 800
            ("CHG-2007", Allow, Deny), // 1000: not over the old limit, over the new
            ("CHG-2009", Allow, Deny), // 600
            ("CHG-2011", Deny, Deny),  // 500: denied before (two_eyes), one reason more now
        ]
    );
    let first = &replay.changed[0];
    assert_eq!(first.line, 2);
    assert_eq!(first.reasons_added.len(), 1);
    assert_eq!(first.reasons_added[0].rule, "big_change");
    assert_eq!(
        first.reasons_added[0].message,
        "a change of size 450 is too big to ship at once"
    );
    assert!(first.reasons_removed.is_empty());
    let last = &replay.changed[5];
    assert_eq!(last.reasons_added[0].rule, "big_change");
    let json = replay.to_json();
    assert_eq!(json["total"], 12);
    assert_eq!(json["changed"][0]["change"], "CHG-2001");
    assert_eq!(json["changed"][0]["old"], "allow");
    assert_eq!(json["changed"][0]["new"], "deny");
    assert_eq!(json["changed"][0]["reasons_added"][0]["rule"], "big_change");
    assert_eq!(json["changed"][0]["reasons_removed"], serde_json::json!([]));
}

#[test]
fn replaying_backwards_removes_the_reasons() {
    let (old, new, catalog) = engines();
    let back = new
        .replay(&old, &catalog, corpus().as_bytes(), "changes.jsonl")
        .unwrap();
    assert_eq!(back.changed.len(), 6);
    assert_eq!(back.changed[0].reasons_removed[0].rule, "big_change");
    assert!(back.changed[0].reasons_added.is_empty());
    // The same policy on both sides: nothing changed.
    let same = old
        .replay(&old, &catalog, corpus().as_bytes(), "changes.jsonl")
        .unwrap();
    assert_eq!(same.total, 12);
    assert!(same.changed.is_empty());
}

/// More lines than one chunk (8192), decided on several threads: the same list, in file
/// order, as on one thread.
#[test]
fn many_threads_and_chunks_give_the_serial_answer_in_order() {
    let (old, new, catalog) = engines();
    let one = corpus();
    let mut text = String::new();
    for i in 0..1500 {
        text.push_str(&one.replace("CHG-20", &format!("CHG-{i}-")));
        if i % 100 == 0 {
            text.push('\n'); // blank lines are skipped but counted as lines
        }
    }
    let serial = old
        .replay_on(&new, &catalog, text.as_bytes(), "c", 1)
        .unwrap();
    let parallel = old
        .replay_on(&new, &catalog, text.as_bytes(), "c", 3)
        .unwrap();
    assert_eq!(serial.total, 18_000);
    assert_eq!(serial.changed.len(), 9_000);
    assert_eq!(serial, parallel);
    let lines: Vec<u64> = parallel.changed.iter().map(|c| c.line).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_bad_line_stops_the_replay_with_its_line() {
    let (old, new, catalog) = engines();
    let run = |text: &str| {
        old.replay_on(&new, &catalog, text.as_bytes(), "changes.jsonl", 2)
            .unwrap_err()
            .to_string()
    };
    let good = corpus();
    let first = good.lines().next().unwrap();
    assert_eq!(
        run(&format!(
            "{first}\n{}\n",
            first.replace("\"now\": \"2026-10-01T09:00:00Z\"", "\"now\": \"soon\"")
        )),
        "changes.jsonl:2: now: expected an RFC 3339 date-time with offset, got \"soon\" (e.g. \"2026-12-01T10:00:00Z\")"
    );
    assert!(
        run(&format!("{first}\n{{\"change\": {{}}}}\n")).starts_with(
            "changes.jsonl:2: expected {\"change\": {...}, \"now\": T}: missing field `now`"
        ),
    );
    assert_eq!(
        run(&first.replace("\"size\": 10", "\"size\": -1")),
        "changes.jsonl:1: change.size: expected a non-negative integer, got -1"
    );
    assert!(
        run(&first
            .replace("payments-api", "nope")
            .replace("checkout-web", "nope"))
        .starts_with("changes.jsonl:1: the old policy: "),
    );
}
