//! The request page's actions (comment, status, assign, priority, hand over), from the request page or
//! a queue's row: each runs one service workflow as the signed-in user, then goes back to the
//! page it came from, which says what happened or why it could not.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::session::SignedIn;
use super::{PageError, see_other};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::read::views::RequestDetail;
use crate::service::AnyConnection;
use crate::service::Error as ServiceError;
use crate::service::attachments;
use crate::service::notify::Notifier;
use crate::service::requests::{
    self as workflow, AssignInput, CommentInput, PriorityInput, ReassignInput, StatusInput,
};
use crate::state::AppState;

/// Form fields of the request page's actions; each action reads the ones it needs.
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub internal: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
    /// An email, `me`, or empty to unassign.
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub priority: String,
    /// A watcher's address.
    #[serde(default)]
    pub email: String,
    /// The request type's fields on the Edit form, as `field.{key}`.
    #[serde(flatten)]
    pub type_fields: std::collections::BTreeMap<String, String>,
    /// A link's kind and the other request (`service::requests::add_link`).
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub target: String,
    /// The edit form's fields (`service::requests::edit`).
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub desired_date: Option<String>,
    /// Where to go afterwards (a local path); the request page by default.
    #[serde(default)]
    pub back: String,
    /// With a comment: a status to move to, the comment being the move's note (one change).
    #[serde(default)]
    pub then: String,
}

/// Runs one request action as the signed-in user, then goes back to the page it came from.
/// Back on the request page, `done` says what happened (`notice`).
async fn act(
    state: web::Data<AppState>,
    user: SignedIn,
    key: String,
    form: ActionForm,
    done: &str,
    action: impl FnOnce(
        &mut AnyConnection,
        &Actor,
        &Notifier,
        &str,
        &ActionForm,
        DateTime<Utc>,
    ) -> Result<RequestDetail, ServiceError>
    + Send
    + 'static,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let (actor, notifier, now) = (user.actor.clone(), state.notifier.clone(), state.clock.now());
    let back = super::local_path(&form.back);
    // An acknowledgement from a queue's row is said as one, like the bulk action's.
    let did = if done == "status" && form.status == "acknowledged" { "acknowledge" } else { done };
    let acted = key.clone();
    let result = state.run(move |conn| action(conn, &actor, &notifier, &acted, &form, now)).await;
    match back {
        // From a queue: back to it, which says what happened to the row, or why it could not.
        Some(queue) if queue.starts_with("/queues/") => {
            let (n, failed, why) = match &result {
                Ok(_) => ("1", "", String::new()),
                Err(e) => ("0", key.as_str(), e.to_string()),
            };
            Ok(see_other(&with_outcome(&queue, &[("did", did), ("done", n), ("failed", failed), ("why", &why)])))
        }
        // From the request page: a refusal the user can act on (a missing note, a move the
        // status does not allow) comes back to the page, saying why; anything else is an error page.
        None => match result {
            Ok(_) => Ok(see_other(&format!("/requests/{key}?done={done}"))),
            Err(e @ (ApiError::Validation(_) | ApiError::Conflict { .. })) => {
                Ok(see_other(&with_outcome(&format!("/requests/{key}"), &[("refused", &e.to_string())])))
            }
            Err(e) => Err(e.into()),
        },
        Some(back) => {
            result?;
            Ok(see_other(&back))
        }
    }
}

/// `path` (a local path, perhaps with a query) with `outcome` in its query, replacing any
/// outcome of an earlier action.
pub fn with_outcome(path: &str, outcome: &[(&str, &str)]) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let kept = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| !matches!(k.as_ref(), "did" | "done" | "failed" | "why" | "refused"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect::<Vec<_>>();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .extend_pairs(outcome.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    format!("{path}?{query}")
}

pub async fn comment(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    let done = if form.then.is_empty() { "commented" } else { "status" };
    act(state, user, key.into_inner(), form.into_inner(), done, |conn, actor, notifier, key, f, now| {
        if f.then.is_empty() {
            let input = CommentInput { body: f.body.clone(), internal: f.internal.is_some() };
            return workflow::comment(conn, actor, notifier, key, &input, now);
        }
        workflow::reply_and_move(conn, actor, notifier, key, &f.body, f.internal.is_some(), &f.then, now)
    })
    .await
}

/// A comment from the request page's form with its files (`multipart/form-data`): the files are
/// staged as they arrive, then attached to the comment in its transaction (or, with a status
/// move, added right after it); a refusal discards them.
pub async fn comment_with_files(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let fields = ["csrf", "body", "internal", "back", "then"];
    let upload = crate::routes::upload::receive(&state, &user.actor, &req, payload, &fields).await?;
    let field = |name: &str| upload.field(name).unwrap_or_default().to_owned();
    let form = ActionForm {
        csrf: field("csrf"),
        body: field("body"),
        internal: upload.field("internal").map(str::to_owned),
        back: field("back"),
        then: field("then"),
        ..ActionForm::default()
    };
    let ids = upload.ids();
    if let Err(refused) = user.check_csrf(&form.csrf) {
        crate::routes::upload::discard(&state, ids).await;
        return Err(refused);
    }
    let files = upload.files;
    let done = if form.then.is_empty() { "commented" } else { "status" };
    act(state, user, key.into_inner(), form, done, move |conn, actor, notifier, key, f, now| {
        let result = if f.then.is_empty() {
            let input = CommentInput { body: f.body.clone(), internal: f.internal.is_some() };
            workflow::comment_with_files(conn, actor, notifier, key, &input, &ids, now)
        } else {
            workflow::reply_and_move(conn, actor, notifier, key, &f.body, f.internal.is_some(), &f.then, now).and_then(
                |detail| match files.is_empty() {
                    true => Ok(detail),
                    false => attachments::add_to_request(conn, actor, key, &files, now)
                        .and_then(|_| workflow::show(conn, actor, key, now)),
                },
            )
        };
        if result.is_err() {
            attachments::discard(conn, &ids)?;
        }
        result
    })
    .await
}

/// A file, for the pages (the session's user; the API's `GET /api/v1/attachments/{id}` takes a token).
pub async fn download(
    state: web::Data<AppState>,
    user: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    Ok(crate::routes::attachments::stream_file(state.into_inner(), user.actor, id.into_inner()).await?)
}

pub async fn change_status(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "status", |conn, actor, notifier, key, f, now| {
        let note = Some(f.note.clone()).filter(|n| !n.trim().is_empty());
        // The page offers each waiting reason as its own choice: `waiting:vendor`.
        let (status, reason) = match f.status.split_once(':') {
            Some((status, reason)) => (status.to_owned(), Some(reason.to_owned())),
            None => (f.status.clone(), None),
        };
        workflow::change_status(conn, actor, notifier, key, &StatusInput { status, note, reason }, now)
    })
    .await
}

