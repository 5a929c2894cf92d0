//! Settings, parsed once at start-up into typed values and passed in; never read from a global.
//!
//! Layers, later wins: `<dir>/default.toml`, optional `<dir>/local.toml`, environment variables
//! `CHANGEDESK__SECTION__KEY`, then `DATABASE_URL` for the database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod attachments;
mod mail;
mod sso;
mod triage;
pub use attachments::AttachmentSettings;
pub use mail::{
    ImapSettings, ImapTls, InboundSettings, IntakeAddress, MailSettings, MailTransport, OutboxSettings, SmtpSettings,
    SmtpTls,
};
pub use sso::SsoSettings;
pub use triage::RequestTypeSettings;

use crate::domain::calendar::BusinessCalendar;
use crate::domain::routing::{Category, Rule, validate_key};
use crate::domain::sla::{Policy, SlaConfig, TeamSla};
use crate::domain::{FieldErrors, OwnershipMap};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub org: OrgSettings,
    pub mail: MailSettings,
    pub routing: RoutingSettings,
    pub teams: Vec<TeamSettings>,
    pub categories: Vec<Category>,
    #[serde(default)]
    pub routing_rules: Vec<Rule>,
    pub sla: SlaSettings,
    pub reports: ReportSettings,
    pub digest: DigestSettings,
    /// Single sign-on with OpenID Connect; off unless `sso.issuer` is set.
    #[serde(default)]
    pub sso: SsoSettings,
    #[serde(default)]
    pub attachments: AttachmentSettings,
    #[serde(default)]
    pub request_types: RequestTypeSettings,
}

/// The responsiveness gap compares one team (`gap_team`) with another (`gap_baseline`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    pub gap_team: String,
    pub gap_baseline: String,
    /// The share of first-response targets each team aims to meet: the goal line on the
    /// attainment charts of the dashboard and the digest.
    #[serde(default = "ReportSettings::default_attainment_goal")]
    pub attainment_goal: f64,
}

impl ReportSettings {
    fn default_attainment_goal() -> f64 {
        0.9
    }
}

/// The weekly SLA digest: when (local time in `timezone`) and to whom.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    pub weekday: chrono::Weekday,
    /// HH:MM, local time.
    pub time: String,
    /// IANA timezone; the organisation's when absent.
    #[serde(default)]
    pub timezone: Option<chrono_tz::Tz>,
    pub recipients: Vec<String>,
    /// Whether each team's leads also get their team's digest.
    #[serde(default = "DigestSettings::default_team_digests")]
    pub team_digests: bool,
    /// How often the scheduler checks whether a digest is due.
    pub check_interval_seconds: u64,
}

impl DigestSettings {
    fn default_team_digests() -> bool {
        true
    }

    pub fn local_time(&self) -> Option<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(&self.time, "%H:%M").ok()
    }
}

/// SLA calendars, policies and escalation ladders (seed of the first SLA version), and the sweeper.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    /// How often the sweeper looks for clocks that became at risk or breached (and for resolved
    /// requests to close).
    pub sweep_interval_seconds: u64,
    /// A resolved request the requester has not answered closes at the end of this many of its
    /// team's business days after it was resolved (a mail warns on the morning of the last);
    /// 0: never on its own.
    #[serde(default = "SlaSettings::auto_close_default")]
    pub auto_close_business_days: u32,
    pub calendars: Vec<BusinessCalendar>,
    pub teams: Vec<TeamSla>,
    pub policies: Vec<Policy>,
}

impl SlaSettings {
    fn auto_close_default() -> u32 {
        5
    }

