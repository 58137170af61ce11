//! The monthly provider reports: per agency its activity (adults, year to
//! date) next to its commissioning local authority's and England's, and the
//! data quality of its submission for the month: load %, DQ %, the most
//! frequent validation messages and how to fix them.
//!
//! The figures are protected in the month's joint problem with the
//! commissioner packs ([`crate::pack::protect`]) and the shared publication
//! ledger, so an agency's count, or its LA's, has the same status in the
//! provider report, the pack and the release.

pub mod fixes;
mod report;

pub use report::provider_report;

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::warehouse::Warehouse;

/// What a provider-report run needs.
#[derive(Debug, Clone)]
pub struct ProviderReportOptions {
    pub warehouse: PathBuf,
    pub month: String,
    pub agency: Option<String>,
    pub all: bool,
    pub rules: PathBuf,
    pub out: PathBuf,
    /// The publication ledger shared with the other products (read, then updated).
    pub ledger: PathBuf,
    pub no_audit_record: bool,
}

/// One agency's submission quality for the month.
#[derive(Debug, Clone, Default)]
pub struct Quality {
    pub file: Option<String>,
    /// `loaded` or `rejected`.
    pub outcome: String,
    /// Why the whole file was rejected.
    pub reject_reason: Option<String>,
    pub load_pct: Option<f64>,
    pub dq_pct: Option<f64>,
    /// (severity, code, field, message, rows), most frequent first.
    pub messages: Vec<(String, String, String, String, i64)>,
}

fn quality(wh: &Warehouse, agency: &str, month: &str) -> Result<Quality> {
    type Row = (i64, String, Option<f64>, Option<f64>, String, Option<String>);
    let sub: Option<Row> = wh
        .conn()
        .query_row(
            "SELECT submission_id, file_name, load_pct, dq_pct, outcome, reject_reason FROM submission
             WHERE agency = ? AND outcome IN ('loaded', 'rejected') AND strftime(month, '%Y-%m') = ?
             ORDER BY submission_id DESC LIMIT 1",
            [agency, month],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .ok();
    let Some((id, file, load_pct, dq_pct, outcome, reject_reason)) = sub else { return Ok(Quality::default()) };
    let mut stmt = wh.conn().prepare(
        "SELECT severity, code, coalesce(field, ''), message, row_count FROM submission_message
         WHERE submission_id = ? ORDER BY row_count DESC, code LIMIT 10",
    )?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
    let messages = rows.collect::<Result<Vec<_>, _>>().with_context(|| format!("reading the messages of {file}"))?;
    Ok(Quality { file: Some(file), outcome, reject_reason, load_pct, dq_pct, messages })
}

