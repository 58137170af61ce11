//! The tidy CSV writer of the output contract: one file per table, columns
//! `table, period, geography_level, area_code, area_name, <dimensions...>,
//! measure, value, marker`, RFC 4180 quoting. Text cells that a spreadsheet
//! would run as a formula are neutralised (OWASP's rule, see [`safe_cell`]).

use std::borrow::Cow;

use std::io::Write;

use super::table::{is_rate_measure, OutputTable};
use super::OutputError;

/// Formats a value as the CSV (and HTML) print it: counts as integers,
/// rates and other fractional values with at most 6 decimals, no trailing
/// zeros, never `-0`.
pub fn format_value(measure: &str, value: f64) -> String {
    let value = if value == 0.0 { 0.0 } else { value };
    if !is_rate_measure(measure) && value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let fixed = format!("{value:.6}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    match trimmed {
        "-0" | "" => "0".to_string(),
        other => other.to_string(),
    }
}

/// First characters that make a spreadsheet read a CSV cell as a formula (OWASP).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written to a CSV: a text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return, which a spreadsheet would run as a formula, gets a leading single quote (OWASP's
/// CSV injection rule); numbers, negative ones included, stay numbers.
pub fn safe_cell(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(FORMULA_STARTS);
    if risky && cell.trim().parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The header row of a table's tidy CSV.
pub fn header(table: &OutputTable) -> Vec<String> {
    let mut columns: Vec<String> = ["table", "period", "geography_level", "area_code", "area_name"]
        .iter()
        .map(|c| c.to_string())
        .collect();
    columns.extend(table.dimensions.iter().map(|d| d.name.clone()));
    columns.extend(["measure", "value", "marker"].iter().map(|c| c.to_string()));
    columns
}

/// Writes `table` as tidy CSV to `out` after validating it. `file` names the
/// destination in errors.
pub fn write_tidy_csv<W: Write>(table: &OutputTable, out: W, file: &str) -> Result<(), OutputError> {
    table.validate()?;
    let csv_error = |source: csv::Error| OutputError::Csv { file: file.to_string(), source };
    // RFC 4180 quoting; lines end in LF, as most published tidy CSVs do.
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    writer.write_record(header(table)).map_err(csv_error)?;
    for row in &table.rows {
        let value = row.value.map(|v| format_value(&row.measure, v)).unwrap_or_default();
        let mut record: Vec<&str> = vec![
            &table.id,
            &row.period,
            row.geography_level.as_str(),
            &row.area_code,
            &row.area_name,
        ];
        record.extend(row.categories.iter().map(String::as_str));
        record.extend([row.measure.as_str(), value.as_str(), row.marker.symbol()]);
        let safe: Vec<Cow<'_, str>> = record.into_iter().map(safe_cell).collect();
        writer.write_record(safe.iter().map(|c| c.as_bytes())).map_err(csv_error)?;
    }
    writer.flush().map_err(|source| OutputError::Io { path: file.into(), source })?;
    Ok(())
}

/// The tidy CSV of `table` as a string.
pub fn tidy_csv_string(table: &OutputTable) -> Result<String, OutputError> {
    let mut buffer = Vec::new();
    write_tidy_csv(table, &mut buffer, &format!("csv/{}.csv", table.id))?;
    String::from_utf8(buffer).map_err(|_| OutputError::InvalidTable {
        table: table.id.clone(),
        row: 0,
        reason: "CSV is not UTF-8".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::fixtures::small_table;

    #[test]
    fn counts_print_as_integers_and_rates_with_at_most_six_decimals() {
        assert_eq!(format_value("in_treatment", 1234.0), "1234");
        assert_eq!(format_value("in_treatment", -0.0), "0");
        assert_eq!(format_value("completion_rate", 0.25), "0.25");
        assert_eq!(format_value("completion_rate", 1.0), "1");
        assert_eq!(format_value("completion_rate_lower", 0.123456789), "0.123457");
        assert_eq!(format_value("completion_rate", 0.0000001), "0");
        assert_eq!(format_value("mean_days", 12.5), "12.5");
    }

    #[test]
    fn csv_matches_the_contract_exactly() {
        let csv = tidy_csv_string(&small_table()).unwrap();
        insta::assert_snapshot!("small_table_csv", csv);
    }

    #[test]
    fn header_has_contract_column_order() {
        let table = small_table();
        assert_eq!(
            header(&table),
            ["table", "period", "geography_level", "area_code", "area_name", "substance_group", "sex", "measure", "value", "marker"]
        );
    }

    #[test]
    fn names_with_commas_and_quotes_are_quoted() {
        let mut table = small_table();
        table.rows[0].area_name = "Bath, \"North\" East".to_string();
        let csv = tidy_csv_string(&table).unwrap();
        assert!(csv.contains("\"Bath, \"\"North\"\" East\""), "{csv}");
    }

    #[test]
    fn formula_like_text_is_neutralised_and_numbers_stay_numbers() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\",\"y\") With You", "'=HYPERLINK(\"http://x\",\"y\") With You"),
            ("+cmd|' /C calc'!A0 Recovery", "'+cmd|' /C calc'!A0 Recovery"),
            ("@SUM(1) Service", "'@SUM(1) Service"),
            ("-2+3", "'-2+3"),
            ("\tTabbed", "'\tTabbed"),
            ("\rReturn", "'\rReturn"),
            ("-3", "-3"),
            ("+4.5", "+4.5"),
            ("Manchester", "Manchester"),
            ("", ""),
        ] {
            assert_eq!(safe_cell(cell), want, "{cell:?}");
        }
        let mut table = small_table();
        table.rows[0].area_name = "=HYPERLINK(\"http://x\",\"y\") With You".to_string();
        let csv = tidy_csv_string(&table).unwrap();
        assert!(csv.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\") With You\","), "{csv}");
        assert!(!csv.lines().any(|l| l.split(',').any(|c| c.starts_with('='))), "{csv}");
    }

    #[test]
    fn marked_cells_have_empty_values() {
        let csv = tidy_csv_string(&small_table()).unwrap();
        let suppressed: Vec<&str> = csv.lines().filter(|l| l.ends_with("[c]")).collect();
        assert!(!suppressed.is_empty());
        for line in suppressed {
            assert!(line.ends_with(",,[c]"), "{line}");
        }
    }

    #[test]
    fn a_value_on_a_marked_cell_is_rejected() {
        let mut table = small_table();
        let row = table.rows.iter_mut().find(|r| r.marker.is_set()).unwrap();
        row.value = Some(3.0);
        assert!(matches!(tidy_csv_string(&table), Err(OutputError::InvalidTable { .. })));
    }

    #[test]
    fn a_rate_outside_zero_one_is_rejected() {
        let mut table = small_table();
        let row = table.rows.iter_mut().find(|r| r.measure == "completion_rate" && r.value.is_some()).unwrap();
        row.value = Some(42.0);
        assert!(matches!(tidy_csv_string(&table), Err(OutputError::InvalidTable { .. })));
    }

    #[test]
    fn an_undeclared_category_is_rejected() {
        let mut table = small_table();
        table.rows[0].categories[0] = "cannabis".to_string();
        assert!(matches!(tidy_csv_string(&table), Err(OutputError::InvalidTable { .. })));
    }
}
