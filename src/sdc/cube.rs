//! Cycle certificates (generalised hypercubes) for hierarchical tables.
//!
//! For a cell of a table, pick per dimension a vector over its categories that respects the
//! hierarchy (every parent equals the sum of its children): `+1` on the cell's category (and a
//! path down to a leaf) and `-1` on a sibling's, or a `+1` path from the total down to a leaf.
//! Their tensor product `z` satisfies every relation of the table, so when every cell of its
//! support is suppressed the attacker cannot tell the true values `x` from `x + t·z` for any `t`
//! that keeps the support non-negative. That segment is a proof, independent of everything else
//! published, that the cell is not derivable and that its interval is at least that wide. The
//! secondary step uses the cheapest such cycle as complements for a primary cell; the audit uses
//! the segments as certified intervals on components too large for exact linear programming.
//! Every cycle is checked against all relations of the problem, so linked tables stay sound.

use std::collections::HashMap;

use crate::sdc::audit::Interval;
use crate::sdc::builder::Hierarchy;
use crate::sdc::model::{CellId, Problem};

/// Categories of one table and the cell at each coordinate tuple.
#[derive(Debug, Clone)]
pub struct TableShape {
    pub id: String,
    pub hierarchies: Vec<Hierarchy>,
    /// The dimension name of each hierarchy.
    pub dimension_names: Vec<String>,
    pub cell_at: HashMap<Vec<u32>, CellId>,
}

/// A feasible direction: moving `x + t·z` for `t` in `[-down, up]` keeps every relation and
/// every support cell non-negative.
#[derive(Debug, Clone)]
pub struct Cycle {
    pub terms: Vec<(CellId, i8)>,
    pub up: f64,
    pub down: f64,
    /// Cost of the support cells that are still published.
    pub cost: f64,
}

impl Cycle {
    /// Certified part of the feasible interval of one support cell.
    pub fn segment(&self, cell: CellId, value: f64) -> Option<Interval> {
        let &(_, sign) = self.terms.iter().find(|t| t.0 == cell)?;
        let (below, above) = if sign > 0 { (self.down, self.up) } else { (self.up, self.down) };
        Some(Interval { low: value - below, high: value + above, exact: false })
    }
}

/// The first table holding each cell and its coordinates there.
pub fn locate(problem: &Problem) -> Vec<Option<(u32, Vec<u32>)>> {
    let mut at = vec![None; problem.cells.len()];
    for (s, shape) in problem.shapes.iter().enumerate() {
        for (coords, &id) in &shape.cell_at {
            if at[id].is_none() {
                at[id] = Some((s as u32, coords.clone()));
            }
        }
    }
    at
}

/// `x` and a path down to a leaf through the cheapest usable children (`None` if blocked).
fn down_path(h: &Hierarchy, mut x: usize, line_cost: &dyn Fn(usize) -> f64) -> Option<Vec<usize>> {
    let mut path = vec![x];
    while !h.children[x].is_empty() {
        let child = h.children[x]
            .iter()
            .copied()
            .map(|k| (line_cost(k), k))
            .filter(|(c, _)| c.is_finite())
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))?
            .1;
        path.push(child);
        x = child;
    }
    Some(path)
}

/// What the search may use, by cell.
pub struct CycleRules<'a> {
    pub problem: &'a Problem,
    pub relations_of: &'a [Vec<u32>],
    pub unknown: &'a [bool],
    pub candidate: &'a [bool],
    pub singleton: &'a [bool],
    pub cost: &'a [f64],
    /// Per dimension, how many alternatives are tried (the cheapest by their line cell).
    pub options_per_dimension: usize,
    /// Check every cycle against all relations (needed when tables are linked or relations
    /// were added by hand; a single table's cycles balance by construction).
    pub check_balance: bool,
    /// For combinations: up to this many alternatives in one dimension at a time (the others
    /// keep `options_per_dimension`), through every child of a sibling, not only the cheapest;
    /// 0 for the single cheapest cycle.
    pub broad_options: usize,
}

