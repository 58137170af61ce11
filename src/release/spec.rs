//! The release's table list (`queries/release-tables.toml`): which cube
//! measures, dimensions and geography levels make each numbered table, and
//! which rates derive from them. Strictly parsed, then validated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The table list shipped with the toolkit.
pub const DEFAULT_TABLES: &str = include_str!("../../queries/release-tables.toml");
/// How the built-in list is named in messages.
pub const DEFAULT_TABLES_NAME: &str = "queries/release-tables.toml (built in)";

/// Dimensions a table may use besides substance group and geography.
pub const DIMENSIONS: [&str; 9] =
    ["sex", "age_band", "ethnic_group", "referral_source", "exit_reason", "setting", "waiting_band", "phof_group", "month"];
/// Geography levels a release table may show.
pub const LEVELS: [&str; 3] = ["england", "region", "la"];

/// A table list that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read table list {file}: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("table list {file}: {reason}")]
    Syntax { file: PathBuf, reason: String },
    #[error("table list {file}, table `{table}`, key `{key}`: {reason}")]
    Invalid { file: PathBuf, table: String, key: String, reason: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    table: Vec<TableSpec>,
    #[serde(default)]
    categories: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    link: Vec<LinkSpec>,
}

/// The whole release definition: tables, category order and linked cells.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseSpec {
    pub tables: Vec<TableSpec>,
    /// Presentation order per dimension (data categories not listed follow).
    pub categories: BTreeMap<String, Vec<String>>,
    pub links: Vec<LinkSpec>,
}

/// Two ways of counting the same people or journeys (see the file's comments).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Measure link: this measure ...
    pub measure: Option<String>,
    /// ... equals that measure (restricted to `dimension` = `category` when both are non-empty).
    pub equals_measure: Option<String>,
    pub dimension: String,
    pub category: String,
    /// Category link: `dimension` = `category` equals the sum of these substance groups.
    pub equals_substance: Option<Vec<String>>,
}

/// One numbered table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub id: String,
    pub title: String,
    pub population: String,
    pub measures: Vec<String>,
    pub substance: bool,
    pub dimension: String,
    #[serde(default = "yes")]
    pub additive: bool,
    pub geography: Vec<String>,
    #[serde(default)]
    pub rates: Vec<RateSpec>,
    #[serde(default = "no_chart")]
    pub chart: String,
}

fn yes() -> bool {
    true
}

fn no_chart() -> String {
    "none".into()
}

/// A rate derived from two measures of the same table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateSpec {
    pub name: String,
    pub numerator: String,
    pub denominator: String,
    pub interval: bool,
}

/// Reads the table list from a file, or the built-in one.
pub fn load(path: Option<&Path>) -> Result<ReleaseSpec, SpecError> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| SpecError::Read { file: p.to_path_buf(), source })?;
            parse(&text, p)
        }
        None => parse(DEFAULT_TABLES, Path::new(DEFAULT_TABLES_NAME)),
    }
}

/// Parses and validates a table list.
pub fn parse(text: &str, file: &Path) -> Result<ReleaseSpec, SpecError> {
    let raw: RawList = toml::from_str(text)
        .map_err(|e| SpecError::Syntax { file: file.to_path_buf(), reason: e.to_string().trim().to_string() })?;
    let mut seen = std::collections::BTreeSet::new();
    for t in &raw.table {
        let bad = |key: &str, reason: String| SpecError::Invalid {
            file: file.to_path_buf(),
            table: t.id.clone(),
            key: key.to_string(),
            reason,
        };
        if !seen.insert(t.id.clone()) {
            return Err(bad("id", "table id used twice".into()));
        }
        if t.id.is_empty() || !t.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad("id", "ids are letters, digits and underscores".into()));
        }
        if !["adult", "young_people"].contains(&t.population.as_str()) {
            return Err(bad("population", format!("`{}` is not adult or young_people", t.population)));
        }
        if t.measures.is_empty() {
            return Err(bad("measures", "no measures".into()));
        }
        if !t.dimension.is_empty() && !DIMENSIONS.contains(&t.dimension.as_str()) {
            return Err(bad("dimension", format!("`{}` is not one of {}", t.dimension, DIMENSIONS.join(", "))));
        }
        if t.dimension == "month" && (t.additive || t.substance) {
            return Err(bad("dimension", "a month table is not additive and has no substance dimension".into()));
        }
        if t.geography.is_empty() || t.geography.iter().any(|g| !LEVELS.contains(&g.as_str())) {
            return Err(bad("geography", format!("levels must be among {}", LEVELS.join(", "))));
        }
        if !["none", "bars", "rates", "trend"].contains(&t.chart.as_str()) {
            return Err(bad("chart", format!("`{}` is not none, bars, rates or trend", t.chart)));
        }
        for r in &t.rates {
            if !r.name.ends_with("_rate") {
                return Err(bad("rates.name", format!("`{}` must end in _rate", r.name)));
            }
            for m in [&r.numerator, &r.denominator] {
                if !t.measures.contains(m) {
                    return Err(bad("rates", format!("`{m}` is not one of the table's measures")));
                }
            }
        }
    }
    for (i, l) in raw.link.iter().enumerate() {
        let bad = |reason: &str| SpecError::Invalid {
            file: file.to_path_buf(),
            table: format!("link[{i}]"),
            key: "link".into(),
            reason: reason.to_string(),
        };
        match (&l.measure, &l.equals_measure, &l.equals_substance) {
            (Some(_), Some(_), None) => {}
            (None, None, Some(groups)) if !groups.is_empty() && !l.dimension.is_empty() => {}
            _ => return Err(bad("a link is either measure + equals_measure, or dimension + category + equals_substance")),
        }
    }
    for dim in raw.categories.keys() {
        if dim != "substance_group" && !DIMENSIONS.contains(&dim.as_str()) {
            return Err(SpecError::Invalid {
                file: file.to_path_buf(),
                table: "categories".into(),
                key: dim.clone(),
                reason: "not a dimension".into(),
            });
        }
    }
    Ok(ReleaseSpec { tables: raw.table, categories: raw.categories, links: raw.link })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_list_is_valid_and_numbered() {
        let tables = load(None).unwrap().tables;
        assert!(tables.len() >= 10);
        assert_eq!(tables[0].id, "t01");
        assert!(tables.iter().any(|t| t.population == "young_people"));
    }

    #[test]
    fn unknown_key_and_bad_values_name_table_and_key() {
        let err = parse("[[table]]\nid='t1'\ncolour='red'", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("x.toml") && err.contains("colour"), "{err}");
        let text = DEFAULT_TABLES.replacen("dimension = \"sex\"", "dimension = \"shoe_size\"", 1);
        let err = parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("t01") && err.contains("dimension") && err.contains("shoe_size"), "{err}");
        let text = DEFAULT_TABLES.replacen("denominator = \"in_treatment\"", "denominator = \"people\"", 1);
        let err = parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("rates") && err.contains("people"), "{err}");
    }
}
