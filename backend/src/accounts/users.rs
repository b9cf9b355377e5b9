//! Sign-up and credential checks against the `users` table.

use super::passwords::{self, PasswordHashString};
use super::rate_limit;
use crate::error::ServiceError;
use brightrun::{Email, UserProfile, validate_password};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    created_at: DateTime<Utc>,
}

impl From<UserRow> for UserProfile {
    fn from(row: UserRow) -> Self {
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
#[tracing::instrument(skip(pool, password, limit))]
pub async fn sign_up(
    pool: &PgPool,
    email: &str,
    password: &str,
    client: &str,
    limit: u32,
) -> Result<UserProfile, ServiceError> {
    rate_limit::hit(pool, &[format!("signup:{client}")], limit).await?;
    let email = Email::parse(email)?;
    validate_password(password)?;
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = $1 AND deleted_at IS NULL)",
    )
    .bind(email.as_str())
    .fetch_one(pool)
    .await?;
    if taken {
        return Err(ServiceError::EmailTaken);
    }
    let hash = passwords::hash(password.to_string()).await?;
    let row = sqlx::query_as::<_, UserRow>(
        "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)
         ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING
         RETURNING id, email, created_at",
    )
    .bind(Uuid::new_v4())
    .bind(email.as_str())
    .bind(&hash.0)
    .fetch_optional(pool)
    .await?;
    row.map(Into::into).ok_or(ServiceError::EmailTaken)
}

/// Checks email and password, counting failures per email and per client
/// (`client` is already a rate-limit key: an address or an IPv6 /64). Every
/// try is counted before the password is checked, and a success is taken
/// back, so a concurrent burst cannot pass the limit. Unknown email and
/// wrong password give the same error after the same work.
#[tracing::instrument(skip(pool, password, limit))]
pub async fn verify_credentials(
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
        Ok(email) => {
            sqlx::query_as::<_, (Uuid, String, DateTime<Utc>, String)>(
                "SELECT id, email, created_at, password_hash FROM users
             WHERE email = $1 AND deleted_at IS NULL",
            )
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?
        }
        Err(_) => None,
    };
    let (user, stored) = match found {
        Some((id, email, created_at, hash)) => (
            Some(UserRow {
                id,
                email,
                created_at,
            }),
            Some(PasswordHashString(hash)),
        ),
        None => (None, None),
    };
    if passwords::verify(password.to_string(), stored).await?
        && let Some(user) = user
    {
        rate_limit::forgive(pool, &keys).await?;
        return Ok(user.into());
    }
    Err(ServiceError::InvalidCredentials)
}

/// The profile of a live account, scoped by its id.
pub async fn profile(pool: &PgPool, user_id: Uuid) -> Result<UserProfile, ServiceError> {
    sqlx::query_as::<_, UserRow>(
        "SELECT id, email, created_at FROM users WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?
    .map(Into::into)
    .ok_or(ServiceError::Unauthenticated)
}
