//! Source files and byte spans within them.

use std::sync::Arc;

/// Which file of the policy set a span points into (index into [`SourceMap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A half-open byte range `[start, end)` in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One policy source file: its display name (as given, e.g. `policies/acme.gate`) and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A file of `text`; a carriage return not followed by a newline (old Mac line ends) is
    /// read as a newline, so `\n`, `\r\n` and `\r` all end a line for the parser, for
    /// `file:line:col` and for the rendered source (offsets are unchanged: one byte for one).
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = lone_carriage_returns_as_newlines(text.into());
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line + 1, col + 1)
    }
}

fn lone_carriage_returns_as_newlines(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    let mut bytes = text.into_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            bytes[i] = b'\n';
        }
    }
    // Replacing one ASCII byte by another keeps the text UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// All files of a policy set, shared cheaply between the engine and its diagnostics.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(Arc::new(SourceFile::new(name, text)));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize).map(|f| f.as_ref())
    }

    /// `file:line:col` of a span's start, as the decision's `at` and diagnostics show it.
    pub fn location(&self, span: Span) -> String {
        match self.get(span.file) {
            Some(f) => {
                let (l, c) = f.line_col(span.start as usize);
                format!("{}:{}:{}", f.name, l, c)
            }
            None => "<unknown>".to_string(),
        }
    }

    /// [`SourceMap::location`] as the decisions hold it: written without `format!` (a
    /// compile writes one per rule, effect and arm) and, when short, without a heap block.
    pub fn location_text(&self, span: Span) -> smol_str::SmolStr {
        let Some(f) = self.get(span.file) else {
            return smol_str::SmolStr::new_static("<unknown>");
        };
        let (l, c) = f.line_col(span.start as usize);
        let mut out = smol_str::SmolStrBuilder::new();
        out.push_str(&f.name);
        for n in [l, c] {
            out.push(':');
            push_decimal(&mut out, n);
        }
        out.finish()
    }

    pub fn text(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or("")
    }
}

/// `n` in decimal.
fn push_decimal(out: &mut smol_str::SmolStrBuilder, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(digits.get(i..).unwrap_or(&[])).unwrap_or(""));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_text_is_location() {
        let mut map = SourceMap::default();
        let name = "policies/a-rather-long-folder-name/rules.gate";
        let id = map.add(name, "a\nbb\n\u{e9}t\n".repeat(700));
        let short = map.add("p.gate", "x\ny");
        for (file, at) in [
            (id, 0),
            (id, 3),
            (id, 8),
            (id, 4000),
            (short, 2),
            (FileId(9), 0),
        ] {
            let span = Span::new(file, at, at);
            assert_eq!(map.location_text(span), map.location(span));
        }
    }

    #[test]
    fn every_line_end_counts_as_one() {
        for text in ["a\nb\nc", "a\r\nb\r\nc", "a\rb\rc", "a\r\nb\rc"] {
            let f = SourceFile::new("p.gate", text);
            let c = text.rfind('c').unwrap_or(0);
            assert_eq!(f.line_col(c), (3, 1), "{text:?}");
        }
    }
}
