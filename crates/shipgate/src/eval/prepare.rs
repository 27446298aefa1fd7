//! Prepare: what a session finds once per change, whatever its start: the touched services,
//! the regions, the `extend change` values; and `extend service` values, the groups of
//! approvals, waivers and the catalog, and the change's kinds are validated here.

use std::borrow::Cow;
use std::cell::OnceCell;

use super::value::{ListVal, Value};
use crate::calendar::CalendarGroup;
use crate::check::Compiled;
use crate::check::ir::Ty;
use crate::decision::Text;
use crate::error::InputError;
use crate::graph::Catalog;
use crate::input::fields::ChangeField;
use crate::input::typed::TypedValue;
use crate::input::{Change, JsonPath, scalar, unknown_field, unknown_group};
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
    /// `extend change` values, by field index (`None` when an optional is absent): read and
    /// type-checked once per session, so a decision reads a slot, never a name; borrowed
    /// when the change was read for the policy (`typed.rs`).
    pub change_ext: Slots<'a>,
    /// `extend service` values of the touched services, read and checked once per session:
    /// the value of field `f` of the service at position `k` of `services` is at
    /// `k * service_ext_width + f`.
    pub service_ext: Vec<Option<Value<'a>>>,
    pub service_ext_width: usize,
    /// The touched services whose catalog entry names `calendars`, with those calendars
    /// (empty when none does: most catalogs).
    pub catalog_calendars: Vec<(u32, CalendarGroup)>,
    dependents: OnceCell<Vec<u32>>,
}

impl<'a> Facts<'a> {
    /// The `extend service` field `field` of the touched service at position `pos` of
    /// `services`: `None` when it is not a touched service's (the caller reads the catalog),
    /// `Some(None)` when an optional field is absent.
    #[inline(always)]
    pub fn touched_ext(&self, pos: usize, field: u16) -> Option<&Option<Value<'a>>> {
        let at = pos
            .checked_mul(self.service_ext_width)?
            .checked_add(usize::from(field))?;
        self.service_ext.get(at)
    }

    /// The position among the touched services of the service at catalog index `idx`, looked
    /// up only among a few (a quantifier over touched services binds the position itself).
    pub fn touched_position(&self, idx: u32) -> Option<usize> {
        if self.services.len() > 16 {
            return None;
        }
        self.services.iter().position(|&s| s == idx)
    }

    /// Services that transitively depend on a touched one (computed on first use).
    pub fn dependents(&self, catalog: &Catalog) -> &[u32] {
        self.dependents
            .get_or_init(|| catalog.dependents(&self.services))
    }
}

