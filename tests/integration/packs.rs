//! `ndtms-stats pack` on a small synthetic warehouse: two consecutive months
//! published with one ledger, audited together (no suppressed count can be
//! recovered by subtracting one month's packs from the next, and the audit
//! does find one when the ledger is ignored), every LA's pack with an index,
//! the workbook read back, and the HTML in a real browser.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use calamine::{open_workbook, Reader, Xlsx};
use ndtms_stats::geography::Geography;
use ndtms_stats::pack::cells::{read_ytd, YtdCounts, MEASURES};
use ndtms_stats::pack::protect::{ytd_key, SERIES};
use ndtms_stats::release::data::{areas, substance_hierarchy, TOTAL};
use ndtms_stats::sdc::{protect, CellKind, Ledger, LedgerEntry, ProblemBuilder, RuleSet};

use crate::common::{assert_sheet_matches_csv, bin, text};

/// The warehouse and three pack runs: February and March with one ledger, and March alone.
pub struct World {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    /// The cube's true year-to-date counts of February and March (read once: the warehouse is locked while open).
    feb: YtdCounts,
    mar: YtdCounts,
}

/// Tests that run the binary on the shared warehouse take turns (DuckDB locks it per process).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn rules_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suppression-rules/official.toml")
}

pub fn world() -> &'static World {
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
        let (_, t) = run(&["load", syn.to_str().unwrap(), "--key-file", syn.join("demo.key").to_str().unwrap()]);
        assert!(t.contains("loaded"), "{t}");
        let rules = rules_path();
        let pack = |month: &str, out: &str| {
            let (ok, t) = run(&["pack", "--month", month, "--all", "--rules", rules.to_str().unwrap(), "--out", out]);
            assert!(ok, "pack {month} into {out}: {t}");
        };
        pack("2025-02", "series");
        pack("2025-03", "series");
        // The same March, protected as if February had never been published.
        pack("2025-03", "no-ledger");
        let wh = crate::common::open_warehouse(&root.join("ndtms.duckdb"));
        let (feb, mar) = (read_ytd(&wh, "2025-02").unwrap(), read_ytd(&wh, "2025-03").unwrap());
        drop(wh);
        World { _dir: dir, root, feb, mar }
    })
}

/// Published year-to-date values of every pack of a run, as ledger entries (what readers saw).
fn published(run: &Path) -> Vec<LedgerEntry> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(run.join("csv")).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("-ytd.csv") {
            continue;
        }
        let mut r = csv::Reader::from_path(&path).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let (period, area, substance, measure, value) = (&rec[1], &rec[3], &rec[5], &rec[6], &rec[7]);
            if !MEASURES.contains(&measure) || value.is_empty() {
                continue;
            }
            out.push(LedgerEntry { series: SERIES.into(), key: ytd_key(period, measure, area, substance), value: value.parse().unwrap() });
        }
    }
    out
}

