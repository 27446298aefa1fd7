//! The open stretches a group of calendars shares (their intersection), per indexed year,
//! kept for the groups asked about last. A change's whole window is searched over the group
//! of every calendar that applies to it; leapfrogging between calendars in different zones
//! costs a step per stretch of each over the horizon (tens of thousands of instructions when
//! there is no common window in a year), while the shared stretches of a year, once known,
//! answer the same search with a binary search.

use std::sync::{Arc, Mutex};

use super::index::Calendar;
use super::intervals::{Iv, intersect};
use super::{CalendarId, Lift};
use crate::calendar::index::year_start;

/// The last few stretches computed for keys that are not indexed (they vary from change to
/// change): at most `cap` entries, most recently computed last, the oldest dropped first.
/// Shared by the stretches of a calendar with blackouts lifted by name and those a group of
/// calendars shares.
#[derive(Debug)]
pub(crate) struct Kept<K> {
    entries: Mutex<Vec<(K, Arc<[Iv]>)>>,
    cap: usize,
}

impl<K> Kept<K> {
    pub(crate) fn new(cap: usize) -> Kept<K> {
        Kept {
            entries: Mutex::new(Vec::new()),
            cap,
        }
    }

    /// The stretches kept for the key that `is_key` recognises, or those `compute` gives,
    /// then kept under `key()`.
    pub(crate) fn get_or(
        &self,
        is_key: impl Fn(&K) -> bool,
        key: impl FnOnce() -> K,
        compute: impl FnOnce() -> Vec<Iv>,
    ) -> Arc<[Iv]> {
        let found = |v: &Vec<(K, Arc<[Iv]>)>| {
            v.iter()
                .rev()
                .find(|(k, _)| is_key(k))
                .map(|(_, open)| Arc::clone(open))
        };
        // A poisoned lock only means another thread panicked while holding it: the entries
        // are complete values, so they are still right.
        if let Some(open) = found(&self.entries.lock().unwrap_or_else(|e| e.into_inner())) {
            return open;
        }
        let open: Arc<[Iv]> = compute().into();
        let mut v = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if found(&v).is_none() {
            if v.len() >= self.cap {
                v.remove(0);
            }
            v.push((key(), Arc::clone(&open)));
        }
        open
    }
}

/// How many (group, lift, year) entries are kept. A policy's decisions ask about a few
/// groups (one per combination of regions and scopes its changes touch) in a year or two.
const KEPT: usize = 32;

/// The stretches groups share, by (group sorted with each calendar once, the lift's index,
/// the year).
#[derive(Debug)]
pub(crate) struct CommonOpen(Kept<(Box<[CalendarId]>, usize, usize)>);

impl Default for CommonOpen {
    fn default() -> CommonOpen {
        CommonOpen(Kept::new(KEPT))
    }
}

impl CommonOpen {
    /// The stretches of indexed year `year` where every calendar of `key` (sorted, each
    /// once, every id the set's) is open with `lift`, which must not lift any of their
    /// blackouts by name (their stretches are then the cached ones).
    pub(crate) fn get(
        &self,
        calendars: &[Calendar],
        key: &[CalendarId],
        lift: Lift,
        year: usize,
    ) -> Arc<[Iv]> {
        self.0.get_or(
            |(g, l, y)| *y == year && *l == lift.index() && **g == *key,
            || (key.into(), lift.index(), year),
            || {
                let mut common = vec![(year_start(year), year_start(year + 1))];
                for &c in key {
                    common = match calendars.get(c.0 as usize) {
                        Some(cal) => intersect(&common, &cal.open(lift, year)),
                        None => Vec::new(),
                    };
                }
                common
            },
        )
    }
}
