//! The planner on small trains whose plans can be worked out by hand.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};

use crate::{Catalog, Engine, Error, Plan, PlannedChange, Unschedulable, changes_from_json};

/// Tue 2026-12-01, 09:00 UTC.
const FROM: &str = "2026-12-01T09:00:00Z";

const CALENDARS: &str = r#"
calendar office timezone "UTC" { window mon-fri 09:00-17:00 }
calendar tokyo timezone "Asia/Tokyo" { window mon-fri 09:00-17:00 }
region eu uses office
region ap uses tokyo
"#;

fn catalog() -> Catalog {
    Catalog::from_json(&json!({"services": [
        {"id": "db", "tier": 0, "regions": ["eu"]},
        {"id": "api", "tier": 1, "depends_on": ["db"], "regions": ["eu"]},
        {"id": "web", "tier": 2, "depends_on": ["api"], "regions": ["eu"]},
        {"id": "jobs", "tier": 2, "regions": ["eu"]},
        {"id": "edge", "tier": 2, "regions": ["eu", "ap"]}
    ]}))
    .unwrap()
}

fn change(id: &str, services: &[&str], duration: &str) -> Value {
    json!({"id": id, "services": services, "requester": "ana", "implementer": "bo",
           "duration": duration})
}

fn plan_with(policy: &str, changes: Vec<Value>) -> Result<Plan, Error> {
    let engine = Engine::from_source(&format!("{CALENDARS}\n{policy}"), "p.gate").unwrap();
    let changes = changes_from_json(&Value::Array(changes)).unwrap();
    engine.plan(&changes, &catalog(), FROM.parse().unwrap())
}

/// `id start end wave` per planned entry, `id: reason` per unschedulable one.
fn lines(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = plan
        .changes
        .iter()
        .map(|c| {
            let region = c
                .region
                .as_deref()
                .map(|r| format!("@{r}"))
                .unwrap_or_default();
            format!(
                "{}{region} {} {} {}",
                c.id,
                super::rfc3339(c.start),
                super::rfc3339(c.end),
                c.wave
            )
        })
        .collect();
    out.extend(
        plan.unschedulable
            .iter()
            .map(|u| format!("{}: {}", u.id, u.reason)),
    );
    out
}

#[test]
fn dependencies_and_after_order_the_train_into_waves() {
    let mut late = change("C-web", &["web"], "2h");
    late["after"] = json!(["C-jobs"]);
    let plan = plan_with(
        "",
        vec![
            late,
            change("C-api", &["api"], "2h"),
            change("C-db", &["db"], "3h"),
            change("C-jobs", &["jobs"], "1h"),
        ],
    )
    .unwrap();
    assert_eq!(
        lines(&plan),
        [
            "C-db 2026-12-01T09:00:00Z 2026-12-01T12:00:00Z 0",
            "C-jobs 2026-12-01T09:00:00Z 2026-12-01T10:00:00Z 0",
            "C-api 2026-12-01T12:00:00Z 2026-12-01T14:00:00Z 1",
            "C-web 2026-12-01T14:00:00Z 2026-12-01T16:00:00Z 2",
        ]
    );
}

#[test]
fn a_change_waits_for_the_next_window_where_it_fits_whole() {
    // 7h from 09:00 after a 2h predecessor ends at 11:00 does not fit before 17:00.
    let mut second = change("B", &["jobs"], "7h");
    second["after"] = json!(["A"]);
    let plan = plan_with("", vec![change("A", &["db"], "2h"), second]).unwrap();
    assert_eq!(
        lines(&plan),
        [
            "A 2026-12-01T09:00:00Z 2026-12-01T11:00:00Z 0",
            "B 2026-12-02T09:00:00Z 2026-12-02T16:00:00Z 1",
        ]
    );
}

#[test]
fn capacity_and_the_same_service_keep_changes_apart() {
    let three = vec![
        change("A", &["jobs"], "2h"),
        change("B", &["jobs"], "2h"),
        change("C", &["db"], "2h"),
    ];
    // Unlimited: only the two on `jobs` wait for each other.
    assert_eq!(
        lines(&plan_with("", three.clone()).unwrap()),
        [
            "A 2026-12-01T09:00:00Z 2026-12-01T11:00:00Z 0",
            "C 2026-12-01T09:00:00Z 2026-12-01T11:00:00Z 0",
            "B 2026-12-01T11:00:00Z 2026-12-01T13:00:00Z 0",
        ]
    );
    // capacity 1: one at a time, in id order.
    assert_eq!(
        lines(&plan_with("capacity 1", three).unwrap()),
        [
            "A 2026-12-01T09:00:00Z 2026-12-01T11:00:00Z 0",
            "B 2026-12-01T11:00:00Z 2026-12-01T13:00:00Z 0",
            "C 2026-12-01T13:00:00Z 2026-12-01T15:00:00Z 0",
        ]
    );
}

#[test]
fn capacity_per_region_counts_each_region_apart() {
    let mut ap = change("B", &["edge"], "2h");
    ap["regions"] = json!(["ap"]);
    let mut eu = change("A", &["jobs"], "2h");
    eu["start"] = json!("2026-12-01T00:00:00Z");
    let mut eu2 = change("C", &["db"], "2h");
    eu2["start"] = json!("2026-12-01T00:00:00Z");
    let plan = plan_with("capacity 1 per region", vec![eu, ap, eu2]).unwrap();
    // Tokyo's 09:00-17:00 is 00:00-08:00 UTC, which on Tuesday starts before `from`.
    assert_eq!(
        lines(&plan),
        [
            "A 2026-12-01T09:00:00Z 2026-12-01T11:00:00Z 0",
            "C 2026-12-01T11:00:00Z 2026-12-01T13:00:00Z 0",
            "B 2026-12-02T00:00:00Z 2026-12-02T02:00:00Z 0",
        ]
    );
}

