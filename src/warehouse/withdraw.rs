//! Consent withdrawal on the load path, inside the file's transaction: the
//! clients a file marks CONSENT = N leave every table of the warehouse, as
//! [`super::erase::withdraw_consent`] would take them, but with statements
//! limited to the file's agency, so a run's cost does not grow with the
//! warehouse once per file.
//!
//! The file's own rows of the withdrawn clients are never appended (the
//! caller leaves them out of the batches), so the statements here only take
//! what earlier submissions stored ([`Reach`] says which tables exist) and
//! what `build` derived from them. Statements: `queries/load-submission.sql`.

use duckdb::{params, Connection};

use super::selection::{self, sql_err, SelectionError, DERIVED_TABLES, PERSON_ROWS, RECORD_TABLES};
use super::sql::{statement, LOAD};

/// Which tables a withdrawal reaches, read once per load run (a load creates no table).
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// The derived tables the warehouse has (after a `build`).
    derived: Vec<&'static str>,
    /// A table in none of the lists of [`super::selection`]: a withdrawal stops on it.
    unclassified: Option<String>,
}

impl Reach {
    /// Lists the warehouse's tables.
    pub fn read(conn: &Connection) -> Result<Reach, SelectionError> {
        let tables = selection::warehouse_tables(conn)?;
        Ok(Reach {
            derived: DERIVED_TABLES.into_iter().filter(|d| tables.iter().any(|t| t == d)).collect(),
            unclassified: tables.into_iter().find(|t| !selection::is_classified(t)),
        })
    }
}

/// Stages the file's withdrawn clients (in `_withdrawn`, emptied first; with none, the table
/// is left empty, as the replacement expects).
pub fn stage(conn: &Connection, client_ids: &[&str]) -> Result<(), SelectionError> {
    conn.execute_batch(statement(LOAD, "clear_withdrawn")).map_err(sql_err("clear_withdrawn"))?;
    if client_ids.is_empty() {
        return Ok(());
    }
    let mut add = conn.prepare_cached(statement(LOAD, "add_withdrawn")).map_err(sql_err("add_withdrawn"))?;
    for id in client_ids {
        add.execute([id]).map_err(sql_err("add_withdrawn"))?;
    }
    Ok(())
}

/// Removes the staged clients of `agency` (`clients` of them) from every table and records
/// how many withdrew. `stored` says whether the warehouse may hold earlier records of the
/// agency; without them only derived rows can hold the clients. Returns the rows removed.
pub fn withdraw(conn: &Connection, reach: &Reach, agency: &str, clients: usize, stored: bool) -> Result<u64, SelectionError> {
    if let Some(table) = &reach.unclassified {
        return Err(SelectionError::Unclassified { table: table.clone() });
    }
    let run = |name: &str, with_agency: bool| -> Result<u64, SelectionError> {
        let mut stmt = conn.prepare_cached(statement(LOAD, name)).map_err(sql_err(name))?;
        let n = if with_agency { stmt.execute(params![agency]) } else { stmt.execute([]) };
        n.map(|n| n as u64).map_err(sql_err(name))
    };
    let mut removed = 0;
    if !reach.derived.is_empty() {
        if stored {
            run("withdrawn_keys", true)?;
        }
        if reach.derived.contains(&"treatment_episode") {
            run("withdrawn_derived_keys", true)?;
        }
        for table in &reach.derived {
            removed += run(&format!("withdraw_{table}"), *table == "treatment_episode")?;
        }
    }
    if stored {
        for table in RECORD_TABLES {
            removed += run(&format!("withdraw_{table}"), true)?;
        }
    }
    conn.prepare_cached(statement(PERSON_ROWS, "record_withdrawal"))
        .and_then(|mut s| s.execute(params![agency, clients as i64]))
        .map_err(sql_err("record_withdrawal"))?;
    Ok(removed)
}

#[cfg(test)]
mod tests;
