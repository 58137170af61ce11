//! `ndtms-stats build`: link people, derive treatment journeys and
//! materialise every measure for a period in the warehouse (`person_period`,
//! `cube`, `cube_month`, plus `journey` and `linkage_quality`). Rerunning is
//! idempotent; building another period keeps the ones built before.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::journeys::linkage_report;
use crate::measures::{self, Period};
use crate::warehouse::Warehouse;

/// Arguments of `ndtms-stats build`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    /// The warehouse file written by `load`.
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// A financial year (`2024-25`: April 2024 to March 2025) or a month
    /// (`2025-03`: the year to date, April 2024 to March 2025).
    #[arg(long, value_parser = parse_period)]
    pub period: Period,
    /// Also write the internal linkage-quality report (CSV and HTML) into this
    /// folder. It is not disclosure-controlled: keep it inside the data team.
    #[arg(long)]
    pub linkage_report: Option<PathBuf>,
}

fn parse_period(text: &str) -> Result<Period, String> {
    Period::parse(text).map_err(|e| e.to_string())
}

/// Runs the command and prints what was built.
pub fn run(args: &BuildArgs) -> Result<()> {
    if !args.warehouse.exists() {
        anyhow::bail!("warehouse {} does not exist: run `ndtms-stats load` first", args.warehouse.display());
    }
    let warehouse = Warehouse::open(&args.warehouse)?;
    let summary = measures::build(&warehouse, &args.period)
        .with_context(|| format!("building {} in {}", args.period, args.warehouse.display()))?;
    println!(
        "built {}: {} treatment episodes in {} journeys; {} people in treatment in England; {} cube rows, {} trend rows",
        args.period,
        summary.treatment_episodes,
        summary.journeys,
        summary.people_in_treatment,
        summary.cube_rows,
        summary.cube_month_rows
    );
    if let Some(dir) = &args.linkage_report {
        let (csv, html) = linkage_report::write(warehouse.conn(), dir)
            .with_context(|| format!("writing the linkage-quality report to {}", dir.display()))?;
        println!("linkage quality (internal, not for publication): {} and {}", csv.display(), html.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::measures::PeriodKind;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: BuildArgs,
    }

    #[test]
    fn period_is_parsed_and_checked_on_the_command_line() {
        let w = Wrapper::try_parse_from(["build", "--period", "2025-03"]).unwrap();
        assert_eq!(w.args.period.kind, PeriodKind::YearToDate);
        assert_eq!(w.args.warehouse, PathBuf::from("ndtms.duckdb"));
        let err = Wrapper::try_parse_from(["build", "--period", "2024-26"]).err().unwrap();
        assert!(err.to_string().contains("2024-26"), "{err}");
    }

    #[test]
    fn a_missing_warehouse_is_refused_before_anything_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.duckdb");
        let args =
            BuildArgs { warehouse: path.clone(), period: Period::parse("2024-25").unwrap(), linkage_report: None };
        let err = run(&args).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        assert!(!path.exists());
    }
}
