//! Secondary suppression against exact disclosure by Gaussian elimination, after Langsrud
//! (2024), "Secondary Cell Suppression by Gaussian Elimination".
//!
//! The attacker knows every relation `sum(a * x) = 0` and every published value. Keep the
//! relations in reduced row echelon form over the cells not yet published: a cell is derivable
//! exactly when its pivot row has no other unpublished cell. The cells are decided one at a
//! time, in the order in which we most want to publish them (ledger cells and published zeros
//! first, then the candidates from the most expensive to suppress, totals and large cells, to
//! the cheapest, small inner cells). A cell is published when that leaves every protected cell
//! underivable, and otherwise suppressed as a complement (and protected from then on, so no
//! suppressed cell is ever derivable). Publishing a cell removes its column: a free column
//! just leaves the rows that hold it; a pivot column first hands its pivot to another cell of
//! its row, chosen among the cells decided last, so pivots are the protected and small cells
//! and the totals stay free.
//!
//! Singletons (after the "sum2" idea of the same paper): a person alone in a suppressed cell
//! knows its value, so a row left with that cell and one protected cell of other people would
//! reveal the latter; such a publication is refused too. What pairs of rows might still reveal
//! is checked by the exact singleton stage of [`crate::sdc::secondary`].
//!
//! The result guarantees no exact disclosure; interval protection (a protection level wider
//! than zero) is added afterwards by the cycle and linear-programming stages.

use crate::sdc::error::SdcError;
use crate::sdc::gauss::{coefficient, eliminate, SparseRow};
use crate::sdc::model::{CellId, Problem};
use crate::sdc::overlap::Ancestry;

const NONE: u32 = u32::MAX;

/// What the elimination may use, by cell.
pub struct GreedyInput<'a> {
    pub problem: &'a Problem,
    /// Protected cells (primary, or sensitive internal): never published, never derivable.
    pub protected: &'a [bool],
    /// Cells never published (protected, internal): they stay unknown.
    pub never_published: &'a [bool],
    /// Cells already published (ledger): known from the start.
    pub known: &'a [bool],
    /// Candidates for publication, with the cost of suppressing them.
    pub candidate: &'a [bool],
    /// Published zeros: published first, suppressed only if that is unavoidable.
    pub zero: &'a [bool],
    pub cost: &'a [f64],
    pub singleton: &'a [bool],
    pub singleton_rule: bool,
    pub ancestry: &'a Ancestry,
    /// Interval width each protected cell needs.
    pub width_needed: &'a [f64],
    /// For every cell, the relations it appears in.
    pub relations_of: &'a [Vec<u32>],
}

/// Which cells became complements, and the protected cells each one guards.
pub struct GreedyOutcome {
    pub suppressed: Vec<CellId>,
    pub protects: Vec<(CellId, Vec<CellId>)>,
}

/// Relations in reduced row echelon form over the unpublished cells.
struct Rref {
    rows: Vec<SparseRow>,
    pivot: Vec<u32>,
    row_of: Vec<u32>,
    /// Rows holding each column (lazily pruned: an entry may be stale or repeated).
    rows_with: Vec<Vec<u32>>,
    /// Pivot preference: higher is decided later.
    priority: Vec<u64>,
}

impl Rref {
    fn new(ncols: usize, priority: Vec<u64>) -> Rref {
        Rref { rows: Vec::new(), pivot: Vec::new(), row_of: vec![NONE; ncols], rows_with: vec![Vec::new(); ncols], priority }
    }

    /// The rows that really hold `col` (and prunes the stale entries).
    fn holders(&mut self, col: u32) -> Vec<u32> {
        let mut list = std::mem::take(&mut self.rows_with[col as usize]);
        list.sort_unstable();
        list.dedup();
        list.retain(|&r| self.rows[r as usize].binary_search_by_key(&col, |e| e.0).is_ok());
        self.rows_with[col as usize] = list.clone();
        list
    }

    fn replace_row(&mut self, r: u32, new: SparseRow) {
        for &(c, _) in &new {
            if self.rows[r as usize].binary_search_by_key(&c, |e| e.0).is_err() {
                self.rows_with[c as usize].push(r);
            }
        }
        self.rows[r as usize] = new;
    }

    /// Makes `col` the pivot of row `r` and clears it from every other row.
    fn set_pivot(&mut self, r: u32, col: u32) -> Result<(), ()> {
        if coefficient(&self.rows[r as usize], col) < 0 {
            for e in &mut self.rows[r as usize] {
                e.1 = -e.1;
            }
        }
        for other in self.holders(col) {
            if other != r {
                let new = eliminate(&self.rows[other as usize], &self.rows[r as usize], col).map_err(|_| ())?;
                self.replace_row(other, new);
            }
        }
        self.pivot[r as usize] = col;
        self.row_of[col as usize] = r;
        Ok(())
    }

