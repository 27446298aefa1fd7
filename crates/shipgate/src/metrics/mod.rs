//! Delivery metrics (SPEC 8.6): deployment frequency, lead time, change failure rate and time
//! to restore over a deployment history, overall, per service or per team, and week by week.
//!
//! The history is read as a stream: each record is checked and reduced to the few numbers the
//! figures need (`Sample`), so memory grows with the deployments of the period by a few words
//! each, never by whole records. Definitions and formulas: docs/metrics.md.

mod read;
mod svg;

use std::io::BufRead;
use std::path::Path;

use serde_json::{Value, json};

use crate::error::{Error, InputError};
use crate::time::{Instant, format_instant};

pub use read::HistoryFormat;

/// The longest line of a JSON lines history, in bytes; a longer one is an error.
pub const MAX_HISTORY_LINE_BYTES: usize = 64 * 1024;

/// The most weeks [`Metrics::to_svg`] draws; a longer period is an error (narrow it with
/// `from`/`to`).
pub const MAX_SVG_WEEKS: usize = 520;

const WEEK_S: i64 = 7 * 86_400;

/// What [`Metrics`] groups the deployments by, besides the overall figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupBy {
    /// One group per `service`.
    Service,
    /// One group per `team`; deployments without a team form one group whose key is `None`.
    Team,
}

/// The period and grouping of a [`Metrics`] computation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsQuery {
    /// The start of the period (inclusive); default: the earliest `deployed_at`.
    pub from: Option<Instant>,
    /// The end of the period (exclusive); default: the latest `deployed_at`, and then that
    /// deployment is counted (the period is closed at its end).
    pub to: Option<Instant>,
    /// Group the deployments by service or team as well.
    pub by: Option<GroupBy>,
}

impl MetricsQuery {
    /// The whole history, not grouped.
    pub fn new() -> MetricsQuery {
        MetricsQuery::default()
    }
}

/// The four measures of a set of deployments. A figure that has nothing to measure (no
/// deployment, no restored failure, a period of no length) is `None`, never 0 or NaN.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Figures {
    /// Deployments in the period.
    pub deployments: u64,
    /// `deployments / ((to - from) in days)`; `None` when the period has no length.
    pub per_day: Option<f64>,
    /// The median lead time (`deployed_at - committed_at`), nearest rank, in seconds.
    pub lead_time_median_s: Option<i64>,
    /// The 90th percentile lead time, nearest rank, in seconds.
    pub lead_time_p90_s: Option<i64>,
    /// `failed / deployments`.
    pub change_failure_rate: Option<f64>,
    /// The median `restored_at - deployed_at` of the failed deployments that were restored.
    pub time_to_restore_median_s: Option<i64>,
    /// Failed deployments.
    pub failed: u64,
    /// Failed deployments without `restored_at`: not in the time to restore.
    pub not_restored: u64,
}

/// One group of [`Metrics::groups`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GroupFigures {
    /// The service or team; `None` for the deployments without a team (`GroupBy::Team`).
    pub key: Option<String>,
    /// The group's figures over the same period.
    pub figures: Figures,
}

/// One week of [`Metrics::weeks`]: `[start, start + 7 days)`, counted from the period's start.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WeekFigures {
    /// The week's first instant.
    pub start: Instant,
    /// The week's figures (`per_day` over its 7 days).
    pub figures: Figures,
}

/// The delivery metrics of a history over a period (SPEC 8.6).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Metrics {
    /// The period's start: as asked, else the earliest `deployed_at`; `None` for an empty
    /// history.
    pub from: Option<Instant>,
    /// The period's end: as asked, else the latest `deployed_at`.
    pub to: Option<Instant>,
    /// The figures over every deployment of the period.
    pub overall: Figures,
    /// With a grouping, each group's figures, sorted by key (the group without a team last).
    pub groups: Vec<GroupFigures>,
    /// The period week by week (empty for an empty period).
    pub weeks: Vec<WeekFigures>,
}

/// What the figures need of one deployment of the period.
#[derive(Debug, Clone, Copy)]
struct Sample {
    deployed: i64,
    lead: i64,
    /// `restored_at - deployed_at`, or -1: not failed, or failed and not restored.
    restore: i64,
    failed: bool,
    group: u32,
}

/// Computes the metrics of a history read from `reader`; `name` names it in errors
/// (`history.jsonl:12: deployed_at: ...`).
pub fn metrics(
    reader: impl BufRead,
    name: &str,
    format: HistoryFormat,
    query: &MetricsQuery,
) -> Result<Metrics, Error> {
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from >= to {
            return Err(InputError::new(
                "to",
                format!(
                    "the period ends ({}) before or when it starts ({})",
                    format_instant(to),
                    format_instant(from)
                ),
            )
            .into());
        }
    }
    let mut acc = Accumulator::new(query);
    read::records(reader, name, format, |r| acc.add(r))?;
    Ok(acc.finish(query))
}

