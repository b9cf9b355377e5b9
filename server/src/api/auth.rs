//! `POST /api/auth/signup|signin|signout`, `GET /api/me`.

use super::{ApiError, ApiJson, created, ok};
use axum::Extension;
use axum::extract::ConnectInfo;
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use brightrun_backend::Services;
use brightrun_backend::accounts::{CurrentUser, client::client_key, cookies, sessions, users};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

pub async fn sign_up(
    Extension(services): Extension<Services>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    let user = users::sign_up(
        &services.pool,
        &body.email,
        &body.password,
        &client_key(&services.config, peer, &headers),
        services.config.signups_per_minute,
    )
    .await?;
    let mut response = created(&user);
    start_session(&services, &headers, user.id, &mut response).await?;
    Ok(response)
}

pub async fn sign_in(
    Extension(services): Extension<Services>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    let user = users::verify_credentials(
        &services.pool,
        &body.email,
        &body.password,
        &client_key(&services.config, peer, &headers),
        services.config.signin_failures_per_minute,
    )
    .await?;
    let mut response = ok(&user);
    start_session(&services, &headers, user.id, &mut response).await?;
    Ok(response)
}

pub async fn sign_out(
    Extension(services): Extension<Services>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookies::session_from(&headers) {
        sessions::delete(&services.pool, &token).await?;
    }
    let mut response = ok(serde_json::json!({ "signed_out": true }));
    set_cookie(
        &mut response,
        &cookies::clear_session(services.config.secure_cookies),
    );
    Ok(response)
}

pub async fn me(
    Extension(services): Extension<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(users::profile(&services.pool, user.id).await?))
}

async fn start_session(
    services: &Services,
    headers: &HeaderMap,
    user_id: uuid::Uuid,
    response: &mut Response,
) -> Result<(), ApiError> {
    let agent = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let token =
        sessions::create(&services.pool, user_id, services.config.session_ttl, agent).await?;
    let cookie = cookies::set_session(
        &token,
        services.config.session_ttl,
        services.config.secure_cookies,
    );
    set_cookie(response, &cookie);
    Ok(())
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}
