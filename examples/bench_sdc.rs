//! Benchmark of the disclosure-control engine on NDTMS-shaped synthetic tables:
//! region(9) > LA(151) x sex(2) x age(8) x substance(4), region > LA x sex(2) x age(18) x
//! substance(8), and a table of about a million cells. Prints cells, primary and secondary
//! counts, seconds (build and protect, audit included) and peak memory (VmHWM).
//!
//! `cargo run --release --example bench_sdc` runs all three; `-- --quick` (or
//! `BENCH_SDC_QUICK=1`) runs a small table only, fast enough for a debug build in CI.
//! Data are synthetic and deterministic (a fixed-seed SplitMix64 generator).

use std::path::Path;
use std::time::Instant;

use ndtms_stats::sdc::{aggregate, protect, CategoryDef, DimensionDef, Ledger, ProblemBuilder, RuleSet, TableCell, TableDef};

/// SplitMix64: tiny, deterministic, good enough for synthetic counts.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn flat(name: &str, n: usize) -> DimensionDef {
    DimensionDef {
        name: name.into(),
        total: "Total".into(),
        categories: (0..n).map(|i| CategoryDef { code: format!("{name}{i:02}"), parent: None }).collect(),
    }
}

fn geography(regions: usize, las: usize) -> DimensionDef {
    let mut categories: Vec<CategoryDef> =
        (0..regions).map(|r| CategoryDef { code: format!("E12{r:06}"), parent: None }).collect();
    categories.extend((0..las).map(|l| CategoryDef { code: format!("E06{l:06}"), parent: Some(format!("E12{:06}", l % regions)) }));
    DimensionDef { name: "area".into(), total: "Total".into(), categories }
}

/// Inner counts with a heavy tail: LA sizes vary a lot, categories have uneven weights.
fn inner_cells(def: &TableDef, las: usize, seed: u64, scale: f64) -> Vec<TableCell> {
    let mut rng = SplitMix(seed);
    let la_size: Vec<f64> = (0..las).map(|_| (rng.unit() * 3.0).exp() * scale).collect();
    let weights: Vec<Vec<f64>> = def.dimensions[1..]
        .iter()
        .map(|d| d.categories.iter().map(|_| 0.4 + rng.unit() * 1.6).collect())
        .collect();
    let mut cells = Vec::new();
    let mut index = vec![0usize; weights.len()];
    for (l, size) in la_size.iter().enumerate() {
        loop {
            let mean: f64 = size * index.iter().zip(&weights).map(|(&i, w)| w[i]).product::<f64>();
            // Uneven draw around the mean: small LAs and rare categories give small counts.
            let value = (mean * (0.3 + 1.4 * rng.unit())).floor();
            let mut coords = vec![def.dimensions[0].categories[def.dimensions[0].categories.len() - las + l].code.clone()];
            coords.extend(index.iter().zip(&def.dimensions[1..]).map(|(&i, d)| d.categories[i].code.clone()));
            cells.push(TableCell { coords, value, contributors: None });
            // Next combination (odometer).
            let mut d = index.len();
            loop {
                if d == 0 {
                    break;
                }
                d -= 1;
                index[d] += 1;
                if index[d] < weights[d].len() {
                    break;
                }
                index[d] = 0;
            }
            if index.iter().all(|&i| i == 0) {
                break;
            }
        }
    }
    cells
}

fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn run(label: &str, regions: usize, las: usize, others: &[(&str, usize)], scale: f64, rules: &RuleSet) {
    let mut dimensions = vec![geography(regions, las)];
    dimensions.extend(others.iter().map(|&(name, n)| flat(name, n)));
    let def = TableDef { id: "bench".into(), measure: "in_treatment".into(), dimensions };
    let scale = scale * std::env::var("BENCH_SCALE").ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(1.0);
    let start = Instant::now();
    let inner = inner_cells(&def, las, 0x5eed_2024, scale);
    let cells = match aggregate(&def, &inner) {
        Ok(c) => c,
        Err(e) => return eprintln!("{label}: {e}"),
    };
    let mut builder = ProblemBuilder::new("bench");
    if let Err(e) = builder.add_table(&def, &cells) {
        return eprintln!("{label}: {e}");
    }
    let problem = builder.build();
    let built = start.elapsed().as_secs_f64();
    let start = Instant::now();
    match protect(&problem, rules, &Ledger::new()) {
        Ok(p) => println!(
            "{label}: cells {} (inner {}), relations {}, primary {} ({:.1}%), secondary {}, build {built:.2} s, protect+audit {:.2} s, peak memory {:.0} MiB",
            p.counts.cells,
            inner.len(),
            problem.relations.len(),
            p.counts.primary,
            100.0 * p.counts.primary as f64 / p.counts.cells as f64,
            p.counts.secondary,
            start.elapsed().as_secs_f64(),
            peak_memory_mib()
        ),
        Err(e) => eprintln!("{label}: protection failed: {e}"),
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick") || std::env::var_os("BENCH_SDC_QUICK").is_some();
    let text = "name = \"bench\"\n[counts]\nsensitive = [[1, 7]]\n[secondary]\nprotection_level = 8\n";
    let rules = match RuleSet::parse(text, Path::new("bench-rules.toml")) {
        Ok(r) => r,
        Err(e) => return eprintln!("{e}"),
    };
    if quick {
        run("quick (3 regions, 12 LAs x sex x age(4) x substance(3))", 3, 12, &[("sex", 2), ("age", 4), ("substance", 3)], 3.0, &rules);
        return;
    }
    run("t1 region(9) > LA(151) x sex(2) x age(8) x substance(4)", 9, 151, &[("sex", 2), ("age", 8), ("substance", 4)], 1.2, &rules);
    run("t2 region(9) > LA(151) x sex(2) x age(18) x substance(8)", 9, 151, &[("sex", 2), ("age", 18), ("substance", 8)], 2.5, &rules);
    run("t3 region(9) > LA(151) x sex(2) x age(18) x substance(8) x ethnicity(12)", 9, 151, &[("sex", 2), ("age", 18), ("substance", 8), ("ethnicity", 12)], 60.0, &rules);
}
