//! Small hand-made tables shared by the output and render tests.

use std::collections::BTreeMap;

use super::{
    AuditRecord, CellCoordinates, DimensionMeta, FileHash, GeographyLevel, Manifest, ManifestGeography, ManifestTable, Marker,
    OutputTable, Period, SuppressedCell, SuppressionReason, TidyRow,
};

/// A row with a value (`marker` none) or a marker (`value` none).
pub(crate) fn row(level: GeographyLevel, code: &str, name: &str, categories: &[&str], measure: &str, value: Option<f64>) -> TidyRow {
    TidyRow {
        period: "2024-25".into(),
        geography_level: level,
        area_code: code.into(),
        area_name: name.into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        measure: measure.into(),
        value,
        marker: if value.is_some() { Marker::None } else { Marker::Confidential },
    }
}

/// t01: in treatment and completion rate by substance group and sex, for
/// England and one region, with a suppressed cell and its rate.
pub(crate) fn small_table() -> OutputTable {
    use GeographyLevel::{England, Region};
    let e = (England, "E92000001", "England");
    let r = (Region, "E12000002", "North West");
    let mut rows = Vec::new();
    for (level, code, name) in [e, r] {
        let scale = if level == England { 10.0 } else { 1.0 };
        for (substance, sex, count) in [("opiate", "male", 120.0), ("opiate", "female", 3.0), ("alcohol only", "Total", 57.0), ("Total", "Total", 180.0)] {
            let count = if level == Region && count < 5.0 { None } else { Some(count * scale) };
            rows.push(row(level, code, name, &[substance, sex], "in_treatment", count));
            let rate = count.map(|c| (c * 0.3).round() / c);
            rows.push(row(level, code, name, &[substance, sex], "completion_rate", rate));
        }
    }
    let mut na = row(Region, "E12000002", "North West", &["alcohol only", "female"], "in_treatment", None);
    na.marker = Marker::NotAvailable;
    rows.push(na);
    OutputTable {
        id: "t01".into(),
        title: "People in treatment by substance group and sex".into(),
        measures: vec!["in_treatment".into(), "completion_rate".into()],
        dimensions: vec![
            DimensionMeta::new("substance_group", ["opiate", "alcohol only"]),
            DimensionMeta::new("sex", ["male", "female"]),
        ],
        geography_levels: vec![England, Region],
        additive_geography: true,
        population: "adult".into(),
        notes: vec!["Completion rate is successful completions divided by people in treatment.".into()],
        rows,
    }
}

/// t02: a hierarchical substance dimension (opiate split by crack use).
pub(crate) fn hierarchical_table() -> OutputTable {
    let parent = BTreeMap::from([("opiate and crack".to_string(), "opiate".to_string()), ("opiate not crack".to_string(), "opiate".to_string())]);
    let england = |categories: &[&str], value: f64| row(GeographyLevel::England, "E92000001", "England", categories, "new_presentations", Some(value));
    OutputTable {
        id: "t02".into(),
        title: "New presentations by substance group".into(),
        measures: vec!["new_presentations".into()],
        dimensions: vec![DimensionMeta::new("substance_group", ["opiate", "opiate and crack", "opiate not crack", "alcohol only"]).with_parent(parent)],
        geography_levels: vec![GeographyLevel::England],
        additive_geography: false,
        population: "adult".into(),
        notes: vec![],
        rows: vec![
            england(&["opiate"], 30.0),
            england(&["opiate and crack"], 12.0),
            england(&["opiate not crack"], 18.0),
            england(&["alcohol only"], 20.0),
            england(&["Total"], 50.0),
        ],
    }
}

/// A manifest listing [`small_table`] only.
pub(crate) fn sample_manifest() -> Manifest {
    let mut manifest = Manifest::new(
        "release",
        Period::new("2024-04-01", "2025-03-31").expect("valid period"),
        FileHash::of_bytes("suppression-rules/official.toml", b"threshold = 5"),
        vec![FileHash::of_bytes("AG001_2025-03.csv", b"CLIENTID")],
        ManifestGeography { parent: BTreeMap::from([("E12000002".into(), "E92000001".into())]) },
    );
    manifest.tables.push(ManifestTable::from_table(&small_table()));
    manifest
}

/// An audit record with one primary-suppressed cell.
pub(crate) fn sample_audit() -> AuditRecord {
    let mut record = AuditRecord::new("release", FileHash::of_bytes("official.toml", b"threshold = 5"), vec![]);
    record.suppressed.push(SuppressedCell {
        cell: CellCoordinates {
            table: "t01".into(),
            period: "2024-25".into(),
            geography_level: GeographyLevel::Region,
            area_code: "E12000002".into(),
            categories: BTreeMap::from([("substance_group".into(), "opiate".into()), ("sex".into(), "female".into())]),
            measure: "in_treatment".into(),
        },
        reason: SuppressionReason::Primary { rule: "count in 1..=4".into() },
        audit_interval: [0.0, 10.0],
    });
    record
}
