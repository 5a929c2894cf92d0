//! Signing in and out, the first-run page that creates the first admin, and the home page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::{self, SignedIn};
use super::{PageError, html, html_status, see_other, with_cookie};
use crate::auth::hash_password;
use crate::domain::{FieldErrors, Role};
use crate::error::ApiError;
use crate::service::sessions::{self, SignIn};
use crate::service::users::{self, NewUser};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign-in", web::get().to(sign_in_page))
        .route("/sign-in", web::post().to(sign_in))
        .route("/sign-out", web::post().to(sign_out))
        .route("/setup", web::get().to(setup_page))
        .route("/setup", web::post().to(setup))
        .route("/account/password", web::get().to(password_page))
        .route("/account/password", web::post().to(change_password))
        .route("/account/timezone", web::post().to(change_timezone))
        .route("/account/digest", web::post().to(change_digest));
}

/// Where a signed-in user starts: their team's queue for staff, their requests otherwise.
pub async fn home(state: web::Data<AppState>, user: Option<SignedIn>) -> Result<HttpResponse, PageError> {
    let Some(user) = user else {
        let has_admin = state.run(users::has_admin).await?;
        return Ok(see_other(if has_admin { "/sign-in" } else { "/setup" }));
    };
    let to = match user.actor.teams.first() {
        Some(team) if user.actor.role.is_staff() => format!("/queues/{team}"),
        _ => "/requests/mine".to_owned(),
    };
    Ok(see_other(&to))
}

#[derive(Template)]
#[template(path = "pages/sign_in.html", config = "config/askama.toml")]
struct SignInPage {
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    /// The single sign-on button's label, when it is set up.
    sso: Option<String>,
}

fn sso_button(state: &AppState) -> Option<String> {
    let sso = &state.settings.sso;
    sso.enabled().then(|| sso.button_label.clone())
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only paths of this site, so the sign-in page cannot be used to send people elsewhere.
fn local_path(next: &str) -> String {
    super::local_path(next).unwrap_or_else(|| "/".to_owned())
}

async fn sign_in_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let (csrf, cookie) = session::login_csrf(&state, &req);
    let page =
        SignInPage { csrf, email: String::new(), next: local_path(&query.next), error: None, sso: sso_button(&state) };
    with_cookie(html(page)?, cookie)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, PageError> {
    session::check_login_csrf(&req, &form.csrf)?;
    let address = session::address_of(&state, &req).unwrap_or_else(|| "unknown".to_owned());
    let now = state.clock.now();
    let (email, password) = (form.email.clone(), form.password.clone());
    // argon2 takes a noticeable time on purpose: off the async workers, like any database work.
    let admins_only = state.settings.sso.passwords_for_admins_only();
    let outcome = state.run(move |conn| sessions::sign_in(conn, &email, &password, &address, admins_only, now)).await?;
    let user_id = match outcome {
        SignIn::Signed(user_id) => user_id,
        SignIn::Throttled => return Err(PageError::Throttled),
        refused => {
            let error = match refused {
                SignIn::PasswordOff => "Here, only admins sign in with a password: use the button below.",
                _ => "That email and password do not match an account.",
            };
            let page = SignInPage {
                csrf: form.csrf.clone(),
                email: form.email.clone(),
                next: local_path(&form.next),
                error: Some(error.into()),
                sso: sso_button(&state),
            };
            return html_status(page, StatusCode::UNAUTHORIZED);
        }
    };
    let cookie = session::start(&state, &req, user_id).await?;
    with_cookie(see_other(&local_path(&form.next)), Some(cookie))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: SignedIn,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let cookie = session::end(&state, &req).await?;
    with_cookie(see_other("/sign-in"), Some(cookie))
}

#[derive(Template)]
#[template(path = "pages/setup.html", config = "config/askama.toml")]
struct SetupPage {
    csrf: String,
    name: String,
    email: String,
    errors: FieldErrors,
}

/// (name, label, input type, value kept, autocomplete) of each field.
type SetupField<'a> = (&'static str, &'static str, &'static str, &'a str, &'static str);

impl SetupPage {
    fn fields(&self) -> Vec<SetupField<'_>> {
        vec![
            ("name", "Your name", "text", &self.name, "name"),
            ("email", "Email", "email", &self.email, "username"),
            ("password", "Password (at least 12 characters)", "password", "", "new-password"),
            ("confirm", "Password again", "password", "", "new-password"),
        ]
    }
}