/// `extend change` values by field index: read for the session from the change's JSON, or
/// those of a change read for the policy (`typed.rs`), borrowed.
pub enum Slots<'a> {
    Read(Vec<Option<Value<'a>>>),
    Typed(&'a [Option<TypedValue>]),
}

impl<'a> Slots<'a> {
    /// Field `i`'s value; `None` when it is absent (an optional) or out of range.
    #[inline(always)]
    pub fn value(&'a self, i: usize) -> Option<Value<'a>> {
        match self {
            Slots::Read(v) => v.get(i)?.clone(),
            Slots::Typed(t) => t.get(i)?.as_ref().map(typed_value),
        }
    }

    /// Field `i` as a bool.
    #[inline(always)]
    pub fn bool_at(&self, i: usize) -> Option<bool> {
        match self {
            Slots::Read(v) => match v.get(i)? {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            },
            Slots::Typed(t) => match t.get(i)? {
                Some(TypedValue::Bool(b)) => Some(*b),
                _ => None,
            },
        }
    }

    /// Field `i` as an integer-like value (int, duration, date-time, date).
    #[inline(always)]
    pub fn int_at(&self, i: usize) -> Option<i64> {
        match self {
            Slots::Read(v) => match v.get(i)? {
                Some(Value::Int(x) | Value::Duration(x) | Value::DateTime(x) | Value::Date(x)) => {
                    Some(*x)
                }
                _ => None,
            },
            Slots::Typed(t) => match t.get(i)? {
                Some(
                    TypedValue::Int(x)
                    | TypedValue::Duration(x)
                    | TypedValue::DateTime(x)
                    | TypedValue::Date(x),
                ) => Some(*x),
                _ => None,
            },
        }
    }

    /// Field `i` as a number (a float, or an int).
    #[inline(always)]
    pub fn num_at(&self, i: usize) -> Option<f64> {
        match self {
            Slots::Read(v) => match v.get(i)? {
                Some(Value::Float(x)) => Some(*x),
                Some(Value::Int(x)) => Some(*x as f64),
                _ => None,
            },
            Slots::Typed(t) => match t.get(i)? {
                Some(TypedValue::Float(x)) => Some(*x),
                Some(TypedValue::Int(x)) => Some(*x as f64),
                _ => None,
            },
        }
    }

    /// Field `i` as a string borrowed from the input.
    #[inline(always)]
    pub fn str_at(&'a self, i: usize) -> Option<&'a str> {
        match self {
            Slots::Read(v) => match v.get(i)? {
                Some(Value::Str(Cow::Borrowed(s))) => Some(s),
                _ => None,
            },
            Slots::Typed(t) => match t.get(i)? {
                Some(TypedValue::Str(s)) => Some(s),
                _ => None,
            },
        }
    }

    /// Field `i` as a list of strings: a JSON array whose elements were checked, or the
    /// strings of a change read for the policy.
    #[inline(always)]
    pub fn strs_at(&'a self, i: usize) -> Option<ExtStrs<'a>> {
        match self {
            Slots::Read(v) => match v.get(i)? {
                Some(Value::List(ListVal::Json(items, _))) => Some(ExtStrs::Json(items)),
                _ => None,
            },
            Slots::Typed(t) => match t.get(i)? {
                Some(TypedValue::Strs(s)) => Some(ExtStrs::Strs(s)),
                _ => None,
            },
        }
    }

    /// Whether field `i` has a value.
    #[inline(always)]
    pub fn has(&self, i: usize) -> bool {
        match self {
            Slots::Read(v) => v.get(i).is_some_and(Option::is_some),
            Slots::Typed(t) => t.get(i).is_some_and(Option::is_some),
        }
    }
}

/// An `extend` list of strings, wherever it is kept.
#[derive(Clone, Copy)]
pub enum ExtStrs<'a> {
    /// A JSON array, each element checked to be a string.
    Json(&'a [serde_json::Value]),
    Strs(&'a [String]),
}

/// A typed value as the evaluator reads it, borrowing its text.
#[inline(always)]
pub fn typed_value(t: &TypedValue) -> Value<'_> {
    match t {
        TypedValue::Bool(b) => Value::Bool(*b),
        TypedValue::Int(i) => Value::Int(*i),
        TypedValue::Float(x) => Value::Float(*x),
        TypedValue::Str(s) => Value::Str(Cow::Borrowed(s)),
        TypedValue::Duration(s) => Value::Duration(*s),
        TypedValue::DateTime(t) => Value::DateTime(*t),
        TypedValue::Date(d) => Value::Date(*d),
        TypedValue::Strs(s) => Value::List(ListVal::Strs(s)),
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
    /// The session's facts, for as long as the session lives.
    #[inline(always)]
    pub fn facts(&self) -> &'a Facts<'a> {
        self.facts
    }

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

/// Reads a JSON value as the declared `extend` type, checking all of it (every element of a
/// list, every field of a record); an error names the JSON path of the offending value under
/// `path` (`change.backups[1].taken_at`). Built-in reading rules apply to every scalar.
pub fn ext_value<'a>(
    v: &'a serde_json::Value,
    ty: &'a Ty,
    path: &JsonPath<'_>,
) -> Result<Value<'a>, InputError> {
    use serde_json::Value as J;
    let at = |m: String| InputError::new(path.to_string(), m);
    Ok(match (ty.unopt(), v) {
        (Ty::Bool, J::Bool(b)) => Value::Bool(*b),
        // Numbers, durations and instants follow the built-in fields' reading rules.
        (Ty::Int, J::Number(_)) => Value::Int(scalar::int(v).map_err(at)?),
        (Ty::Float, J::Number(_)) => Value::Float(scalar::number(v).map_err(at)?),
        (Ty::Str, J::String(s)) => Value::Str(Cow::Borrowed(s)),
        (Ty::Duration, J::String(_) | J::Number(_)) => {
            Value::Duration(scalar::duration(v).map_err(at)?)
        }
        (Ty::DateTime, J::String(_)) => {
            Value::DateTime(scalar::instant(v).map_err(at)?.timestamp())
        }
        (Ty::Date, J::String(_)) => Value::Date(scalar::date(v).map_err(at)?),
        (Ty::List(inner), J::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                ext_value(item, inner, &path.index(i))?;
            }
            Value::List(ListVal::Json(items, inner))
        }
        (Ty::Record(fields), J::Object(map)) => {
            // A record has a fixed shape, as an approval has: a misspelt key is an error, not
            // a field silently absent.
            for key in map.keys() {
                if !fields.iter().any(|f| f.name == *key) {
                    let known = fields.iter().map(|f| f.name.as_str());
                    return Err(unknown_field(path, key, known));
                }
            }
            for f in fields.iter() {
                let field_path = path.key(&f.name);
                match map.get(&f.name) {
                    None | Some(J::Null) => {
                        if !matches!(f.ty, Ty::Opt(_)) {
                            return Err(InputError::new(
                                field_path.to_string(),
                                format!("missing required field ({})", f.ty.describe()),
                            ));
                        }
                    }
                    Some(x) => {
                        ext_value(x, &f.ty, &field_path)?;
                    }
                }
            }
            Value::Record(map, fields)
        }
        _ => {
            return Err(at(format!(
                "expected {}, got {}",
                ty.describe(),
                json_kind(v)
            )));
        }
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
pub(super) fn check_change_keys(policy: &Compiled, change: &Change) -> Result<(), InputError> {
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
    // The regions the touched services run in, looked up once per region the change names:
    // linear in both lists, however long each is.
    let mut runs_in: foldhash::HashSet<&str> = foldhash::HashSet::default();
    runs_in.extend(touched().flat_map(|s| s.regions.iter().map(String::as_str)));
    for (i, region) in regions.iter().enumerate() {
        if runs_in.contains(region.as_str()) {
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

/// Every approval and waiver of the change names a group the policy knows (SPEC 8.8: its
/// `groups` setting, else every group it names): an approval for `"CAB"` or `"cab "` would
/// otherwise vanish, counted nowhere. With `kinds` declared, every kind is one of them.
fn check_change_names(policy: &super::lower::Policy, change: &Change) -> Result<(), InputError> {
    let ir = &policy.compiled.ir;
    let groups = || ir.groups.iter().map(Text::as_str);
    let known = |g: &str| policy.group_names.contains(g);
    for (i, a) in change.approvals.iter().enumerate() {
        if !known(&a.group) {
            let path = format!("change.approvals[{i}].group");
            return Err(unknown_group(path, &a.group, groups()));
        }
    }
    for (i, w) in change.waivers.iter().enumerate() {
        if !known(&w.group) {
            let path = format!("change.waivers[{i}].group");
            return Err(unknown_group(path, &w.group, groups()));
        }
    }
    if let (Some(kinds), Some(plain)) = (&ir.kinds, &policy.kind_names) {
        for (i, kind) in change.kind.iter().enumerate() {
            if plain.contains(kind) {
                continue;
            }
            let declared = kinds.iter().map(Text::as_str);
            let mut message = format!("unknown kind {}", serde_json::Value::String(kind.clone()));
            if let Some(help) = crate::error::did_you_mean(kind, declared.clone()) {
                message.push_str(&format!(" ({help})"));
            }
            message.push_str("; the policy's kinds are: ");
            message.push_str(&declared.collect::<Vec<_>>().join(", "));
            return Err(InputError::new(format!("change.kind[{i}]"), message));
        }
    }
    Ok(())
}

/// The values of an input's `extend` fields, by field index, read in one pass over its keys
/// (a `BTreeMap`, in the order of their names) beside the fields in the same order (`order`):
/// no lookup by name. `None` when a key is not a declared field, a required field is absent
/// or a value is not of its type: the caller then reads it again field by field for the
/// precise error.
pub(super) fn read_slots<'a>(
    fields: &'a [crate::check::ir::ExtField],
    order: &[u16],
    extra: &'a std::collections::BTreeMap<String, serde_json::Value>,
    out: &mut Vec<Option<Value<'a>>>,
) -> Option<()> {
    let base = out.len();
    out.resize(base + fields.len(), None);
    let mut keys = extra.iter().peekable();
    for &i in order {
        let f = fields.get(usize::from(i))?;
        let value = match keys.peek() {
            Some((k, v)) if **k == f.name => {
                let v = *v;
                keys.next();
                (!v.is_null()).then_some(v)
            }
            // A key before this field's name is no declared field.
            Some((k, _)) if k.as_str() < f.name.as_str() => return None,
            _ => None,
        };
        let slot = out.get_mut(base + usize::from(i))?;
        match value {
            Some(v) => *slot = Some(ext_value(v, &f.ty, &JsonPath::Root("")).ok()?),
            None if matches!(f.ty, Ty::Opt(_)) => {}
            None => return None,
        }
    }
    // A key after the last field's name.
    keys.next().is_none().then_some(())
}

pub fn prepare<'a>(
    policy_set: &'a super::lower::Policy,
    change: &'a Change,
    catalog: &'a Catalog,
) -> Result<Facts<'a>, InputError> {
    let policy = &policy_set.compiled;
    let policy_id = policy_set.id;
    let mut change_ext = Vec::new();
    // A change read for this policy has its values in slots already.
    let typed = match &change.typed {
        Some(t) => {
            if t.policy != policy_id {
                return Err(super::typed::other_policy());
            }
            let slots: &'a [Option<TypedValue>] = &t.slots;
            if let Some(key) = change.extra.keys().next() {
                return Err(super::typed::added_after(key));
            }
            Some(slots)
        }
        None => None,
    };
    // No `extend change` field and no key beyond the built-in ones (most changes): nothing
    // to read.
    let read = if typed.is_some() || (policy.ir.change_ext.is_empty() && change.extra.is_empty()) {
        Some(())
    } else {
        read_slots(
            &policy.ir.change_ext,
            &policy_set.change_ext_order,
            &change.extra,
            &mut change_ext,
        )
    };
    // The errors come in the order they always have: a key that is no field first, a
    // value's after the services and regions.
    if read.is_none() {
        check_change_keys(policy, change)?;
    }
    let services = catalog.services_from_ids(&change.services, "change.services")?;
    catalog.check_extra_fields(policy_id, || {
        policy.ir.service_ext.iter().map(|f| f.name.as_str())
    })?;
    catalog.check_groups(policy_id, || policy.ir.groups.iter().map(Text::as_str))?;
    let cals = &policy.ir.calendars;
    catalog.check_calendars(
        policy_id,
        |name| cals.calendar(name).is_some(),
        |name| cals.unknown_calendar(name),
    )?;
    check_change_regions(change, &services, catalog)?;
    check_change_names(policy_set, change)?;
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
    if read.is_none() {
        change_ext = read_change_ext(policy, change)?;
    }
    let change_ext = match typed {
        Some(slots) => Slots::Typed(slots),
        None => Slots::Read(change_ext),
    };
    // `extend service` fields of the touched services are validated up front, so a
    // malformed catalog entry is an input error rather than a failed rule, and kept as the
    // session's slots.
    let service_ext_width = policy.ir.service_ext.len();
    let mut service_ext = Vec::with_capacity(service_ext_width * services.len());
    if service_ext_width > 0 {
        for (k, idx) in services.iter().enumerate() {
            let read = catalog.service(*idx).and_then(|s| {
                read_slots(
                    &policy.ir.service_ext,
                    &policy_set.service_ext_order,
                    &s.extra,
                    &mut service_ext,
                )
            });
            if read.is_none() {
                service_ext.truncate(k * service_ext_width);
                read_service_ext(policy, catalog, *idx, k, &mut service_ext)?;
            }
        }
    }
    // Every name was checked against the policy above.
    let mut catalog_calendars = Vec::new();
    for &idx in &services {
        let Some(s) = catalog.service(idx) else {
            continue;
        };
        if !s.calendars.is_empty() {
            let group: CalendarGroup = s
                .calendars
                .iter()
                .filter_map(|c| cals.calendar(c))
                .collect();
            catalog_calendars.push((idx, group));
        }
    }
    Ok(Facts {
        catalog_calendars,
        services,
        regions,
        region_texts,
        change_ext,
        service_ext,
        service_ext_width,
        dependents: OnceCell::new(),
    })
}

/// The `extend change` values field by field, with the precise error of the first required
/// field absent or value not of its type (the keys were checked by `check_change_keys`).
#[cold]
pub(super) fn read_change_ext<'a>(
    policy: &'a Compiled,
    change: &'a Change,
) -> Result<Vec<Option<Value<'a>>>, InputError> {
    let mut change_ext = Vec::with_capacity(policy.ir.change_ext.len());
    let root = JsonPath::Root("change");
    for f in &policy.ir.change_ext {
        // Paths are formatted only on the error path: this runs on every evaluation.
        let path = root.key(&f.name);
        match change.extra.get(&f.name) {
            None | Some(serde_json::Value::Null) => {
                if matches!(f.ty, Ty::Opt(_)) {
                    change_ext.push(None);
                } else {
                    return Err(InputError::new(
                        path.to_string(),
                        format!("missing required field ({})", f.ty.describe()),
                    ));
                }
            }
            Some(v) => change_ext.push(Some(ext_value(v, &f.ty, &path)?)),
        }
    }
    Ok(change_ext)
}

/// The `extend service` values of the touched service at catalog index `idx` (position `k`
/// of the change's services) field by field, with the precise error of the first that is
/// absent though required or not of its type.
#[cold]
fn read_service_ext<'a>(
    policy: &'a Compiled,
    catalog: &'a Catalog,
    idx: u32,
    k: usize,
    service_ext: &mut Vec<Option<Value<'a>>>,
) -> Result<(), InputError> {
    let width = policy.ir.service_ext.len();
    let Some(s) = catalog.service(idx) else {
        // Unreachable (the indices come from the catalog); the slots stay aligned.
        service_ext.extend(std::iter::repeat_n(None, width));
        return Ok(());
    };
    for f in &policy.ir.service_ext {
        let services = JsonPath::Root("catalog.services");
        let service = services.index(idx as usize);
        let path = service.key(&f.name);
        match s.extra.get(&f.name) {
            None | Some(serde_json::Value::Null) => {
                if !matches!(f.ty, Ty::Opt(_)) {
                    return Err(InputError::new(
                        path.to_string(),
                        format!(
                            "missing required field ({}) of service \"{}\" (change.services[{k}])",
                            f.ty.describe(),
                            s.id
                        ),
                    ));
                }
                service_ext.push(None);
            }
            Some(v) => service_ext.push(Some(ext_value(v, &f.ty, &path)?)),
        }
    }
    Ok(())
}

/// The facts of a change that touches only the service at catalog index `idx` and gives
/// nothing else: what `shipgate calendar --service` asks about. The catalog is checked
/// against the policy as [`prepare`] checks it; no change field is read.
pub fn service_facts<'a>(
    policy: &'a Compiled,
    policy_id: u64,
    catalog: &'a Catalog,
    idx: u32,
) -> Result<Facts<'a>, InputError> {
    catalog.check_extra_fields(policy_id, || {
        policy.ir.service_ext.iter().map(|f| f.name.as_str())
    })?;
    catalog.check_groups(policy_id, || policy.ir.groups.iter().map(Text::as_str))?;
    let cals = &policy.ir.calendars;
    catalog.check_calendars(
        policy_id,
        |name| cals.calendar(name).is_some(),
        |name| cals.unknown_calendar(name),
    )?;
    let service = catalog.service(idx);
    let mut regions: Vec<String> = service.map(|s| s.regions.clone()).unwrap_or_default();
    regions.sort();
    regions.dedup();
    let catalog_calendars = match service {
        Some(s) if !s.calendars.is_empty() => {
            vec![(
                idx,
                s.calendars
                    .iter()
                    .filter_map(|c| cals.calendar(c))
                    .collect(),
            )]
        }
        _ => Vec::new(),
    };
    Ok(Facts {
        services: smallvec::smallvec![idx],
        regions: Cow::Owned(regions),
        region_texts: &[],
        change_ext: Slots::Typed(&[]),
        service_ext: Vec::new(),
        service_ext_width: 0,
        catalog_calendars,
        dependents: OnceCell::new(),
    })
}
