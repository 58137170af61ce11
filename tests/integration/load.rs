//! `ndtms-stats load` end to end: consent, withdrawal, placeholders,
//! replacement on resubmission, idempotent reloads, atomicity and bad input.

use std::path::Path;

use crate::common::*;

const ALL_DATA: &str = "SELECT 'e|' || agency || '|' || client_id || '|' || episode_id || '|' || coalesce(person_key,'') FROM episode \
    UNION ALL SELECT 'i|' || agency || '|' || client_id || '|' || episode_id || '|' || mod_id FROM intervention \
    UNION ALL SELECT 't|' || agency || '|' || client_id || '|' || episode_id || '|' || top_id FROM top_record \
    UNION ALL SELECT 'c|' || agency || '|' || client_id || '|' || consent::VARCHAR FROM client ORDER BY 1";

#[test]
fn loads_a_clean_file_and_writes_the_dq_report() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[]), row(&[("CLIENTID", "C2"), ("EPISODID", "E7")])]);
    let out = s.load(&[&f]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 loaded"), "{}", text(&out));
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 2);
    assert_eq!(s.query_i64("SELECT count(DISTINCT person_key) FROM episode"), 1, "same attributor, same person key");
    assert_eq!(s.query_i64("SELECT count(*) FROM submission WHERE outcome = 'loaded' AND load_pct = 100"), 1);
    let html = std::fs::read_to_string(s.path().join("dq/index.html")).unwrap();
    assert!(html.contains("N0001_2025-03.csv"));
    assert!(s.path().join("dq/submissions.csv").is_file() && s.path().join("dq/messages.csv").is_file());
}

#[test]
fn no_initials_or_dates_of_birth_are_stored() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[("FINITIAL", "Q"), ("SINITIAL", "Z"), ("DOB", "17/11/1966")])]);
    assert!(s.load(&[&f]).status.success());
    let cols = s.dump("SELECT column_name FROM information_schema.columns WHERE table_name IN ('episode','intervention','top_record','client')");
    assert!(!cols.iter().any(|c| c.contains("initial") || c.contains("dob")), "{cols:?}");
    assert_eq!(s.query_i64("SELECT year_of_birth FROM episode"), 1966);
    assert_eq!(s.query_i64("SELECT count(*) FROM episode WHERE CAST(refld AS VARCHAR) LIKE '1966%'"), 0);
}

#[test]
fn consent_n_values_never_reach_the_warehouse_file() {
    let s = Sandbox::new();
    let stray = row(&[("CONSENT", "N"), ("CLIENTID", "C5"), ("EPISODID", "STRAYEPI"), ("PC", "QQ97"), ("LA", "E09000033")]);
    let f = s.extract("N0001_2025-03.csv", &[row(&[]), stray]);
    // unencrypted, so the byte scan below can see what is stored
    let out = s.load_with(&[&f], &[std::ffi::OsStr::new(UNENCRYPTED)]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.plain_query_i64("SELECT count(*) FROM client WHERE client_id = 'C5'"), 0, "withdrawn: not even the id is kept");
    assert_eq!(s.plain_query_i64("SELECT clients FROM consent_withdrawal"), 1, "only counted");
    assert_eq!(s.plain_query_i64("SELECT count(*) FROM episode WHERE client_id = 'C5'"), 0);
    let mut bytes = std::fs::read(s.warehouse()).unwrap();
    if let Ok(wal) = std::fs::read(s.warehouse().with_extension("duckdb.wal")) {
        bytes.extend(wal);
    }
    for needle in ["STRAYEPI", "QQ97", "E09000033"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} found in the warehouse file");
    }
    let dq = std::fs::read_to_string(s.path().join("dq/messages.csv")).unwrap();
    assert!(dq.contains("W_CONSENT_DISCARDED") && !dq.contains("STRAYEPI"));
}

