//! Phase 3: calendars and regions, compiled by `calendar` (`ics` imports resolve against the
//! policy folder `root`).

use std::path::Path;

use crate::calendar::CalendarSet;
use crate::error::Diagnostic;
use crate::span::SourceMap;
use crate::syntax::ast::{self, Item};

pub fn check(
    items: &[&Item],
    root: Option<&Path>,
    sources: &SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> CalendarSet {
    let calendars: Vec<&ast::CalendarDecl> = items
        .iter()
        .filter_map(|i| {
            if let Item::Calendar(c) = i {
                Some(c)
            } else {
                None
            }
        })
        .collect();
    let regions: Vec<&ast::RegionDecl> = items
        .iter()
        .filter_map(|i| {
            if let Item::Region(r) = i {
                Some(r)
            } else {
                None
            }
        })
        .collect();
    // A calendar that only `services where` / `changes where` use is used (`scopes` checks
    // those names).
    let scoped: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Scope(s) => Some(s),
            _ => None,
        })
        .flat_map(|s| s.calendars.iter().map(|c| c.name.as_str()))
        .collect();
    let (mut calendar_set, cal_diags) =
        CalendarSet::compile_scoped(&calendars, &regions, &scoped, root);
    diags.extend(cal_diags);
    calendar_set.locate(sources);
    calendar_set
}
