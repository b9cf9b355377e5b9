//! Request middleware: a request id and tracing span for every request, the
//! cross-site request refusal, and the sign-in gate for pages.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use brightrun::url::encode_query_value as encode;
use brightrun_backend::Services;
use brightrun_backend::accounts::extractor::authenticate;
use brightrun_backend::rest_envelope::REQUEST_ID;
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

/// Why a request must be refused as cross-site, if it must: a state-changing
/// request to the API or a server function that a browser sent from another
/// site (`Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin`
/// that is not this host). Requests with an `Authorization` header are
/// scripts with a token, which no other site can make a browser send; so
/// are requests with neither header (no browser sends a POST without them).
fn cross_site_refusal(method: &Method, path: &str, headers: &HeaderMap) -> Option<&'static str> {
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let guarded = path.starts_with("/api/") || path.starts_with("/rpc/");
    if safe || !guarded || headers.contains_key(axum::http::header::AUTHORIZATION) {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return Some("this request came from another site");
    }
    let origin = header("origin")?;
    let host = header("host").unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or("");
    if origin_host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
        return Some("its Origin is not this site");
    }
    None
}

/// Refuses cross-site state-changing requests (see `cross_site_refusal`)
/// with 403 before any handler runs.
pub async fn same_site_only(req: Request, next: Next) -> Response {
    match cross_site_refusal(req.method(), req.uri().path(), req.headers()) {
        Some(why) => {
            tracing::warn!(why, origin = ?req.headers().get("origin"), "cross-site request refused");
            brightrun_backend::rest_envelope::error_response(
                403,
                "cross_site",
                &format!(
                    "Refused: {why}. Use BrightRun from its own pages, or send an API token \
                     (Authorization: Bearer) from scripts."
                ),
                None,
            )
        }
        None => next.run(req).await,
    }
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
pub async fn require_session(
    State(services): State<Services>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if req.method() != Method::GET
        || ["/api/", "/rpc/", "/pkg/", "/storage/", "/v1/"]
            .iter()
            .any(|p| path.starts_with(p))
    {
        return next.run(req).await;
    }
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

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn cross_site_state_changes_are_refused() {
        let post = Method::POST;
        let here = [("host", "app.example:3000")];
        let refused = |path: &str, extra: &[(&'static str, &'static str)]| {
            let mut pairs = here.to_vec();
            pairs.extend_from_slice(extra);
            cross_site_refusal(&post, path, &headers(&pairs)).is_some()
        };
        assert!(refused(
            "/rpc/create_webhook",
            &[("origin", "https://evil.example")]
        ));
        assert!(refused(
            "/api/jobs/x/cancel",
            &[("origin", "http://app.example:3001")]
        ));
        assert!(refused("/api/auth/signin", &[("origin", "null")]));
        assert!(refused("/rpc/sign_in", &[("sec-fetch-site", "same-site")]));
        assert!(refused(
            "/rpc/sign_in",
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://app.example:3000")
            ]
        ));
        // Same origin, typed by the user, scripts, tokens, reads and signed storage URLs pass.
        assert!(!refused(
            "/rpc/sign_in",
            &[("origin", "http://app.example:3000")]
        ));
        assert!(!refused(
            "/rpc/sign_in",
            &[("origin", "https://APP.example:3000/")]
        ));
        assert!(!refused(
            "/rpc/sign_in",
            &[("sec-fetch-site", "same-origin")]
        ));
        assert!(!refused("/api/jobs", &[]));
        assert!(!refused(
            "/api/jobs",
            &[
                ("origin", "https://evil.example"),
                ("authorization", "Bearer brt_x")
            ]
        ));
        assert!(!refused(
            "/storage/datasets/x",
            &[("origin", "https://evil.example")]
        ));
        let get = headers(&[("origin", "https://evil.example")]);
        assert!(cross_site_refusal(&Method::GET, "/api/jobs", &get).is_none());
    }

    #[test]
    fn next_is_percent_encoded() {
        assert_eq!(encode("/models?q=a b&x=1"), "/models%3Fq%3Da%20b%26x%3D1");
    }
}
