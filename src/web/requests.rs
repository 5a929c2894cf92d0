//! The requester's pages (the request form with its live routing preview, my requests) and
//! the request page, which shows requesters and staff what each may see and do.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::session::SignedIn;
use super::{PageError, html, html_status, see_other, words};
use crate::auth::Actor;
use crate::domain::sla::ClockKind;
use crate::domain::{Event, FieldErrors, OwnershipMap, RequestInput, Status};
use crate::error::ApiError;
use crate::read::preview;
use crate::read::views::{EventView, PreviewView, RequestDetail, RequestView};
use crate::service::AnyConnection;
use crate::service::Error as ServiceError;
use crate::service::admin;
use crate::service::admin::TeamView;
use crate::service::idempotency::IdempotencyKey;
use crate::service::intake::Filing;
use crate::service::notify::Notifier;
use crate::service::requests::{self as workflow, AssignInput, CommentInput, ReassignInput, StatusInput};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/requests/new", web::get().to(new_page))
        .route("/requests/new", web::post().to(file))
        .route("/requests/preview", web::post().to(live_preview))
        .route("/requests/mine", web::get().to(super::mine::mine))
        .route("/requests/{key}", web::get().to(show))
        .route("/requests/{key}/comment", web::post().to(comment))
        .route("/requests/{key}/status", web::post().to(change_status))
        .route("/requests/{key}/assign", web::post().to(assign))
        .route("/requests/{key}/reassign", web::post().to(reassign));
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
}

