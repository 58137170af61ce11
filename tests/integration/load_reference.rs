//! The load path against a stored reference: the same inputs give the same
//! warehouse, table by table (every column but `loaded_at`; file names by
//! their base name). The references were written by the row-by-row loader
//! the columnar one replaced, so these tests prove the two equal; a
//! deliberate change of the rules changes them, with the reason in the
//! commit.
//!
//! Two inputs: a small synthetic universe (two months, faults of every kind,
//! files rejected whole), compared by row count and digest of each table; and
//! hand-made files for the edge cases synth does not write (duplicate
//! intervention and TOP ids, disagreeing and unusable shared fields, consent
//! N next to Y, padded and quoted values, blank lines, BOM and CRLF), compared
//! row by row.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::common::*;

/// Every warehouse table the loader writes, with the columns that vary between runs left out.
const TABLES: [(&str, &str); 8] = [
    ("warehouse_meta", "SELECT * FROM warehouse_meta"),
    ("agency", "SELECT * FROM agency"),
    ("submission", "SELECT * EXCLUDE (loaded_at, file_name), regexp_extract(file_name, '[^/]*$') AS file FROM submission"),
    ("submission_message", "SELECT * FROM submission_message"),
    ("client", "SELECT * FROM client"),
    ("episode", "SELECT * FROM episode"),
    ("intervention", "SELECT * FROM intervention"),
    ("top_record", "SELECT * FROM top_record"),
];

/// Each table's rows as text, sorted.
fn tables(warehouse: &Path) -> Vec<(&'static str, Vec<String>)> {
    let wh = open_warehouse(warehouse);
    let conn = wh.conn();
    TABLES
        .iter()
        .map(|(name, sql)| (*name, dump_rows(conn, &format!("SELECT * FROM ({sql}) ORDER BY ALL"))))
        .collect()
}

fn load_folder(s: &Sandbox, folder: &Path, agencies: &Path, key: &Path) -> String {
    let out = bin()
        .arg("load").arg(folder).arg("--agencies").arg(agencies).arg("--warehouse").arg(s.warehouse())
        .arg("--key-file").arg(key).arg("--dq-out").arg(s.path().join("dq"))
        .output().unwrap();
    text(&out)
}

#[test]
fn a_synthetic_universe_loads_to_the_reference_warehouse() {
    let s = Sandbox::new();
    let syn = s.path().join("syn");
    let out = bin()
        .args(["synth", "--people", "300", "--months", "2", "--seed", "13", "--fault-rate", "0.05", "--out"])
        .arg(&syn)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let t = load_folder(&s, &syn, &syn.join("agencies.csv"), &syn.join("demo.key"));
    assert!(t.contains("loaded"), "{t}");
    let mut summary = String::new();
    for (name, rows) in tables(&s.warehouse()) {
        let digest = hex::encode(Sha256::digest(rows.join("\n").as_bytes()));
        summary.push_str(&format!("{name}: {} rows, sha256 {digest}\n", rows.len()));
    }
    insta::assert_snapshot!("synthetic_universe_tables", summary);
}

