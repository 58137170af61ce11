//! One test per rule of the extract format: every whole-file rejection, row
//! error and warning, consent discard and placeholder attributors.

use super::*;
use crate::schema::Severity;
use std::path::Path;

use super::fixtures::{file, header, row, AGENCIES, BASE};

fn run(name: &str, bytes: Vec<u8>) -> Result<ValidatedFile, Rejection> {
    let schema = Schema::builtin();
    let geography = Geography::embedded();
    let agencies = Agencies::parse(AGENCIES, Path::new("agencies.csv")).unwrap();
    let key = AttributorKey::from_text("test key for unit tests only", "test").unwrap();
    let ctx = IngestContext { schema: &schema, geography: &geography, agencies: &agencies, key: &key, latest_month: (2026, 12) };
    validate_file(&ctx, Path::new(name), bytes)
}

fn ok(rows: &[String]) -> ValidatedFile {
    run("N0001_2025-03.csv", file(rows)).expect("file accepted")
}

fn has(v: &ValidatedFile, sev: Severity, code: &str, field: &str) -> bool {
    v.messages.iter().any(|m| m.severity == sev && m.code == code && m.field == field)
}

/// A whole number of the first record of a record frame.
fn int(frame: &polars::prelude::DataFrame, column: &str) -> Option<i64> {
    frame.column(column).unwrap().i64().unwrap().get(0)
}

/// A text value of the first record of a record frame.
fn text<'a>(frame: &'a polars::prelude::DataFrame, column: &str) -> Option<&'a str> {
    frame.column(column).unwrap().str().unwrap().get(0)
}

/// The file's clients and their consent, by client id.
fn clients(v: &ValidatedFile) -> Vec<(String, bool)> {
    let c = &v.records.clients;
    let (ids, consent) = (c.column("client_id").unwrap().str().unwrap(), c.column("consent").unwrap().bool().unwrap());
    let mut out: Vec<(String, bool)> = (0..c.height()).map(|i| (ids.get(i).unwrap().to_string(), consent.get(i).unwrap())).collect();
    out.sort();
    out
}

#[test]
fn clean_row_loads_fully() {
    let v = ok(&[row(&[])]);
    assert_eq!((v.rows_total, v.rows_loaded, v.rows_clean), (1, 1, 1));
    assert_eq!(v.load_pct(), Some(100.0));
    assert_eq!(v.records.episodes.height(), 1);
    assert_eq!(v.records.interventions.height(), 1);
    assert_eq!(v.records.tops.height(), 1);
    let e = &v.records.episodes;
    assert!(text(e, "person_key").is_some());
    assert_eq!((int(e, "year_of_birth"), int(e, "age_at_referral"), int(e, "age_at_triage")), (Some(1980), Some(44), Some(44)));
    assert_eq!(int(&v.records.interventions, "age_at_modst"), Some(44));
}

#[test]
fn header_only_file_is_valid() {
    let v = ok(&[]);
    assert_eq!(v.rows_total, 0);
    assert_eq!(v.load_pct(), None);
}

#[test]
fn header_problems_reject_the_file_naming_every_header() {
    let missing = header().replace(",QUALLIFE", "");
    let bytes = format!("{missing}\n").into_bytes();
    let err = run("N0001_2025-03.csv", bytes).unwrap_err().to_string();
    assert!(err.contains("missing QUALLIFE"), "{err}");
    let extra = format!("{},SHOESIZE\n", header()).into_bytes();
    let err = run("N0001_2025-03.csv", extra).unwrap_err().to_string();
    assert!(err.contains("unexpected SHOESIZE"), "{err}");
    let dup = format!("{},PC,SEX\n", header()).into_bytes();
    let err = run("N0001_2025-03.csv", dup).unwrap_err().to_string();
    assert!(err.contains("duplicated PC, SEX"), "{err}");
}

