//! Exact Gaussian elimination over sparse integer rows (fraction-free, gcd-reduced, i128).
//!
//! After the published cells are substituted, every relation is a row over the suppressed
//! (unknown) cells of one component. A suppressed cell is derivable exactly when the reduced row
//! echelon form has a row whose only entry is that cell's column: then the attacker can solve it.
//! The echelon form also yields a basis of the null space (one vector per free column), the
//! directions along which the unknowns can move while every relation still holds; the audit uses
//! them for a quick proof of a wide interval before it falls back to linear programming.

/// A sparse row: `(column, coefficient)` sorted by column, no zeros.
pub type SparseRow = Vec<(u32, i128)>;

/// Reduced row echelon form of a set of rows.
#[derive(Debug, Clone, Default)]
pub struct Echelon {
    /// Pivot rows; row `i` has pivot column `pivots[i]` with a positive coefficient, and no other
    /// row has a non-zero entry in that column.
    pub rows: Vec<SparseRow>,
    pub pivots: Vec<u32>,
    /// For every column, the row where it is the pivot.
    pub pivot_row: Vec<Option<usize>>,
}

/// Coefficients grew beyond i128 (never seen with ±1 table relations, but checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// A row's coefficient in column `col` (0 when absent).
pub(crate) fn coefficient(row: &SparseRow, col: u32) -> i128 {
    match row.binary_search_by_key(&col, |e| e.0) {
        Ok(i) => row[i].1,
        Err(_) => 0,
    }
}

/// `row := p * row - a * pivot_row`, where `a` is row's entry in the pivot column and `p` the
/// pivot's coefficient; then divides by the gcd so entries stay small.
pub(crate) fn eliminate(row: &SparseRow, pivot: &SparseRow, col: u32) -> Result<SparseRow, Overflow> {
    let a = coefficient(row, col);
    let p = coefficient(pivot, col);
    let mut out = Vec::with_capacity(row.len() + pivot.len());
    let (mut i, mut j) = (0, 0);
    while i < row.len() || j < pivot.len() {
        let (c, v) = match (row.get(i), pivot.get(j)) {
            (Some(&(ci, vi)), Some(&(cj, _))) if ci < cj => {
                i += 1;
                (ci, vi.checked_mul(p).ok_or(Overflow)?)
            }
            (Some(&(ci, vi)), Some(&(cj, vj))) if ci == cj => {
                i += 1;
                j += 1;
                let x = vi.checked_mul(p).ok_or(Overflow)?;
                let y = vj.checked_mul(a).ok_or(Overflow)?;
                (ci, x.checked_sub(y).ok_or(Overflow)?)
            }
            (Some(_), Some(&(cj, vj))) | (None, Some(&(cj, vj))) => {
                j += 1;
                (cj, vj.checked_mul(a).ok_or(Overflow)?.checked_neg().ok_or(Overflow)?)
            }
            (Some(&(ci, vi)), None) => {
                i += 1;
                (ci, vi.checked_mul(p).ok_or(Overflow)?)
            }
            (None, None) => break,
        };
        if v != 0 {
            out.push((c, v));
        }
    }
    let g = out.iter().fold(0, |g, e| gcd(g, e.1));
    if g > 1 {
        for e in &mut out {
            e.1 /= g;
        }
    }
    Ok(out)
}