#[test]
fn consent_withdrawal_removes_earlier_submissions_data() {
    let s = Sandbox::new();
    let feb = s.extract("N0001_2025-02.csv", &[row(&[]), row(&[("CLIENTID", "C2"), ("EPISODID", "E2")])]);
    assert!(s.load(&[&feb]).status.success());
    assert_eq!(s.query_i64("SELECT count(*) FROM episode WHERE client_id = 'C1'"), 1);
    let mar = s.extract("N0001_2025-03.csv", &[format!("N0001,C1,N{}", ",".repeat(36)), row(&[("CLIENTID", "C2"), ("EPISODID", "E2")])]);
    assert!(s.load(&[&mar]).status.success());
    assert_eq!(s.query_i64("SELECT count(*) FROM episode WHERE client_id = 'C1'"), 0);
    assert_eq!(s.query_i64("SELECT count(*) FROM intervention WHERE client_id = 'C1'"), 0);
    assert_eq!(s.query_i64("SELECT count(*) FROM top_record WHERE client_id = 'C1'"), 0);
    assert_eq!(s.query_i64("SELECT count(*) FROM client WHERE client_id = 'C1'"), 0, "withdrawn: not even the id is kept");
    assert_eq!(s.query_i64("SELECT clients FROM consent_withdrawal"), 1, "only counted");
    assert_eq!(s.query_i64("SELECT count(*) FROM episode WHERE client_id = 'C2'"), 1);
}

#[test]
fn withdrawal_also_removes_episodes_from_before_the_period() {
    let s = Sandbox::new();
    let old = row(&[("EPISODID", "OLD"), ("REFLD", "01/02/2022"), ("TRIAGED", "01/02/2022"), ("REFMODDT", "01/02/2022"), ("MODST", "02/02/2022"), ("TOPDATE", "02/02/2022"), ("DISD", "01/06/2022"), ("DISRSN", "80")]);
    let f1 = s.extract("N0001_2022-08.csv", &[old]);
    assert!(s.load(&[&f1]).status.success());
    let f2 = s.extract("N0001_2025-03.csv", &[format!("N0001,C1,N{}", ",".repeat(36))]);
    assert!(s.load(&[&f2]).status.success());
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 0);
}

#[test]
fn placeholder_attributors_are_kept_unlinked() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[("FINITIAL", "X"), ("SINITIAL", "X"), ("DOB", "05/05/1955")])]);
    assert!(s.load(&[&f]).status.success());
    assert_eq!(s.query_i64("SELECT count(*) FROM episode WHERE link_status = 'placeholder' AND person_key IS NULL"), 1);
}

#[test]
fn resubmission_replaces_the_period_and_keeps_older_records() {
    let s = Sandbox::new();
    // Closed in 2022: before the period of the 2025 submissions (from 1 January 2023).
    let pre_period = row(&[("EPISODID", "OLD"), ("REFLD", "01/02/2022"), ("TRIAGED", "01/02/2022"), ("REFMODDT", "01/02/2022"), ("MODST", "02/02/2022"), ("TOPDATE", "02/02/2022"), ("DISD", "01/06/2022"), ("DISRSN", "80")]);
    let f1 = s.extract("N0001_2022-08.csv", &[pre_period]);
    assert!(s.load(&[&f1]).status.success());
    let feb = s.extract("N0001_2025-02.csv", &[row(&[("EPISODID", "E1")]), row(&[("CLIENTID", "C2"), ("EPISODID", "E2")])]);
    assert!(s.load(&[&feb]).status.success());
    let mar = s.extract("N0001_2025-03.csv", &[row(&[("EPISODID", "E1"), ("DRUG1", "7000")]), row(&[("CLIENTID", "C3"), ("EPISODID", "E3")])]);
    assert!(s.load(&[&mar]).status.success());
    let episodes = s.dump("SELECT client_id || '/' || episode_id || '/' || drug1 FROM episode ORDER BY 1");
    assert_eq!(episodes, vec!["'C1/E1/7000'", "'C1/OLD/1011'", "'C3/E3/1011'"].iter().map(|s| format!("Text({})", s.replace('\'', "\""))).collect::<Vec<_>>());
    assert_eq!(s.query_i64("SELECT count(*) FROM intervention"), 3);
}

