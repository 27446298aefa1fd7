//! Rollback checks (SPEC 5 and 8.8): each trigger that applies to a change, judged against the
//! observations at `now`: `fired` (with when the breach began), `ok` or `no_data`.
//! `docs/rollback.md` is the contract of the states; [`judge`] is its one implementation.

use super::{Policy, evaluate};
use crate::check::ir::CmpOp;
use crate::decision::*;
use crate::error::{Error, InputError};
use crate::graph::Catalog;
use crate::input::{Change, Observations, Series};
use crate::time::{Instant, format_duration, format_instant};

/// The triggers that apply to `change` (as its decision lists them) against `observations`.
pub fn check(
    policy: &Policy,
    change: &Change,
    catalog: &Catalog,
    observations: &Observations,
    now: Instant,
) -> Result<RollbackCheck, Error> {
    let decision = evaluate(policy, change, catalog, now, false)?;
    let ir = &policy.compiled.ir;
    let mut triggers = Vec::with_capacity(decision.rollback.len());
    for t in &decision.rollback {
        let Some(tir) = usize::try_from(t.index)
            .ok()
            .and_then(|i| ir.triggers.get(i))
        else {
            // Every trigger a decision lists is one of its policy's: skipping one would
            // quietly weaken the check.
            return Err(Error::Internal {
                message: format!(
                    "the decision lists trigger {} that its policy lacks",
                    t.index
                ),
            });
        };
        let (threshold, baseline) = if tir.of_baseline {
            let Some(b) = observations.baseline(&tir.metric) else {
                return Err(InputError::new(
                    format!("observations.baseline.{}", tir.metric),
                    format!(
                        "required for the trigger at {}: its threshold is relative to the \
                         baseline of {}",
                        tir.at, tir.metric
                    ),
                )
                .into());
            };
            (tir.threshold * b, Some(b))
        } else {
            (tir.threshold, None)
        };
        let verdict = match observations.series(&tir.metric) {
            None => Judged::NoData(format!("no samples of {}", tir.metric)),
            Some(series) => judge(
                series,
                |v| breaches(tir.op, v, threshold),
                tir.for_secs,
                observations.interval(&tir.metric),
                now.timestamp(),
            ),
        };
        let (state, since, why) = match verdict {
            Judged::Fired { since } => (TriggerState::Fired, Some(at(since)), None),
            Judged::Ok => (TriggerState::Ok, None, None),
            Judged::NoData(why) => (TriggerState::NoData, None, Some(Text::from(why))),
        };
        triggers.push(TriggerCheck {
            metric: t.metric.clone(),
            state,
            since,
            op: t.op,
            threshold,
            baseline,
            for_: t.for_.clone(),
            on_no_data: t.on_no_data,
            why,
            at: tir.at.clone(),
        });
    }
    let rollback = triggers.iter().any(|t| {
        t.state == TriggerState::Fired
            || (t.state == TriggerState::NoData && t.on_no_data == Some(OnNoData::Fire))
    });
    Ok(RollbackCheck {
        change: decision.change,
        now: decision.now,
        owner: ir.rollback_owner.clone(),
        triggers,
        rollback,
    })
}

fn breaches(op: CmpOp, value: f64, threshold: f64) -> bool {
    match op {
        CmpOp::Eq => value == threshold,
        CmpOp::Ne => value != threshold,
        CmpOp::Lt => value < threshold,
        CmpOp::Le => value <= threshold,
        CmpOp::Gt => value > threshold,
        CmpOp::Ge => value >= threshold,
    }
}

fn at(secs: i64) -> Instant {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn when(secs: i64) -> String {
    format_instant(at(secs))
}

/// A trigger's state, before it is dressed for the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Judged {
    /// Fired; the breach began at `since` (seconds).
    Fired {
        since: i64,
    },
    Ok,
    /// No data, and why.
    NoData(String),
}

/// The sampling interval: the declared one, else the lower median of the spacings of the
/// samples; `None` with fewer than two samples and none declared. Linear time.
pub(crate) fn sampling_interval(times: &[i64], declared: Option<i64>) -> Option<i64> {
    if declared.is_some() {
        return declared;
    }
    let mut gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.is_empty() {
        return None;
    }
    let k = (gaps.len() - 1) / 2;
    let (_, median, _) = gaps.select_nth_unstable(k);
    Some(*median)
}

/// Whether `spacing` is a gap: longer than 1.5 sampling intervals (a missed sample is one).
fn is_gap(spacing: i64, interval: i64) -> bool {
    i128::from(spacing) * 2 > i128::from(interval) * 3
}

