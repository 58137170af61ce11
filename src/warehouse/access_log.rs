//! The `access_log` table: one row per command that read or changed the
//! warehouse (who, when, what, inputs and outputs), never personal data or key
//! material. Written by [`crate::privacy::access`]; printed by `ndtms-stats log`.

use serde::Serialize;

use super::sql::statement;
use super::{Warehouse, WarehouseError};

/// The statements (`queries/access-log.sql`).
pub const ACCESS_LOG: &str = include_str!("../../queries/access-log.sql");

/// An input file and its SHA-256 (as manifests and audit records name them).
pub use crate::output::FileHash as InputFile;

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    /// `YYYY-MM-DD HH:MM:SS` (filled in by the warehouse when appended).
    pub logged_at: String,
    pub os_user: String,
    pub command: String,
    pub arguments: String,
    pub inputs: Vec<InputFile>,
    pub outputs: Vec<String>,
    pub outcome: String,
    pub detail: String,
}

impl Warehouse {
    /// Appends an entry (its `logged_at` is ignored: the time of appending is recorded).
    pub fn append_access(&self, e: &AccessEntry) -> Result<(), WarehouseError> {
        let inputs = serde_json::to_string(&e.inputs).unwrap_or_else(|_| "[]".into());
        let outputs = serde_json::to_string(&e.outputs).unwrap_or_else(|_| "[]".into());
        self.conn()
            .execute(
                statement(ACCESS_LOG, "append"),
                duckdb::params![e.os_user, e.command, e.arguments, inputs, outputs, e.outcome, e.detail],
            )
            .map_err(self.sql_error("appending to the access log"))?;
        Ok(())
    }

    /// The log, oldest first: all of it, or the `latest` entries.
    /// (A warehouse made before the log existed, opened read-only, has none: empty.)
    pub fn access_log(&self, latest: Option<u64>) -> Result<Vec<AccessEntry>, WarehouseError> {
        let exists: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'access_log'", [], |r| r.get(0))
            .map_err(self.sql_error("looking for the access log"))?;
        if exists == 0 {
            return Ok(Vec::new());
        }
        let latest = latest.map(|n| n as i64);
        let mut stmt = self.conn().prepare(statement(ACCESS_LOG, "read")).map_err(self.sql_error("reading the access log"))?;
        let rows = stmt
            .query_map(duckdb::params![latest, latest], |r| {
                let inputs: String = r.get(4)?;
                let outputs: String = r.get(5)?;
                Ok(AccessEntry {
                    logged_at: r.get(0)?,
                    os_user: r.get(1)?,
                    command: r.get(2)?,
                    arguments: r.get(3)?,
                    inputs: serde_json::from_str(&inputs).unwrap_or_default(),
                    outputs: serde_json::from_str(&outputs).unwrap_or_default(),
                    outcome: r.get(6)?,
                    detail: r.get(7)?,
                })
            })
            .map_err(self.sql_error("reading the access log"))?;
        rows.collect::<Result<_, _>>().map_err(self.sql_error("reading the access log"))
    }
}
