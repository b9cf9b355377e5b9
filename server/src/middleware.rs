//! Request middleware: a request id and tracing span for every request, and
//! the sign-in gate for pages.

use axum::extract::Request;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use brightrun::url::encode_query_value as encode;
use brightrun_backend::Services;
use brightrun_backend::accounts::extractor::authenticate;
use brightrun_backend::http::REQUEST_ID;
use tracing::Instrument;
use uuid::Uuid;

/// Gives the request an id (in the task-local every error body reads, in the
/// `x-request-id` response header and in the log span) and logs its outcome.
pub async fn request_context(req: Request, next: Next) -> Response {
    let id = Uuid::new_v4();
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    REQUEST_ID
        .scope(id, async move {
            let started = std::time::Instant::now();
            let mut response = next.run(req).await;
            let status = response.status().as_u16();
            if status >= 500 {
                tracing::error!(
                    status,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "request failed"
                );
            } else {
                tracing::debug!(
                    status,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "request done"
                );
            }
            if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
                response.headers_mut().insert("x-request-id", value);
            }
            response
        })
        .instrument(span)
        .await
}

/// Paths that need no session: sign-in, sign-up, the API and server
/// functions (which answer 401 themselves) and static files.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/signin" | "/signup" | "/favicon.svg" | "/favicon.ico"
    ) || ["/api/", "/rpc/", "/pkg/", "/storage/"]
        .iter()
        .any(|p| path.starts_with(p))
        || path == "/api"
}

/// Page loads without a session go to `/signin?next=…`; signed-in visitors
/// of the sign-in pages go to the dashboard. A forged or expired cookie is
/// no session.
pub async fn require_session(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if req.method() != Method::GET
        || ["/api/", "/rpc/", "/pkg/", "/storage/"]
            .iter()
            .any(|p| path.starts_with(p))
    {
        return next.run(req).await;
    }
    let Some(services) = req.extensions().get::<Services>().cloned() else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let user = match authenticate(&services, &parts).await {
        Ok(user) => user,
        Err(brightrun_backend::ServiceError::Unauthenticated) => None,
        Err(err) => return err.into_response(),
    };
    let req = Request::from_parts(parts, body);
    match (user, is_public(&path)) {
        (None, false) => {
            let target = match req.uri().path_and_query() {
                Some(pq) if pq.as_str() != "/" => format!("/signin?next={}", encode(pq.as_str())),
                _ => "/signin".to_string(),
            };
            Redirect::to(&target).into_response()
        }
        (Some(_), true) if path == "/signin" || path == "/signup" => {
            Redirect::to("/").into_response()
        }
        _ => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_auth_pages_api_and_assets_are_public() {
        for p in [
            "/signin",
            "/signup",
            "/api/me",
            "/rpc/sign_in",
            "/pkg/brightrun.js",
            "/favicon.svg",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/", "/datasets", "/training/jobs", "/settings", "/nope"] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn next_is_percent_encoded() {
        assert_eq!(encode("/models?q=a b&x=1"), "/models%3Fq%3Da%20b%26x%3D1");
    }
}
