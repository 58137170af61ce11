//! ndtms-stats: turns NDTMS provider extracts into safe official statistics.
//!
//! Stages, in the order the data go: [`ingest`] (validate extracts) ->
//! [`warehouse`] (embedded DuckDB) -> journeys and measures -> disclosure
//! control -> output and rendering. See `docs/architecture.md`.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod dq;
pub mod extract;
pub mod geography;
pub mod ingest;
pub mod journeys;
pub mod measures;
pub mod pack;
pub mod privacy;
pub mod progress;
pub mod provider_report;
pub mod release;
pub mod schema;
pub mod sdc;
pub mod warehouse;
pub mod output;
pub mod render;
pub mod synth;
