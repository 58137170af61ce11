//! `ndtms-stats release` end to end on a small synthetic warehouse: the
//! output contract (manifest matches files, tidy CSV, markers), the workbook
//! read back, no personal data in any output, and the HTML in a real browser.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use calamine::{open_workbook, Reader, Xlsx};

use crate::common::{assert_no_personal_data, assert_sheet_matches_csv, bin, personal_identifiers, read_csv, text};

/// A synthetic warehouse built once for this module: synth -> load -> build.
struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let syn = root.join("syn");
        let run = |args: &[&str]| {
            let out = bin().current_dir(&root).args(args).output().unwrap();
            (out.status.success(), text(&out))
        };
        let (ok, t) = run(&["synth", "--out", syn.to_str().unwrap(), "--people", "600", "--months", "1", "--seed", "11"]);
        assert!(ok, "{t}");
        // Deliberately faulty files are rejected (non-zero exit); the rest load.
        let (_, t) = run(&["load", syn.to_str().unwrap(), "--key-file", syn.join("demo.key").to_str().unwrap()]);
        assert!(t.contains("loaded"), "{t}");
        let (ok, t) = run(&["build", "--period", "2024-25"]);
        assert!(ok, "{t}");
        World { _dir: dir, root }
    })
}

/// Runs a release with the given rules into a fresh folder and returns the run folder.
fn release(rules: &str, name: &str) -> PathBuf {
    let w = world();
    let out = w.root.join(name);
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("suppression-rules").join(rules);
    let o = bin()
        .current_dir(&w.root)
        .args(["release", "--period", "2024-25", "--rules", rules.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    out.join("release-2024-25")
}

fn round5() -> &'static PathBuf {
    static R: OnceLock<PathBuf> = OnceLock::new();
    R.get_or_init(|| release("round5.toml", "round5"))
}

fn official() -> &'static PathBuf {
    static R: OnceLock<PathBuf> = OnceLock::new();
    R.get_or_init(|| release("official.toml", "official"))
}

#[test]
fn manifest_lists_exactly_the_csv_files_with_contract_columns() {
    let run = round5();
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["product"], "release");
    assert_eq!(manifest["period"]["start"], "2024-04-01");
    let listed: BTreeSet<String> = manifest["tables"].as_array().unwrap().iter().map(|t| t["file"].as_str().unwrap().to_string()).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(run.join("csv")).unwrap().map(|e| format!("csv/{}", e.unwrap().file_name().to_string_lossy())).collect();
    assert_eq!(listed, on_disk);
    for t in manifest["tables"].as_array().unwrap() {
        let rows = read_csv(&run.join(t["file"].as_str().unwrap()));
        let header = &rows[0];
        assert_eq!(&header[..5], &["table", "period", "geography_level", "area_code", "area_name"]);
        assert_eq!(&header[header.len() - 3..], &["measure", "value", "marker"]);
        let dims: Vec<&str> = t["dimensions"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(&header[5..header.len() - 3], dims.as_slice(), "table {}", t["id"]);
    }
    assert!(manifest["geography"]["parent"]["E12000002"] == "E92000001");
}

