//! `CurrentUser`: the one extractor REST handlers and server functions share.
//! It accepts `Authorization: Bearer brt_…` (API tokens) or the session
//! cookie, and rejects with `Unauthenticated` (401) otherwise. It finds the
//! services in the request extensions, so it works with any router state.

use super::{cookies, sessions, tokens};
use crate::error::ServiceError;
use crate::services::Services;
use axum::extract::FromRequestParts;
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

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let services = parts
            .extensions
            .get::<Services>()
            .cloned()
            .ok_or_else(|| ServiceError::internal("auth", "Services extension missing"))?;
        let user = authenticate(&services, parts)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The signed-in user, or `None` for an anonymous request. A bearer header
/// that is present but wrong is a failure, not a fallback to the cookie.
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
            Some((id, email)) => Ok(Some(CurrentUser {
                id,
                email,
                method: AuthMethod::ApiToken,
            })),
            None => Err(ServiceError::Unauthenticated),
        };
    }
    let Some(token) = cookies::session_from(&parts.headers) else {
        return Ok(None);
    };
    Ok(sessions::user_for(&services.pool, &token)
        .await?
        .map(|(id, email)| CurrentUser {
            id,
            email,
            method: AuthMethod::Session,
        }))
}
