//! Two-way views of a tidy [`OutputTable`] for the HTML report and charts:
//! pick what runs down the rows and across the columns (a dimension, the
//! areas of one level, or the measures) and fix everything else.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::output::{is_rate_measure, GeographyLevel, Marker, OutputTable, TidyRow};

use super::RenderError;

/// What an axis of a view runs over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Axis {
    /// The categories of a dimension, total last.
    Dimension(String),
    /// The areas of a level, in the table's order.
    Areas(GeographyLevel),
    /// Every area of the table, whatever its level, in the table's order.
    AllAreas,
    /// The table's measures.
    Measures,
}

/// How to cut a table into a two-way view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PivotSpec {
    /// Table caption (defaults to the table's title when empty).
    pub caption: String,
    /// Down the side.
    pub rows: Axis,
    /// Across the top.
    pub columns: Axis,
    /// The area, when neither axis runs over areas.
    pub area_code: Option<String>,
    /// The measure, when neither axis runs over measures.
    pub measure: Option<String>,
    /// Categories of the dimensions on no axis (default: their total).
    pub fixed: BTreeMap<String, String>,
    /// Reader-facing names of measures (default: the measure name).
    pub measure_labels: BTreeMap<String, String>,
}

/// One cell of a view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViewCell {
    /// Display text: a formatted number or a marker symbol.
    pub text: String,
    /// The value, when published.
    pub value: Option<f64>,
    /// The marker symbol (`[c]`, `[x]`, `[z]`) or empty.
    pub marker: String,
    /// The measure the cell shows.
    pub measure: String,
}

/// One row of a view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViewRow {
    /// Row header.
    pub header: String,
    /// Whether this row is a total (shown in bold).
    pub is_total: bool,
    /// Cells, one per column.
    pub cells: Vec<ViewCell>,
}

/// A two-way table ready for a template: `<caption>`, column headers, rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableView {
    /// Source table id.
    pub table_id: String,
    /// Caption.
    pub caption: String,
    /// Header of the row-header column.
    pub corner: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<ViewRow>,
    /// Markers used in the view (symbol -> explanation) for its legend.
    pub markers: Vec<(String, String)>,
}

