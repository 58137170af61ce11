//! `ndtms-stats protect` on a small fixture (region > LA x sex, one small cell): the run folder
//! follows the output contract, the small cell and its complements are suppressed with the
//! public marker only, and the restricted audit record explains each suppression.

use std::path::Path;
use std::process::Command;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/protect").join(name).display().to_string()
}

#[test]
fn protect_writes_a_contract_folder_with_every_total() {
    let out = tempfile::tempdir().expect("temp dir");
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("suppression-rules/official.toml");
    let output = Command::new(crate::common::exe())
        .args(["protect", "--input", &fixture("cells.csv"), "--dims", "area,sex"])
        .args(["--hierarchy", &format!("area={}", fixture("areas.csv"))])
        .args(["--rules", &rules.display().to_string(), "--out", &out.path().display().to_string()])
        .output()
        .expect("run ndtms-stats");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("21 cells") && stdout.contains("1 primary") && stdout.contains("3 secondary"), "{stdout}");
    // The information loss: all four suppressions are LA cells (depth 2 of the area hierarchy).
    assert!(stdout.contains("suppressed cells by area: level 0 0, level 1 0, level 2 4"), "{stdout}");

    let run = out.path().join("protect-t01");
    let csv = std::fs::read_to_string(run.join("csv/t01.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("table,period,geography_level,area_code,area_name,area,sex,measure,value,marker"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // (1 + 2 regions + 4 LAs) x (1 + 2 sexes) cells, totals included.
    assert_eq!(rows.len(), 21);
    let cell = |area: &str, sex: &str| rows.iter().find(|r| r[5] == area && r[6] == sex).unwrap().clone();
    assert_eq!((cell("L1", "male")[8], cell("L1", "male")[9]), ("", "[c]"));
    assert_eq!(cell("Total", "Total")[8], "246");
    assert_eq!(cell("R1", "male")[9], "", "the region total stays published");
    for r in &rows {
        assert_eq!((r[2], r[3], r[4]), ("", "", ""), "geography columns are left empty");
        assert!(r[9].is_empty() != r[8].is_empty(), "value xor marker: {r:?}");
    }
    assert_eq!(rows.iter().filter(|r| r[9] == "[c]").count(), 4);

    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let area = &manifest["tables"][0]["dimensions"][0];
    assert_eq!(area["name"], "area");
    assert_eq!(area["parent"]["L3"], "R2");
    assert_eq!(area["additive"], true, "totals are sums of the inner cells");
    assert_eq!(manifest["tables"][0]["dimensions"][1]["additive"], true);
    assert_eq!(manifest["tables"][0]["population"], "all", "no --population: the documented default");
    assert!(manifest["rules"]["sha256"].as_str().is_some_and(|h| h.len() == 64));

    let audit = std::fs::read_to_string(run.join("restricted/audit.json")).unwrap();
    assert!(audit.contains("primary") && audit.contains("secondary"), "{audit}");
    let audit: serde_json::Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(audit["information_loss"]["suppressed_by_level"]["area"]["2"], 4, "{audit}");
    assert!(!csv.contains("primary") && !csv.contains("secondary"));
}

#[test]
fn protect_rejects_a_bad_rule_file_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("bad.toml");
    std::fs::write(&rules, "name = \"bad\"\n[counts]\nsensitive = [[0, 4]]\n").unwrap();
    let output = Command::new(crate::common::exe())
        .args(["protect", "--input", &fixture("cells.csv"), "--dims", "area,sex"])
        .args(["--hierarchy", &format!("area={}", fixture("areas.csv"))])
        .args(["--rules", &rules.display().to_string(), "--out", &dir.path().join("out").display().to_string()])
        .output()
        .expect("run ndtms-stats");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.toml") && stderr.contains("line 3"), "{stderr}");
    assert!(!dir.path().join("out/protect-t01").exists());
}
