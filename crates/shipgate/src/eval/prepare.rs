//! Prepare: what a session finds once per change, whatever its start: the touched services,
//! the regions, the `extend change` values; and `extend service` values are validated here.

use std::borrow::Cow;
use std::cell::OnceCell;

use super::value::{ListVal, Value};
use crate::check::Compiled;
use crate::check::ir::Ty;
use crate::decision::Text;
use crate::error::InputError;
use crate::graph::Catalog;
use crate::input::fields::ChangeField;
use crate::input::{Change, JsonPath, scalar, unknown_field};
use crate::time::Instant;

/// Facts derived from the inputs once per session, before any rule runs, that do not depend
/// on when the change starts.
pub struct Facts<'a> {
    /// The touched services, as catalog indices.
    pub services: smallvec::SmallVec<[u32; 4]>,
    /// The change's regions: its own, else the union of its services' (sorted, unique).
    pub regions: Cow<'a, [String]>,
    /// The same regions as decision text when they are one service's, as the catalog keeps
    /// them (else the schedule makes the text).
    pub region_texts: &'a [Text],
    /// `extend change` values, by field index (`None` when an optional is absent).
    pub change_ext: Vec<Option<Value<'a>>>,
    dependents: OnceCell<Vec<u32>>,
}

impl Facts<'_> {
    /// Services that transitively depend on a touched one (computed on first use).
    pub fn dependents(&self, catalog: &Catalog) -> &[u32] {
        self.dependents
            .get_or_init(|| catalog.dependents(&self.services))
    }
}

/// What one decision reads: the session's facts and the start it is decided at.
pub struct Prepared<'a> {
    facts: &'a Facts<'a>,
    /// `start` as an instant (whole seconds).
    pub start_at: Instant,
    pub start: i64,
    pub end: i64,
}

impl<'a> Prepared<'a> {
    /// The facts with the change starting at `requested` (to the second) for `duration` seconds.
    pub fn at(facts: &'a Facts<'a>, requested: Instant, duration: i64) -> Prepared<'a> {
        let start = requested.timestamp();
        // Decisions state instants to the second.
        let start_at = if requested.timestamp_subsec_nanos() == 0 {
            requested
        } else {
            chrono::DateTime::from_timestamp(start, 0).unwrap_or(requested)
        };
        Prepared {
            facts,
            start_at,
            start,
            end: start.saturating_add(duration),
        }
    }
}

impl<'a> std::ops::Deref for Prepared<'a> {
    type Target = Facts<'a>;

    #[inline(always)]
    fn deref(&self) -> &Facts<'a> {
        self.facts
    }
}

/// Reads a JSON value as the declared `extend` type.
pub fn ext_value<'a>(v: &'a serde_json::Value, ty: &'a Ty) -> Result<Value<'a>, String> {
    use serde_json::Value as J;
    let expected = || format!("expected {}, got {}", ty.describe(), json_kind(v));
    Ok(match (ty.unopt(), v) {
        (Ty::Bool, J::Bool(b)) => Value::Bool(*b),
        // Numbers, durations and instants follow the built-in fields' reading rules.
        (Ty::Int, J::Number(_)) => Value::Int(scalar::int(v)?),
        (Ty::Float, J::Number(_)) => Value::Float(scalar::number(v)?),
        (Ty::Str, J::String(s)) => Value::Str(Cow::Borrowed(s)),
        (Ty::Duration, J::String(_) | J::Number(_)) => Value::Duration(scalar::duration(v)?),
        (Ty::DateTime, J::String(_)) => Value::DateTime(scalar::instant(v)?.timestamp()),
        (Ty::Date, J::String(s)) => {
            let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| format!("expected a date like 2026-12-24, got {s:?}"))?;
            Value::Date(
                d.signed_duration_since(crate::time::epoch_date())
                    .num_days(),
            )
        }
        (Ty::List(inner), J::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                ext_value(item, inner).map_err(|m| format!("[{i}]: {m}"))?;
            }
            Value::List(ListVal::Json(items, inner))
        }
        _ => return Err(expected()),
    })
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Every key of the change is a built-in field or one of the policy's `extend change` fields
/// (SPEC 8.1: a misspelt `emergancy` must not silently weaken a rule). The keys of approvals,
/// waivers and the incident are fixed and checked when the change is read.
fn check_change_keys(policy: &Compiled, change: &Change) -> Result<(), InputError> {
    // Valid input has no key beyond the built-in fields of a policy without `extend change`:
    // the map is empty and nothing is looked up.
    if change.extra.is_empty() {
        return Ok(());
    }
    let declared = || policy.ir.change_ext.iter().map(|f| f.name.as_str());
    for key in change.extra.keys() {
        if !declared().any(|d| d == key) {
            let known = ChangeField::INPUT.iter().copied().chain(declared());
            return Err(unknown_field(&JsonPath::Root("change"), key, known));
        }
    }
    Ok(())
}

