//! The fast path for JSON text: serde visitors read the text straight into a `Change` (or a
//! list of changes, or catalog services) without building a `serde_json::Value` tree first.
//!
//! The fast path only says yes or "ask the slow reader": it gives up on anything the slow
//! reader would refuse, a key given twice included (the tree refuses it with its path). The
//! caller then runs the slow reader, which
//! produces the one precise error message, so messages and paths are the slow reader's. What
//! the fast path accepts, it builds exactly as the slow reader would (the differential
//! proptest in `fast/tests.rs` holds the two together).
//!
//! This file holds the readers of single values (each beside the tree reader it mirrors, see
//! `fields::Tree`) and of the lists around records; the records themselves (change, service,
//! approval, check, incident, waiver) are generated from the field table in `fields.rs`, for both
//! paths at once.
//!
//! Every value is read with `deserialize_any`, the call the `Value` tree is built with (or
//! `deserialize_option`, which hands a non-null value to it), so numbers, strings and nesting
//! depth go through the same parser code on both paths.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::fields::{ChangeRecord, CheckRecord, CheckStatus, ServiceRecord, Waiver, WaiverRecord};
use super::text::Unique;
use super::typed::{TypedExt, TypedSchema, TypedValue};
use super::{
    Change, Check, Instant, MAX_DURATION_SECS, Service, first_duplicate, int_from_f64,
    parse_duration, parse_instant,
};
use crate::digest::Source;

/// One change from JSON text, or `None` when the slow reader must decide. The change keeps
/// the text, for the decision's `inputs` digest.
pub(super) fn change(text: &str) -> Option<Change> {
    let mut change = read_all(text, ChangeRecord)?;
    change.source = Source::text(text);
    Some(change)
}

/// Several changes from JSON text (a list, or `{"changes": [...]}` with no other key), with
/// unique ids; `None` when the slow reader must decide.
pub(super) fn changes(text: &str) -> Option<Vec<Change>> {
    let changes = read_all(text, ChangeList)?;
    let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    first_duplicate(&ids).is_none().then_some(changes)
}

/// The services and groups of a JSON catalog text (`{"services": [...], "groups": {...}}`,
/// `groups` optional, no other key); `None` when the slow reader must decide.
pub(crate) fn catalog_parts(text: &str) -> Option<(Vec<Service>, Groups)> {
    let (services, groups) = read_all(text, CatalogDoc)?;
    u32::try_from(services.len())
        .ok()
        .map(|_| (services, groups))
}

/// The whole text as one value read by `seed`, trailing characters refused.
fn read_all<'de, S: DeserializeSeed<'de>>(text: &'de str, seed: S) -> Option<S::Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = seed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// The error that sends a document to the slow reader. Its text is never shown.
pub(super) fn give_up<E: de::Error>() -> E {
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
    Budget,
    Seconds,
    At,
    Status,
    RolloutName,
    CheckItem,
    KeyName,
    ChangeList,
    CatalogDoc,
);

// --- scalars ----------------------------------------------------------------------------------

/// A string (`read_string`).
#[derive(Clone, Copy)]
pub(super) struct Text;

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
pub(super) struct Flag;

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
pub(super) struct Int;

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
pub(super) struct Number;

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

/// A service's `error_budget` (`read_error_budget`): a number here; an SLO object is left to
/// the slow reader, which computes the fraction it leaves.
#[derive(Clone, Copy)]
pub(super) struct Budget;

impl<'de> Visitor<'de> for Budget {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or an SLO object")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Number.visit_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Number.visit_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Number.visit_f64(v)
    }
}

/// A duration: text such as `"1h30m"` or whole seconds (`read_duration`).
#[derive(Clone, Copy)]
pub(super) struct Seconds;

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
pub(super) struct At;

impl<'de> Visitor<'de> for At {
    type Value = Instant;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 date-time")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Instant, E> {
        parse_instant(v).map_err(|_| give_up())
    }
}

/// A check's status, `passed`, `failed` or `pending` (`read_check_status`).
#[derive(Clone, Copy)]
pub(super) struct Status;

impl<'de> Visitor<'de> for Status {
    type Value = CheckStatus;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a check status")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<CheckStatus, E> {
        CheckStatus::from_name(v).ok_or_else(give_up)
    }
}

