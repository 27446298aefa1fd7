//! The PostgreSQL target: one table, `shipgate_audit`, created when absent ([`DDL`]).
//!
//! Each row keeps the record's exact stored text (`record`), so its hash verifies byte for
//! byte; `seq`, `at`, `change` and `hash` repeat parts of it for queries. An append runs in one
//! transaction that first takes `LOCK TABLE ... IN SHARE ROW EXCLUSIVE MODE`: that mode
//! conflicts with itself, so appends from any number of connections run one after another
//! (readers are not blocked), each reads the head the previous one committed, and `seq` as
//! the primary key refuses a fork even if the lock were bypassed.

use postgres::{Client, NoTls};

use super::{Appended, Canonical, Chain, Record, Tamper, read_record, record_line};
use crate::error::Error;

/// The table, as created when absent.
pub(crate) const DDL: &str = "CREATE TABLE IF NOT EXISTS shipgate_audit (
    seq    bigint PRIMARY KEY CHECK (seq >= 1),
    at     timestamptz NOT NULL,
    change text NOT NULL,
    hash   text NOT NULL UNIQUE,
    record text NOT NULL
)";

pub(super) struct PgLog {
    client: Client,
}

fn db(name: &str, what: &str, e: postgres::Error) -> Error {
    Error::Io {
        path: name.to_string(),
        message: format!("{what}: {e}"),
    }
}

impl PgLog {
    pub(super) fn open(url: &str, name: &str) -> Result<PgLog, Error> {
        let mut client = Client::connect(url, NoTls).map_err(|e| db(name, "cannot connect", e))?;
        // Two first writers may both find the table absent: the advisory lock makes one
        // create it while the other waits.
        let mut tx = client
            .transaction()
            .map_err(|e| db(name, "cannot create the table", e))?;
        tx.batch_execute("SELECT pg_advisory_xact_lock(hashtext('shipgate_audit'))")
            .and_then(|()| tx.batch_execute(DDL))
            .and_then(|()| tx.commit())
            .map_err(|e| db(name, "cannot create the table shipgate_audit", e))?;
        Ok(PgLog { client })
    }

    pub(super) fn append(
        &mut self,
        decisions: &[Canonical],
        at: &str,
        name: &str,
    ) -> Result<Appended, Error> {
        let fail = |e| db(name, "cannot append to the audit archive", e);
        let mut tx = self.client.transaction().map_err(fail)?;
        tx.batch_execute("LOCK TABLE shipgate_audit IN SHARE ROW EXCLUSIVE MODE")
            .map_err(fail)?;
        let head = tx
            .query_opt(
                "SELECT seq, record FROM shipgate_audit ORDER BY seq DESC LIMIT 1",
                &[],
            )
            .map_err(fail)?;
        let (mut seq, mut prev) = match head {
            None => (0u64, None),
            Some(row) => {
                let text: String = row.try_get(1).map_err(fail)?;
                let record = read_record(text.as_bytes(), 0, None).map_err(|t| Error::Io {
                    path: name.to_string(),
                    message: format!(
                        "the last record cannot be extended: {} (run `shipgate audit verify`)",
                        t.message
                    ),
                })?;
                (record.seq, Some(record.hash))
            }
        };
        let first_seq = seq + 1;
        let insert = tx
            .prepare(
                "INSERT INTO shipgate_audit (seq, at, change, hash, record) \
                 VALUES ($1, $2::text::timestamptz, $3, $4, $5)",
            )
            .map_err(fail)?;
        for decision in decisions {
            seq += 1;
            let (line, hash) = record_line(seq, at, &decision.text, prev.as_deref());
            let seq_sql = i64::try_from(seq).map_err(|_| Error::Io {
                path: name.to_string(),
                message: "the archive is full (seq past 2^63)".into(),
            })?;
            tx.execute(&insert, &[&seq_sql, &at, &decision.change, &hash, &line])
                .map_err(fail)?;
            prev = Some(hash);
        }
        tx.commit().map_err(fail)?;
        Ok(Appended {
            first_seq,
            last_seq: seq,
            hash: prev.unwrap_or_default(),
            warnings: Vec::new(),
        })
    }

    pub(super) fn scan(
        &mut self,
        chain: &mut Chain,
        each: &mut dyn FnMut(Record) -> Result<(), Error>,
        name: &str,
    ) -> Result<Option<Tamper>, Error> {
        let fail = |e| db(name, "cannot read the audit archive", e);
        // A portal reads the table in pages, so a large archive is not held in memory.
        let mut tx = self.client.transaction().map_err(fail)?;
        let portal = tx
            .bind("SELECT seq, record FROM shipgate_audit ORDER BY seq", &[])
            .map_err(fail)?;
        loop {
            let rows = tx.query_portal(&portal, 1000).map_err(fail)?;
            if rows.is_empty() {
                return Ok(None);
            }
            for row in rows {
                let column: i64 = row.try_get(0).map_err(fail)?;
                let text: String = row.try_get(1).map_err(fail)?;
                let record = match chain.check(text.as_bytes(), None) {
                    Ok(record) => record,
                    Err(t) => return Ok(Some(t)),
                };
                if u64::try_from(column).ok() != Some(record.seq) {
                    return Ok(Some(Tamper {
                        seq: record.seq,
                        line: None,
                        kind: super::TamperKind::Edited,
                        message: format!(
                            "the row's seq column is {column}, the record's seq {}",
                            record.seq
                        ),
                    }));
                }
                each(record)?;
            }
        }
    }
}
