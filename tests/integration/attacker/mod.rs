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
//! Every relation the manifests declare is used, as the contract tells an outside auditor to.
//! Relation groups that the published values themselves contradict (every member published, sum
//! wrong by more than 0.5) are reported: the manifest declares a sum the data deny, a finding of
//! its own; findings that rest on such a group are marked doubtful (a defect of the manifest
//! more than a leak). A component made infeasible by such a group is bounded again without the
//! contradicted groups; one still infeasible is counted as inconsistent, not guessed at.

mod components;
pub mod lp;
pub mod published;
pub mod relations;
mod fixture;
mod synthetic;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::time::Instant;

use lp::Interval;
use published::{read_run, Rules};
use relations::{Model, Relation, Skip};

/// One suppressed cell the attacker pins down, with its interval and the relation groups it is in.
#[derive(Debug, Clone)]
pub struct Finding {
    pub cell: String,
    pub lo: f64,
    pub hi: f64,
    pub groups: Vec<String>,
    /// It relies on a relation group the published values contradict elsewhere (the
    /// manifest declares a sum that does not hold): a defect of the manifest more than a leak.
    pub doubtful: bool,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{} in [{}, {}] via {}", if self.doubtful { "(relies on a contradicted group) " } else { "" }, self.cell, self.lo, self.hi, if self.groups.is_empty() { "publication elsewhere".to_string() } else { self.groups.join("; ") })
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
    /// Findings (any class) that rely on a contradicted group.
    pub doubtful: usize,
    /// Unknowns of infeasible components bounded again without the contradicted groups.
    pub retried: usize,
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

const EXAMPLES: usize = 12;

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "attacker on {}:", self.runs.join(", "))?;
        writeln!(f, "  {} cells, {} suppressed: {} exact, {} narrow, {} in the sensitive range, {} in inconsistent components ({} findings rely on a contradicted group; {} cells re-bounded without those groups)", self.cells, self.suppressed, self.exact, self.narrow, self.in_range, self.inconsistent, self.doubtful, self.retried)?;
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
    // Every declared relation is used (the contract says so); where a component's programmes
    // are infeasible, it is bounded again without the groups the published values contradict.
    let all: Vec<&Relation> = model.relations.iter().collect();
    report.relations = all.len();
    let unknown: BTreeSet<usize> = (0..model.ids.len()).filter(|&c| model.suppressed[c] && model.value[c].is_none()).collect();
    let (p, span) = (rules.protection_level.max(0.5), rules.sensitive_span());
    let inside = move |lo: f64, hi: f64| span.is_some_and(|(a, b)| lo >= a - 1e-6 && hi <= b + 1e-6);
    let safe = move |lo: f64, hi: f64| hi - lo >= p - 1e-6 && !inside(lo, hi);
    let reach = p.max(span.map_or(0.0, |s| s.1 + 1.0));
    let mut solved = components::bound(&model, &all, &unknown, safe, reach);
    report.components = solved.components;
    (report.largest_component, report.largest_component_seconds) = (solved.largest, solved.largest_seconds);
    report.programmes = solved.work.programmes;
    if !solved.inconsistent.is_empty() && !report.contradicted.is_empty() {
        let bad = std::mem::take(&mut solved.inconsistent);
        let trusted: Vec<&Relation> = all.iter().copied().filter(|r| !report.contradicted.contains_key(&r.group) && r.terms.iter().all(|(c, _)| model.value[*c].is_some() || bad.contains(c))).collect();
        let again = components::bound(&model, &trusted, &bad, safe, reach);
        report.retried = bad.len();
        report.components += again.components;
        report.programmes += again.work.programmes;
        solved.bounds.extend(again.bounds);
        solved.inconsistent = again.inconsistent;
    }
    // Classify every suppressed cell.
    let groups_of = |c: usize| -> Vec<String> { all.iter().filter(|r| r.terms.iter().any(|t| t.0 == c)).map(|r| r.group.clone()).collect::<BTreeSet<_>>().into_iter().collect() };
    for c in (0..model.ids.len()).filter(|&c| model.suppressed[c]) {
        let iv = match model.value[c] {
            Some(v) => Interval { lo: v, hi: v, proven: true },
            None if solved.inconsistent.contains(&c) => {
                report.inconsistent += 1;
                if report.inconsistent_examples.len() < EXAMPLES {
                    report.inconsistent_examples.push(format!("{} is in a component the published values contradict ({})", model.ids[c], groups_of(c).join("; ")));
                }
                continue;
            }
            None => solved.bounds[&c],
        };
        let finding = || {
            let groups = if model.value[c].is_some() { Vec::new() } else { groups_of(c) };
            let doubtful = groups.iter().any(|g| report.contradicted.contains_key(g));
            Finding { cell: model.ids[c].clone(), lo: round(iv.lo), hi: round(iv.hi), groups, doubtful }
        };
        let w = iv.hi - iv.lo;
        let mut found = Vec::new();
        if w < 0.5 {
            report.exact += 1;
            found.push((finding(), 0));
        } else if w < p - 1e-6 {
            report.narrow += 1;
            found.push((finding(), 1));
        }
        if inside(iv.lo, iv.hi) {
            report.in_range += 1;
            found.push((finding(), 2));
        }
        for (f, class) in found {
            report.doubtful += usize::from(f.doubtful);
            let target = match class {
                0 => &mut report.exact_examples,
                1 => &mut report.narrow_examples,
                _ => &mut report.in_range_examples,
            };
            if target.len() < EXAMPLES || (!f.doubtful && target.iter().any(|x| x.doubtful)) {
                // findings that rely on no contradicted group are shown first
                if target.len() >= EXAMPLES {
                    let at = target.iter().rposition(|x| x.doubtful).unwrap();
                    target.remove(at);
                }
                target.push(f);
                target.sort_by_key(|x| x.doubtful);
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

