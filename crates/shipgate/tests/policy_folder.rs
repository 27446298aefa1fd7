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
