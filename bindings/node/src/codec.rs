//! A decision packed into bytes, so JavaScript can hold it as a string and build its parts
//! only when they are read.
//!
//! Why bytes and not the Rust `Decision` itself behind a handle: Node runs the finalizers of
//! native objects only when the event loop turns, so a synchronous loop of a million
//! `evaluate` calls would keep a million decisions alive. A string lives on V8's heap and is
//! freed by the garbage collector like any other value. Packing is a copy of the strings with
//! a few tag bytes (no escaping, no number formatting): several times cheaper than the JSON
//! text, which is written only for the parts that are read.
//!
//! The packing is any `Serialize` value in serde's data model, so it follows the decision's
//! fields (and their types) without naming them:
//!
//! ```text
//! null  0x00            u64  0x03 + 8 bytes LE   str  0x06 + LEB128 length + UTF-8
//! false 0x01            i64  0x04 + 8 bytes LE   seq  0x07 + u32 LE byte length + items
//! true  0x02            f64  0x05 + 8 bytes LE   map  0x08 + u32 LE byte length + key, value...
//!                       f32  0x09 + 4 bytes LE
//! ```
//!
//! A packed decision is one byte for the verdict (0 allow, 1 pending, 2 deny: JavaScript reads
//! it without calling in), then the decision as a map. Containers carry their byte length, so
//! finding one part skips the others without reading them. Reading replays the packed values
//! into a serde `Serializer` ([`Packed`]), so the JSON text of a part, or of the whole decision
//! (pretty or compact), is exactly what `serde_json` writes for the original value.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

const NULL: u8 = 0x00;
const FALSE: u8 = 0x01;
const TRUE: u8 = 0x02;
const U64: u8 = 0x03;
const I64: u8 = 0x04;
const F64: u8 = 0x05;
const STR: u8 = 0x06;
const SEQ: u8 = 0x07;
const MAP: u8 = 0x08;
const F32: u8 = 0x09;

/// Deeper than any decision; bounds the recursion when reading bytes.
const MAX_DEPTH: usize = 64;

/// Why packing or reading failed: a bug, reported as an internal error.
#[derive(Debug)]
pub struct CodecError(String);

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

impl ser::Error for CodecError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CodecError(msg.to_string())
    }
}

fn fail<T>(message: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError(message.into()))
}

// --- packing -----------------------------------------------------------------------------------

/// Appends a packed decision to `out`: its verdict byte, then the decision itself.
pub fn pack_decision(out: &mut Vec<u8>, decision: &shipgate::Decision) -> Result<(), CodecError> {
    out.push(match decision.verdict {
        shipgate::Verdict::Allow => 0,
        shipgate::Verdict::Pending => 1,
        shipgate::Verdict::Deny => 2,
    });
    pack_into(out, decision)
}

/// Packs a decision into its own buffer.
pub fn pack(decision: &shipgate::Decision) -> Result<Vec<u8>, CodecError> {
    with_packed(decision, <[u8]>::to_vec)
}

thread_local! {
    /// Reused by every decision packed on this thread: a fresh buffer of a few kilobytes per
    /// call costs more in the allocator than the packing itself.
    static BUFFER: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(4096));
}

/// Packs a decision into this thread's buffer and hands `f` the bytes.
pub fn with_packed<R>(
    decision: &shipgate::Decision,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, CodecError> {
    BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut out) => {
            out.clear();
            let result = pack_decision(&mut out, decision).map(|()| f(&out));
            if out.capacity() > 1 << 20 {
                *out = Vec::with_capacity(4096); // do not keep a huge decision's buffer
            }
            result
        }
        // Only if `f` packs again; not done, but never a panic.
        Err(_) => {
            let mut out = Vec::new();
            pack_decision(&mut out, decision).map(|()| f(&out))
        }
    })
}

