//! The fast path for JSON text: serde visitors read the text straight into a `Change` (or a
//! list of changes, or catalog services) without building a `serde_json::Value` tree first.
//!
//! The fast path only says yes or "ask the slow reader": it gives up on anything the slow
//! reader would refuse, and also on what it could read differently (a duplicate key, which
//! the tree silently resolves to its last value). The caller then runs the slow reader, which
//! produces the one precise error message, so messages and paths are the slow reader's. What
//! the fast path accepts, it builds exactly as the slow reader would (the differential
//! proptest in `fast/tests.rs` holds the two together).
//!
//! Every value is read with `deserialize_any`, the call the `Value` tree is built with (or
//! `deserialize_option`, which hands a non-null value to it), so numbers, strings and nesting
//! depth go through the same parser code on both paths.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{
    Approval, CHANGE_COMPUTED_FIELDS, Change, Incident, Instant, MAX_DURATION_SECS,
    SERVICE_COMPUTED_FIELDS, Service, Waiver, first_duplicate, int_from_f64, parse_duration,
    parse_instant,
};

/// One change from JSON text, or `None` when the slow reader must decide.
pub(super) fn change(text: &str) -> Option<Change> {
    read_all(text, ChangeRecord)
}

/// Several changes from JSON text (a list, or `{"changes": [...]}` with no other key), with
/// unique ids; `None` when the slow reader must decide.
pub(super) fn changes(text: &str) -> Option<Vec<Change>> {
    let changes = read_all(text, ChangeList)?;
    let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    first_duplicate(&ids).is_none().then_some(changes)
}

/// The services of a JSON catalog text (`{"services": [...]}` with no other key); `None` when
/// the slow reader must decide.
pub(crate) fn catalog_services(text: &str) -> Option<Vec<Service>> {
    let services = read_all(text, ServiceList)?;
    u32::try_from(services.len()).ok().map(|_| services)
}

/// The whole text as one value read by `seed`, trailing characters refused.
fn read_all<'de, S: DeserializeSeed<'de>>(text: &'de str, seed: S) -> Option<S::Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = seed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// The error that sends a document to the slow reader. Its text is never shown.
fn give_up<E: de::Error>() -> E {
    E::custom("left to the slow reader")
}

/// Implements `DeserializeSeed` for a unit-struct visitor that reads any JSON value.
macro_rules! seed_by_any {
    ($($seed:ident),* $(,)?) => {$(
        impl<'de> DeserializeSeed<'de> for $seed {
            type Value = <$seed as Visitor<'de>>::Value;

            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
    )*};
}

seed_by_any!(
    Text,
    Flag,
    Int,
    Number,
    Seconds,
    At,
    KeyName,
    ChangeRecord,
    ChangeList,
    ApprovalRecord,
    IncidentRecord,
    WaiverRecord,
    ServiceRecord,
    ServiceList,
);

// --- scalars ----------------------------------------------------------------------------------

/// A string (`read_string`).
#[derive(Clone, Copy)]
struct Text;

impl<'de> Visitor<'de> for Text {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
}

/// `true` or `false` (`read_bool`).
#[derive(Clone, Copy)]
struct Flag;

impl<'de> Visitor<'de> for Flag {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("true or false")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
}

/// An integer, a whole float counting (`read_int`).
#[derive(Clone, Copy)]
struct Int;

impl<'de> Visitor<'de> for Int {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| give_up())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        int_from_f64(v).ok_or_else(give_up)
    }
}

/// A finite number (`read_number`).
#[derive(Clone, Copy)]
struct Number;

impl<'de> Visitor<'de> for Number {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        self.visit_f64(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        if v.is_finite() { Ok(v) } else { Err(give_up()) }
    }
}

/// A duration: text such as `"1h30m"` or whole seconds (`read_duration`).
#[derive(Clone, Copy)]
struct Seconds;

impl Seconds {
    fn in_range<E: de::Error>(secs: i64) -> Result<i64, E> {
        if (0..=MAX_DURATION_SECS).contains(&secs) {
            Ok(secs)
        } else {
            Err(give_up())
        }
    }
}

impl<'de> Visitor<'de> for Seconds {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        parse_duration(v).map_err(|_| give_up())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Seconds::in_range(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        Seconds::in_range(Int.visit_u64(v)?)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        Seconds::in_range(Int.visit_f64(v)?)
    }
}

/// An RFC 3339 date-time with offset (`read_instant`).
#[derive(Clone, Copy)]
struct At;

