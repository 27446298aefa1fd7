//! Policies shaped to cost unbounded work or to cancel themselves (issue 12): long chains of
//! `and`, long chains and cycles of `exempt rule`, dense or never-firing RRULEs, and a change
//! that names a region twice. Each is either decided like any other policy or rejected with
//! its location, never a crash, a hang or a silent allow.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use serde_json::json;
use shipgate::{Catalog, Change, Engine, Error, Verdict};

fn compile_error(policy: &str) -> String {
    match Engine::from_source(policy, "p.gate") {
        Err(Error::Policy(p)) => p.render(false),
        Err(other) => panic!("expected a policy error, got {other}"),
        Ok(_) => panic!("expected a policy error, the policy compiled"),
    }
}

fn catalog() -> Catalog {
    Catalog::from_json(&json!({"services": [{"id": "api", "tier": 1, "regions": ["eu"]}]})).unwrap()
}

fn change(extra: serde_json::Value) -> Change {
    let mut c = json!({
        "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bob",
        "start": "2026-12-01T10:00:00Z", "duration": "1h"
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    Change::from_json(&c).unwrap()
}

fn decide(engine: &Engine, change: &Change) -> shipgate::Decision {
    let now = shipgate::parse_instant("2026-12-01T09:00:00Z").unwrap();
    engine.evaluate(change, &catalog(), now, false).unwrap()
}

/// A flat chain of `and` (or `or`) terms is not nesting: 5,000 terms compile and decide, and
/// the fast evaluator agrees with the general one. Before, more than 256 terms were "nested
/// too deeply".
#[test]
fn long_flat_chains_of_and_and_or_compile_and_decide() {
    let n = 5_000;
    let all = (0..n)
        .map(|i| format!("\"l{i}\" in change.labels"))
        .collect::<Vec<_>>()
        .join(" and ");
    let any = (0..n)
        .map(|i| format!("change.size == {i}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let policy =
        format!("rule all {{\n  deny when {all}\n}}\nrule any {{\n  deny when {any}\n}}\n");
    let engine = Engine::from_source(&policy, "p.gate").unwrap();
    let labels: Vec<String> = (0..n).map(|i| format!("l{i}")).collect();
    let now = shipgate::parse_instant("2026-12-01T09:00:00Z").unwrap();
    for (labels, size, denied_by) in [
        (labels.clone(), n + 1, vec!["all"]),
        (labels[1..].to_vec(), n + 1, vec![]),
        (vec![], n - 1, vec!["any"]),
        (labels, 0, vec!["all", "any"]),
    ] {
        let c = change(json!({"labels": labels, "size": size}));
        let d = decide(&engine, &c);
        let rules: Vec<&str> = d.reasons.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(rules, denied_by);
        let reference = engine
            .evaluate_reference(&c, &catalog(), now, false)
            .unwrap();
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            serde_json::to_string(&reference).unwrap()
        );
    }
    // Real nesting is still bounded, with its location.
    let deep = format!(
        "rule r {{\n  deny when {}change.size > 1{}\n}}\n",
        "not (".repeat(300),
        ")".repeat(300)
    );
    assert!(compile_error(&deep).contains("nests too deeply"));
}

/// Two rules that exempt each other cancelled both denies without a word; a cycle of any
/// length is now an error naming every exemption on it.
#[test]
fn exemption_cycles_are_errors_and_long_chains_are_fine() {
    let two = "rule a {\n  deny when change.size > 1\n  exempt rule b\n}\n\
               rule b {\n  deny when change.size > 2\n  exempt rule a\n}\n";
    let e = compile_error(two);
    assert!(
        e.starts_with("error: rules `a` and `b` exempt each other\n"),
        "{e}"
    );
    assert!(e.contains("p.gate:7:15"), "{e}");
    assert!(e.contains("`a` exempts `b` here"), "{e}");
    assert!(e.contains("`b` exempts `a` here"), "{e}");

    // A chain of 3,000 rules, each exempting the next: no cycle, no error, and the walk does
    // not recurse once per rule.
    let n = 3_000;
    let chain: String = (0..n)
        .map(|i| {
            let exempt = if i + 1 < n {
                format!("  exempt rule r{}\n", i + 1)
            } else {
                String::new()
            };
            format!("rule r{i} {{\n  deny when change.size > {i}\n{exempt}}}\n")
        })
        .collect();
    let engine = Engine::from_source(&chain, "p.gate").unwrap();
    // Closing it is one error, for the one cycle.
    let closed = format!("{chain}rule r_close {{\n  deny when change.size > 0\n}}\n").replace(
        &format!(
            "rule r{} {{\n  deny when change.size > {}\n}}",
            n - 1,
            n - 1
        ),
        &format!(
            "rule r{} {{\n  deny when change.size > {}\n  exempt rule r0\n}}",
            n - 1,
            n - 1
        ),
    );
    let e = compile_error(&closed);
    assert_eq!(e.matches("exempt each other").count(), 1, "{}", &e[..200]);
    assert!(e.contains("`r2999` exempts `r0` here"));
    drop(engine);
}

/// The "at most daily" check read FREQ only: BYHOUR x BYMINUTE x BYSECOND took 19 s and
/// 870 MB for one check, and with `for 3660d` aborted the host. It is a compile error now,
/// found before anything is expanded; INTERVAL=0 (which never fired) is one too.
#[test]
fn dense_and_never_firing_rrules_are_compile_errors() {
    let list = |n: u32| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let dense = format!(
        "calendar c timezone \"UTC\" {{\n  blackout \"b\" rrule \
         \"FREQ=DAILY;BYHOUR={};BYMINUTE={};BYSECOND={}\" at 00:00 for 3660d\n}}\nregion eu uses c\n",
        list(24),
        list(60),
        list(60)
    );
    let started = std::time::Instant::now();
    let e = compile_error(&dense);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(e.contains("31622400 times a year"), "{e}");
    assert!(e.contains("p.gate:2:22"), "{e}");

    let zero = "calendar c timezone \"UTC\" {\n  blackout \"b\" rrule \
                \"FREQ=WEEKLY;INTERVAL=0;BYDAY=TU\" at 18:00 for 6h\n}\nregion eu uses c\n";
    let e = compile_error(zero);
    assert!(e.contains("INTERVAL must be a positive number"), "{e}");
    assert!(e.contains("p.gate:2:22"), "{e}");
}

/// With INTERVAL=1 the same weekly blackout fires: a change inside it is denied.
#[test]
fn a_valid_weekly_rrule_denies_inside_its_occurrence() {
    let policy = "calendar c timezone \"UTC\" {\n  blackout \"patch night\" rrule \
                  \"FREQ=WEEKLY;INTERVAL=1;BYDAY=TU\" at 09:00 for 6h\n}\nregion eu uses c\n";
    let engine = Engine::from_source(policy, "p.gate").unwrap();
    // 2026-12-01 is a Tuesday.
    let d = decide(&engine, &change(json!({})));
    assert_eq!(d.verdict, Verdict::Deny);
}

/// A region named twice is checked twice, but the schedule reason names it once.
#[test]
fn a_region_named_twice_is_in_the_schedule_reason_once() {
    let policy = "calendar c timezone \"UTC\" { blackout \"freeze\" from 2026-12-01 to 2026-12-02 }\n\
                  region eu uses c\n";
    let engine = Engine::from_source(policy, "p.gate").unwrap();
    let d = decide(&engine, &change(json!({"regions": ["eu", "eu", "eu"]})));
    assert_eq!(d.verdict, Verdict::Deny);
    let schedule: Vec<&str> = d
        .reasons
        .iter()
        .filter(|r| r.rule.as_str() == "schedule")
        .map(|r| r.message.as_str())
        .collect();
    assert_eq!(schedule.len(), 1);
    assert_eq!(
        schedule[0].matches("eu: blocked by freeze").count(),
        1,
        "{}",
        schedule[0]
    );
}

/// Policy text given as strings is held to the limits of policy files (4 MiB a file, 16 MiB
/// in all), with an error naming the file.
#[test]
fn policy_text_over_the_size_limits_is_an_error() {
    let big = format!("# {}\n", "x".repeat(4 * 1024 * 1024));
    match Engine::from_source(&big, "big.gate") {
        Err(Error::Io { path, message }) => {
            assert_eq!(path, "big.gate");
            assert_eq!(
                message,
                "the policy file is larger than the limit of 4194304 bytes (raise it with the \
                 max-policy-file-bytes option)"
            );
        }
        other => panic!("expected the size error, got {:?}", other.err()),
    }
    let part = format!("# {}\n", "x".repeat(3 * 1024 * 1024));
    let files: Vec<(String, String)> = (0..6)
        .map(|k| (format!("p{k}.gate"), part.clone()))
        .collect();
    match Engine::from_sources(files.clone(), None) {
        Err(Error::Io { path, message }) => {
            assert_eq!(path, "p5.gate");
            assert!(
                message.contains("16777216 bytes for all its files"),
                "{message}"
            );
        }
        other => panic!("expected the size error, got {:?}", other.err()),
    }
    // Five are under both limits.
    assert!(Engine::from_sources(files[..5].to_vec(), None).is_ok());
}
