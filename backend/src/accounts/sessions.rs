//! Server-side sessions: sign-up and sign-in start one, sign-out ends it.
//! The cookie holds a random token; the row holds its hash, the user and
//! the expiry. An unknown, forged or expired token is simply no session.
//! REST handlers and server functions both call these and only put the
//! returned [`SessionCookie`] on their response.

use super::client::Client;
use super::cookies::{self, SessionCookie};
use super::extractor::{AuthMethod, CurrentUser};
use super::secrets::SecretToken;
use super::{queries, users};
use crate::error::ServiceError;
use crate::services::Services;
use brightrun::UserProfile;
use http::HeaderMap;
use sqlx::PgPool;
use sqlx::postgres::types::PgInterval;
use uuid::Uuid;

/// Most characters of the user agent a session keeps.
const USER_AGENT_CHARS: usize = 300;

/// Creates an account (see `users::create` for the checks and the limit)
/// and signs it in.
#[tracing::instrument(skip_all, fields(client = %client.key, user_id))]
pub async fn sign_up(
    services: &Services,
    email: &str,
    password: &str,
    client: &Client,
) -> Result<(UserProfile, SessionCookie), ServiceError> {
    let limit = services.config.accounts.signups_per_minute;
    let user = users::create(&services.pool, email, password, &client.key, limit).await?;
    tracing::Span::current().record("user_id", tracing::field::display(user.id));
    let cookie = start(services, user.id, client.user_agent.as_deref()).await?;
    Ok((user, cookie))
}

/// Checks the credentials (see `users::verify_credentials` for the limits)
/// and starts a session.
#[tracing::instrument(skip_all, fields(client = %client.key, user_id))]
pub async fn sign_in(
    services: &Services,
    email: &str,
    password: &str,
    client: &Client,
) -> Result<(UserProfile, SessionCookie), ServiceError> {
    let limit = services.config.accounts.signin_failures_per_minute;
    let user =
        users::verify_credentials(&services.pool, email, password, &client.key, limit).await?;
    tracing::Span::current().record("user_id", tracing::field::display(user.id));
    let cookie = start(services, user.id, client.user_agent.as_deref()).await?;
    Ok((user, cookie))
}

/// Ends the session of the request's cookie, if it has one, and returns the
/// cookie that clears it in the browser either way.
#[tracing::instrument(skip_all)]
pub async fn sign_out(
    services: &Services,
    headers: &HeaderMap,
) -> Result<SessionCookie, ServiceError> {
    if let Some(token) = cookies::session_from(headers) {
        queries::delete_session(&services.pool, &token.hash()).await?;
    }
    Ok(SessionCookie::clear(services.config.server.secure_cookies))
}

/// A new session for `user_id`, lasting `BRIGHTRUN_SESSION_TTL`, and its cookie.
async fn start(
    services: &Services,
    user_id: Uuid,
    user_agent: Option<&str>,
) -> Result<SessionCookie, ServiceError> {
    let token = SecretToken::generate("");
    let ttl = services.config.accounts.session_ttl;
    let lasts = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(30));
    let lasts = PgInterval::try_from(lasts)
        .map_err(|e| ServiceError::internal("session lifetime out of range", e))?;
    let agent: Option<String> = user_agent.map(|ua| ua.chars().take(USER_AGENT_CHARS).collect());
    queries::insert_session(
        &services.pool,
        &token.hash(),
        user_id,
        lasts,
        agent.as_deref(),
    )
    .await?;
    Ok(SessionCookie::set(
        &token,
        ttl,
        services.config.server.secure_cookies,
    ))
}

/// The user of a live session, marking it seen.
pub(crate) async fn user_for(
    pool: &PgPool,
    token: &SecretToken,
) -> Result<Option<CurrentUser>, ServiceError> {
    Ok(queries::session_holder(pool, &token.hash())
        .await?
        .map(|holder| CurrentUser {
            id: holder.id,
            email: holder.email,
            method: AuthMethod::Session,
        }))
}

/// Removes expired sessions; run from time to time.
#[tracing::instrument(skip_all)]
pub async fn delete_expired(services: &Services) -> Result<u64, ServiceError> {
    queries::delete_expired_sessions(&services.pool).await
}
