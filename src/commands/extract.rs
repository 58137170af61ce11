//! `ndtms-stats extract`: a research extract of safe aggregates with its
//! output-checking report (see [`crate::extract`]).

use std::path::PathBuf;

use anyhow::Result;

use crate::extract::{extract, request, ExtractOptions};

/// Arguments of `ndtms-stats extract`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExtractArgs {
    /// The warehouse, built for the period.
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// The measure (`in_treatment`, `exits`, ...).
    #[arg(long)]
    pub measure: String,
    /// Breakdowns, comma separated: substance_group, region or la, and one of sex, age_band, ...
    #[arg(long, value_delimiter = ',')]
    pub by: Vec<String>,
    /// Filters: `field = 'value'` joined by AND (region, la, substance_group or a dimension).
    #[arg(long = "where")]
    pub filter: Option<String>,
    /// Financial year (`2024-25`) or month (`2025-03`, year to date).
    #[arg(long)]
    pub period: String,
    /// `adult` or `young_people` (anything else is refused with the list, never an extract of zeros).
    #[arg(long, default_value = "adult", value_parser = ["adult", "young_people"])]
    pub population: String,
    /// Disclosure-control rules.
    #[arg(long, default_value = "suppression-rules/research.toml")]
    pub rules: PathBuf,
    /// Folder the extract folder (`extract-<period>`) is written into.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// The publication ledger shared with the release, packs and provider reports (read, then
    /// updated): cells they published or suppressed keep that status here. Default
    /// `<out>/publication-ledger.json`.
    #[arg(long)]
    pub ledger: Option<PathBuf>,
}

/// Checks the request, writes the extract and prints where it went.
pub fn run(args: &ExtractArgs) -> Result<()> {
    let req = request::parse(&args.measure, &args.by, args.filter.as_deref())?;
    let o = ExtractOptions {
        warehouse: args.warehouse.clone(),
        period: args.period.clone(),
        population: args.population.clone(),
        request: req,
        rules: args.rules.clone(),
        out: args.out.clone(),
        ledger: Some(args.ledger.clone().unwrap_or_else(|| args.out.join(crate::output::LEDGER_FILE))),
    };
    let s = extract(&o)?;
    println!("extract: {} cells, {} suppressed; checking status {:?}", s.cells, s.suppressed, s.status);
    println!("{}", s.folder.display());
    println!("checking report (restricted): {}", s.folder.join("restricted/checking-report.md").display());
    Ok(())
}
