//! Secondary suppression by certificates.
//!
//! Every protected cell gets feasible deviations ([`crate::sdc::pattern`]) that prove what the
//! guarantees ask of it, and the published cells those deviations move become its complements:
//!
//! - *down*: the cell can be zero (so it is not shown to lie in the sensitive range, and its
//!   interval is as wide as its value); where no such pattern exists, *up* past the range;
//! - *width*: the cell can move up far enough that its interval reaches the protection level;
//! - *apart*: with every singleton other than the cell held fixed, the cell still moves (a person
//!   alone in a suppressed cell knows its value and must not derive another's);
//! - *move*: a cell kept suppressed from an earlier publication moves at all (never derivable).
//!
//! Protected cells are handled from the largest value down (their patterns are the hardest to
//! find; small cells then reuse them for free). A clean-up pass then tries to publish each
//! secondary cell again, most costly first: it stays published when every certificate through it
//! can be found again among the cells still suppressed. So every secondary cell left is moved by
//! some certificate (none is derivable) and none is suppressed without a reason.

use crate::sdc::error::SdcError;
use crate::sdc::model::{CellId, CellKind, Problem};
use crate::sdc::overlap::Ancestry;
use crate::sdc::pattern::{Deviation, Patterns, Reach, Role};
use crate::sdc::rules::RuleSet;

/// What a certificate proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Down,
    Width,
    Apart,
    Move,
}

/// One feasible deviation that moves `cell` by `delta`.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub cell: CellId,
    pub proof: Proof,
    pub delta: f64,
    pub deviation: Deviation,
    /// The singleton this certificate holds fixed (apart proofs).
    pub avoid: Option<CellId>,
}

/// The state of the protection: which cells the attacker does not know, which may still become
/// complements, and the certificates found so far.
pub struct Certifier<'a> {
    pub problem: &'a Problem,
    pub rules: &'a RuleSet,
    pub relations_of: Vec<Vec<u32>>,
    /// The value of every cell: the true one, or the published one for earlier publications.
    pub values: Vec<f64>,
    pub unknown: Vec<bool>,
    pub candidate: Vec<bool>,
    pub protected: Vec<bool>,
    /// Must stay suppressed and never be derivable, though not protected (an earlier
    /// publication's complement).
    pub keep_hidden: Vec<bool>,
    pub singleton: Vec<bool>,
    pub cost: Vec<f64>,
    pub width_needed: Vec<f64>,
    pub ancestry: &'a Ancestry,
    pub located: &'a [Option<(u32, Vec<u32>)>],
    pub certificates: Vec<Certificate>,
    /// Complements added, by proof (for traces).
    pub added: [usize; 4],
    /// For each cell, the certificates that move it.
    pub moving: Vec<Vec<usize>>,
    /// For each cell, the protected cells it was chosen for as a complement.
    pub protects: Vec<Vec<CellId>>,
}

/// Neighbourhoods tried in turn until a pattern is found.
const REACHES: [Reach; 4] = [
    Reach::Table { alternatives: 2 },
    Reach::Table { alternatives: 4 },
    Reach::Relations { max_cells: 400, per_relation: 4 },
    Reach::Table { alternatives: usize::MAX },
];

