//! The command line: `changedesk [serve|migrate|user add|token create|token list|token revoke|import]`.

mod import;
mod mail;
mod report;

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, from_db};
use crate::domain::Role;
use crate::service::users::{self, NewUser};
use crate::startup::{Application, prepare_database};

#[derive(Debug, Parser)]
#[command(
    name = "changedesk",
    version,
    about = "Website change requests between Marketing and IT, measured against SLAs"
)]
pub struct Cli {
    /// Folder holding default.toml (and an optional local.toml).
    #[arg(long, global = true, env = "CHANGEDESK_CONFIG", default_value = "config")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and seed a new database, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import past requests from a CSV file, to measure the gap before switching over.
    Import(import::ImportArgs),
    /// The mail outbox: list messages, retry failed ones.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Read one mail on standard input (a mail server's pipe): a reply to changedesk's mail
    /// becomes a comment, a new mail to a team's intake address a request; anything else is
    /// kept as rejected mail. Exits 0 when the message was used or kept, 75 to be tried again
    /// later, 65 for a message over mail.inbound.max_bytes.
    Mailgate,
    /// The SLA report for a period, as CSV or JSON.
    Report(report::ReportArgs),
    /// Print the weekly SLA digest, or --send it.
    Digest(report::DigestArgs),
    /// Replay a period under a proposed ownership map: the figures as they were and as they
    /// would have been, per team and category (e.g. --move seo=marketing).
    Whatif(report::WhatIfArgs),
    /// Write the ownership audit of a period into --out: audit.html (self-contained, print-ready)
    /// and audit-csv.zip (the CSVs behind every number).
    Audit(report::AuditArgs),
    /// Recompute every request's clocks, ledger, first response and first answer from its
    /// events; exit 0 when the stored state equals them, 3 naming the requests that drifted
    /// (repaired with --repair), 1 on any other failure.
    Verify {
        /// Store the recomputed state for every request that drifted.
        #[arg(long)]
        repair: bool,
    },
}

/// `mailgate` asks the mail server to act: 75 (try again later) or 65 (over the size limit).
#[derive(Debug, thiserror::Error)]
#[error("{1}")]
pub struct MailgateExit(pub u8, pub String);

/// `verify` found drift: the process exits with 3.
#[derive(Debug, thiserror::Error)]
#[error("{0} request(s) drifted from their events")]
pub struct Drifted(pub usize);

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long)]
    pub bind: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// Team the user works in (repeat for several).
        #[arg(long = "team")]
        teams: Vec<String>,
        /// Read a sign-in password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password, read from standard input (never from the command line); their
    /// sessions end. The way back in for an admin when single sign-on is out.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; it is printed once and only its hash is stored.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// List a user's tokens (ids and labels, never the tokens).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        id: String,
    },
}

fn verify(settings: &Settings, clock: &Clock, repair: bool) -> anyhow::Result<()> {
    let pool = prepare_database(settings, clock)?;
    let mut conn = pool.get()?;
    let bar = import::progress_bar(Some(crate::db::count_requests(&mut conn)? as u64));
    bar.set_message(if repair { "verifying and repairing" } else { "verifying" });
    let verified = crate::service::verify::verify(&mut conn, repair, &|done, _| bar.set_position(done))
        .map_err(|e| anyhow::anyhow!("verifying: {e}"))?;
    bar.finish_and_clear();
    for d in &verified.drift {
        println!("{}: {} {}", d.key, d.parts.join(", "), if repair { "repaired" } else { "drifted" });
    }
    println!("checked {} request(s), {} drifted", verified.checked, verified.drift.len());
    if verified.drift.is_empty() { Ok(()) } else { Err(Drifted(verified.drift.len()).into()) }
}

