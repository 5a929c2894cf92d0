//! The request form with its live routing preview, and the routes of the request pages (the
//! request page itself is `web::request_page`, its forms' handlers `web::actions`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::actions;
use super::session::SignedIn;
use super::{PageError, html, html_status, see_other, words};
use crate::domain::request::split_addresses;
use crate::domain::{FieldErrors, OwnershipMap, RequestInput};
use crate::error::ApiError;
use crate::read::preview;
use crate::read::views::PreviewView;
use crate::routes::upload::multipart;
use crate::service::admin;
use crate::service::admin::TeamView;
use crate::service::idempotency::IdempotencyKey;
use crate::service::intake::Filing;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/requests/new", web::get().to(new_page))
        .route("/requests/new", web::post().guard(multipart()).to(file_with_files))
        .route("/requests/new", web::post().to(file))
        .route("/requests/preview", web::post().to(live_preview))
        .route("/requests/mine", web::get().to(super::mine::mine))
        .route("/requests/{key}", web::get().to(super::request_page::show))
        .route("/requests/{key}/comment", web::post().guard(multipart()).to(actions::comment_with_files))
        .route("/requests/{key}/comment", web::post().to(actions::comment))
        .route("/attachments/{id}", web::get().to(actions::download))
        .route("/requests/{key}/status", web::post().to(actions::change_status))
        .route("/requests/{key}/assign", web::post().to(actions::assign))
        .route("/requests/{key}/priority", web::post().to(actions::change_priority))
        .route("/requests/{key}/reassign", web::post().to(actions::reassign))
        .route("/requests/{key}/edit", web::post().to(actions::edit))
        .route("/requests/{key}/links", web::post().to(actions::add_link))
        .route("/requests/{key}/links/remove", web::post().to(actions::remove_link))
        .route("/requests/{key}/watchers", web::post().to(actions::add_watcher))
        .route("/requests/{key}/watchers/remove", web::post().to(actions::remove_watcher));
}

/// The request form's fields, as typed (kept when the form comes back with errors).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    page_url: String,
    #[serde(default)]
    desired_date: String,
    /// "preview" to see where it would go without filing it (the page without JavaScript).
    #[serde(default)]
    action: String,
    /// Made when the form is shown: sending the same form twice (a double click, a reload
    /// after a lost answer) files one request (`service::idempotency`).
    #[serde(default)]
    idempotency_key: String,
    /// Colleagues to keep informed: addresses separated by commas or spaces.
    #[serde(default)]
    watchers: String,
    /// The category's fields, sent as `field.{key}` (and nothing else the form does not name).
    #[serde(flatten)]
    type_fields: std::collections::BTreeMap<String, String>,
}

