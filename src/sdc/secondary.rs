//! Secondary (complementary) suppression over components of suppressed cells.
//!
//! Phase one gives every primary cell of a table the cheapest cycle certificate
//! ([`crate::sdc::cube`]); its published cells become complements. Phase two checks components.
//! Components larger than [`EXACT_MAX`] cells are accepted when every suppressed cell has a
//! certificate (otherwise they get cycles or complements); smaller ones are checked exactly:
//!
//! The attacker knows every published cell, every relation and that cells are never negative.
//! Substituting the published values, each relation only involves suppressed cells, which fall
//! into independent components (union-find over shared relations). Each component is checked,
//! in parallel, in three stages, and every failure asks for one complement:
//!
//! 1. exact disclosure: exact Gaussian elimination of the component's relations
//!    ([`crate::sdc::gauss`]); a relation left with a single suppressed cell, or a cell solved by
//!    a combination of relations, needs a complement in one of its relations;
//! 2. singletons: a contributor who is alone in a suppressed cell knows its value; eliminating
//!    again with that cell known must not solve any other protected cell;
//! 3. intervals: every protected cell's feasible interval must be at least the protection level
//!    wide and must not lie inside the sensitive range (quick null-space proof, else LP).
//!
//! Complements are the cheapest published cells of the failing cell's relations, by the rule
//! file's cost (small inner cells first, totals last, ties by cell order), so the result is
//! deterministic. Components touched by a new complement are checked again until none fails.

use rayon::prelude::*;

mod dead_end;
mod large;

use crate::sdc::audit::{direction_width, lp_interval, Interval, LocalSystem};
use crate::sdc::combine::Combination;
use crate::sdc::cube::{Cycle, CycleRules};
use crate::sdc::error::SdcError;
use crate::sdc::gauss::{Echelon, SparseRow};
use crate::sdc::model::{CellId, Problem};
use crate::sdc::rules::RuleSet;

/// Per-cell state of the protection, shared by the secondary step and the final audit.
pub struct Attack<'a> {
    pub problem: &'a Problem,
    pub rules: &'a RuleSet,
    pub relations_of: Vec<Vec<u32>>,
    /// Not known to the attacker: suppressed, or internal-only.
    pub unknown: Vec<bool>,
    /// Needs an interval at least the protection level wide (primary or sensitive internal).
    pub protected: Vec<bool>,
    /// A single contributor can know this cell's value.
    pub singleton: Vec<bool>,
    /// Published now and allowed to become a complement.
    pub candidate: Vec<bool>,
    /// The value the attacker knows for a known cell (the ledger's for earlier publications).
    pub known_value: Vec<f64>,
    pub width_needed: Vec<f64>,
    pub cost: Vec<f64>,
    /// For a secondary cell, the protected cells it was chosen for.
    pub protects: Vec<Vec<CellId>>,
    /// Table and coordinates of each cell (for cycle certificates).
    pub located: Vec<Option<(u32, Vec<u32>)>>,
    /// Certified part of each suppressed cell's interval (from a cycle through it).
    pub certificate: Vec<Option<Interval>>,
    /// Tables are linked or relations were added by hand: cycles must be checked.
    pub linked: bool,
    /// Which cells count disjoint populations (for the singleton check).
    pub ancestry: crate::sdc::overlap::Ancestry,
    /// Cells published by an earlier run (the ledger): known to the attacker from the start.
    pub in_ledger: Vec<bool>,
    /// Cells this run may publish again after hiding them as complements: publishable cells
    /// that were neither protected, nor hidden by an earlier publication, nor in the ledger.
    pub releasable: Vec<bool>,
}

/// Components up to this many cells are checked and audited exactly (elimination and LP);
/// larger ones rely on cycle certificates and fall back to exact checks only for cells
/// without one.
pub const EXACT_MAX: usize = 300;

/// Union of two certified segments through the true value (the feasible set is convex, so
/// everything between their ends is feasible too).
fn merge(old: Option<Interval>, new: Interval) -> Interval {
    match old {
        None => new,
        Some(o) => Interval { low: o.low.min(new.low), high: o.high.max(new.high), exact: false },
    }
}

/// Result of checking one component.
type CheckOutcome = (Vec<Request>, Vec<(CellId, Interval)>);

/// Most exactly-solved cells handled per component and round (each needs trial eliminations).
const PER_ROUND: usize = 8;

