//! The engine through its public API only: compile errors with locations, warnings, failing
//! closed, thread safety and batch evaluation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use serde_json::json;
use shipgate::{Catalog, Change, Decision, Engine, Error, IgnoredWhy, Severity, Verdict};

fn catalog() -> Catalog {
    Catalog::from_json(&json!({"services": [
        {"id": "db", "tier": 0, "stateful": true},
        {"id": "api", "tier": 1, "depends_on": ["db"]},
        {"id": "web", "tier": 2, "depends_on": ["api"]}
    ]}))
    .unwrap()
}

fn change(extra: serde_json::Value) -> Change {
    let mut base = json!({"id": "C-1", "services": ["api"], "requester": "ana",
        "implementer": "bo", "start": "2026-12-01T10:00:00Z", "duration": "1h"});
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    Change::from_json(&base).unwrap()
}

fn now() -> shipgate::Instant {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

fn policy_error(src: &str) -> shipgate::PolicyError {
    match Engine::from_source(src, "p.gate") {
        Err(Error::Policy(p)) => *p,
        other => panic!("expected a policy error, got {other:?}"),
    }
}

#[test]
fn engine_and_catalog_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
    assert_send_sync::<Catalog>();
    assert_send_sync::<shipgate::Decision>();
}

#[test]
fn type_errors_have_file_line_and_column() {
    let e = policy_error("rule r {\n  deny when change.size == \"big\"\n}\n");
    let loc = e.location().unwrap();
    assert_eq!((loc.path.as_str(), loc.line, loc.column), ("p.gate", 2, 13));
    assert!(
        e.to_string()
            .contains("cannot compare an int with a string"),
        "{e}"
    );
}

#[test]
fn every_error_of_a_set_is_reported() {
    let e = policy_error(
        "tier hihg when change.size > 1\nrule r {\n  deny when change.sise > 3\n}\nrule s { require approval \"cab\" count 0 }\n",
    );
    let errors: Vec<_> = e
        .diagnostics()
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 3, "{}", e.render(false));
    let text = e.render(false);
    assert!(
        text.contains("unknown tier `hihg`") && text.contains("did you mean `high`?"),
        "{text}"
    );
    assert!(text.contains("did you mean `size`?"), "{text}");
    assert!(text.contains("between 1 and 1000"), "{text}");
}

#[test]
fn duplicate_rules_across_files_name_both_places() {
    let files = vec![
        (
            "a.gate".to_string(),
            "rule r { deny when false }\n".to_string(),
        ),
        (
            "b.gate".to_string(),
            "\nrule r { deny when true }\n".to_string(),
        ),
    ];
    let e = match Engine::from_sources(files, None) {
        Err(Error::Policy(p)) => p,
        other => panic!("{other:?}"),
    };
    let text = e.render(false);
    assert!(text.contains("rule `r` is defined twice"), "{text}");
    assert!(
        text.contains("b.gate:2:6") && text.contains("a.gate:1:6"),
        "{text}"
    );
}

#[test]
fn optional_read_without_has_warns_and_fails_closed() {
    let engine = Engine::from_source(
        "rule sev {\n  deny when change.incident.severity > 2\n}\n",
        "p.gate",
    )
    .unwrap();
    assert_eq!(engine.warnings().len(), 1);
    assert!(
        engine.warnings()[0]
            .message()
            .contains("without a `has` test")
    );
    let d = engine
        .evaluate(&change(json!({})), &catalog(), now(), false)
        .unwrap();
    assert_eq!(d.verdict, Verdict::Deny, "an absent optional fails closed");
    assert!(
        d.reasons[0].message.contains("`change.incident` is absent"),
        "{:?}",
        d.reasons
    );

    let guarded = Engine::from_source(
        "rule sev {\n  deny when change has incident and change.incident.severity > 2\n}\n",
        "p.gate",
    )
    .unwrap();
    assert!(guarded.warnings().is_empty());
    let d = guarded
        .evaluate(&change(json!({})), &catalog(), now(), false)
        .unwrap();
    assert_eq!(d.verdict, Verdict::Allow);
}

