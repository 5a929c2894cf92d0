//! `[mail]`: how changedesk sends mail (a file per message, or SMTP), how the outbox retries,
//! and how much mail it takes in.

use std::path::PathBuf;

use serde::Deserialize;

use super::Secret;
use crate::domain::FieldErrors;
use crate::domain::request::parse_address;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub from: String,
    pub transport: MailTransport,
    /// Where the `file` transport writes one .eml per message.
    pub file_dir: PathBuf,
    pub smtp: SmtpSettings,
    pub outbox: OutboxSettings,
    /// Mail coming in, through `changedesk mailgate` or the IMAP worker.
    #[serde(default)]
    pub inbound: InboundSettings,
    /// The mailbox the IMAP worker of `changedesk serve` fetches from; none: no worker.
    #[serde(default)]
    pub imap: Option<ImapSettings>,
    /// Whether the requester gets a mail confirming each request they file.
    #[serde(default = "yes")]
    pub confirm_filing: bool,
}

fn yes() -> bool {
    true
}

impl MailSettings {
    /// The inbound and IMAP settings' problems, named by their keys.
    pub fn check_inbound(&self, teams: &[String], errors: &mut FieldErrors) {
        let inbound = &self.inbound;
        if let Some(address) = &inbound.address
            && (parse_address(address).is_err() || address.contains('+'))
        {
            errors.add("mail.inbound.address", format!("'{address}' is not an address without a +tag"));
        }
        for (i, intake) in inbound.intake.iter().enumerate() {
            if parse_address(&intake.address).is_err() {
                errors.add(
                    format!("mail.inbound.intake[{i}].address"),
                    format!("'{}' is not an address", intake.address),
                );
            }
            if !teams.contains(&intake.team) {
                errors.add(format!("mail.inbound.intake[{i}].team"), format!("unknown team '{}'", intake.team));
            }
        }
        if let Some(imap) = &self.imap {
            if imap.host.trim().is_empty() {
                errors.add("mail.imap.host", "is required");
            }
            if imap.poll_seconds == 0 || imap.timeout_seconds == 0 {
                errors.add("mail.imap.poll_seconds", "poll_seconds and timeout_seconds must be at least 1");
            }
            // Renewed after each wait: it must outlast one wait and one answer.
            if imap.lease_seconds <= imap.poll_seconds + imap.timeout_seconds {
                errors.add("mail.imap.lease_seconds", "must be longer than poll_seconds + timeout_seconds");
            }
        }
    }
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
    /// The address replies go to: each recipient of a request's mail gets a Reply-To of their
    /// own on it (`local+{request}-{token}@domain`, mail::reply). None: replies are known by
    /// their threading headers alone.
    pub address: Option<String>,
    /// Team intake addresses: a new mail to one files a request.
    pub intake: Vec<IntakeAddress>,
    /// Domains whose people may file by mail without an account (one is made for them); a
    /// sender changedesk does not know from elsewhere is refused.
    pub allowed_domains: Vec<String>,
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1024 * 1024,
            per_sender_per_hour: 30,
            address: None,
            intake: Vec::new(),
            allowed_domains: Vec::new(),
        }
    }
}

/// A team's intake address: new mail to it files a request, routed by the rules over its
/// subject and body as the form is; when no rule matches, it goes to this team.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeAddress {
    pub address: String,
    pub team: String,
    /// The category its requests are filed in; `other` when absent.
    #[serde(default)]
    pub category: Option<String>,
}

/// An IMAP mailbox: new mail in `mailbox` is taken in, then moved to `done_folder`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    /// `none` (loopback only) or `tls` (TLS from the first byte, port 993).
    pub tls: ImapTls,
    pub username: String,
    pub password: Secret,
    #[serde(default = "ImapSettings::inbox")]
    pub mailbox: String,
    /// Where taken mail goes (used or kept as rejected); made when missing.
    #[serde(default = "ImapSettings::done")]
    pub done_folder: String,
    /// How long one wait for new mail (IDLE, or a pause without it) lasts before looking again.
    #[serde(default = "ImapSettings::poll")]
    pub poll_seconds: u64,
    /// How long a connection or one command may take.
    #[serde(default = "ImapSettings::timeout")]
    pub timeout_seconds: u64,
    /// One instance at a time holds the mailbox, for this long unless it renews.
    #[serde(default = "ImapSettings::lease")]
    pub lease_seconds: u64,
}

impl ImapSettings {
    fn inbox() -> String {
        "INBOX".into()
    }
    fn done() -> String {
        "changedesk-done".into()
    }
    fn poll() -> u64 {
        60
    }
    fn timeout() -> u64 {
        30
    }
    fn lease() -> u64 {
        120
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImapTls {
    None,
    Tls,
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