/// A change's `rollout`, `all_at_once` or `per_region` (`read_rollout`).
#[derive(Clone, Copy)]
pub(super) struct RolloutName;

impl<'de> Visitor<'de> for RolloutName {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a rollout")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if super::fields::ROLLOUTS.contains(&v) {
            Ok(v.to_string())
        } else {
            Err(give_up())
        }
    }
}

/// An element of `checks`: a name, or a check object (`fields::CheckItem`'s tree reader).
#[derive(Clone, Copy)]
pub(super) struct CheckItem;

impl<'de> Visitor<'de> for CheckItem {
    type Value = Check;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a check")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Check, E> {
        Ok(Check::passed(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Check, A::Error> {
        CheckRecord.visit_map(map)
    }
}

/// An element of `waivers`: a waiver record naming a rule or a blackout, not both and not
/// neither (`fields::WaiverItem`'s tree reader, which says which).
#[derive(Clone, Copy)]
pub(super) struct WaiverItem;

impl<'de> DeserializeSeed<'de> for WaiverItem {
    type Value = Waiver;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Waiver, D::Error> {
        let w = WaiverRecord.deserialize(d)?;
        if w.rule.is_empty() == w.blackout.is_empty() {
            return Err(give_up());
        }
        Ok(w)
    }
}

/// A non-empty string (`read_non_empty_id`).
#[derive(Clone, Copy)]
pub(super) struct Id;

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
pub(super) struct Size;

impl<'de> DeserializeSeed<'de> for Size {
    type Value = i64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        let size = Int.deserialize(d)?;
        if size < 0 { Err(give_up()) } else { Ok(size) }
    }
}

/// A catalog tier, 0 to 3 (`read_tier`).
#[derive(Clone, Copy)]
pub(super) struct Tier;

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
pub(super) struct List<S>(pub(super) S);

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
pub(super) struct UniqueIds;

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
pub(super) struct Nullable<S>(pub(super) S);

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
pub(super) struct KeyName;

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

/// Reads the value of a key into its slot; a key seen twice gives up (the tree refuses it).
pub(super) fn fill<'de, A: MapAccess<'de>, S: DeserializeSeed<'de>>(
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
pub(super) fn required<T, E: de::Error>(slot: Option<T>) -> Result<T, E> {
    slot.ok_or_else(give_up)
}

/// Reads a field that is not built in into `extra` (`Record::extra`): a computed field or a
/// repeated key gives up.
pub(super) fn extra_field<'de, A: MapAccess<'de>>(
    map: &mut A,
    extra: &mut BTreeMap<String, Value>,
    key: Cow<'de, str>,
    computed: &[&str],
) -> Result<(), A::Error> {
    if computed.contains(&key.as_ref()) {
        return Err(give_up());
    }
    // A key given twice inside the value gives up too.
    let value: Value = map.next_value_seed(Unique::ANYWHERE)?;
    match extra.insert(key.into_owned(), value) {
        None => Ok(()),
        Some(_) => Err(give_up()),
    }
}

/// Where a record's keys that are not built in go while it is read from text.
pub(super) trait ExtraSink {
    /// Reads the value of `key` (not a built-in field) from `map`, or gives up.
    fn other<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        key: Cow<'de, str>,
        refused: &[&str],
    ) -> Result<(), A::Error>;

    /// The keys kept, for the record's `extra`.
    fn take_map(&mut self) -> BTreeMap<String, Value> {
        BTreeMap::new()
    }

    /// The values read into slots, for a change's `typed`; giving up when one is missing.
    fn take_typed<E: de::Error>(&mut self) -> Result<Option<Box<TypedExt>>, E> {
        Ok(None)
    }
}

/// A record without `extra`: any other key is refused (by the slow reader, which names it).
pub(super) struct NoExtra;

impl ExtraSink for NoExtra {
    fn other<'de, A: MapAccess<'de>>(
        &mut self,
        _: &mut A,
        _: Cow<'de, str>,
        _: &[&str],
    ) -> Result<(), A::Error> {
        Err(give_up())
    }
}

/// A record with `extra`: other keys are kept as JSON values.
#[derive(Default)]
pub(super) struct KeepExtra(BTreeMap<String, Value>);

