//! Several cycles together: protection without a total when no single cycle is wide enough.
//!
//! A small cell whose siblings are all small (people of unknown sex in one region, when every
//! region has a handful) has no single cycle that moves it far: a cycle through a sibling
//! region can only take from that region what it holds. The cheapest *single* wide cycle then
//! runs through the totals (England's women in treatment, say), which is the information loss
//! statisticians object to most. But the attacker cannot tell `x` from `x + sum(a_i * z_i)`
//! either, for cycles `z_i` through the cell and amplitudes `a_i >= 0` that keep every cell
//! non-negative: each cycle balances every relation, so their sum does too. Moving the cell up
//! through several sibling regions at once certifies an interval as wide as their combined room.
//!
//! The search is greedy: cycles through the cell (from the wider alternatives of
//! [`CycleRules::for_each_cycle`]) are added by marginal cost per unit of room until the caller
//! accepts the combined interval. Amplitudes are bounded by what each `-1` cell has left after
//! the cycles already chosen, so the combined deviation is checked, not assumed.

use std::collections::{HashMap, HashSet};

use crate::sdc::audit::Interval;
use crate::sdc::cube::{Cycle, CycleRules};
use crate::sdc::model::CellId;

/// Cycles whose sum moves the cell up by `up`; the cell can also move down by `down` (along
/// one of them). `cost` counts each published cell once.
#[derive(Debug, Clone)]
pub struct Combination {
    pub cycles: Vec<Cycle>,
    pub up: f64,
    pub down: f64,
    pub cost: f64,
}

impl Combination {
    /// Certified part of the cell's feasible interval: the cell is `+1` on every cycle through
    /// it, so their sum moves it up by `up` and one of them down by `down`.
    pub fn segment(&self, value: f64) -> Interval {
        Interval { low: value - self.down, high: value + self.up, exact: false }
    }
}

/// Most cycles through one cell looked at.
const MAX_CYCLES: usize = 4096;