/// Formats a value for readers: rates as percentages with one decimal,
/// counts with thousands separators.
pub fn display_value(measure: &str, value: f64) -> String {
    if is_rate_measure(measure) {
        return format!("{:.1}%", value * 100.0);
    }
    let rounded = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") };
    let (sign, digits) = rounded.strip_prefix('-').map_or(("", rounded.as_str()), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

struct AxisKey {
    label: String,
    is_total: bool,
    key: Key,
}

#[derive(Clone)]
enum Key {
    Category(usize, String),
    Area(String),
    Measure(String),
}

fn axis_keys(table: &OutputTable, axis: &Axis, spec: &PivotSpec) -> Result<Vec<AxisKey>, RenderError> {
    match axis {
        Axis::Dimension(name) => {
            let index = table.dimension_index(name).ok_or_else(|| RenderError::View {
                table: table.id.clone(),
                reason: format!("no dimension `{name}`"),
            })?;
            let dimension = &table.dimensions[index];
            // A dimension published without its total (months of a trend) gets no total row.
            let has_total = table.rows.iter().any(|r| r.categories.get(index) == Some(&dimension.total));
            Ok(dimension
                .categories
                .iter()
                .chain(std::iter::once(&dimension.total).filter(|_| has_total))
                .map(|c| AxisKey { label: c.clone(), is_total: *c == dimension.total, key: Key::Category(index, c.clone()) })
                .collect())
        }
        Axis::Areas(_) | Axis::AllAreas => {
            let mut seen: Vec<AxisKey> = Vec::new();
            let wanted = |r: &TidyRow| match &axis {
                Axis::Areas(level) => r.geography_level == *level,
                _ => true,
            };
            for row in table.rows.iter().filter(|r| wanted(r)) {
                if !seen.iter().any(|k| matches!(&k.key, Key::Area(code) if *code == row.area_code)) {
                    let is_total = row.geography_level == GeographyLevel::England;
                    seen.push(AxisKey { label: row.area_name.clone(), is_total, key: Key::Area(row.area_code.clone()) });
                }
            }
            Ok(seen)
        }
        Axis::Measures => Ok(table
            .measures
            .iter()
            .map(|m| AxisKey {
                label: spec.measure_labels.get(m).cloned().unwrap_or_else(|| m.replace('_', " ")),
                is_total: false,
                key: Key::Measure(m.clone()),
            })
            .collect()),
    }
}

fn matches_key(row: &TidyRow, key: &Key) -> bool {
    match key {
        Key::Category(index, category) => row.categories.get(*index) == Some(category),
        Key::Area(code) => row.area_code == *code,
        Key::Measure(measure) => row.measure == *measure,
    }
}

/// Builds a two-way view. Dimensions on no axis are fixed at `spec.fixed`
/// or their total; a coordinate with no row shows `[x]`.
pub fn pivot(table: &OutputTable, spec: &PivotSpec) -> Result<TableView, RenderError> {
    let view_error = |reason: String| RenderError::View { table: table.id.clone(), reason };
    let rows = axis_keys(table, &spec.rows, spec)?;
    let columns = axis_keys(table, &spec.columns, spec)?;
    let on_axis = |name: &str| [&spec.rows, &spec.columns].iter().any(|a| matches!(a, Axis::Dimension(d) if d == name));
    let areas_on_axis = [&spec.rows, &spec.columns].iter().any(|a| matches!(a, Axis::Areas(_) | Axis::AllAreas));
    let measures_on_axis = [&spec.rows, &spec.columns].iter().any(|a| matches!(a, Axis::Measures));
    if !areas_on_axis && spec.area_code.is_none() {
        return Err(view_error("no area chosen and no axis runs over areas".into()));
    }
    if !measures_on_axis && spec.measure.is_none() {
        return Err(view_error("no measure chosen and no axis runs over measures".into()));
    }
    let fixed: Vec<(usize, String)> = table
        .dimensions
        .iter()
        .enumerate()
        .filter(|(_, d)| !on_axis(&d.name))
        .map(|(i, d)| (i, spec.fixed.get(&d.name).cloned().unwrap_or_else(|| d.total.clone())))
        .collect();
    let selected: Vec<&TidyRow> = table
        .rows
        .iter()
        .filter(|r| areas_on_axis || spec.area_code.as_deref() == Some(r.area_code.as_str()))
        .filter(|r| measures_on_axis || spec.measure.as_deref() == Some(r.measure.as_str()))
        .filter(|r| fixed.iter().all(|(i, c)| r.categories.get(*i) == Some(c)))
        .collect();
    let mut used = Vec::new();
    let view_rows = rows
        .iter()
        .map(|row_key| ViewRow {
            header: row_key.label.clone(),
            is_total: row_key.is_total,
            cells: columns
                .iter()
                .map(|column_key| {
                    let found = selected.iter().find(|r| matches_key(r, &row_key.key) && matches_key(r, &column_key.key));
                    let cell = match found {
                        Some(r) => cell_of(r.value, r.marker, &r.measure),
                        None => cell_of(None, Marker::NotAvailable, spec.measure.as_deref().unwrap_or("")),
                    };
                    if !cell.marker.is_empty() && !used.contains(&cell.marker) {
                        used.push(cell.marker.clone());
                    }
                    cell
                })
                .collect(),
        })
        .collect();
    let markers = Marker::SHOWN
        .iter()
        .filter(|m| used.iter().any(|u| u == m.symbol()))
        .map(|m| (m.symbol().to_string(), m.explanation().to_string()))
        .collect();
    Ok(TableView {
        table_id: table.id.clone(),
        caption: if spec.caption.is_empty() { table.title.clone() } else { spec.caption.clone() },
        corner: axis_name(&spec.rows),
        columns: columns.into_iter().map(|k| k.label).collect(),
        rows: view_rows,
        markers,
    })
}

fn cell_of(value: Option<f64>, marker: Marker, measure: &str) -> ViewCell {
    let text = match (value, marker) {
        (Some(v), Marker::None) => display_value(measure, v),
        (_, m) => m.symbol().to_string(),
    };
    ViewCell { text, value: if marker.is_set() { None } else { value }, marker: marker.symbol().to_string(), measure: measure.to_string() }
}

fn axis_name(axis: &Axis) -> String {
    match axis {
        Axis::Dimension(name) => super::dimension_label(name),
        Axis::Areas(level) => level.display_name().to_string(),
        Axis::AllAreas => "Area".to_string(),
        Axis::Measures => "Measure".to_string(),
    }
}

impl TableView {
    /// The values of one column with their row headers, for a chart
    /// (`None` where the cell is suppressed or missing).
    pub fn column_values(&self, column: usize) -> Vec<(String, Option<f64>)> {
        self.rows.iter().map(|r| (r.header.clone(), r.cells.get(column).and_then(|c| c.value))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::fixtures::small_table;

    fn by_substance(area: &str) -> PivotSpec {
        PivotSpec {
            caption: String::new(),
            rows: Axis::Dimension("substance_group".into()),
            columns: Axis::Measures,
            area_code: Some(area.into()),
            measure: None,
            fixed: BTreeMap::from([("sex".to_string(), "Total".to_string())]),
            measure_labels: BTreeMap::from([("in_treatment".to_string(), "People in treatment".to_string())]),
        }
    }

    #[test]
    fn display_formats_counts_and_rates_for_readers() {
        assert_eq!(display_value("in_treatment", 1234567.0), "1,234,567");
        assert_eq!(display_value("in_treatment", 999.0), "999");
        assert_eq!(display_value("mean_days", -1234.5), "-1,234.5");
        assert_eq!(display_value("completion_rate", 0.4567), "45.7%");
    }

    #[test]
    fn view_picks_the_area_and_fixes_other_dimensions_at_total() {
        let view = pivot(&small_table(), &by_substance("E92000001")).unwrap();
        assert_eq!(view.columns, ["People in treatment", "completion rate"]);
        assert_eq!(view.corner, "Substance group");
        let headers: Vec<&str> = view.rows.iter().map(|r| r.header.as_str()).collect();
        assert_eq!(headers, ["opiate", "alcohol only", "Total"]);
        assert_eq!(view.rows[1].cells[0].text, "570");
        assert_eq!(view.rows[2].cells[0].text, "1,800");
        assert!(view.rows[2].is_total);
        // opiate with sex Total is not in the table: not available.
        assert_eq!(view.rows[0].cells[0].text, "[x]");
    }

    #[test]
    fn suppressed_cells_show_their_marker_and_no_value() {
        let mut spec = by_substance("E12000002");
        spec.fixed.insert("sex".into(), "female".into());
        let view = pivot(&small_table(), &spec).unwrap();
        let cell = &view.rows[0].cells[0];
        assert_eq!((cell.text.as_str(), cell.value), ("[c]", None));
        assert!(view.markers.iter().any(|(symbol, _)| symbol == "[c]"));
        assert_eq!(view.column_values(0)[0], ("opiate".to_string(), None));
    }

    #[test]
    fn areas_as_rows_lists_each_area_once() {
        let spec = PivotSpec { rows: Axis::Areas(GeographyLevel::Region), area_code: None, ..by_substance("") };
        let spec = PivotSpec { columns: Axis::Measures, fixed: BTreeMap::from([("substance_group".into(), "Total".into()), ("sex".into(), "Total".into())]), ..spec };
        let view = pivot(&small_table(), &spec).unwrap();
        assert_eq!(view.rows.len(), 1);
        assert_eq!(view.rows[0].header, "North West");
        assert_eq!(view.rows[0].cells[0].text, "180");
    }

    #[test]
    fn an_unknown_dimension_is_an_error() {
        let spec = PivotSpec { rows: Axis::Dimension("ethnicity".into()), ..by_substance("E92000001") };
        assert!(matches!(pivot(&small_table(), &spec), Err(RenderError::View { .. })));
    }
}
