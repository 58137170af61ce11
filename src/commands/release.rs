//! `ndtms-stats release`: the annual official statistics release, protected
//! as a whole and written as CSV, Excel and HTML (see [`crate::release`]).

use std::path::PathBuf;

use anyhow::Result;

use crate::progress::Progress;
use crate::release::{release, ReleaseOptions};

/// Arguments of `ndtms-stats release`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReleaseArgs {
    /// The warehouse, built for the period (`ndtms-stats build`).
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// The financial year (`2024-25`) or month (`2025-03`, year to date).
    #[arg(long)]
    pub period: String,
    /// Disclosure-control rules.
    #[arg(long, default_value = "suppression-rules/official.toml")]
    pub rules: PathBuf,
    /// Folder the release folder (`release-<period>`) is written into.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// A table list other than the built-in `queries/release-tables.toml`.
    #[arg(long)]
    pub tables: Option<PathBuf>,
    /// A template folder other than the built-in `report-templates/`.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Write no restricted audit record.
    #[arg(long)]
    pub no_audit_record: bool,
    /// Ledger of what earlier products showed (read and updated), shared by every product
    /// written into the same folder; default `<out>/publication-ledger.json`.
    #[arg(long)]
    pub ledger: Option<PathBuf>,
}

impl ReleaseArgs {
    pub fn options(&self) -> ReleaseOptions {
        ReleaseOptions {
            warehouse: self.warehouse.clone(),
            period: self.period.clone(),
            rules: self.rules.clone(),
            out: self.out.clone(),
            tables: self.tables.clone(),
            templates: self.templates.clone(),
            no_audit_record: self.no_audit_record,
            ledger: Some(self.ledger.clone().unwrap_or_else(|| self.out.join(crate::output::LEDGER_FILE))),
        }
    }
}

/// Runs the release and prints where it went.
pub fn run(args: &ReleaseArgs) -> Result<()> {
    let s = release(&args.options(), &Progress::bar("release", 0))?;
    println!(
        "release: {} tables, {} published cells checked, {} primary and {} secondary suppressions; audit passed",
        s.tables, s.cells, s.primary, s.secondary
    );
    println!("{}", s.information_loss);
    println!("{}", s.folder.join("html/index.html").display());
    Ok(())
}
