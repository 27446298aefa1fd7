//! The compiled index: per calendar, the open stretches and blackout occurrences of each UTC
//! year as sorted, merged intervals, expanded on first use. A region is the group of its
//! calendars; groups are intersected at query time (see `super::CalendarSet::check_group`).

use std::sync::{Arc, OnceLock};

use chrono_tz::Tz;

use super::common::Kept;
use super::ics::{Frame, ImportedEvent};
use super::intervals::{Iv, clip, intersect, normalize, subtract};
use super::rules::{LocalRule, Recurrence, naive_at};
use super::zone::{Segment, localize, segments};
use super::{CalendarId, Lift};

/// The first year of the index (UTC).
pub(crate) const FIRST_YEAR: i64 = 1970;
/// The number of indexed years: 1970 to 2199.
pub(crate) const YEARS: usize = 230;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// UTC second at which indexed year `i` starts (`i == YEARS` gives the end of the index).
pub(crate) const fn year_start(i: usize) -> i64 {
    days_from_civil(FIRST_YEAR + i as i64, 1, 1) * 86_400
}

/// The first instant the index covers (1970-01-01T00:00:00Z).
pub(crate) const DOMAIN_START: i64 = year_start(0);
/// The first instant past the index (2200-01-01T00:00:00Z).
pub(crate) const DOMAIN_END: i64 = year_start(YEARS);

/// The indexed year holding UTC second `t`.
pub(crate) fn year_of(t: i64) -> Option<usize> {
    if !(DOMAIN_START..DOMAIN_END).contains(&t) {
        return None;
    }
    let mut i = usize::try_from((t - DOMAIN_START) / 31_556_952)
        .ok()?
        .min(YEARS - 1);
    while i > 0 && year_start(i) > t {
        i -= 1;
    }
    while i + 1 < YEARS && year_start(i + 1) <= t {
        i += 1;
    }
    Some(i)
}

/// Where a blackout's occurrences come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// Wall-clock times of the calendar's zone.
    Local(LocalRule),
    /// Occurrences that start at instants of a fixed zone (imported zoned or UTC events).
    Zoned { tz: Tz, recurrence: Recurrence },
}

impl From<ImportedEvent> for Source {
    fn from(e: ImportedEvent) -> Source {
        match e.frame {
            Frame::Local => Source::Local(LocalRule::Recur(e.recurrence)),
            Frame::Zone(tz) => Source::Zoned {
                tz,
                recurrence: e.recurrence,
            },
        }
    }
}

#[derive(Debug)]
pub(crate) struct Blackout {
    pub name: String,
    pub sources: Vec<Source>,
    /// Its name's bit in [`Lift::named`] when a rule or a waiver may lift it by name
    /// ([`super::CalendarSet::make_liftable`]); 0 otherwise.
    pub bit: u64,
    /// Where it is declared (`file:line:col` once [`super::CalendarSet::locate`] ran).
    pub at: Located,
}

/// A declaration's span, and its `file:line:col` once the set is located (shared by every
/// decision that quotes it).
#[derive(Debug, Clone, Default)]
pub(crate) struct Located {
    pub span: crate::span::Span,
    pub text: std::sync::Arc<str>,
}