#[test]
fn header_order_does_not_matter() {
    let mut fields: Vec<&str> = BASE.iter().map(|(k, _)| *k).collect();
    fields.swap(0, 38);
    let mut values: Vec<&str> = BASE.iter().map(|(_, v)| *v).collect();
    values.swap(0, 38);
    let bytes = format!("{}\n{}\n", fields.join(","), values.join(",")).into_bytes();
    let v = run("N0001_2025-03.csv", bytes).unwrap();
    assert_eq!(v.rows_clean, 1);
}

#[test]
fn agency_mismatch_rejects_the_file_with_row_numbers() {
    let err = run("N0001_2025-03.csv", file(&[row(&[]), row(&[("AGNCY", "N0002")])])).unwrap_err();
    assert_eq!(err, Rejection::AgencyMismatch { agency: "N0001".into(), rows: "3".into() });
}

#[test]
fn unknown_agency_and_bad_name_reject() {
    assert!(matches!(run("N9999_2025-03.csv", file(&[])), Err(Rejection::UnknownAgency(_))));
    assert!(matches!(run("N0001-2025-03.csv", file(&[])), Err(Rejection::Name(_))));
}

#[test]
fn structural_faults_reject_with_row_and_field() {
    let mut ragged = file(&[row(&[])]);
    ragged.extend_from_slice(b"N0001,C2\n");
    let err = run("N0001_2025-03.csv", ragged).unwrap_err().to_string();
    assert!(err.contains("row 3") && err.contains("2 fields"), "{err}");
    let mut latin1 = file(&[row(&[])]);
    let mut bad = row(&[("PC", "M?")]).into_bytes();
    let pos = bad.iter().position(|&b| b == b'?').unwrap();
    bad[pos] = 0xE9; // "é" in Latin-1
    latin1.extend(bad);
    latin1.push(b'\n');
    let err = run("N0001_2025-03.csv", latin1).unwrap_err().to_string();
    assert!(err.contains("row 3") && err.contains("UTF-8"), "{err}");
    let huge = "x".repeat(scan::MAX_FIELD_BYTES + 10);
    let err = run("N0001_2025-03.csv", file(&[row(&[("PC", huge.as_str())])])).unwrap_err().to_string();
    assert!(err.contains("row 2, field PC"), "{err}");
}

#[test]
fn bom_and_crlf_are_tolerated() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(String::from_utf8(file(&[row(&[])])).unwrap().replace('\n', "\r\n").into_bytes());
    let v = run("N0001_2025-03.csv", bytes).unwrap();
    assert_eq!(v.rows_clean, 1);
    assert_eq!(int(&v.records.tops, "quallife"), Some(10));
}

