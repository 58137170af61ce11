//! The monthly commissioner packs: one pack per local authority (HTML,
//! Excel, CSV) with the year to date by substance group against the region
//! and England, the completion rate without representation with its
//! interval, and the providers the LA commissions with their data quality.
//!
//! Every LA's pack of a month is protected in one problem; last month's
//! published year-to-date figures (from the ledger) enter it as published,
//! so differencing two months' packs reveals no suppressed count.

pub mod cells;
pub mod protect;
mod release_links;
pub mod publish;
pub mod tables;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::geography::Geography;
use crate::measures::period::{Period, PeriodKind};
use crate::progress::Progress;
use crate::release::data::{areas, substance_hierarchy, TOTAL};
use crate::sdc::{Ledger, RuleSet};
use crate::warehouse::Warehouse;
use protect::PackGrid;

/// What a pack run needs.
#[derive(Debug, Clone)]
pub struct PackOptions {
    pub warehouse: PathBuf,
    /// The month (`2025-03`): year to date from the April before.
    pub month: String,
    /// One LA's pack (`None` with `all`).
    pub la: Option<String>,
    /// Every LA's pack and an index.
    pub all: bool,
    pub rules: PathBuf,
    pub out: PathBuf,
    /// The series' ledger (read, then updated with what this run published).
    pub ledger: PathBuf,
    pub no_audit_record: bool,
}

/// The written packs.
#[derive(Debug)]
pub struct PackSummary {
    pub folder: PathBuf,
    pub packs: usize,
    pub primary: usize,
    pub secondary: usize,
    /// Whether last month's figures were part of the protection.
    pub previous_month: Option<String>,
    /// Suppressed share of value and suppressed cells by geography level, one line.
    pub information_loss: String,
}

/// The month before `period` in the same financial year (none for April).
pub fn previous_month(period: &Period) -> Option<String> {
    use chrono::Datelike;
    let end = period.end;
    if end.month() == 4 {
        return None;
    }
    let (y, m) = if end.month() == 1 { (end.year() - 1, 12) } else { (end.year(), end.month() - 1) };
    Some(format!("{y}-{m:02}"))
}

fn ensure_built(wh: &Warehouse, period: &Period) -> Result<()> {
    if !cells::period_is_built(wh, &period.label) {
        crate::measures::build(wh, period).with_context(|| format!("building the measures of {}", period.label))?;
    }
    Ok(())
}

/// The cells of one month's packs and provider reports: every area's year to date by
/// substance group, last month's (for the ledger link), every agency's year to date. Builds
/// the month (and the month before) in the warehouse when the cube lacks them.
pub fn month_grid(wh: &Warehouse, period: &Period, geography: &Geography) -> Result<PackGrid> {
    ensure_built(wh, period)?;
    let previous = match previous_month(period) {
        Some(label) => {
            ensure_built(wh, &Period::parse(&label)?)?;
            Some(cells::read_ytd(wh, &label)?)
        }
        None => None,
    };
    let spec = crate::release::spec::load(None)?;
    let mut substances = vec![(TOTAL.to_string(), None)];
    substances.extend(substance_hierarchy(&spec));
    Ok(PackGrid {
        areas: areas(geography, &["region".to_string(), "la".to_string()]),
        substances,
        now: cells::read_ytd(wh, &period.label)?,
        previous,
        year_end: None,
        providers: cells::agencies(wh)?.into_iter().map(|(code, _)| code).collect(),
        provider_counts: cells::read_provider_ytd(wh, &period.label)?,
        months: period.trend_months(),
        trend: cells::read_trend(wh, &period.label)?,
    })
}

/// The year to date of the financial year's last month, when `period` ends before it and the
/// ledger holds cells over that whole year (a release published first): the packs must then
/// be protected against the release's year as well ([`release_links::add_year_end_sums`]).
fn year_end_after_release(wh: &Warehouse, period: &Period, ledger: &Ledger) -> Result<Option<cells::YtdCounts>> {
    use chrono::Datelike;
    let year = if period.end.month() >= 4 { period.end.year() + 1 } else { period.end.year() };
    let Some(end) = chrono::NaiveDate::from_ymd_opt(year, 3, 31) else { return Ok(None) };
    if period.end >= end || !ledger.entries().any(|e| e.key.period.is_some_and(|s| s.start == period.start && s.end == end)) {
        return Ok(None);
    }
    let label = format!("{year}-03");
    ensure_built(wh, &Period::parse(&label)?)?;
    Ok(Some(cells::read_ytd(wh, &label)?))
}

/// Reads, protects (with last month from the ledger) and writes the packs.
pub fn pack(opts: &PackOptions, progress: &Progress) -> Result<PackSummary> {
    crate::output::check_out_dir(&opts.out)?;
    let period = Period::parse(&opts.month)?;
    if period.kind != PeriodKind::YearToDate {
        bail!("packs are monthly: --month takes YYYY-MM, not {}", opts.month);
    }
    let geography = Geography::embedded();
    let las: Vec<String> = match (&opts.la, opts.all) {
        (Some(la), false) => {
            if geography.reporting_la(la) != Some(la.as_str()) {
                bail!("{la} is not a reporting local authority code (see reference-data/geography.csv)");
            }
            vec![la.clone()]
        }
        (None, true) => geography.reporting_las().map(|l| l.code.clone()).collect(),
        _ => bail!("give either --la CODE or --all"),
    };
    let rules = RuleSet::load(&opts.rules)?;
    let wh = Warehouse::open(&opts.warehouse)?;
    progress.set_length(4);
    progress.set_message("reading the cube");
    let mut grid = month_grid(&wh, &period, &geography)?;
    let mut ledger = Ledger::load_or_new(&opts.ledger)?;
    grid.year_end = year_end_after_release(&wh, &period, &ledger)?;
    progress.inc(1);
    progress.set_message("disclosure control");
    let protected = protect::protect_packs(&grid, &rules, &ledger)?;
    progress.inc(1);
    progress.set_message("writing");
    let folder = publish::write_packs(opts, &period, &grid, &protected, &rules, &wh, &las)?;
    ledger.record_publication(&protected.problem, &protected.protection);
    ledger.save(&opts.ledger)?;
    progress.finish();
    let c = &protected.protection.counts;
    Ok(PackSummary {
        folder,
        packs: las.len(),
        primary: c.primary,
        secondary: c.secondary,
        previous_month: grid.previous.as_ref().map(|p| p.period.clone()),
        information_loss: protected.protection.information_loss.describe("geography", &["England", "region", "LA", "provider"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_month_stays_in_the_financial_year() {
        let p = |s: &str| previous_month(&Period::parse(s).unwrap());
        assert_eq!(p("2025-03").as_deref(), Some("2025-02"));
        assert_eq!(p("2025-01").as_deref(), Some("2024-12"));
        assert_eq!(p("2024-04"), None);
    }
}
