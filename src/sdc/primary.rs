//! Primary suppression: which cells are sensitive by themselves under a rule file
//! (threshold range, zeros, minimum contributors, dominance (n, k), p%), and which rates
//! follow their parts.

use serde::Serialize;

use crate::sdc::model::{Cell, CellKind};
use crate::sdc::rules::RuleSet;

/// Why a cell is sensitive by itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PrimaryReason {
    /// A count inside a sensitive range.
    Threshold { low: i64, high: i64 },
    /// A zero count under `zeros = "suppress"`.
    Zero,
    /// A magnitude with fewer contributors than the minimum.
    FewContributors { contributors: usize, minimum: usize },
    /// The largest `n` contributors make more than `k`% of a magnitude.
    Dominance { n: usize, k: f64, share: f64 },
    /// The others' sum is below p% of the largest contributor (the second largest can estimate it).
    PPercent { p: f64 },
}

impl PrimaryReason {
    /// Short human description for the audit record.
    pub fn describe(&self) -> String {
        match self {
            PrimaryReason::Threshold { low, high } => format!("count in sensitive range {low}-{high}"),
            PrimaryReason::Zero => "zero count (zeros suppressed)".into(),
            PrimaryReason::FewContributors { contributors, minimum } => {
                format!("{contributors} contributors, fewer than {minimum}")
            }
            PrimaryReason::Dominance { n, k, share } => {
                format!("dominance ({n}, {k}%): top {n} contribute {share:.1}%")
            }
            PrimaryReason::PPercent { p } => format!("p% rule (p = {p})"),
        }
    }
}

/// The primary rule a cell breaks, if any.
pub fn primary_reason(cell: &Cell, rules: &RuleSet) -> Option<PrimaryReason> {
    match &cell.kind {
        CellKind::Count => {
            let count = cell.value.round() as i64;
            if count == 0 {
                return rules.zeros_sensitive.then_some(PrimaryReason::Zero);
            }
            rules
                .sensitive_range(count)
                .map(|(low, high)| PrimaryReason::Threshold { low, high })
        }
        CellKind::Magnitude { contributors } => magnitude_reason(cell.value, contributors, rules),
    }
}

fn magnitude_reason(total: f64, contributors: &[f64], rules: &RuleSet) -> Option<PrimaryReason> {
    let m = rules.magnitudes.as_ref()?;
    let mut sorted: Vec<f64> = contributors.iter().map(|v| v.abs()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let nonzero = sorted.iter().filter(|v| **v > 0.0).count();
    if nonzero == 0 {
        return None;
    }
    if nonzero < m.min_contributors {
        return Some(PrimaryReason::FewContributors { contributors: nonzero, minimum: m.min_contributors });
    }
    let sum: f64 = if total.abs() > 0.0 { total.abs() } else { sorted.iter().sum() };
    if let Some(d) = m.dominance {
        let top: f64 = sorted.iter().take(d.n).sum();
        let share = 100.0 * top / sum;
        if share > d.k {
            return Some(PrimaryReason::Dominance { n: d.n, k: d.k, share });
        }
    }
    if let Some(p) = m.p_percent {
        let largest = sorted[0];
        let second = sorted.get(1).copied().unwrap_or(0.0);
        let rest = sum - largest - second;
        if rest < p / 100.0 * largest {
            return Some(PrimaryReason::PPercent { p });
        }
    }
    None
}

/// True when the cell can be recovered by a single contributor knowing their own share: a count
/// of one, or a magnitude with one contributor.
pub fn is_singleton(cell: &Cell) -> bool {
    match &cell.kind {
        CellKind::Count => (cell.value - 1.0).abs() < 1e-9,
        CellKind::Magnitude { contributors } => contributors.iter().filter(|v| **v != 0.0).count() == 1,
    }
}

/// Interval width the attacker must be left with for a protected cell.
pub fn required_width(cell: &Cell, rules: &RuleSet) -> f64 {
    match (&cell.kind, &rules.magnitudes) {
        (CellKind::Magnitude { .. }, Some(m)) => (m.protection_percent / 100.0 * cell.value.abs()).max(1e-6),
        _ => rules.protection_level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::model::CellKey;
    use std::path::Path;

    fn rules(extra: &str) -> RuleSet {
        RuleSet::parse(&format!("name = \"t\"\n[counts]\nsensitive = [[1, 4]]\n{extra}"), Path::new("t.toml")).unwrap()
    }

    fn count(v: f64) -> Cell {
        Cell { key: CellKey::new("n", vec![]), value: v, kind: CellKind::Count, publishable: true, aggregation_level: 0, tables: vec![] }
    }

    fn magnitude(values: &[f64]) -> Cell {
        Cell {
            key: CellKey::new("days", vec![]),
            value: values.iter().sum(),
            kind: CellKind::Magnitude { contributors: values.to_vec() },
            publishable: true,
            aggregation_level: 0,
            tables: vec![],
        }
    }

    #[test]
    fn threshold_range_is_inclusive() {
        let r = rules("");
        assert!(primary_reason(&count(1.0), &r).is_some());
        assert!(primary_reason(&count(4.0), &r).is_some());
        assert!(primary_reason(&count(5.0), &r).is_none());
    }

    #[test]
    fn zeros_follow_the_zero_setting() {
        assert!(primary_reason(&count(0.0), &rules("")).is_none());
        let r = RuleSet::parse("name = \"t\"\n[counts]\nsensitive = [[1, 4]]\nzeros = \"suppress\"\n", Path::new("t")).unwrap();
        assert_eq!(primary_reason(&count(0.0), &r), Some(PrimaryReason::Zero));
    }

    #[test]
    fn dominance_and_p_percent_flag_magnitudes() {
        let r = rules("[magnitudes]\nmin_contributors = 3\ndominance = { n = 2, k = 85.0 }\np_percent = 10.0\n");
        assert!(matches!(primary_reason(&magnitude(&[1.0, 1.0]), &r), Some(PrimaryReason::FewContributors { .. })));
        assert!(matches!(primary_reason(&magnitude(&[80.0, 10.0, 5.0, 5.0]), &r), Some(PrimaryReason::Dominance { .. })));
        // top two = 60% (passes dominance) but rest 4 < 10% of 50: p% fails.
        let r2 = rules("[magnitudes]\nmin_contributors = 3\np_percent = 10.0\n");
        assert!(matches!(primary_reason(&magnitude(&[50.0, 46.0, 2.0, 2.0]), &r2), Some(PrimaryReason::PPercent { .. })));
        assert!(primary_reason(&magnitude(&[20.0, 20.0, 20.0, 20.0, 20.0]), &r).is_none());
    }

    #[test]
    fn singletons_are_counts_of_one_or_single_contributors() {
        assert!(is_singleton(&count(1.0)));
        assert!(!is_singleton(&count(2.0)));
        assert!(is_singleton(&magnitude(&[7.0, 0.0])));
    }
}
