//! Protection patterns: feasible deviations of the true table.
//!
//! A deviation `d` satisfies every relation (`sum(a * d) = 0`), keeps every cell non-negative
//! (`x + d >= 0`) and is zero on every published cell. The attacker, who knows only the
//! published cells and the relations, cannot tell `x` from `x + t * d` for any `t` in `[0, 1]`
//! (the feasible set is convex), so a deviation that moves cell `p` by `delta` proves that `p`'s
//! feasible interval reaches `x_p + delta`. Patterns are how the engine chooses complements
//! (the published cells a cheapest deviation must move become secondary suppressions), and
//! they stay as certificates that the audit checks.
//!
//! The search is a linear programme over a neighbourhood of `p` (cells reachable through
//! relations; every other cell is held at its true value, which only makes the programme
//! stricter, so any deviation found is a real one): minimise the cost of moving cells
//! (suppressed cells almost free, published candidates at their complement cost), with
//! `d = up - down`, `0 <= down <= x`.

use microlp::{ComparisonOp, OptimizationDirection, Problem as Lp};

use crate::sdc::model::{CellId, Problem};

/// A feasible deviation: sparse `(cell, change)` pairs, none zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    pub terms: Vec<(CellId, f64)>,
}

impl Deviation {
    /// The change of one cell (0 when it does not move).
    pub fn change(&self, cell: CellId) -> f64 {
        self.terms.iter().find(|t| t.0 == cell).map_or(0.0, |t| t.1)
    }

    /// Whether the deviation moves a cell.
    pub fn moves(&self, cell: CellId) -> bool {
        self.terms.iter().any(|t| t.0 == cell)
    }
}

/// How a cell may take part in a deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    /// Published (or forbidden): never moves.
    Fixed,
    /// Unknown to the attacker already: moves at (almost) no cost.
    Free,
    /// Published now, may become a complement at this cost.
    Candidate(f64),
}

/// Limits of one search.
#[derive(Debug, Clone, Copy)]
pub enum Reach {
    /// Breadth first through relations: at most `max_cells`, the cheapest `per_relation`
    /// candidates of each relation met.
    Relations { max_cells: usize, per_relation: usize },
    /// The box around the cell in its table: per dimension its category, its ancestors, and the
    /// `alternatives` best siblings (of the category and of each ancestor) and children.
    Table { alternatives: usize },
}

/// Cost of moving a cell that is already unknown: small, so that short patterns win ties.
const FREE_COST: f64 = 1e-3;
/// Linear programmes solved so far (for traces).
pub static SOLVED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Changes smaller than this are rounding noise of the solver.
pub const EPS: f64 = 1e-7;

/// What the search reads: the problem, each cell's relations, the true values and where each
/// cell sits in a table.
pub struct Patterns<'a> {
    pub problem: &'a Problem,
    pub relations_of: &'a [Vec<u32>],
    pub values: &'a [f64],
    pub located: &'a [Option<(u32, Vec<u32>)>],
}

