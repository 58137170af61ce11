//! The command line: clap definitions and dispatch to `commands::*`. Every
//! command that reads or changes a warehouse is recorded in its access log
//! ([`crate::privacy::access`]).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::warehouse::key::{self, WarehouseKey};

/// ndtms-stats: NDTMS provider extracts to safe official statistics.
#[derive(Debug, Parser)]
#[command(name = "ndtms-stats", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// The warehouse key file (64 hex characters; `new-key` makes one), else the
    /// NDTMS_STATS_WAREHOUSE_KEY environment variable. A different secret from the attributor key.
    #[arg(long, global = true, conflicts_with = "unencrypted_warehouse")]
    pub warehouse_key_file: Option<PathBuf>,
    /// Create and open the warehouse unencrypted: only where the disk is encrypted by other
    /// means (the data sharing protocols require encryption at rest).
    #[arg(long, global = true)]
    pub unencrypted_warehouse: bool,
}

/// The subcommands, in the order the data go.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole job on built-in synthetic data into ./ndtms-demo/.
    Demo(commands::demo::DemoArgs),
    /// Write a synthetic universe of agencies and provider extracts.
    Synth(commands::synth::SynthArgs),
    /// Validate provider extracts and load them into the warehouse.
    Load(commands::load::LoadArgs),
    /// Link people, build journeys and compute the measures for a period.
    Build(commands::build::BuildArgs),
    /// Write the protected official statistics release for a period.
    Release(commands::release::ReleaseArgs),
    /// Write the monthly commissioner packs (one per local authority).
    Pack(commands::pack::PackArgs),
    /// Write a research extract of safe aggregates with its output-checking report.
    Extract(commands::extract::ExtractArgs),
    /// Write the monthly provider reports (activity and data quality per agency).
    ProviderReport(commands::provider_report::ProviderReportArgs),
    /// Protect any user table (inner cells CSV + hierarchies) under a rule file.
    Protect(commands::protect::ProtectArgs),
    /// Report everything the warehouse holds about one person (subject access request).
    SubjectAccess(commands::subject_access::SubjectAccessArgs),
    /// Remove one person from every table of the warehouse (erasure on request).
    Erase(commands::erase::EraseArgs),
    /// Remove episodes closed before a date, and what derives from them (retention).
    Purge(commands::purge::PurgeArgs),
    /// Print the warehouse's access log.
    Log(commands::log::LogArgs),
    /// Write a new random warehouse key to a new owner-only file.
    NewKey(commands::new_key::NewKeyArgs),
}

/// Runs the parsed command line, then appends it to the warehouse's access log.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(file) = &cli.warehouse_key_file {
        key::set_for_process(WarehouseKey::from_file(file)?);
    } else if cli.unencrypted_warehouse {
        key::set_for_process(WarehouseKey::Unencrypted);
    }
    let access = crate::privacy::access::describe(&cli.command);
    let done = |r: anyhow::Result<()>| r.map(|()| String::new());
    let result = match cli.command {
        Command::Demo(args) => done(commands::demo::run(&args)),
        Command::Synth(args) => done(commands::synth::run(&args)),
        Command::Load(args) => done(commands::load::run(&args)),
        Command::Build(args) => done(commands::build::run(&args)),
        Command::Release(args) => done(commands::release::run(&args)),
        Command::Pack(args) => done(commands::pack::run(&args)),
        Command::Extract(args) => done(commands::extract::run(&args)),
        Command::ProviderReport(args) => done(commands::provider_report::run(&args)),
        Command::Protect(args) => done(commands::protect::run(&args)),
        Command::SubjectAccess(args) => commands::subject_access::run(&args),
        Command::Erase(args) => commands::erase::run(&args),
        Command::Purge(args) => commands::purge::run(&args),
        Command::Log(args) => commands::log::run(&args),
        Command::NewKey(args) => done(commands::new_key::run(&args)),
    };
    match access {
        Some(access) => access.finish(result),
        None => result.map(|_| ()),
    }
}
