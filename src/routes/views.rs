//! `/api/v1/views`: the caller's saved views (`service::views`).

use actix_web::{HttpResponse, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::service::views::{self, SavedView, ViewInput};
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(list_views).service(add_view).service(delete_view);
}

/// The caller's saved views, by name.
#[utoipa::path(tag = "views", responses((status = 200, body = Vec<SavedView>), (status = 401, body = ErrorBody)))]
#[get("/views")]
pub async fn list_views(state: web::Data<AppState>, actor: Actor) -> Result<web::Json<Vec<SavedView>>, ApiError> {
    Ok(web::Json(state.run(move |c| views::list(c, &actor)).await?))
}

/// Save a view: a name, the page (`/queues/{team}` or `/requests/mine`) and its filters.
#[utoipa::path(tag = "views", request_body = ViewInput, responses((status = 201, body = SavedView),
    (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/views")]
pub async fn add_view(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<ViewInput>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let saved = state.run(move |c| views::add(c, &actor, &body, now)).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Delete one of the caller's saved views.
#[utoipa::path(tag = "views", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/views/{id}")]
pub async fn delete_view(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.run(move |c| views::delete(c, &actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
