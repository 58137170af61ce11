//! The HTML report: tera templates from `report-templates/` (embedded at
//! build time, or read from a `--templates DIR` at run time), autoescaped,
//! with charts inlined as SVG and no external assets.

use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

use super::charts::Chart;
use super::pivot::TableView;
use super::RenderError;
use crate::output::Marker;

/// The template files, by name, as shipped in `report-templates/`.
pub const TEMPLATE_FILES: [(&str, &str); 4] = [
    ("base.html.tera", include_str!("../../report-templates/base.html.tera")),
    ("macros.html.tera", include_str!("../../report-templates/macros.html.tera")),
    ("release-index.html.tera", include_str!("../../report-templates/release-index.html.tera")),
    ("release-area.html.tera", include_str!("../../report-templates/release-area.html.tera")),
];

/// A link to another page of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageLink {
    /// Link text.
    pub text: String,
    /// Relative address (`areas/E12000002.html`).
    pub href: String,
}

/// One section of a page: heading, paragraphs, optional chart and table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Anchor id (letters, digits, `-`).
    pub id: String,
    /// Heading.
    pub heading: String,
    /// Paragraphs of text.
    pub paragraphs: Vec<String>,
    /// A chart shown above the table.
    pub chart: Option<Chart>,
    /// The table.
    pub table: Option<TableView>,
}

/// A headline figure shown as a summary card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    /// What the figure is.
    pub label: String,
    /// Display text of the figure (a number or a marker).
    pub value: String,
    /// A short line of context.
    pub detail: String,
}

/// A page of the report (the index or one area's page).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportPage {
    /// Page title (`<title>` and `<h1>`).
    pub title: String,
    /// Line under the title (`Official statistics`, the area's level).
    pub kicker: String,
    /// Period label for readers (`April 2024 to March 2025`).
    pub period: String,
    /// Geographic coverage (`England`); not shown when empty.
    pub coverage: String,
    /// Introductory paragraphs.
    pub summary: Vec<String>,
    /// Headline figures.
    pub headlines: Vec<Headline>,
    /// Sections.
    pub sections: Vec<Section>,
    /// Links to area pages (index) or other pages.
    pub links: Vec<PageLink>,
    /// Heading over `links`.
    pub links_heading: String,
    /// Link back to the index (area pages).
    pub back: Option<PageLink>,
    /// Notes and definitions.
    pub notes: Vec<String>,
    /// Source statement.
    pub source: String,
    /// Contact text.
    pub contact: String,
}

#[derive(Serialize)]
struct MarkerNote {
    symbol: &'static str,
    explanation: &'static str,
}

/// The report's template set.
#[derive(Debug)]
pub struct HtmlRenderer {
    tera: Tera,
}

impl HtmlRenderer {
    /// The templates compiled into the binary.
    pub fn embedded() -> Result<Self, RenderError> {
        Self::from_sources(TEMPLATE_FILES.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect(), "embedded templates")
    }

    /// The same template files read from `dir` (`--templates DIR`).
    pub fn from_dir(dir: &Path) -> Result<Self, RenderError> {
        let mut sources = Vec::new();
        for (name, _) in TEMPLATE_FILES {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|source| RenderError::Io { path: path.clone(), source })?;
            sources.push((name.to_string(), text));
        }
        Self::from_sources(sources, &dir.display().to_string())
    }

    fn from_sources(sources: Vec<(String, String)>, origin: &str) -> Result<Self, RenderError> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html.tera", ".html"]);
        tera.add_raw_templates(sources).map_err(|e| RenderError::Template { template: origin.to_string(), reason: tera_reason(&e) })?;
        Ok(HtmlRenderer { tera })
    }

    /// Renders the index page.
    pub fn render_index(&self, page: &ReportPage) -> Result<String, RenderError> {
        self.render("release-index.html.tera", page)
    }

    /// Renders one area's page.
    pub fn render_area(&self, page: &ReportPage) -> Result<String, RenderError> {
        self.render("release-area.html.tera", page)
    }

    fn render(&self, template: &str, page: &ReportPage) -> Result<String, RenderError> {
        for section in &page.sections {
            if section.id.is_empty() || !section.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(RenderError::Template { template: template.to_string(), reason: format!("section id `{}` is not letters, digits and -", section.id) });
            }
        }
        let mut context = Context::from_serialize(page).map_err(|e| RenderError::Template { template: template.to_string(), reason: tera_reason(&e) })?;
        let markers: Vec<MarkerNote> = Marker::SHOWN.iter().map(|m| MarkerNote { symbol: m.symbol(), explanation: m.explanation() }).collect();
        context.insert("marker_notes", &markers);
        context.insert("toolkit_version", env!("CARGO_PKG_VERSION"));
        self.tera.render(template, &context).map_err(|e| RenderError::Template { template: template.to_string(), reason: tera_reason(&e) })
    }
}

