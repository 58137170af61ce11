//! Removal on a small built warehouse: withdrawal, erasure by person, retention,
//! and the refusal to work on a warehouse with a table nobody classified.

use chrono::NaiveDate;

use super::*;
use crate::measures::{self, Period};
use crate::warehouse::{Warehouse, WarehouseKey};

/// Episodes (agency, client, episode, person key, referral, first intervention, discharge).
const EPISODES: [(&str, &str, &str, &str, &str, &str, Option<&str>); 5] = [
    ("N0001", "C1", "E1", "KEYONE", "2023-05-01", "2023-05-10", Some("2023-09-01")),
    ("N0001", "C1", "E2", "KEYONE", "2024-06-01", "2024-06-05", None),
    ("N0002", "C9", "EPNINE", "KEYONE", "2024-07-01", "2024-07-02", None),
    ("N0001", "C2", "E3", "KEYTWO", "2024-05-01", "2024-05-03", None),
    ("N0002", "C3", "EPFOUR", "KEYTHREE", "2022-01-01", "2022-01-05", Some("2022-06-30")),
];

pub(crate) fn built_warehouse(dir: &std::path::Path) -> Warehouse {
    let wh = Warehouse::open_with(&dir.join("w.duckdb"), &WarehouseKey::Unencrypted).unwrap();
    let conn = wh.conn();
    for (agency, client, episode, key, refld, modst, disd) in EPISODES {
        conn.execute(
            "INSERT INTO episode (agency, client_id, episode_id, person_key, link_status, sex, year_of_birth, age_at_referral, \
             age_at_triage, ethnic, la, refld, rfls, triaged, drug1, disd, disrsn, submission_id) \
             VALUES (?, ?, ?, ?, 'linked', '1', 1980, 44, 44, 'A', 'E08000003', CAST(? AS DATE), '1', CAST(? AS DATE), '1011', \
             CAST(? AS DATE), CASE WHEN ? IS NULL THEN NULL ELSE '80' END, 1)",
            duckdb::params![agency, client, episode, key, refld, refld, disd, disd],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO intervention (agency, client_id, episode_id, mod_id, modal, modset, refmoddt, modst, modend, age_at_modst, submission_id) \
             VALUES (?, ?, ?, 'M' || ?, '94', '1', CAST(? AS DATE), CAST(? AS DATE), CAST(? AS DATE), 44, 1)",
            duckdb::params![agency, client, episode, episode, modst, modst, disd],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO top_record (agency, client_id, episode_id, top_id, topdate, trstage, opiuse, submission_id) \
             VALUES (?, ?, ?, 'T' || ?, CAST(? AS DATE), 'S', 20, 1)",
            duckdb::params![agency, client, episode, episode, modst],
        )
        .unwrap();
    }
    for (agency, client) in [("N0001", "C1"), ("N0002", "C9"), ("N0001", "C2"), ("N0002", "C3")] {
        conn.execute("INSERT INTO client VALUES (?, ?, true, 1)", duckdb::params![agency, client]).unwrap();
    }
    for period in ["2023-24", "2024-25"] {
        measures::build(&wh, &Period::parse(period).unwrap()).unwrap();
    }
    wh
}

/// Rows of every warehouse table whose text contains `needle`, as `table: n`.
pub(crate) fn mentions(wh: &Warehouse, needle: &str) -> Vec<String> {
    let conn = wh.conn();
    let mut stmt = conn
        .prepare("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary ORDER BY 1")
        .unwrap();
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    tables
        .into_iter()
        .filter_map(|t| {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {t} x WHERE CAST(x AS VARCHAR) LIKE '%' || ? || '%'"), [needle], |r| r.get(0)).unwrap();
            (n > 0).then(|| format!("{t}: {n}"))
        })
        .collect()
}

