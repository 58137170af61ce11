//! End-to-end benchmark: the demo (synth -> load -> build -> release) at
//! national scale, then every LA's monthly pack (`pack --all`) and every
//! agency's provider report (`provider-report --all`) on the demo warehouse,
//! all with one publication ledger. Prints the time and peak memory of each
//! stage and the total.
//!
//! ```text
//! cargo run --release --example bench_demo              # 310,000 people
//! cargo run --release --example bench_demo -- --people 60000
//! cargo run --example bench_demo -- --quick             # small, for the test suite
//! ```
//!
//! `--quick` is a smoke run of the whole pipeline for the test suite: 1,500 people, every
//! product rounded (`suppression-rules/round5.toml`) instead of suppressed, because secondary
//! suppression on small sparse data takes minutes in a debug build; suppression has its own
//! tests (release, packs, attacker) and benchmarks (`bench_sdc`, `bench_reference`).

use std::time::Instant;

use anyhow::Result;
use ndtms_stats::bench::{format_mib, peak_memory_mib, people, reset_peak_memory};
use ndtms_stats::commands::demo::{demo, DemoArgs};
use ndtms_stats::pack::{pack, PackOptions};
use ndtms_stats::progress::Progress;
use ndtms_stats::provider_report::{provider_report, ProviderReportOptions};

fn main() -> Result<()> {
    let people = people(1_500, 310_000);
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("demo");
    let all = Instant::now();
    reset_peak_memory();
    let quick = std::env::args().any(|a| a == "--quick");
    let quick_rules = quick.then(|| std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/suppression-rules/round5.toml")));
    let timings = demo(&DemoArgs { out: out.clone(), people, seed: 2025, rules: quick_rules.clone() })?;
    let demo_peak = peak_memory_mib();
    let demo_secs: f64 = timings.stages.iter().map(|(_, s)| s).sum();
    println!("demo at {people} people:");
    for (stage, secs) in &timings.stages {
        println!("  {stage:>8}: {secs:7.1} s");
    }
    println!("  {:>8}: {demo_secs:7.1} s, peak {} (target: under 180 s at 310,000)", "total", format_mib(demo_peak));

    let warehouse = out.join("ndtms.duckdb");
    let rules = quick_rules.unwrap_or_else(|| out.join("official.toml"));
    let ledger = out.join(ndtms_stats::output::LEDGER_FILE);
    reset_peak_memory();
    let t = Instant::now();
    let packs = pack(
        &PackOptions {
            warehouse: warehouse.clone(),
            month: "2025-03".into(),
            la: None,
            all: true,
            rules: rules.clone(),
            out: out.clone(),
            ledger: ledger.clone(),
            no_audit_record: false,
        },
        &Progress::hidden(),
    )?;
    println!(
        "pack --all: {} packs, {} primary and {} secondary suppressions in {:.1} s, peak {} (target: under 60 s)",
        packs.packs,
        packs.primary,
        packs.secondary,
        t.elapsed().as_secs_f64(),
        format_mib(peak_memory_mib())
    );
    reset_peak_memory();
    let t = Instant::now();
    let (folder, reports) = provider_report(&ProviderReportOptions {
        warehouse,
        month: "2025-03".into(),
        agency: None,
        all: true,
        rules,
        out: out.clone(),
        ledger,
        no_audit_record: false,
    })?;
    println!("provider-report --all: {reports} reports in {:.1} s, peak {}", t.elapsed().as_secs_f64(), format_mib(peak_memory_mib()));
    assert!(folder.join("html/index.html").is_file() && timings.index.is_file());
    println!("everything: {:.1} s", all.elapsed().as_secs_f64());
    Ok(())
}