impl CycleRules<'_> {
    pub(crate) fn usable_cost(&self, id: CellId) -> Option<f64> {
        if self.unknown[id] {
            Some(0.0)
        } else if self.candidate[id] {
            Some(self.cost[id])
        } else {
            None
        }
    }

    /// Cheapest cycle through `cell` accepted by `accept(up, down)`; `None` when there is none.
    /// Alternatives whose line cell is below `wanted` (they would cap the cycle) are tried last.
    pub fn cheapest(&self, cell: CellId, located: &(u32, Vec<u32>), avoid_singletons: bool, wanted: f64, accept: &dyn Fn(f64, f64) -> bool) -> Option<Cycle> {
        let mut best: Option<Cycle> = None;
        self.for_each_cycle(cell, located, avoid_singletons, wanted, &mut |cycle| {
            if accept(cycle.up, cycle.down) && best.as_ref().is_none_or(|b| cycle.cost < b.cost) {
                best = Some(cycle);
            }
            best.as_ref().map(|b| b.cost)
        });
        best
    }

    /// Every usable cycle through `cell` (combinations of the cheapest alternatives per
    /// dimension). `visit` returns a cost bound: cycles costing more are not built.
    pub(crate) fn for_each_cycle(&self, cell: CellId, located: &(u32, Vec<u32>), avoid_singletons: bool, wanted: f64, visit: &mut dyn FnMut(Cycle) -> Option<f64>) {
        let shape = &self.problem.shapes[located.0 as usize];
        let Some(per_dim) = self.alternatives(shape, &located.1, wanted) else { return };
        let mut bound = None;
        // With `broad_options`, one dimension at a time takes all its alternatives while the
        // others keep their few cheapest, so the number of cycles grows with the sum of the
        // alternatives, not their product. Combinations where every dimension is narrow are
        // visited in the first pass only.
        let narrow = self.options_per_dimension;
        let passes: Vec<Option<usize>> = if self.broad_options > 0 { (0..per_dim.len()).map(Some).collect() } else { vec![None] };
        for pass in passes {
            let limit: Vec<usize> = (0..per_dim.len()).map(|d| if pass == Some(d) { per_dim[d].len() } else { per_dim[d].len().min(narrow) }).collect();
            let mut pick = vec![0usize; per_dim.len()];
            'combos: loop {
                let seen = matches!(pass, Some(b) if b > 0 && pick[b] < narrow);
                if !seen {
                    if let Some(cycle) = self.evaluate(cell, shape, &per_dim, &pick, avoid_singletons, bound) {
                        bound = visit(cycle);
                    }
                }
                for d in (0..pick.len()).rev() {
                    pick[d] += 1;
                    if pick[d] < limit[d] {
                        continue 'combos;
                    }
                    pick[d] = 0;
                }
                break;
            }
        }
    }

    /// Paths from `s` down to a leaf through the cheapest usable children: one, or with
    /// `broad_options` one through each usable child of `s` (a region's LAs one by one).
    fn paths_down(&self, h: &Hierarchy, s: usize, line_cost: &dyn Fn(usize) -> f64) -> Vec<Vec<usize>> {
        if self.broad_options == 0 || h.children[s].is_empty() {
            return down_path(h, s, line_cost).into_iter().collect();
        }
        h.children[s]
            .iter()
            .filter(|&&k| line_cost(k).is_finite())
            .filter_map(|&k| down_path(h, k, line_cost).map(|rest| [vec![s], rest].concat()))
            .collect()
    }

    /// Per dimension, the candidate vectors (as (category, sign) lists) a cycle through the cell
    /// at `coords` may use: siblings, the vertical path through the parent, or paths from the
    /// total; `None` when some dimension has none.
    fn alternatives(&self, shape: &TableShape, coords: &[u32], wanted: f64) -> Option<Vec<Vec<Vec<(u32, i8)>>>> {
        let mut per_dim: Vec<Vec<Vec<(u32, i8)>>> = Vec::with_capacity(coords.len());
        for (d, h) in shape.hierarchies.iter().enumerate() {
            let c = coords[d] as usize;
            let line_cell = |alt: usize| {
                let mut k = coords.to_vec();
                k[d] = alt as u32;
                shape.cell_at.get(&k).copied()
            };
            let line_cost = |alt: usize| line_cell(alt).and_then(|id| self.usable_cost(id)).unwrap_or(f64::INFINITY);
            let rank = |alt: usize| {
                let small = line_cell(alt).is_some_and(|id| self.problem.cells[id].value < wanted);
                line_cost(alt) + if small { 1e9 } else { 0.0 }
            };
            let mut options: Vec<(f64, usize, Vec<(u32, i8)>)> = match h.parent[c] {
                None => h.children[0]
                    .iter()
                    .filter_map(|&k| {
                        let mut v = vec![(0u32, 1i8)];
                        v.extend(down_path(h, k, &line_cost)?.into_iter().map(|x| (x as u32, 1i8)));
                        Some((rank(k), k, v))
                    })
                    .collect(),
                Some(p) => {
                    let own = down_path(h, c, &line_cost);
                    h.children[p]
                        .iter()
                        .filter(|&&s| s != c)
                        .flat_map(|&s| self.paths_down(h, s, &line_cost).into_iter().map(move |path| (s, path)))
                        .filter_map(|(s, path)| {
                            let mut v: Vec<(u32, i8)> = own.as_ref()?.iter().map(|&x| (x as u32, 1i8)).collect();
                            v.extend(path.into_iter().map(|x| (x as u32, -1i8)));
                            Some((rank(s), s, v))
                        })
                        .collect()
                }
            };
            // Up then across: +1 on the category and its ancestors up to `a`, -1 on a sibling
            // of `a` and a path down from it (an LA moves against another region's LA, and
            // England stays fixed).
            if let Some(own) = h.parent[c].and_then(|_| down_path(h, c, &line_cost)) {
                let mut up: Vec<(u32, i8)> = own.iter().map(|&x| (x as u32, 1i8)).collect();
                let mut a = c;
                while let Some(pa) = h.parent[a] {
                    let Some(grand) = h.parent[pa] else { break };
                    up.push((pa as u32, 1i8));
                    for &s in h.children[grand].iter().filter(|&&s| s != pa) {
                        for down in self.paths_down(h, s, &line_cost) {
                            let mut v = up.clone();
                            v.extend(down.into_iter().map(|x| (x as u32, -1i8)));
                            options.push((rank(s), s, v));
                        }
                    }
                    a = pa;
                }
            }
            // Vertical: +1 on the category, all its ancestors and a path down to a leaf.
            if let Some(parent) = h.parent[c] {
                if let Some(down) = down_path(h, c, &line_cost) {
                    let mut v: Vec<(u32, i8)> = h.ancestors_inclusive(parent).into_iter().map(|x| (x as u32, 1i8)).collect();
                    v.extend(down.into_iter().map(|x| (x as u32, 1i8)));
                    options.push((rank(parent), parent, v));
                }
            }
            options.retain(|o| o.0.is_finite());
            options.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            options.truncate(self.options_per_dimension.max(self.broad_options));
            if options.is_empty() {
                return None;
            }
            per_dim.push(options.into_iter().map(|o| o.2).collect());
        }
        Some(per_dim)
    }

    fn evaluate(&self, cell: CellId, shape: &TableShape, per_dim: &[Vec<Vec<(u32, i8)>>], pick: &[usize], avoid_singletons: bool, bound: Option<f64>) -> Option<Cycle> {
        let mut terms: Vec<(CellId, i8)> = Vec::new();
        let mut corners: Vec<(Vec<u32>, i8)> = vec![(Vec::with_capacity(pick.len()), 1)];
        for (d, &k) in pick.iter().enumerate() {
            let v = &per_dim[d][k];
            corners = corners
                .iter()
                .flat_map(|(c, s)| v.iter().map(move |&(x, sx)| ([c.as_slice(), &[x]].concat(), s * sx)))
                .collect();
        }
        let (mut cost, mut up, mut down) = (0.0, f64::INFINITY, f64::INFINITY);
        for (coords, sign) in corners {
            let &id = shape.cell_at.get(&coords)?;
            cost += self.usable_cost(id)?;
            if bound.is_some_and(|b| cost >= b) {
                return None;
            }
            if avoid_singletons && id != cell && self.singleton[id] && self.problem.cells[id].aggregation_level == 0 {
                return None;
            }
            let v = self.problem.cells[id].value.max(0.0);
            if sign > 0 { down = down.min(v) } else { up = up.min(v) }
            terms.push((id, sign));
        }
        if self.check_balance && !self.balances(&terms) {
            return None;
        }
        Some(Cycle { terms, up, down, cost })
    }

    /// True when `z` satisfies every relation touching its support (linked tables included).
    fn balances(&self, terms: &[(CellId, i8)]) -> bool {
        let z: HashMap<CellId, i64> = terms.iter().map(|&(c, s)| (c, s as i64)).collect();
        terms.iter().all(|&(c, _)| {
            self.relations_of[c].iter().all(|&r| {
                self.problem.relations[r as usize].terms.iter().map(|&(x, a)| a * z.get(&x).copied().unwrap_or(0)).sum::<i64>() == 0
            })
        })
    }
}

