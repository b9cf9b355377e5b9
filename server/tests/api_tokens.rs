//! API tokens over HTTP: created once, accepted as Bearer, listed without
//! the secret, revoked for good, and scoped to their owner.

mod common;

use common::{TestApp, json};
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
