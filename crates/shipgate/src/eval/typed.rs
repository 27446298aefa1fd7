//! A change's `extend change` values read once for one policy ([`crate::Engine::prepare_change`],
//! [`crate::Engine::read_change`]): checked against the declared types when the change is
//! read, with the same errors an evaluation gives, and kept as typed slots by field index, so
//! that a decision borrows them instead of finding and checking each value by name.
//!
//! Only a policy whose `extend change` fields are all of the simple types (`bool`, `int`,
//! `float`, `string`, `duration`, `datetime`, `date`, `list<string>`, each optional or not)
//! is read this way; for another, preparing a change checks it the same way and leaves its
//! values where evaluation reads them (`Change::extra`), so nothing is lost, only not sped up.

use super::lower::Policy;
use super::prepare::{check_change_keys, read_change_ext, read_slots};
use super::value::Value;
use crate::check::ir::Ty;
use crate::error::InputError;
use crate::input::Change;
use crate::input::typed::{TypedExt, TypedValue};

/// Whether values of type `ty` can be kept in a slot of their own.
pub fn slot_type(ty: &Ty) -> bool {
    match ty.unopt() {
        Ty::Bool | Ty::Int | Ty::Float | Ty::Str | Ty::Duration | Ty::DateTime | Ty::Date => true,
        Ty::List(inner) => matches!(**inner, Ty::Str),
        _ => false,
    }
}

/// The error of a change read for another policy than the one evaluating it.
pub fn other_policy() -> InputError {
    InputError::new(
        "change",
        "this change was read for another policy (Engine::read_change and \
         Engine::prepare_change keep its extend fields typed for the engine that read it); \
         read it with this engine, or with Change::from_text for any engine",
    )
}

/// The error of a key added to `extra` after the change was read for its policy.
pub fn added_after(key: &str) -> InputError {
    InputError::new(
        format!("change.{key}"),
        "a field added after the change was read for the policy is not read; \
         read the change again with the field",
    )
}

/// Reads `change`'s `extend change` values for `policy` (see the module's documentation).
/// Errors are the ones an evaluation of the change would give for its keys and values.
pub fn prepare_change(policy: &Policy, change: &mut Change) -> Result<(), InputError> {
    if let Some(typed) = &change.typed {
        if typed.policy != policy.id {
            return Err(other_policy());
        }
        return match change.extra.keys().next() {
            Some(key) => Err(added_after(key)),
            None => Ok(()),
        };
    }
    let compiled = &policy.compiled;
    let fields = &compiled.ir.change_ext;
    // One pass over the keys beside the fields in name order (as a session reads them);
    // anything irregular is read again field by field for the precise error.
    let mut values = Vec::with_capacity(fields.len());
    if read_slots(fields, &policy.change_ext_order, &change.extra, &mut values).is_none() {
        check_change_keys(compiled, change)?;
        values = read_change_ext(compiled, change)?;
    }
    if !policy.change_ext_slots {
        return Ok(());
    }
    // Scalars are copied from the checked values; strings and lists of strings are moved out
    // of the change's map below, so no text is copied.
    let mut slots: Vec<Option<TypedValue>> = values
        .iter()
        .map(|v| {
            v.as_ref().map(|v| match v {
                Value::Bool(b) => TypedValue::Bool(*b),
                Value::Int(i) => TypedValue::Int(*i),
                Value::Float(x) => TypedValue::Float(*x),
                Value::Duration(s) => TypedValue::Duration(*s),
                Value::DateTime(t) => TypedValue::DateTime(*t),
                Value::Date(d) => TypedValue::Date(*d),
                Value::List(_) => TypedValue::Strs(Vec::new()),
                _ => TypedValue::Str(String::new()),
            })
        })
        .collect();
    drop(values);
    // Every key is a declared field (checked above), and the map and `change_ext_order` are
    // both in name order: one walk beside the other moves each value into its slot.
    let mut order = policy.change_ext_order.iter().copied().peekable();
    for (key, value) in std::mem::take(&mut change.extra) {
        while let Some(i) = order.peek() {
            match fields.get(usize::from(*i)) {
                Some(f) if f.name < key => {
                    order.next();
                }
                _ => break,
            }
        }
        let slot = order
            .peek()
            .filter(|i| fields.get(usize::from(**i)).is_some_and(|f| f.name == key))
            .and_then(|i| slots.get_mut(usize::from(*i)));
        match (slot, value) {
            (Some(Some(TypedValue::Str(s))), serde_json::Value::String(text)) => *s = text,
            (Some(Some(TypedValue::Strs(list))), serde_json::Value::Array(items)) => {
                *list = items
                    .into_iter()
                    .filter_map(|item| match item {
                        serde_json::Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect();
            }
            // A value read as a scalar above, or the null of an absent optional.
            (Some(_), _) => {}
            // Cannot happen (every key was found among the fields above); the change loses
            // its `extend` values rather than keeping slots that differ from what was read,
            // so that any decision on it fails closed.
            (None, _) => {
                return Err(InputError::new(
                    format!("change.{key}"),
                    "internal error: the value could not be kept (please report it)",
                ));
            }
        }
    }
    // What is left are nulls of absent optionals (every other key is a declared field).
    change.typed = Some(Box::new(TypedExt {
        policy: policy.id,
        slots: slots.into_boxed_slice(),
    }));
    Ok(())
}
