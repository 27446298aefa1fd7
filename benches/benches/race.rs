#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! The race: shipgate, Cedar, regorus (interpreter) and regorus (RVM bytecode VM) side by
//! side on one 20-rule release-gate policy (`benches/policy/release.{gate,cedar,rego}`).
//!
//! Before any timing, all of them decide a generated corpus of 10,000 requests and must
//! report the same violated rules for each (also the same as a plain-Rust model); a
//! disagreement aborts the run. Then criterion measures each group, and a summary table of
//! ratios is printed from timings taken in the same run.
//!
//! `cargo bench -p shipgate-benches --features peers --bench race`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use shipgate::{Change, Engine};
use shipgate_benches::peers::{
    CedarInput, CedarPeer, RegoInterpreter, cedar_texts, check_agreement, rego_data, rego_program,
    rego_value, rego_vm, rego_vm_eval,
};
use shipgate_benches::timing::{Case, measure, row, time};
use shipgate_benches::{
    CatalogIndex, RACE_CORPUS, Race, cedar_request_json, now, race_source, shipgate_from_json,
};

/// Criterion's test mode (`cargo test --benches`: run without `--bench`): a small corpus and no summary loops.
fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// Everything each engine needs, prepared before any timing.
struct Setup {
    race: Race,
    gate: String,
    cedar_text: String,
    rego_text: String,
    cedar: CedarPeer,
    /// Cedar's native inputs and JSON texts, per change.
    cedar_inputs: Vec<CedarInput>,
    cedar_texts: Vec<String>,
    rego_data: regorus::Value,
    rego_inputs: Vec<regorus::Value>,
    program: std::sync::Arc<regorus::rvm::program::Program>,
    allowed: usize,
    denied: usize,
}

impl Setup {
    fn new(n: usize) -> Setup {
        let race = Race::new(n).unwrap();
        let t = Instant::now();
        match check_agreement(&race) {
            Ok(a) => println!(
                "agreement: shipgate, cedar, regorus and regorus-vm report the same violated \
                 rules as the Rust model on all {} requests ({} allowed, {} of 20 rules seen) \
                 in {:.1}s",
                a.requests,
                a.allowed,
                a.rules_fired.len(),
                t.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("ABORTED: the engines disagree, no timing is meaningful\n{e}");
                std::process::exit(1);
            }
        }
        let index = CatalogIndex::new(&race.catalog_json);
        let cedar = CedarPeer::new().unwrap();
        let cedar_inputs = race
            .changes_json
            .iter()
            .map(|c| cedar.input(cedar_request_json(c, &index)).unwrap())
            .collect();
        let cedar_texts = cedar_texts(&race.changes_json, &index);
        let rego_text = race_source("rego").unwrap();
        let rego_data = rego_value(&rego_data(&race.catalog_json)).unwrap();
        let rego_inputs = race
            .changes_json
            .iter()
            .map(|c| rego_value(c).unwrap())
            .collect();
        let program = rego_program(&rego_text, &rego_data).unwrap();
        let allowed = race.find(|v| v.is_empty()).unwrap();
        // A request that several rules deny, one of them a plain deny rule.
        let denied = race
            .find(|v| v.len() >= 3 && v.iter().any(|r| r == "separation_of_duties"))
            .or_else(|| race.find(|v| v.len() >= 3))
            .unwrap();
        Setup {
            gate: race_source("gate").unwrap(),
            cedar_text: race_source("cedar").unwrap(),
            rego_text,
            cedar,
            cedar_inputs,
            cedar_texts,
            rego_data,
            rego_inputs,
            program,
            allowed,
            denied,
            race,
        }
    }
}

fn compile_case(s: &Setup) -> Case<'_> {
    vec![
        (
            "shipgate",
            Box::new(|| {
                black_box(Engine::from_source(black_box(&s.gate), "release.gate").unwrap());
            }),
        ),
        (
            "cedar",
            Box::new(|| {
                black_box(CedarPeer::compile(black_box(&s.cedar_text)).unwrap());
            }),
        ),
        (
            "regorus",
            Box::new(|| {
                black_box(RegoInterpreter::compile(black_box(&s.rego_text), &s.rego_data).unwrap());
            }),
        ),
        (
            "regorus_vm",
            Box::new(|| {
                black_box(rego_program(black_box(&s.rego_text), &s.rego_data).unwrap());
            }),
        ),
    ]
}

