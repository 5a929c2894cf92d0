//! The requester's pages (the request form with its live routing preview, my requests) and
//! the request page, which shows requesters and staff what each may see and do.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::actions;
use super::conversation::{Entry, HistoryLine, activity_summary, conversation, history_line};
use super::session::SignedIn;
use super::{PageError, html, html_status, see_other, words};
use crate::domain::request::split_addresses;
use crate::domain::{FieldErrors, OwnershipMap, RequestInput, Status};
use crate::error::ApiError;
use crate::read::preview;
use crate::read::views::{PreviewView, RequestView};
use crate::routes::upload::multipart;
use crate::service::admin;
use crate::service::admin::TeamView;
use crate::service::attachments::AttachmentView;
use crate::service::idempotency::IdempotencyKey;
use crate::service::intake::Filing;
use crate::service::requests as workflow;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/requests/new", web::get().to(new_page))
        .route("/requests/new", web::post().guard(multipart()).to(file_with_files))
        .route("/requests/new", web::post().to(file))
        .route("/requests/preview", web::post().to(live_preview))
        .route("/requests/mine", web::get().to(super::mine::mine))
        .route("/requests/{key}", web::get().to(show))
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
    let map = state.run(move |conn| Ok(config.current(conn)?.map.clone())).await?;
    let form = RequestForm { idempotency_key: uuid::Uuid::now_v7().to_string(), ..RequestForm::default() };
    let max_file_bytes = state.settings.attachments.max_file_bytes;
    html(NewRequestPage { user, form, map, errors: FieldErrors::default(), preview: None, max_file_bytes })
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
    let map = state.run(move |conn| Ok(config.current(conn)?.map.clone())).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let max_file_bytes = state.settings.attachments.max_file_bytes;
    html_status(NewRequestPage { user, form, map, errors, preview, max_file_bytes }, status)
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

#[derive(Template)]
#[template(path = "pages/request.html", config = "config/askama.toml")]
struct RequestPageView {
    user: SignedIn,
    r: RequestView,
    conversation: Vec<Entry>,
    /// Whom the request may be assigned to: the owning team's members.
    members: Vec<crate::read::views::Person>,
    /// The user may work this request (staff of the owning team, or an admin).
    works: bool,
    /// Statuses the request may move to from where it is.
    moves: Vec<(&'static str, &'static str)>,
    teams: Vec<TeamView>,
    /// What the action that led here did, in words.
    notice: Option<String>,
    /// Why the action that led here was refused.
    refused: Option<String>,
    /// The files the user may read, oldest first.
    files: Vec<AttachmentView>,
    max_file_bytes: u64,
    /// Who follows the request by mail.
    watchers: Vec<String>,
    /// The categories in force (key, name), for the edit form.
    categories: Vec<(String, String)>,
    /// Links to other requests, from this one's side.
    links: Vec<crate::read::views::LinkView>,
    /// The team's canned replies, filled in for this request: (id, name, text).
    canned: Vec<(String, String, String)>,
    /// The canned reply asked for (`?reply=`), if any.
    reply: String,
}

impl RequestPageView {
    /// Why it went to its first team, the team named.
    fn routing_reason(&self) -> String {
        super::named_reason(&self.r.routing.reason, &self.teams)
    }

    /// Still being worked on: assigning, reprioritising and handing over are offered.
    fn is_open(&self) -> bool {
        crate::domain::Status::parse(&self.r.status).is_ok_and(|s| s.is_open())
    }

    fn team_name(&self) -> &str {
        super::team_name(&self.teams, &self.r.team)
    }

    fn is_requester(&self) -> bool {
        self.r.requester.email == self.user.actor.email
    }

    /// The owning team's staff while it is open, the requester while it is new (`service::requests::edit`).
    fn may_edit(&self) -> bool {
        let open = !matches!(self.r.status.as_str(), "closed" | "rejected");
        (self.works && open) || (self.is_requester() && self.r.status == "new")
    }