pub async fn assign(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "assigned", |conn, actor, notifier, key, f, now| {
        let assignee = match f.assignee.trim() {
            "" => None,
            "me" => Some(actor.email.clone()),
            email => Some(email.to_owned()),
        };
        workflow::assign(conn, actor, notifier, key, &AssignInput { assignee }, now)
    })
    .await
}

pub async fn change_priority(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "priority", |conn, actor, _, key, f, now| {
        let reason = Some(f.reason.clone()).filter(|r| !r.trim().is_empty());
        workflow::change_priority(conn, actor, key, &PriorityInput { priority: f.priority.clone(), reason }, now)
    })
    .await
}

pub async fn reassign(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "handed_over", |conn, actor, notifier, key, f, now| {
        let input = ReassignInput { team: f.team.clone(), reason: f.reason.clone() };
        workflow::reassign(conn, actor, notifier, key, &input, now)
    })
    .await
}

pub async fn edit(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    let config = state.config.clone();
    act(state, user, key.into_inner(), form.into_inner(), "edited", move |conn, actor, notifier, key, f, now| {
        let patch = workflow::RequestPatch {
            title: f.title.clone(),
            description: f.description.clone(),
            category: f.category.clone(),
            priority: None,
            desired_date: f.desired_date.clone(),
            // Every `field.{key}` the form shows, empty ones clearing their value.
            fields: Some(
                f.type_fields
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix(crate::routes::upload::TYPE_FIELD)?.to_owned(), v)))
                    .map(|(k, v)| (k, serde_json::Value::String(v.clone())))
                    .collect(),
            )
            .filter(|m: &serde_json::Map<_, _>| !m.is_empty()),
            reason: Some(f.reason.clone()).filter(|r| !r.trim().is_empty()),
        };
        workflow::edit(conn, actor, notifier, &config, key, &patch, now)
    })
    .await
}

pub async fn add_link(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "linked", |conn, actor, notifier, key, f, now| {
        let input = workflow::LinkInput { kind: f.kind.clone(), target: f.target.clone() };
        workflow::add_link(conn, actor, notifier, key, &input, now)
    })
    .await
}

pub async fn remove_link(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "unlinked", |conn, actor, _, key, f, now| {
        workflow::remove_link(conn, actor, key, &f.kind, &f.target, now)?;
        workflow::show(conn, actor, key, now)
    })
    .await
}

pub async fn add_watcher(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "watcher_added", |conn, actor, _, key, f, now| {
        crate::service::watchers::add(conn, actor, key, &f.email, now)?;
        workflow::show(conn, actor, key, now)
    })
    .await
}

pub async fn remove_watcher(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "watcher_removed", |conn, actor, _, key, f, now| {
        crate::service::watchers::remove(conn, actor, key, &f.email, now)?;
        workflow::show(conn, actor, key, now)
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_outcome_replaces_the_last_one_and_keeps_the_filters() {
        let back = super::with_outcome(
            "/queues/it?q=form&did=assign&done=2&failed=",
            &[("did", "status"), ("done", "1"), ("failed", "")],
        );
        assert_eq!(back, "/queues/it?q=form&did=status&done=1");
        let refused = super::with_outcome(
            "/queues/it",
            &[("did", "status"), ("done", "0"), ("failed", "CR-3"), ("why", "no move from closed")],
        );
        assert_eq!(refused, "/queues/it?did=status&done=0&failed=CR-3&why=no+move+from+closed");
    }
}
