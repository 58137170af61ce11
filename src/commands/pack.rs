//! `ndtms-stats pack`: the monthly commissioner packs, one per local
//! authority (see [`crate::pack`]).

use std::path::PathBuf;

use anyhow::Result;

use crate::pack::{pack, PackOptions};
use crate::progress::Progress;

/// Arguments of `ndtms-stats pack`.
#[derive(Debug, Clone, clap::Args)]
pub struct PackArgs {
    /// The warehouse (the month is built if the cube lacks it).
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// The month, YYYY-MM: year to date from the April before.
    #[arg(long)]
    pub month: String,
    /// One local authority's pack (ONS code).
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    pub la: Option<String>,
    /// Every local authority's pack, and an index page.
    #[arg(long)]
    pub all: bool,
    /// Disclosure-control rules.
    #[arg(long, default_value = "suppression-rules/official.toml")]
    pub rules: PathBuf,
    /// Folder the pack folder (`pack-<month>`) is written into.
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

impl PackArgs {
    pub fn options(&self) -> PackOptions {
        PackOptions {
            warehouse: self.warehouse.clone(),
            month: self.month.clone(),
            la: self.la.clone(),
            all: self.all,
            rules: self.rules.clone(),
            out: self.out.clone(),
            ledger: self.ledger.clone().unwrap_or_else(|| self.out.join(crate::output::LEDGER_FILE)),
            no_audit_record: self.no_audit_record,
        }
    }
}

/// Runs the packs and prints where they went.
pub fn run(args: &PackArgs) -> Result<()> {
    let s = pack(&args.options(), &Progress::bar("pack", 0))?;
    let previous = match &s.previous_month {
        Some(p) => format!("protected together with the year to date to {p}, and whatever the ledger holds"),
        None => "first month of the year".to_string(),
    };
    let packs = if s.packs == 1 { "1 pack".to_string() } else { format!("{} packs", s.packs) };
    println!("pack: {packs}, {} primary and {} secondary suppressions ({previous}); audit passed", s.primary, s.secondary);
    println!("{}", s.information_loss);
    println!("{}", s.folder.display());
    Ok(())
}
