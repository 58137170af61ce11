//! The accessible spreadsheet (rust_xlsxwriter), following the GSS/ONS
//! guidance for releasing statistics in spreadsheets: a Cover sheet, a
//! Contents sheet linking every table, a Notes sheet (with the `[c]`, `[x]`,
//! `[z]` explanations), then one table per sheet starting at A1 with its
//! title in A1, one line of guidance, and the data as a real Excel Table
//! with a header row. No merged cells; numbers are numbers; a marked cell
//! holds its marker as text in the value column.

use std::collections::BTreeSet;
use std::path::Path;

use rust_xlsxwriter::{DocProperties, Format, Table, TableColumn, TableStyle, Url, Workbook, Worksheet, XlsxError};

use super::RenderError;
use crate::output::{is_rate_measure, Marker, OutputTable};

/// Text for the cover sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkbookCover {
    /// Publication title.
    pub title: String,
    /// Period label for readers.
    pub period: String,
    /// Source statement.
    pub source: String,
    /// The disclosure-control rules applied, for readers.
    pub rules: String,
    /// Contact details.
    pub contact: String,
    /// Revisions policy / status.
    pub revisions: String,
    /// Notes that apply to the whole workbook.
    pub notes: Vec<String>,
}

const FIXED_HEADERS: [&str; 4] = ["Period", "Geography level", "Area code", "Area name"];

fn xlsx_error(file: &Path) -> impl Fn(XlsxError) -> RenderError + '_ {
    move |source| RenderError::Xlsx { file: file.to_path_buf(), reason: source.to_string() }
}

/// Sheet names: the table id cut to 31 characters, characters Excel forbids
/// replaced, unique ignoring case (also against Cover, Contents, Notes).
pub fn sheet_names(tables: &[OutputTable]) -> Vec<String> {
    let mut taken: BTreeSet<String> = ["cover", "contents", "notes"].iter().map(|s| s.to_string()).collect();
    tables
        .iter()
        .map(|t| {
            let clean: String = t.id.chars().map(|c| if "[]:*?/\\'".contains(c) { '_' } else { c }).take(31).collect();
            let mut name = if clean.is_empty() { "Table".to_string() } else { clean };
            let mut n = 2;
            while taken.contains(&name.to_lowercase()) {
                let suffix = format!("_{n}");
                name = name.chars().take(31 - suffix.len()).collect::<String>() + &suffix;
                n += 1;
            }
            taken.insert(name.to_lowercase());
            name
        })
        .collect()
}

/// Column headers of a table sheet (unique, as Excel Tables require).
pub fn table_headers(table: &OutputTable) -> Vec<String> {
    let mut headers: Vec<String> = FIXED_HEADERS.iter().map(|h| h.to_string()).collect();
    for dimension in &table.dimensions {
        let mut header = super::dimension_label(&dimension.name);
        while headers.iter().any(|h| h.eq_ignore_ascii_case(&header)) {
            header.push_str(" (dimension)");
        }
        headers.push(header);
    }
    headers.extend(["Measure".to_string(), "Value".to_string()]);
    headers
}

