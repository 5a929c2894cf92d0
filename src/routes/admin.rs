//! Teams, the ownership map (categories), routing rules, tokens and the audit trail.
//! Everyone signed in may read the configuration; only admins change it.

use actix_web::{HttpResponse, delete, get, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::domain::request_type::RequestType;
use crate::domain::sla::WaitingReason;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::AdminBody;
use crate::service::admin::{
    self, CalendarsInput, CalendarsView, CategoriesInput, CategoriesView, RulesInput, RulesView, SlaPoliciesInput,
    SlaPoliciesView, TeamView,
};
use crate::service::audit::{self, AuditEntry};
use crate::service::request_types;
use crate::service::tokens::{self, TokenView};
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(list_teams)
        .service(put_teams)
        .service(list_categories)
        .service(put_categories)
        .service(list_routing_rules)
        .service(put_routing_rules)
        .service(list_calendars)
        .service(put_calendars)
        .service(list_sla_policies)
        .service(put_sla_policies)
        .service(list_request_types)
        .service(put_request_types)
        .service(list_waiting_reasons)
        .service(put_waiting_reasons)
        .service(list_audit)
        .service(list_tokens)
        .service(revoke_token);
}

#[utoipa::path(tag = "configuration", responses((status = 200, body = Vec<TeamView>), (status = 401, body = ErrorBody)))]
#[get("/teams")]
pub async fn list_teams(state: web::Data<AppState>, _actor: Actor) -> Result<web::Json<Vec<TeamView>>, ApiError> {
    Ok(web::Json(state.run(admin::teams).await?))
}

