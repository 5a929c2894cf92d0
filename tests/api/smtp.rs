//! A real SMTP server on loopback for the mail tests: Debian's python3-aiosmtpd, storing each
//! message it receives in a Maildir.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpServer {
    pub port: u16,
    maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

/// A port nobody listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpServer {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts aiosmtpd on `port` and waits until it accepts connections. Fails loudly when
    /// aiosmtpd is missing: tests/run installs it (apt-get install python3-aiosmtpd).
    pub fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("Maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        // Debian's python3, not a pyenv one: aiosmtpd is a Debian package.
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/bin/python3 -m aiosmtpd (install python3-aiosmtpd; tests/run does)");
        let mut server = Self { port, maildir, child, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited with {status}: is python3-aiosmtpd installed? (tests/run installs it)");
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on port {port} within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        read_maildir(&self.maildir.join("new"))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A received message, raw, with a few headers picked out.
#[derive(Debug, Clone)]
pub struct Received {
    pub raw: String,
}

impl Received {
    /// A header's value (unfolded), e.g. `header("Subject")`.
    pub fn header(&self, name: &str) -> Option<String> {
        // Maildir files may hold LF or CRLF line ends; folded lines continue with a blank.
        let raw = self.raw.replace("\r\n", "\n");
        let head = raw.split("\n\n").next().unwrap_or_default().replace("\n ", " ").replace("\n\t", " ");
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    pub fn has_part(&self, content_type: &str) -> bool {
        self.raw.to_lowercase().contains(&format!("content-type: {content_type}"))
    }
}

pub fn read_maildir(dir: &Path) -> Vec<Received> {
    let mut files: Vec<_> = std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files.into_iter().map(|p| Received { raw: std::fs::read_to_string(p).unwrap() }).collect()
}
