//! A real IMAP server on loopback for the inbound-mail tests: Debian's dovecot-imapd, started by
//! hand with a config of its own (nothing in /etc/dovecot is read), one user, mail in a Maildir
//! under a temp directory. The helpers talk to it over IMAP with async-imap, as the worker does.
//! Start to greeting takes ~30-40 ms, `stop` ~1.1 s.
//!
//! Runs as root (CI does): dovecot then drops to its own users, `dovecot` for its internal
//! processes, `dovenull` for imap-login, and `nobody:nogroup` for the user's mail, so the temp
//! directory is opened up to 755 and the mail folder is given to nobody. As any other user
//! dovecot cannot change users: the config then names the current user and group everywhere and
//! nothing is chowned (see `Identity`); the `chroot =` lines are what make that work. Both were
//! run here (as root, and as `nobody` through setpriv).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;

const DOVECOT: &str = "/usr/sbin/dovecot";
/// Every IMAP exchange of the helpers is bounded: a server that stops answering fails the test
/// instead of hanging it.
const IMAP_TIMEOUT: Duration = Duration::from_secs(10);

pub type ImapSession = async_imap::Session<tokio::net::TcpStream>;

pub struct ImapServer {
    pub port: u16,
    pub user: String,
    pub password: String,
    child: Option<Child>,
    /// /tmp/imapXXXXXX: dovecot's sockets live under it, and a socket path longer than ~108
    /// bytes fails ("File name too long"), so it stays short (not under target/).
    dir: tempfile::TempDir,
}

/// A port nobody listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Who dovecot's processes and the mail run as.
struct Identity {
    internal_user: String,
    internal_group: String,
    login_user: String,
    mail_uid: String,
    mail_gid: String,
}

impl Identity {
    fn current() -> Self {
        // The owner of /proc/self is this process's effective user: root check without libc.
        let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        if root {
            Self {
                internal_user: "dovecot".into(),
                internal_group: "dovecot".into(),
                login_user: "dovenull".into(),
                mail_uid: "nobody".into(),
                mail_gid: "nogroup".into(),
            }
        } else {
            // Not root: dovecot can't switch users, so everything runs as us.
            let id = |flag: &str| {
                let out = Command::new("id").arg(flag).output().expect("run id");
                String::from_utf8(out.stdout).unwrap().trim().to_owned()
            };
            let (user, group) = (id("-un"), id("-gn"));
            Self {
                internal_user: user.clone(),
                internal_group: group.clone(),
                login_user: user,
                mail_uid: id("-u"),
                mail_gid: id("-g"),
            }
        }
    }
}

impl ImapServer {
    /// Starts dovecot on a free loopback port with one user, `desk` / `deskpw`, and waits for its
    /// `* OK` greeting. Fails loudly when dovecot is missing: tests/run installs dovecot-imapd.
    pub fn start() -> Self {
        assert!(
            Path::new(DOVECOT).exists(),
            "{DOVECOT} is missing: tests/run installs dovecot-imapd (apt-get install -y dovecot-imapd)"
        );
        let dir = tempfile::Builder::new().prefix("imap").tempdir_in("/tmp").unwrap();
        let port = free_port();
        let (user, password) = ("desk".to_owned(), "deskpw".to_owned());
        let root = dir.path();
        // dovecot's unprivileged processes must get through the directory (tempdir makes it 700).
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let who = Identity::current();
        let mail = root.join("mail");
        std::fs::create_dir(&mail).unwrap();
        if who.mail_uid == "nobody" {
            // nobody:nogroup, 65534 on Debian; as root only (chown by name needs no libc).
            let status = Command::new("chown").arg("nobody:nogroup").arg(&mail).status().unwrap();
            assert!(status.success(), "chown nobody:nogroup {}", mail.display());
        }
        std::fs::write(root.join("users"), format!("{user}:{{PLAIN}}{password}\n")).unwrap();
        std::fs::write(root.join("dovecot.conf"), config(root, port, &who)).unwrap();
        let mut server = Self { port, user, password, child: None, dir };
        server.spawn();
        server
    }

