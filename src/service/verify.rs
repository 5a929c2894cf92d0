//! `changedesk verify`: the stored state (clock columns, ledger, report facts, first response
//! and first answer) recomputed from the events, which define it, and any drift named and, when asked,
//! repaired. Batches of requests are read in one query each (requests, events, escalations,
//! ledgers); a repair rewrites a batch's drifting requests in one transaction.

use std::collections::HashMap;

use super::sla::{Configs, derive_state};
use crate::db::{self, AnyConnection, RequestRow, StoredEvent, write_tx};
use crate::domain::request::request_key;
use crate::service::Error;

const BATCH: i64 = 1000;

/// One request whose stored state differs from the derivation, and what differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub key: String,
    /// Of `clocks`, `ledger`, `facts`, `first_response_at`, `first_answer_at`.
    pub parts: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verified {
    pub checked: u64,
    pub drift: Vec<Drift>,
}

/// Checks every request, `progress` told (checked, total) after each batch; with `repair`,
/// stores the derivation for each one that drifted.
pub fn verify(conn: &mut AnyConnection, repair: bool, progress: &dyn Fn(u64, u64)) -> Result<Verified, Error> {
    let total = db::count_requests(conn)? as u64;
    let mut configs = Configs::default();
    let mut out = Verified::default();
    let mut after = 0;
    loop {
        // A repair reads and writes a batch in one transaction, so no write slips between.
        let mut batch = |conn: &mut AnyConnection| check_batch(conn, &mut configs, after, repair);
        let (last, checked, drift) = if repair { write_tx(conn, batch)? } else { batch(conn)? };
        out.checked += checked;
        out.drift.extend(drift);
        progress(out.checked, total);
        match last {
            Some(n) => after = n,
            None => return Ok(out),
        }
    }
}

/// The batch after request number `after`: (its last number, how many checked, the drift).
fn check_batch(
    conn: &mut AnyConnection,
    configs: &mut Configs,
    after: i64,
    repair: bool,
) -> Result<(Option<i64>, u64, Vec<Drift>), Error> {
    let rows = db::requests_after(conn, after, BATCH)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut events: HashMap<String, Vec<StoredEvent>> = HashMap::new();
    for e in db::events_of_many(conn, &ids)? {
        events.entry(e.request_id.clone()).or_default().push(e);
    }
    let mut escalations: HashMap<String, Vec<db::EscalationRow>> = HashMap::new();
    for e in db::escalations_of_many(conn, &ids)? {
        escalations.entry(e.request_id.clone()).or_default().push(e);
    }
    let mut ledgers: HashMap<String, Vec<db::StretchRow>> = HashMap::new();
    for s in db::ledgers_of_many(conn, &ids)? {
        ledgers.entry(s.request_id.clone()).or_default().push(s);
    }
    let mut facts: HashMap<String, Vec<db::FactsRow>> = HashMap::new();
    for f in db::facts_of_many(conn, &ids)? {
        facts.entry(f.request_id.clone()).or_default().push(f);
    }
    let mut drift = Vec::new();
    for row in &rows {
        let config = configs.get(conn, row.sla_version)?;
        let none = Vec::new();
        let derived = derive_state(
            row,
            events.get(&row.id).unwrap_or(&none),
            config,
            escalations.get(&row.id).map_or(&[][..], Vec::as_slice),
        );
        let stored: Vec<_> = ledgers.get(&row.id).map_or(&[][..], Vec::as_slice).iter().map(|s| s.stretch()).collect();
        let mut parts = Vec::new();
        if row.clocks != derived.clocks {
            parts.push("clocks");
        }
        if stored != derived.ledger {
            parts.push("ledger");
        }
        if facts.get(&row.id).map_or(&[][..], Vec::as_slice) != derived.facts.as_slice() {
            parts.push("facts");
        }
        if row.first_response_at != derived.first_response_at {
            parts.push("first_response_at");
        }
        if row.first_answer_at != derived.first_answer_at {
            parts.push("first_answer_at");
        }
        if parts.is_empty() {
            continue;
        }
        if repair {
            let repaired = RequestRow {
                clocks: derived.clocks,
                first_response_at: derived.first_response_at,
                first_answer_at: derived.first_answer_at,
                ..row.clone()
            };
            db::save_request(conn, &repaired)?;
            db::save_clocks(conn, &repaired.id, &repaired.clocks)?;
            db::save_ledger(conn, &repaired.id, &derived.ledger)?;
            db::save_facts(conn, &repaired.id, &derived.facts)?;
        }
        drift.push(Drift { key: request_key(row.number), parts });
    }
    Ok((rows.last().map(|r| r.number), rows.len() as u64, drift))
}