impl Certifier<'_> {
    /// The cheapest pattern moving `p` by `delta`, with `fixed` cells held; new complements
    /// allowed when `allow_new`.
    fn search(&self, p: CellId, delta: f64, fixed: &dyn Fn(CellId) -> bool, allow_new: bool) -> Option<Deviation> {
        let patterns = Patterns { problem: self.problem, relations_of: &self.relations_of, values: &self.values, located: self.located };
        let role = |c: CellId| {
            if c != p && fixed(c) {
                Role::Fixed
            } else if self.unknown[c] || c == p {
                Role::Free
            } else if allow_new && self.candidate[c] {
                Role::Candidate(self.cost[c])
            } else {
                Role::Fixed
            }
        };
        // Among the cells already suppressed first (no new complement), then with candidates.
        let free_only = |c: CellId| match role(c) {
            Role::Candidate(_) => Role::Fixed,
            r => r,
        };
        let free = patterns
            .cheapest(p, delta, &free_only, Reach::Table { alternatives: 3 })
            .or_else(|| patterns.cheapest(p, delta, &free_only, Reach::Table { alternatives: usize::MAX }));
        if free.is_some() || !allow_new {
            return free;
        }
        REACHES.iter().find_map(|&reach| patterns.cheapest(p, delta, &role, reach))
    }

    /// The singletons `p` must be kept apart from.
    fn apart_from(&self, p: CellId) -> impl Fn(CellId) -> bool + '_ {
        move |s: CellId| self.singleton[s] && s != p && self.ancestry.disjoint(self.problem, s, p)
    }

    /// The moves a protected cell needs: (proof, delta) in order.
    fn needs(&self, p: CellId) -> Vec<(Proof, f64)> {
        let v = self.values[p];
        let w = self.width_needed[p];
        if !self.protected[p] {
            return vec![(Proof::Move, -v.min(1.0))];
        }
        match self.problem.cells[p].kind {
            CellKind::Count if v > 0.0 => {
                let mut out = vec![(Proof::Down, -v)];
                if w > v {
                    out.push((Proof::Width, w - v));
                }
                out
            }
            CellKind::Count => vec![(Proof::Width, w.max(1.0))],
            CellKind::Magnitude { .. } => {
                let down = v.min(w);
                let mut out = vec![(Proof::Down, -down)];
                if w > down {
                    out.push((Proof::Width, w - down));
                }
                out
            }
        }
    }

    /// A singleton (other than `p`, disjoint from it) that every certificate of `p` moves.
    fn exposed_to(&self, p: CellId) -> Option<CellId> {
        let apart = self.apart_from(p);
        let mine: Vec<&Certificate> = self.moving[p].iter().map(|&i| &self.certificates[i]).filter(|c| c.cell == p).collect();
        let first = mine.first()?;
        first.deviation.terms.iter().map(|t| t.0).find(|&s| apart(s) && mine.iter().all(|c| c.deviation.moves(s)))
    }

    /// Records a certificate and turns the candidates it moves into complements of `p`.
    fn adopt(&mut self, p: CellId, proof: Proof, delta: f64, deviation: Deviation) {
        self.adopt_avoiding(p, proof, delta, deviation, None)
    }

    fn adopt_avoiding(&mut self, p: CellId, proof: Proof, delta: f64, deviation: Deviation, avoid: Option<CellId>) {
        for &(c, _) in &deviation.terms {
            if !self.unknown[c] {
                self.added[proof as usize] += 1;
                self.unknown[c] = true;
                self.candidate[c] = false;
            }
            if c != p && !self.protected[c] && !self.protects[c].contains(&p) {
                self.protects[c].push(p);
            }
        }
        let i = self.certificates.len();
        for &(c, _) in &deviation.terms {
            self.moving[c].push(i);
        }
        self.certificates.push(Certificate { cell: p, proof, delta, deviation, avoid });
    }

    /// A certificate already found (for another cell) that moves `p` at least `delta` the same
    /// way, scaled to move it exactly `delta` (a feasible deviation scaled by a factor in [0, 1]
    /// is feasible: the feasible set is convex); `avoid` cells must not move.
    fn reuse(&self, p: CellId, delta: f64, avoid: &dyn Fn(CellId) -> bool) -> Option<Deviation> {
        self.reuse_from(&self.moving[p], p, delta, avoid)
    }

    fn reuse_from(&self, candidates: &[usize], p: CellId, delta: f64, avoid: &dyn Fn(CellId) -> bool) -> Option<Deviation> {
        candidates.iter().find_map(|&i| {
            let d = &self.certificates[i].deviation;
            let dp = d.change(p);
            if dp * delta <= 0.0 || dp.abs() + 1e-9 < delta.abs() || d.terms.iter().any(|&(c, _)| c != p && avoid(c)) {
                return None;
            }
            let t = delta / dp;
            Some(Deviation { terms: d.terms.iter().map(|&(c, v)| (c, v * t)).filter(|x| x.1.abs() > crate::sdc::pattern::EPS).collect() })
        })
    }

    /// Finds (and adopts) the certificates of one protected or kept-hidden cell.
    fn certify(&mut self, p: CellId) -> Result<(), SdcError> {
        let unprotectable = |reason: &str| SdcError::Unprotectable { key: self.problem.cells[p].key.to_string(), reason: reason.to_string() };
        let none = |_: CellId| false;
        for (proof, delta) in self.needs(p) {
            if let Some(d) = self.reuse(p, delta, &none) {
                self.adopt(p, proof, delta, d);
                continue;
            }
            let found = self.search(p, delta, &none, true).map(|d| (proof, delta, d));
            let found = match (found, proof) {
                (Some(f), _) => Some(f),
                // Cannot reach zero: move up past the sensitive range instead.
                (None, Proof::Down) => {
                    let up = self.rules.sensitive_span().map_or(self.width_needed[p], |(_, hi)| hi as f64 + 1.0 - self.values[p]);
                    let up = up.max(self.width_needed[p]);
                    self.search(p, up, &none, true).map(|d| (Proof::Width, up, d))
                }
                (None, Proof::Move) => self.search(p, 1.0, &none, true).map(|d| (proof, 1.0, d)),
                (None, _) => None,
            };
            let (proof, delta, deviation) = found.ok_or_else(|| unprotectable("no pattern of published cells can hide it (every cell around it is fixed)"))?;
            self.adopt(p, proof, delta, deviation);
        }
        if self.rules.singleton && self.protected[p] {
            // For every singleton all of p's certificates move, one that holds it fixed (that
            // person knows their cell; p must still move without it).
            while let Some(s) = self.exposed_to(p) {
                let fixed = |c: CellId| c == s;
                let delta = -self.values[p].min(1.0);
                let found = if delta < 0.0 { self.reuse(p, delta, &fixed).or_else(|| self.search(p, delta, &fixed, true)).map(|d| (delta, d)) } else { None };
                let (delta, deviation) = match found.or_else(|| self.search(p, 1.0, &fixed, true).map(|d| (1.0, d))) {
                    Some(f) => f,
                    None => return Err(unprotectable("every pattern runs through the cell of a single person, who could then derive it")),
                };
                self.adopt_avoiding(p, Proof::Apart, delta, deviation, Some(s));
            }
        }
        Ok(())
    }

    /// Construction: certificates for every protected and kept-hidden cell, largest value first.
    pub fn construct(&mut self) -> Result<(), SdcError> {
        let mut order: Vec<CellId> = (0..self.problem.cells.len()).filter(|&c| self.protected[c] || self.keep_hidden[c]).collect();
        order.sort_by(|&a, &b| self.values[b].total_cmp(&self.values[a]).then(a.cmp(&b)));
        for p in order {
            self.certify(p)?;
        }
        Ok(())
    }

    /// Clean-up: publishes each secondary cell again (most costly first) when every certificate
    /// through it can be found among the other suppressed cells.
    pub fn clean_up(&mut self) {
        let n = self.problem.cells.len();
        let mut secondary: Vec<CellId> =
            (0..n).filter(|&c| self.unknown[c] && !self.protected[c] && !self.keep_hidden[c] && self.problem.cells[c].publishable && self.is_complement(c)).collect();
        secondary.sort_by(|&a, &b| self.cost[b].total_cmp(&self.cost[a]).then(b.cmp(&a)));
        for s in secondary {
            self.unknown[s] = false;
            let mut replaced = Vec::new();
            let mut ok = true;
            for &i in &self.moving[s] {
                let cert = &self.certificates[i];
                let p = cert.cell;
                let avoid = cert.avoid;
                let fixed = |c: CellId| Some(c) == avoid;
                let reused = self.reuse_from(&self.moving[p], p, cert.delta, &|c| c == s || fixed(c));
                match reused.or_else(|| self.search(p, cert.delta, &fixed, false)) {
                    Some(d) => replaced.push((i, d)),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                let old: Vec<(usize, Deviation)> = replaced.into_iter().map(|(i, d)| (i, self.replace(i, d))).collect();
                // The new certificates must not leave a protected cell exposed to a singleton.
                let exposed = self.rules.singleton && old.iter().any(|&(i, _)| self.protected[self.certificates[i].cell] && self.exposed_to(self.certificates[i].cell).is_some());
                if exposed {
                    for (i, d) in old {
                        self.replace(i, d);
                    }
                    ok = false;
                }
            }
            if ok {
                self.protects[s].clear();
            } else {
                self.unknown[s] = true;
            }
        }
        // A complement no certificate moves any more protects nothing: publish it.
        for c in 0..n {
            if self.unknown[c] && self.moving[c].is_empty() && !self.protected[c] && !self.keep_hidden[c] && self.problem.cells[c].publishable && self.is_complement(c) {
                self.unknown[c] = false;
                self.protects[c].clear();
            }
        }
    }

    /// Puts a new deviation into certificate `i`; returns the old one.
    fn replace(&mut self, i: usize, d: Deviation) -> Deviation {
        for &(c, _) in &self.certificates[i].deviation.terms {
            self.moving[c].retain(|&x| x != i);
        }
        for &(c, _) in &d.terms {
            self.moving[c].push(i);
        }
        std::mem::replace(&mut self.certificates[i].deviation, d)
    }

    /// A cell this run chose as a complement (not one that is unknown for another reason).
    fn is_complement(&self, c: CellId) -> bool {
        !self.protects[c].is_empty()
    }
}
