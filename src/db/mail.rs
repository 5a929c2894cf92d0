//! The mail outbox: rows written with the change that causes them, claimed by a worker with a
//! conditional UPDATE (safe with several instances on one database), sent, then marked. A
//! transport that needs no claim (files, `Mailer::needs_claim`) only reads them before it sends.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{mail_bodies, mail_outbox};

/// An outbox message: its row in `mail_outbox` (what changes as it is sent) with its bodies
/// from `mail_bodies` (written once, so marking a message rewrites a small row, not its bodies).
/// Inserted as the outbox's row (the bodies skipped) and `NewBodies`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxRow {
    pub id: String,
    pub message_id: String,
    pub dedupe_key: String,
    pub kind: String,
    pub request_id: Option<String>,
    /// JSON array of addresses.
    pub recipients: String,
    pub subject: String,
    #[diesel(select_expression = mail_bodies::text_body, skip_insertion)]
    pub text_body: String,
    #[diesel(select_expression = mail_bodies::html_body, skip_insertion)]
    pub html_body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// A PNG the HTML part shows by Content-ID (`cid:` [`crate::mail::INLINE_CHART`]).
    #[diesel(select_expression = mail_bodies::inline_png, skip_insertion)]
    pub inline_png: Option<Vec<u8>>,
}

/// The bodies' part of a message.
#[derive(Insertable)]
#[diesel(table_name = mail_bodies)]
struct NewBodies<'a> {
    id: &'a str,
    text_body: &'a str,
    html_body: &'a str,
    inline_png: Option<&'a [u8]>,
}

/// Writes a message's two rows.
fn insert_mail(conn: &mut AnyConnection, row: &OutboxRow) -> QueryResult<()> {
    let bodies = NewBodies {
        id: &row.id,
        text_body: &row.text_body,
        html_body: &row.html_body,
        inline_png: row.inline_png.as_deref(),
    };
    per_backend!(conn, c => diesel::insert_into(mail_outbox::table).values(row).execute(c))?;
    per_backend!(conn, c => diesel::insert_into(mail_bodies::table).values(&bodies).execute(c))?;
    Ok(())
}

/// Messages with their bodies.
fn with_bodies() -> diesel::dsl::InnerJoin<mail_outbox::table, mail_bodies::table> {
    mail_outbox::table.inner_join(mail_bodies::table)
}

