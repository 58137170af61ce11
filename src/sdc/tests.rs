//! Textbook cases of disclosure control, each checked by an independent global LP audit (one
//! linear programme over every unknown cell of the whole problem, no components), so a test
//! fails whenever protection breaks.

use std::path::Path;

use crate::sdc::audit::{lp_interval, Interval, LocalSystem};
use crate::sdc::*;

pub(crate) fn rules(text: &str) -> RuleSet {
    RuleSet::parse(text, Path::new("test-rules.toml")).unwrap()
}

pub(crate) fn official() -> RuleSet {
    rules("name = \"official\"\n[counts]\nsensitive = [[1, 4]]\n[rates]\nmin_denominator = 10\n[secondary]\nprotection_level = 5\n")
}

pub(crate) fn dim(name: &str, cats: &[(&str, Option<&str>)]) -> DimensionDef {
    DimensionDef {
        name: name.into(),
        total: "Total".into(),
        categories: cats.iter().map(|(c, p)| CategoryDef { code: c.to_string(), parent: p.map(str::to_string) }).collect(),
    }
}

pub(crate) fn inner(rows: &[(&[&str], f64)]) -> Vec<TableCell> {
    rows.iter()
        .map(|(coords, v)| TableCell { coords: coords.iter().map(|s| s.to_string()).collect(), value: *v, contributors: None })
        .collect()
}

/// Intervals of every unpublished cell, from one LP over the whole problem.
pub(crate) fn global_intervals(problem: &Problem, unknown: &[bool]) -> Vec<Option<Interval>> {
    let cells: Vec<CellId> = (0..problem.cells.len()).filter(|&c| unknown[c]).collect();
    let local = |c: CellId| cells.binary_search(&c).ok().map(|j| j as u32);
    let rows = problem
        .relations
        .iter()
        .map(|r| {
            let mut terms = Vec::new();
            let mut rhs = 0.0;
            for &(c, a) in &r.terms {
                match local(c) {
                    Some(j) => terms.push((j, a)),
                    None => rhs -= a as f64 * problem.cells[c].value,
                }
            }
            (terms, rhs)
        })
        .filter(|(t, _)| !t.is_empty())
        .collect();
    let values = cells.iter().map(|&c| problem.cells[c].value).collect();
    let sys = LocalSystem { cells: cells.clone(), values, rows };
    let mut out = vec![None; problem.cells.len()];
    for (j, &c) in cells.iter().enumerate() {
        out[c] = Some(lp_interval(&sys, j).unwrap());
    }
    out
}

/// Asserts the guarantees: no sensitive value public, every primary interval wide enough and
/// outside the sensitive range, no suppressed cell exactly derivable.
pub(crate) fn assert_protected(problem: &Problem, p: &Protection, rules: &RuleSet) {
    let unknown: Vec<bool> = p.statuses.iter().map(|s| s.public_value().is_none()).collect();
    let intervals = global_intervals(problem, &unknown);
    for (id, cell) in problem.cells.iter().enumerate() {
        let sensitive = primary::primary_reason(cell, rules).is_some();
        if sensitive {
            assert!(unknown[id], "sensitive cell {} is published", cell.key);
            let i = intervals[id].unwrap();
            assert!(i.width() >= primary::required_width(cell, rules) - 1e-6, "{} narrow: {i:?}", cell.key);
            if let Some((lo, hi)) = rules.sensitive_span() {
                assert!(!(i.low >= lo as f64 - 1e-6 && i.high <= hi as f64 + 1e-6), "{} shown sensitive: {i:?}", cell.key);
            }
        }
        if p.statuses[id].is_suppressed() {
            let i = intervals[id].unwrap();
            assert!(i.width() > 1e-6, "suppressed cell {} derivable exactly: {i:?}", cell.key);
        }
    }
    if rules.singleton {
        assert_singletons_learn_nothing(problem, p, rules, &unknown);
    }
}

/// A person alone in a suppressed inner cell knows its value; with that value known, no other
/// protected cell that cannot contain them may become exactly derivable.
pub(crate) fn assert_singletons_learn_nothing(problem: &Problem, p: &Protection, rules: &RuleSet, unknown: &[bool]) {
    let ancestry = overlap::Ancestry::of(problem);
    for (s, cell) in problem.cells.iter().enumerate() {
        if !(unknown[s] && primary::is_singleton(cell) && cell.aggregation_level == 0) {
            continue;
        }
        let mut known = unknown.to_vec();
        known[s] = false;
        let intervals = global_intervals(problem, &known);
        for (j, other) in problem.cells.iter().enumerate() {
            if known[j] && primary::primary_reason(other, rules).is_some() && ancestry.disjoint(problem, s, j) {
                let i = intervals[j].unwrap();
                assert!(i.width() > 1e-6, "singleton {} reveals {}: {i:?} ({:?})", cell.key, other.key, p.statuses[j]);
            }
        }
    }
}

