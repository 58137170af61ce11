//! The annual official statistics release: the numbered tables of
//! `queries/release-tables.toml`, read from the cube, protected together by
//! the disclosure-control engine, and written, only once the engine's audit
//! has passed, as tidy CSV, an accessible workbook, HTML pages with charts,
//! `manifest.json` and the restricted audit record.

pub mod data;
pub mod pages;
pub mod protect;
pub mod publish;
pub mod spec;
pub mod tables;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::geography::Geography;
use crate::measures::period::Period;
use crate::progress::Progress;
use crate::sdc::{Ledger, RuleSet};
use crate::warehouse::Warehouse;
use protect::Grid;

/// What a release run needs.
#[derive(Debug, Clone)]
pub struct ReleaseOptions {
    pub warehouse: PathBuf,
    pub period: String,
    pub rules: PathBuf,
    pub out: PathBuf,
    /// A table list other than the built-in one.
    pub tables: Option<PathBuf>,
    /// A template folder other than the built-in templates.
    pub templates: Option<PathBuf>,
    pub no_audit_record: bool,
    /// Earlier publications of the series (read, then updated on success).
    pub ledger: Option<PathBuf>,
}

/// The written release.
#[derive(Debug)]
pub struct ReleaseSummary {
    pub folder: PathBuf,
    pub tables: usize,
    pub cells: usize,
    pub primary: usize,
    pub secondary: usize,
    /// Suppressed share of value and suppressed cells by geography level, one line.
    pub information_loss: String,
}

/// Runs the whole release: read, protect, write.
pub fn release(opts: &ReleaseOptions, progress: &Progress) -> Result<ReleaseSummary> {
    crate::output::check_out_dir(&opts.out)?;
    if let Some(dir) = &opts.templates {
        // Templates are checked before any computation (they are used at the end).
        crate::render::HtmlRenderer::from_dir(dir)?;
    }
    let period = Period::parse(&opts.period)?;
    let spec = spec::load(opts.tables.as_deref())?;
    let rules = RuleSet::load(&opts.rules)?;
    let wh = Warehouse::open_read_only(&opts.warehouse)?;
    let built: i64 = wh
        .conn()
        .query_row("SELECT count(*) FROM cube WHERE period = ?", [&period.label], |r| r.get(0))
        .unwrap_or(0);
    if built == 0 {
        bail!(
            "warehouse {} has no measures for period {}: run `ndtms-stats build --period {}` first",
            opts.warehouse.display(),
            period.label,
            period.label
        );
    }
    let geography = Geography::embedded();
    progress.set_length(4);
    progress.set_message("reading the cube");
    let mut grids = Vec::new();
    for t in &spec.tables {
        let counts = data::read_counts(&wh, t, &period.label).with_context(|| format!("table {}", t.id))?;
        let mut substances = vec![(data::TOTAL.to_string(), None)];
        substances.extend(data::substance_hierarchy(&spec));
        let mut categories = vec![data::TOTAL.to_string()];
        if !t.dimension.is_empty() {
            categories.extend(data::ordered_categories(&spec, &t.dimension, &counts.seen_categories, &t.population));
        }
        grids.push(Grid { table: t.clone(), areas: data::areas(&geography, &t.geography), substances, categories, counts });
    }
    progress.inc(1);
    progress.set_message("disclosure control");
    let ledger = match &opts.ledger {
        Some(p) => Ledger::load_or_new(p)?,
        None => Ledger::new(),
    };
    let protected = protect::protect_release(&grids, &spec.links, &rules, &ledger, &period)?;
    progress.inc(1);
    progress.set_message("writing");
    let folder = publish::write_release(opts, &period, &spec, &grids, &protected, &rules, &wh, &geography)?;
    progress.inc(1);
    if let Some(p) = &opts.ledger {
        let mut ledger = ledger;
        ledger.record_publication(&protected.problem, &protected.protection);
        ledger.save(p)?;
    }
    progress.finish();
    let c = &protected.protection.counts;
    let information_loss = protected.protection.information_loss.describe("geography", &["England", "region", "LA"]);
    Ok(ReleaseSummary { folder, tables: grids.len(), cells: c.publishable, primary: c.primary, secondary: c.secondary, information_loss })
}
