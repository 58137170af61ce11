//! Loads never lose data without saying so (issue 16): one test per finding
//! of the probe, each of which the loader before failed.

use std::path::Path;

use crate::common::*;

#[test]
fn a_future_month_is_rejected_and_never_blocks_the_agency() {
    let s = Sandbox::new();
    let future = s.extract("N0001_2031-07.csv", &[row(&[])]);
    let out = s.load(&[&future]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2031-07 is after") && text(&out).contains("--as-of"), "{}", text(&out));
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 0);
    let march = s.extract("N0001_2025-03.csv", &[row(&[])]);
    let out = s.load(&[&march]);
    assert!(out.status.success() && text(&out).contains("1 loaded"), "{}", text(&out));
    // Replaying history: with --as-of 2025-02 a March file is in the future.
    let s2 = Sandbox::new();
    let march = s2.extract("N0001_2025-03.csv", &[row(&[])]);
    let out = s2.load_with(&[&march], &["--as-of".as_ref(), "2025-02".as_ref()]);
    assert!(!out.status.success() && text(&out).contains("after 2025-02"), "{}", text(&out));
}

#[test]
fn a_resubmission_that_empties_the_agency_is_held_unless_allowed() {
    let s = Sandbox::new();
    let feb = s.extract("N0001_2025-02.csv", &[row(&[]), row(&[("CLIENTID", "C2"), ("EPISODID", "E2")])]);
    assert!(s.load(&[&feb]).status.success());
    let empty = s.extract("N0001_2025-03.csv", &[]);
    let out = s.load(&[&empty]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("would remove 2 of the 2 episodes") && text(&out).contains("--allow-shrink N0001"), "{}", text(&out));
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 2, "nothing was removed");
    assert_eq!(s.query_i64("SELECT count(*) FROM submission WHERE outcome = 'rejected'"), 1);
    let out = s.load_with(&[&empty], &["--allow-shrink".as_ref(), "N0001".as_ref()]);
    assert!(out.status.success() && text(&out).contains("1 loaded"), "{}", text(&out));
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 0);
    // An empty extract from an agency with no clients loads.
    let yp = s.extract("Y0001_2025-03.csv", &[]);
    let out = s.load(&[&yp]);
    assert!(out.status.success() && text(&out).contains("1 loaded"), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn every_entry_of_an_input_folder_is_loaded_rejected_or_ignored() {
    let s = Sandbox::new();
    s.extract("N0001_2025-02.csv", &[row(&[])]);
    s.extract("N0001_2025-03.csv", &[row(&[])]);
    let dir_entry = s.extracts().join("Y0001_2025-03.csv");
    std::fs::create_dir(&dir_entry).unwrap();
    let fifo = s.extracts().join("Y0001_2025-02.csv");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::fs::write(s.extracts().join("N0001_2025-04.CSV"), ndtms_stats::ingest::fixtures::file(&[row(&[])])).unwrap();
    std::fs::write(s.extracts().join("N0001_2025-05.csv.txt"), ndtms_stats::ingest::fixtures::file(&[row(&[])])).unwrap();
    std::fs::write(s.extracts().join("notes.txt"), "not an extract").unwrap();
    let out = s.load(&[&s.extracts()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("2 loaded") && t.contains("4 rejected") && t.contains("2 ignored"), "{t}");
    assert!(t.contains("Y0001_2025-03.csv: is not a readable file: it is a folder"), "{t}");
    assert!(t.contains("Y0001_2025-02.csv: is not a readable file: it is a FIFO"), "{t}");
    assert!(t.contains("N0001_2025-04.CSV: named like an extract") && t.contains("N0001_2025-05.csv.txt: named like an extract"), "{t}");
    assert!(t.contains("ignored") && t.contains("notes.txt: not a .csv file"), "{t}");
    assert_eq!(s.query_i64("SELECT count(*) FROM submission WHERE outcome = 'rejected'"), 4);
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 1);
    let ignored = std::fs::read_to_string(s.path().join("dq/ignored.csv")).unwrap();
    assert!(ignored.contains("notes.txt") && ignored.contains("agencies.csv"), "{ignored}");
    let report = std::fs::read_to_string(s.path().join("dq/index.html")).unwrap();
    assert!(report.contains("notes.txt") && report.contains("it is a FIFO"), "the DQ report names every entry");
}

#[test]
fn agency_names_that_start_like_a_formula_are_refused() {
    let s = Sandbox::new();
    let agencies = s.path().join("agencies-formula.csv");
    std::fs::write(
        &agencies,
        "code,name,provider_organisation,commissioning_la,dataset\nN0001,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\") With You\",CGL,E08000003,community-adult\n",
    )
    .unwrap();
    let f = s.extract("N0001_2025-03.csv", &[row(&[])]);
    let out = bin()
        .arg("load").arg(&f).arg("--agencies").arg(&agencies).arg("--warehouse").arg(s.warehouse())
        .arg("--key-file").arg(s.key_file()).arg("--dq-out").arg(s.path().join("dq"))
        .output().unwrap();
    let t = text(&out);
    assert!(!out.status.success() && t.contains("agencies-formula.csv") && t.contains("row 2") && t.contains("field name") && t.contains("formula"), "{t}");
    assert!(!s.warehouse().exists() || s.query_i64("SELECT count(*) FROM agency") == 0);
}

#[test]
fn identifiers_and_la_codes_that_are_not_identifiers_never_load() {
    let s = Sandbox::new();
    let f = s.extract(
        "N0001_2025-03.csv",
        &[
            row(&[("CLIENTID", "+cmd|' /C calc'!A0")]),
            row(&[("CLIENTID", "C2"), ("EPISODID", "@SUM(1)")]),
            row(&[("CLIENTID", "C3"), ("LA", "@SUM(1)")]),
            row(&[("CLIENTID", "C4")]),
        ],
    );
    let out = s.load(&[&f]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.dump("SELECT client_id FROM episode"), ["Text(\"C4\")"]);
    assert_eq!(s.query_i64("SELECT count(*) FROM client WHERE client_id LIKE '+%'"), 0);
    let messages = std::fs::read_to_string(s.path().join("dq/messages.csv")).unwrap();
    for field in ["CLIENTID", "EPISODID", "LA"] {
        assert!(messages.contains(&format!("E_PATTERN,{field}")), "{field}: {messages}");
    }
    assert!(!messages.contains("@SUM") && !messages.contains("calc"), "values are never echoed: {messages}");
}

#[test]
fn a_duplicated_header_row_and_a_fifo_argument_are_named() {
    let s = Sandbox::new();
    let header = ndtms_stats::ingest::fixtures::header();
    let f = s.extracts().join("N0001_2025-03.csv");
    std::fs::write(&f, format!("{header}\n{}\n{header}\n{}\n", row(&[]), row(&[("CLIENTID", "C2")]))).unwrap();
    let out = s.load(&[&f]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("row(s) 3 repeat the header row") && !text(&out).contains("AGNCY differs"), "{}", text(&out));
    #[cfg(unix)]
    {
        let fifo = s.path().join("N0001_2025-02.csv");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let out = s.load(&[Path::new(&fifo)]);
        assert!(!out.status.success() && text(&out).contains("it is a FIFO") && !text(&out).contains("does not exist"), "{}", text(&out));
    }
}

#[test]
fn a_product_whose_out_is_a_file_fails_before_computing() {
    let s = Sandbox::new();
    let file = s.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/suppression-rules/official.toml");
    // No warehouse exists: the output path is checked first, so its message is the one shown.
    for args in [
        vec!["release", "--period", "2024-25"],
        vec!["pack", "--month", "2025-03", "--all"],
        vec!["provider-report", "--month", "2025-03", "--all"],
        vec!["extract", "--measure", "in_treatment", "--period", "2024-25"],
    ] {
        let out = bin()
            .args(&args)
            .args(["--rules", rules, "--warehouse"])
            .arg(s.warehouse())
            .arg("--out")
            .arg(&file)
            .output()
            .unwrap();
        let msg = text(&out);
        assert!(!out.status.success() && msg.contains("not-a-folder") && msg.contains("not a folder"), "{args:?}: {msg}");
    }
}

#[test]
fn an_unknown_population_is_refused_with_the_valid_ones() {
    let out = bin().args(["extract", "--measure", "in_treatment", "--period", "2024-25", "--population", "adults"]).output().unwrap();
    let msg = text(&out);
    assert!(!out.status.success() && msg.contains("adults") && msg.contains("adult") && msg.contains("young_people"), "{msg}");
}
