//! Admin pages: the ownership map and routing rules (with a "try this text" box), calendars
//! and SLA policies, users and teams, and failed mail. Structured settings are edited as the
//! same JSON documents the API takes, checked by the same code, with problems listed by field;
//! each saved change is a new version, audited.

mod documents;
mod forms;
mod mail;
mod people;
mod settings;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::session::SignedIn;
use super::{PageError, html};
use crate::auth::Actor;
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::service::AnyConnection;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(overview))
        .route("/admin/routing", web::get().to(settings::routing))
        .route("/admin/routing/{part}", web::post().to(settings::save_routing))
        .route("/admin/sla", web::get().to(settings::sla))
        .route("/admin/sla/{part}", web::post().to(settings::save_sla))
        .route("/admin/people", web::get().to(people::people))
        .route("/admin/people/users", web::post().to(people::add_user))
        .route("/admin/people/users/active", web::post().to(people::set_active))
        .route("/admin/people/users/password", web::post().to(people::set_password))
        .route("/admin/people/users/edit", web::post().to(people::edit_user))
        .route("/admin/people/teams", web::post().to(people::save_teams))
        .route("/admin/forms/{name}", web::post().to(settings::save_form))
        .route("/admin/mail", web::get().to(mail::mail))
        .route("/admin/mail/{id}/retry", web::post().to(mail::retry_mail));
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

/// What a settings page shows in place of the settings in force: a JSON document or a form
/// that was refused or is being edited.
pub enum Edited {
    Nothing,
    Document(Editor),
    Form(&'static str, forms::Form),
}

impl Edited {
    /// The edited form called `name`, else `current`'s.
    fn form(&mut self, name: &str, current: impl FnOnce() -> forms::Form) -> forms::Form {
        match std::mem::replace(self, Self::Nothing) {
            Self::Form(n, form) if n == name => form,
            other => {
                *self = other;
                current()
            }
        }
    }

    /// Whether something refused is shown (the page answers 422).
    fn refused(&self) -> bool {
        match self {
            Self::Nothing => false,
            Self::Document(e) => !e.errors.is_empty(),
            Self::Form(_, f) => !f.problems.is_empty(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    pub saved: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DocumentForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub document: String,
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
    apply: impl FnOnce(&mut AnyConnection, &Actor, DateTime<Utc>, T) -> Result<(), crate::service::Error> + Send + 'static,
) -> Result<(), ApiError> {
    let input = parse_document::<T>(text).map_err(ApiError::Validation)?;
    let (actor, now) = (user.actor.clone(), state.clock.now());
    state.run(move |c| apply(c, &actor, now, input)).await
}