fn status_of<'a>(problem: &Problem, p: &'a Protection, measure: &str, coords: &[(&str, &str)]) -> &'a CellStatus {
    let key = CellKey::new(measure, coords.iter().map(|(d, c)| (d.to_string(), c.to_string())).collect());
    &p.statuses[problem.cell_id(&key).unwrap()]
}

fn build(def: &TableDef, rows: &[(&[&str], f64)]) -> Problem {
    let cells = aggregate(def, &inner(rows)).unwrap();
    let mut b = ProblemBuilder::new("test");
    b.add_table(def, &cells).unwrap();
    b.build()
}

#[test]
fn one_small_cell_in_a_table_with_margins_gets_the_four_cell_pattern() {
    let def = TableDef {
        id: "t".into(),
        measure: "n".into(),
        dimensions: vec![dim("row", &[("a", None), ("b", None), ("c", None)]), dim("col", &[("x", None), ("y", None), ("z", None)])],
    };
    let problem = build(
        &def,
        &[(&["a", "x"], 2.0), (&["a", "y"], 20.0), (&["a", "z"], 40.0), (&["b", "x"], 30.0), (&["b", "y"], 9.0), (&["b", "z"], 50.0), (&["c", "x"], 60.0), (&["c", "y"], 70.0), (&["c", "z"], 80.0)],
    );
    let r = official();
    let p = protect(&problem, &r, &Ledger::new()).unwrap();
    assert_protected(&problem, &p, &r);
    assert_eq!((p.counts.primary, p.counts.secondary), (1, 3), "{:?}", p.statuses);
    // The cheapest rectangle: (a,y)=20, (b,x)=30, (b,y)=9; no margin suppressed.
    for (row, col) in [("a", "y"), ("b", "x"), ("b", "y")] {
        assert!(status_of(&problem, &p, "n", &[("row", row), ("col", col)]).is_suppressed(), "{row},{col}");
    }
    for (id, cell) in problem.cells.iter().enumerate() {
        if cell.aggregation_level > 0 {
            assert!(!p.statuses[id].is_suppressed(), "margin {} suppressed", cell.key);
        }
    }
}

#[test]
fn singleton_pair_in_one_row_needs_a_third_cell() {
    let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("k", &[("a", None), ("b", None), ("c", None), ("d", None)])] };
    let problem = build(&def, &[(&["a"], 1.0), (&["b"], 3.0), (&["c"], 50.0), (&["d"], 60.0)]);
    let base = "name = \"t\"\n[counts]\nsensitive = [[1, 4]]\n[secondary]\nprotection_level = 1\n";
    let without = rules(&format!("{base}singleton = false\n"));
    let with = rules(&format!("{base}singleton = true\n"));
    let p0 = protect(&problem, &without, &Ledger::new()).unwrap();
    assert_eq!(p0.counts.secondary, 0, "without the singleton rule the pair protects itself");
    let p1 = protect(&problem, &with, &Ledger::new()).unwrap();
    assert_eq!(p1.counts.secondary, 1);
    assert!(status_of(&problem, &p1, "n", &[("k", "c")]).is_suppressed(), "cheapest third cell is c");
    // The person in a = 1 can no longer recover b = 3: b + c = 53 is all they learn.
    assert_protected(&problem, &p1, &with);
}

#[test]
fn zeros_are_published_or_protected_as_the_rule_says() {
    let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("k", &[("a", None), ("b", None), ("c", None), ("d", None)])] };
    let problem = build(&def, &[(&["a"], 0.0), (&["b"], 0.0), (&["c"], 5.0), (&["d"], 9.0)]);
    let published = protect(&problem, &official(), &Ledger::new()).unwrap();
    assert_eq!(published.counts.primary + published.counts.secondary, 0);
    let r = rules("name = \"t\"\n[counts]\nsensitive = [[1, 4]]\nzeros = \"suppress\"\n");
    let p = protect(&problem, &r, &Ledger::new()).unwrap();
    assert_eq!(p.counts.primary, 2);
    // a + b = 0 would pin both zeros; the cheapest non-zero cell (c) joins them.
    assert!(status_of(&problem, &p, "n", &[("k", "c")]).is_suppressed());
    assert_protected(&problem, &p, &r);
}

