//! The attacker's model, built from the output contract alone: one variable per cell identity
//! (population, measure, period, area, non-Total coordinates), published values as constants,
//! `[c]` cells as unknowns, and the linear relations the contract declares.
//!
//! Relations used (each tagged with a group: run, table, dimension or geography level, measure):
//! - per dimension that adds up for the measure (`additive`, `additive_measures`; absent means
//!   additive): `Total` = sum of the categories without parent, and every parent category = sum
//!   of its children. A month dimension that adds up for a measure thereby says the months equal
//!   the year's `Total`: that is the over-time relation the contract states.
//! - per table with `additive_geography: true`: every area shown = sum of the areas shown in the
//!   same table whose `geography.parent` it is, per measure and coordinates.
//! - per dimension with `equals` (a release's PHOF group = substance groups): the category's cell
//!   = sum of the cells with the other dimension's categories in its place (same population,
//!   measure, period, area and other coordinates), wherever any run shows them. Periods are the
//!   manifest's `start/end`, so a release's year and March's year to date are one period.
//!
//! Not used, on purpose: rates (`_rate`, `_rate_lower`, `_rate_upper` measures: they are ratios,
//! not sums; their cells are counted apart and not attacked), and any relation between periods
//! the contract does not state (a year to date of one run against a year of another, nested
//! periods of the same identity): keeping to the contract is what makes a finding a defect of
//! the engine rather than of the attacker. Rows marked `[x]` or `[z]` are not cells; a relation
//! with such a member, or with a member missing from the CSV, is left out and counted.
//!
//! When a table's manifest entry has no `population`, its cells count a population of their
//! own (the table id): identities across tables are then not merged, which can only make the
//! attacker weaker, never invent a relation.

use std::collections::{BTreeMap, HashMap};

use super::published::Run;

/// True for the measures of rates and their interval bounds.
pub fn is_rate(measure: &str) -> bool {
    measure.ends_with("_rate") || measure.ends_with("_rate_lower") || measure.ends_with("_rate_upper")
}

/// A linear relation `sum(coef * cell) = 0` and the group it belongs to.
#[derive(Debug, Clone)]
pub struct Relation {
    pub group: String,
    pub terms: Vec<(usize, f64)>,
}

/// Cells (one per identity) and relations of one or several runs.
#[derive(Debug, Default)]
pub struct Model {
    /// Identity of every cell, as text (`population|measure|period|area|dim=category,...`).
    pub ids: Vec<String>,
    /// Published value (constant) of a cell, if any occurrence published it.
    pub value: Vec<Option<f64>>,
    /// Whether any occurrence of the cell was `[c]`.
    pub suppressed: Vec<bool>,
    pub relations: Vec<Relation>,
    /// Rate cells seen (not attacked).
    pub rate_cells: usize,
    /// Relations left out for a member marked `[x]`/`[z]` or missing.
    pub incomplete_relations: usize,
    /// The same identity published with two different values.
    pub conflicts: Vec<String>,
    /// Tables without `population` (run/table).
    pub population_fallback: Vec<String>,
}

/// Options that weaken the attacker on purpose (controls).
#[derive(Debug, Clone, Default)]
pub struct Skip {
    /// Dimensions whose relations are not used.
    pub dimensions: Vec<String>,
}

impl Model {
    /// Builds the model of the given runs.
    pub fn build(runs: &[Run], skip: &Skip) -> Model {
        let mut m = Model::default();
        let mut index: HashMap<String, usize> = HashMap::new();
        // (cell, group, identities of the cells it is the sum of), resolved once every run is read.
        let mut sums: Vec<(usize, String, Vec<String>)> = Vec::new();
        for run in runs {
            // cell of every row (None: not a cell or a rate)
            let mut cell_of: Vec<Option<usize>> = Vec::with_capacity(run.rows.len());
            for t in &run.tables {
                if t.population.is_none() {
                    m.population_fallback.push(format!("{}/{}", run.name(), t.id));
                }
            }
            for row in &run.rows {
                let t = &run.tables[row.table];
                if is_rate(&row.measure) {
                    m.rate_cells += 1;
                    cell_of.push(None);
                    continue;
                }
                let suppressed = row.marker == "[c]";
                if row.value.is_none() && !suppressed {
                    cell_of.push(None);
                    continue;
                }
                let population = t.population.clone().unwrap_or_else(|| format!("table {}", t.id));
                let mut coords: Vec<String> = t.dimensions.iter().zip(&row.coords).filter(|(d, c)| **c != d.total).map(|(d, c)| format!("{}={c}", d.name)).collect();
                coords.sort();
                let id = format!("{population}|{}|{}|{}|{}", row.measure, row.period, row.area, coords.join(","));
                let i = *index.entry(id.clone()).or_insert_with(|| {
                    m.ids.push(id.clone());
                    m.value.push(None);
                    m.suppressed.push(false);
                    m.ids.len() - 1
                });
                m.suppressed[i] |= suppressed;
                for (k, d) in t.dimensions.iter().enumerate() {
                    let Some((other, parts)) = d.equals.get(&row.coords[k]) else { continue };
                    let ids = parts
                        .iter()
                        .map(|part| {
                            let mut c: Vec<String> = t.dimensions.iter().zip(&row.coords).enumerate().filter(|(j, (d, c))| *j != k && **c != d.total).map(|(_, (d, c))| format!("{}={c}", d.name)).collect();
                            c.push(format!("{other}={part}"));
                            c.sort();
                            format!("{population}|{}|{}|{}|{}", row.measure, row.period, row.area, c.join(","))
                        })
                        .collect();
                    sums.push((i, format!("{}/{}: {} {} = {other} {}", run.name(), t.id, d.name, row.coords[k], parts.join(" + ")), ids));
                }
                if let Some(v) = row.value {
                    match m.value[i] {
                        Some(old) if (old - v).abs() > 1e-9 => m.conflicts.push(format!("{id}: {old} and {v} ({}/{})", run.name(), t.id)),
                        _ => m.value[i] = Some(v),
                    }
                }
                cell_of.push(Some(i));
            }
            m.dimension_relations(run, &cell_of, skip);
            m.geography_relations(run, &cell_of);
        }
        let mut seen = std::collections::HashSet::new();
        for (cell, group, ids) in sums {
            let parts: Option<Vec<usize>> = ids.iter().map(|id| index.get(id).copied()).collect();
            // Parts no run shows: nothing to relate the category to.
            let Some(parts) = parts else { continue };
            if skip.dimensions.iter().any(|d| group.contains(&format!(": {d} "))) || !seen.insert(cell) {
                continue;
            }
            let mut terms = vec![(cell, 1.0)];
            terms.extend(parts.into_iter().map(|p| (p, -1.0)));
            m.relations.push(Relation { group, terms });
        }
        m
    }

