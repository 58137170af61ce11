//! The embedded DuckDB warehouse: one file (default `ndtms.duckdb`) holding
//! the agencies, the submissions ledger, clients, episodes, interventions and
//! TOPs, and what `build` derives from them. Schema and statements live in
//! `queries/`; each submission is applied in one transaction, so a failed or
//! interrupted load leaves the warehouse exactly as it was.

pub mod load;
pub mod sql;
pub mod stage;

use std::path::{Path, PathBuf};

use duckdb::Connection;

/// The warehouse schema, run (idempotently) on every open.
pub const SCHEMA_SQL: &str = include_str!("../../queries/warehouse-schema.sql");

/// A warehouse problem, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("cannot open warehouse {path}: {reason} (is it a DuckDB warehouse written by ndtms-stats, and not open in another process?)")]
    Open { path: PathBuf, reason: String },
    #[error("warehouse {path}: {context}: {source}")]
    Sql { path: PathBuf, context: String, source: duckdb::Error },
    #[error("warehouse {path} was built with another attributor key; load with the key it was created with, or start a new warehouse")]
    KeyMismatch { path: PathBuf },
}

/// An open warehouse.
pub struct Warehouse {
    conn: Connection,
    path: PathBuf,
}

impl Warehouse {
    /// Opens (creating if needed) the warehouse file and makes sure its schema exists.
    pub fn open(path: &Path) -> Result<Warehouse, WarehouseError> {
        let open_err = |reason: String| WarehouseError::Open { path: path.to_path_buf(), reason };
        if path.is_dir() {
            return Err(open_err("it is a directory".into()));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.exists() {
                return Err(open_err(format!("folder {} does not exist", parent.display())));
            }
        }
        let conn = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
        let wh = Warehouse { conn, path: path.to_path_buf() };
        wh.conn.execute_batch(SCHEMA_SQL).map_err(|e| open_err(format!("creating the schema failed: {e}")))?;
        Ok(wh)
    }

    /// Opens an existing warehouse for reading only (products: release, extract). Several
    /// readers may run at once; the file is never changed.
    pub fn open_read_only(path: &Path) -> Result<Warehouse, WarehouseError> {
        let open_err = |reason: String| WarehouseError::Open { path: path.to_path_buf(), reason };
        if !path.is_file() {
            return Err(open_err("no such file: run `ndtms-stats load` (and `build`) first, or pass --warehouse".into()));
        }
        let config = duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .map_err(|e| open_err(e.to_string()))?;
        let conn = Connection::open_with_flags(path, config).map_err(|e| open_err(e.to_string()))?;
        Ok(Warehouse { conn, path: path.to_path_buf() })
    }

    /// Rewrites the warehouse into a fresh file and puts it in place of the old one. DuckDB
    /// marks deleted rows and frees their blocks without overwriting them, so the bytes of
    /// withdrawn (consent N) records would stay readable in the file; after a rewrite they are
    /// gone. The new file is complete before it replaces the old (rename), so a failure or a
    /// kill at any point leaves one whole warehouse.
    pub fn compact(self) -> Result<Warehouse, WarehouseError> {
        let path = self.path.clone();
        let fail = |context: &str, reason: String| WarehouseError::Open { path: path.clone(), reason: format!("{context}: {reason}") };
        let fresh = path.with_extension("compact.tmp");
        let _ = std::fs::remove_file(&fresh);
        let _ = std::fs::remove_file(fresh.with_extension("tmp.wal"));
        let db: String = self
            .conn
            .query_row("SELECT current_database()", [], |r| r.get(0))
            .map_err(|e| fail("compacting (reading the database name)", e.to_string()))?;
        let copy = format!(
            "ATTACH '{}' AS ndtms_compact; COPY FROM DATABASE \"{}\" TO ndtms_compact; DETACH ndtms_compact;",
            fresh.display().to_string().replace('\'', "''"),
            db.replace('"', "\"\"")
        );
        if let Err(e) = self.conn.execute_batch(&copy) {
            let _ = std::fs::remove_file(&fresh);
            return Err(fail("compacting (copying into a fresh file)", e.to_string()));
        }
        self.conn.close().map_err(|(_, e)| fail("compacting (closing)", e.to_string()))?;
        std::fs::File::open(&fresh).and_then(|f| f.sync_all()).map_err(|e| fail("compacting (syncing)", e.to_string()))?;
        std::fs::rename(&fresh, &path).map_err(|e| fail("compacting (replacing the file)", e.to_string()))?;
        let wal = PathBuf::from(format!("{}.wal", path.display()));
        let _ = std::fs::remove_file(wal);
        Warehouse::open(&path)
    }

    /// The DuckDB connection, for queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The DuckDB connection, for transactions.
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The warehouse file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Wraps a DuckDB error with this warehouse's path and what was being done.
    pub fn sql_error(&self, context: impl Into<String>) -> impl FnOnce(duckdb::Error) -> WarehouseError + '_ {
        let context = context.into();
        move |source| WarehouseError::Sql { path: self.path.clone(), context, source }
    }

    /// Checks (or records, on first use) the fingerprint of the attributor key.
    pub fn check_key(&self, fingerprint: &str) -> Result<(), WarehouseError> {
        let stored: Option<String> = self
            .conn
            .query_row(sql::statement(sql::LOAD, "key_fingerprint"), [], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                duckdb::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(self.sql_error("reading the key fingerprint"))?;
        match stored {
            Some(s) if s == fingerprint => Ok(()),
            Some(_) => Err(WarehouseError::KeyMismatch { path: self.path.clone() }),
            None => {
                self.conn
                    .execute(sql::statement(sql::LOAD, "set_key_fingerprint"), [fingerprint])
                    .map_err(self.sql_error("recording the key fingerprint"))?;
                Ok(())
            }
        }
    }

    /// Counts rows of a table (for reports and tests).
    pub fn count(&self, table: &str) -> Result<u64, WarehouseError> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(self.sql_error(format!("counting {table}")))?;
        Ok(n as u64)
    }
}