#[test]
fn a_per_region_rollout_goes_region_by_region_with_its_soak() {
    let mut c = change("R", &["edge"], "2h");
    c["rollout"] = json!("per_region");
    c["soak"] = json!("1h");
    c["regions"] = json!(["eu", "ap"]);
    let plan = plan_with("", vec![c]).unwrap();
    assert_eq!(
        lines(&plan),
        [
            "R@eu 2026-12-01T09:00:00Z 2026-12-01T11:00:00Z 0",
            "R@ap 2026-12-02T00:00:00Z 2026-12-02T02:00:00Z 0",
        ]
    );
    let json = plan.to_json_value();
    assert_eq!(
        json["changes"][1],
        json!({"id": "R", "region": "ap", "start": "2026-12-02T00:00:00Z",
               "end": "2026-12-02T02:00:00Z", "wave": 0, "services": ["edge"], "notify": []})
    );
}

#[test]
fn the_plan_json_follows_the_spec() {
    let plan = plan_with("", vec![change("A", &["jobs"], "1h")]).unwrap();
    assert_eq!(
        plan.to_json_value(),
        json!({"changes": [{"id": "A", "start": "2026-12-01T09:00:00Z",
                            "end": "2026-12-01T10:00:00Z", "wave": 0, "regions": ["eu"],
                            "services": ["jobs"], "notify": []}],
               "unschedulable": []})
    );
}

#[test]
fn a_rule_denial_moves_to_the_next_candidate_and_unschedulable_spreads() {
    let mut big = change("A", &["jobs"], "1h");
    big["size"] = json!(500);
    let mut next = change("B", &["db"], "1h");
    next["after"] = json!(["A"]);
    let plan = plan_with(
        "rule too_big { deny when change.size > 100 message \"too big\" }",
        vec![big, next],
    )
    .unwrap();
    assert!(plan.changes.is_empty());
    assert_eq!(
        lines(&plan),
        [
            "A: nothing fits within 365 days of 2026-12-01T09:00:00Z: denied by rule \"too_big\" \
             at every start tried",
            "B: after \"A\", which is unschedulable",
        ]
    );
}

#[test]
fn a_rule_reading_the_start_is_tried_at_later_candidates() {
    // Denied before 13:00 by a rule; the schedule alone would allow 09:00.
    let plan = plan_with(
        "rule not_before { deny when change.start < 2026-12-01T13:00:00Z message \"later\" }",
        vec![change("A", &["jobs"], "1h"), change("B", &["jobs"], "1h")],
    )
    .unwrap();
    // A is refused all day (the window's end is the next candidate) and starts next morning;
    // B follows it.
    assert_eq!(
        lines(&plan),
        [
            "A 2026-12-02T09:00:00Z 2026-12-02T10:00:00Z 0",
            "B 2026-12-02T10:00:00Z 2026-12-02T11:00:00Z 0",
        ]
    );
}

#[test]
fn a_cycle_is_an_error_that_lists_it_from_its_smallest_id() {
    let mut a = change("B", &["jobs"], "1h");
    a["after"] = json!(["C"]);
    let mut c = change("C", &["web"], "1h");
    c["after"] = json!(["B"]);
    let Err(Error::Input(e)) = plan_with("", vec![change("A", &["api"], "1h"), a, c]) else {
        panic!("expected an input error");
    };
    assert_eq!(e.path, "changes[1]");
    assert_eq!(
        e.message,
        "the changes form a dependency cycle: B -> C -> B (\"C\" after \"B\": `after`; \
         \"B\" after \"C\": `after`)"
    );

    // Through the catalog: `web` depends on `api`, so C-web follows C-api, which says it
    // must follow C-web.
    let mut api = change("C-api", &["api"], "1h");
    api["after"] = json!(["C-web"]);
    let Err(Error::Input(e)) = plan_with("", vec![change("C-web", &["web"], "1h"), api]) else {
        panic!("expected an input error");
    };
    assert_eq!(
        e.message,
        "the changes form a dependency cycle: C-api -> C-web -> C-api (\"C-web\" after \
         \"C-api\": \"web\" depends on \"api\"; \"C-api\" after \"C-web\": `after`)"
    );
}

#[test]
fn unknown_after_and_duplicate_ids_are_input_errors_at_their_paths() {
    let mut a = change("A", &["jobs"], "1h");
    a["after"] = json!(["B", "A-1"]);
    let Err(Error::Input(e)) = plan_with("", vec![a, change("B", &["db"], "1h")]) else {
        panic!("expected an input error");
    };
    assert_eq!(e.path, "changes[0].after[1]");
    assert!(
        e.message.starts_with("unknown change \"A-1\" in `after`"),
        "{}",
        e.message
    );

    let engine = Engine::from_source(CALENDARS, "p.gate").unwrap();
    let one = crate::Change::from_json(&change("A", &["jobs"], "1h")).unwrap();
    let Err(Error::Input(e)) = engine.plan(&[one.clone(), one], &catalog(), FROM.parse().unwrap())
    else {
        panic!("expected an input error");
    };
    assert_eq!(e.path, "changes[1].id");

    // A decision's own error is re-rooted at the change's place in the train.
    let Err(Error::Input(e)) = plan_with("", vec![change("A", &["nope"], "1h")]) else {
        panic!("expected an input error");
    };
    assert!(e.path.starts_with("changes[0].services"), "{}", e.path);
}