/// A complement request coming out of a component check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Request {
    complement: CellId,
    protects: CellId,
}

impl<'a> Attack<'a> {
    /// Union-find components of the unknown cells.
    pub fn components(&self) -> Vec<Vec<CellId>> {
        let n = self.problem.cells.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for rel in &self.problem.relations {
            let mut first = None;
            for &(c, _) in &rel.terms {
                if !self.unknown[c] {
                    continue;
                }
                match first {
                    None => first = Some(c),
                    Some(f) => {
                        let (a, b) = (find(&mut parent, f), find(&mut parent, c));
                        if a != b {
                            parent[a.max(b)] = a.min(b);
                        }
                    }
                }
            }
        }
        let mut groups: std::collections::BTreeMap<usize, Vec<CellId>> = Default::default();
        for c in (0..n).filter(|&c| self.unknown[c]) {
            let root = find(&mut parent, c);
            groups.entry(root).or_default().push(c);
        }
        groups.into_values().collect()
    }

    /// The attacker's linear system for a component (cells sorted ascending).
    pub fn local_system(&self, cells: &[CellId]) -> (LocalSystem, Vec<u32>) {
        let mut rels: Vec<u32> = cells.iter().flat_map(|&c| self.relations_of[c].iter().copied()).collect();
        rels.sort_unstable();
        rels.dedup();
        let local = |c: CellId| cells.binary_search(&c).ok().map(|j| j as u32);
        let mut rows = Vec::with_capacity(rels.len());
        for &r in &rels {
            let mut terms = Vec::new();
            let mut rhs = 0.0;
            for &(c, a) in &self.problem.relations[r as usize].terms {
                match local(c) {
                    Some(j) if self.unknown[c] => terms.push((j, a)),
                    _ => rhs -= a as f64 * self.known_value[c],
                }
            }
            rows.push((terms, rhs));
        }
        let values = cells.iter().map(|&c| self.problem.cells[c].value).collect();
        (LocalSystem { cells: cells.to_vec(), values, rows }, rels)
    }

    /// Cheapest published candidate among the given relations.
    fn cheapest_in(&self, rels: impl IntoIterator<Item = u32>) -> Option<CellId> {
        rels.into_iter()
            .flat_map(|r| self.problem.relations[r as usize].terms.iter().map(|t| t.0))
            .filter(|&c| self.candidate[c])
            .min_by(|&a, &b| self.cost[a].total_cmp(&self.cost[b]).then(a.cmp(&b)))
    }

    /// A published zero: never a complement by choice, but the last resort when no other
    /// published cell is left in the failing cell's relations (hiding it widens the interval of
    /// the other cells of its relations).
    fn last_resort(&self, c: CellId) -> bool {
        let cell = &self.problem.cells[c];
        cell.publishable && cell.value == 0.0 && !self.unknown[c] && !self.in_ledger[c]
    }

    fn last_resort_in(&self, rels: impl IntoIterator<Item = u32>) -> Option<CellId> {
        rels.into_iter()
            .flat_map(|r| self.problem.relations[r as usize].terms.iter().map(|t| t.0))
            .filter(|&c| self.last_resort(c))
            .min_by(|&a, &b| self.cost[a].total_cmp(&self.cost[b]).then(a.cmp(&b)))
    }

    /// A complement for `cell`: first in `preferred` relations, then in any of its relations,
    /// then anywhere in its component's relations; a published zero only when nothing else is left.
    fn complement_for(&self, cell: CellId, preferred: &[u32], component_rels: &[u32]) -> Result<Request, SdcError> {
        self.cheapest_in(preferred.iter().copied())
            .or_else(|| self.cheapest_in(self.relations_of[cell].iter().copied()))
            .or_else(|| self.cheapest_in(component_rels.iter().copied()))
            .or_else(|| self.last_resort_in(self.relations_of[cell].iter().copied()))
            .or_else(|| self.last_resort_in(component_rels.iter().copied()))
            .map(|complement| Request { complement, protects: cell })
            .or_else(|| self.publish_instead(cell))
            .ok_or_else(|| self.dead_end(cell))
    }

    /// A complement this run hid that turns out determined, with nothing left to hide next to
    /// it: its value is the same in every solution the attacker has, so hiding it protects
    /// nothing and publishing it tells nobody anything new. It is published again (a request
    /// with the cell as its own complement) instead of hiding zeros around it, which would only
    /// be pinned in turn (the cascade behind issue 17's dead ends). Callers ask for a
    /// complement of an unprotected cell only when it is determined.
    fn publish_instead(&self, cell: CellId) -> Option<Request> {
        (self.releasable[cell] && !self.protected[cell] && self.unknown[cell]).then_some(Request { complement: cell, protects: cell })
    }

