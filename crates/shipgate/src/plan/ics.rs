//! A plan as an RFC 5545 calendar (SPEC 8.4, 8.8): each planned run is a VEVENT that calendar
//! clients can subscribe to, so the people who watch a release see it where they plan.

use icalendar::{Component, EventLike};

use super::{Plan, rfc3339};
use crate::time::Instant;

/// The UID of a planned run: `<id>@shipgate`, or `<id>-<region>@shipgate` for a region of a
/// `per_region` rollout (SPEC 8.8). A change keeps its UID from plan to plan, so a client
/// that imports a new plan moves the event rather than adding another.
fn uid(id: &str, region: Option<&str>) -> String {
    match region {
        Some(r) => format!("{id}-{r}@shipgate"),
        None => format!("{id}@shipgate"),
    }
}

impl Plan {
    /// The plan as an iCalendar (RFC 5545, built with the `icalendar` crate: CRLF line ends,
    /// lines folded at 75 octets, text escaped). One VEVENT per planned run, in the plan's
    /// order: `SUMMARY` the change id (and its region), `DESCRIPTION` its wave, services and
    /// regions, `X-SHIPGATE-WAVE` the wave, times in UTC. Unschedulable changes have no time
    /// and are not in it: [`Plan::unschedulable`] lists them. `DTSTAMP` is `stamp` (the
    /// CLI gives the plan's `--from`), so the same plan gives the same bytes.
    pub fn to_ics(&self, stamp: Instant) -> String {
        let mut cal = icalendar::Calendar::empty();
        for (name, value) in [
            ("VERSION", "2.0"),
            ("PRODID", "-//shipgate//plan//EN"),
            ("CALSCALE", "GREGORIAN"),
            ("METHOD", "PUBLISH"),
            ("X-WR-CALNAME", "shipgate plan"),
        ] {
            cal.append_property(icalendar::Property::new(name, value));
        }
        for run in &self.changes {
            let summary = match &run.region {
                Some(r) => format!("{} ({r})", run.id),
                None => run.id.clone(),
            };
            let regions = match &run.region {
                Some(r) => r.clone(),
                None => run.regions.join(", "),
            };
            let description = format!(
                "wave {}; services: {}; regions: {}; planned {} to {}",
                run.wave,
                run.services.join(", "),
                if regions.is_empty() { "none" } else { &regions },
                rfc3339(run.start),
                rfc3339(run.end),
            );
            let mut ev = icalendar::Event::new();
            ev.uid(&uid(&run.id, run.region.as_deref()))
                .timestamp(stamp)
                .starts(run.start)
                .ends(run.end)
                .summary(&summary)
                .description(&description)
                .add_property("CATEGORIES", "CHANGE")
                .add_property("TRANSP", "OPAQUE")
                .add_property("X-SHIPGATE-WAVE", run.wave.to_string());
            cal.push(ev.done());
        }
        cal.to_string()
    }
}
