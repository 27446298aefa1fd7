//! The timed cases both races share: one decision on prepared input, and one from JSON text,
//! for each engine. Included by `race.rs` and `race2.rs` (`mod cases;`).

use std::hint::black_box;

use regorus::rvm::vm::RegoVM;
use shipgate::{Catalog, Change, Engine};
use shipgate_benches::peers::{CedarInput, CedarPeer, RegoInterpreter, rego_vm_eval};
use shipgate_benches::timing::Case;
use shipgate_benches::{now, shipgate_from_json};

/// One race's inputs for timing, in each engine's native form, per request.
pub struct Inputs<'a> {
    pub engine: &'a Engine,
    pub catalog: &'a Catalog,
    pub changes: &'a [Change],
    /// The requests' JSON text (shipgate's and regorus's "from JSON" input).
    pub texts: &'a [String],
    pub cedar: &'a CedarPeer,
    pub cedar_inputs: &'a [CedarInput],
    pub cedar_texts: &'a [String],
    pub rego_inputs: &'a [regorus::Value],
}

/// One decision on prepared input (each engine's native form) for request `i`.
pub fn prepared_case<'a>(
    s: &'a Inputs<'a>,
    i: usize,
    interp: &'a mut RegoInterpreter,
    vm: &'a mut RegoVM,
) -> Case<'a> {
    let now = now();
    let change = &s.changes[i];
    let cedar = &s.cedar_inputs[i];
    let input = &s.rego_inputs[i];
    let input2 = input.clone();
    vec![
        (
            "shipgate",
            Box::new(move || {
                black_box(
                    s.engine
                        .evaluate(black_box(change), s.catalog, now, false)
                        .unwrap(),
                );
            }),
        ),
        (
            "cedar",
            Box::new(move || {
                black_box(s.cedar.authorizer.is_authorized(
                    black_box(&cedar.request),
                    &s.cedar.policies,
                    &cedar.entities,
                ));
            }),
        ),
        (
            "regorus",
            Box::new(move || {
                interp.set_input(black_box(input.clone()));
                black_box(interp.eval().unwrap());
            }),
        ),
        (
            "regorus_vm",
            Box::new(move || {
                black_box(rego_vm_eval(vm, black_box(input2.clone())).unwrap());
            }),
        ),
    ]
}

/// One decision starting from the request's JSON text, for request `i`.
pub fn json_case<'a>(
    s: &'a Inputs<'a>,
    i: usize,
    interp: &'a mut RegoInterpreter,
    vm: &'a mut RegoVM,
) -> Case<'a> {
    let text = &s.texts[i];
    let cedar_text = &s.cedar_texts[i];
    vec![
        (
            "shipgate",
            Box::new(move || {
                black_box(shipgate_from_json(s.engine, s.catalog, black_box(text)).unwrap());
            }),
        ),
        (
            "cedar",
            Box::new(move || {
                let input = s.cedar.input_from_text(black_box(cedar_text)).unwrap();
                black_box(s.cedar.decide(&input).unwrap());
            }),
        ),
        (
            "regorus",
            Box::new(move || {
                interp.set_input_json(black_box(text)).unwrap();
                black_box(interp.eval().unwrap());
            }),
        ),
        (
            "regorus_vm",
            Box::new(move || {
                let input = regorus::Value::from_json_str(black_box(text)).unwrap();
                black_box(rego_vm_eval(vm, input).unwrap());
            }),
        ),
    ]
}
