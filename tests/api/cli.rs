//! The binary itself: its commands, its configuration layers and its start-up log.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::helpers::*;

pub fn changedesk(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_changedesk"));
    cmd.env("DATABASE_URL", database_url).env_remove("RUST_LOG");
    cmd
}

pub fn output(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Kills the server when the test ends, pass or fail.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `changedesk serve` and returns it with the address its log reports and the log
/// lines as they arrive.
pub fn serve(cmd: &mut Command) -> (Server, String, Arc<Mutex<Vec<String>>>) {
    let mut child = cmd.stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines.next().expect("server exited before listening").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| sink.lock().unwrap().push(l)));
    (server, address, log)
}

async fn users_tokens_and_an_env_override(database_url: String) {
    let (ok, _, err) = output(changedesk(&database_url).args([
        "user",
        "add",
        "--email",
        "Ann@Example.org",
        "--name",
        "Ann",
        "--role",
        "requester",
    ]));
    assert!(ok, "{err}");
    let (ok, _, err) = output(changedesk(&database_url).args([
        "user",
        "add",
        "--email",
        "ann@example.org",
        "--name",
        "Ann",
        "--role",
        "requester",
    ]));
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = output(changedesk(&database_url).args([
        "user",
        "add",
        "--email",
        "ian@example.org",
        "--name",
        "Ian",
        "--role",
        "agent",
    ]));
    assert!(!ok && err.contains("team"), "agents need a team: {err}");

    let (ok, token, err) =
        output(changedesk(&database_url).args(["token", "create", "--email", "ann@example.org", "--label", "laptop"]));
    assert!(ok, "{err}");
    let token = token.trim().to_owned();
    assert!(token.starts_with("cdk_"), "{token}");
    let (ok, listed, _) = output(changedesk(&database_url).args(["token", "list", "--email", "ann@example.org"]));
    assert!(ok && listed.contains("laptop") && listed.contains("active") && !listed.contains(&token), "{listed}");

    let (_server, address, log) = serve(
        changedesk(&database_url)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("CHANGEDESK__SERVER__JSON_LIMIT_BYTES", "300"),
    );
    assert!(!address.ends_with(":0"), "the log names the real port: {address}");
    let client = reqwest::Client::new();
    let teams = client.get(format!("{address}/api/v1/teams")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(teams.status().as_u16(), 200);
    let big = serde_json::json!({ "title": "x".repeat(400), "description": "d", "category": "seo" });
    let resp = client.post(format!("{address}/api/v1/requests")).bearer_auth(&token).json(&big).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 413, "the environment lowered json_limit_bytes to 300");

    let id = listed.split_whitespace().next().unwrap();
    let (ok, _, err) = output(changedesk(&database_url).args(["token", "revoke", "--id", id]));
    assert!(ok, "{err}");
    let teams = client.get(format!("{address}/api/v1/teams")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(teams.status().as_u16(), 401);

    // One line per HTTP request, with method, path, status and duration; never the token.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("\"GET /api/v1/teams\" 401"), "{log}");
    assert!(log.contains("\"POST /api/v1/requests\" 413"), "{log}");
    assert!(!log.contains(&token) && !log.contains(&token[4..]), "the token leaked into the log");
}

#[tokio::test]
async fn cli_manages_users_and_tokens_and_env_overrides_config_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    users_tokens_and_an_env_override(format!("sqlite://{}", dir.path().join("cli.db").display())).await;
}

#[tokio::test]
async fn cli_manages_users_and_tokens_and_env_overrides_config_on_postgres() {
    if let Some(database) = fresh_postgres_database() {
        users_tokens_and_an_env_override(database.url.clone()).await;
    }
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "add", "--help"],
        vec!["token", "create", "--help"],
        vec!["token", "revoke", "--help"],
    ] {
        let (ok, out, _) = output(Command::new(env!("CARGO_BIN_EXE_changedesk")).args(&args));
        assert!(ok && out.contains("Usage:"), "{args:?}: {out}");
    }
}

#[test]
fn a_bad_config_file_stops_start_up_naming_the_file_the_key_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let default = std::fs::read_to_string("config/default.toml").unwrap();
    for (from, to, key) in [
        ("pool_size = 8", "pool_size = \"many\"", "database.pool_size"),
        ("timezone = \"Europe/London\"\n\n[mail]", "timezone = \"Mars/Olympus\"\n\n[mail]", "org.timezone"),
        ("first_response_minutes = 30\n", "first_response_minutes = 0\n", "sla.policies[0].first_response_minutes"),
        ("fallback_team = \"it\"", "fallback_team = \"sales\"", "routing.fallback_team"),
    ] {
        std::fs::write(dir.path().join("default.toml"), default.replace(from, to)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_changedesk"))
            .args(["--config", dir.path().to_str().unwrap(), "migrate"])
            .env("DATABASE_URL", format!("sqlite://{}", dir.path().join("x.db").display()))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("default.toml") && err.contains(key), "{key}: {err}");
        assert!(!dir.path().join("x.db").exists(), "nothing started");
    }
}
