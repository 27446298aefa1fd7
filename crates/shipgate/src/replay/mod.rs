//! Policy replay (SPEC 8.6): every historical change decided under an old and a new policy,
//! and what the new one decides differently.
//!
//! The changes are streamed: lines are read a chunk at a time, each chunk decided on all cores
//! (a contiguous part per thread, so the output keeps the input's order), and only the changes
//! decided differently are kept.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::decision::{Reason, Verdict};
use crate::error::{Error, InputError};
use crate::eval::{Judgement, Policy, judge};
use crate::graph::Catalog;
use crate::input::{Change, ChangeInto, Format, Instant};
use crate::time::parse_instant;

/// The longest line of a replay's changes file, in bytes (a change with its `now`).
pub const MAX_REPLAY_LINE_BYTES: usize = 1 << 20;

/// Lines decided together: large enough that starting the threads is lost in the work, small
/// enough that memory does not grow with the file.
const CHUNK_LINES: usize = 8192;

/// A reason as replay compares it: the rule and its message (not `at`, which moves whenever
/// the policy text above it does).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct ReplayReason {
    /// The rule (`schedule`, `default` and `budget` as in a decision).
    pub rule: String,
    /// Its message, values filled in.
    pub message: String,
}

/// One change the new policy decides differently.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayChange {
    /// The change's id.
    pub change: String,
    /// The 1-based line of the changes file it is on.
    pub line: u64,
    /// The old policy's verdict.
    pub old: Verdict,
    /// The new policy's verdict.
    pub new: Verdict,
    /// Reasons the new policy gives and the old did not, sorted.
    pub reasons_added: Vec<ReplayReason>,
    /// Reasons the old policy gave and the new does not, sorted.
    pub reasons_removed: Vec<ReplayReason>,
}

/// What a policy change would have decided differently.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Replay {
    /// The changes decided.
    pub total: u64,
    /// Those whose verdict or reasons differ, in the order of the file.
    pub changed: Vec<ReplayChange>,
}

impl Replay {
    /// `{"total", "changed": [{"change", "old", "new", "reasons_added", "reasons_removed"}]}`,
    /// each reason `{"rule", "message"}`.
    pub fn to_json(&self) -> Value {
        let reasons = |rs: &[ReplayReason]| -> Vec<Value> {
            rs.iter()
                .map(|r| json!({"rule": r.rule, "message": r.message}))
                .collect()
        };
        json!({
            "total": self.total,
            "changed": self.changed.iter().map(|c| json!({
                "change": c.change,
                "old": c.old.as_str(),
                "new": c.new.as_str(),
                "reasons_added": reasons(&c.reasons_added),
                "reasons_removed": reasons(&c.reasons_removed),
            })).collect::<Vec<_>>(),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(borrow)]
    change: &'a RawValue,
    #[serde(borrow)]
    now: Cow<'a, str>,
}

fn at(name: &str, line: u64, message: impl std::fmt::Display) -> Error {
    InputError::new(format!("{name}:{line}"), message.to_string()).into()
}

/// Decides one line under both policies: `None` when they agree. `slot` holds the change of
/// an earlier line, whose strings and lists this line's change is read into.
fn replay_line(
    old: &Policy,
    new: &Policy,
    catalog: &Catalog,
    name: &str,
    line: u64,
    text: &str,
    slot: &mut Option<Change>,
) -> Result<Option<ReplayChange>, Error> {
    let (change, now) = read_line(name, line, text, slot)?;
    // Only the verdict and the reasons are compared: the rest of each decision is not built.
    let decide = |policy: &Policy, which: &str| {
        judge(policy, change, catalog, now)
            .map_err(|e| at(name, line, format!("the {which} policy: {e}")))
    };
    let (a, b) = (decide(old, "old")?, decide(new, "new")?);
    Ok(difference(&change.id, line, &a, &b))
}

/// The change and `now` of a line, the change in `slot`. The common shape,
/// `{"change": {...}, "now": T}` in that order, is read in one pass, the change into the one
/// already in `slot`; any other (keys in the other order, an unknown key, an error) is read
/// by the reader that finds the change's end first, and whose errors the user sees.
///
/// The change is read without its source (see `ChangeInto`): replay's decisions are lean and
/// digest nothing.
fn read_line<'s>(
    name: &str,
    line: u64,
    text: &str,
    slot: &'s mut Option<Change>,
) -> Result<(&'s Change, Instant), Error> {
    let now = match read_line_fast(text, slot) {
        Some(now) => parse_instant(&now).map_err(|m| at(name, line, format!("now: {m}")))?,
        None => {
            let (change, now) = read_line_slow(name, line, text)?;
            *slot = Some(change);
            now
        }
    };
    match slot {
        Some(change) => Ok((change, now)),
        None => Err(Error::Internal {
            message: format!("{name}:{line}: a replay line was read without its change"),
        }),
    }
}

/// `{"change": <change>, "now": "<text>"}` and nothing else, the change read into `slot`;
/// `None` for anything else (`slot` then holds anything).
fn read_line_fast<'t>(text: &'t str, slot: &mut Option<Change>) -> Option<Cow<'t, str>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let now = de.deserialize_map(LineInto(slot)).ok()?;
    de.end().ok()?;
    Some(now)
}

