//! The warehouse key: the secret under which DuckDB encrypts the warehouse file
//! at rest (AES-256-GCM, DuckDB's own `ATTACH ... (ENCRYPTION_KEY ...)`). It is a
//! different secret from the attributor key: the attributor key makes person
//! keys, this one protects the file that holds them.
//!
//! A key is 32 random bytes written as 64 hexadecimal characters (DuckDB derives
//! its file key with one SHA-256, so a short passphrase would be guessable).
//! `ndtms-stats new-key --out FILE` makes one.
//!
//! Where the key comes from, first match wins: the process setting (the global
//! `--warehouse-key-file` option or `--unencrypted-warehouse`, and `demo`, which
//! uses the synthetic data's demo key), else the environment variable
//! [`WAREHOUSE_KEY_ENV`]. There is no default: without a key nothing opens.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use sha2::{Digest, Sha256};

/// Environment variable holding the warehouse key (64 hexadecimal characters).
pub const WAREHOUSE_KEY_ENV: &str = "NDTMS_STATS_WAREHOUSE_KEY";
/// Key length in bytes.
pub const KEY_BYTES: usize = 32;

/// Why no usable warehouse key was found.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseKeyError {
    #[error("no warehouse key: pass --warehouse-key-file FILE or set {WAREHOUSE_KEY_ENV} (make a key with `ndtms-stats new-key --out FILE`; synth writes demo-warehouse.key for synthetic data)")]
    Missing,
    #[error("cannot read warehouse key file {file}: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("warehouse key from {origin} is not usable: {reason}; a key is {KEY_BYTES} random bytes as 64 hexadecimal characters (`ndtms-stats new-key --out FILE` makes one)")]
    Invalid { origin: String, reason: String },
    #[error("cannot write warehouse key file {file}: {source}")]
    Write { file: PathBuf, source: std::io::Error },
}

/// How the warehouse file is protected.
#[derive(Clone, PartialEq, Eq)]
pub enum WarehouseKey {
    /// Encrypted under this key.
    Encrypted([u8; KEY_BYTES]),
    /// Not encrypted (`--unencrypted-warehouse`: only where the disk is encrypted by other means).
    Unencrypted,
}

impl std::fmt::Debug for WarehouseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WarehouseKey::Encrypted(_) => write!(f, "WarehouseKey::Encrypted(..)"),
            WarehouseKey::Unencrypted => write!(f, "WarehouseKey::Unencrypted"),
        }
    }
}

impl WarehouseKey {
    /// A key from its text: 64 hexadecimal characters (surrounding white space ignored).
    pub fn from_text(text: &str, origin: &str) -> Result<WarehouseKey, WarehouseKeyError> {
        let invalid = |reason: String| WarehouseKeyError::Invalid { origin: origin.to_string(), reason };
        let t = text.trim();
        if t.len() != 2 * KEY_BYTES {
            return Err(invalid(format!("it has {} characters, not {}", t.len(), 2 * KEY_BYTES)));
        }
        let bytes = hex::decode(t).map_err(|_| invalid("it is not hexadecimal".into()))?;
        let mut key = [0u8; KEY_BYTES];
        key.copy_from_slice(&bytes);
        if key.iter().all(|b| *b == key[0]) {
            return Err(invalid("all its bytes are the same".into()));
        }
        Ok(WarehouseKey::Encrypted(key))
    }

    /// The key in `file`.
    pub fn from_file(file: &Path) -> Result<WarehouseKey, WarehouseKeyError> {
        let text = std::fs::read_to_string(file).map_err(|source| WarehouseKeyError::Read { file: file.to_path_buf(), source })?;
        WarehouseKey::from_text(&text, &file.display().to_string())
    }