impl Echelon {
    /// Reduces `rows` over `ncols` columns to reduced row echelon form.
    pub fn reduce(rows: impl IntoIterator<Item = SparseRow>, ncols: usize) -> Result<Echelon, Overflow> {
        let mut e = Echelon { rows: Vec::new(), pivots: Vec::new(), pivot_row: vec![None; ncols] };
        // rows_with[col]: pivot rows holding a non-zero in free column `col`.
        let mut rows_with: Vec<Vec<usize>> = vec![Vec::new(); ncols];
        for mut row in rows {
            // Reduce by existing pivots.
            loop {
                let hit = row.iter().find_map(|&(c, _)| e.pivot_row[c as usize].map(|r| (c, r)));
                match hit {
                    Some((c, r)) => row = eliminate(&row, &e.rows[r], c)?,
                    None => break,
                }
            }
            // Pick the column that occurs in the fewest pivot rows (least fill-in).
            let Some(&(pc, _)) = row.iter().min_by_key(|&&(c, _)| (rows_with[c as usize].len(), c)) else {
                continue;
            };
            if coefficient(&row, pc) < 0 {
                for x in &mut row {
                    x.1 = -x.1;
                }
            }
            let new_index = e.rows.len();
            // Eliminate the new pivot column from the rows that hold it.
            let holders = std::mem::take(&mut rows_with[pc as usize]);
            for r in holders {
                let old = std::mem::take(&mut e.rows[r]);
                let reduced = eliminate(&old, &row, pc)?;
                for &(c, _) in &old {
                    if !reduced.iter().any(|x| x.0 == c) && c != e.pivots[r] {
                        rows_with[c as usize].retain(|&x| x != r);
                    }
                }
                for &(c, _) in &reduced {
                    if c != e.pivots[r] && !rows_with[c as usize].contains(&r) {
                        rows_with[c as usize].push(r);
                    }
                }
                e.rows[r] = reduced;
            }
            for &(c, _) in &row {
                if c != pc {
                    rows_with[c as usize].push(new_index);
                }
            }
            e.pivot_row[pc as usize] = Some(new_index);
            e.pivots.push(pc);
            e.rows.push(row);
        }
        Ok(e)
    }

    /// True when the column's value follows from the rows alone (exact disclosure).
    pub fn is_determined(&self, col: usize) -> bool {
        self.pivot_row[col].is_some_and(|r| self.rows[r].len() == 1)
    }

    /// Null-space direction of free column `free`: 1 at `free`, and for every pivot row holding
    /// `free`, minus its coefficient over the pivot's at the pivot column (as f64).
    pub fn direction(&self, free: usize, rows_holding: &[usize]) -> Vec<(usize, f64)> {
        let mut z = vec![(free, 1.0)];
        for &r in rows_holding {
            let a = coefficient(&self.rows[r], free as u32) as f64;
            let p = coefficient(&self.rows[r], self.pivots[r]) as f64;
            if a != 0.0 {
                z.push((self.pivots[r] as usize, -a / p));
            }
        }
        z
    }

    /// For every free column, the pivot rows that hold it.
    pub fn rows_by_free_column(&self, ncols: usize) -> Vec<Vec<usize>> {
        let mut by = vec![Vec::new(); ncols];
        for (r, row) in self.rows.iter().enumerate() {
            for &(c, _) in row {
                if c != self.pivots[r] {
                    by[c as usize].push(r);
                }
            }
        }
        by
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(entries: &[(u32, i128)]) -> SparseRow {
        entries.to_vec()
    }

    #[test]
    fn single_unknown_in_a_relation_is_determined() {
        // x0 + x1 = c, x1 = c'  => both determined.
        let e = Echelon::reduce(vec![row(&[(0, 1), (1, 1)]), row(&[(1, 1)])], 2).unwrap();
        assert!(e.is_determined(0) && e.is_determined(1));
    }

    #[test]
    fn two_unknowns_in_one_relation_are_not_determined() {
        let e = Echelon::reduce(vec![row(&[(0, 1), (1, 1)])], 2).unwrap();
        assert!(!e.is_determined(0) && !e.is_determined(1));
    }

    #[test]
    fn combination_of_relations_discloses() {
        // x0 + x1 = a, x1 + x2 = b, x0 + x2 = c: three equations, three unknowns: all determined.
        let rows = vec![row(&[(0, 1), (1, 1)]), row(&[(1, 1), (2, 1)]), row(&[(0, 1), (2, 1)])];
        let e = Echelon::reduce(rows, 3).unwrap();
        assert!((0..3).all(|c| e.is_determined(c)));
    }

    #[test]
    fn four_cell_pattern_is_not_determined() {
        // 2x2 suppressed: rows x0+x1, x2+x3; columns x0+x2, x1+x3.
        let rows = vec![
            row(&[(0, 1), (1, 1)]),
            row(&[(2, 1), (3, 1)]),
            row(&[(0, 1), (2, 1)]),
            row(&[(1, 1), (3, 1)]),
        ];
        let e = Echelon::reduce(rows, 4).unwrap();
        assert!((0..4).all(|c| !e.is_determined(c)));
        let by = e.rows_by_free_column(4);
        let free = (0..4).find(|&c| e.pivot_row[c].is_none()).unwrap();
        let z = e.direction(free, &by[free]);
        assert_eq!(z.len(), 4, "the cycle moves all four cells: {z:?}");
    }
}
