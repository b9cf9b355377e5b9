//! Cross-site request forgery: a page on another origin (another site, a
//! sibling subdomain, another port) cannot make a signed-in browser change
//! anything, nor sign it into another account. Same-origin pages, scripts
//! with a token and clients that send no Origin keep working.

use crate::common::{PASSWORD, TestApp, json};
use serde_json::json as j;
use sqlx::PgPool;

const EVIL: &str = "http://evil.example";

async fn webhooks(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM webhooks")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn forged_origins_are_refused_on_server_functions_sign_in_and_bodiless_posts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let victim = app.signed_in("victim@example.com").await;
    let own_origin = app.url("");

    // A cross-site form posting to a server function with the victim's cookie.
    let res = victim
        .post(app.url("/rpc/create_webhook"))
        .header("origin", EVIL)
        .form(&[("url", "https://93.184.216.34/x")])
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("cross_site")),
        "{body}"
    );
    assert_eq!(webhooks(&app).await, 0);

    // A sibling site (same site, other origin) is refused too.
    let res = victim
        .post(app.url("/rpc/create_webhook"))
        .header("sec-fetch-site", "same-site")
        .form(&[("url", "https://93.184.216.34/x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Login CSRF: signing the victim's browser into the attacker's account.
    app.signed_in("attacker@example.com").await;
    let res = app
        .browser()
        .post(app.url("/api/auth/signin"))
        .header("origin", EVIL)
        .json(&j!({ "email": "attacker@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("set-cookie").is_none());
    let res = app
        .browser()
        .post(app.url("/rpc/sign_in"))
        .header("origin", EVIL)
        .form(&[("email", "attacker@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // A body-less REST POST.
    let res = victim
        .post(app.url("/api/notifications/read-all"))
        .header("origin", EVIL)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The same requests from BrightRun's own pages work.
    let res = victim
        .post(app.url("/api/notifications/read-all"))
        .header("origin", own_origin.trim_end_matches('/'))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = victim
        .post(app.url("/rpc/create_webhook"))
        .header("origin", own_origin.trim_end_matches('/'))
        .form(&[("url", "https://93.184.216.34/x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(webhooks(&app).await, 1);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_token_request_is_no_forgery_whatever_its_origin(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("scripts@example.com").await;
    let (_, created) = app.post(&owner, "/api/tokens", j!({ "name": "ci" })).await;
    let token = created["data"]["token"].as_str().unwrap().to_string();
    let res = app
        .script()
        .post(app.url("/api/notifications/read-all"))
        .header("origin", EVIL)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
