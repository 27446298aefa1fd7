//! iCalendar files, as a policy imports them: the bytes are written to `f.ics` in a private
//! temporary folder and a one-blackout policy with that folder as its root imports it (there
//! is no public in-memory reader; this is the path a real import takes). An import that
//! compiles must answer `calendar`, `next_window` and a decision over the year.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shipgate::Engine;
use shipgate_fuzz::{check_error, check_region_r, instant};

const POLICY: &str = "calendar c timezone \"Europe/Berlin\" {\n  blackout \"imported\" ics \"f.ics\"\n}\nregion r uses c\n";

fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // scripts/fuzz-smoke points TMPDIR at a folder it removes afterwards.
        let dir = std::env::temp_dir().join(format!("shipgate-fuzz-ics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {dir:?}: {e}"));
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = folder();
    std::fs::write(dir.join("f.ics"), data).unwrap_or_else(|e| panic!("cannot write: {e}"));
    let files = vec![("p.gate".to_string(), POLICY.to_string())];
    let engine = match Engine::from_sources(files, Some(dir.clone())) {
        Ok(engine) => engine,
        Err(e) => {
            check_error(&e);
            return;
        }
    };
    check_region_r(&engine, instant(357 * 86_400 + 10 * 3600), 3600);
});
