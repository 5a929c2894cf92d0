//! `/api/v1/users`, `/api/v1/password-resets` and `/api/v1/security-log`: people invited by
//! mail and changed by admins, "forgot my password" for anyone, and the security log.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::domain::Role;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::AdminBody;
use crate::service::accounts::{self, UserPatch};
use crate::service::security_log::{self, SecurityLogPage};
use crate::service::users::{self, NewUser, UserSummary};
use crate::state::AppState;
use crate::web::session;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(invite_user)
        .service(update_user)
        .service(request_password_reset)
        .service(security_log_page)
        .service(security_log_csv);
}

/// Everyone with an account, by email (admins).
#[utoipa::path(tag = "people", responses((status = 200, body = Vec<UserSummary>), (status = 403, body = ErrorBody)))]
#[get("/users")]
pub async fn list_users(state: web::Data<AppState>, actor: Actor) -> Result<web::Json<Vec<UserSummary>>, ApiError> {
    Ok(web::Json(state.run(move |c| users::list_users(c, &actor)).await?))
}

/// A person to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// requester, agent, lead or admin.
    #[schema(pattern = r"^(requester|agent|lead|admin)$")]
    pub role: String,
    /// Team keys (agents and leads need at least one).
    #[serde(default)]
    pub teams: Vec<String>,
}

/// Add a person and mail them a link to choose their password (admins). The link works once,
/// for 72 hours; a person invited again gets a new link and the old one stops working.
#[utoipa::path(tag = "people", request_body = Invitation, responses(
    (status = 201, body = UserSummary), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/users")]
pub async fn invite_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    AdminBody { actor, body }: AdminBody<Invitation>,
) -> Result<HttpResponse, ApiError> {
    let role = Role::parse(&body.role).map_err(|e| ApiError::validation("role", e))?;
    let new = NewUser { email: body.email, name: body.name, role, teams: body.teams, password_hash: None };
    let (notifier, now, address) = (state.notifier.clone(), state.clock.now(), session::address_of(&state, &req));
    let summary = state
        .run(move |c| {
            let user = accounts::invite(c, &actor, &notifier, &new, address.as_deref(), now)?;
            users::summary(c, &user)
        })
        .await?;
    Ok(HttpResponse::Created().json(summary))
}

/// Change a person's name, role or teams (admins); what is absent stays.
#[utoipa::path(tag = "people", request_body = UserPatch,
    params(("email" = String, Path, description = "The person's email")),
    responses((status = 200, body = UserSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[patch("/users/{email}")]
pub async fn update_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    email: web::Path<String>,
    AdminBody { actor, body }: AdminBody<UserPatch>,
) -> Result<web::Json<UserSummary>, ApiError> {
    let (now, address) = (state.clock.now(), session::address_of(&state, &req));
    let changed = state.run(move |c| accounts::update_user(c, &actor, &email, &body, address.as_deref(), now)).await?;
    Ok(web::Json(changed))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(max_length = 254)]
    pub email: String,
}

/// "Forgot my password": when an active account has this email, mails it a link to choose a
/// new password (once, for 60 minutes). Always 202, whether or not there is such an account,
/// so nobody learns which emails have one.
#[utoipa::path(tag = "people", request_body = ResetRequest, security(()), responses(
    (status = 202, description = "accepted: a mail is on its way if the account exists"),
    (status = 503, body = ErrorBody)))]
#[post("/password-resets")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let (notifier, now, address) = (state.notifier.clone(), state.clock.now(), session::address_of(&state, &req));
    let email = body.into_inner().email;
    if email.chars().count() > 254 {
        return Err(ApiError::validation("email", "is longer than an email address can be (254 characters)"));
    }
    state.run(move |c| accounts::request_reset(c, &notifier, &email, address.as_deref(), now)).await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "status": "accepted" })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// `next_before` of the previous page: lines older than that one.
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// 1..1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// The security log, newest first, a page at a time (admins): sign-ins, failed sign-ins,
/// tokens, invitations, password resets and account changes.
#[utoipa::path(tag = "people", params(LogQuery), responses(
    (status = 200, body = SecurityLogPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/security-log")]
pub async fn security_log_page(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<LogQuery>,
) -> Result<web::Json<SecurityLogPage>, ApiError> {
    let (before, limit) = (query.before, query.limit.unwrap_or(security_log::DEFAULT_LIMIT));
    Ok(web::Json(state.run(move |c| security_log::page(c, &actor, before, limit)).await?))
}

/// The whole security log as CSV (admins).
#[utoipa::path(tag = "people", responses(
    (status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody)))]
#[get("/security-log.csv")]
pub async fn security_log_csv(state: web::Data<AppState>, actor: Actor) -> Result<HttpResponse, ApiError> {
    let csv = state.run(move |c| security_log::csv(c, &actor)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"security-log.csv\""))
        .body(csv))
}
