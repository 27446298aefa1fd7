//! Schedule: whether `[start, end)` fits in the calendars of every region the change touches,
//! of its services (`services where`, a catalog entry's `calendars`) and of the change itself
//! (`changes where`), and when the next window opens where it does not.

use super::Builder;
use super::expr::Ctx;
use super::prepare::{Facts, Prepared};
use super::value::Value;
use crate::calendar::{
    CalendarGroup, CalendarId, CalendarSet, GroupCheck, HORIZON_DAYS, Lift, RegionId, tzdb_version,
    unconstrained_window,
};
use crate::check::Compiled;
use crate::decision::*;
use crate::error::{Error, InputError};
use crate::graph::Catalog;
use crate::input::Change;
use crate::time::{format_instant, year_after};

/// The schedule, and the names of the blackouts lifted (`exempt blackout`) that met the
/// change's run in any of its regions, each once. A lean decision (`FULL` false) leaves the
/// schedule's lists and window empty and `lifted` too: only its reason counts.
pub struct Scheduled {
    pub schedule: Schedule,
    pub lifted: Vec<Text>,
}

/// The calendars that apply to the change besides its regions' (SPEC 8.3).
#[derive(Default)]
pub struct Scoped {
    /// Each touched service with calendars of its own: its catalog index, those calendars,
    /// and where the first `services where` that gave it any is declared.
    pub services: Vec<(u32, CalendarGroup, Option<Text>)>,
    /// The calendars of the `changes where` whose condition holds, and where the first of
    /// them is declared.
    pub change: Option<(CalendarGroup, Text)>,
}

impl Scoped {
    /// Every calendar of the services and of the change.
    pub fn calendars(&self) -> impl Iterator<Item = CalendarId> + '_ {
        let services = self
            .services
            .iter()
            .flat_map(|(_, g, _)| g.ids().iter().copied());
        let change = self
            .change
            .iter()
            .flat_map(|(g, _)| g.ids().iter().copied());
        services.chain(change)
    }
}

/// Which `services where` hold for each touched service (the service bound to the
/// condition's slot) and which `changes where` hold; with the catalog's `calendars`. A
/// condition that cannot be evaluated applies its calendars and denies (fails closed).
#[inline]
pub fn scopes<'a, const EXPLAIN: bool>(ctx: &mut Ctx<'a>, b: &mut Builder<EXPLAIN>) -> Scoped {
    // Most policies and catalogs have no scope: nothing to evaluate, and the code that would
    // stays out of the decision's hot path (it is not inlined into it).
    if ctx.ir.service_scopes.is_empty()
        && ctx.ir.change_scopes.is_empty()
        && ctx.prep.catalog_calendars.is_empty()
    {
        return Scoped::default();
    }
    scopes_of(ctx, b)
}

#[inline(never)]
fn scopes_of<'a, const EXPLAIN: bool>(ctx: &mut Ctx<'a>, b: &mut Builder<EXPLAIN>) -> Scoped {
    // Fields are evaluated in the order written: the services' conditions first.
    Scoped {
        services: service_scopes(ctx, b),
        change: change_scopes(ctx, b),
    }
}

/// The calendars of each touched service: the `services where` that hold for it and its
/// catalog entry's (see [`scopes`]).
#[allow(clippy::type_complexity)]
pub fn service_scopes<'a, const EXPLAIN: bool>(
    ctx: &mut Ctx<'a>,
    b: &mut Builder<EXPLAIN>,
) -> Vec<(u32, CalendarGroup, Option<Text>)> {
    let ir = ctx.ir;
    let prep = ctx.prep;
    let mut services = Vec::new();
    if !ir.service_scopes.is_empty() || !prep.catalog_calendars.is_empty() {
        for &idx in prep.services.iter() {
            let mut group = CalendarGroup::new();
            let mut first_at = None;
            let catalog: &'a Catalog = ctx.catalog;
            let Some(service) = catalog.service(idx) else {
                continue;
            };
            for scope in &ir.service_scopes {
                let slot = usize::from(scope.slot);
                if let Some(bound) = ctx.bound.get_mut(slot) {
                    *bound = Some(service);
                }
                ctx.bind(slot, Value::Service(idx));
                let holds = match ctx.cond(&scope.cond) {
                    Ok(holds) => holds,
                    Err(e) => {
                        let what = format!("`services where` for service {}", service.id);
                        b.fail_closed("schedule", &what, &e, &scope.at);
                        true
                    }
                };
                b.trace_with(
                    TraceKind::Schedule,
                    "services where",
                    || format!("{}: {}", service.id, super::outcome(holds)),
                    &scope.at,
                );
                if holds {
                    group.extend(scope.calendars.iter().copied());
                    first_at.get_or_insert_with(|| scope.at.clone());
                }
            }
            if let Some((_, own)) = prep.catalog_calendars.iter().find(|(s, _)| *s == idx) {
                group.extend(own.ids().iter().copied());
            }
            if !group.ids().is_empty() {
                services.push((idx, group, first_at));
            }
        }
    }
    services
}

