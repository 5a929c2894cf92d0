//! Failed mail, to send again.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::{DocumentForm, Saved, admin_only};
use crate::db::{self, OutboxRow};
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::session::SignedIn;
use crate::web::{PageError, html, see_other};

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

pub(super) async fn mail(
    state: web::Data<AppState>,
    user: SignedIn,
    saved: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    let failed = state.run(|c| Ok(db::list_mail(c, Some("failed"), 500)?)).await?;
    html(MailPage { user, failed, saved: saved.saved.is_some() })
}

pub(super) async fn retry_mail(
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
