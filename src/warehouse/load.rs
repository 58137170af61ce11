//! Applying one submission to the warehouse, atomically: the ledger row, the
//! consent withdrawals, the replacement of the agency's records in the
//! reporting period, and the new records, all in one transaction.
//!
//! Outcomes: `loaded` (applied), `unchanged` (the same file as the agency's
//! latest applied submission: nothing changes), `superseded` (older than the
//! agency's latest applied submission: not applied, so newer data are never
//! overwritten by older), `rejected` (a whole-file rule failed).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use duckdb::types::Value as DbValue;
use duckdb::{params, Connection};

use super::replace::replace_period;
pub use super::replace::ShrinkGuard;
use super::sql::{statement, LOAD};
use super::stage::{arrow_type, Constant, TableLayout};
use super::withdraw::{self, Reach};
use super::{Warehouse, WarehouseError};
use crate::ingest::timings::{Phase, Timings};
use crate::ingest::{Agencies, MessageSummary, SubmissionName, ValidatedFile};
use polars::prelude::{BooleanChunked, DataFrame};

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Loaded,
    Unchanged,
    Superseded,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Loaded => "loaded",
            Outcome::Unchanged => "unchanged",
            Outcome::Superseded => "superseded",
            Outcome::Rejected => "rejected",
        }
    }
}

/// The ledger entry of one file, as recorded.
#[derive(Debug, Clone)]
pub struct SubmissionResult {
    pub submission_id: i64,
    pub file_name: String,
    pub sha256: String,
    pub agency: Option<String>,
    pub month: Option<String>,
    pub outcome: Outcome,
    pub rows_total: u64,
    pub rows_loaded: u64,
    pub rows_clean: u64,
    pub load_pct: Option<f64>,
    pub dq_pct: Option<f64>,
    pub reject_reason: Option<String>,
    pub messages: Vec<MessageSummary>,
}