impl ExtraSink for KeepExtra {
    fn other<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        key: Cow<'de, str>,
        refused: &[&str],
    ) -> Result<(), A::Error> {
        extra_field(map, &mut self.0, key, refused)
    }

    fn take_map(&mut self) -> BTreeMap<String, Value> {
        std::mem::take(&mut self.0)
    }
}

/// A change read for one policy: its `extend change` values go straight into their slots
/// (`TypedValue::from_json`, the reading rules of every other path). Anything else, an
/// undeclared key, a value not of its type, a required field absent, a key given twice, gives
/// up, and the slow reader and the evaluator's checks give the precise error.
struct TypedExtra<'s> {
    schema: &'s TypedSchema,
    slots: Vec<Option<TypedValue>>,
    seen: Vec<bool>,
}

impl ExtraSink for TypedExtra<'_> {
    fn other<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        key: Cow<'de, str>,
        refused: &[&str],
    ) -> Result<(), A::Error> {
        if refused.contains(&key.as_ref()) {
            return Err(give_up());
        }
        let field = self.schema.find(&key).ok_or_else(give_up)?;
        let at = usize::from(field.index);
        match self.seen.get_mut(at) {
            Some(seen) if !*seen => *seen = true,
            _ => return Err(give_up()),
        }
        // A key given twice inside the value gives up too.
        let value: Value = map.next_value_seed(Unique::ANYWHERE)?;
        if value.is_null() {
            return if field.optional {
                Ok(())
            } else {
                Err(give_up())
            };
        }
        let typed = TypedValue::from_json(value, field.ty).ok_or_else(give_up)?;
        let slot = self.slots.get_mut(at).ok_or_else(give_up)?;
        *slot = Some(typed);
        Ok(())
    }

    fn take_typed<E: de::Error>(&mut self) -> Result<Option<Box<TypedExt>>, E> {
        let complete = self.schema.fields.iter().all(|f| {
            f.optional
                || self
                    .slots
                    .get(usize::from(f.index))
                    .is_some_and(Option::is_some)
        });
        if !complete {
            return Err(give_up());
        }
        // A policy without `extend change` fields: nothing to keep.
        if self.schema.fields.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(TypedExt {
            policy: self.schema.policy,
            slots: std::mem::take(&mut self.slots).into_boxed_slice(),
        })))
    }
}

/// A change read for the policy `schema` describes, from JSON text; `None` when the slow
/// reader must decide (see [`TypedExtra`]).
pub(crate) fn change_typed(text: &str, schema: &TypedSchema) -> Option<Change> {
    struct Seed<'s>(&'s TypedSchema);

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = Change;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Change, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = Change;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a change")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Change, A::Error> {
            let width = self.0.fields.len();
            let mut sink = TypedExtra {
                schema: self.0,
                slots: vec![None; width],
                seen: vec![false; width],
            };
            ChangeRecord::read_map(map, &mut sink)
        }
    }

    let mut change = read_all(text, Seed(schema))?;
    change.source = Source::text(text);
    Some(change)
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
        List(ChangeItem).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<Change>, A::Error> {
        only_field(map, "changes", List(ChangeItem))
    }
}

/// One change of a list, which keeps its own text (borrowed from the list's) for the
/// decision's `inputs` digest.
#[derive(Clone, Copy)]
struct ChangeItem;

impl<'de> DeserializeSeed<'de> for ChangeItem {
    type Value = Change;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Change, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        let mut change = read_all(raw.get(), ChangeRecord).ok_or_else(give_up)?;
        change.source = Source::text(raw.get());
        Ok(change)
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

/// A catalog: `services` and an optional `groups`, each once, and no other key
/// (`Catalog::from_json`, which refuses other keys with the precise error).
#[derive(Clone, Copy)]
struct CatalogDoc;

impl<'de> Visitor<'de> for CatalogDoc {
    type Value = (Vec<Service>, Groups);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a catalog")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut services = None;
        let mut groups = None;
        while let Some(key) = map.next_key_seed(KeyName)? {
            match key.as_ref() {
                "services" => fill(&mut map, &mut services, List(ServiceRecord))?,
                "groups" => fill(&mut map, &mut groups, GroupMap)?,
                _ => return Err(give_up()),
            }
        }
        Ok((required(services)?, groups.unwrap_or_default()))
    }
}

/// A catalog's `groups`: group name to its members (`read_catalog_groups`).
pub(crate) type Groups = BTreeMap<String, Vec<String>>;

