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
