//! Cells that earlier publications already fix: a cell of this run that one relation ties to
//! cells the ledger holds as published (directly, or through cells fixed in turn) has a value
//! every reader can work out before this run writes anything. February's England year to date
//! of new presentations is the sum of eleven months the release published, for example.
//!
//! Hiding such a cell protects nothing, and choosing it as a complement leads to dead ends (it
//! is pinned the moment it is hidden). So the engine treats the cells found here like cells of
//! the ledger: known, published, never complements. A cell that a primary rule protects is
//! reported but never published by this step: if the earlier products fix a sensitive count,
//! the run must stop and say so ([`crate::sdc::secondary`]'s dead-end message).
//!
//! Two rules, applied until nothing changes: a relation with one cell left unknown fixes that
//! cell; and a relation whose unknown cells all stand on one side, with the known cells adding
//! to zero (a published zero total, or a total equal to its published parts), fixes every one
//! of them at zero, since counts are never negative. The second stops the cascade in which a
//! hidden zero under a zero an earlier product published is pinned at once and asks for yet
//! more zeros to be hidden (issue 17). This is propagation, not full elimination: cells fixed
//! only by a combination of relations are still found by the secondary step's exact checks.

use crate::sdc::model::{CellId, CellKind, Problem};

/// Every cell not in `known` that the relations fix from the `known` cells, in the order found.
pub fn fixed_by(problem: &Problem, known: &[bool]) -> Vec<CellId> {
    let mut known = known.to_vec();
    let mut open: Vec<usize> = problem.relations.iter().map(|r| r.terms.iter().filter(|t| !known[t.0]).count()).collect();
    let relations_of = problem.relations_of_cells();
    let mut queue: Vec<usize> = (0..problem.relations.len()).filter(|&r| open[r] >= 1).collect();
    let mut found = Vec::new();
    while let Some(r) = queue.pop() {
        if open[r] == 0 {
            continue;
        }
        let fixed: Vec<CellId> = if open[r] == 1 {
            problem.relations[r].terms.iter().filter(|t| !known[t.0]).map(|t| t.0).collect()
        } else if pins_at_zero(problem, r, &known) {
            problem.relations[r].terms.iter().filter(|t| !known[t.0]).map(|t| t.0).collect()
        } else {
            continue;
        };
        for cell in fixed {
            known[cell] = true;
            found.push(cell);
            for &other in &relations_of[cell] {
                let other = other as usize;
                open[other] -= 1;
                if open[other] >= 1 {
                    queue.push(other);
                }
            }
        }
    }
    found
}

/// True when the unknown cells of relation `r` all have coefficients of one sign and the known
/// cells cancel out: non-negative counts summing to zero are all zero.
fn pins_at_zero(problem: &Problem, r: usize, known: &[bool]) -> bool {
    let terms = &problem.relations[r].terms;
    let mut sign = 0;
    let mut rest = 0.0;
    for &(c, a) in terms {
        if known[c] {
            rest += a as f64 * problem.cells[c].value;
        } else if sign == 0 {
            sign = a.signum();
        } else if a.signum() != sign {
            return false;
        }
    }
    sign != 0 && rest.abs() < 1e-9 && terms.iter().all(|&(c, _)| known[c] || matches!(problem.cells[c].kind, CellKind::Count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::model::{Cell, CellKey};

    fn problem(values: &[f64], relations: &[Vec<(usize, i64)>]) -> Problem {
        let mut p = Problem::new("s");
        for (i, &v) in values.iter().enumerate() {
            let key = CellKey::new(&format!("m{i}"), vec![]);
            let cell = Cell { key, value: v, kind: CellKind::Count, publishable: true, aggregation_level: 0, tables: vec!["t".into()] };
            p.add_cell("t", cell).unwrap();
        }
        for terms in relations {
            p.add_relation(terms.clone()).unwrap();
        }
        p
    }

    #[test]
    fn a_total_of_published_months_is_fixed_and_so_is_what_it_fixes_in_turn() {
        // 0 = 1 + 2 (1 and 2 published earlier); 3 = 0 + 4 (4 published earlier); 5 = 3 + 6.
        let p = problem(&[30.0, 10.0, 20.0, 35.0, 5.0, 40.0, 5.0], &[
            vec![(0, 1), (1, -1), (2, -1)],
            vec![(3, 1), (0, -1), (4, -1)],
            vec![(5, 1), (3, -1), (6, -1)],
        ]);
        let known = [false, true, true, false, true, false, false];
        assert_eq!(fixed_by(&p, &known), vec![0, 3]);
    }

    #[test]
    fn a_published_zero_total_pins_its_hidden_parts_at_zero() {
        // 0 = 1 + 2 with the total 0 published earlier: both parts are 0 for every reader. And
        // 3 = 4 + 5 with 3 = 4 = 7 published: 5 is 0. But 6 = 7 - 8 (signs differ) fixes nothing.
        let p = problem(&[0.0, 0.0, 0.0, 7.0, 7.0, 0.0, 2.0, 2.0, 0.0], &[
            vec![(0, 1), (1, -1), (2, -1)],
            vec![(3, 1), (4, -1), (5, -1)],
            vec![(6, 1), (7, -1), (8, 1)],
        ]);
        let known = [true, false, false, true, true, false, true, false, false];
        let mut fixed = fixed_by(&p, &known);
        fixed.sort_unstable();
        assert_eq!(fixed, vec![1, 2, 5]);
    }

    #[test]
    fn two_unknowns_in_every_relation_fix_nothing() {
        let p = problem(&[30.0, 10.0, 20.0], &[vec![(0, 1), (1, -1), (2, -1)]]);
        assert!(fixed_by(&p, &[false, true, false]).is_empty());
        assert!(fixed_by(&p, &[false, false, false]).is_empty());
    }
}
