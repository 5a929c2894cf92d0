//! Writing checked rows: one transaction, batched inserts, derived SLA columns.

use super::*;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: usize,
    pub requesters_created: usize,
    /// The request numbers given, in created_at order; None for an empty file.
    pub numbers: Option<(i64, i64)>,
}

/// Everything a row's request shares with the others of the file.
struct Shared<'a> {
    source: &'a str,
    routing_version: i32,
    sla_version: i32,
    config: &'a SlaConfig,
    now: DateTime<Utc>,
}

/// Writes checked rows in one transaction: requesters, requests (numbered in created_at order),
/// their events and SLA columns. `progress` is told how many rows each batch wrote.
pub fn import(
    conn: &mut AnyConnection,
    rows: Vec<ImportRow>,
    source_name: &str,
    now: DateTime<Utc>,
    progress: &dyn Fn(u64),
) -> Result<ImportSummary, Error> {
    import_setting_aside_from(conn, rows, source_name, now, progress, SET_ASIDE_FROM)
}

/// `import`, setting indexes and foreign keys aside for files of `set_aside_from` rows or more
/// (tests pass 0 to take that path with a small file).
pub fn import_setting_aside_from(
    conn: &mut AnyConnection,
    mut rows: Vec<ImportRow>,
    source_name: &str,
    now: DateTime<Utc>,
    progress: &dyn Fn(u64),
    set_aside_from: usize,
) -> Result<ImportSummary, Error> {
    rows.sort_by_key(|r| r.created_at);
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    if sqlite {
        conn.batch_execute(SQLITE_BULK)?;
    }
    let imported = write_tx(conn, |conn| write_all(conn, &rows, source_name, now, progress, set_aside_from));
    let restored = if sqlite { conn.batch_execute(SQLITE_USUAL) } else { Ok(()) };
    let summary = imported?;
    restored?;
    if sqlite && summary.rows >= set_aside_from.max(1) {
        // A big import leaves its pages in the write-ahead log, where every read then looks
        // them up; copy them into the database file now rather than at some later commit.
        if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)") {
            log::warn!("checkpointing after the import: {e}");
        }
    }
    if !sqlite && summary.rows >= set_aside_from.max(1) {
        // After a big import, PostgreSQL's visibility map is empty until autovacuum comes by,
        // so its index-only scans (the reports' covering index) would visit every heap row.
        // VACUUM cannot run in a transaction: it runs after the commit, and a failure here
        // loses nothing (autovacuum does the same later).
        if let Err(e) = conn.batch_execute("VACUUM (ANALYZE) requests, request_stretches, request_facts") {
            log::warn!("vacuuming after the import: {e}");
        }
    }
    Ok(summary)
}

