//! Disclosure control for a whole release at once: every table's grid of
//! cells becomes part of one protection problem (cells that count the same
//! population in two tables are merged; linked measures such as successful
//! completions and exits with reason "successful completion" are tied by
//! equality relations), rates follow their parts, and the engine's audit
//! must pass before anything is written.

use std::collections::HashMap;

use anyhow::{Context, Result};

use super::data::{Area, Counts, TOTAL};
use super::spec::{LinkSpec, TableSpec};
use crate::geography::ENGLAND_CODE;
use crate::sdc::{self, CategoryDef, CellId, CellKey, DimensionDef, Ledger, ProblemBuilder, RuleSet, TableCell, TableDef};

/// The cell grid of one release table.
#[derive(Debug, Clone)]
pub struct Grid {
    pub table: TableSpec,
    pub areas: Vec<Area>,
    /// `Total` first, then substance groups with their parent (opiate's two parts).
    pub substances: Vec<(String, Option<String>)>,
    /// `Total` first, then the dimension's categories (just `Total` without a dimension).
    pub categories: Vec<String>,
    pub counts: Counts,
}

/// Where a published number sits in a grid.
pub type Coord = (String, String, String, String); // (measure, area, substance, category)

/// The protected run: problem, outcome, and the way back from grid coordinates to cells.
pub struct Protected {
    pub problem: sdc::Problem,
    pub protection: sdc::Protection,
    cells: HashMap<(String, Coord), CellId>,
    rates: HashMap<(String, Coord), usize>,
}

impl Protected {
    /// The status of a count cell of a table.
    pub fn cell(&self, table: &str, coord: &Coord) -> Option<(CellId, &sdc::CellStatus)> {
        self.cells.get(&(table.to_string(), coord.clone())).map(|&id| (id, &self.protection.statuses[id]))
    }
    /// The status of a rate cell (coord's measure = the rate's name).
    pub fn rate(&self, table: &str, coord: &Coord) -> Option<&sdc::RateStatus> {
        self.rates.get(&(table.to_string(), coord.clone())).map(|&i| &self.protection.rates[i])
    }
}

fn geography_dimension(areas: &[Area]) -> DimensionDef {
    DimensionDef {
        name: "geography".into(),
        total: ENGLAND_CODE.into(),
        categories: areas
            .iter()
            .filter(|a| a.parent.is_some())
            .map(|a| CategoryDef {
                code: a.code.clone(),
                parent: a.parent.clone().filter(|p| p != ENGLAND_CODE),
            })
            .collect(),
    }
}

/// Builds the problem for every grid, runs the engine, and returns the statuses.
pub fn protect_release(grids: &[Grid], links: &[LinkSpec], rules: &RuleSet, ledger: &Ledger, series: &str) -> Result<Protected> {
    let mut builder = ProblemBuilder::new(series);
    let mut cells = HashMap::new();
    for g in grids {
        let t = &g.table;
        let mut dims = vec![geography_dimension(&g.areas)];
        if t.substance {
            dims.push(DimensionDef {
                name: "substance_group".into(),
                total: TOTAL.into(),
                categories: g.substances.iter().skip(1).map(|(c, p)| CategoryDef { code: c.clone(), parent: p.clone() }).collect(),
            });
        }
        // A non-additive dimension (a person in several settings) is no hierarchy: each
        // category is its own measure, so no "total = sum of parts" relation is claimed.
        let additive_dim = !t.dimension.is_empty() && t.additive;
        if additive_dim {
            dims.push(DimensionDef {
                name: t.dimension.clone(),
                total: TOTAL.into(),
                categories: g.categories.iter().skip(1).map(|c| CategoryDef { code: c.clone(), parent: None }).collect(),
            });
        }
        for measure in &t.measures {
            let cats: Vec<&String> = if additive_dim || t.dimension.is_empty() { vec![&g.categories[0]] } else { g.categories.iter().collect() };
            for cat in cats {
                // Adults and young people are different populations: the population is part of the measure.
                let base = format!("{}:{measure}", t.population);
                let sdc_measure = if cat == TOTAL || additive_dim { base } else { format!("{base}|{}={cat}", t.dimension) };
                let def = TableDef { id: t.id.clone(), measure: sdc_measure, dimensions: dims.clone() };
                let mut table_cells = Vec::new();
                let mut coords = Vec::new();
                for a in &g.areas {
                    for (s, _) in substances_of(g) {
                        let row_cats: Vec<&String> = if additive_dim { g.categories.iter().collect() } else { vec![cat] };
                        for c in row_cats {
                            let mut co = vec![a.code.clone()];
                            if t.substance {
                                co.push(s.clone());
                            }
                            if additive_dim {
                                co.push(c.clone());
                            }
                            let value = g.counts.get(measure, &a.code, &s, c);
                            table_cells.push(TableCell { coords: co, value, contributors: None });
                            coords.push((measure.clone(), a.code.clone(), s.clone(), c.clone()));
                        }
                    }
                }
                let ids = builder
                    .add_table(&def, &table_cells)
                    .with_context(|| format!("building the protection problem for table {} ({measure})", t.id))?;
                for (coord, id) in coords.into_iter().zip(ids) {
                    cells.insert((t.id.clone(), coord), id);
                }
            }
        }
    }
    let twins = add_links(&mut builder, links)?;
    let mut rates = HashMap::new();
    for g in grids {
        for r in &g.table.rates {
            for a in &g.areas {
                for (s, _) in substances_of(g) {
                    for c in &g.categories {
                        let num = cells[&(g.table.id.clone(), (r.numerator.clone(), a.code.clone(), s.clone(), c.clone()))];
                        let den = cells[&(g.table.id.clone(), (r.denominator.clone(), a.code.clone(), s.clone(), c.clone()))];
                        let mut key_coords = vec![("geography".to_string(), a.code.clone())];
                        if s != TOTAL {
                            key_coords.push(("substance_group".into(), s.clone()));
                        }
                        if c != TOTAL {
                            key_coords.push((g.table.dimension.clone(), c.clone()));
                        }
                        let key = CellKey::new(&format!("{}:{}", g.table.population, r.name), key_coords);
                        let i = builder.add_rate(&g.table.id, key, num, den).with_context(|| format!("adding rate {} of table {}", r.name, g.table.id))?;
                        rates.insert((g.table.id.clone(), (r.name.clone(), a.code.clone(), s.clone(), c.clone())), i);
                    }
                }
            }
        }
    }
    let problem = builder.build();
    let mut protection = sdc::protect(&problem, rules, ledger).context("disclosure control failed: nothing was written")?;
    harmonise_twins(&mut protection, &twins);
    Ok(Protected { problem, protection, cells, rates })
}