pub(super) fn days(d: NaiveDate) -> DbValue {
    DbValue::Date32((d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32)
}

/// The tables a load run appends to, laid out as the warehouse has them, and what the run
/// knows of the ledger: each agency's latest applied submission and which agencies hold
/// records (a first submission has nothing to replace). Read once per run and kept up to date
/// by [`Warehouse::apply_submission`], the run's only writer.
#[derive(Debug, Clone)]
pub struct LoadState {
    client: TableLayout,
    episode: TableLayout,
    intervention: TableLayout,
    top: TableLayout,
    latest: HashMap<String, (i32, String)>,
    with_records: HashSet<String>,
    /// The tables a consent withdrawal reaches.
    reach: Reach,
    /// Whether a consent withdrawal of the run removed rows the warehouse had stored (then the
    /// file is rewritten at the end of the run, so no byte of them remains).
    pub withdrew_stored: bool,
    /// When a resubmission that removes many episodes is held.
    pub shrink: ShrinkGuard,
}

impl Warehouse {
    /// Reads the table layouts and the ledger and creates the run's temporary table (once per
    /// load run).
    pub fn begin_load(&self) -> Result<LoadState, WarehouseError> {
        self.conn().execute_batch(statement(LOAD, "create_stage")).map_err(self.sql_error("creating the loader's temporary table"))?;
        // Every statement of a file's apply is prepared once per run.
        self.conn().set_prepared_statement_cache_capacity(64);
        let layout = |table: &str| -> Result<TableLayout, WarehouseError> {
            let mut stmt = self.conn().prepare(statement(LOAD, "table_columns")).map_err(self.sql_error("reading table columns"))?;
            let rows = stmt.query_map([table], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(self.sql_error("reading table columns"))?;
            let mut columns = Vec::new();
            for row in rows {
                let (name, ty) = row.map_err(self.sql_error("reading table columns"))?;
                let ty = arrow_type(&ty).map_err(|reason| WarehouseError::Open { path: self.path().to_path_buf(), reason: format!("table {table}, column {name}: {reason}") })?;
                columns.push((name, ty));
            }
            Ok(TableLayout { table: table.to_string(), columns })
        };
        let mut latest = HashMap::new();
        {
            let mut stmt = self.conn().prepare(statement(LOAD, "latest_loaded")).map_err(self.sql_error("reading the ledger"))?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?, r.get::<_, String>(2)?))).map_err(self.sql_error("reading the ledger"))?;
            for row in rows {
                let (agency, month, sha) = row.map_err(self.sql_error("reading the ledger"))?;
                latest.insert(agency, (month, sha));
            }
        }
        let mut with_records = HashSet::new();
        {
            let mut stmt = self.conn().prepare(statement(LOAD, "agencies_with_records")).map_err(self.sql_error("reading the clients"))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(self.sql_error("reading the clients"))?;
            for row in rows {
                with_records.insert(row.map_err(self.sql_error("reading the clients"))?);
            }
        }
        Ok(LoadState {
            client: layout("client")?,
            episode: layout("episode")?,
            intervention: layout("intervention")?,
            top: layout("top_record")?,
            latest,
            with_records,
            reach: Reach::read(self.conn()).map_err(|e| WarehouseError::Open { path: self.path().to_path_buf(), reason: e.to_string() })?,
            withdrew_stored: false,
            shrink: ShrinkGuard::default(),
        })
    }

    /// Runs a named statement of `queries/load-submission.sql` that takes no parameters.
    pub fn run_statement(&self, name: &str) -> Result<(), WarehouseError> {
        self.conn().execute_batch(statement(LOAD, name)).map_err(self.sql_error(format!("running {name}")))
    }

    /// Adds or updates the agencies of the reference file (one transaction); agencies missing
    /// from it keep their rows, so a shorter reference file never orphans loaded data.
    pub fn record_agencies(&mut self, agencies: &Agencies) -> Result<(), WarehouseError> {
        let path = self.path().to_path_buf();
        let err = |context: &str| {
            let path = path.clone();
            let context = context.to_string();
            move |source| WarehouseError::Sql { path, context, source }
        };
        let tx = self.conn_mut().transaction().map_err(err("starting a transaction"))?;
        {
            let mut delete = tx.prepare(statement(LOAD, "delete_agency")).map_err(err("preparing agency update"))?;
            let mut insert = tx.prepare(statement(LOAD, "insert_agency")).map_err(err("preparing agency insert"))?;
            for a in agencies.iter() {
                delete.execute(params![a.code]).map_err(err("updating agencies"))?;
                insert
                    .execute(params![a.code, a.name, a.provider_organisation, a.commissioning_la, a.dataset])
                    .map_err(err("inserting agencies"))?;
            }
        }
        tx.commit().map_err(err("committing agencies"))
    }

    /// Records a rejected file in the ledger; nothing else changes.
    pub fn record_rejection(
        &mut self,
        file_name: &str,
        sha256: &str,
        name: Option<&SubmissionName>,
        reason: &str,
    ) -> Result<SubmissionResult, WarehouseError> {
        let mut result = SubmissionResult {
            submission_id: 0,
            file_name: file_name.to_string(),
            sha256: sha256.to_string(),
            agency: name.map(|n| n.agency.clone()),
            month: name.map(|n| n.month_label()),
            outcome: Outcome::Rejected,
            rows_total: 0,
            rows_loaded: 0,
            rows_clean: 0,
            load_pct: None,
            dq_pct: None,
            reject_reason: Some(reason.to_string()),
            messages: Vec::new(),
        };
        let path = self.path().to_path_buf();
        let tx = self.conn_mut().transaction().map_err(|source| WarehouseError::Sql { path: path.clone(), context: "starting a transaction".into(), source })?;
        result.submission_id = insert_ledger_row(&tx, &result, name).map_err(|source| WarehouseError::Sql { path: path.clone(), context: format!("recording rejection of {file_name}"), source })?;
        tx.commit().map_err(|source| WarehouseError::Sql { path, context: "committing".into(), source })?;
        Ok(result)
    }

    /// Applies a validated submission (or records it as unchanged or superseded), atomically.
    pub fn apply_submission(
        &mut self,
        state: &mut LoadState,
        file_name: &str,
        sha256: &str,
        file: &ValidatedFile,
        timings: &Timings,
    ) -> Result<SubmissionResult, WarehouseError> {
        let started = std::time::Instant::now();
        let path = self.path().to_path_buf();
        let ctx = |context: String| {
            let path = path.clone();
            move |source| WarehouseError::Sql { path, context, source }
        };
        let name = &file.name;
        let mut result = SubmissionResult {
            submission_id: 0,
            file_name: file_name.to_string(),
            sha256: sha256.to_string(),
            agency: Some(name.agency.clone()),
            month: Some(name.month_label()),
            outcome: Outcome::Loaded,
            rows_total: file.rows_total,
            rows_loaded: file.rows_loaded,
            rows_clean: file.rows_clean,
            load_pct: file.load_pct(),
            dq_pct: file.dq_pct(),
            reject_reason: None,
            messages: file.messages.clone(),
        };
        let this_month = days_since_epoch(name.month_start());
        match state.latest.get(&name.agency) {
            Some((month, sha)) if *month == this_month && sha == sha256 => result.outcome = Outcome::Unchanged,
            Some((month, _)) if *month > this_month => result.outcome = Outcome::Superseded,
            _ => {}
        }
        let mut staged = std::time::Duration::ZERO;
        let mut withdrew_stored = false;
        let tx = self.conn_mut().transaction().map_err(ctx("starting a transaction".into()))?;
        result.submission_id = insert_ledger_row(&tx, &result, Some(name)).map_err(ctx(format!("recording {file_name}")))?;
        insert_messages(&tx, result.submission_id, &file.messages).map_err(ctx(format!("recording messages of {file_name}")))?;
        if result.outcome == Outcome::Loaded {
            // The file's withdrawn clients are staged for the replacement and the withdrawal, and
            // their rows are left out of the batches: they would be removed in this transaction.
            let withdrawn = withdrawn_clients(&file.records).map_err(|reason| WarehouseError::Open { path: path.clone(), reason: format!("reading the withdrawals of {file_name}: {reason}") })?;
            let ids: Vec<&str> = withdrawn.iter().map(String::as_str).collect();
            let withdrawing = |e: super::selection::SelectionError| WarehouseError::Open { path: path.clone(), reason: format!("withdrawing consent ({file_name}): {e}") };
            withdraw::stage(&tx, &ids).map_err(withdrawing)?;
            let stage_started = std::time::Instant::now();
            let batches = state.batches(file, result.submission_id, &ids).map_err(|reason| WarehouseError::Open { path: path.clone(), reason: format!("staging {file_name}: {reason}") })?;
            staged = stage_started.elapsed();
            for (table, batch) in batches {
                let mut app = tx.appender(table).map_err(ctx(format!("appending to {table}")))?;
                app.append_record_batch(batch).map_err(ctx(format!("appending {file_name} to {table}")))?;
                app.flush().map_err(ctx(format!("appending {file_name} to {table}")))?;
            }
            let stored = state.with_records.contains(&name.agency);
            if stored {
                let held = replace_period(&tx, name, result.submission_id, &state.shrink).map_err(ctx(format!("replacing the records {file_name} restates")))?;
                if let Some(reason) = held {
                    drop(tx); // rolls the file back; it is recorded as rejected instead
                    result.outcome = Outcome::Rejected;
                    result.reject_reason = Some(reason);
                    let tx = self.conn_mut().transaction().map_err(ctx("starting a transaction".into()))?;
                    result.submission_id = insert_ledger_row(&tx, &result, Some(name)).map_err(ctx(format!("recording {file_name}")))?;
                    insert_messages(&tx, result.submission_id, &file.messages).map_err(ctx(format!("recording messages of {file_name}")))?;
                    tx.commit().map_err(ctx(format!("committing {file_name}")))?;
                    timings.add(Phase::Apply, started.elapsed());
                    return Ok(result);
                }
            }
            // Consent withdrawal reaches every table, derived ones included, in this transaction.
            if !ids.is_empty() {
                let removed = withdraw::withdraw(&tx, &state.reach, &name.agency, ids.len(), stored).map_err(withdrawing)?;
                withdrew_stored = stored || removed > 0;
            }
        }
        crash_point();
        tx.commit().map_err(ctx(format!("committing {file_name}")))?;
        state.withdrew_stored |= withdrew_stored;
        if result.outcome == Outcome::Loaded {
            state.latest.insert(name.agency.clone(), (this_month, sha256.to_string()));
            if file.records.clients.height() > 0 {
                state.with_records.insert(name.agency.clone());
            }
        }
        timings.add(Phase::Stage, staged);
        timings.add(Phase::Apply, started.elapsed().saturating_sub(staged));
        Ok(result)
    }
}

