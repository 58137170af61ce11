//! An outside attacker that shares no code with the engine (issue 10, item 5): it reads only
//! what run folders publish (`manifest.json` and `csv/*.csv`, [`published`]), builds the cells
//! and the relations the output contract declares ([`relations`]), and bounds every suppressed
//! cell by linear programming over its connected component ([`lp`]). A suppressed cell is
//! - **exact** when its interval is narrower than 0.5 (a single count; also when the same cell
//!   is published elsewhere),
//! - **narrow** when not exact but narrower than the rule file's protection level,
//! - **in range** when its interval lies inside the sensitive range (lower bound >= the bottom of
//!   the sensitive range, at least 1, and upper bound <= its top), whatever its width.
//!
//! Relations that the published values themselves contradict (every member published, sum
//! wrong by more than 0.5) are reported per group and not used: the manifest declared something
//! the data deny, which is a finding of its own, and an attacker would not trust the group.

pub mod lp;
pub mod published;
pub mod relations;
mod fixture;
mod synthetic;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::time::Instant;

use lp::{Equation, Interval, Work};
use published::{read_run, Rules};
use relations::{Model, Skip};

/// One suppressed cell the attacker pins down, with its interval and the relation groups it is in.
#[derive(Debug, Clone)]
pub struct Finding {
    pub cell: String,
    pub lo: f64,
    pub hi: f64,
    pub groups: Vec<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in [{}, {}] via {}", self.cell, self.lo, self.hi, if self.groups.is_empty() { "publication elsewhere".to_string() } else { self.groups.join("; ") })
    }
}

/// What the attacker found.
#[derive(Debug, Default)]
pub struct Report {
    pub runs: Vec<String>,
    /// Distinct cell identities (rates excluded).
    pub cells: usize,
    pub suppressed: usize,
    pub exact: usize,
    pub narrow: usize,
    pub in_range: usize,
    /// Suppressed cells in components whose programmes are infeasible (not classified).
    pub inconsistent: usize,
    pub rate_cells: usize,
    pub relations: usize,
    pub incomplete_relations: usize,
    /// Relation groups the published values contradict (not used), with an example.
    pub contradicted: BTreeMap<String, String>,
    pub conflicts: Vec<String>,
    pub population_fallback: usize,
    pub components: usize,
    pub largest_component: usize,
    pub largest_component_seconds: f64,
    pub programmes: usize,
    pub seconds: f64,
    pub exact_examples: Vec<Finding>,
    pub narrow_examples: Vec<Finding>,
    pub in_range_examples: Vec<Finding>,
    pub inconsistent_examples: Vec<String>,
}

const EXAMPLES: usize = 8;

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "attacker on {}:", self.runs.join(", "))?;
        writeln!(f, "  {} cells, {} suppressed: {} exact, {} narrow, {} in the sensitive range, {} in inconsistent components", self.cells, self.suppressed, self.exact, self.narrow, self.in_range, self.inconsistent)?;
        writeln!(f, "  {} relations used ({} left out for [x]/[z]/missing members), {} groups contradicted by the published values, {} conflicting publications, {} rate cells not attacked", self.relations, self.incomplete_relations, self.contradicted.len(), self.conflicts.len(), self.rate_cells)?;
        writeln!(f, "  {} tables without population (counted as their own population)", self.population_fallback)?;
        writeln!(f, "  {} components (largest {} unknowns, {:.2}s), {} programmes, {:.2}s in all", self.components, self.largest_component, self.largest_component_seconds, self.programmes, self.seconds)?;
        for (title, list) in [("exact", &self.exact_examples), ("narrow", &self.narrow_examples), ("in range", &self.in_range_examples)] {
            for x in list {
                writeln!(f, "  {title}: {x}")?;
            }
        }
        for (g, x) in &self.contradicted {
            writeln!(f, "  contradicted: {g}: {x}")?;
        }
        for x in self.conflicts.iter().take(EXAMPLES).chain(&self.inconsistent_examples) {
            writeln!(f, "  inconsistent: {x}")?;
        }
        Ok(())
    }
}

