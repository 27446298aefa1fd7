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
pub fn policy<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> PolicyDigest {
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
    PolicyDigest::of(hasher)
}

/// The digest of a policy set, `sha256:<64 hex digits>`, kept inline: a decision carries its
/// own copy of these 71 bytes, so the decisions of a batch made on every core share no
/// reference count (a shared one cost every decision a cache line passed between the cores).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PolicyDigest([u8; 71]);

impl PolicyDigest {
    fn of(hasher: Sha256) -> PolicyDigest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 71];
        out[..7].copy_from_slice(b"sha256:");
        for (i, byte) in hasher.finalize().iter().enumerate() {
            out[7 + 2 * i] = HEX[usize::from(byte >> 4)];
            out[8 + 2 * i] = HEX[usize::from(byte & 0xf)];
        }
        PolicyDigest(out)
    }

    /// `sha256:<hex>`.
    pub fn as_str(&self) -> &str {
        // Always ASCII: written only by `of`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::ops::Deref for PolicyDigest {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for PolicyDigest {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for PolicyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for PolicyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for PolicyDigest {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for PolicyDigest {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for PolicyDigest {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl Serialize for PolicyDigest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

// --- RFC 8785 ----------------------------------------------------------------------------------

/// Writes `value` in RFC 8785 canonical form: object members sorted by the UTF-16 code units
/// of their names (section 3.2.3); every number an IEEE 754 double written as ECMAScript writes
/// it (`ryu-js`), so `2`, `2.0` and `2e0` are one number and an integer beyond 2^53 is the
/// double nearest it; strings with the minimal escapes (`serde_json`'s, which are RFC 8785's).
///
/// Written here rather than through `serde_json_canonicalizer`, which buffers every token and
/// re-reads every name (15 us for a change of 700 bytes, against about 1 us here); the tests
/// hold the two to the same output on the RFC's vectors and on random values.
pub fn write_canonical<W: Write>(value: &Value, out: &mut W) -> Result<(), String> {
    canonical_value(value, out).map_err(|e| format!("cannot write the canonical JSON: {e}"))
}

fn canonical_value<W: Write>(value: &Value, out: &mut W) -> std::io::Result<()> {
    match value {
        Value::Null => out.write_all(b"null"),
        Value::Bool(true) => out.write_all(b"true"),
        Value::Bool(false) => out.write_all(b"false"),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => {
                out.write_all(ryu_js::Buffer::new().format_finite(f).as_bytes())
            }
            _ => Err(std::io::Error::other(format!(
                "the number {n} is not a finite double"
            ))),
        },
        Value::String(text) => serde_json::to_writer(&mut *out, text).map_err(std::io::Error::from),
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                canonical_value(item, out)?;
            }
            out.write_all(b"]")
        }
        Value::Object(fields) => {
            let mut members: smallvec::SmallVec<[(&String, &Value); 24]> = fields.iter().collect();
            // A map iterates in UTF-8 order, which differs from UTF-16's only where a name
            // holds a character above U+FFFF: sort only then, or if the map keeps its own order.
            if !members
                .windows(2)
                .all(|w| utf16_order(w[0].0, w[1].0).is_lt())
            {
                members.sort_unstable_by(|a, b| utf16_order(a.0, b.0));
            }
            out.write_all(b"{")?;
            for (i, (name, value)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, name).map_err(std::io::Error::from)?;
                out.write_all(b":")?;
                canonical_value(value, out)?;
            }
            out.write_all(b"}")
        }
    }
}

/// RFC 8785's order of member names: by their UTF-16 code units.
fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// JSON text in RFC 8785 canonical form, the same as [`write_canonical`] of the value the text
/// holds, without building a `serde_json::Value`: names and strings are borrowed from the text
/// where they have no escape, objects are lists sorted when written. Of two members with one
/// name, the last counts, as in a `Value`.
pub fn write_canonical_text<W: Write>(text: &str, out: &mut W) -> Result<(), String> {
    let node: Node<'_> =
        serde_json::from_str(text).map_err(|e| format!("cannot read the JSON again: {e}"))?;
    node.write(out)
        .map_err(|e| format!("cannot write the canonical JSON: {e}"))
}

