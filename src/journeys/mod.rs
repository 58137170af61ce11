//! Linkage and treatment journeys.
//!
//! People are linked across agencies by the keyed attributor pseudonym
//! (`episode.person_key`, written by ingest); unlinked episodes (placeholder
//! or incomplete attributors) are never counted as people. [`derive`] runs
//! `queries/journeys.sql` (treatment episodes and journeys, from everything
//! the warehouse holds) and `queries/linkage-quality.sql`;
//! [`linkage_report`] writes the internal linkage-quality report.

pub mod linkage_report;

use duckdb::Connection;

/// An SQL file from `queries/`, embedded at compile time.
#[derive(Debug, Clone, Copy)]
pub struct SqlFile {
    /// The file name under `queries/`, used in error messages.
    pub file: &'static str,
    /// Its statements.
    pub text: &'static str,
}

impl SqlFile {
    /// Names an embedded SQL file.
    pub const fn new(file: &'static str, text: &'static str) -> SqlFile {
        SqlFile { file, text }
    }
}

/// Treatment episodes and journeys (tables `treatment_episode`, `journey`).
pub const JOURNEYS: SqlFile = SqlFile::new("journeys.sql", include_str!("../../queries/journeys.sql"));
/// The linkage-quality table (`linkage_quality`).
pub const LINKAGE_QUALITY: SqlFile =
    SqlFile::new("linkage-quality.sql", include_str!("../../queries/linkage-quality.sql"));

/// A journey-derivation problem, naming the SQL file.
#[derive(Debug, thiserror::Error)]
pub enum JourneyError {
    #[error("deriving journeys: {file} failed: {source}")]
    Sql { file: &'static str, source: duckdb::Error },
}

/// Counts from a derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JourneySummary {
    pub treatment_episodes: i64,
    pub journeys: i64,
    pub people: i64,
}

/// Rebuilds `treatment_episode`, `journey` and `linkage_quality` from the
/// warehouse's episodes, interventions and clients.
pub fn derive(conn: &Connection) -> Result<JourneySummary, JourneyError> {
    for sql in [JOURNEYS, LINKAGE_QUALITY] {
        conn.execute_batch(sql.text).map_err(|source| JourneyError::Sql { file: sql.file, source })?;
    }
    let count = |sql: &str| -> Result<i64, JourneyError> {
        conn.query_row(sql, [], |r| r.get(0)).map_err(|source| JourneyError::Sql { file: JOURNEYS.file, source })
    };
    Ok(JourneySummary {
        treatment_episodes: count("SELECT count(*) FROM treatment_episode")?,
        journeys: count("SELECT count(*) FROM journey")?,
        people: count("SELECT count(DISTINCT person_key) FROM journey")?,
    })
}
