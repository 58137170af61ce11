//! The attacker's view of one component of suppressed cells and the interval audit.
//!
//! Once the published cells are substituted, each relation only involves suppressed cells, and
//! the suppressed cells fall into independent components. For a component the attacker knows
//! `rows · x = rhs` and `x >= 0`; the feasible interval of a cell is `[min x_i, max x_i]` over
//! that polyhedron, computed by linear programming (good_lp with the pure-Rust microlp solver).
//! A quick proof comes first: moving the true values along a null-space direction until a
//! cell reaches zero gives a feasible segment; when that segment is already wide enough no LP
//! is needed to show the cell is protected.

use good_lp::{microlp, variable, Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable};

use crate::sdc::gauss::Echelon;
use crate::sdc::model::CellId;

/// The linear system an attacker holds about one component.
#[derive(Debug, Clone, Default)]
pub struct LocalSystem {
    /// Global ids of the unknown cells; local column `j` is `cells[j]`.
    pub cells: Vec<CellId>,
    /// True values of the unknown cells (never shown to the attacker; used for quick proofs).
    pub values: Vec<f64>,
    /// Relations restricted to the unknowns: `sum(a * x_j) = rhs`.
    pub rows: Vec<(Vec<(u32, i64)>, f64)>,
}

/// A feasible interval; `high` is `f64::INFINITY` when nothing bounds the cell above.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    pub low: f64,
    #[serde(serialize_with = "serialize_bound")]
    pub high: f64,
    /// `true` from linear programming (the exact interval); `false` for a certified part of it
    /// (a cycle segment, on components too large for exact programming).
    pub exact: bool,
}

fn serialize_bound<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_none()
    }
}

impl Interval {
    pub fn width(&self) -> f64 {
        self.high - self.low
    }
}

/// Widest segment through the true values along the null-space directions of `col`: a lower
/// bound on the width of the feasible interval (exact intervals need [`lp_interval`]).
pub fn direction_width(sys: &LocalSystem, echelon: &Echelon, by_free: &[Vec<usize>], col: usize) -> f64 {
    let candidates: Vec<usize> = match echelon.pivot_row[col] {
        None => vec![col],
        Some(r) => echelon.rows[r].iter().map(|e| e.0 as usize).filter(|&c| c != col).collect(),
    };
    let mut best: f64 = 0.0;
    for free in candidates {
        let z = echelon.direction(free, &by_free[free]);
        let Some(zc) = z.iter().find(|e| e.0 == col).map(|e| e.1) else { continue };
        let (mut up, mut down) = (f64::INFINITY, f64::INFINITY);
        for &(j, d) in &z {
            let v = sys.values[j].max(0.0);
            if d < 0.0 {
                up = up.min(v / -d);
            } else if d > 0.0 {
                down = down.min(v / d);
            }
        }
        best = best.max((up + down) * zc.abs());
        if best.is_infinite() {
            break;
        }
    }
    best
}