/// The state of one trigger at `now` (seconds), from the samples at or before `now`: walks
/// back from the latest sample, so the latest data decides. `docs/rollback.md` states the
/// rules; the model in the tests below restates them by brute force.
pub(crate) fn judge(
    series: &Series,
    breach: impl Fn(f64) -> bool,
    for_secs: i64,
    declared_interval: Option<i64>,
    now: i64,
) -> Judged {
    let n = series.times.partition_point(|&t| t <= now);
    let times = &series.times[..n];
    let values = &series.values[..n];
    let Some(&last_t) = times.last() else {
        return Judged::NoData("no samples at or before now".into());
    };
    let Some(interval) = sampling_interval(times, declared_interval) else {
        return Judged::NoData(
            "one sample only: too few to find the sampling interval (declare it in `intervals`)"
                .into(),
        );
    };
    let sampled = format_duration(interval);
    if is_gap(now - last_t, interval) {
        return Judged::NoData(format!(
            "stale: the last sample, at {}, is more than 1.5 sampling intervals ({sampled}) \
             before now",
            when(last_t)
        ));
    }
    let mut i = n - 1;
    loop {
        let (t, v) = (times[i], values[i]);
        let Some(v) = v else {
            return Judged::NoData(format!("no value at {}", when(t)));
        };
        if !breach(v) {
            return Judged::Ok;
        }
        if last_t - t >= for_secs {
            // Fired: the breach began at the earliest sample of the unbroken run.
            let mut first = i;
            while first > 0
                && !is_gap(times[first] - times[first - 1], interval)
                && values[first - 1].is_some_and(&breach)
            {
                first -= 1;
            }
            return Judged::Fired {
                since: times[first],
            };
        }
        if i == 0 {
            return Judged::NoData(format!(
                "too few samples to cover {}: they begin at {}",
                format_duration(for_secs),
                when(times[0])
            ));
        }
        if is_gap(t - times[i - 1], interval) {
            return Judged::NoData(format!(
                "a gap from {} to {}, longer than 1.5 sampling intervals ({sampled})",
                when(times[i - 1]),
                when(t)
            ));
        }
        i -= 1;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn series(samples: &[(i64, Option<f64>)]) -> Series {
        Series {
            times: samples.iter().map(|s| s.0).collect(),
            values: samples.iter().map(|s| s.1).collect(),
        }
    }

    fn over(v: f64) -> bool {
        v > 0.02
    }

    /// Samples every minute from 0, `values` in order.
    fn minutely(values: &[Option<f64>]) -> Series {
        let s: Vec<(i64, Option<f64>)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as i64 * 60, *v))
            .collect();
        series(&s)
    }

    const BAD: Option<f64> = Some(0.05);
    const GOOD: Option<f64> = Some(0.01);

    #[test]
    fn a_breach_exactly_for_long_fires_since_its_first_sample() {
        // 10:00 .. 10:05 breaching, `for 5m`: the span from first to last is 5m.
        let s = minutely(&[GOOD, BAD, BAD, BAD, BAD, BAD, BAD]);
        assert_eq!(judge(&s, over, 300, None, 360), Judged::Fired { since: 60 });
    }

    #[test]
    fn a_breach_one_sample_short_of_for_is_ok() {
        // Recovers one sample before `for`: 4m of breach, then a good sample.
        let s = minutely(&[GOOD, BAD, BAD, BAD, BAD, BAD, GOOD]);
        assert_eq!(judge(&s, over, 300, None, 360), Judged::Ok);
        // Still breaching but one sample short, with nothing before: too few to tell.
        let s = minutely(&[BAD, BAD, BAD, BAD, BAD]);
        assert!(
            matches!(judge(&s, over, 300, None, 240), Judged::NoData(w) if w.contains("too few"))
        );
        // One sample short, with a good sample before it: it has not lasted `for` yet.
        let s = minutely(&[GOOD, BAD, BAD, BAD, BAD, BAD]);
        assert_eq!(judge(&s, over, 300, None, 300), Judged::Ok);
    }

    #[test]
    fn since_reaches_back_to_the_start_of_the_breach() {
        let s = minutely(&[GOOD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]);
        assert_eq!(judge(&s, over, 300, None, 480), Judged::Fired { since: 60 });
    }

    #[test]
    fn a_gap_inside_the_window_is_no_data() {
        // Minutely, then a missing sample (180 has none): a gap of 2m between 120 and 240.
        let s = series(&[
            (0, BAD),
            (60, BAD),
            (120, BAD),
            (240, BAD),
            (300, BAD),
            (360, BAD),
            (420, BAD),
        ]);
        let j = judge(&s, over, 300, None, 420);
        assert!(
            matches!(&j, Judged::NoData(w) if w.contains("gap")),
            "{j:?}"
        );
        // Jitter within 1.5 intervals is no gap.
        let s = series(&[
            (0, BAD),
            (60, BAD),
            (145, BAD),
            (200, BAD),
            (260, BAD),
            (330, BAD),
        ]);
        assert_eq!(judge(&s, over, 300, None, 330), Judged::Fired { since: 0 });
    }

    #[test]
    fn nan_or_null_in_the_window_is_no_data_and_stale_data_is_no_data() {
        let s = minutely(&[BAD, BAD, BAD, None, BAD, BAD, BAD]);
        let j = judge(&s, over, 300, None, 360);
        assert!(
            matches!(&j, Judged::NoData(w) if w.contains("no value at")),
            "{j:?}"
        );
        let s = minutely(&[BAD, BAD, BAD, BAD, BAD, BAD, BAD]);
        let j = judge(&s, over, 300, None, 360 + 91);
        assert!(
            matches!(&j, Judged::NoData(w) if w.contains("stale")),
            "{j:?}"
        );
        assert_eq!(
            judge(&s, over, 300, None, 360 + 90),
            Judged::Fired { since: 0 }
        );
    }

    #[test]
    fn samples_after_now_are_not_read() {
        let s = minutely(&[GOOD, GOOD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, GOOD]);
        assert_eq!(
            judge(&s, over, 300, None, 480),
            Judged::Fired { since: 120 }
        );
        assert_eq!(judge(&s, over, 300, None, 540), Judged::Ok);
    }

    #[test]
    fn a_declared_interval_replaces_the_median() {
        // Every 2m, declared 1m: each spacing is a gap.
        let s = series(&[(0, BAD), (120, BAD), (240, BAD), (360, BAD)]);
        assert_eq!(judge(&s, over, 300, None, 360), Judged::Fired { since: 0 });
        assert!(matches!(
            judge(&s, over, 300, Some(60), 360),
            Judged::NoData(_)
        ));
        let one = series(&[(0, BAD)]);
        assert!(
            matches!(judge(&one, over, 60, None, 0), Judged::NoData(w) if w.contains("one sample"))
        );
        assert_eq!(sampling_interval(&[0, 60, 120, 300], None), Some(60));
        assert_eq!(sampling_interval(&[0, 60, 180], None), Some(60));
    }

    /// The states restated by brute force over every window (quadratic): the definition in
    /// `docs/rollback.md`, read literally.
    fn model(s: &Series, for_secs: i64, declared: Option<i64>, now: i64) -> &'static str {
        let pts: Vec<(i64, Option<f64>)> = s
            .times
            .iter()
            .zip(&s.values)
            .filter(|(t, _)| **t <= now)
            .map(|(t, v)| (*t, *v))
            .collect();
        if pts.is_empty() {
            return "no_data";
        }
        let interval = match declared {
            Some(d) => d,
            None if pts.len() < 2 => return "no_data",
            None => {
                let mut g: Vec<i64> = pts.windows(2).map(|w| w[1].0 - w[0].0).collect();
                g.sort_unstable();
                g[(g.len() - 1) / 2]
            }
        };
        let gap = |a: i64, b: i64| (b - a) as f64 > 1.5 * interval as f64;
        let last = pts.len() - 1;
        if gap(pts[last].0, now) {
            return "no_data";
        }
        // Fired: some window [k, last] spanning `for`, every sample valid and breaching, no gap.
        for k in 0..=last {
            if pts[last].0 - pts[k].0 >= for_secs
                && (k..=last).all(|i| pts[i].1.is_some_and(over))
                && (k..last).all(|i| !gap(pts[i].0, pts[i + 1].0))
            {
                return "fired";
            }
        }
        // Ok: the latest sample that is not a breach is a valid good one, reached without a gap
        // or a missing value, within `for` of the last.
        for j in (0..=last).rev() {
            let ok_here = pts[j].1.is_some_and(|v| !over(v));
            let clean = (j..last).all(|i| !gap(pts[i].0, pts[i + 1].0));
            if ok_here {
                return if clean { "ok" } else { "no_data" };
            }
            if pts[j].1.is_none() {
                return "no_data";
            }
        }
        "no_data"
    }

    fn name(j: &Judged) -> &'static str {
        match j {
            Judged::Fired { .. } => "fired",
            Judged::Ok => "ok",
            Judged::NoData(_) => "no_data",
        }
    }

    proptest! {
        #[test]
        fn judge_agrees_with_the_brute_force_model(
            steps in prop::collection::vec((40i64..130, prop::option::weighted(0.9, prop::bool::weighted(0.7))), 0..30),
            for_min in 1i64..8,
            declared in prop::option::of(prop::sample::select(vec![30i64, 60, 90])),
            after in 0i64..200,
        ) {
            let mut t = 0;
            let mut samples = Vec::new();
            for (dt, v) in &steps {
                t += dt;
                samples.push((t, v.map(|b| if b { 0.05 } else { 0.01 })));
            }
            let s = series(&samples);
            let now = t + after - 100;
            let j = judge(&s, over, for_min * 60, declared, now);
            prop_assert_eq!(name(&j), model(&s, for_min * 60, declared, now), "{:?}", j);
        }
    }
}
