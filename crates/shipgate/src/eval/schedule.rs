//! Schedule: whether `[start, end)` fits in the calendars of every region the change touches,
//! and when the next window opens where it does not.

use super::Builder;
use super::prepare::{Facts, Prepared};
use crate::calendar::{CalendarGroup, CalendarSet, Lift, RegionId, tzdb_version};
use crate::check::Compiled;
use crate::decision::*;
use crate::error::{Error, InputError};
use crate::graph::Catalog;
use crate::input::Change;
use crate::time::format_instant;

/// The schedule, and the names of the blackouts lifted (`exempt blackout`) that met the
/// change's run in any of its regions, each once.
pub struct Scheduled {
    pub schedule: Schedule,
    pub lifted: Vec<Text>,
}

// One step of a decision: inlined into it, as it was before the split into phases.
#[inline]
pub fn schedule<const EXPLAIN: bool>(
    policy: &Compiled,
    change: &Change,
    catalog: &Catalog,
    prep: &Prepared<'_>,
    lift: Lift,
    b: &mut Builder<EXPLAIN>,
) -> Result<Scheduled, Error> {
    let cals = &policy.ir.calendars;
    let start = prep.start_at;
    let Some(end) = chrono::DateTime::from_timestamp(prep.end, 0) else {
        return Err(InputError::new(
            "change.duration",
            "the change would end outside the range of supported dates",
        )
        .into());
    };
    let region_text = |i: usize, r: &str| {
        prep.region_texts
            .get(i)
            .cloned()
            .unwrap_or_else(|| Text::new(r))
    };
    let mut regions = Vec::with_capacity(prep.regions.len());
    let mut allowed = true;
    let mut blocked: Vec<String> = Vec::new();
    // Where the first blocked region's first blocker is declared: the schedule reason's `at`.
    let mut blocked_at: Option<Text> = None;
    let mut lifted: Vec<Text> = Vec::new();
    let mut reported: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut start_refused = false;
    // The regions found, for the whole change's window.
    let mut ids: smallvec::SmallVec<[RegionId; 4]> = smallvec::SmallVec::new();
    for (i, r) in prep.regions.iter().enumerate() {
        let id = if cals.has_regions() {
            cals.region(r)
        } else {
            None
        };
        let Some(id) = id else {
            if !cals.has_regions() {
                regions.push(RegionSchedule {
                    region: region_text(i, r),
                    open: true,
                    blocked_by: Vec::new(),
                    next_window: None,
                });
                continue;
            }
            return Err(unknown_region(cals, change, catalog, &prep.services, i, r));
        };
        ids.push(id);
        let check = cals.check(id, start, end, lift);
        for name in check.lifted {
            if !lifted.iter().any(|l| *l == name) {
                lifted.push(Text::from(name));
            }
        }
        let next_window = check.next_window.map(|(start, end)| Stretch { start, end });
        if !check.open {
            allowed = false;
            if blocked_at.is_none() {
                blocked_at = check.blocked_at.map(Text::from);
            }
            let when = match &next_window {
                Some(w) => format!("next window starts {}", format_instant(w.start)),
                None => format!(
                    "no window in the next {} days",
                    crate::calendar::HORIZON_DAYS
                ),
            };
            let phrase = blocked_phrase(&check.blocked_by);
            // A start inside an open window whose run overruns it: say where the window ends
            // (SPEC 8.3), not that the start is refused.
            let overrun = cals
                .next_window(id, start, 1, lift)
                .filter(|(from, _)| from.timestamp() == start.timestamp())
                .map(|(_, until)| format_instant(until));
            let what = match overrun {
                Some(until) if phrase == crate::calendar::OUTSIDE_WINDOWS => {
                    format!("runs past the window's end at {until}")
                }
                Some(until) => format!("runs past the window's end at {until} ({phrase})"),
                None => {
                    start_refused = true;
                    phrase
                }
            };
            // A region named twice is checked twice, but said once in the reason.
            if reported.insert(r.as_str()) {
                blocked.push(format!("{r}: {what}; {when}"));
            }
        }
        if EXPLAIN {
            let at = cals.region_at(id).map(|at| at.as_ref()).unwrap_or_default();
            b.trace(
                TraceKind::Schedule,
                r,
                if check.open { "open" } else { "blocked" },
                at,
            );
        }
        regions.push(RegionSchedule {
            region: region_text(i, r),
            open: check.open,
            blocked_by: check.blocked_by.into_iter().map(Text::from).collect(),
            next_window,
        });
    }
    // A policy with calendars cannot let a change through that names no region: no calendar
    // could have been consulted, and the engine fails closed.
    if prep.regions.is_empty() && cals.has_regions() {
        allowed = false;
        start_refused = true;
        // No calendar was consulted: point at the regions the change could have named.
        blocked_at = cals
            .first_region_at()
            .map(|at| Text::from(std::sync::Arc::clone(at)));
        blocked.push(
            "the change touches no region (give `regions` on the change or on its services), \
             so no calendar can allow it"
                .to_string(),
        );
    }
    let next_window = if prep.regions.is_empty() && cals.has_regions() {
        // No time would let it through.
        None
    } else if allowed {
        // Every region fits from the start: the common stretch ends where the first of the
        // regions' stretches ends (no search needed).
        let first_to_end = regions
            .iter()
            .filter_map(|r| r.next_window.as_ref())
            .min_by_key(|w| w.end);
        match first_to_end {
            Some(w) => Some(w.clone()),
            None => whole_change_window(cals, &ids, start, prep.end, lift),
        }
    } else {
        whole_change_window(cals, &ids, start, prep.end, lift)
    };
    if !allowed {
        b.reasons.push(Reason {
            rule: Text::new_static("schedule"),
            message: Text::from(format!(
                "{}: {}",
                if start_refused {
                    "the requested start is not allowed"
                } else {
                    "the change does not fit the window it starts in"
                },
                blocked.join("; ")
            )),
            at: blocked_at.unwrap_or_default(),
        });
    }
    Ok(Scheduled {
        schedule: Schedule {
            start,
            end,
            allowed,
            next_window,
            tzdb: Text::new_static(tzdb_version()),
            regions,
        },
        lifted,
    })
}

