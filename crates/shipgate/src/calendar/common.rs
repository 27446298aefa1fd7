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

/// How many (group, lift, year) entries are kept. A policy's decisions ask about a few
/// groups (one per combination of regions and scopes its changes touch) in a year or two.
const KEPT: usize = 32;

/// One entry: the group (sorted, each calendar once), the lift's index, the year, and the
/// stretches where every calendar of the group is open.
type Entry = (Box<[CalendarId]>, usize, usize, Arc<[Iv]>);

/// The kept intersections, most recently computed last.
#[derive(Debug, Default)]
pub(crate) struct CommonOpen {
    entries: Mutex<Vec<Entry>>,
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
        let found = |v: &Vec<Entry>| {
            v.iter()
                .rev()
                .find(|(g, l, y, _)| *y == year && *l == lift.index() && **g == *key)
                .map(|(_, _, _, open)| Arc::clone(open))
        };
        // A poisoned lock only means another thread panicked while holding it: the entries
        // are complete values, so they are still right.
        if let Some(open) = found(&self.entries.lock().unwrap_or_else(|e| e.into_inner())) {
            return open;
        }
        let mut common = vec![(year_start(year), year_start(year + 1))];
        for &c in key {
            common = match calendars.get(c.0 as usize) {
                Some(cal) => intersect(&common, &cal.open(lift, year)),
                None => Vec::new(),
            };
        }
        let open: Arc<[Iv]> = common.into();
        let mut v = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if found(&v).is_none() {
            if v.len() >= KEPT {
                v.remove(0);
            }
            v.push((key.into(), lift.index(), year, Arc::clone(&open)));
        }
        open
    }
}
