//! Opening under a warehouse key, owner-only files, and compaction.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

fn holds(path: &Path, needle: &str) -> bool {
    let mut b = std::fs::read(path).unwrap();
    b.extend(std::fs::read(format!("{}.wal", path.display())).unwrap_or_default());
    b.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn checkpoint_and_vacuum_keep_deleted_bytes_and_compact_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.duckdb");
    let wh = Warehouse::open_with(&p, &WarehouseKey::Unencrypted).unwrap();
    let c = wh.conn();
    // stored verbatim (no FSST or dictionary), so a byte scan can see the row
    c.execute_batch("SET force_compression = 'uncompressed'").unwrap();
    c.execute_batch("CREATE TABLE t (id VARCHAR, v VARCHAR); INSERT INTO t SELECT 'ROW' || i, 'FILLER' || i FROM range(5000) r(i); INSERT INTO t VALUES ('XYZSECRET77', 'QQSECRETVAL'); CHECKPOINT;").unwrap();
    assert!(holds(&p, "XYZSECRET77"), "stored in clear (or the scan below proves nothing)");
    for step in ["DELETE FROM t WHERE id = 'XYZSECRET77'", "CHECKPOINT", "VACUUM", "FORCE CHECKPOINT"] {
        c.execute_batch(step).unwrap();
    }
    assert!(holds(&p, "XYZSECRET77"), "DuckDB frees the deleted row's block without overwriting it");
    let next = |wh: &Warehouse| wh.conn().query_row("SELECT nextval('submission_seq')", [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(next(&wh), 1);
    let wh = wh.compact().unwrap();
    assert!(!holds(&p, "XYZSECRET77"), "the rewritten file holds no deleted row");
    assert_eq!(wh.count("t").unwrap(), 5000);
    assert_eq!(next(&wh), 2, "sequences carry over");
}

#[test]
fn an_encrypted_warehouse_needs_its_key_and_shows_no_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let (enc, plain) = (dir.path().join("e.duckdb"), dir.path().join("p.duckdb"));
    let key = WarehouseKey::generate().unwrap();
    for (path, k) in [(&enc, &key), (&plain, &WarehouseKey::Unencrypted)] {
        let wh = Warehouse::open_with(path, k).unwrap();
        wh.conn().execute_batch("CREATE TABLE t AS SELECT 'XYZSECRET77' AS id").unwrap();
        assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(!holds(&enc, "XYZSECRET77") && holds(&plain, "XYZSECRET77"));
    let err = |r: Result<Warehouse, WarehouseError>| r.err().expect("must not open");
    assert!(matches!(err(Warehouse::open_with(&enc, &WarehouseKey::Unencrypted)), WarehouseError::KeyNeeded { .. }));
    assert!(matches!(err(Warehouse::open_read_only_with(&enc, &WarehouseKey::Unencrypted)), WarehouseError::KeyNeeded { .. }));
    assert!(matches!(err(Warehouse::open_with(&enc, &WarehouseKey::generate().unwrap())), WarehouseError::WrongKey { .. }));
    assert!(matches!(err(Warehouse::open_with(&plain, &key)), WarehouseError::NotEncrypted { .. }));
    let wh = Warehouse::open_read_only_with(&enc, &key).unwrap();
    assert_eq!(wh.count("t").unwrap(), 1);
    drop(wh);
    let wh = Warehouse::open_with(&enc, &key).unwrap().compact().unwrap();
    assert_eq!(wh.count("t").unwrap(), 1, "compaction keeps the encryption (the copy opens under the key)");
    drop(wh);
    assert!(!holds(&enc, "XYZSECRET77"));
    assert!(matches!(err(Warehouse::open_with(&enc, &WarehouseKey::Unencrypted)), WarehouseError::KeyNeeded { .. }));
}

#[test]
fn the_warehouse_key_must_differ_from_the_attributor_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = WarehouseKey::generate().unwrap();
    let wh = Warehouse::open_with(&dir.path().join("w.duckdb"), &key).unwrap();
    let same = crate::ingest::AttributorKey::from_text(&key.hex().unwrap(), "t").unwrap();
    assert!(matches!(wh.check_key(&same.fingerprint()), Err(WarehouseError::SameKeys { .. })));
    let other = crate::ingest::AttributorKey::from_text("a different attributor key", "t").unwrap();
    wh.check_key(&other.fingerprint()).unwrap();
}
