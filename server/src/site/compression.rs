//! What the server compresses, and how long browsers may keep it.
//!
//! Brotli or gzip, as `Accept-Encoding` asks, for text the server makes on
//! each request: pages, server-function and REST JSON, SVG. Never for
//! storage downloads (octet-stream, billed by the bytes sent, resumable by
//! byte range), archives, event streams, or a response that is already
//! encoded (the precompressed `/pkg` files) or a byte range.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Response, header};
use axum::middleware::Next;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Content types worth compressing on the fly (the part before any `;`).
const COMPRESSIBLE: [&str; 8] = [
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/wasm",
    "image/svg+xml",
];

#[derive(Clone, Copy)]
pub struct Compressible;

impl Predicate for Compressible {
    fn should_compress<B>(&self, response: &Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        let headers = response.headers();
        media_type(headers).is_some_and(|t| COMPRESSIBLE.contains(&t.as_str()))
            && !headers.contains_key(header::CONTENT_RANGE)
            && !headers.contains_key(header::ACCEPT_RANGES)
    }
}

/// Brotli and gzip at a level that costs little CPU per request.
pub fn compression_layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .no_deflate()
        .no_zstd()
        .quality(CompressionLevel::Precise(4))
        .compress_when(SizeAbove::new(256).and(Compressible))
}

/// Pages are personal and change with every action: never stored. Other
/// responses keep whatever their handler decided.
pub async fn cache_policy(req: Request, next: Next) -> axum::response::Response {
    let mut response = next.run(req).await;
    if media_type(response.headers()).as_deref() == Some("text/html") {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The response's media type, lower-cased, without parameters (`; charset=…`).
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}
