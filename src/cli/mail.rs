//! `changedesk mail list [--failed]` and `changedesk mail retry ID`.

use clap::Subcommand;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, from_db, to_db};
use crate::startup::prepare_database;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List outbox messages, newest first.
    List {
        /// Only messages parked as failed.
        #[arg(long)]
        failed: bool,
    },
    /// Queue a failed message again.
    Retry { id: String },
}

pub fn run(cmd: MailCommand, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let pool = prepare_database(settings, clock)?;
    let mut conn = pool.get()?;
    match cmd {
        MailCommand::List { failed } => {
            for m in db::list_mail(&mut conn, failed.then_some("failed"), 500)? {
                println!(
                    "{}  {:<7}  {}  attempts {}  {}  {}{}",
                    m.id,
                    m.status,
                    from_db(m.created_at).format("%Y-%m-%d %H:%M"),
                    m.attempts,
                    m.recipients,
                    m.subject,
                    m.last_error.map(|e| format!("  last error: {e}")).unwrap_or_default()
                );
            }
        }
        MailCommand::Retry { id } => {
            if !db::retry_mail(&mut conn, &id, to_db(clock.now()))? {
                anyhow::bail!("no failed message '{id}'");
            }
            println!("queued {id} again");
        }
    }
    Ok(())
}

/// Reads one message from standard input and uses it (`service::inbound`). Exit codes a mail
/// server understands: 0 once the message is used or kept as rejected (refusing by exit code
/// would bounce to senders who may be forged), 75 to try again later, 65 only over the size limit.
pub fn mailgate(settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    use std::io::Read;
    let again = |why: String| anyhow::Error::new(super::MailgateExit(75, why));
    let limit = settings.mail.inbound.max_bytes;
    let mut raw = Vec::new();
    std::io::stdin().take(limit + 1).read_to_end(&mut raw).map_err(|e| again(format!("reading the message: {e}")))?;
    let pool = prepare_database(settings, clock).map_err(|e| again(format!("the database: {e}")))?;
    let mut conn = pool.get().map_err(|e| again(format!("the database: {e}")))?;
    let now = clock.now();
    if raw.len() as u64 > limit {
        let head = &raw[..raw.len().min(64 * 1024)];
        crate::service::inbound::too_big(&mut conn, head, raw.len(), now).map_err(|e| again(e.to_string()))?;
        return Err(anyhow::Error::new(super::MailgateExit(65, format!("the message is over {limit} bytes"))));
    }
    let notifier = crate::service::notify::Notifier::from_settings(settings);
    let config = crate::service::in_force::ConfigCache::default();
    let inbound = crate::service::inbound::Inbound { settings, notifier: &notifier, config: &config };
    let outcome = crate::service::inbound::receive(&mut conn, &inbound, &raw, now).map_err(|e| again(e.to_string()))?;
    eprintln!("changedesk mailgate: {outcome:?}");
    Ok(())
}