impl<'de> Visitor<'de> for At {
    type Value = Instant;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 date-time")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Instant, E> {
        parse_instant(v).map_err(|_| give_up())
    }
}

/// A non-empty string (`read_non_empty_id`).
#[derive(Clone, Copy)]
struct Id;

impl<'de> DeserializeSeed<'de> for Id {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        let id = Text.deserialize(d)?;
        if id.is_empty() {
            Err(give_up())
        } else {
            Ok(id)
        }
    }
}

/// A non-negative integer (`read_size`).
#[derive(Clone, Copy)]
struct Size;

impl<'de> DeserializeSeed<'de> for Size {
    type Value = i64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        let size = Int.deserialize(d)?;
        if size < 0 { Err(give_up()) } else { Ok(size) }
    }
}

/// A catalog tier, 0 to 3 (`read_tier`).
#[derive(Clone, Copy)]
struct Tier;

impl<'de> DeserializeSeed<'de> for Tier {
    type Value = i64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        let tier = Int.deserialize(d)?;
        if (0..=3).contains(&tier) {
            Ok(tier)
        } else {
            Err(give_up())
        }
    }
}

// --- lists and null ---------------------------------------------------------------------------

/// A list whose items `S` reads (`read_list_of`).
#[derive(Clone, Copy)]
struct List<S>(S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for List<S> {
    type Value = Vec<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for List<S> {
    type Value = Vec<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self.0)? {
            items.push(item);
        }
        Ok(items)
    }
}

/// A list of strings where each appears once (`read_unique_ids`).
#[derive(Clone, Copy)]
struct UniqueIds;

impl<'de> DeserializeSeed<'de> for UniqueIds {
    type Value = Vec<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        let ids = List(Text).deserialize(d)?;
        match first_duplicate(&ids) {
            None => Ok(ids),
            Some(_) => Err(give_up()),
        }
    }
}

/// A value that may be `null` (`Record::nullable`).
#[derive(Clone, Copy)]
struct Nullable<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

// --- records ----------------------------------------------------------------------------------

/// An object key, borrowed from the text unless it has escapes.
#[derive(Clone, Copy)]
struct KeyName;

impl<'de> Visitor<'de> for KeyName {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// Reads the value of a key into its slot; a key seen twice gives up (the tree would keep
/// the last value without a word).
fn fill<'de, A: MapAccess<'de>, S: DeserializeSeed<'de>>(
    map: &mut A,
    slot: &mut Option<S::Value>,
    seed: S,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(give_up());
    }
    *slot = Some(map.next_value_seed(seed)?);
    Ok(())
}

/// A required field's value (`Record::required`).
fn required<T, E: de::Error>(slot: Option<T>) -> Result<T, E> {
    slot.ok_or_else(give_up)
}

/// Reads a field that is not built in into `extra` (`Record::extra`): a computed field or a
/// repeated key gives up.
fn extra_field<'de, A: MapAccess<'de>>(
    map: &mut A,
    extra: &mut BTreeMap<String, Value>,
    key: Cow<'de, str>,
    computed: &[&str],
) -> Result<(), A::Error> {
    if computed.contains(&key.as_ref()) {
        return Err(give_up());
    }
    let value: Value = map.next_value()?;
    match extra.insert(key.into_owned(), value) {
        None => Ok(()),
        Some(_) => Err(give_up()),
    }
}

/// An approval (`read_approval`): an unknown key gives up.
#[derive(Clone, Copy)]
struct ApprovalRecord;

impl<'de> Visitor<'de> for ApprovalRecord {
    type Value = Approval;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an approval")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Approval, A::Error> {
        let (mut by, mut group, mut at) = (None, None, None);
        while let Some(key) = map.next_key_seed(KeyName)? {
            match key.as_ref() {
                "by" => fill(&mut map, &mut by, Text)?,
                "group" => fill(&mut map, &mut group, Text)?,
                "at" => fill(&mut map, &mut at, At)?,
                _ => return Err(give_up()),
            }
        }
        Ok(Approval {
            by: required(by)?,
            group: required(group)?,
            at: required(at)?,
        })
    }
}

/// An incident (`read_incident`).
#[derive(Clone, Copy)]
struct IncidentRecord;

