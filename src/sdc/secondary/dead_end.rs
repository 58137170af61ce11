//! The message of a dead end: a cell that must stay hidden, whose relations have no published
//! cell left to suppress. It names each relation with the status of every cell in it, and which
//! of them an earlier product of the ledger fixed, so the user can see what blocked the run.

use super::Attack;
use crate::sdc::complete::describe_with;
use crate::sdc::error::SdcError;
use crate::sdc::model::CellId;

/// At most this many relations are spelled out (a total can be in hundreds).
const SHOWN: usize = 4;

impl Attack<'_> {
    /// Why `cell` cannot be protected, relation by relation.
    pub(super) fn dead_end(&self, cell: CellId) -> SdcError {
        let status = |c: CellId| match (self.in_ledger[c], self.unknown[c]) {
            (true, _) => "published earlier",
            (false, true) if self.problem.cells[c].publishable => "suppressed",
            (false, true) => "not shown",
            (false, false) => "published now, a zero or not a complement",
        };
        let rels = &self.relations_of[cell];
        let mut lines: Vec<String> = rels
            .iter()
            .take(SHOWN)
            .map(|&r| describe_with(self.problem, &self.problem.relations[r as usize].terms, |c| format!("[{}]", status(c))))
            .collect();
        if rels.len() > SHOWN {
            lines.push(format!("and {} more relations", rels.len() - SHOWN));
        }
        let fixed_earlier =
            rels.iter().flat_map(|&r| self.problem.relations[r as usize].terms.iter()).any(|&(c, _)| self.in_ledger[c]);
        let advice = if fixed_earlier {
            "cells of its relations were fixed by earlier products of the publication ledger; publish \
             it into a new folder (a new ledger), and see the README on the orders of publication \
             that are known to work"
        } else {
            "every cell next to it is hidden already and the interval is still too narrow; loosen \
             the protection level or publish the table with fewer categories"
        };
        SdcError::Unprotectable {
            key: self.problem.cells[cell].key.to_string(),
            reason: format!("no published cell left to suppress as a complement; {advice}. Its relations: {}", lines.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sdc::tests::{dim, inner, official};
    use crate::sdc::*;

    /// A table whose total and one part were published by an earlier run: the other part, 3, is
    /// sensitive and has nothing left to hide next to it. The message names the relation, each
    /// cell's status, and that the ledger fixed them.
    #[test]
    fn a_dead_end_names_the_relation_and_what_earlier_products_fixed() {
        let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("area", &[("a", None), ("b", None)])] };
        let mut b = ProblemBuilder::new("s");
        b.add_table(&def, &aggregate(&def, &inner(&[(&["a"], 3.0), (&["b"], 12.0)])).unwrap()).unwrap();
        let problem = b.build();
        let mut ledger = Ledger::new();
        for (key, v) in [(CellKey::new("n", vec![]), 15.0), (CellKey::new("n", vec![("area".into(), "b".into())]), 12.0)] {
            ledger.record(LedgerEntry { series: problem.series.clone(), key, value: v });
        }
        let err = protect(&problem, &official(), &ledger).unwrap_err().to_string();
        assert!(err.contains("cannot protect cell n[area=a]"), "{err}");
        assert!(err.contains("[published earlier]") && err.contains("n[area=a] [suppressed]"), "{err}");
        assert!(err.contains("fixed by earlier products"), "{err}");
    }
}
