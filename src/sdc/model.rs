//! The generic protection problem: cells (counts or magnitudes, publishable or internal-only),
//! sparse linear relations with small integer coefficients between them, and rate cells that
//! follow a numerator and a denominator cell. Tables are only one way to build a problem
//! (see `builder`); products may add general relations such as
//! `ytd_apr - ytd_mar - month_apr = 0` with `month_apr` internal.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::sdc::error::SdcError;

/// Index of a cell in [`Problem::cells`].
pub type CellId = usize;

pub use crate::sdc::key::{CellKey, Span};

/// What a cell holds, which decides the primary rules that apply to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CellKind {
    /// A frequency: number of people, episodes, ...
    Count,
    /// A sum over contributors (for example days in treatment); the per-contributor values feed
    /// the dominance and p% rules.
    Magnitude { contributors: Vec<f64> },
}

/// One cell of the problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub key: CellKey,
    pub value: f64,
    pub kind: CellKind,
    /// `false` for internal-only cells: never published, protected when sensitive.
    pub publishable: bool,
    /// Number of coordinates that are a total or a parent category (0 for an inner cell);
    /// steers the cost of choosing the cell as a complement.
    pub aggregation_level: u32,
    /// Tables in which the cell appears (several when tables are linked).
    pub tables: Vec<String>,
}

/// `sum(coefficient * cell) = 0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Relation {
    pub terms: Vec<(CellId, i64)>,
}

impl Relation {
    /// A relation `total = sum(parts)`.
    pub fn total_of(total: CellId, parts: &[CellId]) -> Self {
        let mut terms = vec![(total, 1)];
        terms.extend(parts.iter().map(|&p| (p, -1)));
        Relation::normalised(terms)
    }

    /// Merges repeated cells, drops zero coefficients, sorts by cell and makes the first
    /// coefficient positive so that equal relations compare equal.
    pub fn normalised(mut terms: Vec<(CellId, i64)>) -> Self {
        terms.sort_unstable();
        let mut merged: Vec<(CellId, i64)> = Vec::with_capacity(terms.len());
        for (c, a) in terms {
            match merged.last_mut() {
                Some(last) if last.0 == c => last.1 += a,
                _ => merged.push((c, a)),
            }
        }
        merged.retain(|t| t.1 != 0);
        if merged.first().is_some_and(|t| t.1 < 0) {
            for t in &mut merged {
                t.1 = -t.1;
            }
        }
        Relation { terms: merged }
    }
}

/// A rate (or percentage) cell: published as numerator / denominator, never part of relations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateCell {
    pub key: CellKey,
    pub numerator: CellId,
    pub denominator: CellId,
    pub tables: Vec<String>,
}

/// Cells, relations and rates of one protection run.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    /// Series the cells belong to (matches ledger entries).
    pub series: String,
    pub cells: Vec<Cell>,
    pub relations: Vec<Relation>,
    pub rates: Vec<RateCell>,
    /// Shapes of the tables the problem was built from (for cycle certificates).
    pub shapes: Vec<crate::sdc::cube::TableShape>,
    /// Number of relations added by hand (not generated from a table).
    pub general_relations: usize,
    index: HashMap<CellKey, CellId>,
}

impl Problem {
    pub fn new(series: &str) -> Self {
        Problem {
            series: series.to_string(),
            ..Problem::default()
        }
    }

    /// Looks a cell up by its canonical key.
    pub fn cell_id(&self, key: &CellKey) -> Option<CellId> {
        self.index.get(key).copied()
    }

