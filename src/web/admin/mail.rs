//! Mail that went wrong: outgoing mail that failed, to send again, and incoming mail that was
//! not used, with the reason.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::{DocumentForm, Saved, admin_only};
use crate::service::inbound::{self, RejectedMail};
use crate::service::mail::{self as outbox, MailView};
use crate::state::AppState;
use crate::web::session::SignedIn;
use crate::web::{PageError, html, see_other};

#[derive(Template)]
#[template(path = "pages/admin_mail.html", config = "config/askama.toml")]
struct MailPage {
    user: SignedIn,
    failed: Vec<MailView>,
    rejected: Vec<RejectedMail>,
    saved: bool,
}

pub(super) async fn mail(
    state: web::Data<AppState>,
    user: SignedIn,
    saved: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    let actor = user.actor.clone();
    let (failed, rejected) =
        state.run(move |c| Ok((outbox::list(c, &actor, Some("failed"))?, inbound::rejected(c, &actor)?))).await?;
    html(MailPage { user, failed, rejected, saved: saved.saved.is_some() })
}

pub(super) async fn retry_mail(
    state: web::Data<AppState>,
    user: SignedIn,
    id: web::Path<String>,
    form: web::Form<DocumentForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let (actor, now) = (user.actor.clone(), state.clock.now());
    state.run(move |c| outbox::retry(c, &actor, &id, now)).await?;
    Ok(see_other("/admin/mail?saved=1"))
}
