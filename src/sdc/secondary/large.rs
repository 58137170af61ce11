//! Checks of components too large for an exact LP per cell: one elimination, then sound
//! inner bounds (null-space ascents, LPs over a neighbourhood with the rest held at its
//! values, cycles), and the exact interval only for a cell with nothing left to hide near it.
//! Those last cells share their programmes: every optimum is a feasible table, so it certifies
//! part of every cell's interval, and a cell the points found so far already prove wide enough
//! needs no programme of its own.

use rayon::prelude::*;

use super::{merge, Attack, CheckOutcome, Request};
use crate::sdc::audit::{ascent_interval, lp_interval, lp_point, Interval, LocalSystem};
use crate::sdc::error::SdcError;
use crate::sdc::gauss::Echelon;
use crate::sdc::model::CellId;

/// A large component with at least this many waiting cells first gets programmes that push
/// every one of them at once.
const BULK_MIN: usize = 40;

/// Feasible points found by the component's programmes: the union of the segments from the true
/// values to each point is a certified part of every cell's interval.
struct Points {
    low: Vec<f64>,
    high: Vec<f64>,
    state: u64,
    programmes: usize,
    first_proved: usize,
}

impl Points {
    fn new(sys: &LocalSystem, seed: CellId) -> Self {
        Points { low: sys.values.clone(), high: sys.values.clone(), state: 0x9E37_79B9_7F4A_7C15 ^ seed as u64, programmes: 0, first_proved: 0 }
    }

    /// A deterministic random sign (xorshift).
    fn sign(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        if self.state & 1 == 0 { 1.0 } else { -1.0 }
    }

    /// Maximises `up` and minimises `down` (in parallel) and keeps both optima; an unbounded
    /// maximum of `cell` opens its interval upwards.
    fn optimise(&mut self, sys: &LocalSystem, up: &[(usize, f64)], down: &[(usize, f64)], cell: Option<usize>) {
        let (a, b) = rayon::join(|| lp_point(sys, up, true), || lp_point(sys, down, false));
        self.programmes += 2;
        for (point, maximum) in [(a, true), (b, false)] {
            match point {
                Ok(Some(x)) => {
                    for (i, &v) in x.iter().enumerate() {
                        self.low[i] = self.low[i].min(v);
                        self.high[i] = self.high[i].max(v);
                    }
                }
                Ok(None) if maximum => {
                    if let Some(j) = cell {
                        self.high[j] = f64::INFINITY;
                    }
                }
                _ => {}
            }
        }
    }

    fn interval(&self, j: usize) -> Interval {
        Interval { low: self.low[j], high: self.high[j], exact: false }
    }
}

/// What the quick checks decided for one cell, or that the whole component's programme must.
enum Step {
    Done(CheckOutcome),
    Whole(usize),
}

