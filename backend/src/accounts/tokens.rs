//! API tokens for scripts: `brt_` + 43 random characters, shown once at
//! creation, stored as a hash, listed by prefix, revocable, expiring if
//! asked to. Only a signed-in session creates them: a token cannot mint a
//! token that would outlive its own revocation. Every query is scoped by
//! the owner.

use super::extractor::{AuthMethod, CurrentUser};
use super::queries::{self, NewTokenRow, TokenRow};
use super::secrets::SecretToken;
use crate::error::ServiceError;
use crate::services::Services;
use brightrun::users::MAX_TOKEN_NAME_CHARS;
use brightrun::{ApiTokenInfo, NewApiToken};
use sqlx::PgPool;
use uuid::Uuid;

pub const TOKEN_PREFIX: &str = "brt_";
/// Characters of the token kept for display: `brt_` and 8 more.
const SHOWN_CHARS: usize = 12;

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
#[tracing::instrument(skip_all, fields(owner = %creator.id))]
pub async fn create(
    services: &Services,
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
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS {
        return Err(ServiceError::Invalid {
            field: "name",
            message: format!("Give the token a name of 1 to {MAX_TOKEN_NAME_CHARS} characters."),
        });
    }
    let token = SecretToken::generate(TOKEN_PREFIX);
    let prefix: String = token.expose().chars().take(SHOWN_CHARS).collect();
    let row = queries::insert_token(
        &services.pool,
        NewTokenRow {
            id: Uuid::new_v4(),
            owner: creator.id,
            name,
            prefix: &prefix,
            hash: token.hash(),
            expires_in_days: expires_in_days.map(|d| d as i32),
        },
    )
    .await?;
    Ok(NewApiToken {
        info: row.into(),
        token: token.expose().to_string(),
    })
}

#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn list(services: &Services, owner: Uuid) -> Result<Vec<ApiTokenInfo>, ServiceError> {
    Ok(queries::tokens(&services.pool, owner)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Revokes one of the owner's live tokens; anyone else's id is not found.
#[tracing::instrument(skip_all, fields(owner = %owner, token_id = %id))]
pub async fn revoke(services: &Services, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let done = queries::revoke_token(&services.pool, owner, id).await?;
    ServiceError::one_row(done, "API token")
}

/// The user of a live (unrevoked, unexpired) token, recording its use.
pub(crate) async fn user_for(
    pool: &PgPool,
    token: &SecretToken,
) -> Result<Option<CurrentUser>, ServiceError> {
    if !token.expose().starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    Ok(queries::token_holder(pool, &token.hash())
        .await?
        .map(|holder| CurrentUser {
            id: holder.id,
            email: holder.email,
            method: AuthMethod::ApiToken,
        }))
}
