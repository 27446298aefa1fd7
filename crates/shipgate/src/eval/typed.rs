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
use crate::check::ir::{ExtField, Ty};
use crate::error::InputError;
use crate::input::typed::{SchemaField, SlotType, TypedExt, TypedSchema, TypedValue};
use crate::input::{Change, Format, change_typed};

/// The slot a field of type `ty` is kept in, and whether it is optional; `None` for a type
/// kept in `extra` (a record, a list of anything but strings).
fn slot_of(ty: &Ty) -> Option<(SlotType, bool)> {
    let optional = matches!(ty, Ty::Opt(_));
    let slot = match ty.unopt() {
        Ty::Bool => SlotType::Bool,
        Ty::Int => SlotType::Int,
        Ty::Float => SlotType::Float,
        Ty::Str => SlotType::Str,
        Ty::Duration => SlotType::Duration,
        Ty::DateTime => SlotType::DateTime,
        Ty::Date => SlotType::Date,
        Ty::List(inner) if matches!(**inner, Ty::Str) => SlotType::Strs,
        _ => return None,
    };
    Some((slot, optional))
}

/// The reader's view of the policy's `extend change` fields, when all of them have slots.
pub fn schema(policy_id: u64, fields: &[ExtField]) -> Option<TypedSchema> {
    let mut out = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let (ty, optional) = slot_of(&f.ty)?;
        out.push(SchemaField {
            name: f.name.as_str().into(),
            index: u16::try_from(i).ok()?,
            ty,
            optional,
        });
    }
    Some(TypedSchema::new(policy_id, out))
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
        read_change_ext(compiled, change)?;
    }
    drop(values);
    // A policy without `extend change` fields has nothing to keep (and the check above
    // refused any key beyond the built-in ones).
    let Some(schema) = policy
        .typed_schema
        .as_ref()
        .filter(|s| !s.fields.is_empty())
    else {
        return Ok(());
    };
    // Every key is a declared field and every value of its type (checked above): each moves
    // into its slot by the same rules.
    let mut slots: Vec<Option<TypedValue>> = vec![None; fields.len()];
    for (key, value) in std::mem::take(&mut change.extra) {
        if value.is_null() {
            continue;
        }
        let slot = schema
            .find(&key)
            .and_then(|f| Some((f.ty, slots.get_mut(usize::from(f.index))?)));
        match slot.and_then(|(ty, slot)| Some((TypedValue::from_json(value, ty)?, slot))) {
            Some((typed, slot)) => *slot = Some(typed),
            // Cannot happen (checked above); the change loses its `extend` values rather
            // than keeping slots that differ from what was read, so that any decision on it
            // fails closed.
            None => {
                return Err(InputError::new(
                    format!("change.{key}"),
                    "internal error: the value could not be kept (please report it)",
                ));
            }
        }
    }
    change.typed = Some(Box::new(TypedExt {
        policy: policy.id,
        slots: slots.into_boxed_slice(),
    }));
    Ok(())
}

/// A change read from text for `policy` (`Engine::read_change`): JSON whose `extend change`
/// values all have slots is read straight into them; anything else, and any text that path
/// gives up on, is read as any change is and then prepared, which gives the precise error.
pub fn read_change(policy: &Policy, text: &str, format: Format) -> Result<Change, InputError> {
    if format == Format::Json {
        if let Some(change) = policy
            .typed_schema
            .as_ref()
            .and_then(|schema| change_typed(text, schema))
        {
            return Ok(change);
        }
    }
    let mut change = Change::from_text(text, format)?;
    prepare_change(policy, &mut change)?;
    Ok(change)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::Engine;

    const POLICY: &str = "extend change { t: string, n: int, x: float?, b: bool, \
        d: duration?, at: datetime?, day: date?, tags: list<string> }\n\
        rule r { deny when change.n > 3 }\n";

    fn change() -> serde_json::Value {
        json!({
            "id": "C1", "services": ["api"], "requester": "r", "implementer": "i",
            "duration": "1h", "t": "x", "n": 2, "x": 1.5, "b": true, "d": "2h",
            "at": "2026-12-01T10:00:00Z", "day": "2026-12-24", "tags": ["a", "b"]
        })
    }

    /// What `read_change` gives, by the slow path: the change read alone, then prepared.
    fn slow(engine: &Engine, text: &str) -> Result<Change, String> {
        let mut change = Change::from_text(text, Format::Json).map_err(|e| e.to_string())?;
        engine
            .prepare_change(&mut change)
            .map_err(|e| e.to_string())?;
        Ok(change)
    }

    #[test]
    fn valid_json_is_read_straight_into_the_slots() {
        let engine = Engine::from_source(POLICY, "p.gate").unwrap();
        let schema = engine.inner.typed_schema.as_ref().unwrap();
        let text = change().to_string();
        let fast = change_typed(&text, schema).expect("the fast path reads valid input");
        assert_eq!(Ok(fast), slow(&engine, &text));
        // Absent optionals and nulls leave their slots empty, on both paths.
        let mut c = change();
        c["x"] = serde_json::Value::Null;
        c.as_object_mut().unwrap().remove("d");
        let text = c.to_string();
        let fast = change_typed(&text, schema).expect("optionals may be absent or null");
        assert_eq!(Ok(fast), slow(&engine, &text));
    }

    fn mutated() -> impl Strategy<Value = serde_json::Value> {
        let key = prop::sample::select(&["t", "n", "x", "b", "d", "at", "day", "tags", "tg"][..]);
        let value = prop_oneof![
            Just(json!(null)),
            Just(json!(true)),
            Just(json!(3)),
            Just(json!(-1)),
            Just(json!(2.0)),
            Just(json!(2.5)),
            Just(json!("x")),
            Just(json!("90m")),
            Just(json!("2026-12-24")),
            Just(json!("2026-12-01T10:00:00+01:00")),
            Just(json!(["a"])),
            Just(json!(["a", 1])),
            Just(json!({"a": 1})),
        ];
        prop::collection::vec((key, prop::option::of(value)), 0..4).prop_map(|edits| {
            let mut c = change();
            for (k, v) in edits {
                match v {
                    Some(v) => c[k] = v,
                    None => {
                        c.as_object_mut().map(|o| o.remove(k));
                    }
                }
            }
            c
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// The fast path reads what the slow path reads, or leaves it to the slow path: it
        /// never accepts what the slow path refuses, nor reads a value differently.
        #[test]
        fn the_fast_path_agrees_with_the_slow_one(c in mutated()) {
            let engine = Engine::from_source(POLICY, "p.gate").unwrap();
            let schema = engine.inner.typed_schema.as_ref().unwrap();
            let text = c.to_string();
            let slow = slow(&engine, &text);
            match change_typed(&text, schema) {
                Some(fast) => prop_assert_eq!(&Ok(fast), &slow),
                None => prop_assert!(slow.is_err(), "the fast path gave up on valid input {}", text),
            }
            prop_assert_eq!(engine.read_change(&text, Format::Json).map_err(|e| e.to_string()), slow);
        }
    }
}
