//! The decision archive (SPEC 8.5): decisions appended as records of a hash chain, to a file of
//! JSON lines or to a PostgreSQL table, verified, exported and read for open obligations.
//!
//! A record is `{"seq", "at", "decision", "prev", "hash"}`: `seq` counts from 1, `at` is the
//! instant the record was appended (given by the caller: the CLI passes the system clock),
//! `prev` is the previous record's `hash` (`null` for the first), and `hash` is `sha256:<hex>`
//! of the RFC 8785 canonical JSON of the record without `hash`. A record is stored as one line
//! of text: those keys in that order, the decision in canonical form, no spaces. The format
//! and the guarantees are in `docs/governance.md`.

mod file;
#[cfg(feature = "postgres")]
mod postgres;

use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::decision::Decision;
use crate::error::{Error, InputError};
use crate::time::{Instant, format_instant, parse_instant};

/// The longest record an archive accepts, in bytes (16 MiB, the largest input): a longer line
/// is reported by [`AuditLog::verify`] rather than read without bound.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// The most decisions one [`AuditLog::append_batch`] takes.
pub const MAX_BATCH: usize = 100_000;

/// A decision archive: a file of JSON lines or a PostgreSQL table (`docs/governance.md`).
///
/// Appends from many handles, threads or processes to the same target make one chain: the
/// file target holds an exclusive lock on the file while it reads the last record and
/// appends; the PostgreSQL target locks the table in the append's transaction.
pub struct AuditLog {
    name: String,
    target: Target,
}

enum Target {
    File(file::FileLog),
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::PgLog>),
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("target", &self.name)
            .finish_non_exhaustive()
    }
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Appended {
    /// The `seq` of the first record appended.
    pub first_seq: u64,
    /// The `seq` of the last record appended (the same as `first_seq` for one decision).
    pub last_seq: u64,
    /// The `hash` of the last record appended: the chain's new head.
    pub hash: String,
    /// What the append repaired before appending (a torn last line left by an interrupted
    /// writer, removed); the CLI prints each on standard error.
    pub warnings: Vec<String>,
}

/// One record of the archive.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Record {
    /// Its place in the chain, from 1.
    pub seq: u64,
    /// When it was appended.
    pub at: Instant,
    /// The decision, as its JSON.
    pub decision: Value,
    /// The previous record's hash; `None` for the first.
    pub prev: Option<String>,
    /// `sha256:<hex>` of the canonical JSON of the record without `hash`.
    pub hash: String,
}

impl Record {
    /// The decision's change id (`decision.change`).
    pub fn change(&self) -> &str {
        self.decision
            .get("change")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The record as JSON: `{"seq", "at", "decision", "prev", "hash"}`.
    pub fn to_json_value(&self) -> Value {
        serde_json::json!({
            "seq": self.seq,
            "at": format_instant(self.at),
            "decision": self.decision,
            "prev": self.prev,
            "hash": self.hash,
        })
    }
}

/// What [`AuditLog::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// The records read and found intact before the first problem (all of them when intact).
    pub records: u64,
    /// The hash of the last intact record: keep it elsewhere to detect a later removal of
    /// records at the end, which a chain alone cannot show.
    pub head: Option<String>,
    /// The first record whose content or link is wrong; `None` when the archive is intact.
    pub problem: Option<Tamper>,
}

impl VerifyReport {
    /// Whether every record is intact and linked.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// The first bad record of an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Tamper {
    /// The record's `seq`: the one it holds, or, for a record that cannot be read (torn or
    /// malformed), the one it should hold.
    pub seq: u64,
    /// Its 1-based line, for a file; `None` for a table.
    pub line: Option<u64>,
    /// What is wrong.
    pub kind: TamperKind,
    /// What is wrong, in words.
    pub message: String,
}

/// The kinds of problem [`AuditLog::verify`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TamperKind {
    /// The last line has no end: an append was interrupted, or the file was cut mid-line.
    Torn,
    /// Not a record: not JSON, too long, or missing or extra keys.
    Malformed,
    /// The content does not match its `hash`: the record was edited.
    Edited,
    /// The `seq` is not the next one: a record was deleted, or records were reordered.
    Sequence,
    /// The `prev` is not the previous record's hash: a record before it was replaced.
    Link,
}

