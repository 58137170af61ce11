//! Earlier publications of the same count over a nested period. The release publishes a
//! year (April to March); February's packs publish April to February of the same cells. Every
//! reader of both knows March's own count: `year = April-to-February + March`. The count over
//! the days between two such periods (the *increment*) is a count of people like any other, so
//! a product protected after (or before) another one of a nested period must protect it.
//!
//! [`join`] adds, for every count of a problem, the ledger's published values of the same cell
//! (same measure, population and coordinates) over the nearest shorter and the nearest longer
//! period from the same first day, as internal cells (known: the engine reads their value from
//! the ledger), and the increment between the two as an internal cell with its true value, tied
//! by `longer = shorter + increment`. A sensitive increment is then protected like any other
//! internal cell, whichever product comes first. Pairs whose increment is negative (people
//! counted by the area or group of their latest episode can move between periods) are not
//! joined: the relation does not hold, so it gives a reader nothing exact.
//!
//! Not covered: cells an earlier product suppressed (the ledger keeps no true value of them),
//! and periods that start on different days (a quarter against a year to date).

use std::collections::HashMap;

use crate::sdc::error::SdcError;
use crate::sdc::key::{CellKey, Span};
use crate::sdc::ledger::Ledger;
use crate::sdc::model::{Cell, CellId, CellKind, Problem};

/// The table name the joined cells are recorded under.
pub const TABLE: &str = "earlier publications (nested periods)";

/// The key of the increment between `shorter` and `longer` (same measure and coordinates).
pub fn increment_key(key: &CellKey, shorter: &Span, longer: &Span) -> Option<CellKey> {
    let first = shorter.end.succ_opt()?;
    let measure = format!("{}@{}/{}-increment", key.measure, first.format("%Y-%m-%d"), longer.end.format("%Y-%m-%d"));
    Some(CellKey::with_period(&measure, None, key.coords.clone()))
}

/// `problem` with the nested-period cells of `ledger` joined (see the module docs), or `None`
/// when the ledger holds none.
pub fn join(problem: &Problem, ledger: &Ledger) -> Result<Option<Problem>, SdcError> {
    let mut published: HashMap<(String, Vec<(String, String)>), Vec<(Span, f64)>> = HashMap::new();
    for entry in ledger.entries().filter(|e| e.series == problem.series) {
        if let Some(span) = entry.key.period {
            published.entry((entry.key.measure, entry.key.coords)).or_default().push((span, entry.value));
        }
    }
    if published.is_empty() {
        return Ok(None);
    }
    let mut out = problem.clone();
    let mut joined = 0;
    for id in 0..problem.cells.len() {
        let cell = &problem.cells[id];
        let (CellKind::Count, Some(span)) = (&cell.kind, cell.key.period) else { continue };
        let Some(spans) = published.get(&(cell.key.measure.clone(), cell.key.coords.clone())) else { continue };
        let same_start = spans.iter().filter(|(s, _)| s.start == span.start && s.end != span.end);
        let shorter = same_start.clone().filter(|(s, _)| s.end < span.end).max_by_key(|(s, _)| s.end);
        let longer = same_start.filter(|(s, _)| s.end > span.end).min_by_key(|(s, _)| s.end);
        if let Some(&(s, v)) = shorter {
            joined += join_pair(&mut out, id, (s, v), false)?;
        }
        if let Some(&(s, v)) = longer {
            joined += join_pair(&mut out, id, (s, v), true)?;
        }
    }
    Ok((joined > 0).then_some(out))
}