    /// The entry of a row to pivot on: the one decided last (fewest holders on ties).
    fn best_pivot(&self, row: &SparseRow, except: u32) -> Option<u32> {
        row.iter()
            .map(|e| e.0)
            .filter(|&c| c != except)
            .max_by_key(|&c| (self.priority[c as usize], std::cmp::Reverse(self.rows_with[c as usize].len()), std::cmp::Reverse(c)))
    }

    /// Adds a relation, reduced by the existing pivots.
    fn insert(&mut self, mut row: SparseRow) -> Result<(), ()> {
        let pivots_in: Vec<u32> = row.iter().map(|e| e.0).filter(|&c| self.row_of[c as usize] != NONE).collect();
        for c in pivots_in {
            let pr = self.row_of[c as usize] as usize;
            row = eliminate(&row, &self.rows[pr], c).map_err(|_| ())?;
        }
        let Some(pc) = self.best_pivot(&row, NONE) else { return Ok(()) };
        let r = self.rows.len() as u32;
        for &(c, _) in &row {
            self.rows_with[c as usize].push(r);
        }
        self.rows.push(row);
        self.pivot.push(NONE);
        self.set_pivot(r, pc)
    }

    /// Removes a free column (its value became known).
    fn drop_free_column(&mut self, col: u32) {
        for r in self.holders(col) {
            let row = &mut self.rows[r as usize];
            if let Ok(i) = row.binary_search_by_key(&col, |e| e.0) {
                row.remove(i);
            }
        }
        self.rows_with[col as usize].clear();
    }

    /// Removes a row whose pivot became known.
    fn drop_row(&mut self, r: u32) {
        let p = self.pivot[r as usize];
        if p != NONE {
            self.row_of[p as usize] = NONE;
        }
        self.pivot[r as usize] = NONE;
        self.rows[r as usize].clear();
    }
}

/// Runs the elimination; returns the complements it chose.
pub fn protect_exactly(input: &GreedyInput<'_>) -> Result<GreedyOutcome, SdcError> {
    let problem = input.problem;
    let n = problem.cells.len();
    // Decision order: ledger cells, published zeros, then candidates from the most expensive
    // to suppress to the cheapest.
    let mut order: Vec<CellId> = (0..n).filter(|&c| input.candidate[c]).collect();
    order.sort_by(|&a, &b| input.cost[b].total_cmp(&input.cost[a]).then(a.cmp(&b)));
    let mut sequence: Vec<CellId> = (0..n).filter(|&c| input.known[c]).collect();
    sequence.extend((0..n).filter(|&c| input.zero[c] && !input.known[c]));
    sequence.extend(order);
    let mut priority = vec![u64::MAX; n];
    for (i, &c) in sequence.iter().enumerate() {
        priority[c] = i as u64;
    }
    let overflow = |c: CellId| SdcError::EliminationOverflow { key: problem.cells[c].key.to_string() };
    let mut rref = Rref::new(n, priority);
    for rel in &problem.relations {
        let row: SparseRow = rel.terms.iter().map(|&(c, a)| (c as u32, a as i128)).collect();
        rref.insert(row).map_err(|_| overflow(rel.terms[0].0))?;
    }
    let mut must_hide: Vec<bool> = input.protected.to_vec();
    let mut known = vec![false; n];
    let mut suppressed = Vec::new();
    let mut protects = Vec::new();
    for &c in &sequence {
        if known[c] {
            continue;
        }
        let col = c as u32;
        if rref.row_of[c] != NONE {
            let r = rref.row_of[c];
            match rref.best_pivot(&rref.rows[r as usize], col) {
                // Already derivable from what is published: publishing it adds nothing.
                None => {
                    rref.drop_row(r);
                    known[c] = true;
                    continue;
                }
                Some(f) => rref.set_pivot(r, f).map_err(|_| overflow(c))?,
            }
        }
        let mut revealed = reveals(&mut rref, col, &must_hide, input);
        revealed.extend(narrowed(c, &known, input));
        revealed.sort_unstable();
        revealed.dedup();
        let forced = input.known[c];
        if !revealed.is_empty() && !forced {
            must_hide[c] = true;
            rref.priority[c] = u64::MAX;
            suppressed.push(c);
            protects.push((c, revealed));
            continue;
        }
        if let (true, Some(&p)) = (forced, revealed.first()) {
            return Err(SdcError::Unprotectable {
                key: problem.cells[p].key.to_string(),
                reason: format!("an earlier publication ({}) determines it", problem.cells[c].key),
            });
        }
        // Publish: drop the column; pivots left alone in their rows are derivable (published).
        let rows = rref.holders(col);
        rref.drop_free_column(col);
        known[c] = true;
        for r in rows {
            if rref.rows[r as usize].len() == 1 {
                let p = rref.pivot[r as usize] as usize;
                rref.drop_row(r);
                known[p] = true;
            }
        }
    }
    Ok(GreedyOutcome { suppressed, protects })
}

