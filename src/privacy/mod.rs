//! Personal data handling around the warehouse: files only their owner can read
//! (warehouse, keys, `restricted/` audit records, linkage and subject access
//! reports), the subject access report, and the access log written after every
//! command that touches the warehouse.

pub mod access;
pub mod subject_access;

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of owner-only files.
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// Mode of owner-only folders.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// Creates a new owner-only file; fails if it exists.
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(PRIVATE_FILE_MODE).open(path)
}

/// Writes `bytes` to `path` as an owner-only file (an existing file is made owner-only
/// before it is overwritten).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_FILE_MODE))?;
    }
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(PRIVATE_FILE_MODE).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Creates `path` (and missing parents) as owner-only folders; an existing `path` is made
/// owner-only. Parents that already exist are left as they are.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(PRIVATE_DIR_MODE).create(path)?;
    restrict_dir(path)
}

/// Makes an existing folder owner-only.
pub fn restrict_dir(path: &Path) -> std::io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_DIR_MODE))
}

/// Makes every file and folder this process creates from now on owner-only (umask 077).
/// Called when a warehouse is opened: DuckDB creates the write-ahead log, checkpoint and
/// spill files beside the warehouse itself, with the process's umask. Products write into
/// run folders that are owner-only already (made by `tempfile`), so they are unaffected.
pub fn owner_only_umask() {
    // SAFETY: umask only sets the process's file mode creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Makes an existing file owner-only (for files another library created, such as DuckDB's).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    if fs::metadata(path)?.permissions().mode() & 0o077 == 0 {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_FILE_MODE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_files_and_folders_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        create_private_dir(&sub).unwrap();
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700, "created parents too");
        let f = sub.join("x.csv");
        std::fs::write(&f, "old").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&f, b"new").unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(fs::read(&f).unwrap(), b"new");
        assert!(create_private_file(&f).is_err(), "never overwrites");
    }
}
