//! SHA-256 digests by which a decision identifies what it was made from (SPEC 8.2): the policy
//! set's files (`policy`), and the catalog and the change as given, in RFC 8785 canonical JSON
//! (`inputs`). The byte formats are in `docs/semantics.md`, so that an auditor can recompute
//! them.
//!
//! Deciding must not pay for them. The policy digest is computed once, when the engine is
//! compiled. The inputs digest is split: the catalog's part (the hasher state after
//! `{"catalog":` and the canonical catalog) is computed once when the catalog is read; the
//! change keeps the text or tree it was read from and is canonicalised the first time a digest
//! needs it; and a decision holds an [`InputsDigest`] of two shared pointers that hashes the
//! change's part onto a copy of the catalog's state only when it is first read.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// `sha256:` and the lowercase hex of a finished hash.
fn finish(hasher: Sha256) -> String {
    format!("sha256:{:x}", hasher.finalize())
}

// --- policy ------------------------------------------------------------------------------------

/// `sha256:<hex>` over a policy set's files, each given by its relative path (`/` between
/// folders) and its bytes. The files are taken in the byte order of their paths (then of their
/// bytes, for two of the same path), and each adds its path, a NUL byte, its length in bytes in
/// decimal, a NUL byte, and its bytes.
pub fn policy<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut files: Vec<(&str, &[u8])> = files.into_iter().collect();
    files.sort_unstable();
    let mut hasher = Sha256::new();
    for (path, bytes) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(bytes.len().to_string().as_bytes());
        hasher.update([0]);
        hasher.update(bytes);
    }
    finish(hasher)
}

// --- RFC 8785 ----------------------------------------------------------------------------------

/// Writes `value` in RFC 8785 canonical form (`serde_json_canonicalizer`): object members
/// sorted by the UTF-16 code units of their names, every number an IEEE 754 double written as
/// ECMAScript writes it (so `2`, `2.0` and `2e0` are one number, and an integer beyond 2^53 is
/// the double nearest it), strings with the minimal escapes.
pub fn write_canonical<W: Write>(value: &Value, mut out: W) -> Result<(), String> {
    serde_json_canonicalizer::to_writer(value, &mut out)
        .map_err(|e| format!("cannot write the canonical JSON: {e}"))
}

/// `value` in RFC 8785 canonical form.
#[cfg(test)]
pub fn canonical(value: &Value) -> Result<String, String> {
    let mut out = Vec::new();
    write_canonical(value, &mut out)?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

// --- the catalog's part ------------------------------------------------------------------------

/// The catalog's part of the inputs digest: the SHA-256 state after `{"catalog":` and the
/// canonical catalog (`"catalog"` sorts before `"change"`, so the catalog comes first).
pub struct CatalogPart {
    state: Result<Sha256, String>,
}

impl CatalogPart {
    /// The part of a catalog document as given.
    pub fn of(catalog: &Value) -> CatalogPart {
        let mut hasher = Sha256::new();
        hasher.update(b"{\"catalog\":");
        let state = write_canonical(catalog, &mut hasher).map(|()| hasher);
        CatalogPart { state }
    }

    /// A part that cannot be computed: the digests made with it say why.
    pub fn failed(why: String) -> CatalogPart {
        CatalogPart { state: Err(why) }
    }
}

/// The part of the empty catalog, `{"services": []}`.
impl Default for CatalogPart {
    fn default() -> CatalogPart {
        CatalogPart::of(&serde_json::json!({"services": []}))
    }
}

impl fmt::Debug for CatalogPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatalogPart").finish_non_exhaustive()
    }
}

// --- the change's part -------------------------------------------------------------------------

/// What a change was read from, kept for the inputs digest.
enum Given {
    /// JSON text, canonicalised when first needed.
    Text(Arc<str>),
    /// A JSON value (also what YAML and the bindings' objects are read into).
    Tree(Value),
    /// Nothing: a change the crate built without reading one (never handed out).
    Unset,
}

/// The change's part of the inputs digest: what it was read from, its canonical form once
/// needed, and the last digest made with it (deciding one change against one catalog many times
/// hashes it once).
pub struct ChangeSource {
    given: Given,
    canonical: OnceLock<Result<Box<[u8]>, String>>,
    last: Mutex<Option<(Arc<CatalogPart>, Arc<str>)>>,
}

