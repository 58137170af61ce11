//! Reading a provider file into columns with polars: every column as text
//! (validation, not inference, decides what a value means), blanks as nulls.
//! The structural scan has already proved the file is UTF-8 and rectangular.

use polars::prelude::*;
use std::io::Cursor;
use std::sync::Arc;

/// The file's cells as text columns, in header order.
pub struct TextColumns {
    frame: DataFrame,
    pub n_rows: usize,
}

impl TextColumns {
    /// Parses CSV bytes (BOM stripped) whose header is `header`.
    pub fn parse(bytes: Vec<u8>, header: &[String]) -> Result<TextColumns, String> {
        let schema: Schema = header
            .iter()
            .enumerate()
            .map(|(i, name)| {
                // Duplicate headers have been rejected; positional names keep polars happy regardless.
                let _ = name;
                Field::new(PlSmallStr::from(format!("c{i}")), DataType::String)
            })
            .collect();
        let parse = CsvParseOptions::default()
            .with_missing_is_null(true)
            .with_quote_char(Some(b'"'))
            .with_separator(b',');
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_schema(Some(Arc::new(schema)))
            .with_parse_options(parse)
            .with_rechunk(true)
            .with_raise_if_empty(false)
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish()
            .map_err(|e| e.to_string())?;
        let n_rows = frame.height();
        Ok(TextColumns { frame, n_rows })
    }

    /// One column's values, trimmed, with blank values as `None`.
    pub fn column(&self, index: usize) -> Result<Vec<Option<&str>>, String> {
        let col = self.frame.columns().get(index).ok_or_else(|| format!("no column {index}"))?;
        let ca = col.str().map_err(|e| e.to_string())?;
        Ok(ca
            .iter()
            .map(|v| v.map(|s| s.trim_matches(|c: char| c == ' ' || c == '\r' || c == '\t')).filter(|s| !s.is_empty()))
            .collect())
    }
}