/// The input error for the change's `i`-th region `r`, which the policy does not declare,
/// at the path it came from (the change's `regions`, or the service that runs there).
fn unknown_region(
    cals: &CalendarSet,
    change: &Change,
    catalog: &Catalog,
    services: &[u32],
    i: usize,
    r: &str,
) -> Error {
    let path = match &change.regions {
        Some(_) => format!("change.regions[{i}]"),
        None => {
            let owner = services
                .iter()
                .filter_map(|s| catalog.service(*s).map(|svc| (s, svc)))
                .find(|(_, svc)| svc.regions.iter().any(|x| x == r));
            match owner {
                Some((s, _)) => format!("catalog.services[{s}].regions"),
                None => "change.regions".into(),
            }
        }
    };
    InputError::new(path, cals.unknown_region(r)).into()
}

/// Every calendar that applies to a change in these regions: each region's, in the order of
/// the regions and of their `uses`, each once. The whole change must fit all of them at once.
fn applying(cals: &CalendarSet, regions: &[RegionId]) -> CalendarGroup {
    regions
        .iter()
        .flat_map(|&r| cals.region_calendars(r).iter().copied())
        .collect()
}

/// Every calendar that applies to the prepared change (see [`applying`]); `None` when no
/// calendar can allow it (a policy with regions, a change touching none). A region the
/// policy does not declare is the decision's input error.
pub fn applying_calendars(
    policy: &Compiled,
    facts: &Facts<'_>,
    change: &Change,
    catalog: &Catalog,
) -> Result<Option<CalendarGroup>, Error> {
    let cals = &policy.ir.calendars;
    if !cals.has_regions() {
        return Ok(Some(CalendarGroup::new()));
    }
    if facts.regions.is_empty() {
        return Ok(None);
    }
    let mut ids = Vec::with_capacity(facts.regions.len());
    for (i, r) in facts.regions.iter().enumerate() {
        match cals.region(r) {
            Some(id) => ids.push(id),
            None => return Err(unknown_region(cals, change, catalog, &facts.services, i, r)),
        }
    }
    Ok(Some(applying(cals, &ids)))
}

/// The earliest stretch at or after `start` where the whole change (until `end`, in UTC
/// seconds) fits every calendar of all its regions at once (SPEC 8.3).
fn whole_change_window(
    cals: &CalendarSet,
    regions: &[RegionId],
    start: crate::time::Instant,
    end: i64,
    lift: Lift,
) -> Option<Stretch> {
    let group = applying(cals, regions);
    // As a region's check counts it: whole seconds, and a zero-length change as one second.
    let duration = (end - start.timestamp()).max(1);
    cals.group_next_window(group.ids(), start, duration, lift)
        .map(|(start, end)| Stretch { start, end })
}

/// `blocked by year-end freeze and outside windows`: blackouts are what blocks; being outside
/// the windows or the calendar range is a state, not a blocker, so it is not "blocked by".
fn blocked_phrase(blocked_by: &[String]) -> String {
    use crate::calendar::{OUTSIDE_RANGE, OUTSIDE_WINDOWS};
    let (states, blackouts): (Vec<&str>, Vec<&str>) = blocked_by
        .iter()
        .map(String::as_str)
        .partition(|b| *b == OUTSIDE_WINDOWS || *b == OUTSIDE_RANGE);
    let mut parts = Vec::with_capacity(2);
    if !blackouts.is_empty() {
        parts.push(format!("blocked by {}", blackouts.join(", ")));
    }
    parts.extend(states.into_iter().map(str::to_string));
    parts.join(" and ")
}
