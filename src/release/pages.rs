//! The release's HTML pages: an England index (headline figures, a section
//! per table with its chart, links to regions) and one page per region (the
//! region's figures and, where a table has them, its local authorities).
//! Every number comes from the protected output tables; suppressed values
//! show their marker and are left out of charts.

use std::collections::BTreeMap;

use anyhow::Result;

use super::tables::measure_labels;
use crate::geography::ENGLAND_CODE;
use crate::output::{GeographyLevel, OutputTable};
use crate::render::{
    bar_chart, display_value, interval_chart, line_chart, pivot, Axis, BarChart, Chart, Headline, IntervalChart, LineChart,
    PivotSpec, RatePoint, Section, Series, TableView,
};

/// The sections of a table: its view for `area` (charted per the table list's
/// `chart` key) and, on region pages, a second section with the region's LAs.
pub fn section_for(table: &OutputTable, chart: &str, area: &str, slug: &str, with_las: bool) -> Result<Vec<Section>> {
    let labels = measure_labels(std::slice::from_ref(table));
    let spec = |rows: Axis, columns: Axis, measure: Option<String>| PivotSpec {
        caption: String::new(),
        rows,
        columns,
        area_code: Some(area.to_string()),
        measure,
        fixed: BTreeMap::new(),
        measure_labels: labels.clone(),
    };
    let first = table.dimensions.first().map(|d| d.name.clone());
    let second = table.dimensions.get(1).map(|d| d.name.clone());
    let main_measure = table.measures[0].clone();
    let view: TableView = match (&first, &second) {
        (Some(a), Some(b)) => pivot(table, &spec(Axis::Dimension(a.clone()), Axis::Dimension(b.clone()), Some(main_measure.clone())))?,
        (Some(a), None) => pivot(table, &spec(Axis::Dimension(a.clone()), Axis::Measures, None))?,
        _ => pivot(table, &spec(Axis::Measures, Axis::Measures, None)).or_else(|_| {
            pivot(table, &PivotSpec { area_code: None, ..spec(Axis::Areas(GeographyLevel::England), Axis::Measures, None) })
        })?,
    };
    let chart = match chart {
        "bars" => Some(bars(&view, table, slug)?),
        "rates" => rate_chart(table, area, slug, &labels)?,
        "trend" => Some(trend(table, area, slug, &labels)?),
        _ => None,
    };
    let main = Section {
        id: table.id.clone(),
        heading: format!("{}: {}", table.id.to_uppercase(), table.title),
        paragraphs: table.notes.clone(),
        chart,
        table: Some(view),
    };
    let has_las = table.rows.iter().any(|r| r.geography_level == GeographyLevel::La);
    if !(with_las && has_las) {
        return Ok(vec![main]);
    }
    let la_view = pivot(
        table,
        &PivotSpec {
            caption: format!("{}: local authorities", table.title),
            rows: Axis::Areas(GeographyLevel::La),
            columns: Axis::Measures,
            area_code: None,
            measure: None,
            fixed: BTreeMap::new(),
            measure_labels: labels.clone(),
        },
    )?;
    let las = Section {
        id: format!("{}-la", table.id),
        heading: format!("{}: local authorities", table.id.to_uppercase()),
        paragraphs: vec![format!("{} local authorities of this region; totals over every substance group.", la_view.rows.len())],
        chart: None,
        table: Some(la_view),
    };
    Ok(vec![main, las])
}

fn bars(view: &TableView, table: &OutputTable, slug: &str) -> Result<Chart> {
    let total_col = view.columns.len().saturating_sub(1);
    // Parent categories (opiate, split into its two parts) would be counted twice in a bar chart.
    let parents: Vec<String> = table
        .dimensions
        .first()
        .and_then(|d| d.parent.as_ref())
        .map(|p| p.values().cloned().collect())
        .unwrap_or_default();
    let bars = view
        .column_values(total_col)
        .into_iter()
        .filter(|(l, _)| l != "Total" && !parents.contains(l))
        .collect();
    Ok(bar_chart(&BarChart {
        id: format!("{slug}-{}", table.id),
        title: table.title.clone(),
        category_label: view.corner.clone(),
        value_label: crate::release::tables::measure_label(&table.measures[0]),
        bars,
        horizontal: true,
    })?)
}

