//! Reading a provider file into columns with polars, once: every column as
//! text named by its header (validation, not inference, decides what a value
//! means), blanks as nulls. The structural scan has already proved the file
//! is UTF-8 and rectangular, and polars cannot tell which row breaks those
//! rules, so it runs first.

use polars::prelude::*;
use std::io::Cursor;
use std::sync::Arc;

/// Parses CSV bytes (BOM and blank lines removed) whose header is `header` into text columns
/// named by the header.
pub fn parse(bytes: &[u8], header: &[String]) -> PolarsResult<DataFrame> {
    let schema: Schema = header.iter().map(|name| Field::new(PlSmallStr::from(name.as_str()), DataType::String)).collect();
    let parse = CsvParseOptions::default()
        .with_missing_is_null(true)
        .with_quote_char(Some(b'"'))
        .with_separator(b',');
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .with_parse_options(parse)
        .with_rechunk(true)
        .with_raise_if_empty(false)
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_text_named_by_the_header_with_blanks_null() {
        let header = vec!["A".to_string(), "B".to_string()];
        let df = parse(b"A,B\n007,\n\"x,y\",2\n", &header).unwrap();
        assert_eq!(df.height(), 2);
        let a = df.column("A").unwrap().str().unwrap();
        assert_eq!(a.get(0), Some("007"));
        assert_eq!(a.get(1), Some("x,y"));
        assert_eq!(df.column("B").unwrap().str().unwrap().get(0), None);
    }
}