impl LoadState {
    /// The file's records as record batches of the warehouse tables, without the rows of the
    /// `withdrawn` clients.
    fn batches(&self, file: &ValidatedFile, submission_id: i64, withdrawn: &[&str]) -> Result<Vec<(&'static str, duckdb::arrow::record_batch::RecordBatch)>, String> {
        let constants = [("agency", Constant::Text(&file.name.agency)), ("submission_id", Constant::Int(submission_id))];
        let r = &file.records;
        let withdrawn: HashSet<&str> = withdrawn.iter().copied().collect();
        Ok(vec![
            ("client", self.client.batch(&*without(&r.clients, &withdrawn)?, &constants)?),
            ("episode", self.episode.batch(&*without(&r.episodes, &withdrawn)?, &constants)?),
            ("intervention", self.intervention.batch(&*without(&r.interventions, &withdrawn)?, &constants)?),
            ("top_record", self.top.batch(&*without(&r.tops, &withdrawn)?, &constants)?),
        ])
    }
}

/// `frame` without the rows of the clients in `withdrawn`.
fn without<'f>(frame: &'f DataFrame, withdrawn: &HashSet<&str>) -> Result<Cow<'f, DataFrame>, String> {
    if withdrawn.is_empty() || frame.height() == 0 {
        return Ok(Cow::Borrowed(frame));
    }
    let ids = frame.column("client_id").and_then(|c| c.str()).map_err(|e| e.to_string())?;
    let keep: BooleanChunked = ids.iter().map(|id| Some(!id.is_some_and(|id| withdrawn.contains(id)))).collect();
    if keep.all() {
        return Ok(Cow::Borrowed(frame));
    }
    frame.filter(&keep).map(Cow::Owned).map_err(|e| e.to_string())
}

