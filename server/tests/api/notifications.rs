//! Notifications and webhooks end to end: a dataset validated by the real
//! worker notifies its owner; the notification is POSTed to a receiver this
//! test runs on loopback, signed with the hook's secret, retried after the
//! receiver's first 500, and every attempt is visible.

use crate::common::{TestApp, ready_dataset};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json as j};
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A receiver on 127.0.0.1 that answers 500 to its first request, then 200.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let mut list = seen.lock().unwrap();
                list.push((headers, body.to_vec()));
                if list.len() == 1 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn deliveries(app: &TestApp, client: &reqwest::Client, hook: &str) -> Vec<Value> {
    let (status, body) = app
        .get(client, &format!("/api/webhooks/{hook}/deliveries"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// Ticks the webhook worker until the hook's latest delivery is `status`; that delivery.
async fn tick_until_delivery(
    app: &TestApp,
    client: &reqwest::Client,
    hook: &str,
    status: &str,
    timeout: Duration,
) -> Value {
    let start = std::time::Instant::now();
    loop {
        brightrun_backend::webhooks::worker::tick(&app.services)
            .await
            .unwrap();
        let d = deliveries(app, client, hook).await;
        if d[0]["status"] == status {
            return d[0].clone();
        }
        assert!(start.elapsed() < timeout, "{d:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn notifications_are_listed_read_and_delivered_to_webhooks_signed_with_retries(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_WEBHOOK_BACKOFF_MS", "300"),
            ("BRIGHTRUN_WEBHOOK_ALLOW", "127.0.0.1"),
        ],
    )
    .await;
    let client = app.signed_in("hooks@example.com").await;
    let (url, received) = receiver().await;

    for bad in ["ftp://127.0.0.1/x", "http://", "http://user:pw@127.0.0.1/x"] {
        let (status, body) = app.post(&client, "/api/webhooks", j!({"url": bad})).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("url")),
            "{bad}: {body}"
        );
    }
    let (status, hook) = app.post(&client, "/api/webhooks", j!({"url": url})).await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["data"]["secret"].as_str().unwrap().to_string();
    let hook = hook["data"]["id"].as_str().unwrap().to_string();
    let (_, hooks) = app.get(&client, "/api/webhooks").await;
    assert_eq!(hooks["data"][0]["url"], url.as_str());
    assert!(
        hooks["data"][0].get("secret").is_none(),
        "the secret is shown once"
    );

    // A validated dataset notifies its owner and queues a delivery.
    let dataset = ready_dataset(&app, &client).await;
    let (status, notes) = app.get(&client, "/api/notifications").await;
    assert_eq!(status, 200, "{notes}");
    assert_eq!(notes["data"]["unread"], 1);
    let note = notes["data"]["items"][0].clone();
    assert_eq!(note["kind"], "dataset_ready");
    assert_eq!(note["link"], format!("/datasets/{dataset}"));
    assert_eq!(note["read"], false);

    // First attempt: the receiver answers 500; the delivery waits and retries.
    assert_eq!(
        brightrun_backend::webhooks::worker::tick(&app.services)
            .await
            .unwrap(),
        1
    );
    let after_first = deliveries(&app, &client, &hook).await;
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0]["status"], "pending");
    assert_eq!(after_first[0]["attempts"], 1);
    assert_eq!(after_first[0]["last_status_code"], 500);
    assert_eq!(
        brightrun_backend::webhooks::worker::tick(&app.services)
            .await
            .unwrap(),
        0,
        "not before the backoff"
    );
    let d = tick_until_delivery(&app, &client, &hook, "delivered", Duration::from_secs(10)).await;
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["last_status_code"], 204);

    // Both attempts carried the same signed event.
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    for (headers, body) in &got {
        // The signature covers the timestamp header and the body.
        let timestamp = headers["x-brightrun-timestamp"].to_str().unwrap();
        let sent = timestamp.parse::<i64>().unwrap();
        assert!(
            (chrono::Utc::now().timestamp() - sent).abs() < 60,
            "{timestamp}"
        );
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(headers["x-brightrun-signature"], expected.as_str());
        assert_eq!(headers["x-brightrun-event"], "dataset_ready");
        assert_eq!(headers["content-type"], "application/json");
        let event: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(event["notification"]["id"], note["id"]);
        assert_eq!(
            event["notification"]["link"],
            app.url(&format!("/datasets/{dataset}")).as_str(),
            "links are absolute"
        );
    }
    assert_eq!(got[0].1, got[1].1, "a retry sends the same body");

    // Mark one read, then all.
    let id = note["id"].as_str().unwrap();
    let (status, _) = app
        .call(
            &client,
            Method::PATCH,
            &format!("/api/notifications/{id}/read"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, notes) = app.get(&client, "/api/notifications").await;
    assert_eq!(notes["data"]["unread"], 0);
    assert_eq!(notes["data"]["items"][0]["read"], true);
    sqlx::query(
        "INSERT INTO notifications (id, owner_id, notification_type, title, message, link)
         SELECT gen_random_uuid(), id, 'job_failed', 'Training failed', 'x', '/training/jobs' FROM users",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (_, unread) = app.get(&client, "/api/notifications?unread=true").await;
    assert_eq!(unread["data"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(unread["data"]["items"][0]["kind"], "job_failed");
    let (status, marked) = app
        .post(&client, "/api/notifications/read-all", j!({}))
        .await;
    assert_eq!(status, 200, "{marked}");
    assert_eq!(marked["data"]["marked"], 1);
    let (_, notes) = app.get(&client, "/api/notifications?unread=true").await;
    assert_eq!(notes["data"]["total"], 0);

    // A removed hook gets nothing more.
    let (status, _) = app
        .call(
            &client,
            Method::DELETE,
            &format!("/api/webhooks/{hook}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, hooks) = app.get(&client, "/api/webhooks").await;
    assert_eq!(hooks["data"].as_array().unwrap().len(), 0);
    let failed_after_removal: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'failed' AND last_error = 'webhook removed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        failed_after_removal, 1,
        "the job_failed delivery was dropped"
    );
    brightrun_backend::webhooks::worker::tick(&app.services)
        .await
        .unwrap();
    assert_eq!(received.lock().unwrap().len(), 2);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_receiver_that_never_answers_fails_the_delivery_after_the_last_attempt(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_WEBHOOK_BACKOFF_MS", "1"),
            ("BRIGHTRUN_WEBHOOK_ALLOW", "127.0.0.0/8"),
        ],
    )
    .await;
    let client = app.signed_in("down@example.com").await;
    // Nothing listens on this port: every attempt fails to connect.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let (_, hook) = app.post(&client, "/api/webhooks", j!({"url": url})).await;
    let hook = hook["data"]["id"].as_str().unwrap().to_string();
    ready_dataset(&app, &client).await;
    let d = tick_until_delivery(&app, &client, &hook, "failed", Duration::from_secs(20)).await;
    assert_eq!(d["attempts"], brightrun::webhooks::MAX_ATTEMPTS);
    assert_eq!(d["last_error"], "could not connect");
    assert!(d["last_status_code"].is_null());
}