/// The LP audit over both months, as a reader could attack them: every year-to-date cell of
/// February and March unknown except what the two runs published, both months' additivity, and
/// `March = February + the month's own count` (non-negative). Fails when any sensitive count of
/// either month, or a sensitive month's own count, is pinned too narrowly.
fn audit_two_months(march_run: &Path) -> Result<(), String> {
    let w = world();
    let spec = ndtms_stats::release::spec::load(None).unwrap();
    let mut substances = vec![(TOTAL.to_string(), None)];
    substances.extend(substance_hierarchy(&spec));
    let area_list = areas(&Geography::embedded(), &["region".to_string(), "la".to_string()]);
    let mut b = ProblemBuilder::new(SERIES);
    let mut id = std::collections::HashMap::new();
    for counts in [&w.feb, &w.mar] {
        for m in MEASURES {
            for a in &area_list {
                for (s, _) in &substances {
                    let key = ytd_key(&counts.period, m, &a.code, s);
                    let cell = b.add_internal_cell("audit", key, counts.get(m, &a.code, s), CellKind::Count).unwrap();
                    id.insert((counts.period.clone(), m, a.code.clone(), s.clone()), cell);
                }
            }
            let at = |a: &str, s: &str| id[&(counts.period.clone(), m, a.to_string(), s.to_string())];
            for parent in &area_list {
                let kids: Vec<_> = area_list.iter().filter(|a| a.parent.as_deref() == Some(parent.code.as_str())).collect();
                if kids.is_empty() {
                    continue;
                }
                for (s, _) in &substances {
                    let mut terms = vec![(at(&parent.code, s), 1)];
                    terms.extend(kids.iter().map(|k| (at(&k.code, s), -1)));
                    b.add_relation(terms).unwrap();
                }
            }
            for a in &area_list {
                let top: Vec<_> = substances.iter().skip(1).filter(|(_, p)| p.is_none()).map(|(c, _)| c.clone()).collect();
                let mut terms = vec![(at(&a.code, TOTAL), 1)];
                terms.extend(top.iter().map(|c| (at(&a.code, c), -1)));
                b.add_relation(terms).unwrap();
                let opiate: Vec<_> = substances.iter().filter(|(_, p)| p.as_deref() == Some("opiate")).map(|(c, _)| c.clone()).collect();
                let mut terms = vec![(at(&a.code, "opiate"), 1)];
                terms.extend(opiate.iter().map(|c| (at(&a.code, c), -1)));
                b.add_relation(terms).unwrap();
            }
        }
    }
    for m in MEASURES {
        for a in &area_list {
            for (s, _) in &substances {
                let month = w.mar.get(m, &a.code, s) - w.feb.get(m, &a.code, s);
                if month < 0.0 {
                    continue; // people moved: the difference counts nobody
                }
                let key = ytd_key("2025-03-own", m, &a.code, s);
                let own = b.add_internal_cell("audit", key, month, CellKind::Count).unwrap();
                let mar = id[&("2025-03".to_string(), m, a.code.clone(), s.clone())];
                let feb = id[&("2025-02".to_string(), m, a.code.clone(), s.clone())];
                b.add_relation(vec![(mar, 1), (feb, -1), (own, -1)]).unwrap();
            }
        }
    }
    let mut ledger = Ledger::new();
    for e in published(&w.root.join("series/pack-2025-02")).into_iter().chain(published(march_run)) {
        ledger.record(e);
    }
    // No complements: only the audit of what was actually published.
    let text = std::fs::read_to_string(rules_path()).unwrap().replace("enabled = true", "enabled = false");
    let rules = RuleSet::parse(&text, &rules_path()).unwrap();
    assert!(!rules.secondary);
    protect(&b.build(), &rules, &ledger).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn differencing_two_months_of_packs_recovers_no_suppressed_count() {
    let w = world();
    audit_two_months(&w.root.join("series/pack-2025-03")).unwrap();
    // Control: the audit must catch a March protected without February's publications.
    let err = audit_two_months(&w.root.join("no-ledger/pack-2025-03")).expect_err("ignoring the ledger should leave a count recoverable");
    assert!(err.contains("audit interval") || err.contains("narrower"), "{err}");
}

#[test]
fn ledger_holds_every_published_cell_of_both_months() {
    let w = world();
    let ledger = Ledger::load(&w.root.join("series").join(ndtms_stats::output::LEDGER_FILE)).unwrap();
    let periods: std::collections::BTreeSet<String> =
        ledger.entries().filter_map(|e| e.key.period.map(|p| p.to_string())).collect();
    assert!(periods.contains("2024-04-01/2025-02-28") && periods.contains("2024-04-01/2025-03-31"), "{periods:?}");
    for run in ["series/pack-2025-02", "series/pack-2025-03"] {
        for e in published(&w.root.join(run)) {
            assert_eq!(ledger.get(SERIES, &e.key), Some(e.value), "{} published in {run} but not in the ledger", e.key);
        }
    }
}

#[test]
fn pack_all_writes_every_la_an_index_and_readable_workbooks() {
    let w = world();
    let run = w.root.join("series/pack-2025-03");
    let las: Vec<String> = Geography::embedded().reporting_las().map(|l| l.code.clone()).collect();
    for la in &las {
        assert!(run.join(format!("html/{la}.html")).is_file(), "{la} page missing");
        assert!(run.join(format!("csv/{}-ytd.csv", la.to_lowercase())).is_file());
    }
    let index = std::fs::read_to_string(run.join("html/index.html")).unwrap();
    assert_eq!(las.iter().filter(|la| index.contains(&format!("{la}.html"))).count(), las.len());
    // every LA's workbook reads back with the values and markers of its three CSV tables
    for la in &las {
        let xlsx = run.join(format!("xlsx/{la}.xlsx"));
        let book: Xlsx<_> = open_workbook(&xlsx).unwrap();
        let names = book.sheet_names().to_vec();
        let slug = la.to_lowercase();
        for part in ["ytd", "trend", "providers"] {
            let id = format!("{slug}-{part}");
            assert!(names.contains(&id), "{la}: no sheet {id} in {names:?}");
            assert_sheet_matches_csv(&xlsx, &id, &run.join(format!("csv/{id}.csv")));
        }
    }
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["product"], "pack");
    assert_eq!(manifest["tables"].as_array().unwrap().len(), 3 * las.len());
    assert!(run.join("restricted/audit.json").is_file());
}

#[test]
fn pack_manifests_map_every_area_and_provider_shown_to_its_parent() {
    let w = world();
    for (month, adding) in [("2025-02", None), ("2025-03", Some(serde_json::json!(["new_presentations"])))] {
        let run = w.root.join(format!("series/pack-{month}"));
        let described = crate::manifests::assert_manifest_describes_run(&run);
        let providers = described.areas.get("provider").cloned().unwrap_or_default();
        assert!(providers.len() > 5, "{month}: only {} providers shown", providers.len());
        let manifest = crate::manifests::manifest(&run);
        for t in manifest["tables"].as_array().unwrap() {
            assert_eq!(t["population"], "adult");
            let id = t["id"].as_str().unwrap();
            if let Some(la) = id.strip_suffix("-providers") {
                // a provider's parent is the LA whose pack shows it
                for r in &crate::common::read_csv(&run.join(t["file"].as_str().unwrap()))[1..] {
                    assert_eq!(manifest["geography"]["parent"][&r[3]].as_str().map(str::to_lowercase).as_deref(), Some(la), "{id}: {}", r[3]);
                }
            }
            if id.ends_with("-trend") {
                // months add up to the year to date for new presentations only when they are its months (March)
                let d = &t["dimensions"][0];
                assert_eq!(d["additive"], false, "{month} {id}");
                // declared only where every area's months add up to its year to date in the data
                let listed = d.get("additive_measures").cloned();
                assert!(listed.is_none() || listed == adding, "{month} {id}");
            }
        }
    }
}