/// [`metrics`] of a file; the format is `format`, else the extension's (`.csv` is CSV,
/// anything else JSON lines).
pub fn metrics_from_path(
    path: impl AsRef<Path>,
    format: Option<HistoryFormat>,
    query: &MetricsQuery,
) -> Result<Metrics, Error> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::Io {
        path: name.clone(),
        message: format!("cannot read the history: {e}"),
    })?;
    let format = format.unwrap_or_else(|| HistoryFormat::of_path(path));
    metrics(
        std::io::BufReader::with_capacity(1 << 16, file),
        &name,
        format,
        query,
    )
}

struct Accumulator {
    from: Option<i64>,
    to: Option<i64>,
    by: Option<GroupBy>,
    earliest: Option<i64>,
    latest: Option<i64>,
    samples: Vec<Sample>,
    keys: std::collections::HashMap<String, u32>,
    /// Index of the group of the deployments without a team.
    no_team: Option<u32>,
    /// (change, service, deployed_at) of every record, hashed, to the first line.
    seen: std::collections::HashMap<u128, u64, foldhash::fast::FixedState>,
}

impl Accumulator {
    fn new(query: &MetricsQuery) -> Accumulator {
        Accumulator {
            from: query.from.map(|t| t.timestamp()),
            to: query.to.map(|t| t.timestamp()),
            by: query.by,
            earliest: None,
            latest: None,
            samples: Vec::new(),
            keys: std::collections::HashMap::new(),
            no_team: None,
            seen: std::collections::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(0)),
        }
    }

    fn add(&mut self, r: read::Record<'_>) -> Result<(), String> {
        let id = identity(r.change, r.service, r.deployed);
        if let Some(first) = self.seen.insert(id, r.line) {
            return Err(format!(
                "the deployment of change \"{}\" to \"{}\" at this deployed_at is already on line {first} \
                 (a record written twice would count twice)",
                r.change, r.service
            ));
        }
        self.earliest = Some(self.earliest.map_or(r.deployed, |e| e.min(r.deployed)));
        self.latest = Some(self.latest.map_or(r.deployed, |l| l.max(r.deployed)));
        if self.from.is_some_and(|f| r.deployed < f) || self.to.is_some_and(|t| r.deployed >= t) {
            return Ok(());
        }
        let group = match self.by {
            None => 0,
            Some(GroupBy::Service) => self.key(r.service),
            Some(GroupBy::Team) => match r.team {
                Some(team) => self.key(team),
                None => *self.no_team.get_or_insert(u32::MAX),
            },
        };
        self.samples.push(Sample {
            deployed: r.deployed,
            lead: r.deployed - r.committed,
            restore: r.restored.map_or(-1, |t| t - r.deployed),
            failed: r.failed,
            group,
        });
        Ok(())
    }

    fn key(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.keys.get(key) {
            return i;
        }
        // Fewer than u32::MAX distinct keys: there are fewer lines than that in any history
        // this reads in memory.
        let i = u32::try_from(self.keys.len()).unwrap_or(u32::MAX - 1);
        self.keys.insert(key.to_string(), i);
        i
    }

    fn finish(mut self, query: &MetricsQuery) -> Metrics {
        let from = self.from.or(self.earliest);
        let to = self.to.or(self.latest);
        let days = match (from, to) {
            (Some(f), Some(t)) if t > f => Some((t - f) as f64 / 86_400.0),
            _ => None,
        };
        let overall = figures(&self.samples, days);
        let mut groups = Vec::new();
        if query.by.is_some() {
            let mut names: Vec<Option<String>> = vec![None; self.keys.len()];
            for (k, i) in self.keys.drain() {
                if let Some(slot) = names.get_mut(i as usize) {
                    *slot = Some(k);
                }
            }
            self.samples.sort_unstable_by_key(|s| s.group);
            for part in self.samples.chunk_by(|a, b| a.group == b.group) {
                let key = names.get(part[0].group as usize).cloned().flatten();
                groups.push(GroupFigures {
                    key,
                    figures: figures(part, days),
                });
            }
            groups.sort_by(|a, b| match (&a.key, &b.key) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
        }
        let mut weeks = Vec::new();
        if let (Some(f), Some(t)) = (from, to) {
            if !self.samples.is_empty() || t > f {
                let span_weeks = (t - f).max(0).div_euclid(WEEK_S) as usize
                    + usize::from((t - f).rem_euclid(WEEK_S) != 0);
                let last_sample = self
                    .samples
                    .iter()
                    .map(|s| (s.deployed - f).div_euclid(WEEK_S) as usize + 1)
                    .max()
                    .unwrap_or(0);
                let count = span_weeks.max(last_sample);
                // A period far longer than the picture can show is refused by `to_svg`; the
                // weeks themselves are not kept beyond that bound.
                if count <= MAX_SVG_WEEKS {
                    self.samples.sort_unstable_by_key(|s| s.deployed);
                    let mut rest: &[Sample] = &self.samples;
                    for w in 0..count as i64 {
                        let start = f + w * WEEK_S;
                        let n = rest.partition_point(|s| s.deployed < start + WEEK_S);
                        let (this, after) = rest.split_at(n);
                        rest = after;
                        weeks.push(WeekFigures {
                            start: instant(start),
                            figures: figures(this, Some(7.0)),
                        });
                    }
                } else {
                    weeks.clear();
                }
            }
        }
        Metrics {
            from: from.map(instant),
            to: to.map(instant),
            overall,
            groups,
            weeks,
        }
    }
}

