//! Benchmark of `build`: synthesise a national-scale universe, load it, then
//! time the derivation of journeys and every measure for one financial year,
//! and print the time, the peak memory (VmHWM) and the England totals.
//!
//! ```text
//! cargo run --release --example bench_build            # ~310,000 adults in treatment
//! cargo run --example bench_build -- --quick            # small, for CI
//! cargo run --release --example bench_build -- --people 100000
//! cargo run --release --example bench_build -- --unencrypted   # the warehouse without encryption
//! ```
//!
//! The warehouse is encrypted (the synthetic data's demo warehouse key) unless
//! `--unencrypted` is given, so the two runs compare encryption on and off.
//!
//! Target: the build (not synth or load) under 20 s at national scale.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ndtms_stats::cli::{self, Cli};
use ndtms_stats::measures::{self, Period};
use ndtms_stats::warehouse::Warehouse;

/// Build target in seconds at national scale.
const TARGET_SECONDS: f64 = 20.0;
/// People counts taken as national scale (targets and calibration are judged there).
const NATIONAL: std::ops::RangeInclusive<usize> = 300_000..=320_000;
/// Extract files loaded by `--quick`.
const QUICK_FILES: usize = 40;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let unencrypted = args.iter().any(|a| a == "--unencrypted");
    let people: usize = match args.iter().position(|a| a == "--people") {
        Some(i) => args.get(i + 1).context("--people needs a number")?.parse().context("--people needs a number")?,
        None if quick => 3_000,
        None => 310_000,
    };
    let dir = tempfile::tempdir()?;
    let synth_dir = dir.path().join("synthetic");
    let warehouse_path = dir.path().join("bench.duckdb");

    let t = Instant::now();
    run_cli(&[
        "synth",
        "--out",
        path_str(&synth_dir)?,
        "--people",
        &people.to_string(),
        "--month",
        "2025-03",
        "--months",
        "1",
        "--fault-rate",
        "0",
    ])?;
    println!("synth: {people} people in {:.1} s", t.elapsed().as_secs_f64());

    // --quick loads only the first QUICK_FILES extracts: in a debug build loading
    // every agency's file takes minutes even when each holds a handful of people
    let mut inputs: Vec<String> = vec![path_str(&synth_dir)?.to_string()];
    if quick {
        let mut files: Vec<String> = std::fs::read_dir(&synth_dir)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv") && p.file_name().is_some_and(|n| n != "agencies.csv"))
            .filter_map(|p| p.to_str().map(str::to_string))
            .collect();
        files.sort();
        files.truncate(QUICK_FILES);
        inputs = files;
    }
    let t = Instant::now();
    let mut load_args: Vec<String> = vec!["load".into()];
    load_args.extend(inputs.iter().cloned());
    for (flag, path) in [
        ("--agencies", synth_dir.join("agencies.csv")),
        ("--key-file", synth_dir.join("demo.key")),
        ("--warehouse", warehouse_path.clone()),
        ("--dq-out", dir.path().join("dq")),
    ] {
        load_args.push(flag.into());
        load_args.push(path_str(&path)?.to_string());
    }
    if unencrypted {
        load_args.push("--unencrypted-warehouse".into());
    } else {
        load_args.push("--warehouse-key-file".into());
        load_args.push(path_str(&synth_dir.join("demo-warehouse.key"))?.to_string());
    }
    let load_args: Vec<&str> = load_args.iter().map(String::as_str).collect();
    run_cli(&load_args)?;
    println!(
        "load: {} extract files in {:.1} s (warehouse {})",
        if quick { inputs.len().to_string() } else { "all".into() },
        t.elapsed().as_secs_f64(),
        if unencrypted { "unencrypted" } else { "encrypted" }
    );
    let before = peak_memory_kb();

    let warehouse = Warehouse::open(&warehouse_path)?;
    let period = Period::parse("2024-25")?;
    let t = Instant::now();
    let summary = measures::build(&warehouse, &period)?;
    let seconds = t.elapsed().as_secs_f64();
    let peak = peak_memory_kb();
    println!(
        "build {}: {:.2} s (target {TARGET_SECONDS} s at national scale: {}); {} treatment episodes, {} journeys, {} cube rows",
        period.label,
        seconds,
        if quick {
            "not judged with --quick"
        } else if !NATIONAL.contains(&people) {
            "judged only at national scale"
        } else if seconds < TARGET_SECONDS {
            "met"
        } else {
            "NOT met"
        },
        summary.treatment_episodes,
        summary.journeys,
        summary.cube_rows
    );
    println!("peak memory (VmHWM): {} MB before build, {} MB after", before / 1024, peak / 1024);

    let conn = warehouse.conn();
    let england = |measure: &str| -> Result<i64> {
        Ok(conn.query_row(
            "SELECT coalesce(sum(value), 0)::BIGINT FROM cube WHERE period = '2024-25' AND population = 'adult'
               AND measure = ? AND geography_level = 'england' AND substance_group = 'Total' AND dimension = ''",
            [measure],
            |r| r.get(0),
        )?)
    };
    let in_treatment = england("in_treatment")?;
    let exits = england("exits")?;
    let completions = england("successful_completions")?;
    let share = if exits > 0 { completions as f64 / exits as f64 } else { 0.0 };
    println!(
        "England adults 2024-25: {in_treatment} in treatment, {} new presentations, {exits} exits, {completions} successful completions ({:.1}% of exits), {} deaths",
        england("new_presentations")?,
        share * 100.0,
        england("deaths")?
    );

    // LA cells add up to England, region cells to England minus LA unknown
    let mismatched: i64 = conn.query_row(
        "WITH la AS (SELECT population, measure, substance_group, dimension, category, sum(value) v FROM cube
                     WHERE period = '2024-25' AND geography_level = 'la' GROUP BY ALL),
              rg AS (SELECT population, measure, substance_group, dimension, category, sum(value) v FROM cube
                     WHERE period = '2024-25' AND (geography_level = 'region' OR area_code = 'LA_UNKNOWN') GROUP BY ALL),
              en AS (SELECT population, measure, substance_group, dimension, category, value v FROM cube
                     WHERE period = '2024-25' AND geography_level = 'england')
         SELECT count(*) FROM en FULL JOIN la USING (population, measure, substance_group, dimension, category)
                                FULL JOIN rg USING (population, measure, substance_group, dimension, category)
         WHERE en.v IS DISTINCT FROM la.v OR en.v IS DISTINCT FROM rg.v",
        [],
        |r| r.get(0),
    )?;
    println!("LA -> region -> England: {mismatched} cells that do not add up");
    if mismatched > 0 {
        bail!("{mismatched} cells of the cube do not add up from LA to region to England");
    }
    // At national scale the totals must land where the generator was calibrated (the
    // published series: about 310,000 adults in treatment, about 47% of exits successful).
    if !quick && NATIONAL.contains(&people) {
        if !(280_000..=340_000).contains(&in_treatment) {
            bail!("{in_treatment} adults in treatment is outside 280,000-340,000 (published: about 310,000)");
        }
        if !(0.44..=0.50).contains(&share) {
            bail!("successful completions are {:.1}% of exits, outside 44-50% (published: about 47%)", share * 100.0);
        }
        println!("calibration: within the published ranges");
    }
    Ok(())
}

/// Runs a subcommand through the toolkit's own command line.
fn run_cli(args: &[&str]) -> Result<()> {
    let argv = std::iter::once("ndtms-stats").chain(args.iter().copied());
    let parsed = Cli::try_parse_from(argv).with_context(|| format!("parsing `ndtms-stats {}`", args.join(" ")))?;
    cli::run(parsed).with_context(|| format!("running `ndtms-stats {}`", args[0]))
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().with_context(|| format!("path {} is not UTF-8", path.display()))
}

/// VmHWM (peak resident memory) of this process in kB, 0 where /proc is not available.
fn peak_memory_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