/// A JSON value read only to be written in canonical form.
enum Node<'a> {
    Null,
    Bool(bool),
    Number(f64),
    Text(std::borrow::Cow<'a, str>),
    List(Vec<Node<'a>>),
    Object(Vec<(std::borrow::Cow<'a, str>, Node<'a>)>),
}

impl Node<'_> {
    fn write<W: Write>(&self, out: &mut W) -> std::io::Result<()> {
        match self {
            Node::Null => out.write_all(b"null"),
            Node::Bool(true) => out.write_all(b"true"),
            Node::Bool(false) => out.write_all(b"false"),
            Node::Number(f) => out.write_all(ryu_js::Buffer::new().format_finite(*f).as_bytes()),
            Node::Text(text) => {
                serde_json::to_writer(&mut *out, text).map_err(std::io::Error::from)
            }
            Node::List(items) => {
                out.write_all(b"[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    item.write(out)?;
                }
                out.write_all(b"]")
            }
            Node::Object(members) => {
                let mut order: smallvec::SmallVec<[usize; 24]> = (0..members.len()).collect();
                // Stable, so that of two members with one name the later stays after.
                order.sort_by(|&a, &b| utf16_order(&members[a].0, &members[b].0));
                out.write_all(b"{")?;
                let mut first = true;
                for (k, &i) in order.iter().enumerate() {
                    let (name, value) = &members[i];
                    // A name repeated: only its last member is written.
                    if order
                        .get(k + 1)
                        .is_some_and(|&next| members[next].0 == *name)
                    {
                        continue;
                    }
                    if !first {
                        out.write_all(b",")?;
                    }
                    first = false;
                    serde_json::to_writer(&mut *out, name).map_err(std::io::Error::from)?;
                    out.write_all(b":")?;
                    value.write(out)?;
                }
                out.write_all(b"}")
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Node<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    // RFC 8785 reads every number as an IEEE 754 double.
    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n as f64))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n as f64))
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Node<'de>, E> {
        if f.is_finite() {
            Ok(Node::Number(f))
        } else {
            Err(E::custom("a number that is not a finite double"))
        }
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Text(std::borrow::Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Node<'de>, E> {
        Ok(Node::Text(std::borrow::Cow::Owned(text.to_owned())))
    }

    fn visit_string<E>(self, text: String) -> Result<Node<'de>, E> {
        Ok(Node::Text(std::borrow::Cow::Owned(text)))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(name) = map.next_key::<Name<'de>>()? {
            members.push((name.0, map.next_value()?));
        }
        Ok(Node::Object(members))
    }
}

/// An object's member name, borrowed from the text when it has no escape.
struct Name<'a>(std::borrow::Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Name<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Name<'de>, D::Error> {
        match Node::deserialize(d)? {
            Node::Text(text) => Ok(Name(text)),
            _ => Err(serde::de::Error::custom(
                "a member name that is not a string",
            )),
        }
    }
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
    /// Tells catalogs apart for the change's cache of its last digest (see
    /// [`ChangeSource`]); unique in the process.
    id: u64,
    state: CatalogState,
}

/// The hasher state after the catalog, or why the catalog could not be hashed. A decision
/// keeps its own copy (about a hundred bytes): sharing one behind an `Arc` made every decision
/// of a batch touch the same reference count from every core.
#[derive(Clone)]
enum CatalogState {
    Hashed(Sha256),
    Failed(Arc<str>),
}

impl CatalogPart {
    /// The part of a catalog document as given.
    pub fn of(catalog: &Value) -> CatalogPart {
        CatalogPart::hashing(|out| write_canonical(catalog, out))
    }

    /// The hasher state after `{"catalog":` and what `write` writes.
    fn hashing(
        write: impl FnOnce(&mut std::io::BufWriter<&mut Sha256>) -> Result<(), String>,
    ) -> CatalogPart {
        let mut hasher = Sha256::new();
        hasher.update(b"{\"catalog\":");
        // Buffered: the writer makes many small writes, each a call into the hasher.
        let mut buffered = std::io::BufWriter::with_capacity(1 << 14, &mut hasher);
        let written = write(&mut buffered).and_then(|()| {
            buffered
                .flush()
                .map_err(|e| format!("cannot hash the catalog: {e}"))
        });
        drop(buffered);
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        CatalogPart {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            state: match written {
                Ok(()) => CatalogState::Hashed(hasher),
                Err(why) => CatalogState::Failed(why.into()),
            },
        }
    }

    /// The part of a catalog document given as JSON text.
    pub fn of_text(catalog: &str) -> CatalogPart {
        CatalogPart::hashing(|out| write_canonical_text(catalog, out))
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
    /// JSON text, canonicalised when first needed. A change read from a `Value` (YAML, the
    /// bindings' objects) keeps the value's compact JSON text: one string, cheaper to keep than
    /// a copy of the tree, and read back exactly.
    Text(Arc<str>),
    /// Nothing: a change the crate built without reading one (never handed out).
    Unset,
}

/// The change's part of the inputs digest: what it was read from, its canonical form once
/// needed, and the last digest made with it (deciding one change against one catalog many times
/// hashes it once).
pub struct ChangeSource {
    given: Given,
    canonical: OnceLock<Result<Box<[u8]>, String>>,
    last: Mutex<Option<(u64, Arc<str>)>>,
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
                let Given::Text(text) = &self.given else {
                    return Err("the change was not read from JSON".to_string());
                };
                let mut out = Vec::with_capacity(text.len());
                write_canonical_text(text, &mut out)?;
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

