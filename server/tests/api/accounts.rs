//! Black-box tests of accounts over HTTP: sign-up, sign-in, sign-out,
//! sessions, the error envelope and rate limiting.

use crate::common::{PASSWORD, TestApp, json};
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
    sqlx::query("UPDATE rate_counters SET window_start = now() - interval '2 minutes'")
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

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_concurrent_burst_of_sign_ins_is_counted_whole(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_in("burst@example.com").await;
    let c = app.script();
    let tries = (0..30).map(|_| {
        c.post(app.url("/api/auth/signin"))
            .json(&j!({ "email": "burst@example.com", "password": "wrong password!" }))
            .send()
    });
    let mut codes: Vec<u16> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    codes.sort();
    assert_eq!(codes.iter().filter(|&&c| c == 401).count(), 10, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 429).count(), 20, "{codes:?}");
    // Ended windows are pruned.
    sqlx::query("UPDATE rate_counters SET window_start = now() - interval '2 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let pruned = brightrun_backend::accounts::rate_limit::prune(&app.services)
        .await
        .unwrap();
    assert_eq!(
        pruned, 3,
        "the email's, the client's and the sign-up's counters"
    );
}

async fn sign_up_as(app: &TestApp, email: &str, forwarded_for: &str) -> u16 {
    app.script()
        .post(app.url("/api/auth/signup"))
        .header("x-forwarded-for", forwarded_for)
        .json(&j!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn sign_ups_from_one_client_are_limited(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_SIGNUP_LIMIT", "5")]).await;
    let mut codes = Vec::new();
    for i in 0..8 {
        // The peer is no trusted proxy: its X-Forwarded-For is not believed.
        codes.push(
            sign_up_as(
                &app,
                &format!("s{i}@example.com"),
                &format!("203.0.113.{i}"),
            )
            .await,
        );
    }
    assert_eq!(codes, [201, 201, 201, 201, 201, 429, 429, 429]);
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 5);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_SIGNUP_LIMIT", "2"),
            ("BRIGHTRUN_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let a = "203.0.113.7";
    assert_eq!(sign_up_as(&app, "a1@example.com", a).await, 201);
    assert_eq!(sign_up_as(&app, "a2@example.com", a).await, 201);
    assert_eq!(sign_up_as(&app, "a3@example.com", a).await, 429);
    // Another client behind the same proxy is not held back by the first.
    assert_eq!(
        sign_up_as(&app, "b1@example.com", "198.51.100.4").await,
        201
    );
    // A client that rotates inside its IPv6 /64 is one client.
    assert_eq!(
        sign_up_as(&app, "c1@example.com", "2001:db8:5:6::1").await,
        201
    );
    assert_eq!(
        sign_up_as(&app, "c2@example.com", "2001:db8:5:6::2").await,
        201
    );
    assert_eq!(
        sign_up_as(&app, "c3@example.com", "2001:db8:5:6:ffff::3").await,
        429
    );
    // A client cannot pose as another by prepending addresses: the proxy's
    // own entry (the right-most) is what counts.
    assert_eq!(
        sign_up_as(&app, "a4@example.com", "192.0.2.1, 203.0.113.7").await,
        429
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_taken_email_is_refused_before_any_hashing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_in("taken@example.com").await;
    let res = app
        .script()
        .post(app.url("/api/auth/signup"))
        .json(&j!({ "email": "Taken@Example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
}
