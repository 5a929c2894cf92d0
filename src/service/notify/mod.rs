//! Which changes send mail, to whom and saying what. Each function queues an outbox row inside
//! the caller's transaction, so the mail exists exactly when the change does.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::{self, AnyConnection, OutboxRow, RequestRow, to_db};
use crate::domain::request::request_key;
use crate::mail::message::{Notice, Rendered, render};
use crate::service::Error;

mod notices;
pub use notices::Update;

/// What every message needs from configuration.
#[derive(Debug, Clone)]
pub struct Notifier {
    /// Public address of the service, for links.
    pub base_url: String,
    pub org: String,
    /// Right-hand side of Message-IDs.
    pub host: String,
    /// Times in mail are written in the reader's zone, else this one (the organisation's).
    pub timezone: chrono_tz::Tz,
    /// Whether a requester gets a confirmation of each request they file.
    pub confirm_filing: bool,
    /// What happened to each kind of request lately, for the receipt and the form's preview.
    pub eta: std::sync::Arc<crate::read::eta::EtaCache>,
}

impl Notifier {
    pub fn new(base_url: &str, org: &str) -> Self {
        let host = url::Url::parse(base_url).ok().and_then(|u| u.host_str().map(str::to_owned));
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            org: org.to_owned(),
            host: host.unwrap_or_else(|| "changedesk.localhost".into()),
            timezone: chrono_tz::UTC,
            confirm_filing: true,
            eta: Default::default(),
        }
    }

    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            timezone: settings.org.timezone,
            confirm_filing: settings.mail.confirm_filing,
            ..Self::new(&settings.server.base_url, &settings.org.name)
        }
    }

    pub fn link(&self, row: &RequestRow) -> String {
        format!("{}/requests/{}", self.base_url, request_key(row.number))
    }

    /// Queues a notice. Returns whether it was queued (false: nobody to send to, or a message
    /// with the same dedupe key was queued before).
    #[allow(clippy::too_many_arguments)]
    pub fn queue(
        &self,
        conn: &mut AnyConnection,
        kind: &str,
        request_id: Option<&str>,
        to: &[String],
        notice: &Notice,
        dedupe: Option<String>,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let rendered =
            render(notice, &self.org).map_err(|e| Error::Internal(anyhow::anyhow!("rendering mail: {e}")))?;
        self.queue_rendered(conn, kind, request_id, to, rendered, dedupe, due, now)
    }

    /// Queues an already rendered message. `dedupe` makes "once ever" messages idempotent;
    /// `due` is when it may first be sent.
    #[allow(clippy::too_many_arguments)]
    pub fn queue_rendered(
        &self,
        conn: &mut AnyConnection,
        kind: &str,
        request_id: Option<&str>,
        to: &[String],
        message: Rendered,
        dedupe: Option<String>,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let mut to: Vec<String> = to.iter().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect();
        to.sort();
        to.dedup();
        if to.is_empty() {
            return Ok(false);
        }
        let id = Uuid::now_v7().to_string();
        let row = OutboxRow {
            message_id: format!("<{id}@{}>", self.host),
            dedupe_key: dedupe.unwrap_or_else(|| id.clone()),
            id,
            kind: kind.to_owned(),
            request_id: request_id.map(str::to_owned),
            recipients: serde_json::json!(to).to_string(),
            subject: message.subject,
            text_body: message.text,
            html_body: message.html,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: to_db(due),
            locked_until: None,
            last_error: None,
            created_at: to_db(now),
            sent_at: None,
            inline_png: message.inline_png,
        };
        Ok(db::enqueue_mail(conn, &row)?)
    }

    fn notice(&self, row: &RequestRow, subject: String, heading: String, body: Option<String>) -> Notice {
        Notice {
            subject,
            heading,
            key: request_key(row.number),
            lines: vec![
                ("Request".into(), format!("{} {}", request_key(row.number), row.title)),
                ("Category".into(), row.category.clone()),
                ("Priority".into(), row.priority.clone()),
                ("Team".into(), row.team_key.clone()),
                ("Status".into(), row.status.replace('_', " ")),
            ],
            body,
            link: self.link(row),
        }
    }

    /// The request type's fields of `row`, labelled as the types it was filed under name them
    /// (one read, only for a request that has fields).
    fn field_lines(&self, conn: &mut AnyConnection, row: &RequestRow) -> Result<Vec<(String, String)>, Error> {
        let values = crate::domain::request_type::stored_fields(row.fields.as_deref());
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let types = match row.type_version {
            Some(v) => crate::db::types_version(conn, v)?.types,
            None => Vec::new(),
        };
        let def = crate::domain::request_type::type_of(&types, &row.category);
        Ok(values
            .iter()
            .map(|(key, value)| {
                let label =
                    def.and_then(|d| d.fields.iter().find(|f| &f.key == key)).map_or(key.clone(), |f| f.label.clone());
                (label, crate::domain::request_type::shown(value))
            })
            .collect())
    }
}