/// Hand-made months of N0001 and Y0001 with the edge cases of episode grouping.
fn edge_case_files(s: &Sandbox) -> Vec<std::path::PathBuf> {
    let no_top: &[(&str, &str)] = &[("TOPID", ""), ("TOPDATE", ""), ("TRSTAGE", ""), ("ALCUSE", ""), ("OPIUSE", ""), ("CRAUSE", ""), ("COCAUSE", ""), ("AMPHUSE", ""), ("CANNUSE", ""), ("ACUTHPBM", ""), ("QUALLIFE", "")];
    let with = |base: &[(&'static str, &'static str)], more: &[(&'static str, &'static str)]| -> String {
        let mut v: Vec<(&str, &str)> = base.to_vec();
        v.extend_from_slice(more);
        row(&v)
    };
    let jan = vec![
        // one episode, three rows: interventions M1, M2, M1 again with the same values, TOPs T1, T2
        row(&[]),
        row(&[("MODID", "M2"), ("MODAL", "95"), ("TOPID", "T2"), ("TRSTAGE", "R")]),
        with(no_top, &[]),
        // an intervention id repeated with other values: an error on the later row
        row(&[("CLIENTID", "C2"), ("EPISODID", "E2")]),
        row(&[("CLIENTID", "C2"), ("EPISODID", "E2"), ("MODSET", "3"), ("TOPID", "T9")]),
        // a TOP conflict on a row with a new intervention id; a later row takes that id
        row(&[("CLIENTID", "C3"), ("EPISODID", "E3"), ("MODID", "MA"), ("TOPID", "TX")]),
        row(&[("CLIENTID", "C3"), ("EPISODID", "E3"), ("MODID", "MB"), ("TOPID", "TX"), ("OPIUSE", "3")]),
        with(no_top, &[("CLIENTID", "C3"), ("EPISODID", "E3"), ("MODID", "MB"), ("MODAL", "96")]),
        // disagreeing sex; a blank DOB and an unusable REFLD are not disagreements
        row(&[("CLIENTID", "C4"), ("EPISODID", "E4")]),
        row(&[("CLIENTID", "C4"), ("EPISODID", "E4"), ("SEX", "2"), ("MODID", "M4")]),
        row(&[("CLIENTID", "C5"), ("EPISODID", "E5")]),
        row(&[("CLIENTID", "C5"), ("EPISODID", "E5"), ("DOB", ""), ("MODID", "M5")]),
        row(&[("CLIENTID", "C5"), ("EPISODID", "E5"), ("REFLD", "10-01-2025"), ("MODID", "M6")]),
        // consent N next to Y for the same client; a bad and a missing consent
        row(&[("CLIENTID", "C6"), ("EPISODID", "E6")]),
        row(&[("CLIENTID", "C6"), ("CONSENT", "N"), ("EPISODID", "")]),
        row(&[("CLIENTID", "C7"), ("CONSENT", "maybe")]),
        row(&[("CLIENTID", "C8"), ("CONSENT", "")]),
        // padded values, a signed and a zero-padded integer, a closed episode without intervention
        row(&[("CLIENTID", " C9 "), ("EPISODID", "E9"), ("DRUG1", " 7000"), ("QUALLIFE", "+5"), ("OPIUSE", "07")]),
        with(no_top, &[("CLIENTID", "C10"), ("EPISODID", "E10"), ("DISD", "20/01/2025"), ("DISRSN", "83"), ("MODID", ""), ("MODAL", ""), ("MODSET", ""), ("REFMODDT", ""), ("MODST", "")]),
        // placeholder attributor, and an episode whose only row has an error
        row(&[("CLIENTID", "C11"), ("EPISODID", "E11"), ("FINITIAL", "X"), ("SINITIAL", "X"), ("DOB", "05/05/1955")]),
        row(&[("CLIENTID", "C12"), ("EPISODID", "E12"), ("OPIUSE", "40")]),
        // an episode id without a client id, a client without an episode id
        row(&[("CLIENTID", ""), ("EPISODID", "E13")]),
        row(&[("CLIENTID", "C14"), ("EPISODID", "")]),
    ];
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    let body = String::from_utf8(file(&jan)).unwrap().replace('\n', "\r\n");
    bytes.extend(body.into_bytes());
    bytes.extend_from_slice(b"\r\n\r\n");
    let jan_path = s.extracts().join("N0001_2025-01.csv");
    std::fs::write(&jan_path, bytes).unwrap();
    // February: C1 withdraws consent, C2 is dropped, C3 carried with a discharge, the others
    // carried as they were, quoted values.
    let feb = vec![
        format!("N0001,C1,N{}", ",".repeat(36)),
        row(&[("CLIENTID", "C3"), ("EPISODID", "E3"), ("MODID", "MA"), ("TOPID", "TX"), ("DISD", "20/02/2025"), ("DISRSN", "80")]),
        row(&[("CLIENTID", "C5"), ("EPISODID", "E5")]),
        row(&[("CLIENTID", "C9"), ("EPISODID", "E9"), ("DRUG1", "7000")]),
        with(no_top, &[("CLIENTID", "C10"), ("EPISODID", "E10"), ("DISD", "20/01/2025"), ("DISRSN", "83"), ("MODID", ""), ("MODAL", ""), ("MODSET", ""), ("REFMODDT", ""), ("MODST", "")]),
        row(&[("CLIENTID", "C11"), ("EPISODID", "E11"), ("FINITIAL", "X"), ("SINITIAL", "X"), ("DOB", "05/05/1955")]),
        row(&[("CLIENTID", "C4"), ("EPISODID", "E4"), ("MODID", "M4")]),
        row(&[("CLIENTID", "C20"), ("EPISODID", "E20")]).replace("C20", "\"C20\""),
        String::new(),
        row(&[("CLIENTID", "C21"), ("EPISODID", "E21"), ("DOB", "01/02/2010")]),
    ];
    let feb_path = s.extract("N0001_2025-02.csv", &feb);
    let yp = s.extract("Y0001_2025-02.csv", &[row(&[("AGNCY", "Y0001")]), row(&[("AGNCY", "Y0001"), ("CLIENTID", "C2"), ("DOB", "01/06/2010")])]);
    let ragged = s.extracts().join("Y0001_2025-03.csv");
    std::fs::write(&ragged, format!("{}\nY0001,C1\n", ndtms_stats::ingest::fixtures::header())).unwrap();
    vec![jan_path, feb_path, yp, ragged]
}

#[test]
fn edge_cases_load_to_the_reference_warehouse() {
    let s = Sandbox::new();
    let files = edge_case_files(&s);
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let out = s.load(&refs);
    assert_eq!(out.status.code(), Some(1), "the ragged file is rejected: {}", text(&out));
    let mut dump = String::new();
    for (name, rows) in tables(&s.warehouse()) {
        if name == "warehouse_meta" {
            continue;
        }
        dump.push_str(&format!("## {name} ({} rows)\n", rows.len()));
        for r in rows {
            dump.push_str(&r);
            dump.push('\n');
        }
    }
    insta::assert_snapshot!("edge_case_tables", dump);
}
