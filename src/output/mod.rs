//! Run folders per the output contract (`docs` in
//! `shared/spec/output-contract.md`): the product-independent table model,
//! tidy CSV, `manifest.json` and the restricted audit record, written
//! atomically.
//!
//! A product command builds its already-protected [`OutputTable`]s, then:
//! [`RunFolder::create`] -> [`RunFolder::write_table_csv`] per table ->
//! renderers ([`crate::render`]) into [`RunFolder::public_path`] ->
//! [`RunFolder::write_manifest`] -> [`RunFolder::write_audit_record`] (unless
//! [`RunFolder::without_audit_record`]) -> [`RunFolder::finish`].

mod audit;
#[cfg(test)]
pub(crate) mod fixtures;
mod hash;
mod manifest;
mod run_folder;
mod table;
mod tidy_csv;

use std::path::PathBuf;

/// The ledger series of every NDTMS product (release, packs, provider reports, extracts): cells
/// are keyed by population, measure, period and coordinates, so a cell two products show is one
/// cell with one status.
pub const PUBLICATIONS: &str = "ndtms-publications";

/// The ledger's file name in a products folder (next to the product folders it records).
pub const LEDGER_FILE: &str = "publication-ledger.json";

/// How a published product names its rules file: the file name only, so a
/// public note never shows where on the producer's machine the rules live.
pub fn rules_file_name(path: &std::path::Path) -> String {
    path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

pub use audit::{AuditRecord, CellCoordinates, SuppressedCell, SuppressionReason};
pub use hash::FileHash;
pub use manifest::{Manifest, ManifestDimension, ManifestGeography, ManifestTable, Period};
pub use run_folder::{check_out_dir, RunFolder};
pub use table::{is_rate_measure, validate_label, Additivity, DimensionMeta, GeographyLevel, Marker, OutputTable, TidyRow, TOTAL};
pub use tidy_csv::{format_value, header as tidy_csv_header, safe_cell, tidy_csv_string, write_tidy_csv, FORMULA_STARTS};

/// Errors writing a run folder.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The CSV writer failed.
    #[error("{file}: writing CSV: {source}")]
    Csv {
        /// The CSV file.
        file: String,
        /// The cause.
        source: csv::Error,
    },
    /// JSON (de)serialisation failed.
    #[error("{file}: {source}")]
    Json {
        /// The JSON file.
        file: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A table breaks the output contract.
    #[error("table {table}, row {row}: {reason}")]
    InvalidTable {
        /// Table id.
        table: String,
        /// 1-based row of the table's rows (0: the table's metadata).
        row: usize,
        /// What is wrong.
        reason: String,
    },
    /// The output folder given is not a folder (or cannot become one).
    #[error("--out {path}: {reason}; nothing was computed")]
    NotAFolder {
        /// The path given.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A label used in a file name is unsafe.
    #[error("{what} `{label}` must be non-empty ASCII letters, digits, `-`, `_` or `.` (not starting with `.`) and stay inside the run folder")]
    InvalidLabel {
        /// Which label.
        what: &'static str,
        /// The label given.
        label: String,
    },
    /// The period is not a pair of ordered ISO dates.
    #[error("period {start}..{end}: {reason}")]
    InvalidPeriod {
        /// Start given.
        start: String,
        /// End given.
        end: String,
        /// What is wrong.
        reason: String,
    },
    /// An audit record entry is malformed.
    #[error("audit record, table {table}, area {area_code}: {reason}")]
    InvalidAudit {
        /// Table id.
        table: String,
        /// Area code of the cell.
        area_code: String,
        /// What is wrong.
        reason: String,
    },
    /// The manifest names a table whose CSV was not written.
    #[error("manifest lists table {table} but {file} was not written")]
    MissingTableFile {
        /// Table id.
        table: String,
        /// Its CSV path.
        file: String,
    },
    /// An audit record was written for a run created without one.
    #[error("the run was created with --no-audit-record; no restricted record may be written")]
    AuditRecordDisabled,
    /// The run was finished before all required files were written.
    #[error("run folder incomplete: {missing} was not written")]
    Incomplete {
        /// The missing file.
        missing: &'static str,
    },
    /// The run folder was already finished.
    #[error("run folder already finished")]
    Finished,
}
