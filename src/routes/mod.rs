//! HTTP: the `/api/v1` scope, health checks, JSON error handling and the OpenAPI document.
//! Handlers parse input, run one unit of work from `service` off the async workers, and answer.

pub mod admin;
pub mod agreements;
pub mod attachments;
pub mod canned;
pub mod extract;
pub mod health;
pub mod mail;
pub mod openapi;
pub mod reports;
pub mod requests;
pub mod upload;
pub mod users;
pub mod views;

use utoipa_actix_web::service_config::ServiceConfig;

/// Everything under `/api/v1`.
pub fn api(cfg: &mut ServiceConfig) {
    requests::config(cfg);
    attachments::config(cfg);
    canned::config(cfg);
    admin::config(cfg);
    mail::config(cfg);
    reports::config(cfg);
    agreements::config(cfg);
    users::config(cfg);
    views::config(cfg);
    cfg.service(openapi::openapi_json);
}