#[test]
fn rollout_and_soak_are_read_with_errors_at_their_paths() {
    let mut c = change("A", &["jobs"], "1h");
    c["rollout"] = json!("per-region");
    let e = changes_from_json(&json!([c])).unwrap_err();
    assert_eq!(e.path, "changes[0].rollout");
    assert!(e.message.contains("per_region"), "{}", e.message);
    let mut c = change("A", &["jobs"], "1h");
    c["soak"] = json!(-5);
    let e = changes_from_json(&json!([c])).unwrap_err();
    assert_eq!(e.path, "changes[0].soak");
    // And the JSON text reader agrees with the tree reader.
    let text = r#"[{"id": "A", "services": ["jobs"], "requester": "a", "implementer": "b",
                   "duration": "1h", "rollout": "per_region", "soak": "30m"}]"#;
    let read = crate::changes_from_text(text, crate::Format::Json).unwrap();
    assert_eq!(read[0].rollout, "per_region");
    assert_eq!(read[0].soak, 1800);
    let bad = text.replace("per_region", "sideways");
    let e = crate::changes_from_text(&bad, crate::Format::Json).unwrap_err();
    assert_eq!(e.path, "changes[0].rollout");
}

#[test]
fn a_soak_without_a_per_region_rollout_is_an_error_not_ignored() {
    let mut c = change("A", &["jobs"], "1h");
    c["soak"] = json!("2h");
    let Err(Error::Input(e)) = plan_with("", vec![change("B", &["db"], "1h"), c.clone()]) else {
        panic!("expected an input error");
    };
    assert_eq!(e.path, "changes[1].soak");
    assert!(e.message.contains("per_region"), "{}", e.message);
    // With the rollout it says it applies to, the same soak plans.
    c["rollout"] = json!("per_region");
    assert!(plan_with("", vec![c]).is_ok());
}

#[test]
fn a_profile_merges_back_to_back_runs_and_finds_the_first_fit() {
    let h = |hour: i64| -> crate::Instant {
        FROM.parse::<crate::Instant>().unwrap() + chrono::TimeDelta::hours(hour)
    };
    let hours = chrono::TimeDelta::hours;
    let mut p = super::Profile::default();
    for k in 0..100 {
        p.add(h(k), h(k + 1));
    }
    // A hundred back-to-back runs are one step up and one down.
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.first_fit(h(0), hours(1), 1), h(100));
    assert_eq!(p.first_fit(h(0), hours(1), 2), h(0));
    // A gap of two hours at 102-104 fits a two-hour run, not a three-hour one.
    p.add(h(104), h(110));
    assert_eq!(p.first_fit(h(50), hours(2), 1), h(100));
    p.add(h(100), h(102));
    assert_eq!(p.first_fit(h(50), hours(2), 1), h(102));
    assert_eq!(p.first_fit(h(50), hours(3), 1), h(110));
    // Two at once somewhere in the run is full for capacity 2; a run of no length fits anywhere.
    p.add(h(103), h(105));
    assert_eq!(p.first_fit(h(102), hours(1), 1), h(102));
    assert_eq!(p.first_fit(h(102), hours(2), 1), h(110));
    assert_eq!(p.first_fit(h(102), hours(2), 2), h(102));
    assert_eq!(p.first_fit(h(102), hours(3), 2), h(105));
    assert_eq!(p.first_fit(h(50), hours(0), 1), h(50));
}

#[test]
fn a_long_train_on_one_service_is_planned_back_to_back() {
    let changes: Vec<Value> = (0..300)
        .map(|i| change(&format!("C{i:03}"), &["jobs"], "1h"))
        .collect();
    let plan = plan_with("capacity 1", changes).unwrap();
    assert!(plan.unschedulable.is_empty());
    // Eight a working day, each after the previous one.
    let starts: Vec<_> = plan.changes.iter().map(|c| c.start).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        super::rfc3339(plan.changes[299].start),
        "2027-01-21T12:00:00Z"
    );
}

#[test]
fn an_unknown_region_of_a_rollout_is_an_error_at_its_own_path() {
    let mut c = change("R", &["edge"], "1h");
    c["rollout"] = json!("per_region");
    c["regions"] = json!(["eu", "mars"]);
    let Err(Error::Input(e)) = plan_with("", vec![c]) else {
        panic!("expected an input error");
    };
    assert_eq!(e.path, "changes[0].regions[1]", "{e}");
}

#[test]
fn a_change_after_an_unschedulable_one_is_still_read() {
    let mut big = change("A", &["jobs"], "1h");
    big["size"] = json!(500);
    let mut next = change("B", &["nope"], "1h");
    next["after"] = json!(["A"]);
    let Err(Error::Input(e)) = plan_with(
        "rule too_big { deny when change.size > 100 message \"too big\" }",
        vec![big, next],
    ) else {
        panic!("expected an input error");
    };
    assert!(e.path.starts_with("changes[1].services"), "{e}");
}

