//! Fuzzing the extract reader and validator with proptest, for a bounded
//! number of cases so it runs in `cargo test`: random bytes, the header
//! followed by random bytes, and random edits of a valid extract (bytes
//! replaced, inserted or deleted; quotes, separators, line ends, invalid
//! UTF-8 and the header row spliced in). No input may panic, and every
//! rejected file must leave the warehouse's records exactly as they were.

use std::cell::RefCell;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::fixtures::{file, header, row, AGENCIES};
use super::*;
use crate::ingest::timings::Timings;
use crate::warehouse::load::Outcome;
use crate::warehouse::Warehouse;

const NAME: &str = "N0001_2025-03.csv";

fn valid_extract() -> Vec<u8> {
    file(&[
        row(&[]),
        row(&[("MODID", "M2"), ("TOPID", "T2"), ("TRSTAGE", "R")]),
        row(&[("CLIENTID", "C2"), ("EPISODID", "E2"), ("DISD", "20/02/2025"), ("DISRSN", "80")]),
        format!("N0001,C3,N{}", ",".repeat(36)),
    ])
}

/// Pieces an edit may splice in.
fn tokens() -> Vec<Vec<u8>> {
    let mut t: Vec<Vec<u8>> = [",", "\"", "\"\"", "\n", "\r\n", "\r", " ", "\u{feff}", "N", "Y", "31/02/2025", "99", "-1", "=SUM(1)", "N0002"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    t.push(vec![0xff, 0xfe]);
    t.push(format!("\n{}\n", header()).into_bytes());
    t.push("x".repeat(scan::MAX_FIELD_BYTES + 1).into_bytes());
    t
}

/// Applies (position, kind, byte) edits to `base`.
fn edit(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let tokens = tokens();
    for &(at, kind, b) in edits {
        let at = if bytes.is_empty() { 0 } else { at % (bytes.len() + 1) };
        match kind % 4 {
            0 if at < bytes.len() => bytes[at] = b,
            1 => bytes.insert(at, b),
            2 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => {
                let t = &tokens[b as usize % tokens.len()];
                bytes.splice(at..at, t.iter().copied());
            }
        }
    }
    bytes
}

/// Random bytes, the header and random bytes, or a valid extract with random edits.
fn extracts() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        prop::collection::vec(any::<u8>(), 0..400).prop_map(|tail| {
            let mut b = format!("{}\n", header()).into_bytes();
            b.extend(tail);
            b
        }),
        prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12).prop_map(|e| edit(valid_extract(), &e)),
    ]
}

struct Env {
    schema: Schema,
    geography: Geography,
    agencies: Agencies,
    key: AttributorKey,
}

impl Env {
    fn new() -> Env {
        Env {
            schema: Schema::builtin(),
            geography: Geography::embedded(),
            agencies: Agencies::parse(AGENCIES, Path::new("agencies.csv")).unwrap(),
            key: AttributorKey::from_text("property test key, not secret", "test").unwrap(),
        }
    }
    fn ctx(&self) -> IngestContext<'_> {
        IngestContext { schema: &self.schema, geography: &self.geography, agencies: &self.agencies, key: &self.key, latest_month: (2026, 12) }
    }
}

fn cases(n: u32) -> Config {
    Config { cases: n, failure_persistence: None, ..Config::default() }
}

#[test]
fn no_input_makes_the_reader_or_validator_panic() {
    let env = Env::new();
    let ctx = env.ctx();
    TestRunner::new(cases(160))
        .run(&extracts(), |bytes| {
            if let Ok(v) = validate_file(&ctx, Path::new(NAME), bytes) {
                prop_assert!(v.rows_loaded <= v.rows_total && v.rows_clean <= v.rows_loaded);
            }
            Ok(())
        })
        .unwrap();
}

/// The records of the warehouse as sorted text.
fn records(wh: &Warehouse) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["client", "episode", "intervention", "top_record"] {
        let mut stmt = wh.conn().prepare(&format!("SELECT * FROM {table} ORDER BY ALL")).unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let n = r.as_ref().column_count();
            out.push(format!("{table}:{:?}", (0..n).map(|i| r.get::<_, duckdb::types::Value>(i).unwrap()).collect::<Vec<_>>()));
        }
    }
    out
}

#[test]
fn a_rejected_file_leaves_the_warehouse_unchanged() {
    let env = Env::new();
    let ctx = env.ctx();
    let dir = tempfile::tempdir().unwrap();
    let mut wh = Warehouse::open_with(&dir.path().join("fuzz.duckdb"), &crate::warehouse::WarehouseKey::Unencrypted).unwrap();
    wh.record_agencies(&env.agencies).unwrap();
    let mut state = wh.begin_load().unwrap();
    let timings = Timings::new();
    let base = validate_file(&ctx, Path::new(NAME), valid_extract()).unwrap();
    assert_eq!(wh.apply_submission(&mut state, NAME, "base", &base, &timings).unwrap().outcome, Outcome::Loaded);
    let wh = RefCell::new(wh);
    let state = RefCell::new(state);
    let rejected = RefCell::new(0);
    TestRunner::new(cases(40))
        .run(&extracts(), |bytes| {
            let mut wh = wh.borrow_mut();
            let before = records(&wh);
            let sha = format!("case {}", bytes.len());
            let result = match validate_file(&ctx, Path::new(NAME), bytes) {
                Ok(v) => wh.apply_submission(&mut state.borrow_mut(), NAME, &sha, &v, &timings).unwrap(),
                Err(r) => wh.record_rejection(NAME, &sha, None, &r.to_string()).unwrap(),
            };
            if result.outcome == Outcome::Rejected {
                *rejected.borrow_mut() += 1;
                prop_assert_eq!(records(&wh), before);
            }
            Ok(())
        })
        .unwrap();
    assert!(*rejected.borrow() > 0, "no case was rejected: the edits are too gentle to test anything");
}
