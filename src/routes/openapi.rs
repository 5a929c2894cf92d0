//! The OpenAPI 3 document, collected from the handlers' annotations by utoipa-actix-web.

use actix_web::{HttpResponse, get, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Base document; paths and schemas are added from the registered services.
#[derive(OpenApi)]
#[openapi(
    info(title = "changedesk API", description = "Website change requests between Marketing and IT."),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The finished document, serialized once when the app is built.
pub struct OpenApiJson(pub String);

/// This document.
#[utoipa::path(tag = "meta", security(()), responses((status = 200, description = "OpenAPI 3 document")))]
#[get("/openapi.json")]
pub async fn openapi_json(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(doc.0.clone())
}

/// Any text without a NUL character.
const NO_NUL: &str = r"^[^\x00]*$";

/// Adds to every operation the error answers the service gives everywhere, where its own
/// annotation does not list them already, so the document names every status the API can
/// answer (schemathesis checks it does): 401 wherever a token is required; 400 for any address
/// (a `%00` in it); 404 where the path names something; 422 where the query is validated; 400,
/// 413, 415 and 422 where a JSON body is read; 503 wherever the database is used. And it states
/// the rule of every text parameter that has no pattern of its own: no NUL character (`%00` in
/// an address is 400, `web::guard`).
pub fn complete_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    use utoipa::openapi::{Content, Ref, RefOr, Response};
    let error = |description: &str| -> RefOr<Response> {
        let body = Content::new(Some(Ref::from_schema_name("ErrorBody")));
        RefOr::T(Response::builder().description(description).content("application/json", body).build())
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            let public = serde_json::to_value(&op.security).is_ok_and(|s| s == serde_json::json!([{}]));
            let mut queried = false;
            for param in op.parameters.iter_mut().flatten() {
                let RefOr::T(param) = param else { continue };
                queried |= matches!(param.parameter_in, ParameterIn::Query | ParameterIn::Header);
                // A text, or a repeated one (`move=…&move=…`): each without NUL.
                let text = match &mut param.schema {
                    Some(RefOr::T(Schema::Object(text))) => Some(text),
                    Some(RefOr::T(Schema::Array(list))) => match &mut list.items {
                        ArrayItems::RefOrSchema(item) => match item.as_mut() {
                            RefOr::T(Schema::Object(text)) => Some(text),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(text) = text {
                    let is_text = matches!(text.schema_type, SchemaType::Type(Type::String));
                    if is_text && text.pattern.is_none() {
                        text.pattern = Some(NO_NUL.to_owned());
                    }
                }
            }
            let mut add = Vec::new();
            add.push(("400", "Bad request: a malformed body, or an address holding a NUL character."));
            if !public {
                add.push(("401", "No valid bearer token."));
                add.push(("503", "Unavailable: the database is out of reach or the write queue is full; retry."));
            }
            if path.contains('{') {
                add.push(("404", "Not found."));
            }
            if queried || op.request_body.is_some() {
                add.push(("422", "Invalid input, by field."));
            }
            if op.request_body.is_some() {
                add.push(("413", "The body is over the size limit."));
                add.push(("415", "The body is not JSON (Content-Type: application/json)."));
            }
            for (status, description) in add {
                op.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description));
            }
        }
    }
}