/// Replace the teams (admins). A team still in use cannot be removed (409).
#[utoipa::path(tag = "configuration", request_body = Vec<TeamView>, responses(
    (status = 200, body = Vec<TeamView>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[put("/teams")]
pub async fn put_teams(
    state: web::Data<AppState>,
    AdminBody { actor, body }: AdminBody<Vec<TeamView>>,
) -> Result<web::Json<Vec<TeamView>>, ApiError> {
    let now = state.clock.now();
    Ok(web::Json(state.run(move |c| admin::put_teams(c, &actor, &body, now)).await?))
}

/// The ownership map in force: category → owning team.
#[utoipa::path(tag = "configuration", responses((status = 200, body = CategoriesView), (status = 401, body = ErrorBody)))]
#[get("/categories")]
pub async fn list_categories(state: web::Data<AppState>, _actor: Actor) -> Result<web::Json<CategoriesView>, ApiError> {
    Ok(web::Json(state.run(|c| admin::current(c).map(admin::categories_view)).await?))
}

/// Replace the ownership map (admins); makes a new routing version.
#[utoipa::path(tag = "configuration", request_body = CategoriesInput, responses(
    (status = 200, body = CategoriesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/categories")]
pub async fn put_categories(
    state: web::Data<AppState>,
    AdminBody { actor, body }: AdminBody<CategoriesInput>,
) -> Result<web::Json<CategoriesView>, ApiError> {
    let (now, input) = (state.clock.now(), body);
    let changed = state.run(move |c| admin::put_categories(c, &actor, input, now)).await?;
    Ok(web::Json(admin::categories_view(changed)))
}

/// The routing rules in force, in the order they are tried.
#[utoipa::path(tag = "configuration", responses((status = 200, body = RulesView), (status = 401, body = ErrorBody)))]
#[get("/routing-rules")]
pub async fn list_routing_rules(state: web::Data<AppState>, _actor: Actor) -> Result<web::Json<RulesView>, ApiError> {
    Ok(web::Json(state.run(|c| admin::current(c).map(admin::rules_view)).await?))
}

/// Replace the routing rules (admins); makes a new routing version.
#[utoipa::path(tag = "configuration", request_body = RulesInput, responses(
    (status = 200, body = RulesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/routing-rules")]
pub async fn put_routing_rules(
    state: web::Data<AppState>,
    AdminBody { actor, body }: AdminBody<RulesInput>,
) -> Result<web::Json<RulesView>, ApiError> {
    let (now, input) = (state.clock.now(), body);
    let changed = state.run(move |c| admin::put_rules(c, &actor, input, now)).await?;
    Ok(web::Json(admin::rules_view(changed)))
}

/// The business calendars in force (opening hours, holidays, timezone).
#[utoipa::path(tag = "sla", responses((status = 200, body = CalendarsView), (status = 401, body = ErrorBody)))]
#[get("/calendars")]
pub async fn list_calendars(state: web::Data<AppState>, _actor: Actor) -> Result<web::Json<CalendarsView>, ApiError> {
    Ok(web::Json(state.run(|c| admin::current_sla(c).map(admin::calendars_view)).await?))
}

/// Replace the calendars (admins); makes a new SLA version. Existing requests keep theirs.
#[utoipa::path(tag = "sla", request_body = CalendarsInput, responses(
    (status = 200, body = CalendarsView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/calendars")]
pub async fn put_calendars(
    state: web::Data<AppState>,
    AdminBody { actor, body }: AdminBody<CalendarsInput>,
) -> Result<web::Json<CalendarsView>, ApiError> {
    let (now, input) = (state.clock.now(), body);
    let changed = state.run(move |c| admin::put_calendars(c, &actor, input, now)).await?;
    Ok(web::Json(admin::calendars_view(changed)))
}

/// The SLA targets per team and priority, and each team's calendar and escalation ladder.
#[utoipa::path(tag = "sla", responses((status = 200, body = SlaPoliciesView), (status = 401, body = ErrorBody)))]
#[get("/sla-policies")]
pub async fn list_sla_policies(
    state: web::Data<AppState>,
    _actor: Actor,
) -> Result<web::Json<SlaPoliciesView>, ApiError> {
    Ok(web::Json(state.run(|c| admin::current_sla(c).map(admin::sla_policies_view)).await?))
}

/// Replace the SLA policies (admins); makes a new SLA version. Existing requests keep theirs.
#[utoipa::path(tag = "sla", request_body = SlaPoliciesInput, responses(
    (status = 200, body = SlaPoliciesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/sla-policies")]
pub async fn put_sla_policies(
    state: web::Data<AppState>,
    AdminBody { actor, body }: AdminBody<SlaPoliciesInput>,
) -> Result<web::Json<SlaPoliciesView>, ApiError> {
    let (now, input) = (state.clock.now(), body);
    let changed = state.run(move |c| admin::put_sla_policies(c, &actor, input, now)).await?;
    Ok(web::Json(admin::sla_policies_view(changed)))
}

/// The request types in force: per category, the fields a request of that kind asks for.
#[utoipa::path(tag = "configuration", responses((status = 200, body = Vec<RequestType>), (status = 401, body = ErrorBody)))]
#[get("/request-types")]
pub async fn list_request_types(
    state: web::Data<AppState>,
    _actor: Actor,
) -> Result<web::Json<Vec<RequestType>>, ApiError> {
    Ok(web::Json(state.run(request_types::current).await?))
}

/// Replace the request types (admins): a new version. Requests filed before keep the fields
/// they were filed with.
#[utoipa::path(tag = "configuration", request_body = Vec<RequestType>, responses(
    (status = 200, body = Vec<RequestType>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/request-types")]
pub async fn put_request_types(
    state: web::Data<AppState>,
    AdminBody { actor, body }: AdminBody<Vec<RequestType>>,
) -> Result<web::Json<Vec<RequestType>>, ApiError> {
    let now = state.clock.now();
    Ok(web::Json(state.run(move |c| request_types::put(c, &actor, body, now)).await?))
}

/// What a request may wait on besides its requester: the reasons of the `waiting` status, each
/// saying whether it pauses the SLA clocks.
#[utoipa::path(tag = "sla", responses((status = 200, body = Vec<WaitingReason>), (status = 401, body = ErrorBody)))]
#[get("/waiting-reasons")]
pub async fn list_waiting_reasons(
    state: web::Data<AppState>,
    _actor: Actor,
) -> Result<web::Json<Vec<WaitingReason>>, ApiError> {
    Ok(web::Json(state.run(request_types::waiting_reasons).await?))
}

/// Replace the waiting reasons (admins): a new SLA version. A request already waiting keeps
/// what its move recorded (its reason, and whether it paused the clocks).
#[utoipa::path(tag = "sla", request_body = Vec<WaitingReason>, responses(
    (status = 200, body = Vec<WaitingReason>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/waiting-reasons")]
pub async fn put_waiting_reasons(
    state: web::Data<AppState>,
    AdminBody { actor, body }: AdminBody<Vec<WaitingReason>>,
) -> Result<web::Json<Vec<WaitingReason>>, ApiError> {
    let now = state.clock.now();
    Ok(web::Json(state.run(move |c| request_types::put_waiting_reasons(c, &actor, body, now)).await?))
}

/// The newest 200 configuration changes (admins).
#[utoipa::path(tag = "configuration", responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ErrorBody)))]
#[get("/audit")]
pub async fn list_audit(state: web::Data<AppState>, actor: Actor) -> Result<web::Json<Vec<AuditEntry>>, ApiError> {
    Ok(web::Json(state.run(move |c| audit::recent(c, &actor)).await?))
}

/// Your own API tokens, oldest first.
#[utoipa::path(tag = "auth", responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)))]
#[get("/tokens")]
pub async fn list_tokens(state: web::Data<AppState>, actor: Actor) -> Result<web::Json<Vec<TokenView>>, ApiError> {
    Ok(web::Json(state.run(move |c| tokens::mine(c, &actor)).await?))
}

/// Revoke an API token: your own, or anyone's as an admin.
#[utoipa::path(tag = "auth", params(("id" = String, Path)), responses(
    (status = 204, description = "revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    state.run(move |c| tokens::revoke(c, &actor, &id, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}
