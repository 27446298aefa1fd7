//! Property test of check evidence (SPEC 8.8): random evidence (names required once, twice,
//! with `within`, by an exempted rule or by no rule; passed, failed or pending; with no time,
//! an old one, a recent one or one after `now`) must give the same decision from the fast
//! path and the general one (`Engine::evaluate_reference`), byte for byte, and each
//! requirement must be satisfied, and list what does not count, exactly as a plain model says.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use proptest::prelude::*;
use serde_json::json;
use shipgate::{Catalog, Change, Engine};

const POLICY: &str = r#"
rule unit {
  require check "unit"
}
rule unit_again {
  when change.size > 10
  require check "unit"
  require check "scan"
}
rule recent_scan {
  require check "scan" within 1d
}
rule exempted {
  require check "rehearsal"
}
rule lifts {
  when change.emergency
  exempt rule exempted
}
"#;

const NOW: &str = "2026-12-01T09:00:00Z";
const START: &str = "2026-12-01T10:00:00Z";

/// One piece of evidence: name, status, and when it ran (none, 3 days before `now`, an hour
/// before, an hour after).
fn check() -> impl Strategy<Value = (usize, usize, usize)> {
    (0usize..4, 0usize..3, 0usize..4)
}

const NAMES: [&str; 4] = ["unit", "scan", "rehearsal", "lint"];
const STATUSES: [&str; 3] = ["passed", "failed", "pending"];
const TIMES: [Option<&str>; 4] = [
    None,
    Some("2026-11-28T09:00:00Z"),
    Some("2026-12-01T08:00:00Z"),
    Some("2026-12-01T10:00:00Z"),
];

/// Whether a requirement of `name` is satisfied in the model: some evidence under that name
/// passed, not after `now`, and with `within`, not before the start minus one day.
fn model_done(checks: &[(usize, usize, usize)], name: &str, within: bool) -> bool {
    checks.iter().any(|&(n, s, t)| {
        NAMES[n] == name
            && STATUSES[s] == "passed"
            && t != 3
            && (!within || TIMES[t].is_some_and(|at| at >= "2026-11-30T10:00:00Z"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn check_requirements_agree_with_the_model(
        checks in proptest::collection::vec(check(), 0..6),
        size in 0i64..20,
        emergency in any::<bool>(),
    ) {
        let engine = Engine::from_source(POLICY, "checks.gate").unwrap();
        let catalog = Catalog::from_json(&json!({"services": [{"id": "api", "tier": 1}]})).unwrap();
        let evidence: Vec<_> = checks
            .iter()
            .map(|&(n, s, t)| match TIMES[t] {
                Some(at) => json!({"name": NAMES[n], "status": STATUSES[s], "at": at}),
                None => json!({"name": NAMES[n], "status": STATUSES[s]}),
            })
            .collect();
        let change = Change::from_json(&json!({
            "id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "bob",
            "start": START, "duration": "1h", "size": size, "emergency": emergency,
            "checks": evidence,
        }))
        .unwrap();
        let now = shipgate::parse_instant(NOW).unwrap();
        for explain in [false, true] {
            let decision = engine.evaluate(&change, &catalog, now, explain).unwrap();
            let reference = engine.evaluate_reference(&change, &catalog, now, explain).unwrap();
            prop_assert_eq!(decision.to_json(), reference.to_json());
        }
        let decision = engine.evaluate(&change, &catalog, now, false).unwrap();
        let json = decision.to_json_value();
        let requirements = json["requirements"].as_array().unwrap();
        let mut expected = vec![("unit", "unit", false)];
        if size > 10 {
            expected.push(("unit_again", "unit", false));
            expected.push(("unit_again", "scan", false));
        }
        expected.push(("recent_scan", "scan", true));
        if !emergency {
            expected.push(("exempted", "rehearsal", false));
        }
        prop_assert_eq!(requirements.len(), expected.len());
        for (r, (rule, name, within)) in requirements.iter().zip(expected) {
            prop_assert_eq!(r["rule"].as_str(), Some(rule));
            prop_assert_eq!(r["check"].as_str(), Some(name));
            prop_assert_eq!(
                r["satisfied"].as_bool(),
                Some(model_done(&checks, name, within)),
                "{} {}", rule, name
            );
            // Every piece of evidence under the name that does not count is listed.
            let under_name = checks.iter().filter(|&&(n, _, _)| NAMES[n] == name);
            let not_counting = under_name
                .filter(|&&c| !model_done(&[c], name, within))
                .count();
            prop_assert_eq!(r["ignored"].as_array().map_or(0, Vec::len), not_counting);
        }
    }
}