#[test]
fn region_total_cannot_reveal_an_la() {
    let geo = dim("area", &[("R1", None), ("R2", None), ("L1", Some("R1")), ("L2", Some("R1")), ("L3", Some("R2")), ("L4", Some("R2"))]);
    let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![geo, dim("sex", &[("m", None), ("f", None)])] };
    let problem = build(
        &def,
        &[(&["L1", "m"], 3.0), (&["L1", "f"], 30.0), (&["L2", "m"], 25.0), (&["L2", "f"], 22.0), (&["L3", "m"], 40.0), (&["L3", "f"], 41.0), (&["L4", "m"], 42.0), (&["L4", "f"], 43.0)],
    );
    let r = official();
    let p = protect(&problem, &r, &Ledger::new()).unwrap();
    assert_protected(&problem, &p, &r);
    // R1 male = L1 male + L2 male: the LA's complement must come from its own region.
    assert!(status_of(&problem, &p, "n", &[("area", "L2"), ("sex", "m")]).is_suppressed());
    assert!(!status_of(&problem, &p, "n", &[("area", "R1"), ("sex", "m")]).is_suppressed());
    assert!(!status_of(&problem, &p, "n", &[("area", "R1")]).is_suppressed());
    assert_eq!(p.counts.primary + p.counts.secondary, 4);
}

fn linked_tables() -> (TableDef, TableDef, Vec<(&'static [&'static str], f64)>) {
    let leaves: Vec<(&str, f64)> = vec![("A", 2.0), ("B", 2.0), ("I", 8.0), ("J", 8.0), ("K", 3.0), ("L", 3.0), ("M", 3.0), ("N", 7.0)];
    let county = |a: &str| match a {
        "A" | "I" => "C1",
        "B" | "J" => "C2",
        "K" | "M" => "C3",
        _ => "C4",
    };
    let size = |a: &str| if ["I", "J", "N"].contains(&a) { "big" } else { "small" };
    let mut c1 = vec![("C1", None), ("C2", None), ("C3", None), ("C4", None)];
    let mut c2 = vec![("big", None), ("small", None)];
    for (a, _) in &leaves {
        c1.push((a, Some(county(a))));
        c2.push((a, Some(size(a))));
    }
    let t1 = TableDef { id: "t1".into(), measure: "n".into(), dimensions: vec![dim("area", &c1)] };
    let t2 = TableDef { id: "t2".into(), measure: "n".into(), dimensions: vec![dim("area", &c2)] };
    let rows: Vec<(&'static [&'static str], f64)> = vec![(&["A"], 2.0), (&["B"], 2.0), (&["I"], 8.0), (&["J"], 8.0), (&["K"], 3.0), (&["L"], 3.0), (&["M"], 3.0), (&["N"], 7.0)];
    (t1, t2, rows)
}

#[test]
fn linked_tables_safe_alone_do_not_leak_by_differencing() {
    let (t1, t2, rows) = linked_tables();
    let r = official();
    let alone = |def: &TableDef| {
        let problem = build(def, &rows);
        let p = protect(&problem, &r, &Ledger::new()).unwrap();
        assert_protected(&problem, &p, &r);
        (problem, p)
    };
    let (p1, s1) = alone(&t1);
    let (p2, s2) = alone(&t2);
    // Published separately, a leaf public in either table is public: the union leaks.
    let mut b = ProblemBuilder::new("test");
    b.add_table(&t1, &aggregate(&t1, &inner(&rows)).unwrap()).unwrap();
    b.add_table(&t2, &aggregate(&t2, &inner(&rows)).unwrap()).unwrap();
    let joint = b.build();
    let hidden_in = |problem: &Problem, p: &Protection, key: &CellKey| problem.cell_id(key).is_none_or(|id| p.statuses[id].is_suppressed());
    let unknown: Vec<bool> = joint.cells.iter().map(|c| hidden_in(&p1, &s1, &c.key) && hidden_in(&p2, &s2, &c.key)).collect();
    let leaked = global_intervals(&joint, &unknown);
    let narrow = joint.cells.iter().enumerate().any(|(id, c)| {
        primary::primary_reason(c, &r).is_some() && leaked[id].is_none_or(|i| i.width() < r.protection_level - 1e-6)
    });
    assert!(narrow, "separate protection should leak across the two tables");
    // Protected together: one status per shared cell, and nothing leaks.
    let p = protect(&joint, &r, &Ledger::new()).unwrap();
    assert_protected(&joint, &p, &r);
    let leaf = joint.cell_id(&CellKey::new("n", vec![("area".into(), "I".into())])).unwrap();
    assert_eq!(joint.cells[leaf].tables, vec!["t1".to_string(), "t2".to_string()]);
    assert!(p.counts.secondary > s2.counts.secondary, "the joint run suppresses more than table 2 alone");
}

