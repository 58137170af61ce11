//! The load path's withdrawal against the general one ([`crate::warehouse::erase::withdraw_consent`]):
//! on the same built warehouse, every table ends the same.

use super::*;
use crate::warehouse::erase::tests::built_warehouse;
use crate::warehouse::erase::withdraw_consent;
use crate::warehouse::Warehouse;

/// Every table's rows as text, sorted (the withdrawal's timestamp left out).
fn tables(wh: &Warehouse) -> Vec<(String, Vec<String>)> {
    let conn = wh.conn();
    let names: Vec<String> = selection::warehouse_tables(conn).unwrap();
    names
        .into_iter()
        .map(|t| {
            let sql = match t.as_str() {
                "consent_withdrawal" => "SELECT CAST(ROW(agency, clients) AS VARCHAR) FROM consent_withdrawal ORDER BY 1".to_string(),
                _ => format!("SELECT CAST(x AS VARCHAR) FROM {t} x ORDER BY 1"),
            };
            let mut stmt = conn.prepare(&sql).unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect();
            (t, rows)
        })
        .collect()
}

fn load_path(wh: &Warehouse, agency: &str, clients: &[&str]) -> u64 {
    wh.begin_load().unwrap();
    let reach = Reach::read(wh.conn()).unwrap();
    stage(wh.conn(), clients).unwrap();
    withdraw(wh.conn(), &reach, agency, clients.len(), true).unwrap()
}

#[test]
fn the_load_path_withdrawal_removes_what_the_general_one_removes() {
    for (agency, clients) in [("N0001", vec!["C1"]), ("N0002", vec!["C3", "C9"]), ("N0001", vec!["C2", "NOBODY"])] {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (general, fast) = (built_warehouse(a.path()), built_warehouse(b.path()));
        let before = tables(&fast);
        let removed = withdraw_consent(general.conn(), agency, &clients).unwrap();
        assert_eq!(load_path(&fast, agency, &clients), removed.total(), "{agency} {clients:?}");
        assert!(removed.total() > 0);
        let after = tables(&fast);
        assert_ne!(before, after);
        assert_eq!(tables(&general), after, "{agency} {clients:?}");
    }
}

#[test]
fn without_stored_records_only_derived_rows_are_taken() {
    let dir = tempfile::tempdir().unwrap();
    let wh = built_warehouse(dir.path());
    wh.begin_load().unwrap();
    let reach = Reach::read(wh.conn()).unwrap();
    stage(wh.conn(), &["C1"]).unwrap();
    let removed = withdraw(wh.conn(), &reach, "N0001", 1, false).unwrap();
    assert!(removed > 0, "the treatment episodes built from C1");
    assert_eq!(wh.count("episode").unwrap(), 5, "records are the caller's to leave out");
    assert_eq!(wh.conn().query_row("SELECT count(*) FROM treatment_episode WHERE client_id = 'C1'", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
}

#[test]
fn a_table_nobody_classified_stops_the_withdrawal() {
    let dir = tempfile::tempdir().unwrap();
    let wh = built_warehouse(dir.path());
    wh.conn().execute_batch("CREATE TABLE mystery AS SELECT client_id FROM episode").unwrap();
    wh.begin_load().unwrap();
    let reach = Reach::read(wh.conn()).unwrap();
    stage(wh.conn(), &["C1"]).unwrap();
    let err = withdraw(wh.conn(), &reach, "N0001", 1, true).unwrap_err();
    assert!(err.to_string().contains("`mystery`"), "{err}");
    assert_eq!(wh.count("episode").unwrap(), 5);
}
