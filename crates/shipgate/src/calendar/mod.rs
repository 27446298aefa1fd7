//! Windows, blackouts, recurrences and time zones.
//!
//! A [`CalendarSet`] is compiled once per policy set from the `calendar` and `region`
//! declarations. It answers, per region: is `[start, end)` inside one open stretch
//! ([`CalendarSet::check`]), where is the next stretch with room for a change
//! ([`CalendarSet::next_window`]), and what is open or blacked out over a range
//! ([`CalendarSet::view`], [`CalendarSet::to_ics`]). The semantics are in
//! `docs/calendars.md`.
//!
//! Occurrences are expanded per UTC year on first use and cached (`OnceLock`), as sorted,
//! merged intervals per calendar and per region, so a query is a binary search plus a walk
//! over the few stretches it touches.

mod common;
mod compile;
mod ics;
mod index;
mod intervals;
mod names;
mod rules;
mod zone;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod model_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::time::Instant;
use index::{Calendar, DOMAIN_END, DOMAIN_START, Located, Region, YEARS, year_of, year_start};
use intervals::{Iv, clip, intersect, meets, normalize};
pub use names::{MAX_LIFTABLE_NAMES, NotLiftable};

/// How far `next_window` looks ahead of the requested start.
pub const HORIZON_DAYS: i64 = 365;
const HORIZON_SECS: i64 = HORIZON_DAYS * 86_400;

/// What `blocked_by` says when the windows, not a blackout, keep a change out.
pub const OUTSIDE_WINDOWS: &str = "outside windows";
/// What `blocked_by` says for a change outside the years the calendars cover.
pub const OUTSIDE_RANGE: &str = "outside the calendar range (1970 to 2199)";

/// The compiled calendars and regions of a policy set. Cheap to query from many threads.
#[derive(Debug, Default)]
pub struct CalendarSet {
    calendars: Vec<Calendar>,
    regions: Vec<Region>,
    by_name: HashMap<String, usize>,
    /// The `ics` files imported: (path relative to the policy folder, text), sorted, each
    /// once. They shape decisions, so the policy digest covers them.
    imported: Vec<(String, String)>,
    /// The open stretches shared by the groups searched last (see `common`).
    common: common::CommonOpen,
}

/// A region of a [`CalendarSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionId(pub u32);

/// Does `[s, e)` (`e > s`) lie inside one open stretch, the stretches of each indexed year
/// being `open(year)`?
fn fits_in<O: std::ops::Deref<Target = [Iv]>>(open: impl Fn(usize) -> O, s: i64, e: i64) -> bool {
    if s < DOMAIN_START || e > DOMAIN_END {
        return false;
    }
    let Some(mut year) = year_of(s) else {
        return false;
    };
    let stretches = open(year);
    let Some(&(a, mut end)) = stretches.get(stretches.partition_point(|iv| iv.1 <= s)) else {
        return false;
    };
    if a > s {
        return false;
    }
    // A stretch running over New Year is split at the year's edge: follow it.
    while end < e {
        year += 1;
        if end != year_start(year) || year >= YEARS {
            return false;
        }
        match open(year).first() {
            Some(&(a, b)) if a == end => end = b,
            _ => return false,
        }
    }
    true
}

/// The first open piece (within one indexed year) that ends after `t` and starts before
/// `limit`: `(year, piece)`.
fn first_piece_after<O: std::ops::Deref<Target = [Iv]>>(
    open: &impl Fn(usize) -> O,
    t: i64,
    limit: i64,
) -> Option<(usize, Iv)> {
    let t = t.max(DOMAIN_START);
    let mut year = year_of(t)?;
    let stretches = open(year);
    let mut piece = stretches
        .get(stretches.partition_point(|iv| iv.1 <= t))
        .copied();
    loop {
        if let Some(p) = piece {
            return (p.0 < limit).then_some((year, p));
        }
        year += 1;
        if year >= YEARS || year_start(year) >= limit {
            return None;
        }
        piece = open(year).first().copied();
    }
}

/// The end of the stretch whose piece in `year` ends at `end`, followed over year edges but
/// not past `cap`.
fn stretch_end<O: std::ops::Deref<Target = [Iv]>>(
    open: &impl Fn(usize) -> O,
    mut year: usize,
    mut end: i64,
    cap: i64,
) -> i64 {
    while end < cap {
        year += 1;
        if year >= YEARS || end != year_start(year) {
            break;
        }
        match open(year).first() {
            Some(&(a, b)) if a == end => end = b,
            _ => break,
        }
    }
    end.min(cap)
}