/// One decision on prepared input (each engine's native form) for change `i`.
fn prepared_case<'a>(
    s: &'a Setup,
    i: usize,
    interp: &'a mut RegoInterpreter,
    vm: &'a mut regorus::rvm::vm::RegoVM,
) -> Case<'a> {
    let now = now();
    let change = &s.race.changes[i];
    let cedar = &s.cedar_inputs[i];
    let input = &s.rego_inputs[i];
    let input2 = input.clone();
    vec![
        (
            "shipgate",
            Box::new(move || {
                black_box(
                    s.race
                        .engine
                        .evaluate(black_box(change), &s.race.catalog, now, false)
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

/// One decision starting from the request's JSON text, for change `i`.
fn json_case<'a>(
    s: &'a Setup,
    i: usize,
    interp: &'a mut RegoInterpreter,
    vm: &'a mut regorus::rvm::vm::RegoVM,
) -> Case<'a> {
    let text = &s.race.changes_text[i];
    let cedar_text = &s.cedar_texts[i];
    vec![
        (
            "shipgate",
            Box::new(move || {
                black_box(
                    shipgate_from_json(&s.race.engine, &s.race.catalog, black_box(text)).unwrap(),
                );
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

fn bench_case(c: &mut Criterion, group: &str, case: Case<'_>) {
    let mut g = c.benchmark_group(format!("race/{group}"));
    for (name, mut f) in case {
        g.bench_function(name, |b| b.iter(&mut f));
    }
    g.finish();
}

fn summary(s: &mut Setup) {
    let round = Duration::from_millis(400);
    let mut lines = vec![
        "| operation | shipgate | cedar (shipgate is Nx faster) | regorus interpreter | regorus VM |"
            .to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    let measure = |case: Case<'_>| measure(case, round);
    lines.push(row("compile the policy", &measure(compile_case(s))));
    let mut interp = RegoInterpreter::compile(&s.rego_text, &s.rego_data).unwrap();
    let mut vm = rego_vm(&s.program, &s.rego_data).unwrap();
    let (allowed, denied) = (s.allowed, s.denied);
    lines.push(row(
        "one decision, prepared, allowed",
        &measure(prepared_case(s, allowed, &mut interp, &mut vm)),
    ));
    lines.push(row(
        "one decision, prepared, denied",
        &measure(prepared_case(s, denied, &mut interp, &mut vm)),
    ));
    lines.push(row(
        "one decision from JSON (denied)",
        &measure(json_case(s, denied, &mut interp, &mut vm)),
    ));

    // 100,000 decisions: the corpus, repeated; each engine's loop runs once.
    let n = 100_000;
    let corpus = s.race.changes.len();
    let changes: Vec<Change> = (0..n).map(|k| s.race.changes[k % corpus].clone()).collect();
    let now = now();
    let ship_seq = time(&mut || {
        for c in &changes {
            black_box(
                s.race
                    .engine
                    .evaluate(c, &s.race.catalog, now, false)
                    .unwrap(),
            );
        }
    });
    let ship_collect = time(&mut || {
        let out: Vec<_> = changes
            .iter()
            .map(|c| s.race.engine.evaluate(c, &s.race.catalog, now, false))
            .collect();
        assert_eq!(out.len(), n);
    });
    let ship_par = time(&mut || {
        let out = s.race.engine.evaluate_many(&changes, &s.race.catalog, now);
        assert_eq!(out.len(), n);
    });
    let cedar = time(&mut || {
        for k in 0..n {
            let input = &s.cedar_inputs[k % corpus];
            black_box(s.cedar.authorizer.is_authorized(
                &input.request,
                &s.cedar.policies,
                &input.entities,
            ));
        }
    });
    let rego = time(&mut || {
        for k in 0..n {
            interp.set_input(s.rego_inputs[k % corpus].clone());
            black_box(interp.eval().unwrap());
        }
    });
    let rego_vm_t = time(&mut || {
        for k in 0..n {
            black_box(rego_vm_eval(&mut vm, s.rego_inputs[k % corpus].clone()).unwrap());
        }
    });
    lines.push(row(
        "100,000 decisions, prepared (one thread)",
        &[
            ("shipgate", ship_seq),
            ("cedar", cedar),
            ("regorus", rego),
            ("regorus_vm", rego_vm_t),
        ],
    ));
    lines.push(row(
        "100,000 decisions kept in a Vec, shipgate one thread",
        &[
            ("shipgate", ship_collect),
            ("cedar", cedar),
            ("regorus", rego),
            ("regorus_vm", rego_vm_t),
        ],
    ));
    lines.push(row(
        "100,000 decisions kept in a Vec, shipgate evaluate_many (all cores)",
        &[
            ("shipgate", ship_par),
            ("cedar", cedar),
            ("regorus", rego),
            ("regorus_vm", rego_vm_t),
        ],
    ));
    println!("\nrace summary (this run; ratios are peer time / shipgate time)\n");
    for l in lines {
        println!("{l}");
    }
}

fn main() {
    let quick = quick();
    let mut s = Setup::new(if quick { 300 } else { RACE_CORPUS });
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_case(&mut c, "compile", compile_case(&s));
    let mut interp = RegoInterpreter::compile(&s.rego_text, &s.rego_data).unwrap();
    let mut vm = rego_vm(&s.program, &s.rego_data).unwrap();
    bench_case(
        &mut c,
        "prepared_allowed",
        prepared_case(&s, s.allowed, &mut interp, &mut vm),
    );
    bench_case(
        &mut c,
        "prepared_denied",
        prepared_case(&s, s.denied, &mut interp, &mut vm),
    );
    bench_case(
        &mut c,
        "from_json",
        json_case(&s, s.denied, &mut interp, &mut vm),
    );
    c.final_summary();
    if !quick {
        summary(&mut s);
    }
}
