//! Solving: the feasible interval of every unknown of one connected component, by min and max
//! linear programmes (microlp) over `sum(coef * x) = rhs`, `x >= 0`.
//!
//! Most unknowns never need their own programmes: every solution found is a feasible point for
//! all unknowns of the component, so an unknown whose values seen across the points already
//! span a safe interval (a `safe(lo, hi)` the caller decides, e.g. wide enough and not inside
//! the sensitive range) is settled without its own programme; the true interval contains the
//! seen one, so the verdict cannot be wrong. The others get their exact minimum and maximum.

use microlp::{ComparisonOp, Error, OptimizationDirection, Problem};

/// `sum(coef * x) = rhs` over a component's unknowns (local indices).
pub type Equation = (Vec<(usize, f64)>, f64);

/// What is known of one unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    /// `f64::INFINITY` when unbounded.
    pub hi: f64,
    /// `true`: `lo` and `hi` are the optimum of their programmes; `false`: values seen at
    /// feasible points (the true interval is at least as wide).
    pub proven: bool,
}

/// The component's programmes are infeasible: the published values contradict the relations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Infeasible;

/// Counts of the work done.
#[derive(Debug, Clone, Copy, Default)]
pub struct Work {
    pub programmes: usize,
}

/// Rounds of the spreading programme (see [`spread`]) at most.
const SPREAD_ROUNDS: usize = 4;

fn solve(n: usize, eqs: &[Equation], objective: &[(usize, f64)], direction: OptimizationDirection) -> Result<Option<Vec<f64>>, Infeasible> {
    let mut p = Problem::new(direction);
    let mut cost = vec![0.0; n];
    for &(i, c) in objective {
        cost[i] += c;
    }
    let vars: Vec<_> = cost.iter().map(|&c| p.add_var(c, (0.0, f64::INFINITY))).collect();
    for (terms, rhs) in eqs {
        let expr: Vec<_> = terms.iter().map(|&(i, c)| (vars[i], c)).collect();
        p.add_constraint(expr.as_slice(), ComparisonOp::Eq, *rhs);
    }
    match p.solve() {
        Ok(outcome) => {
            let s = outcome.solution().expect("no time limit was set, so the solve is not interrupted");
            Ok(Some(vars.iter().map(|&v| s.var_value(v)).collect()))
        }
        Err(Error::Unbounded) => Ok(None),
        Err(Error::Infeasible) => Err(Infeasible),
        Err(e) => panic!("LP solver failed: {e}"),
    }
}

/// One point at which as many of the `wanted` unknowns as possible reach their targets at once:
/// maximise the sum of `u_j` with `u_j <= x_j` and `0 <= u_j <= target_j`. Bounded by the
/// targets, so never unbounded; a few of these settle most unknowns of a large component.
fn spread(n: usize, eqs: &[Equation], wanted: &[(usize, f64)]) -> Result<Vec<f64>, Infeasible> {
    let mut p = Problem::new(OptimizationDirection::Maximize);
    let vars: Vec<_> = (0..n).map(|_| p.add_var(0.0, (0.0, f64::INFINITY))).collect();
    for (terms, rhs) in eqs {
        let expr: Vec<_> = terms.iter().map(|&(i, c)| (vars[i], c)).collect();
        p.add_constraint(expr.as_slice(), ComparisonOp::Eq, *rhs);
    }
    for &(i, target) in wanted {
        let u = p.add_var(1.0, (0.0, target));
        p.add_constraint([(u, 1.0), (vars[i], -1.0)].as_slice(), ComparisonOp::Le, 0.0);
    }
    match p.solve() {
        Ok(outcome) => {
            let s = outcome.solution().expect("no time limit was set, so the solve is not interrupted");
            Ok(vars.iter().map(|&v| s.var_value(v)).collect())
        }
        Err(Error::Infeasible) => Err(Infeasible),
        Err(e) => panic!("LP solver failed: {e}"),
    }
}

