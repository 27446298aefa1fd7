//! The `shipgate` binary, run as users run it: exit codes, output formats, inputs from files,
//! YAML and standard input, and the README's main command.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

/// `shipgate check` of one of the example changes against the example policy set.
fn check(change: &str, now: &str, extra: &[&str]) -> Output {
    check_file(&format!("policies/changes/{change}"), now, extra)
}

/// `shipgate check` of the change at `path` against the example policy set.
fn check_file(path: &str, now: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "--policy",
        "policies/payments",
        "--catalog",
        "policies/catalog.yaml",
        "--change",
        path,
        "--now",
        now,
    ];
    args.extend_from_slice(extra);
    shipgate(&args)
}

#[test]
fn readme_main_command_denies_the_ledger_migration() {
    // The README's first command, verbatim.
    let o = check(
        "chg-1043-ledger-migration.json",
        "2026-12-18T09:00:00Z",
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("DENY  CHG-1043"), "{out}");
    assert!(out.contains("blocked by year-end freeze"), "{out}");
    assert!(
        out.contains("next window starts 2027-01-05T08:00:00Z"),
        "{out}"
    );
    assert!(out.contains("ignored approval by bob (requester)"), "{out}");
    assert!(
        out.contains("p99_latency > 150% of baseline for 10m"),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "NO_COLOR is honoured");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(
            "--change policies/changes/chg-1043-ledger-migration.json --now 2026-12-18T09:00:00Z"
        ),
        "the README still shows this command"
    );
}

#[test]
fn exit_codes_follow_the_verdict() {
    let allow = check("chg-1042-checkout-copy.json", "2026-12-01T09:00:00Z", &[]);
    assert_eq!(allow.status.code(), Some(0), "{}", stdout(&allow));
    let pending = check("chg-1047-portal-export.json", "2026-12-01T09:00:00Z", &[]);
    assert_eq!(pending.status.code(), Some(2), "{}", stdout(&pending));
    assert!(stdout(&pending).contains("0 of 1 approval(s) from team-lead"));
    let deny = check("chg-1046-partner-api.json", "2026-12-01T09:00:00Z", &[]);
    assert_eq!(deny.status.code(), Some(1));
}

#[test]
fn yaml_change_and_json_format() {
    let o = check(
        "chg-1044-fraud-rules.yaml",
        "2026-12-01T09:00:00Z",
        &["--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"], "deny");
    assert_eq!(v["tier"], "medium");
    assert_eq!(v["reasons"][0]["rule"], "error_budget_freeze");
    assert_eq!(v["reasons"][0]["at"], "policies/payments/rules.gate:40:3");
    let text = stdout(&o);
    let positions: Vec<usize> = [
        "verdict",
        "tier",
        "reasons",
        "requirements",
        "exemptions",
        "waivers",
        "schedule",
        "strategy",
        "rollback",
        "notify",
        "order",
        "trace",
    ]
    .iter()
    .map(|k| {
        text.find(&format!("\n  \"{k}\":"))
            .unwrap_or_else(|| panic!("no key {k}"))
    })
    .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys in contract order: {text}"
    );
}

#[test]
fn json_output_is_deterministic() {
    let args = ["--format", "json", "--explain"];
    let a = check(
        "chg-1043-ledger-migration.json",
        "2026-12-18T09:00:00Z",
        &args,
    );
    let b = check(
        "chg-1043-ledger-migration.json",
        "2026-12-18T09:00:00Z",
        &args,
    );
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert!(
        !v["trace"].as_array().unwrap().is_empty(),
        "--explain fills the trace"
    );
}

#[test]
fn change_from_standard_input() {
    let text = std::fs::read_to_string(root().join("policies/changes/chg-1042-checkout-copy.json"))
        .unwrap();
    let change: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (code, v) = check_stdin(&change, "2026-12-01T09:00:00Z");
    assert_eq!(code, Some(0));
    assert_eq!(v["verdict"], "allow");
}

#[test]
fn bad_input_exits_3_naming_the_json_path() {
    let dir = tempdir();
    let change = dir.join("bad.json");
    std::fs::write(
        &change,
        r#"{"id": "X", "services": ["checkout-web"], "requester": "a", "implementer": "b",
            "duration": "1h", "start": "2026-12-01T10:00", "ticket": "PAY-1"}"#,
    )
    .unwrap();
    let o = check_file(change.to_str().unwrap(), "2026-12-01T09:00:00Z", &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("change.start"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "no decision on bad input");
}

#[test]
fn an_approval_in_an_unknown_group_exits_3_with_a_hint() {
    // Issue 11, finding 3: `"CAB"` is not `cab`; the approval must not vanish silently.
    let dir = tempdir();
    let change = dir.join("miscased.json");
    std::fs::write(
        &change,
        r#"{"id": "X", "services": ["checkout-web"], "requester": "a", "implementer": "b",
            "duration": "1h", "start": "2026-12-01T10:00:00Z", "ticket": "PAY-1",
            "approvals": [{"by": "ana", "group": "CAB", "at": "2026-12-01T08:00:00Z"}]}"#,
    )
    .unwrap();
    let o = check_file(change.to_str().unwrap(), "2026-12-01T09:00:00Z", &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o)
            .contains("change.approvals[0].group: unknown group \"CAB\" (did you mean `cab`?)"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "no decision on bad input");
}

