//! Integration tests: the `ndtms-stats` binary driven on small fixtures.
//! One test binary (one long link) with a module per area.

mod common;
mod manifests;
mod examples;
mod load;
mod load_reference;
mod load_safety;
mod release;
mod packs;
mod extracts;
mod products;
mod journeys;
mod browser;
mod protect;
mod privacy;
mod attacker;
