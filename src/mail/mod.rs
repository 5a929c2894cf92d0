//! Sending mail: one `Mailer` over a transport chosen in config, `file` (one .eml per message
//! under data/mail, no server needed) or `smtp` (lettre, rustls). Messages come from the
//! outbox already rendered; this module only builds the MIME message and hands it over.

pub mod digest;
pub mod imap;
pub mod message;
pub mod reply;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailSettings, MailTransport, SmtpTls};
use crate::db::OutboxRow;

/// The Content-ID of a message's inline chart: its HTML part shows it as `cid:trend-chart`.
pub const INLINE_CHART: &str = "trend-chart";

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(PathBuf),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    /// With an inbound address: each recipient of a request's mail gets their own message,
    /// with their own reply address.
    reply: Option<reply::ReplyAddresses>,
}

impl Mailer {
    pub fn from_settings(s: &MailSettings) -> anyhow::Result<Self> {
        let from: Mailbox = s.from.parse().map_err(|e| anyhow::anyhow!("mail.from '{}': {e}", s.from))?;
        let transport = match s.transport {
            MailTransport::File => Transport::File(s.file_dir.clone()),
            MailTransport::Smtp => {
                let smtp = &s.smtp;
                let builder = match smtp.tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
                    SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
                };
                let mut builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(smtp.timeout_seconds)));
                if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Self { from, transport, reply: None })
    }

    /// Gives each recipient of a request's mail a reply address of their own.
    pub fn with_reply_addresses(mut self, reply: Option<reply::ReplyAddresses>) -> Self {
        self.reply = reply;
        self
    }

    /// How many messages the outbox claims, and then marks sent, by one write each. Over SMTP,
    /// ten: ten timeouts stay well inside one claim's lease. To files, two hundred: writing a
    /// file takes microseconds, and the claim and the mark were most of what mail cost a filing.
    pub fn claim_size(&self) -> usize {
        match self.transport {
            Transport::Smtp(_) => 10,
            Transport::File(_) => 200,
        }
    }

    /// Whether the outbox claims messages under a lease before sending them. Over SMTP, yes: a
    /// message must reach the server once. To files, no: a message's files are named by its id
    /// and renamed into place, so two senders writing one message leave the same files, and a
    /// crash before the mark writes them again. Skipping the claim saves rewriting each
    /// message's row (its bodies, about 3.5 KB) once more: a sixth of the filing rate at
    /// sixteen connections (docs/benchmarks.md).
    pub fn needs_claim(&self) -> bool {
        matches!(self.transport, Transport::Smtp(_))
    }

    /// Sends outbox messages, answering for each in order (an error is what goes into the
    /// message's `last_error`). The file transport writes them all in one trip to the blocking
    /// pool.
    pub async fn send_all(&self, rows: &[OutboxRow]) -> Vec<Result<(), String>> {
        match &self.transport {
            Transport::Smtp(smtp) => {
                let mut sent = Vec::with_capacity(rows.len());
                for row in rows {
                    sent.push(match self.build(row) {
                        Ok(messages) => send_each(smtp, messages).await,
                        Err(e) => Err(e),
                    });
                }
                sent
            }
            Transport::File(dir) => {
                let built: Vec<_> = rows
                    .iter()
                    .map(|r| self.build(r).map(|m| (r.id.clone(), m.iter().map(Message::formatted).collect())))
                    .collect();
                let dir = dir.clone();
                let written = actix_web::web::block(move || write_files(&dir, built)).await;
                written.unwrap_or_else(|e| vec![Err(format!("file transport: {e}")); rows.len()])
            }
        }
    }

    /// The message, or with reply addresses one per recipient of a request's mail (the same
    /// Message-ID: copies of one message that differ only in To and Reply-To).
    fn build(&self, row: &OutboxRow) -> Result<Vec<Message>, String> {
        let recipients: Vec<String> =
            serde_json::from_str(&row.recipients).map_err(|e| format!("unreadable recipients: {e}"))?;
        match (&self.reply, &row.request_id) {
            (Some(reply), Some(request)) => recipients
                .iter()
                .map(|to| {
                    let reply_to = reply.for_recipient(request, to);
                    self.build_for(row, std::slice::from_ref(to), Some(&reply_to))
                })
                .collect(),
            _ => Ok(vec![self.build_for(row, &recipients, None)?]),
        }
    }

    fn build_for(&self, row: &OutboxRow, recipients: &[String], reply_to: Option<&str>) -> Result<Message, String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(row.subject.clone())
            .message_id(Some(row.message_id.clone()));
        for to in recipients {
            builder = builder.to(to.parse().map_err(|e| format!("recipient '{to}': {e}"))?);
        }
        if let Some(reply_to) = reply_to {
            builder = builder.reply_to(reply_to.parse().map_err(|e| format!("reply address '{reply_to}': {e}"))?);
        }
        // Every mail about one request names the same (never sent) root message, so mail
        // clients thread a request's mails together; replies name it back.
        if let Some(request) = &row.request_id {
            let root = thread_root(request, &row.message_id);
            builder = builder.in_reply_to(root.clone()).references(root);
        }
        // Text or HTML; the HTML with its chart beside it (multipart/related) when it has one.
        let png_type = ContentType::parse("image/png").map_err(|e| format!("image/png: {e}"))?;
        let body = match &row.inline_png {
            None => MultiPart::alternative_plain_html(row.text_body.clone(), row.html_body.clone()),
            Some(png) => MultiPart::alternative().singlepart(SinglePart::plain(row.text_body.clone())).multipart(
                MultiPart::related()
                    .singlepart(SinglePart::html(row.html_body.clone()))
                    .singlepart(Attachment::new_inline(INLINE_CHART.to_owned()).body(png.clone(), png_type)),
            ),
        };
        builder.multipart(body).map_err(|e| format!("building the message: {e}"))
    }
}