/// The error that sends a line to the whole-line reader; its text is never shown.
fn other_shape<E: de::Error>() -> E {
    E::custom("left to the whole-line reader")
}

/// A line's object: the key `change` (written plainly, no escapes), the change read into the
/// slot, then the key `now` and its text, and no other key.
struct LineInto<'s>(&'s mut Option<Change>);

impl<'de> Visitor<'de> for LineInto<'_> {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a replay line")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cow<'de, str>, A::Error> {
        if map.next_key::<&'de str>()? != Some("change") {
            return Err(other_shape());
        }
        map.next_value_seed(ChangeInto(self.0))?;
        if map.next_key::<&'de str>()? != Some("now") {
            return Err(other_shape());
        }
        let now = map.next_value_seed(NowText)?;
        match map.next_key::<&'de str>()? {
            None => Ok(now),
            Some(_) => Err(other_shape()),
        }
    }
}

/// `now`'s text, borrowed from the line unless it has escapes.
struct NowText;

impl<'de> DeserializeSeed<'de> for NowText {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NowText {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// The line read whole: the change found first as raw text, then read.
fn read_line_slow(name: &str, line: u64, text: &str) -> Result<(Change, Instant), Error> {
    let parsed: Line<'_> = serde_json::from_str(text).map_err(|e| {
        at(
            name,
            line,
            format!("expected {{\"change\": {{...}}, \"now\": T}}: {e}"),
        )
    })?;
    let now = parse_instant(&parsed.now).map_err(|m| at(name, line, format!("now: {m}")))?;
    let change =
        Change::from_text(parsed.change.get(), Format::Json).map_err(|e| at(name, line, e))?;
    Ok((change, now))
}

