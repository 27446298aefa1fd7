#![cfg(feature = "peers")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The second race's agreement, as a test: on the whole seeded corpus of 10,000 requests,
//! shipgate, Cedar, the regorus interpreter and the regorus VM report the same denying rules
//! as the Rust model, and every rule denies some requests and not others. The race2 bench
//! checks the same before it times anything.
//!
//! `cargo test -p shipgate-benches --features peers --test race2_agreement -- --nocapture`

use shipgate_benches::peers::check_agreement2;
use shipgate_benches::race2::{RACE2_CORPUS, RULES2, Race2};

#[test]
fn all_engines_agree_on_the_whole_corpus_and_every_rule_denies_both_ways() {
    let race = Race2::new(RACE2_CORPUS).unwrap();
    let coverage = check_agreement2(&race).unwrap();
    assert_eq!(coverage.requests, 10_000);
    for (rule, n) in RULES2.iter().zip(&coverage.denies) {
        println!("{rule}: denies {n} of 10,000");
        // The corpus is seeded: each rule denies at least 0.3% of it, none more than 15%.
        assert!((30..1_500).contains(n), "{rule} denies {n}");
    }
    println!("allowed: {}", coverage.allowed);
}
