//! Server-side helpers for server functions: the services from context and
//! the session user, through the same authentication as the REST API.

use crate::AppError;
use brightrun_backend::Services;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::accounts::extractor::authenticate;
use leptos::prelude::*;

pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        AppError::from(brightrun_backend::ServiceError::internal(
            "server fn",
            "Services missing from context",
        ))
    })
}

/// The signed-in user, or `None`.
pub async fn optional_user() -> Result<Option<CurrentUser>, AppError> {
    let services = services()?;
    let parts = use_context::<axum::http::request::Parts>().ok_or_else(|| {
        AppError::from(brightrun_backend::ServiceError::internal(
            "server fn",
            "request parts missing",
        ))
    })?;
    Ok(authenticate(&services, &parts).await?)
}

/// The signed-in user, or `Unauthenticated` (HTTP 401).
pub async fn current_user() -> Result<CurrentUser, AppError> {
    optional_user()
        .await?
        .ok_or_else(|| brightrun_backend::ServiceError::Unauthenticated.into())
}

/// The client, as sign-up and sign-in count it and the session records it
/// (see `accounts::client`).
pub fn client(services: &Services) -> brightrun_backend::accounts::Client {
    let parts = use_context::<axum::http::request::Parts>();
    let peer = parts.as_ref().and_then(|p| {
        p.extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0)
    });
    let headers = parts.map(|p| p.headers).unwrap_or_default();
    brightrun_backend::accounts::Client::from_request(services, peer, &headers)
}
