//! Pages over HTTP: the sign-in gate, server rendering of every section, the
//! 404 page, and the server-function sign-in a non-JS form submits.

use crate::common::{PASSWORD, TestApp};
use brightrun_app::layout::NAV_ITEMS;
use sqlx::PgPool;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn pages_without_a_session_redirect_to_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let c = app.script();
    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/signin");
    let res = c.get(app.url("/models?q=x")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/signin?next=/models%3Fq%3Dx");
    let res = c
        .get(app.url("/datasets"))
        .header("cookie", "brightrun_session=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "a forged cookie is no session");

    let res = c.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = visible(res.text().await.unwrap());
    assert!(html.contains("<h1>Sign in</h1>"), "{html}");
    assert!(
        html.contains("/pkg/brightrun.js"),
        "hydration script is linked"
    );
    assert!(html.contains("/pkg/brightrun.css"));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn every_section_renders_for_a_signed_in_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("la@example.com").await;
    for (path, label, _, _) in NAV_ITEMS {
        let res = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let html = visible(res.text().await.unwrap());
        assert!(
            html.contains("la@example.com"),
            "{path} shows the user menu"
        );
        assert!(
            html.contains(&format!("<span>{label}</span>")),
            "{path} has the navigation"
        );
        assert!(html.contains("<h1>"), "{path} has a heading");
    }
    let res = client.get(app.url("/notifications")).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("all caught up"));
    // Signed in, the sign-in page sends you to the dashboard.
    let res = client.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn unknown_pages_are_404_with_a_way_back(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("mo@example.com").await;
    let res = client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let html = visible(res.text().await.unwrap());
    assert!(html.contains("This page does not exist"));
    assert!(html.contains("Back to the dashboard"));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn sign_in_form_works_without_javascript(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_in("ni@example.com").await;
    let client = app.browser();
    // What the browser sends when the form is submitted before hydration.
    let res = client
        .post(app.url("/rpc/sign_in"))
        .header("referer", app.url("/signin"))
        .header("accept", "text/html,application/xhtml+xml")
        .form(&[
            ("email", "ni@example.com"),
            ("password", PASSWORD),
            ("next", "/models"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/models");
    let res = client.get(app.url("/models")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// The page as read, without Leptos' hydration markers (`<!>`), which
/// type-erased components (`--cfg erase_components`) place inside elements.
fn visible(html: String) -> String {
    html.replace("<!>", "")
}
