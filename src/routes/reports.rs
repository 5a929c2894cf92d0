//! `/api/v1/reports` and `/api/v1/digests`: the responsiveness gap, for leads and admins.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::domain::FieldErrors;
use crate::error::{ApiError, ErrorBody};
use crate::read::digest::{self, Digest};
use crate::read::reports::{self, Period, SlaReport};
use crate::read::scorecard::{self, Scorecard};
use crate::read::whatif::{self, WhatIf};
use crate::service::admin;
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(sla_report)
        .service(sla_report_csv)
        .service(show_digest)
        .service(whatif_report)
        .service(scorecard_report)
        .service(audit_pack);
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhatIfQuery {
    /// First day, YYYY-MM-DD, in the organisation's timezone.
    #[param(value_type = String, format = Date)]
    pub from: Option<String>,
    /// Last day (inclusive), not before `from`.
    #[param(value_type = String, format = Date)]
    pub to: Option<String>,
    /// A category given to a team, `category:team` (or `category=team`); repeat for more.
    #[serde(rename = "move")]
    #[param(rename = "move", max_items = 100)]
    pub moves: Vec<String>,
    /// A rule the proposal adds, `team:pattern` (or `team=pattern`): requests whose title or
    /// description match the pattern (case-insensitive) go to the team, before any category;
    /// repeat for more.
    #[serde(rename = "rule")]
    #[param(rename = "rule", max_items = 100)]
    pub rules: Vec<String>,
}

impl WhatIfQuery {
    /// From a query string: `move` repeats, which the plain query extractor does not take.
    pub fn parse(query: &str) -> Self {
        let mut q = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "from" => q.from = Some(value.into_owned()),
                "to" => q.to = Some(value.into_owned()),
                "move" => q.moves.push(value.into_owned()),
                "rule" => q.rules.push(value.into_owned()),
                _ => {}
            }
        }
        q
    }

    pub fn period(&self, tz: chrono_tz::Tz) -> Result<Period, ApiError> {
        ReportQuery { from: self.from.clone(), to: self.to.clone(), team: None }.period(tz)
    }
}

/// The scorecard both leads sign: per team, the owning team's side (its own clocks) beside the
/// requester's side (waiting on the requester, requests that needed a question first,
/// requests asked with less notice than the target), under the agreement in force.
#[utoipa::path(tag = "reports", params(ReportQuery), responses(
    (status = 200, body = Scorecard), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/reports/scorecard")]
pub async fn scorecard_report(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ReportQuery>,
) -> Result<web::Json<Scorecard>, ApiError> {
    actor.require_reports()?;
    let settings = state.settings.clone();
    let period = query.period(settings.org.timezone)?;
    let (config, now) = (state.config.clone(), state.clock.now());
    Ok(web::Json(
        state
            .run(move |c| {
                let current = config.current(c)?;
                let gap = (settings.reports.gap_team.as_str(), settings.reports.gap_baseline.as_str());
                scorecard::scorecard(c, period, &current.sla, gap, now)
            })
            .await?,
    ))
}

/// The ownership audit of a period as a ZIP: `audit.html` (self-contained, print-ready) and
/// the CSVs behind every number under `csv/` (what `changedesk audit` writes).
#[utoipa::path(tag = "reports", params(ReportQuery), responses(
    (status = 200, content_type = "application/zip", body = Vec<u8>), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[get("/reports/audit")]
pub async fn audit_pack(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    actor.require_reports()?;
    let period = query.period(state.settings.org.timezone)?;
    audit_zip(&state, period).await
}

/// The audit ZIP of `period`, as a download: the API's and the dashboard's.
pub async fn audit_zip(state: &AppState, period: Period) -> Result<HttpResponse, ApiError> {
    let (config, now) = (state.config.clone(), state.clock.now());
    let bytes = state
        .run(move |c| {
            let current = config.current(c)?;
            crate::read::audit::audit(c, &current, period, now)?.whole_zip()
        })
        .await?;
    let name = format!("attachment; filename=\"audit-{}-{}.zip\"", period.from, period.to);
    Ok(HttpResponse::Ok().content_type("application/zip").insert_header(("Content-Disposition", name)).body(bytes))
}

/// Replays a period under a proposed ownership map: per team, category and cell, the figures
/// as they were and as they would have been (the model: docs/metrics.md).
#[utoipa::path(tag = "reports", params(WhatIfQuery), responses(
    (status = 200, body = WhatIf), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/reports/whatif")]
pub async fn whatif_report(
    state: web::Data<AppState>,
    actor: Actor,
    request: actix_web::HttpRequest,
) -> Result<web::Json<WhatIf>, ApiError> {
    actor.require_reports()?;
    let query = WhatIfQuery::parse(request.query_string());
    Ok(web::Json(run_whatif(&state, query).await?))
}

