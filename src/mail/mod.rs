//! Sending mail: one `Mailer` over a transport chosen in config, `file` (one .eml per message
//! under data/mail, no server needed) or `smtp` (lettre, rustls). Messages come from the
//! outbox already rendered; this module only builds the MIME message and hands it over.

pub mod digest;
pub mod message;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailSettings, MailTransport, SmtpTls};
use crate::db::OutboxRow;

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(PathBuf),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
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
        Ok(Self { from, transport })
    }

    /// Sends one outbox message; the error is what goes into `last_error`.
    pub async fn send(&self, row: &OutboxRow) -> Result<(), String> {
        let message = self.build(row)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| format!("SMTP: {e}")),
            Transport::File(dir) => {
                // Named by the outbox id and written through a rename, so a resend replaces
                // the same file instead of adding a second one.
                let (dir, id, bytes) = (dir.clone(), row.id.clone(), message.formatted());
                actix_web::web::block(move || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    let tmp = dir.join(format!(".{id}.eml.tmp"));
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(tmp, dir.join(format!("{id}.eml")))
                })
                .await
                .map_err(|e| format!("file transport: {e}"))?
                .map_err(|e| format!("file transport: {e}"))
            }
        }
    }

    fn build(&self, row: &OutboxRow) -> Result<Message, String> {
        let recipients: Vec<String> =
            serde_json::from_str(&row.recipients).map_err(|e| format!("unreadable recipients: {e}"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(row.subject.clone())
            .message_id(Some(row.message_id.clone()));
        for to in &recipients {
            builder = builder.to(to.parse().map_err(|e| format!("recipient '{to}': {e}"))?);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(row.text_body.clone(), row.html_body.clone()))
            .map_err(|e| format!("building the message: {e}"))
    }
}
