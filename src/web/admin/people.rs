//! Users (add, lock out, let in, set a password) and teams.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::documents::{self, TEAMS};
use super::forms::{Form, Group};
use super::{DocumentForm, Edited, Editor, admin_only, apply_document, pretty};
use crate::auth::hash_password;
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::service::accounts::{self, UserPatch};
use crate::service::admin::{self, TeamView};
use crate::service::users::{self, NewUser, UserSummary};
use crate::state::AppState;
use crate::web::session::SignedIn;
use crate::web::{PageError, html, html_status, see_other};

#[derive(Template)]
#[template(path = "pages/admin_people.html", config = "config/askama.toml")]
struct PeoplePage {
    user: SignedIn,
    users: Vec<UserSummary>,
    teams: Editor,
    teams_form: Form,
    team_keys: Vec<String>,
    new_user: NewUserForm,
    user_errors: FieldErrors,
    saved: bool,
    /// Whose password the "Set a password" form is for, from their row's link.
    password_for: String,
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
    /// Empty: the person is mailed an invitation to choose their own password.
    #[serde(default)]
    password: String,
}

pub(super) async fn people_page(
    state: &AppState,
    user: SignedIn,
    new_user: NewUserForm,
    user_errors: FieldErrors,
    edited: Edited,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    people_page_for(state, user, new_user, user_errors, edited, saved, String::new()).await
}

/// The page, its "Set a password" form filled in for `password_for`.
async fn people_page_for(
    state: &AppState,
    user: SignedIn,
    new_user: NewUserForm,
    user_errors: FieldErrors,
    mut edited: Edited,
    saved: bool,
    password_for: String,
) -> Result<HttpResponse, PageError> {
    let actor = user.actor.clone();
    let (users, teams) = state.run(move |c| Ok((users::list_users(c, &actor)?, admin::teams(c)?))).await?;
    let team_keys = teams.iter().map(|t| t.key.clone()).collect();
    let failing = edited.refused() || !user_errors.is_empty();
    let teams_form = edited.form("teams", || documents::teams_form(&teams));
    let teams = match edited {
        Edited::Document(failed) => failed,
        _ => Editor::new("teams", "Teams", pretty(&teams)?),
    };
    let status = if failing { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = PeoplePage { user, users, teams, teams_form, team_keys, new_user, user_errors, saved, password_for };
    html_status(page, status)
}

impl PeoplePage {
    fn group(&self) -> &'static Group {
        &TEAMS
    }

    fn groups(&self) -> &'static [Group] {
        std::slice::from_ref(&TEAMS)
    }
}

pub(super) async fn people(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    let form = NewUserForm { role: "requester".into(), ..NewUserForm::default() };
    let PeopleQuery { saved, password_for } = query.into_inner();
    people_page_for(&state, user, form, FieldErrors::default(), Edited::Nothing, saved.is_some(), password_for).await
}

#[derive(Debug, Default, Deserialize)]
pub struct PeopleQuery {
    #[serde(default)]
    saved: Option<String>,
    /// Fills in the "Set a password" form (the link on each person's row).
    #[serde(default)]
    password_for: String,
}

pub(super) async fn add_user(
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
            let (now, admin, notifier) = (state.clock.now(), user.actor.clone(), state.notifier.clone());
            state
                .run(move |c| match new.password_hash {
                    Some(_) => users::add_user_as(c, &admin, &new, now).map(drop),
                    None => accounts::invite(c, &admin, &notifier, &new, None, now).map(drop),
                })
                .await
        }
        _ => Err(ApiError::Validation(errors)),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/people?saved=1")),
        Err(ApiError::Validation(errors)) => people_page(&state, user, form, errors, Edited::Nothing, false).await,
        Err(ApiError::Conflict { fields, .. }) => people_page(&state, user, form, fields, Edited::Nothing, false).await,
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
    /// "1" once the admin confirmed a lock-out on the page that asks.
    #[serde(default)]
    confirmed: String,
}

#[derive(Template)]
#[template(path = "pages/confirm_lock_out.html", config = "config/askama.toml")]
struct ConfirmLockOut {
    user: SignedIn,
    email: String,
}

pub(super) async fn set_active(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let (admin, now, form) = (user.actor.clone(), state.clock.now(), form.into_inner());
    // Locking out ends sessions and tokens at once: asked first, on a page of its own.
    if form.active != "1" && form.confirmed != "1" {
        return html(ConfirmLockOut { user, email: form.email });
    }
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
pub(super) async fn set_password(
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

#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    /// Empty fields keep what the person has.
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    /// Comma-separated team keys: all of the person's teams.
    #[serde(default)]
    teams: String,
}

/// Changes a person's name, role or teams (`PATCH /api/v1/users/{email}`'s page).
pub(super) async fn edit_user(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let teams =
        given(&form.teams).map(|t| t.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect());
    let patch = UserPatch { name: given(&form.name), role: given(&form.role), teams };
    let (admin, now, email) = (user.actor.clone(), state.clock.now(), form.email.clone());
    state.run(move |c| accounts::update_user(c, &admin, &email, &patch, None, now)).await?;
    Ok(see_other("/admin/people?saved=1"))
}

pub(super) async fn save_teams(
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
            people_page(&state, user, NewUserForm::default(), FieldErrors::default(), Edited::Document(failed), false)
                .await
        }
        Err(e) => Err(e.into()),
    }
}
