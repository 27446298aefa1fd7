//! `extend` values read for one policy: typed, by field index, so that a decision reads a
//! slot instead of finding a value by name and checking its type (`Engine::read_change`).
//! The evaluator fills them (`eval/typed.rs`); the input only keeps them with the change.

/// One `extend` value of a simple type, as read and checked for the policy.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// seconds
    Duration(i64),
    /// unix seconds
    DateTime(i64),
    /// days since 1970-01-01
    Date(i64),
    Strs(Vec<String>),
}

/// A change's `extend change` values read for the policy numbered `policy`: `slots[i]` is
/// field `i`'s value, `None` for an absent optional.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedExt {
    pub policy: u64,
    pub slots: Box<[Option<TypedValue>]>,
}

/// The type of a slot: what a reader that knows the policy reads a field's value as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotType {
    Bool,
    Int,
    Float,
    Str,
    Duration,
    DateTime,
    Date,
    Strs,
}

/// One `extend change` field as the reader knows it.
#[derive(Debug, Clone)]
pub struct SchemaField {
    pub name: Box<str>,
    /// Its slot: the field's index in the policy's declaration.
    pub index: u16,
    pub ty: SlotType,
    /// Optional (`T?`): absent or `null` leaves the slot empty.
    pub optional: bool,
}

/// What a reader needs to read a change's `extend change` values straight into their slots:
/// the policy's number and its fields, found by name through a hash (a key costs one hash and
/// one comparison, where a binary search over twenty names cost four or five comparisons).
#[derive(Debug, Clone)]
pub struct TypedSchema {
    pub policy: u64,
    pub fields: Box<[SchemaField]>,
    by_name: foldhash::HashMap<Box<str>, usize>,
}

impl TypedSchema {
    pub fn new(policy: u64, fields: Vec<SchemaField>) -> TypedSchema {
        let by_name = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        TypedSchema {
            policy,
            fields: fields.into_boxed_slice(),
            by_name,
        }
    }

    /// The field named `name`.
    #[inline]
    pub fn find(&self, name: &str) -> Option<&SchemaField> {
        self.by_name.get(name).and_then(|&i| self.fields.get(i))
    }
}

impl TypedValue {
    /// `value` (not `null`) as a value of type `ty`, by the reading rules of the built-in
    /// fields (`input::scalar`), its text moved, not copied; `None` when it is not one (the
    /// caller reads it again for the precise error).
    pub fn from_json(value: serde_json::Value, ty: SlotType) -> Option<TypedValue> {
        use super::scalar;
        use serde_json::Value as J;
        Some(match (ty, value) {
            (SlotType::Bool, J::Bool(b)) => TypedValue::Bool(b),
            (SlotType::Int, v @ J::Number(_)) => TypedValue::Int(scalar::int(&v).ok()?),
            (SlotType::Float, v @ J::Number(_)) => TypedValue::Float(scalar::number(&v).ok()?),
            (SlotType::Str, J::String(s)) => TypedValue::Str(s),
            (SlotType::Duration, v @ (J::String(_) | J::Number(_))) => {
                TypedValue::Duration(scalar::duration(&v).ok()?)
            }
            (SlotType::DateTime, v @ J::String(_)) => {
                TypedValue::DateTime(scalar::instant(&v).ok()?.timestamp())
            }
            (SlotType::Date, v @ J::String(_)) => TypedValue::Date(scalar::date(&v).ok()?),
            (SlotType::Strs, J::Array(items)) => TypedValue::Strs(
                items
                    .into_iter()
                    .map(|item| match item {
                        J::String(s) => Some(s),
                        _ => None,
                    })
                    .collect::<Option<Vec<String>>>()?,
            ),
            _ => return None,
        })
    }
}
