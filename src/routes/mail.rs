//! `/api/v1/mail`: the outbox as admins see it, retrying failed messages, and inbound mail
//! that was not used.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::service::mail::{self, MailView};
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(list_mail).service(retry_mail).service(rejected_mail);
}

/// Inbound mail that was not used (not a reply to changedesk's mail, an automatic mail, a sender
/// who may not comment, over the size limit ...), newest 500, with the reason (admins).
#[utoipa::path(tag = "mail", responses(
    (status = 200, body = Vec<crate::service::inbound::RejectedMail>), (status = 403, body = ErrorBody)))]
#[get("/mail/rejected")]
pub async fn rejected_mail(
    state: web::Data<AppState>,
    actor: Actor,
) -> Result<web::Json<Vec<crate::service::inbound::RejectedMail>>, ApiError> {
    Ok(web::Json(state.run(move |c| crate::service::inbound::rejected(c, &actor)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    /// pending, sending, sent or failed; all when absent.
    #[param(pattern = r"^(pending|sending|sent|failed)?$")]
    pub status: Option<String>,
}

/// The newest 500 outbox messages (admins).
#[utoipa::path(tag = "mail", params(MailQuery), responses(
    (status = 200, body = Vec<MailView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/mail")]
pub async fn list_mail(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<MailQuery>,
) -> Result<web::Json<Vec<MailView>>, ApiError> {
    let status = query.into_inner().status.filter(|s| !s.is_empty());
    Ok(web::Json(state.run(move |c| mail::list(c, &actor, status.as_deref())).await?))
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
    let now = state.clock.now();
    state.run(move |c| mail::retry(c, &actor, &id, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}