    /// Stops dovecot and waits for it (about a second): SIGTERM to the master, then to what it
    /// leaves behind. Open sessions get `* BYE Server shutting down.` and are closed, as when a
    /// service manager stops dovecot; the mail stays. Never SIGKILL the master: its children
    /// would linger.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
        // The master exits after ~1 s, but each logged-in session's imap process (and log,
        // stats) outlives it by ~10 s and keeps serving its client: end them too, by PID.
        let leftovers = self.processes();
        for pid in &leftovers {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while leftovers.iter().any(|pid| alive(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// PIDs of this instance's processes: dovecot titles them `dovecot-test-PORT/<service>`.
    fn processes(&self) -> Vec<u32> {
        let prefix = format!("dovecot-test-{}/", self.port);
        let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(prefix.as_bytes())))
            .collect()
    }

    /// Starts dovecot again on the same port with the same mail, after `stop`.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "start_again: the IMAP server is still running");
        self.spawn();
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.path("dovecot.log")).unwrap_or_default();
        let stderr = std::fs::read_to_string(self.path("stderr")).unwrap_or_default();
        format!("{log}{stderr}")
    }

    fn spawn(&mut self) {
        let stderr = std::fs::File::create(self.path("stderr")).unwrap();
        // -F: stay in the foreground, so that this Child is the master and SIGTERM reaches it.
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(self.path("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {DOVECOT}: {e} (tests/run installs dovecot-imapd)"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        // A TCP connect is not enough: wait for the greeting, which comes once imap-login is up.
        while !greets(self.port) {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                panic!("dovecot exited with {status} before greeting on port {}:\n{}", self.port, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not greet on port {} within 20 s:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A logged-in session (greeting read). The caller logs out or drops it.
    pub async fn session(&self) -> ImapSession {
        bounded("connect and log in", async {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await?;
            let mut client = async_imap::Client::new(tcp);
            client.read_response().await?.ok_or(async_imap::error::Error::ConnectionLost)?;
            client.login(&self.user, &self.password).await.map_err(|(e, _)| e)
        })
        .await
    }

    /// Appends a raw message to `folder` ("INBOX", or e.g. "changedesk/processed" with "/" as the
    /// separator), creating the folder first when it does not exist. Dovecot stores it as given;
    /// FETCH returns it with CRLF line ends, so write test messages with "\r\n".
    pub async fn append(&self, folder: &str, raw: &[u8]) {
        let mut session = self.session().await;
        bounded("APPEND", async {
            if !folder.eq_ignore_ascii_case("INBOX") && !exists(&mut session, folder).await? {
                session.create(folder).await?;
            }
            session.append(folder, None, None, raw).await?;
            session.logout().await
        })
        .await
    }

    /// The raw bytes of every message in `folder`, in UID order; empty when the folder does not
    /// exist. Read-only (EXAMINE and BODY.PEEK): flags such as \Seen are left as they are.
    pub async fn messages(&self, folder: &str) -> Vec<Vec<u8>> {
        let mut session = self.session().await;
        bounded("EXAMINE and FETCH", async {
            if !folder.eq_ignore_ascii_case("INBOX") && !exists(&mut session, folder).await? {
                session.logout().await?;
                return Ok(Vec::new());
            }
            let mailbox = session.examine(folder).await?;
            // async-imap answers Ok with whatever it got when the connection drops mid-command:
            // a mailbox without UIDVALIDITY or fewer messages than EXISTS said means a lost server.
            if mailbox.uid_validity.is_none() {
                return Err(async_imap::error::Error::ConnectionLost);
            }
            let mut messages = Vec::new();
            if mailbox.exists > 0 {
                let fetches: Vec<_> = session.uid_fetch("1:*", "(UID BODY.PEEK[])").await?.try_collect().await?;
                messages = fetches.iter().map(|f| (f.uid, f.body().unwrap_or_default().to_vec())).collect();
            }
            if messages.len() != mailbox.exists as usize {
                return Err(async_imap::error::Error::ConnectionLost);
            }
            session.logout().await?;
            messages.sort_by_key(|(uid, _)| *uid);
            Ok(messages.into_iter().map(|(_, raw)| raw).collect())
        })
        .await
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether a folder of exactly this name exists. LIST's pattern is sent unquoted by
/// async-imap, so it is quoted here.
async fn exists(session: &mut ImapSession, folder: &str) -> async_imap::error::Result<bool> {
    let pattern = format!("\"{}\"", folder.replace('\\', "\\\\").replace('"', "\\\""));
    let names: Vec<_> = session.list(Some(""), Some(&pattern)).await?.try_collect().await?;
    Ok(names.iter().any(|n| n.name() == folder))
}

/// Runs an IMAP exchange with a timeout; panics on an error or when it takes too long.
async fn bounded<T>(what: &str, f: impl Future<Output = async_imap::error::Result<T>>) -> T {
    match tokio::time::timeout(IMAP_TIMEOUT, f).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => panic!("IMAP {what}: {e}"),
        Err(_) => panic!("IMAP {what}: no answer within {IMAP_TIMEOUT:?}"),
    }
}

/// Whether something on `port` sends an IMAP `* OK` greeting.
fn greets(port: u16) -> bool {
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    let ok = BufReader::new(&stream).read_line(&mut line).is_ok() && line.starts_with("* OK");
    let _ = (&stream).write_all(b"a LOGOUT\r\n");
    ok
}

/// Whether a process still runs (a zombie does not count).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

/// The config from the stack notes: plaintext login on loopback, no TLS, mail in ~/Maildir.
fn config(dir: &Path, port: u16, who: &Identity) -> String {
    let d = dir.display();
    let Identity { internal_user, internal_group, login_user, mail_uid, mail_gid } = who;
    format!(
        r#"protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = dovecot-test-{port}
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Else a failed login slows the next ones by seconds.
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={d}/mail/%u
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  # Without it, non-root fails: chroot() not permitted.
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"#
    )
}
