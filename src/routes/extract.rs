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

/// The API's paths (as the OpenAPI document writes them, `{name}` for a segment) and their
/// methods, read from the document once at start-up: a known path asked with another method is
/// 405 with `Allow`, not 404.
#[derive(Debug, Default)]
pub struct KnownRoutes(Vec<(Vec<String>, Vec<&'static str>)>);

impl KnownRoutes {
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc.paths.paths.iter().map(|(path, item)| {
            let segments = path.split('/').map(str::to_owned).collect();
            let ops = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ];
            (segments, ops.iter().filter(|(_, op)| op.is_some()).map(|(m, _)| *m).collect())
        });
        Self(routes.collect())
    }

    /// The methods `path` answers, if it is a known path: a path written out in full (such as
    /// `/api/v1/requests/preview`) before one that only fits a template (`/api/v1/requests/{id}`).
    fn allowed(&self, path: &str) -> Option<String> {
        let asked: Vec<&str> = path.split('/').collect();
        let fits = |known: &[String], templates: bool| {
            known.len() == asked.len()
                && known.iter().zip(&asked).all(|(k, a)| (templates && k.starts_with('{') && !a.is_empty()) || k == a)
        };
        let literal = self.0.iter().any(|(k, _)| fits(k, false));
        let matching = self.0.iter().filter(|(k, _)| fits(k, !literal));
        let mut methods: Vec<&str> = matching.flat_map(|(_, m)| m.iter().copied()).collect();
        methods.sort_unstable();
        methods.dedup();
        (!methods.is_empty()).then(|| methods.join(", "))
    }
}

/// Unknown routes: the JSON error body under `/api/`, an HTML page elsewhere (people type
/// addresses of pages, programs those of the API).
pub async fn not_found(req: HttpRequest, known: web::Data<KnownRoutes>) -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    let method = req.method().to_string();
    let error = match known.allowed(req.path()) {
        // A method the path answers, yet no route took it (a segment its handler refused).
        Some(allow) if !allow.split(", ").any(|m| m == method) => ApiError::MethodNotAllowed { method, allow },
        _ => ApiError::NotFound(format!("no page or route for {} {}", req.method(), req.path())),
    };
    // A wrong method is a program's mistake, whatever the path: the JSON answer, with `Allow`.
    if req.path().starts_with("/api/") || matches!(error, ApiError::MethodNotAllowed { .. }) {
        error.error_response()
    } else {
        crate::web::PageError::Api(error).error_response()
    }
}

/// A JSON body sent by an admin. The caller is checked first and the body read only then, so
/// anyone else hears 401 or 403 whatever they sent, never a 400 or 422 about a body they may
/// not send. (Extractors side by side are polled together: with `Actor` and `Json` as two
/// arguments, a malformed body could be refused before the caller was.)
pub struct AdminBody<T> {
    pub actor: crate::auth::Actor,
    pub body: T,
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for AdminBody<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let actor = crate::auth::Actor::from_request(req, &mut actix_web::dev::Payload::None);
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let actor = actor.await?;
            actor.require_admin().map_err(ApiError::from)?;
            let body = web::Json::<T>::from_request(&req, &mut payload).await?.into_inner();
            Ok(Self { actor, body })
        })
    }
}