/// Intervals of the `n` unknowns of a component. `safe(lo, hi)` says when a seen interval
/// needs no further programmes; `reach` is how far above its lowest value an unknown must be
/// seen to be safe (the protection level, or past the sensitive range if that is further).
pub fn intervals(n: usize, eqs: &[Equation], safe: impl Fn(f64, f64) -> bool, reach: f64, work: &mut Work) -> Result<Vec<Interval>, Infeasible> {
    let mut seen = vec![Interval { lo: f64::INFINITY, hi: f64::NEG_INFINITY, proven: false }; n];
    let mut upper_done = vec![false; n];
    let mut lower_done = vec![false; n];
    let see = |seen: &mut Vec<Interval>, x: &[f64]| {
        for (s, &v) in seen.iter_mut().zip(x) {
            s.lo = s.lo.min(v);
            s.hi = s.hi.max(v);
        }
    };
    // Points for all at once: everything as small as it can be,
    let all: Vec<(usize, f64)> = (0..n).map(|i| (i, 1.0)).collect();
    work.programmes += 1;
    let low = solve(n, eqs, &all, OptimizationDirection::Minimize)?.expect("x >= 0 bounds a minimum");
    see(&mut seen, &low);
    // Then points where as many unknowns as can be are `reach` above their lowest value seen.
    for _ in 0..SPREAD_ROUNDS {
        let wanted: Vec<(usize, f64)> = (0..n).filter(|&i| !safe(seen[i].lo, seen[i].hi)).map(|i| (i, seen[i].lo + reach)).collect();
        if wanted.len() < 2 {
            break;
        }
        work.programmes += 1;
        let x = spread(n, eqs, &wanted)?;
        see(&mut seen, &x);
        let settled = wanted.iter().filter(|&&(i, _)| safe(seen[i].lo, seen[i].hi)).count();
        if settled * 10 < wanted.len() {
            break;
        }
    }
    for i in 0..n {
        if !upper_done[i] && !safe(seen[i].lo, seen[i].hi) {
            work.programmes += 1;
            match solve(n, eqs, &[(i, 1.0)], OptimizationDirection::Maximize)? {
                Some(x) => {
                    see(&mut seen, &x);
                    seen[i].hi = x[i];
                }
                None => seen[i].hi = f64::INFINITY,
            }
            upper_done[i] = true;
        }
        if !lower_done[i] && !safe(seen[i].lo, seen[i].hi) {
            work.programmes += 1;
            let x = solve(n, eqs, &[(i, 1.0)], OptimizationDirection::Minimize)?.expect("x >= 0 bounds a minimum");
            see(&mut seen, &x);
            seen[i].lo = x[i];
            lower_done[i] = true;
        }
        if upper_done[i] && lower_done[i] {
            seen[i].proven = true;
        }
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_behind_a_published_total_is_wide_and_a_lone_unknown_is_exact() {
        // x0 + x1 = 6: both in [0, 6]
        let mut w = Work::default();
        let r = intervals(2, &[(vec![(0, 1.0), (1, 1.0)], 6.0)], |_, _| false, 5.0, &mut w).unwrap();
        assert!(r.iter().all(|i| i.proven && i.lo.abs() < 1e-9 && (i.hi - 6.0).abs() < 1e-9), "{r:?}");
        // x0 + x1 = 6, x1 = 2: x0 exactly 4
        let r = intervals(2, &[(vec![(0, 1.0), (1, 1.0)], 6.0), (vec![(1, 1.0)], 2.0)], |_, _| false, 5.0, &mut w).unwrap();
        assert!((r[0].hi - r[0].lo).abs() < 1e-9 && (r[0].lo - 4.0).abs() < 1e-9, "{r:?}");
        // x0 - x1 = 3 alone: x0 unbounded above
        let r = intervals(2, &[(vec![(0, 1.0), (1, -1.0)], 3.0)], |_, _| false, 5.0, &mut w).unwrap();
        assert!(r[0].hi.is_infinite() && (r[0].lo - 3.0).abs() < 1e-9, "{r:?}");
        // x0 = -1: infeasible
        assert_eq!(intervals(1, &[(vec![(0, 1.0)], -1.0)], |_, _| false, 5.0, &mut w), Err(Infeasible));
    }
}