impl PreviewText {
    fn new(view: &PreviewView, teams: &[TeamView]) -> Self {
        let team = teams.iter().find(|t| t.key == view.team).map_or_else(|| view.team.clone(), |t| t.name.clone());
        let sla = view.sla.as_ref();
        Self {
            team,
            reason: view.routing.reason.clone(),
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
}

async fn new_page(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, PageError> {
    let config = state.config.clone();
    let map = state.run(move |conn| Ok(config.current(conn)?.map.clone())).await?;
    let form = RequestForm { idempotency_key: uuid::Uuid::now_v7().to_string(), ..RequestForm::default() };
    html(NewRequestPage { user, form, map, errors: FieldErrors::default(), preview: None })
}

/// Files the request (or, with `action=preview`, shows where it would go), then shows it.
async fn file(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<RequestForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let form = form.into_inner();
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
            Ok(idempotency) => state.intake.file(Filing { actor, input, now, idempotency }).await,
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
    html_status(NewRequestPage { user, form, map, errors, preview }, status)
}

/// Where `input` would go, in words, in one unit of work.
async fn preview_text(state: &AppState, input: RequestInput, now: DateTime<Utc>) -> Result<PreviewText, ApiError> {
    let config = state.config.clone();
    state
        .run(move |conn| {
            let view = preview::preview(conn, &config, &input, now)?;
            Ok(PreviewText::new(&view, &admin::teams(conn)?))
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

/// One line of a request's history, in words.
pub struct HistoryLine {
    pub at: DateTime<Utc>,
    pub who: String,
    pub what: String,
    /// A comment's or note's text, shown as a quote.
    pub body: Option<String>,
    pub internal: bool,
    /// A change a reader follows (filed, routed, moved, assigned, handed over), not a mark the
    /// clocks leave (first response, at risk, breached).
    pub notable: bool,
}

fn history_line(e: &EventView, staff: bool) -> HistoryLine {
    let status = |s: Status| if staff { words::status_for_staff(s.as_str()) } else { words::status(s.as_str()) };
    let clock = |c: ClockKind| c.as_str().replace('_', " ");
    let (what, body) = match &e.event {
        Event::Created { .. } => ("filed the request".to_owned(), None),
        Event::Routed { team, reason, .. } => (format!("routed to {team}: {reason}"), None),
        Event::Imported(imported) => (format!("imported from {}", imported.source), None),
        Event::Acknowledged(m) | Event::StatusChanged(m) | Event::Rejected(m) | Event::Reopened(m) => {
            let note = m.note.clone().filter(|n| !n.is_empty());
            (format!("moved it from {} to {}", status(m.from), status(m.to)), note)
        }
        Event::FirstResponse { .. } => ("gave the first response".to_owned(), None),
        Event::FirstAnswer { .. } => ("gave the first answer".to_owned(), None),
        Event::Commented { body, internal } => {
            ((if *internal { "added an internal note" } else { "commented" }).to_owned(), Some(body.clone()))
        }
        Event::Assigned { assignee: Some(a), .. } => (format!("assigned it to {a}"), None),
        Event::Assigned { assignee: None, .. } => ("unassigned it".to_owned(), None),
        Event::Reassigned { from, to, reason, .. } => (format!("handed it from {from} to {to}"), Some(reason.clone())),
        Event::SlaAtRisk(x) => (format!("{} clock at risk", clock(x.clock)), None),
        Event::SlaBreached(x) => (format!("{} target breached", clock(x.clock)), None),
        Event::SlaBreachedTwice(x) => (format!("{} target breached twice over", clock(x.clock)), None),
    };
    HistoryLine {
        at: e.at,
        who: e.actor.as_ref().map_or_else(|| "changedesk".to_owned(), |a| a.name.clone()),
        what,
        body,
        internal: matches!(e.event, Event::Commented { internal: true, .. }),
        notable: !matches!(
            e.event,
            Event::FirstResponse { .. }
                | Event::FirstAnswer { .. }
                | Event::SlaAtRisk(_)
                | Event::SlaBreached(_)
                | Event::SlaBreachedTwice(_)
        ),
    }
}

/// The request page's conversation: each message as it was written (a comment, a note, a
/// status move or hand-over with words for the reader), and the updates between two messages
/// (routing, assignments, clocks) folded into one line.
pub enum Entry {
    Message(HistoryLine),
    Activity(Vec<HistoryLine>),
}

fn conversation(lines: Vec<HistoryLine>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for line in lines {
        match entries.last_mut() {
            _ if line.body.is_some() => entries.push(Entry::Message(line)),
            Some(Entry::Activity(updates)) => updates.push(line),
            _ => entries.push(Entry::Activity(vec![line])),
        }
    }
    entries
}

/// An activity line in a few words: its first change and its latest (the news), and how many
/// other updates lie around them (the clocks' marks count but are not named).
fn activity_summary(updates: &[HistoryLine]) -> String {
    let said = |u: &HistoryLine| format!("{} {}", u.who, u.what);
    let notable: Vec<&HistoryLine> = updates.iter().filter(|u| u.notable).collect();
    let named: Vec<&HistoryLine> = match notable.as_slice() {
        [] => updates.iter().take(1).collect(),
        [only] => vec![*only],
        [first, .., last] => vec![*first, *last],
    };
    let text = named.iter().map(|u| said(u)).collect::<Vec<_>>().join("; ");
    match updates.len() - named.len() {
        0 => text,
        1 => format!("{text} (and 1 more update)"),
        more => format!("{text} (and {more} more updates)"),
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
}

impl RequestPageView {
    fn team_name(&self) -> &str {
        super::team_name(&self.teams, &self.r.team)
    }

    fn is_requester(&self) -> bool {
        self.r.requester.email == self.user.actor.email
    }

    fn waiting_on_requester(&self) -> bool {
        self.r.status == "waiting_on_requester"
    }

    fn summary(&self, updates: &[HistoryLine]) -> String {
        activity_summary(updates)
    }
}

async fn show(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    done: web::Query<super::notices::Done>,
) -> Result<HttpResponse, PageError> {
    let (actor, now) = (user.actor.clone(), state.clock.now());
    let (detail, teams, members) = state
        .run(move |conn| {
            let detail = workflow::show(conn, &actor, &key, now)?;
            let members = crate::service::users::members_of(conn, &detail.request.team)?;
            Ok((detail, admin::teams(conn)?, members))
        })
        .await?;
    let staff = user.actor.role.is_staff();
    let works = user.actor.works_for(&detail.request.team);
    let moves = Status::parse(&detail.request.status)
        .map(|s| s.allowed_moves().iter().map(|m| (m.as_str(), words::status_for_staff(m.as_str()))).collect())
        .unwrap_or_default();
    let conversation = conversation(detail.events.iter().map(|e| history_line(e, staff)).collect());
    let notice = super::notices::notice(&done.done, &detail.request, &teams);
    let refused = Some(done.refused.trim().to_owned()).filter(|r| !r.is_empty());
    html(RequestPageView { user, r: detail.request, conversation, members, works, moves, teams, notice, refused })
}

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
    /// Where to go afterwards (a local path); the request page by default.
    #[serde(default)]
    pub back: String,
    /// With a comment: a status to move to, the comment being the move's note (one change).
    #[serde(default)]
    pub then: String,
}

/// One of the request page's actions: a service workflow fed from the form.
type Action =
    fn(&mut AnyConnection, &Actor, &Notifier, &str, &ActionForm, DateTime<Utc>) -> Result<RequestDetail, ServiceError>;

/// Runs one request action as the signed-in user, then goes back to the page it came from.
/// Back on the request page, `done` says what happened (`notice`).
async fn act(
    state: web::Data<AppState>,
    user: SignedIn,
    key: String,
    form: ActionForm,
    done: &str,
    action: Action,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let (actor, notifier, now) = (user.actor.clone(), state.notifier.clone(), state.clock.now());
    let back = super::local_path(&form.back);
    let acted = key.clone();
    let result = state.run(move |conn| action(conn, &actor, &notifier, &acted, &form, now)).await;
    match back {
        // From a queue: back to it, which says what happened to the row, or why it could not.
        Some(queue) if queue.starts_with("/queues/") => {
            let (n, failed, why) = match &result {
                Ok(_) => ("1", "", String::new()),
                Err(e) => ("0", key.as_str(), e.to_string()),
            };
            Ok(see_other(&with_outcome(&queue, &[("did", done), ("done", n), ("failed", failed), ("why", &why)])))
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
fn with_outcome(path: &str, outcome: &[(&str, &str)]) -> String {
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

#[cfg(test)]
mod tests {
    use super::{Entry, HistoryLine, activity_summary, conversation};

    fn line(what: &str, body: Option<&str>) -> HistoryLine {
        let notable = what != "gave the first response";
        HistoryLine {
            at: chrono::DateTime::UNIX_EPOCH,
            who: "Ian".into(),
            what: what.into(),
            body: body.map(Into::into),
            internal: false,
            notable,
        }
    }

    #[test]
    fn messages_stand_alone_and_the_updates_between_them_fold_into_one_line() {
        let entries = conversation(vec![
            line("filed the request", None),
            line("routed to it", None),
            line("commented", Some("Which page?")),
            line("moved it from new to acknowledged", None),
            line("assigned it to ian", None),
            line("gave the first response", None),
            line("commented", Some("Fixed.")),
        ]);
        let shape: Vec<usize> = entries
            .iter()
            .map(|e| match e {
                Entry::Message(_) => 0,
                Entry::Activity(updates) => updates.len(),
            })
            .collect();
        assert_eq!(shape, [2, 0, 3, 0]);
        let Entry::Activity(updates) = &entries[2] else { panic!("an activity line") };
        assert_eq!(
            activity_summary(updates),
            "Ian moved it from new to acknowledged; Ian assigned it to ian (and 1 more update)"
        );
    }

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

async fn comment(
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

async fn change_status(
    state: web::Data<AppState>,
    user: SignedIn,
    key: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    act(state, user, key.into_inner(), form.into_inner(), "status", |conn, actor, notifier, key, f, now| {
        let note = Some(f.note.clone()).filter(|n| !n.trim().is_empty());
        workflow::change_status(conn, actor, notifier, key, &StatusInput { status: f.status.clone(), note }, now)
    })
    .await
}

async fn assign(
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

async fn reassign(
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