/// The what-if report for a query: the API's and the page's.
pub async fn run_whatif(state: &AppState, query: WhatIfQuery) -> Result<WhatIf, ApiError> {
    let period = query.period(state.settings.org.timezone)?;
    let (config, now) = (state.config.clone(), state.clock.now());
    state
        .run(move |c| {
            let current = config.current(c)?;
            let moves = whatif::parse_moves(&query.moves, &current)?;
            let rules = whatif::parse_rules(&query.rules, &current)?;
            whatif::check_proposal(&moves, &rules)?;
            whatif::whatif(c, &current, period, &moves, &rules, now)
        })
        .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day, YYYY-MM-DD, in the organisation's timezone.
    #[param(value_type = String, format = Date)]
    pub from: Option<String>,
    /// Last day (inclusive), not before `from`.
    #[param(value_type = String, format = Date)]
    pub to: Option<String>,
    /// Only this team (a key of `GET /api/v1/teams`).
    #[param(pattern = r"^[a-z0-9_-]{0,40}$")]
    pub team: Option<String>,
}

impl ReportQuery {
    fn period(&self, tz: chrono_tz::Tz) -> Result<Period, ApiError> {
        let mut errors = FieldErrors::default();
        let mut date = |field: &str, v: &Option<String>| match v.as_deref().map(str::trim) {
            None | Some("") => {
                errors.add(field, "is required (YYYY-MM-DD)");
                None
            }
            Some(s) => errors.check(
                field,
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("'{s}' is not a date as YYYY-MM-DD")),
            ),
        };
        let (from, to) = (date("from", &self.from), date("to", &self.to));
        match (from, to) {
            (Some(from), Some(to)) if errors.is_empty() => Ok(Period::new(from, to, tz)?),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

async fn build(state: &AppState, actor: &Actor, query: &ReportQuery) -> Result<SlaReport, ApiError> {
    actor.require_reports()?;
    let settings = state.settings.clone();
    let period = query.period(settings.org.timezone)?;
    let team = query.team.clone().filter(|t| !t.is_empty());
    let now = state.clock.now();
    state
        .run(move |c| {
            if let Some(t) = &team {
                admin::check_team(c, t)?;
            }
            let gap = (settings.reports.gap_team.as_str(), settings.reports.gap_baseline.as_str());
            reports::sla_report(c, period, team.as_deref(), gap, now)
        })
        .await
}

/// Per team and category: volume, first response and resolution (median, p90), attainment,
/// breaches, backlog, routing misses; and the gap.
#[utoipa::path(tag = "reports", params(ReportQuery), responses(
    (status = 200, body = SlaReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/reports/sla")]
pub async fn sla_report(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ReportQuery>,
) -> Result<web::Json<SlaReport>, ApiError> {
    Ok(web::Json(build(&state, &actor, &query).await?))
}

/// The same report as CSV, one row per team and per category.
#[utoipa::path(tag = "reports", params(ReportQuery), responses(
    (status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[get("/reports/sla.csv")]
pub async fn sla_report_csv(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let report = build(&state, &actor, &query).await?;
    let name = format!("attachment; filename=\"sla-{}-{}.csv\"", report.from, report.to);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", name))
        .body(reports::to_csv(&report)?))
}

/// The weekly digest's data for an ISO week, e.g. 2026-W47.
#[utoipa::path(tag = "reports", params(("week" = String, Path,
        description = "ISO week from 1970-W01 to 9999-W52, e.g. 2026-W47; a week 53 of a year that has none is 404",
        pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-W(0[1-9]|[1-4][0-9]|5[0-3])$"),
        DigestQuery),
    responses((status = 200, body = Digest), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/digests/{week}")]
pub async fn show_digest(
    state: web::Data<AppState>,
    actor: Actor,
    week: web::Path<String>,
    query: web::Query<DigestQuery>,
) -> Result<web::Json<Digest>, ApiError> {
    actor.require_reports()?;
    let team = query.into_inner().team;
    let week = digest::IsoWeek::parse(&week).map_err(|e| match e {
        digest::WeekError::Malformed(e) => ApiError::validation("week", e),
        digest::WeekError::NoSuchWeek(e) => ApiError::NotFound(e),
    })?;
    let (settings, notifier, now) = (state.settings.clone(), state.notifier.clone(), state.clock.now());
    Ok(web::Json(
        state
            .run(move |c| {
                if let Some(team) = &team {
                    admin::check_team(c, team)?;
                }
                digest::build(c, &settings, &notifier, week, team.as_deref(), now)
            })
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DigestQuery {
    /// A team's digest (the one its leads get) instead of the organisation's.
    pub team: Option<String>,
}
