//! `AuditLog`: the decision archive (docs/governance.md) over `shipgate::AuditLog`.
//! Conversion only: a decision arrives as its JSON text (`index.js` passes
//! `decision.toJSONText()`), results leave as the library's JSON.

use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;

use crate::convert::{from_text, instant, option, options, text, to_text};
use crate::failure::{Failure, guard, input};
use crate::finish;

/// A decision archive: a file of JSON lines, or a `postgres://` URL.
#[napi]
pub struct AuditLog {
    inner: shipgate::AuditLog,
}

/// An archive's own failure (a file or database that cannot be used): `AUDIT_ERROR`.
fn audit(e: shipgate::Error) -> Failure {
    Failure::Audit(e)
}

/// An instant argument; absent is the current time.
fn at_or_now(value: Option<Unknown<'_>>, path: &str) -> Result<shipgate::Instant, Failure> {
    match value {
        Some(v)
            if !matches!(
                v.get_type()?,
                napi::ValueType::Undefined | napi::ValueType::Null
            ) =>
        {
            instant(v, path)
        }
        _ => Ok(chrono::Utc::now()),
    }
}

#[napi]
impl AuditLog {
    /// Opens (or creates) the archive at `target`.
    #[napi(constructor)]
    pub fn new(env: &Env, target: Unknown<'_>) -> napi::Result<AuditLog> {
        finish(
            env,
            guard(|| {
                let target = text(target, || "target".to_string())?;
                Ok(AuditLog {
                    inner: shipgate::AuditLog::open(&target).map_err(audit)?,
                })
            }),
        )
    }

    /// The target, a URL's password hidden.
    #[napi(getter)]
    pub fn target(&self) -> String {
        self.inner.target().to_string()
    }

    /// Appends a decision at `at` (default: now); `index.js` wraps it to pass the
    /// `Decision`'s JSON text, which is what the archive keeps.
    #[napi(ts_return_type = "Appended")]
    pub fn append<'env>(
        &mut self,
        env: &'env Env,
        decision: String,
        at: Option<Unknown<'_>>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let at = at_or_now(at, "at")?;
                let value: serde_json::Value = serde_json::from_str(&decision)
                    .map_err(|e| input("decision", format!("not a decision's JSON: {e}")))?;
                let appended = self.inner.append_json(&value, at).map_err(audit)?;
                from_text(env, to_text(&appended)?)
            }),
        )
    }

    /// Checks every record: `{intact, records, head, problem}`.
    #[napi(ts_return_type = "VerifyReport")]
    pub fn verify<'env>(&mut self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let report = self.inner.verify().map_err(audit)?;
                let mut value = serde_json::to_value(&report)
                    .map_err(|e| Failure::Internal(format!("a report did not serialise: {e}")))?;
                value["intact"] = report.is_intact().into();
                from_text(env, to_text(&value)?)
            }),
        )
    }

    /// The records appended in `[options.from, options.to)` of `options.change`; an archive
    /// that is not intact throws `AUDIT_ERROR`.
    #[napi(ts_return_type = "AuditRecord[]")]
    pub fn records<'env>(
        &mut self,
        env: &'env Env,
        filter: Option<Unknown<'_>>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let o = options(filter, &["from", "to", "change"], false)?;
                let mut f = shipgate::RecordFilter::all();
                if let Some(v) = option(&o, "from")? {
                    f = f.from(instant(v, "options.from")?);
                }
                if let Some(v) = option(&o, "to")? {
                    f = f.to(instant(v, "options.to")?);
                }
                if let Some(v) = option(&o, "change")? {
                    f = f.change(text(v, || "options.change".to_string())?);
                }
                let records = self.inner.records(&f).map_err(audit)?;
                let list: Vec<serde_json::Value> = records
                    .iter()
                    .map(shipgate::Record::to_json_value)
                    .collect();
                from_text(env, to_text(&list)?)
            }),
        )
    }

    /// The open obligations at `now` (default: the current time): `{now, overdue, open}`.
    #[napi(ts_return_type = "ObligationReport")]
    pub fn obligations<'env>(
        &mut self,
        env: &'env Env,
        now: Option<Unknown<'_>>,
    ) -> napi::Result<Unknown<'env>> {
        finish(
            env,
            guard(|| {
                let now = at_or_now(now, "now")?;
                let report = self.inner.obligations(now).map_err(audit)?;
                from_text(env, to_text(&report)?)
            }),
        )
    }
}