/// Each row error of the spec: the row is not loaded and the message names the field.
#[test]
fn every_row_error_is_caught() {
    let cases: &[(&[(&str, &str)], &str, &str)] = &[
        (&[("DOB", "")], "E_MISSING", "DOB"),
        (&[("CLIENTID", "")], "E_MISSING", "CLIENTID"),
        (&[("CONSENT", "")], "E_MISSING", "CONSENT"),
        (&[("FINITIAL", "")], "E_MISSING", "FINITIAL"),
        (&[("SINITIAL", "")], "E_MISSING", "SINITIAL"),
        (&[("SEX", "")], "E_MISSING", "SEX"),
        (&[("EPISODID", "")], "E_MISSING", "EPISODID"),
        (&[("REFLD", "")], "E_MISSING", "REFLD"),
        (&[("DRUG1", "")], "E_MISSING", "DRUG1"),
        (&[("FINITIAL", "7")], "E_CODE", "FINITIAL"),
        (&[("ETHNIC", "Q")], "E_CODE", "ETHNIC"),
        (&[("DISD", "20/01/2025"), ("DISRSN", "90")], "E_CODE", "DISRSN"),
        (&[("MODSET", "7")], "E_CODE", "MODSET"),
        (&[("SEX", "3")], "E_CODE", "SEX"),
        (&[("DRUG1", "9999")], "E_CODE", "DRUG1"),
        (&[("REFLD", "2025-01-10")], "E_DATE", "REFLD"),
        (&[("REFLD", "31/02/2025")], "E_DATE", "REFLD"),
        (&[("DOB", "11/01/2025"), ("TRIAGED", ""), ("MODST", ""), ("TOPID", "")], "E_ORDER", "REFLD"),
        (&[("TRIAGED", "09/01/2025")], "E_ORDER", "TRIAGED"),
        (&[("DISD", "09/01/2025"), ("DISRSN", "80")], "E_ORDER", "DISD"),
        (&[("DISD", "20/01/2025")], "E_TOGETHER", "DISRSN"),
        (&[("DISRSN", "80")], "E_TOGETHER", "DISD"),
        (&[("MODEND", "14/01/2025"), ("MODEXIT", "A")], "E_ORDER", "MODEND"),
        (&[("OPIUSE", "29")], "E_RANGE", "OPIUSE"),
        (&[("ALCUSE", "-1")], "E_RANGE", "ALCUSE"),
        (&[("CRAUSE", "29")], "E_RANGE", "CRAUSE"),
        (&[("COCAUSE", "29")], "E_RANGE", "COCAUSE"),
        (&[("AMPHUSE", "29")], "E_RANGE", "AMPHUSE"),
        (&[("CANNUSE", "29")], "E_RANGE", "CANNUSE"),
        (&[("TOPDATE", "01/04/2025")], "E_FUTURE_DATE", "TOPDATE"),
        (&[("MODSET", "")], "E_MISSING_WITH", "MODSET"),
        (&[("REFMODDT", "")], "E_MISSING_WITH", "REFMODDT"),
        (&[("TOPDATE", "")], "E_MISSING_WITH", "TOPDATE"),
        (&[("QUALLIFE", "lots")], "E_INTEGER", "QUALLIFE"),
        (&[("MODST", "01/04/2025")], "E_FUTURE_DATE", "MODST"),
        (&[("MODAL", "")], "E_MISSING_WITH", "MODAL"),
        (&[("TRSTAGE", "")], "E_MISSING_WITH", "TRSTAGE"),
        (&[("MODEND", "20/01/2025")], "E_MISSING_WITH", "MODEXIT"),
        (&[("CLIENTID", "C".repeat(21).leak())], "E_TOO_LONG", "CLIENTID"),
        (&[("CONSENT", "maybe")], "E_CODE", "CONSENT"),
    ];
    for (overrides, code, field) in cases {
        let v = ok(&[row(overrides)]);
        assert_eq!(v.rows_loaded, 0, "{code} {field}: row should not load");
        assert!(has(&v, Severity::Error, code, field), "{code} {field}: {:?}", v.messages);
        assert_eq!(v.records.episodes.height(), 0, "{code} {field}");
    }
}

/// Each warning of the spec: the row loads but lowers DQ %.
#[test]
fn every_warning_is_caught() {
    let cases: &[(&str, &[(&str, &str)], &str, &str)] = &[
        ("N0001", &[("ETHNIC", "")], "W_EXPECTED", "ETHNIC"),
        ("N0001", &[("PC", "")], "W_EXPECTED", "PC"),
        ("N0001", &[("RFLS", "")], "W_EXPECTED", "RFLS"),
        ("N0001", &[("INJSTAT", "")], "W_EXPECTED", "INJSTAT"),
        ("N0001", &[("LA", "")], "W_EXPECTED", "LA"),
        ("N0001", &[("TRIAGED", "")], "W_EXPECTED", "TRIAGED"),
        ("N0001", &[("LA", "E06099999")], "W_LA_LOOKUP", "LA"),
        ("N0001", &[("DOB", "13/01/2007")], "W_AGE_DATASET", "TRIAGED"),
        ("Y0001", &[("AGNCY", "Y0001")], "W_AGE_DATASET", "TRIAGED"),
        ("N0001", &[("DISD", "20/01/2025"), ("DISRSN", "83"), ("MODID", ""), ("MODAL", ""), ("MODSET", ""), ("REFMODDT", ""), ("MODST", "")], "W_CLOSED_NO_INTERVENTION", "DISD"),
    ];
    for (agency, overrides, code, field) in cases {
        let v = run(&format!("{agency}_2025-03.csv"), file(&[row(overrides)])).unwrap();
        assert_eq!((v.rows_loaded, v.rows_clean), (1, 0), "{code} {field}: {:?}", v.messages);
        assert!(has(&v, Severity::Warning, code, field), "{code} {field}: {:?}", v.messages);
        assert_eq!(v.records.episodes.height(), 1);
    }
}

