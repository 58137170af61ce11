//! Applying one submission to the warehouse, atomically: the ledger row, the
//! consent withdrawals, the replacement of the agency's records in the
//! reporting period, and the new records, all in one transaction.
//!
//! Outcomes: `loaded` (applied), `unchanged` (the same file as the agency's
//! latest applied submission: nothing changes), `superseded` (older than the
//! agency's latest applied submission: not applied, so newer data are never
//! overwritten by older), `rejected` (a whole-file rule failed).

use chrono::NaiveDate;
use duckdb::types::Value as DbValue;
use duckdb::{appender_params_from_iter, params, Connection};

use super::sql::{statement, LOAD};
use super::{Warehouse, WarehouseError};
use crate::ingest::records::{Columns, FileRecords};
use crate::ingest::validate::Value;
use crate::ingest::{Agencies, MessageSummary, SubmissionName, ValidatedFile};
use crate::schema::Schema;

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

fn days(d: NaiveDate) -> DbValue {
    DbValue::Date32((d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32)
}

fn db(v: &Value) -> DbValue {
    match v {
        Value::Null => DbValue::Null,
        Value::Text(t) => DbValue::Text(t.clone()),
        Value::Date(d) => days(*d),
        Value::Int(n) => DbValue::BigInt(*n),
    }
}

/// For each staging column, where its value sits in a record's schema values (looked up once
/// per file, not per row).
fn value_positions<T>(order: &[String], schema_columns: &[(String, T)]) -> Vec<Option<usize>> {
    order.iter().map(|c| schema_columns.iter().position(|(n, _)| n == c)).collect()
}

fn opt_int(v: Option<i32>) -> DbValue {
    v.map(|n| DbValue::BigInt(n as i64)).unwrap_or(DbValue::Null)
}

/// Column order of the staging tables, read once per load run.
#[derive(Debug, Clone)]
pub struct Staging {
    episode: Vec<String>,
    intervention: Vec<String>,
    top: Vec<String>,
}

impl Warehouse {
    /// Creates the loading connection's temporary staging tables (once per load run).
    pub fn prepare_staging(&self) -> Result<Staging, WarehouseError> {
        self.conn().execute_batch(statement(LOAD, "create_stage")).map_err(self.sql_error("creating staging tables"))?;
        let columns = |table: &str| -> Result<Vec<String>, WarehouseError> {
            let sql = format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid");
            let mut stmt = self.conn().prepare(&sql).map_err(self.sql_error("reading staging columns"))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(self.sql_error("reading staging columns"))?;
            rows.collect::<duckdb::Result<Vec<_>>>().map_err(self.sql_error("reading staging columns"))
        };
        Ok(Staging { episode: columns("_stage_episode")?, intervention: columns("_stage_intervention")?, top: columns("_stage_top")? })
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
        schema: &Schema,
        staging: &Staging,
        file_name: &str,
        sha256: &str,
        file: &ValidatedFile,
    ) -> Result<SubmissionResult, WarehouseError> {
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
        let tx = self.conn_mut().transaction().map_err(ctx("starting a transaction".into()))?;
        let latest: Option<(i32, String)> = tx
            .query_row(statement(LOAD, "latest_loaded"), [&name.agency], |r| Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?)))
            .map(Some)
            .or_else(|e| if matches!(e, duckdb::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })
            .map_err(ctx(format!("reading the ledger for {}", name.agency)))?;
        let this_month = days_since_epoch(name.month_start());
        match &latest {
            Some((month, sha)) if *month == this_month && sha == sha256 => result.outcome = Outcome::Unchanged,
            Some((month, _)) if *month > this_month => result.outcome = Outcome::Superseded,
            _ => {}
        }
        result.submission_id = insert_ledger_row(&tx, &result, Some(name)).map_err(ctx(format!("recording {file_name}")))?;
        {
            let mut insert = tx.prepare(statement(LOAD, "insert_message")).map_err(ctx("preparing message insert".into()))?;
            for m in &file.messages {
                let examples = m.example_rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(",");
                insert
                    .execute(params![result.submission_id, m.severity.as_str(), m.code, m.field, m.message, m.row_count as i64, examples])
                    .map_err(ctx(format!("recording messages of {file_name}")))?;
            }
        }
        if result.outcome == Outcome::Loaded {
            replace_records(&tx, schema, staging, name, &file.records, result.submission_id).map_err(ctx(format!("applying {file_name}")))?;
            // Consent withdrawal reaches every table, derived ones included, in this transaction.
            let withdrawn: Vec<&str> = file.records.clients.iter().filter(|(_, consent)| !consent).map(|(c, _)| c.as_str()).collect();
            if !withdrawn.is_empty() {
                super::erase::withdraw_consent(&tx, &name.agency, &withdrawn)
                    .map_err(|e| WarehouseError::Open { path: path.clone(), reason: format!("withdrawing consent ({file_name}): {e}") })?;
            }
        }
        crash_point();
        tx.commit().map_err(ctx(format!("committing {file_name}")))?;
        Ok(result)
    }
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
    let id: i64 = conn.query_row(statement(LOAD, "next_submission_id"), [], |row| row.get(0))?;
    let (month, start, end) = match name {
        Some(n) => (days(n.month_start()), days(n.period().start), days(n.period().end)),
        None => (DbValue::Null, DbValue::Null, DbValue::Null),
    };
    let pct = |p: Option<f64>| p.map(DbValue::Double).unwrap_or(DbValue::Null);
    conn.execute(
        statement(LOAD, "insert_submission"),
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

/// Stages the file's records, removes what they replace, and inserts them.
fn replace_records(
    conn: &Connection,
    schema: &Schema,
    staging: &Staging,
    name: &SubmissionName,
    records: &FileRecords,
    submission_id: i64,
) -> duckdb::Result<()> {
    let columns = Columns::from_schema(schema);
    conn.execute_batch(statement(LOAD, "clear_stage"))?;
    let temp = |table: &str| conn.appender_to_catalog_and_db(table, "temp", "main");
    {
        let mut app = temp("_stage_client")?;
        for (client, consent) in &records.clients {
            app.append_row(params![name.agency, client, *consent])?;
        }
    }
    {
        let order = &staging.episode;
        let at = value_positions(order, &columns.episode);
        let mut app = temp("_stage_episode")?;
        for e in &records.episodes {
            let row = order.iter().zip(&at).map(|(c, at)| match c.as_str() {
                "agency" => DbValue::Text(name.agency.clone()),
                "client_id" => DbValue::Text(e.client_id.clone()),
                "episode_id" => DbValue::Text(e.episode_id.clone()),
                "person_key" => e.person_key.clone().map(DbValue::Text).unwrap_or(DbValue::Null),
                "link_status" => DbValue::Text(e.link_status.as_str().to_string()),
                "year_of_birth" => opt_int(e.year_of_birth),
                "age_at_referral" => opt_int(e.age_at_referral),
                "age_at_triage" => opt_int(e.age_at_triage),
                _ => at.map(|p| db(&e.values[p])).unwrap_or(DbValue::Null),
            });
            app.append_row(appender_params_from_iter(row))?;
        }
    }
    {
        let order = &staging.intervention;
        let at = value_positions(order, &columns.intervention);
        let mut app = temp("_stage_intervention")?;
        for m in &records.interventions {
            let row = order.iter().zip(&at).map(|(c, at)| match c.as_str() {
                "agency" => DbValue::Text(name.agency.clone()),
                "client_id" => DbValue::Text(m.client_id.clone()),
                "episode_id" => DbValue::Text(m.episode_id.clone()),
                "mod_id" => DbValue::Text(m.mod_id.clone()),
                "age_at_modst" => opt_int(m.age_at_modst),
                _ => at.map(|p| db(&m.values[p])).unwrap_or(DbValue::Null),
            });
            app.append_row(appender_params_from_iter(row))?;
        }
    }
    {
        let order = &staging.top;
        let at = value_positions(order, &columns.top);
        let mut app = temp("_stage_top")?;
        for t in &records.tops {
            let row = order.iter().zip(&at).map(|(c, at)| match c.as_str() {
                "agency" => DbValue::Text(name.agency.clone()),
                "client_id" => DbValue::Text(t.client_id.clone()),
                "episode_id" => DbValue::Text(t.episode_id.clone()),
                "top_id" => DbValue::Text(t.top_id.clone()),
                _ => at.map(|p| db(&t.values[p])).unwrap_or(DbValue::Null),
            });
            app.append_row(appender_params_from_iter(row))?;
        }
    }
    conn.execute(statement(LOAD, "doomed_episodes"), params![name.agency, days(name.period().start)])?;
    let doomed: i64 = conn.query_row(statement(LOAD, "count_doomed"), [], |r| r.get(0))?;
    if doomed > 0 {
        for s in ["delete_doomed_interventions", "delete_doomed_tops", "delete_doomed_episodes"] {
            conn.execute(statement(LOAD, s), params![name.agency])?;
        }
    }
    conn.execute_batch(statement(LOAD, "delete_restated_clients"))?;
    for s in ["insert_clients", "insert_episodes", "insert_interventions", "insert_tops"] {
        conn.execute(statement(LOAD, s), params![submission_id])?;
    }
    Ok(())
}