/// Over one set of open stretches: the end of the stretch holding the instant `s` (followed
/// over year edges, capped at `cap`), or `None` when `s` is closed. What [`earliest_fit`]
/// finds for one second at `s` when it finds `s` itself, without searching past `s`.
fn stretch_holding<O: std::ops::Deref<Target = [Iv]>>(
    open: &impl Fn(usize) -> O,
    s: i64,
    cap: i64,
) -> Option<i64> {
    if !(DOMAIN_START..DOMAIN_END).contains(&s) {
        return None;
    }
    let year = year_of(s)?;
    let stretches = open(year);
    let &(a, b) = stretches.get(stretches.partition_point(|iv| iv.1 <= s))?;
    (a <= s).then(|| stretch_end(open, year, b, cap))
}

/// Over one set of open stretches: the earliest start at or after `t`, and before
/// `horizon`, with room for `duration`, and the end of its stretch. A stretch reaching past
/// the horizon is reported as ending there (or where the change ends, if later): stretches
/// can be decades long.
fn earliest_fit<O: std::ops::Deref<Target = [Iv]>>(
    open: &impl Fn(usize) -> O,
    mut t: i64,
    duration: i64,
    horizon: i64,
) -> Option<(i64, i64)> {
    loop {
        let (year, (a, b)) = first_piece_after(open, t, horizon)?;
        let start = a.max(t);
        let cap = horizon.max(start.saturating_add(duration)).min(DOMAIN_END);
        let end = stretch_end(open, year, b, cap);
        if start.saturating_add(duration) <= end {
            return Some((start, end));
        }
        if end >= cap {
            return None;
        }
        t = end;
    }
}

/// The window of a change that no calendar applies to, in UTC seconds: one stretch over the
/// whole index (as [`earliest_fit`] would find it, without walking it year by year), from
/// `after` to the horizon (or to the change's end, if later); `None` outside the index. A
/// decision under a policy without calendars comes here directly.
pub fn unconstrained_window(after: i64, duration: i64) -> Option<(i64, i64)> {
    let duration = duration.max(0);
    let horizon = after.saturating_add(HORIZON_SECS);
    let start = after.max(DOMAIN_START);
    if start >= DOMAIN_END || start >= horizon {
        return None;
    }
    let cap = horizon.max(start.saturating_add(duration)).min(DOMAIN_END);
    (start.saturating_add(duration) <= cap).then_some((start, cap))
}

/// The years of shared stretches one window search has fetched: `(year, stretches)`.
type YearsFetched = smallvec::SmallVec<[(usize, Arc<[Iv]>); 2]>;

/// A calendar of a [`CalendarSet`], by declaration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarId(pub u32);

/// The calendars a change must fit all at once, each in its own time zone, each once, in
/// the order first added: a region's, or everything that applies to a change (its regions',
/// its services', its own). Pass [`CalendarGroup::ids`] to [`CalendarSet::check_group`]
/// and [`CalendarSet::group_next_window`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarGroup(Vec<CalendarId>);

impl CalendarGroup {
    pub fn new() -> CalendarGroup {
        CalendarGroup::default()
    }

    /// Adds a calendar, unless the group holds it already.
    pub fn add(&mut self, id: CalendarId) {
        if !self.0.contains(&id) {
            self.0.push(id);
        }
    }

    pub fn ids(&self) -> &[CalendarId] {
        &self.0
    }

    #[allow(dead_code)] // part of the group API that the calendars of services and changes use
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Extend<CalendarId> for CalendarGroup {
    fn extend<I: IntoIterator<Item = CalendarId>>(&mut self, ids: I) {
        ids.into_iter().for_each(|id| self.add(id));
    }
}

impl FromIterator<CalendarId> for CalendarGroup {
    fn from_iter<I: IntoIterator<Item = CalendarId>>(ids: I) -> CalendarGroup {
        let mut group = CalendarGroup::new();
        group.extend(ids);
        group
    }
}

/// What an exemption lifts: `exempt blackout` sets `blackouts`, `exempt window` sets
/// `windows`, `exempt blackout "NAME"` (or a honoured blackout waiver) sets the bit of that
/// name in `named` ([`CalendarSet::make_liftable`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lift {
    pub blackouts: bool,
    pub windows: bool,
    /// One bit per blackout name that a rule or a waiver may lift by name.
    pub named: u64,
}

