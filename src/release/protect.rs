//! Disclosure control for a whole release at once: every table's grid of
//! cells becomes part of one protection problem (cells that count the same
//! population in two tables are merged, under aliases where the tables name
//! them differently, such as successful completions and exits with reason
//! "successful completion"), rates follow their parts, and the engine's audit
//! must pass before anything is written.

use std::collections::HashMap;

use anyhow::{Context, Result};

use super::data::{Area, Counts, TOTAL};
use super::spec::{LinkSpec, TableSpec};
use crate::geography::ENGLAND_CODE;
use crate::measures::period::Period;
use crate::sdc::{self, CategoryDef, CellId, CellKey, DimensionDef, KeyAlias, Ledger, ProblemBuilder, RuleSet, TableCell, TableDef};

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
pub fn protect_release(grids: &[Grid], links: &[LinkSpec], rules: &RuleSet, ledger: &Ledger, period: &Period) -> Result<Protected> {
    let mut builder = ProblemBuilder::new(crate::output::PUBLICATIONS);
    let (cells, rates) = add_release_tables(&mut builder, grids, links, period)?;
    let problem = builder.build();
    let protection = sdc::protect(&problem, rules, ledger).context("disclosure control failed: nothing was written")?;
    Ok(Protected { problem, protection, cells, rates })
}

/// Cell ids of the release's tables, by table and grid coordinate; and of its rates.
pub type ReleaseCells = (HashMap<(String, Coord), CellId>, HashMap<(String, Coord), usize>);

/// Adds every table of the release (cells, relations, links, rates) to a problem, so that
/// other products of the same period can be protected together with it.
pub fn add_release_tables(builder: &mut ProblemBuilder, grids: &[Grid], links: &[LinkSpec], period: &Period) -> Result<ReleaseCells> {
    let mut populations: Vec<String> = grids.iter().map(|g| g.table.population.clone()).collect();
    populations.sort();
    populations.dedup();
    register_aliases(builder, links, &populations, period);
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
                let base = period.qualify(&format!("{}:{measure}", t.population));
                // A month of a trend is that calendar month's own cell (as packs key it).
                let month = (t.dimension == "month" && cat != TOTAL)
                    .then(|| crate::measures::period::qualify_month(&format!("{}:{measure}", t.population), cat))
                    .flatten();
                let sdc_measure = match month {
                    Some(m) => m,
                    None if cat == TOTAL || additive_dim => base,
                    None => format!("{base}|{}={cat}", t.dimension),
                };
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
    add_sum_links(builder, links)?;
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
                        let key = CellKey::new(&period.qualify(&format!("{}:{}", g.table.population, r.name)), key_coords);
                        let i = builder.add_rate(&g.table.id, key, num, den).with_context(|| format!("adding rate {} of table {}", r.name, g.table.id))?;
                        rates.insert((g.table.id.clone(), (r.name.clone(), a.code.clone(), s.clone(), c.clone())), i);
                    }
                }
            }
        }
    }
    Ok((cells, rates))
}

fn substances_of(g: &Grid) -> Vec<(String, Option<String>)> {
    if g.table.substance {
        g.substances.clone()
    } else {
        vec![(TOTAL.to_string(), None)]
    }
}

/// The key every product gives a cell of `population` in `period`: `key` under the links of
/// the release's table list (successful completions are exits with reason "successful
/// completion", PHOF "alcohol" is substance group "alcohol only"), so the publication ledger
/// holds one entry per cell whichever product showed it first.
pub fn canonical_key(key: &CellKey, links: &[LinkSpec], population: &str, period: &Period) -> CellKey {
    let mut builder = ProblemBuilder::new(crate::output::PUBLICATIONS);
    register_aliases(&mut builder, links, std::slice::from_ref(&population.to_string()), period);
    builder.canonical_key(key)
}

/// Cells that count the same people or journeys under two names become one cell (aliases,
/// registered before any table): a measure link (successful completions = exits with reason
/// "successful completion"; waiting = new presentations) and a category link to a single
/// substance group (PHOF "alcohol" = "alcohol only"). One cell has one value and one status in
/// every table that shows it.
pub fn register_aliases(builder: &mut ProblemBuilder, links: &[LinkSpec], populations: &[String], period: &Period) {
    for link in links {
        if let (Some(m), Some(target)) = (&link.measure, &link.equals_measure) {
            for p in populations {
                builder.alias(KeyAlias::Measure {
                    measure: period.qualify(&format!("{p}:{m}")),
                    to_measure: period.qualify(&format!("{p}:{target}")),
                    dimension: link.dimension.clone(),
                    category: link.category.clone(),
                });
            }
        } else if let Some([group]) = link.equals_substance.as_deref() {
            builder.alias(KeyAlias::Category {
                dimension: link.dimension.clone(),
                category: link.category.clone(),
                to_dimension: "substance_group".into(),
                to_category: group.clone(),
            });
        }
    }
}

/// A category link to several substance groups (PHOF "non-opiate" = "non-opiate only" +
/// "non-opiate and alcohol") is a sum: an equality relation, and the cell is an aggregate.
fn add_sum_links(builder: &mut ProblemBuilder, links: &[LinkSpec]) -> Result<()> {
    let snapshot: Vec<CellKey> = builder.problem().cells.iter().map(|c| c.key.clone()).collect();
    let mut sums = Vec::new();
    for (id, key) in snapshot.iter().enumerate() {
        for link in links {
            let Some(groups) = link.equals_substance.as_ref().filter(|g| g.len() > 1) else { continue };
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
                    builder.problem().cell_id(&builder.canonical_key(&CellKey::new(&key.measure, c)))
                })
                .collect();
            if let Some(parts) = parts {
                let mut terms = vec![(id, 1)];
                terms.extend(parts.into_iter().map(|p| (p, -1)));
                sums.push((id, terms));
            }
        }
    }
    for (id, terms) in sums {
        builder.add_relation(terms).context("linking cells across tables")?;
        builder.mark_aggregate(id);
    }
    Ok(())
}
