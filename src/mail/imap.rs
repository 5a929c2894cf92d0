//! The IMAP side of the inbound-mail worker (`workers::imap`), on async-imap: connect and log
//! in, list the mailbox, fetch a message's size and bytes, move it to the done folder, and wait
//! for new mail with IDLE. Every call runs under a deadline (async-imap has none of its own),
//! and a session that failed once is dropped, never reused.
//!
//! Some async-imap calls answer Ok with nothing when the connection ends in the middle (SEARCH,
//! FETCH, NOOP); so a listing ends with a NOOP whose answer is checked, and a message that is
//! not there when fetched is "look again", never "done".

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_imap::error::{Error, Result};
use async_imap::extensions::idle::IdleResponse;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::config::{ImapSettings, ImapTls};

/// Plain TCP and TLS behind one type.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Io for T {}

/// A logged-in session with the mailbox selected.
pub struct Mailbox {
    session: Session<Box<dyn Io>>,
    can_move: bool,
    can_idle: bool,
    limit: Duration,
}

/// One call under `limit`: a server that stops answering is an error, not a wait forever.
async fn timed<T>(limit: Duration, call: impl Future<Output = Result<T>>) -> Result<T> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => Err(Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "the IMAP server did not answer"))),
    }
}

impl Mailbox {
    /// Connects, logs in, selects the mailbox and makes the done folder if it is missing.
    pub async fn open(s: &ImapSettings) -> Result<Self> {
        let limit = Duration::from_secs(s.timeout_seconds);
        let mut session = timed(limit, login(s)).await?;
        let capabilities = timed(limit, session.capabilities()).await?;
        let (can_move, can_idle) = (capabilities.has_str("MOVE"), capabilities.has_str("IDLE"));
        let selected = timed(limit, session.select(&s.mailbox)).await?;
        // An ended stream reads as an empty mailbox; every server sends UIDVALIDITY.
        if selected.uid_validity.is_none() {
            return Err(Error::ConnectionLost);
        }
        let mut mailbox = Self { session, can_move, can_idle, limit };
        mailbox.ensure_folder(&s.done_folder).await?;
        Ok(mailbox)
    }

    async fn ensure_folder(&mut self, folder: &str) -> Result<()> {
        // LIST's pattern goes out as given: quote it.
        let pattern = format!("\"{}\"", folder.replace('\\', "\\\\").replace('"', "\\\""));
        let names: Vec<_> =
            timed(self.limit, async { self.session.list(Some(""), Some(&pattern)).await?.try_collect().await }).await?;
        if names.iter().any(|n| n.name() == folder) {
            return Ok(());
        }
        match timed(self.limit, self.session.create(folder)).await {
            Err(Error::No(text)) if text.to_ascii_uppercase().contains("ALREADYEXISTS") => Ok(()),
            other => other,
        }
    }

    /// The UIDs in the mailbox, oldest first, each with its size in bytes.
    pub async fn list(&mut self) -> Result<Vec<(u32, u32)>> {
        let fetched: Vec<_> =
            timed(self.limit, async { self.session.uid_fetch("1:*", "(UID RFC822.SIZE)").await?.try_collect().await })
                .await?;
        timed(self.limit, self.session.run_command_and_check_ok("NOOP")).await?;
        let mut listed: Vec<(u32, u32)> = fetched.iter().filter_map(|f| Some((f.uid?, f.size.unwrap_or(0)))).collect();
        listed.sort_unstable();
        Ok(listed)
    }

    /// A message's bytes (`BODY.PEEK[]`: not marked seen), or its header alone; None when it is
    /// gone or the answer was cut short.
    pub async fn fetch(&mut self, uid: u32, header_only: bool) -> Result<Option<Vec<u8>>> {
        let what = if header_only { "BODY.PEEK[HEADER]" } else { "BODY.PEEK[]" };
        let fetched: Vec<_> =
            timed(self.limit, async { self.session.uid_fetch(uid.to_string(), what).await?.try_collect().await })
                .await?;
        let found = fetched.iter().find(|f| f.uid == Some(uid));
        Ok(found.and_then(|f| if header_only { f.header() } else { f.body() }).map(<[u8]>::to_vec))
    }

    /// Moves a message to `folder` (MOVE, else COPY, \Deleted and EXPUNGE).
    pub async fn move_to(&mut self, uid: u32, folder: &str) -> Result<()> {
        let uid = uid.to_string();
        if self.can_move {
            return timed(self.limit, self.session.uid_mv(&uid, folder)).await;
        }
        timed(self.limit, self.session.uid_copy(&uid, folder)).await?;
        timed(self.limit, async {
            let _: Vec<_> = self.session.uid_store(&uid, "+FLAGS.SILENT (\\Deleted)").await?.try_collect().await?;
            let _: Vec<_> = self.session.expunge().await?.try_collect().await?;
            Ok(())
        })
        .await?;
        // STORE and EXPUNGE answer Ok on a dropped connection: make sure it is still there.
        timed(self.limit, self.session.run_command_and_check_ok("NOOP")).await
    }

    /// Waits (IDLE) until the server reports a change or `wait` passes; without IDLE, sleeps.
    pub async fn wait(mut self, wait: Duration) -> Result<Self> {
        if !self.can_idle {
            tokio::time::sleep(wait).await;
            timed(self.limit, self.session.run_command_and_check_ok("NOOP")).await?;
            return Ok(self);
        }
        let Self { session, can_move, can_idle, limit } = self;
        // What earlier commands left unread would otherwise wake nothing, or everything.
        while session.unsolicited_responses.try_recv().is_ok() {}
        let early = session.unsolicited_responses.clone();
        let mut idle = session.idle();
        timed(limit, idle.init()).await?;
        if early.is_empty() {
            // `_stop` ends the wait when dropped: keep it until the wait is over. The wait resets
            // on the server's keep-alives, so it is bounded here too.
            let (waiting, _stop) = idle.wait_with_timeout(wait);
            match tokio::time::timeout(wait + limit, waiting).await {
                Ok(Ok(IdleResponse::NewData(_) | IdleResponse::Timeout | IdleResponse::ManualInterrupt)) | Err(_) => {}
                Ok(Err(e)) => return Err(e),
            }
        }
        // A closed connection also ends the wait without an error: DONE reports it.
        let session = timed(limit, idle.done()).await?;
        Ok(Self { session, can_move, can_idle, limit })
    }

    pub async fn logout(mut self) {
        let _ = timed(self.limit, self.session.logout()).await;
    }
}

async fn login(s: &ImapSettings) -> Result<Session<Box<dyn Io>>> {
    let tcp = TcpStream::connect((s.host.as_str(), s.port)).await?;
    tcp.set_nodelay(true)?;
    let stream: Box<dyn Io> = match s.tls {
        ImapTls::None => Box::new(tcp),
        ImapTls::Tls => {
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(s.host.clone())
                .map_err(|e| Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
            Box::new(tls()?.connect(name, tcp).await?)
        }
    };
    let mut client = Client::new(stream);
    let greeting = client.read_response().await?.ok_or(Error::ConnectionLost)?;
    if !matches!(
        greeting.parsed(),
        async_imap::imap_proto::Response::Data { status: async_imap::imap_proto::Status::Ok, .. }
    ) {
        return Err(Error::Bad("the server did not greet with OK".into()));
    }
    client.login(&s.username, s.password.expose()).await.map_err(|(e, _)| e)
}

/// rustls with the ring provider and the Mozilla roots (webpki-roots).
fn tls() -> Result<tokio_rustls::TlsConnector> {
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}
