//! The agency reference file, `agencies.csv`: code, name, provider
//! organisation, commissioning LA and dataset of every agency allowed to
//! submit. Extracts from agencies not in it are rejected.

use std::collections::BTreeMap;

// Names in the reference file reach published CSVs: they may not start like a formula.
use crate::output::FORMULA_STARTS;
use std::path::{Path, PathBuf};

/// The header `agencies.csv` must have, in order.
pub const AGENCIES_HEADER: [&str; 5] = ["code", "name", "provider_organisation", "commissioning_la", "dataset"];
/// The datasets an agency may report.
pub const DATASETS: [&str; 4] = ["community-adult", "community-yp", "secure-adult", "secure-yp"];

/// A bad agencies file.
#[derive(Debug, thiserror::Error)]
pub enum AgenciesError {
    #[error("cannot read agencies file {file}: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("agencies file {file}, row {row}: {reason}")]
    Invalid { file: PathBuf, row: usize, reason: String },
}

/// One agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub provider_organisation: String,
    pub commissioning_la: String,
    pub dataset: String,
}

impl Agency {
    /// Adult datasets (community-adult, secure-adult); the rest are young people's.
    pub fn is_adult(&self) -> bool {
        self.dataset.ends_with("-adult")
    }
}

/// All agencies, by code.
#[derive(Debug, Clone, Default)]
pub struct Agencies {
    by_code: BTreeMap<String, Agency>,
}

impl Agencies {
    /// Reads and checks an agencies file.
    pub fn load(path: &Path) -> Result<Agencies, AgenciesError> {
        let text = std::fs::read_to_string(path).map_err(|source| AgenciesError::Read { file: path.to_path_buf(), source })?;
        Agencies::parse(&text, path)
    }

    /// Parses agencies CSV text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Agencies, AgenciesError> {
        let invalid = |row: usize, reason: String| AgenciesError::Invalid { file: file.to_path_buf(), row, reason };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        let mut by_code = BTreeMap::new();
        for (i, rec) in reader.records().enumerate() {
            let row = i + 1;
            let rec = rec.map_err(|e| invalid(row, e.to_string()))?;
            let fields: Vec<&str> = rec.iter().map(str::trim).collect();
            if row == 1 {
                if fields != AGENCIES_HEADER {
                    return Err(invalid(1, format!("header must be `{}`", AGENCIES_HEADER.join(","))));
                }
                continue;
            }
            if fields.len() != 5 {
                return Err(invalid(row, format!("{} fields where 5 are expected", fields.len())));
            }
            if fields[0].is_empty() || !fields[0].chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid(row, "field code: agency code must be letters and digits".into()));
            }
            for (i, column) in AGENCIES_HEADER.iter().enumerate().skip(1).take(3) {
                if let Some(c) = fields[i].chars().next().filter(|c| FORMULA_STARTS.contains(c)) {
                    return Err(invalid(row, format!("field {column}: starts with `{c}`, which a spreadsheet runs as a formula in the published CSVs; remove the leading character")));
                }
            }
            if !DATASETS.contains(&fields[4]) {
                return Err(invalid(row, format!("field dataset: `{}` is not one of {}", fields[4], DATASETS.join(", "))));
            }
            let agency = Agency {
                code: fields[0].to_string(),
                name: fields[1].to_string(),
                provider_organisation: fields[2].to_string(),
                commissioning_la: fields[3].to_string(),
                dataset: fields[4].to_string(),
            };
            if by_code.insert(agency.code.clone(), agency).is_some() {
                return Err(invalid(row, format!("field code: agency `{}` is listed twice", fields[0])));
            }
        }
        if by_code.is_empty() && text.trim().is_empty() {
            return Err(invalid(1, "the file is empty".into()));
        }
        Ok(Agencies { by_code })
    }

    pub fn get(&self, code: &str) -> Option<&Agency> {
        self.by_code.get(code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Agency> {
        self.by_code.values()
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "code,name,provider_organisation,commissioning_la,dataset\nN0001,\"Lambeth Recovery, South\",CGL,E09000022,community-adult\nY0001,Lambeth YP,CGL,E09000022,community-yp\n";

    #[test]
    fn parses_agencies_and_datasets() {
        let a = Agencies::parse(GOOD, Path::new("agencies.csv")).unwrap();
        assert_eq!(a.len(), 2);
        assert!(a.get("N0001").unwrap().is_adult());
        assert!(!a.get("Y0001").unwrap().is_adult());
        assert_eq!(a.get("N0001").unwrap().name, "Lambeth Recovery, South");
    }

    #[test]
    fn bad_dataset_names_file_row_and_field() {
        let bad = GOOD.replace("community-yp", "community-kids");
        let err = Agencies::parse(&bad, Path::new("agencies.csv")).unwrap_err().to_string();
        assert!(err.contains("agencies.csv") && err.contains("row 3") && err.contains("dataset"), "{err}");
    }

    #[test]
    fn names_a_spreadsheet_would_run_are_refused() {
        for name in ["=HYPERLINK(\"http://x\",\"y\") With You", "+cmd|' /C calc'!A0 Recovery", "@SUM(1) Service", "-1 Service"] {
            let bad = GOOD.replace("Lambeth YP", &format!("\"{}\"", name.replace('"', "\"\"")));
            let err = Agencies::parse(&bad, Path::new("agencies.csv")).unwrap_err().to_string();
            assert!(err.contains("row 3") && err.contains("field name") && err.contains("formula"), "{err}");
        }
    }

    #[test]
    fn wrong_header_and_duplicates_are_rejected() {
        assert!(Agencies::parse("code,name\nA,B\n", Path::new("a.csv")).is_err());
        let dup = format!("{GOOD}N0001,X,Y,E09000022,community-adult\n");
        let err = Agencies::parse(&dup, Path::new("a.csv")).unwrap_err().to_string();
        assert!(err.contains("listed twice"), "{err}");
    }
}
