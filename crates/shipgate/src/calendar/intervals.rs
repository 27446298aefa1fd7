//! Sorted sets of half-open intervals `[start, end)` of seconds.
//!
//! Every set handed between functions is normalized: sorted, non-empty intervals, and no two
//! of them overlap or touch (touching ones are merged, so one stretch is one interval).

/// `[start, end)` in seconds (UTC epoch seconds, or naive local seconds before mapping).
pub(crate) type Iv = (i64, i64);

/// Sorts, drops empty intervals and merges overlapping or touching ones.
pub(crate) fn normalize(mut v: Vec<Iv>) -> Vec<Iv> {
    v.retain(|&(a, b)| a < b);
    v.sort_unstable();
    let mut out: Vec<Iv> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The instants in both sets.
pub(crate) fn intersect(x: &[Iv], y: &[Iv]) -> Vec<Iv> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while let (Some(&(a1, b1)), Some(&(a2, b2))) = (x.get(i), y.get(j)) {
        let (a, b) = (a1.max(a2), b1.min(b2));
        if a < b {
            out.push((a, b));
        }
        if b1 < b2 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The instants of `x` that are not in `y`.
pub(crate) fn subtract(x: &[Iv], y: &[Iv]) -> Vec<Iv> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(a, b) in x {
        let mut cur = a;
        while let Some(&(c, d)) = y.get(j) {
            if d <= cur {
                j += 1;
                continue;
            }
            if c >= b {
                break;
            }
            if c > cur {
                out.push((cur, c));
            }
            cur = cur.max(d);
            if d >= b {
                break;
            }
            j += 1;
        }
        if cur < b {
            out.push((cur, b));
        }
    }
    out
}

/// The part of `x` inside `[lo, hi)`.
pub(crate) fn clip(x: &[Iv], lo: i64, hi: i64) -> Vec<Iv> {
    let first = x.partition_point(|iv| iv.1 <= lo);
    x.iter()
        .skip(first)
        .take_while(|iv| iv.0 < hi)
        .map(|&(a, b)| (a.max(lo), b.min(hi)))
        .filter(|&(a, b)| a < b)
        .collect()
}

/// Does any interval of `x` meet `[lo, hi)`?
pub(crate) fn meets(x: &[Iv], lo: i64, hi: i64) -> bool {
    let first = x.partition_point(|iv| iv.1 <= lo);
    lo < hi && x.get(first).is_some_and(|iv| iv.0 < hi)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member(x: &[Iv], t: i64) -> bool {
        x.iter().any(|&(a, b)| a <= t && t < b)
    }

    fn arb_set() -> impl Strategy<Value = Vec<Iv>> {
        prop::collection::vec((0i64..60, 0i64..15), 0..8)
            .prop_map(|v| normalize(v.into_iter().map(|(a, l)| (a, a + l)).collect()))
    }

    #[test]
    fn normalize_merges_touching_and_overlapping() {
        assert_eq!(
            normalize(vec![(5, 7), (1, 3), (3, 4), (6, 9), (10, 10)]),
            vec![(1, 4), (5, 9)]
        );
    }

    proptest! {
        #[test]
        fn set_operations_agree_with_membership(x in arb_set(), y in arb_set(), lo in 0i64..70, len in 0i64..30) {
            let i = intersect(&x, &y);
            let s = subtract(&x, &y);
            let c = clip(&x, lo, lo + len);
            for v in [&i, &s, &c] {
                prop_assert_eq!(&normalize(v.clone()), v);
            }
            for t in -1..80 {
                prop_assert_eq!(member(&i, t), member(&x, t) && member(&y, t));
                prop_assert_eq!(member(&s, t), member(&x, t) && !member(&y, t));
                prop_assert_eq!(member(&c, t), member(&x, t) && lo <= t && t < lo + len);
            }
            let brute = (lo..lo + len).any(|t| member(&x, t));
            prop_assert_eq!(meets(&x, lo, lo + len), brute);
        }
    }
}
