//! The protection model checked against the data before anything is protected.
//!
//! A product declares relations by its table structure (totals, hierarchies, links). Two kinds
//! of mistake in that model would let an attacker recover what the engine thinks is hidden:
//!
//! - a *declared* relation the data contradict (a dimension declared to add up that does not):
//!   the model is wrong, so the run stops with the cells and values that disagree;
//! - a relation the attacker knows from the definitions but the product did not declare: the
//!   months of a flow measure (new presentations, exits, completions) add up to the year, a
//!   year to date is the previous month's plus the month. Cells that differ only in the days
//!   they cover are edges between their first day and the day after their last; every cycle of
//!   that graph is a candidate relation, and each one the true values satisfy joins the model
//!   (people counts over months do not add up, so theirs fail the check and stay out).
//!
//! Adding a relation that holds never makes protection unsafe: the attacker may or may not know
//! it, and the engine then protects against both.

use std::collections::BTreeMap;

use crate::sdc::error::SdcError;
use crate::sdc::model::{CellId, Problem, Relation};
use crate::sdc::relations::cycle_basis;

/// Tolerance of the data checks (values are counts or sums of them).
const TOLERANCE: f64 = 1e-6;

/// What the completion found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Completion {
    /// Relations over time that hold on the data and were added.
    pub over_time: usize,
    /// Candidate relations over time the data do not satisfy (not relations).
    pub over_time_rejected: usize,
}

/// True when the relation holds on the cells' true values.
fn holds(problem: &Problem, terms: &[(CellId, i64)]) -> bool {
    let sum: f64 = terms.iter().map(|&(c, a)| a as f64 * problem.cells[c].value).sum();
    let scale: f64 = terms.iter().map(|&(c, _)| problem.cells[c].value.abs()).sum::<f64>().max(1.0);
    sum.abs() <= TOLERANCE * scale
}

/// `total (v) = part (v) + ...`, for messages.
pub(crate) fn describe(problem: &Problem, terms: &[(CellId, i64)]) -> String {
    describe_with(problem, terms, |c| format!("({})", problem.cells[c].value))
}

/// `total NOTE = part NOTE + ...`, each cell's key followed by `note(cell)`, for messages.
pub(crate) fn describe_with(problem: &Problem, terms: &[(CellId, i64)], note: impl Fn(CellId) -> String) -> String {
    let side = |sign: i64| {
        terms
            .iter()
            .filter(|t| t.1.signum() == sign)
            .map(|&(c, a)| {
                let times = if a.abs() == 1 { String::new() } else { format!("{} x ", a.abs()) };
                format!("{times}{} {}", problem.cells[c].key, note(c))
            })
            .collect::<Vec<_>>()
            .join(" + ")
    };
    format!("{} = {}", side(1), side(-1))
}

/// Checks every declared relation of `problem` against the true values.
pub fn check_declared(problem: &Problem) -> Result<(), SdcError> {
    for relation in &problem.relations {
        if !holds(problem, &relation.terms) {
            let first = relation.terms.first().map(|&(c, _)| c).unwrap_or(0);
            let table = problem.cells.get(first).and_then(|c| c.tables.first().cloned()).unwrap_or_else(|| problem.series.clone());
            return Err(SdcError::ModelContradicted {
                table,
                dimension: "a relation is".into(),
                relation: format!("{} does not hold (the true values differ)", describe(problem, &relation.terms)),
            });
        }
    }
    Ok(())
}

/// The problem with every relation over time that holds on the data added.
pub fn complete(problem: &Problem) -> Result<(Problem, Completion), SdcError> {
    check_declared(problem)?;
    let mut groups: BTreeMap<(&str, &[(String, String)]), Vec<(crate::sdc::key::Span, CellId)>> = BTreeMap::new();
    for (id, cell) in problem.cells.iter().enumerate() {
        if let Some(span) = cell.key.period {
            groups.entry((cell.key.measure.as_str(), cell.key.coords.as_slice())).or_default().push((span, id));
        }
    }
    let mut out = problem.clone();
    let mut done = Completion::default();
    let mut seen: std::collections::HashSet<Relation> = problem.relations.iter().cloned().collect();
    for spans in groups.values().filter(|s| s.len() > 1) {
        for cycle in cycle_basis(spans) {
            if !holds(problem, &cycle) {
                done.over_time_rejected += 1;
                continue;
            }
            let relation = Relation::normalised(cycle);
            if relation.terms.len() >= 2 && seen.insert(relation.clone()) {
                out.relations.push(relation);
                done.over_time += 1;
            }
        }
    }
    Ok((out, done))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::model::{Cell, CellKey, CellKind};

    fn cell(measure: &str, value: f64) -> Cell {
        Cell { key: CellKey::new(measure, vec![("geography".into(), "E12000002".into())]), value, kind: CellKind::Count, publishable: true, aggregation_level: 0, tables: vec![] }
    }

    fn months_and_year(measure: &str, months: [f64; 3], year: f64) -> Problem {
        let mut p = Problem::new("t");
        for (m, v) in ["2024-04-01/2024-04-30", "2024-05-01/2024-05-31", "2024-06-01/2024-06-30"].iter().zip(months) {
            p.add_cell("t14", cell(&format!("{measure}@{m}"), v)).unwrap();
        }
        p.add_cell("t14", cell(&format!("{measure}@2024-04-01/2024-06-30"), year)).unwrap();
        p
    }

    #[test]
    fn months_of_a_flow_measure_add_up_to_the_quarter() {
        let (p, done) = complete(&months_and_year("adult:new_presentations", [4.0, 10.0, 12.0], 26.0)).unwrap();
        assert_eq!(done.over_time, 1);
        let r = &p.relations[0];
        let mut ids: Vec<CellId> = r.terms.iter().map(|t| t.0).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![0, 1, 2, 3]);
    }

    #[test]
    fn people_in_treatment_over_months_do_not_add_up() {
        let (p, done) = complete(&months_and_year("adult:in_treatment", [40.0, 41.0, 42.0], 50.0)).unwrap();
        assert_eq!((done.over_time, done.over_time_rejected, p.relations.len()), (0, 1, 0));
    }

    #[test]
    fn a_declared_total_the_data_contradict_stops_the_run() {
        let mut p = months_and_year("adult:in_treatment", [40.0, 41.0, 42.0], 50.0);
        p.add_relation(vec![(3, 1), (0, -1), (1, -1), (2, -1)]).unwrap();
        let err = complete(&p).unwrap_err().to_string();
        assert!(err.contains("adult:in_treatment@2024-04-01/2024-06-30") && err.contains("(50)") && err.contains("(40)"), "{err}");
    }
}
