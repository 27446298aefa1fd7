//! The built-in fields of the inputs, each declared once.
//!
//! A change, a catalog service and the records nested in a change (approval, check, incident,
//! waiver) are declared below with [`record!`]: for each field its name, its Rust type, the value
//! reader that reads it, whether it is required, and its type in the policy language. From that
//! one line the macro derives
//! - the struct and the enum naming its fields (the checked IR's `Field`),
//! - the reading from a `serde_json::Value` tree (errors with the JSON path) and the reading
//!   straight from JSON text (serde visitors that leave anything doubtful to the tree reader),
//!   into a new record or into one read before (`ReadInto`, which keeps its allocations),
//! - the checker's schema (`ChangeField::ty`, `ChangeField::from_name`, ...),
//! - the evaluator's access (`Change::field`), so no other module spells a field.
//!
//! Fields the engine computes (`change.end`, `change.dependents`, ...) are declared in the same
//! place: the checker knows them, the input may not give the refused ones, and the evaluator
//! resolves them itself (it is told so by [`FieldRef::Computed`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::fast::{
    Absent, At, Budget, CheckItem, ExtraSink, FieldDefault, Flag, Id, InPlace, Int, KeepExtra,
    KeyName, List, NoExtra, Nullable, Number, ReadInto, RecordInto, RolloutName, Seconds, Size,
    Status, Text, Tier, UniqueIds, WaiverItem, extra_field, fill, give_up, required,
};
use super::{Instant, JsonPath, Read, Record};

/// The type of a built-in field in the policy language (the checker maps it onto its `Ty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldTy {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `float`
    Float,
    /// `string`
    Str,
    /// `duration`
    Duration,
    /// `datetime`
    DateTime,
    /// `datetime?`
    OptDateTime,
    /// `list<string>`
    Strs,
    /// `list<service>`
    Services,
    /// `list<approval>`
    Approvals,
    /// `list<waiver>`
    Waivers,
    /// `incident?`
    OptIncident,
}