/// Which `changes where` hold for the change (see [`scopes`]).
fn change_scopes<const EXPLAIN: bool>(
    ctx: &mut Ctx<'_>,
    b: &mut Builder<EXPLAIN>,
) -> Option<(CalendarGroup, Text)> {
    let ir = ctx.ir;
    let mut group = CalendarGroup::new();
    let mut first_at = None;
    for scope in &ir.change_scopes {
        let holds = match ctx.cond(&scope.cond) {
            Ok(holds) => holds,
            Err(e) => {
                b.fail_closed("schedule", "`changes where`", &e, &scope.at);
                true
            }
        };
        b.trace(
            TraceKind::Schedule,
            "changes where",
            super::outcome(holds),
            &scope.at,
        );
        if holds {
            group.extend(scope.calendars.iter().copied());
            first_at.get_or_insert_with(|| scope.at.clone());
        }
    }
    first_at.map(|at| (group, at))
}

/// Starts the next part of a schedule reason: `; ` after the parts before it.
fn part(blocked: &mut String) {
    if !blocked.is_empty() {
        blocked.push_str("; ");
    }
}

/// Appends to `out` why a group that does not hold the change keeps it out, as a schedule
/// reason says it: `blocked by X; next window starts T`, or that the run overruns the window
/// it starts in; and returns whether that refuses the start itself. Written in place: a
/// blocked decision says this for each region, and the pieces would each be a string.
fn write_blocked(out: &mut String, check: &GroupCheck) -> bool {
    use crate::calendar::OUTSIDE_WINDOWS;
    // A start inside an open window whose run overruns it: say where the window ends
    // (SPEC 8.3), not that the start is refused.
    let refused = match check.open_until {
        Some(until) => {
            out.push_str("runs past the window's end at ");
            push_instant(out, until);
            if !matches!(check.blocked_by.as_slice(), [only] if only == OUTSIDE_WINDOWS) {
                out.push_str(" (");
                write_phrase(out, &check.blocked_by);
                out.push(')');
            }
            false
        }
        None => {
            write_phrase(out, &check.blocked_by);
            true
        }
    };
    out.push_str("; ");
    match &check.next_window {
        Some((w, _)) => {
            out.push_str("next window starts ");
            push_instant(out, *w);
        }
        None => {
            use std::fmt::Write as _;
            let days = crate::calendar::HORIZON_DAYS;
            let _ = write!(out, "no window in the next {days} days");
        }
    }
    refused
}

/// An instant as decisions write it (`2026-12-01T10:00:00Z`), appended without a string of
/// its own.
fn push_instant(out: &mut String, t: crate::time::Instant) {
    match crate::time::utc_seconds(t.timestamp()) {
        Some(text) => out.push_str(text.as_str()),
        None => out.push_str(&format_instant(t)),
    }
}

