//! `ndtms-stats purge --closed-before DATE`: retention. Removes the episodes
//! discharged before the date (with their interventions and TOPs), clients left
//! without episodes, and every derived row of the people concerned, in one
//! transaction; rewrites the file so no page keeps their bytes; reports what
//! it removed.

use std::path::PathBuf;

use anyhow::{bail, Result};
use chrono::NaiveDate;

use crate::commands::erase::{open_existing, print_removed, remove_and_compact};
use crate::warehouse::selection::Selection;

/// Arguments of `ndtms-stats purge`.
#[derive(Debug, Clone, clap::Args)]
pub struct PurgeArgs {
    /// The warehouse.
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// Remove episodes discharged before this day, YYYY-MM-DD (open episodes always stay).
    #[arg(long, value_parser = parse_day)]
    pub closed_before: NaiveDate,
    /// Count what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().filter(|_| text.len() == 10).ok_or_else(|| format!("expected YYYY-MM-DD, got {text:?}"))
}

/// Runs the command; returns the access log's detail (counts only).
pub fn run(args: &PurgeArgs) -> Result<String> {
    if args.closed_before > chrono::Local::now().date_naive() {
        bail!("--closed-before {} is after today: retention removes only what was closed in the past", args.closed_before);
    }
    let wh = open_existing(&args.warehouse)?;
    let removed = remove_and_compact(wh, &Selection::ClosedBefore(args.closed_before), args.dry_run)?;
    print_removed(&removed, args.dry_run);
    Ok(format!("closed before {}: {}", args.closed_before, removed.summary()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_an_iso_date() {
        assert_eq!(parse_day("2019-04-01").unwrap(), NaiveDate::from_ymd_opt(2019, 4, 1).unwrap());
        assert!(parse_day("01/04/2019").is_err() && parse_day("2019-4-1").is_err());
    }
}
