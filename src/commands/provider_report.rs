//! `ndtms-stats provider-report`: each agency's activity and data quality
//! for a month (see [`crate::provider_report`]).

use std::path::PathBuf;

use anyhow::Result;

use crate::provider_report::{provider_report, ProviderReportOptions};

/// Arguments of `ndtms-stats provider-report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProviderReportArgs {
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// The month, YYYY-MM.
    #[arg(long)]
    pub month: String,
    /// One agency's report.
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    pub agency: Option<String>,
    /// Every agency's report, and an index page.
    #[arg(long)]
    pub all: bool,
    /// Disclosure-control rules.
    #[arg(long, default_value = "suppression-rules/official.toml")]
    pub rules: PathBuf,
    /// Folder the report folder (`provider-report-<month>`) is written into.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Ledger of what earlier products showed (read and updated), shared by every product
    /// written into the same folder; default `<out>/publication-ledger.json`.
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Write no restricted audit record.
    #[arg(long)]
    pub no_audit_record: bool,
}

/// Writes the reports and prints where they went.
pub fn run(a: &ProviderReportArgs) -> Result<()> {
    let o = ProviderReportOptions {
        warehouse: a.warehouse.clone(),
        month: a.month.clone(),
        agency: a.agency.clone(),
        all: a.all,
        rules: a.rules.clone(),
        out: a.out.clone(),
        ledger: a.ledger.clone().unwrap_or_else(|| a.out.join(crate::output::LEDGER_FILE)),
        no_audit_record: a.no_audit_record,
    };
    let (folder, n) = provider_report(&o)?;
    println!("provider-report: {n} reports");
    println!("{}", folder.display());
    Ok(())
}
