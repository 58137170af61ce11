//! Personal data controls end to end (issue 12): encryption at rest, withdrawal
//! and erasure leaving no byte of the person in the file, subject access,
//! retention, the access log and owner-only files.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::NaiveDate;
use ndtms_stats::ingest::AttributorKey;

use crate::common::*;

const CLIENT: &str = "ZQCLIENT42";
const EPISODE: &str = "ZQEPISODE42";
/// The fixture row's attributor (initials A B, born 01/02/1980, male).
const ATTRIBUTOR: &str = "AB,01/02/1980,1";

fn person_key() -> String {
    AttributorKey::from_text(TEST_KEY, "tests").unwrap().person_key("A", "B", NaiveDate::from_ymd_opt(1980, 2, 1).unwrap(), "1")
}

/// The warehouse file and its write-ahead log, as bytes.
fn file_bytes(s: &Sandbox) -> Vec<u8> {
    let mut b = std::fs::read(s.warehouse()).unwrap();
    b.extend(std::fs::read(format!("{}.wal", s.warehouse().display())).unwrap_or_default());
    b
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs the binary in the sandbox with its warehouse and extra arguments.
fn run(s: &Sandbox, args: &[&str]) -> std::process::Output {
    bin().current_dir(s.path()).args(args).arg("--warehouse").arg(s.warehouse()).output().unwrap()
}

/// February: the person (linked, in treatment) and another client; built for 2024-25.
fn loaded_and_built(s: &Sandbox, extra: &[&str]) {
    let feb = s.extract(
        "N0001_2025-02.csv",
        &[row(&[("CLIENTID", CLIENT), ("EPISODID", EPISODE)]), row(&[("CLIENTID", "C2"), ("EPISODID", "OTHEREPI"), ("FINITIAL", "Q")])],
    );
    let extra: Vec<&std::ffi::OsStr> = extra.iter().map(std::ffi::OsStr::new).collect();
    let out = s.load_with(&[&feb], &extra);
    assert!(out.status.success(), "{}", text(&out));
    let mut args = vec!["build", "--period", "2024-25"];
    args.extend(extra.iter().map(|a| a.to_str().unwrap()));
    let out = run(s, &args);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn an_encrypted_warehouse_holds_no_id_in_clear_and_opens_only_with_its_key() {
    let s = Sandbox::new();
    loaded_and_built(&s, &[]);
    assert_eq!(mode(&s.warehouse()), 0o600, "the warehouse is owner-only");
    let bytes = file_bytes(&s);
    for needle in [CLIENT, EPISODE, &person_key()[..32], "episode", "person_period"] {
        assert!(!holds(&bytes, needle), "{needle} is readable in the encrypted file");
    }
    assert_eq!(s.query_i64(&format!("SELECT count(*) FROM episode WHERE client_id = '{CLIENT}'")), 1, "readable with the key");

    let no_key = bin().args(["build", "--period", "2024-25", "--warehouse"]).arg(s.warehouse()).env_remove("NDTMS_STATS_WAREHOUSE_KEY").output().unwrap();
    assert!(!no_key.status.success());
    assert!(text(&no_key).contains("no warehouse key: pass --warehouse-key-file"), "{}", text(&no_key));
    let plain = run(&s, &["build", "--period", "2024-25", UNENCRYPTED]);
    assert!(text(&plain).contains("is encrypted and cannot be opened without its warehouse key"), "{}", text(&plain));
    let other_key = s.path().join("other.key");
    std::fs::write(&other_key, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100").unwrap();
    let wrong = run(&s, &["build", "--period", "2024-25", "--warehouse-key-file", other_key.to_str().unwrap()]);
    assert!(!wrong.status.success() && text(&wrong).contains("cannot be decrypted with the warehouse key given"), "{}", text(&wrong));
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 2, "failed opens changed nothing");
}

#[test]
fn an_unencrypted_warehouse_is_refused_a_key_and_holds_the_ids_in_clear() {
    let s = Sandbox::new();
    loaded_and_built(&s, &[UNENCRYPTED]);
    assert!(holds(&file_bytes(&s), EPISODE), "the control: without encryption the ids are in the file");
    let keyed = run(&s, &["build", "--period", "2024-25"]);
    assert!(text(&keyed).contains("is not encrypted, but a warehouse key was given"), "{}", text(&keyed));
}

#[test]
fn after_build_and_withdrawal_no_byte_of_the_person_remains() {
    let s = Sandbox::new();
    loaded_and_built(&s, &[UNENCRYPTED]);
    let key = person_key();
    let before = file_bytes(&s);
    for needle in [CLIENT, EPISODE, key.as_str()] {
        assert!(holds(&before, needle), "{needle} should be in the file before the withdrawal (or the scan proves nothing)");
    }
    assert!(run(&s, &["build", "--period", "2023-24", UNENCRYPTED]).status.success(), "a second period");
    let mar = s.extract("N0001_2025-03.csv", &[format!("N0001,{CLIENT},N{}", ",".repeat(36)), row(&[("CLIENTID", "C2"), ("EPISODID", "OTHEREPI"), ("FINITIAL", "Q")])]);
    let out = s.load_with(&[&mar], &[std::ffi::OsStr::new(UNENCRYPTED)]);
    assert!(out.status.success(), "{}", text(&out));
    let after = file_bytes(&s);
    for needle in [CLIENT, EPISODE, key.as_str()] {
        assert!(!holds(&after, needle), "{needle} is still in the warehouse file after the withdrawal");
    }
    let plain = |sql: &str| s.plain_query_i64(sql);
    assert_eq!(plain("SELECT count(*) FROM episode WHERE client_id = 'C2'"), 1, "the other client stays");
    assert_eq!(plain("SELECT count(*) FROM journey"), 1, "the other client's journey stays");
    assert_eq!(plain("SELECT clients FROM consent_withdrawal"), 1, "the withdrawal is counted, without the id");
}

#[test]
fn subject_access_reports_everything_held_and_logs_no_personal_data() {
    let s = Sandbox::new();
    loaded_and_built(&s, &[]);
    let out = run(&s, &["subject-access", "--agency", "N0001", "--client", CLIENT, "--out", "sar"]);
    assert!(out.status.success(), "{}", text(&out));
    let dir = s.path().join("sar");
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let html_path = files.iter().find(|f| f.extension().is_some_and(|x| x == "html")).unwrap();
    let csv_path = files.iter().find(|f| f.extension().is_some_and(|x| x == "csv")).unwrap();
    assert!(files.iter().all(|f| mode(f) == 0o600 && !f.display().to_string().contains(CLIENT)));
    let html = std::fs::read_to_string(html_path).unwrap();
    for expected in [EPISODE, "Interventions", "Derived: treatment journeys", "Derived: reporting periods", "2024-25", "N0001_2025-02.csv"] {
        assert!(html.contains(expected), "{expected} missing from the report");
    }
    assert!(!html.contains("OTHEREPI"), "another client's episode is in the report");
    let csv = read_csv(csv_path);
    assert_eq!(csv[0], vec!["section", "row", "field", "value"]);
    assert!(csv.iter().any(|r| r[0] == "episode" && r[2] == "episode_id" && r[3] == EPISODE));
    assert!(csv.iter().any(|r| r[0] == "person_period" && r[2] == "person_key" && r[3] == person_key()));

    let by_attributor = run(&s, &["subject-access", "--attributor", ATTRIBUTOR, "--key-file", s.key_file().to_str().unwrap(), "--out", "sar2"]);
    assert!(by_attributor.status.success() && text(&by_attributor).contains("1 person key"), "{}", text(&by_attributor));
    let bad_key = s.path().join("bad.key");
    std::fs::write(&bad_key, "another attributor key, long enough").unwrap();
    let refused = run(&s, &["subject-access", "--attributor", ATTRIBUTOR, "--key-file", bad_key.to_str().unwrap()]);
    assert!(text(&refused).contains("not the one"), "{}", text(&refused));

    let log = run(&s, &["log"]);
    let log_text = text(&log);
    assert!(log.status.success(), "{log_text}");
    assert!(log_text.contains("subject-access") && log_text.contains("[withheld]"), "{log_text}");
    for secret in [CLIENT, "01/02/1980", "AB,"] {
        assert!(!log_text.contains(secret), "the access log shows {secret}:\n{log_text}");
    }
}

#[test]
fn erasure_by_attributor_leaves_no_byte_of_the_person() {
    let s = Sandbox::new();
    loaded_and_built(&s, &[UNENCRYPTED]);
    let key_file = s.key_file();
    let dry = run(&s, &["erase", "--attributor", ATTRIBUTOR, "--key-file", key_file.to_str().unwrap(), "--dry-run", UNENCRYPTED]);
    assert!(text(&dry).contains("would remove") && text(&dry).contains("episode 1"), "{}", text(&dry));
    assert!(holds(&file_bytes(&s), EPISODE), "a dry run removes nothing");
    let out = run(&s, &["erase", "--attributor", ATTRIBUTOR, "--key-file", key_file.to_str().unwrap(), UNENCRYPTED]);
    assert!(out.status.success() && text(&out).contains("removed: rows removed"), "{}", text(&out));
    let bytes = file_bytes(&s);
    for needle in [CLIENT, EPISODE, person_key().as_str()] {
        assert!(!holds(&bytes, needle), "{needle} is still in the file after erasure");
    }
    let log = text(&run(&s, &["log", UNENCRYPTED]));
    assert!(log.contains("erase") && log.contains("rows removed: treatment_episode 1"), "{log}");

    // By agency and CLIENTID: the other client goes too, and its id is not in the log.
    assert!(holds(&bytes, "OTHEREPI"), "the other client stays after the first erasure");
    let out = run(&s, &["erase", "--agency", "N0001", "--client", "C2", UNENCRYPTED]);
    assert!(out.status.success() && text(&out).contains("episode 1") && text(&out).contains("client 1"), "{}", text(&out));
    assert!(!holds(&file_bytes(&s), "OTHEREPI"), "OTHEREPI is still in the file after erasure by agency and client");
    assert_eq!(s.plain_query_i64("SELECT count(*) FROM journey"), 0, "no journey is left");
    let log = text(&run(&s, &["log", UNENCRYPTED]));
    assert!(log.contains("[withheld]") && !log.contains("\"C2\""), "{log}");
    let unknown = run(&s, &["erase", "--agency", "N0001", "--client", "NOSUCH", UNENCRYPTED]);
    assert!(unknown.status.success() && text(&unknown).contains("episode 0"), "{}", text(&unknown));
}

#[test]
fn purge_removes_episodes_closed_before_the_date_and_reports_them() {
    let s = Sandbox::new();
    let old = row(&[("CLIENTID", CLIENT), ("EPISODID", EPISODE), ("REFLD", "01/02/2022"), ("TRIAGED", "01/02/2022"), ("REFMODDT", "01/02/2022"), ("MODST", "02/02/2022"), ("TOPDATE", "02/02/2022"), ("DISD", "01/06/2022"), ("DISRSN", "80")]);
    let f = s.extract("N0001_2022-08.csv", &[old]);
    assert!(s.load(&[&f]).status.success());
    let now = s.extract("N0001_2025-03.csv", &[row(&[("CLIENTID", "C2"), ("EPISODID", "E2")])]);
    assert!(s.load(&[&now]).status.success());
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 2);
    let out = run(&s, &["purge", "--closed-before", "2023-01-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("episode 1") && text(&out).contains("client 1"), "{}", text(&out));
    assert_eq!(s.query_i64(&format!("SELECT count(*) FROM episode WHERE client_id = '{CLIENT}'")), 0);
    assert_eq!(s.query_i64("SELECT count(*) FROM episode"), 1, "the open episode stays");
    let future = run(&s, &["purge", "--closed-before", "2999-01-01"]);
    assert!(!future.status.success() && text(&future).contains("after today"), "{}", text(&future));
}

#[test]
fn the_access_log_records_who_what_inputs_and_outputs_and_never_keys() {
    let s = Sandbox::new();
    loaded_and_built(&s, &[]);
    let report = s.path().join("linkage");
    let out = run(&s, &["build", "--period", "2024-25", "--linkage-report", report.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(mode(&report), 0o700);
    assert_eq!(mode(&report.join("linkage-quality.csv")), 0o600);
    assert_eq!(mode(&report.join("linkage-quality.html")), 0o600);
    let csv = text(&run(&s, &["log", "--csv"]));
    let rows = csv::ReaderBuilder::new().from_reader(csv.as_bytes()).records().map(Result::unwrap).collect::<Vec<_>>();
    let commands: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
    assert_eq!(commands, vec!["load", "build", "build"], "{csv}");
    assert!(rows.iter().all(|r| r[1].contains("(uid ") && &r[6] == "ok"));
    let extract = s.extracts().join("N0001_2025-02.csv");
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&extract).unwrap()))
    };
    assert!(rows[0][4].contains(&sha), "the load's inputs carry the extract's hash: {}", &rows[0][4]);
    assert!(rows[2][5].contains("linkage-quality.html"), "the outputs: {}", &rows[2][5]);
    assert!(!csv.contains(TEST_KEY) && !csv.contains(TEST_WAREHOUSE_KEY), "key material in the log");
    let again = text(&run(&s, &["log", "--latest", "1"]));
    assert!(again.contains("  log  ok") && !again.contains("  build  "), "the latest entry is the log's own: {again}");
}

#[test]
fn new_keys_are_owner_only_never_overwritten_and_never_the_attributor_key() {
    let s = Sandbox::new();
    let key = s.path().join("w.key");
    let out = bin().args(["new-key", "--out"]).arg(&key).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(mode(&key), 0o600);
    let again = bin().args(["new-key", "--out"]).arg(&key).output().unwrap();
    assert!(!again.status.success(), "a key file was overwritten");
    // A warehouse key that is also the attributor key is refused.
    std::fs::write(s.key_file(), TEST_WAREHOUSE_KEY).unwrap();
    let f = s.extract("N0001_2025-03.csv", &[row(&[])]);
    let out = s.load(&[&f]);
    assert!(text(&out).contains("the warehouse key and the attributor key are the same secret"), "{}", text(&out));
}
