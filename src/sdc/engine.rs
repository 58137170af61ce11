//! `protect`: primary suppression, secondary suppression, the LP audit, rounding mode, the
//! ledger of earlier publications and rates, over a [`Problem`] under a [`RuleSet`].

use rayon::prelude::*;

use crate::sdc::error::SdcError;
use crate::sdc::explain::{CellStatus, Counts, Protection, RateReason, RateStatus, Reason};
use crate::sdc::ledger::Ledger;
use crate::sdc::model::Problem;
use crate::sdc::primary::{is_singleton, primary_reason, required_width};
use crate::sdc::rounding::round_to_base;
use crate::sdc::rules::{Mode, RuleSet};
use crate::sdc::secondary::Attack;

/// Protects every cell of `problem` under `rules`, treating cells of the problem's series found
/// in `ledger` as already published. Fails when a guarantee cannot be met.
///
/// The problem is first checked against the data: a declared relation the true values
/// contradict stops the run, and every relation over time that holds (the months of a flow
/// measure against the year; year to date against the previous month's and the month) joins it
/// ([`crate::sdc::complete`]).
pub fn protect(problem: &Problem, rules: &RuleSet, ledger: &Ledger) -> Result<Protection, SdcError> {
    let own = problem.cells.len();
    let joined = match rules.mode {
        Mode::Suppress => crate::sdc::nested::join(problem, ledger)?,
        Mode::Round => None,
    };
    let (completed, completion) = crate::sdc::complete::complete(joined.as_ref().unwrap_or(problem))?;
    let problem = &completed;
    let n = problem.cells.len();
    let mut known_value: Vec<f64> = problem.cells.iter().map(|c| c.value).collect();
    let mut in_ledger = vec![false; n];
    let mut kept_suppressed = vec![false; n];
    for (id, cell) in problem.cells.iter().enumerate() {
        if let Some(v) = ledger.get(&problem.series, &cell.key) {
            if (v - cell.value).abs() > 1e-9 * cell.value.abs().max(1.0) {
                return Err(SdcError::LedgerRevised { key: cell.key.to_string(), published: v, now: cell.value });
            }
            in_ledger[id] = true;
            known_value[id] = v;
        } else if cell.publishable && ledger.is_suppressed(&problem.series, &cell.key) {
            kept_suppressed[id] = true;
        }
    }
    // Cells the earlier publications fix through a relation are public already: known, never
    // complements (a primary cell among them is left to the secondary step, which refuses).
    if rules.mode == Mode::Suppress && in_ledger.iter().any(|&k| k) {
        for id in crate::sdc::fixed::fixed_by(problem, &in_ledger) {
            let cell = &problem.cells[id];
            if !kept_suppressed[id] && primary_reason(cell, rules).is_none() {
                in_ledger[id] = true;
            }
        }
    }
    let statuses = match rules.mode {
        Mode::Round => rounded_statuses(problem, rules),
        Mode::Suppress => {
            let (statuses, intervals) = suppressed_statuses(problem, rules, &in_ledger, &kept_suppressed, known_value)?;
            let mut protection = finish(problem, rules, statuses, intervals, Vec::new());
            protection.counts.over_time_relations = completion.over_time;
            protection.keep_own(own, problem);
            return Ok(protection);
        }
    };
    Ok(finish(problem, rules, statuses, vec![None; n], vec![rules.rounding_note.clone()]))
}

fn rounded_statuses(problem: &Problem, rules: &RuleSet) -> Vec<CellStatus> {
    problem
        .cells
        .iter()
        .map(|c| match c.publishable {
            true => CellStatus::Rounded { value: round_to_base(c.value, rules.rounding_base) },
            false => CellStatus::Internal,
        })
        .collect()
}

type Intervals = Vec<Option<crate::sdc::audit::Interval>>;