    /// A new random key (from the operating system's random source).
    pub fn generate() -> Result<WarehouseKey, WarehouseKeyError> {
        let mut key = [0u8; KEY_BYTES];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut key))
            .map_err(|source| WarehouseKeyError::Read { file: PathBuf::from("/dev/urandom"), source })?;
        Ok(WarehouseKey::Encrypted(key))
    }

    /// The synthetic data's demo key for `seed` (never for real data): derived from the seed,
    /// so the same seed gives the same synthetic output byte for byte.
    pub fn demo(seed: u64) -> WarehouseKey {
        let mut h = Sha256::new();
        h.update(b"ndtms-stats synthetic demo warehouse key, not for real data");
        h.update(seed.to_le_bytes());
        WarehouseKey::Encrypted(h.finalize().into())
    }

    /// Writes the key to a new file readable by its owner only; an existing file is never
    /// overwritten (that would lose the key of the warehouse it encrypts).
    pub fn write_new_file(&self, file: &Path) -> Result<(), WarehouseKeyError> {
        let WarehouseKey::Encrypted(key) = self else {
            return Err(WarehouseKeyError::Invalid { origin: file.display().to_string(), reason: "there is no key to write".into() });
        };
        let write_err = |source| WarehouseKeyError::Write { file: file.to_path_buf(), source };
        let mut f = crate::privacy::create_private_file(file).map_err(write_err)?;
        f.write_all(format!("{}\n", hex::encode(key)).as_bytes()).and_then(|_| f.sync_all()).map_err(write_err)
    }

    /// The key as 64 hexadecimal characters (also what DuckDB's `ENCRYPTION_KEY` receives, so it
    /// never needs SQL quoting); `None` when unencrypted.
    pub fn hex(&self) -> Option<String> {
        match self {
            WarehouseKey::Encrypted(key) => Some(hex::encode(key)),
            WarehouseKey::Unencrypted => None,
        }
    }

    /// The raw key bytes, to compare with the attributor key (they must differ).
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        match self {
            WarehouseKey::Encrypted(key) => Some(key),
            WarehouseKey::Unencrypted => None,
        }
    }
}

static PROCESS_KEY: RwLock<Option<WarehouseKey>> = RwLock::new(None);

/// Sets the key every later [`current`] returns in this process (the command line's
/// `--warehouse-key-file` or `--unencrypted-warehouse`; `demo`).
pub fn set_for_process(key: WarehouseKey) {
    *PROCESS_KEY.write().unwrap_or_else(|e| e.into_inner()) = Some(key);
}

/// Whether a key was set for the process.
pub fn is_set_for_process() -> bool {
    PROCESS_KEY.read().unwrap_or_else(|e| e.into_inner()).is_some()
}

/// The key to open warehouses with: the process setting, else [`WAREHOUSE_KEY_ENV`].
pub fn current() -> Result<WarehouseKey, WarehouseKeyError> {
    if let Some(key) = PROCESS_KEY.read().unwrap_or_else(|e| e.into_inner()).clone() {
        return Ok(key);
    }
    match std::env::var(WAREHOUSE_KEY_ENV) {
        Ok(v) if !v.trim().is_empty() => WarehouseKey::from_text(&v, WAREHOUSE_KEY_ENV),
        _ => Err(WarehouseKeyError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_64_hex_characters_of_varied_bytes() {
        let k = WarehouseKey::from_text(&format!("  {}\n", "0123456789abcdef".repeat(4)), "t").unwrap();
        assert_eq!(k.hex().unwrap(), "0123456789abcdef".repeat(4));
        for bad in ["", "abc", &"zz".repeat(32), &"00".repeat(32), &"ab".repeat(33)] {
            let err = WarehouseKey::from_text(bad, "t").unwrap_err();
            assert!(err.to_string().contains("new-key"), "{err}");
        }
    }

    #[test]
    fn generated_keys_differ_and_demo_keys_repeat() {
        assert_ne!(WarehouseKey::generate().unwrap(), WarehouseKey::generate().unwrap());
        assert_eq!(WarehouseKey::demo(7), WarehouseKey::demo(7));
        assert_ne!(WarehouseKey::demo(7), WarehouseKey::demo(8));
    }

    #[test]
    fn a_key_file_is_owner_only_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.key");
        let key = WarehouseKey::generate().unwrap();
        key.write_new_file(&file).unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(WarehouseKey::from_file(&file).unwrap(), key);
        assert!(WarehouseKey::generate().unwrap().write_new_file(&file).is_err());
        assert_eq!(WarehouseKey::from_file(&file).unwrap(), key, "the first key survives");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = WarehouseKey::demo(1);
        assert!(!format!("{k:?}").contains(&k.hex().unwrap()[..8]));
    }
}
