//! The attacker on hand-built run folders (manifest + tidy CSV written by the test): the t14
//! case of issue 10 (twelve months of new presentations adding up to the year, one month
//! suppressed) is found exact, and is not when the month dimension is declared not additive or
//! when the attacker is told to skip the month relation (the control that shows the attacker is
//! not vacuous); the same cell in two tables of one population is one cell, of two populations
//! two; geography adds up only where declared; a declaration the data contradict is reported.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::published::Rules;
use super::relations::Skip;
use super::{attack, Report};

const MONTHS: [&str; 12] = ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"];

fn official() -> Rules {
    Rules::from_toml(&Path::new(env!("CARGO_MANIFEST_DIR")).join("suppression-rules/official.toml")).unwrap()
}

/// One CSV row: level, area code, coordinates, measure, value (`None`: `[c]`).
type Line<'a> = (&'a str, &'a str, Vec<String>, &'a str, Option<i64>);

/// Writes `<dir>/<name>/manifest.json` and the tables' CSVs; returns the run folder.
fn write_run(dir: &Path, name: &str, parent: Value, tables: &[(Value, Vec<Line>)]) -> PathBuf {
    let run = dir.join(name);
    std::fs::create_dir_all(run.join("csv")).unwrap();
    let mut entries = Vec::new();
    for (t, lines) in tables {
        let id = t["id"].as_str().unwrap();
        let dims: Vec<&str> = t["dimensions"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        let mut text = format!("table,period,geography_level,area_code,area_name,{}measure,value,marker\n", dims.iter().map(|d| format!("{d},")).collect::<String>());
        for (level, area, coords, measure, value) in lines {
            let (v, m) = value.map_or((String::new(), "[c]"), |v| (v.to_string(), ""));
            text.push_str(&format!("{id},2024-25,{level},{area},{area},{}{measure},{v},{m}\n", coords.iter().map(|c| format!("{c},")).collect::<String>()));
        }
        std::fs::write(run.join(format!("csv/{id}.csv")), text).unwrap();
        let mut entry = t.clone();
        entry["file"] = json!(format!("csv/{id}.csv"));
        entries.push(entry);
    }
    let manifest = json!({"product": "fixture", "period": {"start": "2024-04-01", "end": "2025-03-31"}, "geography": {"parent": parent}, "tables": entries});
    std::fs::write(run.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    run
}

/// The t14 case: England and North West by month. New presentations of England's twelve
/// months add up to the year (138), December is `[c]` (4); adults in treatment do not add up
/// (one person is in treatment in many months), England's June is `[c]`. `month` is the
/// manifest entry of the month dimension.
fn t14(dir: &Path, month: Value) -> PathBuf {
    let new = [12, 11, 10, 13, 9, 12, 14, 11, 4, 15, 13, 14];
    let in_treatment = [60, 61, 59, 62, 58, 60, 63, 61, 57, 60, 62, 64];
    let mut lines: Vec<Line> = Vec::new();
    for (area, level, scale) in [("E92000001", "england", 1), ("E12000002", "region", 2)] {
        lines.push((level, area, vec!["Total".into()], "new_presentations", Some(new.iter().sum::<i64>() * scale)));
        lines.push((level, area, vec!["Total".into()], "in_treatment", Some(95 * scale)));
        for (i, m) in MONTHS.iter().enumerate() {
            let hide_new = area == "E92000001" && *m == "2024-12";
            let hide_it = area == "E92000001" && *m == "2024-06";
            lines.push((level, area, vec![m.to_string()], "new_presentations", (!hide_new).then_some(new[i] * scale)));
            lines.push((level, area, vec![m.to_string()], "in_treatment", (!hide_it).then_some(in_treatment[i] * scale)));
        }
    }
    let table = json!({"id": "t14", "title": "Adults in treatment and new presentations by month", "measures": ["in_treatment", "new_presentations"],
        "dimensions": [month], "geography_levels": ["england", "region"], "additive_geography": false, "population": "adult"});
    write_run(dir, "release-2024-25", json!({"E12000002": "E92000001"}), &[(table, lines)])
}

fn month(extra: Value) -> Value {
    let mut d = json!({"name": "month", "categories": MONTHS, "total": "Total"});
    d.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    d
}

fn run(dirs: &[&Path], skip: &Skip) -> Report {
    let report = attack(dirs, &official(), skip);
    println!("{report}");
    report
}

#[test]
fn t14_months_of_new_presentations_adding_up_to_the_year_give_the_suppressed_month_away() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&[&t14(dir.path(), month(json!({"additive_measures": ["new_presentations"]})))], &Skip::default());
    assert_eq!((r.suppressed, r.exact, r.narrow, r.in_range), (2, 1, 0, 1), "{r}");
    let found = &r.exact_examples[0];
    assert_eq!(found.cell, "adult|new_presentations|2024-04-01/2025-03-31|E92000001|month=2024-12", "{r}");
    assert_eq!((found.lo, found.hi), (4.0, 4.0), "{r}");
    assert!(found.groups.iter().any(|g| g.contains("month adds up (new_presentations)")), "{r}");
    assert!(r.contradicted.is_empty(), "the months of in_treatment are declared not to add up: {r}");
}

