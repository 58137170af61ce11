//! Property tests on random hierarchical tables (geography region > LA crossed with one or two
//! flat dimensions, counts with many small values): after protection an independent global LP
//! audit finds no primary cell narrower than the protection level and no suppressed cell
//! derivable exactly; no sensitive value is published; the result is deterministic; and
//! protecting again with the first run's publication in the ledger changes nothing.

use proptest::prelude::*;

use crate::sdc::tests::{assert_protected, dim, official};
use crate::sdc::*;

/// A random table: regions with their LA counts, flat dimension sizes, and inner counts.
#[derive(Debug, Clone)]
struct RandomTable {
    las_per_region: Vec<usize>,
    flat: Vec<usize>,
    counts: Vec<u32>,
}

fn count() -> impl Strategy<Value = u32> {
    prop_oneof![3 => 0u32..5, 2 => 5u32..15, 1 => 15u32..60]
}

fn random_table() -> impl Strategy<Value = RandomTable> {
    (prop::collection::vec(1usize..4, 1..4), prop::collection::vec(2usize..4, 1..3)).prop_flat_map(|(las, flat)| {
        let inner = las.iter().sum::<usize>() * flat.iter().product::<usize>();
        prop::collection::vec(count(), inner).prop_map(move |counts| RandomTable { las_per_region: las.clone(), flat: flat.clone(), counts })
    })
}

fn problem_of(t: &RandomTable) -> Problem {
    let mut geo = Vec::new();
    let mut la_codes = Vec::new();
    for (r, &n) in t.las_per_region.iter().enumerate() {
        geo.push((format!("R{r}"), None));
        for l in 0..n {
            let code = format!("R{r}L{l}");
            geo.push((code.clone(), Some(format!("R{r}"))));
            la_codes.push(code);
        }
    }
    let geo_refs: Vec<(&str, Option<&str>)> = geo.iter().map(|(c, p)| (c.as_str(), p.as_deref())).collect();
    let mut dimensions = vec![dim("area", &geo_refs)];
    for (d, &n) in t.flat.iter().enumerate() {
        let cats: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let refs: Vec<(&str, Option<&str>)> = cats.iter().map(|c| (c.as_str(), None)).collect();
        dimensions.push(dim(&format!("d{d}"), &refs));
    }
    let def = TableDef { id: "t".into(), measure: "n".into(), dimensions };
    let mut inner = Vec::new();
    let mut k = 0;
    for la in &la_codes {
        let mut index = vec![0usize; t.flat.len()];
        loop {
            let mut coords = vec![la.clone()];
            coords.extend(index.iter().map(|i| format!("c{i}")));
            inner.push(TableCell { coords, value: t.counts[k] as f64, contributors: None });
            k += 1;
            let mut d = index.len();
            let mut done = true;
            while d > 0 {
                d -= 1;
                index[d] += 1;
                if index[d] < t.flat[d] {
                    done = false;
                    break;
                }
                index[d] = 0;
            }
            if done {
                break;
            }
        }
    }
    let cells = aggregate(&def, &inner).unwrap();
    let mut b = ProblemBuilder::new("prop");
    b.add_table(&def, &cells).unwrap();
    b.build()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn protection_holds_on_random_hierarchical_tables(t in random_table()) {
        let problem = problem_of(&t);
        let rules = official();
        let first = protect(&problem, &rules, &Ledger::new()).unwrap();
        assert_protected(&problem, &first, &rules);
        // Deterministic.
        let second = protect(&problem, &rules, &Ledger::new()).unwrap();
        prop_assert_eq!(&first.statuses, &second.statuses);
        // Idempotent: with everything published by the first run known, nothing changes.
        let mut ledger = Ledger::new();
        ledger.record_publication(&problem, &first);
        let again = protect(&problem, &rules, &ledger).unwrap();
        let hidden = |p: &Protection| p.statuses.iter().map(|s| s.is_suppressed()).collect::<Vec<_>>();
        prop_assert_eq!(hidden(&first), hidden(&again));
    }
}
