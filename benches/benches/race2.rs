#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops loudly on bad setup

//! The second race (issue 15): shipgate, Cedar, regorus (interpreter) and regorus (RVM
//! bytecode VM) side by side on a 20-rule release gate whose conditions read nearly only
//! `extend change` fields of a flat request (`benches/policy/gate2.{gate,cedar,rego}`).
//!
//! Before any timing, all of them decide a generated corpus of 10,000 requests and must
//! report the same denying rules for each as a plain-Rust model, and every rule must deny some
//! requests and not others; otherwise the run aborts. Then criterion measures each group
//! (`race2/...`), and a summary table of ratios is printed from timings taken in the same run.
//!
//! `cargo bench -p shipgate-benches --features peers --bench race2`

mod cases;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cases::{Inputs, json_case, prepared_case};
use criterion::Criterion;
use shipgate::{Change, Engine};
use shipgate_benches::now;
use shipgate_benches::peers::{
    CedarInput, CedarPeer, Peers2, REGO_QUERY2, RegoInterpreter, check_agreement2,
    rego_program_query, rego_value, rego_vm, rego_vm_eval,
};
use shipgate_benches::race2::{RACE2_CORPUS, Race2, cedar2_request_json, race2_source};
use shipgate_benches::timing::{Case, measure, row, time};

/// Criterion's test mode (`cargo test --benches`: run without `--bench`): a smaller corpus (still
/// one where every rule denies both ways) and no summary loops.
fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// Everything each engine needs, prepared before any timing.
struct Setup {
    race: Race2,
    gate: String,
    peers: Peers2,
    /// Cedar's native inputs and JSON texts, per request.
    cedar_inputs: Vec<CedarInput>,
    cedar_texts: Vec<String>,
    rego_inputs: Vec<regorus::Value>,
    allowed: usize,
    denied: usize,
}

impl Setup {
    fn new(n: usize) -> Setup {
        let race = Race2::new(n).unwrap();
        let t = Instant::now();
        match check_agreement2(&race) {
            Ok(c) => println!(
                "agreement: shipgate, cedar, regorus and regorus-vm report the same denying \
                 rules as the Rust model on all {} requests ({} allowed; every rule denies \
                 between {} and {} of them) in {:.1}s",
                c.requests,
                c.allowed,
                c.denies.iter().min().unwrap(),
                c.denies.iter().max().unwrap(),
                t.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("ABORTED: the engines disagree, no timing is meaningful\n{e}");
                std::process::exit(1);
            }
        }
        let peers = Peers2::new().unwrap();
        let cedar_json: Vec<_> = race.requests_json.iter().map(cedar2_request_json).collect();
        let cedar_inputs = cedar_json
            .iter()
            .map(|c| peers.cedar.input(c.clone()).unwrap())
            .collect();
        let cedar_texts = cedar_json.iter().map(|c| c.to_string()).collect();
        let rego_inputs = race
            .requests_json
            .iter()
            .map(|r| rego_value(r).unwrap())
            .collect();
        let allowed = race.find(|v| v.is_empty()).unwrap();
        // A request that several rules deny.
        let denied = race.find(|v| v.len() >= 3).unwrap();
        Setup {
            gate: race2_source("gate").unwrap(),
            peers,
            cedar_inputs,
            cedar_texts,
            rego_inputs,
            allowed,
            denied,
            race,
        }
    }
}

fn compile_case(s: &Setup) -> Case<'_> {
    let p = &s.peers;
    vec![
        (
            "shipgate",
            Box::new(|| {
                black_box(Engine::from_source(black_box(&s.gate), "gate2.gate").unwrap());
            }),
        ),
        (
            "cedar",
            Box::new(|| {
                black_box(CedarPeer::compile(black_box(&p.cedar_text)).unwrap());
            }),
        ),
        (
            "regorus",
            Box::new(|| {
                black_box(
                    RegoInterpreter::compile_query(black_box(&p.rego_text), &p.data, REGO_QUERY2)
                        .unwrap(),
                );
            }),
        ),
        (
            "regorus_vm",
            Box::new(|| {
                black_box(
                    rego_program_query(black_box(&p.rego_text), &p.data, REGO_QUERY2).unwrap(),
                );
            }),
        ),
    ]
}

