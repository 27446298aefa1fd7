//! Evaluation of the compiled policy set against one change; assembles the Decision.

use crate::check::Compiled;
use crate::decision::Decision;
use crate::error::{Error, InputError};
use crate::graph::Catalog;
use crate::input::{Change, Instant};

pub fn evaluate(
    policy: &Compiled,
    change: &Change,
    catalog: &Catalog,
    now: Instant,
    explain: bool,
) -> Result<Decision, Error> {
    let _ = (policy, change, catalog, now, explain);
    Err(InputError::new("change", "not implemented yet").into())
}

pub fn evaluate_many(
    policy: &Compiled,
    changes: &[Change],
    catalog: &Catalog,
    now: Instant,
) -> Vec<Result<Decision, Error>> {
    changes
        .iter()
        .map(|c| evaluate(policy, c, catalog, now, false))
        .collect()
}

pub fn next_window(
    policy: &Compiled,
    region: &str,
    after: Instant,
    duration_secs: i64,
) -> Result<Option<(Instant, Instant)>, Error> {
    let _ = (policy, region, after, duration_secs);
    Ok(None)
}
