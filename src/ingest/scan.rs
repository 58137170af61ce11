//! Structural checks on a provider file before it is parsed: encoding, the
//! header row, ragged rows and oversized fields. Each failure rejects the
//! whole file with the row (1 = header) and field it was found at.
//!
//! The scan is one pass over the bytes with RFC 4180 quoting, so the row
//! numbers it reports are record numbers, not line numbers, when a quoted
//! field spans lines.

/// Longest field accepted, in bytes; anything longer rejects the file.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Why a file's structure is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StructureError {
    Empty,
    Encoding { row: usize, field: String, byte_offset: usize },
    Ragged { row: usize, found: usize, expected: usize },
    FieldTooLong { row: usize, field: String, bytes: usize },
    UnclosedQuote { row: usize },
}

impl std::fmt::Display for StructureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StructureError::Empty => write!(f, "the file is empty (not even a header row)"),
            StructureError::Encoding { row, field, byte_offset } => {
                write!(f, "row {row}, field {field}: not valid UTF-8 (byte offset {byte_offset}); files must be UTF-8 (re-save the extract as UTF-8, not Windows-1252 or Latin-1)")
            }
            StructureError::Ragged { row, found, expected } => {
                write!(f, "row {row}: {found} fields where the header has {expected}")
            }
            StructureError::FieldTooLong { row, field, bytes } => {
                write!(f, "row {row}, field {field}: {bytes} bytes, over the {MAX_FIELD_BYTES}-byte limit")
            }
            StructureError::UnclosedQuote { row } => write!(f, "row {row}: a quoted field is never closed"),
        }
    }
}

/// What the scan learned: the header names, the number of data rows and the blank lines
/// (outside quotes) that the parser must not see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structure {
    pub header: Vec<String>,
    pub data_rows: usize,
    /// Byte ranges of empty lines (a trailing blank line is common in exported files).
    pub blank_lines: Vec<std::ops::Range<usize>>,
}

impl Structure {
    /// The bytes without the blank lines (borrowed when there are none).
    pub fn without_blank_lines<'a>(&self, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        if self.blank_lines.is_empty() {
            return std::borrow::Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut at = 0;
        for r in &self.blank_lines {
            out.extend_from_slice(&bytes[at..r.start]);
            at = r.end;
        }
        out.extend_from_slice(&bytes[at..]);
        std::borrow::Cow::Owned(out)
    }
}

/// Strips a UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes)
}

/// Checks encoding and structure of the whole file (BOM already stripped).
pub fn scan(bytes: &[u8]) -> Result<Structure, StructureError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        let offset = e.valid_up_to();
        let (records, field_index) = locate(&bytes[..offset]);
        let header_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let names: Vec<String> = String::from_utf8_lossy(header_line).split(',').map(|h| h.trim().trim_matches('"').to_string()).collect();
        let field = names.get(field_index).filter(|_| records > 0).cloned().unwrap_or_else(|| format!("#{}", field_index + 1));
        return Err(StructureError::Encoding { row: 1 + records, field, byte_offset: offset });
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(StructureError::Empty);
    }
    let mut header: Vec<String> = Vec::new();
    let mut field = Vec::<u8>::new();
    let mut fields_in_row = 0usize;
    let mut field_len = 0usize;
    let mut row = 1usize;
    let mut in_quotes = false;
    let mut i = 0usize;
    let n = bytes.len();
    let mut row_has_content = false;
    let mut data_rows = 0usize;
    let mut line_start = 0usize;
    let mut blank_lines = Vec::new();
    while i < n {
        let b = bytes[i];
        if in_quotes {
            if b == b'"' {
                if i + 1 < n && bytes[i + 1] == b'"' {
                    if row == 1 {
                        field.push(b'"');
                    }
                    field_len += 1;
                    i += 2;
                    continue;
                }
                in_quotes = false;
            } else {
                if row == 1 {
                    field.push(b);
                }
                field_len += 1;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_quotes = true;
                row_has_content = true;
            }
            b',' | b'\n' => {
                check_len(row, fields_in_row, field_len, &header)?;
                if row == 1 {
                    header.push(String::from_utf8_lossy(&field).trim().to_string());
                    field.clear();
                }
                fields_in_row += 1;
                field_len = 0;
                if b == b'\n' {
                    if row_has_content || fields_in_row > 1 {
                        finish_row(row, fields_in_row, &header)?;
                        if row > 1 {
                            data_rows += 1;
                        }
                        row += 1;
                    } else {
                        blank_lines.push(line_start..i + 1);
                    }
                    line_start = i + 1;
                    fields_in_row = 0;
                    row_has_content = false;
                } else {
                    row_has_content = true;
                }
            }
            b'\r' => {}
            _ => {
                if row == 1 {
                    field.push(b);
                }
                field_len += 1;
                row_has_content = true;
            }
        }
        i += 1;
    }
    if in_quotes {
        return Err(StructureError::UnclosedQuote { row });
    }
    if row_has_content || fields_in_row > 0 {
        check_len(row, fields_in_row, field_len, &header)?;
        if row == 1 {
            header.push(String::from_utf8_lossy(&field).trim().to_string());
        }
        fields_in_row += 1;
        finish_row(row, fields_in_row, &header)?;
        if row > 1 {
            data_rows += 1;
        }
    }
    Ok(Structure { header, data_rows, blank_lines })
}