fn rate_chart(table: &OutputTable, area: &str, slug: &str, labels: &BTreeMap<String, String>) -> Result<Option<Chart>> {
    let Some(rate) = table.measures.iter().find(|m| m.ends_with("_rate")).cloned() else { return Ok(None) };
    let Some(dim) = table.dimensions.first().map(|d| d.name.clone()) else { return Ok(None) };
    let get = |measure: String| -> Result<TableView> {
        Ok(pivot(
            table,
            &PivotSpec {
                caption: String::new(),
                rows: Axis::Dimension(dim.clone()),
                columns: Axis::Measures,
                area_code: Some(area.to_string()),
                measure: Some(measure),
                fixed: BTreeMap::new(),
                measure_labels: labels.clone(),
            },
        )?)
    };
    let view = get(rate.clone())?;
    let col = |m: &str| view.columns.iter().position(|c| labels.get(m).is_some_and(|l| l == c));
    let (Some(r), Some(lo), Some(hi)) = (col(&rate), col(&format!("{rate}_lower")), col(&format!("{rate}_upper"))) else {
        return Ok(None);
    };
    let points = view
        .rows
        .iter()
        .map(|row| RatePoint {
            label: row.header.clone(),
            rate: match (row.cells[r].value, row.cells[lo].value, row.cells[hi].value) {
                (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                _ => None,
            },
        })
        .collect();
    Ok(Some(interval_chart(&IntervalChart {
        id: format!("{slug}-{}", table.id),
        title: format!("{} with 95% confidence intervals", labels.get(&rate).cloned().unwrap_or(rate.clone())),
        value_label: "Rate (%)".into(),
        points,
    })?))
}

fn trend(table: &OutputTable, area: &str, slug: &str, labels: &BTreeMap<String, String>) -> Result<Chart> {
    let months: Vec<String> = table.dimensions[0].categories.clone();
    let series = table
        .measures
        .iter()
        .map(|m| Series {
            name: labels.get(m).cloned().unwrap_or_else(|| m.clone()),
            values: months
                .iter()
                .map(|month| {
                    table
                        .rows
                        .iter()
                        .find(|r| r.area_code == area && &r.measure == m && r.categories.first() == Some(month))
                        .and_then(|r| r.value)
                })
                .collect(),
        })
        .collect();
    Ok(line_chart(&LineChart {
        id: format!("{slug}-{}", table.id),
        title: table.title.clone(),
        x_label: "Month".into(),
        y_label: "Adults".into(),
        categories: months,
        series,
    })?)
}

/// Headline figures for an area: in treatment, new presentations, completion rate.
pub fn headlines(tables: &[OutputTable], area: &str, period_text: &str) -> Vec<Headline> {
    let find = |table: &str, measure: &str| {
        tables
            .iter()
            .find(|t| t.id == table)
            .and_then(|t| t.rows.iter().find(|r| r.area_code == area && r.measure == measure && r.categories.iter().all(|c| c == "Total")))
            .map(|r| match r.value {
                Some(v) => display_value(measure, v),
                None => r.marker.symbol().to_string(),
            })
    };
    let mut out = Vec::new();
    if let Some(v) = find("t01", "in_treatment") {
        out.push(Headline { label: "Adults in treatment".into(), value: v, detail: period_text.to_string() });
    }
    if let Some(v) = find("t04", "new_presentations") {
        out.push(Headline { label: "New presentations".into(), value: v, detail: "journeys started in the period".into() });
    }
    if let Some(v) = find("t07", "completion_rate") {
        out.push(Headline { label: "Successful completion rate".into(), value: v, detail: "completions / adults in treatment".into() });
    }
    if area == ENGLAND_CODE {
        if let Some(v) = find("t12", "in_treatment") {
            out.push(Headline { label: "Young people in treatment".into(), value: v, detail: period_text.to_string() });
        }
    }
    out
}