    fn echelon(&self, sys: &LocalSystem, drop_col: Option<u32>, cell: CellId) -> Result<Echelon, SdcError> {
        let rows = sys.rows.iter().map(|(t, _)| -> SparseRow {
            t.iter().filter(|e| Some(e.0) != drop_col).map(|&(c, a)| (c, a as i128)).collect()
        });
        Echelon::reduce(rows, sys.cells.len())
            .map_err(|_| SdcError::EliminationOverflow { key: self.problem.cells[cell].key.to_string() })
    }

    /// True when a cycle already proves the cell safe.
    fn certified(&self, c: CellId) -> bool {
        self.certificate[c].is_some_and(|i| i.width() > 1e-9 && (!self.protected[c] || self.is_wide_enough(c, &i)))
    }

    fn cycle_rules(&self) -> CycleRules<'_> {
        self.cycle_rules_wide(false)
    }

    /// `wide`: try more alternatives per dimension (a second search when the first finds none).
    fn cycle_rules_wide(&self, wide: bool) -> CycleRules<'_> {
        CycleRules {
            problem: self.problem,
            relations_of: &self.relations_of,
            unknown: &self.unknown,
            candidate: &self.candidate,
            singleton: &self.singleton,
            cost: &self.cost,
            options_per_dimension: match (wide, self.problem.shapes.first().is_some_and(|s| s.hierarchies.len() >= 4)) {
                (true, _) => 8,
                (false, true) => 3,
                (false, false) => 4,
            },
            check_balance: self.linked,
            broad_options: 0,
        }
    }

    /// Rules for combinations of cycles: many alternatives in one dimension at a time, every path
    /// down a sibling.
    fn combination_rules(&self) -> CycleRules<'_> {
        CycleRules { options_per_dimension: 3, broad_options: 24, ..self.cycle_rules_wide(true) }
    }

    /// Cheapest cycles through `c` that protect it (or, for a complement, move it at all): one
    /// cycle, or, when the cheapest single one draws in a total or a large cell, several cycles
    /// together ([`crate::sdc::combine`]) if they cost less.
    fn cycles_for(&self, c: CellId, avoid_singletons: bool) -> Option<Combination> {
        let located = self.located[c].as_ref()?;
        let value = self.problem.cells[c].value;
        let protected = self.protected[c];
        let known = self.certificate[c];
        let accept = |up: f64, down: f64| {
            let i = merge(known, Interval { low: value - down, high: value + up, exact: false });
            if protected { self.is_wide_enough(c, &i) } else { i.width() > 1e-9 }
        };
        let wanted = if protected { self.width_needed[c] } else { 0.0 };
        let avoid = self.rules.singleton && avoid_singletons;
        let single = self
            .cycle_rules()
            .cheapest(c, located, avoid, wanted, &accept)
            .or_else(|| self.cycle_rules_wide(true).cheapest(c, located, avoid, wanted, &accept));
        let costly = single.as_ref().is_none_or(|s| s.cost >= self.rules.cost_per_total_dimension.max(1.0));
        let combined = if costly && protected {
            self.combination_rules().cheapest_combination(c, located, avoid, wanted, &accept).filter(|m| single.as_ref().is_none_or(|s| m.cost < s.cost))
        } else {
            None
        };
        combined.or_else(|| single.map(|s| Combination { up: s.up, down: s.down, cost: s.cost, cycles: vec![s] }))
    }

    /// Phase one: every primary cell gets the cheapest cycle that protects it, in order of
    /// value (most sensitive first); the cycle's published cells become complements.
    /// With `only_free`, only cycles among cells already suppressed are used (certificates, no
    /// new complements).
    pub fn cover_with_cycles(&mut self, only_free: bool) {
        let mut order: Vec<CellId> = (0..self.problem.cells.len()).filter(|&c| self.protected[c] && self.located[c].is_some()).collect();
        order.sort_by(|&a, &b| self.problem.cells[a].value.total_cmp(&self.problem.cells[b].value).then(a.cmp(&b)));
        for p in order {
            if self.certified(p) {
                continue;
            }
            // A cycle free of other singletons when there is one; otherwise any cycle (cells a
            // singleton could pin get no certificate, so the exact checks decide them).
            if let Some(found) = self.cycles_for(p, true).or_else(|| self.cycles_for(p, false)) {
                if !only_free || found.cost == 0.0 {
                    for cycle in &found.cycles {
                        self.apply_cycle(p, cycle);
                    }
                    // The cycles' sum is a feasible deviation too: it moves `p` up by all their room.
                    self.certificate[p] = Some(merge(self.certificate[p], found.segment(self.problem.cells[p].value)));
                }
            }
        }
    }

    /// Suppresses the cycle's published cells as complements for `p` and certifies the interval
    /// of its cells against an outside attacker (singletons are checked for exact disclosure by
    /// the elimination and, on small components, by the exact singleton stage).
    fn apply_cycle(&mut self, p: CellId, cycle: &Cycle) {
        for &(c, _) in &cycle.terms {
            if self.candidate[c] {
                self.candidate[c] = false;
                self.unknown[c] = true;
                self.protects[c].push(p);
            }
            if let Some(seg) = cycle.segment(c, self.problem.cells[c].value) {
                self.certificate[c] = Some(merge(self.certificate[c], seg));
            }
        }
    }

    /// Checks one component: large ones by cycle certificates, then exactly.
    fn check(&self, cells: &[CellId]) -> Result<CheckOutcome, SdcError> {
        let uncertified: Vec<CellId> = cells.iter().copied().filter(|&c| self.must_hide(c) && !self.certified(c)).collect();
        // Small components always get the exact checks (singletons included); large ones only
        // while some cell lacks a certificate.
        if uncertified.is_empty() && cells.len() > EXACT_MAX {
            return Ok((Vec::new(), Vec::new()));
        }
        if cells.len() > EXACT_MAX {
            return self.check_large(cells);
        }
        Ok((self.exact_check(cells)?, Vec::new()))
    }


    /// Exact checks of one component; returns the complements it needs (empty when safe).
    fn exact_check(&self, cells: &[CellId]) -> Result<Vec<Request>, SdcError> {
        let (sys, rels) = self.local_system(cells);
        // Stage 1a: relations left with one suppressed cell.
        let mut requests = Vec::new();
        for (i, (terms, _)) in sys.rows.iter().enumerate() {
            if let [(j, _)] = terms.as_slice() {
                let cell = cells[*j as usize];
                if !self.must_hide(cell) {
                    continue;
                }
                requests.push(self.complement_for(cell, &[rels[i]], &rels)?);
            }
        }
        if !requests.is_empty() {
            return Ok(requests);
        }
        // Stage 1b: cells solved by a combination of relations.
        let echelon = self.echelon(&sys, None, cells[0])?;
        let determined: Vec<usize> =
            (0..cells.len()).filter(|&j| self.must_hide(cells[j]) && echelon.is_determined(j)).take(PER_ROUND).collect();
        if !determined.is_empty() {
            return determined.into_iter().map(|j| self.breaking_complement(&sys, &rels, j, None)).collect();
        }
        // Stage 2: singletons.
        let protected_count = cells.iter().filter(|&&c| self.protected[c]).count();
        if self.rules.singleton && protected_count >= 2 {
            for (s_local, &s) in cells.iter().enumerate() {
                // A singleton learning a cell that cannot contain them learns about other
                // people; one that may contain them (an aggregate, or an inner cell of a
                // linked table) may only be learning about themselves.
                if !self.singleton[s] || self.problem.cells[s].aggregation_level > 0 {
                    continue;
                }
                let e = self.echelon(&sys, Some(s_local as u32), s)?;
                let hit = (0..cells.len()).find(|&j| {
                    j != s_local
                        && self.protected[cells[j]]
                        && self.ancestry.disjoint(self.problem, s, cells[j])
                        && e.is_determined(j)
                });
                if let Some(j) = hit {
                    return Ok(vec![self.breaking_complement(&sys, &rels, j, Some(s_local as u32))?]);
                }
            }
        }
        // Stage 3: interval protection.
        let by_free = echelon.rows_by_free_column(cells.len());
        let mut narrow = Vec::new();
        for (j, &c) in cells.iter().enumerate() {
            if !self.protected[c] || self.certified(c) {
                continue;
            }
            let quick = direction_width(&sys, &echelon, &by_free, j);
            if quick >= self.width_needed[c] + 1e-9 && quick > self.sensitive_span_width() {
                continue;
            }
            let interval = lp_interval(&sys, j)
                .map_err(|reason| SdcError::AuditSolver { key: self.problem.cells[c].key.to_string(), reason })?;
            if !self.is_wide_enough(c, &interval) {
                narrow.push(self.complement_for(c, &[], &rels)?);
            }
        }
        if !narrow.is_empty() {
            return Ok(narrow);
        }
        Ok(Vec::new())
    }

    /// The cheapest published cell whose suppression stops local column `target` being solved
    /// exactly (with column `drop` known to the attacker, for singletons). Candidates from the
    /// target's own relations are tried first, then the rest of the component's relations.
    fn breaking_complement(&self, sys: &LocalSystem, rels: &[u32], target: usize, drop: Option<u32>) -> Result<Request, SdcError> {
        const TRIALS: usize = 40;
        let cell = sys.cells[target];
        let by_cost = |mut v: Vec<CellId>| {
            v.sort_unstable_by(|&a, &b| self.cost[a].total_cmp(&self.cost[b]).then(a.cmp(&b)));
            v.dedup();
            v
        };
        let near: Vec<CellId> = by_cost(
            self.relations_of[cell].iter().flat_map(|&r| self.problem.relations[r as usize].terms.iter().map(|t| t.0)).filter(|&c| self.candidate[c]).collect(),
        );
        let far: Vec<CellId> = by_cost(
            rels.iter().flat_map(|&r| self.problem.relations[r as usize].terms.iter().map(|t| t.0)).filter(|&c| self.candidate[c] && !near.contains(&c)).collect(),
        );
        let n = sys.cells.len() as u32;
        for &c in near.iter().chain(&far).take(TRIALS) {
            let rows = sys.rows.iter().zip(rels).map(|((t, _), &r)| -> SparseRow {
                let mut row: SparseRow = t.iter().filter(|e| Some(e.0) != drop).map(|&(j, a)| (j, a as i128)).collect();
                if let Some(&(_, a)) = self.problem.relations[r as usize].terms.iter().find(|t| t.0 == c) {
                    row.push((n, a as i128));
                }
                row
            });
            let e = Echelon::reduce(rows, sys.cells.len() + 1)
                .map_err(|_| SdcError::EliminationOverflow { key: self.problem.cells[cell].key.to_string() })?;
            if !e.is_determined(target) {
                return Ok(Request { complement: c, protects: cell });
            }
        }
        self.complement_for(cell, &[], rels)
    }

    /// Suppressed publishable cells and protected internal cells must never be derivable.
    fn must_hide(&self, c: CellId) -> bool {
        self.protected[c] || self.problem.cells[c].publishable
    }

    fn sensitive_span_width(&self) -> f64 {
        self.rules.sensitive_span().map_or(0.0, |(lo, hi)| (hi - lo) as f64)
    }

    /// True when an interval protects cell `c`: wide enough and not inside the sensitive range.
    pub fn is_wide_enough(&self, c: CellId, interval: &Interval) -> bool {
        let inside = self.rules.sensitive_span().is_some_and(|(lo, hi)| {
            matches!(self.problem.cells[c].kind, crate::sdc::model::CellKind::Count)
                && interval.low >= lo as f64 - 1e-6
                && interval.high <= hi as f64 + 1e-6
        });
        interval.width() >= self.width_needed[c] - 1e-6 && !inside
    }

    /// Complements against exact disclosure by Gaussian elimination ([`crate::sdc::greedy`]).
    pub(crate) fn exact_by_elimination(&mut self) -> Result<(), SdcError> {
        let cells = &self.problem.cells;
        let n = cells.len();
        let never: Vec<bool> = (0..n).map(|c| self.unknown[c] && !self.candidate[c]).collect();
        let zero: Vec<bool> =
            (0..n).map(|c| !self.unknown[c] && !self.candidate[c] && !self.in_ledger[c] && cells[c].publishable && cells[c].value == 0.0).collect();
        // A complement smaller than the protection level widens a primary cell's interval by
        // little: suppress such cells only after the inner cells that would do the job.
        let level = self.rules.protection_level;
        let weak = 0.5 * self.rules.cost_per_total_dimension.max(1.0);
        let cost: Vec<f64> = (0..n).map(|c| self.cost[c] + if cells[c].value < level { weak } else { 0.0 }).collect();
        let outcome = crate::sdc::greedy::protect_exactly(&crate::sdc::greedy::GreedyInput {
            problem: self.problem,
            protected: &self.protected,
            never_published: &never,
            known: &self.in_ledger,
            candidate: &self.candidate,
            zero: &zero,
            cost: &cost,
            singleton: &self.singleton,
            singleton_rule: self.rules.singleton,
            ancestry: &self.ancestry,
            width_needed: &self.width_needed,
            relations_of: &self.relations_of,
        })?;
        for (c, protects) in outcome.protects {
            self.candidate[c] = false;
            self.unknown[c] = true;
            self.protects[c].extend(protects);
        }
        Ok(())
    }

    /// Runs the secondary step until every component passes.
    pub fn run(&mut self) -> Result<(), SdcError> {
        let greedy = self.rules.method == crate::sdc::rules::SecondaryMethod::Elimination;
        if greedy {
            self.exact_by_elimination()?;
        }
        self.cover_with_cycles(greedy);
        let mut dirty = self.unknown.clone();
        let trace = std::env::var_os("NDTMS_STATS_SDC_TRACE").is_some();
        let started = std::time::Instant::now();
        loop {
            let components: Vec<Vec<CellId>> =
                self.components().into_iter().filter(|cells| cells.iter().any(|&c| dirty[c])).collect();
            if components.is_empty() {
                return Ok(());
            }
            for cells in &components {
                for &c in cells {
                    dirty[c] = false;
                }
            }
            let results: Vec<Result<CheckOutcome, SdcError>> = components.par_iter().map(|cells| self.check(cells)).collect();
            if trace {
                let largest = components.iter().map(Vec::len).max().unwrap_or(0);
                let asked: usize = results.iter().map(|r| r.as_ref().map_or(0, |(q, _)| q.len())).sum();
                let hidden = self.unknown.iter().filter(|&&u| u).count();
                eprintln!("sdc trace: {:.1}s {} components (largest {largest}), {asked} complements asked, {hidden} unknown", started.elapsed().as_secs_f64(), components.len());
            }
            let mut requests = Vec::new();
            for r in results {
                let (req, certificates) = r?;
                requests.extend(req);
                for (c, i) in certificates {
                    self.certificate[c] = Some(i);
                }
            }
            requests.sort_unstable();
            for req in requests {
                if req.complement == req.protects {
                    // Determined and unprotected: published again, and never hidden again.
                    let c = req.complement;
                    self.unknown[c] = false;
                    self.candidate[c] = false;
                    self.in_ledger[c] = true;
                    self.protects[c].clear();
                    // Its component is checked again (other cells in it may be determined too).
                    for &r in &self.relations_of[c] {
                        for &(x, _) in &self.problem.relations[r as usize].terms {
                            dirty[x] |= self.unknown[x];
                        }
                    }
                    continue;
                }
                if self.candidate[req.complement] || self.last_resort(req.complement) {
                    self.candidate[req.complement] = false;
                    self.unknown[req.complement] = true;
                    dirty[req.complement] = true;
                }
                if !self.protects[req.complement].contains(&req.protects) {
                    self.protects[req.complement].push(req.protects);
                }
            }
        }
    }

    /// Exact feasible intervals of every suppressed cell (the audit), by component in parallel.
    pub fn audit(&self) -> Result<Vec<Option<Interval>>, SdcError> {
        let components = self.components();
        let per_component: Vec<Result<Vec<(CellId, Interval)>, SdcError>> = components
            .par_iter()
            .map(|cells| {
                let mut out = Vec::new();
                let needs = |c: CellId| self.problem.cells[c].publishable || self.protected[c];
                let exact = cells.len() <= EXACT_MAX;
                let mut sys = None;
                for (j, &c) in cells.iter().enumerate() {
                    if !needs(c) {
                        continue;
                    }
                    if !exact && self.certified(c) {
                        out.extend(self.certificate[c].map(|i| (c, i)));
                        continue;
                    }
                    let sys = sys.get_or_insert_with(|| self.local_system(cells).0);
                    let i = lp_interval(sys, j)
                        .map_err(|reason| SdcError::AuditSolver { key: self.problem.cells[c].key.to_string(), reason })?;
                    out.push((c, i));
                }
                Ok(out)
            })
            .collect();
        let mut intervals = vec![None; self.problem.cells.len()];
        for r in per_component {
            for (c, i) in r? {
                intervals[c] = Some(i);
            }
        }
        Ok(intervals)
    }
}
