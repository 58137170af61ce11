//! The publication ledger: cells published by earlier runs of a series. When the next table of
//! the series is protected, ledger cells present in the problem are known to the attacker (fixed
//! published constraints), so a month-on-month difference cannot reveal a suppressed cell.
//!
//! File format (JSON): `{"entries": [{"series": "...", "key": {"measure": "...", "coords":
//! [["dim", "category"], ...]}, "value": 12}]}`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::sdc::error::SdcError;
use crate::sdc::explain::Protection;
use crate::sdc::model::{CellKey, Problem};

/// One previously published cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    pub series: String,
    pub key: CellKey,
    pub value: f64,
}

/// Previously published cells, by series and key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    entries: BTreeMap<(String, CellKey), f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerFile {
    entries: Vec<LedgerEntry>,
}

impl Ledger {
    /// An empty ledger (first publication of a series).
    pub fn new() -> Self {
        Ledger::default()
    }

    /// Reads a ledger file; a missing file is an error (pass [`Ledger::new`] for none).
    pub fn load(path: &Path) -> Result<Ledger, SdcError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SdcError::Ledger { file: path.to_path_buf(), reason: e.to_string() })?;
        let file: LedgerFile = serde_json::from_str(&text).map_err(|e| SdcError::Ledger {
            file: path.to_path_buf(),
            reason: format!("line {}: {e}", e.line()),
        })?;
        let mut ledger = Ledger::new();
        for entry in file.entries {
            ledger.record(entry);
        }
        Ok(ledger)
    }

    /// Writes the ledger as JSON, entries sorted by series and key.
    pub fn save(&self, path: &Path) -> Result<(), SdcError> {
        let file = LedgerFile { entries: self.entries().collect() };
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| SdcError::Ledger { file: path.to_path_buf(), reason: e.to_string() })?;
        std::fs::write(path, text + "\n").map_err(|e| SdcError::Ledger { file: path.to_path_buf(), reason: e.to_string() })
    }

    /// Adds (or replaces) one published cell.
    pub fn record(&mut self, entry: LedgerEntry) {
        self.entries.insert((entry.series, entry.key), entry.value);
    }

    /// Value published earlier for a cell of a series.
    pub fn get(&self, series: &str, key: &CellKey) -> Option<f64> {
        self.entries.get(&(series.to_string(), key.clone())).copied()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> impl Iterator<Item = LedgerEntry> + '_ {
        self.entries.iter().map(|((series, key), &value)| LedgerEntry { series: series.clone(), key: key.clone(), value })
    }

    /// Records every cell a protection publishes (published or rounded values).
    pub fn record_publication(&mut self, problem: &Problem, protection: &Protection) {
        for (cell, status) in problem.cells.iter().zip(&protection.statuses) {
            if let Some(value) = status.public_value() {
                self.record(LedgerEntry { series: problem.series.clone(), key: cell.key.clone(), value });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_round_trips_through_json() {
        let mut l = Ledger::new();
        let key = CellKey::new("ytd", vec![("area".into(), "E1".into())]);
        l.record(LedgerEntry { series: "pack".into(), key: key.clone(), value: 10.0 });
        let dir = std::env::temp_dir().join(format!("sdc-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.json");
        l.save(&path).unwrap();
        let back = Ledger::load(&path).unwrap();
        assert_eq!(back.get("pack", &key), Some(10.0));
        assert_eq!(back.get("other", &key), None);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn unknown_field_in_ledger_is_rejected() {
        let dir = std::env::temp_dir().join(format!("sdc-ledger-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.json");
        std::fs::write(&path, r#"{"entries": [], "extra": 1}"#).unwrap();
        let e = Ledger::load(&path).unwrap_err().to_string();
        assert!(e.contains("extra"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
