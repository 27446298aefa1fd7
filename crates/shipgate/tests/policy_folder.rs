//! Where `ics` imports are read from: the policy folder, never the process's working folder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use shipgate::{Engine, Error};

fn case() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases/calendar-ics-import")
}

fn policy_text() -> String {
    std::fs::read_to_string(case().join("policy.gate")).unwrap()
}

#[test]
fn from_source_rejects_an_ics_import_at_the_import() {
    let text = policy_text();
    let e = match Engine::from_source(&text, "inline.gate") {
        Err(Error::Policy(p)) => p,
        other => panic!("{other:?}"),
    };
    let rendered = e.render(false);
    let line = text
        .lines()
        .position(|l| l.contains("ics \"calendars/holidays.ics\""))
        .unwrap()
        + 1;
    assert!(
        rendered.contains("cannot import `calendars/holidays.ics`: there is no policy folder"),
        "{rendered}"
    );
    assert!(
        rendered.contains(&format!("inline.gate:{line}:")),
        "{rendered}"
    );
}

#[test]
fn from_sources_resolves_ics_against_the_root_given() {
    let files = vec![("policy.gate".to_string(), policy_text())];
    let engine = Engine::from_sources(files, Some(case())).unwrap();
    let from = "2026-12-21T00:00:00Z".parse().unwrap();
    let to = "2026-12-28T00:00:00Z".parse().unwrap();
    let report = engine.calendar("eu-west", from, to).unwrap();
    assert!(
        report
            .blackouts
            .iter()
            .any(|b| b.name == "holidays and reviews"),
        "{report:?}"
    );
    // The same text without a root: no folder is guessed.
    let files = vec![("policy.gate".to_string(), policy_text())];
    assert!(matches!(
        Engine::from_sources(files, None),
        Err(Error::Policy(_))
    ));
}

#[test]
fn from_path_resolves_ics_against_the_file_folder() {
    let engine = Engine::from_path(case().join("policy.gate")).unwrap();
    assert_eq!(engine.regions(), vec!["eu-west".to_string()]);
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "shipgate-policy-folder-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

fn policy_error(result: Result<Engine, Error>) -> shipgate::PolicyError {
    match result {
        Err(Error::Policy(p)) => *p,
        other => panic!("{other:?}"),
    }
}

#[cfg(unix)]
#[test]
fn folder_links_that_form_cycles_are_walked_once() {
    let dir = tempdir();
    std::fs::write(dir.join("p.gate"), "tiers low, high\n").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    // Two links to the folder itself, and one from below back up: every path through them
    // leads to a folder already walked.
    std::os::unix::fs::symlink(".", dir.join("a")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("b")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("sub/up")).unwrap();
    let started = std::time::Instant::now();
    let files = shipgate::policy_files(std::slice::from_ref(&dir)).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(files, vec![dir.join("p.gate")]);
    assert!(Engine::from_path(&dir).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_same_file_named_twice_is_read_once() {
    let dir = tempdir();
    let file = dir.join("p.gate");
    std::fs::write(
        &file,
        "tiers low, high\nrule r {\n  deny when change.emergency\n}\n",
    )
    .unwrap();
    let again = dir.join(".").join("p.gate");
    let paths = [file.clone(), again, dir.clone()];
    assert_eq!(shipgate::policy_files(&paths).unwrap(), vec![file]);
    assert!(Engine::from_paths(&paths).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_pipe_is_refused_as_an_ics_import_and_in_a_policy_folder() {
    let dir = tempdir();
    if !mkfifo(&dir.join("holidays.ics")) {
        return; // no mkfifo on this system
    }
    std::fs::write(
        dir.join("p.gate"),
        "calendar office timezone \"UTC\" {\n  window mon-fri 09:00-17:00\n  blackout \"days\" ics \"holidays.ics\"\n}\n",
    )
    .unwrap();
    // Reading the pipe would wait for a writer forever.
    let rendered = policy_error(Engine::from_path(dir.join("p.gate"))).render(false);
    assert!(
        rendered.contains("cannot import `holidays.ics`: it is not a regular file"),
        "{rendered}"
    );
    assert!(mkfifo(&dir.join("q.gate")));
    let e = Engine::from_path(&dir).unwrap_err().to_string();
    assert!(
        e.ends_with("q.gate: not a regular file (a policy folder holds files)"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn carriage_returns_alone_end_lines() {
    for end in ["\n", "\r\n", "\r"] {
        let text = [
            "# tiers",
            "tiers low, high",
            "rule r {",
            "  deny when change.nope",
            "}",
        ]
        .join(end);
        let e = policy_error(Engine::from_source(&text, "p.gate"));
        let at = e.location_of(&e.diagnostics()[0]).unwrap();
        assert_eq!((at.line, at.column), (4, 20), "{end:?}");
        assert!(e.render(false).contains("p.gate:4:20"), "{end:?}");
    }
}

#[test]
fn an_unknown_region_of_a_policy_without_regions_says_so() {
    let engine = Engine::from_source("tiers low, high", "p.gate").unwrap();
    let from = shipgate::parse_instant("2026-12-01T00:00:00Z").unwrap();
    let to = shipgate::parse_instant("2026-12-02T00:00:00Z").unwrap();
    let e = engine
        .calendar("eu-west", from, to)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "region: unknown region \"eu-west\": the policy declares no regions"
    );
}