/// Attacks the given run folders together, with the protection level and sensitive range of
/// `rules`; `skip` weakens the attacker on purpose (controls).
pub fn attack(run_dirs: &[&Path], rules: &Rules, skip: &Skip) -> Report {
    let started = Instant::now();
    let runs: Vec<_> = run_dirs.iter().map(|d| read_run(d).unwrap_or_else(|e| panic!("{e}"))).collect();
    let mut model = Model::build(&runs, skip);
    let mut report = Report {
        runs: runs.iter().map(|r| r.name()).collect(),
        cells: model.ids.len(),
        suppressed: model.suppressed.iter().filter(|s| **s).count(),
        rate_cells: model.rate_cells,
        incomplete_relations: model.incomplete_relations,
        conflicts: std::mem::take(&mut model.conflicts),
        population_fallback: model.population_fallback.len(),
        ..Report::default()
    };
    // Groups the published values contradict.
    for r in &model.relations {
        if r.terms.iter().all(|(c, _)| model.value[*c].is_some()) {
            let sum: f64 = r.terms.iter().map(|(c, k)| k * model.value[*c].unwrap()).sum();
            if sum.abs() > 0.5 && !report.contradicted.contains_key(&r.group) {
                let show: Vec<String> = r.terms.iter().map(|(c, k)| format!("{}{}={}", if *k > 0.0 { "+" } else { "-" }, model.ids[*c], model.value[*c].unwrap())).collect();
                report.contradicted.insert(r.group.clone(), format!("{} (off by {sum})", show.join(" ")));
            }
        }
    }
    let relations: Vec<_> = model.relations.iter().filter(|r| !report.contradicted.contains_key(&r.group)).collect();
    report.relations = relations.len();
    // Unknowns and their equations.
    let unknown: Vec<usize> = (0..model.ids.len()).filter(|&c| model.suppressed[c] && model.value[c].is_none()).collect();
    let local: BTreeMap<usize, usize> = unknown.iter().enumerate().map(|(u, &c)| (c, u)).collect();
    let mut eqs: Vec<(Equation, &str)> = Vec::new();
    for r in &relations {
        let mut terms = Vec::new();
        let mut rhs = 0.0;
        for &(c, k) in &r.terms {
            match model.value[c] {
                Some(v) => rhs -= k * v,
                None => terms.push((local[&c], k)),
            }
        }
        if !terms.is_empty() {
            eqs.push(((terms, rhs), r.group.as_str()));
        }
    }
    let (fixed, mut bad) = presolve(unknown.len(), &eqs);
    let mut bounds: Vec<Option<Interval>> = fixed.iter().map(|f| f.map(|v| Interval { lo: v, hi: v, proven: true })).collect();
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
    for ((terms, rhs), _) in &eqs {
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
    for u in 0..unknown.len() {
        if fixed[u].is_none() {
            let r = root(&mut uf, u);
            members.entry(r).or_default().push(u);
        }
    }
    let mut component_eqs: BTreeMap<usize, Vec<Equation>> = BTreeMap::new();
    for (terms, rhs) in reduced {
        let r = root(&mut uf, terms[0].0);
        component_eqs.entry(r).or_default().push((terms, rhs));
    }
    let (p, span) = (rules.protection_level.max(0.5), rules.sensitive_span());
    let inside = move |lo: f64, hi: f64| span.is_some_and(|(a, b)| lo >= a - 1e-6 && hi <= b + 1e-6);
    let safe = move |lo: f64, hi: f64| hi - lo >= p - 1e-6 && !inside(lo, hi);
    let mut work = Work::default();
    for (r, cells) in &members {
        let Some(ce) = component_eqs.get(r) else {
            // in no equation left: [0, infinity)
            bounds[cells[0]] = Some(Interval { lo: 0.0, hi: f64::INFINITY, proven: true });
            continue;
        };
        report.components += 1;
        let pos: BTreeMap<usize, usize> = cells.iter().enumerate().map(|(i, &u)| (u, i)).collect();
        let local_eqs: Vec<Equation> = ce.iter().map(|(t, rhs)| (t.iter().map(|&(u, k)| (pos[&u], k)).collect(), *rhs)).collect();
        let t0 = Instant::now();
        let result = lp::intervals(cells.len(), &local_eqs, safe, &mut work);
        if cells.len() > report.largest_component {
            report.largest_component = cells.len();
            report.largest_component_seconds = t0.elapsed().as_secs_f64();
        }
        match result {
            Ok(iv) => cells.iter().zip(iv).for_each(|(&u, i)| bounds[u] = Some(i)),
            Err(lp::Infeasible) => bad.extend(cells.iter().copied()),
        }
    }
    report.programmes = work.programmes;
    // Classify every suppressed cell.
    let groups_of = |c: usize| -> Vec<String> { relations.iter().filter(|r| r.terms.iter().any(|t| t.0 == c)).map(|r| r.group.clone()).collect::<BTreeSet<_>>().into_iter().collect() };
    let bad: BTreeSet<usize> = bad.into_iter().collect();
    for c in (0..model.ids.len()).filter(|&c| model.suppressed[c]) {
        let iv = match (model.value[c], local.get(&c)) {
            (Some(v), _) => Interval { lo: v, hi: v, proven: true },
            (None, Some(u)) if bad.contains(u) => {
                report.inconsistent += 1;
                if report.inconsistent_examples.len() < EXAMPLES {
                    report.inconsistent_examples.push(format!("{} is in a component the published values contradict ({})", model.ids[c], groups_of(c).join("; ")));
                }
                continue;
            }
            (None, Some(u)) => bounds[*u].expect("every unknown is bounded or inconsistent"),
            (None, None) => unreachable!("a suppressed cell without a value is an unknown"),
        };
        let finding = || Finding { cell: model.ids[c].clone(), lo: round(iv.lo), hi: round(iv.hi), groups: if model.value[c].is_some() { Vec::new() } else { groups_of(c) } };
        let w = iv.hi - iv.lo;
        if w < 0.5 {
            report.exact += 1;
            if report.exact_examples.len() < EXAMPLES {
                report.exact_examples.push(finding());
            }
        } else if w < p - 1e-6 {
            report.narrow += 1;
            if report.narrow_examples.len() < EXAMPLES {
                report.narrow_examples.push(finding());
            }
        }
        if inside(iv.lo, iv.hi) {
            report.in_range += 1;
            if report.in_range_examples.len() < EXAMPLES {
                report.in_range_examples.push(finding());
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Fixes every unknown that an equation with a single unknown left determines, repeatedly.
/// Returns the fixed values and the unknowns of equations the published values contradict
/// (a negative value, or nothing left but a wrong sum).
fn presolve(n: usize, eqs: &[(Equation, &str)]) -> (Vec<Option<f64>>, Vec<usize>) {
    let mut fixed: Vec<Option<f64>> = vec![None; n];
    let mut bad = Vec::new();
    let mut changed = true;
    while changed {
        changed = false;
        for ((terms, rhs), _) in eqs {
            let mut rest = *rhs;
            let mut open = Vec::new();
            for &(u, k) in terms {
                match fixed[u] {
                    Some(v) => rest -= k * v,
                    None => open.push((u, k)),
                }
            }
            if open.len() > 1 {
                continue;
            }
            let first = open.first().copied();
            match first {
                Some((u, k)) => {
                    let v = rest / k;
                    if v < -0.5 {
                        bad.extend(terms.iter().map(|t| t.0));
                    }
                    fixed[u] = Some(v);
                    changed = true;
                }
                None if rest.abs() > 0.5 => bad.extend(terms.iter().map(|t| t.0)),
                None => {}
            }
        }
    }
    bad.sort();
    bad.dedup();
    (fixed, bad)
}