#[test]
fn rate_follows_its_numerator_and_denominator() {
    let k = dim("k", &[("a", None), ("b", None), ("c", None), ("d", None)]);
    let num = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![k.clone()] };
    let den = TableDef { id: "d".into(), measure: "pop".into(), dimensions: vec![k] };
    let mut b = ProblemBuilder::new("test");
    b.add_table(&num, &aggregate(&num, &inner(&[(&["a"], 2.0), (&["b"], 30.0), (&["c"], 50.0), (&["d"], 20.0)])).unwrap()).unwrap();
    b.add_table(&den, &aggregate(&den, &inner(&[(&["a"], 100.0), (&["b"], 8.0), (&["c"], 500.0), (&["d"], 400.0)])).unwrap()).unwrap();
    let id = |b: &ProblemBuilder, m: &str, k: &str| b.problem().cell_id(&CellKey::new(m, vec![("k".into(), k.into())])).unwrap();
    for k in ["a", "b", "c"] {
        let (n, d) = (id(&b, "n", k), id(&b, "pop", k));
        b.add_rate("t", CellKey::new("n_rate", vec![("k".into(), k.into())]), n, d).unwrap();
    }
    let problem = b.build();
    let p = protect(&problem, &official(), &Ledger::new()).unwrap();
    assert!(status_of(&problem, &p, "n", &[("k", "a")]).is_suppressed());
    assert_eq!(p.rates[0], RateStatus::Suppressed { reason: RateReason::NumeratorSuppressed });
    assert_eq!(p.rates[1], RateStatus::Suppressed { reason: RateReason::DenominatorBelowMinimum });
    assert_eq!(p.rates[2], RateStatus::Published { value: 0.1 });
}

#[test]
fn ledger_stops_a_month_on_month_difference() {
    // Year to date in April = year to date in March (published last month) + April (internal).
    let def = TableDef { id: "ytd_apr".into(), measure: "ytd".into(), dimensions: vec![dim("area", &[("a", None), ("b", None), ("c", None)])] };
    let ytd_apr = [(["a"], 42.0), (["b"], 35.0), (["c"], 50.0)];
    let ytd_mar = [40.0, 20.0, 31.0];
    let build = |with_ledger: bool| {
        let mut b = ProblemBuilder::new("pack");
        let rows: Vec<(&[&str], f64)> = ytd_apr.iter().map(|(k, v)| (&k[..], *v)).collect();
        let ids = b.add_table(&def, &aggregate(&def, &inner(&rows)).unwrap()).unwrap();
        let mut ledger = Ledger::new();
        for (i, area) in ["a", "b", "c"].iter().enumerate() {
            let key = |m: &str| CellKey::new(m, vec![("area".into(), area.to_string())]);
            let mar = b.add_internal_cell("ytd_mar", key("ytd_mar"), ytd_mar[i], CellKind::Count).unwrap();
            let month = b.add_internal_cell("month", key("month"), ytd_apr[i].1 - ytd_mar[i], CellKind::Count).unwrap();
            let apr = b.problem().cell_id(&key("ytd")).unwrap();
            b.add_relation(vec![(apr, 1), (mar, -1), (month, -1)]).unwrap();
            if with_ledger {
                ledger.record(LedgerEntry { series: "pack".into(), key: key("ytd_mar"), value: ytd_mar[i] });
            }
        }
        let _ = ids;
        (b.build(), ledger)
    };
    let r = official();
    let (problem, empty) = build(false);
    let free = protect(&problem, &r, &empty).unwrap();
    assert_eq!(free.counts.primary + free.counts.secondary, 0, "March unknown: April alone reveals nothing");
    let (problem, ledger) = build(true);
    let p = protect(&problem, &r, &ledger).unwrap();
    // April in area a is 2: publishing ytd a (42) next to March's 40 would reveal it.
    assert!(status_of(&problem, &p, "ytd", &[("area", "a")]).is_suppressed());
    let unknown: Vec<bool> =
        problem.cells.iter().enumerate().map(|(i, c)| p.statuses[i].public_value().is_none() && ledger.get("pack", &c.key).is_none()).collect();
    let mut known = problem.clone();
    for (i, c) in known.cells.iter_mut().enumerate() {
        if let Some(v) = ledger.get("pack", &problem.cells[i].key) {
            c.value = v;
        }
    }
    let intervals = global_intervals(&known, &unknown);
    let month_a = problem.cell_id(&CellKey::new("month", vec![("area".into(), "a".into())])).unwrap();
    assert!(intervals[month_a].unwrap().width() >= 5.0 - 1e-6, "{:?}", intervals[month_a]);
}

