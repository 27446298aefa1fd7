#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// Five deployments; the figures below were worked out by hand from these lines.
/// Lead times: 1h, 2h, 3h, 4h, 24h. c2 failed and was restored after 30m; c4 failed and was
/// not restored. The period is 2026-11-02T01:00Z to 2026-11-09T00:00Z: 167 hours.
const HISTORY: &str = r#"{"change": "c1", "service": "api", "team": "a", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": false}
{"change": "c2", "service": "api", "team": "a", "committed_at": "2026-11-03T00:00:00Z", "deployed_at": "2026-11-03T02:00:00Z", "failed": true, "restored_at": "2026-11-03T02:30:00Z"}

{"change": "c3", "service": "web", "team": "b", "committed_at": "2026-11-04T00:00:00Z", "deployed_at": "2026-11-04T03:00:00Z", "failed": false}
{"change": "c4", "service": "web", "committed_at": "2026-11-05T00:00:00Z", "deployed_at": "2026-11-05T04:00:00Z", "failed": true}
{"change": "c5", "service": "api", "team": "a", "committed_at": "2026-11-08T00:00:00Z", "deployed_at": "2026-11-09T00:00:00+00:00", "failed": false, "restored_at": null}
"#;

const HISTORY_CSV: &str = "\
deployed_at,change,service,team,committed_at,failed,restored_at
2026-11-02T01:00:00Z,c1,api,a,2026-11-02T00:00:00Z,false,
2026-11-03T02:00:00Z,c2,api,a,2026-11-03T00:00:00Z,true,2026-11-03T02:30:00Z
2026-11-04T03:00:00Z,c3,web,b,2026-11-04T00:00:00Z,false,
2026-11-05T04:00:00Z,c4,web,,2026-11-05T00:00:00Z,true,
2026-11-09T00:00:00Z,c5,api,a,2026-11-08T00:00:00Z,false,
";

fn t(text: &str) -> Instant {
    crate::time::parse_instant(text).unwrap()
}

fn run(text: &str, query: &MetricsQuery) -> Result<Metrics, Error> {
    metrics(text.as_bytes(), "h.jsonl", HistoryFormat::JsonLines, query)
}

fn err(text: &str) -> String {
    run(text, &MetricsQuery::new()).unwrap_err().to_string()
}

fn query(from: Option<&str>, to: Option<&str>, by: Option<GroupBy>) -> MetricsQuery {
    MetricsQuery {
        from: from.map(t),
        to: to.map(t),
        by,
    }
}

#[test]
fn whole_history_figures_by_hand() {
    let m = run(HISTORY, &MetricsQuery::new()).unwrap();
    assert_eq!(m.from, Some(t("2026-11-02T01:00:00Z")));
    assert_eq!(m.to, Some(t("2026-11-09T00:00:00Z")));
    let f = &m.overall;
    assert_eq!(f.deployments, 5);
    // The default end is the last deployment, and it counts: 5 over 167 hours.
    assert_eq!(f.per_day, Some(120.0 / 167.0));
    // Sorted 1h 2h 3h 4h 24h: the median is rank ceil(2.5) = 3, p90 rank ceil(4.5) = 5.
    assert_eq!(f.lead_time_median_s, Some(10_800));
    assert_eq!(f.lead_time_p90_s, Some(86_400));
    assert_eq!(f.change_failure_rate, Some(0.4));
    // c4 is not restored: only c2's 30 minutes.
    assert_eq!(f.time_to_restore_median_s, Some(1_800));
    assert_eq!((f.failed, f.not_restored), (2, 1));
    assert!(m.groups.is_empty());
    assert_eq!(m.weeks.len(), 1);
    assert_eq!(m.weeks[0].figures.deployments, 5);
}