impl Lift {
    pub const NONE: Lift = Lift {
        blackouts: false,
        windows: false,
        named: 0,
    };
    pub const BLACKOUTS: Lift = Lift {
        blackouts: true,
        windows: false,
        named: 0,
    };
    pub const WINDOWS: Lift = Lift {
        blackouts: false,
        windows: true,
        named: 0,
    };
    pub const ALL: Lift = Lift {
        blackouts: true,
        windows: true,
        named: 0,
    };

    fn index(self) -> usize {
        usize::from(self.blackouts) | usize::from(self.windows) << 1
    }

    /// Is a blackout whose name has bit `bit` lifted?
    fn lifts(self, bit: u64) -> bool {
        self.blackouts || bit & self.named != 0
    }
}

/// A group's answer for a change `[start, end)` (a region's, or the whole change's).
pub type GroupCheck = RegionCheck;

/// One region's answer for a change `[start, end)`; the answer for any group of calendars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionCheck {
    /// The change lies inside one open stretch of every calendar of the group.
    pub open: bool,
    /// The blackouts the change meets (not the lifted ones), then [`OUTSIDE_WINDOWS`] when
    /// the windows keep it out; empty when open.
    pub blocked_by: Vec<String>,
    /// The first stretch at or after `start` with room for the whole change: its start and
    /// the stretch's end. When `open`, that is `start` and the end of its stretch.
    pub next_window: Option<(Instant, Instant)>,
    /// `file:line:col` of the declaration behind the first of `blocked_by`: the blackout, the
    /// first `window` of the first calendar whose windows keep the change out, or the region
    /// (outside the calendar range). `None` when open.
    pub blocked_at: Option<Arc<str>>,
    /// The lifted blackouts (all, or those lifted by name) that meet `[start, end)`, each
    /// once, in the order of the group's calendars and then of declaration. Empty otherwise.
    pub lifted: Vec<String>,
    /// When the change does not fit but its start instant lies in an open stretch of every
    /// calendar of the group: where the stretch they share there ends (a run that overruns
    /// its window), capped as [`CalendarSet::next_window`] caps it. `None` otherwise.
    pub open_until: Option<Instant>,
}

/// What a region looks like over a range (clipped to it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarView {
    /// Open stretches, in order.
    pub open: Vec<(Instant, Instant)>,
    /// Blackout occurrences `(name, start, end)`, ordered by start; a name's occurrences
    /// are merged where they overlap or touch, also across the region's calendars.
    pub blackouts: Vec<(String, Instant, Instant)>,
}

/// The IANA time zone database version compiled into chrono-tz (for example `2025b`).
pub fn tzdb_version() -> &'static str {
    chrono_tz::IANA_TZDB_VERSION
}

fn secs_floor(t: Instant) -> i64 {
    t.timestamp()
}

fn secs_ceil(t: Instant) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

fn instant(secs: i64) -> Instant {
    DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default()
}

/// What the lint reads of one calendar of a [`CalendarSet`].
#[derive(Debug, Clone)]
pub struct CalendarOutline<'a> {
    pub id: CalendarId,
    pub name: &'a str,
    /// Its name where the calendar is declared.
    pub span: crate::span::Span,
    pub has_windows: bool,
    /// Its blackouts' names, each with its bit in [`Lift::named`] (0 when not lifted by name).
    pub blackouts: Vec<(&'a str, u64)>,
}

/// What the lint reads of one region of a [`CalendarSet`].
#[derive(Debug, Clone)]
pub struct RegionOutline<'a> {
    pub name: &'a str,
    pub span: crate::span::Span,
    pub calendars: &'a [CalendarId],
}

impl CalendarSet {
    /// Every calendar, in declaration order.
    pub fn outlines(&self) -> Vec<CalendarOutline<'_>> {
        (0u32..)
            .zip(&self.calendars)
            .map(|(i, c)| CalendarOutline {
                id: CalendarId(i),
                name: &c.name,
                span: c.at.span,
                has_windows: !c.windows.is_empty(),
                blackouts: c
                    .blackouts
                    .iter()
                    .map(|b| (b.name.as_str(), b.bit))
                    .collect(),
            })
            .collect()
    }

    /// Every region, in declaration order.
    pub fn region_outlines(&self) -> Vec<RegionOutline<'_>> {
        self.regions
            .iter()
            .map(|r| RegionOutline {
                name: &r.name,
                span: r.at.span,
                calendars: &r.calendars,
            })
            .collect()
    }
}

