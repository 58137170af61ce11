//! What a run's `manifest.json` must tell an outside checker (output contract): whom every
//! table counts, whether every dimension adds up (and for which measures), and the parent of
//! every area shown in any of the run's CSVs, up to England.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::read_csv;

const ENGLAND: &str = "E92000001";

/// What [`assert_manifest_describes_run`] checked.
#[derive(Debug, Default)]
pub struct Described {
    /// Area codes shown in the CSVs (England included), by geography level.
    pub areas: BTreeMap<String, BTreeSet<String>>,
    /// `(table, dimension)` declared not to add up for every measure.
    pub non_additive: Vec<(String, String)>,
}

/// Reads a run folder's manifest.
pub fn manifest(run: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(run.join("manifest.json")).unwrap_or_else(|e| panic!("{}: {e}", run.display()));
    serde_json::from_str(&text).unwrap()
}

/// Fails unless every table of the run says its population, every dimension says whether it
/// adds up (`additive`, and `additive_measures` naming measures of the table only when it does
/// not add up for all), and `geography.parent` leads every area code of every CSV to England.
pub fn assert_manifest_describes_run(run: &Path) -> Described {
    let m = manifest(run);
    let parent: BTreeMap<String, String> = m["geography"]["parent"]
        .as_object()
        .unwrap_or_else(|| panic!("{}: no geography.parent", run.display()))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let mut described = Described::default();
    for t in m["tables"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        let population = t["population"].as_str().unwrap_or_else(|| panic!("{}: table {id} has no population", run.display()));
        assert!(!population.is_empty(), "table {id}: empty population");
        let measures: Vec<&str> = t["measures"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        for d in t["dimensions"].as_array().unwrap() {
            let name = d["name"].as_str().unwrap();
            let additive = d["additive"].as_bool().unwrap_or_else(|| panic!("table {id}, dimension {name}: no `additive`"));
            if let Some(listed) = d.get("additive_measures") {
                assert!(!additive, "table {id}, dimension {name}: additive_measures on an additive dimension");
                for x in listed.as_array().unwrap() {
                    assert!(measures.contains(&x.as_str().unwrap()), "table {id}, dimension {name}: {x} is not a measure of the table");
                }
            }
            if !additive {
                described.non_additive.push((id.to_string(), name.to_string()));
            }
        }
        let rows = read_csv(&run.join(t["file"].as_str().unwrap()));
        let (level, code) = (2, 3);
        for r in &rows[1..] {
            if r[code].is_empty() {
                continue; // `protect` tables have no geography
            }
            described.areas.entry(r[level].clone()).or_default().insert(r[code].clone());
        }
    }
    for codes in described.areas.values() {
        for code in codes {
            let mut at = code.as_str();
            let mut steps = 0;
            while at != ENGLAND {
                at = parent.get(at).unwrap_or_else(|| panic!("{}: area {at} (from {code}) has no parent in geography.parent", run.display()));
                steps += 1;
                assert!(steps < 5, "{code}: geography.parent loops");
            }
        }
    }
    described
}
