//! `/api/v1/mail`: the outbox as admins see it, and retrying failed messages.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::db::{self, OutboxRow, from_db};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(list_mail).service(retry_mail);
}

/// One outbox message, without its bodies.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailView {
    pub id: String,
    pub message_id: String,
    pub kind: String,
    /// Key-less: the request's UUID, if the message is about one.
    pub request_id: Option<String>,
    pub recipients: Vec<String>,
    pub subject: String,
    /// pending, sending, sent or failed.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<OutboxRow> for MailView {
    fn from(r: OutboxRow) -> Self {
        Self {
            recipients: serde_json::from_str(&r.recipients).unwrap_or_default(),
            next_attempt_at: from_db(r.next_attempt_at),
            created_at: from_db(r.created_at),
            sent_at: r.sent_at.map(from_db),
            id: r.id,
            message_id: r.message_id,
            kind: r.kind,
            request_id: r.request_id,
            subject: r.subject,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    /// pending, sending, sent or failed; all when absent.
    pub status: Option<String>,
}

pub const STATUSES: [&str; 4] = ["pending", "sending", "sent", "failed"];

/// The newest 500 outbox messages (admins).
#[utoipa::path(tag = "mail", params(MailQuery), responses(
    (status = 200, body = Vec<MailView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/mail")]
pub async fn list_mail(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<MailQuery>,
) -> Result<web::Json<Vec<MailView>>, ApiError> {
    actor.require_admin()?;
    let status = query.into_inner().status.filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::validation("status", format!("'{s}' is not one of {}", STATUSES.join(", "))));
    }
    let rows = state.run(move |c| Ok(db::list_mail(c, status.as_deref(), 500)?)).await?;
    Ok(web::Json(rows.into_iter().map(MailView::from).collect()))
}

/// Queue a failed message again, due now (admins).
#[utoipa::path(tag = "mail", params(("id" = String, Path)), responses(
    (status = 204, description = "queued again"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/mail/{id}/retry")]
pub async fn retry_mail(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    actor.require_admin()?;
    let now = db::to_db(state.clock.now());
    let retried = state.run(move |c| Ok(db::retry_mail(c, &id, now)?)).await?;
    if retried { Ok(HttpResponse::NoContent().finish()) } else { Err(ApiError::not_found("failed message")) }
}
