//! Every field of the table is read, typed by the checker and reached by the evaluator. The
//! inputs and the policies here are made from the table, so a field added to it is tested
//! without touching this file (a new policy type needs a line in `sample` and `probe`).

use serde_json::{Map, Value, json};

use super::*;
use crate::graph::Catalog;
use crate::input::{Change, Format};
use crate::{Engine, Verdict};

/// A value of the field's type, as the input gives it; `name` makes strings tell fields
/// apart. Nested records are made from their own tables.
fn sample(name: &str, ty: FieldTy) -> Value {
    match ty {
        FieldTy::Bool => json!(true),
        FieldTy::Int => json!(2),
        FieldTy::Float => json!(0.5),
        // A string of a closed set: its one non-default value.
        FieldTy::Str if name == "rollout" => json!(ROLLOUT_PER_REGION),
        FieldTy::Str => json!(format!("x-{name}")),
        FieldTy::Duration => json!("90m"),
        FieldTy::DateTime | FieldTy::OptDateTime => json!("2026-12-01T10:00:00Z"),
        FieldTy::Strs => json!([format!("x-{name}")]),
        // The catalog's sample service has the id `x-id`.
        FieldTy::Services => json!(["x-id"]),
        FieldTy::Approvals => json!([record(ApprovalField::ALL, ApprovalField::INPUT)]),
        // A waiver names a rule or a blackout, never both: one waiver of each.
        FieldTy::Waivers => {
            let full = record(WaiverField::ALL, WaiverField::INPUT);
            let without = |key: &str| {
                let mut w = full.clone();
                w.as_object_mut().map(|o| o.remove(key));
                w
            };
            json!([without("blackout"), without("rule")])
        }
        FieldTy::OptIncident => record(IncidentField::ALL, IncidentField::INPUT),
    }
}

/// An object with a sample of every field an input gives.
fn record<F: Copy + Into<(&'static str, FieldTy)>>(all: &[F], input: &[&str]) -> Value {
    let mut object = Map::new();
    for f in all {
        let (name, ty) = (*f).into();
        if input.contains(&name) {
            object.insert(name.to_string(), sample(name, ty));
        }
    }
    Value::Object(object)
}

macro_rules! name_and_ty {
    ($($Field:ident),*) => {$(
        impl From<$Field> for (&'static str, FieldTy) {
            fn from(f: $Field) -> Self {
                (f.name(), f.ty())
            }
        }
    )*};
}

name_and_ty!(
    ChangeField,
    ServiceField,
    ApprovalField,
    IncidentField,
    WaiverField
);

fn change_json() -> Value {
    record(ChangeField::ALL, ChangeField::INPUT)
}

/// The sample service, and the one its `depends_on` names.
fn catalog_json() -> Value {
    let service = record(ServiceField::ALL, ServiceField::INPUT);
    json!({"services": [service, {"id": "x-depends_on", "tier": 0}]})
}

/// A condition that holds for the sample value of the field at `x`, for a field read from
/// the input; for one the engine computes, a condition that only has to evaluate.
fn probe(x: &str, name: &str, ty: FieldTy, given: bool) -> String {
    if !given {
        return match ty {
            FieldTy::Services | FieldTy::Strs => format!("len({x}) >= 0"),
            FieldTy::Int => format!("{x} >= 0"),
            FieldTy::DateTime => format!("{x} > 2000-01-01T00:00:00Z"),
            other => panic!("no probe for a computed {other:?}"),
        };
    }
    match ty {
        FieldTy::Bool => x.to_string(),
        FieldTy::Int => format!("{x} == 2"),
        FieldTy::Float => format!("{x} == 0.5"),
        FieldTy::Str if name == "rollout" => format!("{x} == \"{ROLLOUT_PER_REGION}\""),
        FieldTy::Str => format!("{x} == \"x-{name}\""),
        FieldTy::Duration => format!("{x} == 90m"),
        FieldTy::DateTime => format!("{x} == 2026-12-01T10:00:00Z"),
        FieldTy::OptDateTime => format!("{x} == 2026-12-01T10:00:00Z"),
        FieldTy::Strs => format!("\"x-{name}\" in {x}"),
        FieldTy::Services | FieldTy::Approvals => format!("len({x}) == 1"),
        FieldTy::Waivers => format!("len({x}) == 2"),
        FieldTy::OptIncident => format!("{x}.severity == 2"),
    }
}

/// Each field's probe for one record: `(field name, condition)`.
fn probes<F: Copy + Into<(&'static str, FieldTy)>>(
    all: &[F],
    input: &[&str],
    base: &str,
    wrap: impl Fn(String) -> String,
) -> Vec<(String, String)> {
    all.iter()
        .map(|f| {
            let (name, ty) = (*f).into();
            let x = format!("{base}.{name}");
            let given = input.contains(&name);
            (name.to_string(), wrap(probe(&x, name, ty, given)))
        })
        .collect()
}

