use super::*;

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("service_number_{i}")).collect()
}

#[test]
fn did_you_mean_still_suggests_near_names() {
    let names = names(1000);
    let found = did_you_mean("service_nubmer_999", names.iter().map(String::as_str));
    assert_eq!(found.as_deref(), Some("did you mean `service_number_999`?"));
    assert_eq!(
        did_you_mean("hihg", ["high", "low"]).as_deref(),
        Some("did you mean `high`?")
    );
}

#[test]
fn did_you_mean_skips_long_names_and_long_candidates() {
    let long = "x".repeat(100_000);
    assert_eq!(did_you_mean(&long, [long.as_str(), "xxx"]), None);
    let over = "s".repeat(MAX_SUGGESTED_NAME + 1);
    let at_most = "s".repeat(MAX_SUGGESTED_NAME);
    assert_eq!(did_you_mean(&over, [at_most.as_str()]), None);
    assert!(did_you_mean(&at_most, [over.as_str()]).is_some());
    // A long candidate is skipped, not compared.
    let long_candidate = format!("service_number_1{}", "x".repeat(100_000));
    assert_eq!(
        did_you_mean("service_number_1x", [long_candidate.as_str()]),
        None
    );
}

#[test]
fn did_you_mean_stops_after_a_fixed_amount_of_work_per_name() {
    // Each comparison costs (15 + 1) * (c + 1) pairs: the first candidates are compared, the
    // 200,000th is not.
    let mut names = names(200_000);
    names.push("deployment_gate".into());
    let found = did_you_mean("deploymnet_gate", names.iter().map(String::as_str));
    assert_eq!(found, None);
    names.swap(10, 200_000);
    let found = did_you_mean("deploymnet_gate", names.iter().map(String::as_str));
    assert_eq!(found.as_deref(), Some("did you mean `deployment_gate`?"));
}

#[test]
fn did_you_mean_work_is_bounded_per_compilation() {
    let names = names(1000);
    let suggest = |i: usize| {
        did_you_mean(
            &format!("service_nubmer_{i}"),
            names.iter().map(String::as_str),
        )
        .is_some()
    };
    // 1,000 candidates of about 18 characters: about 360,000 pairs a name, so the budget of
    // one compilation covers the first few dozen names and no more.
    let found = suggestion_budget(|| (0..1000).filter(|&i| suggest(i)).count());
    assert!(found > 10 && found < 100, "{found}");
    // The budget was that compilation's: outside it, suggestions are made again.
    assert!(suggest(999));
    // And a new compilation has its own.
    assert!(suggestion_budget(|| suggest(1)));
}
