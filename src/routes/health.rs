//! Liveness and readiness, outside the API's authentication.

use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection;

use crate::error::ApiError;
use crate::state::AppState;

/// The process is up.
#[utoipa::path(tag = "health", security(()), responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The database answers.
#[utoipa::path(tag = "health", security(()), responses(
    (status = 200, description = "database reachable"),
    (status = 503, description = "database unreachable", body = crate::error::ErrorBody)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .run(|conn| conn.batch_execute("SELECT 1").map_err(|e| crate::service::Error::Unavailable(e.to_string())))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}
