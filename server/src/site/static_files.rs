//! `/pkg`: the bundle and stylesheet, served from disk with the brotli or
//! gzip copy the prepare step made when the browser accepts it. Hashed
//! names never change content, so browsers keep them for a year without
//! asking; anything else under `/pkg` (a development build) is revalidated.

use super::Manifest;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::path::Path;
use std::sync::Arc;
use tower_http::services::ServeDir;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// The `/pkg` router for the site under `site_root`.
pub fn pkg_service<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let manifest = Arc::new(Manifest::read(site_root));
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let manifest = manifest.clone();
            async move { with_cache_control(&manifest, req, next).await }
        }))
}

async fn with_cache_control(manifest: &Option<Manifest>, req: Request, next: Next) -> Response {
    let file = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    let mut response = next.run(req).await;
    if !response.status().is_success() {
        return response;
    }
    let hashed = manifest.as_ref().is_some_and(|m| m.is_hashed(&file));
    let value = if hashed { IMMUTABLE } else { REVALIDATE };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}
