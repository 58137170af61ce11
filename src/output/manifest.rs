//! `manifest.json`: what a run produced, from what, under which rules. Field
//! names are the output contract's; other tools parse this file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::hash::FileHash;
use super::table::{Additivity, DimensionMeta, GeographyLevel, OutputTable};
use super::OutputError;

/// The run's reporting period as ISO dates (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD`.
    pub end: String,
}

impl Period {
    /// A period after checking both dates look like `YYYY-MM-DD` and
    /// `start <= end`.
    pub fn new(start: &str, end: &str) -> Result<Self, OutputError> {
        for date in [start, end] {
            if !is_iso_date(date) {
                return Err(OutputError::InvalidPeriod { start: start.into(), end: end.into(), reason: format!("`{date}` is not YYYY-MM-DD") });
            }
        }
        if start > end {
            return Err(OutputError::InvalidPeriod { start: start.into(), end: end.into(), reason: "start is after end".into() });
        }
        Ok(Period { start: start.to_string(), end: end.to_string() })
    }
}

impl Period {
    /// The period as readers see it: `April 2024 to March 2025`, or one
    /// month (`March 2025`) when it starts and ends in the same month.
    pub fn reader_label(&self) -> String {
        const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
        let month = |date: &str| {
            let index = date[5..7].parse::<usize>().unwrap_or(1).clamp(1, 12) - 1;
            format!("{} {}", MONTHS[index], &date[..4])
        };
        let (start, end) = (month(&self.start), month(&self.end));
        if start == end {
            start
        } else {
            format!("{start} to {end}")
        }
    }
}

fn is_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() })
        && matches!(text[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(text[8..10].parse::<u8>(), Ok(1..=31))
}

/// The geography block: every area code in the run -> its parent area.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestGeography {
    /// LA -> region -> England; provider -> commissioning LA.
    pub parent: BTreeMap<String, String>,
}

/// One dimension of a table entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestDimension {
    /// Column name.
    pub name: String,
    /// Categories without the total.
    pub categories: Vec<String>,
    /// The total's label.
    pub total: String,
    /// Child -> parent, only for hierarchical dimensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<BTreeMap<String, String>>,
    /// Whether the categories add up to `total` for every count measure of the table (rates
    /// are ratios and never add up). Always written; a manifest without it means `true`.
    #[serde(default = "additive_by_default")]
    pub additive: bool,
    /// When `additive` is false: the measures for which the categories do add up (new
    /// presentations over the months of a year). Absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additive_measures: Option<Vec<String>>,
    /// Categories that equal a sum of another dimension's categories, for the same population,
    /// measure, period, area and other coordinates, in whatever table or product shows them:
    /// category -> {other dimension -> [its categories]}. Absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>,
}

fn additive_by_default() -> bool {
    true
}

impl ManifestDimension {
    /// The entry of a table's dimension.
    pub fn from_dimension(d: &DimensionMeta) -> Self {
        let (additive, additive_measures) = match &d.additivity {
            Additivity::All => (true, None),
            Additivity::Measures(measures) => (false, Some(measures.clone())),
            Additivity::None => (false, None),
        };
        ManifestDimension {
            name: d.name.clone(),
            categories: d.categories.clone(),
            total: d.total.clone(),
            parent: d.parent.clone(),
            additive,
            additive_measures,
            equals: Some(d.equals.iter().map(|(c, (dim, cats))| (c.clone(), BTreeMap::from([(dim.clone(), cats.clone())]))).collect())
                .filter(|m: &BTreeMap<_, _>| !m.is_empty()),
        }
    }

    /// Whether the categories add up to the total for `measure`.
    pub fn adds_up_for(&self, measure: &str) -> bool {
        match &self.additive_measures {
            Some(measures) => measures.iter().any(|m| m == measure),
            None => self.additive,
        }
    }
}

/// One table entry of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestTable {
    /// Table id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Path of the tidy CSV relative to the run folder (`csv/t01.csv`).
    pub file: String,
    /// Measures in the table.
    pub measures: Vec<String>,
    /// Dimensions in column order.
    pub dimensions: Vec<ManifestDimension>,
    /// Geography levels present.
    pub geography_levels: Vec<GeographyLevel>,
    /// Whether the table adds up along `geography.parent`.
    pub additive_geography: bool,
    /// Whom the table counts (`adult`, `young_people`, ...).
    pub population: String,
    /// The table's notes (extra field; omitted when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ManifestTable {
    /// The manifest entry for a table written to `csv/<id>.csv`.
    pub fn from_table(table: &OutputTable) -> Self {
        ManifestTable {
            id: table.id.clone(),
            title: table.title.clone(),
            file: format!("csv/{}.csv", table.id),
            measures: table.measures.clone(),
            dimensions: table.dimensions.iter().map(ManifestDimension::from_dimension).collect(),
            geography_levels: table.geography_levels.clone(),
            additive_geography: table.additive_geography,
            population: table.population.clone(),
            notes: table.notes.clone(),
        }
    }
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Product name (`release`, `pack`, `provider`, `research`).
    pub product: String,
    /// Reporting period.
    pub period: Period,
    /// Version of the toolkit that wrote the run.
    pub toolkit_version: String,
    /// The disclosure-control rule file and its hash.
    pub rules: FileHash,
    /// Every input file and its hash.
    pub inputs: Vec<FileHash>,
    /// Area parent map.
    pub geography: ManifestGeography,
    /// One entry per table.
    pub tables: Vec<ManifestTable>,
    /// How the run rounded counts, when it did (extra field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounding: Option<String>,
    /// Human-readable files written besides the CSVs (extra field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<String>,
}

