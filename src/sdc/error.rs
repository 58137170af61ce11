//! Errors of the disclosure-control engine: every variant names the rule file, table, cell key or
//! component it concerns so a failed run can be traced without a debugger.

use std::path::PathBuf;

/// Everything that can stop the engine from proving its guarantees.
#[derive(Debug, thiserror::Error)]
pub enum SdcError {
    /// A rule file could not be read from disk.
    #[error("rule file {file}: cannot read it (relative paths are from the current folder; the project's rule files are in its suppression-rules/ folder, or pass --rules PATH)")]
    RuleFileRead {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A rule file is malformed or states an impossible policy.
    #[error("rule file {file}, line {line}: {reason}")]
    RuleFile {
        file: PathBuf,
        line: usize,
        reason: String,
    },
    /// A table definition is inconsistent (unknown parent, duplicate category, ...).
    #[error("table {table}: {reason}")]
    TableDefinition { table: String, reason: String },
    /// A cell of a table is missing, duplicated or has a bad coordinate.
    #[error("table {table}, cell {key}: {reason}")]
    TableCell {
        table: String,
        key: String,
        reason: String,
    },
    /// Two tables publish the same population with different values.
    #[error("cell {key}: table {first_table} says {first_value} but table {second_table} says {second_value}")]
    ConflictingLinkedCell {
        key: String,
        first_table: String,
        first_value: f64,
        second_table: String,
        second_value: f64,
    },
    /// A relation or rate refers to a cell id that does not exist.
    #[error("{what}: unknown cell id {id}")]
    UnknownCell { what: String, id: usize },
    /// A cell published earlier now has another value (the data were revised since).
    #[error("cell {key} was published as {published} by an earlier run but is {now} now (the data changed since): a revised edition needs its own ledger (--ledger NEW-FILE) and a revisions note")]
    LedgerRevised { key: String, published: f64, now: f64 },
    /// A ledger file could not be read, parsed or written.
    #[error("ledger {file}: {reason}")]
    Ledger { file: PathBuf, reason: String },
    /// A relation the tables declare (a dimension that adds up) does not hold in the data.
    #[error("table {table}: {dimension} declared to add up, but in the data {relation}; declare the dimension not additive for this measure (or correct the table)")]
    ModelContradicted { table: String, dimension: String, relation: String },
    /// Secondary suppression ran out of complements: the guarantee cannot be met.
    #[error("cannot protect cell {key}: {reason}")]
    Unprotectable { key: String, reason: String },
    /// Exact arithmetic overflowed during elimination (coefficients grew beyond i128).
    #[error("exact elimination overflowed in the component of cell {key}")]
    EliminationOverflow { key: String },
    /// The linear programme of the audit failed for a reason other than unboundedness.
    #[error("audit LP for cell {key}: {reason}")]
    AuditSolver { key: String, reason: String },
}