impl Located {
    pub(crate) fn new(span: crate::span::Span) -> Located {
        Located {
            span,
            text: std::sync::Arc::from(""),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Calendar {
    /// The calendar's name.
    pub name: String,
    /// Where its name is declared (`file:line:col` once [`super::CalendarSet::locate`] ran).
    pub at: Located,
    pub tz: Tz,
    /// Empty: the calendar has no window, so it is open wherever no blackout holds.
    pub windows: Vec<LocalRule>,
    /// Where its first `window` is declared, when it has one.
    pub windows_at: Option<Located>,
    pub blackouts: Vec<Blackout>,
    /// The bits in [`Lift::named`] of its blackouts that may be lifted by name (the union of
    /// their `bit`s): a lift by name that has none of them leaves the calendar as cached.
    pub liftable: u64,
    years: Box<[OnceLock<CalendarYear>]>,
    /// The last open stretches computed for a lift by name, by `(Lift::named, Lift::windows,
    /// year)`, at most `NAMED_CACHED`. A search for the next window asks for the same year
    /// again and again; without them each piece it walks would recompute the year.
    named: Kept<(u64, bool, usize)>,
}

/// How many (lift, year) entries a calendar keeps of its open stretches lifted by name.
const NAMED_CACHED: usize = 8;

/// A calendar's open stretches in one year: the cached ones, or computed for a lift by name.
pub(crate) enum Open<'a> {
    Cached(&'a [Iv]),
    Named(Arc<[Iv]>),
}

impl std::ops::Deref for Open<'_> {
    type Target = [Iv];

    fn deref(&self) -> &[Iv] {
        match self {
            Open::Cached(s) => s,
            Open::Named(v) => v,
        }
    }
}

/// One UTC year of a calendar.
#[derive(Debug)]
pub(crate) struct CalendarYear {
    /// Occurrences of each blackout (by declaration index), merged.
    pub blackouts: Vec<Vec<Iv>>,
    /// Open stretches for each [`Lift`] (by [`Lift::index`]).
    open: [Vec<Iv>; 4],
}

impl CalendarYear {
    pub(crate) fn open(&self, lift: Lift) -> &[Iv] {
        self.open.get(lift.index()).map_or(&[], Vec::as_slice)
    }
}

impl Calendar {
    pub(crate) fn new(
        name: String,
        at: Located,
        tz: Tz,
        windows: Vec<LocalRule>,
        windows_at: Option<Located>,
        blackouts: Vec<Blackout>,
    ) -> Calendar {
        Calendar {
            name,
            at,
            tz,
            windows,
            windows_at,
            blackouts,
            liftable: 0,
            years: (0..YEARS).map(|_| OnceLock::new()).collect(),
            named: Kept::new(NAMED_CACHED),
        }
    }

    /// Year `i` of the calendar, computed on first use.
    pub(crate) fn year(&self, i: usize) -> Option<&CalendarYear> {
        self.years
            .get(i)
            .map(|slot| slot.get_or_init(|| self.compute_year(i)))
    }

    /// The open stretches of indexed year `i` with `lift` (none past the index): the cached
    /// ones, unless `lift` lifts some of this calendar's blackouts by name (and not all).
    pub(crate) fn open(&self, lift: Lift, i: usize) -> Open<'_> {
        if !lift.blackouts && lift.named & self.liftable != 0 {
            Open::Named(self.open_named(lift, i))
        } else {
            Open::Cached(self.year(i).map_or(&[], |y| y.open(lift)))
        }
    }

    /// The open stretches of year `i` with the blackouts whose bit is in `lift.named` lifted
    /// (and `lift.windows` as given). The names lifted vary from change to change, so these
    /// are not indexed like the four fixed lifts: the last few are kept.
    fn open_named(&self, lift: Lift, i: usize) -> Arc<[Iv]> {
        let key = (lift.named & self.liftable, lift.windows, i);
        self.named
            .get_or(|k| *k == key, || key, || self.compute_named(lift, i))
    }

    fn compute_named(&self, lift: Lift, i: usize) -> Vec<Iv> {
        let Some(y) = self.year(i) else {
            return Vec::new();
        };
        let windows_only = Lift {
            blackouts: true,
            windows: lift.windows,
            named: 0,
        };
        let kept: Vec<Iv> = self
            .blackouts
            .iter()
            .zip(&y.blackouts)
            .filter(|(b, _)| b.bit & lift.named == 0)
            .flat_map(|(_, occ)| occ.iter().copied())
            .collect();
        subtract(y.open(windows_only), &normalize(kept))
    }

    fn compute_year(&self, i: usize) -> CalendarYear {
        let (u0, u1) = (year_start(i), year_start(i + 1));
        let segs = segments(self.tz, u0, u1);
        let min_off = segs.iter().map(|s| s.offset).min().unwrap_or(0);
        let max_off = segs.iter().map(|s| s.offset).max().unwrap_or(0);
        // Wall-clock span that the year's instants show.
        let (lo, hi) = (u0 + min_off, u1 + max_off);

        let windows = (!self.windows.is_empty()).then(|| {
            let mut local = Vec::new();
            for w in &self.windows {
                w.intervals(lo, hi, &mut local);
            }
            clip(&to_utc(&normalize(local), &segs), u0, u1)
        });
        let blackouts: Vec<Vec<Iv>> = self
            .blackouts
            .iter()
            .map(|b| occurrences(b, &segs, lo, hi, u0, u1))
            .collect();
        let union = normalize(blackouts.concat());
        let all = vec![(u0, u1)];
        let open = [Lift::NONE, Lift::BLACKOUTS, Lift::WINDOWS, Lift::ALL].map(|lift| {
            let base = match (&windows, lift.windows) {
                (Some(w), false) => w.clone(),
                _ => all.clone(),
            };
            if lift.blackouts {
                base
            } else {
                subtract(&base, &union)
            }
        });
        CalendarYear { blackouts, open }
    }
}

/// A blackout's occurrences in UTC year `[u0, u1)`, whose instants show wall-clock `[lo, hi)`.
fn occurrences(b: &Blackout, segs: &[Segment], lo: i64, hi: i64, u0: i64, u1: i64) -> Vec<Iv> {
    let mut local = Vec::new();
    let mut utc = Vec::new();
    for source in &b.sources {
        match source {
            Source::Local(rule) => rule.intervals(lo, hi, &mut local),
            Source::Zoned { tz, recurrence } => {
                // Offsets stay within a day of UTC, so two days of margin find every start.
                let margin = 2 * 86_400;
                let (Some(from), Some(to)) = (naive_at(u0 - margin), naive_at(u1 + margin)) else {
                    continue;
                };
                for o in recurrence.reaching(from, to) {
                    let s = localize(*tz, o);
                    utc.push((s, s + recurrence.duration));
                }
            }
        }
    }
    utc.extend(to_utc(&normalize(local), segs));
    clip(&normalize(utc), u0, u1)
}

/// The instants whose wall-clock time falls in `local` (normalized): in each constant-offset
/// segment, wall-clock `[a, b)` is UTC `[a - offset, b - offset)`. A wall-clock interval over
/// a backward jump meets two segments and so counts both of the repeated instants; one over
/// a forward jump loses the skipped part.
pub(crate) fn to_utc(local: &[Iv], segs: &[Segment]) -> Vec<Iv> {
    let mut out = Vec::new();
    for seg in segs {
        let (lo, hi) = (seg.start + seg.offset, seg.end + seg.offset);
        for &(a, b) in clip(local, lo, hi).iter() {
            out.push((a - seg.offset, b - seg.offset));
        }
    }
    normalize(out)
}

#[derive(Debug)]
pub(crate) struct Region {
    pub name: String,
    /// The calendars listed after `uses`, in that order: the group a change in the region
    /// must fit.
    pub calendars: Vec<CalendarId>,
    /// Where it is declared.
    pub at: Located,
    /// Per indexed year and [`Lift::index`], the stretches where all its calendars are open
    /// (their intersection), computed on first use: a region's check and window search then
    /// read one list, not one per calendar.
    years: Box<[[OnceLock<Vec<Iv>>; 4]]>,
}

impl Region {
    pub(crate) fn new(name: String, calendars: Vec<usize>, at: Located) -> Region {
        Region {
            name,
            // A set holds far fewer than 2^32 calendars; an index that did not fit would
            // name no calendar, and a group with an unknown calendar never fits.
            calendars: calendars
                .into_iter()
                .map(|c| CalendarId(u32::try_from(c).unwrap_or(u32::MAX)))
                .collect(),
            at,
            years: (0..YEARS)
                .map(|_| std::array::from_fn(|_| OnceLock::new()))
                .collect(),
        }
    }

    /// Whether [`Region::open`] answers for `lift`: it lifts none of the region's blackouts
    /// by name (those stretches vary from change to change and are not indexed).
    pub(crate) fn indexed(&self, calendars: &[Calendar], lift: Lift) -> bool {
        lift.blackouts
            || lift.named == 0
            || self.calendars.iter().all(|c| {
                calendars
                    .get(c.0 as usize)
                    .is_some_and(|cal| lift.named & cal.liftable == 0)
            })
    }

    /// The region's open stretches in indexed year `i` with `lift` (see [`Region::indexed`]):
    /// the intersection of its calendars'. An id that is not the set's leaves nothing open.
    pub(crate) fn open<'a>(&'a self, calendars: &'a [Calendar], lift: Lift, i: usize) -> &'a [Iv] {
        let Some(slot) = self.years.get(i).and_then(|y| y.get(lift.index())) else {
            return &[];
        };
        slot.get_or_init(|| {
            let mut acc = vec![(year_start(i), year_start(i + 1))];
            for &c in &self.calendars {
                acc = match calendars.get(c.0 as usize) {
                    Some(cal) => intersect(&acc, &cal.open(lift, i)),
                    None => Vec::new(),
                };
            }
            acc
        })
    }
}