#[test]
fn age_seventeen_fits_a_young_peoples_agency_and_eighteen_an_adult_one() {
    let yp = run("Y0001_2025-03.csv", file(&[row(&[("AGNCY", "Y0001"), ("DOB", "13/01/2007")])])).unwrap();
    assert_eq!(yp.rows_clean, 1, "{:?}", yp.messages);
    let adult = ok(&[row(&[("DOB", "12/01/2007")])]);
    assert_eq!(adult.rows_clean, 1, "{:?}", adult.messages);
}

#[test]
fn disagreeing_episode_fields_are_an_error_on_every_row() {
    let v = ok(&[row(&[]), row(&[("DRUG1", "7000"), ("MODID", "M2"), ("TOPID", "")])]);
    assert_eq!(v.rows_loaded, 0);
    assert!(has(&v, Severity::Error, "E_EPISODE_DISAGREE", "DRUG1"));
    assert_eq!(v.messages.iter().find(|m| m.code == "E_EPISODE_DISAGREE").unwrap().row_count, 2);
}

#[test]
fn disagreeing_client_fields_are_an_error_on_every_row() {
    let v = ok(&[row(&[]), row(&[("SEX", "2"), ("MODID", "M2"), ("TOPID", "")])]);
    assert_eq!(v.rows_loaded, 0);
    assert!(has(&v, Severity::Error, "E_EPISODE_DISAGREE", "SEX"));
}

#[test]
fn a_blank_or_unusable_shared_field_is_its_own_rows_error_not_a_disagreement() {
    for bad in [("DOB", ""), ("REFLD", "2025-01-10")] {
        let v = ok(&[row(&[]), row(&[bad, ("MODID", "M2"), ("TOPID", "")])]);
        assert_eq!((v.rows_total, v.rows_loaded), (2, 1), "{bad:?}: {:?}", v.messages);
        assert!(!v.messages.iter().any(|m| m.code == "E_EPISODE_DISAGREE"), "{bad:?}: {:?}", v.messages);
        assert_eq!(v.records.episodes.height(), 1);
    }
}

#[test]
fn the_last_day_of_the_submission_month_is_not_in_the_future() {
    let v = ok(&[row(&[("MODST", "31/03/2025"), ("TOPDATE", "31/03/2025")])]);
    assert_eq!(v.rows_clean, 1, "{:?}", v.messages);
}

#[test]
fn blank_lines_are_ignored() {
    let mut bytes = file(&[row(&[])]);
    bytes.extend_from_slice(b"\n\r\n");
    let v = run("N0001_2025-03.csv", bytes).unwrap();
    assert_eq!((v.rows_total, v.rows_clean), (1, 1));
    let mut middle = format!("{}\n{}\n\n{}\n", header(), row(&[]), row(&[("CLIENTID", "C2")])).into_bytes();
    middle.extend_from_slice(b"\n");
    let v = run("N0001_2025-03.csv", middle).unwrap();
    assert_eq!((v.rows_total, v.rows_clean), (2, 2), "{:?}", v.messages);
}