/// The VEVENTs of an iCalendar text as read back by a real parser: `(UID, DTSTART, DTEND,
/// SUMMARY)` each.
fn events_of(ics: &str) -> Vec<(String, String, String, String)> {
    let unfolded = icalendar::parser::unfold(ics);
    let components = icalendar::parser::read_components(&unfolded).unwrap();
    let cal = components.first().expect("a VCALENDAR");
    assert_eq!(cal.name, "VCALENDAR");
    let prop = |c: &icalendar::parser::Component<'_>, name: &str| -> String {
        c.properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.val.to_string())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    cal.components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .map(|e| {
            (
                prop(e, "UID"),
                prop(e, "DTSTART"),
                prop(e, "DTEND"),
                prop(e, "SUMMARY"),
            )
        })
        .collect()
}

#[test]
fn the_plan_as_ics_has_one_event_per_run_with_stable_uids() {
    let mut r = change("R", &["edge"], "2h");
    r["rollout"] = json!("per_region");
    r["regions"] = json!(["eu", "ap"]);
    // After R's last region (ap, until 02:00 UTC), in eu's next window (09:00 UTC).
    let mut late = change("L", &["jobs"], "1h");
    late["after"] = json!(["R"]);
    let plan = plan_with("", vec![r, late, change("X", &["db"], "1h")]).unwrap();
    let stamp = FROM.parse().unwrap();
    let ics = plan.to_ics(stamp);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains("PRODID:-//shipgate//plan//EN\r\n"), "{ics}");
    assert!(ics.contains("DTSTAMP:20261201T090000Z\r\n"), "{ics}");
    let mut events = events_of(&ics);
    events.sort();
    assert_eq!(
        events,
        [
            ("L@shipgate", "20261202T090000Z", "20261202T100000Z", "L"),
            (
                "R-ap@shipgate",
                "20261202T000000Z",
                "20261202T020000Z",
                "R (ap)"
            ),
            (
                "R-eu@shipgate",
                "20261201T090000Z",
                "20261201T110000Z",
                "R (eu)"
            ),
            ("X@shipgate", "20261201T090000Z", "20261201T100000Z", "X"),
        ]
        .map(|(u, s, e, m)| (u.to_string(), s.to_string(), e.to_string(), m.to_string()))
    );
    // The same plan gives the same bytes.
    assert_eq!(plan.to_ics(stamp), ics);
    assert!(ics.contains("X-SHIPGATE-WAVE:1\r\n"), "{ics}");
}

/// A train with a `per_region` rollout (R), a change after it (W), a change in one region (X)
/// and an unschedulable one (N, after X through the catalog: nine hours never fit an eight-hour
/// window).
fn mermaid_train() -> Plan {
    let mut r = change("R", &["edge"], "2h");
    r["rollout"] = json!("per_region");
    r["regions"] = json!(["eu", "ap"]);
    let mut w = change("W", &["jobs"], "1h");
    w["after"] = json!(["R"]);
    plan_with(
        "",
        vec![
            r,
            w,
            change("X", &["db"], "1h"),
            change("N", &["web"], "9h"),
        ],
    )
    .unwrap()
}

const MERMAID_HEAD: &str = "gantt
  title Release train, 4 planned, 1 unschedulable
  dateFormat x
  axisFormat %Y-%m-%d %H:%M
  todayMarker off
";

const MERMAID_N: &str = "  %% unschedulable N: nothing fits within 365 days of 2026-12-01T10:00:00Z: \
                         no window where the whole change fits\n";

#[test]
fn the_plan_as_mermaid_has_a_bar_per_run_in_sections_by_wave() {
    let plan = mermaid_train();
    // 1796115600000 ms is 2026-12-01T09:00:00Z.
    assert_eq!(
        plan.to_mermaid(crate::GanttSections::Wave),
        format!(
            "{MERMAID_HEAD}  section wave 0
  R in eu (edge) :1796115600000, 1796122800000
  X (db) :1796115600000, 1796119200000
  R in ap (edge) :1796169600000, 1796176800000
  section wave 1
  W (jobs) :1796202000000, 1796205600000
{MERMAID_N}"
        )
    );
    assert_eq!(
        plan.to_mermaid(crate::GanttSections::default()),
        plan.to_mermaid(crate::GanttSections::Wave)
    );
}

#[test]
fn by_region_a_whole_change_is_a_bar_in_each_of_its_regions() {
    let mut plan = mermaid_train();
    let mut both = plan.changes[1].clone();
    both.id = "B".into();
    both.region = None;
    both.regions = vec!["ap".into(), "eu".into()];
    plan.changes.push(both);
    let mut nowhere = plan.changes[1].clone();
    nowhere.id = "Z".into();
    nowhere.region = None;
    nowhere.regions = vec![];
    nowhere.services = vec![];
    plan.changes.push(nowhere);
    let chart = plan.to_mermaid(crate::GanttSections::Region);
    assert_eq!(
        chart,
        format!(
            "{}  section eu
  R in eu (edge) :1796115600000, 1796122800000
  X (db) :1796115600000, 1796119200000
  W (jobs) :1796202000000, 1796205600000
  B (db) :1796115600000, 1796119200000
  section ap
  R in ap (edge) :1796169600000, 1796176800000
  B (db) :1796115600000, 1796119200000
  section no region
  Z :1796115600000, 1796119200000
{MERMAID_N}",
            MERMAID_HEAD.replace("4 planned", "6 planned")
        )
    );
}

