//! argon2id hashing, always on the blocking pool: one hash takes tens of
//! milliseconds of CPU and would stall every request on an async thread.
//! At most one hash per core runs at once (each holds 19 MiB): a burst of
//! sign-ups or sign-ins waits its turn instead of taking every blocking
//! thread and memory with it.

use crate::error::ServiceError;
use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::RngCore;
use std::sync::LazyLock;
use tokio::sync::{Semaphore, SemaphorePermit};

static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// Verified against when the email has no account: the same work as a real
/// verification, from a hash made once.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("16 bytes encode");
    Argon2::default()
        .hash_password(b"no such account", &salt)
        .expect("argon2 with default parameters")
        .to_string()
});

async fn permit() -> Result<SemaphorePermit<'static>, ServiceError> {
    HASHING
        .acquire()
        .await
        .map_err(|e| ServiceError::internal("password hashing closed", e))
}

/// Hashes running now (for tests and metrics).
pub fn hashing_now() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) - HASHING.available_permits()
}

/// A PHC-format argon2id hash; no `Serialize`, and `Debug` redacts it.
#[derive(Clone)]
pub struct PasswordHashString(pub(crate) String);

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString(<redacted>)")
    }
}

fn new_salt() -> Result<SaltString, ServiceError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes).map_err(|e| ServiceError::internal("salt encoding failed", e))
}

pub async fn hash(password: String) -> Result<PasswordHashString, ServiceError> {
    let _permit = permit().await?;
    tokio::task::spawn_blocking(move || {
        let salt = new_salt()?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| PasswordHashString(h.to_string()))
            .map_err(|e| ServiceError::internal("password hashing failed", e))
    })
    .await
    .map_err(|e| ServiceError::internal("password hashing task failed", e))?
}

/// True when `password` matches `stored`. With no stored hash (unknown email)
/// it verifies against a dummy hash instead: one argon2 run either way, so
/// timing does not tell whether an account exists.
pub async fn verify(
    password: String,
    stored: Option<PasswordHashString>,
) -> Result<bool, ServiceError> {
    let _permit = permit().await?;
    tokio::task::spawn_blocking(move || {
        let phc = match &stored {
            Some(hash) => hash.0.as_str(),
            None => DUMMY_HASH.as_str(),
        };
        let parsed = PasswordHash::new(phc)
            .map_err(|e| ServiceError::internal("stored password hash unreadable", e))?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && stored.is_some())
    })
    .await
    .map_err(|e| ServiceError::internal("password verification task failed", e))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse battery".into()).await.unwrap();
        let b = hash("correct horse battery".into()).await.unwrap();
        assert!(a.0.starts_with("$argon2id$"));
        assert_ne!(a.0, b.0, "each hash has its own salt");
        assert!(
            verify("correct horse battery".into(), Some(a.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery".into(), Some(a)).await.unwrap());
        assert!(!verify("anything at all".into(), None).await.unwrap());
        assert!(!format!("{b:?}").contains("argon2"));
    }

    #[tokio::test]
    async fn the_dummy_password_never_signs_in_an_unknown_email() {
        assert!(!verify("no such account".into(), None).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_there_are_cores() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let watcher = {
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(hashing_now(), std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
            })
        };
        let burst = (0..cores * 4).map(|i| hash(format!("password number {i}")));
        for hashed in futures::future::join_all(burst).await {
            assert!(hashed.unwrap().0.starts_with("$argon2id$"));
        }
        watcher.abort();
        let peak = peak.load(std::sync::atomic::Ordering::SeqCst);
        assert!(peak >= 1 && peak <= cores, "peak {peak} of {cores}");
    }
}