impl<'de> Visitor<'de> for IncidentRecord {
    type Value = Incident;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an incident")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Incident, A::Error> {
        let (mut id, mut severity, mut opened) = (None, None, None);
        while let Some(key) = map.next_key_seed(KeyName)? {
            match key.as_ref() {
                "id" => fill(&mut map, &mut id, Text)?,
                "severity" => fill(&mut map, &mut severity, Int)?,
                "opened" => fill(&mut map, &mut opened, Nullable(At))?,
                _ => return Err(give_up()),
            }
        }
        Ok(Incident {
            id: required(id)?,
            severity: required(severity)?,
            opened: opened.flatten(),
        })
    }
}

/// A waiver (`read_waiver`).
#[derive(Clone, Copy)]
struct WaiverRecord;

impl<'de> Visitor<'de> for WaiverRecord {
    type Value = Waiver;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a waiver")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Waiver, A::Error> {
        let (mut rule, mut by, mut group, mut reason) = (None, None, None, None);
        let (mut granted_at, mut expires_at) = (None, None);
        while let Some(key) = map.next_key_seed(KeyName)? {
            match key.as_ref() {
                "rule" => fill(&mut map, &mut rule, Text)?,
                "by" => fill(&mut map, &mut by, Text)?,
                "group" => fill(&mut map, &mut group, Text)?,
                "reason" => fill(&mut map, &mut reason, Text)?,
                "granted_at" => fill(&mut map, &mut granted_at, At)?,
                "expires_at" => fill(&mut map, &mut expires_at, At)?,
                _ => return Err(give_up()),
            }
        }
        Ok(Waiver {
            rule: required(rule)?,
            by: required(by)?,
            group: required(group)?,
            reason: reason.unwrap_or_default(),
            granted_at: required(granted_at)?,
            expires_at: required(expires_at)?,
        })
    }
}

/// The fields of a change as they are read: `None` until the key is seen.
#[derive(Default)]
struct ChangeFields {
    id: Option<String>,
    title: Option<String>,
    kind: Option<Vec<String>>,
    services: Option<Vec<String>>,
    requester: Option<String>,
    implementer: Option<String>,
    approvals: Option<Vec<Approval>>,
    checks: Option<Vec<String>>,
    emergency: Option<bool>,
    incident: Option<Option<Incident>>,
    start: Option<Option<Instant>>,
    duration: Option<i64>,
    regions: Option<Option<Vec<String>>>,
    size: Option<i64>,
    labels: Option<Vec<String>>,
    backward_compatible: Option<bool>,
    contract_verified: Option<bool>,
    after: Option<Vec<String>>,
    waivers: Option<Vec<Waiver>>,
}

/// A change (`read_change`). The keys matched here are `CHANGE_FIELDS`; a built-in field
/// missing from this match would land in `extra`, which the differential test catches.
#[derive(Clone, Copy)]
struct ChangeRecord;

impl<'de> Visitor<'de> for ChangeRecord {
    type Value = Change;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a change")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Change, A::Error> {
        let mut f = ChangeFields::default();
        let mut extra = BTreeMap::new();
        while let Some(key) = map.next_key_seed(KeyName)? {
            let m = &mut map;
            match key.as_ref() {
                "id" => fill(m, &mut f.id, Id)?,
                "title" => fill(m, &mut f.title, Text)?,
                "kind" => fill(m, &mut f.kind, List(Text))?,
                "services" => fill(m, &mut f.services, UniqueIds)?,
                "requester" => fill(m, &mut f.requester, Text)?,
                "implementer" => fill(m, &mut f.implementer, Text)?,
                "approvals" => fill(m, &mut f.approvals, List(ApprovalRecord))?,
                "checks" => fill(m, &mut f.checks, List(Text))?,
                "emergency" => fill(m, &mut f.emergency, Flag)?,
                "incident" => fill(m, &mut f.incident, Nullable(IncidentRecord))?,
                "start" => fill(m, &mut f.start, Nullable(At))?,
                "duration" => fill(m, &mut f.duration, Seconds)?,
                "regions" => fill(m, &mut f.regions, Nullable(List(Text)))?,
                "size" => fill(m, &mut f.size, Size)?,
                "labels" => fill(m, &mut f.labels, List(Text))?,
                "backward_compatible" => fill(m, &mut f.backward_compatible, Flag)?,
                "contract_verified" => fill(m, &mut f.contract_verified, Flag)?,
                "after" => fill(m, &mut f.after, List(Text))?,
                "waivers" => fill(m, &mut f.waivers, List(WaiverRecord))?,
                _ => extra_field(m, &mut extra, key, CHANGE_COMPUTED_FIELDS)?,
            }
        }
        Ok(Change {
            id: required(f.id)?,
            title: f.title.unwrap_or_default(),
            kind: f.kind.unwrap_or_default(),
            services: required(f.services)?,
            requester: required(f.requester)?,
            implementer: required(f.implementer)?,
            approvals: f.approvals.unwrap_or_default(),
            checks: f.checks.unwrap_or_default(),
            emergency: f.emergency.unwrap_or_default(),
            incident: f.incident.flatten(),
            start: f.start.flatten(),
            duration: required(f.duration)?,
            regions: f.regions.flatten(),
            size: f.size.unwrap_or_default(),
            labels: f.labels.unwrap_or_default(),
            backward_compatible: f.backward_compatible.unwrap_or_default(),
            contract_verified: f.contract_verified.unwrap_or_default(),
            after: f.after.unwrap_or_default(),
            waivers: f.waivers.unwrap_or_default(),
            extra,
        })
    }
}