#[test]
fn withdrawal_removes_the_client_and_the_persons_derived_rows_in_every_period() {
    let dir = tempfile::tempdir().unwrap();
    let wh = built_warehouse(dir.path());
    assert_eq!(wh.count("person_period").unwrap(), 3, "KEYONE in both periods, KEYTWO in 2024-25");
    assert!(mentions(&wh, "KEYONE").iter().any(|m| m.starts_with("person_period")));
    let removed = withdraw_consent(wh.conn(), "N0001", &["C1"]).unwrap();
    assert_eq!((removed.of("episode"), removed.of("intervention"), removed.of("top_record"), removed.of("client")), (2, 2, 2, 1));
    assert_eq!(removed.of("person_period"), 2, "both periods' rows");
    assert_eq!(removed.people, 1);
    assert_eq!(removed.periods, vec!["2023-24", "2024-25"]);
    assert!(mentions(&wh, "C1").is_empty(), "{:?}", mentions(&wh, "C1"));
    // The person's records at the other agency, where consent holds, stay; their derived rows
    // mixed in the withdrawn records, so they go until the next build.
    assert_eq!(mentions(&wh, "KEYONE"), vec!["episode: 1"]);
    assert_eq!(wh.count("journey").unwrap(), 2, "the other people's journeys stay");
    assert_eq!(wh.conn().query_row("SELECT clients FROM consent_withdrawal", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    measures::build(&wh, &Period::parse("2024-25").unwrap()).unwrap();
    assert_eq!(wh.conn().query_row("SELECT count(*) FROM treatment_episode WHERE person_key = 'KEYONE'", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
}

#[test]
fn erasure_by_person_reaches_every_agency() {
    let dir = tempfile::tempdir().unwrap();
    let wh = built_warehouse(dir.path());
    let removed = remove(wh.conn(), &Selection::Person("KEYONE".into())).unwrap();
    assert_eq!(removed.of("episode"), 3);
    assert_eq!(removed.of("client"), 2);
    for needle in ["KEYONE", "C1", "C9", "EPNINE"] {
        assert!(mentions(&wh, needle).is_empty(), "{needle}: {:?}", mentions(&wh, needle));
    }
    assert_eq!(wh.count("episode").unwrap(), 2);
}

#[test]
fn retention_removes_episodes_closed_before_the_date_and_what_derives_from_them() {
    let dir = tempfile::tempdir().unwrap();
    let wh = built_warehouse(dir.path());
    let removed = remove(wh.conn(), &Selection::ClosedBefore(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap())).unwrap();
    assert_eq!(removed.of("episode"), 2, "E1 (closed 2023-09) and EPFOUR (closed 2022-06)");
    assert_eq!(removed.of("client"), 1, "C3 has no episode left; C1 still has E2");
    assert_eq!(removed.people, 2);
    assert!(mentions(&wh, "EPFOUR").is_empty() && mentions(&wh, "KEYTHREE").is_empty());
    let left: Vec<String> = {
        let mut stmt = wh.conn().prepare("SELECT episode_id FROM episode ORDER BY 1").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(left, vec!["E2", "E3", "EPNINE"]);
    assert_eq!(wh.conn().query_row("SELECT count(*) FROM journey WHERE person_key = 'KEYONE'", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    assert_eq!(wh.conn().query_row("SELECT count(*) FROM journey WHERE person_key = 'KEYTWO'", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
}

#[test]
fn a_table_nobody_classified_stops_the_removal_before_anything_goes() {
    let dir = tempfile::tempdir().unwrap();
    let wh = built_warehouse(dir.path());
    wh.conn().execute_batch("CREATE TABLE mystery AS SELECT client_id FROM episode").unwrap();
    let err = remove(wh.conn(), &Selection::Person("KEYONE".into())).unwrap_err();
    assert!(err.to_string().contains("`mystery`"), "{err}");
    assert_eq!(wh.count("episode").unwrap(), 5);
}

#[test]
fn every_table_of_a_built_warehouse_is_classified() {
    let dir = tempfile::tempdir().unwrap();
    let wh = built_warehouse(dir.path());
    let staged = selection::stage(wh.conn(), &Selection::Person("nobody".into())).unwrap();
    for t in RECORD_TABLES.into_iter().chain(DERIVED_TABLES) {
        assert!(staged.has(t), "{t}");
        assert!(statement(PERSON_ROWS, &format!("rows_{t}")).contains(t));
    }
    staged.drop_selection().unwrap();
}