    /// The comment box's text: the canned reply asked for, filled in.
    fn draft(&self) -> &str {
        self.canned.iter().find(|(id, _, _)| *id == self.reply).map_or("", |(_, _, text)| text.as_str())
    }

    /// A link's kind in words: "Duplicate of", "Blocked by".
    fn link_words(&self, kind: &str) -> &'static str {
        match kind {
            "duplicate_of" => "Duplicate of",
            "duplicated_by" => "Has a duplicate",
            "blocks" => "Blocks",
            "blocked_by" => "Blocked by",
            "parent_of" => "Parent of",
            "child_of" => "Part of",
            _ => "Linked to",
        }
    }

    /// The person reading watches the request (and so may comment, as the requester's side).
    fn is_watcher(&self) -> bool {
        self.watchers.iter().any(|w| w.eq_ignore_ascii_case(&self.user.actor.email))
    }

    /// The requester and the owning team's staff add and remove watchers.
    fn may_change_watchers(&self) -> bool {
        self.is_requester() || self.works
    }

    fn waiting_on_requester(&self) -> bool {
        self.r.status == "waiting_on_requester"
    }

    fn summary(&self, updates: &[HistoryLine]) -> String {
        activity_summary(updates)
    }

    /// The files that came with the comment `event_id`.
    fn files_of(&self, event_id: &i64) -> Vec<&AttachmentView> {
        self.files.iter().filter(|f| f.event_id == Some(*event_id)).collect()
    }

    /// A raster image, shown as a thumbnail (never SVG or HTML).
    fn is_image(&self, f: &AttachmentView) -> bool {
        crate::domain::attachment::shows_inline(&f.content_type)
    }

    fn size(&self, bytes: &i64) -> String {
        words::bytes(*bytes)
    }

    fn file_limit(&self) -> String {
        words::bytes(self.max_file_bytes as i64)
    }
}

async fn show(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    done: web::Query<super::notices::Done>,
) -> Result<HttpResponse, PageError> {
    let (actor, now, config) = (user.actor.clone(), state.clock.now(), state.config.clone());
    let org_tz = state.settings.org.timezone;
    let (detail, teams, members, files) = state
        .run(move |conn| {
            let detail = workflow::show(conn, &actor, &key, now)?;
            let members = crate::service::users::members_of(conn, &detail.request.team)?;
            let files = crate::service::attachments::list(conn, &actor, &key)?;
            let watchers = crate::service::watchers::list(conn, &actor, &key)?;
            let map = &config.current(conn)?.map;
            let categories = map.categories.iter().map(|c| (c.key.clone(), c.name.clone())).collect();
            let canned = crate::service::canned::for_request(conn, &actor, &detail.request, org_tz)?;
            Ok((detail, admin::teams(conn)?, members, (files, watchers, categories, canned)))
        })
        .await?;
    let (files, watchers, categories, canned) = files;
    let staff = user.actor.role.is_staff();
    let works = user.actor.works_for(&detail.request.team);
    let moves = Status::parse(&detail.request.status)
        .map(|s| s.allowed_moves().iter().map(|m| (m.as_str(), words::status_for_staff(m.as_str()))).collect())
        .unwrap_or_default();
    let conversation = conversation(detail.events.iter().map(|e| history_line(e, staff, &teams)).collect());
    let notice = super::notices::notice(&done.done, &detail.request, &teams, &user.tz);
    let refused = Some(done.refused.trim().to_owned()).filter(|r| !r.is_empty());
    let links = detail.links;
    let r = detail.request;
    let max_file_bytes = state.settings.attachments.max_file_bytes;
    html(RequestPageView {
        user,
        r,
        conversation,
        members,
        works,
        moves,
        teams,
        notice,
        refused,
        files,
        max_file_bytes,
        watchers,
        categories,
        links,
        canned,
        reply: done.reply.clone(),
    })
}
