//! `/api/v1/requests/{id}/attachments` and `/api/v1/attachments/{id}`: files on requests; and
//! `/api/v1/requests/{id}/watchers`: who follows them.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use futures_util::stream;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::upload::{self, Upload};
use crate::auth::Actor;
use crate::domain::attachment::shows_inline;
use crate::error::{ApiError, ErrorBody};
use crate::service::attachments::{self, AttachmentView};
use crate::service::requests::{self, CommentInput};
use crate::service::watchers;
use crate::state::AppState;

pub fn config(cfg: &mut ServiceConfig) {
    cfg.service(add_attachments)
        .service(list_attachments)
        .service(download)
        .service(list_watchers)
        .service(add_watcher)
        .service(remove_watcher);
}

/// The body of `POST /requests/{id}/watchers`.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatcherInput {
    /// The colleague's address (need not be a changedesk user).
    #[schema(max_length = 254)]
    pub email: String,
}

/// Who follows the request: their addresses.
#[utoipa::path(tag = "watchers", params(("id" = String, Path, description = "UUID or key")),
    responses((status = 200, body = Vec<String>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/requests/{id}/watchers")]
pub async fn list_watchers(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<Vec<String>>, ApiError> {
    Ok(web::Json(state.run(move |c| watchers::list(c, &actor, &id)).await?))
}

/// Add a watcher: they get the request's public updates by mail (the requester or the owning
/// team's staff). Answers the watchers as they now are.
#[utoipa::path(tag = "watchers", params(("id" = String, Path, description = "UUID or key")),
    request_body = WatcherInput, responses((status = 200, body = Vec<String>), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/watchers")]
pub async fn add_watcher(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<WatcherInput>,
) -> Result<web::Json<Vec<String>>, ApiError> {
    let now = state.clock.now();
    Ok(web::Json(state.run(move |c| watchers::add(c, &actor, &id, &body.email, now)).await?))
}

/// Remove a watcher (the requester, the owning team's staff, or the watcher themselves).
#[utoipa::path(tag = "watchers", params(("id" = String, Path, description = "UUID or key"),
    ("email" = String, Path, description = "The watcher's address")),
    responses((status = 204, description = "removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/requests/{id}/watchers/{email}")]
pub async fn remove_watcher(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, email) = path.into_inner();
    let now = state.clock.now();
    state.run(move |c| watchers::remove(c, &actor, &id, &email, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The body of `POST /requests/{id}/attachments`.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AttachmentUpload {
    /// One or more files (repeat the part).
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
    /// Files them with this comment (else they are added on their own).
    comment: Option<String>,
    /// With `comment`: an internal note, whose files only staff see.
    internal: Option<bool>,
}

/// Add files to a request: on their own, or with a comment (`comment`, and `internal` for an
/// internal note). Types are checked by content; limits from `[attachments]`.
#[utoipa::path(tag = "attachments", params(("id" = String, Path, description = "UUID or key")),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = Vec<AttachmentView>), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
    (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/attachments")]
pub async fn add_attachments(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let upload = upload::receive(&state, &actor, &req, payload, &["comment", "internal"]).await?;
    let added = attach(&state, &actor, &id, upload).await?;
    Ok(HttpResponse::Created().json(added))
}

/// Attaches what an upload staged (with its comment, if it has one); discards it if refused.
pub async fn attach(
    state: &AppState,
    actor: &Actor,
    id: &str,
    upload: Upload,
) -> Result<Vec<AttachmentView>, ApiError> {
    let ids = upload.ids();
    if ids.is_empty() {
        return Err(ApiError::validation("file", "choose at least one file"));
    }
    let comment = upload.field("comment").map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
    let internal = match upload.field("internal") {
        None | Some("false" | "0") => false,
        Some("true" | "1" | "on") => true,
        Some(_) => {
            upload::discard(state, ids).await;
            return Err(ApiError::validation("internal", "must be true or false"));
        }
    };
    let (actor, notifier, now, key, files) =
        (actor.clone(), state.notifier.clone(), state.clock.now(), id.to_owned(), upload.files);
    let staged = ids.clone();
    let result = state
        .run(move |c| match comment {
            Some(body) => {
                requests::comment_with_files(c, &actor, &notifier, &key, &CommentInput { body, internal }, &ids, now)?;
                Ok(attachments::list(c, &actor, &key)?.into_iter().filter(|a| ids.contains(&a.id)).collect())
            }
            None => attachments::add_to_request(c, &actor, &key, &files, now),
        })
        .await;
    if result.is_err() {
        upload::discard(state, staged).await;
    }
    result
}

/// A request's files that the caller may read (internal notes' files for staff only).
#[utoipa::path(tag = "attachments", params(("id" = String, Path, description = "UUID or key")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/requests/{id}/attachments")]
pub async fn list_attachments(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<Vec<AttachmentView>>, ApiError> {
    Ok(web::Json(state.run(move |c| attachments::list(c, &actor, &id)).await?))
}

/// Download a file: streamed, as an attachment (raster images inline), never sniffed or run by
/// the browser.
#[utoipa::path(tag = "attachments", params(("id" = String, Path, description = "The attachment's id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
    (status = 404, body = ErrorBody)))]
#[get("/attachments/{id}")]
pub async fn download(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    stream_file(state.into_inner(), actor, id.into_inner()).await
}

/// The file `id` as `actor` may read it, streamed chunk by chunk from the database: never a
/// whole file in memory.
pub async fn stream_file(state: std::sync::Arc<AppState>, actor: Actor, id: String) -> Result<HttpResponse, ApiError> {
    let wanted = id.clone();
    let file = state.run(move |c| attachments::open(c, &actor, &wanted)).await?;
    let disposition = ContentDisposition {
        disposition: if shows_inline(&file.content_type) {
            DispositionType::Inline
        } else {
            DispositionType::Attachment
        },
        parameters: vec![DispositionParam::Filename(file.name.clone())],
    };
    let chunks = stream::unfold((state, id, 0i32), |(state, id, seq)| async move {
        let wanted = id.clone();
        match state.run(move |c| attachments::chunk(c, &wanted, seq)).await {
            Ok(Some(bytes)) => Some((Ok(web::Bytes::from(bytes)), (state, id, seq + 1))),
            Ok(None) => None,
            Err(e) => Some((Err(actix_web::Error::from(e)), (state, id, i32::MAX))),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(file.content_type.as_str())
        .insert_header((header::CONTENT_LENGTH, file.size))
        .insert_header(disposition)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .streaming(chunks))
}
