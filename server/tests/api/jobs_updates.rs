//! The job monitor's poll over REST: `GET /api/jobs/{id}/updates` brings
//! only what is newer than the caller's step and log offset, and an
//! unchanged job answers `304` to its ETag (as `GET /api/jobs/{id}` does).

use crate::common::{TestApp, create, json, new_job, ready_dataset, tick_until};
use reqwest::header::{ETAG, IF_NONE_MATCH};
use serde_json::Value;
use sqlx::PgPool;
use std::time::Duration;

/// GET `path` with `If-None-Match: tag` when given: status, ETag, body
/// text.
async fn poll(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    tag: Option<&str>,
) -> (u16, String, String) {
    let mut req = client.get(app.url(path));
    if let Some(tag) = tag {
        req = req.header(IF_NONE_MATCH, tag);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let etag = res
        .headers()
        .get(ETAG)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, etag, res.text().await.unwrap())
}

fn steps(points: &Value) -> Vec<u64> {
    points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["step"].as_u64().unwrap())
        .collect()
}

/// A created job made running at `step` with points 1..=step (a validation
/// loss every 2 steps), as the poller would have left it.
async fn running_with_points(app: &TestApp, id: &str, step: i32) {
    sqlx::query(
        "UPDATE training_jobs SET status = 'running', current_step = $2, total_steps = 100,
             started_at = now(), updated_at = now() WHERE id = $1::uuid",
    )
    .bind(id)
    .bind(step)
    .execute(&app.pool)
    .await
    .unwrap();
    add_points(app, id, 1, step).await;
}

