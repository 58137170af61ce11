//! Removing people and records from every table of the warehouse, inside the
//! caller's transaction: consent withdrawal ([`withdraw_consent`], called by the
//! load path), erasure on request (`ndtms-stats erase`) and retention
//! (`ndtms-stats purge`). Which rows go is [`super::selection`]'s job.
//!
//! Derived rows of a selected person go whole (all their journeys, treatment
//! episodes and `person_period` rows of every period), since they mix the removed
//! records with the rest; the next `build` of a period derives again from what
//! remains. The caller compacts the file afterwards ([`super::Warehouse::compact`]),
//! so no page keeps the removed bytes.

use duckdb::{params, Connection};

use super::selection::{self, sql_err, Selection, SelectionError, DERIVED_TABLES, PERSON_ROWS, RECORD_TABLES};
use super::sql::statement;

/// What a removal removed (counts only: never values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Rows removed, per table that exists in the warehouse.
    pub rows: Vec<(&'static str, u64)>,
    /// People whose derived rows were removed.
    pub people: u64,
    /// Built periods that held one of them (`build` them again to derive from what remains).
    pub periods: Vec<String>,
}

impl Removed {
    /// All rows removed.
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }

    /// Rows removed from `table` (0 when it does not exist).
    pub fn of(&self, table: &str) -> u64 {
        self.rows.iter().find(|(t, _)| *t == table).map(|(_, n)| *n).unwrap_or(0)
    }

    /// One line: `rows removed: treatment_episode 2, ...; derived rows of 1 people removed; ...`.
    pub fn summary(&self) -> String {
        let rows: Vec<String> = self.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let mut s = format!("rows removed: {}; derived rows of {} people removed", rows.join(", "), self.people);
        if !self.periods.is_empty() {
            s.push_str(&format!("; built periods that held them: {}", self.periods.join(", ")));
        }
        s
    }
}

/// Consent withdrawal, for the load path: removes the withdrawn clients of `agency` from
/// every table (their remaining records and client rows, and every derived row of their
/// person keys) and records how many clients withdrew (no ids). Call it on the
/// submission's transaction after the submission's records are written and before the
/// commit, with the CLIENTIDs the file marks CONSENT = N; compact the file after the run.
pub fn withdraw_consent(conn: &Connection, agency: &str, client_ids: &[&str]) -> Result<Removed, SelectionError> {
    let clients = client_ids.iter().map(|c| (agency.to_string(), c.to_string())).collect();
    let removed = remove(conn, &Selection::Clients(clients))?;
    conn.execute(statement(PERSON_ROWS, "record_withdrawal"), params![agency, client_ids.len() as i64])
        .map_err(sql_err("record_withdrawal"))?;
    Ok(removed)
}

/// Removes the selection from every table, on `conn` (inside the caller's transaction).
pub fn remove(conn: &Connection, selection: &Selection) -> Result<Removed, SelectionError> {
    let staged = selection::stage(conn, selection)?;
    let result = (|| {
        let mut removed = Removed { people: staged.people()?, periods: staged.periods()?, rows: Vec::new() };
        for table in DERIVED_TABLES.into_iter().chain(RECORD_TABLES).filter(|t| staged.has(t)) {
            let sql = format!("DELETE FROM {table} WHERE rowid IN (SELECT _row FROM ({}))", staged.rows_sql(table));
            let n = conn.execute(&sql, []).map_err(sql_err(&format!("rows_{table}")))?;
            removed.rows.push((table, n as u64));
        }
        Ok(removed)
    })();
    staged.drop_selection()?;
    result
}

#[cfg(test)]
pub(crate) mod tests;
