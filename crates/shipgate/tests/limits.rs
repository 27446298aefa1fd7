//! Every [`Limits`] option changes what it says (docs/security.md): a lowered limit refuses
//! an input the default accepts, a raised one accepts an input the default refuses, and the
//! error of an exceeded limit names the option that raises it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::PathBuf;

use serde_json::json;
use shipgate::{Catalog, Change, Engine, Error, Limit, Limits, Verdict};

fn limits(limit: Limit, value: u64) -> Limits {
    Limits::default().with(limit, value).unwrap()
}

fn compile(text: &str, l: &Limits) -> Result<Engine, Error> {
    Engine::from_sources_with(vec![("p.gate".into(), text.into())], None, l)
}

fn policy_message(e: Error) -> String {
    match e {
        Error::Policy(p) => p.render(false),
        Error::Io { path, message } => format!("{path}: {message}"),
        other => panic!("not a policy error: {other:?}"),
    }
}

/// A file in a directory of its own, removed with the directory when the returned guard drops.
fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("shipgate-limits-")
        .tempdir()
        .unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn max_input_bytes_bounds_the_files_read_lowered_and_raised() {
    let change = json!({
        "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bob",
        "start": "2026-12-01T10:00:00Z", "duration": "1h",
    })
    .to_string();
    let (_dir, path) = temp_file("change.json", change.as_bytes());
    let len = change.len() as u64;
    assert!(Change::from_path_with(&path, &Limits::default()).is_ok());
    let Err(Error::Io { message, .. }) =
        Change::from_path_with(&path, &limits(Limit::InputBytes, len - 1))
    else {
        panic!("a lowered limit let the change through")
    };
    assert_eq!(
        message,
        format!(
            "the input is larger than the limit of {} bytes (raise it with the \
             max-input-bytes option)",
            len - 1
        )
    );
    assert!(Change::from_path_with(&path, &limits(Limit::InputBytes, len)).is_ok());
    assert!(shipgate::changes_from_path_with(&path, &limits(Limit::InputBytes, len - 1)).is_err());

    // A catalog over the 16 MiB default, padded with spaces: refused by default, read when
    // the limit is raised.
    let mut big = String::from(r#"{"services": [{"id": "api", "tier": 1}]}"#);
    big.push_str(&" ".repeat(17 * 1024 * 1024));
    let (_dir, path) = temp_file("catalog.json", big.as_bytes());
    let Err(Error::Io { message, .. }) = Catalog::from_path(&path) else {
        panic!("the default let 17 MiB through")
    };
    assert!(message.contains("max-input-bytes"), "{message}");
    let raised = limits(Limit::InputBytes, 32 * 1024 * 1024);
    assert_eq!(Catalog::from_path_with(&path, &raised).unwrap().len(), 1);
}

#[test]
fn max_policy_file_bytes_and_max_policy_bytes_bound_policy_text() {
    let text = "tiers low, high\n";
    let n = text.len() as u64;
    assert!(compile(text, &Limits::default()).is_ok());
    let e = policy_message(compile(text, &limits(Limit::PolicyFileBytes, n - 1)).unwrap_err());
    assert_eq!(
        e,
        format!(
            "p.gate: the policy file is larger than the limit of {} bytes (raise it with the \
             max-policy-file-bytes option)",
            n - 1
        )
    );
    // Two files of n bytes: each fits a limit of n, the set does not fit 2n - 1.
    let two = vec![
        ("a.gate".to_string(), text.to_string()),
        (
            "b.gate".to_string(),
            "rule r { deny when change.size > 1 }\n".to_string(),
        ),
    ];
    let total = (two[0].1.len() + two[1].1.len()) as u64;
    let e = Engine::from_sources_with(two.clone(), None, &limits(Limit::PolicyBytes, total - 1))
        .unwrap_err();
    assert!(
        policy_message(e).starts_with(
            "b.gate: the policy set passes the limit of 37 bytes"
                .replace("37", &(total - 1).to_string())
                .as_str()
        )
    );
    assert!(Engine::from_sources_with(two, None, &limits(Limit::PolicyBytes, total)).is_ok());

    // From files too, and raised past the default: a policy file of 5 MiB (a long comment).
    let mut big = String::from("tiers low\n");
    big.push_str(&format!("# {}\n", "x".repeat(5 * 1024 * 1024)));
    let (_dir, path) = temp_file("big.gate", big.as_bytes());
    let e = policy_message(Engine::from_path(&path).unwrap_err());
    assert!(e.contains("max-policy-file-bytes"), "{e}");
    let raised = limits(Limit::PolicyFileBytes, 8 * 1024 * 1024);
    assert!(Engine::from_paths_with(&[path], &raised).is_ok());
}

/// A blackout rule that starts 72 times a day: 26,352 times a year, over the default 10,000.
const DENSE: &str = r#"
tiers low
region eu uses cal
calendar cal timezone "UTC" {
  blackout "dense" rrule "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,20,40" at 00:00 for 1m
}
"#;

#[test]
fn max_rrule_starts_per_rule_is_raised_and_lowered() {
    let e = policy_message(compile(DENSE, &Limits::default()).unwrap_err());
    assert!(
        e.contains("more than the limit of 10000 a year for one rule")
            && e.contains("raise it with the max-rrule-starts-per-rule option"),
        "{e}"
    );
    let raised = limits(Limit::RruleStartsPerRule, 30_000)
        .with(Limit::RruleStartsPerPolicy, 30_000)
        .unwrap();
    let engine = compile(DENSE, &raised).unwrap();
    assert_eq!(engine.limits(), &raised);
    // Lowered below a daily rule's 365 starts.
    let daily = DENSE.replace(
        "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,20,40",
        "FREQ=DAILY",
    );
    assert!(compile(&daily, &Limits::default()).is_ok());
    let e = policy_message(compile(&daily, &limits(Limit::RruleStartsPerRule, 300)).unwrap_err());
    assert!(
        e.contains("more than the limit of 300 a year for one rule"),
        "{e}"
    );
}

#[test]
fn max_rrule_starts_per_policy_counts_all_the_rules() {
    // Two daily rules: 365 + 365 (or 366) starts a year.
    let two = r#"
tiers low
region eu uses cal
calendar cal timezone "UTC" {
  blackout "a" rrule "FREQ=DAILY" at 01:00 for 1m
  blackout "b" rrule "FREQ=DAILY" at 02:00 for 1m
}
"#;
    assert!(compile(two, &Limits::default()).is_ok());
    let lowered = limits(Limit::RruleStartsPerPolicy, 500);
    let e = policy_message(compile(two, &lowered).unwrap_err());
    assert!(
        e.contains(
            "more than the limit of 500 (raise it with the max-rrule-starts-per-policy option)"
        ),
        "{e}"
    );
    // The first rule alone fits.
    let one = two.replace(
        "  blackout \"b\" rrule \"FREQ=DAILY\" at 02:00 for 1m\n",
        "",
    );
    assert!(compile(&one, &lowered).is_ok());
}

/// A catalog where `svc-i` depends on `svc-(i-1)`.
fn chain(n: usize) -> Catalog {
    let services: Vec<_> = (0..n)
        .map(|i| match i {
            0 => json!({"id": "svc-0", "tier": 1}),
            _ => json!({"id": format!("svc-{i}"), "tier": 1, "depends_on": [format!("svc-{}", i - 1)]}),
        })
        .collect();
    Catalog::from_json(&json!({ "services": services })).unwrap()
}

const DEEP: &str = "rule deep {\n  deny when any s in change.dependents: any d in s.dependents: d.id == \"nope\"\n}";

#[test]
fn max_eval_steps_is_the_budget_of_each_decision() {
    let change = Change::from_json(&json!({
        "id": "CHG-1", "services": ["svc-0"], "requester": "ana", "implementer": "bob",
        "start": "2026-12-01T10:00:00Z", "duration": "1h",
    }))
    .unwrap();
    let now = "2026-12-01T09:00:00Z".parse().unwrap();
    // 1,000 services: half a million reached through `s.dependents`.
    let small = chain(1_000);
    let engine = compile(DEEP, &Limits::default()).unwrap();
    assert_eq!(
        engine
            .evaluate(&change, &small, now, false)
            .unwrap()
            .verdict,
        Verdict::Allow
    );
    let lowered = compile(DEEP, &limits(Limit::EvalSteps, 100_000)).unwrap();
    let d = lowered.evaluate(&change, &small, now, false).unwrap();
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(
        d.reasons[0].message.as_str(),
        "the deny condition could not be evaluated: the decision exceeded its evaluation budget \
         of 100000 steps (nested quantifiers over large lists or a large catalog; raise it with \
         the max-eval-steps option); failing closed"
    );
    // Raised above what the decision needs, it allows again (the default refusing 12.5
    // million steps is `hostile.rs`'s; kept small here, since tests run unoptimised).
    let raised = compile(DEEP, &limits(Limit::EvalSteps, 5_000_000)).unwrap();
    assert_eq!(
        raised
            .evaluate(&change, &small, now, false)
            .unwrap()
            .verdict,
        Verdict::Allow
    );
    // Batches and sessions decide with the same budget.
    let many = lowered.evaluate_many(&[&change], &small, now);
    assert_eq!(many[0].as_ref().unwrap().verdict, Verdict::Deny);
    let session = lowered.session(&change, &small, now).unwrap();
    let d = session
        .decide_at("2026-12-01T10:00:00Z".parse().unwrap())
        .unwrap();
    assert!(
        d.reasons[0].message.contains("of 100000 steps"),
        "{:?}",
        d.reasons
    );
}

#[test]
fn nonsense_values_are_refused() {
    for limit in Limit::ALL {
        let e = Limits::default().with(limit, 0).unwrap_err();
        assert_eq!(e.limit, Some(limit));
        assert!(
            e.to_string()
                .starts_with(&format!("{} must be between 1 and ", limit.name()))
        );
        assert!(Limits::default().with(limit, u64::MAX).is_err());
    }
}
