//! Input text before it is a value: read with a size limit, nesting bounded before the YAML
//! parser sees it, and parsed onto a `Value` tree that refuses a key given twice.
//!
//! Inputs are written by the people a gate decides about (see docs/security.md), so each step
//! here costs time and memory linear in the text, and each limit is a clear error.

use std::cell::RefCell;
use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::JsonPath;
use crate::error::{Error, InputError};

/// The default limit on the size of one input file or standard input: 16 MiB (the default of
/// [`Limit::InputBytes`](crate::Limit::InputBytes)). A catalog of 10,000 services is about
/// 2 MiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = crate::limits::Limit::InputBytes.default_value();

/// How deeply arrays and objects may nest in an input: the JSON parser's own limit, applied
/// to YAML too (before its parser runs, whose time grows with the square of the depth).
pub const MAX_INPUT_NESTING: usize = 128;

/// Reads at most `max_bytes` of UTF-8 text from `reader`; `name` (a file, or `<stdin>`) is
/// what an error names. More text than the limit is an error, not a truncation.
pub fn read_input_text(reader: impl Read, name: &str, max_bytes: u64) -> Result<String, Error> {
    let io = |message: String| Error::Io {
        path: name.to_string(),
        message,
    };
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    if bytes.len() as u64 > max_bytes {
        return Err(io(format!(
            "the input is larger than the limit of {max_bytes} bytes ({})",
            crate::limits::Limit::InputBytes.raise_hint()
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        io(format!(
            "the input is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The error for JSON text nested deeper than [`MAX_INPUT_NESTING`], or `None` for another
/// JSON error.
pub(super) fn json_too_deep(e: &serde_json::Error, what: &str) -> Option<InputError> {
    e.to_string()
        .starts_with("recursion limit exceeded")
        .then(|| too_deep(what, e.line()))
}

fn too_deep(what: &str, line: usize) -> InputError {
    InputError::new(
        what,
        format!(
            "nested too deeply at line {line}: lists and objects may nest at most \
             {MAX_INPUT_NESTING} levels"
        ),
    )
}

/// Refuses YAML text whose lists and objects may nest deeper than [`MAX_INPUT_NESTING`],
/// in one pass over the text and without parsing it.
///
/// The count is an upper bound of the real depth: at each line, the indentation levels still
/// open above it, the `- ` and `? ` entries that start on it, and the open flow brackets
/// (`[`, `{`) outside quotes and comments. Block scalars (`|`, `>`) are skipped.
pub(super) fn check_yaml_nesting(text: &str, what: &str) -> Result<(), InputError> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // The indentation of the line that opened a block scalar: deeper lines are its text.
    let mut scalar_of: Option<usize> = None;
    // YAML ends a line at \n, \r\n or a lone \r.
    let lines = text
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'));
    for (n, line) in lines.enumerate() {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if body.trim().is_empty() {
            continue;
        }
        if let Some(parent) = scalar_of {
            if indent > parent {
                continue;
            }
            scalar_of = None;
        }
        if body.starts_with('#') {
            continue;
        }
        let mut depth = flow;
        if flow == 0 {
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
            depth = indents.len();
        }
        let (line_depth, flow_after, opens_scalar) = scan_line(body, flow);
        depth += line_depth;
        flow = flow_after;
        if depth > MAX_INPUT_NESTING || flow > MAX_INPUT_NESTING {
            return Err(too_deep(what, n + 1));
        }
        if opens_scalar {
            scalar_of = Some(indent);
        }
    }
    Ok(())
}

/// One line after its indentation: the deepest nesting it opens on top of its indentation
/// (entries `- `/`? ` at its start plus flow brackets), the flow depth after it, and whether
/// it ends by opening a block scalar.
fn scan_line(body: &str, mut flow: usize) -> (usize, usize, bool) {
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut entries = 0;
    // `- - - x` and `? - x`: each indicator followed by a space opens one level.
    while flow == 0
        && i + 1 < bytes.len()
        && matches!(bytes[i], b'-' | b'?' | b':')
        && bytes[i + 1] == b' '
    {
        entries += 1;
        i += 2;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
    }
    let start_flow = flow;
    let mut deepest = flow;
    let mut quote: Option<u8> = None;
    let mut last = b' ';
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' if matches!(last, b' ' | b'[' | b'{' | b',' | b':') => quote = Some(b),
                b'#' if last == b' ' => break,
                b'[' | b'{' => {
                    flow += 1;
                    deepest = deepest.max(flow);
                }
                b']' | b'}' => flow = flow.saturating_sub(1),
                _ => {}
            },
        }
        last = b;
        i += 1;
    }
    let trimmed = body.split(" #").next().unwrap_or(body).trim_end();
    let opens_scalar = flow == 0
        && trimmed
            .rsplit(' ')
            .next()
            .is_some_and(|t| t.starts_with(['|', '>']) && t.len() <= 3);
    // Mappings (`key: value`) open a level the next indentation accounts for.
    (entries + (deepest - start_flow), flow, opens_scalar)
}

/// Parses JSON or YAML text onto a `Value` tree as `serde_json::Value` does, except that an
/// object (a mapping) with a key given twice is an error naming its path under `what`.
pub(super) fn parse_value(
    text: &str,
    yaml: bool,
    what: &str,
) -> Result<Value, (Option<InputError>, String)> {
    let duplicate = RefCell::new(None);
    let root = JsonPath::Root(what);
    let seed = Unique {
        path: &root,
        duplicate: Some(&duplicate),
    };
    let result = if yaml {
        seed.deserialize(serde_yaml_ng::Deserializer::from_str(text))
            .map_err(|e| e.to_string())
    } else {
        let mut de = serde_json::Deserializer::from_str(text);
        seed.deserialize(&mut de)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| {
                json_too_deep(&e, what).map_or_else(
                    || {
                        format!(
                            "invalid JSON at line {} column {}: {e}",
                            e.line(),
                            e.column()
                        )
                    },
                    |deep| deep.message,
                )
            })
    };
    result.map_err(|message| (duplicate.into_inner(), message))
}

/// A `Value` read by `deserialize_any`, a key given twice in one object refused. `path` is
/// where it sits; `duplicate` receives the error for the first repeated key (the fast path
/// passes `None`: it only needs to give up).
#[derive(Clone, Copy)]
pub(super) struct Unique<'a> {
    pub(super) path: &'a JsonPath<'a>,
    pub(super) duplicate: Option<&'a RefCell<Option<InputError>>>,
}

impl<'a> Unique<'a> {
    /// For the fast path: no path, no error kept.
    pub(super) const ANYWHERE: Unique<'static> = Unique {
        path: &JsonPath::Root(""),
        duplicate: None,
    };

    fn at<'b>(&self, path: &'b JsonPath<'b>) -> Unique<'b>
    where
        'a: 'b,
    {
        Unique {
            path,
            duplicate: self.duplicate,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Unique<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            let path = self.path.index(items.len());
            match seq.next_element_seed(self.at(&path))? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = self.path.key(&key);
            let value = map.next_value_seed(self.at(&path))?;
            if fields.contains_key(&key) {
                if let Some(slot) = self.duplicate {
                    slot.borrow_mut().get_or_insert_with(|| {
                        InputError::new(
                            path.to_string(),
                            "this key is given twice in the same object (a key may appear once)",
                        )
                    });
                }
                return Err(de::Error::custom("duplicate key"));
            }
            fields.insert(key, value);
        }
        Ok(Value::Object(fields))
    }
}

#[cfg(test)]
mod tests;
