//! Timing for the races' summaries: each engine's operation as a closure, a median time per
//! call, and a table row of each engine's time with how many times faster shipgate is.

use std::time::{Duration, Instant};

/// The engines of the races, in the order of the summary tables.
pub const ENGINES: [&str; 4] = ["shipgate", "cedar", "regorus", "regorus_vm"];

/// One timed case: a closure per engine that runs one operation.
pub type Case<'a> = Vec<(&'static str, Box<dyn FnMut() + 'a>)>;

/// Median time per call over five rounds of about `round` each, after a warm-up.
pub fn per_call(f: &mut dyn FnMut(), round: Duration) -> Duration {
    let start = Instant::now();
    let mut calls: u32 = 0;
    while start.elapsed() < round / 2 || calls < 3 {
        f();
        calls += 1;
    }
    let per_round = (calls * 2).max(3);
    let mut rounds: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                f();
            }
            t.elapsed() / per_round
        })
        .collect();
    rounds.sort();
    rounds.get(2).copied().unwrap_or_default()
}

/// Each engine's median time per call of its closure in `case`.
pub fn measure(case: Case<'_>, round: Duration) -> Vec<(&'static str, Duration)> {
    case.into_iter()
        .map(|(name, mut f)| (name, per_call(&mut f, round)))
        .collect()
}

/// The time `f` takes, run once.
pub fn time(f: &mut dyn FnMut()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// A duration with three significant figures and its unit.
pub fn fmt(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} us", ns / 1_000.0)
    } else if ns < 1_000_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else {
        format!("{:.2} s", ns / 1_000_000_000.0)
    }
}

/// A summary row: each engine's time, and how many times faster shipgate is than each peer.
pub fn row(name: &str, times: &[(&str, Duration)]) -> String {
    let ship = times
        .iter()
        .find(|(e, _)| *e == "shipgate")
        .map(|(_, t)| t.as_secs_f64())
        .unwrap_or(f64::NAN);
    let mut cells = vec![name.to_string()];
    for e in ENGINES {
        let cell = match times.iter().find(|(n, _)| *n == e) {
            Some((_, t)) if e == "shipgate" => fmt(*t),
            Some((_, t)) => format!("{} ({:.1}x)", fmt(*t), t.as_secs_f64() / ship),
            None => "-".into(),
        };
        cells.push(cell);
    }
    format!("| {} |", cells.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_gives_each_peer_its_ratio_to_shipgate() {
        let r = row(
            "op",
            &[
                ("shipgate", Duration::from_nanos(500)),
                ("cedar", Duration::from_micros(10)),
                ("regorus_vm", Duration::from_micros(2)),
            ],
        );
        assert_eq!(r, "| op | 500 ns | 10.00 us (20.0x) | - | 2.00 us (4.0x) |");
    }
}
