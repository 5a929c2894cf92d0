//! `/api/v1/teams/{team}/canned-replies`: a team's canned replies (`service::canned`).

use actix_web::{HttpResponse, delete, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::service::canned::{self, CannedInput, CannedReply};
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(list_canned).service(add_canned).service(replace_canned).service(delete_canned);
}

/// The team's canned replies, by name (its staff and admins).
#[utoipa::path(tag = "teams", params(("team" = String, Path, description = "Team key")),
    responses((status = 200, body = Vec<CannedReply>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/teams/{team}/canned-replies")]
pub async fn list_canned(
    state: web::Data<AppState>,
    actor: Actor,
    team: web::Path<String>,
) -> Result<web::Json<Vec<CannedReply>>, ApiError> {
    Ok(web::Json(state.run(move |c| canned::list(c, &actor, &team)).await?))
}

/// Add a canned reply (the team's lead, or an admin). `body` may name `{requester_name}`,
/// `{key}` and `{due}`; any other `{word}` is a 422.
#[utoipa::path(tag = "teams", params(("team" = String, Path, description = "Team key")),
    request_body = CannedInput, responses((status = 201, body = CannedReply), (status = 400, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/teams/{team}/canned-replies")]
pub async fn add_canned(
    state: web::Data<AppState>,
    actor: Actor,
    team: web::Path<String>,
    body: web::Json<CannedInput>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let saved = state.run(move |c| canned::save(c, &actor, &team, None, &body, now)).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Replace a canned reply's name and text (the team's lead, or an admin).
#[utoipa::path(tag = "teams", params(("team" = String, Path, description = "Team key"), ("id" = String, Path)),
    request_body = CannedInput, responses((status = 200, body = CannedReply), (status = 400, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[put("/teams/{team}/canned-replies/{id}")]
pub async fn replace_canned(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    body: web::Json<CannedInput>,
) -> Result<web::Json<CannedReply>, ApiError> {
    let (team, id) = path.into_inner();
    let now = state.clock.now();
    Ok(web::Json(state.run(move |c| canned::save(c, &actor, &team, Some(&id), &body, now)).await?))
}

/// Delete a canned reply (the team's lead, or an admin).
#[utoipa::path(tag = "teams", params(("team" = String, Path, description = "Team key"), ("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/teams/{team}/canned-replies/{id}")]
pub async fn delete_canned(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (team, id) = path.into_inner();
    let now = state.clock.now();
    state.run(move |c| canned::delete(c, &actor, &team, &id, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}
