//! UTC offsets of a time zone over a span of time, and wall clock to instant conversion.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::{GapInfo, Tz};

/// A stretch `[start, end)` of UTC seconds during which the zone's offset is `offset` seconds
/// east of UTC, so the wall clock reads `t + offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: i64,
    pub end: i64,
    pub offset: i64,
}

/// How far apart offset probes are. chrono-tz does not expose its transition table, so
/// transitions are found by probing and then bisecting to the second. In the tz database
/// bundled with chrono-tz, two offset changes after 1970 are never less than 7 days apart,
/// so a 6-hour step cannot step over a pair of them.
const PROBE_SECS: i64 = 6 * 3600;

/// The zone's offset (seconds east of UTC) at UTC second `t`.
pub(crate) fn offset_at(tz: Tz, t: i64) -> i64 {
    match DateTime::from_timestamp(t, 0) {
        Some(dt) => i64::from(
            tz.offset_from_utc_datetime(&dt.naive_utc())
                .fix()
                .local_minus_utc(),
        ),
        None => 0,
    }
}

/// The constant-offset segments covering `[lo, hi)`, in order.
pub(crate) fn segments(tz: Tz, lo: i64, hi: i64) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut start = lo;
    let mut off = offset_at(tz, lo);
    let mut t = lo;
    while t < hi {
        let next = (t + PROBE_SECS).min(hi);
        if offset_at(tz, next) == off {
            t = next;
            continue;
        }
        // Invariant: offset(a) == off, offset(b) != off.
        let (mut a, mut b) = (t, next);
        while b - a > 1 {
            let m = a + (b - a) / 2;
            if offset_at(tz, m) == off {
                a = m;
            } else {
                b = m;
            }
        }
        if b >= hi {
            break;
        }
        out.push(Segment {
            start,
            end: b,
            offset: off,
        });
        start = b;
        off = offset_at(tz, b);
        t = b;
    }
    out.push(Segment {
        start,
        end: hi,
        offset: off,
    });
    out
}

/// The instant a wall-clock time in `tz` denotes, as RFC 5545 reads zoned times: a time that
/// occurs twice means the first, a time skipped by a forward jump uses the offset from before
/// the jump (so 02:30 on a spring-forward night is 03:30 after the jump).
pub(crate) fn localize(tz: Tz, local: NaiveDateTime) -> i64 {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(d) => d.timestamp(),
        LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        LocalResult::None => {
            let naive = local.and_utc().timestamp();
            let before = match GapInfo::new(&local, &tz) {
                Some(GapInfo {
                    begin: Some((_, off)),
                    ..
                }) => i64::from(off.fix().local_minus_utc()),
                _ => offset_at(tz, naive - 86_400),
            };
            naive - before
        }
    }
}

/// The wall-clock time in `tz` at UTC second `t`.
pub(crate) fn wall_clock(tz: Tz, t: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(t + offset_at(tz, t), 0).map(|d| d.naive_utc())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        s.parse::<DateTime<chrono::Utc>>().unwrap().timestamp()
    }

    #[test]
    fn berlin_2026_has_two_transitions_at_the_right_seconds() {
        let segs = segments(
            chrono_tz::Europe::Berlin,
            utc("2026-01-01T00:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
        );
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[0].offset, 3600);
        assert_eq!(segs[0].end, utc("2026-03-29T01:00:00Z"));
        assert_eq!(segs[1].offset, 7200);
        assert_eq!(segs[1].end, utc("2026-10-25T01:00:00Z"));
        assert_eq!(segs[2].offset, 3600);
    }

    #[test]
    fn localize_follows_rfc5545_for_gaps_and_folds() {
        let berlin = chrono_tz::Europe::Berlin;
        let n = |s: &str| s.parse::<NaiveDateTime>().unwrap();
        // skipped: 02:30 read with the offset before the jump (+01:00) = 01:30Z = 03:30 CEST
        assert_eq!(
            localize(berlin, n("2026-03-29T02:30:00")),
            utc("2026-03-29T01:30:00Z")
        );
        // repeated: the first 02:30 (CEST)
        assert_eq!(
            localize(berlin, n("2026-10-25T02:30:00")),
            utc("2026-10-25T00:30:00Z")
        );
    }
}
