//! The responsiveness gap in numbers and in one sentence that is true whatever the numbers.

use serde::Serialize;
use utoipa::ToSchema;

use super::TeamReport;
use crate::domain::metrics::Stats;
use crate::words;

/// The responsiveness gap: `team` against `baseline`, and every team against its own targets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gap {
    pub team: String,
    pub baseline: String,
    /// team's median first response ÷ baseline's, in business minutes.
    pub median_first_response_ratio: Option<f64>,
    /// team's first-response attainment minus baseline's (−1..1).
    pub first_response_attainment_difference: Option<f64>,
    pub resolution_attainment_difference: Option<f64>,
    /// The gap in one plain sentence.
    pub summary: String,
}

fn ratio(a: Option<i64>, b: Option<i64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    }
}

fn difference(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

fn percent(x: Option<f64>) -> String {
    x.map_or("no decided requests".into(), |x| format!("{:.0}%", x * 100.0))
}

/// `name` gives a team's name by its key, for the sentence.
pub(super) fn gap(teams: &[TeamReport], team: &str, baseline: &str, name: impl Fn(&str) -> String) -> Gap {
    let find = |k: &str| teams.iter().find(|t| t.team == k).map(|t| &t.stats);
    let (a, b) = (find(team), find(baseline));
    let median = |s: Option<&Stats>| s.and_then(|s| s.first_response.median_business_minutes);
    let attainment = |s: Option<&Stats>| s.and_then(|s| s.first_response_attainment);
    let ratio = ratio(median(a), median(b));
    let (team_name, baseline_name) = (name(team), name(baseline));
    let summary = match ratio {
        Some(r) => format!(
            "{team_name} took {r:.1}× as long as {baseline_name} to first respond (median {} vs {} of business \
             time); first-response targets met: {team_name} {}, {baseline_name} {}.",
            words::hm(median(a).unwrap_or_default()),
            words::hm(median(b).unwrap_or_default()),
            percent(attainment(a)),
            percent(attainment(b)),
        ),
        // No ratio (a side without first responses, or a baseline median of 0): each side's
        // own figures, which are always true.
        None => {
            let side = |key: &str, s: Option<&Stats>| match median(s) {
                Some(m) => format!(
                    "{key} first responded in a median of {} of business time (targets met: {})",
                    words::hm(m),
                    percent(attainment(s))
                ),
                None => format!("{key} made no first response"),
            };
            format!("In this period {}, and {}.", side(&team_name, a), side(&baseline_name, b))
        }
    };
    Gap {
        team: team.to_owned(),
        baseline: baseline.to_owned(),
        median_first_response_ratio: ratio,
        first_response_attainment_difference: difference(attainment(a), attainment(b)),
        resolution_attainment_difference: difference(
            a.and_then(|s| s.resolution_attainment),
            b.and_then(|s| s.resolution_attainment),
        ),
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::metrics::Durations;

    fn team(key: &str, first_responses: usize, median: Option<i64>, attainment: Option<f64>) -> TeamReport {
        let stats = Stats {
            first_responses,
            first_response: Durations { count: first_responses, median_business_minutes: median, ..Default::default() },
            first_response_attainment: attainment,
            ..Default::default()
        };
        TeamReport { team: key.into(), stats, ..Default::default() }
    }

    #[test]
    fn the_headline_is_true_when_there_is_no_ratio() {
        let both = [team("it", 38, Some(90), Some(0.7)), team("marketing", 28, Some(0), Some(1.0))];
        let g = gap(&both, "it", "marketing", |k| k.to_owned());
        assert_eq!(g.median_first_response_ratio, None, "a median of 0 leaves no ratio");
        assert_eq!(
            g.summary,
            "In this period it first responded in a median of 1 h 30 m of business time (targets met: 70%), and \
             marketing first responded in a median of 0 m of business time (targets met: 100%)."
        );
        let one = [team("it", 3, Some(30), Some(1.0)), team("marketing", 0, None, None)];
        assert!(
            gap(&one, "it", "marketing", |k| k.to_owned()).summary.ends_with("and marketing made no first response.")
        );
        let ratio = [team("it", 10, Some(120), Some(0.5)), team("marketing", 10, Some(60), Some(0.9))];
        let named = |k: &str| if k == "it" { "IT web operations".to_owned() } else { "Marketing".to_owned() };
        assert!(
            gap(&ratio, "it", "marketing", named)
                .summary
                .starts_with("IT web operations took 2.0× as long as Marketing")
        );
    }
}