    /// A change read from a JSON value (YAML, the bindings' objects): kept as its compact JSON
    /// text, which reads back as the same value.
    pub fn tree(value: &Value) -> Source {
        match serde_json::to_string(value) {
            Ok(text) => Source::text(text),
            Err(_) => Source::unset(),
        }
    }

    /// The text kept, if any (tests compare readers by it).
    #[cfg(test)]
    pub(crate) fn kept_text(&self) -> Option<&str> {
        match &self.0.given {
            Given::Text(text) => Some(text),
            Given::Unset => None,
        }
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
            Given::Unset => "Source(unset)",
        })
    }
}

// --- the decision's digest ---------------------------------------------------------------------

/// The `inputs` digest of a decision: `sha256:<hex>` over the RFC 8785 canonical JSON of
/// `{"catalog": <catalog as given>, "change": <change as given>}`.
///
/// Computed the first time it is read (an [`InputsDigest::as_str`], its `Display`, or the
/// decision's JSON), not when the decision is made: deciding only copies the catalog's hasher
/// state and shares the change's source. The change is the JSON (or YAML, or binding object) it was read from: a [`crate::Change`] edited
/// in Rust after reading keeps the digest of what was read.
#[derive(Clone)]
pub struct InputsDigest {
    /// The catalog's [`CatalogPart::id`].
    catalog_id: u64,
    catalog: CatalogState,
    change: Source,
    /// The schedule of a decision given one, in canonical form: then the digest is over
    /// `{"catalog", "change", "scheduled"}`.
    scheduled: Option<Arc<str>>,
    hex: OnceLock<Arc<str>>,
}

impl InputsDigest {
    pub(crate) fn new(catalog: &CatalogPart, change: &Source) -> InputsDigest {
        InputsDigest {
            catalog_id: catalog.id,
            catalog: catalog.state.clone(),
            change: change.clone(),
            scheduled: None,
            hex: OnceLock::new(),
        }
    }

    /// The digest over `{"catalog", "change", "scheduled"}`, `scheduled` being the schedule's
    /// canonical JSON (`None` keeps the two-input digest).
    pub(crate) fn with_scheduled(mut self, scheduled: Option<Arc<str>>) -> InputsDigest {
        self.scheduled = scheduled;
        self
    }

    /// `sha256:<hex>`, computed on the first call. In the unexpected case that an input cannot
    /// be written as canonical JSON, `unavailable: <why>` instead.
    pub fn as_str(&self) -> &str {
        self.hex.get_or_init(|| self.compute())
    }

    fn compute(&self) -> Arc<str> {
        let source = &self.change.0;
        if let Some(scheduled) = &self.scheduled {
            // Not cached with the change: the last digest is of the change and catalog alone.
            return match (&self.catalog, source.canonical()) {
                (CatalogState::Hashed(state), Ok(change)) => {
                    let mut hasher = state.clone();
                    hasher.update(b",\"change\":");
                    hasher.update(change);
                    hasher.update(b",\"scheduled\":");
                    hasher.update(scheduled.as_bytes());
                    hasher.update(b"}");
                    finish(hasher).into()
                }
                (CatalogState::Failed(why), _) => format!("unavailable: the catalog: {why}").into(),
                (_, Err(why)) => format!("unavailable: the change: {why}").into(),
            };
        }
        if let Ok(last) = source.last.lock()
            && let Some((catalog, hex)) = last.as_ref()
            && *catalog == self.catalog_id
        {
            return Arc::clone(hex);
        }
        let hex: Arc<str> = match (&self.catalog, source.canonical()) {
            (CatalogState::Hashed(state), Ok(change)) => {
                let mut hasher = state.clone();
                hasher.update(b",\"change\":");
                hasher.update(change);
                hasher.update(b"}");
                finish(hasher).into()
            }
            (CatalogState::Failed(why), _) => format!("unavailable: the catalog: {why}").into(),
            (_, Err(why)) => format!("unavailable: the change: {why}").into(),
        };
        if let Ok(mut last) = source.last.lock() {
            *last = Some((self.catalog_id, Arc::clone(&hex)));
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
