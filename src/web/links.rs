//! The pages behind mailed links: an invitation to choose a first password
//! (`/invitations/{token}`), "forgot my password" (`/password-resets`) and its link
//! (`/password-resets/{token}`). A link works once and expires (`service::accounts`); a used
//! or expired one shows a 404 page that says so. Using one signs the person in.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session;
use super::{PageError, html, html_status, see_other, with_cookie};
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::service::accounts::{self, LinkPurpose};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/invitations/{token}", web::get().to(invitation_page))
        .route("/invitations/{token}", web::post().to(accept_invitation))
        .route("/password-resets", web::get().to(reset_request_page))
        .route("/password-resets", web::post().to(request_reset))
        .route("/password-resets/{token}", web::get().to(reset_page))
        .route("/password-resets/{token}", web::post().to(reset_password));
}

#[derive(Template)]
#[template(path = "pages/choose_password.html", config = "config/askama.toml")]
struct ChoosePassword {
    title: &'static str,
    action: String,
    csrf: String,
    email: String,
    errors: FieldErrors,
}

fn title(purpose: LinkPurpose) -> &'static str {
    match purpose {
        LinkPurpose::Invitation => "Welcome: choose your password",
        LinkPurpose::PasswordReset => "Choose a new password",
    }
}

fn gone() -> PageError {
    PageError::Api(ApiError::NotFound(
        "This link has been used or has expired. Ask for a new one: an admin can invite you again, \
         and /password-resets mails a new password link."
            .into(),
    ))
}

async fn show(
    state: &AppState,
    req: &HttpRequest,
    purpose: LinkPurpose,
    token: String,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let action = format!("/{}/{token}", purpose.path());
    let email = state.run(move |c| accounts::link_email(c, &token, purpose, now)).await?.ok_or_else(gone)?;
    let (csrf, cookie) = session::login_csrf(state, req);
    let page = ChoosePassword { title: title(purpose), action, csrf, email, errors: FieldErrors::default() };
    with_cookie(html(page)?, cookie)
}

async fn invitation_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show(&state, &req, LinkPurpose::Invitation, token.into_inner()).await
}

async fn reset_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show(&state, &req, LinkPurpose::PasswordReset, token.into_inner()).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn choose(
    state: &AppState,
    req: &HttpRequest,
    purpose: LinkPurpose,
    token: String,
    form: PasswordForm,
) -> Result<HttpResponse, PageError> {
    session::check_login_csrf(req, &form.csrf)?;
    let action = format!("/{}/{token}", purpose.path());
    let back = |errors: FieldErrors| {
        let page = ChoosePassword {
            title: title(purpose),
            action: action.clone(),
            csrf: form.csrf.clone(),
            email: form.email.clone(),
            errors,
        };
        html_status(page, StatusCode::UNPROCESSABLE_ENTITY)
    };
    if form.password != form.confirm {
        return back(FieldErrors::single("confirm", "does not match the password"));
    }
    let (now, password) = (state.clock.now(), form.password.clone());
    let address = session::address_of(state, req);
    let set =
        state.run(move |c| accounts::set_password_by_link(c, &token, purpose, &password, address.as_deref(), now));
    match set.await {
        Ok(user_id) => {
            let cookie = session::start(state, req, user_id).await?;
            with_cookie(see_other("/"), Some(cookie))
        }
        Err(ApiError::Validation(errors)) => back(errors),
        Err(ApiError::NotFound(_)) => Err(gone()),
        Err(e) => Err(e.into()),
    }
}

async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    choose(&state, &req, LinkPurpose::Invitation, token.into_inner(), form.into_inner()).await
}

async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    choose(&state, &req, LinkPurpose::PasswordReset, token.into_inner(), form.into_inner()).await
}

#[derive(Template)]
#[template(path = "pages/reset_request.html", config = "config/askama.toml")]
struct ResetRequestPage {
    csrf: String,
    sent: bool,
}

async fn reset_request_page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let (csrf, cookie) = session::login_csrf(&state, &req);
    with_cookie(html(ResetRequestPage { csrf, sent: false })?, cookie)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// The same answer whether or not the email has an account.
async fn request_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, PageError> {
    session::check_login_csrf(&req, &form.csrf)?;
    let (notifier, now, email) = (state.notifier.clone(), state.clock.now(), form.email.clone());
    let address = session::address_of(&state, &req);
    state.run(move |c| accounts::request_reset(c, &notifier, &email, address.as_deref(), now)).await?;
    html(ResetRequestPage { csrf: form.csrf.clone(), sent: true })
}