#[test]
fn json_has_the_spec_keys_and_nulls() {
    let m = run(HISTORY, &query(None, None, Some(GroupBy::Service))).unwrap();
    let j = m.to_json();
    assert_eq!(j["from"], "2026-11-02T01:00:00Z");
    assert_eq!(j["to"], "2026-11-09T00:00:00Z");
    assert_eq!(j["deployments"], 5);
    assert_eq!(j["lead_time_median_s"], 10_800);
    assert_eq!(j["groups"][1]["key"], "web");
    assert_eq!(j["groups"][1]["time_to_restore_median_s"], Value::Null);
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "from",
        "to",
        "deployments",
        "per_day",
        "lead_time_median_s",
        "lead_time_p90_s",
        "change_failure_rate",
        "time_to_restore_median_s",
        "groups",
    ];
    let mut keys = keys;
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected);
}

#[test]
fn by_service() {
    let m = run(HISTORY, &query(None, None, Some(GroupBy::Service))).unwrap();
    let keys: Vec<_> = m.groups.iter().map(|g| g.key.as_deref()).collect();
    assert_eq!(keys, [Some("api"), Some("web")]);
    let api = &m.groups[0].figures;
    assert_eq!(api.deployments, 3);
    assert_eq!(api.per_day, Some(72.0 / 167.0));
    // 1h 2h 24h: median rank ceil(1.5) = 2, p90 rank ceil(2.7) = 3.
    assert_eq!(api.lead_time_median_s, Some(7_200));
    assert_eq!(api.lead_time_p90_s, Some(86_400));
    assert_eq!(api.change_failure_rate, Some(1.0 / 3.0));
    assert_eq!(api.time_to_restore_median_s, Some(1_800));
    let web = &m.groups[1].figures;
    assert_eq!(web.deployments, 2);
    // 3h 4h: median rank ceil(1) = 1, p90 rank ceil(1.8) = 2.
    assert_eq!(web.lead_time_median_s, Some(10_800));
    assert_eq!(web.lead_time_p90_s, Some(14_400));
    assert_eq!(web.change_failure_rate, Some(0.5));
    // Its one failure was never restored: nothing to measure, not 0.
    assert_eq!(web.time_to_restore_median_s, None);
    assert_eq!(web.not_restored, 1);
}

#[test]
fn by_team_puts_records_without_a_team_in_a_group_of_their_own_last() {
    let m = run(HISTORY, &query(None, None, Some(GroupBy::Team))).unwrap();
    let keys: Vec<_> = m.groups.iter().map(|g| g.key.as_deref()).collect();
    assert_eq!(keys, [Some("a"), Some("b"), None]);
    let counts: Vec<u64> = m.groups.iter().map(|g| g.figures.deployments).collect();
    assert_eq!(counts, [3, 1, 1]);
    assert_eq!(m.groups[2].figures.change_failure_rate, Some(1.0));
    assert_eq!(m.to_json()["groups"][2]["key"], Value::Null);
}

#[test]
fn a_period_counts_deployments_from_inclusive_to_exclusive() {
    // c2 at 11-03T02:00 and c3 at 11-04T03:00; c4 at 11-05T04:00 is after the end.
    let m = run(
        HISTORY,
        &query(
            Some("2026-11-03T02:00:00Z"),
            Some("2026-11-05T04:00:00Z"),
            None,
        ),
    )
    .unwrap();
    let f = &m.overall;
    assert_eq!(f.deployments, 2);
    assert_eq!(f.per_day, Some(2.0 / (50.0 / 24.0)));
    assert_eq!(f.lead_time_median_s, Some(7_200));
    assert_eq!(f.lead_time_p90_s, Some(10_800));
    assert_eq!(f.change_failure_rate, Some(0.5));
    assert_eq!(f.time_to_restore_median_s, Some(1_800));
}

#[test]
fn one_explicit_bound_keeps_the_other_default() {
    let m = run(HISTORY, &query(Some("2026-11-04T00:00:00Z"), None, None)).unwrap();
    assert_eq!(m.to, Some(t("2026-11-09T00:00:00Z")));
    assert_eq!(m.overall.deployments, 3);
    let m = run(HISTORY, &query(None, Some("2026-11-04T00:00:00Z"), None)).unwrap();
    assert_eq!(m.from, Some(t("2026-11-02T01:00:00Z")));
    assert_eq!(m.overall.deployments, 2);
}

