//! Shared helpers: a sandbox folder, the binary, fixture extracts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use ndtms_stats::ingest::fixtures::{file, row, AGENCIES};

/// A key for tests (never use a fixed key for real data).
pub const TEST_KEY: &str = "integration test key, not secret";
/// The warehouse key every test run of the binary gets (NDTMS_STATS_WAREHOUSE_KEY): tests
/// run on encrypted warehouses, as real use does.
pub const TEST_WAREHOUSE_KEY: &str = "00112233445566778899aabbccddeeff0123456789abcdef0011223344556677";

/// The global option for an unencrypted warehouse (tests that scan the file's bytes).
pub const UNENCRYPTED: &str = "--unencrypted-warehouse";

/// [`TEST_WAREHOUSE_KEY`] as a key, for tests that open a warehouse themselves.
pub fn test_warehouse_key() -> ndtms_stats::warehouse::WarehouseKey {
    ndtms_stats::warehouse::WarehouseKey::from_text(TEST_WAREHOUSE_KEY, "tests").unwrap()
}

/// Opens a warehouse the binary wrote (read-only, under the tests' warehouse key).
pub fn open_warehouse(path: &Path) -> ndtms_stats::warehouse::Warehouse {
    ndtms_stats::warehouse::Warehouse::open_read_only_with(path, &test_warehouse_key())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

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
        self.load_with(files, &[])
    }
    /// As [`Sandbox::load`], with further arguments.
    pub fn load_with(&self, files: &[&Path], extra: &[&std::ffi::OsStr]) -> Output {
        let mut cmd = bin();
        cmd.arg("load").args(files).arg("--agencies").arg(self.extracts().join("agencies.csv"));
        cmd.arg("--warehouse").arg(self.warehouse()).arg("--key-file").arg(self.key_file());
        cmd.arg("--dq-out").arg(self.path().join("dq")).args(extra);
        cmd.output().expect("run ndtms-stats")
    }
    /// One value from the warehouse.
    pub fn query_i64(&self, sql: &str) -> i64 {
        open_warehouse(&self.warehouse()).conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }
    /// One value from a warehouse loaded with `--unencrypted-warehouse` (for byte scans).
    pub fn plain_query_i64(&self, sql: &str) -> i64 {
        let wh = ndtms_stats::warehouse::Warehouse::open_read_only_with(&self.warehouse(), &ndtms_stats::warehouse::WarehouseKey::Unencrypted).unwrap();
        wh.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }
    /// Rows of a query as strings, for comparing warehouse states.
    pub fn dump(&self, sql: &str) -> Vec<String> {
        dump_rows(open_warehouse(&self.warehouse()).conn(), sql)
    }
}

/// Rows of a query as `|`-joined cells.
pub fn dump_rows(conn: &duckdb::Connection, sql: &str) -> Vec<String> {
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

/// The binary under test, with the tests' warehouse key in its environment.
/// The binary under test: `$NDTMS_STATS_TEST_BIN` when set, else Cargo's. Worktrees that share
/// one build cache (CARGO_TARGET_DIR) share `target/debug/ndtms-stats`, so another worktree's
/// build can replace it mid-run; a copy taken right after the build, named here, cannot change.
pub fn exe() -> PathBuf {
    std::env::var_os("NDTMS_STATS_TEST_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ndtms-stats")), PathBuf::from)
}

pub fn bin() -> Command {
    let mut command = Command::new(exe());
    command.env(ndtms_stats::warehouse::key::WAREHOUSE_KEY_ENV, TEST_WAREHOUSE_KEY);
    command
}

/// stdout + stderr as text.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A CSV file as rows of fields (header included).
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(path).unwrap();
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
}

