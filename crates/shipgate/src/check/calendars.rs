//! Phase 3: calendars and regions, compiled by `calendar` (`ics` imports resolve against the
//! policy folder `root`).

use std::path::Path;

use crate::calendar::{CalendarSet, MAX_LIFTABLE_NAMES, NotLiftable};
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

/// The bit of a blackout name that `exempt blackout "NAME"` or `waivable blackout "NAME"`
/// lifts ([`CalendarSet::make_liftable`]); an unknown name, or one name too many, is an error
/// at the name.
pub fn liftable(
    set: &mut CalendarSet,
    name: &ast::StrLit,
    diags: &mut Vec<Diagnostic>,
) -> Option<u64> {
    match set.make_liftable(&name.value) {
        Ok(bit) => Some(bit),
        Err(NotLiftable::Unknown(help)) => {
            let mut d =
                Diagnostic::error(name.span, format!("unknown blackout \"{}\"", name.value))
                    .with_label("no calendar declares a blackout of that name");
            if let Some(h) = help {
                d = d.with_help(h);
            }
            diags.push(d);
            None
        }
        Err(NotLiftable::TooMany) => {
            diags.push(
                Diagnostic::error(
                    name.span,
                    format!(
                        "too many blackout names lifted by name: a policy may lift at most \
                         {MAX_LIFTABLE_NAMES} by name"
                    ),
                )
                .with_label("one name too many")
                .with_help("`exempt blackout` without a name lifts every blackout"),
            );
            None
        }
    }
}