impl TamperKind {
    /// The kind's name in JSON (`torn`, `malformed`, `edited`, `sequence`, `link`).
    pub fn as_str(self) -> &'static str {
        match self {
            TamperKind::Torn => "torn",
            TamperKind::Malformed => "malformed",
            TamperKind::Edited => "edited",
            TamperKind::Sequence => "sequence",
            TamperKind::Link => "link",
        }
    }
}

/// Which records [`AuditLog::records`] returns: those appended in `[from, to)` (by their `at`)
/// whose decision is of change `change`; `None` leaves a bound open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordFilter {
    /// The earliest `at`, included.
    pub from: Option<Instant>,
    /// The latest `at`, excluded.
    pub to: Option<Instant>,
    /// The decision's `change`.
    pub change: Option<String>,
}

impl RecordFilter {
    /// Every record.
    pub fn all() -> RecordFilter {
        RecordFilter::default()
    }

    /// With the earliest `at` (included).
    pub fn from(mut self, from: Instant) -> RecordFilter {
        self.from = Some(from);
        self
    }

    /// With the latest `at` (excluded).
    pub fn to(mut self, to: Instant) -> RecordFilter {
        self.to = Some(to);
        self
    }

    /// Only the decisions of one change.
    pub fn change(mut self, change: impl Into<String>) -> RecordFilter {
        self.change = Some(change.into());
        self
    }

    fn keeps(&self, record: &Record) -> bool {
        self.from.is_none_or(|from| record.at >= from)
            && self.to.is_none_or(|to| record.at < to)
            && self
                .change
                .as_deref()
                .is_none_or(|change| record.change() == change)
    }
}

/// An obligation of an archived decision (`"obligations": [{"rule", "group", "needed",
/// "due"}]`) not met by a later decision of the same change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OpenObligation {
    /// The change.
    pub change: String,
    /// The rule that asked for it.
    pub rule: String,
    /// The group whose approval is owed.
    pub group: String,
    /// How many approvals.
    pub needed: u64,
    /// When it is due, RFC 3339 UTC.
    #[serde(serialize_with = "rfc3339")]
    pub due: Instant,
    /// The record of the change's latest decision, which lists it.
    pub seq: u64,
}

/// The obligations of an archive at an instant ([`AuditLog::obligations`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ObligationReport {
    /// The instant asked about.
    #[serde(serialize_with = "rfc3339")]
    pub now: Instant,
    /// Open obligations whose `due <= now`, by due time, then change.
    pub overdue: Vec<OpenObligation>,
    /// Open obligations not yet due, by due time, then change.
    pub open: Vec<OpenObligation>,
}

fn rfc3339<S: serde::Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_instant(*t))
}