async fn setup_page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    if state.run(users::has_admin).await? {
        return Ok(see_other("/sign-in"));
    }
    let (csrf, cookie) = session::login_csrf(&state, &req);
    let page = SetupPage { csrf, name: String::new(), email: String::new(), errors: FieldErrors::default() };
    with_cookie(html(page)?, cookie)
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Creates the first admin and signs them in. Refused once any admin exists.
async fn setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, PageError> {
    session::check_login_csrf(&req, &form.csrf)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let hash = errors.check("password", hash_password(&form.password));
    if form.password != form.confirm {
        errors.add("confirm", "does not match the password");
    }
    let now = state.clock.now();
    let new = NewUser {
        email: form.email.clone(),
        name: form.name.clone(),
        role: Role::Admin,
        teams: Vec::new(),
        password_hash: hash,
    };
    let created = if errors.is_empty() {
        state.run(move |conn| users::add_first_admin(conn, &new, now)).await
    } else {
        Err(ApiError::Validation(errors))
    };
    match created {
        Ok(user) => {
            let cookie = session::start(&state, &req, user.id).await?;
            with_cookie(see_other("/"), Some(cookie))
        }
        Err(ApiError::Validation(errors)) => {
            let page = SetupPage { csrf: form.csrf, name: form.name, email: form.email, errors };
            html_status(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/password.html", config = "config/askama.toml")]
struct PasswordPage {
    user: SignedIn,
    errors: FieldErrors,
    /// What was just saved: `1` (the password) or `timezone`.
    saved: String,
    /// The organisation's time zone, the default.
    org_tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
    /// Whether the person gets a weekly digest (none: no digest is meant for them).
    digest: Option<bool>,
}

impl PasswordPage {
    /// Every IANA time zone, by name.
    fn zones(&self) -> &'static [chrono_tz::Tz] {
        &chrono_tz::TZ_VARIANTS
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn password_page(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, PageError> {
    let saved = query.into_inner().saved.unwrap_or_default();
    let digest = digest_choice(&state, &user).await?;
    html(PasswordPage {
        user,
        errors: FieldErrors::default(),
        saved,
        org_tz: state.settings.org.timezone,
        now: state.clock.now(),
        digest,
    })
}

/// Whether the person gets a weekly digest, if one is meant for them: the organisation's (their
/// address is among `digest.recipients`) or their team's (they lead one).
async fn digest_choice(state: &AppState, user: &SignedIn) -> Result<Option<bool>, PageError> {
    let email = user.actor.email.to_lowercase();
    let meant = (user.actor.role == Role::Lead && !user.actor.teams.is_empty())
        || state.settings.digest.recipients.iter().any(|r| r.trim().to_lowercase() == email);
    if !meant {
        return Ok(None);
    }
    let id = user.actor.id.clone();
    let opted_out = state.run(move |conn| users::digest_opt_out(conn, &id)).await?;
    Ok(Some(!opted_out))
}

#[derive(Deserialize)]
pub struct DigestForm {
    #[serde(default)]
    csrf: String,
    /// Present (the ticked checkbox) to get the digest; absent to stop it.
    #[serde(default)]
    digest: Option<String>,
}

/// Turns the person's weekly digest on or off.
async fn change_digest(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<DigestForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let (id, wants) = (user.actor.id.clone(), form.digest.is_some());
    state.run(move |conn| users::set_digest_opt_out(conn, &id, !wants)).await?;
    Ok(see_other(if wants { "/account/password?saved=digest-on" } else { "/account/password?saved=digest-off" }))
}

#[derive(Deserialize)]
pub struct TimezoneForm {
    #[serde(default)]
    csrf: String,
    /// An IANA name, or empty for the organisation's.
    #[serde(default)]
    timezone: String,
}

/// Sets the time zone the person reads the pages in.
async fn change_timezone(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<TimezoneForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let actor = user.actor.clone();
    state.run(move |conn| users::set_timezone(conn, &actor, &form.timezone)).await?;
    Ok(see_other("/account/password?saved=timezone"))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Changes the user's own password; their other sessions end, this one stays.
async fn change_password(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let result = if form.password != form.confirm {
        Err(ApiError::Validation(FieldErrors::single("confirm", "does not match the new password")))
    } else {
        let (actor, keep, now) = (user.actor.clone(), user.session.clone(), state.clock.now());
        state.run(move |conn| users::change_own_password(conn, &actor, &form.current, &form.password, &keep, now)).await
    };
    match result {
        Ok(()) => Ok(see_other("/account/password?saved=1")),
        Err(ApiError::Validation(errors)) => {
            let digest = digest_choice(&state, &user).await?;
            html_status(
                PasswordPage {
                    user,
                    errors,
                    saved: String::new(),
                    org_tz: state.settings.org.timezone,
                    now: state.clock.now(),
                    digest,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}