/// Builds the ledger of requests stored before it existed, with a progress bar.
fn build_ledger(pool: &crate::db::Pool, clock: &Clock) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let Some(missing) = crate::service::ledger::missing(&mut conn)? else { return Ok(()) };
    let bar = import::progress_bar(Some(missing));
    bar.set_message("building the ledger");
    let now = || clock.now();
    let built = crate::service::ledger::build_missing(&mut conn, &now, &|done, _| bar.set_position(done))
        .map_err(|e| anyhow::anyhow!("building the ledger: {e}"))?;
    bar.finish_and_clear();
    if let crate::service::ledger::Built::Now(n) = built {
        println!("built the ledger of {n} request(s)");
    }
    Ok(())
}

/// Runs the chosen command to completion.
pub fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let clock = Clock::System;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(settings, args),
        Command::Verify { repair } => verify(&settings, &clock, repair),
        Command::Migrate => {
            let pool = prepare_database(&settings, &clock)?;
            build_ledger(&pool, &clock)?;
            println!("database is up to date");
            Ok(())
        }
        Command::User(UserCommand::Add { email, name, role, teams, password_stdin }) => {
            let password_hash = if password_stdin { Some(read_password_hash()?) } else { None };
            let pool = prepare_database(&settings, &clock)?;
            let new = NewUser { email, name, role, teams, password_hash };
            let user = users::add_user(&mut *pool.get()?, &new, clock.now()).map_err(cli_error)?;
            println!("added {} <{}> as {}", user.name, user.email, user.role);
            Ok(())
        }
        Command::User(UserCommand::SetPassword { email }) => {
            let hash = read_password_hash()?;
            let pool = prepare_database(&settings, &clock)?;
            users::set_password_from_cli(&mut *pool.get()?, &email, hash, clock.now()).map_err(cli_error)?;
            println!("password set for {email}; their sessions ended");
            Ok(())
        }
        Command::Token(cmd) => token(cmd, &settings, &clock),
        Command::Import(args) => import::run(args, &settings, &clock),
        Command::Mail(cmd) => mail::run(cmd, &settings, &clock),
        Command::Mailgate => mail::mailgate(&settings, &clock),
        Command::Report(args) => report::report(args, &settings, &clock),
        Command::Digest(args) => report::digest(args, &settings, &clock),
        Command::Whatif(args) => report::whatif(args, &settings, &clock),
        Command::Audit(args) => report::audit(args, &settings, &clock),
    }
}

fn token(cmd: TokenCommand, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let pool = prepare_database(settings, clock)?;
    let mut conn = pool.get()?;
    match cmd {
        TokenCommand::Create { email, label } => {
            let (row, token) = users::create_token(&mut conn, &email, &label, clock.now()).map_err(cli_error)?;
            eprintln!("token {} ({}) for {email}; it is shown only this once:", row.id, row.label);
            println!("{token}");
        }
        TokenCommand::List { email } => {
            let user = db::user_by_email(&mut conn, &email)?.ok_or_else(|| anyhow::anyhow!("no user '{email}'"))?;
            for t in db::tokens_of(&mut conn, &user.id)? {
                let state = t.revoked_at.map_or("active".to_owned(), |r| format!("revoked {}", from_db(r)));
                println!("{}  {}  created {}  {state}", t.id, t.label, from_db(t.created_at));
            }
        }
        TokenCommand::Revoke { id } => {
            if !db::revoke_token(&mut conn, &id, None, db::to_db(clock.now()))? {
                anyhow::bail!("no active token '{id}'");
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}

fn cli_error(e: crate::service::Error) -> anyhow::Error {
    match e {
        crate::service::Error::Validation(fields) => anyhow::anyhow!("invalid input: {fields}"),
        other => anyhow::anyhow!("{other}"),
    }
}

fn read_password_hash() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    crate::auth::hash_password(password.trim_end_matches(['\r', '\n'])).map_err(|e| anyhow::anyhow!("the password {e}"))
}

fn serve(mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(bind) = args.bind {
        settings.server.bind = bind;
    }
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings, Clock::System)?;
        log::info!("listening on http://{}", app.addr());
        app.run_until_stopped().await?;
        Ok(())
    })
}
