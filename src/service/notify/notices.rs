//! The notices each change sends: to the owning team, the requester and the watchers, the
//! assignee, the escalation ladder's recipients.

use chrono::{DateTime, Utc};

use super::Notifier;
use crate::db::{self, AnyConnection, RequestRow, TeamRow};
use crate::domain::request::request_key;
use crate::domain::sla::{ClockKind, ClockPlan};
use crate::service::Error;

impl Notifier {
    /// A request new to its owning team: filed (`handover` None) or handed over by another
    /// team (`Some((from, reason))`). Goes to the team's address.
    pub fn new_for_team(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        team: Option<&TeamRow>,
        handover: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let Some(team) = team else { return Ok(()) };
        let key = request_key(row.number);
        let (kind, subject, heading, why) = match handover {
            None => (
                "request_created",
                format!("[{key}] New request for {}: {}", team.name, row.title),
                format!("New request {key} for {}", team.name),
                ("Routed because", row.routing_reason.clone()),
            ),
            Some((from, reason)) => (
                "request_reassigned",
                format!("[{key}] Handed over to {} by {from}: {}", team.name, row.title),
                format!("{key} was handed over to {} by team {from}", team.name),
                ("Why", reason.to_owned()),
            ),
        };
        let mut n = self.notice(row, subject, heading, Some(row.description.clone()));
        n.lines.extend(self.field_lines(conn, row)?);
        n.lines.push((why.0.into(), why.1));
        self.queue(conn, kind, Some(&row.id), std::slice::from_ref(&team.email), &n, None, now, now).map(drop)
    }

    /// The requester's receipt for a request they filed: where it went and why, and when the
    /// team's first response is due (in the requester's time zone).
    #[allow(clippy::too_many_arguments)]
    pub fn filed_for_requester(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        requester: &crate::auth::Actor,
        watchers: &[String],
        team: Option<&TeamRow>,
        category: &str,
        lately: Option<&crate::read::eta::Eta>,
        first_response: Option<&ClockPlan>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let Some(lately) = lately.filter(|_| self.confirm_filing) else { return Ok(()) };
        let key = request_key(row.number);
        let team_name = team.map_or(row.team_key.as_str(), |t| t.name.as_str());
        let mut n = self.notice(
            row,
            format!("[{key}] Received: {}", row.title),
            format!("{} filed {key}", requester.name),
            Some(format!("It went to {team_name}: {}. Reply to this mail to add to it.", row.routing_reason)),
        );
        n.lines.extend(self.field_lines(conn, row)?);
        if let Some(plan) = first_response {
            let tz = requester.timezone.unwrap_or(self.timezone);
            let target = crate::words::duration(&plan.target_minutes, &plan.calendar);
            let expect = match plan.due_at {
                Some(due) => format!("within {target}, by {}", crate::words::when(&due, &tz)),
                None => format!("within {target}"),
            };
            n.lines.push(("First response".into(), expect));
        }
        n.lines.push(("Lately".into(), lately.in_words(team_name, category)));
        let to: Vec<String> = std::iter::once(&requester.email).chain(watchers).cloned().collect();
        self.queue(conn, "request_received", Some(&row.id), &to, &n, None, now, now).map(drop)
    }

    /// A resolved request closes on its own at `closes` unless answered: its requester and
    /// watchers hear it once per resolution. Returns whether it was queued now.
    pub fn closing_soon(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        closes: DateTime<Utc>,
        resolved: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let Some(requester) = db::users_by_ids(conn, &[row.requester_id.as_str()])?.remove(&row.requester_id) else {
            return Ok(false);
        };
        let tz = requester.timezone.as_deref().and_then(|tz| tz.parse().ok()).unwrap_or(self.timezone);
        let key = request_key(row.number);
        let when = crate::words::when(&closes, &tz);
        let n = self.notice(
            row,
            format!("[{key}] Closing on {when}: {}", row.title),
            format!("{key} will close on {when}"),
            Some(format!(
                "{key} was resolved. If something is still wrong, reply to this mail before then and the team \
                 will look again; otherwise it closes on its own."
            )),
        );
        let mut to = vec![requester.email];
        to.extend(db::watchers_of(conn, &row.id)?);
        let dedupe = format!("closing-soon:{}:{}", row.id, resolved.timestamp());
        self.queue(conn, "closing_soon", Some(&row.id), &to, &n, Some(dedupe), now, now)
    }

    /// A duplicate was merged into `row`: its requester and watchers, who now watch `row`.
    pub fn merged(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        duplicate: &str,
        to: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let key = request_key(row.number);
        let n = self.notice(
            row,
            format!("[{key}] {duplicate} was merged into it: {}", row.title),
            format!("{duplicate} is a duplicate of {key}"),
            Some(format!("You will get {key}'s updates from now on, and may reply to them.\n\n{}", row.description)),
        );
        self.queue(conn, "merged", Some(&row.id), to, &n, None, now, now).map(drop)
    }