/// What a cycle search borrows, owned, for tests: the problem, its relations by cell, where
/// each cell is, no singletons, and costs `1 + value + 1000 * level`.
#[cfg(test)]
pub(crate) struct SearchInputs {
    pub problem: Problem,
    pub located: Vec<Option<(u32, Vec<u32>)>>,
    relations_of: Vec<Vec<u32>>,
    cost: Vec<f64>,
    singleton: Vec<bool>,
}

#[cfg(test)]
impl SearchInputs {
    pub(crate) fn new(problem: Problem) -> Self {
        let cost = problem.cells.iter().map(|c| 1.0 + c.value + 1000.0 * c.aggregation_level as f64).collect();
        SearchInputs { relations_of: problem.relations_of_cells(), located: locate(&problem), singleton: vec![false; problem.cells.len()], cost, problem }
    }

    /// Search rules (3 alternatives per dimension, cycles checked against every relation).
    pub(crate) fn rules<'a>(&'a self, unknown: &'a [bool], candidate: &'a [bool], broad_options: usize) -> CycleRules<'a> {
        CycleRules {
            problem: &self.problem,
            relations_of: &self.relations_of,
            unknown,
            candidate,
            singleton: &self.singleton,
            cost: &self.cost,
            options_per_dimension: 3,
            check_balance: true,
            broad_options,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sdc::tests::{dim, inner, official};
    use crate::sdc::*;

    #[test]
    fn one_small_cell_gets_a_rectangle_cycle() {
        let def = TableDef {
            id: "t".into(),
            measure: "n".into(),
            dimensions: vec![dim("row", &[("a", None), ("b", None), ("c", None)]), dim("col", &[("x", None), ("y", None), ("z", None)])],
        };
        let rows: Vec<(&[&str], f64)> = vec![(&["a", "x"], 2.0), (&["a", "y"], 20.0), (&["a", "z"], 40.0), (&["b", "x"], 30.0), (&["b", "y"], 9.0), (&["b", "z"], 50.0), (&["c", "x"], 60.0), (&["c", "y"], 70.0), (&["c", "z"], 80.0)];
        let mut b = ProblemBuilder::new("t");
        b.add_table(&def, &aggregate(&def, &inner(&rows)).unwrap()).unwrap();
        let inputs = super::SearchInputs::new(b.build());
        let n = inputs.problem.cells.len();
        let p = inputs.problem.cell_id(&CellKey::new("n", vec![("row".into(), "a".into()), ("col".into(), "x".into())])).unwrap();
        let mut unknown = vec![false; n];
        unknown[p] = true;
        let candidate: Vec<bool> = (0..n).map(|c| c != p).collect();
        let rules = inputs.rules(&unknown, &candidate, 0);
        let _ = official();
        let cycle = rules.cheapest(p, inputs.located[p].as_ref().unwrap(), true, 5.0, &|up, down| up + down >= 5.0).unwrap();
        assert_eq!(cycle.terms.len(), 4);
        assert_eq!(cycle.cost, 21.0 + 31.0 + 10.0);
        assert_eq!((cycle.up, cycle.down), (20.0, 2.0));
    }
}
