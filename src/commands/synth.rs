//! `ndtms-stats synth`: writes a synthetic universe of agencies and monthly
//! provider extracts (see [`crate::synth`]) with a progress bar, then a summary.

use std::path::PathBuf;

use anyhow::Context;

use crate::progress::Progress;
use crate::synth::{generate, SynthConfig};

/// Options of `ndtms-stats synth`.
#[derive(Debug, Clone, clap::Args)]
pub struct SynthArgs {
    /// Output folder (agencies.csv, <AGNCY>_<YYYY-MM>.csv extracts, faults.json, demo.key, demo-warehouse.key).
    #[arg(long, default_value = "synthetic")]
    pub out: PathBuf,
    /// Random seed: the same seed and options give byte-identical output.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Approximate number of adults in treatment in the latest full financial year.
    #[arg(long, default_value_t = 20_000)]
    pub people: usize,
    /// About the share of rows carrying a deliberate row-level fault (0 = clean data).
    #[arg(long, default_value_t = 0.01)]
    pub fault_rate: f64,
    /// Latest submission month, YYYY-MM.
    #[arg(long, default_value = "2025-03", value_parser = parse_month)]
    pub month: (i32, u32),
    /// Number of consecutive monthly submissions per agency, ending at --month.
    #[arg(long, default_value_t = 2)]
    pub months: u32,
}

/// Parses `YYYY-MM` (also `load --as-of`).
pub(crate) fn parse_month(s: &str) -> Result<(i32, u32), String> {
    let (y, m) = s
        .split_once('-')
        .ok_or_else(|| format!("expected YYYY-MM, got {s:?}"))?;
    let year: i32 = y.parse().map_err(|_| format!("bad year in {s:?}"))?;
    let month: u32 = m.parse().map_err(|_| format!("bad month in {s:?}"))?;
    if y.len() != 4 || !(1..=12).contains(&month) {
        return Err(format!("expected YYYY-MM with month 01-12, got {s:?}"));
    }
    Ok((year, month))
}

/// Runs the generator and prints what was written.
pub fn run(args: &SynthArgs) -> anyhow::Result<()> {
    let cfg = SynthConfig {
        out_dir: args.out.clone(),
        seed: args.seed,
        people: args.people,
        fault_rate: args.fault_rate,
        latest_month: args.month,
        months: args.months,
    };
    let bar = Progress::bar("synth", 0);
    let summary = generate(&cfg, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .with_context(|| format!("generating synthetic data in {}", args.out.display()))?;
    bar.finish();
    println!("synthetic universe written to {}", args.out.display());
    println!(
        "  agencies:       {} ({})",
        summary.agencies,
        summary.agencies_csv.display()
    );
    println!("  extract files:  {}", summary.files.len());
    println!("  rows:           {}", summary.rows);
    println!(
        "  people:         {} ({} episodes)",
        summary.people, summary.episodes
    );
    println!(
        "  injected faults: {} rows, {} files to be rejected whole ({})",
        summary.faulty_rows,
        summary.rejected_files.len(),
        summary.faults_json.display()
    );
    println!("  demo key:       {}", summary.demo_key.display());
    println!("  warehouse key:  {}", summary.demo_warehouse_key.display());
    println!(
        "WARNING: demo.key and demo-warehouse.key are demo keys for synthetic data only; never use them for real data."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_parses_only_yyyy_mm() {
        assert_eq!(parse_month("2025-03"), Ok((2025, 3)));
        assert!(parse_month("2025-13").is_err());
        assert!(parse_month("25-03").is_err());
        assert!(parse_month("2025/03").is_err());
    }
}