#[test]
fn a_file_without_its_header_row_is_rejected_without_repeating_its_values() {
    let data_only = format!("{}\n{}\n", row(&[("FINITIAL", "Q"), ("SINITIAL", "Z"), ("DOB", "17/11/1966")]), row(&[]));
    let err = run("N0001_2025-03.csv", data_only.into_bytes()).unwrap_err().to_string();
    assert!(err.contains("not a header row"), "{err}");
    for value in ["17/11/1966", "Q", "Z", "C1", "M14"] {
        assert!(!err.split(|c: char| !c.is_alphanumeric() && c != '/').any(|w| w == value), "{value} in {err}");
    }
    // A header with one stray non-code column: named by count, not by its text.
    let stray = format!("{},17/11/1966\n", header()).into_bytes();
    let err = run("N0001_2025-03.csv", stray).unwrap_err().to_string();
    assert!(err.contains("1 header(s) that are not field codes") && !err.contains("1966"), "{err}");
}

#[test]
fn a_row_error_keeps_the_other_rows_of_its_episode() {
    let v = ok(&[row(&[]), row(&[("MODID", "M2"), ("TOPID", "T2"), ("OPIUSE", "40")])]);
    assert_eq!((v.rows_total, v.rows_loaded), (2, 1));
    assert_eq!(v.records.episodes.height(), 1);
    assert_eq!(v.records.interventions.height(), 1);
    assert_eq!(v.records.tops.height(), 1);
}

#[test]
fn three_interventions_two_tops_take_three_rows() {
    let v = ok(&[row(&[]), row(&[("MODID", "M2"), ("TOPID", "T2"), ("TRSTAGE", "R")]), row(&[("MODID", "M3"), ("TOPID", ""), ("TOPDATE", ""), ("TRSTAGE", ""), ("ALCUSE", ""), ("OPIUSE", ""), ("CRAUSE", ""), ("COCAUSE", ""), ("AMPHUSE", ""), ("CANNUSE", ""), ("ACUTHPBM", ""), ("QUALLIFE", "")])]);
    assert_eq!(v.rows_clean, 3, "{:?}", v.messages);
    assert_eq!((v.records.interventions.height(), v.records.tops.height()), (3, 2));
}

#[test]
fn consent_n_row_is_reduced_to_three_fields_with_a_warning() {
    let v = ok(&[row(&[("CONSENT", "N"), ("CLIENTID", "C9"), ("EPISODID", "E9"), ("FINITIAL", "Q")])]);
    assert_eq!(v.rows_loaded, 1);
    assert!(has(&v, Severity::Warning, "W_CONSENT_DISCARDED", ""));
    assert!(v.records.episodes.height() == 0 && v.records.interventions.height() == 0 && v.records.tops.height() == 0);
    assert_eq!(clients(&v), vec![("C9".to_string(), false)]);
    let clean = ok(&[format!("N0001,C9,N{}", ",".repeat(36))]);
    assert_eq!(clean.rows_clean, 1, "{:?}", clean.messages);
}

#[test]
fn consent_n_anywhere_discards_the_clients_other_rows() {
    let v = ok(&[row(&[]), row(&[("CONSENT", "N"), ("EPISODID", "E2")])]);
    assert_eq!(v.records.episodes.height(), 0);
    assert_eq!(clients(&v), vec![("C1".to_string(), false)]);
}

#[test]
fn placeholder_attributor_is_kept_but_not_linked() {
    let v = ok(&[row(&[("FINITIAL", "X"), ("SINITIAL", "X"), ("DOB", "05/05/1955")])]);
    let e = &v.records.episodes;
    assert_eq!(text(e, "link_status"), Some(records::LinkStatus::Placeholder.as_str()));
    assert!(text(e, "person_key").is_none());
}

#[test]
fn load_and_dq_percentages_follow_the_spec() {
    let v = ok(&[row(&[]), row(&[("CLIENTID", "C2"), ("ETHNIC", "")]), row(&[("CLIENTID", "C3"), ("SEX", "")]), row(&[("CLIENTID", "C4")])]);
    assert_eq!(v.load_pct(), Some(75.0));
    assert_eq!(v.dq_pct(), Some(50.0));
}

#[test]
fn messages_never_carry_values() {
    let v = ok(&[row(&[("SEX", "7"), ("DOB", "99/99/1999"), ("FINITIAL", "#")])]);
    let text = format!("{:?}", v.messages);
    assert!(!text.contains("99/99/1999") && !text.contains('#') && !text.contains("\"7\""), "{text}");
}

