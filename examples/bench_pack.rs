//! Benchmark of `pack --all`'s core: protect every local authority's pack of
//! two consecutive months (the second with the first's ledger) and cut
//! every LA's year-to-date table, on synthetic counts for every area (no
//! warehouse needed). Prints the time of each step.
//!
//! ```text
//! cargo run --release --example bench_pack            # every LA in England
//! cargo run --example bench_pack -- --quick            # one region, for CI
//! ```

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use ndtms_stats::geography::{Geography, ENGLAND_CODE};
use ndtms_stats::pack::cells::{YtdCounts, MEASURES};
use ndtms_stats::pack::protect::{protect_packs, PackGrid};
use ndtms_stats::pack::tables::{pack_areas, ytd_table};
use ndtms_stats::release::data::{areas, substance_hierarchy, Area, TOTAL};
use ndtms_stats::sdc::{Ledger, RuleSet};

/// A small deterministic generator (no dependency on a random crate).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Adds every total (substance groups, regions, England) from the leaf cells.
fn aggregate(leaves: &HashMap<(String, String, String), f64>, areas: &[Area], substances: &[(String, Option<String>)], period: &str) -> YtdCounts {
    let mut values = HashMap::new();
    for ((m, la, s), v) in leaves {
        let parent_sub = substances.iter().find(|(c, _)| c == s).and_then(|(_, p)| p.clone());
        let mut subs = vec![s.clone(), TOTAL.to_string()];
        subs.extend(parent_sub);
        let mut area = Some(la.clone());
        while let Some(a) = area {
            for sub in &subs {
                *values.entry((m.clone(), a.clone(), sub.clone())).or_insert(0.0) += v;
            }
            area = areas.iter().find(|x| x.code == a).and_then(|x| x.parent.clone());
        }
    }
    YtdCounts { period: period.to_string(), values }
}

fn main() -> Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let geography = Geography::embedded();
    let mut area_list = areas(&geography, &["region".to_string(), "la".to_string()]);
    if quick {
        let region = area_list.iter().find(|a| a.level == "region").map(|a| a.code.clone()).unwrap_or_default();
        area_list.retain(|a| a.code == ENGLAND_CODE || a.code == region || a.parent.as_deref() == Some(region.as_str()));
    }
    let spec = ndtms_stats::release::spec::load(None)?;
    let mut substances = vec![(TOTAL.to_string(), None)];
    substances.extend(substance_hierarchy(&spec));
    let leaves: Vec<String> = substances.iter().skip(1).filter(|(c, _)| !substances.iter().any(|(_, p)| p.as_deref() == Some(c.as_str()))).map(|(c, _)| c.clone()).collect();
    let las: Vec<&Area> = area_list.iter().filter(|a| a.level == "la").collect();
    let mut rng = Lcg(11);
    let (mut feb, mut mar) = (HashMap::new(), HashMap::new());
    for la in &las {
        for s in &leaves {
            // In treatment bounds every other count, so rates stay within 0..1.
            let in_treatment = rng.below(40);
            let in_treatment_later = in_treatment + rng.below(6);
            for m in MEASURES {
                let v = if m == "in_treatment" { in_treatment } else { rng.below(in_treatment + 1) };
                let later = if m == "in_treatment" { in_treatment_later } else { v + rng.below(in_treatment_later - v + 1) };
                feb.insert((m.to_string(), la.code.clone(), s.clone()), v as f64);
                mar.insert((m.to_string(), la.code.clone(), s.clone()), later as f64);
            }
        }
    }
    let rules = RuleSet::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/suppression-rules/official.toml")))?;
    let t = Instant::now();
    let feb_grid = PackGrid { areas: area_list.clone(), substances: substances.clone(), now: aggregate(&feb, &area_list, &substances, "2025-02"), previous: None, year_end: None, providers: vec![], provider_counts: Default::default(), months: vec![], trend: Default::default() };
    let mut ledger = Ledger::new();
    let first = protect_packs(&feb_grid, &rules, &ledger)?;
    ledger.record_publication(&first.problem, &first.protection);
    println!("month 1: {} cells, {} primary, {} secondary, {:.2} s", first.problem.cells.len(), first.protection.counts.primary, first.protection.counts.secondary, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mar_grid = PackGrid { areas: area_list.clone(), substances: substances.clone(), now: aggregate(&mar, &area_list, &substances, "2025-03"), previous: Some(feb_grid.now.clone()), year_end: None, providers: vec![], provider_counts: Default::default(), months: vec![], trend: Default::default() };
    let second = protect_packs(&mar_grid, &rules, &ledger)?;
    println!("month 2 (with the ledger of month 1): {} cells, {} primary, {} secondary, {:.2} s", second.problem.cells.len(), second.protection.counts.primary, second.protection.counts.secondary, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut rows = 0;
    for la in &las {
        let table = ytd_table(&pack_areas(&area_list, &la.code)?, &substances, &second, "2025-03");
        table.validate()?;
        rows += table.rows.len();
    }
    println!("{} packs cut ({rows} rows) in {:.2} s", las.len(), t.elapsed().as_secs_f64());
    Ok(())
}
