//! The access log around every command that reads or changes the warehouse:
//! [`describe`] says, before the command runs, which warehouse it touches, which
//! input files it reads (hashed then) and where it writes; [`Access::finish`]
//! appends the entry once it has run, with the files it wrote and its outcome.
//!
//! Arguments are logged as parsed, with personal data withheld (the selectors
//! of `subject-access` and `erase` print as `[withheld]`); key files are logged
//! by path only and never hashed, and no key is ever an argument.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::cli::Command;
use crate::warehouse::access_log::{AccessEntry, InputFile};
use crate::warehouse::{Warehouse, WarehouseError};

/// A command on its way to the access log.
#[derive(Debug)]
pub struct Access {
    command: &'static str,
    arguments: String,
    warehouse: PathBuf,
    inputs: Vec<InputFile>,
    outputs: Vec<PathBuf>,
    started: SystemTime,
}

/// The access record of `command`, or `None` for commands that never touch a warehouse
/// (`synth`, `protect`, `new-key`). Hashes the input files now, before the command runs.
pub fn describe(command: &Command) -> Option<Access> {
    let started = SystemTime::now();
    let (name, arguments, warehouse, inputs, outputs): (_, String, PathBuf, Vec<PathBuf>, Vec<PathBuf>) = match command {
        Command::Synth(_) | Command::Protect(_) | Command::NewKey(_) => return None,
        Command::Demo(a) => ("demo", format!("{a:?}"), a.out.join("ndtms.duckdb"), vec![], vec![a.out.clone()]),
        Command::Load(a) => {
            let mut inputs = a.inputs.clone();
            inputs.extend(a.agencies.iter().chain(&a.schema).cloned());
            ("load", format!("{a:?}"), a.warehouse.clone(), inputs, vec![a.dq_out.clone()])
        }
        Command::Build(a) => ("build", format!("{a:?}"), a.warehouse.clone(), vec![], a.linkage_report.iter().cloned().collect()),
        Command::Release(a) => {
            let inputs = std::iter::once(a.rules.clone()).chain(a.tables.clone()).chain(a.templates.clone()).collect();
            ("release", format!("{a:?}"), a.warehouse.clone(), inputs, vec![a.out.clone()].into_iter().chain(a.ledger.clone()).collect())
        }
        Command::Pack(a) => ("pack", format!("{a:?}"), a.warehouse.clone(), vec![a.rules.clone()], vec![a.out.clone()].into_iter().chain(a.ledger.clone()).collect()),
        Command::Extract(a) => ("extract", format!("{a:?}"), a.warehouse.clone(), vec![a.rules.clone()], vec![a.out.clone()].into_iter().chain(a.ledger.clone()).collect()),
        Command::ProviderReport(a) => {
            ("provider-report", format!("{a:?}"), a.warehouse.clone(), vec![a.rules.clone()], vec![a.out.clone()].into_iter().chain(a.ledger.clone()).collect())
        }
        Command::SubjectAccess(a) => ("subject-access", format!("{a:?}"), a.selector.warehouse.clone(), vec![], vec![a.out.clone()]),
        Command::Erase(a) => ("erase", format!("{a:?}"), a.selector.warehouse.clone(), vec![], vec![]),
        Command::Purge(a) => ("purge", format!("{a:?}"), a.warehouse.clone(), vec![], vec![]),
        Command::Log(a) => ("log", format!("{a:?}"), a.warehouse.clone(), vec![], vec![]),
    };
    Some(Access { command: name, arguments, warehouse, inputs: hash_inputs(&inputs), outputs, started })
}

impl Access {
    /// Appends the entry for the command's `result` (`Ok(detail)`: counts worth keeping,
    /// never values) and returns the command's own result. A command that ran but could not
    /// be logged fails; a failed command's error is returned whether or not it was logged.
    pub fn finish(self, result: Result<String>) -> Result<()> {
        let (outcome, detail) = match &result {
            Ok(detail) => ("ok", detail.clone()),
            Err(_) => ("failed", String::new()),
        };
        let entry = AccessEntry {
            logged_at: String::new(),
            os_user: os_user(),
            command: self.command.to_string(),
            arguments: self.arguments.clone(),
            inputs: self.inputs.clone(),
            outputs: written_since(&self.outputs, self.started),
            outcome: outcome.to_string(),
            detail,
        };
        let logged = if self.warehouse.is_file() { append(&self.warehouse, &entry) } else { Ok(()) };
        match (result, logged) {
            (Err(e), _) => Err(e),
            (Ok(_), Ok(())) => Ok(()),
            (Ok(_), Err(e)) => Err(e).with_context(|| {
                format!("`{}` ran, but its entry could not be added to the access log of {}", self.command, self.warehouse.display())
            }),
        }
    }
}

