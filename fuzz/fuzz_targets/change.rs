//! Change JSON and YAML: `Change::from_text` (a direct reader for JSON) must agree with
//! `parse_document` + `Change::from_json` (the `Value` tree), fail with a located input error,
//! and a list reader must do the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipgate::{Error, Format};
use shipgate_fuzz::{check_error, read_change};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Json, Format::Yaml] {
        read_change(text, format);
        match shipgate::changes_from_text(text, format) {
            Ok(list) => assert!(!list.is_empty() || text.contains('[')),
            Err(e) => check_error(&Error::Input(e)),
        }
    }
});