/// `{"cab": ["ana", "eve"], ...}`; a name given twice gives up (the tree keeps the last).
#[derive(Clone, Copy)]
struct GroupMap;

impl<'de> DeserializeSeed<'de> for GroupMap {
    type Value = Groups;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Groups, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GroupMap {
    type Value = Groups;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("groups")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Groups, A::Error> {
        let mut groups = Groups::new();
        while let Some(key) = map.next_key_seed(KeyName)? {
            let members = map.next_value_seed(List(Text))?;
            if groups.insert(key.into_owned(), members).is_some() {
                return Err(give_up());
            }
        }
        Ok(groups)
    }
}

// --- reading into a record read before ---------------------------------------------------------
// A stream of changes (a replay's lines) reads each change into the one of the line before, so
// that its strings and lists keep their allocations: each value reader can also overwrite a
// value it read before (`ReadInto`), with the same rules and the same giving up as when it
// builds one. What a reader accepts in place, it reads exactly as when it builds (the
// differential tests in `fast/tests.rs` hold the two together).

/// A value reader that can overwrite a value: by default it reads a new one in its place;
/// readers of strings, lists and records reuse what is there.
pub(super) trait ReadInto<'de>: DeserializeSeed<'de> + Copy {
    /// Reads the value into `slot`; after an error `slot` holds anything (read the whole
    /// value again with the slow reader).
    fn read_into<D: Deserializer<'de>>(self, d: D, slot: &mut Self::Value) -> Result<(), D::Error> {
        *slot = self.deserialize(d)?;
        Ok(())
    }
}

impl ReadInto<'_> for Flag {}
impl ReadInto<'_> for Int {}
impl ReadInto<'_> for Number {}
impl ReadInto<'_> for Budget {}
impl ReadInto<'_> for Seconds {}
impl ReadInto<'_> for At {}
impl ReadInto<'_> for Status {}
impl ReadInto<'_> for Size {}
impl ReadInto<'_> for Tier {}

/// `reader` reading into `slot`, as a seed (`next_value_seed`, `next_element_seed`).
pub(super) struct InPlace<'s, S, T>(pub(super) S, pub(super) &'s mut T);

impl<'de, S: ReadInto<'de, Value = T>, T> DeserializeSeed<'de> for InPlace<'_, S, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.read_into(d, self.1)
    }
}

/// A string into the string there (`Text`), and `check` must accept it.
struct StringInto<'s>(&'s mut String, fn(&str) -> bool);

impl<'de> Visitor<'de> for StringInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if !(self.1)(v) {
            return Err(give_up());
        }
        self.0.clear();
        self.0.push_str(v);
        Ok(())
    }
}

impl<'de> ReadInto<'de> for Text {
    fn read_into<D: Deserializer<'de>>(self, d: D, slot: &mut String) -> Result<(), D::Error> {
        d.deserialize_any(StringInto(slot, |_| true))
    }
}

impl<'de> ReadInto<'de> for RolloutName {
    fn read_into<D: Deserializer<'de>>(self, d: D, slot: &mut String) -> Result<(), D::Error> {
        d.deserialize_any(StringInto(slot, |v| super::fields::ROLLOUTS.contains(&v)))
    }
}

impl<'de> ReadInto<'de> for Id {
    fn read_into<D: Deserializer<'de>>(self, d: D, slot: &mut String) -> Result<(), D::Error> {
        d.deserialize_any(StringInto(slot, |v| !v.is_empty()))
    }
}

/// A list into the list there: its items are read into those already there, new ones are
/// added, and those left over dropped.
struct ListInto<'s, S, T>(S, &'s mut Vec<T>);

impl<'de, S: ReadInto<'de, Value = T>, T> Visitor<'de> for ListInto<'_, S, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ListInto(seed, items) = self;
        let mut n = 0;
        loop {
            let more = match items.get_mut(n) {
                Some(item) => seq.next_element_seed(InPlace(seed, item))?.is_some(),
                None => match seq.next_element_seed(seed)? {
                    Some(item) => {
                        items.push(item);
                        true
                    }
                    None => false,
                },
            };
            if !more {
                break;
            }
            n += 1;
        }
        items.truncate(n);
        Ok(())
    }
}

