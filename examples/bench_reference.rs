//! Benchmark against the published method: protects the shared reference table
//! (`../shared/reference/sdc/t1_inner.csv`: region > LA x sex x age x substance, 21,735
//! publishable cells) with the HES rules (counts 1-7 sensitive, zeros published) at protection
//! levels 1 and 8, and prints our suppressions next to GaussSuppression's result on the same
//! table (`gauss_t1_maxN7.csv`, from `SuppressSmallCounts(maxN = 7)`, where zeros are primary):
//! primary, secondary, total, how many of GaussSuppression's suppressed cells we also suppress,
//! secondary cells by level of aggregation, and the time protection and audit take.
//!
//! `cargo run --release --example bench_reference [-- --reference DIR]`. The reference folder is
//! looked for at `../shared/reference/sdc` (beside the project) unless given. `--quick` protects
//! one region of it (or, where the reference is absent, a small built-in table) at level 1 only,
//! fast enough for a debug build in CI.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndtms_stats::sdc::{aggregate, protect, CategoryDef, CellStatus, DimensionDef, Ledger, ProblemBuilder, RuleSet, TableCell, TableDef};

fn read_csv(path: &Path) -> Result<Vec<HashMap<String, String>>, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    reader
        .records()
        .map(|r| r.map(|r| headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()).map_err(|e| e.to_string()))
        .collect()
}

/// The reference table: inner cells and the LA -> region map.
struct Reference {
    inner: Vec<(String, String, String, String, f64)>,
    la_region: BTreeMap<String, String>,
    gauss: Option<HashMap<(String, String, String, String), bool>>,
}

fn load_reference(dir: &Path, only_region: Option<&str>) -> Result<Reference, String> {
    let la_region: BTreeMap<String, String> = read_csv(&dir.join("la_region.csv"))?
        .into_iter()
        .map(|r| (r["code"].clone(), r["parent"].clone()))
        .filter(|(_, r)| only_region.is_none_or(|o| o == r))
        .collect();
    let inner = read_csv(&dir.join("t1_inner.csv"))?
        .into_iter()
        .filter(|r| la_region.contains_key(&r["la"]))
        .map(|r| (r["la"].clone(), r["sex"].clone(), r["age"].clone(), r["sub"].clone(), r["freq"].parse::<f64>().unwrap_or(0.0)))
        .collect();
    let gauss = match only_region {
        Some(_) => None,
        None => Some(
            read_csv(&dir.join("gauss_t1_maxN7.csv"))?
                .into_iter()
                .map(|r| ((r["la"].clone(), r["sex"].clone(), r["age"].clone(), r["sub"].clone()), r["suppressed"] == "TRUE"))
                .collect(),
        ),
    };
    Ok(Reference { inner, la_region, gauss })
}

/// A small built-in table of the same shape, for CI machines without the reference folder.
fn built_in() -> Reference {
    let mut inner = Vec::new();
    let mut la_region = BTreeMap::new();
    let mut seed: u64 = 0x5eed;
    for la in 0..8 {
        la_region.insert(format!("LA{la:03}"), format!("R{:02}", la % 2));
        for sex in ["F", "M"] {
            for age in 0..4 {
                for sub in 0..3 {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let v = ((seed >> 33) % 40) as f64 * if la % 3 == 0 { 0.2 } else { 1.0 };
                    inner.push((format!("LA{la:03}"), sex.to_string(), format!("A{age:02}"), format!("S{sub}"), v.floor()));
                }
            }
        }
    }
    Reference { inner, la_region, gauss: None }
}

fn dims(r: &Reference) -> Vec<DimensionDef> {
    let flat = |name: &str, codes: std::collections::BTreeSet<String>| DimensionDef {
        name: name.into(),
        total: "Total".into(),
        categories: codes.into_iter().map(|code| CategoryDef { code, parent: None }).collect(),
    };
    let mut geo: Vec<CategoryDef> = r.la_region.values().collect::<std::collections::BTreeSet<_>>().into_iter().map(|g| CategoryDef { code: g.clone(), parent: None }).collect();
    geo.extend(r.la_region.iter().map(|(la, reg)| CategoryDef { code: la.clone(), parent: Some(reg.clone()) }));
    vec![
        DimensionDef { name: "la".into(), total: "Total".into(), categories: geo },
        flat("sex", r.inner.iter().map(|c| c.1.clone()).collect()),
        flat("age", r.inner.iter().map(|c| c.2.clone()).collect()),
        flat("sub", r.inner.iter().map(|c| c.3.clone()).collect()),
    ]
}