fn tera_reason(error: &tera::Error) -> String {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::output::fixtures::small_table;
    use crate::render::charts::{bar_chart, BarChart};
    use crate::render::pivot::{pivot, Axis, PivotSpec};

    const SCRIPT: &str = "<script>alert('x')</script>";

    fn page(area_name: &str) -> ReportPage {
        let mut table = small_table();
        for row in &mut table.rows {
            if row.area_code == "E12000002" {
                row.area_name = area_name.to_string();
            }
        }
        let spec = PivotSpec {
            caption: String::new(),
            rows: Axis::Areas(crate::output::GeographyLevel::Region),
            columns: Axis::Dimension("sex".into()),
            area_code: None,
            measure: Some("in_treatment".into()),
            fixed: BTreeMap::from([("substance_group".to_string(), "opiate".to_string())]),
            measure_labels: BTreeMap::new(),
        };
        let view = pivot(&table, &spec).expect("view");
        let chart = bar_chart(&BarChart {
            id: "by-region".into(),
            title: "People in treatment by region".into(),
            category_label: "Region".into(),
            value_label: "People".into(),
            bars: view.column_values(0),
            horizontal: true,
        })
        .expect("chart");
        ReportPage {
            title: format!("Treatment in {area_name}"),
            kicker: "Region".into(),
            period: "April 2024 to March 2025".into(),
            coverage: "England".into(),
            summary: vec![format!("Figures for {area_name}.")],
            headlines: vec![Headline { label: "People in treatment".into(), value: "180".into(), detail: area_name.into() }],
            sections: vec![Section { id: "opiate".into(), heading: "Opiate users by sex".into(), paragraphs: vec![], chart: Some(chart), table: Some(view) }],
            links: vec![PageLink { text: area_name.into(), href: "areas/E12000002.html".into() }],
            links_heading: "Regions".into(),
            back: Some(PageLink { text: "Back to England".into(), href: "../index.html".into() }),
            notes: vec!["People are counted once per area.".into()],
            source: "Source: NDTMS".into(),
            contact: String::new(),
        }
    }

    fn table_fragment(html: &str) -> &str {
        let start = html.find("<table").expect("table");
        let end = html.find("</table>").expect("table end") + "</table>".len();
        &html[start..end]
    }

    #[test]
    fn markup_in_an_area_name_is_rendered_as_text() {
        let renderer = HtmlRenderer::embedded().unwrap();
        for html in [renderer.render_area(&page(SCRIPT)).unwrap(), renderer.render_index(&page(SCRIPT)).unwrap()] {
            assert!(!html.to_lowercase().contains("<script"), "raw script tag in page");
            assert!(html.contains("&lt;script&gt;"), "escaped name shown");
        }
    }

    #[test]
    fn tables_are_accessible_and_markers_explained() {
        let html = HtmlRenderer::embedded().unwrap().render_area(&page("North West")).unwrap();
        let table = table_fragment(&html);
        assert!(table.contains("<caption>"));
        assert!(table.contains("<th scope=\"col\">Region</th>"));
        assert!(table.contains("<th scope=\"row\">North West</th>"));
        assert!(table.contains("<span class=\"marker\">[c]</span>"));
        assert!(html.contains("<dt>[c]</dt><dd>confidential"), "legend under the table");
        assert!(html.contains("<strong>[z]</strong>: not applicable"), "notes explain every marker");
        assert!(html.contains("role=\"img\""), "chart inlined as labelled SVG");
        insta::assert_snapshot!("area_table_fragment", table);
    }

    #[test]
    fn pages_need_no_external_assets() {
        let html = HtmlRenderer::embedded().unwrap().render_index(&page("North West")).unwrap();
        for forbidden in ["<link", "<script", "src=\"http", "href=\"http", "@import", "url("] {
            assert!(!html.contains(forbidden), "page refers to external asset: {forbidden}");
        }
        assert!(html.contains("<style>"));
        assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..60]);
        assert!(html.contains("<html lang=\"en-GB\">"));
    }

    #[test]
    fn templates_from_the_directory_match_the_embedded_ones() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("report-templates");
        let from_dir = HtmlRenderer::from_dir(&dir).unwrap().render_index(&page("North West")).unwrap();
        let embedded = HtmlRenderer::embedded().unwrap().render_index(&page("North West")).unwrap();
        assert_eq!(from_dir, embedded);
    }

    #[test]
    fn a_template_directory_missing_a_file_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = HtmlRenderer::from_dir(dir.path()).unwrap_err();
        assert!(err.to_string().contains("base.html.tera"), "{err}");
    }

    #[test]
    fn a_broken_template_is_reported_with_its_origin() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in TEMPLATE_FILES {
            let text = if name == "release-index.html.tera" { "{% block content %}{{ unclosed" } else { text };
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        assert!(matches!(HtmlRenderer::from_dir(dir.path()), Err(RenderError::Template { .. })));
    }

    #[test]
    fn an_unsafe_section_id_is_rejected() {
        let mut bad = page("North West");
        bad.sections[0].id = "x\" onclick=\"y".into();
        assert!(matches!(HtmlRenderer::embedded().unwrap().render_index(&bad), Err(RenderError::Template { .. })));
    }
}
