//! The grammar's atomic tokens (`@` rules of `grammar.pest`) as byte matchers: each takes the
//! text and a start offset and returns where the token ends, or `None` where pest's rule fails
//! there. Each follows its rule exactly, backtracking included (an optional part that fails
//! leaves the position where it was, a repetition never gives back what it matched).

use super::super::ast::Weekday;
use super::super::keywords::is_word_byte;

fn digit(b: &[u8], at: usize) -> bool {
    b.get(at).is_some_and(u8::is_ascii_digit)
}

/// `!ident_char` at `at`.
fn word_ends(b: &[u8], at: usize) -> bool {
    !b.get(at).copied().is_some_and(is_word_byte)
}

/// The end of the run of digits from `at` (`at` itself when there is none).
fn digits(b: &[u8], at: usize) -> usize {
    let mut i = at;
    while digit(b, i) {
        i += 1;
    }
    i
}

/// Exactly `n` digits from `at`.
fn fixed_digits(b: &[u8], at: usize, n: usize) -> Option<usize> {
    (at..at + n).all(|i| digit(b, i)).then_some(at + n)
}

fn byte(b: &[u8], at: usize, want: u8) -> Option<usize> {
    (b.get(at) == Some(&want)).then_some(at + 1)
}

/// `date_part`: `YYYY-MM-DD`.
fn date_part(b: &[u8], at: usize) -> Option<usize> {
    let i = fixed_digits(b, at, 4)?;
    let i = byte(b, i, b'-')?;
    let i = fixed_digits(b, i, 2)?;
    let i = byte(b, i, b'-')?;
    fixed_digits(b, i, 2)
}

/// `clock`: `HH:MM`.
fn clock(b: &[u8], at: usize) -> Option<usize> {
    let i = fixed_digits(b, at, 2)?;
    let i = byte(b, i, b':')?;
    fixed_digits(b, i, 2)
}

/// `datetime_lit`.
pub(super) fn datetime(b: &[u8], at: usize) -> Option<usize> {
    let i = date_part(b, at)?;
    let i = byte(b, i, b'T')?;
    let mut i = clock(b, i)?;
    if let Some(s) = byte(b, i, b':').and_then(|s| fixed_digits(b, s, 2)) {
        i = s;
    }
    if let Some(z) = byte(b, i, b'Z') {
        i = z;
    } else if matches!(b.get(i), Some(b'+' | b'-')) {
        if let Some(o) = clock(b, i + 1) {
            i = o;
        }
    }
    word_ends(b, i).then_some(i)
}

/// `date_lit`.
pub(super) fn date(b: &[u8], at: usize) -> Option<usize> {
    let i = date_part(b, at)?;
    word_ends(b, i).then_some(i)
}

/// `duration_lit`: `(digits unit)+`, then not a word byte.
pub(super) fn duration(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    loop {
        let d = digits(b, i);
        if d == i || !matches!(b.get(d), Some(b's' | b'm' | b'h' | b'd' | b'w')) {
            break;
        }
        i = d + 1;
    }
    (i > at && word_ends(b, i)).then_some(i)
}

/// `percent_lit`.
pub(super) fn percent(b: &[u8], at: usize) -> Option<usize> {
    let mut i = digits(b, at);
    if i == at {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        let f = digits(b, i + 1);
        if f > i + 1 {
            i = f;
        }
    }
    byte(b, i, b'%')
}

/// `float_lit`.
pub(super) fn float(b: &[u8], at: usize) -> Option<usize> {
    let i = digits(b, at);
    if i == at {
        return None;
    }
    let i = byte(b, i, b'.')?;
    let f = digits(b, i);
    (f > i && word_ends(b, f)).then_some(f)
}

/// `int_lit` and `uint`.
pub(super) fn int(b: &[u8], at: usize) -> Option<usize> {
    let i = digits(b, at);
    (i > at && word_ends(b, i)).then_some(i)
}

/// `time`: `H:MM` or `HH:MM`.
pub(super) fn time(b: &[u8], at: usize) -> Option<usize> {
    if !digit(b, at) {
        return None;
    }
    let i = if digit(b, at + 1) { at + 2 } else { at + 1 };
    let i = byte(b, i, b':')?;
    let i = fixed_digits(b, i, 2)?;
    word_ends(b, i).then_some(i)
}

/// `month_day`: an optional minus and digits.
pub(super) fn month_day(b: &[u8], at: usize) -> Option<usize> {
    let s = if b.get(at) == Some(&b'-') { at + 1 } else { at };
    int(b, s)
}

/// `weekday`: the day and where its word ends.
pub(super) fn weekday(b: &[u8], at: usize) -> Option<(Weekday, usize)> {
    let day = match b.get(at..at + 3)? {
        b"mon" => Weekday::Mon,
        b"tue" => Weekday::Tue,
        b"wed" => Weekday::Wed,
        b"thu" => Weekday::Thu,
        b"fri" => Weekday::Fri,
        b"sat" => Weekday::Sat,
        b"sun" => Weekday::Sun,
        _ => return None,
    };
    word_ends(b, at + 3).then_some((day, at + 3))
}

/// A string literal from its opening quote: where it ends and its value with the escapes
/// resolved. `None` where pest fails (no closing quote on the line) and where the builder
/// reports an unknown escape.
pub(super) fn string(text: &str, at: usize) -> Option<(usize, String)> {
    let b = text.as_bytes();
    let start = byte(b, at, b'"')?;
    let mut i = start;
    let mut escaped = false;
    loop {
        match *b.get(i)? {
            b'"' => break,
            b'\n' | b'\r' => return None,
            b'\\' => {
                if !matches!(b.get(i + 1), Some(b'"' | b'\\' | b'n' | b't')) {
                    return None;
                }
                escaped = true;
                i += 2;
            }
            _ => i += 1,
        }
    }
    let raw = text.get(start..i)?;
    let value = if escaped {
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(other) => value.push(other),
                None => {}
            }
        }
        value
    } else {
        raw.to_owned()
    };
    Some((i + 1, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_end_where_their_rules_end() {
        assert_eq!(datetime(b"2026-01-01T10:00+1", 0), Some(16));
        assert_eq!(datetime(b"2026-01-01T10:00:30Z", 0), Some(20));
        assert_eq!(datetime(b"2026-01-01T10:00:3", 0), Some(16));
        assert_eq!(date(b"2026-01-01T", 0), None);
        assert_eq!(duration(b"1h30m ", 0), Some(5));
        assert_eq!(duration(b"5m3", 0), None);
        assert_eq!(percent(b"2.5%", 0), Some(4));
        assert_eq!(percent(b"2.%", 0), None);
        assert_eq!(float(b"1.x", 0), None);
        assert_eq!(int(b"1.x", 0), Some(1));
        assert_eq!(time(b"9:00-", 0), Some(4));
        assert_eq!(time(b"123:45", 0), None);
        assert_eq!(month_day(b"-3..", 0), Some(2));
        assert_eq!(weekday(b"monday", 0), None);
        assert_eq!(string(r#""a\"b" x"#, 0), Some((6, "a\"b".to_owned())));
        assert_eq!(string(r#""a\qb""#, 0), None);
        assert_eq!(string("\"a\nb\"", 0), None);
    }
}
