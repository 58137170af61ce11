//! Shared helpers: a sandbox folder, the binary, fixture extracts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use ndtms_stats::ingest::fixtures::{file, row, AGENCIES};

/// A key for tests (never use a fixed key for real data).
pub const TEST_KEY: &str = "integration test key, not secret";

/// A temporary folder with an extracts folder, an agencies file and a key file.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let s = Sandbox { dir: tempfile::tempdir().expect("temp dir") };
        std::fs::create_dir_all(s.extracts()).unwrap();
        std::fs::write(s.extracts().join("agencies.csv"), AGENCIES).unwrap();
        std::fs::write(s.key_file(), TEST_KEY).unwrap();
        s
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn extracts(&self) -> PathBuf {
        self.path().join("extracts")
    }
    pub fn key_file(&self) -> PathBuf {
        self.path().join("test.key")
    }
    pub fn warehouse(&self) -> PathBuf {
        self.path().join("ndtms.duckdb")
    }
    /// Writes an extract into the extracts folder and returns its path.
    pub fn extract(&self, name: &str, rows: &[String]) -> PathBuf {
        let p = self.extracts().join(name);
        std::fs::write(&p, file(rows)).unwrap();
        p
    }
    /// Runs `ndtms-stats load` on the given files with this sandbox's agencies, key and warehouse.
    pub fn load(&self, files: &[&Path]) -> Output {
        let mut cmd = bin();
        cmd.arg("load").args(files).arg("--agencies").arg(self.extracts().join("agencies.csv"));
        cmd.arg("--warehouse").arg(self.warehouse()).arg("--key-file").arg(self.key_file());
        cmd.arg("--dq-out").arg(self.path().join("dq"));
        cmd.output().expect("run ndtms-stats")
    }
    /// One value from the warehouse.
    pub fn query_i64(&self, sql: &str) -> i64 {
        let conn = duckdb::Connection::open(self.warehouse()).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }
    /// Rows of a query as strings, for comparing warehouse states.
    pub fn dump(&self, sql: &str) -> Vec<String> {
        let conn = duckdb::Connection::open(self.warehouse()).unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut out = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            let n = r.as_ref().column_count();
            let cells: Vec<String> = (0..n).map(|i| format!("{:?}", r.get::<_, duckdb::types::Value>(i).unwrap())).collect();
            out.push(cells.join("|"));
        }
        out
    }
}

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ndtms-stats"))
}

/// stdout + stderr as text.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}
