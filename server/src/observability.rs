//! The operators' metrics over HTTP: the middleware that counts every
//! request by its route template, and the Prometheus endpoint, `GET
//! /metrics`, served on its own address (`BRIGHTRUN_METRICS_ADDR`, off by
//! default) so that it needs no sign-in and never shares the site's
//! port. What is measured is named in `brightrun_backend::observability`.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use brightrun_backend::Services;
use brightrun_backend::observability::{Metrics, UNMATCHED, render, scrape};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Counts the request and times it to its response head, labelled with the
/// route that matched (`/api/jobs/{id}`, never the path itself: one series a
/// route, whatever ids clients send) or `unmatched`.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let method = req.method().clone();
    let response = next.run(req).await;
    metrics.http_request(
        method.as_str(),
        route.as_deref().unwrap_or(UNMATCHED),
        response.status().as_u16(),
        start.elapsed(),
    );
    response
}

/// The metrics address's only route.
pub fn router(services: Services) -> Router {
    Router::new()
        .route("/metrics", get(scrape_handler))
        .with_state(services)
}

async fn scrape_handler(State(services): State<Services>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, scrape::CONTENT_TYPE)],
        render(&services).await,
    )
}

/// Listens on `BRIGHTRUN_METRICS_ADDR`, when it is set, and serves the
/// endpoint until the returned task is aborted.
pub async fn listen(services: &Services) -> std::io::Result<Option<JoinHandle<()>>> {
    let Some(addr) = services.config.server.metrics_addr else {
        return Ok(None);
    };
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen for metrics on {addr}: {e}. Set BRIGHTRUN_METRICS_ADDR to a free address."),
        )
    })?;
    let bound = listener.local_addr()?;
    services.observability.set_listening(bound);
    tracing::info!("metrics at http://{bound}/metrics");
    let app = router(services.clone());
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!("metrics endpoint stopped: {e}");
        }
    })))
}
