//! One cell, one status across products: the annual release, the March packs
//! (whose year to date is the same financial year), the March provider reports
//! and a research extract, published in turn into one folder with one
//! publication ledger, show every cell they share with the same value or the
//! same `[c]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{assert_no_personal_data, bin, open_warehouse, personal_identifiers, text};
use crate::packs::{serial, world};

/// What a reader sees of one cell: its value, or its marker.
type Shown = String;
/// `(measure, area code, substance group)`, substance `Total` when the table has none.
type CellName = (String, String, String);

fn rules(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suppression-rules").join(name).display().to_string()
}

/// Cells of every CSV in `dir` whose categories other than substance group are all `Total`.
fn cells_of(dir: &Path) -> BTreeMap<CellName, Shown> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let mut r = csv::Reader::from_path(&path).unwrap();
        let h = r.headers().unwrap().clone();
        let col = |n: &str| h.iter().position(|x| x == n).unwrap_or_else(|| panic!("{}: no {n} column", path.display()));
        let (name, measure, value, marker) = (col("area_name"), col("measure"), col("value"), col("marker"));
        let substance = h.iter().position(|x| x == "substance_group");
        for rec in r.records() {
            let rec = rec.unwrap();
            if rec[col("geography_level")].eq("provider") {
                continue;
            }
            let others_total = (name + 1..measure).filter(|&i| Some(i) != substance).all(|i| &rec[i] == "Total");
            if !others_total {
                continue;
            }
            let s = substance.map_or("Total".to_string(), |i| rec[i].to_string());
            let shown = if rec[value].is_empty() { rec[marker].to_string() } else { rec[value].to_string() };
            out.insert((rec[measure].to_string(), rec[col("area_code")].to_string(), s), shown);
        }
    }
    out
}

fn run(root: &Path, args: &[&str]) {
    let o = bin().current_dir(root).args(args).output().unwrap();
    assert!(o.status.success(), "{args:?}: {}", text(&o));
}

#[test]
fn a_cell_shown_by_release_pack_provider_report_and_extract_has_one_status() {
    let w = world();
    let _turn = serial();
    let out: PathBuf = w.root.join("shared");
    let o = out.to_str().unwrap();
    run(&w.root, &["build", "--period", "2024-25"]);
    run(&w.root, &["release", "--period", "2024-25", "--rules", &rules("official.toml"), "--out", o]);
    run(&w.root, &["pack", "--month", "2025-03", "--all", "--rules", &rules("official.toml"), "--out", o]);
    run(&w.root, &["provider-report", "--month", "2025-03", "--all", "--rules", &rules("official.toml"), "--out", o]);
    run(&w.root, &["extract", "--measure", "in_treatment", "--by", "substance_group,la", "--period", "2024-25", "--rules", &rules("research.toml"), "--out", o]);
    // Each product's manifest tells an outside checker whom its tables count, what adds up and
    // where every area shown sits.
    for run in ["release-2024-25", "pack-2025-03", "provider-report-2025-03", "extract-2024-25"] {
        crate::manifests::assert_manifest_describes_run(&out.join(run));
    }
    let products = [
        ("release", cells_of(&out.join("release-2024-25/csv"))),
        ("pack", cells_of(&out.join("pack-2025-03/csv"))),
        ("provider report", cells_of(&out.join("provider-report-2025-03/csv"))),
        ("extract", cells_of(&out.join("extract-2024-25/csv"))),
    ];
    // The release and every later product share the England total and LA cells.
    let england = ("in_treatment".to_string(), "E92000001".to_string(), "Total".to_string());
    for (name, cells) in &products {
        assert!(cells.contains_key(&england), "{name} does not show adults in treatment in England");
    }
    let mut shared = 0;
    let mut suppressed_shared = 0;
    for (i, (a, cells_a)) in products.iter().enumerate() {
        for (b, cells_b) in &products[i + 1..] {
            for (cell, shown) in cells_a {
                if let Some(other) = cells_b.get(cell) {
                    assert_eq!(shown, other, "{cell:?}: {a} shows {shown}, {b} shows {other}");
                    shared += 1;
                    suppressed_shared += usize::from(shown == "[c]");
                }
            }
        }
    }
    assert!(shared > 300, "only {shared} shared cells: the products no longer overlap");
    assert!(suppressed_shared > 0, "no suppressed cell is shared: the test would not see a disagreement");
    // and none of the four products, nor the ledger between them, carries a person's identifiers
    let mut secrets = personal_identifiers(&w.root.join("syn"));
    let wh = open_warehouse(&w.root.join("ndtms.duckdb"));
    let mut stmt = wh.conn().prepare("SELECT DISTINCT person_key FROM episode WHERE person_key IS NOT NULL LIMIT 50").unwrap();
    let keys: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert!(keys.len() >= 20, "too few pseudonyms");
    secrets.extend(keys);
    assert_no_personal_data(&out, &secrets);
}