#[test]
fn manifest_says_whom_each_table_counts_what_adds_up_and_every_areas_parent() {
    let run = official();
    let described = crate::manifests::assert_manifest_describes_run(run);
    assert!(described.areas.get("la").is_some_and(|las| las.len() > 100), "LAs shown: {:?}", described.areas.get("la").map(|l| l.len()));
    assert_eq!(described.non_additive, [("t10".to_string(), "setting".to_string()), ("t14".to_string(), "month".to_string())]);
    let manifest = crate::manifests::manifest(run);
    let table = |id: &str| manifest["tables"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap().clone();
    assert_eq!(table("t01")["population"], "adult");
    assert_eq!(table("t12")["population"], "young_people", "young people's in_treatment is not the adults' cell");
    // The twelve months add up to the year for new presentations, not for people in treatment.
    let month = &table("t14")["dimensions"][0];
    assert_eq!((month["name"].as_str(), month["additive"].as_bool()), (Some("month"), Some(false)));
    // New presentations are declared only where the data add up in every area (a person who
    // moved is placed by the month's episode in a month and by the year's in the year).
    let listed = month.get("additive_measures").cloned();
    assert!(listed.is_none() || listed == Some(serde_json::json!(["new_presentations"])), "{month}");
    assert_eq!(table("t10")["dimensions"][0]["additive"], false, "a person in several settings");
    assert_eq!(table("t01")["dimensions"][1]["additive"], true);
}

#[test]
fn suppressed_cells_are_c_with_empty_values_and_audit_is_restricted() {
    let run = official();
    let mut suppressed = 0;
    for entry in std::fs::read_dir(run.join("csv")).unwrap() {
        let rows = read_csv(&entry.unwrap().path());
        let (v, m) = (rows[0].len() - 2, rows[0].len() - 1);
        for r in &rows[1..] {
            match r[m].as_str() {
                "" => assert!(r[v].parse::<f64>().is_ok(), "{r:?}"),
                "[c]" => {
                    assert_eq!(r[v], "", "{r:?}");
                    suppressed += 1;
                }
                "[z]" | "[x]" => assert_eq!(r[v], ""),
                other => panic!("unexpected marker {other}"),
            }
            // A published count in the sensitive range 1-4 would be a disclosure.
            if r[m].is_empty() && !r[r.len() - 3].ends_with("_rate") && !r[r.len() - 3].contains("_rate_") {
                let x: f64 = r[v].parse().unwrap();
                assert!(!(1.0..=4.0).contains(&x), "sensitive value published: {r:?}");
            }
        }
    }
    assert!(suppressed > 0, "a small synthetic set must need suppression");
    let audit = std::fs::read_to_string(run.join("restricted/audit.json")).unwrap();
    assert!(audit.contains("primary") && audit.contains("secondary"));
    for public in ["manifest.json", "html/index.html"] {
        let text = std::fs::read_to_string(run.join(public)).unwrap();
        assert!(!text.contains("restricted/") && !text.contains("secondary"), "{public} mentions the restricted record");
    }
}

#[test]
fn workbook_reads_back_with_the_csv_values_and_markers() {
    let run = round5();
    let wb: Xlsx<_> = open_workbook(run.join("release.xlsx")).unwrap();
    let sheets = wb.sheet_names().to_vec();
    assert_eq!(&sheets[..3], &["Cover", "Contents", "Notes"]);
    // every table sheet, not only the first
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let mut compared = 0;
    for t in manifest["tables"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        let sheet = sheets.iter().find(|s| s.as_str() == id).unwrap_or_else(|| panic!("no sheet for table {id}: {sheets:?}"));
        compared += assert_sheet_matches_csv(&run.join("release.xlsx"), sheet, &run.join(t["file"].as_str().unwrap()));
    }
    assert!(compared > 100, "only {compared} rows compared");
}

#[test]
fn no_personal_data_reaches_any_output() {
    let w = world();
    let secrets = personal_identifiers(&w.root.join("syn"));
    assert_no_personal_data(official(), &secrets);
}

#[test]
fn html_loads_in_a_real_browser_with_tables_and_charts() {
    let run = official();
    let Some(browser) = crate::browser::chromium() else {
        eprintln!("SKIPPED: chromium not installed (run .ci/install-browser.sh)");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let index = run.join("html/index.html");
    let dom = crate::browser::dump_dom(&browser, &index, profile.path()).unwrap();
    assert!(dom.contains("<table") && dom.contains("<svg") && dom.contains("<caption"), "page incomplete");
    assert!(dom.contains("T14"), "trend table missing");
    let region = run.join("html/areas/E12000002.html");
    let dom = crate::browser::dump_dom(&browser, &region, profile.path()).unwrap();
    assert!(dom.contains("North West") && dom.contains("<table"));
    let png = run.parent().unwrap().join("index.png");
    crate::browser::screenshot(&browser, &index, profile.path(), &png).unwrap();
    assert!(std::fs::metadata(&png).unwrap().len() > 20_000, "screenshot looks empty");
}
