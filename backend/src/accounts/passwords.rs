//! argon2id hashing, always on the blocking pool: one hash takes tens of
//! milliseconds of CPU and would stall every request on an async thread.

use crate::error::ServiceError;
use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::RngCore;

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
/// it still does the work of one verification, so timing does not tell
/// whether an account exists.
pub async fn verify(
    password: String,
    stored: Option<PasswordHashString>,
) -> Result<bool, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let dummy;
        let phc = match &stored {
            Some(hash) => hash.0.as_str(),
            None => {
                let salt = new_salt()?;
                dummy = Argon2::default()
                    .hash_password(b"no such account", &salt)
                    .map(|h| h.to_string())
                    .map_err(|e| ServiceError::internal("password hashing failed", e))?;
                dummy.as_str()
            }
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
}