fn substances_of(g: &Grid) -> Vec<(String, Option<String>)> {
    if g.table.substance {
        g.substances.clone()
    } else {
        vec![(TOTAL.to_string(), None)]
    }
}

/// Ties linked cells together. Category links (a PHOF group = a sum of substance
/// groups) and measure links without a dimension become equality relations for the
/// engine. Measure links restricted to a category (successful completions = exits
/// with reason "successful completion") are returned as twins: after protection a
/// twin of a suppressed cell is suppressed too, which can only widen what an
/// attacker can infer, never narrow it.
fn add_links(builder: &mut ProblemBuilder, links: &[LinkSpec]) -> Result<Vec<(CellId, CellId)>> {
    let snapshot: Vec<CellKey> = builder.problem().cells.iter().map(|c| c.key.clone()).collect();
    let mut relations = Vec::new();
    let mut twins = Vec::new();
    for (id, key) in snapshot.iter().enumerate() {
        for link in links {
            let (population, measure) = key.measure.split_once(':').unwrap_or(("", key.measure.as_str()));
            if let (Some(m), Some(target)) = (&link.measure, &link.equals_measure) {
                if measure != m || key.coords.iter().any(|(d, _)| !link.dimension.is_empty() && d == &link.dimension) {
                    continue;
                }
                let target = format!("{population}:{target}");
                let mut coords = key.coords.clone();
                if !link.dimension.is_empty() {
                    coords.push((link.dimension.clone(), link.category.clone()));
                }
                if let Some(other) = builder.problem().cell_id(&CellKey::new(&target, coords)) {
                    if link.dimension.is_empty() {
                        relations.push(vec![(id, 1), (other, -1)]);
                    } else {
                        twins.push((id, other));
                    }
                }
            } else if let Some(groups) = &link.equals_substance {
                let hit = key.coords.iter().any(|(d, c)| d == &link.dimension && c == &link.category);
                if !hit || key.coords.iter().any(|(d, _)| d == "substance_group") {
                    continue;
                }
                let base: Vec<(String, String)> = key.coords.iter().filter(|(d, _)| d != &link.dimension).cloned().collect();
                let parts: Option<Vec<CellId>> = groups
                    .iter()
                    .map(|g| {
                        let mut c = base.clone();
                        c.push(("substance_group".into(), g.clone()));
                        builder.problem().cell_id(&CellKey::new(&key.measure, c))
                    })
                    .collect();
                if let Some(parts) = parts {
                    let mut terms = vec![(id, 1)];
                    terms.extend(parts.into_iter().map(|p| (p, -1)));
                    relations.push(terms);
                }
            }
        }
    }
    for terms in relations {
        builder.add_relation(terms).context("linking cells across tables")?;
    }
    Ok(twins)
}

/// Suppresses the published twin of every suppressed cell (see [`add_links`]).
fn harmonise_twins(protection: &mut sdc::Protection, twins: &[(CellId, CellId)]) {
    loop {
        let mut changed = false;
        for &(a, b) in twins {
            for (x, y) in [(a, b), (b, a)] {
                if protection.statuses[x].is_suppressed() && !protection.statuses[y].is_suppressed() {
                    protection.statuses[y] = sdc::CellStatus::Suppressed { reason: sdc::Reason::Secondary { protects: vec![x] } };
                    protection.counts.secondary += 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}
