//! The report arithmetic, pure: nearest-rank percentiles, attainment and the per-group
//! statistics of docs/metrics.md. The service layer turns requests into `Facts`.

use serde::Serialize;
use utoipa::ToSchema;

/// Nearest-rank percentile: the value at 1-based position ceil(p·n) of the ascending values.
/// The median is p = 0.5. None for no values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() || !(p > 0.0 && p <= 1.0) {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// How a clock ended up, as of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Met,
    Breached,
    /// Still running, at risk or paused, and not yet breached: not counted in attainment.
    Undecided,
    /// No policy applied.
    None,
}

/// One request, as the reports see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub key: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub team: String,
    pub category: String,
    /// Minutes from creation to first response: open minutes of the team's business calendar,
    /// and wall-clock minutes. None without a first response.
    pub first_response: Option<(i64, i64)>,
    /// The same to resolution (resolved or closed requests only).
    pub resolution: Option<(i64, i64)>,
    /// The same to the first answer (a message the requester could see).
    pub first_answer: Option<(i64, i64)>,
    pub first_response_outcome: Outcome,
    pub resolution_outcome: Outcome,
    /// The first answer judged against the first-response target.
    pub first_answer_outcome: Outcome,
}

/// Median and p90 of a set of durations, in business and wall-clock minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Durations {
    pub count: usize,
    pub median_business_minutes: Option<i64>,
    pub p90_business_minutes: Option<i64>,
    pub median_wall_minutes: Option<i64>,
    pub p90_wall_minutes: Option<i64>,
}

impl Durations {
    pub fn of(values: impl Iterator<Item = (i64, i64)>) -> Self {
        let (mut business, mut wall): (Vec<i64>, Vec<i64>) = values.unzip();
        business.sort_unstable();
        wall.sort_unstable();
        Self {
            count: business.len(),
            median_business_minutes: percentile(&business, 0.5),
            p90_business_minutes: percentile(&business, 0.9),
            median_wall_minutes: percentile(&wall, 0.5),
            p90_wall_minutes: percentile(&wall, 0.9),
        }
    }
}

/// Share of decided clocks that met their target (0..1); None when none is decided.
pub fn attainment<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Option<f64> {
    let (mut met, mut decided) = (0usize, 0usize);
    for o in outcomes {
        match o {
            Outcome::Met => {
                met += 1;
                decided += 1;
            }
            Outcome::Breached => decided += 1,
            Outcome::Undecided | Outcome::None => {}
        }
    }
    (decided > 0).then(|| met as f64 / decided as f64)
}

/// The statistics of a group of requests (a team, a category).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Stats {
    /// Requests created in the period.
    pub requests: usize,
    /// Of those, how many have had a first response.
    pub first_responses: usize,
    pub first_response: Durations,
    pub resolution: Durations,
    /// Time to the first message the requester could see (a status click is not one).
    pub first_answer: Durations,
    /// Share of decided first-response clocks that met their target (0..1).
    pub first_response_attainment: Option<f64>,
    pub resolution_attainment: Option<f64>,
    /// Share of decided first answers within the first-response target (0..1).
    pub first_answer_attainment: Option<f64>,
    /// Requests with at least one breached clock.
    pub breaches: usize,
}

pub fn stats<'a>(facts: impl Iterator<Item = &'a Facts> + Clone) -> Stats {
    Stats {
        requests: facts.clone().count(),
        first_responses: facts.clone().filter(|f| f.first_response.is_some()).count(),
        first_response: Durations::of(facts.clone().filter_map(|f| f.first_response)),
        resolution: Durations::of(facts.clone().filter_map(|f| f.resolution)),
        first_answer: Durations::of(facts.clone().filter_map(|f| f.first_answer)),
        first_response_attainment: attainment(facts.clone().map(|f| &f.first_response_outcome)),
        resolution_attainment: attainment(facts.clone().map(|f| &f.resolution_outcome)),
        first_answer_attainment: attainment(facts.clone().map(|f| &f.first_answer_outcome)),
        breaches: facts
            .filter(|f| f.first_response_outcome == Outcome::Breached || f.resolution_outcome == Outcome::Breached)
            .count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_worked_by_hand() {
        let v = [15, 20, 35, 40, 50];
        // ceil(0.5·5) = 3rd, ceil(0.9·5) = 5th, ceil(0.3·5) = 2nd, ceil(0.05·5) = 1st.
        assert_eq!(percentile(&v, 0.5), Some(35));
        assert_eq!(percentile(&v, 0.9), Some(50));
        assert_eq!(percentile(&v, 0.3), Some(20));
        assert_eq!(percentile(&v, 0.05), Some(15));
        assert_eq!(percentile(&v, 1.0), Some(50));
        // Even count: ceil(0.5·4) = 2nd, not an average.
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2));
        // ceil(0.9·10) = 9th.
        assert_eq!(percentile(&(1..=10).collect::<Vec<_>>(), 0.9), Some(9));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.9), Some(7));
    }

    #[test]
    fn attainment_counts_only_decided_clocks() {
        use Outcome::*;
        assert_eq!(attainment([Met, Met, Breached, Undecided, None].iter()), Some(2.0 / 3.0));
        assert_eq!(attainment([Undecided, None].iter()), Option::None);
    }
}