    /// Assigned to someone (who did not assign themselves).
    pub fn assigned(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let key = request_key(row.number);
        let n = self.notice(
            row,
            format!("[{key}] Assigned to you: {}", row.title),
            format!("{key} is assigned to you"),
            Some(row.description.clone()),
        );
        self.queue(conn, "assigned", Some(&row.id), &[email.to_owned()], &n, None, now, now).map(drop)
    }

    /// The requester answered while the team waited on them: the ball is back in the team's
    /// court. Goes to the assignee, else to the team's address.
    pub fn requester_answered(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        author: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let to = match &row.assignee_id {
            Some(id) => db::users_by_ids(conn, &[id.as_str()])?.remove(id).map(|u| u.email),
            None => db::load_teams(conn)?.into_iter().find(|t| t.key == row.team_key).map(|t| t.email),
        };
        let Some(to) = to else { return Ok(()) };
        let key = request_key(row.number);
        let n = self.notice(
            row,
            format!("[{key}] The requester answered: {}", row.title),
            format!("{author} answered your question on {key}"),
            Some(body.to_owned()),
        );
        self.queue(conn, "requester_answered", Some(&row.id), &[to], &n, None, now, now).map(drop)
    }

    /// A status change, or a comment the requester can see: tell the requester.
    pub fn to_requester(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        what: Update<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let Some(requester) = db::users_by_ids(conn, &[row.requester_id.as_str()])?.remove(&row.requester_id) else {
            return Ok(());
        };
        let key = request_key(row.number);
        let (kind, subject, heading, body) = match what {
            Update::Status { to, note } => (
                "status_changed",
                format!("[{key}] {}: {}", sentence_case(to), row.title),
                format!("{key} is now {}", to.replace('_', " ")),
                note.map(str::to_owned),
            ),
            Update::Comment { author, body } => (
                "commented",
                format!("[{key}] New comment: {}", row.title),
                format!("{author} commented on {key}"),
                Some(body.to_owned()),
            ),
        };
        let n = self.notice(row, subject, heading, body);
        // The requester's public updates go to the request's watchers too, in the same message.
        let mut to = vec![requester.email];
        to.extend(db::watchers_of(conn, &row.id)?);
        self.queue(conn, kind, Some(&row.id), &to, &n, None, now, now).map(drop)
    }

    /// An SLA escalation, once per request, clock and level, delivered from `deliver_after`.
    #[allow(clippy::too_many_arguments)]
    pub fn escalation(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        kind: ClockKind,
        level: usize,
        plan: &ClockPlan,
        reached: DateTime<Utc>,
        to: &[String],
        deliver_after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let key = request_key(row.number);
        let clock = kind.as_str().replace('_', " ");
        let (tag, state) = match level {
            0 => ("[AT RISK]", "is at risk of missing"),
            1 => ("[BREACHED]", "missed"),
            _ => ("[BREACHED]", "missed by twice"),
        };
        let assignee = match &row.assignee_id {
            Some(id) => db::users_by_ids(conn, &[id.as_str()])?.remove(id).map(|u| u.email),
            None => None,
        };
        let waited = reached - DateTime::<Utc>::from_naive_utc_and_offset(row.created_at, Utc);
        let elapsed = plan.elapsed(reached).num_minutes();
        let mut n =
            self.notice(row, format!("[{key}] {tag} {}", row.title), format!("{key} {state} its {clock} target"), None);
        n.lines.extend([
            ("Clock".into(), clock.clone()),
            ("Target".into(), format!("{} minutes of {}", plan.target_minutes, plan.calendar)),
            ("Counted so far".into(), format!("{elapsed} minutes of {}", plan.calendar)),
            (
                "Waiting since".into(),
                format!("{} UTC ({} hours ago)", row.created_at.format("%a %e %b %Y %H:%M"), waited.num_hours()),
            ),
            (
                "Owner".into(),
                match assignee {
                    Some(a) => format!("team {}, assigned to {a}", row.team_key),
                    None => format!("team {}, unassigned", row.team_key),
                },
            ),
        ]);
        let dedupe = format!("escalation:{}:{}:{}", row.id, kind.as_str(), level + 1);
        self.queue(conn, "escalation", Some(&row.id), to, &n, Some(dedupe), deliver_after, now).map(drop)
    }
}

/// What happened, for the requester's mail.
pub enum Update<'a> {
    Status { to: &'a str, note: Option<&'a str> },
    Comment { author: &'a str, body: &'a str },
}

fn sentence_case(status: &str) -> String {
    let words = status.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
