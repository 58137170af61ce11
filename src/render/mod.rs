//! Human-readable renderings of protected tables: the HTML report (tera
//! templates in `report-templates/`, charts inlined as SVG) and the
//! accessible Excel workbook. Public outputs only ever show markers, never
//! why a cell was suppressed.

pub mod charts;
pub mod html;
pub mod pivot;
pub mod xlsx;

use std::path::PathBuf;

pub use charts::{bar_chart, interval_chart, line_chart, BarChart, Chart, IntervalChart, LineChart, RatePoint, Series};
pub use html::{Headline, HtmlRenderer, PageLink, ReportPage, Section};
pub use pivot::{display_value, pivot, Axis, PivotSpec, TableView};
pub use xlsx::{write_workbook, WorkbookCover};

/// How a reader sees a dimension's name (column header, table corner): the field's words
/// for the ones NDTMS publishes, otherwise the name with spaces and a capital.
pub fn dimension_label(name: &str) -> String {
    let known = match name {
        "phof_group" => Some("Substance group (PHOF C19)"),
        "waiting_band" => Some("Waiting time"),
        "setting" => Some("Intervention setting"),
        _ => None,
    };
    known.map(str::to_string).unwrap_or_else(|| {
        let spaced = name.replace('_', " ");
        let mut chars = spaced.chars();
        chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
    })
}

/// Errors rendering reports.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A template failed to parse or render.
    #[error("template {template}: {reason}")]
    Template {
        /// Template name or directory.
        template: String,
        /// Tera's message with its causes.
        reason: String,
    },
    /// A chart could not be drawn.
    #[error("chart {chart}: {reason}")]
    Chart {
        /// Chart id.
        chart: String,
        /// What went wrong.
        reason: String,
    },
    /// A view of a table could not be built.
    #[error("table {table}: {reason}")]
    View {
        /// Table id.
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// The workbook could not be written.
    #[error("{file}: writing workbook: {reason}")]
    Xlsx {
        /// The workbook file.
        file: PathBuf,
        /// rust_xlsxwriter's message.
        reason: String,
    },
    /// A table broke the output contract.
    #[error(transparent)]
    Output(Box<crate::output::OutputError>),
}