    /// Adds a cell, or returns the existing id when the key is already present and the value
    /// agrees; `table` is recorded on the cell. Conflicting values are an error naming both tables.
    pub fn add_cell(&mut self, table: &str, cell: Cell) -> Result<CellId, SdcError> {
        if let Some(&id) = self.index.get(&cell.key) {
            let existing = &mut self.cells[id];
            if (existing.value - cell.value).abs() > 1e-9 * existing.value.abs().max(1.0) {
                return Err(SdcError::ConflictingLinkedCell {
                    key: cell.key.to_string(),
                    first_table: existing.tables.first().cloned().unwrap_or_default(),
                    first_value: existing.value,
                    second_table: table.to_string(),
                    second_value: cell.value,
                });
            }
            existing.publishable |= cell.publishable;
            if !existing.tables.iter().any(|t| t == table) {
                existing.tables.push(table.to_string());
            }
            return Ok(id);
        }
        let id = self.cells.len();
        self.index.insert(cell.key.clone(), id);
        let mut cell = cell;
        if !cell.tables.iter().any(|t| t == table) {
            cell.tables.push(table.to_string());
        }
        self.cells.push(cell);
        Ok(id)
    }

    /// Adds a general relation `sum(coefficient * cell) = 0` (duplicates are kept once).
    pub fn add_relation(&mut self, terms: Vec<(CellId, i64)>) -> Result<(), SdcError> {
        if let Some(&(id, _)) = terms.iter().find(|t| t.0 >= self.cells.len()) {
            return Err(SdcError::UnknownCell {
                what: "relation".into(),
                id,
            });
        }
        let relation = Relation::normalised(terms);
        if !relation.terms.is_empty() {
            self.relations.push(relation);
            self.general_relations += 1;
        }
        Ok(())
    }

    /// Adds a rate cell following `numerator / denominator`.
    pub fn add_rate(&mut self, rate: RateCell) -> Result<usize, SdcError> {
        for id in [rate.numerator, rate.denominator] {
            if id >= self.cells.len() {
                return Err(SdcError::UnknownCell {
                    what: format!("rate {}", rate.key),
                    id,
                });
            }
        }
        self.rates.push(rate);
        Ok(self.rates.len() - 1)
    }

    /// Removes duplicate relations (linked tables repeat their shared margins).
    pub fn dedup_relations(&mut self) {
        let mut seen = std::collections::HashSet::with_capacity(self.relations.len());
        self.relations.retain(|r| seen.insert(r.clone()));
    }

    /// For every cell, the relations it appears in.
    pub fn relations_of_cells(&self) -> Vec<Vec<u32>> {
        let mut by_cell = vec![Vec::new(); self.cells.len()];
        for (r, rel) in self.relations.iter().enumerate() {
            for &(c, _) in &rel.terms {
                by_cell[c].push(r as u32);
            }
        }
        by_cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(measure: &str, coords: &[(&str, &str)], value: f64) -> Cell {
        Cell {
            key: CellKey::new(
                measure,
                coords
                    .iter()
                    .map(|(d, c)| (d.to_string(), c.to_string()))
                    .collect(),
            ),
            value,
            kind: CellKind::Count,
            publishable: true,
            aggregation_level: 0,
            tables: vec![],
        }
    }

    #[test]
    fn key_is_canonical_whatever_the_dimension_order() {
        let a = CellKey::new("n", vec![("sex".into(), "m".into()), ("age".into(), "18".into())]);
        let b = CellKey::new("n", vec![("age".into(), "18".into()), ("sex".into(), "m".into())]);
        assert_eq!(a, b);
    }

    #[test]
    fn linked_cell_is_merged_and_conflict_names_both_tables() {
        let mut p = Problem::new("s");
        let a = p.add_cell("t01", count("n", &[("substance", "opiate")], 7.0)).unwrap();
        let b = p.add_cell("t02", count("n", &[("substance", "opiate")], 7.0)).unwrap();
        assert_eq!(a, b);
        assert_eq!(p.cells[a].tables, vec!["t01".to_string(), "t02".to_string()]);
        let err = p
            .add_cell("t03", count("n", &[("substance", "opiate")], 8.0))
            .unwrap_err()
            .to_string();
        assert!(err.contains("t01") && err.contains("t03"), "{err}");
    }

    #[test]
    fn relation_normalisation_makes_duplicates_equal() {
        let r1 = Relation::normalised(vec![(3, -1), (1, 1), (2, 1)]);
        let r2 = Relation::normalised(vec![(2, -1), (1, -1), (3, 1)]);
        assert_eq!(r1, r2);
    }
}
