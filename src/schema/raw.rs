//! The schema file as written: serde structs that mirror the TOML exactly and
//! refuse unknown keys. [`super::Schema::from_raw`] validates them into typed values.

use serde::Deserialize;

/// Top level of a schema file such as `schemas/cds-p.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchema {
    pub dataset: String,
    pub date_format: String,
    /// No date before 1 January of this year is accepted.
    pub earliest_year: Option<i32>,
    pub adult_age: u32,
    #[serde(default)]
    pub placeholder: Vec<RawPlaceholder>,
    #[serde(default)]
    pub field: Vec<RawField>,
    #[serde(default)]
    pub check: Vec<RawCheck>,
}

/// A placeholder attributor (objector marker).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlaceholder {
    pub finitial: String,
    pub sinitial: String,
    pub dob: String,
}

/// One field of the extract.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    pub code: String,
    pub section: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub requirement: String,
    pub max_len: Option<usize>,
    pub codes: Option<Vec<String>>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub required_with: Option<String>,
    pub role: Option<String>,
    pub column: Option<String>,
    /// A regular expression the whole value must match (text fields).
    pub pattern: Option<String>,
    /// What the pattern allows, in words, for the row error.
    pub pattern_message: Option<String>,
}

/// One cross-field check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    pub kind: String,
    pub severity: String,
    pub message: String,
    pub earlier: Option<String>,
    pub later: Option<String>,
    pub fields: Option<Vec<String>>,
    pub field: Option<String>,
    pub date: Option<String>,
    pub discharge: Option<String>,
    pub intervention: Option<String>,
}