fn write_all(
    conn: &mut AnyConnection,
    rows: &[ImportRow],
    source: &str,
    now: DateTime<Utc>,
    progress: &dyn Fn(u64),
    set_aside_from: usize,
) -> Result<ImportSummary, Error> {
    let map = db::current_map(conn)?.ok_or_else(|| unseeded("the ownership map"))?;
    let sla = db::current_sla(conn)?.ok_or_else(|| unseeded("the SLA configuration"))?;
    // Checked again under the write lock: they may have changed since the file was checked.
    let teams = db::team_keys(conn)?;
    let gone = |r: &&ImportRow| map.map.category(&r.category).is_none() || !teams.iter().any(|t| **t == *r.team);
    if let Some(r) = rows.iter().find(gone) {
        let message = format!("line {}: category '{}' or team '{}' no longer exists", r.line, r.category, r.team);
        return Err(Error::Conflict { message, fields: Default::default() });
    }
    let (requesters, requesters_created) = ensure_requesters(conn, rows, now)?;
    let set_aside = if set_aside_pays(conn, rows.len(), set_aside_from)? { set_aside(conn)? } else { Vec::new() };
    let first = reserve_numbers(conn, rows.len() as i64)?;
    let shared = Shared { source, routing_version: map.version, sla_version: sla.version, config: &sla.config, now };
    // Deriving the SLA columns costs more than writing the rows: threads derive batches in
    // turn (deriver k takes batches k, k + n, ...) while this one writes them in order.
    let derivers = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_DERIVERS));
    std::thread::scope(|scope| {
        let (requesters, shared) = (&requesters, &shared);
        let mut queues = Vec::new();
        for k in 0..derivers {
            let (sender, queue) = std::sync::mpsc::sync_channel::<Batch>(2);
            queues.push(queue);
            scope.spawn(move || {
                let chunks = rows.chunks(REQUESTS_PER_INSERT).zip((first..).step_by(REQUESTS_PER_INSERT));
                for (chunk, base) in chunks.skip(k).step_by(derivers) {
                    let batch = chunk
                        .iter()
                        .zip(base..)
                        .map(|(r, number)| build(r, number, &requesters[&*r.requester_email], shared))
                        .collect();
                    if sender.send(batch).is_err() {
                        return; // the writer stopped on an error
                    }
                }
            });
        }
        // Batch i comes from deriver i % n; the first deriver to run out ends the stream.
        let in_order = (0..).map_while(|i| queues[i % derivers].recv().ok());
        write_batches(conn, in_order, progress)
    })?;
    let started = std::time::Instant::now();
    for item in &set_aside {
        conn.batch_execute(&item.create)?;
    }
    if !set_aside.is_empty() {
        log::info!("put {} indexes and foreign keys back in {:.1?}", set_aside.len(), started.elapsed());
    }
    if matches!(conn, AnyConnection::Postgresql(_)) {
        // Fresh statistics, so the first queries after a big import are planned for its size.
        conn.batch_execute("ANALYZE requests, request_events, request_stretches, request_facts")?;
    }
    let numbers = (!rows.is_empty()).then(|| (first, first + rows.len() as i64 - 1));
    Ok(ImportSummary { rows: rows.len(), requesters_created, numbers })
}

/// Takes `n` request numbers in one update; returns the first. Like `db::next_request_number`,
/// the counter row stays locked until the transaction ends.
pub fn reserve_numbers(conn: &mut AnyConnection, n: i64) -> QueryResult<i64> {
    let counter = counters::table.find("request");
    diesel::update(counter).set(counters::value.eq(counters::value + n)).execute(conn)?;
    let last: i64 = counter.select(counters::value).first(conn)?;
    Ok(last - n + 1)
}

/// Ids of the rows' requesters by email, creating the unknown ones as requesters named after
/// their address; returns them and how many were created.
fn ensure_requesters(
    conn: &mut AnyConnection,
    rows: &[ImportRow],
    now: DateTime<Utc>,
) -> Result<(HashMap<String, String>, usize), Error> {
    let emails: BTreeSet<&str> = rows.iter().map(|r| &*r.requester_email).collect();
    let emails: Vec<&str> = emails.into_iter().collect();
    let mut ids = HashMap::new();
    for chunk in emails.chunks(EMAILS_PER_QUERY) {
        let found: Vec<(String, String)> =
            users::table.filter(users::email.eq_any(chunk)).select((users::email, users::id)).load(conn)?;
        ids.extend(found);
    }
    let missing: Vec<(&str, String)> =
        emails.iter().filter(|e| !ids.contains_key(**e)).map(|e| (*e, Uuid::now_v7().to_string())).collect();
    for chunk in missing.chunks(USERS_PER_INSERT) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(email, id)| {
                let name: String = email.split('@').next().unwrap_or(email).chars().take(200).collect();
                (
                    users::id.eq(id),
                    users::email.eq(*email),
                    users::name.eq(name),
                    users::role.eq(Role::Requester.as_str()),
                    users::active.eq(true),
                    users::created_at.eq(to_db(now)),
                )
            })
            .collect();
        // On the backend's own connection: the multi-backend one has no batch insert for SQLite.
        per_backend!(conn, c => diesel::insert_into(users::table).values(values).execute(c))?;
    }
    ids.extend(missing.iter().map(|(email, id)| (email.to_string(), id.clone())));
    Ok((ids, missing.len()))
}

