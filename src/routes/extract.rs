//! Extractor settings that turn bad bodies and queries into the JSON error body:
//! 400 malformed JSON, 413 too large, 415 not JSON, 422 wrong fields.

use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::{HttpRequest, web};

use crate::domain::FieldErrors;
use crate::error::ApiError;

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(json_error)
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { length, limit } => {
            ApiError::PayloadTooLarge(format!("body of {length} bytes is over the limit of {limit}"))
        }
        JsonPayloadError::Overflow { limit } => {
            ApiError::PayloadTooLarge(format!("body is over the limit of {limit} bytes"))
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::Validation(field_of(&e.to_string())),
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!("malformed JSON: {e}")),
        other => ApiError::BadRequest(format!("unreadable body: {other}")),
    };
    api.into()
}

/// serde names the field for missing and unknown fields; other errors go under `$`, the
/// JSON document itself (serde_json does not report the path of a wrong type).
fn field_of(message: &str) -> FieldErrors {
    let quoted = message.split('`').nth(1);
    match quoted {
        Some(field) if message.starts_with("missing field") => FieldErrors::single(field, "is required"),
        Some(field) if message.starts_with("unknown field") => FieldErrors::single(field, "is not a known field"),
        _ => FieldErrors::single("$", message),
    }
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::Validation(FieldErrors::single("query", err.to_string())).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| ApiError::NotFound(format!("no such resource: {err}")).into())
}

/// Unknown routes answer with the JSON error body too.
/// Unknown routes: the JSON error body under `/api/`, an HTML page elsewhere (people type
/// addresses of pages, programs those of the API).
pub async fn not_found(req: HttpRequest) -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    let error = ApiError::NotFound(format!("no page or route for {} {}", req.method(), req.path()));
    if req.path().starts_with("/api/") {
        error.error_response()
    } else {
        crate::web::PageError::Api(error).error_response()
    }
}
