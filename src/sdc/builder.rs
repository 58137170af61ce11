//! Building a [`Problem`] from tables: named hierarchical dimensions (a `Total` and nested
//! categories, for example England > region > LA), a measure, and cells. Every parent or total
//! coordinate generates a relation `cell = sum(children along that dimension)`; cells of several
//! tables that count the same population share a canonical key and become one cell.

use std::collections::HashMap;

use crate::sdc::error::SdcError;
use crate::sdc::model::{Cell, CellId, CellKey, CellKind, Problem, RateCell, Relation};

/// One category of a dimension; `parent: None` means its parent is the dimension's total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDef {
    pub code: String,
    pub parent: Option<String>,
}

/// A dimension: a hierarchy of categories under a total label (usually `Total`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimensionDef {
    pub name: String,
    pub total: String,
    pub categories: Vec<CategoryDef>,
}

/// A table: dimensions and the measure its cells count or sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    pub id: String,
    pub measure: String,
    pub dimensions: Vec<DimensionDef>,
}

/// One cell of a table: a category (or the total label) per dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCell {
    pub coords: Vec<String>,
    pub value: f64,
    /// Per-contributor values for a magnitude cell; `None` for a count.
    pub contributors: Option<Vec<f64>>,
}

/// A validated dimension: index 0 is the total.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    pub codes: Vec<String>,
    pub index: HashMap<String, usize>,
    pub parent: Vec<Option<usize>>,
    pub children: Vec<Vec<usize>>,
}

impl Hierarchy {
    /// Validates a dimension: no duplicate or total-named categories, known parents, no cycles.
    pub fn new(table: &str, dim: &DimensionDef) -> Result<Hierarchy, SdcError> {
        let bad = |reason: String| SdcError::TableDefinition { table: table.to_string(), reason };
        let mut codes = vec![dim.total.clone()];
        let mut index = HashMap::from([(dim.total.clone(), 0)]);
        for c in &dim.categories {
            if index.insert(c.code.clone(), codes.len()).is_some() {
                return Err(bad(format!("dimension {}: category {:?} appears twice or is the total", dim.name, c.code)));
            }
            codes.push(c.code.clone());
        }
        let mut parent = vec![None; codes.len()];
        let mut children = vec![Vec::new(); codes.len()];
        for (i, c) in dim.categories.iter().enumerate() {
            let p = match &c.parent {
                None => 0,
                Some(p) => *index
                    .get(p)
                    .ok_or_else(|| bad(format!("dimension {}: parent {p:?} of {:?} is not a category", dim.name, c.code)))?,
            };
            parent[i + 1] = Some(p);
            children[p].push(i + 1);
        }
        for start in 1..codes.len() {
            let (mut at, mut steps) = (start, 0);
            while let Some(p) = parent[at] {
                at = p;
                steps += 1;
                if steps > codes.len() {
                    return Err(bad(format!("dimension {}: category {:?} is its own ancestor", dim.name, codes[start])));
                }
            }
        }
        Ok(Hierarchy { codes, index, parent, children })
    }

    pub fn is_leaf(&self, i: usize) -> bool {
        self.children[i].is_empty()
    }

    /// Steps from the category down to its deepest leaf (0 for a leaf; England above regions
    /// above LAs is 2).
    pub fn height(&self, i: usize) -> u32 {
        self.children[i].iter().map(|&k| 1 + self.height(k)).max().unwrap_or(0)
    }

    /// The category and all its ancestors up to the total.
    pub fn ancestors_inclusive(&self, mut i: usize) -> Vec<usize> {
        let mut out = vec![i];
        while let Some(p) = self.parent[i] {
            out.push(p);
            i = p;
        }
        out
    }
}

fn hierarchies(def: &TableDef) -> Result<Vec<Hierarchy>, SdcError> {
    def.dimensions.iter().map(|d| Hierarchy::new(&def.id, d)).collect()
}

fn coordinates(def: &TableDef, h: &[Hierarchy], cell: &TableCell) -> Result<Vec<usize>, SdcError> {
    let bad = |reason: String| SdcError::TableCell { table: def.id.clone(), key: cell.coords.join("/"), reason };
    if cell.coords.len() != h.len() {
        return Err(bad(format!("{} coordinates for {} dimensions", cell.coords.len(), h.len())));
    }
    cell.coords
        .iter()
        .zip(h)
        .zip(&def.dimensions)
        .map(|((c, hier), dim)| hier.index.get(c).copied().ok_or_else(|| bad(format!("{c:?} is not a category of {}", dim.name))))
        .collect()
}