    pub fn config(&self) -> SlaConfig {
        SlaConfig {
            calendars: self.calendars.clone(),
            policies: self.policies.clone(),
            teams: self.teams.clone(),
            waiting_reasons: crate::domain::sla::default_waiting_reasons(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    /// Largest accepted JSON body in bytes; bigger bodies get 413.
    pub json_limit_bytes: usize,
    /// Public address of the service, used in links.
    pub base_url: String,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed, as
    /// addresses or networks ("10.0.0.0/8", "::1"). From anyone else those headers are ignored:
    /// the client's address is the connection's.
    #[serde(default, deserialize_with = "networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Networks, each written as a network or as a single address (a network of one).
fn networks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let written = Vec::<String>::deserialize(d)?;
    written
        .iter()
        .map(|w| {
            w.parse::<ipnet::IpNet>().or_else(|_| w.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)).map_err(|_| {
                serde::de::Error::custom(format!("'{w}' is not an address or a network such as 10.0.0.0/8"))
            })
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub pool_size: u32,
    /// Filings that may wait for their turn to write; one more is answered 503 at once.
    pub write_queue: usize,
    /// How long a filing may wait for its turn before it is answered 503 without starting.
    pub write_wait_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettings {
    pub name: String,
    /// IANA timezone of the organisation (reports and the weekly digest).
    pub timezone: chrono_tz::Tz,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingSettings {
    /// Team that takes `other` and any category without an owner.
    pub fallback_team: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSettings {
    pub key: String,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub leads: Vec<String>,
}

/// A value that must never reach a log: `Debug` prints `[redacted]`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration in {layers}: {source}")]
    Load { layers: String, source: config::ConfigError },
    #[error("configuration in {layers}: {problems}")]
    Invalid { layers: String, problems: FieldErrors },
}

impl Settings {
    /// Reads `dir`, the environment and `DATABASE_URL`, then checks the values against each other.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        // Values are merged, so a problem is reported against every layer that could hold it.
        let local = dir.join("local.toml");
        let mut layers = dir.join("default.toml").display().to_string();
        if local.exists() {
            layers.push_str(&format!(" + {}", local.display()));
        }
        layers.push_str(" + CHANGEDESK__* environment");
        let load_err = |source| ConfigError::Load { layers: layers.clone(), source };
        let mut builder = config::Config::builder()
            .add_source(config::File::from(dir.join("default.toml")).required(true))
            .add_source(config::File::from(dir.join("local.toml")).required(false))
            .add_source(
                config::Environment::with_prefix("CHANGEDESK").prefix_separator("__").separator("__").try_parsing(true),
            );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url).map_err(load_err)?;
        }
        let settings: Settings = builder.build().and_then(|c| c.try_deserialize()).map_err(load_err)?;
        settings.validate().map_err(|problems| ConfigError::Invalid { layers, problems })?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        let sso = &self.sso;
        if sso.enabled() {
            if url::Url::parse(&sso.issuer).is_err() {
                errors.add("sso.issuer", format!("'{}' is not a URL", sso.issuer));
            }
            if sso.client_id.is_empty() {
                errors.add("sso.client_id", "is required with sso.issuer");
            }
            if !sso.new_user_role.is_empty() && crate::domain::Role::parse(&sso.new_user_role).is_err() {
                errors.add("sso.new_user_role", "must be requester, agent, lead, admin or empty");
            }
            if !matches!(sso.password_sign_in.as_str(), "everyone" | "admins") {
                errors.add("sso.password_sign_in", "must be everyone or admins");
            }
            if !(1..=24 * 30).contains(&sso.session_hours) {
                errors.add("sso.session_hours", "must be between 1 and 720");
            }
        }
        for (i, t) in self.teams.iter().enumerate() {
            if let Err(e) = validate_key(&t.key) {
                errors.add(format!("teams[{i}].key"), e);
            }
            if self.teams[..i].iter().any(|o| o.key == t.key) {
                errors.add(format!("teams[{i}].key"), format!("duplicate team '{}'", t.key));
            }
            if !t.email.contains('@') {
                errors.add(format!("teams[{i}].email"), "must be an email address");
            }
        }
        if self.teams.is_empty() {
            errors.add("teams", "at least one team is required");
        }
        if self.mail.outbox.poll_interval_seconds == 0 {
            errors.add("mail.outbox.poll_interval_seconds", "must be at least 1");
        }
        if self.mail.outbox.max_attempts < 1 {
            errors.add("mail.outbox.max_attempts", "must be at least 1");
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp.host.trim().is_empty() {
            errors.add("mail.smtp.host", "is required with transport = \"smtp\"");
        }
        if url::Url::parse(&self.server.base_url).is_err() {
            errors.add("server.base_url", "must be an absolute URL such as https://changedesk.example.org");
        }
        let teams = self.team_keys();
        for (key, team) in
            [("reports.gap_team", &self.reports.gap_team), ("reports.gap_baseline", &self.reports.gap_baseline)]
        {
            if !teams.contains(team) {
                errors.add(key, format!("unknown team '{team}'"));
            }
        }
        if !(0.0..=1.0).contains(&self.reports.attainment_goal) {
            errors.add("reports.attainment_goal", "must be a share from 0 to 1, such as 0.9");
        }
        self.attachments.check(&mut errors);
        self.mail.check_inbound(&self.team_keys(), &mut errors);
        if self.digest.local_time().is_none() {
            errors.add("digest.time", format!("'{}' is not a time as HH:MM", self.digest.time));
        }
        if self.digest.check_interval_seconds == 0 {
            errors.add("digest.check_interval_seconds", "must be at least 1");
        }
        for (i, r) in self.digest.recipients.iter().enumerate() {
            if !r.contains('@') {
                errors.add(format!("digest.recipients[{i}]"), format!("'{r}' is not an email address"));
            }
        }
        if self.sla.sweep_interval_seconds == 0 {
            errors.add("sla.sweep_interval_seconds", "must be at least 1");
        }
        if let Err(sla_errors) = self.sla.config().validate(&self.team_keys()) {
            for (field, problem) in sla_errors.0 {
                errors.add(format!("sla.{field}"), problem);
            }
        }
        if self.database.pool_size == 0 {
            errors.add("database.pool_size", "must be at least 1");
        }
        if self.database.write_queue == 0 {
            errors.add("database.write_queue", "must be at least 1");
        }
        if self.database.write_wait_ms == 0 {
            errors.add("database.write_wait_ms", "must be at least 1");
        }
        if let Err(map_errors) = self.ownership_map().validate(&self.team_keys()) {
            for (field, problem) in map_errors.0 {
                let key = match field.strip_prefix("rules") {
                    Some(rest) => format!("routing_rules{rest}"),
                    None if field == "fallback_team" => "routing.fallback_team".into(),
                    None => field,
                };
                errors.add(key, problem);
            }
        }
        errors.finish(|| ())
    }

    pub fn team_keys(&self) -> Vec<String> {
        self.teams.iter().map(|t| t.key.clone()).collect()
    }

    /// The ownership map the database is seeded with on first start.
    pub fn ownership_map(&self) -> OwnershipMap {
        OwnershipMap {
            fallback_team: self.routing.fallback_team.clone(),
            categories: self.categories.clone(),
            rules: self.routing_rules.clone(),
        }
    }
}

/// The config folder: `--config`, else `CHANGEDESK_CONFIG`, else `./config`.
pub fn default_dir() -> PathBuf {
    PathBuf::from("config")
}