async fn add_points(app: &TestApp, id: &str, from: i32, to: i32) {
    sqlx::query(
        "INSERT INTO metrics_points (job_id, step, train_loss, eval_loss)
         SELECT $1::uuid, s, 2.0 / s, CASE WHEN s % 2 = 0 THEN 2.5 / s END
         FROM generate_series($2::int, $3::int) AS s",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn updates_bring_only_newer_points_and_an_unchanged_job_answers_304(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("monitor@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let id = create(&app, &client, new_job(&dataset, "cpu", 4)).await;
    running_with_points(&app, &id, 5).await;
    let updates = format!("/api/jobs/{id}/updates");

    // Only the points and validation points after step 3, and the status.
    let (status, tag, text) = poll(&app, &client, &format!("{updates}?after_step=3"), None).await;
    assert_eq!(status, 200, "{text}");
    assert!(tag.starts_with("W/\""), "{tag}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let u = &body["data"];
    assert_eq!(steps(&u["metrics"]), [4, 5]);
    assert_eq!(steps(&u["eval_points"]), [4]);
    assert_eq!(u["metric_count"], 5);
    assert_eq!(u["progress"]["status"], "running");
    assert_eq!(u["progress"]["current_step"], 5);
    assert_eq!(tag, format!("W/\"{}\"", u["version"].as_str().unwrap()));
    // Not yet on the cluster: no log, offset 0.
    assert_eq!(u["log"], "");
    assert_eq!(u["log_offset"], 0);
    // Without a step: every point.
    let (_, _, text) = poll(&app, &client, &updates, None).await;
    let all: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(steps(&all["data"]["metrics"]), [1, 2, 3, 4, 5]);

    // Unchanged: 304, no body, the same ETag; on the detail too.
    let (status, again, text) = poll(
        &app,
        &client,
        &format!("{updates}?after_step=5"),
        Some(&tag),
    )
    .await;
    assert_eq!(
        (status, again.as_str(), text.as_str()),
        (304, tag.as_str(), "")
    );
    let detail = format!("/api/jobs/{id}");
    let (status, detail_tag, _) = poll(&app, &client, &detail, None).await;
    assert_eq!((status, detail_tag.as_str()), (200, tag.as_str()));
    let (status, _, text) = poll(&app, &client, &detail, Some(&tag)).await;
    assert_eq!((status, text.as_str()), (304, ""));
    // A list of tags naming it, or `*`, is a match too.
    let list = format!("W/\"0000000000000000\", {tag}");
    assert_eq!(poll(&app, &client, &updates, Some(&list)).await.0, 304);
    assert_eq!(poll(&app, &client, &updates, Some("*")).await.0, 304);

    // A new point changes the ETag and comes alone.
    add_points(&app, &id, 6, 6).await;
    let (status, tag2, text) = poll(
        &app,
        &client,
        &format!("{updates}?after_step=5"),
        Some(&tag),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_ne!(tag2, tag);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(steps(&body["data"]["metrics"]), [6]);
    assert_eq!(steps(&body["data"]["eval_points"]), [6]);
    assert_eq!(poll(&app, &client, &detail, Some(&tag)).await.0, 200);
    assert_eq!(poll(&app, &client, &detail, Some(&tag2)).await.0, 304);

    // A status change (here: a cancel) changes it too.
    let (status, _) = app
        .post(
            &client,
            &format!("/api/jobs/{id}/cancel"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, tag3, text) = poll(
        &app,
        &client,
        &format!("{updates}?after_step=6"),
        Some(&tag2),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_ne!(tag3, tag2);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["data"]["metrics"], serde_json::json!([]));
    let (status, _, _) = poll(&app, &client, &updates, Some(&tag3)).await;
    assert_eq!(status, 304);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn updates_are_the_owners_and_bad_parameters_are_named(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("owner@example.com").await;
    let other = app.signed_in("other@example.com").await;
    let dataset = ready_dataset(&app, &owner).await;
    let id = create(&app, &owner, new_job(&dataset, "cpu", 4)).await;
    let updates = format!("/api/jobs/{id}/updates");
    let (status, tag, _) = poll(&app, &owner, &updates, None).await;
    assert_eq!(status, 200);
    // Another user: 404, with or without the owner's ETag; nothing leaks.
    for known in [None, Some(tag.as_str())] {
        for path in [updates.clone(), format!("/api/jobs/{id}")] {
            let (status, etag, text) = poll(&app, &other, &path, known).await;
            assert_eq!((status, etag.as_str()), (404, ""), "{path}: {text}");
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["error"], "not_found");
        }
    }
    // Bad parameters: 400 naming the parameter.
    for (query, field) in [
        ("after_step=-1", "after_step"),
        ("after_step=two", "after_step"),
        ("log_offset=abc", "log_offset"),
        ("after_step=1&log_offset=1.5", "log_offset"),
    ] {
        let (status, body) = app.get(&owner, &format!("{updates}?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"], "invalid_input", "{query}: {body}");
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
    // Without a session: 401.
    let (status, _) = json(app.script().get(app.url(&updates)).send().await.unwrap()).await;
    assert_eq!(status, 401);
}

/// The page's poll across a real run on the local cluster: each tick's
/// new log comes after the offset (an appended log is a new version), the
/// points come once each, and the finished job answers 304.
#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn polling_a_training_job_gets_each_point_and_log_line_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("watcher@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let id = create(&app, &client, new_job(&dataset, "cpu", 6)).await;
    let (mut after, mut offset, mut tag) = (None::<u64>, 0u64, None::<String>);
    let (mut seen, mut log, mut chunks) = (Vec::<u64>::new(), String::new(), 0usize);
    let start = std::time::Instant::now();
    loop {
        brightrun_backend::jobs::poller::tick(&app.services)
            .await
            .unwrap();
        let (_, full) = app.get(&client, &format!("/api/jobs/{id}/logs")).await;
        let full_now = full["data"]["text"].as_str().unwrap().to_string();
        let mut path = format!("/api/jobs/{id}/updates?log_offset={offset}");
        if let Some(a) = after {
            path.push_str(&format!("&after_step={a}"));
        }
        let (status, etag, text) = poll(&app, &client, &path, tag.as_deref()).await;
        if status != 304 {
            assert_eq!(status, 200, "{text}");
            let u: Value = serde_json::from_str::<Value>(&text).unwrap()["data"].clone();
            let chunk = u["log"].as_str().unwrap();
            assert_eq!(u["log_is_tail"], false);
            assert!(full_now.len() as u64 <= u["log_offset"].as_u64().unwrap());
            log.push_str(chunk);
            chunks += usize::from(!chunk.is_empty());
            offset = u["log_offset"].as_u64().unwrap();
            let new = steps(&u["metrics"]);
            seen.extend(&new);
            after = new.last().copied().or(after);
            tag = Some(etag);
            if u["progress"]["status"] == "completed" {
                break;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(180), "not done");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen, [1, 2, 3, 4, 5, 6]);
    // The log came as it grew (a tick that saw more log is a new version),
    // not only at the end.
    assert!(chunks >= 2, "{chunks} chunks: {log}");
    let detail = tick_until(&app, &client, &id, Duration::from_secs(5), |_| true).await;
    assert_eq!(detail["job"]["status"], "completed");
    let (_, full) = app.get(&client, &format!("/api/jobs/{id}/logs")).await;
    assert_eq!(log, full["data"]["text"].as_str().unwrap());
    assert!(log.contains("completed: 6 steps"), "{log}");
    // Finished and unchanged: 304, however many times.
    let path = format!("/api/jobs/{id}/updates?after_step=6&log_offset={offset}");
    for _ in 0..3 {
        assert_eq!(poll(&app, &client, &path, tag.as_deref()).await.0, 304);
    }
    // Without an offset: the log's tail and its length.
    let (_, _, text) = poll(&app, &client, &format!("/api/jobs/{id}/updates"), None).await;
    let u: Value = serde_json::from_str::<Value>(&text).unwrap()["data"].clone();
    assert_eq!(u["log_is_tail"], true);
    assert_eq!(u["log_offset"], offset);
    assert!(log.ends_with(u["log"].as_str().unwrap()));
}