/// Decisions packed one after the other into one buffer (no allocation per decision).
#[derive(Default)]
pub struct PackedList {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl PackedList {
    pub fn with_capacity(decisions: usize) -> PackedList {
        PackedList {
            bytes: Vec::with_capacity(decisions.saturating_mul(2048)),
            ends: Vec::with_capacity(decisions),
        }
    }

    pub fn push(&mut self, decision: &shipgate::Decision) -> Result<(), CodecError> {
        pack_decision(&mut self.bytes, decision)?;
        self.ends.push(self.bytes.len());
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Each packed decision, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| self.bytes.get(start..end).unwrap_or_default())
    }
}

/// Appends `value` packed.
pub fn pack_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), CodecError> {
    value.serialize(Packer { out })
}

struct Packer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Packer<'a> {
    fn str(&mut self, s: &str) -> Result<(), CodecError> {
        let bytes = s.as_bytes();
        let mut len = bytes.len();
        if len < 0x80 {
            // Most strings (names, keys, instants): one write for the tag and the length.
            self.out.extend_from_slice(&[STR, len as u8]);
        } else {
            self.out.push(STR);
            while len >= 0x80 {
                self.out.push((len & 0x7f) as u8 | 0x80);
                len >>= 7;
            }
            self.out.push(len as u8);
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn fixed(&mut self, tag: u8, bytes: [u8; 8]) {
        self.out.push(tag);
        self.out.extend_from_slice(&bytes);
    }

    /// Opens a container; [`close`] writes its length.
    fn open(&mut self, tag: u8) -> usize {
        self.out.push(tag);
        let at = self.out.len();
        self.out.extend_from_slice(&[0; 4]);
        at
    }

    fn container(self, tag: u8) -> Container<'a> {
        let mut packer = self;
        let at = packer.open(tag);
        Container {
            out: packer.out,
            at,
            outer: None,
        }
    }

    /// `{variant: <container>}`, as `serde_json` writes a tuple or struct variant.
    fn variant_container(self, variant: &str, tag: u8) -> Result<Container<'a>, CodecError> {
        let mut packer = self;
        let outer = packer.open(MAP);
        packer.str(variant)?;
        let at = packer.open(tag);
        Ok(Container {
            out: packer.out,
            at,
            outer: Some(outer),
        })
    }
}

/// Writes the byte length of the container whose length slot is at `at`.
fn close(out: &mut [u8], at: usize) -> Result<(), CodecError> {
    let len = out.len().saturating_sub(at + 4);
    let len = u32::try_from(len).or_else(|_| fail("a value larger than 4 GiB"))?;
    match out.get_mut(at..at + 4) {
        Some(slot) => {
            slot.copy_from_slice(&len.to_le_bytes());
            Ok(())
        }
        None => fail("a container's length slot is missing"),
    }
}

/// A sequence or map being packed.
struct Container<'a> {
    out: &'a mut Vec<u8>,
    at: usize,
    /// The `{variant: ...}` map around it, for a tuple or struct variant.
    outer: Option<usize>,
}

impl Container<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        value.serialize(Packer { out: self.out })
    }

    fn finish(self) -> Result<(), CodecError> {
        close(self.out, self.at)?;
        match self.outer {
            Some(outer) => close(self.out, outer),
            None => Ok(()),
        }
    }
}