/// Each of the change's own regions, when it gives them, is a region of one of its services
/// (SPEC 8.1): a team cannot pick the most permissive calendar.
fn check_change_regions(
    change: &Change,
    services: &[u32],
    catalog: &Catalog,
) -> Result<(), InputError> {
    let Some(regions) = &change.regions else {
        return Ok(());
    };
    let touched = || services.iter().filter_map(|&i| catalog.service(i));
    for (i, region) in regions.iter().enumerate() {
        if touched().any(|s| s.regions.contains(region)) {
            continue;
        }
        let runs_in = touched()
            .map(|s| match s.regions.as_slice() {
                [] => format!("{} runs in no region", s.id),
                list => format!("{} runs in {}", s.id, list.join(", ")),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let mut message = format!(
            "region {} is not a region of the change's services: {runs_in}",
            crate::input::quoted(region)
        );
        let theirs = touched().flat_map(|s| s.regions.iter().map(String::as_str));
        if let Some(help) = crate::error::did_you_mean(region, theirs) {
            message.push_str(&format!(" ({help})"));
        }
        return Err(InputError::new(format!("change.regions[{i}]"), message));
    }
    Ok(())
}

pub fn prepare<'a>(
    policy: &'a Compiled,
    policy_id: u64,
    change: &'a Change,
    catalog: &'a Catalog,
) -> Result<Facts<'a>, InputError> {
    check_change_keys(policy, change)?;
    let services = catalog.services_from_ids(&change.services, "change.services")?;
    catalog.check_extra_fields(policy_id, || {
        policy.ir.service_ext.iter().map(|f| f.name.as_str())
    })?;
    check_change_regions(change, &services, catalog)?;
    // One touched service whose regions are already sorted and unique: its own, borrowed.
    let sole = match services.as_slice() {
        [one] if catalog.regions_sorted(*one) => catalog.service(*one).map(|s| (*one, s)),
        _ => None,
    };
    let (regions, region_texts): (Cow<'a, [String]>, &'a [Text]) = match (&change.regions, sole) {
        (Some(r), _) => (Cow::Borrowed(r), &[]),
        (None, Some((i, s))) => (Cow::Borrowed(&s.regions), catalog.region_texts(i)),
        (None, None) => {
            let mut r: Vec<String> = services
                .iter()
                .filter_map(|i| catalog.service(*i))
                .flat_map(|s| s.regions.iter().cloned())
                .collect();
            r.sort();
            r.dedup();
            (Cow::Owned(r), &[])
        }
    };
    let mut change_ext = Vec::with_capacity(policy.ir.change_ext.len());
    for f in &policy.ir.change_ext {
        // Paths are formatted only on the error path: this runs on every evaluation.
        let path = || format!("change.{}", f.name);
        match change.extra.get(&f.name) {
            None | Some(serde_json::Value::Null) => {
                if matches!(f.ty, Ty::Opt(_)) {
                    change_ext.push(None);
                } else {
                    return Err(InputError::new(
                        path(),
                        format!("missing required field ({})", f.ty.describe()),
                    ));
                }
            }
            Some(v) => change_ext.push(Some(
                ext_value(v, &f.ty).map_err(|m| InputError::new(path(), m))?,
            )),
        }
    }
    // `extend service` fields of the touched services are validated up front, so a
    // malformed catalog entry is an input error rather than a failed rule.
    for (k, idx) in services.iter().enumerate() {
        let Some(s) = catalog.service(*idx) else {
            continue;
        };
        for f in &policy.ir.service_ext {
            let path = || format!("catalog.services[{idx}].{}", f.name);
            match s.extra.get(&f.name) {
                None | Some(serde_json::Value::Null) => {
                    if !matches!(f.ty, Ty::Opt(_)) {
                        return Err(InputError::new(
                            path(),
                            format!(
                                "missing required field ({}) of service \"{}\" (change.services[{k}])",
                                f.ty.describe(),
                                s.id
                            ),
                        ));
                    }
                }
                Some(v) => {
                    ext_value(v, &f.ty).map_err(|m| InputError::new(path(), m))?;
                }
            }
        }
    }
    Ok(Facts {
        services,
        regions,
        region_texts,
        change_ext,
        dependents: OnceCell::new(),
    })
}
