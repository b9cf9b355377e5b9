//! API tokens over HTTP: created once, accepted as Bearer, listed without
//! the secret, revoked for good, and scoped to their owner.

use crate::common::{TestApp, json};
use serde_json::json as j;
use sqlx::PgPool;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn token_lifecycle(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("ha@example.com").await;
    let (status, created) = app
        .post(&owner, "/api/tokens", j!({ "name": "ci script" }))
        .await;
    assert_eq!(status, 201);
    let token = created["data"]["token"].as_str().unwrap().to_string();
    let id = created["data"]["info"]["id"].as_str().unwrap().to_string();
    assert!(token.starts_with("brt_"));

    // A script with only the token is the owner.
    let script = app.script();
    let (status, me) = json(
        script
            .get(app.url("/api/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me["data"]["email"], "ha@example.com");

    // Listing shows the prefix and the last use, never the token.
    let (_, list) = app.get(&owner, "/api/tokens").await;
    let listed = list.to_string();
    assert!(!listed.contains(&token));
    assert_eq!(list["data"][0]["prefix"].as_str().unwrap(), &token[..12]);
    assert!(list["data"][0]["last_used_at"].is_string());
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32, "only a SHA-256 is stored");

    // Revoke; the token stops working at once.
    let (status, _) = json(
        owner
            .delete(app.url(&format!("/api/tokens/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = json(
        script
            .get(app.url("/api/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = json(
        owner
            .delete(app.url(&format!("/api/tokens/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404, "revoking twice finds nothing live");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn another_users_token_is_not_found(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("ib@example.com").await;
    let other = app.signed_in("jo@example.com").await;
    let (_, created) = app
        .post(&owner, "/api/tokens", j!({ "name": "mine" }))
        .await;
    let id = created["data"]["info"]["id"].as_str().unwrap();
    let (status, body) = json(
        other
            .delete(app.url(&format!("/api/tokens/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
    let (_, others_list) = app.get(&other, "/api/tokens").await;
    assert_eq!(others_list["data"].as_array().unwrap().len(), 0);
    let revoked: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT revoked_at FROM api_tokens")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(revoked.is_none(), "the owner's token is untouched");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn bad_tokens_and_names_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("ka@example.com").await;
    let (status, body) = app.post(&owner, "/api/tokens", j!({ "name": "   " })).await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "name");
    let (status, _) = json(
        app.script()
            .get(app.url("/api/tokens"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = json(
        app.script()
            .get(app.url("/api/me"))
            .bearer_auth("brt_not-a-real-token")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = json(
        app.script()
            .get(app.url("/api/me"))
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_token_cannot_mint_tokens_and_expired_tokens_stop_working(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("mint@example.com").await;
    let (status, created) = app
        .post(
            &owner,
            "/api/tokens",
            j!({ "name": "short", "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["data"]["token"].as_str().unwrap().to_string();
    let expires = created["data"]["info"]["expires_at"].as_str().unwrap();
    let expires: chrono::DateTime<chrono::Utc> = expires.parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((29.9..=30.0).contains(&days), "{days}");

    // The token may use the API but not make another token.
    let script = app.script();
    let (status, body) = json(
        script
            .post(app.url("/api/tokens"))
            .bearer_auth(&token)
            .json(&j!({ "name": "child" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );

    for bad in [j!(0), j!(100_000)] {
        let (status, body) = app
            .post(
                &owner,
                "/api/tokens",
                j!({ "name": "x", "expires_in_days": bad }),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("expires_in_days")),
            "{body}"
        );
    }

    // Once its time is past, it is refused like a revoked one.
    let me = |token: String| {
        let script = app.script();
        let url = app.url("/api/me");
        async move {
            script
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me(token.clone()).await, 200);
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(me(token).await, 401);
}