impl<'a> Serializer for Packer<'a> {
    type Ok = ();
    type Error = CodecError;
    type SerializeSeq = Container<'a>;
    type SerializeTuple = Container<'a>;
    type SerializeTupleStruct = Container<'a>;
    type SerializeTupleVariant = Container<'a>;
    type SerializeMap = Container<'a>;
    type SerializeStruct = Container<'a>;
    type SerializeStructVariant = Container<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), CodecError> {
        self.out.push(if v { TRUE } else { FALSE });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), CodecError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), CodecError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), CodecError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(mut self, v: i64) -> Result<(), CodecError> {
        self.fixed(I64, v.to_le_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), CodecError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), CodecError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), CodecError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(mut self, v: u64) -> Result<(), CodecError> {
        self.fixed(U64, v.to_le_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), CodecError> {
        // Kept apart from f64: serde_json writes an f32 with the digits an f32 needs.
        self.out.push(F32);
        self.out.extend_from_slice(&v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_f64(mut self, v: f64) -> Result<(), CodecError> {
        self.fixed(F64, v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_char(mut self, v: char) -> Result<(), CodecError> {
        self.str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(mut self, v: &str) -> Result<(), CodecError> {
        self.str(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), CodecError> {
        // As serde_json: a list of numbers.
        let mut seq = self.container(SEQ);
        for b in v {
            seq.item(b)?;
        }
        seq.finish()
    }
    fn serialize_none(self) -> Result<(), CodecError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CodecError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CodecError> {
        self.out.push(NULL);
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), CodecError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), CodecError> {
        self.str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        let mut map = self.container(MAP);
        map.item(variant)?;
        map.item(value)?;
        map.finish()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Container<'a>, CodecError> {
        Ok(self.container(SEQ))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Container<'a>, CodecError> {
        Ok(self.container(SEQ))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Container<'a>, CodecError> {
        Ok(self.container(SEQ))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Container<'a>, CodecError> {
        self.variant_container(variant, SEQ)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Container<'a>, CodecError> {
        Ok(self.container(MAP))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Container<'a>, CodecError> {
        Ok(self.container(MAP))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Container<'a>, CodecError> {
        self.variant_container(variant, MAP)
    }
}

impl ser::SerializeSeq for Container<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        self.item(value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl ser::SerializeTuple for Container<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        self.item(value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Container<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        self.item(value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Container<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        self.item(value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl ser::SerializeMap for Container<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CodecError> {
        self.item(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        self.item(value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Container<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        self.item(key)?;
        self.item(value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Container<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        self.item(key)?;
        self.item(value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

// --- reading -----------------------------------------------------------------------------------

/// Packed bytes being read; `pos` moves forward as values are replayed.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: Cell<usize>,
    depth: Cell<usize>,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], pos: usize) -> Reader<'a> {
        Reader {
            bytes,
            pos: Cell::new(pos),
            depth: Cell::new(0),
        }
    }

    fn take(&self, n: usize) -> Result<&'a [u8], CodecError> {
        let start = self.pos.get();
        let end = start
            .checked_add(n)
            .ok_or_else(|| CodecError("truncated".into()))?;
        let slice = self
            .bytes
            .get(start..end)
            .ok_or_else(|| CodecError(format!("truncated at byte {start}")))?;
        self.pos.set(end);
        Ok(slice)
    }

    fn byte(&self) -> Result<u8, CodecError> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn u32(&self) -> Result<usize, CodecError> {
        let mut word = [0; 4];
        word.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(word) as usize)
    }

    fn word(&self) -> Result<[u8; 8], CodecError> {
        let mut word = [0; 8];
        word.copy_from_slice(self.take(8)?);
        Ok(word)
    }

    /// A LEB128 length.
    fn varint(&self) -> Result<usize, CodecError> {
        let mut value: usize = 0;
        for shift in (0..usize::BITS).step_by(7) {
            let byte = self.byte()?;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        fail("a length runs past 64 bits")
    }

    fn str(&self) -> Result<&'a str, CodecError> {
        if self.byte()? != STR {
            return fail("expected a string");
        }
        let len = self.varint()?;
        std::str::from_utf8(self.take(len)?).or_else(|e| fail(format!("bad text: {e}")))
    }

    /// Moves past the next value without reading it.
    fn skip(&self) -> Result<(), CodecError> {
        match self.byte()? {
            NULL | FALSE | TRUE => Ok(()),
            U64 | I64 | F64 => self.take(8).map(|_| ()),
            F32 => self.take(4).map(|_| ()),
            STR => {
                let len = self.varint()?;
                self.take(len).map(|_| ())
            }
            SEQ | MAP => {
                let len = self.u32()?;
                self.take(len).map(|_| ())
            }
            tag => fail(format!("unknown tag {tag}")),
        }
    }

    /// Where the container that starts here (tag and length read) ends.
    fn container_end(&self) -> Result<usize, CodecError> {
        let len = self.u32()?;
        let end = self.pos.get().checked_add(len);
        match end {
            Some(end) if end <= self.bytes.len() => Ok(end),
            _ => fail("a container runs past the end"),
        }
    }

    fn more(&self, end: usize) -> bool {
        self.pos.get() < end
    }

    fn replay<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let bad = |e: CodecError| <S::Error as ser::Error>::custom(e);
        match self.byte().map_err(bad)? {
            NULL => ser.serialize_unit(),
            FALSE => ser.serialize_bool(false),
            TRUE => ser.serialize_bool(true),
            U64 => ser.serialize_u64(u64::from_le_bytes(self.word().map_err(bad)?)),
            I64 => ser.serialize_i64(i64::from_le_bytes(self.word().map_err(bad)?)),
            F64 => ser.serialize_f64(f64::from_bits(u64::from_le_bytes(
                self.word().map_err(bad)?,
            ))),
            F32 => {
                let mut word = [0; 4];
                word.copy_from_slice(self.take(4).map_err(bad)?);
                ser.serialize_f32(f32::from_bits(u32::from_le_bytes(word)))
            }
            STR => {
                self.pos.set(self.pos.get().saturating_sub(1));
                ser.serialize_str(self.str().map_err(bad)?)
            }
            tag @ (SEQ | MAP) => {
                let depth = self.depth.get() + 1;
                if depth > MAX_DEPTH {
                    return Err(bad(CodecError("nested too deep".into())));
                }
                self.depth.set(depth);
                let end = self.container_end().map_err(bad)?;
                let done = if tag == SEQ {
                    let mut seq = ser.serialize_seq(None)?;
                    while self.more(end) {
                        seq.serialize_element(&Packed(self))?;
                    }
                    seq.end()
                } else {
                    let mut map = ser.serialize_map(None)?;
                    while self.more(end) {
                        map.serialize_entry(&Packed(self), &Packed(self))?;
                    }
                    map.end()
                }?;
                if self.pos.get() != end {
                    return Err(bad(CodecError("a container's items overrun it".into())));
                }
                self.depth.set(depth - 1);
                Ok(done)
            }
            tag => Err(bad(CodecError(format!("unknown tag {tag}")))),
        }
    }
}

/// The next packed value of a reader, as a `Serialize` value: serialising it reads it.
struct Packed<'r, 'a>(&'r Reader<'a>);

impl Serialize for Packed<'_, '_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        self.0.replay(ser)
    }
}

/// The verdict byte as the contract's word.
pub fn verdict(packed: &[u8]) -> Result<&'static str, CodecError> {
    match packed.first() {
        Some(0) => Ok("allow"),
        Some(1) => Ok("pending"),
        Some(2) => Ok("deny"),
        _ => fail("no verdict"),
    }
}

/// The whole decision as JSON text: compact, or pretty exactly as `Decision::to_json` (and so
/// `shipgate check --format json`) writes it.
pub fn whole_json(packed: &[u8], pretty: bool) -> Result<String, CodecError> {
    verdict(packed)?;
    let reader = Reader::new(packed, 1);
    let text = match pretty {
        true => serde_json::to_string_pretty(&Packed(&reader)),
        false => serde_json::to_string(&Packed(&reader)),
    }
    .or_else(|e| fail(e.to_string()))?;
    match reader.pos.get() == packed.len() {
        true => Ok(text),
        false => fail("bytes after the decision"),
    }
}

/// The compact JSON text of the decision's field `key`; `None` if it has no such field.
pub fn part_json(packed: &[u8], key: &str) -> Result<Option<String>, CodecError> {
    verdict(packed)?;
    let reader = Reader::new(packed, 1);
    if reader.byte()? != MAP {
        return fail("the decision is not a map");
    }
    let end = reader.container_end()?;
    while reader.more(end) {
        if reader.str()? == key {
            return serde_json::to_string(&Packed(&reader))
                .map(Some)
                .or_else(|e| fail(e.to_string()));
        }
        reader.skip()?;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    #[test]
    fn long_strings_and_lists_of_decisions() {
        let long = "x".repeat(300_000);
        let bytes = packed(&json!({ "a": long, "b": "ü".repeat(70) }));
        assert_eq!(part_json(&bytes, "a").unwrap().unwrap().len(), 300_002);
        assert_eq!(
            part_json(&bytes, "b").unwrap().unwrap(),
            format!("\"{}\"", "ü".repeat(70))
        );

        let decisions = example_decisions();
        let mut list = PackedList::with_capacity(2);
        for d in &decisions {
            list.push(d).unwrap();
        }
        assert_eq!(list.len(), decisions.len());
        for (bytes, d) in list.iter().zip(&decisions) {
            assert_eq!(bytes, pack(d).unwrap().as_slice());
            assert_eq!(whole_json(bytes, true).unwrap(), d.to_json());
        }
        assert_eq!(list.iter().count(), decisions.len());
    }

    fn packed(value: &Value) -> Vec<u8> {
        let mut out = vec![2];
        pack_into(&mut out, value).unwrap();
        out
    }

    #[test]
    fn a_value_reads_back_as_the_same_json() {
        let value = json!({
            "verdict": "deny", "tier": "ü-high \"quoted\"\n", "n": 3, "neg": -4, "f": 1.5,
            "whole": 100.0, "none": null, "yes": true, "no": false, "empty": [], "obj": {},
            "nested": [[["a"]], {"k": [1, 2, {"x": null}]}],
        });
        let bytes = packed(&value);
        assert_eq!(whole_json(&bytes, false).unwrap(), value.to_string());
        assert_eq!(
            whole_json(&bytes, true).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert_eq!(
            part_json(&bytes, "nested").unwrap().unwrap(),
            value["nested"].to_string()
        );
        assert_eq!(
            part_json(&bytes, "tier").unwrap().unwrap(),
            value["tier"].to_string()
        );
        assert_eq!(part_json(&bytes, "whole").unwrap().unwrap(), "100.0");
        assert_eq!(part_json(&bytes, "missing").unwrap(), None);
        assert_eq!(verdict(&bytes).unwrap(), "deny");
    }

    #[derive(serde::Serialize)]
    enum Shape {
        Unit,
        New(u8),
        Tuple(u8, &'static str),
        Struct { a: bool },
    }

    #[test]
    fn every_kind_of_value_reads_as_serde_json_writes_it() {
        #[derive(serde::Serialize)]
        struct All {
            shapes: Vec<Shape>,
            tuple: (i8, f32, char),
            bytes: serde_bytes_like::Bytes,
            unit: (),
            option: Option<u16>,
        }
        mod serde_bytes_like {
            pub struct Bytes(pub Vec<u8>);
            impl serde::Serialize for Bytes {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_bytes(&self.0)
                }
            }
        }
        let all = All {
            shapes: vec![
                Shape::Unit,
                Shape::New(7),
                Shape::Tuple(1, "x"),
                Shape::Struct { a: true },
            ],
            tuple: (-3, 0.1, 'é'),
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
            unit: (),
            option: Some(9),
        };
        let mut bytes = vec![0];
        pack_into(&mut bytes, &all).unwrap();
        assert_eq!(
            whole_json(&bytes, false).unwrap(),
            serde_json::to_string(&all).unwrap()
        );
        assert_eq!(
            whole_json(&bytes, true).unwrap(),
            serde_json::to_string_pretty(&all).unwrap()
        );
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        let bytes = packed(&json!({"a": [1, "two", {"b": 3.5}], "c": "d"}));
        for cut in 0..bytes.len() {
            let _ = whole_json(&bytes[..cut], false);
            let _ = part_json(&bytes[..cut], "c");
            assert!(whole_json(&bytes[..cut], true).is_err(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            for b in [0u8, 7, 8, 9, 0xff] {
                let mut bad = bytes.clone();
                bad[i] = b;
                let _ = whole_json(&bad, false);
                let _ = part_json(&bad, "c");
            }
        }
        // A length that points past the end.
        let mut long = vec![1, SEQ];
        long.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(whole_json(&long, false).is_err());
        // Nesting past the limit.
        let mut deep = json!("leaf");
        for _ in 0..100 {
            deep = json!([deep]);
        }
        assert!(whole_json(&packed(&deep), false).is_err());
    }

    /// Every example change of `policies/`, decided at two instants, with and without a trace.
    fn example_decisions() -> Vec<shipgate::Decision> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
        let engine = shipgate::Engine::from_path(root.join("payments")).unwrap();
        let catalog = shipgate::Catalog::from_text(
            &std::fs::read_to_string(root.join("catalog.yaml")).unwrap(),
            shipgate::Format::Yaml,
        )
        .unwrap();
        let mut files: Vec<_> = std::fs::read_dir(root.join("changes"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut out = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let change = shipgate::Change::from_text(
                &text,
                shipgate::Format::from_path(&file.to_string_lossy()),
            )
            .unwrap();
            for now in ["2026-12-01T09:00:00Z", "2026-12-18T09:00:00Z"] {
                let now = shipgate::parse_instant(now).unwrap();
                for explain in [false, true] {
                    out.push(engine.evaluate(&change, &catalog, now, explain).unwrap());
                }
            }
        }
        assert!(out.len() >= 20);
        out
    }

    #[test]
    fn example_decisions_read_back_exactly() {
        let keys = [
            "verdict",
            "change",
            "now",
            "tier",
            "reasons",
            "requirements",
            "exemptions",
            "waivers",
            "schedule",
            "strategy",
            "rollback",
            "notify",
            "order",
            "trace",
            "policy",
            "inputs",
            "engine",
        ];
        for decision in example_decisions() {
            let bytes = pack(&decision).unwrap();
            assert_eq!(verdict(&bytes).unwrap(), decision.verdict.as_str());
            assert_eq!(whole_json(&bytes, true).unwrap(), decision.to_json());
            assert_eq!(
                whole_json(&bytes, false).unwrap(),
                serde_json::to_string(&decision).unwrap()
            );
            let Value::Object(whole) = decision.to_json_value() else {
                panic!("a decision is an object")
            };
            // `to_ship` only with explain, `obligations` only when approvals are owed after
            // the change.
            let optional = [
                decision.to_ship.as_ref().map(|_| "to_ship"),
                (!decision.obligations.is_empty()).then_some("obligations"),
            ];
            let present = optional.iter().flatten().count();
            assert_eq!(whole.keys().count(), keys.len() + present);
            for key in keys.into_iter().chain(optional.into_iter().flatten()) {
                let part: Value =
                    serde_json::from_str(&part_json(&bytes, key).unwrap().unwrap()).unwrap();
                assert_eq!(Some(&part), whole.get(key), "{key}");
            }
        }
    }

    /// Arbitrary JSON values (objects with string keys, as a decision has).
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((".{0,8}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The packed form replays into exactly the JSON serde_json writes for the value,
        /// whole (compact and pretty) and field by field.
        #[test]
        fn packing_round_trips_through_json(
            fields in prop::collection::vec(("[a-z]{1,6}", any_json()), 0..8),
        ) {
            let object = Value::Object(fields.into_iter().collect());
            let bytes = packed(&object);
            prop_assert_eq!(whole_json(&bytes, false).unwrap(), object.to_string());
            prop_assert_eq!(
                whole_json(&bytes, true).unwrap(),
                serde_json::to_string_pretty(&object).unwrap()
            );
            if let Value::Object(map) = &object {
                for (key, value) in map {
                    prop_assert_eq!(part_json(&bytes, key).unwrap(), Some(value.to_string()));
                }
            }
        }
    }
}
