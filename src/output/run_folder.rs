//! The run folder `<out>/<product>-<period>/`, written atomically: every
//! file goes into a hidden staging directory beside the final one, which is
//! renamed into place only by [`RunFolder::finish`]. A run that fails (or is
//! dropped) leaves nothing; an existing folder of the same name is replaced
//! only when the new one is complete.

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::audit::AuditRecord;
use super::manifest::Manifest;
use super::table::{validate_label, OutputTable};
use super::tidy_csv::write_tidy_csv;
use super::OutputError;

/// A run folder being written.
#[derive(Debug)]
pub struct RunFolder {
    staging: Option<tempfile::TempDir>,
    final_path: PathBuf,
    audit_required: bool,
    audit_written: bool,
    manifest_written: bool,
}

/// Checks, before any computation, that `out_dir` is a folder or can be created as one: it
/// is a folder, or does not exist and its nearest existing ancestor is a folder.
pub fn check_out_dir(out_dir: &Path) -> Result<(), OutputError> {
    let not_a_folder = |reason: String| Err(OutputError::NotAFolder { path: out_dir.to_path_buf(), reason });
    if out_dir.exists() {
        return if out_dir.is_dir() { Ok(()) } else { not_a_folder("it exists and is not a folder".into()) };
    }
    let mut at = out_dir.parent();
    while let Some(p) = at.filter(|p| !p.as_os_str().is_empty()) {
        if p.exists() {
            return if p.is_dir() { Ok(()) } else { not_a_folder(format!("{} is not a folder", p.display())) };
        }
        at = p.parent();
    }
    Ok(())
}

impl RunFolder {
    /// Starts `<out_dir>/<product>-<period_label>/` with `csv/`, `html/` and
    /// `restricted/`. `out_dir` is created if missing. By default the run
    /// must write an audit record; see [`RunFolder::without_audit_record`].
    pub fn create(out_dir: &Path, product: &str, period_label: &str) -> Result<Self, OutputError> {
        validate_label("product", product)?;
        validate_label("period", period_label)?;
        let name = format!("{product}-{period_label}");
        check_out_dir(out_dir)?;
        fs::create_dir_all(out_dir).map_err(|source| OutputError::Io { path: out_dir.to_path_buf(), source })?;
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.partial-"))
            .tempdir_in(out_dir)
            .map_err(|source| OutputError::Io { path: out_dir.to_path_buf(), source })?;
        for sub in ["csv", "html", "restricted"] {
            let path = staging.path().join(sub);
            fs::create_dir(&path).map_err(|source| OutputError::Io { path: path.clone(), source })?;
            if sub == "restricted" {
                // audit records name suppressed cells: owner-only (issue 12)
                crate::privacy::restrict_dir(&path).map_err(|source| OutputError::Io { path, source })?;
            }
        }
        Ok(RunFolder {
            staging: Some(staging),
            final_path: out_dir.join(name),
            audit_required: true,
            audit_written: false,
            manifest_written: false,
        })
    }

    /// `--no-audit-record`: the run writes no `restricted/` folder at all.
    pub fn without_audit_record(mut self) -> Result<Self, OutputError> {
        let restricted = self.staging_path()?.join("restricted");
        fs::remove_dir_all(&restricted).map_err(|source| OutputError::Io { path: restricted, source })?;
        self.audit_required = false;
        Ok(self)
    }

    /// Where the folder will be once finished.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// The staging directory files are written into until [`Self::finish`].
    pub fn staging_path(&self) -> Result<&Path, OutputError> {
        self.staging.as_ref().map(|s| s.path()).ok_or(OutputError::Finished)
    }

