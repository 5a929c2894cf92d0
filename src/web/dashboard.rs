//! The SLA dashboard for leads and admins: the gap headline, each team's numbers and backlog,
//! the first-response distribution, the weekly trend, and the breaches, over a date range.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::session::SignedIn;
use super::{PageError, html};
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::read::dashboard::{self, BUCKETS, Dashboard};
use crate::read::reports::Period;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(show));
}

#[derive(Debug, Default, Deserialize)]
pub struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template)]
#[template(path = "pages/dashboard.html", config = "config/askama.toml")]
struct DashboardPage {
    user: SignedIn,
    from: NaiveDate,
    to: NaiveDate,
    d: Dashboard,
    distribution_svg: String,
    median_svg: String,
    attainment_svg: String,
    buckets: Vec<&'static str>,
}

impl DashboardPage {
    /// Minutes as "3 h 20 m".
    fn hm(&self, minutes: &Option<i64>) -> String {
        match *minutes {
            None => "–".into(),
            Some(m) if m < 60 => format!("{m} m"),
            Some(m) => format!("{} h {:02} m", m / 60, m % 60),
        }
    }

    fn pct(&self, share: &Option<f64>) -> String {
        share.map_or("–".into(), |s| format!("{:.0}%", s * 100.0))
    }
}

async fn show(state: web::Data<AppState>, user: SignedIn, range: web::Query<Range>) -> Result<HttpResponse, PageError> {
    user.actor.require_reports()?;
    let settings = state.settings.clone();
    let tz = settings.org.timezone;
    let now = state.clock.now();
    let (default_from, default_to) = dashboard::default_period(now, tz);
    let mut errors = FieldErrors::default();
    let mut date = |field: &str, text: &str, default: NaiveDate| match text.trim() {
        "" => default,
        t => {
            errors.check(field, t.parse().map_err(|_| format!("'{t}' is not a date as YYYY-MM-DD"))).unwrap_or(default)
        }
    };
    let (from, to) = (date("from", &range.from, default_from), date("to", &range.to, default_to));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors).into());
    }
    let period = Period::new(from, to, tz)?;
    let notifier = state.notifier.clone();
    // Building the numbers and drawing the charts are both work for the blocking pool.
    let (d, [distribution_svg, median_svg, attainment_svg]) = state
        .run(move |conn| {
            let gap = (settings.reports.gap_team.as_str(), settings.reports.gap_baseline.as_str());
            let d = dashboard::build(conn, period, gap, &notifier, now)?;
            let charts = charts(&d)?;
            Ok((d, charts))
        })
        .await?;
    let buckets = BUCKETS.iter().map(|b| b.1).collect();
    html(DashboardPage { user, from, to, d, distribution_svg, median_svg, attainment_svg, buckets })
}

/// The distribution, the weekly median and the weekly attainment, as SVG.
fn charts(d: &Dashboard) -> Result<[String; 3], crate::service::Error> {
    let top_median = d
        .trend
        .iter()
        .flat_map(|w| w.teams.iter().filter_map(|p| p.median_first_response_business_minutes))
        .max()
        .unwrap_or(60) as f64
        / 60.0;
    let median = super::charts::trend_svg(
        &d.trend,
        "Median first response per week (business hours)",
        0.0..(top_median * 1.15).max(1.0),
        |p| p.median_first_response_business_minutes.map(|m| m as f64 / 60.0),
    )?;
    let attainment =
        super::charts::trend_svg(&d.trend, "First responses within target per week (%)", 0.0..105.0, |p| {
            p.first_response_attainment.map(|a| a * 100.0)
        })?;
    Ok([super::charts::distribution_svg(&d.distribution)?, median, attainment])
}