impl ChangeSource {
    fn new(given: Given) -> ChangeSource {
        ChangeSource {
            given,
            canonical: OnceLock::new(),
            last: Mutex::new(None),
        }
    }

    fn canonical(&self) -> Result<&[u8], &str> {
        self.canonical
            .get_or_init(|| {
                let mut out = Vec::new();
                match &self.given {
                    Given::Text(text) => {
                        let value: Value = serde_json::from_str(text)
                            .map_err(|e| format!("cannot read the change again: {e}"))?;
                        write_canonical(&value, &mut out)?;
                    }
                    Given::Tree(value) => write_canonical(value, &mut out)?,
                    Given::Unset => return Err("the change was not read from JSON".to_string()),
                }
                Ok(out.into_boxed_slice())
            })
            .as_deref()
            .map_err(String::as_str)
    }
}

/// The change's source, as a field of [`crate::input::Change`]: shared when the change is
/// cloned, and not part of the change's equality (two changes are equal when their fields are).
#[derive(Clone)]
pub struct Source(Arc<ChangeSource>);

impl Source {
    /// A change read from JSON text (kept, canonicalised when a digest first needs it).
    pub fn text(text: impl Into<Arc<str>>) -> Source {
        Source(Arc::new(ChangeSource::new(Given::Text(text.into()))))
    }

    /// A change read from a JSON value (YAML, the bindings' objects).
    pub fn tree(value: Value) -> Source {
        Source(Arc::new(ChangeSource::new(Given::Tree(value))))
    }

    /// No source yet: the readers set it once the change is read.
    pub fn unset() -> Source {
        Source(Arc::new(ChangeSource::new(Given::Unset)))
    }
}

impl PartialEq for Source {
    fn eq(&self, _: &Source) -> bool {
        true
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0.given {
            Given::Text(_) => "Source(text)",
            Given::Tree(_) => "Source(tree)",
            Given::Unset => "Source(unset)",
        })
    }
}

// --- the decision's digest ---------------------------------------------------------------------

/// The `inputs` digest of a decision: `sha256:<hex>` over the RFC 8785 canonical JSON of
/// `{"catalog": <catalog as given>, "change": <change as given>}`.
///
/// Computed the first time it is read (an [`InputsDigest::as_str`], its `Display`, or the
/// decision's JSON), not when the decision is made: deciding only shares two pointers. The
/// change is the JSON (or YAML, or binding object) it was read from: a [`crate::Change`] edited
/// in Rust after reading keeps the digest of what was read.
#[derive(Clone)]
pub struct InputsDigest {
    catalog: Arc<CatalogPart>,
    change: Source,
    hex: OnceLock<Arc<str>>,
}

impl InputsDigest {
    pub(crate) fn new(catalog: &Arc<CatalogPart>, change: &Source) -> InputsDigest {
        InputsDigest {
            catalog: Arc::clone(catalog),
            change: change.clone(),
            hex: OnceLock::new(),
        }
    }

    /// `sha256:<hex>`, computed on the first call. In the unexpected case that an input cannot
    /// be written as canonical JSON, `unavailable: <why>` instead.
    pub fn as_str(&self) -> &str {
        self.hex.get_or_init(|| self.compute())
    }

    fn compute(&self) -> Arc<str> {
        let source = &self.change.0;
        if let Ok(last) = source.last.lock()
            && let Some((catalog, hex)) = last.as_ref()
            && Arc::ptr_eq(catalog, &self.catalog)
        {
            return Arc::clone(hex);
        }
        let hex: Arc<str> = match (&self.catalog.state, source.canonical()) {
            (Ok(state), Ok(change)) => {
                let mut hasher = state.clone();
                hasher.update(b",\"change\":");
                hasher.update(change);
                hasher.update(b"}");
                finish(hasher).into()
            }
            (Err(why), _) => format!("unavailable: the catalog: {why}").into(),
            (_, Err(why)) => format!("unavailable: the change: {why}").into(),
        };
        if let Ok(mut last) = source.last.lock() {
            *last = Some((Arc::clone(&self.catalog), Arc::clone(&hex)));
        }
        hex
    }
}

impl fmt::Display for InputsDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for InputsDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for InputsDigest {
    fn eq(&self, other: &InputsDigest) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for InputsDigest {}

impl PartialEq<str> for InputsDigest {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for InputsDigest {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for InputsDigest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests;
