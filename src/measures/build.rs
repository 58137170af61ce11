//! Runs the statistics SQL for one period inside one transaction: a failed
//! build leaves the warehouse as it was, a rerun replaces only its own period.

use duckdb::{params, Connection};

use crate::geography::Geography;
use crate::journeys::{self, JourneyError, SqlFile};
use crate::measures::Period;
use crate::warehouse::Warehouse;

/// Tables owned by the statistics stage (created if absent).
pub const MEASURE_TABLES: SqlFile =
    SqlFile::new("measure-tables.sql", include_str!("../../queries/measure-tables.sql"));
/// The one-row `build_period` parameter table (three `?`: label, start, end).
pub const BUILD_PERIOD: SqlFile = SqlFile::new("build-period.sql", include_str!("../../queries/build-period.sql"));
/// Plain-word category labels (temporary macros).
pub const LABELS: SqlFile = SqlFile::new("labels.sql", include_str!("../../queries/labels.sql"));
/// `person_period` for the period.
pub const PERSON_PERIOD: SqlFile = SqlFile::new("person-period.sql", include_str!("../../queries/person-period.sql"));
/// The cube for the period.
pub const CUBE: SqlFile = SqlFile::new("cube.sql", include_str!("../../queries/cube.sql"));
/// The 12-month trend for the period.
pub const CUBE_MONTH: SqlFile = SqlFile::new("cube-month.sql", include_str!("../../queries/cube-month.sql"));

/// What a build did, for the command's summary line and the benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSummary {
    pub period: String,
    pub treatment_episodes: i64,
    pub journeys: i64,
    /// People in treatment in England in the period (adults and young people).
    pub people_in_treatment: i64,
    pub cube_rows: i64,
    pub cube_month_rows: i64,
}

/// A build problem, naming the step (SQL file) that failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Journeys(#[from] JourneyError),
    #[error("build of period {period}: step {file} failed: {source}")]
    Step { period: String, file: &'static str, source: duckdb::Error },
    #[error("build of period {period}: {context}: {source}")]
    Transaction { period: String, context: &'static str, source: duckdb::Error },
}

/// Derives journeys and linkage quality, then the period's `person_period`,
/// `cube` and `cube_month`, all in one transaction.
pub fn build(warehouse: &Warehouse, period: &Period) -> Result<BuildSummary, BuildError> {
    let conn = warehouse.conn();
    let tx_err = |context: &'static str| {
        let period = period.label.clone();
        move |source| BuildError::Transaction { period, context, source }
    };
    conn.execute_batch("BEGIN TRANSACTION").map_err(tx_err("starting the transaction"))?;
    match build_in_transaction(conn, period) {
        Ok(summary) => {
            conn.execute_batch("COMMIT").map_err(tx_err("committing"))?;
            Ok(summary)
        }
        Err(e) => {
            // the build's error is the one to report; a failed rollback adds nothing
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn build_in_transaction(conn: &Connection, period: &Period) -> Result<BuildSummary, BuildError> {
    let step = |file: &'static str| {
        let period = period.label.clone();
        move |source| BuildError::Step { period, file, source }
    };
    conn.execute_batch(MEASURE_TABLES.text).map_err(step(MEASURE_TABLES.file))?;
    load_geography(conn, &Geography::embedded()).map_err(step("geography_la (reference-data/geography.csv)"))?;
    let journeys = journeys::derive(conn)?;
    conn.execute(BUILD_PERIOD.text, params![period.label, period.start_iso(), period.end_iso()])
        .map_err(step(BUILD_PERIOD.file))?;
    for file in [LABELS, PERSON_PERIOD, CUBE, CUBE_MONTH] {
        conn.execute_batch(file.text).map_err(step(file.file))?;
    }
    let count = |sql: &str| -> Result<i64, duckdb::Error> { conn.query_row(sql, params![period.label], |r| r.get(0)) };
    let people_in_treatment = count(
        "SELECT coalesce(sum(value), 0)::BIGINT FROM cube WHERE period = ? AND measure = 'in_treatment' \
         AND geography_level = 'england' AND substance_group = 'Total' AND dimension = ''",
    )
    .map_err(step("summary"))?;
    let cube_rows = count("SELECT count(*) FROM cube WHERE period = ?").map_err(step("summary"))?;
    let cube_month_rows = count("SELECT count(*) FROM cube_month WHERE period = ?").map_err(step("summary"))?;
    Ok(BuildSummary {
        period: period.label.clone(),
        treatment_episodes: journeys.treatment_episodes,
        journeys: journeys.journeys,
        people_in_treatment,
        cube_rows,
        cube_month_rows,
    })
}

/// Refreshes `geography_la` from the lookup (LA -> reporting LA, region).
fn load_geography(conn: &Connection, geography: &Geography) -> Result<(), duckdb::Error> {
    conn.execute("DELETE FROM geography_la", [])?;
    let mut insert = conn.prepare("INSERT INTO geography_la (la_code, reporting_la, region_code) VALUES (?, ?, ?)")?;
    for la in geography.all_las() {
        insert.execute(params![la.code, la.reporting_la, la.region_code])?;
    }
    Ok(())
}