#[test]
fn validate_reports_errors_with_caret_and_suggestion() {
    let dir = tempdir();
    std::fs::write(
        dir.join("p.gate"),
        "rule r {\n  deny when change.requestor == \"x\"\n}\n",
    )
    .unwrap();
    let o = shipgate(&["validate", "--policy", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(err.contains("unknown field `requestor` on change"), "{err}");
    assert!(err.contains("p.gate:2:20"), "{err}");
    assert!(err.contains("^^^^^^^^^"), "{err}");
    assert!(err.contains("did you mean `requester`?"), "{err}");

    let ok = shipgate(&["validate", "--policy", "policies/payments"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("ok: 4 file(s) valid"));
}

/// `calendar --change`: everything that applies to the change, in the three formats.
#[test]
fn calendar_change_formats() {
    let case = "tests/cases/calendar-three-regions-window-days-away";
    let (policy, change, catalog) = (
        case.to_string(),
        format!("{case}/change.json"),
        format!("{case}/catalog.json"),
    );
    let base = [
        "calendar",
        "--policy",
        policy.as_str(),
        "--change",
        change.as_str(),
        "--catalog",
        catalog.as_str(),
        "--from",
        "2026-12-14T00:00:00Z",
        "--to",
        "2026-12-19T00:00:00Z",
    ];
    let text = shipgate(&base);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let out = stdout(&text);
    assert!(out.starts_with("Change CHG-8 (tz database "), "{out}");
    assert!(
        out.contains("Calendars: singapore, london, new-york\n"),
        "{out}"
    );
    // Only Friday is open in all three zones at once.
    assert!(
        out.contains(
            "Open (every applying calendar at once):\n  + 2026-12-18T11:00:00Z to 2026-12-18T18:00:00Z\n\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("  - 2026-12-17T10:00:00Z to 2026-12-17T19:00:00Z  payroll run\n"),
        "{out}"
    );

    let json = shipgate(&[&base[..], &["--format", "json"]].concat());
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["change"], "CHG-8");
    assert_eq!(v["regions"], serde_json::json!(["apac", "eu", "us"]));
    assert_eq!(
        v["open"],
        serde_json::json!([{"start": "2026-12-18T11:00:00Z", "end": "2026-12-18T18:00:00Z"}])
    );
    let names: Vec<&str> = v["blackouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["quarter close", "payroll run"]);

    let ics = shipgate(&[&base[..], &["--format", "ics"]].concat());
    assert_eq!(ics.status.code(), Some(0), "{}", stderr(&ics));
    let cal = stdout(&ics);
    assert!(cal.starts_with("BEGIN:VCALENDAR\r\n"), "{cal}");
    assert!(cal.contains("SUMMARY:quarter close\r\n"), "{cal}");
    assert!(cal.contains("SUMMARY:payroll run\r\n"), "{cal}");
    assert!(cal.contains("DTSTART:20261218T110000Z\r\n"), "{cal}");
    assert_eq!(cal.matches("BEGIN:VEVENT").count(), 3, "{cal}");

    // A region and a change are two questions: one at a time; a change needs its catalog.
    let both = shipgate(&[&base[..], &["--region", "eu"]].concat());
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    let no_catalog = shipgate(&[
        "calendar",
        "--policy",
        policy.as_str(),
        "--change",
        change.as_str(),
        "--from",
        "2026-12-14T00:00:00Z",
        "--to",
        "2026-12-19T00:00:00Z",
    ]);
    assert_eq!(no_catalog.status.code(), Some(2));
    assert!(
        stderr(&no_catalog).contains("--catalog"),
        "{}",
        stderr(&no_catalog)
    );
}

#[test]
fn calendar_formats() {
    let base = [
        "calendar",
        "--policy",
        "policies/payments",
        "--region",
        "eu-west",
        "--from",
        "2026-12-14T00:00:00Z",
        "--to",
        "2026-12-21T00:00:00Z",
    ];
    let json = shipgate(&[&base[..], &["--format", "json"]].concat());
    assert_eq!(json.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["region"], "eu-west");
    assert_eq!(v["open"][0]["start"], "2026-12-14T08:00:00Z");
    let blackouts = v["blackouts"].as_array().unwrap();
    assert!(blackouts.iter().any(|b| b["name"] == "year-end freeze"));
    let ics = shipgate(&[&base[..], &["--format", "ics"]].concat());
    let text = stdout(&ics);
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(text.contains("SUMMARY:year-end freeze\r\n"));
    let mut bad_args = base;
    bad_args[4] = "eu-wst";
    let bad = shipgate(&bad_args);
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        stderr(&bad).contains("did you mean `eu-west`?"),
        "{}",
        stderr(&bad)
    );
}

/// Renders DOT with Graphviz's `dot -Tsvg`: the SVG, or why `dot` refused it. `None` when
/// `dot` is not installed and SHIPGATE_REQUIRE_GRAPHVIZ is unset (`.ci/run` installs
/// Graphviz and sets it, so CI never skips).
fn render_dot(dot: &str) -> Option<Result<String, String>> {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if std::env::var_os("SHIPGATE_REQUIRE_GRAPHVIZ").is_none() => {
            eprintln!("skipped: Graphviz `dot` is not installed ({e})");
            return None;
        }
        Err(e) => panic!("Graphviz `dot` is required (SHIPGATE_REQUIRE_GRAPHVIZ) but: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    Some(if o.status.success() && err.is_empty() {
        Ok(String::from_utf8(o.stdout).unwrap())
    } else {
        Err(format!("dot exited {:?}: {err}", o.status.code()))
    })
}

#[test]
fn graphviz_renders_the_graph_also_with_ids_that_need_quoting() {
    let example = stdout(&shipgate(&[
        "graph",
        "--catalog",
        "policies/catalog.yaml",
        "--format",
        "dot",
    ]));
    let Some(svg) = render_dot(&example) else {
        return;
    };
    let svg = svg.unwrap_or_else(|e| panic!("{e}\n{example}"));
    assert!(svg.contains("<svg"), "{svg}");
    // One node per service and one edge per dependency, as Graphviz drew them.
    assert_eq!(svg.matches("class=\"node\"").count(), 8, "{svg}");
    assert_eq!(svg.matches("class=\"edge\"").count(), 6, "{svg}");

    // Ids with quotes, backslashes, spaces, braces, DOT keywords and non-ASCII letters.
    let odd = [
        "say \"hi\"",
        "back\\slash",
        "two words",
        "{braces}",
        "node",
        "digraph",
        "zürich-ledger",
        "line\\nbreak",
    ];
    let services: Vec<serde_json::Value> = odd
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let deps: Vec<&str> = odd.get(i + 1).into_iter().copied().collect();
            serde_json::json!({"id": id, "tier": 1, "depends_on": deps})
        })
        .collect();
    let dir = tempdir();
    let catalog = dir.join("odd.json");
    std::fs::write(
        &catalog,
        serde_json::json!({ "services": services }).to_string(),
    )
    .unwrap();
    let dot = stdout(&shipgate(&[
        "graph",
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "dot",
    ]));
    let svg = render_dot(&dot)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{dot}"));
    assert_eq!(
        svg.matches("class=\"node\"").count(),
        odd.len(),
        "{dot}\n{svg}"
    );
    assert_eq!(
        svg.matches("class=\"edge\"").count(),
        odd.len() - 1,
        "{svg}"
    );
    // Every id reaches the picture as itself (the SVG's text unescaped).
    let text = svg
        .replace("&#45;", "-")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    for id in odd {
        assert!(text.contains(&format!(">{id}</text>")), "{id}: {svg}");
    }
}

