//! A new mail to a team's intake address files a request from its sender: the subject is the
//! title, the text the description, the files attached, the colleagues copied in watchers.
//! It is routed by the rules over subject and text as the form is; when none matches, the
//! team of the address takes it. Its category is the address's, else `other`. Senders
//! changedesk does not know are taken only from `mail.inbound.allowed_domains` (an account
//! without a password is made for them: they take part by mail, and may set one later).

use mail_parser::Message;

use super::{Inbound, Outcome, Received, colleagues, message, person, stage_files};
use crate::config::IntakeAddress;
use crate::db::{self, write_tx};
use crate::domain::RequestInput;
use crate::domain::request::{DESCRIPTION_MAX, TITLE_MAX, WATCHERS_MAX};
use crate::mail::reply::ReplyAddresses;
use crate::service::Error;
use crate::service::attachments;
use crate::service::requests::{self, MailedTo};

pub(super) fn file(
    conn: &mut crate::db::AnyConnection,
    inbound: &Inbound,
    received: &Received,
    message: &Message,
    intake: &IntakeAddress,
    reply: Option<&ReplyAddresses>,
    name: Option<&str>,
) -> Result<Outcome, Error> {
    let (sender, now) = (received.sender.as_str(), received.now);
    let domain = sender.rsplit_once('@').map_or("", |(_, d)| d);
    let allowed = inbound.settings.mail.inbound.allowed_domains.iter().any(|d| d.eq_ignore_ascii_case(domain));
    let actor = match person(conn, sender, name, allowed, now)? {
        Ok(actor) => actor,
        Err(why) => {
            let reason = format!("{why}, and {domain} is not in mail.inbound.allowed_domains");
            return received.reject(conn, reason);
        }
    };
    let text = message::text(message);
    let text = text.trim();
    let subject = one_line(&received.subject);
    let title = match (subject.is_empty(), text.lines().find(|l| !l.trim().is_empty())) {
        (false, _) => subject,
        (true, Some(first)) => one_line(first),
        (true, None) => "(no subject)".to_owned(),
    };
    let printable = |c: &char| !c.is_control() || matches!(c, '\n' | '\r' | '\t');
    let text: String = text.chars().filter(printable).take(DESCRIPTION_MAX).collect();
    let description = if text.trim().is_empty() { title.clone() } else { text };
    let input = RequestInput {
        title: cut(&title, TITLE_MAX),
        description,
        category: intake.category.clone().unwrap_or_else(|| "other".into()),
        watchers: colleagues(conn, inbound.settings, message, reply, sender)?.into_iter().take(WATCHERS_MAX).collect(),
        ..RequestInput::default()
    };
    let ids = match stage_files(conn, inbound, &actor, message, now)? {
        Ok(ids) => ids,
        Err(why) => return received.reject(conn, why),
    };
    let mailed = MailedTo { address: intake.address.to_lowercase(), team: intake.team.clone() };
    let filed = write_tx(conn, |c| {
        let (detail, words) =
            requests::file_mailed(c, &actor, inbound.notifier, inbound.config, &input, Some(&mailed), now)?;
        if !ids.is_empty() {
            attachments::attach(c, &actor, &ids, &detail.request.id, None, false, now)?;
        }
        received.record(c, None, Some(detail.request.id.clone()))?;
        db::index_new(c, vec![words])?;
        Ok::<_, Error>(detail)
    });
    match filed {
        Ok(detail) => Ok(Outcome::Filed(detail.request.key)),
        Err(e) => {
            attachments::discard(conn, &ids)?;
            received.failed(conn, e, |e| format!("could not file a request from it: {e}"))
        }
    }
}

/// Text on one line, without control characters.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").chars().filter(|c| !c.is_control()).collect()
}

/// At most `max` characters.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
