//! `/api/v1/agreements`: SLA versions as agreements between the teams, signed by their leads.

use actix_web::{get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::service::agreements::{self, Agreement};
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(current_agreement).service(show_agreement).service(sign_agreement);
}

/// The SLA version in force as an agreement: each team's targets and who accepted them.
#[utoipa::path(tag = "reports", responses((status = 200, body = Agreement), (status = 403, body = ErrorBody)))]
#[get("/agreements/current")]
pub async fn current_agreement(state: web::Data<AppState>, actor: Actor) -> Result<web::Json<Agreement>, ApiError> {
    actor.require_reports()?;
    Ok(web::Json(state.run(|c| agreements::agreement(c, None)).await?))
}

/// One SLA version as an agreement.
#[utoipa::path(tag = "reports", params(("version" = i32, Path, minimum = 1, description = "an SLA version")),
    responses((status = 200, body = Agreement), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/agreements/{version}")]
pub async fn show_agreement(
    state: web::Data<AppState>,
    actor: Actor,
    version: web::Path<i32>,
) -> Result<web::Json<Agreement>, ApiError> {
    actor.require_reports()?;
    let version = version.into_inner();
    Ok(web::Json(state.run(move |c| agreements::agreement(c, Some(version))).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInput {
    /// The team the lead signs for (one of theirs).
    #[schema(pattern = r"^[a-z0-9_-]{1,40}$")]
    pub team: String,
}

/// A lead accepts the SLA version in force for their team (once per team and version).
#[utoipa::path(tag = "reports", params(("version" = i32, Path, minimum = 1, description = "the SLA version in force")),
    request_body = SignInput, responses((status = 200, body = Agreement), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/agreements/{version}/signatures")]
pub async fn sign_agreement(
    state: web::Data<AppState>,
    actor: Actor,
    version: web::Path<i32>,
    body: web::Json<SignInput>,
) -> Result<web::Json<Agreement>, ApiError> {
    let (version, now) = (version.into_inner(), state.clock.now());
    Ok(web::Json(state.run(move |c| agreements::sign(c, &actor, version, &body.team, now)).await?))
}
