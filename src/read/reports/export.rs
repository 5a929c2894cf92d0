//! The SLA report as CSV (`/api/v1/reports/sla.csv`, `changedesk report --format csv`).

use super::SlaReport;
use crate::domain::metrics::Stats;
use crate::service::Error;

/// The report as CSV: one row per team and per category.
pub fn to_csv(report: &SlaReport) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| Error::Internal(anyhow::anyhow!("writing CSV: {e}"));
    w.write_record([
        "scope",
        "name",
        "requests",
        "first_responses",
        "first_response_median_business_minutes",
        "first_response_p90_business_minutes",
        "first_response_median_wall_minutes",
        "first_response_p90_wall_minutes",
        "resolution_median_business_minutes",
        "resolution_p90_business_minutes",
        "resolution_median_wall_minutes",
        "resolution_p90_wall_minutes",
        "first_response_attainment",
        "resolution_attainment",
        "breaches",
        "open_backlog",
        "oldest_open_minutes",
        "reassignments_away",
        "first_answer_median_business_minutes",
        "first_answer_p90_business_minutes",
        "first_answer_median_wall_minutes",
        "first_answer_attainment",
        "handed_over_out",
        "handed_over_in",
        "minutes_before_out",
        "first_responses_without_answer",
        "sla_breaches_charged",
        "ended_resolved",
        "ended_rejected",
        "ended_withdrawn",
        "desired_date_met",
        "desired_date_missed",
        "desired_date_attainment",
    ])
    .map_err(internal)?;
    let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    let stats_cols = |s: &Stats| {
        vec![
            s.requests.to_string(),
            s.first_responses.to_string(),
            n(s.first_response.median_business_minutes),
            n(s.first_response.p90_business_minutes),
            n(s.first_response.median_wall_minutes),
            n(s.first_response.p90_wall_minutes),
            n(s.resolution.median_business_minutes),
            n(s.resolution.p90_business_minutes),
            n(s.resolution.median_wall_minutes),
            n(s.resolution.p90_wall_minutes),
            f(s.first_response_attainment),
            f(s.resolution_attainment),
            s.breaches.to_string(),
        ]
    };
    let answer_cols = |s: &Stats| {
        vec![
            n(s.first_answer.median_business_minutes),
            n(s.first_answer.p90_business_minutes),
            n(s.first_answer.median_wall_minutes),
            f(s.first_answer_attainment),
        ]
    };
    for t in &report.teams {
        let mut rec = vec!["team".to_owned(), t.team.clone()];
        rec.extend(stats_cols(&t.stats));
        rec.extend([t.open_backlog.to_string(), n(t.oldest_open_minutes), t.reassignments_away.to_string()]);
        rec.extend(answer_cols(&t.stats));
        rec.extend([
            t.handed_over.out.to_string(),
            t.handed_over.received.to_string(),
            t.handed_over.minutes_before_out.to_string(),
            t.first_responses_without_answer.to_string(),
            t.sla_breaches_charged.to_string(),
            t.ended.resolved.to_string(),
            t.ended.rejected.to_string(),
            t.ended.withdrawn.to_string(),
            t.desired_dates.met.to_string(),
            t.desired_dates.missed.to_string(),
            f(t.desired_dates.attainment),
        ]);
        w.write_record(&rec).map_err(internal)?;
    }
    for c in &report.categories {
        let mut rec = vec!["category".to_owned(), c.category.clone()];
        rec.extend(stats_cols(&c.stats));
        rec.extend([String::new(), String::new(), c.reassignments_away.to_string()]);
        rec.extend(answer_cols(&c.stats));
        rec.extend(std::iter::repeat_n(String::new(), 8));
        rec.extend([
            c.desired_dates.met.to_string(),
            c.desired_dates.missed.to_string(),
            f(c.desired_dates.attainment),
        ]);
        w.write_record(&rec).map_err(internal)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(anyhow::anyhow!("CSV is not UTF-8: {e}")))
}
