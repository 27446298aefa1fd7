//! `evaluate` end to end: a fixed policy set (policies/payments, or the policy of one case of
//! tests/cases) decides a fuzzed change against a fuzzed or the fixed catalog at a fuzzed
//! `now`. Every decision must be well formed, equal to the reference evaluator's and to a
//! session's; every error precise.
//!
//! Input: byte 0 flags (1: explain, 2: change in YAML, 4: catalog in YAML), bytes 1-4 `now` as
//! little-endian seconds after 2026-01-01 (modulo three years), byte 5 the policy (0:
//! policies/payments, n: the n-th folder of tests/cases in byte order), then the change text,
//! then optionally a NUL byte and the catalog text (otherwise the policy's own catalog).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shipgate::{Catalog, Engine, Format};
use shipgate_fuzz::{evaluate_and_check, instant, read_catalog, read_change, repo_root};

struct Fixed {
    engine: Engine,
    catalog: Catalog,
}

fn load(policy: &Path, catalog: &Path) -> Option<Fixed> {
    let engine = Engine::from_path(policy).ok()?;
    let catalog = if catalog.is_file() {
        Catalog::from_path(catalog).ok()?
    } else {
        Catalog::from_json(&serde_json::json!({"services": []})).ok()?
    };
    Some(Fixed { engine, catalog })
}

/// Index 0 is the example policy set; then every case folder, sorted, `None` for a case whose
/// policy does not compile (an error case), so that indices match scripts/fuzz-seed.
fn policies() -> &'static [Option<Fixed>] {
    static ALL: OnceLock<Vec<Option<Fixed>>> = OnceLock::new();
    ALL.get_or_init(|| {
        let root = repo_root();
        let mut all = vec![load(
            &root.join("policies/payments"),
            &root.join("policies/catalog.yaml"),
        )];
        assert!(all[0].is_some(), "policies/payments does not compile");
        let mut cases: Vec<_> = std::fs::read_dir(root.join("tests/cases"))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        cases.sort();
        for case in cases {
            all.push(load(&case, &case.join("catalog.json")));
        }
        all
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let flags = data[0];
    let secs = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let now = instant(i64::from(secs % (3 * 365 * 86_400)));
    let all = policies();
    let Some(fixed) = &all[usize::from(data[5]) % all.len()] else {
        return;
    };
    let rest = &data[6..];
    let (change_bytes, catalog_bytes) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let format = |bit: u8| {
        if flags & bit != 0 {
            Format::Yaml
        } else {
            Format::Json
        }
    };
    let Ok(change_text) = std::str::from_utf8(change_bytes) else {
        return;
    };
    let Some(change) = read_change(change_text, format(2)) else {
        return;
    };
    let fuzzed_catalog;
    let catalog = match catalog_bytes {
        None => &fixed.catalog,
        Some(bytes) => {
            let Ok(text) = std::str::from_utf8(bytes) else {
                return;
            };
            let Some(c) = read_catalog(text, format(4)) else {
                return;
            };
            fuzzed_catalog = c;
            &fuzzed_catalog
        }
    };
    evaluate_and_check(&fixed.engine, &change, catalog, now, flags & 1 != 0);
});