#[test]
fn an_empty_plan_is_a_chart_without_sections() {
    assert_eq!(
        Plan::default().to_mermaid(crate::GanttSections::Region),
        MERMAID_HEAD.replace("4 planned, 1", "0 planned, 0")
    );
}

#[test]
fn mermaid_text_cannot_break_out_of_a_task_name() {
    let mut plan = Plan::default();
    let run = |id: &str, region: Option<&str>, services: &[&str]| PlannedChange {
        id: id.into(),
        region: region.map(Into::into),
        start: FROM.parse().unwrap(),
        end: FROM.parse().unwrap(),
        wave: 0,
        regions: region.into_iter().map(Into::into).collect(),
        services: services.iter().map(|s| s.to_string()).collect(),
        notify: Vec::new(),
    };
    plan.changes = vec![
        run("a:b #c; d%%e <f> \"g\"", Some("r#1"), &["s:1", "s;2"]),
        run("Section x", None, &["é"]),
        run("click", None, &[]),
        run("2026-12-01", None, &[]),
        run(" title", None, &[]),
        run("\nsection x\u{2028}y\tz", None, &[]),
        run("ganttchart", None, &[]),
        run("click", Some("click"), &[]),
    ];
    plan.unschedulable = vec![Unschedulable {
        id: "U\nsection".into(),
        reason: "line\r\nbreak".into(),
        notify: Vec::new(),
    }];
    let chart = plan.to_mermaid(crate::GanttSections::Region);
    let body: Vec<&str> = chart.lines().skip(5).collect();
    assert_eq!(
        body,
        [
            "  section r#35;1",
            "  a#58;b #35;c#59; d#37;#37;e #60;f#62; #34;g#34; in r#35;1 (s#58;1, s#59;2) :1796115600000, 1796115600000",
            "  section no region",
            "  #83;ection x (é) :1796115600000, 1796115600000",
            "  #99;lick :1796115600000, 1796115600000",
            "  #50;026-12-01 :1796115600000, 1796115600000",
            "  #32;title :1796115600000, 1796115600000",
            "  #32;section x y z :1796115600000, 1796115600000",
            "  #103;anttchart :1796115600000, 1796115600000",
            // After `section `, a keyword is a section's name.
            "  section click",
            "  #99;lick in click :1796115600000, 1796115600000",
            "  %% unschedulable U section: line  break",
        ]
    );
}

mod mermaid_props {
    use proptest::prelude::*;

    use super::*;

    /// `text` without its entity codes (`#58;`).
    fn without_codes(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('#') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 && after[digits..].starts_with(';') {
                rest = &after[digits + 1..];
            } else {
                out.push('#');
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }

    /// Text mixing what Mermaid's gantt grammar reads specially with ordinary letters.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "section ",
            "Title ",
            "click ",
            "call ",
            "%%",
            "%%{init}%%",
            ":",
            "#",
            ";",
            "%",
            "\n",
            "\r",
            "\u{2028}",
            " ",
            "\t",
            "2026-12-01",
            "\"",
            "<b>",
            "é",
            "東",
            "a",
            "-",
            "x",
        ]);
        prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the ids, regions and services, each planned run is one bar line (per
        /// region with sections by region), its name holds no character that ends a name or
        /// starts a comment, and no line but the chart's own starts a statement.
        #[test]
        fn every_run_is_one_bar_whatever_its_text(
            runs in prop::collection::vec(
                (hostile(), prop::option::of(hostile()),
                 prop::collection::vec(hostile(), 0..3),
                 prop::collection::vec(hostile(), 0..3)),
                0..6),
            by_region in any::<bool>(),
        ) {
            let from: crate::Instant = FROM.parse().unwrap();
            let mut plan = Plan::default();
            let mut bars = 0;
            for (i, (id, region, regions, services)) in runs.into_iter().enumerate() {
                let regions = match &region {
                    Some(r) => vec![r.clone()],
                    None => regions,
                };
                bars += if by_region && region.is_none() { regions.len().max(1) } else { 1 };
                plan.changes.push(PlannedChange {
                    id,
                    region,
                    start: from + chrono::Duration::hours(i as i64),
                    end: from + chrono::Duration::hours(i as i64 + 1),
                    wave: (i % 2) as u32,
                    regions,
                    services,
                    notify: Vec::new(),
                });
            }
            let sections = if by_region {
                crate::GanttSections::Region
            } else {
                crate::GanttSections::Wave
            };
            let chart = plan.to_mermaid(sections);
            let mut found = 0;
            for line in chart.lines().skip(5) {
                let line = line.strip_prefix("  ").unwrap();
                if line.starts_with("section ") {
                    continue;
                }
                let (name, times) = line.rsplit_once(" :").unwrap();
                let plain = without_codes(name);
                prop_assert!(!plain.contains([':', '%', ';', '#', '\u{2028}', '\u{2029}']), "{line:?}");
                prop_assert!(!name.chars().any(char::is_control), "{line:?}");
                let first = name.chars().next().unwrap_or('#');
                prop_assert!(first == '#' || !(first.is_whitespace() || first.is_ascii_digit()),
                    "{line:?}");
                let lower = name.to_ascii_lowercase();
                prop_assert!(!["section", "title", "click", "call"].iter().any(|k| lower.starts_with(k)),
                    "{line:?}");
                let (start, end) = times.split_once(", ").unwrap();
                prop_assert!(start.parse::<i64>().is_ok() && end.parse::<i64>().is_ok(), "{line:?}");
                found += 1;
            }
            prop_assert_eq!(found, bars, "{}", chart);
            prop_assert_eq!(chart.lines().count(), 5 + found + chart.lines().filter(|l| l.starts_with("  section ")).count());
        }
    }
}