#[test]
fn a_cell_earlier_publications_fix_is_published_and_never_a_complement() {
    // T = x + y + z; x = 3 needs a complement and y (6) is the cheapest. But y is the sum of two
    // months an earlier product published (y = y1 + y2): every reader knows it, so hiding it
    // would protect nothing. It is published and z carries the protection instead.
    let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("k", &[("x", None), ("y", None), ("z", None)])] };
    let mut b = ProblemBuilder::new("s");
    b.add_table(&def, &aggregate(&def, &inner(&[(&["x"], 3.0), (&["y"], 6.0), (&["z"], 60.0)])).unwrap()).unwrap();
    let y = b.problem().cell_id(&CellKey::new("n", vec![("k".into(), "y".into())])).unwrap();
    let mut ledger = Ledger::new();
    let mut terms = vec![(y, 1)];
    for (month, v) in [("y1", 2.0), ("y2", 4.0)] {
        let key = CellKey::new(month, vec![]);
        terms.push((b.add_internal_cell("months", key.clone(), v, CellKind::Count).unwrap(), -1));
        ledger.record(LedgerEntry { series: "s".into(), key, value: v });
    }
    b.add_relation(terms).unwrap();
    let problem = b.build();
    let p = protect(&problem, &official(), &ledger).unwrap();
    assert!(status_of(&problem, &p, "n", &[("k", "x")]).is_suppressed());
    assert!(!status_of(&problem, &p, "n", &[("k", "y")]).is_suppressed(), "y is known from the ledger: {:?}", p.statuses);
    assert!(status_of(&problem, &p, "n", &[("k", "z")]).is_suppressed());
    // What a reader of both products can work out: x keeps the protection level.
    let unknown: Vec<bool> =
        problem.cells.iter().enumerate().map(|(i, c)| p.statuses[i].public_value().is_none() && ledger.get("s", &c.key).is_none()).collect();
    let x = problem.cell_id(&CellKey::new("n", vec![("k".into(), "x".into())])).unwrap();
    assert!(global_intervals(&problem, &unknown)[x].unwrap().width() >= 5.0 - 1e-6);
}

#[test]
fn rounding_mode_rounds_every_cell_and_says_totals_are_independent() {
    let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("k", &[("a", None), ("b", None), ("c", None)])] };
    let problem = build(&def, &[(&["a"], 3.0), (&["b"], 3.0), (&["c"], 3.0)]);
    let r = rules("name = \"r\"\nmode = \"round\"\n[counts]\nsensitive = []\n[rounding]\nbase = 5\n");
    let p = protect(&problem, &r, &Ledger::new()).unwrap();
    assert_eq!(status_of(&problem, &p, "n", &[("k", "a")]), &CellStatus::Rounded { value: 5.0 });
    assert_eq!(status_of(&problem, &p, "n", &[]), &CellStatus::Rounded { value: 10.0 });
    assert!(p.notes.iter().any(|n| n.contains("independently")));
}

#[test]
fn audit_record_explains_every_suppression() {
    let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("row", &[("a", None), ("b", None)]), dim("col", &[("x", None), ("y", None)])] };
    let problem = build(&def, &[(&["a", "x"], 2.0), (&["a", "y"], 20.0), (&["b", "x"], 30.0), (&["b", "y"], 40.0)]);
    let p = protect(&problem, &official(), &Ledger::new()).unwrap();
    let entries = p.audit_entries(&problem);
    assert_eq!(entries.len(), 4);
    let primary = CellKey::new("n", vec![("col".into(), "x".into()), ("row".into(), "a".into())]);
    for e in &entries {
        assert!(e.interval.is_some());
        if e.suppression == "secondary" {
            assert!(!e.protects.is_empty() && e.why.contains("complement"));
        } else {
            assert_eq!(e.key, primary);
            assert!(e.why.contains("sensitive range"));
        }
    }
}