/// The protected cells that publishing cell `c` would leave in a relation with only cells of one
/// sign still unpublished, whose sum is too small for their protection level (two small cells
/// of a published total protecting each other).
fn narrowed(c: CellId, known: &[bool], input: &GreedyInput<'_>) -> Vec<CellId> {
    let mut out = Vec::new();
    for &r in &input.relations_of[c] {
        let rel = &input.problem.relations[r as usize];
        let rest: Vec<(CellId, i64)> = rel.terms.iter().copied().filter(|&(x, _)| x != c && !known[x]).collect();
        if rest.is_empty() || !(rest.iter().all(|t| t.1 > 0) || rest.iter().all(|t| t.1 < 0)) {
            continue;
        }
        if !rest.iter().any(|&(x, _)| input.protected[x]) {
            continue;
        }
        let sum: f64 = rest.iter().map(|&(x, a)| a.unsigned_abs() as f64 * input.problem.cells[x].value).sum();
        for &(x, a) in &rest {
            if input.protected[x] && sum / (a.unsigned_abs() as f64) < input.width_needed[x] - 1e-9 {
                out.push(x);
            }
        }
    }
    out
}

/// The protected cells that publishing free column `col` would reveal.
fn reveals(rref: &mut Rref, col: u32, must_hide: &[bool], input: &GreedyInput<'_>) -> Vec<CellId> {
    let mut out = Vec::new();
    for r in rref.holders(col) {
        let row = &rref.rows[r as usize];
        let rest: Vec<u32> = row.iter().map(|e| e.0).filter(|&c| c != col).collect();
        match rest.as_slice() {
            [p] if must_hide[*p as usize] => out.push(*p as CellId),
            [a, b] if input.singleton_rule => {
                for (s, q) in [(*a as usize, *b as usize), (*b as usize, *a as usize)] {
                    if input.singleton[s] && input.never_published[s] && must_hide[q] && input.ancestry.disjoint(input.problem, s, q) {
                        out.push(q);
                    }
                }
            }
            _ => {}
        }
        // A row left with coefficients of one sign is a sum the attacker knows: each of its
        // cells lies between 0 and the sum over its coefficient. Too small a sum would leave a
        // protected cell an interval narrower than its protection level.
        let terms: Vec<(u32, i128)> = row.iter().copied().filter(|e| e.0 != col).collect();
        if terms.len() >= 2 && (terms.iter().all(|e| e.1 > 0) || terms.iter().all(|e| e.1 < 0)) {
            let sum: f64 = terms.iter().map(|&(c, a)| a.abs() as f64 * input.problem.cells[c as usize].value).sum();
            for &(c, a) in &terms {
                let c = c as usize;
                if input.protected[c] && sum / (a.abs() as f64) < input.width_needed[c] - 1e-9 {
                    out.push(c);
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_the_last_free_cell_of_a_row_reveals_its_pivot() {
        // x0 + x1 + x2 = 0 with x0 protected (pivot), x1, x2 free.
        let mut rref = Rref::new(3, vec![u64::MAX, 0, 1]);
        rref.insert(vec![(0, 1), (1, 1), (2, -1)]).unwrap();
        assert_eq!(rref.row_of[0], 0);
        rref.drop_free_column(1);
        assert_eq!(rref.rows[0].len(), 2);
        assert_eq!(rref.holders(2), vec![0]);
    }

    #[test]
    fn inserted_rows_are_reduced_to_full_echelon_form() {
        let mut rref = Rref::new(4, vec![0, 1, 2, 3]);
        rref.insert(vec![(0, 1), (3, -1)]).unwrap();
        rref.insert(vec![(0, 1), (1, 1), (2, -1)]).unwrap();
        // Pivot columns appear only in their own rows.
        for (r, &p) in rref.pivot.iter().enumerate() {
            for (s, row) in rref.rows.iter().enumerate() {
                if s != r {
                    assert_eq!(coefficient(row, p), 0);
                }
            }
        }
    }
}
