//! The request page: what requesters, watchers and staff may see of a request and do with it
//! (status, assignment, priority, hand-over, edit, links, watchers, files, canned replies,
//! comments), each form posting to `web::actions`.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::conversation::{Entry, HistoryLine, activity_summary, conversation, history_line};
use super::session::SignedIn;
use super::{PageError, html, words};
use crate::domain::Status;
use crate::read::views::RequestView;
use crate::service::admin;
use crate::service::admin::TeamView;
use crate::service::attachments::AttachmentView;
use crate::service::requests as workflow;
use crate::state::AppState;

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
    /// Statuses the request may move to from where it is: (form value, words); a move to
    /// waiting once per reason (`waiting:vendor`).
    moves: Vec<(String, String)>,
    /// What it waits on, in words, while waiting.
    waiting_label: Option<String>,
    /// Its type's fields with values: (label, value in words).
    field_lines: Vec<(String, String)>,
    /// The Edit form's fields of its category.
    type_fields: Vec<super::type_fields::Fieldset>,
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

/// The moves the team may make from where the request is, in words; waiting once per reason
/// (not the one it waits on already); withdrawing is the requester's, offered apart.
fn moves(r: &crate::read::views::RequestView, reasons: &[crate::domain::sla::WaitingReason]) -> Vec<(String, String)> {
    let Ok(from) = Status::parse(&r.status) else { return Vec::new() };
    let mut out = Vec::new();
    for to in from.allowed_moves() {
        match to {
            Status::Withdrawn => {}
            Status::Waiting => {
                for reason in reasons.iter().filter(|x| r.waiting_reason.as_ref() != Some(&x.key)) {
                    out.push((format!("waiting:{}", reason.key), reason.label.clone()));
                }
            }
            _ => out.push((to.as_str().to_owned(), words::status_for_staff(to.as_str()).to_owned())),
        }
    }
    out
}

pub(super) async fn show(
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
            let current = config.current(conn)?;
            let categories = current.map.categories.iter().map(|c| (c.key.clone(), c.name.clone())).collect();
            let canned = crate::service::canned::for_request(conn, &actor, &detail.request, org_tz)?;
            // Its fields read with the types it was filed under.
            let types = crate::service::request_types::filed_under(conn, &detail.request.id, &current.types)?;
            let reasons = current.sla.waiting_reasons.clone();
            Ok((detail, admin::teams(conn)?, members, (files, watchers, categories, canned, types, reasons)))
        })
        .await?;
    let (files, watchers, categories, canned, types, reasons) = files;
    let staff = user.actor.role.is_staff();
    let works = user.actor.works_for(&detail.request.team);
    let moves = moves(&detail.request, &reasons);
    let waiting_label = detail.request.waiting_reason.as_ref().map(|key| {
        reasons
            .iter()
            .find(|r| &r.key == key)
            .map_or_else(|| format!("Waiting on {}", key.replace('_', " ")), |r| r.label.clone())
    });
    let def = crate::domain::request_type::type_of(&types, &detail.request.category);
    let field_lines = detail
        .request
        .fields
        .iter()
        .map(|(key, value)| {
            let label =
                def.and_then(|d| d.fields.iter().find(|f| &f.key == key)).map_or(key.clone(), |f| f.label.clone());
            (label, crate::domain::request_type::shown(value))
        })
        .collect();
    let values = super::type_fields::stored_values(&detail.request.fields);
    let own_type: Vec<_> = def.cloned().into_iter().collect();
    let type_fields = super::type_fields::fieldsets(&own_type, &detail.request.category, &values, &Default::default());
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
        waiting_label,
        field_lines,
        type_fields,
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
