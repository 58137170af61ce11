//! The linkage-quality report (CSV and HTML) from the `linkage_quality`
//! table: people, cross-agency links, attributors shared by several CLIENTIDs
//! at one agency and likely twins, for the warehouse and per agency.
//!
//! This is an internal quality report for the data team: its counts are not
//! disclosure-controlled and it must not be published.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;
use serde::Serialize;

use crate::privacy;

const TEMPLATE: &str = include_str!("../../report-templates/linkage-quality.html.tera");
const TEMPLATE_NAME: &str = "linkage-quality.html";

/// The metrics, in report order, with their plain-words meaning.
pub const METRICS: [(&str, &str); 10] = [
    ("episodes", "Episodes held"),
    ("episodes_linked", "Episodes with a linkable attributor"),
    ("episodes_placeholder", "Episodes with a placeholder attributor (not linked, not counted as people)"),
    ("episodes_incomplete", "Episodes with an incomplete attributor (not linked, not counted as people)"),
    ("clients_consent_withdrawn", "Clients who withdrew NDTMS consent (latest submission withdrawing any; nothing of them is kept)"),
    ("people", "People (distinct attributor pseudonyms)"),
    ("people_at_several_agencies", "People linked across two or more agencies"),
    ("cross_agency_links", "Cross-agency links (pairs of agencies sharing a person)"),
    ("shared_attributors", "Attributors shared by more than one CLIENTID at one agency"),
    ("likely_twins", "Shared attributors whose clients were in treatment at the same time (likely twins)"),
];

/// One row of `linkage_quality`: agency '' is the whole warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkageRow {
    pub agency: String,
    pub metric: String,
    pub value: i64,
}

/// A linkage-report problem, naming the file or table.
#[derive(Debug, thiserror::Error)]
pub enum LinkageReportError {
    #[error("reading table linkage_quality (run `build` first): {source}")]
    Read { source: duckdb::Error },
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("writing {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("rendering template report-templates/linkage-quality.html.tera: {source}")]
    Template { source: tera::Error },
}

/// Reads `linkage_quality`, ordered by agency ('' first) and metric.
pub fn read(conn: &Connection) -> Result<Vec<LinkageRow>, LinkageReportError> {
    let read_err = |source| LinkageReportError::Read { source };
    let mut stmt =
        conn.prepare("SELECT agency, metric, value FROM linkage_quality ORDER BY agency, metric").map_err(read_err)?;
    let rows = stmt
        .query_map([], |r| Ok(LinkageRow { agency: r.get(0)?, metric: r.get(1)?, value: r.get(2)? }))
        .map_err(read_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_err)?;
    Ok(rows)
}

/// Writes `linkage-quality.csv` and `linkage-quality.html` into `dir`
/// (created if needed) and returns their paths.
pub fn write(conn: &Connection, dir: &Path) -> Result<(PathBuf, PathBuf), LinkageReportError> {
    let rows = read(conn)?;
    // internal, unprotected counts: owner-only, like the warehouse
    privacy::create_private_dir(dir).map_err(|source| LinkageReportError::Write { path: dir.to_path_buf(), source })?;
    let csv_path = dir.join("linkage-quality.csv");
    write_csv(&rows, &csv_path)?;
    let html_path = dir.join("linkage-quality.html");
    let html = render_html(&rows)?;
    privacy::write_private_file(&html_path, html.as_bytes())
        .map_err(|source| LinkageReportError::Write { path: html_path.clone(), source })?;
    Ok((csv_path, html_path))
}

/// Writes the rows as CSV with the header `agency,metric,value` (agency empty for the warehouse).
pub fn write_csv(rows: &[LinkageRow], path: &Path) -> Result<(), LinkageReportError> {
    let csv_err = |source| LinkageReportError::Csv { path: path.to_path_buf(), source };
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(csv_err)?;
    }
    let bytes = writer.into_inner().map_err(|e| LinkageReportError::Write { path: path.to_path_buf(), source: e.into_error() })?;
    privacy::write_private_file(path, &bytes).map_err(|source| LinkageReportError::Write { path: path.to_path_buf(), source })
}

#[derive(Serialize)]
struct MetricLine {
    metric: &'static str,
    label: &'static str,
    value: i64,
}

#[derive(Serialize)]
struct AgencyLine {
    agency: String,
    values: Vec<i64>,
}

/// Renders the HTML report (every value escaped by tera).
pub fn render_html(rows: &[LinkageRow]) -> Result<String, LinkageReportError> {
    let value = |agency: &str, metric: &str| {
        rows.iter().find(|r| r.agency == agency && r.metric == metric).map_or(0, |r| r.value)
    };
    let overall: Vec<MetricLine> =
        METRICS.iter().map(|&(metric, label)| MetricLine { metric, label, value: value("", metric) }).collect();
    let mut by_agency: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for row in rows.iter().filter(|r| !r.agency.is_empty()) {
        by_agency
            .entry(row.agency.as_str())
            .or_insert_with(|| METRICS.iter().map(|&(metric, _)| value(&row.agency, metric)).collect());
    }
    let agencies: Vec<AgencyLine> =
        by_agency.into_iter().map(|(agency, values)| AgencyLine { agency: agency.to_string(), values }).collect();
    let metrics: Vec<&str> = METRICS.iter().map(|&(metric, _)| metric).collect();
    let mut context = tera::Context::new();
    context.insert("overall", &overall);
    context.insert("agencies", &agencies);
    context.insert("metrics", &metrics);
    let mut tera = tera::Tera::default();
    tera.add_raw_template(TEMPLATE_NAME, TEMPLATE).map_err(|source| LinkageReportError::Template { source })?;
    tera.render(TEMPLATE_NAME, &context).map_err(|source| LinkageReportError::Template { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(agency: &str, metric: &str, value: i64) -> LinkageRow {
        LinkageRow { agency: agency.into(), metric: metric.into(), value }
    }

    #[test]
    fn html_lists_overall_and_agency_values_and_escapes_agency_codes() {
        let rows = vec![row("", "people", 12), row("", "likely_twins", 1), row("<A&B>", "people", 7)];
        let html = render_html(&rows).unwrap();
        assert!(html.contains("<td>12</td>"), "{html}");
        assert!(html.contains("&lt;A&amp;B&gt;"), "{html}");
        assert!(!html.contains("<A&B>"));
        assert!(html.contains("likely twins"));
    }

    #[test]
    fn csv_has_header_and_one_line_per_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.csv");
        write_csv(&[row("", "people", 3), row("N0852", "people", 2)], &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "agency,metric,value\n,people,3\nN0852,people,2\n");
    }
}
