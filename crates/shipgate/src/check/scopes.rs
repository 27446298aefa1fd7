//! Phase 5: `services where COND use C, ...` and `changes where COND use C, ...`: the
//! calendars that apply to services and to changes besides their regions' (SPEC 8.3).

use super::expr::ExprChecker;
use super::ir::{ScopeIr, Ty};
use crate::calendar::CalendarSet;
use crate::error::{Diagnostic, did_you_mean};
use crate::span::SourceMap;
use crate::syntax::ast::{Item, ScopeTarget};

/// The service a `services where` condition reads.
pub const SERVICE_VAR: &str = "s";

/// The checked scopes: (`services where`, `changes where`), each in declaration order.
pub fn check(
    items: &[&Item],
    calendars: &CalendarSet,
    ck: &mut ExprChecker<'_, '_>,
    sources: &SourceMap,
) -> (Vec<ScopeIr>, Vec<ScopeIr>) {
    let mut services = Vec::new();
    let mut changes = Vec::new();
    for item in items {
        let Item::Scope(decl) = item else { continue };
        let mut ids = Vec::with_capacity(decl.calendars.len());
        let mut known = true;
        for cal in &decl.calendars {
            match calendars.calendar(&cal.name) {
                Some(id) if ids.contains(&id) => ck.diagnostics.push(
                    Diagnostic::warning(
                        cal.span,
                        format!("calendar `{}` is listed twice", cal.name),
                    )
                    .with_label("listed again here"),
                ),
                Some(id) => ids.push(id),
                None => {
                    known = false;
                    let mut d =
                        Diagnostic::error(cal.span, format!("unknown calendar `{}`", cal.name))
                            .with_label("no calendar has this name");
                    match did_you_mean(&cal.name, calendars.calendar_names()) {
                        Some(help) => d = d.with_help(help),
                        None => {
                            let names: Vec<&str> = calendars.calendar_names().collect();
                            d = d.with_note(if names.is_empty() {
                                "the policy declares no calendar".to_string()
                            } else {
                                format!("calendars are: {}", names.join(", "))
                            });
                        }
                    }
                    ck.diagnostics.push(d);
                }
            }
        }
        let cond = match decl.target {
            ScopeTarget::Services => {
                ck.service_only = Some("a `services where` condition");
                let cond = ck.condition_binding(SERVICE_VAR, Ty::Service, &decl.when);
                ck.service_only = None;
                cond
            }
            ScopeTarget::Changes => ck.condition(&decl.when, &[]).map(|c| (c, 0)),
        };
        let (Some((cond, slot)), true) = (cond, known) else {
            continue;
        };
        let scope = ScopeIr {
            cond,
            slot,
            calendars: ids,
            at: sources.location_text(decl.span),
        };
        match decl.target {
            ScopeTarget::Services => services.push(scope),
            ScopeTarget::Changes => changes.push(scope),
        }
    }
    (services, changes)
}
