//! Compiles one policy N times, for counting instructions per compile under callgrind
//! (docs/performance.md, "Compile"):
//!
//! `compile_count <file.gate | folder | scale:RULES> [N]`
//!
//! A file is compiled from its text (`Engine::from_source`, as the races' compile case does),
//! a folder from its path (`Engine::from_path`, as the engine bench's), and `scale:RULES` is
//! the scale bench's generated set of RULES rules (`Engine::from_sources`).

#![allow(clippy::unwrap_used)] // a measuring tool stops loudly on bad input

use std::hint::black_box;
use std::path::Path;

use shipgate::Engine;
use shipgate_benches::scale::policy_sources;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(what) = args.next() else {
        eprintln!("usage: compile_count <file.gate | folder | scale:RULES> [N]");
        std::process::exit(2);
    };
    let n: usize = args.next().map_or(1, |s| s.parse().unwrap_or(1));
    if let Some(rules) = what.strip_prefix("scale:") {
        let rules: usize = rules.parse().unwrap_or(1_000);
        let sources = policy_sources(rules, (rules / 20).max(1));
        for _ in 0..n {
            black_box(Engine::from_sources(black_box(sources.clone()), None).unwrap());
        }
    } else if Path::new(&what).is_dir() {
        for _ in 0..n {
            black_box(Engine::from_path(black_box(&what)).unwrap());
        }
    } else {
        let text = std::fs::read_to_string(&what).unwrap();
        let name = Path::new(&what)
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("policy.gate")
            .to_string();
        for _ in 0..n {
            black_box(Engine::from_source(black_box(&text), &name).unwrap());
        }
    }
}