/// The clients whose consent the file withdraws (`consent` false).
fn withdrawn_clients(records: &crate::ingest::records::FileRecords) -> Result<Vec<String>, String> {
    let clients = &records.clients;
    if clients.height() == 0 {
        return Ok(Vec::new());
    }
    let ids = clients.column("client_id").and_then(|c| c.str()).map_err(|e| e.to_string())?;
    let consent = clients.column("consent").and_then(|c| c.bool()).map_err(|e| e.to_string())?;
    Ok(ids.iter().zip(consent.iter()).filter(|(_, c)| *c == Some(false)).filter_map(|(id, _)| id.map(str::to_string)).collect())
}

/// Crash-test hook: with `NDTMS_STATS_CRASH_IN_FILE=k`, the process dies (abort, as a kill
/// would) inside the transaction of the k-th file of the run, after its deletes and inserts and
/// before its commit. Tests use it to prove that a killed load keeps only whole submissions.
fn crash_point() {
    static APPLIED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = APPLIED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    if std::env::var("NDTMS_STATS_CRASH_IN_FILE").ok().and_then(|v| v.parse::<usize>().ok()) == Some(n) {
        std::process::abort();
    }
}

fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn insert_ledger_row(conn: &Connection, r: &SubmissionResult, name: Option<&SubmissionName>) -> duckdb::Result<i64> {
    let id: i64 = conn.prepare_cached(statement(LOAD, "next_submission_id"))?.query_row([], |row| row.get(0))?;
    let (month, start, end) = match name {
        Some(n) => (days(n.month_start()), days(n.period().start), days(n.period().end)),
        None => (DbValue::Null, DbValue::Null, DbValue::Null),
    };
    let pct = |p: Option<f64>| p.map(DbValue::Double).unwrap_or(DbValue::Null);
    conn.prepare_cached(statement(LOAD, "insert_submission"))?.execute(
        params![
            id,
            r.file_name,
            r.sha256,
            r.agency.clone().map(DbValue::Text).unwrap_or(DbValue::Null),
            month,
            start,
            end,
            r.outcome.as_str(),
            r.rows_total as i64,
            r.rows_loaded as i64,
            r.rows_clean as i64,
            pct(r.load_pct),
            pct(r.dq_pct),
            r.reject_reason.clone().map(DbValue::Text).unwrap_or(DbValue::Null),
        ],
    )?;
    Ok(id)
}

/// The file's messages, in one append.
fn insert_messages(conn: &Connection, submission_id: i64, messages: &[MessageSummary]) -> duckdb::Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut app = conn.appender("submission_message")?;
    for m in messages {
        let examples = m.example_rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(",");
        app.append_row(params![submission_id, m.severity.as_str(), m.code, m.field, m.message, m.row_count as i64, examples])?;
    }
    app.flush()
}
