//! `restricted/audit.json`: the restricted record of a run. Per suppressed
//! cell: its table, coordinates, why it was suppressed (the primary rule, or
//! secondary and which cells it protects) and its audit interval; plus the
//! rule file's hash, the input files' hashes and the toolkit version.
//!
//! It is the only file that tells primary from secondary suppression, so it
//! is written under `restricted/` and never referenced from public files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::hash::FileHash;
use super::table::{GeographyLevel, OutputTable, TidyRow};
use super::OutputError;

/// Where a cell sits: table, period, area, category per dimension, measure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellCoordinates {
    /// Table id.
    pub table: String,
    /// Period label.
    pub period: String,
    /// Geography level.
    pub geography_level: GeographyLevel,
    /// Area code.
    pub area_code: String,
    /// Dimension name -> category label.
    pub categories: BTreeMap<String, String>,
    /// Measure name.
    pub measure: String,
}

impl CellCoordinates {
    /// The coordinates of `row`, one of `table`'s rows.
    pub fn of_row(table: &OutputTable, row: &TidyRow) -> Self {
        CellCoordinates {
            table: table.id.clone(),
            period: row.period.clone(),
            geography_level: row.geography_level,
            area_code: row.area_code.clone(),
            categories: table.dimensions.iter().map(|d| d.name.clone()).zip(row.categories.iter().cloned()).collect(),
            measure: row.measure.clone(),
        }
    }
}

/// Why a cell was suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum SuppressionReason {
    /// The cell itself is sensitive under `rule` (for example
    /// `count in 1..=4`, `dominance n=2 k=85%`, `rate numerator suppressed`).
    Primary {
        /// The rule that fired, as the rule file names it.
        rule: String,
    },
    /// A complement chosen to protect other suppressed cells.
    Secondary {
        /// The cells this complement protects.
        protects: Vec<CellCoordinates>,
    },
}

impl SuppressionReason {
    /// The audit reason of the engine's reason for a suppression; `locate` says where a
    /// protected primary cell is shown (one shown nowhere in the product is left out).
    pub fn of(reason: &crate::sdc::Reason, locate: impl Fn(crate::sdc::CellId) -> Option<CellCoordinates>) -> Self {
        match reason {
            crate::sdc::Reason::Primary { rule } => SuppressionReason::Primary { rule: rule.describe() },
            crate::sdc::Reason::Secondary { protects } => SuppressionReason::Secondary { protects: protects.iter().filter_map(|&p| locate(p)).collect() },
        }
    }
}

/// One suppressed cell in the audit record.
// No `deny_unknown_fields`: serde does not support it with `flatten`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressedCell {
    /// Where the cell is.
    #[serde(flatten)]
    pub cell: CellCoordinates,
    /// Primary or secondary.
    pub reason: SuppressionReason,
    /// `[lower, upper]`: the feasible interval an attacker can derive from
    /// the published cells, as recomputed by the audit.
    pub audit_interval: [f64; 2],
}

/// `restricted/audit.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Product name.
    pub product: String,
    /// Version of the toolkit that wrote the run.
    pub toolkit_version: String,
    /// The rule file and its hash.
    pub rules: FileHash,
    /// Every input file and its hash.
    pub inputs: Vec<FileHash>,
    /// Every suppressed cell of the run.
    pub suppressed: Vec<SuppressedCell>,
    /// What the suppressions cost: cells by level of each hierarchy and the suppressed share
    /// of the value of all cells of the protection (absent in records of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_loss: Option<crate::sdc::loss::InformationLoss>,
}

impl AuditRecord {
    /// An empty record for this toolkit version.
    pub fn new(product: &str, rules: FileHash, inputs: Vec<FileHash>) -> Self {
        AuditRecord {
            product: product.to_string(),
            toolkit_version: env!("CARGO_PKG_VERSION").to_string(),
            rules,
            inputs,
            suppressed: Vec::new(),
            information_loss: None,
        }
    }

    /// Checks every interval is ordered and finite.
    pub fn validate(&self) -> Result<(), OutputError> {
        for entry in &self.suppressed {
            let [lower, upper] = entry.audit_interval;
            if !(lower.is_finite() && upper.is_finite() && lower <= upper) {
                return Err(OutputError::InvalidAudit {
                    table: entry.cell.table.clone(),
                    area_code: entry.cell.area_code.clone(),
                    reason: format!("audit interval [{lower}, {upper}] is not an ordered finite pair"),
                });
            }
        }
        Ok(())
    }

    /// Pretty JSON with a trailing newline, after validation.
    pub fn to_json(&self) -> Result<String, OutputError> {
        self.validate()?;
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|source| OutputError::Json { file: "restricted/audit.json".into(), source })?;
        text.push('\n');
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coordinates(area: &str) -> CellCoordinates {
        CellCoordinates {
            table: "t01".into(),
            period: "2024-25".into(),
            geography_level: GeographyLevel::La,
            area_code: area.into(),
            categories: BTreeMap::from([("sex".into(), "female".into())]),
            measure: "in_treatment".into(),
        }
    }

    fn record() -> AuditRecord {
        let mut record = AuditRecord::new("release", FileHash::of_bytes("official.toml", b"x"), vec![]);
        record.suppressed.push(SuppressedCell {
            cell: coordinates("E08000003"),
            reason: SuppressionReason::Primary { rule: "count in 1..=4".into() },
            audit_interval: [0.0, 9.0],
        });
        record.suppressed.push(SuppressedCell {
            cell: coordinates("E08000004"),
            reason: SuppressionReason::Secondary { protects: vec![coordinates("E08000003")] },
            audit_interval: [3.0, 12.0],
        });
        record
    }

    #[test]
    fn records_reason_coordinates_and_interval() {
        let value: serde_json::Value = serde_json::from_str(&record().to_json().unwrap()).unwrap();
        let first = &value["suppressed"][0];
        assert_eq!(first["table"], "t01");
        assert_eq!(first["geography_level"], "la");
        assert_eq!(first["categories"]["sex"], "female");
        assert_eq!(first["reason"]["kind"], "primary");
        assert_eq!(first["reason"]["rule"], "count in 1..=4");
        assert_eq!(first["audit_interval"], serde_json::json!([0.0, 9.0]));
        assert_eq!(value["suppressed"][1]["reason"]["kind"], "secondary");
        assert_eq!(value["suppressed"][1]["reason"]["protects"][0]["area_code"], "E08000003");
        assert_eq!(value["toolkit_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(value["rules"]["file"], "official.toml");
    }

    #[test]
    fn round_trips_through_json() {
        let record = record();
        let back: AuditRecord = serde_json::from_str(&record.to_json().unwrap()).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn coordinates_of_a_row_name_each_dimension() {
        let table = crate::output::fixtures::small_table();
        let row = &table.rows[2];
        let cell = CellCoordinates::of_row(&table, row);
        assert_eq!(cell.table, "t01");
        assert_eq!(cell.categories["substance_group"], "opiate");
        assert_eq!(cell.categories["sex"], "female");
        assert_eq!(cell.measure, "in_treatment");
    }

    #[test]
    fn an_inverted_interval_is_rejected() {
        let mut record = record();
        record.suppressed[0].audit_interval = [5.0, 1.0];
        assert!(matches!(record.to_json(), Err(OutputError::InvalidAudit { .. })));
    }
}
