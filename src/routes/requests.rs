//! `/api/v1/requests`: file, preview, read, list, and the workflow actions.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::domain::RequestInput;
use crate::domain::request::split_addresses;
use crate::error::{ApiError, ErrorBody};
use crate::read::list::{ListQuery, RequestPage};
use crate::read::preview;
use crate::read::views::{PreviewView, RequestDetail};
use crate::service::idempotency::IdempotencyKey;
use crate::service::intake::{Filed, Filing};
use crate::service::requests;
use crate::service::requests::{
    AssignInput, CommentInput, LinkInput, PriorityInput, ReassignInput, RequestPatch, StatusInput,
};
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    // Registered first: a multipart body (the fields and `file` parts) is read here; JSON goes
    // on to `create_request`, whose entry in the API document describes both.
    cfg.route("/requests", web::post().guard(super::upload::multipart()).to(create_request_with_files));
    cfg.service(create_request)
        .service(preview_request)
        .service(list_requests)
        .service(show_request)
        .service(change_status)
        .service(add_comment)
        .service(assign_request)
        .service(change_priority)
        .service(edit_request)
        .service(add_link)
        .service(remove_link)
        .service(reassign_request);
}

/// File a change request; it is routed to its owning team at once. With an `Idempotency-Key`,
/// a retry files nothing new: it is answered with the request the key filed (and
/// `Idempotent-Replayed: true`).
#[utoipa::path(tag = "requests",
    request_body(content((RequestInput = "application/json"), (RequestWithFiles = "multipart/form-data"))),
    params(("Idempotency-Key" = Option<String>, Header, max_length = 255, pattern = r"^[!-~]{1,255}$",
        description = "The caller's key for this filing (a UUID will do), kept 24 hours: a retry with the \
            same key and body is answered with the first filing's request, the same key with another body \
            is 422, and a retry while the first is in progress is 409.")),
    responses(
    (status = 201, body = RequestDetail, headers(("Location" = String), ("Idempotent-Replayed" = Option<String>))),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
    (status = 503, body = ErrorBody)))]