#[test]
fn blast_radius_and_order_come_from_the_graph() {
    let engine = Engine::from_source(
        "rule wide {\n  deny when change.blast_radius >= 1\n  message \"{change.blast_radius} dependents\"\n}\n",
        "p.gate",
    )
    .unwrap();
    let d = engine
        .evaluate(
            &change(json!({"services": ["web", "db"]})),
            &catalog(),
            now(),
            false,
        )
        .unwrap();
    assert_eq!(
        d.reasons[0].message, "1 dependents",
        "api depends on db; web is touched"
    );
    let order: Vec<Vec<&str>> = d
        .order
        .iter()
        .map(|w| w.iter().map(|s| s.as_str()).collect())
        .collect();
    assert_eq!(order, vec![vec!["db"], vec!["web"]]);
}

#[test]
fn evaluate_many_matches_serial_evaluation() {
    let engine = Engine::from_source(
        "tiers low, high\ntier high when change.size > 100\nrule big {\n  when tier >= high\n  require approval \"cab\" count 2\n}\n",
        "p.gate",
    )
    .unwrap();
    let changes: Vec<Change> = (0..500)
        .map(|i| change(json!({"id": format!("C-{i}"), "size": i,
            "approvals": [{"by": "x", "group": "cab", "at": "2026-12-01T08:00:00Z"},
                          {"by": if i % 2 == 0 { "y" } else { "ana" }, "group": "cab", "at": "2026-12-01T08:00:00Z"}]})))
        .collect();
    let cat = catalog();
    let many = engine.evaluate_many(&changes, &cat, now());
    assert_eq!(many.len(), changes.len());
    for (c, d) in changes.iter().zip(many) {
        assert_eq!(d.unwrap(), engine.evaluate(c, &cat, now(), false).unwrap());
    }
    // On any number of threads (a pool of its own when not all cores): the same, in order.
    let serial = engine.evaluate_many_on(&changes, &cat, now(), 1);
    for threads in [2, 3, 5] {
        let on = engine.evaluate_many_on(&changes, &cat, now(), threads);
        let ids: Vec<_> = on
            .iter()
            .map(|d| d.as_ref().unwrap().change.clone())
            .collect();
        let expected: Vec<_> = changes.iter().map(|c| c.id.clone()).collect();
        assert_eq!(ids, expected, "{threads} threads");
        assert_eq!(
            on.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            serial
                .iter()
                .map(|d| d.clone().unwrap())
                .collect::<Vec<_>>()
        );
    }
    let d = engine.evaluate(&changes[201], &cat, now(), false).unwrap();
    assert_eq!(
        d.verdict,
        Verdict::Pending,
        "ana is the requester: her approval is ignored"
    );
    assert_eq!(d.requirements[0].ignored[0].why, IgnoredWhy::Requester);
}

