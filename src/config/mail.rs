//! `[mail]`: how changedesk sends mail (a file per message, or SMTP), how the outbox retries,
//! and how much mail it takes in.

use std::path::PathBuf;

use serde::Deserialize;

use super::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub from: String,
    pub transport: MailTransport,
    /// Where the `file` transport writes one .eml per message.
    pub file_dir: PathBuf,
    pub smtp: SmtpSettings,
    pub outbox: OutboxSettings,
    /// Mail coming in through `changedesk mailgate`.
    #[serde(default)]
    pub inbound: InboundSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundSettings {
    /// Largest message taken, in bytes; a larger one is kept as rejected (its headers) and
    /// `mailgate` exits 65.
    pub max_bytes: u64,
    /// Most messages one sender may have used or kept in an hour; more are kept as rejected
    /// without being looked at (a mail loop stops here).
    pub per_sender_per_hour: i64,
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self { max_bytes: 25 * 1024 * 1024, per_sender_per_hour: 30 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    pub timeout_seconds: u64,
}

/// `none` (plain, e.g. a relay on loopback), `starttls` (upgrade on the submission port) or
/// `tls` (TLS from the first byte, port 465).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// How the outbox worker sends and retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub poll_interval_seconds: u64,
    /// After this many failed attempts a message is parked as failed.
    pub max_attempts: i32,
    /// First retry delay; doubles each attempt (with jitter) up to `backoff_max_seconds`.
    pub backoff_base_seconds: u64,
    pub backoff_max_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    File,
    Smtp,
}
