//! The ownership audit pack for a period: one self-contained HTML file (print-ready, charts as
//! inline SVG, nothing loaded from elsewhere) and the CSVs behind every number in it. The
//! figures are as of the end of the period (or now, if earlier), and the CSVs carry no time of
//! their making, so the same period and data give the same bytes.
//!
//! The CSVs: `ownership.csv` (who owned what: each version of the map in force during the
//! period), `team_weeks.csv` and `cells_by_week.csv` (each team's figures, and by category, per
//! ISO week of filing, from the ledger's stored facts), `handovers.csv` (every hand-over, and
//! whether it sent the request back to a team that had held it: a dispute), `slowest.csv` (the
//! slowest resolved requests, one row per stretch of their ledger), `whatif.csv` (each category
//! replayed with each other team), `definitions.csv`.

use askama::Template;
use chrono::{DateTime, Utc};

use super::reports::Period;
use crate::db::{self, AnyConnection};
use crate::domain::whatif::replay;
use crate::service::Error;
use crate::service::agreements::{self, Agreement};
use crate::service::in_force::InForce;

mod tables;
use tables::{by_week, definitions, handovers, ownership, slowest, whatif};

/// The pack: the HTML and each CSV by file name, in the order listed above.
pub struct AuditPack {
    pub html: String,
    pub csvs: Vec<(&'static str, String)>,
}

/// A table as written to its CSV and shown in the HTML: a header and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&'static str]) -> Self {
        Self { header: header.to_vec(), rows: Vec::new() }
    }

    fn csv(&self) -> Result<String, Error> {
        let mut out = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| Error::Internal(anyhow::anyhow!("writing a CSV: {e}"));
        out.write_record(&self.header).map_err(fail)?;
        for row in &self.rows {
            out.write_record(row).map_err(fail)?;
        }
        let bytes = out.into_inner().map_err(|e| Error::Internal(anyhow::anyhow!("writing a CSV: {e}")))?;
        String::from_utf8(bytes).map_err(|e| Error::Internal(anyhow::anyhow!("a CSV that is not UTF-8: {e}")))
    }
}

#[derive(Template)]
#[template(path = "reports/audit.html", config = "config/askama.toml")]
struct AuditHtml<'a> {
    period: &'a Period,
    generated_at: DateTime<Utc>,
    as_of: DateTime<Utc>,
    agreement: Option<&'a Agreement>,
    chart: &'a str,
    ownership: &'a Table,
    team_weeks: &'a Table,
    cells: &'a Table,
    handovers: &'a Table,
    slowest: &'a Table,
    whatif: &'a Table,
    definitions: &'a Table,
}

/// Builds the pack for `period` as of `now`.
pub fn audit(
    conn: &mut AnyConnection,
    current: &InForce,
    period: Period,
    now: DateTime<Utc>,
) -> Result<AuditPack, Error> {
    let as_of = period.end().min(now);
    let requests = db::whatif_requests(conn, period.start(), as_of, as_of, false)?;
    let actual = replay(&requests, &[], &[], &current.sla).actual;

    let ownership = ownership(conn, &period)?;
    let (team_weeks, cells, trend) = by_week(&requests, &actual, &period);
    let handovers = handovers(conn, &period, as_of)?;
    let slowest = slowest(conn, &requests)?;
    let whatif = whatif(&requests, &actual, current);
    let definitions = definitions();
    let agreement = agreements::in_force_at(conn, as_of)?;

    let names = |key: &str| current.team(key).map_or_else(|| key.to_owned(), |t| t.name.clone());
    let chart = crate::charts::median_first_response(
        &trend,
        &names,
        "Median first response per week of filing (business hours)",
    )
    .svg()?;
    let html = AuditHtml {
        period: &period,
        generated_at: now,
        as_of,
        agreement: agreement.as_ref(),
        chart: &chart,
        ownership: &ownership,
        team_weeks: &team_weeks,
        cells: &cells,
        handovers: &handovers,
        slowest: &slowest,
        whatif: &whatif,
        definitions: &definitions,
    }
    .render()
    .map_err(|e| Error::Internal(anyhow::anyhow!("rendering the audit: {e}")))?;
    let csvs = vec![
        ("ownership.csv", ownership.csv()?),
        ("team_weeks.csv", team_weeks.csv()?),
        ("cells_by_week.csv", cells.csv()?),
        ("handovers.csv", handovers.csv()?),
        ("slowest.csv", slowest.csv()?),
        ("whatif.csv", whatif.csv()?),
        ("definitions.csv", definitions.csv()?),
    ];
    Ok(AuditPack { html, csvs })
}

/// The CSVs as one ZIP: stored (not compressed), every entry dated 1980-01-01, so the same
/// CSVs give the same bytes.
pub fn zip(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, Error> {
    use std::io::Write;
    let fail = |e: &dyn std::fmt::Display| Error::Internal(anyhow::anyhow!("writing the ZIP: {e}"));
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in entries {
        out.start_file(*name, options).map_err(|e| fail(&e))?;
        out.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(out.finish().map_err(|e| fail(&e))?.into_inner())
}

impl AuditPack {
    /// `audit-csv.zip`: the CSVs.
    pub fn csv_zip(&self) -> Result<Vec<u8>, Error> {
        let entries: Vec<(&str, &[u8])> = self.csvs.iter().map(|(n, c)| (*n, c.as_bytes())).collect();
        zip(&entries)
    }

    /// The API's and the page's download: `audit.html` and the CSVs under `csv/`.
    pub fn whole_zip(&self) -> Result<Vec<u8>, Error> {
        let names: Vec<String> = self.csvs.iter().map(|(n, _)| format!("csv/{n}")).collect();
        let mut entries: Vec<(&str, &[u8])> = vec![("audit.html", self.html.as_bytes())];
        entries.extend(names.iter().zip(&self.csvs).map(|(n, (_, c))| (n.as_str(), c.as_bytes())));
        zip(&entries)
    }
}
