//! The attributor (initials, date of birth, sex) and the keyed pseudonym it
//! becomes: HMAC-SHA256 of the normalised attributor under a secret key the
//! user supplies. Only the pseudonym reaches the warehouse.

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::{Path, PathBuf};

type HmacSha256 = Hmac<Sha256>;

/// Environment variable holding the attributor key (hex or text).
pub const KEY_ENV: &str = "NDTMS_STATS_KEY";
/// Shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// Why no usable key was found.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no attributor key: pass --key-file FILE or set {KEY_ENV} (synth writes a demo key, demo.key, for synthetic data)")]
    Missing,
    #[error("cannot read key file {file}: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("attributor key from {origin} is {len} bytes; at least {MIN_KEY_BYTES} are required")]
    TooShort { origin: String, len: usize },
}

/// The secret key under which attributors are pseudonymised.
#[derive(Clone)]
pub struct AttributorKey {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for AttributorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AttributorKey(..)")
    }
}

impl AttributorKey {
    /// Key material: a hex string is decoded, anything else is used as UTF-8 bytes.
    pub fn from_text(text: &str, origin: &str) -> Result<AttributorKey, KeyError> {
        let t = text.trim();
        let bytes = if t.len() % 2 == 0 && !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(t).unwrap_or_else(|_| t.as_bytes().to_vec())
        } else {
            t.as_bytes().to_vec()
        };
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort { origin: origin.to_string(), len: bytes.len() });
        }
        Ok(AttributorKey { bytes })
    }

    /// The key from `--key-file` if given, else from the environment.
    pub fn resolve(key_file: Option<&Path>) -> Result<AttributorKey, KeyError> {
        if let Some(file) = key_file {
            let text = std::fs::read_to_string(file)
                .map_err(|source| KeyError::Read { file: file.to_path_buf(), source })?;
            return AttributorKey::from_text(&text, &file.display().to_string());
        }
        match std::env::var(KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => AttributorKey::from_text(&v, KEY_ENV),
            _ => Err(KeyError::Missing),
        }
    }

    /// A fingerprint of the key (not the key), so a warehouse can refuse loads under another key.
    pub fn fingerprint(&self) -> String {
        self.mac(b"ndtms-stats attributor key fingerprint")
    }

    /// The person key: HMAC-SHA256 of `FINITIAL|SINITIAL|YYYY-MM-DD|SEX`, upper-cased, as hex.
    pub fn person_key(&self, finitial: &str, sinitial: &str, dob: NaiveDate, sex: &str) -> String {
        let normalised = format!(
            "{}|{}|{}|{}",
            finitial.trim().to_ascii_uppercase(),
            sinitial.trim().to_ascii_uppercase(),
            dob.format("%Y-%m-%d"),
            sex.trim()
        );
        self.mac(normalised.as_bytes())
    }

    fn mac(&self, data: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.bytes).expect("HMAC takes any key length");
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> AttributorKey {
        AttributorKey::from_text(s, "test").unwrap()
    }

    #[test]
    fn same_attributor_same_key_regardless_of_case_and_spaces() {
        let k = key("0123456789abcdef0123456789abcdef");
        let dob = NaiveDate::from_ymd_opt(1980, 2, 3).unwrap();
        assert_eq!(k.person_key("a", " b", dob, "1"), k.person_key("A", "B", dob, "1"));
        assert_ne!(k.person_key("A", "B", dob, "1"), k.person_key("A", "B", dob, "2"));
        assert_eq!(k.person_key("A", "B", dob, "1").len(), 64);
    }

    #[test]
    fn different_keys_give_different_pseudonyms() {
        let dob = NaiveDate::from_ymd_opt(1980, 2, 3).unwrap();
        let a = key("0123456789abcdef0123456789abcdef").person_key("A", "B", dob, "1");
        let b = key("fedcba9876543210fedcba9876543210").person_key("A", "B", dob, "1");
        assert_ne!(a, b);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(matches!(AttributorKey::from_text("abcd", "x"), Err(KeyError::TooShort { len: 2, .. })));
        assert!(AttributorKey::from_text("a long enough passphrase", "x").is_ok());
    }

    #[test]
    fn the_pseudonym_does_not_contain_the_attributor() {
        let k = key("a long enough passphrase");
        let p = k.person_key("Q", "Z", NaiveDate::from_ymd_opt(1971, 12, 25).unwrap(), "2");
        assert!(!p.contains("1971") && !p.contains("QZ"));
    }
}
