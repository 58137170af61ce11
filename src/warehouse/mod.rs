//! The embedded DuckDB warehouse: one file (default `ndtms.duckdb`) holding
//! the agencies, the submissions ledger, clients, episodes, interventions and
//! TOPs, and what `build` derives from them. Schema and statements live in
//! `queries/`; each submission is applied in one transaction, so a failed or
//! interrupted load leaves the warehouse exactly as it was.

pub mod access_log;
pub mod erase;
pub mod key;
pub mod load;
pub mod replace;
pub mod selection;
pub mod sql;
pub mod stage;
pub mod withdraw;

use std::path::{Path, PathBuf};

use duckdb::Connection;

pub use key::{WarehouseKey, WarehouseKeyError};

/// The warehouse schema, run (idempotently) on every open.
pub const SCHEMA_SQL: &str = include_str!("../../queries/warehouse-schema.sql");

/// The tables of the personal-data controls (access log, withdrawal counts), run on every
/// read-write open.
pub const PRIVACY_SCHEMA_SQL: &str = include_str!("../../queries/privacy-schema.sql");

/// How long an open waits while another process holds the warehouse file.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The name the warehouse file is attached under (the connection's default database).
const ALIAS: &str = "warehouse";

/// A warehouse problem, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("cannot open warehouse {path}: {reason} (is it a DuckDB warehouse written by ndtms-stats, and not open in another process?)")]
    Open { path: PathBuf, reason: String },
    #[error("warehouse {path}: {context}: {source}")]
    Sql { path: PathBuf, context: String, source: duckdb::Error },
    #[error("warehouse {path} was built with another attributor key; load with the key it was created with, or start a new warehouse")]
    KeyMismatch { path: PathBuf },
    #[error("warehouse {path}")]
    Key { path: PathBuf, source: WarehouseKeyError },
    #[error("warehouse {path} is encrypted and cannot be opened without its warehouse key: pass --warehouse-key-file FILE or set {env} to the key it was created with")]
    KeyNeeded { path: PathBuf, env: &'static str },
    #[error("warehouse {path} cannot be decrypted with the warehouse key given: it was created with another key (without that key its contents cannot be recovered; reload the extracts into a new warehouse)")]
    WrongKey { path: PathBuf },
    #[error("warehouse {path} is not encrypted, but a warehouse key was given: it was created with --unencrypted-warehouse (open it that way), or before warehouses were encrypted (reload the extracts into a new warehouse)")]
    NotEncrypted { path: PathBuf },
    #[error("warehouse {path}: the warehouse key and the attributor key are the same secret; use two different keys (`ndtms-stats new-key --out FILE` makes a warehouse key)")]
    SameKeys { path: PathBuf },
}

/// An open warehouse.
pub struct Warehouse {
    conn: Connection,
    path: PathBuf,
    key: WarehouseKey,
}

impl Warehouse {
    /// Opens (creating if needed) the warehouse file under the current warehouse key
    /// ([`key::current`]) and makes sure its schema exists.
    pub fn open(path: &Path) -> Result<Warehouse, WarehouseError> {
        let key = key::current().map_err(|source| WarehouseError::Key { path: path.to_path_buf(), source })?;
        Warehouse::open_with(path, &key)
    }

    /// Opens (creating if needed) the warehouse file under `key`. A new file is created
    /// owner-only (0600), and so is everything DuckDB writes beside it.
    pub fn open_with(path: &Path, key: &WarehouseKey) -> Result<Warehouse, WarehouseError> {
        let open_err = |reason: String| WarehouseError::Open { path: path.to_path_buf(), reason };
        if path.is_dir() {
            return Err(open_err("it is a directory".into()));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.exists() {
                return Err(open_err(format!("folder {} does not exist", parent.display())));
            }
        }
        crate::privacy::owner_only_umask();
        let conn = connect(path, key, false)?;
        crate::privacy::make_private(path).map_err(|e| open_err(format!("making it owner-only: {e}")))?;
        let wh = Warehouse { conn, path: path.to_path_buf(), key: key.clone() };
        for schema in [SCHEMA_SQL, PRIVACY_SCHEMA_SQL] {
            wh.conn.execute_batch(schema).map_err(|e| open_err(format!("creating the schema failed: {e}")))?;
        }
        Ok(wh)
    }

    /// Opens an existing warehouse for reading only (products: release, extract) under the
    /// current warehouse key. Several readers may run at once; the file is never changed.
    pub fn open_read_only(path: &Path) -> Result<Warehouse, WarehouseError> {
        let key = key::current().map_err(|source| WarehouseError::Key { path: path.to_path_buf(), source })?;
        Warehouse::open_read_only_with(path, &key)
    }

    /// As [`Warehouse::open_read_only`], under `key`.
    pub fn open_read_only_with(path: &Path, key: &WarehouseKey) -> Result<Warehouse, WarehouseError> {
        if !path.is_file() {
            let reason = "no such file: run `ndtms-stats load` (and `build`) first, or pass --warehouse".into();
            return Err(WarehouseError::Open { path: path.to_path_buf(), reason });
        }
        crate::privacy::owner_only_umask();
        let conn = connect(path, key, true)?;
        Ok(Warehouse { conn, path: path.to_path_buf(), key: key.clone() })
    }