    /// Adds `parent = sum(children)`; a missing member leaves the relation out.
    fn relate(&mut self, group: String, parent: Option<Option<usize>>, children: &[Option<Option<usize>>]) {
        let Some(parent) = parent else { return };
        if children.is_empty() {
            return;
        }
        if parent.is_none() || children.iter().any(|c| !matches!(c, Some(Some(_)))) {
            self.incomplete_relations += 1;
            return;
        }
        let mut terms = vec![(parent.unwrap(), 1.0)];
        terms.extend(children.iter().map(|c| (c.unwrap().unwrap(), -1.0)));
        self.relations.push(Relation { group, terms });
    }

    fn dimension_relations(&mut self, run: &Run, cell_of: &[Option<usize>], skip: &Skip) {
        for (ti, t) in run.tables.iter().enumerate() {
            for (k, d) in t.dimensions.iter().enumerate() {
                if skip.dimensions.contains(&d.name) {
                    continue;
                }
                // (period, area, measure, other coordinates) -> category -> row's cell
                let mut slices: BTreeMap<(String, String, String, Vec<String>), HashMap<String, Option<usize>>> = BTreeMap::new();
                for (ri, row) in run.rows.iter().enumerate() {
                    if row.table != ti || is_rate(&row.measure) || !d.adds_up_for(&row.measure) {
                        continue;
                    }
                    let mut others = row.coords.clone();
                    others.remove(k);
                    slices.entry((row.period.clone(), row.area.clone(), row.measure.clone(), others)).or_default().insert(row.coords[k].clone(), cell_of[ri]);
                }
                for ((_, _, measure, _), cats) in slices {
                    let group = format!("{}/{}: {} adds up ({measure})", run.name(), t.id, d.name);
                    let get = |c: &String| cats.get(c).copied();
                    let top: Vec<_> = d.categories.iter().filter(|c| !d.parent.contains_key(*c)).map(get).collect();
                    self.relate(group.clone(), get(&d.total), &top);
                    let mut parents: Vec<&String> = d.parent.values().collect();
                    parents.sort();
                    parents.dedup();
                    for p in parents {
                        let kids: Vec<_> = d.categories.iter().filter(|c| d.parent.get(*c) == Some(p)).map(get).collect();
                        self.relate(group.clone(), get(p), &kids);
                    }
                }
            }
        }
    }

    fn geography_relations(&mut self, run: &Run, cell_of: &[Option<usize>]) {
        for (ti, t) in run.tables.iter().enumerate() {
            if !t.additive_geography {
                continue;
            }
            // (period, measure, coordinates) -> area -> (level, row's cell)
            let mut slices: BTreeMap<(String, String, Vec<String>), BTreeMap<String, (String, Option<usize>)>> = BTreeMap::new();
            for (ri, row) in run.rows.iter().enumerate() {
                if row.table == ti && !is_rate(&row.measure) {
                    slices.entry((row.period.clone(), row.measure.clone(), row.coords.clone())).or_default().insert(row.area.clone(), (row.level.clone(), cell_of[ri]));
                }
            }
            for ((_, measure, _), areas) in slices {
                for (area, (level, cell)) in &areas {
                    let kids: Vec<_> = areas.iter().filter(|(a, _)| run.parent.get(*a) == Some(area)).map(|(_, (_, c))| Some(*c)).collect();
                    let group = format!("{}/{}: {level} = sum of its areas ({measure})", run.name(), t.id);
                    self.relate(group, Some(*cell), &kids);
                }
            }
        }
    }
}
