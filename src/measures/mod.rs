//! Measures for a period and the internal, unsuppressed aggregate cube.
//!
//! `build` derives journeys (see [`crate::journeys`]), then for one period
//! materialises `person_period`, `cube` and `cube_month` in the warehouse by
//! running the SQL in `queries/` (documented in `queries/README.md`). The
//! cube is consumed by the products through disclosure control; nothing here
//! writes a publishable file.

pub mod build;
pub mod flows;
pub mod period;
pub mod wilson;

pub use build::{build, BuildError, BuildSummary};
pub use flows::{is_flow, FLOW_MEASURES};
pub use period::{Period, PeriodError, PeriodKind};
pub use wilson::{wilson_interval, Z_95};
