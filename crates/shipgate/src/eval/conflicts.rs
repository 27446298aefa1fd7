//! Conflicts (SPEC 8.4 and 8.8): the scheduled runs that overlap a change's run and touch one
//! of its services, or a service directly depending on, or depended on by, one of them. A
//! scheduled run with the change's own id is the change itself and never conflicts.

use std::collections::HashSet;

use crate::decision::Conflict;
use crate::error::{InputError, did_you_mean, quoted};
use crate::graph::Catalog;
use crate::input::Scheduled;

/// Every service a schedule names must be in the catalog: a misspelt id would otherwise hide
/// a conflict. The error names the run's path (`scheduled.changes[2].services[0]`).
pub fn check_services(scheduled: &Scheduled, catalog: &Catalog) -> Result<(), InputError> {
    for run in scheduled.runs() {
        for (k, s) in run.services.iter().enumerate() {
            if catalog.index_of(s).is_none() {
                let mut message = format!("unknown service {}", quoted(s));
                let ids = catalog.services().iter().map(|s| s.id.as_str());
                if let Some(help) = did_you_mean(s, ids) {
                    message.push_str(&format!(" ({help})"));
                }
                return Err(InputError::new(
                    format!("{}.services[{k}]", run.path()),
                    message,
                ));
            }
        }
    }
    Ok(())
}

/// The services a conflict may come through: the touched ones and their direct neighbours,
/// both ways.
fn related<'c>(catalog: &'c Catalog, touched: &[u32]) -> HashSet<&'c str> {
    let mut out = HashSet::new();
    for &t in touched {
        let near = std::iter::once(t)
            .chain(catalog.depends_on_of(t).iter().copied())
            .chain(catalog.dependents_of(t).iter().copied());
        for s in near {
            if let Some(svc) = catalog.service(s) {
                out.insert(svc.id.as_str());
            }
        }
    }
    out
}

/// The indices of the runs conflicting with change `id` touching `touched` over
/// `[start, end)` (seconds), ascending; and how many runs were looked at (for a budget).
fn conflicting(
    scheduled: &Scheduled,
    related: &HashSet<&str>,
    id: &str,
    start: i64,
    end: i64,
) -> (Vec<u32>, usize) {
    let mut found = Vec::new();
    let mut looked = 0usize;
    for s in related {
        let on = scheduled.on_service(s);
        looked = looked.saturating_add(on.len());
        for &k in on {
            let Some(run) = scheduled.runs().get(k as usize) else {
                continue;
            };
            if run.id != id && run.start.timestamp() < end && start < run.end.timestamp() {
                found.push(k);
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    (found, looked)
}

/// How many scheduled runs conflict (what `change.conflicts` reads), and how many runs and
/// services were looked at.
pub fn count(
    scheduled: &Scheduled,
    catalog: &Catalog,
    id: &str,
    touched: &[u32],
    start: i64,
    end: i64,
) -> (usize, usize) {
    let related = related(catalog, touched);
    let (found, looked) = conflicting(scheduled, &related, id, start, end);
    (found.len(), looked.saturating_add(related.len()))
}

/// The conflicts as the decision lists them: by start, then id, then the order given.
pub fn list(
    scheduled: &Scheduled,
    catalog: &Catalog,
    id: &str,
    touched: &[u32],
    start: i64,
    end: i64,
) -> Vec<Conflict> {
    let related = related(catalog, touched);
    let (found, _) = conflicting(scheduled, &related, id, start, end);
    let mut runs: Vec<(u32, &crate::input::ScheduledRun)> = found
        .into_iter()
        .filter_map(|k| scheduled.runs().get(k as usize).map(|r| (k, r)))
        .collect();
    runs.sort_by(|(ka, a), (kb, b)| (a.start, &a.id, ka).cmp(&(b.start, &b.id, kb)));
    runs.into_iter()
        .map(|(_, r)| Conflict {
            change: r.id.clone(),
            services: r
                .services
                .iter()
                .filter(|s| related.contains(s.as_str()))
                .cloned()
                .collect(),
            start: r.start,
            end: r.end,
            region: r.region.clone(),
        })
        .collect()
}
