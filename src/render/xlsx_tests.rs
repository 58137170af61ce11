//! Read-back tests of the workbook with calamine: the same values and
//! markers as the tidy CSV, numbers stored as numbers, real Excel Tables,
//! no merged cells, valid unique sheet names.

use calamine::{open_workbook, Data, Reader, Xlsx};

use super::*;
use crate::output::fixtures::{hierarchical_table, small_table};
use crate::output::tidy_csv_string;

fn cover() -> WorkbookCover {
    WorkbookCover {
        title: "Substance misuse treatment for adults: statistics 2024 to 2025".into(),
        period: "April 2024 to March 2025".into(),
        source: "National Drug Treatment Monitoring System (NDTMS)".into(),
        rules: "Counts 1 to 4 suppressed; secondary suppression applied.".into(),
        contact: "statistics@example.org".into(),
        revisions: "No revisions.".into(),
        notes: vec!["People are counted once per area.".into()],
    }
}

fn written() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.xlsx");
    write_workbook(&path, &cover(), &[small_table(), hierarchical_table()]).unwrap();
    (dir, path)
}

#[test]
fn sheets_are_cover_contents_notes_then_one_per_table() {
    let (_dir, path) = written();
    let workbook: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(workbook.sheet_names(), ["Cover", "Contents", "Notes", "t01", "t02"]);
}

#[test]
fn table_sheet_has_title_in_a1_and_values_matching_the_csv() {
    let (_dir, path) = written();
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let range = workbook.worksheet_range("t01").unwrap();
    assert_eq!(range.start(), Some((0, 0)), "table sheet starts at A1");
    assert_eq!(range.get_value((0, 0)), Some(&Data::String("Table t01: People in treatment by substance group and sex".into())));
    let header: Vec<String> = (0..8).map(|c| range.get_value((2, c)).unwrap().to_string()).collect();
    assert_eq!(header, ["Period", "Geography level", "Area code", "Area name", "Substance group", "Sex", "Measure", "Value"]);

    let csv = tidy_csv_string(&small_table()).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut checked = 0;
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let r = 3 + i as u32;
        assert_eq!(range.get_value((r, 2)).unwrap().to_string(), record[3], "area code row {r}");
        assert_eq!(range.get_value((r, 4)).unwrap().to_string(), record[5], "category row {r}");
        assert_eq!(range.get_value((r, 6)).unwrap().to_string(), record[7], "measure row {r}");
        match (&record[8], &record[9]) {
            (value, "") => {
                let expected: f64 = value.parse().unwrap();
                match range.get_value((r, 7)) {
                    Some(Data::Float(v)) => assert!((v - expected).abs() < 1e-6, "row {r}: {v} vs {expected}"),
                    other => panic!("row {r}: number stored as {other:?}"),
                }
            }
            ("", marker) => assert_eq!(range.get_value((r, 7)), Some(&Data::String(marker.to_string())), "row {r}"),
            other => panic!("CSV row has both value and marker: {other:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, small_table().rows.len());
    assert!(checked > 0);
}

#[test]
fn data_are_real_excel_tables_and_nothing_is_merged() {
    let (_dir, path) = written();
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    workbook.load_tables().unwrap();
    assert_eq!(workbook.table_names_in_sheet("t01"), [&"table_t01".to_string()]);
    assert_eq!(workbook.table_names_in_sheet("Contents").len(), 1);
    assert_eq!(workbook.table_names_in_sheet("Notes").len(), 1);
    let table = workbook.table_by_name("table_t01").unwrap();
    assert_eq!(table.columns().last().map(String::as_str), Some("Value"));
    assert_eq!(table.data().height(), small_table().rows.len());
    for sheet in ["Cover", "Contents", "Notes", "t01", "t02"] {
        assert!(workbook.merge_cells_by_sheet_name(sheet).unwrap().is_empty(), "{sheet} has merged cells");
    }
}

#[test]
fn notes_sheet_explains_every_marker_and_table_note() {
    let (_dir, path) = written();
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let range = workbook.worksheet_range("Notes").unwrap();
    let texts: Vec<String> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("|")).collect();
    for marker in ["[c] means confidential", "[x] means not available", "[z] means not applicable"] {
        assert!(texts.iter().any(|t| t.contains(marker)), "{marker} missing from {texts:?}");
    }
    assert!(texts.iter().any(|t| t.starts_with("Note 2|t01|Completion rate")), "{texts:?}");
}

#[test]
fn contents_links_each_table_sheet() {
    let (_dir, path) = written();
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let range = workbook.worksheet_range("Contents").unwrap();
    assert_eq!(range.get_value((3, 0)), Some(&Data::String("t01".into())));
    assert_eq!(range.get_value((4, 1)), Some(&Data::String("New presentations by substance group".into())));
}

#[test]
fn sheet_names_are_valid_and_unique() {
    let mut long = small_table();
    long.id = "a_table_id_that_is_much_longer_than_excel_allows".into();
    let mut twin = long.clone();
    twin.id = "A_TABLE_ID_THAT_IS_MUCH_LONGER_THAN_EXCEL_ALLOWS_TOO".into();
    let mut notes = small_table();
    notes.id = "Notes".into();
    let names = sheet_names(&[long, twin, notes]);
    assert!(names.iter().all(|n| n.chars().count() <= 31), "{names:?}");
    let lower: BTreeSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    assert_eq!(lower.len(), 3);
    assert!(!lower.contains("notes"));
}