impl CalendarSet {
    /// Fills the `file:line:col` of every declaration a decision may point at (blackouts,
    /// windows, regions), once, so that deciding only shares them.
    pub fn locate(&mut self, sources: &crate::span::SourceMap) {
        let locate = |at: &mut Located| at.text = Arc::from(sources.location(at.span));
        for cal in &mut self.calendars {
            locate(&mut cal.at);
            cal.windows_at.iter_mut().for_each(locate);
            cal.blackouts.iter_mut().for_each(|b| locate(&mut b.at));
        }
        self.regions.iter_mut().for_each(|r| locate(&mut r.at));
    }

    /// The `ics` files imported, as (path relative to the policy folder, bytes).
    pub fn imported_files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.imported
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_bytes()))
    }

    /// `file:line:col` of a region's declaration.
    pub fn region_at(&self, id: RegionId) -> Option<&Arc<str>> {
        self.get(id).map(|r| &r.at.text)
    }

    /// `file:line:col` of the first region declared.
    pub fn first_region_at(&self) -> Option<&Arc<str>> {
        self.regions.first().map(|r| &r.at.text)
    }

    pub fn region(&self, name: &str) -> Option<RegionId> {
        let i = self.by_name.get(name)?;
        u32::try_from(*i).ok().map(RegionId)
    }

    /// The region's name (empty for an id from another set).
    pub fn region_name(&self, id: RegionId) -> &str {
        self.get(id).map_or("", |r| r.name.as_str())
    }

    /// Region names in declaration order.
    pub fn region_names(&self) -> Vec<String> {
        self.regions.iter().map(|r| r.name.clone()).collect()
    }

    /// "unknown region ...: the policy declares ..." with a suggestion when one is close.
    pub fn unknown_region(&self, region: &str) -> String {
        let declared = self.region_names();
        let mut msg = format!(
            "unknown region {}: the policy declares {}",
            crate::error::quoted(region),
            if declared.is_empty() {
                "no regions".to_string()
            } else {
                declared.join(", ")
            }
        );
        if let Some(h) = crate::error::did_you_mean(region, declared.iter().map(String::as_str)) {
            msg.push_str(&format!(" ({h})"));
        }
        msg
    }

    /// Calendar names in declaration order.
    pub fn calendar_names(&self) -> impl Iterator<Item = &str> + Clone {
        self.calendars.iter().map(|c| c.name.as_str())
    }

    /// "unknown calendar ...: the policy declares ..." with a suggestion when one is close.
    pub fn unknown_calendar(&self, name: &str) -> String {
        let declared: Vec<&str> = self.calendar_names().collect();
        let mut msg = format!(
            "unknown calendar {}: the policy declares {}",
            crate::error::quoted(name),
            if declared.is_empty() {
                "no calendars".to_string()
            } else {
                declared.join(", ")
            }
        );
        if let Some(h) = crate::error::did_you_mean(name, declared.iter().copied()) {
            msg.push_str(&format!(" ({h})"));
        }
        msg
    }

    /// Whether the policy declares any region (without allocating their names).
    pub fn has_regions(&self) -> bool {
        !self.regions.is_empty()
    }

    fn get(&self, id: RegionId) -> Option<&Region> {
        self.regions.get(id.0 as usize)
    }

    /// The calendars of a region, in the order listed after `uses` (empty for an id from
    /// another set).
    pub fn region_calendars(&self, id: RegionId) -> &[CalendarId] {
        self.get(id).map_or(&[], |r| r.calendars.as_slice())
    }

    /// The calendar declared with this name.
    #[cfg_attr(not(test), allow(dead_code))] // for the calendars of services and changes
    pub fn calendar(&self, name: &str) -> Option<CalendarId> {
        let i = self.calendars.iter().position(|c| c.name == name)?;
        u32::try_from(i).ok().map(CalendarId)
    }

    /// The calendar's name (empty for an id from another set).
    pub fn calendar_name(&self, id: CalendarId) -> &str {
        self.cal(id).map_or("", |c| c.name.as_str())
    }

    /// The time zone a region's times are shown in: that of the first calendar it uses (in
    /// the order after `uses`) that has a `window`, its business hours; when none has one,
    /// that of its first calendar; `None` for an unknown region.
    pub fn region_zone(&self, name: &str) -> Option<chrono_tz::Tz> {
        let id = self.region(name)?;
        self.group_zone(self.region_calendars(id))
    }

    /// The time zone a group of calendars is shown in, by the rule of [`Self::region_zone`]:
    /// the first calendar with a `window`, else the first; `None` for an empty group.
    pub fn group_zone(&self, cals: &[CalendarId]) -> Option<chrono_tz::Tz> {
        let with_window = cals
            .iter()
            .filter_map(|c| self.cal(*c))
            .find(|c| !c.windows.is_empty());
        with_window
            .or_else(|| cals.first().and_then(|c| self.cal(*c)))
            .map(|c| c.tz)
    }

    fn cal(&self, id: CalendarId) -> Option<&Calendar> {
        self.calendars.get(id.0 as usize)
    }

    /// Does `[s, e)` (`e > s`) lie inside one open stretch of every calendar of the group?
    /// An id that is not the set's never fits (nothing fails open). With `region` (whose
    /// calendars `group` is), through the region's own index when it answers for `lift`.
    fn fits(
        &self,
        region: Option<&Region>,
        group: &[CalendarId],
        s: i64,
        e: i64,
        lift: Lift,
    ) -> bool {
        if s < DOMAIN_START || e > DOMAIN_END {
            return false;
        }
        if let Some(r) =
            region.filter(|r| r.calendars.len() > 1 && r.indexed(&self.calendars, lift))
        {
            return fits_in(|year| r.open(&self.calendars, lift, year), s, e);
        }
        group.iter().all(|&c| {
            self.cal(c)
                .is_some_and(|cal| fits_in(|year| cal.open(lift, year), s, e))
        })
    }

    /// The earliest start `t >= after`, before the horizon, at which `[t, t + duration)`
    /// lies inside an open stretch of every calendar of the group, and the end of the
    /// stretch they share there (capped as [`CalendarSet::next_window`] says). With `region`
    /// (whose calendars `group` is), through the region's own index when it answers for
    /// `lift`; otherwise through the stretches the group shares (kept per year, see
    /// `common`), or, when some of the group's blackouts are lifted by name, by leapfrogging,
    /// exact and without scanning: each calendar gives its earliest fit at or after `t`; no
    /// common start can come before the latest of them, so `t` moves there until every
    /// calendar fits at `t`. `t` only grows, and each value it takes is `after` or the start
    /// of some calendar's stretch, so the search ends.
    fn window_secs(
        &self,
        region: Option<&Region>,
        group: &[CalendarId],
        after: i64,
        duration: i64,
        lift: Lift,
    ) -> Option<(i64, i64)> {
        if group.is_empty() {
            return unconstrained_window(after, duration);
        }
        let duration = duration.max(0);
        let horizon = after.saturating_add(HORIZON_SECS);
        if let Some(r) =
            region.filter(|r| r.calendars.len() > 1 && r.indexed(&self.calendars, lift))
        {
            return earliest_fit(
                &|year| r.open(&self.calendars, lift, year),
                after,
                duration,
                horizon,
            );
        }
        if let [c] = group {
            let cal = self.cal(*c)?;
            return earliest_fit(&|year| cal.open(lift, year), after, duration, horizon);
        }
        // Several calendars whose stretches are the cached ones: search the stretches they
        // share, kept per year. A window fits `[t, t + duration)` in one stretch of every
        // calendar exactly when it fits one shared stretch, which ends where the first of
        // theirs does: the same answer as the leapfrog below.
        let cached = group.iter().all(|&c| {
            self.cal(c)
                .is_some_and(|cal| lift.blackouts || lift.named & cal.liftable == 0)
        });
        if cached {
            let mut key: smallvec::SmallVec<[CalendarId; 8]> = group.iter().copied().collect();
            key.sort_unstable();
            key.dedup();
            // Each year's stretches are fetched once per search.
            let years: std::cell::RefCell<YearsFetched> = Default::default();
            let open = |year: usize| -> Arc<[Iv]> {
                if let Some((_, o)) = years.borrow().iter().find(|(y, _)| *y == year) {
                    return Arc::clone(o);
                }
                let o = self.common.get(&self.calendars, &key, lift, year);
                years.borrow_mut().push((year, Arc::clone(&o)));
                o
            };
            return earliest_fit(&open, after, duration, horizon);
        }
        let mut t = after;
        'search: loop {
            let mut end = i64::MAX;
            for &c in group {
                let cal = self.cal(c)?;
                let (start, until) =
                    earliest_fit(&|year| cal.open(lift, year), t, duration, horizon)?;
                if start > t {
                    t = start;
                    continue 'search;
                }
                end = end.min(until);
            }
            return Some((t, end));
        }
    }

    /// Is `[start, end)` allowed in the region, what blocks it, and where does it fit next?
    /// A zero-length change is checked at its start instant. The same as
    /// [`CalendarSet::check_group`] over the region's calendars.
    pub fn check(&self, region: RegionId, start: Instant, end: Instant, lift: Lift) -> RegionCheck {
        let Some(r) = self.get(region) else {
            return RegionCheck {
                open: false,
                blocked_by: Vec::new(),
                next_window: None,
                blocked_at: None,
                lifted: Vec::new(),
                open_until: None,
            };
        };
        self.check_in(Some(r), &r.calendars, start, end, lift, Some(&r.at.text))
    }

    /// Is `[start, end)` inside one open stretch of every calendar of the group at once
    /// (each in its own zone), what blocks it, and where does the whole of it fit next?
    /// A region is the group of its calendars; everything that applies to a change is
    /// another group. The group may list a calendar twice: the answer is the same.
    /// `declared_at` is where the group comes from (a region's declaration): the
    /// `blocked_at` of a change outside the calendar range, or kept out by windows whose
    /// declaration is unknown. A zero-length change is checked at its start instant.
    pub fn check_group(
        &self,
        group: &[CalendarId],
        start: Instant,
        end: Instant,
        lift: Lift,
        declared_at: Option<&Arc<str>>,
    ) -> GroupCheck {
        self.check_in(None, group, start, end, lift, declared_at)
    }

    /// [`CalendarSet::check_group`]; with `region` (whose calendars `group` is), through the
    /// region's own index where it answers.
    fn check_in(
        &self,
        region: Option<&Region>,
        group: &[CalendarId],
        start: Instant,
        end: Instant,
        lift: Lift,
        declared_at: Option<&Arc<str>>,
    ) -> GroupCheck {
        let s = secs_floor(start);
        let e = secs_ceil(end).max(s + 1);
        let open = self.fits(region, group, s, e, lift);
        let mut blocked_by = Vec::new();
        let mut blocked_at = None;
        let mut lifted = Vec::new();
        if lift.blackouts || lift.named != 0 {
            for (name, _, bit) in self.blackouts_meeting(group, s, e) {
                if lift.lifts(bit) && !lifted.contains(&name) {
                    lifted.push(name);
                }
            }
        }
        if !open {
            if s < DOMAIN_START || e > DOMAIN_END {
                blocked_by.push(OUTSIDE_RANGE.to_string());
                blocked_at = declared_at.cloned();
            }
            if !lift.blackouts {
                for (name, at, bit) in self.blackouts_meeting(group, s, e) {
                    if !lift.lifts(bit) && !blocked_by.contains(&name) {
                        blocked_by.push(name);
                        if blocked_at.is_none() {
                            blocked_at = Some(Arc::clone(at));
                        }
                    }
                }
            }
            let windows_only = Lift {
                blackouts: true,
                windows: lift.windows,
                named: 0,
            };
            if !lift.windows
                && !self.fits(region, group, s, e, windows_only)
                && !blocked_by.iter().any(|b| b == OUTSIDE_RANGE)
            {
                blocked_by.push(OUTSIDE_WINDOWS.to_string());
                if blocked_at.is_none() {
                    blocked_at = self
                        .windows_keeping_out(group, s, e)
                        .or(declared_at)
                        .cloned();
                }
            }
        }
        let next_window = self
            .window_secs(region, group, s, e - s, lift)
            .map(|(a, b)| (instant(a), instant(b)));
        let open_until = match open {
            true => None,
            false => self.open_until(region, group, s, lift).map(instant),
        };
        GroupCheck {
            open,
            blocked_by,
            next_window,
            blocked_at,
            lifted,
            open_until,
        }
    }

    /// The end of the stretch every calendar of the group shares at the instant `s` (capped
    /// at the horizon from `s`), or `None` when some calendar is closed at `s`: the window a
    /// search for one second from `s` finds when it starts at `s`. The shared stretch
    /// holding `s` ends where the first of the calendars' stretches holding `s` ends. With
    /// `region` (whose calendars `group` is), through the region's own index when it answers.
    fn open_until(
        &self,
        region: Option<&Region>,
        group: &[CalendarId],
        s: i64,
        lift: Lift,
    ) -> Option<i64> {
        let cap = s.saturating_add(HORIZON_SECS).min(DOMAIN_END);
        if let Some(r) =
            region.filter(|r| r.calendars.len() > 1 && r.indexed(&self.calendars, lift))
        {
            return stretch_holding(&|year| r.open(&self.calendars, lift, year), s, cap);
        }
        let mut until = cap;
        for &c in group {
            let cal = self.cal(c)?;
            until = until.min(stretch_holding(&|year| cal.open(lift, year), s, cap)?);
        }
        // An empty group is open everywhere (as its window search says).
        (DOMAIN_START..DOMAIN_END).contains(&s).then_some(until)
    }

    /// Where the windows are declared of the first of the group's calendars whose windows
    /// (its blackouts lifted) do not hold `[s, e)`.
    fn windows_keeping_out(&self, group: &[CalendarId], s: i64, e: i64) -> Option<&Arc<str>> {
        group
            .iter()
            .filter_map(|&c| self.cal(c))
            .filter(|cal| !cal.windows.is_empty())
            .find(|cal| !fits_in(|year| cal.open(Lift::BLACKOUTS, year), s, e))
            .and_then(|cal| cal.windows_at.as_ref())
            .map(|at| &at.text)
    }

    /// Names of the blackouts with an occurrence meeting `[s, e)`, with where each is declared
    /// and its bit in [`Lift::named`], in the order of the group's calendars and then of
    /// declaration (duplicates included).
    fn blackouts_meeting(
        &self,
        group: &[CalendarId],
        s: i64,
        e: i64,
    ) -> Vec<(String, &Arc<str>, u64)> {
        let (Some(first), Some(last)) = (
            year_of(s.max(DOMAIN_START)),
            year_of((e - 1).min(DOMAIN_END - 1)),
        ) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for cal in group.iter().filter_map(|&c| self.cal(c)) {
            for (bi, b) in cal.blackouts.iter().enumerate() {
                let hit = (first..=last).any(|y| {
                    cal.year(y)
                        .and_then(|y| y.blackouts.get(bi))
                        .is_some_and(|occ| meets(occ, s, e))
                });
                if hit {
                    out.push((b.name.clone(), &b.at.text, b.bit));
                }
            }
        }
        out
    }

    /// The first stretch at or after `after` with room for `duration_secs`, as (start, end of
    /// the stretch), when it starts within [`HORIZON_DAYS`] of `after`. A stretch that runs
    /// past the horizon is reported as ending at the horizon (or at the change's end if
    /// that is later).
    pub fn next_window(
        &self,
        region: RegionId,
        after: Instant,
        duration_secs: i64,
        lift: Lift,
    ) -> Option<(Instant, Instant)> {
        let r = self.get(region)?;
        self.window_near(Some(r), &r.calendars, after, duration_secs, lift)
    }

    /// The same as [`CalendarSet::next_window`] for a group of calendars: the earliest start
    /// at or after `after` at which `[start, start + duration_secs)` lies inside an open
    /// stretch of every calendar of the group at once, and the end of the stretch they
    /// share. An empty group is open everywhere.
    pub fn group_next_window(
        &self,
        group: &[CalendarId],
        after: Instant,
        duration_secs: i64,
        lift: Lift,
    ) -> Option<(Instant, Instant)> {
        self.window_near(None, group, after, duration_secs, lift)
    }

    /// [`CalendarSet::group_next_window`]; with `region` (whose calendars `group` is),
    /// through the region's own index where it answers.
    fn window_near(
        &self,
        region: Option<&Region>,
        group: &[CalendarId],
        after: Instant,
        duration_secs: i64,
        lift: Lift,
    ) -> Option<(Instant, Instant)> {
        let from = secs_floor(after);
        // A decision asks for every change's window and mostly gets its own start back: reuse
        // it rather than convert the second again.
        let start_at = |a: i64| match a == from && after.timestamp_subsec_nanos() == 0 {
            true => after,
            false => instant(a),
        };
        self.window_secs(region, group, from, duration_secs, lift)
            .map(|(a, b)| (start_at(a), instant(b)))
    }

    /// Open stretches and blackout occurrences meeting `[from, to)`, clipped to it.
    pub fn view(&self, region: RegionId, from: Instant, to: Instant) -> CalendarView {
        let Some(r) = self.get(region) else {
            return CalendarView::default();
        };
        self.group_view(&r.calendars, from, to)
    }

    /// Where every calendar of the group is open at once (the intersection of their open
    /// stretches), and the blackout occurrences of any of them, meeting `[from, to)`,
    /// clipped to it.
    pub fn group_view(&self, group: &[CalendarId], from: Instant, to: Instant) -> CalendarView {
        let (lo, hi) = (
            secs_floor(from).max(DOMAIN_START),
            secs_ceil(to).min(DOMAIN_END),
        );
        let (Some(first), Some(last)) = (year_of(lo), year_of(hi - 1)) else {
            return CalendarView::default();
        };
        if lo >= hi {
            return CalendarView::default();
        }
        let mut open = Vec::new();
        for y in first..=last {
            let mut common = vec![(year_start(y), year_start(y + 1))];
            for &c in group {
                common = match self.cal(c) {
                    Some(cal) => intersect(&common, &cal.open(Lift::NONE, y)),
                    None => Vec::new(),
                };
            }
            open.extend(clip(&common, lo, hi));
        }
        // Occurrences by name, in order of first appearance.
        let mut names: Vec<(String, Vec<Iv>)> = Vec::new();
        for cal in group.iter().filter_map(|&c| self.cal(c)) {
            for (bi, b) in cal.blackouts.iter().enumerate() {
                let slot = match names.iter().position(|(n, _)| *n == b.name) {
                    Some(i) => i,
                    None => {
                        names.push((b.name.clone(), Vec::new()));
                        names.len() - 1
                    }
                };
                for y in first..=last {
                    if let (Some(occ), Some((_, acc))) = (
                        cal.year(y).and_then(|y| y.blackouts.get(bi)),
                        names.get_mut(slot),
                    ) {
                        acc.extend(clip(occ, lo, hi));
                    }
                }
            }
        }
        let mut blackouts: Vec<(usize, Iv)> = Vec::new();
        for (i, (_, ivs)) in names.iter().enumerate() {
            blackouts.extend(normalize(ivs.clone()).into_iter().map(|iv| (i, iv)));
        }
        blackouts.sort_by_key(|&(i, (a, b))| (a, b, i));
        CalendarView {
            open: normalize(open)
                .into_iter()
                .map(|(a, b)| (instant(a), instant(b)))
                .collect(),
            blackouts: blackouts
                .into_iter()
                .filter_map(|(i, (a, b))| {
                    names
                        .get(i)
                        .map(|(n, _)| (n.clone(), instant(a), instant(b)))
                })
                .collect(),
        }
    }

    /// The view of `[from, to)` as an RFC 5545 calendar: one VEVENT per blackout occurrence
    /// (SUMMARY = its name, CATEGORIES:BLACKOUT) and one per open stretch (SUMMARY "open
    /// window", CATEGORIES:OPEN-WINDOW, TRANSP:TRANSPARENT), times in UTC. DTSTAMP is `from`,
    /// so the same query gives the same bytes.
    pub fn to_ics(&self, region: RegionId, from: Instant, to: Instant) -> String {
        let calendars = self.region_calendars(region);
        self.group_to_ics(self.region_name(region), calendars, from, to)
    }

    /// [`CalendarSet::group_view`] as an RFC 5545 calendar named `name`, as
    /// [`CalendarSet::to_ics`] writes a region's.
    pub fn group_to_ics(
        &self,
        name: &str,
        group: &[CalendarId],
        from: Instant,
        to: Instant,
    ) -> String {
        view_to_ics(name, &self.group_view(group, from, to), from)
    }
}

/// A view of `[from, ...)` as an RFC 5545 calendar named `name` (see
/// [`CalendarSet::to_ics`]).
pub fn view_to_ics(name: &str, view: &CalendarView, from: Instant) -> String {
    let mut ordinals: Vec<&str> = Vec::new();
    let mut events = Vec::new();
    for (blackout, start, end) in &view.blackouts {
        let ordinal = match ordinals.iter().position(|n| n == blackout) {
            Some(i) => i,
            None => {
                ordinals.push(blackout);
                ordinals.len() - 1
            }
        };
        events.push(ics::ExportEvent {
            blackout: Some(blackout),
            ordinal,
            start: *start,
            end: *end,
        });
    }
    for (start, end) in &view.open {
        events.push(ics::ExportEvent {
            blackout: None,
            ordinal: 0,
            start: *start,
            end: *end,
        });
    }
    events.sort_by(|x, y| {
        (x.start, x.end, x.blackout.is_none()).cmp(&(y.start, y.end, y.blackout.is_none()))
    });
    let dtstamp = instant(secs_floor(from));
    ics::export(name, tzdb_version(), dtstamp, &events)
}
