//! Property tests on random hierarchical tables (geography region > LA crossed with one or two
//! flat dimensions, counts with many small values): after protection an independent global LP
//! audit finds no primary cell narrower than the protection level and no suppressed cell
//! derivable exactly; no sensitive value is published; the result is deterministic; and
//! protecting again with the first run's publication in the ledger changes nothing.

use proptest::prelude::*;

use crate::sdc::tests::{assert_protected, dim, official, rules};

/// The official policy with secondary suppression by Gaussian elimination first.
fn elimination() -> RuleSet {
    rules("name = \"official\"\n[counts]\nsensitive = [[1, 4]]\n[rates]\nmin_denominator = 10\n[secondary]\nprotection_level = 5\nmethod = \"elimination\"\n")
}
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

/// Random people counts over area x d0 x d1, published as two linked tables (area x d0 and
/// area x d1) that share their area margins, as the release's tables by sex and by age do.
fn linked_problem_of(t: &RandomTable) -> Option<Problem> {
    if t.flat.len() != 2 {
        return None;
    }
    let single = problem_of(&RandomTable { las_per_region: t.las_per_region.clone(), flat: t.flat.clone(), counts: t.counts.clone() });
    let mut b = ProblemBuilder::new("prop");
    for keep in ["d0", "d1"] {
        // The two-way table by area and `keep`: cells of the three-way table at d_other = Total.
        let cells: Vec<&Cell> = single.cells.iter().filter(|c| c.key.coords.iter().all(|(d, _)| d == "area" || d == keep)).collect();
        let n = t.flat[if keep == "d0" { 0 } else { 1 }];
        let cats: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let refs: Vec<(&str, Option<&str>)> = cats.iter().map(|c| (c.as_str(), None)).collect();
        let geo = single.shapes[0].hierarchies[0].clone();
        let geo_refs: Vec<(String, Option<String>)> = geo.codes.iter().enumerate().skip(1).map(|(i, c)| (c.clone(), geo.parent[i].filter(|&p| p != 0).map(|p| geo.codes[p].clone()))).collect();
        let geo_refs: Vec<(&str, Option<&str>)> = geo_refs.iter().map(|(c, p)| (c.as_str(), p.as_deref())).collect();
        let def = TableDef { id: format!("by_{keep}"), measure: "n".into(), dimensions: vec![dim("area", &geo_refs), dim(keep, &refs)] };
        let table: Vec<TableCell> = cells
            .iter()
            .map(|c| {
                let get = |d: &str| c.key.coords.iter().find(|(x, _)| x == d).map_or("Total".to_string(), |(_, v)| v.clone());
                TableCell { coords: vec![get("area"), get(keep)], value: c.value, contributors: None }
            })
            .collect();
        b.add_table(&def, &table).unwrap();
    }
    Some(b.build())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn protection_holds_on_random_linked_tables(t in random_table()) {
        let Some(problem) = linked_problem_of(&t) else { return Ok(()) };
        for rules in [official(), elimination()] {
            let p = protect(&problem, &rules, &Ledger::new()).unwrap();
            assert_protected(&problem, &p, &rules);
        }
    }

    #[test]
    fn elimination_method_protects_random_hierarchical_tables(t in random_table()) {
        let problem = problem_of(&t);
        let rules = elimination();
        let first = protect(&problem, &rules, &Ledger::new()).unwrap();
        assert_protected(&problem, &first, &rules);
        let second = protect(&problem, &rules, &Ledger::new()).unwrap();
        prop_assert_eq!(&first.statuses, &second.statuses);
    }

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
