//! Checks of components too large for an exact LP per cell: one elimination, then sound
//! inner bounds (null-space ascents, LPs over a neighbourhood with the rest held at its
//! values, cycles), and the exact interval only for a cell with nothing left to hide near it.

use rayon::prelude::*;

use super::{merge, Attack, CheckOutcome, Request};
use crate::sdc::audit::{ascent_interval, lp_interval, Interval, LocalSystem};
use crate::sdc::error::SdcError;
use crate::sdc::gauss::Echelon;
use crate::sdc::model::CellId;

impl Attack<'_> {
    /// A component too large for linear programming: one elimination; a cell solved by it needs a
    /// complement; others are certified by a null-space direction (or a cycle) that avoids the
    /// singletons and is wide enough; the rest get complements from their cheapest cycle.
    pub(super) fn check_large(&self, cells: &[CellId]) -> Result<CheckOutcome, SdcError> {
        let (sys, rels) = self.local_system(cells);
        let echelon = self.echelon(&sys, None, cells[0])?;
        let by_free = echelon.rows_by_free_column(cells.len());
        let per_cell: Vec<Result<CheckOutcome, SdcError>> = (0..cells.len())
            .into_par_iter()
            .filter(|&j| self.must_hide(cells[j]) && !self.certified(cells[j]))
            .map(|j| self.check_large_cell(cells, j, &sys, &rels, &echelon, &by_free))
            .collect();
        let (mut requests, mut certificates) = (Vec::new(), Vec::new());
        for r in per_cell {
            let (q, c) = r?;
            requests.extend(q);
            certificates.extend(c);
        }
        Ok((requests, certificates))
    }

    /// One uncertified cell of a large component (see [`Self::check_large`]).
    fn check_large_cell(
        &self,
        cells: &[CellId],
        j: usize,
        sys: &LocalSystem,
        rels: &[u32],
        echelon: &Echelon,
        by_free: &[Vec<usize>],
    ) -> Result<CheckOutcome, SdcError> {
        let c = cells[j];
        let one = |r: Request| Ok((vec![r], Vec::new()));
        let certify = |i: Interval| Ok((Vec::new(), vec![(c, merge(self.certificate[c], i))]));
        if echelon.is_determined(j) {
            return one(self.complement_for(c, &[], rels)?);
        }
        let value = self.problem.cells[c].value;
        let ok = |i: &Interval| if self.protected[c] { self.is_wide_enough(c, i) } else { i.width() > 1e-9 };
        // Interval protection against the outside attacker (singletons are handled for
        // exact disclosure by the elimination's pair rule).
        let found = ascent_interval(sys, echelon, by_free, j, &|_| false)
            .filter(|i| ok(i))
            .or_else(|| self.neighbourhood_interval(c, 160).filter(|i| ok(i)));
        if let Some(seg) = found {
            return certify(seg);
        }
        match self.cycles_for(c, true).or_else(|| self.cycles_for(c, false)) {
            Some(found) if found.cost == 0.0 => certify(found.segment(value)),
            Some(found) if found.cycles.iter().any(|y| y.terms.iter().any(|t| self.candidate[t.0])) => {
                let mut asked: Vec<Request> =
                    found.cycles.iter().flat_map(|y| y.terms.iter()).filter(|t| self.candidate[t.0]).map(|t| Request { complement: t.0, protects: c }).collect();
                asked.sort_unstable();
                asked.dedup();
                Ok((asked, Vec::new()))
            }
            _ => match self.cheapest_in(self.relations_of[c].iter().copied()) {
                Some(complement) => one(Request { complement, protects: c }),
                // Everything next to it is hidden already, yet the quick certificates fall
                // short: a wider neighbourhood, then the exact interval over the whole component
                // decides (a programme over thousands of cells in sparse data, so it comes last),
                // and only a cell that truly needs more gets a complement further away.
                None => match self.neighbourhood_interval(c, 800).filter(|i| ok(i)) {
                    Some(i) => certify(i),
                    None => match lp_interval(sys, j) {
                        Ok(i) if ok(&i) => certify(Interval { exact: false, ..i }),
                        _ => one(self.complement_for(c, &[], rels)?),
                    },
                },
            },
        }
    }

    /// A certified part of a cell's interval from linear programming over its neighbourhood (up to
    /// `size` unknown cells a few relations away), every other unknown cell held at its true
    /// value: each solution of that smaller problem is a solution of the whole one, so the
    /// interval found lies inside the true one.
    fn neighbourhood_interval(&self, c: CellId, size: usize) -> Option<Interval> {
        let mut near = vec![c];
        let mut seen = std::collections::HashSet::from([c]);
        let mut at = 0;
        while at < near.len() && near.len() < size {
            let x = near[at];
            at += 1;
            for &r in &self.relations_of[x] {
                for &(y, _) in &self.problem.relations[r as usize].terms {
                    if self.unknown[y] && near.len() < size && seen.insert(y) {
                        near.push(y);
                    }
                }
            }
        }
        near.sort_unstable();
        let mut rels: Vec<u32> = near.iter().flat_map(|&x| self.relations_of[x].iter().copied()).collect();
        rels.sort_unstable();
        rels.dedup();
        let local = |x: CellId| near.binary_search(&x).ok().map(|j| j as u32);
        let rows = rels
            .iter()
            .map(|&r| {
                let mut terms = Vec::new();
                let mut rhs = 0.0;
                for &(x, a) in &self.problem.relations[r as usize].terms {
                    match local(x) {
                        Some(j) => terms.push((j, a)),
                        // Published: its known value; unknown but outside: held at its value.
                        None if self.unknown[x] => rhs -= a as f64 * self.problem.cells[x].value,
                        None => rhs -= a as f64 * self.known_value[x],
                    }
                }
                (terms, rhs)
            })
            .collect();
        let values = near.iter().map(|&x| self.problem.cells[x].value).collect();
        let sys = LocalSystem { cells: near.clone(), values, rows };
        let j = near.binary_search(&c).ok()?;
        lp_interval(&sys, j).ok().map(|i| Interval { exact: false, ..i })
    }
}