/// Adds up inner cells (every coordinate a leaf category) into the complete table: all
/// combinations of categories and totals, missing inner combinations counted as zero.
pub fn aggregate(def: &TableDef, inner: &[TableCell]) -> Result<Vec<TableCell>, SdcError> {
    let h = hierarchies(def)?;
    let magnitude = inner.iter().any(|c| c.contributors.is_some());
    let mut sums: HashMap<Vec<usize>, (f64, Vec<f64>)> = HashMap::new();
    // Every combination exists, so the table is complete.
    let mut all = vec![Vec::new()];
    for x in &h {
        all = all
            .into_iter()
            .flat_map(|prefix: Vec<usize>| {
                (0..x.codes.len()).map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i);
                    p
                })
            })
            .collect();
    }
    for coords in all {
        sums.insert(coords, (0.0, Vec::new()));
    }
    for cell in inner {
        let coords = coordinates(def, &h, cell)?;
        if let Some((d, _)) = coords.iter().enumerate().find(|&(d, &i)| !h[d].is_leaf(i)) {
            return Err(SdcError::TableCell {
                table: def.id.clone(),
                key: cell.coords.join("/"),
                reason: format!("inner cells need leaf categories; {:?} has children", cell.coords[d]),
            });
        }
        let chains: Vec<Vec<usize>> = coords.iter().zip(&h).map(|(&i, x)| x.ancestors_inclusive(i)).collect();
        let mut targets = vec![Vec::new()];
        for chain in &chains {
            targets = targets
                .into_iter()
                .flat_map(|p: Vec<usize>| chain.iter().map(move |&a| [p.clone(), vec![a]].concat()))
                .collect();
        }
        for t in targets {
            let entry = sums.entry(t).or_insert((0.0, Vec::new()));
            entry.0 += cell.value;
            if let Some(c) = &cell.contributors {
                entry.1.extend_from_slice(c);
            }
        }
    }
    let mut out: Vec<(Vec<usize>, (f64, Vec<f64>))> = sums.into_iter().collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out
        .into_iter()
        .map(|(coords, (value, contributors))| TableCell {
            coords: coords.iter().zip(&h).map(|(&i, x)| x.codes[i].clone()).collect(),
            value,
            contributors: magnitude.then_some(contributors),
        })
        .collect())
}

/// Another name for the same population. Cells whose keys match an alias get the canonical
/// key, so two tables that count the same people under different names share one cell (one
/// value, one status) rather than two cells tied by an equality, which the singleton check
/// would take for two disjoint populations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAlias {
    /// Cells of `measure` without a `dimension` coordinate are cells of `to_measure` with
    /// `dimension = category` (successful completions = exits with reason "successful
    /// completion"); with `dimension` empty the measure is only renamed.
    Measure { measure: String, to_measure: String, dimension: String, category: String },
    /// The coordinate `dimension = category` is the coordinate `to_dimension = to_category`
    /// (PHOF group "alcohol" = substance group "alcohol only"), unless the key already has a
    /// `to_dimension` coordinate.
    Category { dimension: String, category: String, to_dimension: String, to_category: String },
}

impl KeyAlias {
    fn apply(&self, key: &mut CellKey) -> bool {
        match self {
            KeyAlias::Measure { measure, to_measure, dimension, category } => {
                if &key.measure != measure || key.coords.iter().any(|(d, _)| d == dimension) {
                    return false;
                }
                key.measure = to_measure.clone();
                if !dimension.is_empty() {
                    key.coords.push((dimension.clone(), category.clone()));
                }
            }
            KeyAlias::Category { dimension, category, to_dimension, to_category } => {
                let Some(at) = key.coords.iter().position(|(d, c)| d == dimension && c == category) else { return false };
                if key.coords.iter().any(|(d, _)| d == to_dimension) {
                    return false;
                }
                key.coords[at] = (to_dimension.clone(), to_category.clone());
            }
        }
        key.coords.sort();
        true
    }
}

/// Incrementally builds a [`Problem`] from tables, internal cells, relations and rates.
#[derive(Debug, Default)]
pub struct ProblemBuilder {
    problem: Problem,
    aliases: Vec<KeyAlias>,
}

impl ProblemBuilder {
    pub fn new(series: &str) -> Self {
        ProblemBuilder { problem: Problem::new(series), aliases: Vec::new() }
    }

    /// Registers an alias; it applies to the cells of tables added after it.
    pub fn alias(&mut self, alias: KeyAlias) {
        self.aliases.push(alias);
    }

    /// The canonical form of a key under the registered aliases (applied until none matches).
    pub fn canonical_key(&self, key: &CellKey) -> CellKey {
        let mut key = key.clone();
        for _ in 0..=self.aliases.len() {
            if !self.aliases.iter().any(|a| a.apply(&mut key)) {
                break;
            }
        }
        key
    }

    /// Marks a cell as an aggregate of other cells (a linked sum such as PHOF "non-opiate" =
    /// two substance groups): it costs more as a complement, and the singleton check no longer
    /// treats it as a population disjoint from its parts.
    pub fn mark_aggregate(&mut self, id: CellId) {
        let cell = &mut self.problem.cells[id];
        cell.aggregation_level = cell.aggregation_level.max(1);
    }