fn suppressed_statuses(
    problem: &Problem,
    rules: &RuleSet,
    in_ledger: &[bool],
    kept_suppressed: &[bool],
    known_value: Vec<f64>,
) -> Result<(Vec<CellStatus>, Intervals), SdcError> {
    // A cell published by an earlier run is public whatever these rules say of it now (a
    // research extract under a stricter threshold, say): it stays published, as known.
    let reasons: Vec<_> =
        problem.cells.par_iter().enumerate().map(|(i, c)| if in_ledger[i] { None } else { primary_reason(c, rules) }).collect();
    let cells = &problem.cells;
    // Suppressed by an earlier publication of the series: suppressed again (one status per cell).
    let unknown: Vec<bool> =
        (0..cells.len()).map(|i| !in_ledger[i] && (reasons[i].is_some() || !cells[i].publishable || kept_suppressed[i])).collect();
    // Cells this run may hide as complements (and publish again when hiding them protects nothing).
    let releasable: Vec<bool> = (0..cells.len()).map(|i| cells[i].publishable && !unknown[i] && !in_ledger[i]).collect();
    let mut attack = Attack {
        problem,
        rules,
        relations_of: problem.relations_of_cells(),
        protected: reasons.iter().map(|r| r.is_some()).collect(),
        singleton: cells.iter().map(is_singleton).collect(),
        // Published zeros are never complements: a suppressed zero can be pinned by
        // non-negativity alone, and hiding it protects nothing.
        candidate: (0..cells.len()).map(|i| releasable[i] && cells[i].value != 0.0).collect(),
        releasable,
        unknown,
        known_value,
        width_needed: cells.iter().map(|c| required_width(c, rules)).collect(),
        cost: complement_costs(problem, rules),
        protects: vec![Vec::new(); cells.len()],
        located: crate::sdc::cube::locate(problem),
        certificate: vec![None; cells.len()],
        ancestry: crate::sdc::overlap::Ancestry::of(problem),
        in_ledger: in_ledger.to_vec(),
        linked: problem.shapes.len() != 1 || problem.general_relations > 0 || cells.iter().any(|c| c.tables.len() > 1),
    };
    if rules.secondary && rules.method == crate::sdc::rules::SecondaryMethod::Patterns {
        by_certificates(&mut attack, kept_suppressed)?;
    } else if rules.secondary {
        attack.run()?;
    }
    let intervals = attack.audit()?;
    for (id, interval) in intervals.iter().enumerate() {
        if !attack.protected[id] {
            continue;
        }
        let ok = interval.as_ref().is_some_and(|i| attack.is_wide_enough(id, i));
        if !ok {
            return Err(SdcError::Unprotectable {
                key: cells[id].key.to_string(),
                reason: format!("audit interval {interval:?} is narrower than {}", attack.width_needed[id]),
            });
        }
    }
    let statuses = (0..cells.len())
        .map(|i| {
            if let Some(rule) = &reasons[i] {
                if cells[i].publishable {
                    return CellStatus::Suppressed { reason: Reason::Primary { rule: rule.clone() } };
                }
            }
            if !cells[i].publishable {
                CellStatus::Internal
            } else if attack.unknown[i] {
                CellStatus::Suppressed { reason: Reason::Secondary { protects: attack.protects[i].clone() } }
            } else {
                CellStatus::Published { value: attack.known_value[i] }
            }
        })
        .collect();
    Ok((statuses, intervals))
}

/// Secondary suppression by certificates ([`crate::sdc::certify`]); the certified segments
/// serve the audit of components too large for exact linear programming.
fn by_certificates(attack: &mut Attack, kept_suppressed: &[bool]) -> Result<(), SdcError> {
    let trace = std::env::var_os("NDTMS_STATS_SDC_TRACE").is_some();
    let started = std::time::Instant::now();
    let mut certifier = crate::sdc::certify::Certifier {
        problem: attack.problem,
        rules: attack.rules,
        relations_of: attack.relations_of.clone(),
        values: attack.known_value.clone(),
        unknown: attack.unknown.clone(),
        candidate: attack.candidate.clone(),
        protected: attack.protected.clone(),
        keep_hidden: kept_suppressed.iter().zip(&attack.protected).map(|(&k, &p)| k && !p).collect(),
        singleton: attack.singleton.clone(),
        cost: attack.cost.clone(),
        width_needed: attack.width_needed.clone(),
        ancestry: &attack.ancestry,
        located: &attack.located,
        certificates: Vec::new(),
        moving: vec![Vec::new(); attack.problem.cells.len()],
        added: [0; 4],
        protects: attack.protects.clone(),
    };
    certifier.construct()?;
    if trace {
        let hidden = certifier.unknown.iter().filter(|&&u| u).count();
        eprintln!("sdc trace: construct {:.1}s, {hidden} unknown, {} certificates, complements by proof (down, width, apart, move) {:?}, {} LPs", started.elapsed().as_secs_f64(), certifier.certificates.len(), certifier.added, crate::sdc::pattern::SOLVED.load(std::sync::atomic::Ordering::Relaxed));
    }
    certifier.clean_up();
    if trace {
        let hidden = certifier.unknown.iter().filter(|&&u| u).count();
        eprintln!("sdc trace: clean-up {:.1}s, {hidden} unknown, {} LPs", started.elapsed().as_secs_f64(), crate::sdc::pattern::SOLVED.load(std::sync::atomic::Ordering::Relaxed));
    }
    for cert in &certifier.certificates {
        for &(c, d) in &cert.deviation.terms {
            let v = attack.known_value[c];
            let seg = crate::sdc::audit::Interval { low: v + d.min(0.0), high: v + d.max(0.0), exact: false };
            attack.certificate[c] = Some(match attack.certificate[c] {
                None => seg,
                Some(o) => crate::sdc::audit::Interval { low: o.low.min(seg.low), high: o.high.max(seg.high), exact: false },
            });
        }
    }
    attack.unknown = certifier.unknown;
    attack.candidate = certifier.candidate;
    attack.protects = certifier.protects;
    Ok(())
}

