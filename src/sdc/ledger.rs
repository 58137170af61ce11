//! The publication ledger: what earlier runs of a series showed of each cell. When the next
//! table of the series is protected, ledger cells present in the problem keep their status: a
//! published cell is known to the attacker (a fixed published constraint), so a month-on-month
//! difference cannot reveal a suppressed cell; a suppressed cell stays suppressed, so a cell
//! shown by two products (an LA's figure in the release and in its pack) has one status.
//!
//! File format (JSON): `{"entries": [{"series": "...", "key": {"measure": "...", "coords":
//! [["dim", "category"], ...]}, "value": 12}, {..., "suppressed": true}]}`.

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

/// Previously published cells (with their values) and suppressed cells, by series and key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    entries: BTreeMap<(String, CellKey), f64>,
    suppressed: std::collections::BTreeSet<(String, CellKey)>,
}

/// One line of the file: a published value or a suppression.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    series: String,
    key: CellKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    suppressed: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerFile {
    entries: Vec<FileEntry>,
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
        for (i, entry) in file.entries.into_iter().enumerate() {
            match (entry.value, entry.suppressed) {
                (Some(value), false) => ledger.record(LedgerEntry { series: entry.series, key: entry.key, value }),
                (None, true) => ledger.record_suppressed(&entry.series, entry.key),
                _ => {
                    return Err(SdcError::Ledger {
                        file: path.to_path_buf(),
                        reason: format!("entry {}: give either a value or \"suppressed\": true", i + 1),
                    })
                }
            }
        }
        Ok(ledger)
    }

    /// Reads a ledger file, or starts an empty ledger when the file does not exist yet (the
    /// first publication of a series).
    pub fn load_or_new(path: &Path) -> Result<Ledger, SdcError> {
        if path.exists() {
            Ledger::load(path)
        } else {
            Ok(Ledger::new())
        }
    }

    /// Writes the ledger as JSON, entries sorted by series and key (creating its folder).
    pub fn save(&self, path: &Path) -> Result<(), SdcError> {
        let mut entries: Vec<FileEntry> =
            self.entries().map(|e| FileEntry { series: e.series, key: e.key, value: Some(e.value), suppressed: false }).collect();
        entries.extend(self.suppressed.iter().map(|(series, key)| FileEntry { series: series.clone(), key: key.clone(), value: None, suppressed: true }));
        let file = LedgerFile { entries };
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| SdcError::Ledger { file: path.to_path_buf(), reason: e.to_string() })?;
        let failed = |e: std::io::Error| SdcError::Ledger { file: path.to_path_buf(), reason: e.to_string() };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        std::fs::write(path, text + "\n").map_err(failed)
    }

    /// Adds (or replaces) one published cell.
    pub fn record(&mut self, entry: LedgerEntry) {
        self.suppressed.remove(&(entry.series.clone(), entry.key.clone()));
        self.entries.insert((entry.series, entry.key), entry.value);
    }

    /// Records that a cell was shown suppressed.
    pub fn record_suppressed(&mut self, series: &str, key: CellKey) {
        let k = (series.to_string(), key);
        self.entries.remove(&k);
        self.suppressed.insert(k);
    }

    /// True when an earlier run showed the cell suppressed.
    pub fn is_suppressed(&self, series: &str, key: &CellKey) -> bool {
        self.suppressed.contains(&(series.to_string(), key.clone()))
    }

    /// Value published earlier for a cell of a series.
    pub fn get(&self, series: &str, key: &CellKey) -> Option<f64> {
        self.entries.get(&(series.to_string(), key.clone())).copied()
    }

    pub fn len(&self) -> usize {
        self.entries.len() + self.suppressed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.suppressed.is_empty()
    }

    pub fn entries(&self) -> impl Iterator<Item = LedgerEntry> + '_ {
        self.entries.iter().map(|((series, key), &value)| LedgerEntry { series: series.clone(), key: key.clone(), value })
    }

    /// Records the status of every publishable cell of a protection: published values and
    /// suppressions (rounded outputs are not recorded).
    pub fn record_publication(&mut self, problem: &Problem, protection: &Protection) {
        for (cell, status) in problem.cells.iter().zip(&protection.statuses) {
            // A rounded value is not the cell's value: nothing later can build on it.
            if matches!(status, crate::sdc::explain::CellStatus::Rounded { .. }) {
                continue;
            }
            if let Some(value) = status.public_value() {
                self.record(LedgerEntry { series: problem.series.clone(), key: cell.key.clone(), value });
            } else if status.is_suppressed() {
                self.record_suppressed(&problem.series, cell.key.clone());
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
    fn suppressions_round_trip_and_a_later_publication_replaces_them() {
        let mut l = Ledger::new();
        let key = CellKey::new("ytd", vec![("area".into(), "E1".into())]);
        l.record_suppressed("pack", key.clone());
        let dir = std::env::temp_dir().join(format!("sdc-ledger-s-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.json");
        l.save(&path).unwrap();
        let back = Ledger::load(&path).unwrap();
        assert!(back.is_suppressed("pack", &key) && back.get("pack", &key).is_none());
        let mut again = back;
        again.record(LedgerEntry { series: "pack".into(), key: key.clone(), value: 3.0 });
        assert!(!again.is_suppressed("pack", &key));
        std::fs::write(&path, r#"{"entries": [{"series": "s", "key": {"measure": "m", "coords": []}}]}"#).unwrap();
        assert!(Ledger::load(&path).unwrap_err().to_string().contains("entry 1"));
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
