//! Admin pages: the ownership map and routing rules (with a "try this text" box), calendars
//! and SLA policies, users and teams, and failed mail. Structured settings are edited as the
//! same JSON documents the API takes, checked by the same code, with problems listed by field;
//! each saved change is a new version, audited.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::session::SignedIn;
use super::{PageError, html, see_other};
use crate::auth::{Actor, hash_password};
use crate::db::{self, AnyConnection, OutboxRow, UserRow};
use crate::domain::{FieldErrors, OwnershipMap, RoutingDecision};
use crate::error::ApiError;
use crate::service::admin::{self, TeamView};
use crate::service::users::{self, NewUser};
use crate::startup::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(overview))
        .route("/admin/routing", web::get().to(routing))
        .route("/admin/routing/{part}", web::post().to(save_routing))
        .route("/admin/sla", web::get().to(sla))
        .route("/admin/sla/{part}", web::post().to(save_sla))
        .route("/admin/people", web::get().to(people))
        .route("/admin/people/users", web::post().to(add_user))
        .route("/admin/people/users/active", web::post().to(set_active))
        .route("/admin/people/users/password", web::post().to(set_password))
        .route("/admin/people/teams", web::post().to(save_teams))
        .route("/admin/mail", web::get().to(mail))
        .route("/admin/mail/{id}/retry", web::post().to(retry_mail));
}

fn admin_only(user: &SignedIn) -> Result<(), PageError> {
    Ok(user.actor.require_admin()?)
}

fn pretty(value: &impl serde::Serialize) -> Result<String, PageError> {
    serde_json::to_string_pretty(value).map_err(|e| PageError::Api(ApiError::Internal(e.into())))
}

#[derive(Template)]
#[template(path = "pages/admin.html", config = "config/askama.toml")]
struct OverviewPage {
    user: SignedIn,
}

async fn overview(user: SignedIn) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    html(OverviewPage { user })
}

/// A JSON document being edited: its text, and the problems found in it by field.
pub struct Editor {
    pub name: &'static str,
    pub label: &'static str,
    pub text: String,
    pub errors: FieldErrors,
}

impl Editor {
    fn new(name: &'static str, label: &'static str, text: String) -> Self {
        Self { name, label, text, errors: FieldErrors::default() }
    }

