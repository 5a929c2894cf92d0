//! Receiving files: a `multipart/form-data` body read part by part as it arrives. Each `file`
//! part is staged chunk by chunk (`service::attachments`, each chunk its own short transaction),
//! its type checked from its first chunk and its size as bytes arrive; other parts are kept as
//! text. Anything refused, or a body that breaks off, discards what was staged.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, web};
use futures_util::TryStreamExt;

use crate::auth::Actor;
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::service::attachments::{self, Staged};
use crate::state::AppState;

/// Longest text part, in bytes (a comment is at most 10,000 characters).
const TEXT_MAX: usize = 64 * 1024;

/// What an upload carried: its staged files, in order, and its text fields by name.
#[derive(Debug, Default)]
pub struct Upload {
    pub files: Vec<Staged>,
    pub fields: BTreeMap<String, String>,
}

impl Upload {
    pub fn ids(&self) -> Vec<String> {
        self.files.iter().map(|f| f.id.clone()).collect()
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The request type's fields a form sent as `field.{key}` parts.
    pub fn type_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        type_fields(self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// A form's name for a request type's field: `field.{key}`.
pub const TYPE_FIELD: &str = "field.";
/// In the list of a form's fields: any `field.{key}` is taken.
pub const TYPE_FIELDS: &str = "field.*";

/// `field.{key}` entries of a form as type field values (text; `domain::request_type` reads
/// yes/no from it). Empty values are left out.
pub fn type_fields<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> serde_json::Map<String, serde_json::Value> {
    pairs
        .filter_map(|(k, v)| Some((k.strip_prefix(TYPE_FIELD)?, v)))
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
        .collect()
}

/// Matches a `multipart/form-data` body.
pub fn multipart() -> impl actix_web::guard::Guard {
    actix_web::guard::fn_guard(|ctx| {
        ctx.head()
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
    })
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

/// Reads a multipart body as `actor`, whose text parts must be among `fields` (and `file`
/// parts must be files, with a name); on any refusal or break, nothing it staged remains.
pub async fn receive(
    state: &AppState,
    actor: &Actor,
    req: &HttpRequest,
    payload: web::Payload,
    fields: &[&str],
) -> Result<Upload, ApiError> {
    let is_multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType("send the files as multipart/form-data".into()));
    }
    let mut parts = Multipart::new(req.headers(), payload);
    let mut upload = Upload::default();
    match read(state, actor, &mut parts, &mut upload, fields).await {
        Ok(()) => Ok(upload),
        Err(e) => {
            discard(state, upload.ids()).await;
            Err(e)
        }
    }
}

/// Gives up on staged files: removes them now. It never fails the answer it is part of: what a
/// failure here leaves, the sweep of staged files removes.
pub async fn discard(state: &AppState, ids: Vec<String>) {
    if ids.is_empty() {
        return;
    }
    if let Err(gone) = state.run(move |conn| attachments::discard(conn, &ids)).await {
        log::warn!("staged files stay until the sweep: {gone}");
    }
}

async fn read(
    state: &AppState,
    actor: &Actor,
    parts: &mut Multipart,
    upload: &mut Upload,
    fields: &[&str],
) -> Result<(), ApiError> {
    let limits = state.settings.attachments.clone();
    let broken =
        |e: actix_multipart::MultipartError| ApiError::BadRequest(format!("the multipart body does not read: {e}"));
    let mut total: u64 = 0;
    while let Some(mut part) = parts.try_next().await.map_err(broken)? {
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        let type_field = name.starts_with(TYPE_FIELD) && fields.contains(&TYPE_FIELDS);
        if name != "file" && !fields.contains(&name.as_str()) && !type_field {
            return Err(ApiError::Validation(FieldErrors::single(name, "is not a field of this form")));
        }
        if name == "file" && file_name.is_none() {
            return Err(ApiError::Validation(FieldErrors::single("file", "must be a file (a part with a filename)")));
        }
        if name != "file" {
            let mut text = Vec::new();
            while let Some(bytes) = part.try_next().await.map_err(broken)? {
                text.extend_from_slice(&bytes);
                if text.len() > TEXT_MAX {
                    return Err(ApiError::PayloadTooLarge(format!("the field '{name}' is over {TEXT_MAX} bytes")));
                }
            }
            let text = String::from_utf8(text)
                .map_err(|_| ApiError::Validation(FieldErrors::single(name.clone(), "is not UTF-8 text")))?;
            upload.fields.insert(name, text);
            continue;
        }
        let file_name = file_name.unwrap_or_default();
        let (mut buffer, mut size, mut seq) = (Vec::new(), 0u64, 0i32);
        let mut staged: Option<String> = None;
        loop {
            let next = part.try_next().await.map_err(broken)?;
            if let Some(bytes) = &next {
                size += bytes.len() as u64;
                total += bytes.len() as u64;
                if size > limits.max_file_bytes {
                    return Err(ApiError::PayloadTooLarge(format!(
                        "'{file_name}' is over the limit of {} a file",
                        mib(limits.max_file_bytes)
                    )));
                }
                if total > limits.max_upload_bytes {
                    return Err(ApiError::PayloadTooLarge(format!(
                        "these files are over the limit of {} at once",
                        mib(limits.max_upload_bytes)
                    )));
                }
                buffer.extend_from_slice(bytes);
            }
            let end = next.is_none();
            // Store whole chunks as they fill, and what is left at the end.
            while buffer.len() >= limits.chunk_bytes || (end && !buffer.is_empty()) {
                let piece: Vec<u8> = buffer.drain(..buffer.len().min(limits.chunk_bytes)).collect();
                match &staged {
                    None => {
                        if upload.files.len() >= limits.max_files {
                            return Err(ApiError::Validation(attachments::too_many(&limits)));
                        }
                        let (actor, limits, name, now) =
                            (actor.clone(), limits.clone(), file_name.clone(), state.clock.now());
                        let file =
                            state.run(move |c| attachments::stage(c, &actor, &limits, &name, &piece, now)).await?;
                        staged = Some(file.id.clone());
                        upload.files.push(file);
                    }
                    Some(id) => {
                        seq += 1;
                        let id = id.clone();
                        state.run(move |c| attachments::append(c, &id, seq, &piece)).await?;
                    }
                }
            }
            if end {
                break;
            }
        }
        // An empty part (a form's file input left empty) stages nothing.
    }
    Ok(())
}