#[test]
fn a_march_resubmission_removes_a_record_closed_the_year_before_last() {
    // March 2025 covers from 1 January 2023 (the CDS-P table): an episode closed in June 2023
    // that the provider no longer sends is gone, not kept as if it were before the period.
    let s = Sandbox::new();
    let closed_2023 = row(&[("EPISODID", "OLD"), ("REFLD", "01/02/2023"), ("TRIAGED", "01/02/2023"), ("REFMODDT", "01/02/2023"), ("MODST", "02/02/2023"), ("TOPDATE", "02/02/2023"), ("DISD", "01/06/2023"), ("DISRSN", "80")]);
    let aug = s.extract("N0001_2024-08.csv", &[closed_2023, row(&[("CLIENTID", "C2"), ("REFLD", "10/07/2024"), ("TRIAGED", "12/07/2024"), ("REFMODDT", "12/07/2024"), ("MODST", "15/07/2024"), ("TOPDATE", "15/07/2024")])]);
    assert!(s.load(&[&aug]).status.success());
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 2);
    let mar = s.extract("N0001_2025-03.csv", &[row(&[("CLIENTID", "C2"), ("REFLD", "10/07/2024"), ("TRIAGED", "12/07/2024"), ("REFMODDT", "12/07/2024"), ("MODST", "15/07/2024"), ("TOPDATE", "15/07/2024")])]);
    let out = s.load(&[&mar]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.dump("SELECT client_id || '/' || episode_id FROM episode"), ["Text(\"C2/E1\")"]);
    assert_eq!(s.query_i64("SELECT count(*) FROM submission WHERE period_start = DATE '2023-01-01'"), 2);
}

#[test]
fn two_digit_years_are_errors_and_only_the_outward_code_is_stored() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[("DOB", "05/05/55")]), row(&[("CLIENTID", "C2"), ("PC", "M14 5QJ")])]);
    let out = s.load(&[&f]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.dump("SELECT client_id || '/' || pc FROM episode"), ["Text(\"C2/M14\")"]);
    let messages = std::fs::read_to_string(s.path().join("dq/messages.csv")).unwrap();
    assert!(messages.contains("E_DATE_YEAR,DOB") && messages.contains("W_POSTCODE_CUT,PC"), "{messages}");
    let mut bytes = std::fs::read(s.warehouse()).unwrap();
    bytes.extend(std::fs::read(format!("{}.wal", s.warehouse().display())).unwrap_or_default());
    assert!(!bytes.windows(7).any(|w| w == b"M14 5QJ"), "the full postcode reached the warehouse file");
}

#[test]
fn reloading_the_same_file_changes_nothing() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[]), row(&[("CLIENTID", "C2"), ("EPISODID", "E2")])]);
    assert!(s.load(&[&f]).status.success());
    let before = s.dump(ALL_DATA);
    let out = s.load(&[&f]);
    assert!(out.status.success() && text(&out).contains("1 unchanged"), "{}", text(&out));
    assert_eq!(s.dump(ALL_DATA), before);
}

#[test]
fn an_older_submission_never_overwrites_a_newer_one() {
    let s = Sandbox::new();
    let mar = s.extract("N0001_2025-03.csv", &[row(&[("DRUG1", "7000")])]);
    let feb = s.extract("N0001_2025-02.csv", &[row(&[])]);
    assert!(s.load(&[&mar]).status.success());
    let out = s.load(&[&feb]);
    assert!(text(&out).contains("1 superseded"), "{}", text(&out));
    assert_eq!(s.query_i64("SELECT count(*) FROM episode WHERE drug1 = '7000'"), 1);
}