fn every_probe() -> Vec<(String, String)> {
    let mut all = probes(ChangeField::ALL, ChangeField::INPUT, "change", |p| p);
    all.extend(probes(ServiceField::ALL, ServiceField::INPUT, "s", |p| {
        format!("any s in change.services: {p}")
    }));
    all.extend(probes(ApprovalField::ALL, ApprovalField::INPUT, "a", |p| {
        format!("any a in change.approvals: {p}")
    }));
    all.extend(probes(WaiverField::ALL, WaiverField::INPUT, "w", |p| {
        format!("any w in change.waivers: {p}")
    }));
    all.extend(probes(
        IncidentField::ALL,
        IncidentField::INPUT,
        "change.incident",
        |p| format!("change has incident and {p}"),
    ));
    all
}

#[test]
fn every_declared_field_is_read_with_its_declared_type() {
    let value = change_json();
    let change = Change::from_json(&value).unwrap();
    let text = Change::from_text(&value.to_string(), Format::Json).unwrap();
    assert_eq!(text, change);
    // Nothing fell through to `extra`: every key of the sample is a built-in field.
    assert!(change.extra.is_empty(), "{:?}", change.extra);
    for f in ChangeField::ALL {
        let given = ChangeField::INPUT.contains(&f.name());
        // `None`: resolved by the evaluator (`prepared` or computed), which the evaluator
        // test below reaches; a field the input does not give is always resolved.
        if let Some(ty) = change.field(*f).ty() {
            assert_eq!(ty, f.ty(), "{f:?}");
        }
        if !given {
            assert_eq!(change.field(*f), FieldRef::Computed, "{f:?}");
        }
    }
    let incident = change.incident.as_ref().unwrap();
    for f in IncidentField::ALL {
        assert_eq!(incident.field(*f).ty(), Some(f.ty()), "{f:?}");
    }
    let approval = change.approvals.first().unwrap();
    for f in ApprovalField::ALL {
        assert_eq!(approval.field(*f).ty(), Some(f.ty()), "{f:?}");
    }
    let waiver = change.waivers.first().unwrap();
    for f in WaiverField::ALL {
        assert_eq!(waiver.field(*f).ty(), Some(f.ty()), "{f:?}");
    }
    let catalog = Catalog::from_json(&catalog_json()).unwrap();
    let text = Catalog::from_text(&catalog_json().to_string(), Format::Json).unwrap();
    assert_eq!(text.services(), catalog.services());
    let service = catalog.get("x-id").unwrap();
    assert!(service.extra.is_empty(), "{:?}", service.extra);
    for f in ServiceField::ALL {
        let given = ServiceField::INPUT.contains(&f.name());
        assert_eq!(service.field(*f).ty(), given.then_some(f.ty()), "{f:?}");
    }
}

#[test]
fn every_declared_field_is_in_the_checkers_schema_and_reached_by_the_evaluator() {
    let change = Change::from_json(&change_json()).unwrap();
    let catalog = Catalog::from_json(&catalog_json()).unwrap();
    let now = "2026-11-30T10:00:00Z".parse().unwrap();
    let probes = every_probe();
    assert!(probes.len() > 40, "{}", probes.len());
    for (name, condition) in probes {
        // The sample approval and waiver are in `x-group`: a group the policy must know; the
        // sample service's calendar `x-calendars` is one it must declare.
        let policy = format!(
            "groups x-group\ncalendar x-calendars timezone \"UTC\" {{ }}\nrule probe {{\n  deny when {condition}\n  message \"held\"\n}}\n"
        );
        // Compiling checks the field's name and its type against the condition.
        let engine = Engine::from_source(&policy, "probe.gate")
            .unwrap_or_else(|e| panic!("`{name}`: {condition}: {e}"));
        let fast = engine.evaluate(&change, &catalog, now, false).unwrap();
        let general = engine
            .evaluate_reference(&change, &catalog, now, false)
            .unwrap();
        for decision in [fast, general] {
            let reasons: Vec<(&str, &str)> = decision
                .reasons
                .iter()
                .map(|r| (r.rule.as_str(), r.message.as_str()))
                .collect();
            assert_eq!(reasons, [("probe", "held")], "`{name}`: {condition}");
            assert_eq!(decision.verdict, Verdict::Deny);
        }
    }
}

#[test]
fn names_are_unique_and_found_back() {
    fn check<F: Copy + PartialEq + std::fmt::Debug + Into<(&'static str, FieldTy)>>(
        all: &[F],
        from_name: impl Fn(&str) -> Option<F>,
    ) {
        for f in all {
            let (name, _) = (*f).into();
            assert_eq!(from_name(name), Some(*f));
        }
        assert_eq!(from_name("no_such_field"), None);
    }
    check(ChangeField::ALL, ChangeField::from_name);
    check(ServiceField::ALL, ServiceField::from_name);
    check(ApprovalField::ALL, ApprovalField::from_name);
    check(IncidentField::ALL, IncidentField::from_name);
    check(WaiverField::ALL, WaiverField::from_name);
    // The refused fields are declared, and are not read from the input.
    for name in ChangeField::REFUSED {
        assert!(ChangeField::from_name(name).is_some());
        assert!(!ChangeField::INPUT.contains(name));
    }
}
