//! Catalog JSON and YAML: the direct reader and the `Value` tree must agree; a catalog that
//! reads answers its graph queries (dependents, waves) without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipgate::{Error, Format};
use shipgate_fuzz::{check_error, read_catalog};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Json, Format::Yaml] {
        let Some(catalog) = read_catalog(text, format) else {
            continue;
        };
        let ids: Vec<&str> = catalog
            .services()
            .iter()
            .take(8)
            .map(|s| s.id.as_str())
            .collect();
        for result in [
            catalog.transitive_dependents(&ids),
            catalog.transitive_dependencies(&ids),
        ] {
            match result {
                Ok(found) => assert!(found.iter().all(|id| catalog.contains(id))),
                Err(e) => check_error(&Error::Input(e)),
            }
        }
        match catalog.deployment_waves(&ids) {
            Ok(waves) => {
                let n: usize = waves.iter().map(Vec::len).sum();
                assert_eq!(n, ids.len(), "waves lose or repeat services");
            }
            Err(e) => check_error(&Error::Input(e)),
        }
        let _ = catalog.to_dot();
        let _ = catalog.to_mermaid();
        let _ = catalog.to_graph_json();
    }
});