impl CycleRules<'_> {
    /// The cheapest combination found greedily whose interval `accept(up, down)` takes, or
    /// `None`. `wanted` is the room the caller needs above the cell (it weighs the cycles).
    pub fn cheapest_combination(&self, cell: CellId, located: &(u32, Vec<u32>), avoid_singletons: bool, wanted: f64, accept: &dyn Fn(f64, f64) -> bool) -> Option<Combination> {
        let mut cycles: Vec<Cycle> = Vec::new();
        self.for_each_cycle(cell, located, avoid_singletons, wanted, &mut |cycle| {
            if cycle.up > 1e-9 && cycles.len() < MAX_CYCLES {
                cycles.push(cycle);
            }
            None
        });
        let sign_of = |cycle: &Cycle| cycle.terms.iter().find(|t| t.0 == cell).map_or(0, |t| t.1);
        // Only cycles that move the cell up (+1 on it) add room above it.
        cycles.retain(|c| sign_of(c) > 0);
        // The greedy order can start with one wide cycle through a total; without the most
        // expensive cell of the best combination so far, several small cycles may cost less.
        let mut best = self.greedy(cycles.clone(), wanted, accept);
        for _ in 0..3 {
            let Some(found) = &best else { break };
            let top = found.cycles.iter().flat_map(|y| y.terms.iter()).filter_map(|t| self.usable_cost(t.0)).fold(0.0, f64::max);
            if top <= 0.0 {
                break;
            }
            let cheaper: Vec<Cycle> = cycles.iter().filter(|y| y.terms.iter().all(|t| self.usable_cost(t.0).is_some_and(|c| c < top))).cloned().collect();
            match self.greedy(cheaper, wanted, accept) {
                Some(other) if other.cost < found.cost => best = Some(other),
                _ => break,
            }
        }
        best
    }

    /// Adds cycles by marginal cost per unit of room until `accept` takes the interval.
    fn greedy(&self, mut cycles: Vec<Cycle>, wanted: f64, accept: &dyn Fn(f64, f64) -> bool) -> Option<Combination> {
        let mut shift: HashMap<CellId, f64> = HashMap::new();
        let mut paid: HashSet<CellId> = HashSet::new();
        let mut chosen: Vec<Cycle> = Vec::new();
        let (mut up, mut down, mut cost) = (0.0f64, 0.0f64, 0.0f64);
        let room = |cycle: &Cycle, shift: &HashMap<CellId, f64>| {
            cycle
                .terms
                .iter()
                .filter(|t| t.1 < 0)
                .map(|t| self.problem.cells[t.0].value.max(0.0) + shift.get(&t.0).copied().unwrap_or(0.0))
                .fold(f64::INFINITY, f64::min)
        };
        let marginal = |cycle: &Cycle, paid: &HashSet<CellId>| {
            let mut seen: Vec<CellId> = Vec::new();
            cycle
                .terms
                .iter()
                .filter(|t| !paid.contains(&t.0))
                .filter(|t| !seen.contains(&t.0) && { seen.push(t.0); true })
                .map(|t| self.usable_cost(t.0).unwrap_or(f64::INFINITY))
                .sum::<f64>()
        };
        while !accept(up, down) {
            let need = (wanted - up).max(1.0);
            let next = cycles
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let r = room(c, &shift);
                    (r > 1e-9).then(|| (marginal(c, &paid) / r.min(need), i, r))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let (_, i, r) = next?;
            let cycle = cycles.swap_remove(i);
            let amplitude = r.min(need);
            for &(c, s) in &cycle.terms {
                *shift.entry(c).or_insert(0.0) += amplitude * s as f64;
                if paid.insert(c) {
                    cost += self.usable_cost(c).unwrap_or(f64::INFINITY);
                }
            }
            up += amplitude;
            down = down.max(cycle.down);
            chosen.push(cycle);
        }
        (!chosen.is_empty()).then_some(Combination { cycles: chosen, up, down, cost })
    }
}

#[cfg(test)]
mod tests {
    use crate::sdc::tests::{dim, inner};
    use crate::sdc::*;

