//! The site as a browser gets it: the prepared bundle under content-hashed
//! names with its brotli and gzip copies and a year of caching, pages and
//! JSON compressed as `Accept-Encoding` asks and pages never cached, and
//! storage downloads passed through byte for byte.

use crate::common::TestApp;
use sqlx::PgPool;
use std::io::Read;

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
    out
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A site root holding a prepared bundle made from small stand-in files.
fn prepared_site() -> (tempfile::TempDir, String, Vec<u8>) {
    let site = tempfile::tempdir().unwrap();
    let bindgen = site.path().join("bindgen");
    std::fs::create_dir_all(&bindgen).unwrap();
    let wasm: Vec<u8> = b"\0asm"
        .iter()
        .copied()
        .chain((0..20_000u32).flat_map(|i| (i % 251).to_le_bytes()))
        .collect();
    std::fs::write(
        bindgen.join("brightrun.js"),
        "export default function init() {}\n".repeat(50),
    )
    .unwrap();
    std::fs::write(bindgen.join("brightrun_bg.wasm"), &wasm).unwrap();
    std::fs::write(bindgen.join("main.css"), "body { margin: 0 }\n".repeat(100)).unwrap();
    let prepared = brightrun_server::site::prepare(
        &bindgen,
        "brightrun",
        &bindgen.join("main.css"),
        &site.path().join("pkg"),
    )
    .unwrap();
    (site, prepared.manifest.output_name, wasm)
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_bundle_is_served_hashed_precompressed_and_cached_for_good(pool: PgPool) {
    let (site, name, wasm) = prepared_site();
    let root = site.path().display().to_string();
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_SITE_ROOT", root.as_str())]).await;
    let c = app.script();

    let html = c.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(
        html.headers()["cache-control"],
        "no-store",
        "pages are never cached"
    );
    let html = html.text().await.unwrap();
    assert!(
        html.contains(&format!("/pkg/{name}.js")),
        "the hashed bundle is linked: {html}"
    );
    assert!(html.contains(&format!("/pkg/{name}_bg.wasm")));
    assert!(html.contains(&format!("/pkg/{name}.css")));

    let file = format!("/pkg/{name}_bg.wasm");
    for (accept, encoding) in [
        ("gzip, deflate, br", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let res = c
            .get(app.url(&file))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{accept}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(res.headers()["content-type"], "application/wasm");
        let got = res
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(got.as_deref(), encoding, "{accept}");
        let body = res.bytes().await.unwrap().to_vec();
        let body = match encoding {
            Some("br") => unbrotli(&body),
            Some("gzip") => gunzip(&body),
            _ => body,
        };
        assert_eq!(body, wasm, "{accept}: the same bytes once decoded");
    }
    // A name that is not the current bundle's is not cached for good.
    let stale = c.get(app.url("/pkg/brightrun.js")).send().await.unwrap();
    assert_eq!(stale.status(), 404);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn pages_and_json_are_compressed_downloads_are_not(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("zip@example.com").await;

    let page = client
        .get(app.url("/training/configure"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-encoding"], "br");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = String::from_utf8(unbrotli(&page.bytes().await.unwrap())).unwrap();
    assert!(html.contains("<h1>"), "{html}");

    let options = client
        .get(app.url("/api/training/options"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 200, "{:?}", options.headers());
    assert_eq!(options.headers()["content-encoding"], "gzip");
    let json: serde_json::Value =
        serde_json::from_slice(&gunzip(&options.bytes().await.unwrap())).unwrap();
    assert_eq!(json["success"], true);

    // A stored file, however compressible, arrives as stored, ranges and all.
    let stored = "{\"messages\": []}\n".repeat(2_000);
    app.services
        .storage
        .put_bytes("site-test/data.jsonl", stored.clone().into())
        .await
        .unwrap();
    let signed = app
        .services
        .storage
        .download_url("site-test/data.jsonl", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let url = if signed.url.starts_with("http") {
        signed.url
    } else {
        app.url(&signed.url)
    };
    let res = app
        .script()
        .get(url)
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get("content-encoding").is_none(),
        "{:?}",
        res.headers()
    );
    assert_eq!(res.bytes().await.unwrap(), stored.as_bytes());
}