#[test]
fn none_in_the_period_gives_nulls_not_zeros() {
    let m = run(
        HISTORY,
        &query(
            Some("2027-01-01T00:00:00Z"),
            Some("2027-01-08T00:00:00Z"),
            None,
        ),
    )
    .unwrap();
    let f = &m.overall;
    assert_eq!(f.deployments, 0);
    // No deployment in a week-long period is a frequency of 0 a day, truly.
    assert_eq!(f.per_day, Some(0.0));
    assert_eq!(f.lead_time_median_s, None);
    assert_eq!(f.lead_time_p90_s, None);
    assert_eq!(f.change_failure_rate, None);
    assert_eq!(f.time_to_restore_median_s, None);
    let j = m.to_json();
    assert_eq!(j["change_failure_rate"], Value::Null);
    assert_eq!(j["lead_time_median_s"], Value::Null);
}

#[test]
fn an_empty_history_has_no_period() {
    let m = run("\n\n", &MetricsQuery::new()).unwrap();
    assert_eq!((m.from, m.to), (None, None));
    assert_eq!(m.overall.deployments, 0);
    assert_eq!(m.overall.per_day, None);
    assert!(m.weeks.is_empty());
    assert!(m.to_svg().unwrap().contains("no deployments"));
}

#[test]
fn one_deployment() {
    let line = r#"{"change": "c", "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T00:10:00Z", "failed": false}"#;
    let m = run(line, &MetricsQuery::new()).unwrap();
    let f = &m.overall;
    assert_eq!(f.deployments, 1);
    // The period is one instant long: no frequency.
    assert_eq!(f.per_day, None);
    assert_eq!(f.lead_time_median_s, Some(600));
    assert_eq!(f.lead_time_p90_s, Some(600));
    assert_eq!(f.change_failure_rate, Some(0.0));
    assert_eq!(f.time_to_restore_median_s, None);
    assert_eq!(m.weeks.len(), 1);
}