impl Attack<'_> {
    /// A component too large for linear programming: one elimination; a cell solved by it needs a
    /// complement; others are certified by a null-space direction (or a cycle) that avoids the
    /// singletons and is wide enough; the rest get complements from their cheapest cycle.
    pub(super) fn check_large(&self, cells: &[CellId]) -> Result<CheckOutcome, SdcError> {
        let (sys, rels) = self.local_system(cells);
        let echelon = self.echelon(&sys, None, cells[0])?;
        let by_free = echelon.rows_by_free_column(cells.len());
        let waiting: Vec<usize> = (0..cells.len()).filter(|&j| self.must_hide(cells[j]) && !self.certified(cells[j])).collect();
        let mut points = Points::new(&sys, cells[0]);
        if waiting.len() >= BULK_MIN {
            // Every waiting cell pushed at once, half up and half down (then the other way):
            // in sparse data a few programmes prove most of them.
            for _ in 0..2 {
                let weights: Vec<(usize, f64)> = waiting.iter().map(|&j| (j, points.sign() / self.width_needed[cells[j]].max(1.0))).collect();
                points.optimise(&sys, &weights, &weights, None);
            }
        }
        let proved = |j: usize| {
            let c = cells[j];
            let i = points.interval(j);
            (if self.protected[c] { self.is_wide_enough(c, &i) } else { i.width() > 1e-9 }).then_some((c, merge(self.certificate[c], i)))
        };
        let (bulk, waiting): (Vec<usize>, Vec<usize>) = waiting.into_iter().partition(|&j| proved(j).is_some());
        let bulk: Vec<(CellId, Interval)> = bulk.into_iter().filter_map(proved).collect();
        points.first_proved = bulk.len();
        let per_cell: Vec<Result<Step, SdcError>> =
            waiting.into_par_iter().map(|j| self.check_large_cell(cells, j, &sys, &rels, &echelon, &by_free)).collect();
        let (mut requests, mut certificates, mut whole) = (Vec::new(), Vec::new(), Vec::new());
        certificates.extend(bulk);
        for r in per_cell {
            match r? {
                Step::Done((q, c)) => {
                    requests.extend(q);
                    certificates.extend(c);
                }
                Step::Whole(j) => whole.push(j),
            }
        }
        let (q, c) = self.by_shared_points(cells, &sys, &rels, &whole, points)?;
        requests.extend(q);
        certificates.extend(c);
        Ok((requests, certificates))
    }

    /// The cells only the whole component's programme can decide, sharing its optima: before a
    /// cell gets programmes of its own, the feasible points found so far are tried; its own
    /// programmes also push the cells still waiting a little (random directions), so that one
    /// optimum serves many. A cell the points do not prove safe gets the exact interval.
    fn by_shared_points(&self, cells: &[CellId], sys: &LocalSystem, rels: &[u32], pending: &[usize], mut points: Points) -> Result<CheckOutcome, SdcError> {
        let (mut requests, mut certificates) = (Vec::new(), Vec::new());
        let started = std::time::Instant::now();
        let (mut programmes, mut by_points) = (points.programmes, 0);
        for (k, &j) in pending.iter().enumerate() {
            let c = cells[j];
            let ok = |i: &Interval| if self.protected[c] { self.is_wide_enough(c, i) } else { i.width() > 1e-9 };
            if !ok(&points.interval(j)) {
                let rest = &pending[k + 1..];
                let push = 0.1 / rest.len().max(1) as f64;
                let weights: Vec<(usize, f64)> = std::iter::once((j, 1.0)).chain(rest.iter().map(|&o| (o, push * points.sign()))).collect();
                let flipped: Vec<(usize, f64)> = weights.iter().map(|&(o, w)| (o, if o == j { w } else { -w })).collect();
                points.optimise(sys, &weights, &flipped, Some(j));
            }
            let shared = Some(points.interval(j)).filter(|i| ok(i));
            by_points += usize::from(shared.is_some());
            let found = shared.or_else(|| lp_interval(sys, j).ok().filter(|i| ok(i)).map(|i| Interval { exact: false, ..i }));
            match found {
                Some(i) => certificates.push((c, merge(self.certificate[c], i))),
                None => requests.push(self.complement_for(c, &[], rels)?),
            }
        }
        programmes = points.programmes.max(programmes);
        if std::env::var_os("NDTMS_STATS_SDC_TRACE").is_some() {
            eprintln!(
                "sdc trace: component of {} unknown cells: {} proved at once, {} cells for its programme, {by_points} proved by shared points, {} complements, {programmes} shared programmes, {:.1}s",
                cells.len(),
                points.first_proved,
                pending.len(),
                requests.len(),
                started.elapsed().as_secs_f64()
            );
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
    ) -> Result<Step, SdcError> {
        let c = cells[j];
        let one = |r: Request| Ok(Step::Done((vec![r], Vec::new())));
        let certify = |i: Interval| Ok(Step::Done((Vec::new(), vec![(c, merge(self.certificate[c], i))])));
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
                Ok(Step::Done((asked, Vec::new())))
            }
            _ => match self.cheapest_in(self.relations_of[c].iter().copied()) {
                Some(complement) => one(Request { complement, protects: c }),
                // Everything next to it is hidden already, yet the quick certificates fall
                // short: a wider neighbourhood, then the exact interval over the whole component
                // decides (a programme over thousands of cells in sparse data, so it comes last),
                // and only a cell that truly needs more gets a complement further away.
                None => match self.neighbourhood_interval(c, 800).filter(|i| ok(i)) {
                    Some(i) => certify(i),
                    None => Ok(Step::Whole(j)),
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