    /// Region A's one person of unknown sex, with every region holding one or two: no single
    /// sibling region has room 4 above it, three together do; the totals stay published.
    #[test]
    fn several_sibling_cycles_replace_the_total() {
        let geo = dim("geo", &[("A", None), ("a1", Some("A")), ("a2", Some("A")), ("B", None), ("b1", Some("B")), ("b2", Some("B")), ("C", None), ("c1", Some("C")), ("c2", Some("C")), ("D", None), ("d1", Some("D")), ("d2", Some("D"))]);
        let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![geo, dim("sex", &[("f", None), ("m", None), ("u", None)])] };
        let mut rows: Vec<(Vec<&str>, f64)> = Vec::new();
        for (la, u) in [("a1", 1.0), ("a2", 0.0), ("b1", 2.0), ("b2", 0.0), ("c1", 2.0), ("c2", 0.0), ("d1", 1.0), ("d2", 1.0)] {
            rows.push((vec![la, "f"], 400.0));
            rows.push((vec![la, "m"], 500.0));
            rows.push((vec![la, "u"], u));
        }
        let rows: Vec<(&[&str], f64)> = rows.iter().map(|(k, v)| (k.as_slice(), *v)).collect();
        let mut b = ProblemBuilder::new("t");
        b.add_table(&def, &aggregate(&def, &inner(&rows)).unwrap()).unwrap();
        let inputs = crate::sdc::cube::SearchInputs::new(b.build());
        let problem = &inputs.problem;
        let n = problem.cells.len();
        let id = |coords: &[(&str, &str)]| problem.cell_id(&CellKey::new("n", coords.iter().map(|(d, c)| (d.to_string(), c.to_string())).collect())).unwrap();
        let p = id(&[("geo", "A"), ("sex", "u")]);
        let mut unknown = vec![false; n];
        for (c, cell) in problem.cells.iter().enumerate() {
            unknown[c] = cell.value > 0.0 && cell.value < 5.0;
        }
        let candidate: Vec<bool> = (0..n).map(|c| !unknown[c] && problem.cells[c].value > 0.0).collect();
        let rules = inputs.rules(&unknown, &candidate, 8);
        let located = &inputs.located;
        let accept = |up: f64, down: f64| down >= 1.0 && 1.0 + up >= 5.0;
        let single = rules.cheapest(p, located[p].as_ref().unwrap(), false, 4.0, &accept).unwrap();
        let england_u = id(&[("sex", "u")]);
        assert!(single.terms.iter().any(|t| t.0 == england_u), "the only single wide cycle runs through England");
        let combined = rules.cheapest_combination(p, located[p].as_ref().unwrap(), false, 4.0, &accept).unwrap();
        assert!(combined.up >= 4.0 && combined.cycles.len() >= 2, "{combined:?}");
        assert!(combined.cost < single.cost);
        for cycle in &combined.cycles {
            assert!(cycle.terms.iter().all(|t| t.0 != england_u && problem.cells[t.0].key.to_string() != "n[sex=f]"));
        }
        // The combined deviation keeps every cell non-negative.
        let mut d = vec![0.0; n];
        let mut left = combined.up;
        for cycle in &combined.cycles {
            let room = cycle.terms.iter().filter(|t| t.1 < 0).map(|t| problem.cells[t.0].value + d[t.0]).fold(f64::INFINITY, f64::min);
            let a = room.min(left);
            left -= a;
            for &(c, s) in &cycle.terms {
                d[c] += a * s as f64;
            }
        }
        assert!((0..n).all(|c| problem.cells[c].value + d[c] >= -1e-9));
        assert!(left <= 1e-9);
    }

    /// The whole engine on the release's shape: five regions of three LAs, each LA with one or
    /// two people of unknown sex. England's figures all stay published and the independent
    /// global audit passes.
    #[test]
    fn england_stays_published_when_every_region_has_a_handful() {
        let mut cats: Vec<(String, Option<String>)> = Vec::new();
        let mut rows: Vec<(Vec<String>, f64)> = Vec::new();
        for r in 0..5 {
            let region = format!("R{r}");
            cats.push((region.clone(), None));
            for l in 0..3 {
                let la = format!("L{r}{l}");
                cats.push((la.clone(), Some(region.clone())));
                rows.push((vec![la.clone(), "f".into()], 300.0 + (7 * r + 3 * l) as f64));
                rows.push((vec![la.clone(), "m".into()], 600.0 + (5 * r + 11 * l) as f64));
                rows.push((vec![la, "u".into()], 1.0 + ((r + l) % 2) as f64));
            }
        }
        let cats: Vec<(&str, Option<&str>)> = cats.iter().map(|(c, p)| (c.as_str(), p.as_deref())).collect();
        let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("geo", &cats), dim("sex", &[("f", None), ("m", None), ("u", None)])] };
        let rows: Vec<(Vec<&str>, f64)> = rows.iter().map(|(k, v)| (k.iter().map(String::as_str).collect(), *v)).collect();
        let rows: Vec<(&[&str], f64)> = rows.iter().map(|(k, v)| (k.as_slice(), *v)).collect();
        let mut b = ProblemBuilder::new("t");
        b.add_table(&def, &aggregate(&def, &inner(&rows)).unwrap()).unwrap();
        let problem = b.build();
        let rules = crate::sdc::tests::official();
        let p = protect(&problem, &rules, &Ledger::new()).unwrap();
        crate::sdc::tests::assert_protected(&problem, &p, &rules);
        for (id, cell) in problem.cells.iter().enumerate() {
            let key = cell.key.to_string();
            if !key.contains("geo=") {
                assert!(!p.statuses[id].is_suppressed(), "{key} suppressed");
            }
        }
    }
}