impl<'de, S: ReadInto<'de>> ReadInto<'de> for List<S> {
    fn read_into<D: Deserializer<'de>>(
        self,
        d: D,
        slot: &mut Vec<S::Value>,
    ) -> Result<(), D::Error> {
        d.deserialize_any(ListInto(self.0, slot))
    }
}

impl<'de> ReadInto<'de> for UniqueIds {
    fn read_into<D: Deserializer<'de>>(self, d: D, slot: &mut Vec<String>) -> Result<(), D::Error> {
        List(Text).read_into(d, slot)?;
        match first_duplicate(slot.as_slice()) {
            None => Ok(()),
            Some(_) => Err(give_up()),
        }
    }
}

/// A value or `null` into the option there.
struct NullableInto<'s, S, T>(S, &'s mut Option<T>);

impl<'de, S: ReadInto<'de, Value = T>, T> Visitor<'de> for NullableInto<'_, S, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        *self.1 = None;
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.1 {
            Some(value) => self.0.read_into(d, value),
            None => {
                *self.1 = Some(self.0.deserialize(d)?);
                Ok(())
            }
        }
    }
}

impl<'de, S: ReadInto<'de>> ReadInto<'de> for Nullable<S> {
    fn read_into<D: Deserializer<'de>>(
        self,
        d: D,
        slot: &mut Option<S::Value>,
    ) -> Result<(), D::Error> {
        d.deserialize_option(NullableInto(self.0, slot))
    }
}

/// An element of `checks` into the check there (`CheckItem`).
struct CheckInto<'s>(&'s mut Check);

impl<'de> Visitor<'de> for CheckInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a check")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let check = self.0;
        check.name.clear();
        check.name.push_str(v);
        check.status = CheckStatus::Passed;
        check.at = None;
        check.url = None;
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        RecordInto(self.0).visit_map(map)
    }
}

impl<'de> ReadInto<'de> for CheckItem {
    fn read_into<D: Deserializer<'de>>(self, d: D, slot: &mut Check) -> Result<(), D::Error> {
        d.deserialize_any(CheckInto(slot))
    }
}

impl<'de> ReadInto<'de> for WaiverItem {
    fn read_into<D: Deserializer<'de>>(self, d: D, slot: &mut Waiver) -> Result<(), D::Error> {
        WaiverRecord.read_into(d, slot)?;
        if slot.rule.is_empty() == slot.blackout.is_empty() {
            return Err(give_up());
        }
        Ok(())
    }
}

/// A record into the record there: the `Visitor` the field table generates for each record
/// (`fields.rs`).
pub(super) struct RecordInto<'s, T>(pub(super) &'s mut T);

/// A field a record read in place does not give: back to its default, its allocation kept.
pub(super) trait Absent {
    fn reset(&mut self);
}

impl Absent for String {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T> Absent for Vec<T> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T> Absent for Option<T> {
    fn reset(&mut self) {
        *self = None;
    }
}

impl Absent for bool {
    fn reset(&mut self) {
        *self = false;
    }
}

impl Absent for i64 {
    fn reset(&mut self) {
        *self = 0;
    }
}

/// The default of a field read `or(default)`: built for a new record, written into the
/// field of one read in place (a string's allocation kept).
pub(super) trait FieldDefault<T> {
    fn make(self) -> T;
    fn put(self, slot: &mut T);
}

impl FieldDefault<String> for &str {
    fn make(self) -> String {
        self.to_string()
    }

    fn put(self, slot: &mut String) {
        slot.clear();
        slot.push_str(self);
    }
}

impl FieldDefault<f64> for f64 {
    fn make(self) -> f64 {
        self
    }

    fn put(self, slot: &mut f64) {
        *slot = self;
    }
}

/// A change read into `slot`: into the change there, reusing its strings and lists, else as
/// a new change. The change's `source` is not set (a new one's is unset; one read in place
/// keeps the earlier one's): for readers that never digest what they read (a replay's lean
/// decisions). After an error `slot` holds anything: read the text again with the slow
/// reader.
pub(crate) struct ChangeInto<'s>(pub(crate) &'s mut Option<Change>);

impl<'de> DeserializeSeed<'de> for ChangeInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.0 {
            Some(change) => ChangeRecord.read_into(d, change),
            None => {
                *self.0 = Some(ChangeRecord.deserialize(d)?);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;