fn finish(problem: &Problem, rules: &RuleSet, statuses: Vec<CellStatus>, intervals: Intervals, notes: Vec<String>) -> Protection {
    let rates: Vec<RateStatus> = problem
        .rates
        .iter()
        .map(|rate| {
            let (num, den) = (&statuses[rate.numerator], &statuses[rate.denominator]);
            match (num.public_value(), den.public_value()) {
                (None, _) => RateStatus::Suppressed { reason: RateReason::NumeratorSuppressed },
                (_, None) => RateStatus::Suppressed { reason: RateReason::DenominatorSuppressed },
                (Some(_), Some(_)) if problem.cells[rate.denominator].value == 0.0 => RateStatus::NotApplicable,
                (Some(_), Some(_)) if problem.cells[rate.denominator].value < rules.min_denominator => {
                    RateStatus::Suppressed { reason: RateReason::DenominatorBelowMinimum }
                }
                (Some(_), Some(d)) if d == 0.0 => RateStatus::NotApplicable,
                (Some(n), Some(d)) => RateStatus::Published { value: n / d },
            }
        })
        .collect();
    let counts = Counts {
        over_time_relations: 0,
        cells: problem.cells.len(),
        publishable: problem.cells.iter().filter(|c| c.publishable).count(),
        primary: statuses.iter().filter(|s| matches!(s, CellStatus::Suppressed { reason: Reason::Primary { .. } })).count(),
        secondary: statuses.iter().filter(|s| matches!(s, CellStatus::Suppressed { reason: Reason::Secondary { .. } })).count(),
        rounded: statuses.iter().filter(|s| matches!(s, CellStatus::Rounded { .. })).count(),
        rates: rates.len(),
        rates_suppressed: rates.iter().filter(|r| matches!(r, RateStatus::Suppressed { .. })).count(),
    };
    let information_loss = crate::sdc::loss::InformationLoss::measure(problem, &statuses);
    Protection { statuses, rates, intervals, counts, information_loss, notes, joined: Vec::new() }
}

/// What suppressing each cell as a complement costs: `1 + per_unit * value + per_total_dimension
/// * level`, times `per_level_up` for every step the cell stands above the inner cells of its
/// table (summed over its dimensions; the highest over the tables that show it), so England's
/// figures are the last resort, then the regions'.
fn complement_costs(problem: &Problem, rules: &RuleSet) -> Vec<f64> {
    let mut height = vec![0u32; problem.cells.len()];
    if rules.cost_per_level_up > 1.0 {
        for shape in &problem.shapes {
            let heights: Vec<Vec<u32>> = shape.hierarchies.iter().map(|x| (0..x.codes.len()).map(|c| x.height(c)).collect()).collect();
            for (coords, &id) in &shape.cell_at {
                let h: u32 = coords.iter().zip(&heights).map(|(&c, x)| x[c as usize]).sum();
                height[id] = height[id].max(h);
            }
        }
    }
    problem
        .cells
        .iter()
        .zip(&height)
        .map(|(c, &h)| {
            (1.0 + rules.cost_per_unit * c.value.abs() + rules.cost_per_total_dimension * c.aggregation_level as f64) * rules.cost_per_level_up.powi(h as i32)
        })
        .collect()
}
