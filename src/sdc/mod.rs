//! Disclosure control (SDC): tables and rules in, a status for every cell out.
//!
//! No dependency on polars or duckdb. The core is a generic [`Problem`]: cells (counts or
//! magnitudes, publishable or internal-only) and sparse integer relations between them.
//! [`ProblemBuilder`] builds one from hierarchical tables, merging cells that count the same
//! population in several tables. [`protect`] applies a [`RuleSet`] (`suppression-rules/*.toml`):
//! primary rules; secondary suppression that first gives every primary cell the cheapest cycle
//! (generalised hypercube, [`cube`]) proving its interval, then checks each component of
//! suppressed cells by exact Gaussian elimination (after Langsrud, 2024), singleton elimination
//! and LP intervals, adding complements until all pass; and an audit of every suppressed cell's
//! feasible interval (exact LP on components up to [`secondary::EXACT_MAX`] cells, certified cycle
//! segments beyond). Or rounding. A [`Ledger`] carries earlier publications of a series.

pub mod audit;
pub mod builder;
pub mod certify;
pub mod combine;
pub mod complete;
pub mod cube;
pub mod engine;
pub mod error;
pub mod explain;
pub mod fixed;
pub mod gauss;
pub mod greedy;
pub mod key;
pub mod ledger;
pub mod loss;
pub mod model;
pub mod nested;
pub mod overlap;
pub mod pattern;
pub mod primary;
pub mod relations;
pub mod rounding;
pub mod rules;
pub mod secondary;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod proptests;

pub use audit::Interval;
pub use builder::{aggregate, CategoryDef, DimensionDef, KeyAlias, ProblemBuilder, TableCell, TableDef};
pub use engine::protect;
pub use error::SdcError;
pub use explain::{AuditEntry, CellStatus, Counts, Protection, RateReason, RateStatus, Reason};
pub use ledger::{Ledger, LedgerEntry};
pub use model::{Cell, CellId, CellKey, CellKind, Problem, RateCell, Relation};
pub use primary::PrimaryReason;
pub use rules::{Mode, RuleSet};