#[test]
fn a_rejected_file_changes_nothing_and_is_recorded() {
    let s = Sandbox::new();
    let good = s.extract("N0001_2025-02.csv", &[row(&[])]);
    assert!(s.load(&[&good]).status.success());
    let before = s.dump(ALL_DATA);
    let bad = s.extracts().join("N0001_2025-03.csv");
    std::fs::write(&bad, format!("{},EXTRA\n", ndtms_stats::ingest::fixtures::header())).unwrap();
    let out = s.load(&[&bad]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("N0001_2025-03.csv") && t.contains("unexpected EXTRA"), "{t}");
    assert_eq!(s.dump(ALL_DATA), before);
    assert_eq!(s.query_i64("SELECT count(*) FROM submission WHERE outcome = 'rejected'"), 1);
}

#[test]
fn rejections_in_a_batch_do_not_stop_the_good_files() {
    let s = Sandbox::new();
    let good = s.extract("N0001_2025-03.csv", &[row(&[])]);
    let unknown = s.extract("N7777_2025-03.csv", &[]);
    let out = s.load(&[&good, &unknown]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("N7777") && text(&out).contains("not in agencies.csv"), "{}", text(&out));
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 1);
}

#[test]
fn a_corrupt_warehouse_is_reported_and_left_alone() {
    let s = Sandbox::new();
    std::fs::write(s.warehouse(), b"this is not a duckdb file at all, just some text that got here").unwrap();
    let f = s.extract("N0001_2025-03.csv", &[row(&[])]);
    let out = s.load(&[&f]);
    assert!(!out.status.success());
    assert!(text(&out).contains("ndtms.duckdb"), "{}", text(&out));
    assert_eq!(std::fs::read(s.warehouse()).unwrap(), b"this is not a duckdb file at all, just some text that got here");
}

#[test]
fn missing_inputs_and_keys_are_clear_errors() {
    let s = Sandbox::new();
    let missing = s.extracts().join("N0001_2025-01.csv");
    let out = s.load(&[&missing]);
    assert!(!out.status.success() && text(&out).contains("N0001_2025-01.csv") && text(&out).contains("does not exist"), "{}", text(&out));
    let f = s.extract("N0001_2025-03.csv", &[row(&[])]);
    let out = bin().args(["load", f.to_str().unwrap(), "--warehouse", s.warehouse().to_str().unwrap()]).env_remove("NDTMS_STATS_KEY").output().unwrap();
    assert!(!out.status.success() && text(&out).contains("no attributor key"), "{}", text(&out));
}

#[test]
fn a_different_key_is_refused() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[])]);
    assert!(s.load(&[&f]).status.success());
    std::fs::write(s.key_file(), "another key entirely, also long").unwrap();
    let out = s.load(&[&f]);
    assert!(!out.status.success() && text(&out).contains("another attributor key"), "{}", text(&out));
}

#[test]
fn a_killed_load_leaves_whole_submissions_only() {
    let s = Sandbox::new();
    let month = |m: u32, n: usize| {
        let rows: Vec<String> = (0..n).map(|i| row(&[("CLIENTID", format!("C{i}").leak()), ("EPISODID", "E1")])).collect();
        s.extract(&format!("N0001_2025-{m:02}.csv"), &rows)
    };
    let files = [month(1, 50), month(2, 80), month(3, 120)];
    let refs: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    // Killed inside the second file's transaction, after its deletes and inserts.
    let mut cmd = bin();
    cmd.arg("load").args(&refs).arg("--agencies").arg(s.extracts().join("agencies.csv"));
    cmd.arg("--warehouse").arg(s.warehouse()).arg("--key-file").arg(s.key_file()).arg("--dq-out").arg(s.path().join("dq"));
    let out = cmd.env("NDTMS_STATS_CRASH_IN_FILE", "2").output().unwrap();
    assert!(!out.status.success(), "the process should have died");
    assert_eq!(s.query_i64("SELECT count(*) FROM submission WHERE outcome = 'loaded'"), 1);
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 50, "January whole, February absent");
    assert_eq!(s.query_i64("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '_stage%'"), 0);
    // Running the load again finishes the job: the same state as one clean run.
    let again = s.load(&refs);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 120);
    assert_eq!(s.query_i64("SELECT count(*) FROM submission WHERE outcome = 'loaded'"), 3);
    assert_eq!(s.query_i64("SELECT count(*) FROM submission WHERE outcome = 'unchanged'"), 1);
}