// One step of a decision: inlined into it, as it was before the split into phases.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn schedule<const EXPLAIN: bool, const FULL: bool>(
    policy: &Compiled,
    change: &Change,
    catalog: &Catalog,
    prep: &Prepared<'_>,
    lift: Lift,
    scoped: &Scoped,
    b: &mut Builder<EXPLAIN>,
) -> Result<Scheduled, Error> {
    let cals = &policy.ir.calendars;
    let start = prep.start_at;
    let Some(end) = crate::time::seconds_after(start, prep.end - prep.start) else {
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
    // Inline for one region; for more, the vector made at its size (growing a `SmallVec`
    // out of its inline room takes a slower path).
    let mut regions: SmallVec<[RegionSchedule; 1]> = match prep.regions.len() {
        n if FULL && n > 1 => SmallVec::from_vec(Vec::with_capacity(n)),
        _ => SmallVec::new(),
    };
    let mut allowed = true;
    // The reason's parts, `; ` between them.
    let mut blocked = String::new();
    // Where the first blocked region's first blocker is declared: the schedule reason's `at`.
    let mut blocked_at: Option<Text> = None;
    let mut lifted: Vec<Text> = Vec::new();
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
                if !FULL {
                    continue;
                }
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
        if FULL {
            for name in &check.lifted {
                if !lifted.iter().any(|l| l == name) {
                    lifted.push(Text::from(name.as_str()));
                }
            }
        }
        if !check.open {
            allowed = false;
            if blocked_at.is_none() {
                blocked_at = check.blocked_at.clone().map(Text::from);
            }
            // A region named twice is checked twice, but said once in the reason.
            if !prep.regions[..i].contains(r) {
                part(&mut blocked);
                blocked.push_str(r);
                blocked.push_str(": ");
                start_refused |= write_blocked(&mut blocked, &check);
            }
        }
        if !FULL {
            continue;
        }
        let next_window = check.next_window.map(|(start, end)| Stretch { start, end });
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
        part(&mut blocked);
        blocked.push_str(
            "the change touches no region (give `regions` on the change or on its services), \
             so no calendar can allow it",
        );
    }
    let mut state = Blocking {
        allowed,
        blocked,
        blocked_at,
        lifted,
        start_refused,
    };
    // The calendars of the touched services and of the change: none in most policies, and
    // then their code stays out of the decision's path.
    let (services, change_schedule) = if scoped.services.is_empty() && scoped.change.is_none() {
        (Vec::new(), None)
    } else {
        scoped_schedules::<EXPLAIN, FULL>(cals, catalog, scoped, start, end, lift, &mut state, b)
    };
    let Blocking {
        allowed,
        blocked,
        blocked_at,
        lifted,
        start_refused,
    } = state;
    let next_window = if !FULL {
        // Only a full decision states the window.
        None
    } else if prep.regions.is_empty() && cals.has_regions() {
        // No time would let it through.
        None
    } else if !cals.has_regions() && services.is_empty() && change_schedule.is_none() {
        // No calendar applies (a policy without calendars): the change fits from its start
        // to the horizon, with no search and no conversion of its start.
        unconstrained_window(prep.start, (prep.end - prep.start).max(1)).map(|(a, b)| {
            let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
            // Mostly from the start to the horizon a year after it: the start moved by a
            // year, not a second count converted back to a date.
            let from_start = a == prep.start;
            let end = match from_start && b == prep.start.saturating_add(HORIZON_DAYS * 86_400) {
                true => year_after(start).unwrap_or_else(|| at(b)),
                false => at(b),
            };
            Stretch {
                start: if from_start { start } else { at(a) },
                end,
            }
        })
    } else if allowed {
        // Every region fits from the start: the common stretch ends where the first of the
        // regions' stretches ends (no search needed).
        let first_to_end = regions
            .iter()
            .filter_map(|r| r.next_window.as_ref())
            .chain(services.iter().filter_map(|s| s.next_window.as_ref()))
            .chain(
                change_schedule
                    .iter()
                    .filter_map(|c| c.next_window.as_ref()),
            )
            .min_by_key(|w| w.end);
        match first_to_end {
            Some(w) => Some(w.clone()),
            None => whole_change_window(cals, &ids, scoped, start, prep.end, lift),
        }
    } else if let [first, rest @ ..] = ids.as_slice()
        && rest.iter().all(|r| r == first)
        && services.is_empty()
        && change_schedule.is_none()
    {
        // One region's calendars apply: the whole change's window is the region's, which
        // its check found for the same run.
        regions.first().and_then(|r| r.next_window.clone())
    } else {
        whole_change_window(cals, &ids, scoped, start, prep.end, lift)
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
                blocked
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
            services,
            change: change_schedule,
        },
        lifted,
    })
}

/// What the checks so far found against the change: whether it is allowed, the reason's
/// parts and where its first blocker is declared, the blackouts lifted, and whether the
/// start itself is refused (not only the run overrunning its window).
struct Blocking {
    allowed: bool,
    blocked: String,
    blocked_at: Option<Text>,
    lifted: Vec<Text>,
    start_refused: bool,
}

