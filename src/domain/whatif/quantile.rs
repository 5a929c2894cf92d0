//! Ranks and shares of sorted durations, the never-decided last: where a request stands among
//! one team's durations, and what stands at the same place among another's.

/// The share of `sorted` at or faster than `value` (None: slower than every decided one);
/// ties take their highest rank.
pub fn rank(sorted: &[Option<i64>], value: Option<i64>) -> f64 {
    if sorted.is_empty() {
        return 1.0;
    }
    let key = value.unwrap_or(i64::MAX);
    let at_or_below = sorted.partition_point(|d| d.unwrap_or(i64::MAX) <= key);
    at_or_below.max(1) as f64 / sorted.len() as f64
}

/// The value at share `q` of `sorted` (the nearest rank: the ⌈q·n⌉-th); None among the
/// never-decided or when empty.
pub fn at_share(sorted: &[Option<i64>], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = ((q * n as f64) - 1e-9).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_shares_meet_at_the_same_place() {
        let sorted = [Some(60), Some(120), Some(240), Some(480)];
        assert_eq!(rank(&sorted, Some(60)), 0.25);
        assert_eq!(rank(&sorted, Some(480)), 1.0);
        assert_eq!(rank(&sorted, None), 1.0, "never answered: the slowest");
        let other = [Some(30), Some(60), Some(90), Some(120), Some(150)];
        assert_eq!([0.25, 0.5, 0.75, 1.0].map(|q| at_share(&other, q)), [Some(60), Some(90), Some(120), Some(150)]);
        let with_unanswered = [Some(10), Some(20), None, None];
        assert_eq!(rank(&with_unanswered, Some(20)), 0.5);
        assert_eq!(at_share(&with_unanswered, 0.5), Some(20));
        assert_eq!(at_share(&with_unanswered, 0.75), None);
        assert_eq!(at_share(&[], 0.5), None);
    }
}