    /// Rewrites the warehouse into a fresh file and puts it in place of the old one. DuckDB
    /// marks deleted rows and frees their blocks without overwriting them, so the bytes of
    /// withdrawn, erased or purged records would stay readable in the file (to anyone with the
    /// key, when it is encrypted); after a rewrite they are gone. The copy is logical (table by
    /// table), so it carries no free block of the old file. The new file is complete before it
    /// replaces the old (rename), so a failure or a kill at any point leaves one whole warehouse.
    pub fn compact(self) -> Result<Warehouse, WarehouseError> {
        let path = self.path.clone();
        let key = self.key.clone();
        let fail = |context: &str, reason: String| WarehouseError::Open { path: path.clone(), reason: format!("{context}: {reason}") };
        let fresh = path.with_extension("compact.tmp");
        let _ = std::fs::remove_file(&fresh);
        let _ = std::fs::remove_file(fresh.with_extension("tmp.wal"));
        let copy = format!(
            "ATTACH '{}' AS ndtms_compact{}; COPY FROM DATABASE {ALIAS} TO ndtms_compact; DETACH ndtms_compact;",
            sql_text(&fresh),
            attach_options(&key, false)
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
        Warehouse::open_with(&path, &key)
    }

    /// How the file is protected (the key it was opened with).
    pub fn key(&self) -> &WarehouseKey {
        &self.key
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

    /// Checks (or records, on first use) the fingerprint of the attributor key, and that the
    /// attributor key is not the warehouse key.
    pub fn check_key(&self, fingerprint: &str) -> Result<(), WarehouseError> {
        let same = |k: &[u8]| {
            crate::ingest::AttributorKey::from_text(&hex::encode(k), "the warehouse key").is_ok_and(|a| a.fingerprint() == fingerprint)
        };
        if self.key.bytes().is_some_and(same) {
            return Err(WarehouseError::SameKeys { path: self.path.clone() });
        }
        let stored = self.key_fingerprint()?;
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

    /// The fingerprint of the attributor key the warehouse was loaded under, if any load ran.
    pub fn key_fingerprint(&self) -> Result<Option<String>, WarehouseError> {
        self.conn
            .query_row(sql::statement(sql::LOAD, "key_fingerprint"), [], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                duckdb::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(self.sql_error("reading the key fingerprint"))
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

/// A path as an SQL string literal's content.
fn sql_text(path: &Path) -> String {
    path.display().to_string().replace('\'', "''")
}

/// The ATTACH options for `key` (with the leading space), e.g. ` (READ_ONLY, ENCRYPTION_KEY '...')`.
fn attach_options(key: &WarehouseKey, read_only: bool) -> String {
    let mut options = Vec::new();
    if read_only {
        options.push("READ_ONLY".to_string());
    }
    if let Some(text) = key.hex() {
        options.push(format!("ENCRYPTION_KEY '{text}'"));
    }
    if options.is_empty() {
        String::new()
    } else {
        format!(" ({})", options.join(", "))
    }
}

/// A connection whose default database is the warehouse file, attached under `key`.
///
/// DuckDB encrypts the file, its write-ahead log and (with `temp_file_encryption`) its spill
/// files with AES-256-GCM. The bundled DuckDB has no OpenSSL (the httpfs extension is not
/// built in, and extensions cannot be downloaded here), so writing uses its built-in MbedTLS
/// cipher, which DuckDB only allows after `force_mbedtls_unsafe`: its nonces come from a
/// non-cryptographic generator (PCG seeded from the operating system per call). The cipher
/// and key are sound; see the README's key handling section.
fn connect(path: &Path, key: &WarehouseKey, read_only: bool) -> Result<Connection, WarehouseError> {
    let open_err = |reason: String| WarehouseError::Open { path: path.to_path_buf(), reason };
    let conn = Connection::open_in_memory().map_err(|e| open_err(e.to_string()))?;
    let mut setup = String::from("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; ");
    setup.push_str(&format!("SET temp_directory = '{}.tmp'; ", sql_text(path)));
    if key.hex().is_some() {
        setup.push_str("SET force_mbedtls_unsafe = true; SET temp_file_encryption = true; ");
    }
    conn.execute_batch(&setup).map_err(|e| open_err(format!("setting up the connection: {e}")))?;
    let attach = format!("ATTACH '{}' AS {ALIAS}{}; USE {ALIAS};", sql_text(path), attach_options(key, read_only));
    // Another ndtms-stats process may hold the file for a moment (a product appending to the
    // access log): wait for it rather than fail.
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match conn.execute_batch(&attach) {
            Ok(()) => return Ok(conn),
            Err(e) if e.to_string().contains("Could not set lock") && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) => return Err(attach_error(path, key, e)),
        }
    }
}

/// A clear error for a failed ATTACH: a missing, wrong or unneeded key, or another problem.
/// (DuckDB 1.5 says "Cannot open encrypted database ... without a key", "Wrong encryption
/// key used to open the database file" and "A key is explicitly specified, but database ...
/// is not encrypted".)
fn attach_error(path: &Path, key: &WarehouseKey, e: duckdb::Error) -> WarehouseError {
    let text = e.to_string();
    let path = path.to_path_buf();
    match key {
        WarehouseKey::Unencrypted if text.contains("without a key") => WarehouseError::KeyNeeded { path, env: key::WAREHOUSE_KEY_ENV },
        WarehouseKey::Encrypted(_) if text.contains("Wrong encryption key") => WarehouseError::WrongKey { path },
        WarehouseKey::Encrypted(_) if text.contains("is not encrypted") => WarehouseError::NotEncrypted { path },
        _ => WarehouseError::Open { path, reason: text },
    }
}

#[cfg(test)]
mod tests;