/// The Message-ID a request's mails all refer to: `<request-{id}@{host}>`, the host that of the
/// outbox's own Message-IDs.
pub fn thread_root(request_id: &str, message_id: &str) -> String {
    let host = message_id.trim_end_matches('>').rsplit_once('@').map_or("changedesk", |(_, host)| host);
    format!("<request-{request_id}@{host}>")
}

/// An outbox message built: its id and the bytes of each copy, or why it could not be.
type Built = Result<(String, Vec<Vec<u8>>), String>;

/// Writes each built message to `<outbox id>.eml` under `dir` (its copies, one per recipient,
/// to `<outbox id>.<n>.eml`), through a rename, so a resend replaces the same files instead of
/// adding more.
fn write_files(dir: &Path, built: Vec<Built>) -> Vec<Result<(), String>> {
    let made = std::fs::create_dir_all(dir).map_err(|e| format!("file transport: {e}"));
    built
        .into_iter()
        .map(|message| {
            made.clone()?;
            let (id, copies) = message?;
            let single = copies.len() == 1;
            for (n, bytes) in copies.into_iter().enumerate() {
                let name = if single { format!("{id}.eml") } else { format!("{id}.{n}.eml") };
                let tmp = dir.join(format!(".{name}.tmp"));
                std::fs::write(&tmp, bytes)
                    .and_then(|()| std::fs::rename(tmp, dir.join(name)))
                    .map_err(|e| format!("file transport: {e}"))?;
            }
            Ok(())
        })
        .collect()
}

/// Sends a message's copies; the first failure is the message's (a retry sends them all again).
async fn send_each(smtp: &AsyncSmtpTransport<Tokio1Executor>, messages: Vec<Message>) -> Result<(), String> {
    for message in messages {
        smtp.send(message).await.map_err(|e| format!("SMTP: {e}"))?;
    }
    Ok(())
}
