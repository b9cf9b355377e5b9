//! `CurrentUser`: the one extractor REST handlers and server functions share.
//! It accepts `Authorization: Bearer brt_…` (API tokens) or the session
//! cookie, and rejects with `Unauthenticated` (401) otherwise. It takes the
//! services from the router's state, so it works with any state that holds
//! them (`Services: FromRef<S>`); server functions call `authenticate`.

use super::{cookies, sessions, tokens};
use crate::error::ServiceError;
use crate::services::Services;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

/// How the request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    ApiToken,
}

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub method: AuthMethod,
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    Services: FromRef<S>,
{
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let services = Services::from_ref(state);
        let user = authenticate(&services, parts)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The signed-in user, or `None` for an anonymous request. A bearer header
/// that is present but wrong is a failure, not a fallback to the cookie.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn authenticate(
    services: &Services,
    parts: &Parts,
) -> Result<Option<CurrentUser>, ServiceError> {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let value = header.to_str().unwrap_or_default();
        let Some(token) = value.strip_prefix("Bearer ").map(str::trim) else {
            return Err(ServiceError::Unauthenticated);
        };
        let token = super::SecretToken::from_client(token);
        return match tokens::user_for(&services.pool, &token).await? {
            Some(user) => Ok(Some(user)),
            None => Err(ServiceError::Unauthenticated),
        };
    }
    let Some(token) = cookies::session_from(&parts.headers) else {
        return Ok(None);
    };
    sessions::user_for(&services.pool, &token).await
}