#[test]
fn graph_formats() {
    let dot = stdout(&shipgate(&[
        "graph",
        "--catalog",
        "policies/catalog.yaml",
        "--format",
        "dot",
    ]));
    assert!(dot.starts_with("digraph"));
    assert!(dot.contains("\"payments-api\" -> \"ledger-db\""), "{dot}");
    let json = shipgate(&[
        "graph",
        "--catalog",
        "policies/catalog.yaml",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        v["waves"][0],
        serde_json::json!(["ledger-db", "notifications"])
    );
    // Each service with its tier, as docs/cli.md promises.
    assert_eq!(v["tiers"]["ledger-db"], 0, "{v}");
    assert_eq!(v["tiers"]["payments-api"], 1, "{v}");
    assert_eq!(v["tiers"]["checkout-web"], 2, "{v}");
    let services = v["services"].as_array().unwrap();
    assert_eq!(v["tiers"].as_object().unwrap().len(), services.len());
    for s in services {
        assert!(v["tiers"][s.as_str().unwrap()].is_i64(), "{s} has a tier");
    }
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "shipgate-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn ics_imports_of_a_bare_policy_file_name_resolve_against_its_folder() {
    // `--policy policy.gate` from the policy's own folder: the file's parent is "", which
    // must mean "." and not "no folder" (an `ics` import needs one).
    let case = root().join("tests/cases/calendar-ics-import");
    let dir = tempdir();
    std::fs::copy(case.join("policy.gate"), dir.join("policy.gate")).unwrap();
    std::fs::create_dir_all(dir.join("calendars")).unwrap();
    std::fs::copy(
        case.join("calendars/holidays.ics"),
        dir.join("calendars/holidays.ics"),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args([
            "calendar",
            "--policy",
            "policy.gate",
            "--region",
            "eu-west",
            "--from",
            "2026-12-21T00:00:00Z",
            "--to",
            "2026-12-28T00:00:00Z",
            "--format",
            "json",
        ])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let blackouts = v["blackouts"].as_array().unwrap();
    assert!(
        blackouts
            .iter()
            .any(|b| b["name"] == "holidays and reviews" && b["start"] == "2026-12-23T23:00:00Z"),
        "{v}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `shipgate check` of the example policy set on a change given on standard input, as JSON.
fn check_stdin(change: &serde_json::Value, now: &str) -> (Option<i32>, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(["check", "--policy", "policies/payments"])
        .args(["--catalog", "policies/catalog.yaml", "--change", "-"])
        .args(["--now", now, "--format", "json"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(change.to_string().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    (o.status.code(), v)
}

#[test]
fn the_example_policy_needs_the_cab_for_an_emergency_without_an_incident() {
    // `"emergency": true` is the requester's word. In policies/payments it lifts the CAB only
    // through emergency_hotfix, which asks for an incident of severity 1 or 2 and the incident
    // commander's approval; the flag alone, or with a minor incident, lifts nothing.
    let change = |incident: Option<serde_json::Value>| {
        let mut c = serde_json::json!({
            "id": "CHG-9001", "title": "Urgent, says the requester", "ticket": "PAY-1",
            "kind": ["application"], "services": ["payments-api"], "regions": ["eu-west"],
            "requester": "ines", "implementer": "marek", "emergency": true,
            "approvals": [
                {"by": "kofi", "group": "incident-commander", "at": "2026-12-01T09:40:00Z"},
                {"by": "rosa", "group": "security", "at": "2026-12-01T09:44:00Z"}
            ],
            "checks": ["pci-scan"], "start": "2026-12-01T10:00:00Z", "duration": "30m"
        });
        if let Some(i) = incident {
            c["incident"] = i;
        }
        c
    };
    let now = "2026-12-01T09:50:00Z";
    let cab = |d: &serde_json::Value| {
        d["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "cab_review")
            .cloned()
    };
    for incident in [
        None,
        Some(serde_json::json!({"id": "INC-1", "severity": 3})),
    ] {
        let (code, d) = check_stdin(&change(incident.clone()), now);
        assert_eq!(d["tier"], "high", "{d}");
        assert_eq!(d["verdict"], "pending", "incident {incident:?}: {d}");
        assert_eq!(code, Some(2));
        let cab = cab(&d).unwrap_or_else(|| panic!("no CAB requirement: {d}"));
        assert_eq!(cab["needed"], 2);
        assert_eq!(cab["satisfied"], false);
        assert_eq!(d["exemptions"], serde_json::json!([]), "{d}");
    }
    // A real emergency: the CAB is lifted, visibly, and the incident commander approved.
    let (code, d) = check_stdin(
        &change(Some(serde_json::json!({"id": "INC-2", "severity": 1}))),
        now,
    );
    assert_eq!(d["verdict"], "allow", "{d}");
    assert_eq!(code, Some(0));
    assert_eq!(cab(&d), None, "{d}");
    let lifts_cab = |e: &serde_json::Value| {
        e["rule"] == "emergency_hotfix"
            && (e["lifts"] == "rule cab_review" || e["target"] == "cab_review")
    };
    assert!(
        d["exemptions"].as_array().unwrap().iter().any(lifts_cab),
        "{d}"
    );
}

/// A policy, catalog and change of their own in a fresh folder; returns `shipgate check`'s
/// text output.
fn check_text(policy: &str, change: &serde_json::Value, now: &str) -> String {
    let dir = tempdir();
    std::fs::write(dir.join("policy.gate"), policy).unwrap();
    let catalog = serde_json::json!({
        "services": [{"id": "api", "team": "t", "tier": 1, "regions": ["office"]}]
    });
    std::fs::write(dir.join("catalog.json"), catalog.to_string()).unwrap();
    std::fs::write(dir.join("change.json"), change.to_string()).unwrap();
    let path = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let o = shipgate(&[
        "check",
        "--policy",
        &path("policy.gate"),
        "--catalog",
        &path("catalog.json"),
        "--change",
        &path("change.json"),
        "--now",
        now,
    ]);
    assert!(o.status.code().is_some_and(|c| c < 3), "{}", stderr(&o));
    stdout(&o)
}

fn simple_change(start: &str, duration: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "CHG-7", "services": ["api"], "requester": "a",
        "implementer": "b", "start": start, "duration": duration
    })
}

#[test]
fn rollback_triggers_print_as_written() {
    let policy = "rollback {
  trigger p50 > 115% of baseline for 5m
  trigger p90 > 150% of baseline for 10m
  trigger p95 > 33.3% of baseline for 1m
  trigger p99 > 0.5% of baseline for 1m on no_data fire
  trigger errors >= 3 for 2m on no_data fire
}
";
    let out = check_text(
        policy,
        &simple_change("2026-12-01T10:00:00Z", "1h"),
        "2026-12-01T09:00:00Z",
    );
    let line = out
        .lines()
        .find(|l| l.starts_with("Rollback: "))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        line,
        "Rollback: p50 > 115% of baseline for 5m; p90 > 150% of baseline for 10m; \
         p95 > 33.3% of baseline for 1m; p99 > 0.5% of baseline for 1m on no_data fire; \
         errors >= 3 for 2m on no_data fire"
    );
}

#[test]
fn text_output_writes_every_instant_in_rfc_3339_utc() {
    let policy = "calendar office timezone \"Europe/Berlin\" {
  window mon-fri 09:00-17:00
}
region office uses office
";
    // Saturday: closed; the next window is Monday 09:00 in Berlin.
    let out = check_text(
        policy,
        &simple_change("2026-12-05T10:00:00Z", "1h"),
        "2026-12-01T09:00:00Z",
    );
    assert!(out.starts_with("DENY  CHG-7  (tier "), "{out}");
    assert!(
        out.contains("2026-12-05T10:00:00Z to 2026-12-05T11:00:00Z"),
        "{out}"
    );
    assert!(
        out.contains("next window 2026-12-07T08:00:00Z to 2026-12-07T16:00:00Z"),
        "{out}"
    );
    assert!(
        out.contains("next window starts 2026-12-07T08:00:00Z"),
        "{out}"
    );
    assert!(!out.contains(" UTC"), "one format for instants: {out}");
    // Every instant-looking word is RFC 3339 UTC.
    let dated = |w: &&str| w.len() > 10 && w.as_bytes()[4] == b'-' && w.as_bytes()[7] == b'-';
    for word in out.split_whitespace().filter(dated) {
        let word = word.trim_end_matches([',', ';', ')']);
        assert!(
            word.len() == 20 && word.ends_with('Z') && word.as_bytes()[10] == b'T',
            "{word} in {out}"
        );
    }
    assert!(
        out.lines().all(|l| l == l.trim_end()),
        "no trailing blanks: {out:?}"
    );
}

/// `shipgate check` of the example policy set with `--change -`: the exit code and stderr.
fn check_stdin_text(text: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(["check", "--policy", "policies/payments"])
        .args(["--catalog", "policies/catalog.yaml", "--change", "-"])
        .args(["--now", "2026-12-01T09:00:00Z"])
        .args(extra)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The process may stop reading early (a limit): a broken pipe here is expected.
    let _ = stdin.write_all(text.as_bytes());
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    (o.status.code(), stderr(&o))
}

#[test]
fn an_input_over_the_size_limit_is_an_error_and_the_limit_can_be_raised() {
    let started = std::time::Instant::now();
    let o = check("chg-1042-checkout-copy.json", "2026-12-01T09:00:00Z", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = shipgate(&[
        "check",
        "--policy",
        "policies/payments",
        "--catalog",
        "policies/catalog.yaml",
        "--change",
        "/dev/zero",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o),
        "error: /dev/zero: the input is larger than the limit of 16777216 bytes (raise it with the max-input-bytes option)\n"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let o = check(
        "chg-1042-checkout-copy.json",
        "2026-12-01T09:00:00Z",
        &["--max-input-bytes", "100"],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("the input is larger than the limit of 100 bytes"),
        "{}",
        stderr(&o)
    );
    // The catalog fits; standard input, one byte over, does not.
    let limit = std::fs::metadata(root().join("policies/catalog.yaml"))
        .unwrap()
        .len();
    let (code, err) = check_stdin_text(
        &" ".repeat(limit as usize + 1),
        &["--max-input-bytes", &limit.to_string()],
    );
    assert_eq!(code, Some(3));
    assert_eq!(
        err,
        format!(
            "error: <stdin>: the input is larger than the limit of {limit} bytes (raise it with \
             the max-input-bytes option)\n"
        )
    );
}

#[test]
fn a_write_error_on_standard_output_exits_non_zero_with_a_message() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on this system
    };
    for format in ["text", "json"] {
        let o = Command::new(env!("CARGO_BIN_EXE_shipgate"))
            .args(["check", "--policy", "policies/payments"])
            .args(["--catalog", "policies/catalog.yaml"])
            .args(["--change", "policies/changes/chg-1042-checkout-copy.json"])
            .args(["--now", "2026-12-01T09:00:00Z", "--format", format])
            .current_dir(root())
            .stdout(full.try_clone().unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3), "{format}");
        assert!(
            stderr(&o).starts_with("error: <stdout>: cannot write the output: "),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn json_on_standard_input_that_is_too_deep_gets_the_json_error() {
    let (code, err) = check_stdin_text(&"[".repeat(10_000), &[]);
    assert_eq!(code, Some(3));
    assert_eq!(
        err,
        "error: change: nested too deeply at line 1: lists and objects may nest at most 128 \
         levels\n"
    );
    // A key given twice is the JSON reader's error, with its path, not "invalid YAML".
    let (code, err) = check_stdin_text(r#"{"id": "a", "id": "b"}"#, &[]);
    assert_eq!(code, Some(3));
    assert!(
        err.starts_with("error: change.id: this key is given twice"),
        "{err}"
    );
    // Plain YAML on standard input is still read.
    let (code, err) = check_stdin_text("id: [", &[]);
    assert_eq!(code, Some(3));
    assert!(err.contains("invalid YAML"), "{err}");
}

#[test]
fn text_output_escapes_control_and_bidi_characters_from_inputs() {
    let policy = "rule forged {\n  deny when change.requester == \"x\"\n  message \"by {change.implementer}\"\n}\n";
    let mut change = simple_change("2026-12-01T10:00:00Z", "1h");
    change["id"] = "C\u{1b}[2J\nALLOW  fake".into();
    change["requester"] = "x".into();
    change["implementer"] = "evil\r\nALLOW\u{202e}txt.exe\u{7}".into();
    let out = check_text(policy, &change, "2026-12-01T09:00:00Z");
    assert!(
        !out.chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "{out:?}"
    );
    assert!(!out.lines().any(|l| l.starts_with("ALLOW")), "{out}");
    assert!(
        out.starts_with("DENY  C\\u{1b}[2J\\nALLOW  fake  (tier"),
        "{out}"
    );
    assert!(
        out.contains("by evil\\r\\nALLOW\\u{202e}txt.exe\\u{7}"),
        "{out}"
    );
}

#[test]
fn the_input_limit_is_an_option_of_the_commands_that_read_inputs_only() {
    // `graph` reads a catalog: the limit applies to it.
    let o = shipgate(&[
        "graph",
        "--catalog",
        "policies/catalog.yaml",
        "--max-input-bytes",
        "10",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("the input is larger than the limit of 10 bytes"),
        "{}",
        stderr(&o)
    );
    // `validate` reads no change or catalog: the option would do nothing, so it is refused.
    let o = shipgate(&[
        "validate",
        "--policy",
        "policies/payments",
        "--max-input-bytes",
        "10",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--max-input-bytes"), "{}", stderr(&o));
}

/// Policy text has a size limit (issue 12): `--policy /dev/zero` stops at 4 MiB instead of
/// reading forever, and a folder whose files together pass 16 MiB is refused, naming the file
/// that passes it.
#[test]
fn policy_text_over_the_size_limits_is_an_error_naming_the_file() {
    let o = shipgate(&["validate", "--policy", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o),
        "error: /dev/zero: the policy file is larger than the limit of 4194304 bytes (raise it with the max-policy-file-bytes option)\n"
    );
    let dir = tempdir();
    // Five files of 3.5 MiB of comments: each is under the limit of a file, the fifth takes
    // the set over the limit of all.
    let comment = format!("# {}\n", "x".repeat(1_000));
    let text = comment.repeat(7 * 512 * 1024 / comment.len());
    for k in 1..=5 {
        std::fs::write(dir.join(format!("p{k}.gate")), &text).unwrap();
    }
    let folder = dir.display().to_string();
    let o = shipgate(&["validate", "--policy", &folder]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {}: the policy set passes the limit of 16777216 bytes for all its files together with this file (raise it with the max-policy-bytes option)\n",
            dir.join("p5.gate").display()
        )
    );
    // Four of them are a valid (empty) policy set.
    std::fs::remove_file(dir.join("p5.gate")).unwrap();
    let o = shipgate(&["validate", "--policy", &folder]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `--max-eval-steps`: the budget of the decision, named by the reason when it runs out.
#[test]
fn max_eval_steps_is_the_decisions_budget() {
    let o = check("chg-1042-checkout-copy.json", "2026-12-01T09:00:00Z", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = check(
        "chg-1042-checkout-copy.json",
        "2026-12-01T09:00:00Z",
        &["--max-eval-steps", "1", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "exceeded its evaluation budget of 1 steps (nested quantifiers over large lists or a \
             large catalog; raise it with the max-eval-steps option); failing closed"
        ),
        "{out}"
    );
    let o = check(
        "chg-1042-checkout-copy.json",
        "2026-12-01T09:00:00Z",
        &["--max-eval-steps", "1000"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `--max-policy-file-bytes` and `--max-policy-bytes` on every command that compiles.
#[test]
fn the_policy_size_flags_bound_the_policy_text() {
    let largest = shipgate::policy_files(&[root().join("policies/payments")])
        .unwrap()
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .max()
        .unwrap();
    let base = ["validate", "--policy", "policies/payments"];
    let o = shipgate(&base);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let under = (largest - 1).to_string();
    let o = shipgate(&[&base[..], &["--max-policy-file-bytes", &under]].concat());
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains(&format!(
            "the policy file is larger than the limit of {under} bytes (raise it with the \
             max-policy-file-bytes option)"
        )),
        "{}",
        stderr(&o)
    );
    let o = shipgate(
        &[
            &base[..],
            &["--max-policy-file-bytes", &largest.to_string()],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The set is larger than its largest file.
    let o = shipgate(&[&base[..], &["--max-policy-bytes", &largest.to_string()]].concat());
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("the policy set passes the limit of")
            && stderr(&o).contains("max-policy-bytes option"),
        "{}",
        stderr(&o)
    );
    // `check` and `calendar` take them too.
    let o = check(
        "chg-1042-checkout-copy.json",
        "2026-12-01T09:00:00Z",
        &["--max-policy-bytes", &largest.to_string()],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let o = shipgate(&[
        "calendar",
        "--policy",
        "policies/payments",
        "--region",
        "eu-west",
        "--from",
        "2026-12-01T00:00:00Z",
        "--to",
        "2026-12-02T00:00:00Z",
        "--max-policy-file-bytes",
        &under,
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

/// `--max-rrule-starts-per-rule` and `--max-rrule-starts-per-policy`, lowered below two daily
/// rules (365 starts a year each).
#[test]
fn the_rrule_flags_bound_the_recurring_blackouts() {
    let dir = tempdir();
    std::fs::write(
        dir.join("p.gate"),
        "tiers low\nregion eu uses cal\ncalendar cal timezone \"UTC\" {\n  \
         blackout \"a\" rrule \"FREQ=DAILY\" at 01:00 for 1m\n  \
         blackout \"b\" rrule \"FREQ=DAILY\" at 02:00 for 1m\n}\n",
    )
    .unwrap();
    let policy = dir.join("p.gate").display().to_string();
    let validate =
        |extra: &[&str]| shipgate(&[&["validate", "--policy", &policy][..], extra].concat());
    let o = validate(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = validate(&["--max-rrule-starts-per-rule", "300"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("more than the limit of 300 a year for one rule")
            && stderr(&o).contains("raise it with the max-rrule-starts-per-rule option"),
        "{}",
        stderr(&o)
    );
    let o = validate(&["--max-rrule-starts-per-policy", "500"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains(
            "more than the limit of 500 (raise it with the \
             max-rrule-starts-per-policy option)"
        ),
        "{}",
        stderr(&o)
    );
    let o = validate(&["--max-rrule-starts-per-policy", "800"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = shipgate(&[
        "calendar",
        "--policy",
        &policy,
        "--region",
        "eu",
        "--from",
        "2026-12-01T00:00:00Z",
        "--to",
        "2026-12-02T00:00:00Z",
        "--max-rrule-starts-per-rule",
        "300",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

/// A limit is a number from 1 to its documented ceiling; anything else is a usage error
/// (exit 2) naming the range, and a limit a command would not use is not one of its flags.
#[test]
fn nonsense_limits_are_usage_errors() {
    for (flag, value) in [
        ("--max-eval-steps", "0"),
        ("--max-eval-steps", "1000000000001"),
        ("--max-input-bytes", "0"),
        ("--max-policy-bytes", "5x"),
        ("--max-rrule-starts-per-rule", "1000001"),
    ] {
        let o = check(
            "chg-1042-checkout-copy.json",
            "2026-12-01T09:00:00Z",
            &[flag, value],
        );
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("for '{flag} <")),
            "{}",
            stderr(&o)
        );
    }
    let o = check(
        "chg-1042-checkout-copy.json",
        "2026-12-01T09:00:00Z",
        &["--max-eval-steps", "0"],
    );
    assert!(
        stderr(&o).contains(
            "max-eval-steps must be between 1 and 1000000000000 (evaluation steps of one \
             decision), not 0"
        ),
        "{}",
        stderr(&o)
    );
    let o = shipgate(&[
        "validate",
        "--policy",
        "policies/payments",
        "--max-eval-steps",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// `calendar --service`: everything that applies to one service (SPEC 8.3), from the corpus
/// case of a service downstream of the ledger's nightly batch.
fn service_calendar(format: &str, to: &str) -> Output {
    let case = "tests/cases/scope-service-upstream-batch";
    shipgate(&[
        "calendar",
        "--policy",
        &format!("{case}/policy.gate"),
        "--service",
        "payments-web",
        "--catalog",
        &format!("{case}/catalog.json"),
        "--from",
        "2026-12-01T00:00:00Z",
        "--to",
        to,
        "--format",
        format,
    ])
}

#[test]
fn service_calendar_text() {
    let out = service_calendar("text", "2026-12-02T00:00:00Z");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Service payments-web (tz database 2025b)\nRegions:   eu-west\nCalendars: emea, \
         ledger-batch\n\nOpen (every applying calendar at once):\n  + 2026-12-01T06:00:00Z to \
         2026-12-01T07:00:00Z\n  + 2026-12-01T10:00:00Z to 2026-12-01T20:00:00Z\n\nBlackouts:\n  \
         - 2026-12-01T07:00:00Z to 2026-12-01T10:00:00Z  ledger nightly batch\n"
    );
}

#[test]
fn service_calendar_json() {
    let out = service_calendar("json", "2026-12-03T00:00:00Z");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["service"], "payments-web");
    assert_eq!(v["regions"], serde_json::json!(["eu-west"]));
    assert_eq!(v["calendars"], serde_json::json!(["emea", "ledger-batch"]));
    // London's window 06:00-20:00 less New York's batch 02:00-05:00 (07:00-10:00 UTC).
    let open: Vec<(&str, &str)> = v["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["start"].as_str().unwrap(), s["end"].as_str().unwrap()))
        .collect();
    assert_eq!(
        open,
        [
            ("2026-12-01T06:00:00Z", "2026-12-01T07:00:00Z"),
            ("2026-12-01T10:00:00Z", "2026-12-01T20:00:00Z"),
            ("2026-12-02T06:00:00Z", "2026-12-02T07:00:00Z"),
            ("2026-12-02T10:00:00Z", "2026-12-02T20:00:00Z"),
        ]
    );
    assert_eq!(v["blackouts"].as_array().unwrap().len(), 2);
}

#[test]
fn service_calendar_ics() {
    let out = service_calendar("ics", "2026-12-02T00:00:00Z");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(
        text.contains("X-WR-CALNAME:shipgate payments-web\r\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("SUMMARY:ledger nightly batch\r\n").count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("SUMMARY:open window\r\n").count(), 2, "{text}");
    assert!(text.contains("DTSTART:20261201T100000Z\r\n"), "{text}");
}

#[test]
fn service_calendar_errors() {
    let case = "tests/cases/scope-service-upstream-batch";
    let policy = format!("{case}/policy.gate");
    let catalog = format!("{case}/catalog.json");
    let range = [
        "--from",
        "2026-12-01T00:00:00Z",
        "--to",
        "2026-12-02T00:00:00Z",
    ];
    let run = |extra: &[&str]| {
        shipgate(
            &[
                &["calendar", "--policy", policy.as_str()][..],
                extra,
                &range[..],
            ]
            .concat(),
        )
    };
    let out = run(&["--service", "payment-web", "--catalog", &catalog]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: service: unknown service \"payment-web\" (did you mean `payments-web`?)\n"
    );
    // A service needs the catalog, and a region and a service are two questions.
    assert_eq!(run(&["--service", "payments-web"]).status.code(), Some(2));
    let both = run(&[
        "--region",
        "eu-west",
        "--service",
        "reports",
        "--catalog",
        &catalog,
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert_eq!(run(&[]).status.code(), Some(2));
}

#[test]
fn check_text_lists_service_and_change_calendars() {
    let case = "tests/cases/scope-service-upstream-batch";
    let out = shipgate(&[
        "check",
        "--policy",
        &format!("{case}/policy.gate"),
        "--catalog",
        &format!("{case}/catalog.json"),
        "--change",
        &format!("{case}/change.json"),
        "--now",
        "2026-12-01T07:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            "  service payments-web (ledger-batch) closed  blocked by ledger nightly batch  \
             next window 2026-12-01T10:00:00Z to 2026-12-02T07:00:00Z\n"
        ),
        "{text}"
    );
    let case = "tests/cases/scope-change-dba-window";
    let out = shipgate(&[
        "check",
        "--policy",
        &format!("{case}/policy.gate"),
        "--catalog",
        &format!("{case}/catalog.json"),
        "--change",
        &format!("{case}/change.json"),
        "--now",
        "2026-12-01T07:00:00Z",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("  change (dba) closed  outside windows  next window 2026-12-03T17:00:00Z"),
        "{text}"
    );
}

/// `shipgate plan` of the example train against the example policy set.
fn plan(changes: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "plan",
        "--policy",
        "policies/payments",
        "--catalog",
        "policies/catalog.yaml",
        "--changes",
        changes,
        "--from",
        "2026-12-07T08:00:00Z",
    ];
    args.extend_from_slice(extra);
    shipgate(&args)
}

#[test]
fn plan_json_gives_slots_in_start_order_and_exits_1_for_an_unschedulable_change() {
    let o = plan("policies/trains/december.yaml", &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 9);
    let starts: Vec<&str> = changes
        .iter()
        .map(|c| c["start"].as_str().unwrap())
        .collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
    // A per-region rollout: one entry per region, in the order of its `regions`.
    let ledger: Vec<&serde_json::Value> =
        changes.iter().filter(|c| c["id"] == "CHG-2001").collect();
    assert_eq!(ledger[0]["region"], "eu-west");
    assert_eq!(ledger[1]["region"], "us-east");
    assert_eq!(ledger[1]["wave"], 0);
    assert!(ledger[1].get("regions").is_none());
    assert_eq!(
        v["unschedulable"][1],
        serde_json::json!({"id": "CHG-2008", "reason": "after \"CHG-2007\", which is unschedulable",
                           "notify": ["support", "operations"]})
    );
    // Whom to tell is kept in the plan, for a later `--previous`.
    assert_eq!(
        ledger[0]["notify"],
        serde_json::json!(["support", "operations", "business-stakeholders", "finance"])
    );
}

/// Writes `text` to a fresh file under the target folder and gives its path.
fn scratch(name: &str, text: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn plan_previous_lists_what_moved_and_whom_to_tell() {
    let first = plan("policies/trains/december.yaml", &["--format", "json"]);
    let previous = scratch("replan-previous.json", &stdout(&first));
    // A day later, everything moves by a day.
    let args = |format: &'static str| {
        vec![
            "plan",
            "--policy",
            "policies/payments",
            "--catalog",
            "policies/catalog.yaml",
            "--changes",
            "policies/trains/december.yaml",
            "--from",
            "2026-12-08T08:00:00Z",
            "--previous",
            previous.as_str(),
            "--format",
            format,
        ]
    };
    let o = shipgate(&args("json"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["moved"].as_array().unwrap().len(), 9);
    assert_eq!(
        v["moved"][0],
        serde_json::json!({"id": "CHG-2001", "region": "eu-west",
            "from": {"start": "2026-12-07T08:00:00Z", "end": "2026-12-07T10:00:00Z"},
            "to": {"start": "2026-12-08T08:00:00Z", "end": "2026-12-08T10:00:00Z"},
            "notify": ["support", "operations", "business-stakeholders", "finance"]})
    );
    assert_eq!(v["cancelled"], serde_json::json!([]));
    assert_eq!(v["newly_unschedulable"], serde_json::json!([]));
    assert_eq!(v["newly_planned"], serde_json::json!([]));

    let o = shipgate(&args("text"));
    let text = stdout(&o);
    assert!(text.contains("\nSince the previous plan:\n"), "{text}");
    assert!(
        text.contains(
            "  ~ moved CHG-2001 in us-east: Mon 2026-12-07 10:00 -> 12:00 EST => \
             Tue 2026-12-08 10:00 -> 12:00 EST  tell: support, operations, \
             business-stakeholders, finance\n"
        ),
        "{text}"
    );

    // A calendar has no place for it: an error, not a silent drop.
    let o = shipgate(&args("ics"));
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("--format ics has no place"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
}

#[test]
fn plan_previous_errors_name_the_json_path_and_old_plans_warn() {
    let bad = scratch(
        "replan-bad.json",
        r#"{"changes": [{"id": "CHG-2001", "start": "2026-12-07T08:00:00Z", "ends": "x"}]}"#,
    );
    let o = plan("policies/trains/december.yaml", &["--previous", &bad]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("previous.changes[0].ends"),
        "{}",
        stderr(&o)
    );

    // A plan written before plans carried `notify`: a change it had that left the train is
    // told to the policy's unconditional audiences, with a warning on standard error.
    let old = scratch(
        "replan-old.json",
        r#"{"changes": [{"id": "CHG-1999", "start": "2026-12-07T08:00:00Z",
            "end": "2026-12-07T09:00:00Z", "wave": 0, "regions": ["eu-west"],
            "services": ["reporting"]}], "unschedulable": []}"#,
    );
    let o = plan(
        "policies/trains/december.yaml",
        &["--previous", &old, "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["cancelled"],
        serde_json::json!([{"id": "CHG-1999", "notify": ["support", "operations"]}])
    );
    assert!(
        stderr(&o).contains(
            "warning: previous.changes[0]: the earlier plan records no \"notify\" for change \
             \"CHG-1999\""
        ),
        "{}",
        stderr(&o)
    );
    // The earlier plan is read within --max-input-bytes, as every input.
    let big = scratch(
        "replan-big.json",
        &format!(
            r#"{{"changes": [], "unschedulable": [], "moved": "{}"}}"#,
            "x".repeat(8000)
        ),
    );
    let o = plan(
        "policies/trains/december.yaml",
        &["--previous", &big, "--max-input-bytes", "4000"],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("replan-big.json"), "{}", stderr(&o));
    // Every change of the train is new to that plan.
    assert_eq!(v["newly_planned"].as_array().unwrap().len(), 9);
    assert_eq!(v["newly_unschedulable"].as_array().unwrap().len(), 2);
    // A chart or a calendar has no place for what changed: an error, not a silent drop.
    for format in ["mermaid", "ics"] {
        let o = plan(
            "policies/trains/december.yaml",
            &["--previous", &old, "--format", format],
        );
        assert_eq!(o.status.code(), Some(3), "{format}");
        assert!(
            stderr(&o).contains(&format!("--previous: --format {format}")),
            "{}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{format}");
    }
}

#[test]
fn plan_ics_gives_one_event_per_run_and_lists_the_unschedulable_on_stderr() {
    let o = plan("policies/trains/december.yaml", &["--format", "ics"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let cal = stdout(&o);
    assert!(cal.starts_with("BEGIN:VCALENDAR\r\n"), "{cal}");
    assert!(cal.ends_with("END:VCALENDAR\r\n"), "{cal}");
    assert_eq!(cal.matches("BEGIN:VEVENT").count(), 9, "{cal}");
    // A per-region rollout's regions are events of their own, with the UIDs of SPEC 8.8.
    assert!(cal.contains("UID:CHG-2001-eu-west@shipgate\r\n"), "{cal}");
    assert!(cal.contains("UID:CHG-2001-us-east@shipgate\r\n"), "{cal}");
    assert!(cal.contains("UID:CHG-2005@shipgate\r\n"), "{cal}");
    assert!(cal.contains("DTSTAMP:20261207T080000Z\r\n"), "{cal}");
    assert_eq!(
        stderr(&o),
        "unschedulable: CHG-2007: nothing fits within 365 days of 2026-12-08T16:00:00Z: denied \
         by rule \"third_party_contracts\" at every start tried\n\
         unschedulable: CHG-2008: after \"CHG-2007\", which is unschedulable\n"
    );
}

#[test]
fn plan_mermaid_gives_a_gantt_chart_by_wave_or_by_region() {
    let o = plan("policies/trains/december.yaml", &["--format", "mermaid"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let chart = stdout(&o);
    assert!(
        chart.starts_with(
            "gantt\n  title Release train, 9 planned, 2 unschedulable\n  dateFormat x\n"
        ),
        "{chart}"
    );
    let sections: Vec<&str> = chart
        .lines()
        .filter(|l| l.starts_with("  section "))
        .collect();
    assert_eq!(
        sections,
        ["  section wave 0", "  section wave 1", "  section wave 2"]
    );
    // 2026-12-07T08:00:00Z to 10:00, in Unix milliseconds.
    assert!(
        chart.contains(
            "  section wave 0\n  CHG-2001 in eu-west (ledger-db) :1796630400000, 1796637600000\n"
        ),
        "{chart}"
    );
    // One bar per planned run; the unschedulable changes are comments.
    let bars = chart.lines().filter(|l| l.starts_with("  CHG-")).count();
    assert_eq!(bars, 9, "{chart}");
    assert!(
        chart
            .ends_with("  %% unschedulable CHG-2008: after \"CHG-2007\", which is unschedulable\n"),
        "{chart}"
    );
    assert_eq!(stderr(&o), "");

    let o = plan(
        "policies/trains/december.yaml",
        &["--format", "mermaid", "--sections", "region"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let chart = stdout(&o);
    let eu = chart.find("  section eu-west\n").unwrap();
    let us = chart.find("  section us-east\n").unwrap();
    assert!(eu < us, "{chart}");
    // A whole change is in its region's section; a rollout's runs in theirs.
    let in_eu = &chart[eu..us];
    assert_eq!(in_eu.lines().count(), 7, "{chart}");
    assert!(in_eu.contains("  CHG-2005 (notifications) :"), "{chart}");
    assert!(!in_eu.contains("us-east ("), "{chart}");
    assert!(
        chart[us..]
            .contains("  CHG-2004 in us-east (checkout-web) :1796828400000, 1796832000000\n"),
        "{chart}"
    );
    let by_wave = plan(
        "policies/trains/december.yaml",
        &["--format", "mermaid", "--sections", "wave"],
    );
    assert_eq!(
        stdout(&by_wave),
        stdout(&plan(
            "policies/trains/december.yaml",
            &["--format", "mermaid"]
        ))
    );
}

#[test]
fn plan_sections_without_the_mermaid_format_is_an_error() {
    for format in [&["--format", "json"][..], &["--format", "text"], &[]] {
        let o = plan(
            "policies/trains/december.yaml",
            &[format, &["--sections", "region"][..]].concat(),
        );
        assert_eq!(o.status.code(), Some(3), "{format:?}");
        assert_eq!(stdout(&o), "", "{format:?}");
        let format = format.get(1).copied().unwrap_or("text");
        assert!(
            stderr(&o).contains(&format!(
                "--sections: only the Gantt chart of --format mermaid has sections, not --format {format}"
            )),
            "{}",
            stderr(&o)
        );
    }
    let o = plan(
        "policies/trains/december.yaml",
        &["--format", "mermaid", "--sections", "service"],
    );
    assert_eq!(o.status.code(), Some(2), "clap's usage error");
    assert!(
        stderr(&o).contains("possible values: wave, region"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn plan_exits_0_when_everything_is_planned_and_3_on_bad_input() {
    let dir = tempdir();
    let good = dir.join("train.json");
    std::fs::write(
        &good,
        r#"[{"id": "CHG-1", "ticket": "PAY-1", "services": ["notifications"], "regions": ["eu-west"],
             "requester": "a", "implementer": "b", "duration": "1h"}]"#,
    )
    .unwrap();
    let o = plan(good.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 planned, 0 unschedulable"),
        "{}",
        stdout(&o)
    );

    let cycle = dir.join("cycle.json");
    std::fs::write(
        &cycle,
        r#"{"changes": [
             {"id": "A", "ticket": "PAY-1", "services": ["reporting"], "after": ["B"],
              "requester": "a", "implementer": "b", "duration": "1h"},
             {"id": "B", "ticket": "PAY-2", "services": ["notifications"], "after": ["A"],
              "requester": "a", "implementer": "b", "duration": "1h"}]}"#,
    )
    .unwrap();
    let o = plan(cycle.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("changes[0]"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("dependency cycle: A -> B -> A"),
        "{}",
        stderr(&o)
    );

    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"train": []}"#).unwrap();
    let o = plan(bad.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("expected a list of changes or an object with \"changes\""),
        "{}",
        stderr(&o)
    );
    let o = shipgate(&[
        "plan",
        "--policy",
        "policies/payments",
        "--catalog",
        "policies/catalog.yaml",
        "--changes",
        good.to_str().unwrap(),
        "--from",
        "tomorrow",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("--from"), "{}", stderr(&o));
}

#[test]
fn graph_of_a_train_has_the_planners_waves_and_why_each_change_waits() {
    let train = |format: &str| {
        shipgate(&[
            "graph",
            "--catalog",
            "policies/catalog.yaml",
            "--changes",
            "policies/trains/december.yaml",
            "--format",
            format,
        ])
    };
    let json = train("json");
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["cycles"], serde_json::json!([]));
    // The waves are the plan's.
    let plan = shipgate(&[
        "plan",
        "--policy",
        "policies/payments",
        "--catalog",
        "policies/catalog.yaml",
        "--changes",
        "policies/trains/december.yaml",
        "--from",
        "2026-12-07T00:00:00Z",
        "--format",
        "json",
    ]);
    let p: serde_json::Value = serde_json::from_str(&stdout(&plan)).unwrap();
    for entry in p["changes"].as_array().unwrap() {
        let wave = entry["wave"].as_u64().unwrap() as usize;
        assert!(
            v["waves"][wave].as_array().unwrap().contains(&entry["id"]),
            "{entry} in {}",
            v["waves"]
        );
    }
    let edges = v["edges"].as_array().unwrap();
    assert!(edges.contains(&serde_json::json!(
        {"from": "CHG-2008", "to": "CHG-2007", "because": "after"}
    )));
    assert!(edges.contains(&serde_json::json!(
        {"from": "CHG-2002", "to": "CHG-2001", "because": "payments-api depends on ledger-db"}
    )));

    let dot = stdout(&train("dot"));
    assert!(dot.starts_with("digraph train {"), "{dot}");
    assert!(dot.contains("subgraph cluster_wave_3"), "{dot}");
    if let Some(svg) = render_dot(&dot) {
        let svg = svg.unwrap_or_else(|e| panic!("{e}\n{dot}"));
        assert_eq!(svg.matches("class=\"node\"").count(), 8, "{svg}");
        assert_eq!(svg.matches("class=\"edge\"").count(), edges.len(), "{svg}");
        assert_eq!(svg.matches("class=\"cluster\"").count(), 4, "{svg}");
    }
    let mermaid = stdout(&train("mermaid"));
    assert!(mermaid.contains("  subgraph wave_3 [\"wave 3\"]\n    c7[\"CHG-2008 (services: merchant-portal)\"]\n  end\n"), "{mermaid}");
    assert!(mermaid.contains("  c7 -->|\"after\"| c6\n"), "{mermaid}");
}

#[test]
fn a_cycle_is_drawn_in_red_and_still_fails_the_command() {
    let dir = tempdir();
    // A catalog cycle (a -> b -> c -> a), a service after it, and one on its own.
    let catalog = dir.join("cyclic.json");
    std::fs::write(
        &catalog,
        r#"{"services": [
            {"id": "a", "tier": 1, "depends_on": ["b"]},
            {"id": "b", "tier": 1, "depends_on": ["c"]},
            {"id": "c", "tier": 1, "depends_on": ["a"]},
            {"id": "d", "tier": 2, "depends_on": ["a"]},
            {"id": "e", "tier": 0}
        ]}"#,
    )
    .unwrap();
    let catalog = catalog.to_str().unwrap();
    let o = shipgate(&["graph", "--catalog", catalog, "--format", "dot"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o).trim(),
        "error: catalog.services: dependency cycle: a -> b -> c -> a"
    );
    let dot = stdout(&o);
    assert!(
        dot.contains("\"a\" -> \"b\" [color=red, fontcolor=red, penwidth=2];"),
        "{dot}"
    );
    assert!(dot.contains("\"d\" -> \"a\";"), "{dot}");
    assert!(
        dot.contains("\"d\" [label=\"d\\ntier 2, after a cycle\", style=dashed];"),
        "{dot}"
    );
    assert!(dot.contains("label=\"cycle: a, b, c\";"), "{dot}");
    if let Some(svg) = render_dot(&dot) {
        let svg = svg.unwrap_or_else(|e| panic!("{e}\n{dot}"));
        assert_eq!(svg.matches("class=\"node\"").count(), 5, "{svg}");
        assert_eq!(svg.matches("stroke=\"red\"").count(), 3 + 3 * 2, "{svg}");
    }
    let json = shipgate(&["graph", "--catalog", catalog, "--format", "json"]);
    assert_eq!(json.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["cycles"], serde_json::json!([["a", "b", "c"]]));
    assert_eq!(v["waves"], serde_json::json!([["e"]]));

    // A cycle among changes: the planner's own error, and the drawing.
    let changes = dir.join("train.json");
    std::fs::write(
        &changes,
        r#"[{"id": "X-1", "title": "x", "kind": ["config"], "services": ["reporting"], "requester": "ana", "implementer": "bob", "duration": "1h", "after": ["X-2"]},
            {"id": "X-2", "title": "y", "kind": ["config"], "services": ["notifications"], "requester": "ana", "implementer": "bob", "duration": "1h", "after": ["X-1"]},
            {"id": "X-3", "title": "z", "kind": ["config"], "services": ["ledger-db"], "requester": "ana", "implementer": "bob", "duration": "1h"}]"#,
    )
    .unwrap();
    let changes = changes.to_str().unwrap();
    let o = shipgate(&[
        "graph",
        "--catalog",
        "policies/catalog.yaml",
        "--changes",
        changes,
        "--format",
        "mermaid",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let plan = shipgate(&[
        "plan",
        "--policy",
        "policies/payments",
        "--catalog",
        "policies/catalog.yaml",
        "--changes",
        changes,
        "--from",
        "2026-12-07T00:00:00Z",
    ]);
    assert_eq!(plan.status.code(), Some(3));
    assert_eq!(stderr(&o), stderr(&plan));
    assert!(stderr(&o).contains("X-1 -> X-2 -> X-1"), "{}", stderr(&o));
    let mermaid = stdout(&o);
    assert!(
        mermaid.contains(
            "  subgraph wave_0 [\"wave 0\"]\n    c2[\"X-3 (services: ledger-db)\"]\n  end\n"
        ),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  c0[\"X-1 (services: reporting, on a cycle)\"]:::cycle\n"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  linkStyle 0,2 stroke:#d00,stroke-width:3px\n"),
        "{mermaid}"
    );
}

/// Every example policy set under `policies/` (a folder of `.gate` files) compiles, and each
/// one's trains plan as the docs say they do (exit 0 or 1, never 3).
#[test]
fn every_example_policy_set_compiles_and_its_trains_plan() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut sets: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_dir()
                && std::fs::read_dir(p)
                    .unwrap()
                    .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "gate"))
        })
        .map(|p| format!("policies/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    sets.sort();
    assert_eq!(sets, ["policies/follow-the-sun", "policies/payments"]);
    for set in &sets {
        let o = shipgate(&["validate", "--policy", set]);
        assert_eq!(o.status.code(), Some(0), "{set}: {}", stderr(&o));
    }
    let train = |changes: &str| {
        shipgate(&[
            "plan",
            "--policy",
            "policies/follow-the-sun",
            "--catalog",
            "policies/follow-the-sun/catalog.yaml",
            "--changes",
            changes,
            "--from",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
        ])
    };
    let o = train("policies/follow-the-sun/train.yaml");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 19);
    assert_eq!(v["unschedulable"][0]["id"], "CHG-3010");
    // previous-plan.json is what docs/planning.md says it is: the plan of train-friday.yaml.
    let o = train("policies/follow-the-sun/train-friday.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let previous = std::fs::read_to_string(root.join("follow-the-sun/previous-plan.json")).unwrap();
    assert_eq!(stdout(&o), previous);
}

/// `plan --format json` of the example train, as the docs' conflicts sample reads it.
fn december_plan() -> String {
    let o = shipgate(&[
        "plan",
        "--policy",
        "policies/payments",
        "--catalog",
        "policies/catalog.yaml",
        "--changes",
        "policies/trains/december.yaml",
        "--from",
        "2026-12-07T08:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn the_committed_december_plan_is_what_plan_writes() {
    // docs/planning.md checks a change against it: it must not drift from the planner.
    let committed =
        std::fs::read_to_string(root().join("policies/trains/december-plan.json")).unwrap();
    assert_eq!(committed, december_plan());
}

#[test]
fn check_scheduled_reads_a_plan_back_and_lists_the_conflicts() {
    let dir = tempdir();
    let plan = dir.join("plan.json");
    std::fs::write(&plan, december_plan()).unwrap();
    let change = "chg-1048-api-timeouts.json";
    let now = "2026-12-04T12:00:00Z";
    let o = check(
        change,
        now,
        &["--scheduled", plan.to_str().unwrap(), "--format", "json"],
    );
    let d: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        d["conflicts"],
        serde_json::json!([{"change": "CHG-2002", "services": ["payments-api"],
            "start": "2026-12-08T08:00:00Z", "end": "2026-12-08T09:00:00Z",
            "region": "eu-west"}])
    );
    let plain = check(change, now, &["--format", "json"]);
    let p: serde_json::Value = serde_json::from_str(&stdout(&plain)).unwrap();
    assert!(p.get("conflicts").is_none());
    assert_ne!(p["inputs"], d["inputs"], "the schedule is an input");
    let text = check(change, now, &["--scheduled", plan.to_str().unwrap()]);
    assert!(
        stdout(&text).contains(
            "Conflicts:\n  ! CHG-2002 in eu-west, 2026-12-08T08:00:00Z to 2026-12-08T09:00:00Z, on payments-api\n"
        ),
        "{}",
        stdout(&text)
    );
}

#[test]
fn check_scheduled_list_form_from_yaml_and_stdin_with_a_rule_on_conflicts() {
    let dir = tempdir();
    std::fs::write(
        dir.join("apart.gate"),
        "rule apart { deny when change.conflicts > 0 message \"overlaps scheduled work\" }\n",
    )
    .unwrap();
    // checkout-web depends on payments-api: a direct neighbour of the change's service.
    let list = dir.join("scheduled.yaml");
    std::fs::write(
        &list,
        "- id: OTHER-1\n  services: [checkout-web, notifications]\n  start: 2026-12-08T09:00:00Z\n  end: 2026-12-08T10:00:00Z\n",
    )
    .unwrap();
    let run = |scheduled: &str, stdin: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shipgate"))
            .args([
                "check",
                "--policy",
                "policies/payments",
                dir.join("apart.gate").to_str().unwrap(),
                "--catalog",
                "policies/catalog.yaml",
                "--change",
                "policies/changes/chg-1048-api-timeouts.json",
                "--now",
                "2026-12-04T12:00:00Z",
                "--scheduled",
                scheduled,
            ])
            .current_dir(root())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    };
    let o = run(list.to_str().unwrap(), None);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("x apart: overlaps scheduled work"), "{out}");
    assert!(
        out.contains("! OTHER-1, 2026-12-08T09:00:00Z to 2026-12-08T10:00:00Z, on checkout-web\n"),
        "{out}"
    );
    // Later the same day: nothing overlaps, the rule does not fire (the change is pending on
    // its approvals, as without the schedule).
    let o = run(
        "-",
        Some(
            r#"[{"id": "OTHER-1", "services": ["checkout-web"], "start": "2026-12-08T09:30:00Z", "end": "2026-12-08T10:00:00Z"}]"#,
        ),
    );
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(!stdout(&o).contains("apart"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("Conflicts:\n  none with the scheduled changes\n"),
        "{}",
        stdout(&o)
    );
    // Errors name their place and exit 3.
    for (text, path, says) in [
        (
            r#"[{"id": "X", "services": ["payments-api"], "start": "2026-12-08T09:00:00", "end": "2026-12-08T10:00:00Z"}]"#,
            "scheduled[0].start",
            "offset",
        ),
        (
            r#"[{"id": "X", "services": ["payment-api"], "start": "2026-12-08T09:00:00Z", "end": "2026-12-08T10:00:00Z"}]"#,
            "scheduled[0].services[0]",
            "did you mean `payments-api`",
        ),
        (
            r#"{"changes": [{"id": "X", "services": ["payments-api"], "start": "2026-12-08T09:00:00Z", "end": "2026-12-08T08:00:00Z"}]}"#,
            "scheduled.changes[0].end",
            "ends before it starts",
        ),
        (
            r#"[{"id": "X", "service": ["payments-api"], "start": "2026-12-08T09:00:00Z", "end": "2026-12-08T10:00:00Z"}]"#,
            "scheduled[0].service",
            "did you mean `services`",
        ),
    ] {
        let o = run("-", Some(text));
        assert_eq!(o.status.code(), Some(3), "{path}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(path) && err.contains(says), "{path}: {err}");
    }
}

#[test]
fn fmt_rewrites_checks_and_reads_standard_input() {
    let dir = tempdir();
    let messy = dir.join("messy.gate");
    let tidy = dir.join("tidy.gate");
    std::fs::write(&messy, "rule r {deny when change.size>10   # big\n}\n").unwrap();
    std::fs::write(&tidy, "tiers low, high\n").unwrap();
    let d = dir.to_str().unwrap();

    // --check changes nothing, names the file that would change and exits 1.
    let o = shipgate(&["fmt", "--check", d]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{}\n", messy.display()));
    assert!(std::fs::read_to_string(&messy).unwrap().contains("size>10"));

    // fmt rewrites it in place, leaves the tidy file alone, and names what it rewrote.
    let o = shipgate(&["fmt", d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{}\n", messy.display()));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "rule r {\n  deny when change.size > 10  # big\n}\n"
    );
    let o = shipgate(&["fmt", "--check", d]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");

    // `fmt -`: standard input to standard output.
    let mut child = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"tiers low,high  default   deny")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "tiers low, high\ndefault deny\n");
}

#[test]
fn fmt_of_a_file_that_does_not_parse_is_an_error_and_writes_nothing() {
    let dir = tempdir();
    let good = dir.join("a.gate");
    let bad = dir.join("b.gate");
    std::fs::write(&good, "tiers   low\n").unwrap();
    std::fs::write(&bad, "rule r {\n  deny change.size > 1\n}\n").unwrap();
    let o = shipgate(&["fmt", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains(&format!("{}:2:8", bad.display())),
        "{}",
        stderr(&o)
    );
    // Neither file was written: the good one waits for the bad one to be fixed.
    assert_eq!(std::fs::read_to_string(&good).unwrap(), "tiers   low\n");
    assert_eq!(
        std::fs::read_to_string(&bad).unwrap(),
        "rule r {\n  deny change.size > 1\n}\n"
    );
}

#[test]
fn test_runs_the_payments_suite_and_every_rule_is_exercised() {
    let o = shipgate(&["test", "policies/payments/tests"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.ends_with("11 passed, 0 failed\n"), "{out}");
    assert!(!out.contains("Not exercised"), "{out}");
    let o = shipgate(&["test", "policies/payments/tests", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(11), Some(0))
    );
    assert_eq!(v["not_exercised"], serde_json::json!([]));
}

#[test]
fn test_reports_a_diff_per_failing_key_and_the_rules_left_unexercised() {
    let dir = tempdir();
    let root = root().canonicalize().unwrap();
    let case = format!(
        "policy: {p}/policies/payments\ncatalog: {p}/policies/catalog.yaml\n\
         now: 2026-12-18T09:00:00Z\n\
         change: {p}/policies/changes/chg-1046-partner-api.json\n\
         cases:\n\
         \x20 - name: right\n    expected: {{verdict: deny, reasons: [separation_of_duties, third_party_contracts]}}\n\
         \x20 - name: wrong\n    expected: {{verdict: allow, tier: high, reasons: [ticket_required], \
         schedule: {{allowed: false, next_window: {{start: \"2026-12-03T16:00:00Z\", \
         end: \"2026-12-03T20:00:00Z\"}}}}}}\n",
        p = root.display()
    );
    std::fs::write(dir.join("partner.yaml"), case).unwrap();
    let o = shipgate(&["test", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("ok    ") && out.contains("  right\n"), "{out}");
    assert!(out.contains("FAIL  ") && out.contains("  wrong\n"), "{out}");
    for want in [
        "        verdict:\n          - expected \"allow\"\n          + got      \"deny\"\n",
        "        tier:\n          - expected \"high\"\n          + got      \"low\"\n",
        "          - expected [\"ticket_required\"]\n          + got      [\"separation_of_duties\",\"third_party_contracts\"]\n",
        "        schedule.allowed:\n          - expected false\n          + got      true\n",
        "Not exercised by any case:\n  rule  cab_review",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // A schedule key that matches is no mismatch.
    assert!(!out.contains("schedule.next_window"), "{out}");
    // Rules that fired are exercised; the rule that never did is listed.
    assert!(!out.contains("rule  separation_of_duties"), "{out}");
    assert!(out.ends_with("1 passed, 1 failed\n"), "{out}");
}

#[test]
fn test_errors_in_case_files_name_the_file_and_the_yaml_path() {
    let dir = tempdir();
    let file = dir.join("bad.yaml");
    for (text, want) in [
        (
            "policy: x\ncases:\n  - expected: {verdict: maybe}\n",
            "cases[0].expected.verdict: expected allow, deny or pending",
        ),
        (
            "cases:\n  - {verdict: deny}\n",
            "cases[0].verdict: unknown key",
        ),
        ("policy: x\ncases: []\n", "cases: the list is empty"),
    ] {
        std::fs::write(&file, text).unwrap();
        let o = shipgate(&["test", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{text}");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{}: {want}", file.display())),
            "{text}: {err}"
        );
    }
}

#[test]
fn lint_exit_codes_follow_the_deny_level() {
    let now = "2026-12-01T09:00:00Z";
    let lint = |policy: &str, extra: &[&str]| {
        let mut args = vec!["lint", "--policy", policy, "--now", now];
        args.extend_from_slice(extra);
        shipgate(&args)
    };
    // Clean: exit 0, also with `--deny warnings`.
    let o = lint("policies/payments", &["--deny", "warnings"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "no findings\n");
    // Warnings only: 0 by default, 1 with `--deny warnings`.
    let warn = "docs/lint/sg-l005-group-unused.gate";
    assert_eq!(lint(warn, &[]).status.code(), Some(0));
    assert_eq!(lint(warn, &["--deny", "warnings"]).status.code(), Some(1));
    // An error-level finding fails by default.
    assert_eq!(
        lint("docs/lint/sg-l004-never-open.gate", &[]).status.code(),
        Some(1)
    );
    // A policy that does not compile: exit 3, the error on standard error.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.gate");
    std::fs::write(&bad, "tiers low, high\ntier hihg when change.size > 1\n").unwrap();
    let o = lint(bad.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("hihg"), "{}", stderr(&o));
}

#[test]
fn lint_json_lists_each_finding_with_code_severity_place_and_message() {
    let o = shipgate(&[
        "lint",
        "--policy",
        "docs/lint/sg-l004-never-open.gate",
        "--now",
        "2026-12-01T09:00:00Z",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{v}");
    assert_eq!(findings[0]["code"], "SG-L004");
    assert_eq!(findings[0]["severity"], "error");
    assert_eq!(findings[0]["at"], "docs/lint/sg-l004-never-open.gate:4:10");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("`frozen`")
    );
    assert!(findings[0]["help"].as_str().is_some());
}