#[test]
fn all_failed() {
    let lines = "\
{\"change\": \"a\", \"service\": \"s\", \"committed_at\": \"2026-11-02T00:00:00Z\", \"deployed_at\": \"2026-11-02T00:00:00Z\", \"failed\": true, \"restored_at\": \"2026-11-02T01:00:00Z\"}
{\"change\": \"b\", \"service\": \"s\", \"committed_at\": \"2026-11-02T00:00:00Z\", \"deployed_at\": \"2026-11-03T00:00:00Z\", \"failed\": true, \"restored_at\": \"2026-11-03T03:00:00Z\"}
{\"change\": \"c\", \"service\": \"s\", \"committed_at\": \"2026-11-02T00:00:00Z\", \"deployed_at\": \"2026-11-04T00:00:00Z\", \"failed\": true, \"restored_at\": \"2026-11-04T02:00:00Z\"}
";
    let f = run(lines, &MetricsQuery::new()).unwrap().overall;
    assert_eq!(f.change_failure_rate, Some(1.0));
    // 1h 2h 3h: the median is rank 2.
    assert_eq!(f.time_to_restore_median_s, Some(7_200));
    // Leads 0, 1d, 2d: p90 is rank ceil(2.7) = 3.
    assert_eq!(f.lead_time_p90_s, Some(2 * 86_400));
    assert_eq!(f.per_day, Some(1.5));
}

#[test]
fn nearest_rank_at_the_edges() {
    assert_eq!(nearest_rank(&[], 50), None);
    assert_eq!(nearest_rank(&[7], 50), Some(7));
    assert_eq!(nearest_rank(&[7], 90), Some(7));
    assert_eq!(nearest_rank(&[1, 2], 50), Some(1));
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(nearest_rank(&ten, 90), Some(9));
    assert_eq!(nearest_rank(&ten, 50), Some(5));
    let eleven: Vec<i64> = (1..=11).collect();
    assert_eq!(nearest_rank(&eleven, 90), Some(10));
    assert_eq!(nearest_rank(&eleven, 50), Some(6));
}

#[test]
fn csv_reads_the_same_history() {
    let from_csv = metrics(
        HISTORY_CSV.as_bytes(),
        "h.csv",
        HistoryFormat::Csv,
        &query(None, None, Some(GroupBy::Team)),
    )
    .unwrap();
    let from_json = run(HISTORY, &query(None, None, Some(GroupBy::Team))).unwrap();
    assert_eq!(from_csv, from_json);
}

#[test]
fn format_by_extension() {
    assert_eq!(
        HistoryFormat::of_path(Path::new("h.CSV")),
        HistoryFormat::Csv
    );
    assert_eq!(
        HistoryFormat::of_path(Path::new("h.jsonl")),
        HistoryFormat::JsonLines
    );
}

fn csv_err(text: &str) -> String {
    metrics(
        text.as_bytes(),
        "h.csv",
        HistoryFormat::Csv,
        &MetricsQuery::new(),
    )
    .unwrap_err()
    .to_string()
}

#[test]
fn csv_errors_name_the_line_and_column() {
    let head = "change,service,committed_at,deployed_at,failed\n";
    assert_eq!(
        csv_err(&format!(
            "{head}c,s,2026-11-02T00:00:00Z,2026-11-02T00:00:00Z,false\nd,s,2026-11-02T00:00:00Z,2026-11-01T00:00:00Z,false\n"
        )),
        "h.csv:3: deployed_at: 2026-11-01T00:00:00Z is before committed_at 2026-11-02T00:00:00Z: \
         a change is deployed after it is committed"
    );
    assert_eq!(
        csv_err(&format!(
            "{head}c,s,2026-11-02T00:00:00Z,2026-11-02T00:00:00Z,yes\n"
        )),
        "h.csv:2: failed: expected true or false, got \"yes\""
    );
    assert_eq!(
        csv_err(&format!(
            "{head}c,,2026-11-02T00:00:00Z,2026-11-02T00:00:00Z,false\n"
        )),
        "h.csv:2: service: missing (the cell is empty)"
    );
    assert!(
        csv_err("change,service,committed_at,deployed,failed\n")
            .starts_with("h.csv:1: unknown column \"deployed\"")
    );
    assert_eq!(
        csv_err("change,service,committed_at,failed\n"),
        "h.csv:1: the column \"deployed_at\" is missing"
    );
}

#[test]
fn errors_name_the_line_and_field() {
    let ok = r#"{"change": "c", "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": true}"#;
    let line = |edit: &str| format!("{ok}\n{edit}\n");
    assert_eq!(
        err(&line(
            r#"{"change": "d", "service": "s", "committed_at": "2026-11-02T02:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": false}"#
        )),
        "h.jsonl:2: deployed_at: 2026-11-02T01:00:00Z is before committed_at 2026-11-02T02:00:00Z: \
         a change is deployed after it is committed"
    );
    assert_eq!(
        err(&line(
            r#"{"change": "d", "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": true, "restored_at": "2026-11-02T00:30:00Z"}"#
        )),
        "h.jsonl:2: restored_at: 2026-11-02T00:30:00Z is before deployed_at 2026-11-02T01:00:00Z: \
         a failure is restored after it is deployed"
    );
    assert_eq!(
        err(&line(
            r#"{"change": "d", "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": false, "restored_at": "2026-11-02T02:00:00Z"}"#
        )),
        "h.jsonl:2: restored_at: given for a deployment that did not fail (failed is false)"
    );
    assert_eq!(
        err(&line(
            r#"{"change": "d", "service": "s", "committed_at": "2026-11-02", "deployed_at": "2026-11-02T01:00:00Z", "failed": false}"#
        )),
        "h.jsonl:2: committed_at: expected an RFC 3339 date-time with offset, got \"2026-11-02\" \
         (a date alone is not an instant: write e.g. \"2026-11-02T00:00:00Z\")"
    );
    assert_eq!(
        err(&line(
            r#"{"change": "d", "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": "no"}"#
        )),
        "h.jsonl:2: failed: expected true or false, got \"no\""
    );
    assert_eq!(
        err(&line(
            r#"{"change": 7, "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": false}"#
        )),
        "h.jsonl:2: change: expected a string, got 7"
    );
    assert_eq!(
        err(&line(
            r#"{"change": "d", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": false}"#
        )),
        "h.jsonl:2: service: missing"
    );
    assert!(
        err(&line(r#"{"change": "d", "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": false, "restored": "x"}"#))
            .starts_with("h.jsonl:2: unknown field \"restored\"")
    );
    assert!(err(&line("[1]")).starts_with("h.jsonl:2: expected an object"));
    assert!(err(&line("{\"change\": ")).starts_with("h.jsonl:2: invalid JSON at column"));
}

#[test]
fn a_record_written_twice_is_an_error_and_a_redeploy_is_not() {
    let a = r#"{"change": "c", "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-02T01:00:00Z", "failed": false}"#;
    let other_service = a.replace("\"s\"", "\"t\"");
    let redeploy = a.replace("T01:00:00Z", "T05:00:00Z");
    let m = run(
        &format!("{a}\n{other_service}\n{redeploy}\n"),
        &MetricsQuery::new(),
    )
    .unwrap();
    assert_eq!(m.overall.deployments, 3);
    assert_eq!(
        err(&format!("{a}\n{other_service}\n{a}\n")),
        "h.jsonl:3: the deployment of change \"c\" to \"s\" at this deployed_at is already on line 1 \
         (a record written twice would count twice)"
    );
}

#[test]
fn a_line_too_long_is_an_error() {
    let long = format!("{}\n", " ".repeat(MAX_HISTORY_LINE_BYTES + 10));
    assert_eq!(
        err(&long),
        format!("h.jsonl:1: the line is longer than {MAX_HISTORY_LINE_BYTES} bytes")
    );
}

#[test]
fn a_period_that_ends_before_it_starts_is_an_error() {
    let e = run(
        HISTORY,
        &query(
            Some("2026-11-05T00:00:00Z"),
            Some("2026-11-05T00:00:00Z"),
            None,
        ),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("to: the period ends"), "{e}");
}

#[test]
fn weeks_split_the_period_from_its_start() {
    // Deployments on days 0, 1, 8 and 15 from the start: weeks of 2, 1 and 1.
    let day = |d: u32, id: &str| {
        format!(
            r#"{{"change": "{id}", "service": "s", "committed_at": "2026-11-{d:02}T00:00:00Z", "deployed_at": "2026-11-{d:02}T06:00:00Z", "failed": {}}}"#,
            d == 9
        )
    };
    let text = [day(1, "a"), day(2, "b"), day(9, "c"), day(16, "d")].join("\n");
    let m = run(&text, &MetricsQuery::new()).unwrap();
    let counts: Vec<u64> = m.weeks.iter().map(|w| w.figures.deployments).collect();
    assert_eq!(counts, [2, 1, 1]);
    assert_eq!(m.weeks[1].start, t("2026-11-08T06:00:00Z"));
    assert_eq!(m.weeks[1].figures.change_failure_rate, Some(1.0));
    assert_eq!(m.weeks[0].figures.per_day, Some(2.0 / 7.0));
}

#[test]
fn svg_refuses_a_period_longer_than_it_can_show() {
    let m = run(
        HISTORY,
        &query(
            Some("2000-01-01T00:00:00Z"),
            Some("2026-11-05T00:00:00Z"),
            None,
        ),
    )
    .unwrap();
    assert!(m.weeks.is_empty());
    let e = m.to_svg().unwrap_err().to_string();
    assert!(e.contains("at most 520 weeks"), "{e}");
}
