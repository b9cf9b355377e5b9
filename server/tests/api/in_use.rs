//! What a queued or running job needs cannot be deleted from under it: the
//! dataset it trains on is refused with 409 naming the job, and once the job
//! has ended the dataset goes, and a retry of that job is refused.

use crate::common::{TestApp, create, json, new_job, ready_dataset, tick_until};
use sqlx::PgPool;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_dataset_a_job_trains_on_cannot_be_deleted_until_the_job_ends(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("inuse@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let job = create(&app, &client, new_job(&dataset, "cpu", 3)).await;

    let delete = || async {
        json(
            client
                .delete(app.url(&format!("/api/datasets/{dataset}")))
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    let (status, body) = delete().await;
    assert_eq!(status, 409, "{body}");
    let details = body["details"].as_str().unwrap();
    assert!(
        details.contains("EQ-12 short run") && details.contains("queued"),
        "{body}"
    );
    let (status, _) = app.get(&client, &format!("/api/datasets/{dataset}")).await;
    assert_eq!(status, 200, "the dataset is still there");

    // Cancelled (never submitted): the dataset can go; the job cannot come back.
    let (status, body) = app
        .post(
            &client,
            &format!("/api/jobs/{job}/cancel"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    tick_until(
        &app,
        &client,
        &job,
        std::time::Duration::from_secs(30),
        |j| j["job"]["status"] == "cancelled",
    )
    .await;
    let (status, body) = delete().await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            &client,
            &format!("/api/jobs/{job}/retry"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["details"].as_str().unwrap().contains("deleted"),
        "{body}"
    );
    // Nor can a new job be started on it.
    let (status, body) = app
        .post(&client, "/api/jobs", new_job(&dataset, "cpu", 3))
        .await;
    assert!(status == 404 || status == 409, "{status} {body}");
}