/// The race's inputs as the shared cases take them.
fn inputs(s: &Setup) -> Inputs<'_> {
    Inputs {
        engine: &s.race.engine,
        catalog: &s.race.catalog,
        changes: &s.race.requests,
        texts: &s.race.requests_text,
        cedar: &s.peers.cedar,
        cedar_inputs: &s.cedar_inputs,
        cedar_texts: &s.cedar_texts,
        rego_inputs: &s.rego_inputs,
    }
}

fn bench_case(c: &mut Criterion, group: &str, case: Case<'_>) {
    let mut g = c.benchmark_group(format!("race2/{group}"));
    for (name, mut f) in case {
        g.bench_function(name, |b| b.iter(&mut f));
    }
    g.finish();
}

/// Fresh peers for timing, so that no state is carried over from the agreement check.
fn rego_engines(s: &Setup) -> (RegoInterpreter, regorus::rvm::vm::RegoVM) {
    let p = &s.peers;
    (
        RegoInterpreter::compile_query(&p.rego_text, &p.data, REGO_QUERY2).unwrap(),
        rego_vm(&p.program, &p.data).unwrap(),
    )
}

fn summary(s: &Setup) {
    let inp = inputs(s);
    let round = Duration::from_millis(400);
    let mut lines = vec![
        "| operation | shipgate | cedar (shipgate is Nx faster) | regorus interpreter | regorus VM |"
            .to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    lines.push(row("compile the policy", &measure(compile_case(s), round)));
    let (mut interp, mut vm) = rego_engines(s);
    for (name, i) in [
        ("one decision, prepared, allowed", s.allowed),
        ("one decision, prepared, denied", s.denied),
    ] {
        let case = prepared_case(&inp, i, &mut interp, &mut vm);
        lines.push(row(name, &measure(case, round)));
    }
    let case = json_case(&inp, s.denied, &mut interp, &mut vm);
    lines.push(row(
        "one decision from JSON (denied)",
        &measure(case, round),
    ));

    // 100,000 decisions: the corpus, repeated; each engine's loop runs once.
    let n = 100_000;
    let corpus = s.race.requests.len();
    let changes: Vec<Change> = (0..n)
        .map(|k| s.race.requests[k % corpus].clone())
        .collect();
    let now = now();
    let (engine, catalog) = (&s.race.engine, &s.race.catalog);
    let ship_seq = time(&mut || {
        for c in &changes {
            black_box(engine.evaluate(c, catalog, now, false).unwrap());
        }
    });
    let ship_par = time(&mut || {
        let out = engine.evaluate_many(&changes, catalog, now);
        assert_eq!(out.len(), n);
    });
    let cedar = time(&mut || {
        let p = &s.peers.cedar;
        for k in 0..n {
            let input = &s.cedar_inputs[k % corpus];
            black_box(
                p.authorizer
                    .is_authorized(&input.request, &p.policies, &input.entities),
            );
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
    for (name, ship) in [
        ("100,000 decisions, prepared (one thread)", ship_seq),
        (
            "100,000 decisions, shipgate evaluate_many (all cores)",
            ship_par,
        ),
    ] {
        lines.push(row(
            name,
            &[
                ("shipgate", ship),
                ("cedar", cedar),
                ("regorus", rego),
                ("regorus_vm", rego_vm_t),
            ],
        ));
    }
    println!("\nrace2 summary (this run; ratios are peer time / shipgate time)\n");
    for l in lines {
        println!("{l}");
    }
}

fn main() {
    let quick = quick();
    let s = Setup::new(if quick { 1_000 } else { RACE2_CORPUS });
    let inp = inputs(&s);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_case(&mut c, "compile", compile_case(&s));
    let (mut interp, mut vm) = rego_engines(&s);
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
        summary(&s);
    }
}