impl RequestForm {
    fn input(&self) -> RequestInput {
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        RequestInput {
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            priority: optional(&self.priority),
            page_url: optional(&self.page_url),
            desired_date: optional(&self.desired_date),
            at: None,
            watchers: split_addresses(&self.watchers),
            fields: crate::routes::upload::type_fields(self.type_fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        }
    }
}

/// Where the request would go and when to expect answers, in words.
#[derive(serde::Serialize)]
pub struct PreviewText {
    pub team: String,
    pub reason: String,
    /// e.g. "first response by" and the due time (RFC 3339, shown in local time by the script).
    pub first_response_due: Option<String>,
    pub first_response_target: Option<String>,
    pub resolution_target: Option<String>,
    /// What actually happened to this kind of request with that team lately, in words.
    pub eta: String,
    /// Said when the wanted-by date is earlier than nine in ten such requests took.
    pub too_soon: Option<String>,
}

impl PreviewText {
    fn new(view: &PreviewView, teams: &[TeamView], category: &str, wanted: Option<&str>, tz: &chrono_tz::Tz) -> Self {
        let team = teams.iter().find(|t| t.key == view.team).map_or_else(|| view.team.clone(), |t| t.name.clone());
        let sla = view.sla.as_ref();
        let wanted = wanted.and_then(|d| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
        let too_soon = match (wanted, view.usual_resolution_by) {
            (Some(date), Some(usual)) if date < usual.with_timezone(tz).date_naive() => Some(format!(
                "You want it by {date}, but nine in ten of these took until {} or later counted from now: say in the details why the date matters.",
                words::when(&usual, tz)
            )),
            _ => None,
        };
        Self {
            eta: view.eta.in_words(&team, category),
            too_soon,
            team,
            reason: super::named_reason(&view.routing.reason, teams),
            first_response_due: sla.and_then(|s| s.first_response_due).map(|t| t.to_rfc3339()),
            first_response_target: sla.map(|s| words::duration(&s.first_response_minutes, &s.calendar)),
            resolution_target: sla.map(|s| words::duration(&s.resolution_minutes, &s.calendar)),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/new_request.html", config = "config/askama.toml")]
struct NewRequestPage {
    user: SignedIn,
    form: RequestForm,
    map: OwnershipMap,
    /// Every category's fields; the chosen category's shown.
    type_fields: Vec<super::type_fields::Fieldset>,
    errors: FieldErrors,
    preview: Option<PreviewText>,
    max_file_bytes: u64,
}

impl NewRequestPage {
    fn file_limit(&self) -> String {
        words::bytes(self.max_file_bytes as i64)
    }
}

async fn new_page(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, PageError> {
    let config = state.config.clone();
    let current = state.run(move |conn| config.current(conn)).await?;
    let form = RequestForm { idempotency_key: uuid::Uuid::now_v7().to_string(), ..RequestForm::default() };
    let max_file_bytes = state.settings.attachments.max_file_bytes;
    let errors = FieldErrors::default();
    let type_fields = super::type_fields::fieldsets(&current.types, "", &Default::default(), &errors);
    let map = current.map.clone();
    html(NewRequestPage { user, form, map, type_fields, errors, preview: None, max_file_bytes })
}

/// Files the request (or, with `action=preview`, shows where it would go), then shows it.
async fn file(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<RequestForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    file_with(state, user, form.into_inner(), Vec::new()).await
}

/// The request form with files (`multipart/form-data`): the files are staged as they arrive
/// and attached in the filing's transaction. A preview, a refusal or a form that comes back
/// with problems keeps none of them (a browser cannot put them back in the form).
async fn file_with_files(
    state: web::Data<AppState>,
    user: SignedIn,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let fields = [
        "csrf",
        "title",
        "description",
        "category",
        "priority",
        "page_url",
        "desired_date",
        "action",
        "idempotency_key",
        "watchers",
        crate::routes::upload::TYPE_FIELDS,
    ];
    let upload = crate::routes::upload::receive(&state, &user.actor, &req, payload, &fields).await?;
    let field = |name: &str| upload.field(name).unwrap_or_default().to_owned();
    let form = RequestForm {
        csrf: field("csrf"),
        title: field("title"),
        description: field("description"),
        category: field("category"),
        priority: field("priority"),
        page_url: field("page_url"),
        desired_date: field("desired_date"),
        action: field("action"),
        idempotency_key: field("idempotency_key"),
        watchers: field("watchers"),
        type_fields: upload
            .type_fields()
            .into_iter()
            .map(|(k, v)| (format!("field.{k}"), crate::domain::request_type::shown(&v)))
            .collect(),
    };
    let ids = upload.ids();
    let checked = user.check_csrf(&form.csrf);
    if checked.is_err() || form.action == "preview" {
        crate::routes::upload::discard(&state, ids).await;
        checked?;
        return file_with(state, user, form, Vec::new()).await;
    }
    let answer = file_with(state.clone(), user, form, ids.clone()).await;
    // Filed: the files are the request's. Anything else: they are nobody's.
    if !answer.as_ref().is_ok_and(|r| r.status() == StatusCode::SEE_OTHER) {
        crate::routes::upload::discard(&state, ids).await;
    }
    answer
}

async fn file_with(
    state: web::Data<AppState>,
    user: SignedIn,
    form: RequestForm,
    files: Vec<String>,
) -> Result<HttpResponse, PageError> {
    let (input, actor, now) = (form.input(), user.actor.clone(), state.clock.now());
    let (preview, errors) = if form.action == "preview" {
        match preview_text(&state, input, now).await {
            Ok(preview) => (Some(preview), FieldErrors::default()),
            Err(ApiError::Validation(errors)) => (None, errors),
            Err(e) => return Err(e.into()),
        }
    } else {
        let key = Some(form.idempotency_key.as_str()).filter(|k| !k.is_empty());
        let filed = match key.map(|k| IdempotencyKey::new(k, &input)).transpose() {
            Ok(idempotency) => state.intake.file(Filing { actor, input, now, idempotency, files }).await,
            Err(e) => Err(e),
        };
        match filed.map_err(ApiError::from) {
            Ok(filed) => return Ok(see_other(&format!("/requests/{}?done=filed", filed.detail.request.key))),
            Err(ApiError::Validation(errors)) => (None, errors),
            Err(e) => return Err(e.into()),
        }
    };
    // Back to the form, as typed: with where it would go, or with its problems.
    let config = state.config.clone();
    let current = state.run(move |conn| config.current(conn)).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let max_file_bytes = state.settings.attachments.max_file_bytes;
    let values = super::type_fields::form_values(&form.type_fields);
    let type_fields = super::type_fields::fieldsets(&current.types, form.category.trim(), &values, &errors);
    let map = current.map.clone();
    html_status(NewRequestPage { user, form, map, type_fields, errors, preview, max_file_bytes }, status)
}

/// Where `input` would go, in words, in one unit of work.
async fn preview_text(state: &AppState, input: RequestInput, now: DateTime<Utc>) -> Result<PreviewText, ApiError> {
    let (config, notifier, tz) = (state.config.clone(), state.notifier.clone(), state.settings.org.timezone);
    state
        .run(move |conn| {
            let view = preview::preview(conn, &config, &notifier.eta, &input, now)?;
            let map = &config.current(conn)?.map;
            let category = map.category(&view.eta.category).map_or(view.eta.category.clone(), |c| c.name.clone());
            Ok(PreviewText::new(&view, &admin::teams(conn)?, &category, input.desired_date.as_deref(), &tz))
        })
        .await
}

/// The live preview behind the form's script: where the request would go and when to expect
/// a first response, as JSON (problems as the API's error body). Empty title and description
/// do not stop it: routing by category alone is still worth showing while the user types.
async fn live_preview(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<RequestForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let mut input = form.input();
    for text in [&mut input.title, &mut input.description] {
        if text.trim().is_empty() {
            *text = "-".into();
        }
    }
    match preview_text(&state, input, state.clock.now()).await {
        Ok(text) => Ok(HttpResponse::Ok().json(text)),
        Err(e @ ApiError::Validation(_)) => Ok(actix_web::ResponseError::error_response(&e)),
        Err(e) => Err(e.into()),
    }
}
