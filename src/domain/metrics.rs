//! The report arithmetic, pure: nearest-rank percentiles, attainment and the per-group
//! statistics of docs/metrics.md. The service layer turns requests into `Facts`.

use serde::Serialize;
use utoipa::ToSchema;

/// Nearest-rank percentile: the value at 1-based position ceil(p·n) of the ascending values.
/// The median is p = 0.5. None for no values.
pub fn percentile<T: Copy + Into<i64>>(sorted: &[T], p: f64) -> Option<i64> {
    if sorted.is_empty() || !(p > 0.0 && p <= 1.0) {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).map(|v| (*v).into())
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
    /// Median and p90 of business and wall-clock minutes in any order (reordered in place).
    fn of(business: &mut [i32], wall: &mut [i32]) -> Self {
        let [median_business_minutes, p90_business_minutes] = median_and_p90(business);
        let [median_wall_minutes, p90_wall_minutes] = median_and_p90(wall);
        Self {
            count: business.len(),
            median_business_minutes,
            p90_business_minutes,
            median_wall_minutes,
            p90_wall_minutes,
        }
    }
}

/// The nearest-rank median and p90 of values in any order, as `percentile` gives them for the
/// values sorted, by selection instead of sorting (linear time: a report over all time asks
/// for them over a million durations). Reorders `values`.
fn median_and_p90(values: &mut [i32]) -> [Option<i64>; 2] {
    let n = values.len();
    if n == 0 {
        return [None, None];
    }
    let index = |p: f64| ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
    let (median, p90) = (index(0.5), index(0.9));
    let (below, at_p90, _) = values.select_nth_unstable(p90);
    let at_p90 = i64::from(*at_p90);
    // Everything before the p90's place is no greater than it, the median's place among them.
    let at_median = if median == p90 { at_p90 } else { i64::from(*below.select_nth_unstable(median).1) };
    [Some(at_median), Some(at_p90)]
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

pub fn stats<'a>(facts: impl Iterator<Item = &'a Facts>) -> Stats {
    facts
        .fold(Tally::default(), |mut tally, f| {
            tally.add(f);
            tally
        })
        .stats()
}

/// `Stats` counted one request at a time, keeping only the durations the percentiles need
/// (as 32-bit minutes): a report over a million requests never holds the requests.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    requests: usize,
    first_responses: usize,
    breaches: usize,
    /// Business and wall-clock minutes of first responses, resolutions, first answers.
    spans: [(Vec<i32>, Vec<i32>); 3],
    /// (met, decided) of the first-response, resolution and first-answer clocks.
    outcomes: [(usize, usize); 3],
}

impl Tally {
    pub fn add(&mut self, f: &Facts) {
        self.requests += 1;
        self.first_responses += usize::from(f.first_response.is_some());
        let breached = |o: Outcome| o == Outcome::Breached;
        self.breaches += usize::from(breached(f.first_response_outcome) || breached(f.resolution_outcome));
        let minutes = |m: i64| i32::try_from(m).unwrap_or(i32::MAX);
        for (i, span) in [f.first_response, f.resolution, f.first_answer].into_iter().enumerate() {
            if let Some((business, wall)) = span {
                self.spans[i].0.push(minutes(business));
                self.spans[i].1.push(minutes(wall));
            }
        }
        for (i, o) in [f.first_response_outcome, f.resolution_outcome, f.first_answer_outcome].into_iter().enumerate() {
            match o {
                Outcome::Met => self.outcomes[i] = (self.outcomes[i].0 + 1, self.outcomes[i].1 + 1),
                Outcome::Breached => self.outcomes[i].1 += 1,
                Outcome::Undecided | Outcome::None => {}
            }
        }
    }

    /// Adds a group of requests counted elsewhere (summed by the database): how many, how many
    /// had a first response, how many breached, (met, decided) of the first-response,
    /// resolution and first-answer clocks, and their (business, wall) minutes in any order.
    pub fn add_group(
        &mut self,
        requests: usize,
        first_responses: usize,
        breaches: usize,
        outcomes: [(usize, usize); 3],
        spans: [(Vec<i32>, Vec<i32>); 3],
    ) {
        self.requests += requests;
        self.first_responses += first_responses;
        self.breaches += breaches;
        for (mine, (met, decided)) in self.outcomes.iter_mut().zip(outcomes) {
            *mine = (mine.0 + met, mine.1 + decided);
        }
        for (mine, (business, wall)) in self.spans.iter_mut().zip(spans) {
            mine.0.extend(business);
            mine.1.extend(wall);
        }
    }