/// Checks that sheet `sheet` of the workbook `xlsx` holds the rows of the tidy CSV `csv`
/// in order: a number where the CSV has a value, the marker where it has one. Returns the
/// number of rows compared.
pub fn assert_sheet_matches_csv(xlsx: &Path, sheet: &str, csv: &Path) -> usize {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(xlsx).unwrap_or_else(|e| panic!("{} does not open: {e}", xlsx.display()));
    let range = wb.worksheet_range(sheet).unwrap_or_else(|e| panic!("{} has no sheet {sheet}: {e}", xlsx.display()));
    let cells: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    let is_value = |c: &Data| matches!(c, Data::String(s) if s == "Value");
    let header_at = cells.iter().position(|r| r.iter().any(is_value)).expect("header row");
    let value_col = cells[header_at].iter().position(is_value).unwrap();
    let data: Vec<&Vec<Data>> = cells[header_at + 1..].iter().filter(|r| !r.iter().all(|c| matches!(c, Data::Empty))).collect();
    let csv_rows = read_csv(csv);
    assert_eq!(data.len(), csv_rows.len() - 1, "{sheet} of {} has another number of rows than {}", xlsx.display(), csv.display());
    let header = &csv_rows[0];
    let (v, m) = (header.iter().position(|h| h == "value").unwrap(), header.iter().position(|h| h == "marker").unwrap());
    let code = header.iter().position(|h| h == "area_code").unwrap();
    for (i, (x, c)) in data.iter().zip(&csv_rows[1..]).enumerate() {
        assert_eq!(x[2].to_string(), c[code], "{sheet} row {i}: area code");
        match &x[value_col] {
            // the CSV rounds to its printed decimals; the workbook keeps the full number
            Data::Float(f) => {
                let decimals = c[v].split_once('.').map_or(0, |(_, d)| d.len()) as i32;
                let tolerance = 0.5 * 10f64.powi(-decimals) + 1e-12;
                assert!((*f - c[v].parse::<f64>().unwrap()).abs() <= tolerance, "{sheet} row {i}: {f} vs {}", c[v]);
            }
            Data::Int(n) => assert_eq!(*n as f64, c[v].parse::<f64>().unwrap(), "{sheet} row {i}"),
            Data::String(s) => assert_eq!(s, &c[m], "{sheet} row {i}: marker"),
            other => panic!("{sheet} row {i}: unexpected cell {other:?}"),
        }
    }
    data.len()
}

/// Identifiers of people in the synthetic extracts of `syn` (CLIENTID, EPISODID and dates of
/// birth of the first rows of every file): none of them may appear in a public output.
pub fn personal_identifiers(syn: &Path) -> std::collections::BTreeSet<String> {
    let mut secrets = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(syn).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".csv") || name == "agencies.csv" {
            continue;
        }
        let rows = read_csv(&p);
        let Some(h) = rows.first() else { continue };
        let col = |name: &str| h.iter().position(|x| x == name);
        for r in rows.iter().skip(1).take(40) {
            for name in ["CLIENTID", "EPISODID", "DOB"] {
                if let Some(v) = col(name).and_then(|i| r.get(i)).filter(|v| v.len() >= 6) {
                    secrets.insert(v.clone());
                }
            }
        }
    }
    assert!(secrets.len() > 20, "too few identifiers to make the check mean anything");
    secrets
}

/// Fails if any file under `dir` (workbooks by their cell text), outside `restricted/`
/// folders, contains one of `secrets`.
pub fn assert_no_personal_data(dir: &Path, secrets: &std::collections::BTreeSet<String>) {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    assert!(!files.is_empty(), "nothing under {}", dir.display());
    for f in files {
        if f.components().any(|c| c.as_os_str() == "restricted") {
            continue;
        }
        let text = if f.extension().is_some_and(|e| e == "xlsx") { workbook_text(&f) } else { String::from_utf8_lossy(&std::fs::read(&f).unwrap()).to_string() };
        for s in secrets {
            assert!(!text.contains(s.as_str()), "{s} found in {}", f.display());
        }
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The text of every cell of every sheet of a workbook.
fn workbook_text(path: &Path) -> String {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let mut s = String::new();
    for name in wb.sheet_names().to_vec() {
        if let Ok(range) = wb.worksheet_range(&name) {
            for row in range.rows() {
                for c in row {
                    s.push_str(&c.to_string());
                    s.push('\t');
                }
            }
        }
    }
    s
}