impl AuditLog {
    /// Opens an archive: a `postgres://` (or `postgresql://`) URL is a PostgreSQL database
    /// (with the `postgres` feature; the table is created when absent), anything else a file
    /// path (created by the first append; its folder must exist, and reading a file that does
    /// not exist is an error).
    pub fn open(target: &str) -> Result<AuditLog, Error> {
        if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            return AuditLog::open_postgres(target);
        }
        AuditLog::open_file(target)
    }

    /// Opens a file of JSON lines, created by the first append (its folder must exist).
    pub fn open_file(path: impl AsRef<Path>) -> Result<AuditLog, Error> {
        let path = path.as_ref();
        Ok(AuditLog {
            name: path.display().to_string(),
            target: Target::File(file::FileLog::open(path)?),
        })
    }

    #[cfg(feature = "postgres")]
    fn open_postgres(url: &str) -> Result<AuditLog, Error> {
        let name = redact(url);
        Ok(AuditLog {
            target: Target::Postgres(Box::new(postgres::PgLog::open(url, &name)?)),
            name,
        })
    }

    #[cfg(not(feature = "postgres"))]
    fn open_postgres(url: &str) -> Result<AuditLog, Error> {
        Err(Error::Io {
            path: redact(url),
            message: "this build of shipgate has no PostgreSQL support (the `postgres` \
                      feature of the shipgate crate)"
                .into(),
        })
    }

    /// The target, as given (a URL's password replaced by `***`): what errors name.
    pub fn target(&self) -> &str {
        &self.name
    }

    /// Appends one decision, appended at `at`.
    pub fn append(&mut self, decision: &Decision, at: Instant) -> Result<Appended, Error> {
        self.append_batch(std::slice::from_ref(decision), at)
    }

    /// Appends one decision given as its JSON (an object with a string `change`), appended
    /// at `at`.
    pub fn append_json(&mut self, decision: &Value, at: Instant) -> Result<Appended, Error> {
        self.append_batch_json(std::slice::from_ref(decision), at)
    }

    /// Appends decisions in order, as one durable write (one `fsync`, or one transaction):
    /// for throughput. All or none are appended. At most [`MAX_BATCH`].
    pub fn append_batch(&mut self, decisions: &[Decision], at: Instant) -> Result<Appended, Error> {
        batch_size(decisions.len())?;
        let n = decisions.len();
        let canonical_of = |i: usize, d: &Decision| -> Result<Canonical, Error> {
            // The canonical writer reads the decision itself: no JSON tree is built.
            let text = serde_json_canonicalizer::to_string(d).map_err(|e| {
                InputError::new(path_of(i, n), format!("cannot be written as JSON: {e}"))
            })?;
            Ok(Canonical {
                text,
                change: d.change.to_string(),
            })
        };
        let canonical = decisions
            .iter()
            .enumerate()
            .map(|(i, d)| canonical_of(i, d))
            .collect::<Result<Vec<_>, Error>>()?;
        self.append_canonical(&canonical, at)
    }

    /// [`AuditLog::append_batch`] of decisions given as their JSON.
    pub fn append_batch_json(
        &mut self,
        decisions: &[Value],
        at: Instant,
    ) -> Result<Appended, Error> {
        batch_size(decisions.len())?;
        let canonical = decisions
            .iter()
            .enumerate()
            .map(|(i, d)| canonical_decision(d, i, decisions.len()))
            .collect::<Result<Vec<_>, Error>>()?;
        self.append_canonical(&canonical, at)
    }

    fn append_canonical(
        &mut self,
        canonical: &[Canonical],
        at: Instant,
    ) -> Result<Appended, Error> {
        let at = format_instant(at);
        match &mut self.target {
            Target::File(f) => f.append(canonical, &at, &self.name),
            #[cfg(feature = "postgres")]
            Target::Postgres(p) => p.append(canonical, &at, &self.name),
        }
    }

    /// Reads the whole archive and checks every record's hash, `seq` and `prev` link: the
    /// first bad one is reported with its `seq` (and line, for a file). An error is an archive
    /// that cannot be read at all.
    pub fn verify(&mut self) -> Result<VerifyReport, Error> {
        let mut chain = Chain::default();
        let problem = self.scan(&mut chain, &mut |_| Ok(()))?;
        Ok(VerifyReport {
            records: chain.count,
            head: chain.prev,
            problem,
        })
    }

    /// The records the filter keeps, in order. The archive is verified as it is read: a bad
    /// record is an error naming it, never a silently shorter list.
    pub fn records(&mut self, filter: &RecordFilter) -> Result<Vec<Record>, Error> {
        let mut out = Vec::new();
        self.intact_scan(&mut |r| {
            if filter.keeps(&r) {
                out.push(r);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The obligations open at `now`: those listed by the latest archived decision of each
    /// change (an obligation is met when a later decision of the same change no longer lists
    /// it); overdue when `due <= now`. The archive is verified as it is read.
    pub fn obligations(&mut self, now: Instant) -> Result<ObligationReport, Error> {
        let mut latest: std::collections::BTreeMap<String, Record> = Default::default();
        self.intact_scan(&mut |r| {
            latest.insert(r.change().to_string(), r);
            Ok(())
        })?;
        let (mut overdue, mut open) = (Vec::new(), Vec::new());
        for (change, record) in &latest {
            let Some(list) = record.decision.get("obligations") else {
                continue;
            };
            let path = |i: Option<usize>, key: &str| match i {
                None => format!("record {}: decision.obligations", record.seq),
                Some(i) => format!("record {}: decision.obligations[{i}]{key}", record.seq),
            };
            let list = list
                .as_array()
                .ok_or_else(|| InputError::new(path(None, ""), "expected a list"))?;
            for (i, o) in list.iter().enumerate() {
                let text = |key: &str| -> Result<String, Error> {
                    o.get(key)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| {
                            InputError::new(path(Some(i), &format!(".{key}")), "expected a string")
                                .into()
                        })
                };
                let needed = o.get("needed").and_then(Value::as_u64).ok_or_else(|| {
                    InputError::new(path(Some(i), ".needed"), "expected a whole number")
                })?;
                let due = parse_instant(&text("due")?)
                    .map_err(|m| InputError::new(path(Some(i), ".due"), m))?;
                let entry = OpenObligation {
                    change: change.clone(),
                    rule: text("rule")?,
                    group: text("group")?,
                    needed,
                    due,
                    seq: record.seq,
                };
                if due <= now {
                    overdue.push(entry);
                } else {
                    open.push(entry);
                }
            }
        }
        let order = |a: &OpenObligation, b: &OpenObligation| {
            (a.due, &a.change, &a.rule).cmp(&(b.due, &b.change, &b.rule))
        };
        overdue.sort_by(order);
        open.sort_by(order);
        Ok(ObligationReport { now, overdue, open })
    }

    /// Reads every record in order through `chain`, handing each intact one to `each`; the
    /// first problem stops the reading and is returned.
    fn scan(
        &mut self,
        chain: &mut Chain,
        each: &mut dyn FnMut(Record) -> Result<(), Error>,
    ) -> Result<Option<Tamper>, Error> {
        match &mut self.target {
            Target::File(f) => f.scan(chain, each, &self.name),
            #[cfg(feature = "postgres")]
            Target::Postgres(p) => p.scan(chain, each, &self.name),
        }
    }

    fn intact_scan(
        &mut self,
        each: &mut dyn FnMut(Record) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut chain = Chain::default();
        match self.scan(&mut chain, each)? {
            None => Ok(()),
            Some(t) => Err(Error::Io {
                path: self.name.clone(),
                message: format!(
                    "the archive is not intact: {} (run `shipgate audit verify`)",
                    t.describe()
                ),
            }),
        }
    }
}

impl Tamper {
    /// `record seq N (line L): message`.
    pub fn describe(&self) -> String {
        match self.line {
            Some(line) => format!("record seq {} (line {line}): {}", self.seq, self.message),
            None => format!("record seq {}: {}", self.seq, self.message),
        }
    }
}

/// A URL with its password replaced by `***`, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth_end, _) = rest
        .char_indices()
        .find(|&(_, c)| c == '/' || c == '?')
        .unwrap_or((rest.len(), ' '));
    match rest[..auth_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A decision to append: its canonical text, and its change.
pub(crate) struct Canonical {
    pub(crate) text: String,
    /// A column of the PostgreSQL table.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) change: String,
}

/// A batch of 1 to [`MAX_BATCH`] decisions.
fn batch_size(n: usize) -> Result<(), Error> {
    if n == 0 {
        return Err(InputError::new("decisions", "no decision to append").into());
    }
    if n > MAX_BATCH {
        return Err(InputError::new(
            "decisions",
            format!("{n} decisions in one batch; at most {MAX_BATCH}"),
        )
        .into());
    }
    Ok(())
}

/// What an error calls the `i`th of `n` decisions appended.
fn path_of(i: usize, n: usize) -> String {
    if n == 1 {
        "decision".to_string()
    } else {
        format!("decisions[{i}]")
    }
}

/// The canonical text of a decision to append: an object with a string `change`.
fn canonical_decision(decision: &Value, i: usize, n: usize) -> Result<Canonical, Error> {
    let path = path_of(i, n);
    if !decision.is_object() {
        return Err(InputError::new(path, "a decision is a JSON object").into());
    }
    let Some(change) = decision.get("change").and_then(Value::as_str) else {
        return Err(InputError::new(
            format!("{path}.change"),
            "a decision names its change (a string)",
        )
        .into());
    };
    let text = serde_json_canonicalizer::to_string(decision)
        .map_err(|e| InputError::new(path, format!("cannot be written as JSON: {e}")))?;
    Ok(Canonical {
        text,
        change: change.to_string(),
    })
}

/// The stored text of a record and its hash, from its parts (the decision in canonical form).
pub(crate) fn record_line(
    seq: u64,
    at: &str,
    decision: &str,
    prev: Option<&str>,
) -> (String, String) {
    let at = Value::String(at.to_string());
    let prev = prev.map_or(Value::Null, |p| Value::String(p.to_string()));
    // RFC 8785 of {"at", "decision", "prev", "seq"}: keys in code-unit order, the decision
    // already canonical, strings escaped as serde_json escapes them (the same as RFC 8785 for
    // these ASCII values).
    let hashed = format!("{{\"at\":{at},\"decision\":{decision},\"prev\":{prev},\"seq\":{seq}}}");
    let hash = format!("sha256:{:x}", Sha256::digest(hashed.as_bytes()));
    let line = format!(
        "{{\"seq\":{seq},\"at\":{at},\"decision\":{decision},\"prev\":{prev},\"hash\":\"{hash}\"}}"
    );
    (line, hash)
}

/// The chain as read so far: the next `seq` and the hash the next `prev` must be.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    pub(crate) count: u64,
    pub(crate) prev: Option<String>,
}

impl Chain {
    /// The `seq` the next record must hold.
    pub(crate) fn next_seq(&self) -> u64 {
        self.count + 1
    }

    /// Checks the next record's text; on success the chain moves past it.
    pub(crate) fn check(&mut self, text: &[u8], line: Option<u64>) -> Result<Record, Tamper> {
        let record = read_record(text, self.next_seq(), line)?;
        if record.seq != self.next_seq() {
            let why = if record.seq > self.next_seq() {
                "a record before it was deleted, or records were reordered"
            } else {
                "records were reordered or repeated"
            };
            return Err(Tamper {
                seq: record.seq,
                line,
                kind: TamperKind::Sequence,
                message: format!(
                    "expected seq {}, found {}: {why}",
                    self.next_seq(),
                    record.seq
                ),
            });
        }
        if record.prev != self.prev {
            return Err(Tamper {
                seq: record.seq,
                line,
                kind: TamperKind::Link,
                message: format!(
                    "`prev` is {}, but the previous record's hash is {}: a record before it \
                     was replaced",
                    record.prev.as_deref().unwrap_or("null"),
                    self.prev.as_deref().unwrap_or("null (it is the first)"),
                ),
            });
        }
        self.count += 1;
        self.prev = Some(record.hash.clone());
        Ok(record)
    }
}

/// One record read from its stored text, its hash checked (not its place in the chain).
/// `expected` is the `seq` a record that cannot be read is reported with.
pub(crate) fn read_record(text: &[u8], expected: u64, line: Option<u64>) -> Result<Record, Tamper> {
    let bad = |kind, message: String| Tamper {
        seq: expected,
        line,
        kind,
        message,
    };
    let value: Value = serde_json::from_slice(text)
        .map_err(|e| bad(TamperKind::Malformed, format!("not a JSON record: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(bad(TamperKind::Malformed, "not a JSON object".into()));
    };
    if let Some(extra) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "seq" | "at" | "decision" | "prev" | "hash"))
    {
        return Err(bad(
            TamperKind::Malformed,
            format!("unknown key `{extra}` in a record"),
        ));
    }
    let seq = map.get("seq").and_then(Value::as_u64);
    let Some(seq) = seq else {
        return Err(bad(
            TamperKind::Malformed,
            "`seq` is not a whole number".into(),
        ));
    };
    let bad = |kind, message: String| Tamper {
        seq,
        line,
        kind,
        message,
    };
    let Some(Value::String(hash)) = map.remove("hash") else {
        return Err(bad(TamperKind::Malformed, "`hash` is not a string".into()));
    };
    let at = match map.get("at") {
        Some(Value::String(at)) => {
            parse_instant(at).map_err(|m| bad(TamperKind::Malformed, format!("`at`: {m}")))?
        }
        _ => return Err(bad(TamperKind::Malformed, "`at` is not a string".into())),
    };
    let prev = match map.get("prev") {
        Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.clone()),
        _ => {
            return Err(bad(
                TamperKind::Malformed,
                "`prev` is neither a string nor null".into(),
            ));
        }
    };
    if !map.get("decision").is_some_and(Value::is_object) {
        return Err(bad(
            TamperKind::Malformed,
            "`decision` is not an object".into(),
        ));
    }
    let map = Value::Object(map);
    let canonical = serde_json_canonicalizer::to_vec(&map)
        .map_err(|e| bad(TamperKind::Malformed, format!("not canonical JSON: {e}")))?;
    let actual = format!("sha256:{:x}", Sha256::digest(&canonical));
    if actual != hash {
        return Err(bad(
            TamperKind::Edited,
            format!("the content does not match its hash (it hashes to {actual}): it was edited"),
        ));
    }
    let Value::Object(mut map) = map else {
        return Err(bad(TamperKind::Malformed, "not a JSON object".into()));
    };
    Ok(Record {
        seq,
        at,
        decision: map.remove("decision").unwrap_or(Value::Null),
        prev,
        hash,
    })
}

#[cfg(test)]
mod tests;