#[post("/requests")]
pub async fn create_request(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    body: web::Json<RequestInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let idempotency = match req.headers().get(IDEMPOTENCY_KEY) {
        None => None,
        Some(key) => Some(IdempotencyKey::new(key.to_str().unwrap_or("\u{0}"), &input)?),
    };
    let filing = Filing { actor, input, now: state.clock.now(), idempotency, files: Vec::new() };
    let Filed { detail, replayed } = state.intake.file(filing).await?;
    let mut answer = HttpResponse::Created();
    answer.insert_header((LOCATION, format!("/api/v1/requests/{}", detail.request.id)));
    if replayed {
        answer.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(answer.json(detail))
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// `POST /requests` as `multipart/form-data`: the request's fields as text parts, and its files.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RequestWithFiles {
    title: String,
    description: String,
    category: String,
    priority: Option<String>,
    page_url: Option<String>,
    desired_date: Option<String>,
    /// Colleagues to keep informed: addresses separated by commas, semicolons or spaces.
    watchers: Option<String>,
    /// Files filed with the request (repeat the part); typed by content, limits from `[attachments]`.
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    file: Option<Vec<Vec<u8>>>,
}

/// A filing with files: they are staged as they arrive and attached in the filing's
/// transaction; a refused filing keeps none.
async fn create_request_with_files(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let fields = ["title", "description", "category", "priority", "page_url", "desired_date", "watchers", "fields"];
    let upload = super::upload::receive(&state, &actor, &req, payload, &fields).await?;
    let text = |name: &str| upload.field(name).map(str::to_owned);
    // The type's fields as one JSON object, as in the JSON body.
    let type_fields = match upload.field("fields").map(serde_json::from_str::<serde_json::Map<_, _>>) {
        None => Ok(Default::default()),
        Some(Ok(map)) => Ok(map),
        Some(Err(_)) => Err(crate::domain::FieldErrors::single("fields", "must be a JSON object of the type's fields")),
    };
    let type_fields = match type_fields {
        Ok(map) => map,
        Err(errors) => {
            super::upload::discard(&state, upload.ids()).await;
            return Err(ApiError::Validation(errors));
        }
    };
    let input = RequestInput {
        title: text("title").unwrap_or_default(),
        description: text("description").unwrap_or_default(),
        category: text("category").unwrap_or_default(),
        priority: text("priority"),
        page_url: text("page_url"),
        desired_date: text("desired_date"),
        at: None,
        watchers: text("watchers").map(|w| split_addresses(&w)).unwrap_or_default(),
        fields: type_fields,
    };
    let ids = upload.ids();
    let idempotency = match req.headers().get(IDEMPOTENCY_KEY) {
        None => Ok(None),
        Some(key) => IdempotencyKey::new(key.to_str().unwrap_or("\u{0}"), &input).map(Some),
    };
    let filed = match idempotency {
        Ok(idempotency) => {
            let filing = Filing { actor, input, now: state.clock.now(), idempotency, files: ids.clone() };
            state.intake.file(filing).await.map_err(ApiError::from)
        }
        Err(e) => Err(e.into()),
    };
    let Filed { detail, replayed } = match filed {
        Ok(filed) if !filed.replayed => filed,
        other => {
            // Refused, or a retry answered with the first filing: these files are nobody's.
            super::upload::discard(&state, ids).await;
            other?
        }
    };
    let mut answer = HttpResponse::Created();
    answer.insert_header((LOCATION, format!("/api/v1/requests/{}", detail.request.id)));
    if replayed {
        answer.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(answer.json(detail))
}

/// Where a request would go and why, without creating it.
#[utoipa::path(tag = "requests", request_body = RequestInput, responses(
    (status = 200, body = PreviewView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/requests/preview")]
pub async fn preview_request(
    state: web::Data<AppState>,
    _actor: Actor,
    body: web::Json<RequestInput>,
) -> Result<web::Json<PreviewView>, ApiError> {
    let now = state.clock.now();
    let (config, notifier) = (state.config.clone(), state.notifier.clone());
    Ok(web::Json(state.run(move |c| preview::preview(c, &config, &notifier.eta, &body, now)).await?))
}

/// Requests, newest first, one page at a time. Requesters only ever see their own.
#[utoipa::path(tag = "requests", params(ListQuery), responses(
    (status = 200, body = RequestPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ListQuery>,
) -> Result<web::Json<RequestPage>, ApiError> {
    let now = state.clock.now();
    let filter = query.to_filter(&actor, now)?;
    let versions = state.sla_versions.clone();
    Ok(web::Json(state.run(move |c| crate::read::list::list(c, &versions, &filter, now)).await?))
}

/// One request with its history, oldest event first.
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key (CR-12)")),
    responses((status = 200, body = RequestDetail), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/requests/{id}")]
pub async fn show_request(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<RequestDetail>, ApiError> {
    let now = state.clock.now();
    Ok(web::Json(state.run(move |c| requests::show(c, &actor, &id, now)).await?))
}

/// Move a request along its lifecycle; a refused move answers 409 naming the allowed ones.
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key")),
    request_body = StatusInput, responses((status = 200, body = RequestDetail),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/status")]
pub async fn change_status(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<StatusInput>,
) -> Result<web::Json<RequestDetail>, ApiError> {
    let (now, notifier) = (state.clock.now(), state.notifier.clone());
    Ok(web::Json(state.run(move |c| requests::change_status(c, &actor, &notifier, &id, &body, now)).await?))
}

/// Comment (visible to the requester) or add an internal note (staff only).
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key")),
    request_body = CommentInput, responses((status = 200, body = RequestDetail),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/comments")]
pub async fn add_comment(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<CommentInput>,
) -> Result<web::Json<RequestDetail>, ApiError> {
    let (now, notifier) = (state.clock.now(), state.notifier.clone());
    Ok(web::Json(state.run(move |c| requests::comment(c, &actor, &notifier, &id, &body, now)).await?))
}

/// Assign to a member of the owning team, or unassign with null.
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key")),
    request_body = AssignInput, responses((status = 200, body = RequestDetail),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/assign")]
pub async fn assign_request(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<AssignInput>,
) -> Result<web::Json<RequestDetail>, ApiError> {
    let (now, notifier) = (state.clock.now(), state.notifier.clone());
    Ok(web::Json(state.run(move |c| requests::assign(c, &actor, &notifier, &id, &body, now)).await?))
}

/// Change the priority (the owning team's staff, while open): the clocks are measured again
/// from the request's creation against the new priority's targets.
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key")),
    request_body = PriorityInput, responses((status = 200, body = RequestDetail),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/priority")]
pub async fn change_priority(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<PriorityInput>,
) -> Result<web::Json<RequestDetail>, ApiError> {
    let now = state.clock.now();
    Ok(web::Json(state.run(move |c| requests::change_priority(c, &actor, &id, &body, now)).await?))
}

/// Edit a request: its title, details, category, priority or wanted-by date (the owning team's
/// staff while it is open; its requester until the team acknowledges it). Each edit is an
/// `edited` event with every field's value before and after. A category owned by another team
/// moves the request there and needs `reason` (a hand-over, counted as a routing correction);
/// a priority measures the clocks again from creation.
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key")),
    request_body = RequestPatch, responses((status = 200, body = RequestDetail),
    (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/requests/{id}")]
pub async fn edit_request(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<RequestPatch>,
) -> Result<web::Json<RequestDetail>, ApiError> {
    let (now, notifier, config) = (state.clock.now(), state.notifier.clone(), state.config.clone());
    Ok(web::Json(state.run(move |c| requests::edit(c, &actor, &notifier, &config, &id, &body, now)).await?))
}

/// Link the request to another (the owning team's staff): `duplicate_of` merges it into the
/// target (closed, its comments copied with their visibility, its requester and watchers made
/// watchers of the target and told by mail), `blocks`/`blocked_by`, `parent_of`/`child_of`.
/// The answer is the request, with `links` said from its side.
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key")),
    request_body = LinkInput, responses((status = 201, body = RequestDetail),
    (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/links")]
pub async fn add_link(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<LinkInput>,
) -> Result<HttpResponse, ApiError> {
    let (now, notifier) = (state.clock.now(), state.notifier.clone());
    let detail = state.run(move |c| requests::add_link(c, &actor, &notifier, &id, &body, now)).await?;
    Ok(HttpResponse::Created().json(detail))
}

/// Remove a link, said from this request's side (`blocked_by CR-7` on CR-8 removes
/// `CR-7 blocks CR-8`). A merged duplicate stays closed.
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key"),
    ("kind" = String, Path, description = "duplicate_of, duplicated_by, blocks, blocked_by, parent_of or child_of"),
    ("target" = String, Path, description = "The other request: UUID or key")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[delete("/requests/{id}/links/{kind}/{target}")]
pub async fn remove_link(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, kind, target) = path.into_inner();
    let now = state.clock.now();
    state.run(move |c| requests::remove_link(c, &actor, &id, &kind, &target, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// "Not ours": hand the request to another team with a reason (a routing correction).
#[utoipa::path(tag = "requests", params(("id" = String, Path, description = "UUID or key")),
    request_body = ReassignInput, responses((status = 200, body = RequestDetail),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/reassign")]
pub async fn reassign_request(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<ReassignInput>,
) -> Result<web::Json<RequestDetail>, ApiError> {
    let (now, notifier) = (state.clock.now(), state.notifier.clone());
    Ok(web::Json(state.run(move |c| requests::reassign(c, &actor, &notifier, &id, &body, now)).await?))
}
