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