/// The schedules of the touched services with calendars of their own and of the change's
/// calendars (`changes where`), each group in one check, adding what blocks to `state`.
/// Out of line: most policies have no scope, and their decisions should not carry this code.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn scoped_schedules<const EXPLAIN: bool, const FULL: bool>(
    cals: &CalendarSet,
    catalog: &Catalog,
    scoped: &Scoped,
    start: crate::time::Instant,
    end: crate::time::Instant,
    lift: Lift,
    state: &mut Blocking,
    b: &mut Builder<EXPLAIN>,
) -> (Vec<ServiceSchedule>, Option<Box<ChangeSchedule>>) {
    let mut scoped_check = |group: &CalendarGroup,
                            scope_at: Option<&Text>,
                            name: &dyn Fn() -> String,
                            b: &mut Builder<EXPLAIN>| {
        let check = cals.check_group(group.ids(), start, end, lift, None);
        if FULL {
            for name in &check.lifted {
                if !state.lifted.iter().any(|l| l == name) {
                    state.lifted.push(Text::from(name.as_str()));
                }
            }
        }
        if !check.open {
            state.allowed = false;
            if state.blocked_at.is_none() {
                state.blocked_at = check
                    .blocked_at
                    .clone()
                    .map(Text::from)
                    .or_else(|| scope_at.cloned());
            }
            part(&mut state.blocked);
            state.blocked.push_str(&name());
            state.blocked.push_str(": ");
            state.start_refused |= write_blocked(&mut state.blocked, &check);
        }
        if EXPLAIN {
            b.trace(
                TraceKind::Schedule,
                name(),
                if check.open { "open" } else { "blocked" },
                scope_at.map(Text::as_str).unwrap_or_default(),
            );
        }
        let names = match FULL {
            true => group
                .ids()
                .iter()
                .map(|&c| Text::new(cals.calendar_name(c)))
                .collect(),
            false => Vec::new(),
        };
        (check, names)
    };
    let mut services = Vec::with_capacity(if FULL { scoped.services.len() } else { 0 });
    for (idx, group, at) in &scoped.services {
        let id = catalog.service(*idx).map_or("", |s| s.id.as_str());
        let (check, calendars) = scoped_check(group, at.as_ref(), &|| format!("service {id}"), b);
        if !FULL {
            continue;
        }
        services.push(ServiceSchedule {
            service: Text::new(id),
            calendars,
            open: check.open,
            blocked_by: check.blocked_by.into_iter().map(Text::from).collect(),
            next_window: check.next_window.map(|(start, end)| Stretch { start, end }),
        });
    }
    let change = scoped.change.as_ref().and_then(|(group, at)| {
        let (check, calendars) =
            scoped_check(group, Some(at), &|| "the change's calendars".to_string(), b);
        FULL.then(|| {
            Box::new(ChangeSchedule {
                calendars,
                open: check.open,
                blocked_by: check.blocked_by.into_iter().map(Text::from).collect(),
                next_window: check.next_window.map(|(start, end)| Stretch { start, end }),
            })
        })
    });
    (services, change)
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
    region_calendars(cals, regions).collect()
}

/// The calendars of these regions, region by region, in the order of their `uses`.
fn region_calendars<'a>(
    cals: &'a CalendarSet,
    regions: &'a [RegionId],
) -> impl Iterator<Item = CalendarId> + 'a {
    regions
        .iter()
        .flat_map(|&r| cals.region_calendars(r).iter().copied())
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
/// seconds) fits every calendar of all its regions, of its services and of the change
/// itself at once (SPEC 8.3). Out of line: the decision's path stays short.
#[inline(never)]
fn whole_change_window(
    cals: &CalendarSet,
    regions: &[RegionId],
    scoped: &Scoped,
    start: crate::time::Instant,
    end: i64,
    lift: Lift,
) -> Option<Stretch> {
    // As a region's check counts it: whole seconds, and a zero-length change as one second.
    let duration = (end - start.timestamp()).max(1);
    // On the stack: a few regions of a few calendars each, mostly.
    let mut group: smallvec::SmallVec<[CalendarId; 8]> = region_calendars(cals, regions).collect();
    if !scoped.services.is_empty() || scoped.change.is_some() {
        group.extend(scoped.calendars());
    }
    cals.group_next_window(&group, start, duration, lift)
        .map(|(start, end)| Stretch { start, end })
}

/// `blocked by year-end freeze and outside windows`: blackouts are what blocks; being outside
/// the windows or the calendar range is a state, not a blocker, so it is not "blocked by".
/// Appended to `out`.
fn write_phrase(out: &mut String, blocked_by: &[String]) {
    use crate::calendar::{OUTSIDE_RANGE, OUTSIDE_WINDOWS};
    let is_state = |b: &&String| *b == OUTSIDE_WINDOWS || *b == OUTSIDE_RANGE;
    let mut first = true;
    for b in blocked_by.iter().filter(|b| !is_state(b)) {
        out.push_str(if first { "blocked by " } else { ", " });
        out.push_str(b);
        first = false;
    }
    for b in blocked_by.iter().filter(is_state) {
        if !first {
            out.push_str(" and ");
        }
        out.push_str(b);
        first = false;
    }
}
