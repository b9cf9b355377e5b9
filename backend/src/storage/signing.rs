//! Signed URLs for the local store: HMAC-SHA256 over method, object path,
//! expiry and maximum size. The key is made on first run and kept in the data
//! folder (or given by `BRIGHTRUN_STORAGE_KEY`); changing it voids every URL.

use crate::hmac_sha256;
use std::path::Path;

/// The signing key; no `Serialize`, and `Debug` redacts it.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    pub fn from_hex(hex_key: &str) -> Option<Self> {
        let bytes = hex::decode(hex_key.trim()).ok()?;
        (bytes.len() >= 32).then_some(Self(bytes))
    }

    /// Reads `storage.key` from the data folder, creating it (0600) if absent.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Self> {
        use rand::RngCore;
        let path = data_dir.join("storage.key");
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Some(key) = Self::from_hex(&text)
        {
            return Ok(key);
        }
        std::fs::create_dir_all(data_dir)?;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        // Written into a file that is 0600 from its creation, then linked
        // into place: the key is never readable by others, not even for a
        // moment, and of two servers starting at once the first link wins
        // and the other reads that key.
        let temp = data_dir.join(format!(".storage.key.{}", uuid::Uuid::new_v4()));
        let written = (|| {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temp)?;
            file.write_all(hex::encode(bytes).as_bytes())?;
            file.sync_all()?;
            std::fs::hard_link(&temp, &path)
        })();
        let _ = std::fs::remove_file(&temp);
        match written {
            Ok(()) => Ok(Self(bytes.to_vec())),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(&path)?;
                Self::from_hex(&text).ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, "storage.key is not hex")
                })
            }
            Err(e) => Err(e),
        }
    }

    fn message(method: &str, path: &str, expires: i64, max_bytes: u64) -> String {
        format!("{method}\n{path}\n{expires}\n{max_bytes}")
    }

    pub fn sign(&self, method: &str, path: &str, expires: i64, max_bytes: u64) -> String {
        let message = Self::message(method, path, expires, max_bytes);
        hex::encode(hmac_sha256::sign(&self.0, &[message.as_bytes()]))
    }

    /// Constant-time check of a signature.
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        expires: i64,
        max_bytes: u64,
        signature: &str,
    ) -> bool {
        let Ok(sig) = hex::decode(signature) else {
            return false;
        };
        let message = Self::message(method, path, expires, max_bytes);
        hmac_sha256::verify(&self.0, &[message.as_bytes()], &sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_breaks_the_signature() {
        let key = SigningKey::from_hex(&"ab".repeat(32)).unwrap();
        let sig = key.sign("PUT", "lora-datasets/u/d/f.jsonl", 100, 500);
        assert!(key.verify("PUT", "lora-datasets/u/d/f.jsonl", 100, 500, &sig));
        assert!(!key.verify("GET", "lora-datasets/u/d/f.jsonl", 100, 500, &sig));
        assert!(!key.verify("PUT", "lora-datasets/u/d/g.jsonl", 100, 500, &sig));
        assert!(!key.verify("PUT", "lora-datasets/u/d/f.jsonl", 101, 500, &sig));
        assert!(!key.verify("PUT", "lora-datasets/u/d/f.jsonl", 100, 501, &sig));
        assert!(!key.verify("PUT", "lora-datasets/u/d/f.jsonl", 100, 500, "zz"));
        let other = SigningKey::from_hex(&"cd".repeat(32)).unwrap();
        assert!(!other.verify("PUT", "lora-datasets/u/d/f.jsonl", 100, 500, &sig));
        assert!(!format!("{key:?}").contains("ab"));
    }

    #[test]
    fn the_key_is_kept_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let a = SigningKey::load_or_create(dir.path()).unwrap();
        let b = SigningKey::load_or_create(dir.path()).unwrap();
        assert_eq!(a.sign("GET", "p", 1, 0), b.sign("GET", "p", 1, 0));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("storage.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
    }

    #[test]
    fn servers_starting_at_once_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let keys: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        SigningKey::load_or_create(&path)
                            .unwrap()
                            .sign("GET", "p", 1, 0)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
    }
}
