//! A compact writer for the instants of a decision's JSON: `YYYY-MM-DDTHH:MM:SSZ` straight
//! from unix seconds, without going through chrono's general formatter (which showed up in
//! profiles when decisions held their instants as text). The same text as
//! `input::format_instant` for every instant it handles.

/// Unix seconds as RFC 3339 UTC to the second; `None` outside years 0000-9999.
pub fn utc_seconds(secs: i64) -> Option<crate::decision::Text> {
    // Counted from 1970 minus five 400-year eras, every year from 0000 is non-negative, so the
    // arithmetic is unsigned: divisions by constants become multiplications, where the signed
    // euclidean forms cost several times more. The calendar repeats every era.
    let shifted = u64::try_from(secs.checked_add(ERAS_BACK * ERA_SECS)?).ok()?;
    let (y, m, d) = civil_from_days(shifted / 86_400);
    let y = y.checked_sub(400 * ERAS_BACK as u64)?;
    if y > 9999 {
        return None;
    }
    let rem = shifted % 86_400;
    let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
    // Every value is in range here (year 0..=9999, the others below 100).
    let two = |v: u64| {
        let v = (v % 100) as u8;
        [b'0' + v / 10, b'0' + v % 10]
    };
    let [c1, c2] = two(y / 100);
    let [y1, y2] = two(y);
    let [m1, m2] = two(m);
    let [d1, d2] = two(d);
    let [h1, h2] = two(hh);
    let [n1, n2] = two(mm);
    let [s1, s2] = two(ss);
    let buf = [
        c1, c2, y1, y2, b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', n1, n2, b':', s1, s2, b'Z',
    ];
    // 20 ASCII bytes: always valid, and stored inline (`new_inline` takes up to 23).
    std::str::from_utf8(&buf)
        .ok()
        .map(crate::decision::Text::new_inline)
}

/// Seconds in 400 Gregorian years, and how many of them `utc_seconds` counts back from 1970.
const ERA_SECS: i64 = 146_097 * 86_400;
const ERAS_BACK: i64 = 5;

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`), for days on or after it.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::format_instant;
    use proptest::prelude::*;

    fn chrono_text(secs: i64) -> String {
        format_instant(chrono::DateTime::from_timestamp(secs, 0).unwrap())
    }

    #[test]
    fn known_instants() {
        assert_eq!(utc_seconds(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            utc_seconds(1_796_115_600).unwrap(),
            chrono_text(1_796_115_600)
        );
        assert_eq!(utc_seconds(951_782_400).unwrap(), "2000-02-29T00:00:00Z");
        assert_eq!(utc_seconds(-1).unwrap(), "1969-12-31T23:59:59Z");
        assert_eq!(
            utc_seconds(253_402_300_799).unwrap(),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(utc_seconds(253_402_300_800), None);
        assert_eq!(
            utc_seconds(-62_167_219_200).unwrap(),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(utc_seconds(-62_167_219_201), None);
    }

    proptest! {
        #[test]
        fn same_text_as_chrono(secs in -62_167_219_200i64..=253_402_300_799) {
            prop_assert_eq!(utc_seconds(secs).unwrap(), chrono_text(secs));
        }
    }
}
