//! API tokens for scripts: `brt_` + 43 random characters, shown once at
//! creation, stored as a hash, listed by prefix, revocable, expiring if
//! asked to. Only a signed-in session creates them: a token cannot mint a
//! token that would outlive its own revocation. Every query is scoped by
//! the owner.

use super::extractor::{AuthMethod, CurrentUser};
use super::secrets::SecretToken;
use crate::error::ServiceError;
use brightrun::users::MAX_TOKEN_NAME_CHARS;
use brightrun::{ApiTokenInfo, NewApiToken};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub const TOKEN_PREFIX: &str = "brt_";
/// Characters of the token kept for display: `brt_` and 8 more.
const SHOWN_CHARS: usize = 12;

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    name: String,
    token_prefix: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

/// The longest expiry a token may be given.
pub const MAX_EXPIRY_DAYS: u32 = 3650;

impl From<TokenRow> for ApiTokenInfo {
    fn from(r: TokenRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            prefix: r.token_prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            expires_at: r.expires_at,
        }
    }
}

/// A new token for `creator`, who must be signed in with a session; it
/// expires after `expires_in_days` when given.
#[tracing::instrument(skip(pool, creator), fields(owner = %creator.id))]
pub async fn create(
    pool: &PgPool,
    creator: &CurrentUser,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<NewApiToken, ServiceError> {
    if creator.method != AuthMethod::Session {
        return Err(ServiceError::Forbidden(
            "API tokens are created from a signed-in session (Settings), not with another token."
                .into(),
        ));
    }
    if expires_in_days.is_some_and(|d| d == 0 || d > MAX_EXPIRY_DAYS) {
        return Err(ServiceError::Invalid {
            field: "expires_in_days",
            message: format!("A token expires after 1 to {MAX_EXPIRY_DAYS} days, or never."),
        });
    }
    let owner = creator.id;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS {
        return Err(ServiceError::Invalid {
            field: "name",
            message: format!("Give the token a name of 1 to {MAX_TOKEN_NAME_CHARS} characters."),
        });
    }
    let token = SecretToken::generate(TOKEN_PREFIX);
    let prefix: String = token.expose().chars().take(SHOWN_CHARS).collect();
    let row = sqlx::query_as::<_, TokenRow>(
        "INSERT INTO api_tokens (id, user_id, name, token_prefix, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6))
         RETURNING id, name, token_prefix, created_at, last_used_at, revoked_at, expires_at",
    )
    .bind(Uuid::new_v4())
    .bind(owner)
    .bind(name)
    .bind(&prefix)
    .bind(token.hash())
    .bind(expires_in_days.map(|d| d as i32))
    .fetch_one(pool)
    .await?;
    Ok(NewApiToken {
        info: row.into(),
        token: token.expose().to_string(),
    })
}

pub async fn list(pool: &PgPool, owner: Uuid) -> Result<Vec<ApiTokenInfo>, ServiceError> {
    Ok(sqlx::query_as::<_, TokenRow>(
        "SELECT id, name, token_prefix, created_at, last_used_at, revoked_at, expires_at
         FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(owner)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Into::into)
    .collect())
}

/// Revokes one of the owner's live tokens; anyone else's id is not found.
#[tracing::instrument(skip(pool))]
pub async fn revoke(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = now()
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(owner)
    .execute(pool)
    .await?;
    ServiceError::one_row(done, "API token")
}

/// The user of a live (unrevoked, unexpired) token, recording its use.
pub async fn user_for(
    pool: &PgPool,
    token: &SecretToken,
) -> Result<Option<(Uuid, String)>, ServiceError> {
    if !token.expose().starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    Ok(sqlx::query_as::<_, (Uuid, String)>(
        "UPDATE api_tokens t SET last_used_at = now()
         FROM users u
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL
           AND (t.expires_at IS NULL OR t.expires_at > now())
           AND u.id = t.user_id AND u.deleted_at IS NULL
         RETURNING u.id, u.email",
    )
    .bind(token.hash())
    .fetch_optional(pool)
    .await?)
}