fn check_len(row: usize, index: usize, len: usize, header: &[String]) -> Result<(), StructureError> {
    if len > MAX_FIELD_BYTES {
        let field = header.get(index).cloned().unwrap_or_else(|| format!("#{}", index + 1));
        return Err(StructureError::FieldTooLong { row, field, bytes: len });
    }
    Ok(())
}

fn finish_row(row: usize, fields: usize, header: &[String]) -> Result<(), StructureError> {
    if row > 1 && fields != header.len() {
        return Err(StructureError::Ragged { row, found: fields, expected: header.len() });
    }
    Ok(())
}

/// Records (newlines outside quotes) in a prefix and the index of the field the prefix ends
/// in, for locating an encoding error.
fn locate(bytes: &[u8]) -> (usize, usize) {
    let mut in_quotes = false;
    let (mut rows, mut field) = (0, 0);
    for &b in bytes {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                rows += 1;
                field = 0;
            }
            b',' if !in_quotes => field += 1,
            _ => {}
        }
    }
    (rows, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows_and_reads_header() {
        let s = scan(b"A,B,C\r\n1,2,3\r\n4,\"x,\"\"y\"\"\nz\",6\n").unwrap();
        assert_eq!(s.header, vec!["A", "B", "C"]);
        assert_eq!(s.data_rows, 2);
    }

    #[test]
    fn header_only_is_zero_rows_and_empty_is_rejected() {
        assert_eq!(scan(b"A,B\n").unwrap().data_rows, 0);
        assert_eq!(scan(b"A,B").unwrap().data_rows, 0);
        assert_eq!(scan(b"").unwrap_err(), StructureError::Empty);
    }

    #[test]
    fn ragged_rows_name_the_row() {
        assert_eq!(scan(b"A,B\n1,2\n1,2,3\n").unwrap_err(), StructureError::Ragged { row: 3, found: 3, expected: 2 });
        assert_eq!(scan(b"A,B\n1\n").unwrap_err(), StructureError::Ragged { row: 2, found: 1, expected: 2 });
    }

    #[test]
    fn bad_utf8_names_the_row() {
        let err = scan(b"A,B\n1,2\n\xff,3\n").unwrap_err();
        assert_eq!(err, StructureError::Encoding { row: 3, field: "A".into(), byte_offset: 8 });
        let err = scan(b"A,B\n1,2\n3,caf\xe9\n").unwrap_err();
        assert_eq!(err, StructureError::Encoding { row: 3, field: "B".into(), byte_offset: 13 });
    }

    #[test]
    fn huge_field_names_row_and_field() {
        let mut data = b"A,B\n1,".to_vec();
        data.extend(std::iter::repeat(b'x').take(MAX_FIELD_BYTES + 1));
        data.push(b'\n');
        match scan(&data).unwrap_err() {
            StructureError::FieldTooLong { row, field, .. } => assert_eq!((row, field.as_str()), (2, "B")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unclosed_quote_is_rejected() {
        assert_eq!(scan(b"A,B\n1,\"2\n").unwrap_err(), StructureError::UnclosedQuote { row: 2 });
    }

    #[test]
    fn blank_lines_are_skipped_and_removed_for_the_parser() {
        let bytes = b"A,B\n1,2\n\r\n3,4\n\n";
        let s = scan(bytes).unwrap();
        assert_eq!(s.data_rows, 2);
        assert_eq!(s.without_blank_lines(bytes).as_ref(), b"A,B\n1,2\n3,4\n");
        // A newline inside quotes is data, not a blank line.
        let quoted = b"A,B\n\"x\n\n\",2\n";
        let s = scan(quoted).unwrap();
        assert!(s.blank_lines.is_empty());
        assert_eq!(s.data_rows, 1);
    }

    #[test]
    fn bom_is_stripped() {
        assert_eq!(strip_bom(b"\xEF\xBB\xBFA"), b"A");
    }
}