    /// The staging path of `relative` (for writers that need a path, such as
    /// the workbook), after checking it stays inside the folder and outside
    /// `restricted/`.
    pub fn public_path(&self, relative: &str) -> Result<PathBuf, OutputError> {
        let path = Path::new(relative);
        let inside = !relative.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
        let restricted = path.components().next().is_some_and(|c| c.as_os_str() == "restricted");
        if !inside || restricted {
            return Err(OutputError::InvalidLabel { what: "public file path", label: relative.to_string() });
        }
        let full = self.staging_path()?.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).map_err(|source| OutputError::Io { path: parent.to_path_buf(), source })?;
        }
        Ok(full)
    }

    /// Writes a public file (an HTML page) at `relative`.
    pub fn write_public(&self, relative: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.public_path(relative)?;
        fs::write(&path, bytes).map_err(|source| OutputError::Io { path, source })
    }

    /// Writes `csv/<id>.csv`.
    pub fn write_table_csv(&self, table: &OutputTable) -> Result<(), OutputError> {
        let relative = format!("csv/{}.csv", table.id);
        let path = self.public_path(&relative)?;
        let file = fs::File::create(&path).map_err(|source| OutputError::Io { path: path.clone(), source })?;
        write_tidy_csv(table, std::io::BufWriter::new(file), &relative)
    }

    /// Writes `manifest.json`, checking each table entry's CSV was written.
    pub fn write_manifest(&mut self, manifest: &Manifest) -> Result<(), OutputError> {
        for table in &manifest.tables {
            if !self.staging_path()?.join(&table.file).is_file() {
                return Err(OutputError::MissingTableFile { table: table.id.clone(), file: table.file.clone() });
            }
        }
        self.write_public("manifest.json", manifest.to_json()?.as_bytes())?;
        self.manifest_written = true;
        Ok(())
    }

    /// Writes `restricted/audit.json`.
    pub fn write_audit_record(&mut self, record: &AuditRecord) -> Result<(), OutputError> {
        if !self.audit_required {
            return Err(OutputError::AuditRecordDisabled);
        }
        let path = self.staging_path()?.join("restricted").join("audit.json");
        fs::write(&path, record.to_json()?).map_err(|source| OutputError::Io { path, source })?;
        self.audit_written = true;
        Ok(())
    }

    /// Moves the complete folder into place, replacing an older one of the
    /// same name, and returns its path. Fails (leaving the old folder, and
    /// removing the staging one) if the manifest or a required audit record
    /// is missing.
    pub fn finish(mut self) -> Result<PathBuf, OutputError> {
        if !self.manifest_written {
            return Err(OutputError::Incomplete { missing: "manifest.json" });
        }
        if self.audit_required && !self.audit_written {
            return Err(OutputError::Incomplete { missing: "restricted/audit.json" });
        }
        let staging = self.staging.take().ok_or(OutputError::Finished)?;
        let final_path = self.final_path.clone();
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OutputError::Io { path, source }
        };
        if final_path.exists() {
            let old = tempfile::Builder::new()
                .prefix(&format!(".{}.old-", file_name(&final_path)))
                .tempdir_in(final_path.parent().unwrap_or(Path::new(".")))
                .map_err(io_error(&final_path))?;
            let old_path = old.path().join("run");
            fs::rename(&final_path, &old_path).map_err(io_error(&final_path))?;
            if let Err(source) = fs::rename(staging.path(), &final_path) {
                // Put the previous run back; the staging dir is removed on drop.
                let _ = fs::rename(&old_path, &final_path);
                return Err(OutputError::Io { path: final_path, source });
            }
            drop(old);
        } else {
            fs::rename(staging.path(), &final_path).map_err(io_error(&final_path))?;
        }
        // The staging path no longer exists; keep TempDir from touching it.
        let _ = staging.keep();
        Ok(final_path)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::fixtures::{sample_audit, sample_manifest, small_table};

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    fn complete_run(out: &Path) -> RunFolder {
        let mut run = RunFolder::create(out, "release", "2024-25").unwrap();
        run.write_table_csv(&small_table()).unwrap();
        run.write_manifest(&sample_manifest()).unwrap();
        run.write_audit_record(&sample_audit()).unwrap();
        run
    }

    #[test]
    fn a_finished_run_has_the_contract_layout() {
        let out = tempfile::tempdir().unwrap();
        let path = complete_run(out.path()).finish().unwrap();
        assert_eq!(path, out.path().join("release-2024-25"));
        assert_eq!(entries(out.path()), ["release-2024-25"]);
        assert_eq!(entries(&path), ["csv", "html", "manifest.json", "restricted"]);
        assert_eq!(entries(&path.join("csv")), ["t01.csv"]);
        assert_eq!(entries(&path.join("restricted")), ["audit.json"]);
    }

    #[test]
    fn a_failure_midway_leaves_nothing() {
        let out = tempfile::tempdir().unwrap();
        {
            let run = RunFolder::create(out.path(), "release", "2024-25").unwrap();
            run.write_table_csv(&small_table()).unwrap();
            let mut bad = small_table();
            bad.id = "t02".into();
            bad.rows[0].value = Some(f64::NAN);
            assert!(run.write_table_csv(&bad).is_err());
            // The command returns its error here; the run is dropped.
        }
        assert!(entries(out.path()).is_empty(), "{:?}", entries(out.path()));
    }

    #[test]
    fn an_incomplete_run_is_not_moved_into_place_and_the_old_one_survives() {
        let out = tempfile::tempdir().unwrap();
        let path = complete_run(out.path()).finish().unwrap();
        fs::write(path.join("marker-of-old-run"), "old").unwrap();
        let run = RunFolder::create(out.path(), "release", "2024-25").unwrap();
        assert!(matches!(run.finish(), Err(OutputError::Incomplete { .. })));
        assert_eq!(entries(out.path()), ["release-2024-25"]);
        assert!(path.join("marker-of-old-run").exists());
    }

    #[test]
    fn a_successful_run_replaces_the_old_one() {
        let out = tempfile::tempdir().unwrap();
        let path = complete_run(out.path()).finish().unwrap();
        fs::write(path.join("marker-of-old-run"), "old").unwrap();
        complete_run(out.path()).finish().unwrap();
        assert_eq!(entries(out.path()), ["release-2024-25"]);
        assert!(!path.join("marker-of-old-run").exists());
        assert!(path.join("manifest.json").is_file());
    }

    #[test]
    fn no_audit_record_means_no_restricted_folder() {
        let out = tempfile::tempdir().unwrap();
        let mut run = RunFolder::create(out.path(), "release", "2024-25").unwrap().without_audit_record().unwrap();
        run.write_table_csv(&small_table()).unwrap();
        run.write_manifest(&sample_manifest()).unwrap();
        assert!(matches!(run.write_audit_record(&sample_audit()), Err(OutputError::AuditRecordDisabled)));
        let path = run.finish().unwrap();
        assert_eq!(entries(&path), ["csv", "html", "manifest.json"]);
    }

    #[test]
    fn a_missing_audit_record_fails_the_run() {
        let out = tempfile::tempdir().unwrap();
        let mut run = RunFolder::create(out.path(), "release", "2024-25").unwrap();
        run.write_table_csv(&small_table()).unwrap();
        run.write_manifest(&sample_manifest()).unwrap();
        assert!(matches!(run.finish(), Err(OutputError::Incomplete { missing: "restricted/audit.json" })));
        assert!(entries(out.path()).is_empty());
    }

    #[test]
    fn manifest_refers_only_to_written_csvs() {
        let out = tempfile::tempdir().unwrap();
        let mut run = RunFolder::create(out.path(), "release", "2024-25").unwrap();
        assert!(matches!(run.write_manifest(&sample_manifest()), Err(OutputError::MissingTableFile { .. })));
    }

    #[test]
    fn paths_cannot_escape_or_reach_restricted() {
        let out = tempfile::tempdir().unwrap();
        let run = RunFolder::create(out.path(), "release", "2024-25").unwrap();
        assert!(run.write_public("../evil.html", b"x").is_err());
        assert!(run.write_public("/tmp/evil.html", b"x").is_err());
        assert!(run.write_public("restricted/leak.json", b"x").is_err());
        assert!(run.write_public("html/index.html", b"ok").is_ok());
        assert!(RunFolder::create(out.path(), "../release", "2024-25").is_err());
        assert!(RunFolder::create(out.path(), "release", "2024/25").is_err());
    }

    #[test]
    fn an_output_path_that_is_a_file_is_refused_before_anything_is_computed() {
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let err = check_out_dir(&file).unwrap_err().to_string();
        assert!(err.contains("a-file") && err.contains("not a folder"), "{err}");
        assert!(check_out_dir(&file.join("below")).unwrap_err().to_string().contains("is not a folder"));
        assert!(check_out_dir(&out.path().join("new/run")).is_ok());
        assert!(check_out_dir(out.path()).is_ok());
    }
}
