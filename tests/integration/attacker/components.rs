//! From relations over cells to intervals of the unknown cells: published cells are moved to
//! the right-hand side, equations left with one unknown fix it (repeatedly), the rest split into
//! connected components (unknowns linked by an equation), and each component is bounded by
//! [`lp::intervals`]. A component whose programmes are infeasible (the published values
//! contradict its relations) is returned as inconsistent rather than guessed at.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::lp::{self, Equation, Interval, Work};
use super::relations::{Model, Relation};

/// Intervals of the unknown cells reached by the relations given.
#[derive(Debug, Default)]
pub struct Bounded {
    /// cell -> interval (unknowns in no relation: `[0, inf)`).
    pub bounds: BTreeMap<usize, Interval>,
    /// Unknown cells in an inconsistent component.
    pub inconsistent: BTreeSet<usize>,
    pub components: usize,
    pub largest: usize,
    pub largest_seconds: f64,
    pub work: Work,
}

/// Bounds the unknowns among `cells` (suppressed, unpublished) under `relations`; `safe(lo, hi)`
/// and `reach` as in [`lp::intervals`].
pub fn bound(model: &Model, relations: &[&Relation], cells: &BTreeSet<usize>, safe: impl Fn(f64, f64) -> bool + Copy, reach: f64) -> Bounded {
    let unknown: Vec<usize> = cells.iter().copied().collect();
    let local: BTreeMap<usize, usize> = unknown.iter().enumerate().map(|(u, &c)| (c, u)).collect();
    let mut eqs: Vec<Equation> = Vec::new();
    for r in relations {
        let mut terms = Vec::new();
        let mut rhs = 0.0;
        for &(c, k) in &r.terms {
            match (model.value[c], local.get(&c)) {
                (Some(v), _) => rhs -= k * v,
                (None, Some(&u)) => terms.push((u, k)),
                (None, None) => panic!("relation {} reaches a cell outside the set", r.group),
            }
        }
        if !terms.is_empty() {
            eqs.push((terms, rhs));
        }
    }
    let (fixed, bad) = presolve(unknown.len(), &eqs);
    let mut out = Bounded { inconsistent: bad.iter().map(|&u| unknown[u]).collect(), ..Bounded::default() };
    for (u, f) in fixed.iter().enumerate() {
        if let Some(v) = f {
            out.bounds.insert(unknown[u], Interval { lo: *v, hi: *v, proven: true });
        }
    }
    // Components of the unknowns left, linked by equations with two or more of them.
    let mut uf: Vec<usize> = (0..unknown.len()).collect();
    fn root(uf: &mut [usize], mut i: usize) -> usize {
        while uf[i] != i {
            uf[i] = uf[uf[i]];
            i = uf[i];
        }
        i
    }
    let mut reduced: Vec<Equation> = Vec::new();
    for (terms, rhs) in &eqs {
        let mut rhs = *rhs;
        let mut left = Vec::new();
        for &(u, k) in terms {
            match fixed[u] {
                Some(v) => rhs -= k * v,
                None => left.push((u, k)),
            }
        }
        if left.len() >= 2 {
            for w in left.windows(2) {
                let (a, b) = (root(&mut uf, w[0].0), root(&mut uf, w[1].0));
                uf[a] = b;
            }
            reduced.push((left, rhs));
        }
    }
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for u in (0..unknown.len()).filter(|&u| fixed[u].is_none()) {
        members.entry(root(&mut uf, u)).or_default().push(u);
    }
    let mut component_eqs: BTreeMap<usize, Vec<Equation>> = BTreeMap::new();
    for (terms, rhs) in reduced {
        let r = root(&mut uf, terms[0].0);
        component_eqs.entry(r).or_default().push((terms, rhs));
    }
    for (r, us) in &members {
        let Some(ce) = component_eqs.get(r) else {
            out.bounds.insert(unknown[us[0]], Interval { lo: 0.0, hi: f64::INFINITY, proven: true });
            continue;
        };
        out.components += 1;
        let pos: BTreeMap<usize, usize> = us.iter().enumerate().map(|(i, &u)| (u, i)).collect();
        let local_eqs: Vec<Equation> = ce.iter().map(|(t, rhs)| (t.iter().map(|&(u, k)| (pos[&u], k)).collect(), *rhs)).collect();
        let t0 = Instant::now();
        let result = lp::intervals(us.len(), &local_eqs, safe, reach, &mut out.work);
        if us.len() > out.largest {
            out.largest = us.len();
            out.largest_seconds = t0.elapsed().as_secs_f64();
        }
        match result {
            Ok(iv) => us.iter().zip(iv).for_each(|(&u, i)| {
                out.bounds.insert(unknown[u], i);
            }),
            Err(lp::Infeasible) => out.inconsistent.extend(us.iter().map(|&u| unknown[u])),
        }
    }
    for c in &out.inconsistent {
        out.bounds.remove(c);
    }
    out
}

/// Fixes every unknown that an equation with a single unknown left determines, repeatedly.
/// Returns the fixed values and the unknowns of equations the published values contradict
/// (a negative value, or nothing left but a wrong sum).
fn presolve(n: usize, eqs: &[Equation]) -> (Vec<Option<f64>>, Vec<usize>) {
    let mut fixed: Vec<Option<f64>> = vec![None; n];
    let mut bad = Vec::new();
    let mut changed = true;
    while changed {
        changed = false;
        for (terms, rhs) in eqs {
            let mut rest = *rhs;
            let mut open = Vec::new();
            for &(u, k) in terms {
                match fixed[u] {
                    Some(v) => rest -= k * v,
                    None => open.push((u, k)),
                }
            }
            match open.as_slice() {
                [(u, k)] => {
                    let v = rest / k;
                    if v < -0.5 {
                        bad.extend(terms.iter().map(|t| t.0));
                    }
                    fixed[*u] = Some(v);
                    changed = true;
                }
                [] if rest.abs() > 0.5 => bad.extend(terms.iter().map(|t| t.0)),
                _ => {}
            }
        }
    }
    bad.sort();
    bad.dedup();
    (fixed, bad)
}
