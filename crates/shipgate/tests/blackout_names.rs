//! Blackouts lifted by name (SPEC 8.3): `exempt blackout "NAME", ...`, `waivable blackout
//! "NAME" by "group" max D` and blackout waivers, through the public API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use serde_json::{Value, json};
use shipgate::{Catalog, Change, Engine, Error, Severity};

const CALENDARS: &str = r#"
groups change-manager
calendar emea timezone "Europe/London" {
  blackout "business freeze" from 2026-12-19 to 2027-01-04
  blackout "bank holiday" from 2026-12-25 to 2026-12-26
}
region eu-west uses emea
"#;

fn catalog() -> Catalog {
    Catalog::from_json(&json!({"services": [
        {"id": "api", "tier": 1, "regions": ["eu-west"]}
    ]}))
    .unwrap()
}

fn change(start: &str, extra: Value) -> Change {
    let mut base = json!({"id": "C-1", "services": ["api"], "requester": "ana",
        "implementer": "bo", "start": start, "duration": "1h", "emergency": true});
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    Change::from_json(&base).unwrap()
}

fn decide(policy: &str, change: &Change) -> Value {
    let engine = Engine::from_source(&format!("{CALENDARS}{policy}"), "p.gate").unwrap();
    let now = "2026-12-21T09:00:00Z".parse().unwrap();
    let d = engine.evaluate(change, &catalog(), now, false).unwrap();
    serde_json::to_value(&d).unwrap()
}

fn errors(src: &str) -> (String, Vec<(usize, usize)>) {
    match Engine::from_source(src, "p.gate") {
        Err(Error::Policy(p)) => {
            let at = p
                .diagnostics()
                .iter()
                .filter(|d| d.severity() == Severity::Error)
                .map(|d| {
                    let l = p.location_of(d).unwrap();
                    (l.line, l.column)
                })
                .collect();
            (p.render(false), at)
        }
        other => panic!("expected a policy error, got {other:?}"),
    }
}

#[test]
fn a_named_exemption_lifts_that_name_only_and_lists_what_it_lifted() {
    let policy =
        "rule hotfix {\n  when change.emergency\n  exempt blackout \"business freeze\"\n}\n";
    // Christmas Day: the bank holiday still holds.
    let d = decide(policy, &change("2026-12-25T10:00:00Z", json!({})));
    assert_eq!(d["verdict"], "deny");
    assert_eq!(
        d["schedule"]["regions"][0]["blocked_by"],
        json!(["bank holiday"])
    );
    assert_eq!(
        d["exemptions"],
        json!([{"rule": "hotfix", "lifts": "blackout", "blackouts": ["business freeze"]}])
    );
    // Only the freeze: allowed.
    let d = decide(policy, &change("2026-12-22T10:00:00Z", json!({})));
    assert_eq!(d["verdict"], "allow");
    // Outside every blackout: the exemption applies and lists nothing (SPEC 8.8).
    let d = decide(policy, &change("2026-12-10T10:00:00Z", json!({})));
    assert_eq!(
        d["exemptions"],
        json!([{"rule": "hotfix", "lifts": "blackout", "blackouts": []}])
    );
}

#[test]
fn each_exemption_lists_only_the_blackouts_it_lifted() {
    let policy = "rule all {\n  when change.emergency\n  exempt blackout\n}\n\
                  rule freeze_only {\n  when change.emergency\n  exempt blackout \"business freeze\"\n}\n";
    let d = decide(policy, &change("2026-12-25T10:00:00Z", json!({})));
    assert_eq!(d["verdict"], "allow");
    assert_eq!(
        d["exemptions"],
        json!([
            {"rule": "all", "lifts": "blackout", "blackouts": ["business freeze", "bank holiday"]},
            {"rule": "freeze_only", "lifts": "blackout", "blackouts": ["business freeze"]}
        ])
    );
}