// --- replanning: `plan --previous` ------------------------------------------------------------

const NOTIFY: &str = r#"
notify "ops"
notify "dba" when any s in change.services: s.id == "db"
"#;

fn replan_with(changes: Vec<Value>, previous: &Value) -> Result<Plan, Error> {
    let engine = Engine::from_source(&format!("{CALENDARS}\n{NOTIFY}"), "p.gate").unwrap();
    let changes = changes_from_json(&Value::Array(changes)).unwrap();
    let previous = crate::PreviousPlan::from_json(previous)?;
    engine.replan(&changes, &catalog(), FROM.parse().unwrap(), &previous)
}

#[test]
fn a_plan_records_whom_to_tell_for_each_run_and_each_refusal() {
    let engine = Engine::from_source(&format!("{CALENDARS}\n{NOTIFY}"), "p.gate").unwrap();
    let mut never = change("C-never", &["jobs"], "9h");
    never["regions"] = json!(["eu"]);
    let changes = changes_from_json(&json!([change("C-db", &["db"], "1h"), never])).unwrap();
    let plan = engine
        .plan(&changes, &catalog(), FROM.parse().unwrap())
        .unwrap();
    let json = plan.to_json_value();
    assert_eq!(json["changes"][0]["notify"], json!(["ops", "dba"]));
    assert_eq!(json["unschedulable"][0]["id"], "C-never");
    assert_eq!(json["unschedulable"][0]["notify"], json!(["ops"]));
    // Without a previous plan, no replan keys.
    assert!(json.get("moved").is_none());
}

