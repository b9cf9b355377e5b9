//! Black-box tests of accounts over HTTP: sign-up, sign-in, sign-out,
//! sessions, the error envelope and rate limiting.

mod common;

use common::{PASSWORD, TestApp, json};
use serde_json::json as j;
use sqlx::PgPool;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn sign_up_sets_an_http_only_session_cookie(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.browser();
    let res = client
        .post(app.url("/api/auth/signup"))
        .json(&j!({ "email": " Ana@Example.com ", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let (status, body) = json(res).await;
    assert_eq!(status, 201);
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["email"], "ana@example.com");
    assert!(cookie.starts_with("brightrun_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http by default: {cookie}"
    );

    let (status, me) = app.get(&client, "/api/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["data"]["email"], "ana@example.com");
    // The password hash is stored as argon2id and never returned.
    assert!(me["data"].get("password_hash").is_none());
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn secure_cookies_when_configured(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_SECURE_COOKIES", "true")]).await;
    let res = app
        .browser()
        .post(app.url("/api/auth/signup"))
        .json(&j!({ "email": "sec@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn bad_sign_up_input_names_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let c = app.script();
    let (status, body) = app
        .post(
            &c,
            "/api/auth/signup",
            j!({ "email": "not-an-email", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_input");
    assert_eq!(body["field"], "email");

    let (status, body) = app
        .post(
            &c,
            "/api/auth/signup",
            j!({ "email": "bo@example.com", "password": "short" }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "password");
    assert!(body["details"].as_str().unwrap().contains("10 characters"));

    let (status, body) = json(
        c.post(app.url("/api/auth/signup"))
            .header("content-type", "application/json")
            .body("{\"email\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_body");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn existing_email_is_a_conflict(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_in("cy@example.com").await;
    let (status, body) = app
        .post(
            &app.script(),
            "/api/auth/signup",
            j!({ "email": "CY@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "email_taken");
    assert!(body["details"].as_str().unwrap().contains("already exists"));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn wrong_password_and_unknown_email_look_the_same(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_in("di@example.com").await;
    let c = app.script();
    let (s1, wrong) = app
        .post(
            &c,
            "/api/auth/signin",
            j!({ "email": "di@example.com", "password": "not the password" }),
        )
        .await;
    let (s2, unknown) = app
        .post(
            &c,
            "/api/auth/signin",
            j!({ "email": "nobody@example.com", "password": "not the password" }),
        )
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(wrong["error"], unknown["error"]);
    assert_eq!(wrong["details"], unknown["details"]);

    let res = c
        .post(app.url("/api/auth/signin"))
        .json(&j!({ "email": "di@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("set-cookie"));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn sign_out_ends_the_session_for_good(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("ed@example.com").await;
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 1);
    let res = client
        .post(app.url("/api/auth/signout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, _) = app.get(&client, "/api/me").await;
    assert_eq!(status, 401);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the session row is deleted, not just the cookie");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn no_forged_or_expired_session_gets_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let c = app.script();
    let (status, body) = app.get(&c, "/api/me").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthenticated");
    assert!(body["request_id"].as_str().is_some_and(|id| id.len() == 36));

    let (status, _) = json(
        c.get(app.url("/api/me"))
            .header("cookie", "brightrun_session=forged-value")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);

    let client = app.signed_in("fa@example.com").await;
    sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, _) = app.get(&client, "/api/me").await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn eleventh_failed_sign_in_in_a_minute_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_in("gu@example.com").await;
    let c = app.script();
    for _ in 0..10 {
        let res = c
            .post(app.url("/api/auth/signin"))
            .json(&j!({ "email": "gu@example.com", "password": "wrong password!" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    // Even the right password is refused while the limit holds.
    let (status, body) = app
        .post(
            &c,
            "/api/auth/signin",
            j!({ "email": "gu@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 429);
    assert_eq!(body["error"], "rate_limited");
    // Once the failures age out of the window, sign-in works again.
    sqlx::query("UPDATE signin_failures SET created_at = now() - interval '2 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let res = c
        .post(app.url("/api/auth/signin"))
        .json(&j!({ "email": "gu@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn one_client_trying_many_emails_is_limited_too(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let c = app.script();
    for i in 0..10 {
        let res = c
            .post(app.url("/api/auth/signin"))
            .json(&j!({ "email": format!("u{i}@example.com"), "password": "wrong password!" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = c
        .post(app.url("/api/auth/signin"))
        .json(&j!({ "email": "fresh@example.com", "password": "wrong password!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn unknown_api_routes_answer_with_the_envelope(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app.script().get(app.url("/api/nope")).send().await.unwrap();
    assert!(res.headers().contains_key("x-request-id"));
    let (status, body) = json(res).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
    let (status, body) = json(
        app.script()
            .get(app.url("/api/health"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("ok")));
}