    /// Puts a refused document, with its problems, in place of the editor of the same name.
    fn replace_in(self, editors: &mut [Editor]) {
        if let Some(editor) = editors.iter_mut().find(|e| e.name == self.name) {
            editor.text = self.text;
            editor.errors = self.errors;
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TryText {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    page_url: String,
}

#[derive(Template)]
#[template(path = "pages/admin_routing.html", config = "config/askama.toml")]
struct RoutingPage {
    user: SignedIn,
    version: i32,
    map: OwnershipMap,
    editors: Vec<Editor>,
    tried: TryText,
    decision: Option<RoutingDecision>,
    saved: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

async fn routing_page(
    state: &AppState,
    user: SignedIn,
    tried: TryText,
    failed: Option<Editor>,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let current = state.run(admin::current).await?;
    // The documents the API's PUTs take (the views' `version` is not part of them).
    let categories = pretty(&serde_json::json!({
        "fallback_team": current.map.fallback_team, "categories": current.map.categories,
    }))?;
    let rules = pretty(&serde_json::json!({ "rules": current.map.rules }))?;
    let mut editors = vec![
        Editor::new("categories", "Ownership map (fallback team and categories)", categories),
        Editor::new("rules", "Routing rules (tried in order; the first match decides)", rules),
    ];
    if let Some(failed) = failed {
        failed.replace_in(&mut editors);
    }
    let decision = (!tried.category.trim().is_empty()).then(|| {
        let url = Some(tried.page_url.trim()).filter(|u| !u.is_empty());
        current.map.route(tried.category.trim(), &tried.title, &tried.description, url)
    });
    let page = RoutingPage { user, version: current.version, map: current.map, editors, tried, decision, saved };
    let status_code = if page.editors.iter().any(|e| !e.errors.is_empty()) { 422 } else { 200 };
    let mut response = html(page)?;
    if status_code == 422 {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn routing(
    state: web::Data<AppState>,
    user: SignedIn,
    tried: web::Query<TryText>,
    saved: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    routing_page(&state, user, tried.into_inner(), None, saved.saved.is_some()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DocumentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document: String,
}

/// Parses an edited document; a JSON error is reported on the `document` field with its line.
fn parse_document<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, FieldErrors> {
    serde_json::from_str(text).map_err(|e| FieldErrors::single("document", format!("line {}: {e}", e.line())))
}

/// Parses an edited document and applies it in one unit of work as the signed-in admin; a
/// problem with either comes back as field errors.
async fn apply_document<T: serde::de::DeserializeOwned + Send + 'static>(
    state: &AppState,
    user: &SignedIn,
    text: &str,
    apply: impl FnOnce(&mut AnyConnection, &Actor, DateTime<Utc>, T) -> Result<(), ApiError> + Send + 'static,
) -> Result<(), ApiError> {
    let input = parse_document::<T>(text).map_err(ApiError::Validation)?;
    let (actor, now) = (user.actor.clone(), state.clock.now());
    state.run(move |c| apply(c, &actor, now, input)).await
}

async fn save_routing(
    state: web::Data<AppState>,
    user: SignedIn,
    part: web::Path<String>,
    form: web::Form<DocumentForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let text = form.document.clone();
    let result = match part.as_str() {
        "categories" => {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_categories(c, a, input, now).map(drop))
                .await
        }
        "rules" => {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_rules(c, a, input, now).map(drop)).await
        }
        other => return Err(ApiError::not_found(format!("settings '{other}'")).into()),
    };
    let name = if part.as_str() == "rules" { "rules" } else { "categories" };
    match result {
        Ok(()) => Ok(see_other("/admin/routing?saved=1")),
        Err(ApiError::Validation(errors)) => {
            let failed = Editor { name, label: "", text, errors };
            routing_page(&state, user, TryText::default(), Some(failed), false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/admin_sla.html", config = "config/askama.toml")]
struct SlaPage {
    user: SignedIn,
    version: i32,
    config: crate::domain::sla::SlaConfig,
    editors: Vec<Editor>,
    saved: bool,
}

async fn sla_page(
    state: &AppState,
    user: SignedIn,
    failed: Option<Editor>,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let current = state.run(admin::current_sla).await?;
    let calendars = pretty(&serde_json::json!({ "calendars": current.config.calendars }))?;
    let policies = pretty(&serde_json::json!({ "policies": current.config.policies, "teams": current.config.teams }))?;
    let mut editors = vec![
        Editor::new("calendars", "Business calendars", calendars),
        Editor::new("policies", "SLA policies and escalation ladders", policies),
    ];
    let failing = failed.is_some();
    if let Some(failed) = failed {
        failed.replace_in(&mut editors);
    }
    let mut response = html(SlaPage { user, version: current.version, config: current.config, editors, saved })?;
    if failing {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn sla(state: web::Data<AppState>, user: SignedIn, saved: web::Query<Saved>) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    sla_page(&state, user, None, saved.saved.is_some()).await
}

async fn save_sla(
    state: web::Data<AppState>,
    user: SignedIn,
    part: web::Path<String>,
    form: web::Form<DocumentForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let text = form.document.clone();
    let result = match part.as_str() {
        "calendars" => {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_calendars(c, a, input, now).map(drop))
                .await
        }
        "policies" => {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_sla_policies(c, a, input, now).map(drop))
                .await
        }
        other => return Err(ApiError::not_found(format!("settings '{other}'")).into()),
    };
    let name = if part.as_str() == "calendars" { "calendars" } else { "policies" };
    match result {
        Ok(()) => Ok(see_other("/admin/sla?saved=1")),
        Err(ApiError::Validation(errors)) => {
            sla_page(&state, user, Some(Editor { name, label: "", text, errors }), false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/admin_people.html", config = "config/askama.toml")]
struct PeoplePage {
    user: SignedIn,
    users: Vec<(UserRow, Vec<String>)>,
    teams: Editor,
    team_keys: Vec<String>,
    new_user: NewUserForm,
    user_errors: FieldErrors,
    saved: bool,
}

impl PeoplePage {
    fn user_error(&self, field: &str) -> Option<&str> {
        self.user_errors.0.get(field).map(String::as_str)
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    /// Comma-separated team keys.
    #[serde(default)]
    teams: String,
    /// Empty: the user signs in only once an admin sets a password (or uses API tokens).
    #[serde(default)]
    password: String,
}

async fn people_page(
    state: &AppState,
    user: SignedIn,
    new_user: NewUserForm,
    user_errors: FieldErrors,
    teams_failed: Option<Editor>,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let (users, teams) = state.run(|c| Ok((db::list_users(c)?, admin::teams(c)?))).await?;
    let team_keys = teams.iter().map(|t| t.key.clone()).collect();
    let failing = teams_failed.is_some() || !user_errors.is_empty();
    let teams = match teams_failed {
        Some(failed) => failed,
        None => Editor::new("teams", "Teams", pretty(&teams)?),
    };
    let mut response = html(PeoplePage { user, users, teams, team_keys, new_user, user_errors, saved })?;
    if failing {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn people(
    state: web::Data<AppState>,
    user: SignedIn,
    saved: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    let form = NewUserForm { role: "requester".into(), ..NewUserForm::default() };
    people_page(&state, user, form, FieldErrors::default(), None, saved.saved.is_some()).await
}

async fn add_user(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let role = errors.check("role", crate::domain::Role::parse(&form.role).map_err(|e| e.to_string()));
    let password_hash = match form.password.as_str() {
        "" => None,
        p => errors.check("password", hash_password(p)),
    };
    let result = match role {
        Some(role) if errors.is_empty() => {
            let new = NewUser {
                email: form.email.clone(),
                name: form.name.clone(),
                role,
                teams: form.teams.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
                password_hash,
            };
            let now = state.clock.now();
            let admin = user.actor.clone();
            state.run(move |c| users::add_user_as(c, &admin, &new, now)).await.map(|_| ())
        }
        _ => Err(ApiError::Validation(errors)),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/people?saved=1")),
        Err(ApiError::Validation(errors)) => people_page(&state, user, form, errors, None, false).await,
        Err(ApiError::Conflict { fields, .. }) => people_page(&state, user, form, fields, None, false).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    /// "1" to let the user in again, anything else to lock them out.
    #[serde(default)]
    active: String,
}

async fn set_active(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let (admin, now, form) = (user.actor.clone(), state.clock.now(), form.into_inner());
    state.run(move |c| users::set_active(c, &admin, &form.email, form.active == "1", now)).await?;
    Ok(see_other("/admin/people?saved=1"))
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Sets a user's password (for someone added without one, or who forgot theirs).
async fn set_password(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let hash = hash_password(&form.password).map_err(|e| ApiError::validation("password", e))?;
    let (admin, now, email) = (user.actor.clone(), state.clock.now(), form.email.clone());
    state.run(move |c| users::set_password(c, &admin, &email, hash, now)).await?;
    Ok(see_other("/admin/people?saved=1"))
}

async fn save_teams(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<DocumentForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let text = form.document.clone();
    let result = apply_document(&state, &user, &text, |c, actor, now, teams: Vec<TeamView>| {
        admin::put_teams(c, actor, &teams, now).map(drop)
    })
    .await;
    match result {
        Ok(()) => Ok(see_other("/admin/people?saved=1")),
        Err(ApiError::Validation(errors) | ApiError::Conflict { fields: errors, .. }) => {
            let failed = Editor { name: "teams", label: "Teams", text, errors };
            people_page(&state, user, NewUserForm::default(), FieldErrors::default(), Some(failed), false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/admin_mail.html", config = "config/askama.toml")]
struct MailPage {
    user: SignedIn,
    failed: Vec<OutboxRow>,
    saved: bool,
}

impl MailPage {
    fn recipients(&self, row: &OutboxRow) -> String {
        serde_json::from_str::<Vec<String>>(&row.recipients).map(|r| r.join(", ")).unwrap_or_default()
    }
}

async fn mail(state: web::Data<AppState>, user: SignedIn, saved: web::Query<Saved>) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    let failed = state.run(|c| Ok(db::list_mail(c, Some("failed"), 500)?)).await?;
    html(MailPage { user, failed, saved: saved.saved.is_some() })
}

async fn retry_mail(
    state: web::Data<AppState>,
    user: SignedIn,
    id: web::Path<String>,
    form: web::Form<DocumentForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let now = db::to_db(state.clock.now());
    let retried = state.run(move |c| Ok(db::retry_mail(c, &id, now)?)).await?;
    if !retried {
        return Err(ApiError::not_found("failed message").into());
    }
    Ok(see_other("/admin/mail?saved=1"))
}
