//! Windows, blackouts, recurrences and time zones. (Stub until the calendar module lands.)

use std::path::Path;

use crate::error::Diagnostic;
use crate::input::Instant;
use crate::syntax::ast::{CalendarDecl, RegionDecl};

#[derive(Debug, Default)]
pub struct CalendarSet {
    regions: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionId(pub u32);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lift {
    pub blackouts: bool,
    pub windows: bool,
}

pub struct RegionCheck {
    pub open: bool,
    pub blocked_by: Vec<String>,
    pub next_window: Option<(Instant, Instant)>,
}

impl CalendarSet {
    pub fn compile(
        _calendars: &[&CalendarDecl],
        regions: &[&RegionDecl],
        _root: Option<&Path>,
    ) -> (CalendarSet, Vec<Diagnostic>) {
        (
            CalendarSet {
                regions: regions.iter().map(|r| r.name.name.clone()).collect(),
            },
            Vec::new(),
        )
    }

    pub fn region(&self, name: &str) -> Option<RegionId> {
        self.regions
            .iter()
            .position(|r| r == name)
            .map(|i| RegionId(i as u32))
    }

    pub fn region_names(&self) -> Vec<String> {
        self.regions.clone()
    }

    pub fn check(
        &self,
        _region: RegionId,
        _start: Instant,
        _end: Instant,
        _lift: Lift,
    ) -> RegionCheck {
        RegionCheck {
            open: true,
            blocked_by: Vec::new(),
            next_window: None,
        }
    }

    pub fn next_window(
        &self,
        _region: RegionId,
        after: Instant,
        duration_secs: i64,
        _lift: Lift,
    ) -> Option<(Instant, Instant)> {
        Some((after, after + chrono::Duration::seconds(duration_secs)))
    }
}

pub const HORIZON_DAYS: i64 = 365;

pub fn tzdb_version() -> &'static str {
    "unknown"
}