/// A row's request, its event, and its SLA columns derived from it (past escalation levels
/// are history, not news: `sla_check_at` waits for the first level after `now`).
fn build(r: &ImportRow, number: i64, requester_id: &str, shared: &Shared) -> Built {
    let created = r.created_at;
    let since_epoch = Timestamp::from_unix(NoContext, created.timestamp() as u64, created.timestamp_subsec_nanos());
    let (resolved_at, closed_at) = match r.status {
        Status::Resolved => (r.resolved_at, None),
        Status::Closed => (r.resolved_at, r.resolved_at),
        Status::Rejected | Status::Withdrawn => (None, Some(r.resolved_at.or(r.first_response_at).unwrap_or(created))),
        _ => (None, None),
    };
    let updated_at = [Some(created), r.first_response_at, r.resolved_at].into_iter().flatten().max().unwrap_or(created);
    let mut row = RequestRow {
        id: Uuid::new_v7(since_epoch).to_string(),
        number,
        title: r.title.clone(),
        description: format!("(imported from {})", shared.source),
        category: r.category.to_string(),
        priority: r.priority.as_str().to_owned(),
        page_url: None,
        desired_date: None,
        status: r.status.as_str().to_owned(),
        requester_id: requester_id.to_owned(),
        team_key: r.team.to_string(),
        assignee_id: None,
        routing_version: shared.routing_version,
        routing_rule: None,
        routing_reason: format!("imported from {}", shared.source),
        created_at: to_db(created),
        updated_at: to_db(updated_at),
        first_response_at: r.first_response_at.map(to_db),
        resolved_at: resolved_at.map(to_db),
        closed_at: closed_at.map(to_db),
        sla_version: shared.sla_version,
        escalate_from: Some(to_db(shared.now)),
        first_answer_at: None,
        // The imported first response is the owning team's, in its only hold.
        team_first_response_at: r.first_response_at.map(to_db),
        team_first_answer_at: None,
        waiting_reason: None,
        fields: None,
        type_version: None,
        clocks: db::ClockColumns::default(),
    };
    let imported = Imported {
        source: shared.source.to_owned(),
        team: row.team_key.clone(),
        status: r.status,
        first_response_at: r.first_response_at,
        resolved_at,
        closed_at,
    };
    let timeline =
        Timeline { created_at: created, priority: r.priority, team: row.team_key.clone(), changes: imported.changes() };
    let plans = derive_all(&timeline, shared.config);
    let ledger = ledger::stretches(&timeline, shared.config);
    let stretches = ledger.iter().enumerate().map(|(i, s)| StretchRow::new(&row.id, i, s)).collect();
    let facts = facts::facts(&timeline, shared.config, &row.category, &plans)
        .iter()
        .map(|f| db::FactsRow::new(&row.id, row.sla_version, f))
        .collect();
    let event = imported_event(&row, imported);
    row.clocks = columns(&plans, &[], row.escalate_from);
    Built { request: row, event, stretches, facts }
}

/// The request's one event: `imported`, at its creation, by its requester, holding the facts
/// its timeline is read from (see `domain::event::Imported`).
fn imported_event(row: &RequestRow, imported: Imported) -> EventRow {
    EventRow::new(&row.id, Some(&row.requester_id), row.created_at, &Event::Imported(imported))
}

/// Writes `rows` in one INSERT: a full batch as an array, whose statement diesel prepares once
/// and reuses, a shorter one as a statement of its own.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $full:expr) => {{
        let rows: Vec<_> = $rows;
        match <Box<[_; $full]>>::try_from(rows.into_boxed_slice()) {
            Ok(full) => per_backend!($conn, c => diesel::insert_into($table).values(full).execute(c)),
            Err(short) => per_backend!($conn, c => diesel::insert_into($table).values(short.into_vec()).execute(c)),
        }
    }};
}

/// A row's request with everything written beside it.
struct Built {
    request: RequestRow,
    event: EventRow,
    stretches: Vec<StretchRow>,
    facts: Vec<db::FactsRow>,
}

type Batch = Vec<Built>;