fn instant(secs: i64) -> Instant {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// A 128-bit hash of a deployment's identity: two foldhash seeds, so that two different
/// deployments taken for the same one is out of reach of any history (about 2^-64 per pair).
fn identity(change: &str, service: &str, deployed: i64) -> u128 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let one = |seed: u64| {
        let mut h = foldhash::quality::FixedState::with_seed(seed).build_hasher();
        change.hash(&mut h);
        service.hash(&mut h);
        deployed.hash(&mut h);
        h.finish()
    };
    (u128::from(one(0x5eed_0001)) << 64) | u128::from(one(0x5eed_0002))
}

/// The `rank`-th percentile by the nearest-rank method: the value at 1-based rank
/// `ceil(rank / 100 * n)` of the sorted values.
fn nearest_rank(sorted: &[i64], rank: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let k = (n * rank as usize).div_ceil(100).max(1);
    sorted.get(k - 1).copied()
}

fn figures(samples: &[Sample], days: Option<f64>) -> Figures {
    let deployments = samples.len() as u64;
    let mut leads: Vec<i64> = samples.iter().map(|s| s.lead).collect();
    leads.sort_unstable();
    let failed = samples.iter().filter(|s| s.failed).count() as u64;
    let mut restores: Vec<i64> = samples
        .iter()
        .filter(|s| s.failed && s.restore >= 0)
        .map(|s| s.restore)
        .collect();
    restores.sort_unstable();
    Figures {
        deployments,
        per_day: days.filter(|d| *d > 0.0).map(|d| deployments as f64 / d),
        lead_time_median_s: nearest_rank(&leads, 50),
        lead_time_p90_s: nearest_rank(&leads, 90),
        change_failure_rate: (deployments > 0).then(|| failed as f64 / deployments as f64),
        time_to_restore_median_s: nearest_rank(&restores, 50),
        failed,
        not_restored: failed - restores.len() as u64,
    }
}

impl Figures {
    fn json_fields(&self, object: &mut serde_json::Map<String, Value>) {
        object.insert("deployments".into(), json!(self.deployments));
        object.insert("per_day".into(), json!(self.per_day));
        object.insert("lead_time_median_s".into(), json!(self.lead_time_median_s));
        object.insert("lead_time_p90_s".into(), json!(self.lead_time_p90_s));
        object.insert(
            "change_failure_rate".into(),
            json!(self.change_failure_rate),
        );
        object.insert(
            "time_to_restore_median_s".into(),
            json!(self.time_to_restore_median_s),
        );
    }
}

impl Metrics {
    /// The JSON of SPEC 8.6: `{"from", "to", "deployments", "per_day", "lead_time_median_s",
    /// "lead_time_p90_s", "change_failure_rate", "time_to_restore_median_s", "groups": [{"key",
    /// ...the same figures}]}`.
    pub fn to_json(&self) -> Value {
        let mut object = serde_json::Map::new();
        object.insert("from".into(), json!(self.from.map(format_instant)));
        object.insert("to".into(), json!(self.to.map(format_instant)));
        self.overall.json_fields(&mut object);
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                let mut o = serde_json::Map::new();
                o.insert("key".into(), json!(g.key));
                g.figures.json_fields(&mut o);
                Value::Object(o)
            })
            .collect();
        object.insert("groups".into(), Value::Array(groups));
        Value::Object(object)
    }

    /// The four measures week by week as an SVG picture, one panel each, titled.
    pub fn to_svg(&self) -> Result<String, Error> {
        svg::draw(self)
    }
}

#[cfg(test)]
mod tests;