#[test]
fn singleton_pair_under_a_single_child_area_needs_a_third_cell() {
    // One LA in its region: LA, region and England rows are equal. The pair c0 (4) / c2 (1)
    // would protect each other but for the person alone in c2, who would recover c0 = 4.
    let def = TableDef {
        id: "t".into(),
        measure: "n".into(),
        dimensions: vec![dim("area", &[("R0", None), ("R0L0", Some("R0"))]), dim("d0", &[("c0", None), ("c1", None), ("c2", None)])],
    };
    let problem = build(&def, &[(&["R0L0", "c0"], 4.0), (&["R0L0", "c1"], 16.0), (&["R0L0", "c2"], 1.0)]);
    let r = official();
    let p = protect(&problem, &r, &Ledger::new()).unwrap();
    assert_protected(&problem, &p, &r);
    assert!(status_of(&problem, &p, "n", &[("area", "R0L0"), ("d0", "c1")]).is_suppressed() || status_of(&problem, &p, "n", &[("area", "R0L0")]).is_suppressed());
}

#[test]
fn a_complement_that_earlier_publications_pin_is_published_again_not_a_dead_end() {
    // Z = 3 needs protection in T = X + Y + Z. Earlier products published P = X + Y (11) and X
    // and Y over a shorter period (5 and 6): with P = 5 + 6 the increments are zero, so X and Y
    // are pinned whatever is hidden; they protect nothing. They are published (hidden as a
    // complement, such a cell is published again rather than protected by hiding more) and Z is
    // protected with T.
    let def = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("k", &[("x", None), ("y", None), ("z", None)])] };
    let mut b = ProblemBuilder::new("s");
    b.add_table(&def, &aggregate(&def, &inner(&[(&["x"], 5.0), (&["y"], 6.0), (&["z"], 3.0)])).unwrap()).unwrap();
    let mut ledger = Ledger::new();
    let mut earlier = |b: &mut ProblemBuilder, name: &str, value: f64| {
        let key = CellKey::new(name, vec![]);
        ledger.record(LedgerEntry { series: "s".into(), key: key.clone(), value });
        b.add_internal_cell("earlier", key, value, CellKind::Count).unwrap()
    };
    let (p, xf, yf) = (earlier(&mut b, "p", 11.0), earlier(&mut b, "xf", 5.0), earlier(&mut b, "yf", 6.0));
    let cell = |b: &ProblemBuilder, k: &str| b.problem().cell_id(&CellKey::new("n", vec![("k".into(), k.into())])).unwrap();
    let (x, y) = (cell(&b, "x"), cell(&b, "y"));
    let ix = b.add_internal_cell("increments", CellKey::new("ix", vec![]), 0.0, CellKind::Count).unwrap();
    let iy = b.add_internal_cell("increments", CellKey::new("iy", vec![]), 0.0, CellKind::Count).unwrap();
    b.add_relation(vec![(p, 1), (x, -1), (y, -1)]).unwrap();
    b.add_relation(vec![(x, 1), (xf, -1), (ix, -1)]).unwrap();
    b.add_relation(vec![(y, 1), (yf, -1), (iy, -1)]).unwrap();
    let problem = b.build();
    let out = protect(&problem, &official(), &ledger).unwrap();
    assert!(status_of(&problem, &out, "n", &[("k", "z")]).is_suppressed());
    for k in ["x", "y"] {
        assert!(!status_of(&problem, &out, "n", &[("k", k)]).is_suppressed(), "{k} is pinned: {:?}", out.statuses);
    }
    let unknown: Vec<bool> =
        problem.cells.iter().enumerate().map(|(i, c)| out.statuses[i].public_value().is_none() && ledger.get("s", &c.key).is_none()).collect();
    let z = cell_id_of(&problem, "z");
    assert!(global_intervals(&problem, &unknown)[z].unwrap().width() >= 5.0 - 1e-6);
}

fn cell_id_of(problem: &Problem, k: &str) -> CellId {
    problem.cell_id(&CellKey::new("n", vec![("k".into(), k.into())])).unwrap()
}

