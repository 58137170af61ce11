//! SHA-256 of input and rule files, as recorded in the manifest and the
//! audit record.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::OutputError;

/// A file and the hex SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileHash {
    /// The file as the user named it (relative paths stay relative).
    pub file: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

impl FileHash {
    /// Hashes the file at `path`, recording it under `path`'s display form.
    pub fn of_file(path: &Path) -> Result<Self, OutputError> {
        let io_error = |source| OutputError::Io { path: path.to_path_buf(), source };
        let mut file = File::open(path).map_err(io_error)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = file.read(&mut buffer).map_err(io_error)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        Ok(FileHash { file: path.display().to_string(), sha256: hex::encode(hasher.finalize()) })
    }

    /// Hashes bytes already in memory (an embedded rule file).
    pub fn of_bytes(file: &str, bytes: &[u8]) -> Self {
        FileHash { file: file.to_string(), sha256: hex::encode(Sha256::digest(bytes)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_bytes_hash_agree_with_the_known_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, b"abc").unwrap();
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(FileHash::of_file(&path).unwrap().sha256, expected);
        assert_eq!(FileHash::of_bytes("rules.toml", b"abc").sha256, expected);
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = FileHash::of_file(Path::new("/nonexistent/rules.toml")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/rules.toml"), "{err}");
    }
}