/// Ties cell `id` of `p` to the ledger's value of the same cell over `earlier.0`; `longer` says
/// that the earlier period is the longer one. Returns 1 when joined.
fn join_pair(p: &mut Problem, id: CellId, earlier: (Span, f64), longer: bool) -> Result<usize, SdcError> {
    let cell = p.cells[id].clone();
    let span = cell.key.period.expect("joined cells have a period");
    let earlier_key = CellKey::with_period(&cell.key.measure, Some(earlier.0), cell.key.coords.clone());
    // The product shows the earlier cell itself: the engine has it already.
    if p.cell_id(&earlier_key).is_some() {
        return Ok(0);
    }
    let (short, long) = if longer { ((span, cell.value), earlier) } else { (earlier, (span, cell.value)) };
    let increment = long.1 - short.1;
    if increment < 0.0 {
        return Ok(0);
    }
    let Some(key) = increment_key(&cell.key, &short.0, &long.0) else { return Ok(0) };
    let internal = |key: CellKey, value: f64| Cell {
        key,
        value,
        kind: CellKind::Count,
        publishable: false,
        aggregation_level: cell.aggregation_level,
        tables: Vec::new(),
    };
    let earlier_id = p.add_cell(TABLE, internal(earlier_key, earlier.1))?;
    let increment_id = p.add_cell(TABLE, internal(key, increment))?;
    let (short_id, long_id) = if longer { (id, earlier_id) } else { (earlier_id, id) };
    p.add_relation(vec![(long_id, 1), (short_id, -1), (increment_id, -1)])?;
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::ledger::LedgerEntry;

    fn key(period: &str) -> CellKey {
        CellKey::new(&format!("adult:exits@{period}"), vec![("geography".into(), "E1".into())])
    }

    fn problem_with(period: &str, value: f64) -> Problem {
        let mut p = Problem::new("s");
        let cell = Cell { key: key(period), value, kind: CellKind::Count, publishable: true, aggregation_level: 0, tables: vec!["t".into()] };
        p.add_cell("t", cell).unwrap();
        p
    }

    fn ledger(entries: &[(&str, f64)]) -> Ledger {
        let mut l = Ledger::new();
        for (period, value) in entries {
            l.record(LedgerEntry { series: "s".into(), key: key(period), value: *value });
        }
        l
    }

    #[test]
    fn february_after_the_year_gets_marchs_own_count_as_an_internal_cell() {
        let p = problem_with("2024-04-01/2025-02-28", 40.0);
        // The year and an unrelated quarter were published earlier; only the year is nested.
        let joined = join(&p, &ledger(&[("2024-04-01/2025-03-31", 43.0), ("2024-07-01/2024-09-30", 9.0)])).unwrap().unwrap();
        assert_eq!(joined.cells.len(), 3);
        let march = joined.cell_id(&increment_key(&key("2024-04-01/2025-02-28"), &Span::parse("2024-04-01/2025-02-28").unwrap(), &Span::parse("2024-04-01/2025-03-31").unwrap()).unwrap());
        let march = march.expect("the increment is a cell");
        assert_eq!(joined.cells[march].value, 3.0);
        assert!(!joined.cells[march].publishable);
        assert_eq!(joined.cells[march].key.to_string(), "adult:exits@2025-03-01/2025-03-31-increment[geography=E1]");
        assert_eq!(joined.relations.len(), 1);
        assert_eq!(joined.relations[0].terms.len(), 3);
    }

    #[test]
    fn only_the_nearest_periods_are_joined_and_a_negative_increment_is_not() {
        let p = problem_with("2024-04-01/2025-02-28", 40.0);
        let l = ledger(&[("2024-04-01/2025-01-31", 35.0), ("2024-04-01/2024-12-31", 30.0), ("2024-04-01/2025-03-31", 38.0)]);
        let joined = join(&p, &l).unwrap().unwrap();
        // January (nearest shorter) joined; December not; the year is smaller: not joined.
        assert_eq!(joined.cells.len(), 3);
        assert!(joined.cell_id(&key("2024-04-01/2025-01-31")).is_some());
        assert!(joined.cell_id(&key("2024-04-01/2024-12-31")).is_none());
        assert!(join(&p, &ledger(&[("2024-04-01/2025-03-31", 38.0)])).unwrap().is_none());
    }

    /// Issue 17's state in small: the release published the year (April to March) of two LAs
    /// and England; February's packs come next. A's March count is 3: publishing A's February
    /// year to date (40) next to its year (43) would give it away, although 40 is no small
    /// count. February's packs must hide it, and what a reader of both can work out about the
    /// March counts keeps the protection level.
    #[test]
    fn february_after_the_release_hides_what_would_give_a_small_march_away() {
        use crate::sdc::tests::{dim, global_intervals, inner, official};
        use crate::sdc::{aggregate, protect, ProblemBuilder, TableDef};
        let feb = "exits@2024-04-01/2025-02-28";
        let def = TableDef { id: "t".into(), measure: feb.into(), dimensions: vec![dim("area", &[("a", None), ("b", None)])] };
        let rows = [(&["a"][..], 40.0), (&["b"][..], 50.0)];
        let mut reader = ProblemBuilder::new("s");
        let ids = reader.add_table(&def, &aggregate(&def, &inner(&rows)).unwrap()).unwrap();
        let problem = reader.problem().clone();
        let mut ledger = Ledger::new();
        let area_key = |period: &str, area: Option<&str>| {
            CellKey::new(&format!("exits@{period}"), area.map(|a| vec![("area".to_string(), a.to_string())]).unwrap_or_default())
        };
        // The reader's view: the year (published) = February (this product) + March (unknown, >= 0).
        for (area, year, feb_value) in [(Some("a"), 43.0, 40.0), (Some("b"), 60.0, 50.0), (None, 103.0, 90.0)] {
            let year_key = area_key("2024-04-01/2025-03-31", area);
            ledger.record(LedgerEntry { series: "s".into(), key: year_key.clone(), value: year });
            let y = reader.add_internal_cell("year", year_key, year, CellKind::Count).unwrap();
            let m = reader.add_internal_cell("march", area_key("march", area), year - feb_value, CellKind::Count).unwrap();
            let f = reader.problem().cell_id(&area_key("2024-04-01/2025-02-28", area)).unwrap();
            reader.add_relation(vec![(y, 1), (f, -1), (m, -1)]).unwrap();
        }
        let _ = ids;
        let p = protect(&problem, &official(), &ledger).unwrap();
        assert_eq!(p.statuses.len(), problem.cells.len(), "only the product's own cells have a status");
        let a = problem.cell_id(&area_key("2024-04-01/2025-02-28", Some("a"))).unwrap();
        assert!(p.statuses[a].is_suppressed(), "{:?}", p.statuses);
        let alone = protect(&problem, &official(), &Ledger::new()).unwrap();
        assert_eq!(alone.counts.primary + alone.counts.secondary, 0, "without the year nothing is sensitive");
        let reader = reader.build();
        let unknown: Vec<bool> = (0..reader.cells.len())
            .map(|i| if i < problem.cells.len() { p.statuses[i].public_value().is_none() } else { reader.cells[i].tables == ["march"] })
            .collect();
        let intervals = global_intervals(&reader, &unknown);
        let march_a = reader.cell_id(&area_key("march", Some("a"))).unwrap();
        assert!(intervals[march_a].unwrap().width() >= 5.0 - 1e-6, "{:?}", intervals[march_a]);
    }
}