impl Patterns<'_> {
    fn neighbourhood(&self, p: CellId, role: &dyn Fn(CellId) -> Role, reach: Reach) -> Vec<CellId> {
        match reach {
            Reach::Relations { max_cells, per_relation } => self.by_relations(p, role, max_cells, per_relation),
            Reach::Table { alternatives } => self.table_box(p, role, alternatives),
        }
    }

    /// The box of `p`'s table around it: every combination of the categories kept per
    /// dimension (so that patterns through several dimensions close).
    fn table_box(&self, p: CellId, role: &dyn Fn(CellId) -> Role, k: usize) -> Vec<CellId> {
        let Some((table, coords)) = self.located[p].as_ref() else { return vec![p] };
        let shape = &self.problem.shapes[*table as usize];
        let rank = |d: usize, alt: usize| -> (u8, f64) {
            let mut at = coords.clone();
            at[d] = alt as u32;
            match shape.cell_at.get(&at).map(|&id| (id, role(id))) {
                Some((_, Role::Free)) => (0, 0.0),
                Some((_, Role::Candidate(c))) => (1, c),
                _ => (2, 0.0),
            }
        };
        let mut per_dim: Vec<Vec<u32>> = Vec::with_capacity(coords.len());
        for (d, h) in shape.hierarchies.iter().enumerate() {
            let c = coords[d] as usize;
            let mut keep = vec![c];
            let best = |list: &[usize], keep: &mut Vec<usize>| {
                let mut list: Vec<usize> = list.iter().copied().filter(|x| !keep.contains(x)).collect();
                list.sort_by(|&a, &b| {
                    let (ra, rb) = (rank(d, a), rank(d, b));
                    ra.0.cmp(&rb.0).then(ra.1.total_cmp(&rb.1)).then(a.cmp(&b))
                });
                list.retain(|&x| rank(d, x).0 < 2);
                let largest = list.iter().copied().max_by(|&a, &b| line_value(self, shape, coords, d, a).total_cmp(&line_value(self, shape, coords, d, b)));
                keep.extend(list.iter().take(k));
                keep.extend(largest);
            };
            best(&h.children[c], &mut keep);
            let mut at = c;
            while let Some(parent) = h.parent[at] {
                best(&h.children[parent], &mut keep);
                keep.push(parent);
                at = parent;
            }
            keep.sort_unstable();
            keep.dedup();
            per_dim.push(keep.into_iter().map(|x| x as u32).collect());
        }
        let mut out = Vec::new();
        let mut pick = vec![0usize; per_dim.len()];
        let mut at = vec![0u32; per_dim.len()];
        'all: loop {
            for (d, &i) in pick.iter().enumerate() {
                at[d] = per_dim[d][i];
            }
            if let Some(&id) = shape.cell_at.get(&at) {
                if id == p || !matches!(role(id), Role::Fixed) {
                    out.push(id);
                }
            }
            for d in (0..pick.len()).rev() {
                pick[d] += 1;
                if pick[d] < per_dim[d].len() {
                    continue 'all;
                }
                pick[d] = 0;
            }
            break;
        }
        out
    }

    /// Cells within reach of `p`: every free cell of a relation met, and the cheapest
    /// candidates of it, breadth first.
    fn by_relations(&self, p: CellId, role: &dyn Fn(CellId) -> Role, max_cells: usize, per_relation: usize) -> Vec<CellId> {
        let reach = (max_cells, per_relation);
        let mut cells = vec![p];
        let mut seen = std::collections::HashSet::from([p]);
        let mut seen_rel = std::collections::HashSet::new();
        let mut at = 0;
        let mut candidates: Vec<(f64, CellId)> = Vec::new();
        while at < cells.len() && cells.len() < reach.0 {
            let x = cells[at];
            at += 1;
            for &r in &self.relations_of[x] {
                if !seen_rel.insert(r) {
                    continue;
                }
                candidates.clear();
                for &(y, _) in &self.problem.relations[r as usize].terms {
                    if seen.contains(&y) {
                        continue;
                    }
                    match role(y) {
                        Role::Fixed => {}
                        Role::Free => {
                            seen.insert(y);
                            cells.push(y);
                        }
                        Role::Candidate(c) => candidates.push((c, y)),
                    }
                }
                candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                for &(_, y) in candidates.iter().take(reach.1) {
                    if seen.insert(y) {
                        cells.push(y);
                    }
                }
                if cells.len() >= reach.0 {
                    break;
                }
            }
        }
        cells
    }

    /// The cheapest deviation that moves `p` by exactly `delta`, or `None` when there is none
    /// within reach.
    pub fn cheapest(&self, p: CellId, delta: f64, role: &dyn Fn(CellId) -> Role, reach: Reach) -> Option<Deviation> {
        let mut cells = self.neighbourhood(p, role, reach);
        cells.sort_unstable();
        let local = |c: CellId| cells.binary_search(&c).ok();
        // Relations touching the neighbourhood, restricted to it (outside cells stay put).
        let mut rels: Vec<u32> = cells.iter().flat_map(|&c| self.relations_of[c].iter().copied()).collect();
        rels.sort_unstable();
        rels.dedup();
        let rows: Vec<Vec<(usize, f64)>> = rels
            .iter()
            .map(|&r| self.problem.relations[r as usize].terms.iter().filter_map(|&(c, a)| local(c).map(|j| (j, a as f64))).collect())
            .collect();
        let pinned = pinned_cells(cells.len(), &rows);
        if pinned[local(p)?] {
            return None;
        }
        let mut lp = Lp::new(OptimizationDirection::Minimize);
        let mut vars = Vec::with_capacity(cells.len());
        for (j, &c) in cells.iter().enumerate() {
            if pinned[j] {
                vars.push(None);
                continue;
            }
            let cost = match role(c) {
                _ if c == p => 0.0,
                Role::Fixed => {
                    vars.push(None);
                    continue;
                }
                Role::Free => FREE_COST,
                Role::Candidate(cost) => cost,
            };
            let x = self.values[c].max(0.0);
            let (up, down) = if c == p {
                if delta >= 0.0 {
                    (lp.add_var(0.0, (delta, delta)), lp.add_var(0.0, (0.0, 0.0)))
                } else {
                    (lp.add_var(0.0, (0.0, 0.0)), lp.add_var(0.0, (-delta, -delta)))
                }
            } else {
                (lp.add_var(cost, (0.0, f64::INFINITY)), lp.add_var(cost, (0.0, x)))
            };
            vars.push(Some((up, down)));
        }
        for row in &rows {
            let mut expr = Vec::with_capacity(2 * row.len());
            for &(j, a) in row {
                if let Some((u, d)) = vars[j] {
                    expr.push((u, a));
                    expr.push((d, -a));
                }
            }
            if !expr.is_empty() {
                lp.add_constraint(&expr[..], ComparisonOp::Eq, 0.0);
            }
        }
        SOLVED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let solution = match lp.solve() {
            Ok(microlp::SolveOutcome::Solution(s)) => s,
            _ => return None,
        };
        let terms: Vec<(CellId, f64)> = cells
            .iter()
            .zip(&vars)
            .filter_map(|(&c, v)| v.map(|(u, d)| (c, solution.var_value(u) - solution.var_value(d))))
            .filter(|t| t.1.abs() > EPS)
            .collect();
        terms.iter().any(|t| t.0 == p).then_some(Deviation { terms })
    }
}

