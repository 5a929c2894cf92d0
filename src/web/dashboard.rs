//! The SLA dashboard for leads and admins: the gap headline, each team's numbers and backlog,
//! the first-response distribution, the weekly trend, and the breaches, over a date range.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde::Deserialize;

use super::session::SignedIn;
use super::{PageError, html};
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::read::dashboard::{self, BUCKETS, Dashboard};
use crate::read::digest::Item;
use crate::read::reports::Period;
use crate::service::admin::{self, TeamView};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(show))
        .route("/dashboard/report.csv", web::get().to(csv))
        .route("/dashboard/audit.zip", web::get().to(audit));
}

/// Breaches listed a page.
const BREACHES_PER_PAGE: usize = 20;

#[derive(Debug, Default, Deserialize)]
pub struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Only this team's breaches (a team key), or all.
    #[serde(default)]
    breach_team: String,
    /// Which page of breaches, from 0.
    #[serde(default)]
    breach_page: usize,
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
    teams: Vec<TeamView>,
    /// (label, from, to) of the ranges one click away.
    presets: Vec<(&'static str, NaiveDate, NaiveDate)>,
    /// The page of breaches shown, of the team chosen, and how many pages there are.
    breaches: Vec<Item>,
    breach_team: String,
    breach_page: usize,
    breach_pages: usize,
    /// Per team, the requester's side of the work, under the agreement in force at the end of
    /// the range.
    scorecard: crate::read::scorecard::Scorecard,
}

impl DashboardPage {
    fn team_name<'a>(&'a self, key: &'a str) -> &'a str {
        super::team_name(&self.teams, key)
    }

    /// The address of another page of breaches, the range and team kept.
    fn breach_page_link(&self, page: usize) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("from", self.from.to_string()), ("to", self.to.to_string())])
            .extend_pairs([("breach_team", self.breach_team.clone()), ("breach_page", page.to_string())])
            .finish();
        format!("/dashboard?{query}#breaches-heading")
    }

    /// Minutes as "3 h 20 m".
    fn hm(&self, minutes: &Option<i64>) -> String {
        minutes.map_or_else(|| "–".into(), super::words::hm)
    }

    fn minutes(&self, minutes: &i64) -> String {
        super::words::hm(*minutes)
    }

    fn pct(&self, share: &Option<f64>) -> String {
        share.map_or("–".into(), |s| format!("{:.0}%", s * 100.0))
    }
}

/// The period a request for the dashboard or its CSV names, refused field by field.
fn period_of(
    range: &Range,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<(NaiveDate, NaiveDate, Period), PageError> {
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
    Ok((from, to, Period::new(from, to, tz)?))
}

/// This week, the last four weeks and this quarter, each up to today.
fn presets(today: NaiveDate) -> Vec<(&'static str, NaiveDate, NaiveDate)> {
    let monday = today - TimeDelta::days(i64::from(today.weekday().num_days_from_monday()));
    let quarter = NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(today);
    vec![
        ("This week", monday, today),
        ("Last 4 weeks", monday - TimeDelta::weeks(3), today),
        ("This quarter", quarter, today),
    ]
}

async fn show(state: web::Data<AppState>, user: SignedIn, range: web::Query<Range>) -> Result<HttpResponse, PageError> {
    user.actor.require_reports()?;
    let settings = state.settings.clone();
    let tz = settings.org.timezone;
    let now = state.clock.now();
    let range = range.into_inner();
    let (from, to, period) = period_of(&range, now, tz)?;
    let (notifier, config) = (state.notifier.clone(), state.config.clone());
    // Building the numbers and drawing the charts are both work for the blocking pool.
    let (d, teams, [distribution_svg, median_svg, attainment_svg], scorecard) = state
        .run(move |conn| {
            let gap = (settings.reports.gap_team.as_str(), settings.reports.gap_baseline.as_str());
            let d = dashboard::build(conn, period, gap, &notifier, now)?;
            let teams = admin::teams(conn)?;
            let charts = charts(&d, &teams, settings.reports.attainment_goal)?;
            let current = config.current(conn)?;
            let scorecard = crate::read::scorecard::beside(conn, period, &current.sla, &d.report.teams, now)?;
            Ok((d, teams, charts, scorecard))
        })
        .await?;
    let buckets = BUCKETS.iter().map(|b| b.1).collect();
    let breach_team = range.breach_team.trim().to_owned();
    let chosen: Vec<Item> =
        d.breaches.iter().filter(|b| breach_team.is_empty() || b.team == breach_team).cloned().collect();
    let breach_pages = chosen.len().div_ceil(BREACHES_PER_PAGE).max(1);
    let breach_page = range.breach_page.min(breach_pages - 1);
    let breaches = chosen.into_iter().skip(breach_page * BREACHES_PER_PAGE).take(BREACHES_PER_PAGE).collect();
    let presets = presets(now.with_timezone(&tz).date_naive());
    html(DashboardPage {
        user,
        from,
        to,
        d,
        distribution_svg,
        median_svg,
        attainment_svg,
        buckets,
        teams,
        presets,
        breaches,
        breach_team,
        breach_page,
        breach_pages,
        scorecard,
    })
}

/// The SLA report of the dashboard's range as CSV (`GET /api/v1/reports/sla.csv`'s columns),
/// for a signed-in lead or admin.
async fn csv(state: web::Data<AppState>, user: SignedIn, range: web::Query<Range>) -> Result<HttpResponse, PageError> {
    user.actor.require_reports()?;
    let settings = state.settings.clone();
    let now = state.clock.now();
    let (from, to, period) = period_of(&range, now, settings.org.timezone)?;
    let body = state
        .run(move |conn| {
            let gap = (settings.reports.gap_team.as_str(), settings.reports.gap_baseline.as_str());
            crate::read::reports::to_csv(&crate::read::reports::sla_report(conn, period, None, gap, now)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"sla-{from}-{to}.csv\"")))
        .body(body))
}

/// The ownership audit of the dashboard's range (`GET /api/v1/reports/audit`'s ZIP), for a
/// signed-in lead or admin.
async fn audit(
    state: web::Data<AppState>,
    user: SignedIn,
    range: web::Query<Range>,
) -> Result<HttpResponse, PageError> {
    user.actor.require_reports()?;
    let (_, _, period) = period_of(&range, state.clock.now(), state.settings.org.timezone)?;
    Ok(crate::routes::reports::audit_zip(&state, period).await?)
}

/// The distribution, the weekly median and the weekly attainment, as SVG, teams by name.
fn charts(d: &Dashboard, teams: &[TeamView], goal: f64) -> Result<[String; 3], crate::service::Error> {
    let name = |key: &str| super::team_name(teams, key).to_owned();
    let median =
        crate::charts::median_first_response(&d.trend, &name, "Median first response per week (business hours)")
            .svg()?;
    let attainment = crate::charts::attainment(&d.trend, &name, goal).svg()?;
    Ok([crate::charts::distribution_svg(&d.distribution, &name)?, median, attainment])
}