#[test]
fn identifiers_and_la_codes_must_have_their_shape() {
    for (field, value) in [("CLIENTID", "+cmd|' /C calc'!A0"), ("EPISODID", "@SUM(1)"), ("MODID", "M 1"), ("TOPID", "=1"), ("LA", "@SUM(1)"), ("LA", "E0800003")] {
        let v = ok(&[row(&[(field, value)])]);
        assert_eq!(v.rows_loaded, 0, "{field} {value}");
        assert!(has(&v, Severity::Error, "E_PATTERN", field), "{field} {value}: {:?}", v.messages);
        assert!(!format!("{:?}", v.messages).contains(value), "the message repeats the value");
    }
    let fine = ok(&[row(&[("CLIENTID", "AB-12/3_x.4"), ("EPISODID", "E.1")])]);
    assert_eq!(fine.rows_clean, 1, "{:?}", fine.messages);
    // A CONSENT=N row with an unusable client id withdraws nothing and stores nothing.
    let v = ok(&[format!("N0001,+cmd|A0,N{}", ",".repeat(36))]);
    assert!(has(&v, Severity::Error, "E_PATTERN", "CLIENTID"), "{:?}", v.messages);
    assert!(clients(&v).is_empty());
}

#[test]
fn dates_have_a_four_digit_year_from_1900() {
    for (value, code) in [("05/05/55", "E_DATE_YEAR"), ("31/12/1899", "E_DATE_RANGE"), ("1/2/1980", "E_DATE"), ("01/02/80", "E_DATE_YEAR")] {
        let v = ok(&[row(&[("DOB", value)])]);
        assert_eq!(v.rows_loaded, 0, "{value}");
        assert!(has(&v, Severity::Error, code, "DOB"), "{value}: {:?}", v.messages);
    }
    let v = ok(&[row(&[("DOB", "01/01/1900"), ("FINITIAL", "Q")])]);
    assert_eq!(v.rows_loaded, 1, "{:?}", v.messages);
}

#[test]
fn only_the_outward_code_of_a_postcode_is_kept() {
    let pc = |value: &str| {
        let v = ok(&[row(&[("PC", value)])]);
        let kept = if v.records.episodes.height() == 0 { None } else { text(&v.records.episodes, "pc").map(str::to_string) };
        (kept, v)
    };
    let (kept, v) = pc("M14 5AB");
    assert_eq!(kept.as_deref(), Some("M14"));
    assert!(has(&v, Severity::Warning, "W_POSTCODE_CUT", "PC"), "{:?}", v.messages);
    assert_eq!(pc("M145AB").0.as_deref(), Some("M14"));
    for given in ["M14", "M14 5", "SW1A 1"] {
        let (kept, v) = pc(given);
        assert_eq!((kept.as_deref(), v.rows_clean), (Some(given), 1), "{:?}", v.messages);
    }
    let (kept, v) = pc("@SUM(1)");
    assert!(kept.is_none() && has(&v, Severity::Error, "E_POSTCODE", "PC"), "{:?}", v.messages);
}

#[test]
fn a_repeated_header_row_is_named_as_such() {
    let bytes = format!("{}\n{}\n{}\n{}\n", header(), row(&[]), header(), row(&[("CLIENTID", "C2")])).into_bytes();
    let err = run("N0001_2025-03.csv", bytes).unwrap_err().to_string();
    assert!(err.contains("row(s) 3 repeat the header row") && !err.contains("AGNCY differs"), "{err}");
}

#[test]
fn a_month_after_the_latest_accepted_is_rejected() {
    let err = run("N0001_2031-07.csv", file(&[row(&[])])).unwrap_err();
    assert!(matches!(err, Rejection::FutureMonth { .. }), "{err}");
    assert!(err.to_string().contains("2031-07") && err.to_string().contains("--as-of"), "{err}");
}
