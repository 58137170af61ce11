//! `ndtms-stats demo`: the whole job on built-in synthetic data, in one
//! command: synth -> load -> build -> release, into `./ndtms-demo/`, ending
//! with the path of the release's HTML index.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::commands::load::{load, LoadArgs};
use crate::measures::{self, Period};
use crate::progress::Progress;
use crate::release::{release, ReleaseOptions};
use crate::synth::{generate, SynthConfig};
use crate::warehouse::key::{self, WarehouseKey, WarehouseKeyError};
use crate::warehouse::Warehouse;

/// The rules the demo release uses (embedded so the demo runs from any folder).
const OFFICIAL_RULES: &str = include_str!("../../suppression-rules/official.toml");

/// Arguments of `ndtms-stats demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Folder for everything the demo writes (replaced pieces: extracts, warehouse, release).
    #[arg(long, default_value = "ndtms-demo")]
    pub out: PathBuf,
    /// Approximate adults in treatment in 2024-25 (310000 is national scale).
    #[arg(long, default_value_t = 60_000)]
    pub people: usize,
    /// Random seed of the synthetic data.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Rule file for the release (default: the official rules, written to <out>/official.toml).
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

/// Time taken by each stage of a demo run.
#[derive(Debug, Clone)]
pub struct DemoTimings {
    pub stages: Vec<(&'static str, f64)>,
    pub index: PathBuf,
}

/// Unless a warehouse key was given (`--warehouse-key-file`, `--unencrypted-warehouse` or
/// the environment), the demo's warehouse is encrypted under the synthetic data's demo key
/// (`extracts/demo-warehouse.key`, the same key synth writes there).
fn use_demo_warehouse_key(seed: u64) -> Result<()> {
    match key::current() {
        Ok(_) => Ok(()),
        Err(WarehouseKeyError::Missing) => {
            key::set_for_process(WarehouseKey::demo(seed));
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs the demo and prints the HTML index path.
pub fn run(args: &DemoArgs) -> Result<()> {
    let t = demo(args)?;
    for (stage, secs) in &t.stages {
        eprintln!("{stage:>8}: {secs:.1} s");
    }
    println!("{}", t.index.display());
    Ok(())
}

/// The demo as a library call (also used by the end-to-end benchmark).
pub fn demo(args: &DemoArgs) -> Result<DemoTimings> {
    let out = &args.out;
    if let Some(rules) = &args.rules {
        crate::sdc::RuleSet::load(rules).context("the demo's --rules file")?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let extracts = out.join("extracts");
    let warehouse = out.join("ndtms.duckdb");
    if extracts.exists() {
        std::fs::remove_dir_all(&extracts).with_context(|| format!("cannot clear {}", extracts.display()))?;
    }
    // A fresh demo is a fresh publication series: last run's ledger would not match its figures.
    let ledger = out.join(crate::output::LEDGER_FILE);
    for stale in [warehouse.clone(), out.join("ndtms.duckdb.wal"), ledger.clone()] {
        if stale.exists() {
            std::fs::remove_file(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    use_demo_warehouse_key(args.seed)?;
    let mut stages = Vec::new();
    let clock = Instant::now();
    let bar = Progress::bar("synth", 0);
    let cfg = SynthConfig { out_dir: extracts.clone(), seed: args.seed, people: args.people, fault_rate: 0.01, latest_month: (2025, 3), months: 2 };
    generate(&cfg, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish();
    stages.push(("synth", clock.elapsed().as_secs_f64()));

    let clock = Instant::now();
    let load_args = LoadArgs {
        inputs: vec![extracts.clone()],
        agencies: Some(extracts.join("agencies.csv")),
        warehouse: warehouse.clone(),
        key_file: Some(extracts.join("demo.key")),
        schema: None,
        dq_out: out.join("dq-report"),
        timings: false,
        as_of: None,
        allow_shrink: Vec::new(),
        max_shrink: 50.0,
    };
    let loaded = load(&load_args, &Progress::bar("load", 0))?;
    let t = &loaded.totals;
    eprintln!(
        "loaded {} of {} files ({} rejected on purpose by the synthetic faults), load {}%, DQ {}%",
        t.loaded, t.files, t.rejected, t.load_pct, t.dq_pct
    );
    stages.push(("load", clock.elapsed().as_secs_f64()));

    let clock = Instant::now();
    let period = Period::parse("2024-25")?;
    {
        let wh = Warehouse::open(&warehouse)?;
        let bar = Progress::bar("build", 1);
        measures::build(&wh, &period).context("building the 2024-25 measures")?;
        bar.finish();
    }
    stages.push(("build", clock.elapsed().as_secs_f64()));

    let clock = Instant::now();
    let rules = match &args.rules {
        Some(rules) => rules.clone(),
        None => {
            let rules = out.join("official.toml");
            std::fs::write(&rules, OFFICIAL_RULES).with_context(|| format!("cannot write {}", rules.display()))?;
            rules
        }
    };
    let summary = release(
        &ReleaseOptions {
            warehouse,
            period: period.label.clone(),
            rules,
            out: out.clone(),
            tables: None,
            templates: None,
            no_audit_record: false,
            ledger: Some(ledger),
        },
        &Progress::bar("release", 0),
    )?;
    stages.push(("release", clock.elapsed().as_secs_f64()));
    eprintln!(
        "release: {} tables, {} cells, {} primary and {} secondary suppressions; audit passed",
        summary.tables, summary.cells, summary.primary, summary.secondary
    );
    eprintln!("{}", summary.information_loss);
    Ok(DemoTimings { stages, index: summary.folder.join("html").join("index.html") })
}
