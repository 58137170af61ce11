//! What a load run is given: files and folders, expanded into the extracts
//! to load, the entries rejected as files (a folder or FIFO named like an
//! extract, a file that is not there, an extract with the wrong extension)
//! and the entries ignored (other files of a folder), each with its reason.
//! Nothing a run is given disappears without a word, and nothing in a
//! folder stops the run: an unreadable entry is a rejected file.

use std::path::{Path, PathBuf};

/// The inputs of a run, sorted out.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Regular files to validate and load, sorted by (month, agency, path).
    pub extracts: Vec<PathBuf>,
    /// Entries that are rejected without being read, with the reason.
    pub rejected: Vec<(PathBuf, String)>,
    /// Entries that are not extracts, with the reason.
    pub ignored: Vec<(PathBuf, String)>,
}

impl Inputs {
    /// How many entries the run accounts for.
    pub fn len(&self) -> usize {
        self.extracts.len() + self.rejected.len() + self.ignored.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why `path` cannot be read as a file, if it cannot: what it is instead.
pub fn not_a_file(path: &Path) -> Option<String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dangling = std::fs::symlink_metadata(path).is_ok();
            return Some(if dangling { "is not a readable file: it is a link to nothing".into() } else { "does not exist".into() });
        }
        Err(e) => return Some(format!("is not a readable file: {e}")),
    };
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    let what = if kind.is_dir() {
        "a folder"
    } else if is_fifo(&kind) {
        "a FIFO (named pipe)"
    } else {
        "not a regular file (a socket or device)"
    };
    Some(format!("is not a readable file: it is {what}"))
}

#[cfg(unix)]
fn is_fifo(kind: &std::fs::FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(kind)
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}

/// A name that starts like an extract's (`<AGNCY>_<YYYY-MM>`) but does not end in `.csv`.
fn extract_with_wrong_extension(name: &str) -> bool {
    let Some((agency, rest)) = name.split_once('_') else { return false };
    let month = rest.get(..7).unwrap_or("");
    !agency.is_empty()
        && agency.chars().all(|c| c.is_ascii_alphanumeric())
        && month.len() == 7
        && month.chars().enumerate().all(|(i, c)| if i == 4 { c == '-' } else { c.is_ascii_digit() })
        && !name.ends_with(".csv")
}

/// Sorts the inputs out; folders are expanded one level. The agencies reference file
/// (`agencies`, or any `agencies.csv` in a folder) is ignored as an extract.
pub fn collect(inputs: &[PathBuf], agencies: Option<&Path>) -> Inputs {
    let mut out = Inputs::default();
    let is_agencies = |p: &Path| p.file_name().is_some_and(|n| n == "agencies.csv") || agencies.is_some_and(|a| a == p);
    for input in inputs {
        if input.is_dir() {
            let entries = match std::fs::read_dir(input) {
                Ok(e) => e,
                Err(e) => {
                    out.rejected.push((input.clone(), format!("cannot read the folder: {e}")));
                    continue;
                }
            };
            let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if is_agencies(&path) {
                    out.ignored.push((path.clone(), "the agencies reference file".into()));
                } else if name.ends_with(".csv") {
                    match not_a_file(&path) {
                        None => out.extracts.push(path),
                        Some(reason) => out.rejected.push((path, reason)),
                    }
                } else if extract_with_wrong_extension(name) {
                    out.rejected.push((path, "named like an extract but does not end in .csv (lower case): rename it <AGNCY>_<YYYY-MM>.csv".into()));
                } else {
                    let what = if path.is_dir() { "a folder (folders are not searched)" } else { "not a .csv file" };
                    out.ignored.push((path, what.into()));
                }
            }
        } else {
            match not_a_file(input) {
                None => out.extracts.push(input.clone()),
                Some(reason) => out.rejected.push((input.clone(), reason)),
            }
        }
    }
    out.extracts.sort_by_key(|p| {
        let key = super::SubmissionName::parse(p).map(|n| (n.year, n.month, n.agency)).unwrap_or((0, 0, String::new()));
        (key, p.clone())
    });
    out.extracts.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_of_a_folder_is_accounted_for() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in ["N0001_2025-03.csv", "N0001_2025-02.csv", "agencies.csv", "N0002_2025-03.CSV", "N0003_2025-03.csv.txt", "notes.txt"] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        std::fs::create_dir(d.join("N0004_2025-03.csv")).unwrap();
        std::fs::create_dir(d.join("old")).unwrap();
        let got = collect(&[d.to_path_buf(), d.join("N9999_2025-01.csv")], None);
        let names = |v: &[PathBuf]| v.iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect::<Vec<_>>();
        assert_eq!(names(&got.extracts), ["N0001_2025-02.csv", "N0001_2025-03.csv"]);
        let rejected: Vec<(String, String)> = got.rejected.iter().map(|(p, r)| (p.file_name().unwrap().to_string_lossy().to_string(), r.clone())).collect();
        assert_eq!(rejected.len(), 4, "{rejected:?}");
        assert!(rejected.iter().any(|(n, r)| n == "N0004_2025-03.csv" && r.contains("a folder")), "{rejected:?}");
        assert!(rejected.iter().any(|(n, r)| n == "N0002_2025-03.CSV" && r.contains(".csv")), "{rejected:?}");
        assert!(rejected.iter().any(|(n, _)| n == "N0003_2025-03.csv.txt"), "{rejected:?}");
        assert!(rejected.iter().any(|(n, r)| n == "N9999_2025-01.csv" && r == "does not exist"), "{rejected:?}");
        let ignored: Vec<String> = got.ignored.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().to_string()).collect();
        assert_eq!(ignored, ["agencies.csv", "notes.txt", "old"]);
        assert_eq!(got.len(), 9);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_named_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("N0001_2025-03.csv");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo (coreutils)");
        assert!(made.success());
        assert!(not_a_file(&fifo).unwrap().contains("FIFO"));
        let got = collect(&[dir.path().to_path_buf()], None);
        assert!(got.extracts.is_empty() && got.rejected[0].1.contains("FIFO"));
    }
}