/// The value of the cell at `coords` with dimension `d` set to `alt` (0 when absent).
fn line_value(patterns: &Patterns, shape: &crate::sdc::cube::TableShape, coords: &[u32], d: usize, alt: usize) -> f64 {
    let mut at = coords.to_vec();
    at[d] = alt as u32;
    shape.cell_at.get(&at).map_or(0.0, |&id| patterns.values[id])
}

/// Local cells that cannot move: a relation whose other members cannot move pins the last one.
fn pinned_cells(n: usize, rows: &[Vec<(usize, f64)>]) -> Vec<bool> {
    let mut pinned = vec![false; n];
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (r, row) in rows.iter().enumerate() {
        for &(j, _) in row {
            rows_of[j].push(r);
        }
    }
    let mut free_count: Vec<usize> = rows.iter().map(Vec::len).collect();
    let mut queue: Vec<usize> = (0..rows.len()).filter(|&r| free_count[r] == 1).collect();
    while let Some(r) = queue.pop() {
        if free_count[r] != 1 {
            continue;
        }
        let Some(&(j, _)) = rows[r].iter().find(|&&(j, _)| !pinned[j]) else { continue };
        pinned[j] = true;
        for &s in &rows_of[j] {
            free_count[s] -= 1;
            if free_count[s] == 1 {
                queue.push(s);
            }
        }
    }
    pinned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::model::{Cell, CellKey, CellKind};

    /// A 2x2 table with margins: a b | a+b / c d | c+d / a+c b+d | total.
    fn two_by_two(values: [f64; 4]) -> Problem {
        let [a, b, c, d] = values;
        let all = [a, b, c, d, a + b, c + d, a + c, b + d, a + b + c + d];
        let mut p = Problem::new("t");
        for (i, v) in all.iter().enumerate() {
            let key = CellKey::new("n", vec![("cell".into(), i.to_string())]);
            p.add_cell("t", Cell { key, value: *v, kind: CellKind::Count, publishable: true, aggregation_level: 0, tables: vec![] }).unwrap();
        }
        for (t, parts) in [(4, [0, 1]), (5, [2, 3]), (6, [0, 2]), (7, [1, 3]), (8, [4, 5]), (8, [6, 7])] {
            p.add_relation(vec![(t, 1), (parts[0], -1), (parts[1], -1)]).unwrap();
        }
        p
    }

    /// What a pattern search borrows, derived from a problem.
    struct Fixture {
        problem: Problem,
        relations_of: Vec<Vec<u32>>,
        values: Vec<f64>,
        located: Vec<Option<(u32, Vec<u32>)>>,
    }

    impl Fixture {
        fn of(problem: Problem) -> Fixture {
            let relations_of = problem.relations_of_cells();
            let values = problem.cells.iter().map(|c| c.value).collect();
            let located = vec![None; problem.cells.len()];
            Fixture { problem, relations_of, values, located }
        }
        fn search(&self) -> Patterns<'_> {
            Patterns { problem: &self.problem, relations_of: &self.relations_of, values: &self.values, located: &self.located }
        }
    }

    fn satisfies(problem: &Problem, values: &[f64], dev: &Deviation) -> bool {
        let d = |c: CellId| dev.change(c);
        problem.relations.iter().all(|r| r.terms.iter().map(|&(c, a)| a as f64 * d(c)).sum::<f64>().abs() < 1e-6)
            && dev.terms.iter().all(|&(c, v)| values[c] + v >= -1e-6)
    }

    #[test]
    fn the_cheapest_pattern_of_an_inner_cell_is_the_four_cell_rectangle() {
        let problem = two_by_two([2.0, 10.0, 12.0, 30.0]);
        let fixture = Fixture::of(problem);
        let search = fixture.search();
        let role = |c: CellId| if c < 4 { Role::Candidate(1.0) } else { Role::Candidate(100.0) };
        let dev = search.cheapest(0, -2.0, &role, Reach::Relations { max_cells: 50, per_relation: 4 }).unwrap();
        let mut moved: Vec<CellId> = dev.terms.iter().map(|t| t.0).collect();
        moved.sort_unstable();
        assert_eq!(moved, vec![0, 1, 2, 3]);
        assert!(satisfies(&fixture.problem, &fixture.values, &dev));
        assert!((dev.change(3) + 2.0).abs() < 1e-9, "d moves with a: {dev:?}");
    }

    #[test]
    fn no_pattern_when_every_partner_is_fixed() {
        let problem = two_by_two([2.0, 10.0, 12.0, 30.0]);
        let fixture = Fixture::of(problem);
        let search = fixture.search();
        let role = |c: CellId| if c == 0 { Role::Free } else { Role::Fixed };
        assert!(search.cheapest(0, -1.0, &role, Reach::Relations { max_cells: 50, per_relation: 4 }).is_none());
    }

    #[test]
    fn a_move_down_is_limited_by_the_cells_that_move_down_with_it() {
        // Moving a (2) down by 2 moves d (1) down by 2 in the rectangle: impossible; the
        // pattern must find another way (there is none in a 2x2 table whose margins are published).
        let problem = two_by_two([2.0, 10.0, 12.0, 1.0]);
        let fixture = Fixture::of(problem);
        let search = fixture.search();
        let role = |c: CellId| if c < 4 { Role::Candidate(1.0) } else { Role::Fixed };
        assert!(search.cheapest(0, -2.0, &role, Reach::Relations { max_cells: 50, per_relation: 4 }).is_none());
        assert!(search.cheapest(0, -1.0, &role, Reach::Relations { max_cells: 50, per_relation: 4 }).is_some());
    }
}
