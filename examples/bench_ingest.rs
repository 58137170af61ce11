//! Benchmark of `synth` and `load` at national scale (310,000 adults in
//! treatment, one full reporting-period submission per agency for March
//! 2025): prints time, rows/s and peak memory of each stage.
//!
//! `cargo run --release --example bench_ingest` (national scale), or
//! `-- --quick` for a small run (what the test suite does), or
//! `-- --people N` for another scale, `-- --months 2` for the two monthly
//! submissions per agency the demo loads. The warehouse is encrypted (the synthetic
//! data's demo warehouse key) unless `-- --unencrypted` is given.

use std::time::Instant;

use ndtms_stats::bench::{format_mib, peak_memory_mib, people, reset_peak_memory};
use ndtms_stats::commands::load::{load, LoadArgs};
use ndtms_stats::progress::Progress;
use ndtms_stats::synth::{generate, SynthConfig};
use ndtms_stats::warehouse::{key, WarehouseKey};

fn main() -> anyhow::Result<()> {
    let people = people(2_000, 310_000);
    let args: Vec<String> = std::env::args().collect();
    let months = args.iter().position(|a| a == "--months").and_then(|i| args.get(i + 1)).and_then(|m| m.parse().ok()).unwrap_or(1);
    let dir = tempfile::tempdir()?;
    let extracts = dir.path().join("extracts");
    let cfg = SynthConfig { out_dir: extracts.clone(), seed: 7, people, fault_rate: 0.01, latest_month: (2025, 3), months };

    reset_peak_memory();
    let t = Instant::now();
    let synth = generate(&cfg, &|_, _| {})?;
    let synth_secs = t.elapsed().as_secs_f64();
    let synth_peak = peak_memory_mib();
    println!(
        "synth: {people} people, {} agencies, {} files, {} rows in {synth_secs:.2} s ({:.0} rows/s), peak {}",
        synth.agencies,
        synth.files.len(),
        synth.rows,
        synth.rows as f64 / synth_secs,
        format_mib(synth_peak)
    );

    let unencrypted = std::env::args().any(|a| a == "--unencrypted");
    key::set_for_process(if unencrypted { WarehouseKey::Unencrypted } else { WarehouseKey::from_file(&synth.demo_warehouse_key)? });
    reset_peak_memory();
    let t = Instant::now();
    let summary = load(
        &LoadArgs {
            inputs: vec![extracts.clone()],
            agencies: Some(extracts.join("agencies.csv")),
            warehouse: dir.path().join("bench.duckdb"),
            key_file: Some(extracts.join("demo.key")),
            schema: None,
            dq_out: dir.path().join("dq"),
            timings: true,
            as_of: None,
            allow_shrink: Vec::new(),
            max_shrink: 50.0,
        },
        &Progress::hidden(),
    )?;
    let load_secs = t.elapsed().as_secs_f64();
    let tot = &summary.totals;
    println!(
        "load ({}): {} files ({} loaded, {} rejected), {} rows in {load_secs:.2} s ({:.0} rows/s), load {}%, DQ {}%, peak {}",
        if unencrypted { "unencrypted" } else { "encrypted" },
        tot.files,
        tot.loaded,
        tot.rejected,
        tot.rows,
        tot.rows as f64 / load_secs,
        tot.load_pct,
        tot.dq_pct,
        format_mib(peak_memory_mib())
    );
    print!("load phases:\n{}", summary.timings.report(tot.rows));
    assert!(tot.loaded > 0, "nothing loaded");
    Ok(())
}