/// Queues a message unless one with the same dedupe key exists (inside a savepoint, so the
/// refusal leaves the caller's transaction intact). A message whose key is its own new id (no
/// dedupe asked) cannot meet one, so it spends no savepoint. Returns whether it was queued.
pub fn enqueue_mail(conn: &mut AnyConnection, row: &OutboxRow) -> QueryResult<bool> {
    if row.dedupe_key == row.id {
        return insert_mail(conn, row).map(|()| true);
    }
    let inserted = conn.transaction(|c| insert_mail(c, row));
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Ids of messages ready to go: pending and due, or stuck in `sending` past their lease.
pub fn due_mail(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    per_backend!(conn, c => mail_outbox::table
        .filter(ready(now))
        .order(mail_outbox::next_attempt_at)
        .limit(limit)
        .select(mail_outbox::id)
        .load(c))
}

type Ready = diesel::dsl::Or<
    diesel::dsl::And<
        diesel::dsl::Eq<mail_outbox::status, &'static str>,
        diesel::dsl::LtEq<mail_outbox::next_attempt_at, NaiveDateTime>,
    >,
    diesel::dsl::And<
        diesel::dsl::Eq<mail_outbox::status, &'static str>,
        diesel::dsl::Lt<mail_outbox::locked_until, NaiveDateTime>,
    >,
>;

fn ready(now: NaiveDateTime) -> Ready {
    mail_outbox::status
        .eq("pending")
        .and(mail_outbox::next_attempt_at.le(now))
        .or(mail_outbox::status.eq("sending").and(mail_outbox::locked_until.lt(now)))
}

/// Claims those of `ids` still ready at `now` for one sender, in one statement, and returns
/// them: the sender's lease (`lease_until`) tells its claims from another instance's.
pub fn claim_mail_batch(
    conn: &mut AnyConnection,
    ids: &[String],
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Vec<OutboxRow>> {
    super::write_tx(conn, |conn| {
        per_backend!(conn, c => {
            diesel::update(mail_outbox::table.filter(mail_outbox::id.eq_any(ids)).filter(ready(now)))
                .set((
                    mail_outbox::status.eq("sending"),
                    mail_outbox::locked_until.eq(Some(lease_until)),
                    mail_outbox::attempts.eq(mail_outbox::attempts + 1),
                ))
                .execute(c)?;
            with_bodies()
                .filter(mail_outbox::id.eq_any(ids))
                .filter(mail_outbox::status.eq("sending"))
                .filter(mail_outbox::locked_until.eq(Some(lease_until)))
                .order(mail_outbox::next_attempt_at)
                .select(OutboxRow::as_select())
                .load(c)
        })
    })
}

/// How the outbox took a batch of messages.
#[derive(Debug, Clone, Copy)]
pub enum Taken {
    /// Claimed under a lease (`claim_mail_batch`): status `sending`, the attempt counted.
    Claimed,
    /// Only read, as ready at this instant (`ready_mail`): the mark counts the attempt, and
    /// marks only messages still ready (another sender's mark comes first, not twice).
    Read(NaiveDateTime),
}

/// Those of `ids` still ready at `now`, read without a claim, each with its attempts counting
/// this one (as a claim's do).
pub fn ready_mail(conn: &mut AnyConnection, ids: &[String], now: NaiveDateTime) -> QueryResult<Vec<OutboxRow>> {
    let mut rows: Vec<OutboxRow> = per_backend!(conn, c => with_bodies()
        .filter(mail_outbox::id.eq_any(ids))
        .filter(ready(now))
        .order(mail_outbox::next_attempt_at)
        .select(OutboxRow::as_select())
        .load(c))?;
    for row in &mut rows {
        row.attempts += 1;
    }
    Ok(rows)
}

/// Marks these messages sent, in one statement.
pub fn mark_sent_batch(conn: &mut AnyConnection, ids: &[String], at: NaiveDateTime, taken: Taken) -> QueryResult<()> {
    let these = mail_outbox::table.filter(mail_outbox::id.eq_any(ids));
    let sent = (
        mail_outbox::status.eq("sent"),
        mail_outbox::sent_at.eq(Some(at)),
        mail_outbox::locked_until.eq(None::<NaiveDateTime>),
        mail_outbox::last_error.eq(None::<String>),
    );
    let counted = mail_outbox::attempts.eq(mail_outbox::attempts + 1);
    // In the write turn like every other write: an UPDATE of its own would take SQLite's lock
    // beside the turn, and a filing group meeting it would wait in busy_timeout's sleeps.
    super::write_tx(conn, |conn| {
        match taken {
            Taken::Claimed => per_backend!(conn, c => diesel::update(these.filter(mail_outbox::status.eq("sending")))
                .set(sent)
                .execute(c)),
            Taken::Read(now) => {
                per_backend!(conn, c => diesel::update(these.filter(ready(now))).set((sent, counted)).execute(c))
            }
        }
        .map(drop)
    })
}

/// A failed attempt: retried at `retry_at`, or parked as failed when `retry_at` is None.
pub fn mark_attempt_failed(
    conn: &mut AnyConnection,
    id: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    taken: Taken,
) -> QueryResult<()> {
    let status = if retry_at.is_some() { "pending" } else { "failed" };
    let target = mail_outbox::table.find(id).filter(mail_outbox::status.eq("sending"));
    let common = (
        mail_outbox::status.eq(status),
        mail_outbox::locked_until.eq(None::<NaiveDateTime>),
        mail_outbox::last_error.eq(Some(error)),
    );
    super::write_tx(conn, |conn| {
        if let Taken::Read(now) = taken {
            // Counted and held as a claim would have (failures are rare: two statements).
            let unclaimed = mail_outbox::table.find(id).filter(ready(now));
            let held = (mail_outbox::status.eq("sending"), mail_outbox::attempts.eq(mail_outbox::attempts + 1));
            if per_backend!(conn, c => diesel::update(unclaimed).set(held).execute(c))? == 0 {
                return Ok(()); // another sender took it since
            }
        }
        match retry_at {
            Some(at) => diesel::update(target).set((common, mail_outbox::next_attempt_at.eq(at))).execute(conn),
            None => diesel::update(target).set(common).execute(conn),
        }
        .map(drop)
    })
}

/// Newest first, optionally only one status.
pub fn list_mail(conn: &mut AnyConnection, status: Option<&str>, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    let mut q = with_bodies().select(OutboxRow::as_select()).into_boxed();
    if let Some(s) = status {
        q = q.filter(mail_outbox::status.eq(s.to_owned()));
    }
    // By id: a UUIDv7, so in the order messages were queued, over the primary key.
    q.order(mail_outbox::id.desc()).limit(limit).load(conn)
}

/// Puts a failed message back in the queue, due now, with a fresh count of attempts.
pub fn retry_mail(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(mail_outbox::table.find(id).filter(mail_outbox::status.eq("failed")))
        .set((mail_outbox::status.eq("pending"), mail_outbox::attempts.eq(0), mail_outbox::next_attempt_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Which of these dedupe keys are already in the outbox.
pub fn dedupe_keys_present(conn: &mut AnyConnection, keys: &[String]) -> QueryResult<Vec<String>> {
    mail_outbox::table.filter(mail_outbox::dedupe_key.eq_any(keys)).select(mail_outbox::dedupe_key).load(conn)
}

/// The service's key `name`, if it was made.
pub fn service_key(conn: &mut AnyConnection, name: &str) -> QueryResult<Option<Vec<u8>>> {
    use super::schema::service_keys as k;
    k::table.filter(k::name.eq(name)).select(k::value).first(conn).optional()
}

/// Stores `fresh` as the service's key `name` unless one is there already, and returns the
/// key stored: whichever instance stored first wins, so every instance reads the same key.
pub fn make_service_key(conn: &mut AnyConnection, name: &str, fresh: &[u8], at: NaiveDateTime) -> QueryResult<Vec<u8>> {
    use super::schema::service_keys as k;
    let row = (k::name.eq(name), k::value.eq(fresh), k::created_at.eq(at));
    super::per_backend!(conn, c => diesel::insert_into(k::table).values(row).on_conflict(k::name).do_nothing().execute(c))?;
    k::table.filter(k::name.eq(name)).select(k::value).first(conn)
}

/// Takes or renews the lease `name` for `holder` until `until`: true when `holder` holds it
/// (it was free, expired at `now`, or already theirs). Run it in a write transaction.
pub fn take_lease(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    use super::schema::leases as l;
    let free = (l::name.eq(name), l::holder.eq(holder), l::expires_at.eq(now));
    super::per_backend!(conn, c => diesel::insert_into(l::table).values(free).on_conflict(l::name).do_nothing().execute(c))?;
    let ours = l::holder.eq(holder).or(l::expires_at.le(now));
    let taken = diesel::update(l::table.filter(l::name.eq(name)).filter(ours))
        .set((l::holder.eq(holder), l::expires_at.eq(until)))
        .execute(conn)?;
    Ok(taken == 1)
}

/// Gives the lease up, so another instance need not wait for it to expire.
pub fn release_lease(conn: &mut AnyConnection, name: &str, holder: &str, now: NaiveDateTime) -> QueryResult<()> {
    use super::schema::leases as l;
    diesel::update(l::table.filter(l::name.eq(name)).filter(l::holder.eq(holder)))
        .set(l::expires_at.eq(now))
        .execute(conn)
        .map(drop)
}