    /// Adds a complete table (every total present) and its relations; returns the cell id of
    /// each given cell, in order. Linked cells (same canonical key) are merged.
    pub fn add_table(&mut self, def: &TableDef, cells: &[TableCell]) -> Result<Vec<CellId>, SdcError> {
        let h = hierarchies(def)?;
        let mut at: HashMap<Vec<usize>, CellId> = HashMap::with_capacity(cells.len());
        let mut ids = Vec::with_capacity(cells.len());
        let mut coords_of = Vec::with_capacity(cells.len());
        for cell in cells {
            let coords = coordinates(def, &h, cell)?;
            let key_coords = coords
                .iter()
                .zip(&h)
                .zip(&def.dimensions)
                .filter(|((&i, _), _)| i != 0)
                .map(|((&i, x), d)| (d.name.clone(), x.codes[i].clone()))
                .collect();
            let level = coords.iter().zip(&h).filter(|(&i, x)| !x.is_leaf(i)).count() as u32;
            let kind = match &cell.contributors {
                Some(c) => CellKind::Magnitude { contributors: c.clone() },
                None => CellKind::Count,
            };
            let key = self.canonical_key(&CellKey::new(&def.measure, key_coords));
            let id = self.problem.add_cell(&def.id, Cell { key, value: cell.value, kind, publishable: true, aggregation_level: level, tables: vec![] })?;
            let merged = &mut self.problem.cells[id];
            merged.aggregation_level = merged.aggregation_level.max(level);
            if at.insert(coords.clone(), id).is_some() {
                return Err(SdcError::TableCell { table: def.id.clone(), key: cell.coords.join("/"), reason: "cell given twice".into() });
            }
            ids.push(id);
            coords_of.push(coords);
        }
        for (k, coords) in coords_of.iter().enumerate() {
            for (d, x) in h.iter().enumerate() {
                let kids = &x.children[coords[d]];
                if kids.is_empty() {
                    continue;
                }
                let mut parts = Vec::with_capacity(kids.len());
                for &child in kids {
                    let mut c = coords.clone();
                    c[d] = child;
                    let id = at.get(&c).copied().ok_or_else(|| SdcError::TableCell {
                        table: def.id.clone(),
                        key: c.iter().zip(&h).map(|(&i, x)| x.codes[i].as_str()).collect::<Vec<_>>().join("/"),
                        reason: format!("missing: needed as a part of {}", cells[k].coords.join("/")),
                    })?;
                    parts.push(id);
                }
                let rel = Relation::total_of(ids[k], &parts);
                self.problem.relations.push(rel);
            }
        }
        let cell_at = at.into_iter().map(|(c, id)| (c.into_iter().map(|i| i as u32).collect(), id)).collect();
        self.problem.shapes.push(crate::sdc::cube::TableShape {
            id: def.id.clone(),
            hierarchies: h,
            dimension_names: def.dimensions.iter().map(|d| d.name.clone()).collect(),
            cell_at,
        });
        Ok(ids)
    }

    /// Adds a cell this product does not show but an earlier product of the ledger did (a
    /// release's PHOF "non-opiate" in the packs): publishable, so the ledger's status binds it
    /// (published: a known constant; suppressed: suppressed again and protected). Only for cells
    /// the ledger holds, since a publishable cell the ledger lacks could be chosen as published.
    pub fn add_earlier_cell(&mut self, table: &str, key: CellKey, value: f64, kind: CellKind) -> Result<CellId, SdcError> {
        self.problem.add_cell(table, Cell { key, value, kind, publishable: true, aggregation_level: 1, tables: vec![] })
    }

    /// Adds an internal-only cell (never published; protected when sensitive).
    pub fn add_internal_cell(&mut self, table: &str, key: CellKey, value: f64, kind: CellKind) -> Result<CellId, SdcError> {
        self.problem.add_cell(table, Cell { key, value, kind, publishable: false, aggregation_level: 0, tables: vec![] })
    }

    /// Adds a general relation `sum(coefficient * cell) = 0`.
    pub fn add_relation(&mut self, terms: Vec<(CellId, i64)>) -> Result<(), SdcError> {
        self.problem.add_relation(terms)
    }

    /// Adds a rate `numerator / denominator`.
    pub fn add_rate(&mut self, table: &str, key: CellKey, numerator: CellId, denominator: CellId) -> Result<usize, SdcError> {
        self.problem.add_rate(RateCell { key, numerator, denominator, tables: vec![table.to_string()] })
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// The finished problem, duplicate relations removed.
    pub fn build(mut self) -> Problem {
        self.problem.dedup_relations();
        self.problem
    }
}