/// Writes each batch's requests, then their events, in multi-row INSERTs of fixed sizes.
fn write_batches(
    conn: &mut AnyConnection,
    batches: impl Iterator<Item = Batch>,
    progress: &dyn Fn(u64),
) -> Result<(), Error> {
    let request_values = |r: RequestRow| {
        let c = r.clocks;
        (
            (
                requests::id.eq(r.id),
                requests::number.eq(r.number),
                requests::title.eq(r.title),
                requests::description.eq(r.description),
                requests::category.eq(r.category),
                requests::priority.eq(r.priority),
                requests::page_url.eq(r.page_url),
                requests::desired_date.eq(r.desired_date),
                requests::status.eq(r.status),
                requests::requester_id.eq(r.requester_id),
                requests::team_key.eq(r.team_key),
                requests::assignee_id.eq(r.assignee_id),
                requests::routing_version.eq(r.routing_version),
                requests::routing_rule.eq(r.routing_rule),
                requests::routing_reason.eq(r.routing_reason),
            ),
            (
                requests::created_at.eq(r.created_at),
                requests::updated_at.eq(r.updated_at),
                requests::first_response_at.eq(r.first_response_at),
                requests::resolved_at.eq(r.resolved_at),
                requests::closed_at.eq(r.closed_at),
                requests::sla_version.eq(r.sla_version),
                requests::fr_due_at.eq(c.fr_due_at),
                requests::fr_at_risk_at.eq(c.fr_at_risk_at),
                requests::fr_breached_at.eq(c.fr_breached_at),
                requests::res_due_at.eq(c.res_due_at),
                requests::res_at_risk_at.eq(c.res_at_risk_at),
                requests::res_breached_at.eq(c.res_breached_at),
                requests::queue_due_at.eq(c.queue_due_at),
                requests::sla_check_at.eq(c.sla_check_at),
                requests::escalate_from.eq(r.escalate_from),
                requests::team_first_response_at.eq(r.team_first_response_at),
            ),
        )
    };
    let event_values = |e: EventRow| {
        (
            request_events::request_id.eq(e.request_id),
            request_events::kind.eq(e.kind),
            request_events::actor_id.eq(e.actor_id),
            request_events::at.eq(e.at),
            request_events::data.eq(e.data),
        )
    };
    // Events and stretches wait for a full INSERT; their requests are always written before them.
    let mut events = Vec::new();
    let mut stretches = Vec::new();
    let mut facts = Vec::new();
    for batch in batches {
        let written = batch.len() as u64;
        let mut requests = Vec::with_capacity(batch.len());
        let numbers = (batch.iter().map(|b| b.request.number).min(), batch.iter().map(|b| b.request.number).max());
        for built in batch {
            requests.push(request_values(built.request));
            events.push(event_values(built.event));
            stretches.extend(built.stretches);
            facts.extend(built.facts);
        }
        insert_rows!(conn, requests::table, requests, REQUESTS_PER_INSERT)?;
        if let (Some(first), Some(last)) = numbers {
            db::index_imported(conn, first, last)?;
        }
        while events.len() >= EVENTS_PER_INSERT {
            let rest = events.split_off(EVENTS_PER_INSERT);
            insert_rows!(conn, request_events::table, std::mem::replace(&mut events, rest), EVENTS_PER_INSERT)?;
        }
        while stretches.len() >= STRETCHES_PER_INSERT {
            let rest = stretches.split_off(STRETCHES_PER_INSERT);
            insert_rows!(
                conn,
                request_stretches::table,
                std::mem::replace(&mut stretches, rest),
                STRETCHES_PER_INSERT
            )?;
        }
        while facts.len() >= FACTS_PER_INSERT {
            let rest = facts.split_off(FACTS_PER_INSERT);
            insert_rows!(conn, request_facts::table, std::mem::replace(&mut facts, rest), FACTS_PER_INSERT)?;
        }
        progress(written);
    }
    if !events.is_empty() {
        insert_rows!(conn, request_events::table, events, EVENTS_PER_INSERT)?;
    }
    if !stretches.is_empty() {
        insert_rows!(conn, request_stretches::table, stretches, STRETCHES_PER_INSERT)?;
    }
    if !facts.is_empty() {
        insert_rows!(conn, request_facts::table, facts, FACTS_PER_INSERT)?;
    }
    Ok(())
}