#[test]
fn replan_lists_moved_cancelled_newly_unschedulable_and_newly_planned() {
    // Before: C-db at 09:00, C-gone at 10:00 (dropped now), C-api at 11:00 (moves to 10:00),
    // C-jobs unschedulable (fits now), C-web planned (unschedulable now: 9 hours).
    let previous = json!({"changes": [
        {"id": "C-db", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z",
         "wave": 0, "regions": ["eu"], "services": ["db"], "notify": ["ops", "dba"]},
        {"id": "C-gone", "start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z",
         "wave": 0, "regions": ["eu"], "services": ["edge"], "notify": ["ops", "edge-team"]},
        {"id": "C-api", "start": "2026-12-01T11:00:00Z", "end": "2026-12-01T12:00:00Z",
         "wave": 1, "regions": ["eu"], "services": ["api"], "notify": ["ops"]},
        {"id": "C-web", "start": "2026-12-01T12:00:00Z", "end": "2026-12-01T13:00:00Z",
         "wave": 2, "regions": ["eu"], "services": ["web"], "notify": ["ops"]}
    ], "unschedulable": [{"id": "C-jobs", "reason": "...", "notify": ["ops"]}],
       "moved": [], "cancelled": [], "newly_unschedulable": []});
    let mut new = change("C-new", &["edge"], "1h");
    new["regions"] = json!(["eu"]);
    let plan = replan_with(
        vec![
            change("C-db", &["db"], "1h"),
            change("C-api", &["api"], "1h"),
            change("C-web", &["web"], "9h"),
            change("C-jobs", &["jobs"], "1h"),
            new,
        ],
        &previous,
    )
    .unwrap();
    let json = plan.to_json_value();
    assert_eq!(
        json["moved"],
        json!([{"id": "C-api", "from": {"start": "2026-12-01T11:00:00Z",
                "end": "2026-12-01T12:00:00Z"}, "to": {"start": "2026-12-01T10:00:00Z",
                "end": "2026-12-01T11:00:00Z"}, "notify": ["ops"]}])
    );
    assert_eq!(
        json["cancelled"],
        json!([{"id": "C-gone", "notify": ["ops", "edge-team"]}])
    );
    // Written as the spec lists the keys: start before end.
    assert!(
        plan.to_json()
            .contains(r#""from":{"start":"2026-12-01T11:00:00Z","end":"2026-12-01T12:00:00Z"}"#),
        "{}",
        plan.to_json()
    );
    assert_eq!(json["newly_unschedulable"][0]["id"], "C-web");
    assert_eq!(json["newly_unschedulable"][0]["notify"], json!(["ops"]));
    assert!(
        json["newly_unschedulable"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("no window"),
        "{json}"
    );
    let planned: Vec<&str> = json["newly_planned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(planned, ["C-jobs", "C-new"]);
    assert!(plan.since.as_ref().unwrap().warnings.is_empty());
}

#[test]
fn per_region_runs_are_matched_by_id_and_region() {
    let previous = json!({"changes": [
        {"id": "C-edge", "region": "eu", "start": "2026-12-01T09:00:00Z",
         "end": "2026-12-01T10:00:00Z", "wave": 0, "services": ["edge"], "notify": ["ops"]},
        {"id": "C-edge", "region": "moon", "start": "2026-12-02T09:00:00Z",
         "end": "2026-12-02T10:00:00Z", "wave": 0, "services": ["edge"], "notify": ["moon-ops"]}
    ]});
    let mut edge = change("C-edge", &["edge"], "1h");
    edge["rollout"] = json!("per_region");
    edge["regions"] = json!(["eu", "ap"]);
    let plan = replan_with(vec![edge], &previous).unwrap();
    let since = plan.since.as_ref().unwrap();
    assert!(since.moved.is_empty(), "eu did not move: {since:?}");
    assert_eq!(since.cancelled.len(), 1);
    assert_eq!(since.cancelled[0].region.as_deref(), Some("moon"));
    assert_eq!(since.cancelled[0].notify, ["moon-ops"]);
    assert_eq!(since.newly_planned.len(), 1);
    assert_eq!(since.newly_planned[0].region.as_deref(), Some("ap"));
}

#[test]
fn an_older_plan_without_notify_tells_the_unconditional_audiences_with_a_warning() {
    let previous = json!({"changes": [
        {"id": "C-old", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z",
         "wave": 0, "regions": ["eu"], "services": ["db"]}
    ]});
    let plan = replan_with(vec![change("C-db", &["db"], "1h")], &previous).unwrap();
    let since = plan.since.unwrap();
    assert_eq!(since.cancelled[0].id, "C-old");
    // "dba" is conditional: it cannot be judged without the change.
    assert_eq!(since.cancelled[0].notify, ["ops"]);
    assert_eq!(since.warnings.len(), 1);
    assert!(
        since.warnings[0]
            .starts_with("previous.changes[0]: the earlier plan records no \"notify\""),
        "{}",
        since.warnings[0]
    );
}

#[test]
fn a_previous_plan_that_cannot_be_read_is_an_error_at_its_path() {
    let cases = [
        (json!([]), "previous", "expected a plan"),
        (json!({"unschedulable": []}), "previous", "\"changes\""),
        (
            json!({"changes": [], "extra": 1}),
            "previous.extra",
            "unknown key",
        ),
        (
            json!({"changes": [{"id": "A", "start": "2026-12-01T09:00:00Z"}]}),
            "previous.changes[0]",
            "missing \"end\"",
        ),
        (
            json!({"changes": [{"id": "A", "start": "yesterday", "end": "2026-12-01T09:00:00Z"}]}),
            "previous.changes[0].start",
            "",
        ),
        (
            json!({"changes": [{"id": "A", "start": "2026-12-01T10:00:00Z",
                             "end": "2026-12-01T09:00:00Z"}]}),
            "previous.changes[0].end",
            "ends before it starts",
        ),
        (
            json!({"changes": [{"id": "A", "start": "2026-12-01T09:00:00Z",
                             "end": "2026-12-01T10:00:00Z", "notify": ["ops", 3]}]}),
            "previous.changes[0].notify[1]",
            "expected a string",
        ),
        (
            json!({"changes": [{"id": "A", "start": "2026-12-01T09:00:00Z",
                             "end": "2026-12-01T10:00:00Z", "wave": -1}]}),
            "previous.changes[0].wave",
            "whole number",
        ),
        (
            json!({"changes": [
            {"id": "A", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"},
            {"id": "A", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z"}]}),
            "previous.changes[1].id",
            "planned twice (also at previous.changes[0])",
        ),
        (
            json!({"changes": [
            {"id": "A", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}],
            "unschedulable": [{"id": "A", "reason": "r"}]}),
            "previous.unschedulable[0].id",
            "listed twice",
        ),
        (
            json!({"changes": [], "unschedulable": [{"id": "A", "why": "r"}]}),
            "previous.unschedulable[0].why",
            "unknown key",
        ),
    ];
    for (value, path, text) in cases {
        let e = crate::PreviousPlan::from_json(&value).unwrap_err();
        assert_eq!(e.path, path, "{value}: {e:?}");
        assert!(e.message.contains(text), "{value}: {}", e.message);
    }
}

#[test]
fn a_plan_reads_back_as_its_own_previous_and_nothing_changed() {
    let mut edge = change("C-edge", &["edge"], "1h");
    edge["rollout"] = json!("per_region");
    let changes = vec![
        change("C-db", &["db"], "1h"),
        edge,
        change("C-late", &["jobs"], "9h"),
    ];
    let first = plan_with(NOTIFY, changes.clone()).unwrap();
    let again = replan_with(changes, &first.to_json_value()).unwrap();
    let since = again.since.clone().unwrap();
    assert_eq!(since, crate::Replan::default());
    // And a replanned plan reads back too (its own replan keys are read past).
    let previous = crate::PreviousPlan::from_json(&again.to_json_value()).unwrap();
    assert_eq!(previous.runs(), first.changes.len());
    assert_eq!(previous.unschedulable(), ["C-late"]);
}

// --- the zone a region's times are shown in ------------------------------------------------

#[test]
fn a_region_is_shown_in_the_zone_of_its_first_calendar_with_a_window() {
    let engine = Engine::from_source(
        r#"
        calendar freeze timezone "UTC" { blackout "f" from 2026-12-24 to 2026-12-26 }
        calendar berlin timezone "Europe/Berlin" { window mon-fri 09:00-17:00 }
        calendar sg timezone "Asia/Singapore" { window mon-fri 09:00-17:00 }
        calendar ny-holidays timezone "America/New_York" { blackout "h" from 2026-11-26 to 2026-11-26 }
        region eu uses freeze, berlin, sg
        region holidays uses ny-holidays, freeze
        region ap uses sg
        "#,
        "p.gate",
    )
    .unwrap();
    // The business hours' zone, not the shared UTC freeze listed first; the first of two
    // calendars with windows.
    assert_eq!(engine.region_timezone("eu"), Some("Europe/Berlin"));
    // No calendar with a window: the first calendar's zone.
    assert_eq!(engine.region_timezone("holidays"), Some("America/New_York"));
    assert_eq!(engine.region_timezone("mars"), None);

    let winter = "2026-12-07T08:00:00Z".parse().unwrap();
    let (local, abbr) = engine.region_local_time("eu", winter).unwrap();
    assert_eq!(
        (local.to_rfc3339().as_str(), abbr.as_str()),
        ("2026-12-07T09:00:00+01:00", "CET")
    );
    let summer = "2026-07-07T08:00:00Z".parse().unwrap();
    let (local, abbr) = engine.region_local_time("eu", summer).unwrap();
    assert_eq!(
        (local.to_rfc3339().as_str(), abbr.as_str()),
        ("2026-07-07T10:00:00+02:00", "CEST")
    );
    // Where the database has no abbreviation, the offset.
    let (local, abbr) = engine.region_local_time("ap", winter).unwrap();
    assert_eq!(
        (local.to_rfc3339().as_str(), abbr.as_str()),
        ("2026-12-07T16:00:00+08:00", "+08")
    );
    assert!(engine.region_local_time("mars", winter).is_none());
}

#[test]
fn a_rule_on_change_conflicts_reads_the_planned_runs_and_changes_nothing_the_order_keeps_apart() {
    // Changes on services one dependency apart (db <- api <- web) and an unrelated one: the
    // order already keeps direct neighbours apart, so a rule denying on conflicts with the
    // planned runs finds none and the plan is the same, never a plan read as if 0 by default.
    let train = || {
        vec![
            change("C-web", &["web"], "2h"),
            change("C-api", &["api"], "2h"),
            change("C-db", &["db"], "3h"),
            change("C-jobs", &["jobs"], "1h"),
        ]
    };
    let without = plan_with("", train()).unwrap();
    let with = plan_with("rule apart { deny when change.conflicts > 0 }", train()).unwrap();
    assert_eq!(lines(&with), lines(&without));
    assert_eq!(
        lines(&with),
        [
            "C-db 2026-12-01T09:00:00Z 2026-12-01T12:00:00Z 0",
            "C-jobs 2026-12-01T09:00:00Z 2026-12-01T10:00:00Z 0",
            "C-api 2026-12-01T12:00:00Z 2026-12-01T14:00:00Z 1",
            "C-web 2026-12-01T14:00:00Z 2026-12-01T16:00:00Z 2",
        ]
    );
    // The rule is read, not skipped: one that denies when nothing conflicts leaves the first
    // change unschedulable.
    let never = plan_with(
        "rule lonely { deny when change.conflicts == 0 }",
        vec![change("C-jobs", &["jobs"], "1h")],
    )
    .unwrap();
    assert_eq!(
        lines(&never),
        [
            "C-jobs: nothing fits within 365 days of 2026-12-01T09:00:00Z: denied by rule \"lonely\" at every start tried"
        ]
    );
}

#[test]
fn the_planners_sessions_count_the_runs_placed_so_far() {
    // What `Planner::session` builds: a session over the planned runs, without a report.
    use crate::input::{Scheduled, ScheduledRun};
    let engine = Engine::from_source(
        &format!("{CALENDARS}\nrule apart {{ deny when change.conflicts > 0 }}"),
        "p.gate",
    )
    .unwrap();
    let catalog = catalog();
    let web = crate::Change::from_json(&change("C-web", &["web"], "1h")).unwrap();
    let mut planned = Scheduled::default();
    let at = |t: &str| t.parse::<crate::Instant>().unwrap();
    planned.push(ScheduledRun::planned(
        "C-api",
        None,
        &["api".to_string()],
        at("2026-12-01T09:00:00Z"),
        at("2026-12-01T11:00:00Z"),
    ));
    let session = crate::eval::Session::new(&engine.inner, &web, &catalog, at(FROM), false)
        .unwrap()
        .with_scheduled(&planned, false)
        .unwrap();
    let during = session.decide(at("2026-12-01T10:00:00Z"), false).unwrap();
    assert_eq!(during.verdict, crate::Verdict::Deny);
    assert_eq!(during.reasons[0].rule.as_str(), "apart");
    assert!(
        during.conflicts.is_none(),
        "the planner's decisions list nothing"
    );
    let after = session.decide(at("2026-12-01T11:00:00Z"), false).unwrap();
    assert_eq!(after.verdict, crate::Verdict::Allow);
}

#[test]
fn a_rule_that_denies_until_the_windows_run_out_is_the_reason_given() {
    // Windows until a blackout that outlasts the horizon, and a rule that denies at each of
    // them: the reason is the rule, not "no window" (the search ends when the windows do).
    let engine = Engine::from_source(
        r#"
calendar office timezone "UTC" {
  window mon-fri 09:00-17:00
  blackout "closing down" from 2026-12-04 to 2028-12-31
}
region eu uses office
rule too_long { deny when change.duration > 10m message "too long" }
"#,
        "p.gate",
    )
    .unwrap();
    let changes = changes_from_json(&json!([change("C", &["jobs"], "1h")])).unwrap();
    let plan = engine
        .plan(&changes, &catalog(), FROM.parse().unwrap())
        .unwrap();
    assert_eq!(
        lines(&plan),
        [
            "C: nothing fits within 365 days of 2026-12-01T09:00:00Z: denied by rule \"too_long\" \
          at every start tried"
        ]
    );
}
