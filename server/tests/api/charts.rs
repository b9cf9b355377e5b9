//! The charts drawn on the server (charts-rs, `brightrun_backend::charts`):
//! the job, dataset and costs pages carry their SVG under the test ids the
//! browser tests read, and the loss chart's server function draws a log
//! axis when asked, for its owner only.

use crate::common::{TestApp, create, new_job, ready_dataset};
use sqlx::PgPool;

/// The job made running with 12 points of falling loss, a validation loss
/// every 4 steps.
async fn with_points(app: &TestApp, id: &str) {
    sqlx::query(
        "UPDATE training_jobs SET status = 'running', current_step = 12, total_steps = 40,
             started_at = now(), updated_at = now() WHERE id = $1::uuid",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO metrics_points (job_id, step, train_loss, eval_loss)
         SELECT $1::uuid, s, 3.0 / s, CASE WHEN s % 4 = 0 THEN 3.5 / s END
         FROM generate_series(1, 12) AS s",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let res = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

/// The text from the element carrying `data-testid="{id}"` on.
fn from_testid<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("data-testid=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in {html}"));
    &html[at..]
}

async fn loss_chart(app: &TestApp, client: &reqwest::Client, id: &str, log: bool) -> (u16, String) {
    let res = client
        .post(app.url("/rpc/loss_chart"))
        .form(&[
            ("id", id),
            ("log_scale", if log { "true" } else { "false" }),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_pages_carry_their_charts_drawn_on_the_server(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("charts@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let id = create(&app, &client, new_job(&dataset, "cpu", 40)).await;
    with_points(&app, &id).await;

    let html = page(&app, &client, &format!("/training/jobs/{id}")).await;
    let chart = from_testid(&html, "loss-chart");
    assert!(chart.contains("data-points=\"12\""), "{chart}");
    let svg = &chart[chart.find("<svg").expect("the SVG inline")..];
    assert!(svg.contains("Training loss") && svg.contains("Validation loss"));
    assert!(
        svg.contains("stroke=\"#4F46E5\""),
        "the BrightRun primary colour"
    );
    assert!(
        html.contains("data-testid=\"loss-log-scale\""),
        "the scale switch"
    );

    let html = page(&app, &client, &format!("/datasets/{dataset}")).await;
    let chart = from_testid(&html, "token-histogram");
    let svg = &chart[chart.find("<svg").expect("the SVG inline")..];
    assert!(svg.contains("Tokens per example"), "{svg}");

    let html = page(&app, &client, "/costs").await;
    assert!(from_testid(&html, "cost-trend").contains("<svg"));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_loss_chart_draws_a_log_axis_for_its_owner_only(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("owner@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let id = create(&app, &client, new_job(&dataset, "cpu", 40)).await;
    with_points(&app, &id).await;

    let (status, linear) = loss_chart(&app, &client, &id, false).await;
    assert_eq!(status, 200, "{linear}");
    assert!(
        linear.contains("<svg") && !linear.contains("Loss (log)"),
        "{linear}"
    );
    let (status, log) = loss_chart(&app, &client, &id, true).await;
    assert_eq!(status, 200, "{log}");
    // Losses from 3 down to 0.25: the decades 0.1, 1 and 10 are the ticks.
    for tick in ["Loss (log)", ">0.1<", ">1<", ">10<"] {
        assert!(log.contains(tick), "{tick} missing from {log}");
    }
    assert!(log.contains("\"points\":12"), "{log}");

    let other = app.signed_in("other@example.com").await;
    let (status, body) = loss_chart(&app, &other, &id, false).await;
    assert_ne!(status, 200, "{body}");
    assert!(!body.contains("<svg"), "{body}");
}