/// Writes the workbook for `tables` to `path`.
pub fn write_workbook(path: &Path, cover: &WorkbookCover, tables: &[OutputTable]) -> Result<(), RenderError> {
    let err = xlsx_error(path);
    for table in tables {
        table.validate().map_err(|e| RenderError::Output(Box::new(e)))?;
    }
    let names = sheet_names(tables);
    let mut workbook = Workbook::new();
    workbook.set_properties(&DocProperties::new().set_title(&cover.title).set_subject(&cover.period).set_author("ndtms-stats"));
    let title = Format::new().set_bold().set_font_size(15);
    let heading = Format::new().set_bold().set_font_size(12);
    let wrap = Format::new().set_text_wrap();

    let sheet = workbook.add_worksheet().set_name("Cover").map_err(&err)?;
    sheet.write_string_with_format(0, 0, &cover.title, &title).map_err(&err)?;
    let mut row = 1;
    for (label, text) in [
        ("Period covered", cover.period.as_str()),
        ("Source", cover.source.as_str()),
        ("Disclosure control", cover.rules.as_str()),
        ("Contact", cover.contact.as_str()),
        ("Revisions", cover.revisions.as_str()),
    ] {
        sheet.write_string_with_format(row, 0, label, &heading).map_err(&err)?;
        sheet.write_string_with_format(row + 1, 0, text, &wrap).map_err(&err)?;
        row += 2;
    }
    sheet.write_string_with_format(row, 0, "Contents", &heading).map_err(&err)?;
    sheet.write_string(row + 1, 0, format!("This workbook has {} tables. The Contents sheet links to each; the Notes sheet explains the notes and the markers [c], [x] and [z].", tables.len())).map_err(&err)?;
    sheet.set_column_width(0, 100).map_err(&err)?;

    let sheet = workbook.add_worksheet().set_name("Contents").map_err(&err)?;
    sheet.write_string_with_format(0, 0, "Contents", &title).map_err(&err)?;
    sheet.write_string(1, 0, "This worksheet contains one table. Select a sheet name to go to that table.").map_err(&err)?;
    let mut widest = (10, 20);
    for (i, (table, name)) in tables.iter().zip(&names).enumerate() {
        let r = 3 + i as u32;
        sheet.write_url_with_text(r, 0, Url::new(format!("internal:'{name}'!A1")), name).map_err(&err)?;
        sheet.write_string(r, 1, &table.title).map_err(&err)?;
        widest = (widest.0.max(name.chars().count()), widest.1.max(table.title.chars().count()));
    }
    add_table(sheet, "contents", &["Sheet name", "Table title"], 2, tables.len()).map_err(&err)?;
    set_widths(sheet, &[widest.0, widest.1]).map_err(&err)?;
    sheet.set_freeze_panes(3, 0).map_err(&err)?;

    let sheet = workbook.add_worksheet().set_name("Notes").map_err(&err)?;
    sheet.write_string_with_format(0, 0, "Notes", &title).map_err(&err)?;
    sheet.write_string(1, 0, "This worksheet contains one table. Notes that apply to one table name it in the Applies to column.").map_err(&err)?;
    let mut notes: Vec<(String, String)> = cover.notes.iter().map(|n| ("All tables".to_string(), n.clone())).collect();
    for (table, name) in tables.iter().zip(&names) {
        notes.extend(table.notes.iter().map(|n| (name.clone(), n.clone())));
    }
    notes.extend(Marker::SHOWN.iter().map(|m| ("All tables".to_string(), format!("{} means {}.", m.symbol(), m.explanation()))));
    for (i, (applies, text)) in notes.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_string(r, 0, format!("Note {}", i + 1)).map_err(&err)?;
        sheet.write_string(r, 1, applies).map_err(&err)?;
        sheet.write_string_with_format(r, 2, text, &wrap).map_err(&err)?;
    }
    add_table(sheet, "notes", &["Note number", "Applies to", "Note text"], 2, notes.len()).map_err(&err)?;
    set_widths(sheet, &[12, 14, 100]).map_err(&err)?;
    sheet.set_freeze_panes(3, 0).map_err(&err)?;

    for (table, name) in tables.iter().zip(&names) {
        let sheet = workbook.add_worksheet().set_name(name).map_err(&err)?;
        write_table_sheet(sheet, table, &title).map_err(&err)?;
    }
    workbook.save(path).map_err(&err)
}

fn write_table_sheet(sheet: &mut Worksheet, table: &OutputTable, title: &Format) -> Result<(), XlsxError> {
    let headers = table_headers(table);
    sheet.write_string_with_format(0, 0, format!("Table {}: {}", table.id, table.title), title)?;
    let guidance = format!(
        "This worksheet contains one table of {} columns, one row per area, category and measure. Rates are proportions shown as percentages. Notes and the markers [c] (confidential), [x] (not available) and [z] (not applicable) are explained in the Notes sheet.",
        headers.len()
    );
    sheet.write_string(1, 0, guidance)?;
    let count = Format::new().set_num_format("#,##0");
    let fractional = Format::new().set_num_format("#,##0.0##");
    let rate = Format::new().set_num_format("0.0%");
    let marker = Format::new().set_align(rust_xlsxwriter::FormatAlign::Right);
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    let value_col = headers.len() - 1;
    for (i, row) in table.rows.iter().enumerate() {
        let r = 3 + i as u32;
        let mut texts: Vec<&str> = vec![&row.period, row.geography_level.display_name(), &row.area_code, &row.area_name];
        texts.extend(row.categories.iter().map(String::as_str));
        texts.push(&row.measure);
        for (c, text) in texts.iter().enumerate() {
            sheet.write_string(r, c as u16, *text)?;
            widths[c] = widths[c].max(text.chars().count());
        }
        match (row.value, row.marker) {
            (Some(v), Marker::None) => {
                let format = if is_rate_measure(&row.measure) { &rate } else if v.fract() == 0.0 { &count } else { &fractional };
                sheet.write_number_with_format(r, value_col as u16, v, format)?;
                widths[value_col] = widths[value_col].max(12);
            }
            (_, m) => {
                sheet.write_string_with_format(r, value_col as u16, m.symbol(), &marker)?;
            }
        }
    }
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    add_table(sheet, &table.id, &header_refs, 2, table.rows.len())?;
    set_widths(sheet, &widths)?;
    sheet.set_freeze_panes(3, 0)?;
    Ok(())
}

/// Adds an Excel Table with a header row at `header_row` over `rows` data
/// rows (at least one, as Excel requires).
fn add_table(sheet: &mut Worksheet, id: &str, headers: &[&str], header_row: u32, rows: usize) -> Result<(), XlsxError> {
    let columns: Vec<TableColumn> = headers.iter().map(|h| TableColumn::new().set_header(*h)).collect();
    let name: String = format!("table_{id}").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let table = Table::new().set_name(name).set_columns(&columns).set_style(TableStyle::Light1);
    let last_row = header_row + rows.max(1) as u32;
    sheet.add_table(header_row, 0, last_row, headers.len() as u16 - 1, &table)?;
    Ok(())
}

fn set_widths(sheet: &mut Worksheet, widths: &[usize]) -> Result<(), XlsxError> {
    for (c, width) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, (*width as f64 + 2.0).clamp(10.0, 80.0))?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "xlsx_tests.rs"]
mod tests;