#[test]
fn t14_month_dimension_declared_not_additive_gives_nothing_away() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&[&t14(dir.path(), month(json!({"additive": false})))], &Skip::default());
    assert_eq!((r.suppressed, r.exact, r.narrow, r.in_range, r.relations), (2, 0, 0, 0, 0), "{r}");
}

/// Control: the same t14 fixture, the attacker told not to use the month relation: what was
/// exact is not, so the exact finding above comes from that relation.
#[test]
fn control_without_the_month_relation_the_t14_cell_is_not_exact() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&[&t14(dir.path(), month(json!({"additive_measures": ["new_presentations"]})))], &Skip { dimensions: vec!["month".into()] });
    assert_eq!((r.exact, r.narrow, r.in_range), (0, 0, 0), "{r}");
}

#[test]
fn an_additivity_the_data_contradict_is_reported() {
    // no additive_measures: the contract says every measure adds up, North West's in_treatment
    // does not; England's would need a negative June, so that cell is bounded without the group
    let dir = tempfile::tempdir().unwrap();
    let r = run(&[&t14(dir.path(), month(json!({})))], &Skip::default());
    assert_eq!(r.contradicted.keys().collect::<Vec<_>>(), ["release-2024-25/t14: month adds up (in_treatment)"], "{r}");
    assert_eq!((r.exact, r.inconsistent, r.retried, r.doubtful), (1, 0, 1, 0), "only new presentations' December: {r}");
}

/// A table by sex (male and female `[c]`, total published) and a table showing male alone.
fn two_tables(dir: &Path, second_population: &str) -> PathBuf {
    let sex = json!({"name": "sex", "categories": ["male", "female"], "total": "Total"});
    let a = json!({"id": "t01", "measures": ["in_treatment"], "dimensions": [sex.clone()], "population": "adult"});
    let b = json!({"id": "t02", "measures": ["in_treatment"], "dimensions": [json!({"name": "sex", "categories": ["male"], "total": "Total", "additive": false})], "population": second_population});
    let e = |c: &str, v: Option<i64>| -> Line { ("england", "E92000001", vec![c.to_string()], "in_treatment", v) };
    write_run(dir, "run", json!({}), &[(a, vec![e("Total", Some(20)), e("male", None), e("female", None)]), (b, vec![e("male", Some(17))])])
}

#[test]
fn the_same_cell_in_two_tables_of_one_population_is_one_cell_of_two_populations_two() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&[&two_tables(&dir.path().join("same"), "adult")], &Skip::default());
    // male published in t02 (17) and female = 20 - 17 = 3
    assert_eq!((r.suppressed, r.exact, r.in_range), (2, 2, 1), "{r}");
    let r = run(&[&two_tables(&dir.path().join("other"), "young_people")], &Skip::default());
    assert_eq!((r.suppressed, r.exact, r.narrow, r.in_range), (2, 0, 0, 0), "{r}");
}

#[test]
fn areas_add_up_to_their_parent_only_where_the_table_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let table = |additive: bool| json!({"id": "t09", "measures": ["deaths"], "dimensions": [], "additive_geography": additive, "population": "adult"});
    let lines = || -> Vec<Line> { vec![("england", "E92000001", vec![], "deaths", Some(20)), ("region", "E12000001", vec![], "deaths", None), ("region", "E12000002", vec![], "deaths", Some(16))] };
    let parent = json!({"E12000001": "E92000001", "E12000002": "E92000001"});
    let r = run(&[&write_run(&dir.path().join("yes"), "run", parent.clone(), &[(table(true), lines())])], &Skip::default());
    assert_eq!((r.exact, r.in_range), (1, 1), "{r}");
    assert!(r.exact_examples[0].groups[0].contains("england = sum of its areas (deaths)"), "{r}");
    let r = run(&[&write_run(&dir.path().join("no"), "run", parent, &[(table(false), lines())])], &Skip::default());
    assert_eq!((r.exact, r.narrow, r.in_range), (0, 0, 0), "{r}");
}
