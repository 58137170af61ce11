//! `ndtms-stats extract` on the packs' synthetic warehouse: an identifying
//! dimension is refused with a clear message, and the checking report lists
//! every suppressed cell of the extract with the rule behind it.

use std::path::Path;

use crate::common::{bin, text};
use crate::packs::{serial, world};

fn research_rules() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suppression-rules/research.toml").display().to_string()
}

#[test]
fn extract_refuses_identifying_dimensions_with_a_clear_message() {
    let w = world();
    let _turn = serial();
    for field in ["person_key", "client_id", "episode_id", "date_of_birth", "postcode"] {
        let o = bin()
            .current_dir(&w.root)
            .args(["extract", "--measure", "in_treatment", "--by", &format!("sex,{field}"), "--period", "2025-03", "--rules", &research_rules(), "--out", "refused"])
            .output()
            .unwrap();
        assert!(!o.status.success(), "{field} accepted");
        let t = text(&o);
        assert!(t.contains(field) && t.contains("identifies people") && t.contains("never row-level data"), "{t}");
    }
    assert!(!w.root.join("refused").exists(), "a refused extract wrote files");
}

#[test]
fn checking_report_lists_every_suppressed_cell_with_its_rule() {
    let w = world();
    let _turn = serial();
    let o = bin()
        .current_dir(&w.root)
        .args([
            "extract", "--measure", "in_treatment", "--by", "substance_group,sex", "--where", "region = 'E12000002'", "--period", "2025-03",
            "--rules", &research_rules(), "--out", "research",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let run = w.root.join("research/extract-2025-03");
    let mut r = csv::Reader::from_path(run.join("csv/extract.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (marker, sex, substance, area) = (col("marker"), col("sex"), col("substance_group"), col("area_code"));
    let mut suppressed = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        assert!(!headers.iter().any(|h| h.contains("person") || h.contains("client")), "identifying column written");
        if &rec[marker] == "[c]" {
            suppressed.push((rec[area].to_string(), rec[substance].to_string(), rec[sex].to_string()));
        }
    }
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("restricted/checking-report.json")).unwrap()).unwrap();
    let output = &report["outputs"][0];
    let cells = output["cells"].as_array().unwrap();
    assert_eq!(cells.len(), suppressed.len(), "report and extract disagree on the suppressed cells");
    for (a, s, x) in &suppressed {
        let hit = cells.iter().find(|c| {
            let cat = |d: &str| c["categories"].get(d).and_then(|v| v.as_str()).unwrap_or("Total").to_string();
            c["area_code"] == a.as_str() && cat("substance_group") == *s && cat("sex") == *x
        });
        let hit = hit.unwrap_or_else(|| panic!("suppressed cell {a}/{s}/{x} missing from the report"));
        let why = hit["why"].as_str().unwrap();
        match hit["kind"].as_str().unwrap() {
            "primary" => assert!(why.contains("sensitive range 1-9"), "{why}"),
            "secondary" => assert!(why.contains("complement protecting"), "{why}"),
            k => panic!("unknown kind {k}"),
        }
    }
    let status = output["status"].as_str().unwrap();
    assert_eq!(status, if suppressed.is_empty() { "pass" } else { "review" });
    let rules: Vec<&str> = report["rules_applied"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(rules.iter().any(|r| r.contains("1 to 9")) && rules.iter().any(|r| r.starts_with("secondary")), "{rules:?}");
    // The area the extract is cut to has its parent in the manifest, like every area shown.
    let described = crate::manifests::assert_manifest_describes_run(&run);
    assert_eq!(described.areas["region"].iter().collect::<Vec<_>>(), ["E12000002"]);
    assert_eq!(crate::manifests::manifest(&run)["tables"][0]["population"], "adult");
    // The report names reasons, so it is restricted, never beside the public files.
    assert!(!run.join("checking-report.md").exists() && run.join("restricted/checking-report.md").is_file());
}

#[test]
fn extract_refuses_a_breakdown_the_measure_does_not_have() {
    let w = world();
    let _turn = serial();
    let o = bin()
        .current_dir(&w.root)
        .args(["extract", "--measure", "in_treatment", "--by", "exit_reason", "--period", "2025-03", "--rules", &research_rules(), "--out", "no-such-breakdown"])
        .output()
        .unwrap();
    assert!(!o.status.success(), "a breakdown the cube lacks was accepted");
    let t = text(&o);
    assert!(t.contains("not broken down by exit_reason") && t.contains("sex"), "{t}");
    let o = bin()
        .current_dir(&w.root)
        .args(["extract", "--measure", "in_treatment", "--where", "sex = 'banana'", "--period", "2025-03", "--rules", &research_rules(), "--out", "no-such-breakdown"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("'banana' is not a category of sex"), "{}", text(&o));
    assert!(!w.root.join("no-such-breakdown").exists(), "a refused extract wrote files");
}
