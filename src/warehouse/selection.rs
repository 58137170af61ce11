//! Selecting a person's rows in every table of the warehouse, to report them
//! (subject access) or remove them ([`super::erase`]). Statements:
//! `queries/person-rows.sql`.
//!
//! Every table of the warehouse is in exactly one of three lists: record tables
//! (rows taken by client and episode), derived tables (rows taken by person key,
//! every period) and tables holding no person-level data (aggregates, reference
//! data, ledger, logs). A table in none of them stops the work with an error, so
//! a table added later cannot keep, or hide, a person by oversight.

use chrono::NaiveDate;
use duckdb::{params, Connection};

use super::sql::statement;

/// The statements (`queries/person-rows.sql`).
pub const PERSON_ROWS: &str = include_str!("../../queries/person-rows.sql");

/// Tables whose rows are taken by client and episode, in the order they are emptied.
pub const RECORD_TABLES: [&str; 4] = ["top_record", "intervention", "episode", "client"];
/// Derived tables holding person keys (taken by key, every period).
pub const DERIVED_TABLES: [&str; 3] = ["treatment_episode", "journey", "person_period"];
/// Tables that hold no person-level data: no client, episode or person key.
pub const NO_PERSON_DATA: [&str; 10] = [
    "warehouse_meta",
    "agency",
    "submission",
    "submission_message",
    "geography_la",
    "cube",
    "cube_month",
    "linkage_quality",
    "access_log",
    "consent_withdrawal",
];

/// A selection problem.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error("selecting a person's rows: step `{step}` (queries/person-rows.sql) failed: {source}")]
    Sql { step: String, source: duckdb::Error },
    #[error("table `{table}` is not known to src/warehouse/selection.rs, so it may hold a person's data unseen; add it to RECORD_TABLES or DERIVED_TABLES (with a `rows_{table}` statement in queries/person-rows.sql) or to NO_PERSON_DATA. Nothing was read or removed")]
    Unclassified { table: String },
}

/// Whose rows to take.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Clients, as (agency, CLIENTID): all their records, and the derived rows of their person keys.
    Clients(Vec<(String, String)>),
    /// A person key: every client with an episode under it, at every agency, and its derived rows.
    Person(String),
    /// Retention: episodes discharged before the date, clients left without episodes, and
    /// the derived rows of the people concerned.
    ClosedBefore(NaiveDate),
}

/// A selection staged on a connection (temporary tables); dropped by [`Staged::drop_selection`].
pub struct Staged<'c> {
    conn: &'c Connection,
    tables: Vec<String>,
}

/// Stages `selection` on `conn` after checking every table of the warehouse is classified.
pub fn stage<'c>(conn: &'c Connection, selection: &Selection) -> Result<Staged<'c>, SelectionError> {
    let tables = warehouse_tables(conn)?;
    if let Some(t) = tables.iter().find(|t| !is_classified(t)) {
        return Err(SelectionError::Unclassified { table: t.clone() });
    }
    let staged = Staged { conn, tables };
    staged.run("create_selection")?;
    if let Err(e) = staged.select(selection) {
        let _ = staged.drop_selection();
        return Err(e);
    }
    Ok(staged)
}

impl Staged<'_> {
    fn select(&self, selection: &Selection) -> Result<(), SelectionError> {
        let conn = self.conn;
        match selection {
            Selection::Clients(clients) => {
                let mut add = conn.prepare(statement(PERSON_ROWS, "add_client")).map_err(sql_err("add_client"))?;
                for (agency, client) in clients {
                    add.execute(params![agency, client]).map_err(sql_err("add_client"))?;
                }
                self.run("select_client_episodes")?;
            }
            Selection::Person(key) => {
                conn.execute(statement(PERSON_ROWS, "add_key"), [key]).map_err(sql_err("add_key"))?;
                conn.execute(statement(PERSON_ROWS, "add_person_clients"), [key]).map_err(sql_err("add_person_clients"))?;
                self.run("select_client_episodes")?;
            }
            Selection::ClosedBefore(date) => {
                let date = date.format("%Y-%m-%d").to_string();
                conn.execute(statement(PERSON_ROWS, "select_closed_before"), [date]).map_err(sql_err("select_closed_before"))?;
                self.run("select_emptied_clients")?;
            }
        }
        self.run("select_keys")?;
        if self.has("treatment_episode") {
            self.run("select_derived_keys")?;
        }
        Ok(())
    }

    /// Whether the warehouse has `table` (derived tables appear with the first build).
    pub fn has(&self, table: &str) -> bool {
        self.tables.iter().any(|t| t == table)
    }

    /// The connection the selection is staged on.
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// The selected rows of `table` as a query with their rowid as `_row` (no trailing `;`).
    pub fn rows_sql(&self, table: &str) -> String {
        statement(PERSON_ROWS, &format!("rows_{table}")).trim_end_matches(';').to_string()
    }

    /// Runs a named query returning one number.
    pub fn count(&self, name: &str) -> Result<u64, SelectionError> {
        self.conn.query_row(statement(PERSON_ROWS, name), [], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(sql_err(name))
    }

    /// Person keys selected.
    pub fn people(&self) -> Result<u64, SelectionError> {
        self.conn.query_row("SELECT count(DISTINCT person_key) FROM _sel_key", [], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(sql_err("counting people"))
    }

    /// Built periods holding a selected person.
    pub fn periods(&self) -> Result<Vec<String>, SelectionError> {
        if !self.has("person_period") {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(statement(PERSON_ROWS, "periods_touched")).map_err(sql_err("periods_touched"))?;
        let periods = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql_err("periods_touched"))?;
        periods.collect::<Result<_, _>>().map_err(sql_err("periods_touched"))
    }

    /// Drops the temporary tables.
    pub fn drop_selection(self) -> Result<(), SelectionError> {
        self.run("drop_selection")
    }

    fn run(&self, name: &str) -> Result<(), SelectionError> {
        self.conn.execute_batch(statement(PERSON_ROWS, name)).map_err(sql_err(name))
    }
}

/// Whether `table` is in one of the three lists.
pub(crate) fn is_classified(table: &str) -> bool {
    RECORD_TABLES.contains(&table) || DERIVED_TABLES.contains(&table) || NO_PERSON_DATA.contains(&table)
}

/// The warehouse's own tables (not the connection's temporary ones).
pub(crate) fn warehouse_tables(conn: &Connection) -> Result<Vec<String>, SelectionError> {
    let sql = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary ORDER BY 1";
    let mut stmt = conn.prepare(sql).map_err(sql_err("listing tables"))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql_err("listing tables"))?;
    rows.collect::<Result<_, _>>().map_err(sql_err("listing tables"))
}

pub(crate) fn sql_err(step: &str) -> impl FnOnce(duckdb::Error) -> SelectionError + '_ {
    move |source| SelectionError::Sql { step: step.to_string(), source }
}