#[test]
fn withdrawn_records_leave_no_bytes_in_the_warehouse_file() {
    let s = Sandbox::new();
    let feb = s.extract("N0001_2025-02.csv", &[row(&[("PC", "QQ97"), ("EPISODID", "WDEPI")]), row(&[("CLIENTID", "C2"), ("EPISODID", "E2")])]);
    // unencrypted, so the byte scan can see what is stored
    assert!(s.load_with(&[&feb], &[std::ffi::OsStr::new(UNENCRYPTED)]).status.success());
    let bytes = |s: &Sandbox| {
        let mut b = std::fs::read(s.warehouse()).unwrap();
        b.extend(std::fs::read(format!("{}.wal", s.warehouse().display())).unwrap_or_default());
        b
    };
    let found = |b: &[u8], needle: &str| b.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(found(&bytes(&s), "WDEPI"), "the episode id is stored while consent holds");
    let mar = s.extract("N0001_2025-03.csv", &[format!("N0001,C1,N{}", ",".repeat(36)), row(&[("CLIENTID", "C2"), ("EPISODID", "E2")])]);
    let out = s.load_with(&[&mar], &[std::ffi::OsStr::new(UNENCRYPTED)]);
    assert!(out.status.success(), "{}", text(&out));
    let after = bytes(&s);
    assert!(!found(&after, "WDEPI") && !found(&after, "QQ97"), "withdrawn values remain in the file");
    assert_eq!(s.plain_query_i64("SELECT count(*) FROM episode WHERE client_id = 'C2'"), 1);
    assert_eq!(s.plain_query_i64("SELECT count(*) FROM submission"), 2, "the ledger survives the rewrite");
}

#[test]
fn a_shorter_agencies_file_never_orphans_loaded_data() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[])]);
    assert!(s.load(&[&f]).status.success());
    let only_yp = s.path().join("agencies-yp.csv");
    std::fs::write(&only_yp, "code,name,provider_organisation,commissioning_la,dataset\nY0001,Manchester Young People,CGL,E08000003,community-yp\n").unwrap();
    let out = bin()
        .arg("load").arg(&f).arg("--agencies").arg(&only_yp).arg("--warehouse").arg(s.warehouse())
        .arg("--key-file").arg(s.key_file()).arg("--dq-out").arg(s.path().join("dq2"))
        .output().unwrap();
    assert!(!out.status.success() && text(&out).contains("not in agencies.csv"), "{}", text(&out));
    assert_eq!(s.query_i64("SELECT count(*) FROM agency WHERE code = 'N0001'"), 1);
    assert_eq!(s.query_i64("SELECT count(*) FROM episode WHERE agency = 'N0001'"), 1);
}

#[test]
fn empty_or_unusable_inputs_are_errors() {
    let s = Sandbox::new();
    let empty = s.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = s.load(&[&empty]);
    assert!(!out.status.success() && text(&out).contains("no extract files"), "{}", text(&out));
    std::fs::create_dir_all(s.extracts().join("N0001_2025-03.csv")).unwrap();
    let out = s.load(&[&s.extracts()]);
    assert!(!out.status.success() && text(&out).contains("is not a readable file"), "{}", text(&out));
}