/// A list of changes, or `{"changes": [...]}` with no other key (`changes_from_json`, which
/// ignores other keys: those documents go to it).
#[derive(Clone, Copy)]
struct ChangeList;

impl<'de> Visitor<'de> for ChangeList {
    type Value = Vec<Change>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of changes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<Change>, A::Error> {
        List(ChangeRecord).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<Change>, A::Error> {
        only_field(map, "changes", List(ChangeRecord))
    }
}

/// The value of the one key of an object; any other key, or none, gives up.
fn only_field<'de, A: MapAccess<'de>, S: DeserializeSeed<'de>>(
    mut map: A,
    name: &str,
    seed: S,
) -> Result<S::Value, A::Error> {
    match map.next_key_seed(KeyName)? {
        Some(key) if key == name => {}
        _ => return Err(give_up()),
    }
    let value = map.next_value_seed(seed)?;
    match map.next_key_seed(KeyName)? {
        None => Ok(value),
        Some(_) => Err(give_up()),
    }
}

/// The fields of a catalog service as they are read.
#[derive(Default)]
struct ServiceFields {
    id: Option<String>,
    team: Option<String>,
    tier: Option<i64>,
    depends_on: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    stateful: Option<bool>,
    automated_rollback: Option<bool>,
    legacy: Option<bool>,
    monitored: Option<bool>,
    error_budget: Option<f64>,
}

/// A catalog service (`read_service`); the keys matched here are `SERVICE_FIELDS`.
#[derive(Clone, Copy)]
struct ServiceRecord;

impl<'de> Visitor<'de> for ServiceRecord {
    type Value = Service;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a service")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Service, A::Error> {
        let mut f = ServiceFields::default();
        let mut extra = BTreeMap::new();
        while let Some(key) = map.next_key_seed(KeyName)? {
            let m = &mut map;
            match key.as_ref() {
                "id" => fill(m, &mut f.id, Id)?,
                "team" => fill(m, &mut f.team, Text)?,
                "tier" => fill(m, &mut f.tier, Tier)?,
                "depends_on" => fill(m, &mut f.depends_on, List(Text))?,
                "regions" => fill(m, &mut f.regions, List(Text))?,
                "stateful" => fill(m, &mut f.stateful, Flag)?,
                "automated_rollback" => fill(m, &mut f.automated_rollback, Flag)?,
                "legacy" => fill(m, &mut f.legacy, Flag)?,
                "monitored" => fill(m, &mut f.monitored, Flag)?,
                "error_budget" => fill(m, &mut f.error_budget, Number)?,
                _ => extra_field(m, &mut extra, key, SERVICE_COMPUTED_FIELDS)?,
            }
        }
        Ok(Service {
            id: required(f.id)?,
            team: f.team.unwrap_or_default(),
            tier: required(f.tier)?,
            depends_on: f.depends_on.unwrap_or_default(),
            regions: f.regions.unwrap_or_default(),
            stateful: f.stateful.unwrap_or_default(),
            automated_rollback: f.automated_rollback.unwrap_or_default(),
            legacy: f.legacy.unwrap_or_default(),
            monitored: f.monitored.unwrap_or_default(),
            error_budget: f.error_budget.unwrap_or(1.0),
            extra,
        })
    }
}

/// `{"services": [...]}` with no other key (`Catalog::from_json`, which ignores other keys).
#[derive(Clone, Copy)]
struct ServiceList;

impl<'de> Visitor<'de> for ServiceList {
    type Value = Vec<Service>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a catalog")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<Service>, A::Error> {
        only_field(map, "services", List(ServiceRecord))
    }
}

#[cfg(test)]
mod tests;
