//! The API's description, served: the OpenAPI document and the page that
//! renders it need no session; and what schemathesis found fuzzing the API
//! against it stays fixed.

use crate::common::TestApp;
use reqwest::Method;
use serde_json::json as j;
use sqlx::PgPool;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_document_and_its_page_are_served_without_a_session(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let anonymous = app.script();
    let (status, doc) = app.get(&anonymous, "/api/openapi.json").await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/jobs/{id}"]["get"].is_object());
    assert!(doc["paths"]["/v1/chat/completions"]["post"].is_object());

    let page = anonymous.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let content_type = page.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<code>/api/jobs/{id}/cancel</code>"));
    assert!(html.contains("<style>"), "the site's stylesheet is inlined");
}

/// A NUL character, which PostgreSQL text cannot hold, was a 500 wherever
/// it reached a query; a cent-less budget broke the column's check.
#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn hostile_input_is_a_400_not_a_server_error(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("fuzz@example.com").await;
    for path in [
        "/api/models?base_model=%00",
        "/api/models?q=a%00b",
        "/api/jobs?q=%00",
        "/api/datasets?q=%00",
    ] {
        let (status, body) = app.get(&client, path).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_input")),
            "{path}: {body}"
        );
    }
    let (status, body) = app
        .post(
            &client,
            "/api/webhooks",
            j!({"url": "https://example.com/\u{0}"}),
        )
        .await;
    assert!((400..500).contains(&status), "{body}");
    let (status, body) = app
        .call(
            &client,
            Method::PUT,
            "/api/settings/budget",
            Some(j!({"monthly_budget": 1e-214})),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("monthly_budget")),
        "{body}"
    );
    let (status, body) = app.get(&client, "/api/jobs?page=not-a-number").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_query")),
        "{body}"
    );
}