/// How long the entry waits for another process (a release running beside this one, which
/// holds the warehouse read-only) to let go of the warehouse.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(20 * 60);

/// Opens the warehouse read-write, waiting while another process holds it (up to
/// [`LOCK_WAIT`]), and appends.
fn append(warehouse: &Path, entry: &AccessEntry) -> Result<(), WarehouseError> {
    let started = std::time::Instant::now();
    loop {
        match Warehouse::open(warehouse) {
            Ok(wh) => return wh.append_access(entry),
            Err(e) if e.to_string().contains("Could not set lock") && started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The input files (folders: the `.csv` files directly in them, which is what `load` reads, so
/// a key file kept beside the extracts is never hashed), each with its SHA-256; a file that
/// cannot be read, or is not a regular file (a FIFO would block the run), is listed with an
/// empty hash and never opened (the command reports the problem).
fn hash_inputs(paths: &[PathBuf]) -> Vec<InputFile> {
    let mut files = Vec::new();
    let mut unread = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "csv")).collect())
                .unwrap_or_default();
            inside.sort();
            files.extend(inside);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            unread.push(InputFile { file: p.display().to_string(), sha256: String::new() });
        }
    }
    files.sort();
    files.dedup();
    let mut hashed: Vec<InputFile> = files
        .par_iter()
        .map(|f| InputFile::of_file(f).unwrap_or_else(|_| InputFile { file: f.display().to_string(), sha256: String::new() }))
        .collect();
    hashed.extend(unread);
    hashed
}

/// Files under `outputs` (files or folders) written since `started`. An output folder's
/// entries are looked at; a folder inside it is entered only when it changed (an entry was
/// added, removed or renamed) since then, so a run into `.` lists the run folder it made and
/// the files it rewrote, not the whole working directory.
fn written_since(outputs: &[PathBuf], started: SystemTime) -> Vec<String> {
    // file times come from a coarse kernel clock: allow a second's slack
    let since = started - Duration::from_secs(1);
    let changed = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|t| t >= since);
    let mut found = Vec::new();
    let entries = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|e| changed(e)).collect()).unwrap_or_default()
    };
    let mut stack: Vec<PathBuf> = Vec::new();
    for p in outputs {
        if p.is_dir() {
            stack.extend(entries(p));
        } else {
            stack.push(p.clone());
        }
    }
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(entries(&p));
        } else if changed(&p) {
            found.push(p.display().to_string());
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The operating-system user running the process: `name (uid N)`.
pub fn os_user() -> String {
    // SAFETY: getuid cannot fail and has no preconditions.
    let uid = unsafe { libc::getuid() };
    let from_passwd = std::fs::read_to_string("/etc/passwd").ok().and_then(|text| {
        text.lines().find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
        })
    });
    let name = from_passwd.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "unknown".into());
    format!("{name} (uid {uid})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_the_files_written_since_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("a.csv"), "x").unwrap();
        let long_ago = SystemTime::now() - Duration::from_secs(3600);
        for p in [old.join("a.csv"), old.clone(), dir.path().to_path_buf()] {
            std::fs::File::open(&p).unwrap().set_modified(long_ago).unwrap();
        }
        let started = SystemTime::now();
        let new = dir.path().join("release-2024-25");
        std::fs::create_dir_all(new.join("csv")).unwrap();
        std::fs::write(new.join("csv/t1.csv"), "x").unwrap();
        std::fs::write(new.join("index.html"), "x").unwrap();
        let found = written_since(&[dir.path().to_path_buf()], started);
        let names: Vec<&str> = found.iter().map(|f| f.strip_prefix(&dir.path().display().to_string()).unwrap()).collect();
        assert_eq!(names, vec!["/release-2024-25/csv/t1.csv", "/release-2024-25/index.html"]);
    }

    #[test]
    fn inputs_in_folders_are_hashed_file_by_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.csv"), "abc").unwrap();
        std::fs::write(dir.path().join("a.csv"), "").unwrap();
        std::fs::write(dir.path().join("demo.key"), "secret").unwrap();
        let hashed = hash_inputs(&[dir.path().to_path_buf()]);
        assert_eq!(hashed.len(), 2, "the key file is not hashed");
        assert!(hashed[0].file.ends_with("a.csv"));
        assert_eq!(hashed[0].sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hashed[1].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn the_user_has_a_name_and_uid() {
        let u = os_user();
        assert!(u.contains("(uid ") && !u.starts_with(' '), "{u}");
    }
}