fn rules(level: u32) -> RuleSet {
    let method = std::env::var("BENCH_METHOD").unwrap_or_else(|_| "patterns".into());
    let per_unit = std::env::var("BENCH_PER_UNIT").unwrap_or_else(|_| "1.0".into());
    let per_total = std::env::var("BENCH_PER_TOTAL").unwrap_or_else(|_| "1000.0".into());
    let text = format!(
        "name = \"hes\"\n[counts]\nsensitive = [[1, 7]]\nzeros = \"publish\"\n[secondary]\nsingleton = true\nprotection_level = {level}\nmethod = \"{method}\"\n[cost]\nper_unit = {per_unit}\nper_total_dimension = {per_total}\n"
    );
    RuleSet::parse(&text, Path::new("hes.toml (bench)")).expect("bench rules parse")
}

fn run(r: &Reference, level: u32) -> Result<(), String> {
    let def = TableDef { id: "t1".into(), measure: "freq".into(), dimensions: dims(r) };
    let inner: Vec<TableCell> = r
        .inner
        .iter()
        .map(|(la, sex, age, sub, v)| TableCell { coords: vec![la.clone(), sex.clone(), age.clone(), sub.clone()], value: *v, contributors: None })
        .collect();
    let cells = aggregate(&def, &inner).map_err(|e| e.to_string())?;
    let mut builder = ProblemBuilder::new("bench");
    let ids = builder.add_table(&def, &cells).map_err(|e| e.to_string())?;
    let problem = builder.build();
    let start = Instant::now();
    let p = protect(&problem, &rules(level), &Ledger::new()).map_err(|e| e.to_string())?;
    let seconds = start.elapsed().as_secs_f64();
    let suppressed = |id: usize| p.statuses[id].is_suppressed();
    let total = p.counts.primary + p.counts.secondary;
    println!(
        "level {level}: cells {}, primary {}, secondary {}, total suppressed {total}, protect+audit {seconds:.2} s",
        p.counts.publishable, p.counts.primary, p.counts.secondary
    );
    let mut by_level: BTreeMap<usize, usize> = BTreeMap::new();
    for (cell, &id) in cells.iter().zip(&ids) {
        if matches!(&p.statuses[id], CellStatus::Suppressed { reason: ndtms_stats::sdc::Reason::Secondary { .. } }) {
            *by_level.entry(cell.coords.iter().filter(|c| c.as_str() == "Total" || c.starts_with('R')).count()).or_default() += 1;
        }
    }
    println!("  secondary cells by number of total coordinates: {by_level:?}");
    if let Some(gauss) = &r.gauss {
        let g_total = gauss.values().filter(|&&s| s).count();
        let both = cells
            .iter()
            .zip(&ids)
            .filter(|(c, &id)| {
                suppressed(id) && gauss.get(&(c.coords[0].clone(), c.coords[1].clone(), c.coords[2].clone(), c.coords[3].clone())).copied().unwrap_or(false)
            })
            .count();
        println!("  GaussSuppression (maxN 7, zeros primary): {g_total} suppressed; suppressed by both: {both}");
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let dir = args
        .iter()
        .position(|a| a == "--reference")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference/sdc")));
    let reference = if dir.join("t1_inner.csv").exists() {
        load_reference(&dir, quick.then_some("R01"))
    } else {
        println!("reference folder {} not found: protecting a small built-in table instead", dir.display());
        Ok(built_in())
    };
    let reference = match reference {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench_reference: {e}");
            std::process::exit(1);
        }
    };
    let only: Option<u32> = args.iter().position(|a| a == "--level").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok());
    let levels: Vec<u32> = match (only, quick) {
        (Some(l), _) => vec![l],
        (None, true) => vec![1],
        (None, false) => vec![1, 8],
    };
    let levels = &levels;
    for &level in levels.iter() {
        if let Err(e) = run(&reference, level) {
            eprintln!("bench_reference: level {level}: {e}");
            std::process::exit(1);
        }
    }
}
