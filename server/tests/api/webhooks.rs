//! Webhooks never reach the server's own machine or network: internal
//! addresses are refused when a hook is added and again on every delivery
//! (a name that turns internal later, as a rebinding DNS server makes it),
//! unless `BRIGHTRUN_WEBHOOK_ALLOW` names the receiver. Every receiver here
//! is on loopback; the refused addresses are never connected to.

use crate::common::{TestApp, ready_dataset};
use serde_json::json as j;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A receiver on 127.0.0.1 that answers 204 and counts what it got.
async fn counting_receiver() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            seen.fetch_add(1, Ordering::SeqCst);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hits)
}

/// Every delivery's (status, last error, last status code).
async fn deliveries(app: &TestApp) -> Vec<(String, Option<String>, Option<i32>)> {
    sqlx::query_as("SELECT status, last_error, last_status_code FROM webhook_deliveries")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn hooks_to_internal_addresses_are_refused_with_the_reason(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("ssrf@example.com").await;
    let (receiver, hits) = counting_receiver().await;
    let port = receiver.port();
    for (url, class) in [
        (format!("http://127.0.0.1:{port}/hook"), "loopback"),
        (format!("http://[::1]:{port}/hook"), "loopback"),
        (format!("http://localhost:{port}/hook"), "loopback"),
        (format!("http://0x7f.1:{port}/hook"), "loopback"),
        (format!("http://[::ffff:127.0.0.1]:{port}/hook"), "loopback"),
        ("http://10.0.0.7/hook".into(), "private"),
        ("http://172.20.1.1/hook".into(), "private"),
        ("https://192.168.1.1/hook".into(), "private"),
        (
            "http://169.254.169.254/latest/meta-data".into(),
            "link-local",
        ),
        ("http://[fe80::1]/hook".into(), "link-local"),
        ("http://[fd12:3456::1]/hook".into(), "unique-local"),
        ("http://0.0.0.0/hook".into(), "unspecified"),
        ("http://[::]/hook".into(), "unspecified"),
    ] {
        let (status, body) = app.post(&client, "/api/webhooks", j!({"url": url})).await;
        assert_eq!(status, 400, "{url}: {body}");
        assert_eq!(body["field"], "url", "{url}: {body}");
        let message = body["details"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("a {class} address")) && message.contains("WEBHOOK_ALLOW"),
            "{url}: {body}"
        );
    }
    let (_, hooks) = app.get(&client, "/api/webhooks").await;
    assert_eq!(hooks["data"], j!([]));
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_hook_whose_host_turns_internal_is_refused_at_delivery(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("rebind@example.com").await;
    let (receiver, hits) = counting_receiver().await;
    // Hooks that passed the check when added and point inside now: written
    // straight to the table, as a host whose DNS answer changed would be.
    let owner: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("rebind@example.com")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for url in [
        format!("http://localhost:{}/hook", receiver.port()),
        format!("http://{receiver}/hook"),
    ] {
        sqlx::query(
            "INSERT INTO webhooks (id, owner_id, url, secret) VALUES ($1, $2, $3, 'whsec_x')",
        )
        .bind(uuid::Uuid::new_v4())
        .bind(owner)
        .bind(url)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    ready_dataset(&app, &client).await;
    let attempted = brightrun_backend::webhooks::worker::tick(&app.services)
        .await
        .unwrap();
    assert_eq!(attempted, 2);
    let list = deliveries(&app).await;
    assert_eq!(list.len(), 2, "{list:?}");
    for (_, error, code) in &list {
        let error = error.as_deref().unwrap_or_default();
        assert!(error.contains("a loopback address"), "{list:?}");
        assert_eq!(*code, None);
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing reached the receiver"
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_receiver_the_operator_allows_by_name_gets_its_deliveries(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_WEBHOOK_ALLOW", "localhost")]).await;
    let client = app.signed_in("allowed@example.com").await;
    let (receiver, hits) = counting_receiver().await;
    let url = format!("http://localhost:{}/hook", receiver.port());
    let (status, body) = app.post(&client, "/api/webhooks", j!({"url": url})).await;
    assert_eq!(status, 201, "{body}");
    // The name is allowed, not the address: the same receiver by address is not.
    let (status, body) = app
        .post(
            &client,
            "/api/webhooks",
            j!({"url": format!("http://{receiver}/hook")}),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    ready_dataset(&app, &client).await;
    brightrun_backend::webhooks::worker::tick(&app.services)
        .await
        .unwrap();
    let list = deliveries(&app).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].0, "delivered", "{list:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn parallel_requests_cannot_pass_the_ten_hook_cap(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("cap@example.com").await;
    let adds = (0..15).map(|i| {
        client
            .post(app.url("/api/webhooks"))
            .json(&j!({ "url": format!("https://93.184.216.34/hook/{i}") }))
            .send()
    });
    let codes: Vec<u16> = futures::future::join_all(adds)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(codes.iter().filter(|&&c| c == 201).count(), 10, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 409).count(), 5, "{codes:?}");
    let (_, hooks) = app.get(&client, "/api/webhooks").await;
    assert_eq!(hooks["data"].as_array().unwrap().len(), 10);
}
