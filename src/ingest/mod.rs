//! Ingest: from provider extract files to checked warehouse records.
//!
//! The way a file goes: name (`<AGNCY>_<YYYY-MM>.csv`) and agency checks,
//! structural scan (encoding, ragged rows, oversized fields), header set,
//! one polars parse (all text), the AGNCY of every row; then, for a batch of
//! files at once, row and episode validation as polars column expressions
//! built from the schema, consent, attributor pseudonymisation and the
//! records as columns. A file that fails any whole-file rule is rejected
//! with a [`Rejection`] naming the reason; row problems become errors and
//! warnings that set the load and data-quality percentages.

pub mod agencies;
pub mod attributor;
pub mod episodes;
pub mod expressions;
pub mod fixtures;
pub mod inputs;
pub mod messages;
pub mod read;
pub mod records;
pub mod scan;
pub mod submission;
pub mod timings;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet};

pub use agencies::{Agencies, Agency};
pub use attributor::AttributorKey;
pub use messages::MessageSummary;
pub use records::FileRecords;
pub use submission::{ReportingPeriod, SubmissionName};
pub use validate::validate_batch;

use crate::geography::Geography;
use crate::schema::Schema;

/// Why a whole file was rejected. Messages name rows and headers, never values of personal fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("{0}")]
    Name(String),
    #[error("agency `{0}` is not in agencies.csv")]
    UnknownAgency(String),
    #[error("{0}")]
    Structure(String),
    #[error("header set differs from the {dataset} schema: {detail}")]
    Header { dataset: String, detail: String },
    #[error("AGNCY differs from the agency in the file name ({agency}) on row(s) {rows}")]
    AgencyMismatch { agency: String, rows: String },
    #[error("could not parse the file: {0}")]
    Parse(String),
    #[error("submission month {month} is after {latest}, the latest month this load accepts (the current month, or --as-of YYYY-MM when replaying history); the file changes nothing")]
    FutureMonth { month: String, latest: String },
}

/// A file that passed the whole-file rules, with its row outcome.
#[derive(Debug)]
pub struct ValidatedFile {
    pub name: SubmissionName,
    pub rows_total: u64,
    /// Rows without errors.
    pub rows_loaded: u64,
    /// Rows with neither errors nor warnings.
    pub rows_clean: u64,
    pub messages: Vec<MessageSummary>,
    pub records: FileRecords,
}

impl ValidatedFile {
    /// Load % = rows without errors / rows (None for a header-only file).
    pub fn load_pct(&self) -> Option<f64> {
        pct(self.rows_loaded, self.rows_total)
    }
    /// DQ % = rows with neither errors nor warnings / rows.
    pub fn dq_pct(&self) -> Option<f64> {
        pct(self.rows_clean, self.rows_total)
    }
}

fn pct(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// Everything validation needs besides the file.
pub struct IngestContext<'a> {
    pub schema: &'a Schema,
    pub geography: &'a Geography,
    pub agencies: &'a Agencies,
    pub key: &'a AttributorKey,
    /// The latest submission month accepted, (year, month): the current month, or `--as-of`.
    pub latest_month: (i32, u32),
}

/// Validates one file's bytes; `file_name` is the path whose name carries agency and month.
pub fn validate_file(ctx: &IngestContext<'_>, file_name: &std::path::Path, bytes: Vec<u8>) -> Result<ValidatedFile, Rejection> {
    validate_batch(ctx, vec![(file_name.to_path_buf(), bytes)]).pop().expect("one result per file")
}

/// Maps schema field i to its column in the file; any missing, extra or duplicated header rejects the file.
fn header_positions(schema: &Schema, header: &[String]) -> Result<Vec<usize>, Rejection> {
    let expected: BTreeSet<&str> = schema.fields.iter().map(|f| f.code.as_str()).collect();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for h in header {
        *seen.entry(h.as_str()).or_default() += 1;
    }
    let missing: Vec<&str> = expected.iter().copied().filter(|c| !seen.contains_key(c)).collect();
    let extra: Vec<&str> = seen.keys().copied().filter(|h| !expected.contains(h)).collect();
    let duplicated: Vec<&str> = seen.iter().filter(|(_, &n)| n > 1).map(|(h, _)| *h).collect();
    if !missing.is_empty() || !extra.is_empty() || !duplicated.is_empty() {
        let mut parts = Vec::new();
        let show = |v: &[&str]| v.iter().map(|h| if h.is_empty() { "(blank)".to_string() } else { h.to_string() }).collect::<Vec<_>>().join(", ");
        // Most field codes missing: the first row is data, not a header; its values may be
        // personal (initials, dates of birth) and are never repeated.
        if 2 * missing.len() > expected.len() {
            return Err(Rejection::Header {
                dataset: schema.dataset.clone(),
                detail: format!(
                    "row 1 is not a header row ({} of the {} field codes missing); the file must start with the header row of field codes",
                    missing.len(),
                    expected.len()
                ),
            });
        }
        if !missing.is_empty() {
            parts.push(format!("missing {}", show(&missing)));
        }
        if !extra.is_empty() {
            // Only names shaped like field codes are repeated; anything else may be a value.
            let (codes, other): (Vec<&str>, Vec<&str>) = extra.iter().partition(|h| looks_like_field_code(h));
            let mut shown = show(&codes);
            if !other.is_empty() {
                let n = format!("{} header(s) that are not field codes (not shown)", other.len());
                shown = if shown.is_empty() { n } else { format!("{shown} and {n}") };
            }
            parts.push(format!("unexpected {shown}"));
        }
        let duplicated: Vec<&str> = duplicated.into_iter().filter(|h| expected.contains(h) || looks_like_field_code(h)).collect();
        if !duplicated.is_empty() {
            parts.push(format!("duplicated {}", show(&duplicated)));
        }
        return Err(Rejection::Header { dataset: schema.dataset.clone(), detail: parts.join("; ") });
    }
    Ok(schema
        .fields
        .iter()
        .map(|f| header.iter().position(|h| *h == f.code).expect("header set checked"))
        .collect())
}

/// A header worth repeating in a message: 3 to 20 capital letters, digits or underscores,
/// starting with a letter (initials, dates and most ids never look like this).
fn looks_like_field_code(h: &str) -> bool {
    (3..=20).contains(&h.len())
        && h.starts_with(|c: char| c.is_ascii_uppercase())
        && h.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && h.chars().filter(|c| c.is_ascii_digit()).count() < 3
}

/// "2, 5, 9" (at most ten, then "and N more").
fn row_list(rows: &[usize]) -> String {
    let shown: Vec<String> = rows.iter().take(10).map(|r| r.to_string()).collect();
    if rows.len() > 10 {
        format!("{} and {} more", shown.join(", "), rows.len() - 10)
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