#[test]
fn the_key_can_come_from_the_environment() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[])]);
    let out = bin()
        .arg("load").arg(&f).arg("--agencies").arg(s.extracts().join("agencies.csv"))
        .arg("--warehouse").arg(s.warehouse()).arg("--dq-out").arg(s.path().join("dq"))
        .env("NDTMS_STATS_KEY", TEST_KEY)
        .output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // The same key from a file is accepted by the same warehouse.
    assert!(s.load(&[&f]).status.success());
}

#[test]
fn quoted_fields_follow_rfc_4180() {
    // A quoted comma, a doubled quote, and CRLF line ends: each field arrives whole. Commas and
    // quotes are not allowed in identifiers, so those rows are row errors on the field that
    // holds them (not ragged rows), and a quoted identifier loads without its quotes.
    let s = Sandbox::new();
    let header = ndtms_stats::ingest::fixtures::header();
    let quoted = row(&[("CLIENTID", "C,7")]);
    assert!(quoted.contains("\"C,7\""), "the fixture quotes a field with a comma");
    let doubled = row(&[("CLIENTID", "C8"), ("EPISODID", "E\"8")]).replace("E\"8", "\"E\"\"8\"");
    let plain = row(&[("CLIENTID", "C9")]).replace(",C9,", ",\"C9\",");
    let f = s.extracts().join("N0001_2025-03.csv");
    std::fs::write(&f, format!("{header}\r\n{quoted}\r\n{doubled}\r\n{plain}\r\n")).unwrap();
    let out = s.load(&[&f]);
    assert!(out.status.success(), "{}", text(&out));
    let ids = s.dump("SELECT client_id || '/' || episode_id FROM episode ORDER BY 1");
    assert_eq!(ids, ["Text(\"C9/E1\")"]);
    assert_eq!(s.query_i64("SELECT rows_total FROM submission WHERE outcome = 'loaded'"), 3);
    let messages = std::fs::read_to_string(s.path().join("dq/messages.csv")).unwrap();
    assert!(messages.contains("E_PATTERN,CLIENTID") && messages.contains("E_PATTERN,EPISODID"), "{messages}");
}

#[test]
fn a_schema_file_given_by_schema_is_the_one_applied() {
    let s = Sandbox::new();
    let f = s.extract("N0001_2025-03.csv", &[row(&[("QUALLIFE", "15")])]);
    // the built-in schema allows 0-20
    assert!(s.load(&[&f]).status.success());
    assert_eq!(s.query_i64("SELECT count(*) FROM top_record"), 1);
    // a stricter copy, named by --schema, rejects the row with the field and the reason
    let built_in = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/cds-p.toml")).unwrap();
    let stricter = built_in.replace("code = \"QUALLIFE\"\nsection = \"top\"\ntype = \"integer\"\nmin = 0\nmax = 20", "code = \"QUALLIFE\"\nsection = \"top\"\ntype = \"integer\"\nmin = 0\nmax = 10");
    assert_ne!(stricter, built_in, "the schema's QUALLIFE entry changed shape: update this test");
    let schema = s.path().join("strict.toml");
    std::fs::write(&schema, &stricter).unwrap();
    let s2 = Sandbox::new();
    let f2 = s2.extract("N0001_2025-03.csv", &[row(&[("QUALLIFE", "15")])]);
    let out = s2.load_with(&[&f2], &["--schema".as_ref(), schema.as_os_str()]);
    let messages = std::fs::read_to_string(s2.path().join("dq/messages.csv")).unwrap_or_default();
    assert!(messages.contains("QUALLIFE") && messages.contains("range"), "{}\n{messages}", text(&out));
    // a schema file with an unknown key is refused, naming the file and the key
    let broken = s.path().join("broken.toml");
    std::fs::write(&broken, built_in.replacen("adult_age = 18", "adult_age = 18\nadult_agee = 19", 1)).unwrap();
    let out = s2.load_with(&[&f2], &["--schema".as_ref(), broken.as_os_str()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("broken.toml") && text(&out).contains("adult_agee"), "{}", text(&out));
}
