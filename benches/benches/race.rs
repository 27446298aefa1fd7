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

mod cases;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cases::{Inputs, json_case, prepared_case};
use criterion::Criterion;
use shipgate::{Change, Engine};
use shipgate_benches::peers::{
    CedarInput, CedarPeer, RegoInterpreter, cedar_texts, check_agreement, rego_data, rego_program,
    rego_value, rego_vm, rego_vm_eval,
};
use shipgate_benches::timing::{Case, measure, row, time};
use shipgate_benches::{CatalogIndex, RACE_CORPUS, Race, cedar_request_json, now, race_source};

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

/// The race's inputs as the shared cases take them.
fn inputs(s: &Setup) -> Inputs<'_> {
    Inputs {
        engine: &s.race.engine,
        catalog: &s.race.catalog,
        changes: &s.race.changes,
        texts: &s.race.changes_text,
        cedar: &s.cedar,
        cedar_inputs: &s.cedar_inputs,
        cedar_texts: &s.cedar_texts,
        rego_inputs: &s.rego_inputs,
    }
}

fn bench_case(c: &mut Criterion, group: &str, case: Case<'_>) {
    let mut g = c.benchmark_group(format!("race/{group}"));
    for (name, mut f) in case {
        g.bench_function(name, |b| b.iter(&mut f));
    }
    g.finish();
}

fn summary(s: &mut Setup) {
    let inp = inputs(s);
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
        &measure(prepared_case(&inp, allowed, &mut interp, &mut vm)),
    ));
    lines.push(row(
        "one decision, prepared, denied",
        &measure(prepared_case(&inp, denied, &mut interp, &mut vm)),
    ));
    lines.push(row(
        "one decision from JSON (denied)",
        &measure(json_case(&inp, denied, &mut interp, &mut vm)),
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
    let inp = inputs(&s);
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
        prepared_case(&inp, s.allowed, &mut interp, &mut vm),
    );
    bench_case(
        &mut c,
        "prepared_denied",
        prepared_case(&inp, s.denied, &mut interp, &mut vm),
    );
    bench_case(
        &mut c,
        "from_json",
        json_case(&inp, s.denied, &mut interp, &mut vm),
    );
    c.final_summary();
    if !quick {
        summary(&mut s);
    }
}