/// A built-in field's value as the input holds it, for the evaluator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldRef<'a> {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(&'a str),
    /// Seconds.
    Duration(i64),
    /// An instant.
    DateTime(Instant),
    /// An instant that may be absent.
    OptDateTime(Option<Instant>),
    /// A list of strings.
    Strs(&'a [String]),
    /// The approvals of a change.
    Approvals(&'a [super::Approval]),
    /// The waivers of a change.
    Waivers(&'a [super::Waiver]),
    /// The incident of a change, if any.
    OptIncident(Option<&'a super::Incident>),
    /// The evaluator resolves this field (against the catalog or the decision's start): a
    /// field marked `prepared` in the table, or a computed one.
    Computed,
}

impl FieldRef<'_> {
    /// The policy type of the value; `None` for [`FieldRef::Computed`].
    #[cfg(test)]
    pub fn ty(&self) -> Option<FieldTy> {
        Some(match self {
            FieldRef::Bool(_) => FieldTy::Bool,
            FieldRef::Int(_) => FieldTy::Int,
            FieldRef::Float(_) => FieldTy::Float,
            FieldRef::Str(_) => FieldTy::Str,
            FieldRef::Duration(_) => FieldTy::Duration,
            FieldRef::DateTime(_) => FieldTy::DateTime,
            FieldRef::OptDateTime(_) => FieldTy::OptDateTime,
            FieldRef::Strs(_) => FieldTy::Strs,
            FieldRef::Approvals(_) => FieldTy::Approvals,
            FieldRef::Waivers(_) => FieldTy::Waivers,
            FieldRef::OptIncident(_) => FieldTy::OptIncident,
            FieldRef::Computed => return None,
        })
    }
}

/// A value reader that reads from a `Value` tree, with the path in its errors. Every reader
/// also reads straight from JSON text (its `DeserializeSeed` in `fast.rs`); the two are
/// side by side there and here, one per kind of value.
pub(super) trait Tree: Copy {
    /// What is read.
    type Out;
    /// How a list of these is called in an error ("expected a list of strings").
    const OF: &'static str;
    /// Reads `value`, which sits at `path`.
    fn tree(self, value: &Value, path: &JsonPath) -> Read<Self::Out>;
}

/// Implements [`Tree`] for a value reader by the tree function of `input.rs`.
macro_rules! tree_by {
    ($($seed:ty => $out:ty, $of:literal, $read:path;)*) => {$(
        impl Tree for $seed {
            type Out = $out;
            const OF: &'static str = $of;

            fn tree(self, value: &Value, path: &JsonPath) -> Read<$out> {
                $read(value, path)
            }
        }
    )*};
}

tree_by! {
    Text => String, "strings", super::read_string;
    Id => String, "strings", super::read_non_empty_id;
    Flag => bool, "booleans", super::read_bool;
    Int => i64, "integers", super::read_int;
    Size => i64, "integers", super::read_size;
    Tier => i64, "integers", super::read_tier;
    Number => f64, "numbers", super::read_number;
    Budget => f64, "numbers", super::read_error_budget;
    Seconds => i64, "durations", super::read_duration;
    At => Instant, "date-times", super::read_instant;
    UniqueIds => Vec<String>, "strings", super::read_unique_ids;
    Status => CheckStatus, "statuses", super::read_check_status;
    RolloutName => String, "rollouts", super::read_rollout;
}

/// An element of a change's `checks`: a name (a check that passed, time unknown), or an
/// object read as a [`Check`] record.
impl Tree for CheckItem {
    type Out = Check;
    const OF: &'static str = "checks (names, or objects with \"name\" and \"status\")";

    fn tree(self, value: &Value, path: &JsonPath) -> Read<Check> {
        match value {
            Value::String(name) => Ok(Check::passed(name)),
            Value::Object(_) => CheckRecord.tree(value, path),
            other => Err(super::expected(
                path,
                "a check name or an object with \"name\" and \"status\"",
                other,
            )),
        }
    }
}

/// An element of a change's `waivers`: a [`Waiver`] record that names exactly one of a rule
/// and a blackout.
impl Tree for WaiverItem {
    type Out = Waiver;
    const OF: &'static str = "waivers";

    fn tree(self, value: &Value, path: &JsonPath) -> Read<Waiver> {
        let w = WaiverRecord.tree(value, path)?;
        match (w.rule.is_empty(), w.blackout.is_empty()) {
            (true, true) => Err(super::InputError::new(
                path.to_string(),
                "a waiver names what it lifts: give \"rule\" or \"blackout\"",
            )),
            (false, false) => Err(super::InputError::new(
                path.to_string(),
                "a waiver lifts a rule or a blackout, not both: give \"rule\" or \"blackout\"",
            )),
            _ => Ok(w),
        }
    }
}

impl<S: Tree> Tree for List<S> {
    type Out = Vec<S::Out>;
    const OF: &'static str = "lists";

    fn tree(self, value: &Value, path: &JsonPath) -> Read<Vec<S::Out>> {
        super::read_list_of(value, path, S::OF, |v, p| self.0.tree(v, p))
    }
}

/// Declares a record of the input: the struct, the enum of its fields, its readers and its
/// field access. See the module documentation; the declarations follow.
///
/// Each stored field is `name / Variant: RustType = reader, presence => PolicyType;` where
/// presence is `required`, `default` (absent gives `Default::default()`), `or(value)` (a
/// `FieldDefault`: `&str` for a string) or
/// `nullable` (absent or `null` gives `None`), and `, prepared` after the policy type means
/// the evaluator reads the field from the prepared decision, not from the input; `, hidden`
/// marks a field the policy language cannot read (a check's evidence).
/// `derived` fields are known to the checker only; `computed` ones are also refused in input.
/// A record with `extra` keeps the fields it does not know; one without refuses them.
macro_rules! record {
    (
        $(#[$meta:meta])*
        struct $Record:ident, enum $Field:ident, reader $Reader:ident ($what:literal, $of:literal)
        $(, extra($extra_doc:literal))? $(, source($source_doc:literal))? {
            $(
                $(#[$fmeta:meta])*
                $name:ident / $Var:ident : $T:ty = $seed:expr, $presence:ident $(($default:expr))?
                    => $ty:ident $(, $prepared:ident)?;
            )*
        }
        derived { $( $(#[$dmeta:meta])* $dname:ident / $DVar:ident => $dty:ident; )* }
        computed { $( $(#[$cmeta:meta])* $cname:ident / $CVar:ident => $cty:ident; )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $Record {
            $( $(#[$fmeta])* pub $name: $T, )*
            $(
                #[doc = $extra_doc]
                pub extra: BTreeMap<String, Value>,
            )?
            $(
                #[doc = $source_doc]
                pub(crate) source: crate::digest::Source,
                /// The `extend` values read for one policy (`eval/typed.rs`), else `None`.
                pub(crate) typed: Option<Box<super::typed::TypedExt>>,
            )?
        }

        #[doc = concat!("The built-in fields of ", $what, " in the policy language.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        // A record whose fields are all `hidden` (a check) has the enum for its readers only.
        #[allow(dead_code)]
        pub enum $Field {
            $( $(#[$fmeta])* $Var, )*
            $( $(#[$dmeta])* $DVar, )*
            $( $(#[$cmeta])* $CVar, )*
        }

        #[allow(dead_code)]
        impl $Field {
            /// Every field, in the order of the declaration.
            pub const ALL: &'static [$Field] =
                &[$($Field::$Var,)* $($Field::$DVar,)* $($Field::$CVar,)*];

            /// The fields an input gives (any other key is `extra` or refused).
            pub const INPUT: &'static [&'static str] = &[$(stringify!($name),)*];

            /// The fields the engine computes, which an input may not give.
            #[allow(dead_code)]
            pub const REFUSED: &'static [&'static str] = &[$(stringify!($cname),)*];

            /// The field's name in the input and in the policy language.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $Field::$Var => stringify!($name), )*
                    $( $Field::$DVar => stringify!($dname), )*
                    $( $Field::$CVar => stringify!($cname), )*
                }
            }

            /// The field's type in the policy language.
            pub const fn ty(self) -> FieldTy {
                match self {
                    $( $Field::$Var => FieldTy::$ty, )*
                    $( $Field::$DVar => FieldTy::$dty, )*
                    $( $Field::$CVar => FieldTy::$cty, )*
                }
            }

            /// The field of that name.
            pub fn from_name(name: &str) -> Option<$Field> {
                $Field::ALL.iter().copied().find(|f| f.name() == name)
            }

            /// The names of every field (for telling them from `extend` fields and for hints).
            pub fn names() -> impl Iterator<Item = &'static str> {
                $Field::ALL.iter().map(|f| f.name())
            }
        }

        impl $Record {
            /// A built-in field as the input holds it ([`FieldRef::Computed`] when the
            /// evaluator resolves it).
            #[inline(always)]
            #[allow(dead_code)]
            pub(crate) fn field(&self, f: $Field) -> FieldRef<'_> {
                match f {
                    $( $Field::$Var => record!(@ref $ty $(, $prepared)?, self.$name), )*
                    $( $Field::$DVar => FieldRef::Computed, )*
                    $( $Field::$CVar => FieldRef::Computed, )*
                }
            }

            /// A boolean field (`None` for any other).
            #[inline(always)]
            #[allow(dead_code)]
            pub(crate) fn flag(&self, f: $Field) -> Option<bool> {
                match self.field(f) {
                    FieldRef::Bool(b) => Some(b),
                    _ => None,
                }
            }
        }

        #[doc = concat!("Reads ", $what, ", from a `Value` tree or from JSON text.")]
        #[derive(Clone, Copy)]
        pub(super) struct $Reader;

        impl Tree for $Reader {
            type Out = $Record;
            const OF: &'static str = $of;

            fn tree(self, value: &Value, path: &JsonPath) -> Read<$Record> {
                let r = Record::new(value, path)?;
                #[allow(clippy::let_unit_value)]
                let _extra = record!(@tree_extra r, $Field $(, $extra_doc)?);
                Ok($Record {
                    $(
                        $name: record!(@tree r, stringify!($name), $seed, $presence $(($default))?)?,
                    )*
                    $( extra: { let _ = $extra_doc; _extra }, )?
                    // The caller, which knows whether it may keep `value` or must copy it, sets it.
                    $( source: { let _ = $source_doc; crate::digest::Source::unset() }, )?
                    $( typed: { let _ = $source_doc; None }, )?
                })
            }
        }

        impl<'de> DeserializeSeed<'de> for $Reader {
            type Value = $Record;

            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<$Record, D::Error> {
                d.deserialize_any(self)
            }
        }

        impl<'de> Visitor<'de> for $Reader {
            type Value = $Record;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str($what)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$Record, A::Error> {
                let mut sink = record!(@text_extra_init $($extra_doc)?);
                $Reader::read_map(map, &mut sink)
            }
        }

        impl $Reader {
            /// The record from the keys of `map`; a key that is not built in goes to `sink`
            /// (kept, read into a slot, or refused: see `fast::ExtraSink`).
            #[allow(dead_code)]
            pub(super) fn read_map<'de, A: MapAccess<'de>, S: ExtraSink>(
                mut map: A,
                sink: &mut S,
            ) -> Result<$Record, A::Error> {
                $( let mut $name: Option<$T> = None; )*
                while let Some(key) = map.next_key_seed(KeyName)? {
                    match key.as_ref() {
                        $(
                            stringify!($name) => {
                                fill(&mut map, &mut $name, record!(@seed $seed, $presence))?
                            }
                        )*
                        _ => sink.other(&mut map, key, $Field::REFUSED)?,
                    }
                }
                Ok($Record {
                    $( $name: record!(@build $name, $presence $(($default))?), )*
                    $( extra: { let _ = $extra_doc; sink.take_map() }, )?
                    // The caller, which has the text, sets it.
                    $( source: { let _ = $source_doc; crate::digest::Source::unset() }, )?
                    $( typed: { let _ = $source_doc; sink.take_typed()? }, )?
                })
            }
        }

        impl<'de> ReadInto<'de> for $Reader {
            fn read_into<D: Deserializer<'de>>(
                self,
                d: D,
                slot: &mut $Record,
            ) -> Result<(), D::Error> {
                d.deserialize_any(RecordInto(slot))
            }
        }

        // The same rules as the visitor above, each field read into its place.
        impl<'de> Visitor<'de> for RecordInto<'_, $Record> {
            type Value = ();

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str($what)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                let record = self.0;
                $( let mut $name = false; )*
                $( { let _ = $extra_doc; record.extra.clear(); } )?
                $( { let _ = $source_doc; record.typed = None; } )?
                while let Some(key) = map.next_key_seed(KeyName)? {
                    match key.as_ref() {
                        $(
                            stringify!($name) => {
                                // A key seen twice gives up, as `fill` does.
                                if std::mem::replace(&mut $name, true) {
                                    return Err(give_up());
                                }
                                map.next_value_seed(InPlace(
                                    record!(@seed $seed, $presence),
                                    &mut record.$name,
                                ))?
                            }
                        )*
                        _ => record!(@text_other map, record.extra, key, $Field $(, $extra_doc)?),
                    }
                }
                $(
                    if !$name {
                        record!(@absent record.$name, $presence $(($default))?);
                    }
                )*
                Ok(())
            }
        }
    };

    // The evaluator's view of a stored field, by its policy type.
    (@ref $ty:ident, prepared, $e:expr) => { FieldRef::Computed };
    (@ref $ty:ident, hidden, $e:expr) => { FieldRef::Computed };
    (@ref Bool, $e:expr) => { FieldRef::Bool($e) };
    (@ref Int, $e:expr) => { FieldRef::Int($e) };
    (@ref Float, $e:expr) => { FieldRef::Float($e) };
    (@ref Str, $e:expr) => { FieldRef::Str(&$e) };
    (@ref Duration, $e:expr) => { FieldRef::Duration($e) };
    (@ref DateTime, $e:expr) => { FieldRef::DateTime($e) };
    (@ref OptDateTime, $e:expr) => { FieldRef::OptDateTime($e) };
    (@ref Strs, $e:expr) => { FieldRef::Strs(&$e) };
    (@ref Approvals, $e:expr) => { FieldRef::Approvals(&$e) };
    (@ref Waivers, $e:expr) => { FieldRef::Waivers(&$e) };
    (@ref OptIncident, $e:expr) => { FieldRef::OptIncident($e.as_ref()) };

    // Keys that are not built in, on the tree: kept, or refused with a hint.
    (@tree_extra $r:ident, $Field:ident, $doc:literal) => {
        $r.extra($Field::INPUT, $Field::REFUSED)?
    };
    (@tree_extra $r:ident, $Field:ident) => {
        $r.deny_unknown($Field::INPUT)?
    };

    // One field on the tree.
    (@tree $r:ident, $key:expr, $seed:expr, required) => {
        $r.required($key, |v, p| Tree::tree($seed, v, p))
    };
    (@tree $r:ident, $key:expr, $seed:expr, default) => {
        $r.or_default($key, |v, p| Tree::tree($seed, v, p))
    };
    (@tree $r:ident, $key:expr, $seed:expr, or($default:expr)) => {
        $r.or($key, FieldDefault::make($default), |v, p| Tree::tree($seed, v, p))
    };
    (@tree $r:ident, $key:expr, $seed:expr, nullable) => {
        $r.nullable($key, |v, p| Tree::tree($seed, v, p))
    };

    // Keys that are not built in, in text: kept, or left to the tree reader.
    (@text_extra_init $doc:literal) => { KeepExtra::default() };
    (@text_extra_init) => { NoExtra };
    (@text_other $map:ident, $extra:expr, $key:ident, $Field:ident, $doc:literal) => {
        extra_field(&mut $map, &mut $extra, $key, $Field::REFUSED)?
    };
    (@text_other $map:ident, $extra:expr, $key:ident, $Field:ident) => {
        return Err(give_up())
    };

    // One field in text: the reader of its value, and the field once every key is read.
    (@seed $seed:expr, nullable) => { Nullable($seed) };
    (@seed $seed:expr, $presence:ident) => { $seed };
    (@build $slot:ident, required) => { required($slot)? };
    (@build $slot:ident, default) => { $slot.unwrap_or_default() };
    (@build $slot:ident, nullable) => { $slot.unwrap_or_default() };
    (@build $slot:ident, or($default:expr)) => {
        $slot.unwrap_or_else(|| FieldDefault::make($default))
    };

    // A field absent from a record read in place.
    (@absent $slot:expr, required) => { return Err(give_up()) };
    (@absent $slot:expr, or($default:expr)) => { FieldDefault::put($default, &mut $slot) };
    (@absent $slot:expr, $presence:ident) => { Absent::reset(&mut $slot) };
}

record! {
    /// A change request (SPEC section 3).
    ///
    /// A change is read from JSON, YAML or a binding's object ([`Change::from_text`],
    /// [`Change::from_json`], [`Change::from_path`]), never built field by field, because it
    /// remembers what it was read from: a decision's `inputs` digest is of the change as given
    /// (SPEC 8.8). Its fields are public and may be edited, but **a change edited in Rust after
    /// reading keeps the digest of what was read**, not of the edited fields; to digest other
    /// content, read that content.
    struct Change, enum ChangeField, reader ChangeRecord ("a change", "changes"),
    extra("Fields not built in (checked against the policy's `extend change` at evaluation)."),
    source("What the change was read from, for the decision's `inputs` digest.") {
        /// `id`: the change's id, not empty.
        id / Id: String = Id, required => Str;
        /// `title`.
        title / Title: String = Text, default => Str;
        /// `kind`: what sort of change it is (`database`, `config`, ...).
        kind / Kind: Vec<String> = List(Text), default => Strs;
        /// `services`: service ids, each once; resolved against the catalog at evaluation.
        services / Services: Vec<String> = UniqueIds, required => Services, prepared;
        /// `requester`.
        requester / Requester: String = Text, required => Str;
        /// `implementer`.
        implementer / Implementer: String = Text, required => Str;
        /// `approvals`.
        approvals / Approvals: Vec<Approval> = List(ApprovalRecord), default => Approvals;
        /// `checks`: the checks run for the change, with their evidence. In the policy,
        /// `change.checks` is the names of those that count as passed (see `Check::counts`).
        checks / Checks: Vec<Check> = List(CheckItem), default => Strs, prepared;
        /// `emergency`.
        emergency / Emergency: bool = Flag, default => Bool;
        /// `incident`: the incident an emergency change answers, if any.
        incident / Incident: Option<Incident> = IncidentRecord, nullable => OptIncident;
        /// `start`: the requested start; `None` means "now" for a decision and "as soon as
        /// possible" for a plan.
        start / Start: Option<Instant> = At, nullable => DateTime, prepared;
        /// `duration`, in seconds.
        duration / Duration: i64 = Seconds, required => Duration;
        /// `regions`: explicit regions; `None` means the union of the services' regions.
        regions / Regions: Option<Vec<String>> = List(Text), nullable => Strs, prepared;
        /// `size`: not negative.
        size / Size: i64 = Size, default => Int;
        /// `labels`.
        labels / Labels: Vec<String> = List(Text), default => Strs;
        /// `backward_compatible`.
        backward_compatible / BackwardCompatible: bool = Flag, default => Bool;
        /// `contract_verified`.
        contract_verified / ContractVerified: bool = Flag, default => Bool;
        /// `after`: ids of changes this one must follow.
        after / After: Vec<String> = List(Text), default => Strs;
        /// `waivers`.
        waivers / Waivers: Vec<Waiver> = List(WaiverItem), default => Waivers;
        /// `rollout`: `all_at_once` (the default) or `per_region`: a plan then gives each of
        /// its regions a run of its own, in the order of `regions` (SPEC 8.4).
        rollout / Rollout: String = RolloutName, or(ROLLOUT_ALL_AT_ONCE) => Str;
        /// `soak`, in seconds: in a `per_region` rollout, the wait after one region's end
        /// before the next region may start.
        soak / Soak: i64 = Seconds, default => Duration;
    }
    derived {
        /// `end`: the start plus the duration.
        end / End => DateTime;
    }
    computed {
        /// `dependents`: the services that depend on the change's services, transitively.
        dependents / Dependents => Services;
        /// `blast_radius`: how many services those are.
        blast_radius / BlastRadius => Int;
        /// `conflicts`: how many already scheduled runs conflict with the change's run (SPEC
        /// 8.8); 0 when no schedule is given; in a plan, the runs already planned.
        conflicts / Conflicts => Int;
    }
}

record! {
    /// A service of the catalog (SPEC section 3). Missing booleans are false.
    struct Service, enum ServiceField, reader ServiceRecord ("a service", "services"),
    extra("Fields not built in (checked at evaluation, in every service, against `extend service`).") {
        /// `id`: the service's id, not empty and unique in the catalog.
        id / Id: String = Id, required => Str;
        /// `team`.
        team / Team: String = Text, default => Str;
        /// `tier`: 0 (most critical) to 3.
        tier / Tier: i64 = Tier, required => Int;
        /// `depends_on`: ids of the services this one depends on.
        depends_on / DependsOn: Vec<String> = List(Text), default => Strs;
        /// `regions`.
        regions / Regions: Vec<String> = List(Text), default => Strs;
        /// `stateful`.
        stateful / Stateful: bool = Flag, default => Bool;
        /// `automated_rollback`.
        automated_rollback / AutomatedRollback: bool = Flag, default => Bool;
        /// `legacy`.
        legacy / Legacy: bool = Flag, default => Bool;
        /// `monitored`.
        monitored / Monitored: bool = Flag, default => Bool;
        /// `error_budget`: the fraction of the error budget remaining; may be negative.
        /// Default 1.0. Given as an SLO object (`target`, `window`, `bad`, `total`), the
        /// fraction it leaves (docs/metrics.md).
        error_budget / ErrorBudget: f64 = Budget, or(1.0) => Float;
        /// `calendars`: names of policy calendars that apply to every change touching this
        /// service, besides its regions' (SPEC 8.3); checked against the policy at evaluation.
        calendars / Calendars: Vec<String> = List(Text), default => Strs;
    }
    derived {}
    computed {
        /// `dependents`: the services that depend on this one, transitively.
        dependents / Dependents => Services;
        /// `upstream`: the ids of the services this one depends on, transitively (the reverse
        /// of `dependents`), in catalog order.
        upstream / Upstream => Strs;
    }
}

record! {
    /// An approval of a change.
    struct Approval, enum ApprovalField, reader ApprovalRecord ("an approval", "approvals") {
        /// `by`: who approved.
        by / By: String = Text, required => Str;
        /// `group`: the group they approved for.
        group / Group: String = Text, required => Str;
        /// `at`: when.
        at / At: Instant = At, required => DateTime;
    }
    derived {}
    computed {}
}

/// `rollout` of a change deployed everywhere at once (the default).
pub const ROLLOUT_ALL_AT_ONCE: &str = "all_at_once";
/// `rollout` of a change deployed region by region (SPEC 8.4).
pub const ROLLOUT_PER_REGION: &str = "per_region";
/// Every `rollout` a change may give.
pub const ROLLOUTS: [&str; 2] = [ROLLOUT_ALL_AT_ONCE, ROLLOUT_PER_REGION];

/// The outcome of a check (`"status"` of an element of `change.checks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckStatus {
    /// `passed`: the only status that counts.
    Passed,
    /// `failed`.
    Failed,
    /// `pending`: started, not finished.
    Pending,
}

impl CheckStatus {
    /// Every status, as the input writes it.
    pub const NAMES: [&'static str; 3] = ["passed", "failed", "pending"];

    /// The status as the input writes it: `passed`, `failed` or `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::Pending => "pending",
        }
    }

    /// The status written `name`.
    pub fn from_name(name: &str) -> Option<CheckStatus> {
        match name {
            "passed" => Some(CheckStatus::Passed),
            "failed" => Some(CheckStatus::Failed),
            "pending" => Some(CheckStatus::Pending),
            _ => None,
        }
    }
}

impl fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

record! {
    /// A check run for a change, with its evidence (SPEC 8.1). A check given as a bare name is
    /// read as passed, time unknown. The policy reads only the names of the checks that count
    /// (`change.checks`), so none of these fields is a field in the language.
    struct Check, enum CheckField, reader CheckRecord ("a check", "checks") {
        /// `name`: the check's name, as `require check "name"` asks for it.
        name / Name: String = Text, required => Str, hidden;
        /// `status`: `passed`, `failed` or `pending`; only `passed` counts.
        status / Status: CheckStatus = Status, required => Str, hidden;
        /// `at`: when the check ran, if known (`require check ... within D` needs it).
        at / At: Option<Instant> = At, nullable => OptDateTime, hidden;
        /// `url`: where the evidence is (a CI run, a report); not read by the engine.
        url / Url: Option<String> = Text, nullable => Str, hidden;
    }
    derived {}
    computed {}
}

impl Check {
    /// A check that passed, time unknown: what a bare name in `checks` means.
    pub fn passed(name: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: CheckStatus::Passed,
            at: None,
            url: None,
        }
    }
}

record! {
    /// The incident an emergency change answers.
    struct Incident, enum IncidentField, reader IncidentRecord ("an incident", "incidents") {
        /// `id`.
        id / Id: String = Text, required => Str;
        /// `severity`.
        severity / Severity: i64 = Int, required => Int;
        /// `opened`: when the incident was opened, if known.
        opened / Opened: Option<Instant> = At, nullable => OptDateTime;
    }
    derived {}
    computed {}
}

record! {
    /// A waiver: a named person lifts one rule, or the blackouts of one name, for a change
    /// until it expires. Exactly one of `rule` and `blackout` is given.
    struct Waiver, enum WaiverField, reader WaiverRecord ("a waiver", "waivers") {
        /// `rule`: the rule lifted; empty for a blackout waiver.
        rule / Rule: String = Id, default => Str;
        /// `blackout`: the name of the blackouts lifted (SPEC 8.3); empty for a rule waiver.
        blackout / Blackout: String = Id, default => Str;
        /// `by`: who granted it.
        by / By: String = Text, required => Str;
        /// `group`: the group they granted it for.
        group / Group: String = Text, required => Str;
        /// `reason`.
        reason / Reason: String = Text, default => Str;
        /// `granted_at`.
        granted_at / GrantedAt: Instant = At, required => DateTime;
        /// `expires_at`.
        expires_at / ExpiresAt: Instant = At, required => DateTime;
    }
    derived {}
    computed {}
}

#[cfg(test)]
mod tests;