#[test]
fn pack_is_consistent_between_one_la_and_all() {
    // One LA's pack is cut from the same all-LA protection: its cells match the --all run.
    let w = world();
    let _turn = serial();
    let out = w.root.join("single");
    let ledger = w.root.join("single-ledger.json");
    let o = bin()
        .current_dir(&w.root)
        .args(["pack", "--month", "2025-03", "--la", "E08000025", "--rules", rules_path().to_str().unwrap(), "--out", out.to_str().unwrap(), "--ledger", ledger.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let one = std::fs::read_to_string(out.join("pack-2025-03/csv/e08000025-ytd.csv")).unwrap();
    let all = std::fs::read_to_string(w.root.join("no-ledger/pack-2025-03/csv/e08000025-ytd.csv")).unwrap();
    assert_eq!(one, all);
}

#[test]
fn pack_refuses_a_code_that_is_not_a_local_authority() {
    let w = world();
    let _turn = serial();
    let o = bin().current_dir(&w.root).args(["pack", "--month", "2025-03", "--la", "E99999999", "--out", "x"]).output().unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("not a reporting local authority"), "{}", text(&o));
}

#[test]
fn pack_html_loads_in_a_real_browser() {
    let w = world();
    let Some(browser) = crate::browser::chromium() else {
        eprintln!("SKIPPED: chromium not installed (run .ci/install-browser.sh)");
        return;
    };
    let run = w.root.join("series/pack-2025-03");
    let profile = tempfile::tempdir().unwrap();
    let dom = crate::browser::dump_dom(&browser, &run.join("html/E08000025.html"), profile.path()).unwrap();
    assert!(dom.contains("Birmingham") && dom.contains("<table") && dom.contains("<caption"), "pack page incomplete");
    let dom = crate::browser::dump_dom(&browser, &run.join("html/index.html"), profile.path()).unwrap();
    assert!(dom.contains("E08000025.html"));
}

#[test]
fn ledger_entries_are_keyed_by_period() {
    let key = ytd_key("2025-03", "exits", "E08000025", TOTAL);
    assert_eq!(key.qualified_measure(), "adult:exits@2024-04-01/2025-03-31");
    assert_eq!((key.measure.as_str(), key.period.map(|p| p.to_string())), ("adult:exits", Some("2024-04-01/2025-03-31".to_string())));
    let england = ytd_key("2025-03", "exits", ndtms_stats::geography::ENGLAND_CODE, "alcohol only");
    assert_eq!(england.coords, vec![("substance_group".to_string(), "alcohol only".to_string())]);
}

#[test]
fn provider_report_all_writes_every_agency_with_its_data_quality() {
    let w = world();
    let _turn = serial();
    let rules = rules_path();
    let o = bin()
        .current_dir(&w.root)
        .args(["provider-report", "--month", "2025-03", "--all", "--rules", rules.to_str().unwrap(), "--out", "providers"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let run = w.root.join("providers/provider-report-2025-03");
    let index = std::fs::read_to_string(run.join("html/index.html")).unwrap();
    let pages: Vec<_> = std::fs::read_dir(run.join("html")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).filter(|n| n != "index.html").collect();
    assert!(!pages.is_empty());
    assert!(pages.iter().all(|p| index.contains(p.as_str())), "index misses a report");
    let all: String = pages.iter().map(|p| std::fs::read_to_string(run.join("html").join(p)).unwrap()).collect();
    assert!(all.contains("load") && all.contains("How to fix"), "no data quality or advice in any report");
    assert!(all.contains("The counts are of adults only"), "young people's services are not told that the counts are of adults");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["tables"].as_array().unwrap().len(), pages.len());
    let described = crate::manifests::assert_manifest_describes_run(&run);
    assert_eq!(described.areas["provider"].len(), pages.len(), "every agency's code is mapped to its commissioning LA");
    for t in manifest["tables"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        let xlsx = manifest["reports"].as_array().unwrap().iter().filter_map(|r| r.as_str()).find(|r| r.ends_with(".xlsx") && id == format!("{}-provider", r[5..r.len() - 5].to_lowercase()));
        let xlsx = run.join(xlsx.unwrap_or_else(|| panic!("no workbook for table {id}")));
        assert_sheet_matches_csv(&xlsx, id, &run.join(t["file"].as_str().unwrap()));
    }
}