impl Manifest {
    /// A manifest with no tables yet; the toolkit version is this crate's.
    pub fn new(product: &str, period: Period, rules: FileHash, inputs: Vec<FileHash>, geography: ManifestGeography) -> Self {
        Manifest {
            product: product.to_string(),
            period,
            toolkit_version: env!("CARGO_PKG_VERSION").to_string(),
            rules,
            inputs,
            geography,
            tables: Vec::new(),
            rounding: None,
            reports: Vec::new(),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String, OutputError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|source| OutputError::Json { file: "manifest.json".into(), source })?;
        text.push('\n');
        Ok(text)
    }

    /// Reads a manifest back (tests and downstream tools).
    pub fn read(path: &Path) -> Result<Self, OutputError> {
        let text = std::fs::read_to_string(path).map_err(|source| OutputError::Io { path: path.to_path_buf(), source })?;
        serde_json::from_str(&text).map_err(|source| OutputError::Json { file: path.display().to_string(), source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::fixtures::{hierarchical_table, small_table};

    fn sample() -> Manifest {
        let mut manifest = Manifest::new(
            "release",
            Period::new("2024-04-01", "2025-03-31").unwrap(),
            FileHash { file: "suppression-rules/official.toml".into(), sha256: "ab".repeat(32) },
            vec![FileHash { file: "extracts/AG001_2025-03.csv".into(), sha256: "cd".repeat(32) }],
            ManifestGeography { parent: BTreeMap::from([("E08000003".into(), "E12000002".into()), ("E12000002".into(), "E92000001".into())]) },
        );
        manifest.tables.push(ManifestTable::from_table(&small_table()));
        manifest.tables.push(ManifestTable::from_table(&hierarchical_table()));
        manifest
    }

    #[test]
    fn field_names_are_the_contracts() {
        let value: serde_json::Value = serde_json::from_str(&sample().to_json().unwrap()).unwrap();
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["geography", "inputs", "period", "product", "rules", "tables", "toolkit_version"]);
        assert_eq!(value["period"]["start"], "2024-04-01");
        assert_eq!(value["rules"]["file"], "suppression-rules/official.toml");
        assert_eq!(value["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(value["geography"]["parent"]["E08000003"], "E12000002");
        let table = &value["tables"][0];
        let mut table_keys: Vec<&str> = table.as_object().unwrap().keys().map(String::as_str).collect();
        table_keys.sort_unstable();
        assert_eq!(table_keys, ["additive_geography", "dimensions", "file", "geography_levels", "id", "measures", "notes", "population", "title"]);
        assert_eq!(table["population"], "adult");
        let mut dimension_keys: Vec<&str> = table["dimensions"][0].as_object().unwrap().keys().map(String::as_str).collect();
        dimension_keys.sort_unstable();
        assert_eq!(dimension_keys, ["additive", "categories", "name", "total"], "an additive dimension says so and lists no measures");
        assert_eq!(table["dimensions"][0]["additive"], true);
        assert_eq!(table["file"], "csv/t01.csv");
        assert_eq!(table["geography_levels"], serde_json::json!(["england", "region"]));
        assert_eq!(table["dimensions"][0]["total"], "Total");
        assert!(table["dimensions"][0].get("parent").is_none(), "flat dimension has no parent key");
        assert_eq!(value["tables"][1]["dimensions"][0]["parent"]["opiate and crack"], "opiate");
    }

    #[test]
    fn partly_and_non_additive_dimensions_are_declared() {
        let mut table = small_table();
        table.measures = vec!["in_treatment".into(), "new_presentations".into()];
        table.dimensions[0].additivity = Additivity::Measures(vec!["new_presentations".into()]);
        table.dimensions[1].additivity = Additivity::None;
        let entry = ManifestTable::from_table(&table);
        let value = serde_json::to_value(&entry).unwrap();
        assert_eq!(value["dimensions"][0]["additive"], false);
        assert_eq!(value["dimensions"][0]["additive_measures"], serde_json::json!(["new_presentations"]));
        assert_eq!(value["dimensions"][1]["additive"], false);
        assert!(value["dimensions"][1].get("additive_measures").is_none());
        assert!(entry.dimensions[0].adds_up_for("new_presentations") && !entry.dimensions[0].adds_up_for("in_treatment"));
        assert!(!entry.dimensions[1].adds_up_for("in_treatment"));
    }

    #[test]
    fn a_dimension_without_the_additive_key_reads_as_additive() {
        let text = r#"{"name": "sex", "categories": ["male"], "total": "Total"}"#;
        let dimension: ManifestDimension = serde_json::from_str(text).unwrap();
        assert!(dimension.additive && dimension.adds_up_for("in_treatment"));
    }

    #[test]
    fn round_trips_through_json() {
        let manifest = sample();
        let back: Manifest = serde_json::from_str(&manifest.to_json().unwrap()).unwrap();
        assert_eq!(back, manifest);
    }

    #[test]
    fn toolkit_version_is_the_crates() {
        assert_eq!(sample().toolkit_version, env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn reader_label_names_the_months() {
        assert_eq!(Period::new("2024-04-01", "2025-03-31").unwrap().reader_label(), "April 2024 to March 2025");
        assert_eq!(Period::new("2025-03-01", "2025-03-31").unwrap().reader_label(), "March 2025");
    }

    #[test]
    fn bad_periods_are_rejected() {
        assert!(Period::new("2024-13-01", "2025-03-31").is_err());
        assert!(Period::new("2025-04-01", "2025-03-31").is_err());
        assert!(Period::new("24-04-01", "2025-03-31").is_err());
    }
}