    /// Adds everything `other` counted.
    pub fn merge(&mut self, other: &Tally) {
        let spans = other.spans.clone();
        self.add_group(other.requests, other.first_responses, other.breaches, other.outcomes, spans);
    }

    /// The business minutes of the first responses counted, in no order.
    pub fn first_response_business_minutes(&self) -> &[i32] {
        &self.spans[0].0
    }

    pub fn stats(self) -> Stats {
        let [fr, res, fa] = self.spans.map(|(mut business, mut wall)| Durations::of(&mut business, &mut wall));
        // Attainment: met ÷ decided; undecided clocks count neither way; None when none is decided.
        let [fr_a, res_a, fa_a] =
            self.outcomes.map(|(met, decided)| (decided > 0).then(|| met as f64 / decided as f64));
        Stats {
            requests: self.requests,
            first_responses: self.first_responses,
            first_response: fr,
            resolution: res,
            first_answer: fa,
            first_response_attainment: fr_a,
            resolution_attainment: res_a,
            first_answer_attainment: fa_a,
            breaches: self.breaches,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Selection gives what sorting gives.
        #[test]
        fn median_and_p90_by_selection_are_the_sorted_ones(mut values in proptest::collection::vec(-50i32..5000, 0..300)) {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let expected = [percentile(&sorted, 0.5), percentile(&sorted, 0.9)];
            proptest::prop_assert_eq!(median_and_p90(&mut values), expected);
        }
    }

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
        assert_eq!(percentile::<i64>(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.9), Some(7));
    }

    #[test]
    fn a_group_summed_elsewhere_counts_as_its_requests_added_one_by_one() {
        use Outcome::*;
        let at = chrono::DateTime::UNIX_EPOCH;
        let fact = |fr: Option<(i64, i64)>, o: Outcome, res_o: Outcome| Facts {
            created_at: at,
            team: "it".into(),
            category: "bug".into(),
            first_response: fr,
            resolution: Option::None,
            first_answer: fr,
            first_response_outcome: o,
            resolution_outcome: res_o,
            first_answer_outcome: o,
        };
        let facts = [
            fact(Some((30, 40)), Met, Undecided),
            fact(Some((90, 600)), Breached, Breached),
            fact(Option::None, Undecided, None),
            fact(Some((10, 10)), Met, Met),
        ];
        let one_by_one = stats(facts.iter());
        let mut first = Tally::default();
        first.add_group(
            2,
            2,
            1,
            [(1, 2), (0, 1), (1, 2)],
            [(vec![90, 30], vec![600, 40]), (vec![], vec![]), (vec![30, 90], vec![40, 600])],
        );
        let mut second = Tally::default();
        second.add_group(
            2,
            1,
            0,
            [(1, 1), (1, 1), (1, 1)],
            [(vec![10], vec![10]), (vec![], vec![]), (vec![10], vec![10])],
        );
        first.merge(&second);
        assert_eq!(first.first_response_business_minutes(), &[90, 30, 10]);
        assert_eq!(first.stats(), one_by_one);
        assert_eq!(one_by_one.first_response.median_business_minutes, Some(30));
        assert_eq!(one_by_one.breaches, 1);
    }

    #[test]
    fn attainment_counts_only_decided_clocks() {
        use Outcome::*;
        let at = chrono::DateTime::UNIX_EPOCH;
        let fact = |o: Outcome| Facts {
            created_at: at,
            team: "it".into(),
            category: "bug".into(),
            first_response: Some((10, 10)),
            resolution: Option::None,
            first_answer: Option::None,
            first_response_outcome: o,
            resolution_outcome: Undecided,
            first_answer_outcome: None,
        };
        let decided = [Met, Met, Breached, Undecided, None].map(fact);
        let s = stats(decided.iter());
        assert_eq!(s.first_response_attainment, Some(2.0 / 3.0));
        assert_eq!((s.resolution_attainment, s.first_answer_attainment), (Option::None, Option::None));
        assert_eq!((s.requests, s.first_responses, s.breaches, s.first_response.count), (5, 5, 1, 5));
        assert_eq!(stats([Undecided, None].map(fact).iter()).first_response_attainment, Option::None);
    }
}
