//! Information loss of a protection, so that a regression shows in every run: how many cells
//! were suppressed at each level of a dimension's hierarchy (for geography: England, region,
//! LA) and what share of the value of all publishable cells the suppressed cells hold.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sdc::explain::CellStatus;
use crate::sdc::model::Problem;

/// What the suppressions cost the reader.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InformationLoss {
    /// Per dimension: suppressed publishable cells by the depth of their category in its
    /// hierarchy (0 for the total such as England, 1 for its children such as regions, 2 for
    /// theirs such as LAs, and so on).
    pub suppressed_by_level: BTreeMap<String, BTreeMap<u32, usize>>,
    /// Sum of the suppressed publishable cells' values.
    pub suppressed_value: f64,
    /// Sum of every publishable cell's value.
    pub total_value: f64,
}

impl InformationLoss {
    /// Measures the loss of `statuses` on `problem` (cells in several tables count once, at the
    /// highest level, the smallest depth, they take).
    pub fn measure(problem: &Problem, statuses: &[CellStatus]) -> Self {
        let mut level: BTreeMap<&str, Vec<Option<u32>>> = BTreeMap::new();
        for shape in &problem.shapes {
            for (d, (h, name)) in shape.hierarchies.iter().zip(&shape.dimension_names).enumerate() {
                let depths: Vec<u32> = (0..h.codes.len()).map(|c| h.ancestors_inclusive(c).len() as u32 - 1).collect();
                let per_cell = level.entry(name.as_str()).or_insert_with(|| vec![None; problem.cells.len()]);
                for (coords, &id) in &shape.cell_at {
                    let here = depths[coords[d] as usize];
                    per_cell[id] = Some(per_cell[id].map_or(here, |l| l.min(here)));
                }
            }
        }
        let mut loss = InformationLoss::default();
        for (id, cell) in problem.cells.iter().enumerate().filter(|(_, c)| c.publishable) {
            loss.total_value += cell.value.abs();
            if !statuses[id].is_suppressed() {
                continue;
            }
            loss.suppressed_value += cell.value.abs();
            for (name, per_cell) in &level {
                if let Some(l) = per_cell[id] {
                    *loss.suppressed_by_level.entry(name.to_string()).or_default().entry(l).or_default() += 1;
                }
            }
        }
        loss
    }

    /// Suppressed share of the total value, in per cent.
    pub fn percent_suppressed(&self) -> f64 {
        if self.total_value > 0.0 { 100.0 * self.suppressed_value / self.total_value } else { 0.0 }
    }

    /// One line for a summary: the share of value and the suppressed cells along `dimension`
    /// at each level, named by `names` from the top (deeper levels print as "level N").
    pub fn describe(&self, dimension: &str, names: &[&str]) -> String {
        let levels = self.suppressed_by_level.get(dimension).cloned().unwrap_or_default();
        let deepest = levels.keys().next_back().map_or(0, |&l| l as usize + 1).max(names.len());
        let by_level: Vec<String> = (0..deepest)
            .map(|l| {
                let n = levels.get(&(l as u32)).copied().unwrap_or(0);
                match names.get(l) {
                    Some(name) => format!("{name} {n}"),
                    None => format!("level {l} {n}"),
                }
            })
            .collect();
        format!(
            "information loss: {:.2}% of the value of all cells suppressed; suppressed cells by {dimension}: {}",
            self.percent_suppressed(),
            by_level.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::sdc::tests::{dim, inner, official};
    use crate::sdc::*;

    #[test]
    fn counts_suppressions_by_geography_level_and_their_share_of_value() {
        let geo = dim("geography", &[("R1", None), ("a", Some("R1")), ("b", Some("R1")), ("R2", None), ("c", Some("R2")), ("d", Some("R2"))]);
        let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![geo, dim("sex", &[("f", None), ("m", None)])] };
        let rows: Vec<(&[&str], f64)> = vec![
            (&["a", "f"], 2.0),
            (&["a", "m"], 40.0),
            (&["b", "f"], 30.0),
            (&["b", "m"], 50.0),
            (&["c", "f"], 60.0),
            (&["c", "m"], 70.0),
            (&["d", "f"], 80.0),
            (&["d", "m"], 90.0),
        ];
        let mut b = ProblemBuilder::new("t");
        b.add_table(&def, &aggregate(&def, &inner(&rows)).unwrap()).unwrap();
        let problem = b.build();
        let p = protect(&problem, &official(), &Ledger::new()).unwrap();
        let loss = &p.information_loss;
        let geo = &loss.suppressed_by_level["geography"];
        let suppressed = p.statuses.iter().filter(|s| s.is_suppressed()).count();
        assert_eq!(geo.values().sum::<usize>(), suppressed);
        assert!(geo[&2] >= 4, "the small LA cell and its complements: {geo:?}");
        assert_eq!(geo.get(&0), None, "England is not suppressed: {geo:?}");
        let total: f64 = problem.cells.iter().map(|c| c.value).sum();
        assert_eq!(loss.total_value, total);
        assert!(loss.percent_suppressed() > 0.0 && loss.percent_suppressed() < 50.0);
        let line = loss.describe("geography", &["England", "region", "LA"]);
        assert!(line.starts_with("information loss: ") && line.contains(", LA ") && line.contains("England 0, region"), "{line}");
    }
}
