//! Accounts in the `users` table: creating one, checking a sign-in's
//! credentials, and the profile. Sign-up and sign-in themselves (with the
//! session they start) are in `sessions`.

use super::passwords::{self, PasswordHashString};
use super::{queries, rate_limit};
use crate::error::ServiceError;
use crate::services::Services;
use brightrun::{Email, UserProfile, validate_password};
use sqlx::PgPool;
use uuid::Uuid;

impl From<queries::UserRow> for UserProfile {
    fn from(row: queries::UserRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            created_at: row.created_at,
        }
    }
}

/// Creates an account. Sign-ups per client are limited (`limit` a minute);
/// then the rules (named field), then the unique email (409), checked before
/// the password is hashed so that a taken email costs no argon2 run.
pub(crate) async fn create(
    pool: &PgPool,
    email: &str,
    password: &str,
    client: &str,
    limit: u32,
) -> Result<UserProfile, ServiceError> {
    rate_limit::hit(pool, &[format!("signup:{client}")], limit).await?;
    let email = Email::parse(email)?;
    validate_password(password)?;
    if queries::email_taken(pool, email.as_str()).await? {
        return Err(ServiceError::EmailTaken);
    }
    let hash = passwords::hash(password.to_string()).await?;
    queries::insert_user(pool, Uuid::new_v4(), email.as_str(), &hash.0)
        .await?
        .map(Into::into)
        .ok_or(ServiceError::EmailTaken)
}

/// Checks email and password, counting failures per email and per client
/// (`client` is already a rate-limit key: an address or an IPv6 /64). Every
/// try is counted before the password is checked, and a success is taken
/// back, so a concurrent burst cannot pass the limit. Unknown email and
/// wrong password give the same error after the same work.
pub(crate) async fn verify_credentials(
    pool: &PgPool,
    email: &str,
    password: &str,
    client: &str,
    limit: u32,
) -> Result<UserProfile, ServiceError> {
    let keys = [
        format!("email:{}", email.trim().to_lowercase()),
        format!("client:{client}"),
    ];
    rate_limit::hit(pool, &keys, limit).await?;

    let found = match Email::parse(email) {
        Ok(email) => queries::credentials(pool, email.as_str()).await?,
        Err(_) => None,
    };
    let (user, stored) = match found {
        Some(row) => (
            Some(UserProfile {
                id: row.id,
                email: row.email,
                created_at: row.created_at,
            }),
            Some(PasswordHashString(row.password_hash)),
        ),
        None => (None, None),
    };
    if passwords::verify(password.to_string(), stored).await?
        && let Some(user) = user
    {
        rate_limit::forgive(pool, &keys).await?;
        return Ok(user);
    }
    Err(ServiceError::InvalidCredentials)
}

/// The profile of a live account, scoped by its id.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn profile(services: &Services, user_id: Uuid) -> Result<UserProfile, ServiceError> {
    queries::user(&services.pool, user_id)
        .await?
        .map(Into::into)
        .ok_or(ServiceError::Unauthenticated)
}