#[test]
fn a_blackout_waiver_and_a_named_exemption_lift_together() {
    let policy = "rule hotfix {\n  when change.emergency\n  exempt blackout \"business freeze\"\n}\n\
                  waivable blackout \"bank holiday\" by \"change-manager\" max 3d\n";
    let waiver = json!({"blackout": "bank holiday", "by": "eve", "group": "change-manager",
        "granted_at": "2026-12-21T08:00:00Z", "expires_at": "2026-12-23T08:00:00Z"});
    // The waiver expires before the change's run ends: rejected, the holiday holds.
    let d = decide(
        policy,
        &change("2026-12-25T10:00:00Z", json!({"waivers": [waiver]})),
    );
    assert_eq!(d["verdict"], "deny");
    assert_eq!(d["waivers"][0]["why"], "expires before the change ends");
    let now_and_run = change("2026-12-22T10:00:00Z", json!({"waivers": [waiver]}));
    let d = decide(policy, &now_and_run);
    assert_eq!(d["verdict"], "allow");
    // The waiver lifted no blackout that met this run, the rule lifted the freeze.
    assert_eq!(
        d["exemptions"],
        json!([
            {"waiver": "eve", "lifts": "blackout", "blackouts": []},
            {"rule": "hotfix", "lifts": "blackout", "blackouts": ["business freeze"]}
        ])
    );
    assert_eq!(
        d["waivers"],
        json!([{"blackout": "bank holiday", "by": "eve", "honored": true}])
    );
}

#[test]
fn a_waiver_s_blackout_is_a_field_of_the_language() {
    let policy = "rule no_freeze_waivers {\n  deny when any w in change.waivers: w.blackout == \"business freeze\"\n}\n";
    let waiver = json!({"blackout": "business freeze", "by": "eve", "group": "change-manager",
        "granted_at": "2026-12-21T08:00:00Z", "expires_at": "2026-12-23T08:00:00Z"});
    let d = decide(
        policy,
        &change("2026-12-10T10:00:00Z", json!({"waivers": [waiver]})),
    );
    assert_eq!(d["verdict"], "deny");
    // Not waivable in this policy: rejected like a waiver of a rule that is not waivable.
    assert_eq!(
        d["waivers"][0]["why"],
        "blackout business freeze is not waivable"
    );
}

#[test]
fn unknown_names_are_errors_at_the_name_with_a_suggestion() {
    let src = format!(
        "{CALENDARS}waivable blackout \"bank holliday\" by \"change-manager\" max 1d\n\
         rule r {{\n  exempt blackout \"busines freeze\"\n}}\n"
    );
    let (text, at) = errors(&src);
    assert_eq!(at, vec![(8, 19), (10, 19)], "{text}");
    assert!(
        text.contains("unknown blackout \"bank holliday\""),
        "{text}"
    );
    assert!(text.contains("did you mean `bank holiday`?"), "{text}");
    assert!(text.contains("did you mean `business freeze`?"), "{text}");
}

#[test]
fn a_blackout_is_waivable_once() {
    let src = format!(
        "{CALENDARS}waivable blackout \"bank holiday\" by \"change-manager\" max 1d\n\
         waivable blackout \"bank holiday\" by \"change-manager\" max 2d\n"
    );
    let (text, at) = errors(&src);
    assert_eq!(at, vec![(9, 1)], "{text}");
    assert!(
        text.contains("waivable declaration for blackout `bank holiday` is defined twice"),
        "{text}"
    );
}

#[test]
fn at_most_64_names_are_lifted_by_name() {
    let policy = |n: usize| {
        let blackouts: String = (0..n)
            .map(|i| format!("  blackout \"b{i}\" from 2026-12-01 to 2026-12-01\n"))
            .collect();
        let names: Vec<String> = (0..n).map(|i| format!("\"b{i}\"")).collect();
        format!(
            "calendar c timezone \"UTC\" {{\n{blackouts}}}\nregion r uses c\n\
             rule r {{\n  exempt blackout {}\n}}\n",
            names.join(", ")
        )
    };
    assert!(Engine::from_source(&policy(64), "p.gate").is_ok());
    let src = policy(65);
    let (text, at) = errors(&src);
    // At the 65th name, on the `exempt` line (after 65 blackouts, `}`, the region and the rule).
    let line = src.lines().nth(69).unwrap();
    assert_eq!(at, vec![(70, line.find("\"b64\"").unwrap() + 1)], "{text}");
    assert!(
        text.contains("too many blackout names lifted by name: a policy may lift at most 64"),
        "{text}"
    );
}

#[test]
fn a_name_list_must_be_names() {
    for bad in [
        "exempt blackout \"a\",",
        "exempt blackout \"a\" \"b\"",
        "exempt blackout freeze",
    ] {
        let src = format!("{CALENDARS}rule r {{\n  {bad}\n}}\n");
        assert!(
            Engine::from_source(&src, "p.gate").is_err(),
            "`{bad}` compiled"
        );
    }
}