/// A decision's reasons as replay compares them (rule and message), sorted, duplicates
/// dropped; borrowed and on the stack for a few, so that the common case, two decisions that
/// agree, allocates nothing.
fn reason_keys(d: &Judgement) -> smallvec::SmallVec<[(&str, &str); 4]> {
    let mut out: smallvec::SmallVec<[(&str, &str); 4]> = d
        .reasons
        .iter()
        .map(|r: &Reason| (r.rule.as_str(), r.message.as_str()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn difference(id: &str, line: u64, old: &Judgement, new: &Judgement) -> Option<ReplayChange> {
    let (a, b) = (reason_keys(old), reason_keys(new));
    if old.verdict == new.verdict && a == b {
        return None;
    }
    let only = |these: &[(&str, &str)], not_in: &[(&str, &str)]| -> Vec<ReplayReason> {
        these
            .iter()
            .filter(|r| !not_in.contains(r))
            .map(|&(rule, message)| ReplayReason {
                rule: rule.to_string(),
                message: message.to_string(),
            })
            .collect()
    };
    Some(ReplayChange {
        change: id.to_string(),
        line,
        old: old.verdict,
        new: new.verdict,
        reasons_added: only(&b, &a),
        reasons_removed: only(&a, &b),
    })
}

/// Reads up to `CHUNK_LINES` non-blank lines; an empty chunk is the end. `line` is the number
/// of the last line read.
fn read_chunk(
    reader: &mut impl BufRead,
    name: &str,
    line: &mut u64,
    mut spare: Vec<String>,
) -> Result<Vec<(u64, String)>, Error> {
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    while chunk.len() < CHUNK_LINES {
        let mut text = spare.pop().unwrap_or_default();
        text.clear();
        *line += 1;
        let read = std::io::Read::take(&mut *reader, MAX_REPLAY_LINE_BYTES as u64 + 1)
            .read_line(&mut text)
            .map_err(|e| at(name, *line, format!("cannot read the line: {e}")))?;
        if read > MAX_REPLAY_LINE_BYTES && !text.ends_with('\n') {
            return Err(at(
                name,
                *line,
                format!("the line is longer than {MAX_REPLAY_LINE_BYTES} bytes"),
            ));
        }
        if read == 0 {
            break;
        }
        if !text.trim().is_empty() {
            chunk.push((*line, text));
        }
    }
    Ok(chunk)
}

/// Replays the changes of `reader` (JSON lines of `{"change": {...}, "now": T}`; blank lines
/// skipped) under `old` and `new` on `threads` threads. The first line that cannot be read or
/// decided stops the replay with its line.
///
/// While the pool decides one chunk, the next is read: reading is the one serial step.
pub fn replay(
    old: &Policy,
    new: &Policy,
    catalog: &Catalog,
    mut reader: impl BufRead + Send,
    name: &str,
    threads: usize,
) -> Result<Replay, Error> {
    let mut run = || -> Result<Replay, Error> {
        let mut out = Replay::default();
        let mut line = 0u64;
        let mut chunk = read_chunk(&mut reader, name, &mut line, Vec::new())?;
        let mut spare = Vec::new();
        while !chunk.is_empty() {
            let (decided, next) = rayon::join(
                || decide_chunk(old, new, catalog, name, &chunk),
                || read_chunk(&mut reader, name, &mut line, std::mem::take(&mut spare)),
            );
            out.total += chunk.len() as u64;
            // In file order: the first error is the first bad line's.
            out.changed.extend(decided?);
            let next = next?;
            spare = chunk.into_iter().map(|(_, t)| t).collect();
            chunk = next;
        }
        Ok(out)
    };
    let threads = threads.max(1);
    if threads == rayon::current_num_threads() {
        return run();
    }
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(run),
        Err(e) => Err(Error::Internal {
            message: format!("cannot start the replay's threads: {e}"),
        }),
    }
}

fn decide_chunk(
    old: &Policy,
    new: &Policy,
    catalog: &Catalog,
    name: &str,
    chunk: &[(u64, String)],
) -> Result<Vec<ReplayChange>, Error> {
    use rayon::prelude::*;
    // Each part of the chunk reads its lines' changes into one change (`read_line`).
    let decided: Vec<Result<Option<ReplayChange>, Error>> = chunk
        .par_iter()
        .with_min_len(16)
        .map_init(
            || None,
            |slot, (line, text)| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    replay_line(old, new, catalog, name, *line, text, slot)
                }))
                .unwrap_or_else(|_| {
                    Err(Error::Internal {
                        message: format!(
                            "{name}:{line}: a replay worker panicked (please report it)"
                        ),
                    })
                })
            },
        )
        .collect();
    let mut changed = Vec::new();
    for d in decided {
        if let Some(c) = d? {
            changed.push(c);
        }
    }
    Ok(changed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    const CHANGE: &str = r#"{"id": "CHG-1", "services": ["api"], "requester": "ana", "implementer": "ben", "duration": "1h", "size": 12, "approvals": [{"by": "cleo", "group": "cab", "at": "2026-10-01T09:00:00Z"}]}"#;

    /// The one-pass reader takes the common shape and reads exactly what the whole-line
    /// reader reads: the same change and `now`, into an empty slot or into the slot of an
    /// earlier line's change, whatever that change held.
    #[test]
    fn the_one_pass_reader_reads_what_the_whole_line_reader_reads() {
        let lines = [
            format!(r#"{{"change": {CHANGE}, "now": "2026-10-01T10:00:00Z"}}"#),
            format!("{{\"change\":{CHANGE},\"now\":\"2026-10-01T10:00:00Z\"}}\n"),
            format!(
                " \t{{ \"change\" :\r\n {CHANGE} , \"now\" : \"2026-10-01T10:00:00+02:00\" }} \r\n"
            ),
            format!(r#"{{"change": {CHANGE}, "now": "2026-10-01T10:00:00\u005a"}}"#),
        ];
        let earlier = [
            None,
            Some(Change::from_text(CHANGE, Format::Json).unwrap()),
            Some(Change::from_text(FULL, Format::Json).unwrap()),
        ];
        for line in &lines {
            let (slow, slow_now) = read_line_slow("c.jsonl", 1, line).unwrap();
            for before in &earlier {
                let mut slot = before.clone();
                let fast_now =
                    read_line_fast(line, &mut slot).expect("the common shape is read in one pass");
                assert_eq!(slot.as_ref(), Some(&slow), "{line}");
                if before.is_none() {
                    // Read without its text: replay digests nothing.
                    assert_eq!(slot.as_ref().unwrap().source.kept_text(), None);
                }
                assert_eq!(parse_instant(&fast_now).unwrap(), slow_now, "{line}");
                let (read, now) = read_line("c.jsonl", 1, line, &mut slot).unwrap();
                assert_eq!((read, now), (&slow, slow_now));
            }
        }
        // And the other way round: a change with every field read into the minimal one's.
        let mut slot = earlier[1].clone();
        let line = format!(r#"{{"change": {FULL}, "now": "2026-10-01T10:00:00Z"}}"#);
        read_line_fast(&line, &mut slot).unwrap();
        assert_eq!(slot, earlier[2]);
    }

    /// A change giving every field the reader keeps, for reading one change into another.
    const FULL: &str = r#"{"id": "CHG-2", "title": "t", "kind": ["database", "config"], "services": ["api", "db"], "requester": "cy", "implementer": "dee", "approvals": [{"by": "cleo", "group": "cab", "at": "2026-10-01T09:00:00Z"}, {"by": "eli", "group": "dba", "at": "2026-10-01T09:30:00+01:00"}], "checks": ["unit", {"name": "scan", "status": "failed", "at": "2026-10-01T08:00:00Z", "url": "https://ci/1"}], "emergency": true, "incident": {"id": "INC-1", "severity": 2, "opened": "2026-10-01T07:00:00Z"}, "start": "2026-10-02T10:00:00Z", "duration": "2h", "regions": ["eu"], "size": 7, "labels": ["wip"], "backward_compatible": true, "contract_verified": true, "after": ["CHG-1"], "waivers": [{"rule": "r", "by": "fay", "group": "cab", "reason": "x", "granted_at": "2026-10-01T00:00:00Z", "expires_at": "2026-10-09T00:00:00Z"}], "rollout": "per_region", "soak": 60, "cost_center": "CC-1"}"#;

    /// Every other shape goes to the whole-line reader, whose answer (a change, or the error
    /// the user sees) is then the only one.
    #[test]
    fn other_shapes_are_left_to_the_whole_line_reader() {
        let now = r#""now": "2026-10-01T10:00:00Z""#;
        let taken_by_slow = [
            format!(r#"{{{now}, "change": {CHANGE}}}"#),
            format!(r#"{{"\u0063hange": {CHANGE}, {now}}}"#),
        ];
        for line in &taken_by_slow {
            assert!(read_line_fast(line, &mut None).is_none(), "{line}");
            assert!(read_line("c.jsonl", 1, line, &mut None).is_ok(), "{line}");
        }
        let refused = [
            format!(r#"{{"change": {CHANGE}, {now}, "extra": 1}}"#),
            format!(r#"{{"change": {CHANGE}, {now}}} x"#),
            format!(r#"{{"change": {CHANGE}, {now}}}{{}}"#),
            format!("{{\"change\": {CHANGE}, {now}}}\u{a0}"),
            format!(r#"{{"change": {CHANGE}, "now": 5}}"#),
            format!(r#"{{"change": {CHANGE}}}"#),
            format!(r#"{{"change": {{"id": "CHG-1"}}, {now}}}"#),
            format!(r#"{{"change": {CHANGE}, "change": {CHANGE}, {now}}}"#),
            format!(r#"{{"change": {CHANGE}, {now}, {now}}}"#),
            format!(r#"{{"change": {CHANGE}, "now": "yesterday"}}"#),
        ];
        for line in &refused {
            let fast = read_line_fast(line, &mut None);
            let mut slot = Some(Change::from_text(CHANGE, Format::Json).unwrap());
            let whole = read_line("c.jsonl", 7, line, &mut slot);
            let err = whole.expect_err(line).to_string();
            assert!(err.contains("c.jsonl:7"), "{line}: {err}");
            // Only a bad `now` of the common shape is read by the one-pass reader (and then
            // refused with the same message as the whole-line reader's).
            if let Some(now) = fast {
                assert_eq!(now, "yesterday");
                assert_eq!(
                    err,
                    read_line_slow("c.jsonl", 7, line).unwrap_err().to_string()
                );
            }
        }
    }
}
