//! `POST /api/auth/signup|signin|signout`, `GET /api/me`. The flows are
//! `brightrun_backend::accounts`' (the server functions call the same);
//! these handlers read the request and put the session cookie on the answer.

use super::{ApiError, ApiJson, created, ok};
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use brightrun_backend::Services;
use brightrun_backend::accounts::{self, Client, CurrentUser, SessionCookie, users};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

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

pub async fn me(State(services): State<Services>, user: CurrentUser) -> Result<Response, ApiError> {
    Ok(ok(users::profile(&services, user.id).await?))
}

fn with_cookie(mut response: Response, cookie: &SessionCookie) -> Response {
    if let Some(value) = cookie.header_value() {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
