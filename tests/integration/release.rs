//! `ndtms-stats release` end to end on a small synthetic warehouse: the
//! output contract (manifest matches files, tidy CSV, markers), the workbook
//! read back, no personal data in any output, and the HTML in a real browser.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use calamine::{open_workbook, Data, Reader, Xlsx};

use crate::common::{bin, text};

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

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(path).unwrap();
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
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
    let mut wb: Xlsx<_> = open_workbook(run.join("release.xlsx")).unwrap();
    let sheets = wb.sheet_names().to_vec();
    assert_eq!(&sheets[..3], &["Cover", "Contents", "Notes"]);
    let csv_rows = read_csv(&run.join("csv/t01.csv"));
    let range = wb.worksheet_range("t01").unwrap();
    let cells: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    let header_at = cells.iter().position(|r| r.iter().any(|c| matches!(c, Data::String(s) if s == "Value"))).expect("header row");
    let value_col = cells[header_at].iter().position(|c| matches!(c, Data::String(s) if s == "Value")).unwrap();
    let data: Vec<&Vec<Data>> = cells[header_at + 1..].iter().filter(|r| !r.iter().all(|c| matches!(c, Data::Empty))).collect();
    assert_eq!(data.len(), csv_rows.len() - 1);
    let (v, m) = (csv_rows[0].len() - 2, csv_rows[0].len() - 1);
    for (x, c) in data.iter().zip(&csv_rows[1..]) {
        match &x[value_col] {
            Data::Float(f) => assert_eq!(*f, c[v].parse::<f64>().unwrap()),
            Data::Int(i) => assert_eq!(*i as f64, c[v].parse::<f64>().unwrap()),
            Data::String(s) => assert_eq!(s, &c[m]),
            other => panic!("unexpected cell {other:?}"),
        }
    }
}

#[test]
fn no_personal_data_reaches_any_output() {
    let w = world();
    let run = official();
    let mut secrets = BTreeSet::new();
    for entry in std::fs::read_dir(w.root.join("syn")).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().ends_with(".csv") && p.file_name().unwrap() != "agencies.csv" {
            let rows = read_csv(&p);
            let Some(h) = rows.first() else { continue };
            let col = |name: &str| h.iter().position(|x| x == name);
            for r in rows.iter().skip(1).take(40) {
                for name in ["CLIENTID", "EPISODID", "DOB"] {
                    if let Some(v) = col(name).and_then(|i| r.get(i)).filter(|v| v.len() >= 6) {
                        secrets.insert(v.clone());
                    }
                }
            }
        }
    }
    assert!(secrets.len() > 20);
    let mut files = Vec::new();
    collect(run, &mut files);
    for f in files {
        if f.starts_with(run.join("restricted")) {
            continue;
        }
        let bytes = std::fs::read(&f).unwrap();
        let text = if f.extension().is_some_and(|e| e == "xlsx") { unzip_text(&f) } else { String::from_utf8_lossy(&bytes).to_string() };
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{s} found in {}", f.display());
        }
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The text of every part of an .xlsx (a zip of XML files).
fn unzip_text(path: &Path) -> String {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let mut s = String::new();
    for name in wb.sheet_names().to_vec() {
        if let Ok(range) = wb.worksheet_range(&name) {
            for row in range.rows() {
                for c in row {
                    s.push_str(&c.to_string());
                    s.push('\t');
                }
            }
        }
    }
    s
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