#[test]
fn a_batch_in_pieces_reads_as_one_sequence() {
    // 2,500 changes: three pieces of at most 1,024 on one thread, a dozen or more on several;
    // every way of reading the batch gives the results of the changes in their order.
    let engine =
        Engine::from_source("rule big { deny when change.size > 1000 }", "p.gate").unwrap();
    let changes: Vec<Change> = (0..2_500)
        .map(|i| change(json!({"id": format!("C-{i}"), "size": i})))
        .collect();
    let cat = catalog();
    let ids: Vec<String> = changes.iter().map(|c| c.id.clone()).collect();
    let verdict = |i: usize| {
        if i > 1000 {
            Verdict::Deny
        } else {
            Verdict::Allow
        }
    };
    for threads in [1, 2, 3] {
        let mut many = engine.evaluate_many_on(&changes, &cat, now(), threads);
        assert_eq!(
            (many.len(), many.is_empty()),
            (2_500, false),
            "{threads} threads"
        );
        let it = many.iter();
        assert_eq!(it.len(), 2_500);
        let read: Vec<String> = it.map(|d| d.as_ref().unwrap().change.to_string()).collect();
        assert_eq!(read, ids, "{threads} threads");
        for i in [0, 1, 1_023, 1_024, 1_025, 2_047, 2_048, 2_499] {
            let d = many[i].as_ref().unwrap();
            assert_eq!(
                (d.change.as_str(), d.verdict),
                (ids[i].as_str(), verdict(i))
            );
            assert_eq!(many.get(i).unwrap().as_ref().unwrap().change, d.change);
        }
        assert!(many.get(2_500).is_none());
        assert!(many.get_mut(2_500).is_none());
        // Written through `iter_mut` and `IndexMut`, read back in place.
        for (i, d) in many.iter_mut().enumerate() {
            d.as_mut().unwrap().strategy = Some(format!("s{i}").into());
        }
        many[7].as_mut().unwrap().tier = "seventh".into();
        assert_eq!(
            many[1_500].as_ref().unwrap().strategy.as_deref(),
            Some("s1500")
        );
        assert_eq!(many[7].as_ref().unwrap().tier, "seventh");
        // By value: as many as it says, in order, whether taken one by one or whole.
        let mut by_value = many.into_iter();
        assert_eq!(by_value.len(), 2_500);
        let first = by_value.next().unwrap().unwrap();
        assert_eq!((first.change.as_str(), by_value.len()), ("C-0", 2_499));
        let rest: Vec<Decision> = by_value.map(Result::unwrap).collect();
        assert_eq!(rest.len(), 2_499);
        assert_eq!(rest[2_498].change, "C-2499");
        let whole = engine
            .evaluate_many_on(&changes, &cat, now(), threads)
            .into_vec();
        let read: Vec<String> = whole
            .iter()
            .map(|d| d.as_ref().unwrap().change.to_string())
            .collect();
        assert_eq!(read, ids, "{threads} threads, into_vec");
    }
    // Far more threads asked for than there are pieces: no more threads than pieces are
    // started (`threads * 4` no longer overflows into a division by zero), the same results.
    for threads in [1 << 62, usize::MAX] {
        let many = engine.evaluate_many_on(&changes[..200], &cat, now(), threads);
        let read: Vec<String> = many
            .iter()
            .map(|d| d.as_ref().unwrap().change.to_string())
            .collect();
        assert_eq!(read, ids[..200]);
    }
    // An empty batch.
    let none = engine.evaluate_many(&[] as &[Change], &cat, now());
    assert!(none.is_empty() && none.iter().next().is_none() && none.get(0).is_none());
}

#[test]
fn batches_made_and_dropped_inside_other_batches_of_work() {
    // A batch made on a worker of rayon's pool and dropped there (its drop asks every thread
    // of the pool to free its pieces, the busy ones included), and a batch made in a pool of
    // its own and dropped in another: each ends, with every result in order.
    use rayon::prelude::*;
    let engine = Engine::from_source("rule big { deny when change.size > 100 }", "p.gate").unwrap();
    let changes: Vec<Change> = (0..600)
        .map(|i| change(json!({"id": format!("C-{i}"), "size": i})))
        .collect();
    let cat = catalog();
    let denied = (0..8)
        .into_par_iter()
        .map(|_| {
            let many = engine.evaluate_many_on(&changes, &cat, now(), 2);
            assert_eq!(many[599].as_ref().unwrap().change, "C-599");
            many.iter()
                .filter(|d| d.as_ref().unwrap().verdict == Verdict::Deny)
                .count()
        })
        .sum::<usize>();
    assert_eq!(denied, 8 * 499);
    let other = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let many = other.install(|| engine.evaluate_many_on(&changes, &cat, now(), 3));
    let kept: Vec<_> = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap()
        .install(move || {
            many.iter()
                .map(|d| d.as_ref().unwrap().change.clone())
                .collect()
        });
    assert_eq!(kept.len(), 600);
    assert_eq!(kept[0], "C-0");
}

