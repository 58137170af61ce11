//! The command line: clap definitions and dispatch to `commands::*`.

use clap::{Parser, Subcommand};

use crate::commands;

/// ndtms-stats: NDTMS provider extracts to safe official statistics.
#[derive(Debug, Parser)]
#[command(name = "ndtms-stats", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
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
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => commands::demo::run(&args),
        Command::Synth(args) => commands::synth::run(&args),
        Command::Load(args) => commands::load::run(&args),
        Command::Build(args) => commands::build::run(&args),
        Command::Release(args) => commands::release::run(&args),
        Command::Pack(args) => commands::pack::run(&args),
        Command::Extract(args) => commands::extract::run(&args),
        Command::ProviderReport(args) => commands::provider_report::run(&args),
        Command::Protect(args) => commands::protect::run(&args),
    }
}
