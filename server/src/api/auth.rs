//! `POST /api/auth/signup|signin|signout`, `GET /api/me`. The flows are
//! `brightrun_backend::accounts`' (the server functions call the same);
//! these handlers read the request and put the session cookie on the answer.

use super::openapi::schemas::{Envelope, ErrorBody, SignedOut};
use super::{ApiError, ApiJson, created, ok};
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use brightrun::UserProfile;
use brightrun_backend::Services;
use brightrun_backend::accounts::{self, Client, CurrentUser, SessionCookie, users};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    email: String,
    password: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/signup",
    summary = "Create an account",
    tag = "accounts",
    security(()),
    request_body = Credentials,
    responses(
        (status = 201, description = "Signed up and signed in; the session cookie is set", body = Envelope<UserProfile>),
        (status = 409, description = "An account with this email exists (`email_taken`)", body = ErrorBody),
        (status = 429, description = "Too many attempts from here (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn sign_up(
    State(services): State<Services>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    let client = Client::from_request(&services, Some(peer), &headers);
    let (user, cookie) = accounts::sign_up(&services, &body.email, &body.password, &client).await?;
    Ok(with_cookie(created(&user), &cookie))
}

#[utoipa::path(
    post,
    path = "/api/auth/signin",
    summary = "Sign in",
    tag = "accounts",
    security(()),
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = Envelope<UserProfile>),
        (status = 401, description = "Email or password is incorrect (`invalid_credentials`)", body = ErrorBody),
        (status = 429, description = "Too many attempts from here (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn sign_in(
    State(services): State<Services>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    let client = Client::from_request(&services, Some(peer), &headers);
    let (user, cookie) = accounts::sign_in(&services, &body.email, &body.password, &client).await?;
    Ok(with_cookie(ok(&user), &cookie))
}

#[utoipa::path(
    post,
    path = "/api/auth/signout",
    summary = "Sign out",
    tag = "accounts",
    security(()),
    responses(
        (status = 200, description = "The session (if any) ended; the cookie is cleared", body = Envelope<SignedOut>),
    )
)]
pub async fn sign_out(
    State(services): State<Services>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let cookie = accounts::sign_out(&services, &headers).await?;
    Ok(with_cookie(
        ok(serde_json::json!({ "signed_out": true })),
        &cookie,
    ))
}

#[utoipa::path(
    get,
    path = "/api/me",
    summary = "The signed-in user",
    tag = "accounts",
    responses(
        (status = 200, description = "The caller", body = Envelope<UserProfile>),
    )
)]
pub async fn me(State(services): State<Services>, user: CurrentUser) -> Result<Response, ApiError> {
    Ok(ok(users::profile(&services, user.id).await?))
}

fn with_cookie(mut response: Response, cookie: &SessionCookie) -> Response {
    if let Some(value) = cookie.header_value() {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