#[test]
fn unknown_service_is_an_input_error_with_its_path() {
    let engine = Engine::from_source("rule r { deny when false }", "p.gate").unwrap();
    let c = change(json!({"services": ["api", "wbe"]}));
    match engine.evaluate(&c, &catalog(), now(), false) {
        Err(Error::Input(e)) => {
            assert_eq!(e.path, "change.services[1]");
            assert!(e.message.contains("did you mean `web`?"), "{}", e.message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_kinds_write_the_same_text_as_the_json() {
    use shipgate::{Comparison, Lifted, OnNoData, RelativeTo, RequirementKind, TraceKind};
    fn same<T: serde::Serialize + std::fmt::Display>(value: T, text: &str) {
        assert_eq!(serde_json::to_value(&value).unwrap(), json!(text));
        assert_eq!(value.to_string(), text);
    }
    same(Verdict::Pending, "pending");
    same(RequirementKind::Check, "check");
    same(IgnoredWhy::InTheFuture, "in the future");
    // `Lifted` is written as its kind (`"lifts"`) beside its names: see the exemption test.
    assert_eq!(Lifted::Blackout(vec!["x".into()]).to_string(), "blackout");
    assert_eq!(Lifted::Window.to_string(), "window");
    assert_eq!(
        Lifted::Rule("cab_review".into()).to_string(),
        "rule cab_review"
    );
    assert_eq!(Lifted::Rule("cab_review".into()).as_str(), "rule");
    same(Comparison::Ge, ">=");
    same(Comparison::Ne, "!=");
    same(RelativeTo::Baseline, "baseline");
    same(OnNoData::Fire, "fire");
    same(TraceKind::Strategy, "strategy");
    // Padding applies, as the CLI's trace table uses it.
    assert_eq!(format!("{:<8}|", TraceKind::Tier), "tier    |");
    assert_eq!(
        format!("{:>12}|", Lifted::Rule("r".into())),
        "      rule r|"
    );
}

#[test]
fn errors_are_std_errors_with_their_fields_behind_methods() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
    assert_error::<shipgate::PolicyError>();
    assert_error::<shipgate::InputError>();
    let e = policy_error("rule r {\n  deny when change.sise > 3\n}\n");
    let d = &e.diagnostics()[0];
    assert!(d.is_error());
    assert_eq!(d.message(), "unknown field `sise` on change");
    assert_eq!(d.help(), Some("did you mean `size`?"));
    let at = e.location_of(d).unwrap();
    assert_eq!((at.path.as_str(), at.line, at.column), ("p.gate", 2, 20));
    assert_eq!(e.location(), Some(at));
}

#[test]
fn warnings_are_located_plain_data_in_the_bindings_shape() {
    let source = "extend change { cost_center: string? }\nrule r { deny when change.cost_center == \"x\" }\n";
    let engine = shipgate::Engine::from_source(source, "warn.gate").unwrap();
    let list = engine.warning_list();
    assert_eq!(list.len(), 1, "{list:?}");
    let w = &list[0];
    assert_eq!(w.severity, shipgate::Severity::Warning);
    assert_eq!((w.file.as_deref(), w.line), (Some("warn.gate"), Some(2)));
    let location = engine.warning_location(&engine.warnings()[0]).unwrap();
    assert_eq!(w.column, Some(location.column));
    let json = serde_json::to_string(w).unwrap();
    assert!(
        json.starts_with("{\"message\":")
            && json.contains("\"severity\":\"warning\",\"file\":\"warn.gate\",\"line\":2,"),
        "{json}"
    );
}

#[test]
fn named_conditions_unused_is_a_warning_and_read_ones_decide() {
    let src = "condition big = change.size > 500\ncondition spare = change.emergency\n\
               condition leftover = true\ncondition chained = big and spare_helper\n\
               condition spare_helper = not change.emergency\n\
               rule r {\n  deny when chained\n}\n";
    let engine = Engine::from_source(src, "p.gate").unwrap();
    let unused: Vec<&str> = engine
        .warnings()
        .iter()
        .filter(|w| w.message().contains("never read"))
        .map(|w| w.message())
        .collect();
    assert_eq!(
        unused,
        [
            "condition `spare` is never read",
            "condition `leftover` is never read"
        ]
    );
    let big = change(serde_json::json!({"size": 800}));
    let small = change(serde_json::json!({"size": 100}));
    let verdict = |c: &Change| {
        engine
            .evaluate(c, &catalog(), now(), false)
            .unwrap()
            .verdict
            .to_string()
    };
    assert_eq!(verdict(&big), "deny");
    assert_eq!(verdict(&small), "allow");
}

#[test]
fn a_named_condition_error_points_at_its_body_and_where_it_was_read() {
    let e = policy_error("tiers low, high\ncondition risky = tier >= high\ntier high when risky\n");
    let loc = e.location().unwrap();
    assert_eq!((loc.line, loc.column), (2, 19));
    let text = e.render(false);
    assert!(text.contains("in condition `risky`, read here"), "{text}");
    assert!(text.contains("p.gate:2:19"), "{text}");
}

#[test]
fn a_services_zone_follows_the_region_rule_and_the_digest_is_the_decisions() {
    let engine = Engine::from_source(
        r#"
        calendar utc timezone "UTC" { blackout "freeze" from 2026-12-24 to 2026-12-26 }
        calendar berlin timezone "Europe/Berlin" { window mon-fri 09:00-16:00 }
        calendar tokyo timezone "Asia/Tokyo" { window mon-fri 10:00-15:00 }
        region eu-west uses utc, berlin
        region ap-east uses tokyo
        "#,
        "zones.gate",
    )
    .unwrap();
    let catalog = Catalog::from_json(&serde_json::json!({"services": [
        {"id": "api", "tier": 1, "regions": ["eu-west"]},
        {"id": "batch", "tier": 2, "regions": ["ap-east", "eu-west"]},
    ]}))
    .unwrap();
    // The first calendar with a window, in the order the service's calendars apply.
    assert_eq!(
        engine.service_timezone("api", &catalog).unwrap(),
        Some("Europe/Berlin")
    );
    assert_eq!(
        engine.service_timezone("batch", &catalog).unwrap(),
        Some("Asia/Tokyo")
    );
    assert_eq!(engine.region_timezone("eu-west"), Some("Europe/Berlin"));
    match engine.service_timezone("apo", &catalog).unwrap_err() {
        shipgate::Error::Input(e) => assert_eq!(e.path, "service"),
        other => panic!("expected an input error, got {other}"),
    }
    // The days of a month in those zones: Berlin falls back on the 25th, Tokyo never.
    let (from, to) = (
        "2026-10-01T00:00:00+02:00".parse().unwrap(),
        "2026-11-01T00:00:00+01:00".parse().unwrap(),
    );
    let berlin = engine.region_days("eu-west", from, to).unwrap();
    assert_eq!(berlin.timezone, "Europe/Berlin");
    assert_eq!(berlin.days.len(), 31);
    let switched: Vec<String> = berlin
        .days
        .iter()
        .filter(|d| d.dst_change)
        .map(|d| d.date.to_string())
        .collect();
    assert_eq!(switched, ["2026-10-25"]);
    let tokyo = engine.service_days("batch", &catalog, from, to).unwrap();
    assert_eq!(tokyo.timezone, "Asia/Tokyo");
    assert!(
        tokyo
            .days
            .iter()
            .all(|d| !d.dst_change && d.utc_offset_start == "+09:00")
    );
    match engine.region_days("eu-wst", from, to).unwrap_err() {
        shipgate::Error::Input(e) => assert_eq!(e.path, "region"),
        other => panic!("expected an input error, got {other}"),
    }
    match engine
        .service_days("batch", &catalog, to, from)
        .unwrap_err()
    {
        shipgate::Error::Input(e) => assert_eq!(e.path, "to"),
        other => panic!("expected an input error, got {other}"),
    }
    let decision = engine
        .evaluate(
            &change(serde_json::json!({})),
            &catalog_with_regions(),
            now(),
            false,
        )
        .unwrap();
    assert_eq!(&*decision.policy, engine.policy_digest());
    assert!(engine.policy_digest().starts_with("sha256:"));
}

fn catalog_with_regions() -> Catalog {
    Catalog::from_json(&serde_json::json!({"services": [
        {"id": "api", "tier": 1, "regions": ["eu-west"]},
    ]}))
    .unwrap()
}