#[test]
fn searching_the_next_window_with_a_lift_by_name_stays_linear() {
    // Twelve daily one-hour blackouts leave one-hour gaps: a 90-minute change fits nowhere
    // until the autumn clock change, so the search walks some 4,000 gaps. The stretches with
    // the freeze lifted are computed once per year, not once per gap (that took seconds).
    let mut policy = String::from("calendar c timezone \"Europe/London\" {\n");
    for h in (0..24).step_by(2) {
        policy.push_str(&format!(
            "  blackout \"b{h}\" daily {h:02}:00-{:02}:00\n",
            h + 1
        ));
    }
    policy.push_str(
        "  blackout \"freeze\" from 2026-12-19 to 2027-01-04\n}\nregion r uses c\n\
         rule hotfix {\n  when change.emergency\n  exempt blackout \"freeze\"\n}\n",
    );
    let engine = Engine::from_source(&policy, "p.gate").unwrap();
    let catalog =
        Catalog::from_json(&json!({"services": [{"id": "a", "tier": 1, "regions": ["r"]}]}))
            .unwrap();
    let change = Change::from_json(&json!({"id": "C", "services": ["a"], "requester": "x",
        "implementer": "y", "emergency": true, "start": "2026-12-22T10:00:00Z",
        "duration": "90m"}))
    .unwrap();
    let now = "2026-12-20T00:00:00Z".parse().unwrap();
    let started = std::time::Instant::now();
    let d = engine.evaluate(&change, &catalog, now, false).unwrap();
    let d = serde_json::to_value(&d).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    // The repeated hour of 2027-10-31 makes the first two-hour gap.
    assert_eq!(
        d["schedule"]["regions"][0]["next_window"],
        json!({"start": "2027-10-31T00:00:00Z", "end": "2027-10-31T02:00:00Z"})
    );
    assert_eq!(d["schedule"]["regions"][0]["blocked_by"], json!(["b10"]));
}

mod same_checks {
    use super::*;
    use proptest::prelude::*;

    /// A rule and a blackout, both waivable by the same group for the same maximum.
    const POLICY: &str = r#"
groups cab, change-manager
calendar emea timezone "Europe/London" {
  blackout "business freeze" from 2026-12-19 to 2027-01-04
}
region eu-west uses emea
rule cab_review {
  require approval "cab"
}
waivable cab_review by "change-manager" max 72h
waivable blackout "business freeze" by "change-manager" max 72h
"#;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// A blackout waiver is judged exactly as a rule waiver with the same fields: the same
        /// `honored` and the same `why`, whoever grants it, in whichever group, for however long.
        #[test]
        fn a_blackout_waiver_is_judged_as_a_rule_waiver(
            by in prop::sample::select(vec!["ana", "bo", "maria", "zed"]),
            group in prop::sample::select(vec!["change-manager", "cab"]),
            granted in -100i64..20,
            valid in 1i64..120,
        ) {
            let engine = Engine::from_source(POLICY, "p.gate").unwrap();
            let catalog = Catalog::from_json(&json!({
                "services": [{"id": "api", "tier": 1, "regions": ["eu-west"]}],
                "groups": {"change-manager": ["maria", "ana", "bo"], "cab": ["zed"]}
            }))
            .unwrap();
            let now: shipgate::Instant = "2026-12-21T09:00:00Z".parse().unwrap();
            let at = |hours: i64| (now + chrono::TimeDelta::hours(hours)).to_rfc3339();
            let fields = json!({"by": by, "group": group, "granted_at": at(granted),
                                "expires_at": at(granted + valid)});
            let waiver = |key: &str, name: &str| {
                let mut w = fields.clone();
                w[key] = json!(name);
                w
            };
            let change = change(
                "2026-12-22T10:00:00Z",
                json!({"emergency": false,
                       "waivers": [waiver("rule", "cab_review"), waiver("blackout", "business freeze")]}),
            );
            let d = engine.evaluate(&change, &catalog, now, false).unwrap();
            let (rule, blackout) = (&d.waivers[0], &d.waivers[1]);
            prop_assert_eq!(rule.honored, blackout.honored);
            prop_assert_eq!(&rule.why, &blackout.why);
            // An honoured blackout waiver lifts the freeze; a rejected one lifts nothing.
            prop_assert_eq!(d.schedule.allowed, blackout.honored);
        }
    }
}