/// A certified part of the feasible interval of `col`, without linear programming: from the
/// true values, walk along null-space directions (one free column at a time) as far as every
/// cell stays non-negative, as long as that moves `col` further up (then down); every point
/// reached is feasible, so the cell's interval contains everything between the two ends.
/// Directions through cells `avoid` says (singletons, whose value someone knows) are not used.
pub fn ascent_interval(sys: &LocalSystem, echelon: &Echelon, by_free: &[Vec<usize>], col: usize, avoid: &dyn Fn(usize) -> bool) -> Option<Interval> {
    const PASSES: usize = 4;
    let frees: Vec<usize> = match echelon.pivot_row[col] {
        None => vec![col],
        Some(r) => echelon.rows[r].iter().map(|e| e.0 as usize).filter(|&c| c != col).collect(),
    };
    let directions: Vec<Vec<(usize, f64)>> = frees
        .into_iter()
        .map(|f| echelon.direction(f, &by_free[f]))
        .filter(|z| z.iter().any(|e| e.0 == col) && !z.iter().any(|&(j, _)| j != col && avoid(j)))
        .collect();
    if directions.is_empty() {
        return None;
    }
    let mut ends = [0.0f64; 2];
    for (k, up) in [true, false].into_iter().enumerate() {
        let mut x: std::collections::HashMap<usize, f64> = std::collections::HashMap::new();
        let value = |x: &std::collections::HashMap<usize, f64>, j: usize| x.get(&j).copied().unwrap_or(sys.values[j]);
        for _ in 0..PASSES {
            let mut moved = false;
            for z in &directions {
                let zc = z.iter().find(|e| e.0 == col).map_or(0.0, |e| e.1);
                let s = if (zc > 0.0) == up { 1.0 } else { -1.0 };
                let mut t = f64::INFINITY;
                for &(j, d) in z {
                    if s * d < 0.0 {
                        t = t.min(value(&x, j).max(0.0) / (-s * d));
                    }
                }
                if t.is_infinite() {
                    if up {
                        return Some(Interval { low: f64::NEG_INFINITY, high: f64::INFINITY, exact: false }).map(|i| Interval { low: lower_end(sys, &directions, col, avoid), ..i });
                    }
                    continue;
                }
                if t > 1e-9 {
                    for &(j, d) in z {
                        let v = value(&x, j) + s * t * d;
                        x.insert(j, if v.abs() < 1e-9 { 0.0 } else { v });
                    }
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        ends[k] = value(&x, col);
    }
    Some(Interval { low: ends[1].min(sys.values[col]), high: ends[0].max(sys.values[col]), exact: false })
}

/// The low end of an interval whose high end is unbounded (one walk down).
fn lower_end(sys: &LocalSystem, directions: &[Vec<(usize, f64)>], col: usize, _avoid: &dyn Fn(usize) -> bool) -> f64 {
    let mut best = sys.values[col];
    for z in directions {
        let zc = z.iter().find(|e| e.0 == col).map_or(0.0, |e| e.1);
        let s = if zc > 0.0 { -1.0 } else { 1.0 };
        let mut t = f64::INFINITY;
        for &(j, d) in z {
            if s * d < 0.0 {
                t = t.min(sys.values[j].max(0.0) / (-s * d));
            }
        }
        if t.is_finite() {
            best = best.min(sys.values[col] + s * t * zc);
        }
    }
    best.max(0.0)
}

/// Exact feasible interval of local column `col` by two linear programmes.
pub fn lp_interval(sys: &LocalSystem, col: usize) -> Result<Interval, String> {
    let low = optimise(sys, col, false)?;
    let high = optimise(sys, col, true)?;
    Ok(Interval { low, high, exact: true })
}

fn optimise(sys: &LocalSystem, col: usize, maximise: bool) -> Result<f64, String> {
    let mut vars = ProblemVariables::new();
    let xs: Vec<Variable> = (0..sys.cells.len()).map(|_| vars.add(variable().min(0.0))).collect();
    let objective = xs[col];
    let mut model = if maximise {
        vars.maximise(objective).using(microlp)
    } else {
        vars.minimise(objective).using(microlp)
    };
    for (terms, rhs) in &sys.rows {
        let mut e = Expression::with_capacity(terms.len());
        for &(j, a) in terms {
            e.add_mul(a as f64, xs[j as usize]);
        }
        model = model.with(e.eq(*rhs));
    }
    match model.solve() {
        Ok(solution) => Ok(solution.value(objective)),
        Err(ResolutionError::Unbounded) if maximise => Ok(f64::INFINITY),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::gauss::SparseRow;

    /// 2x2 four-cell pattern with true values 2, 10 / 12, 30.
    fn four_cells() -> LocalSystem {
        LocalSystem {
            cells: vec![0, 1, 2, 3],
            values: vec![2.0, 10.0, 12.0, 30.0],
            rows: vec![
                (vec![(0, 1), (1, 1)], 12.0),
                (vec![(2, 1), (3, 1)], 42.0),
                (vec![(0, 1), (2, 1)], 14.0),
                (vec![(1, 1), (3, 1)], 40.0),
            ],
        }
    }

    #[test]
    fn lp_finds_the_four_cell_interval() {
        let i = lp_interval(&four_cells(), 0).unwrap();
        assert!((i.low - 0.0).abs() < 1e-6 && (i.high - 12.0).abs() < 1e-6, "{i:?}");
    }

    #[test]
    fn direction_width_is_a_lower_bound_of_the_lp_width() {
        let sys = four_cells();
        let rows: Vec<SparseRow> =
            sys.rows.iter().map(|(t, _)| t.iter().map(|&(c, a)| (c, a as i128)).collect()).collect();
        let e = Echelon::reduce(rows, 4).unwrap();
        let by = e.rows_by_free_column(4);
        for col in 0..4 {
            let quick = direction_width(&sys, &e, &by, col);
            let exact = lp_interval(&sys, col).unwrap().width();
            assert!(quick <= exact + 1e-6 && quick > 0.0, "col {col}: {quick} vs {exact}");
        }
    }

    #[test]
    fn unbounded_cells_have_an_infinite_upper_bound() {
        let sys = LocalSystem { cells: vec![0, 1], values: vec![1.0, 1.0], rows: vec![(vec![(0, 1), (1, -1)], 0.0)] };
        assert!(lp_interval(&sys, 0).unwrap().high.is_infinite());
    }
}
