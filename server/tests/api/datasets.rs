//! Datasets over HTTP, end to end against the real server and storage: create,
//! PUT to the signed URL, confirm, the worker's tick, the report; limits,
//! tampered URLs, bad names and other users' ids.

use crate::common::{TestApp, fixture, json, upload};
use serde_json::json as j;
use sqlx::PgPool;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn eq12_jsonl_becomes_ready_with_real_token_statistics(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("da@example.com").await;
    let id = upload(
        &app,
        &client,
        "EQ-12-conversations-demo.jsonl",
        fixture("EQ-12-conversations-demo.jsonl"),
    )
    .await;

    let validated = brightrun_backend::datasets::worker::tick(&app.services)
        .await
        .unwrap();
    assert_eq!(validated.map(|u| u.to_string()), Some(id.clone()));
    assert!(
        brightrun_backend::datasets::worker::tick(&app.services)
            .await
            .unwrap()
            .is_none(),
        "nothing left"
    );

    let (status, body) = app.get(&client, &format!("/api/datasets/{id}")).await;
    assert_eq!(status, 200);
    let d = &body["data"];
    assert_eq!(d["dataset"]["status"], "ready");
    assert_eq!(d["dataset"]["format"], "brightrun_v4_jsonl");
    assert_eq!(d["dataset"]["trainable_examples"], 44);
    let stats = &d["report"]["stats"];
    assert_eq!(stats["conversations"], 12);
    assert_eq!(stats["trainable_examples"], 44);
    assert_eq!(stats["tokenizer"], "cl100k_base");
    assert!(stats["tokens"]["total"].as_u64().unwrap() > 10_000);
    assert_eq!(d["samples"].as_array().unwrap().len(), 3);
    // The owner is told.
    let kind: String = sqlx::query_scalar("SELECT notification_type FROM notifications")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kind, "dataset_ready");

    // The JSON form of the same data gives the same token totals.
    let id2 = upload(
        &app,
        &client,
        "EQ-12-conversations-demo.json",
        fixture("EQ-12-conversations-demo.json"),
    )
    .await;
    brightrun_backend::datasets::worker::tick(&app.services)
        .await
        .unwrap();
    let (_, body2) = app.get(&client, &format!("/api/datasets/{id2}")).await;
    assert_eq!(body2["data"]["report"]["stats"]["pairs"], 89);
    assert_eq!(body2["data"]["report"]["stats"]["tokens"], stats["tokens"]);

    let summary = brightrun_backend::dashboard::summary(&app.services, app_user(&app).await)
        .await
        .unwrap();
    assert_eq!(
        (
            summary.datasets,
            summary.ready_datasets,
            summary.active_jobs
        ),
        (2, 2, 0)
    );
    let (_, list) = app.get(&client, "/api/datasets?status=ready&q=EQ").await;
    assert_eq!(list["data"]["total"], 2);
    let (_, list) = app
        .get(&client, "/api/datasets?format=brightrun_v4_json")
        .await;
    assert_eq!(list["data"]["total"], 1);
    let (status, bad) = app.get(&client, "/api/datasets?status=done").await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("status")));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn broken_files_become_invalid_with_line_numbered_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("db@example.com").await;
    let text = "{\"_meta\":{\"total_pairs\":1}}\nnot json\n{\"current_user_input\":\"x\",\"target_response\":5}\n";
    let id = upload(&app, &client, "broken.jsonl", text.as_bytes().to_vec()).await;
    brightrun_backend::datasets::worker::tick(&app.services)
        .await
        .unwrap();
    let (_, body) = app.get(&client, &format!("/api/datasets/{id}")).await;
    let d = &body["data"];
    assert_eq!(d["dataset"]["status"], "invalid");
    let errors = d["report"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["line"], 2);
    assert_eq!(errors[1]["line"], 3);
    assert_eq!(errors[1]["field"], "target_response");
    assert!(d["dataset"]["error_count"].as_u64().unwrap() >= 2);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn uploads_over_the_limit_are_refused_and_leave_nothing(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_DATASET_MAX_MB", "1")]).await;
    let client = app.signed_in("dc@example.com").await;
    // Declared too large: refused before any URL is handed out.
    let (status, body) = app
        .post(
            &client,
            "/api/datasets",
            j!({ "name": "big", "file_name": "big.jsonl", "size_bytes": 2 * 1024 * 1024 }),
        )
        .await;
    assert_eq!((status, body["error"].as_str()), (413, Some("too_large")));

    // Declared small, sent large: the PUT stops at the signed limit.
    let (_, created) = app
        .post(
            &client,
            "/api/datasets",
            j!({ "name": "liar", "file_name": "liar.jsonl", "size_bytes": 1000 }),
        )
        .await;
    let id = created["data"]["dataset"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = created["data"]["upload"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..64).map(|_| Ok(vec![b'x'; 16 * 1024])).collect();
    let res = reqwest::Client::new()
        .put(app.url(&url))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let (status, _) = json(
        client
            .post(app.url(&format!("/api/datasets/{id}/confirm")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status, 409,
        "no object was kept, so there is nothing to confirm"
    );
    let files = walk(&app.services.config.storage.dir);
    assert!(files.is_empty(), "partial upload left behind: {files:?}");

    // Cancel removes the pending row.
    let (status, _) = json(
        client
            .post(app.url(&format!("/api/datasets/{id}/cancel")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM datasets")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn tampered_or_expired_urls_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("dd@example.com").await;
    let (_, created) = app
        .post(
            &client,
            "/api/datasets",
            j!({ "name": "t", "file_name": "t.jsonl", "size_bytes": 10 }),
        )
        .await;
    let url = created["data"]["upload"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let raw = reqwest::Client::new();
    for bad in [
        url.replace("t.jsonl", "u.jsonl"),
        url.replace("max=10", "max=1000000"),
        url.replace("sig=", "sig=00"),
        url.split('?').next().unwrap().to_string(),
    ] {
        let res = raw.put(app.url(&bad)).body("x").send().await.unwrap();
        assert_eq!(res.status(), 403, "{bad}");
    }
    // A GET with the PUT's signature is refused too.
    assert_eq!(raw.get(app.url(&url)).send().await.unwrap().status(), 403);
    let expired = app
        .services
        .storage
        .upload_url("lora-datasets/x/y/z", 10, std::time::Duration::ZERO)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        raw.put(app.url(&expired.url))
            .body("x")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn file_names_with_paths_or_control_characters_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("de@example.com").await;
    for name in [
        "../../etc/passwd",
        "a/b.jsonl",
        "a\\b.jsonl",
        "bad\u{7}.jsonl",
        "",
    ] {
        let (status, body) = app
            .post(
                &client,
                "/api/datasets",
                j!({ "name": "n", "file_name": name, "size_bytes": 10 }),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("file_name")),
            "{name:?}"
        );
    }
    let (status, body) = app
        .post(
            &client,
            "/api/datasets",
            j!({ "name": " ", "file_name": "ok.jsonl", "size_bytes": 10 }),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("name")));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn another_users_dataset_is_not_found_on_every_route(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("df@example.com").await;
    let other = app.signed_in("dg@example.com").await;
    let id = upload(
        &app,
        &owner,
        "eq.jsonl",
        fixture("EQ-12-conversations-demo.jsonl"),
    )
    .await;
    let routes = [
        other.get(app.url(&format!("/api/datasets/{id}"))),
        other
            .patch(app.url(&format!("/api/datasets/{id}")))
            .json(&j!({ "name": "mine now" })),
        other.delete(app.url(&format!("/api/datasets/{id}"))),
        other.post(app.url(&format!("/api/datasets/{id}/confirm"))),
        other.post(app.url(&format!("/api/datasets/{id}/cancel"))),
        other.get(app.url("/api/datasets/not-a-uuid")),
    ];
    for req in routes {
        let (status, body) = json(req.send().await.unwrap()).await;
        assert_eq!(status, 404, "{body}");
        assert!(!body.to_string().contains("EQ-12"));
    }
    let (_, list) = app.get(&other, "/api/datasets").await;
    assert_eq!(list["data"]["total"], 0);

    // The owner can edit and delete.
    let (status, edited) = json(
        owner
            .patch(app.url(&format!("/api/datasets/{id}")))
            .json(&j!({ "name": "EQ-12 renamed", "description": "new words" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, edited["data"]["name"].as_str()),
        (200, Some("EQ-12 renamed"))
    );
    let (status, _) = json(
        owner
            .delete(app.url(&format!("/api/datasets/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = app.get(&owner, &format!("/api/datasets/{id}")).await;
    assert_eq!(status, 404);
    // The clean-up removes the deleted dataset's object.
    brightrun_backend::datasets::cleanup::tick(&app.services)
        .await
        .unwrap();
    assert!(walk(&app.services.config.storage.dir).is_empty());
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_crashed_validation_is_picked_up_again_after_its_lease(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("dh@example.com").await;
    let id = upload(
        &app,
        &client,
        "eq.jsonl",
        fixture("EQ-12-conversations-demo.jsonl"),
    )
    .await;
    // A worker claimed it and died: still validating, lease over.
    sqlx::query(
        "UPDATE datasets SET status = 'validating', lease_until = now() - interval '1 second'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let again = brightrun_backend::datasets::worker::tick(&app.services)
        .await
        .unwrap();
    assert_eq!(again.map(|u| u.to_string()), Some(id));
    let status: String = sqlx::query_scalar("SELECT status FROM datasets")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "ready");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn abandoned_uploads_are_cleaned_up(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("di@example.com").await;
    let (_, created) = app
        .post(
            &client,
            "/api/datasets",
            j!({ "name": "left", "file_name": "left.jsonl", "size_bytes": 5 }),
        )
        .await;
    // The browser sent the bytes, then the tab was closed before confirming.
    let url = created["data"]["upload"]["url"].as_str().unwrap();
    assert_eq!(
        reqwest::Client::new()
            .put(app.url(url))
            .body("hello")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(walk(&app.services.config.storage.dir).len(), 1);
    // Not yet stale: kept.
    assert_eq!(
        brightrun_backend::datasets::cleanup::tick(&app.services)
            .await
            .unwrap(),
        0
    );
    sqlx::query("UPDATE datasets SET created_at = now() - interval '2 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        brightrun_backend::datasets::cleanup::tick(&app.services)
            .await
            .unwrap(),
        1
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM datasets")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert!(walk(&app.services.config.storage.dir).is_empty());
}

async fn app_user(app: &TestApp) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_confirmed_datasets_file_cannot_be_replaced_through_its_upload_url(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("swap@example.com").await;
    let original = fixture("EQ-12-conversations-demo.jsonl");
    let (status, created) = app
        .post(
            &client,
            "/api/datasets",
            j!({ "name": "swap", "file_name": "eq.jsonl", "size_bytes": original.len() }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["dataset"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = app.url(created["data"]["upload"]["url"].as_str().unwrap());
    let put = |bytes: Vec<u8>| reqwest::Client::new().put(&url).body(bytes).send();
    assert_eq!(put(original.clone()).await.unwrap().status(), 200);
    let (status, _) = app
        .post(&client, &format!("/api/datasets/{id}/confirm"), j!({}))
        .await;
    assert_eq!(status, 200);

    // The same, still unexpired, URL: refused, and the stored file is the original.
    let res = put(b"{\"messages\": []}\n".to_vec()).await.unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["details"]
            .as_str()
            .unwrap()
            .contains("cannot be replaced"),
        "{body}"
    );
    let key: String = sqlx::query_scalar("SELECT storage_key FROM datasets WHERE id = $1::uuid")
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let stored = std::fs::read(app.services.config.storage.dir.join(&key)).unwrap();
    assert_eq!(stored, original);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn file_names_with_url_characters_upload_through_their_signed_url(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("names@example.com").await;
    // `upload` PUTs to the signed URL and confirms; both must succeed.
    let id = upload(
        &app,
        &client,
        "eq 12?v=2#final 100%.jsonl",
        fixture("EQ-12-conversations-demo.jsonl"),
    )
    .await;
    let (status, body) = app.get(&client, &format!("/api/datasets/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["dataset"]["file_name"], "eq 12?v=2#final 100%.jsonl",
        "{body}"
    );
    assert_eq!(body["data"]["dataset"]["status"], "uploaded", "{body}");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_dataset_whose_file_went_missing_is_invalid_not_validating_forever(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("lost@example.com").await;
    let id = upload(
        &app,
        &client,
        "eq.jsonl",
        fixture("EQ-12-conversations-demo.jsonl"),
    )
    .await;
    let key: String = sqlx::query_scalar("SELECT storage_key FROM datasets WHERE id = $1::uuid")
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    std::fs::remove_file(app.services.config.storage.dir.join(&key)).unwrap();
    let validated = brightrun_backend::datasets::worker::tick(&app.services)
        .await
        .unwrap();
    assert_eq!(validated.map(|u| u.to_string()), Some(id.clone()));
    let (_, body) = app.get(&client, &format!("/api/datasets/{id}")).await;
    assert_eq!(body["data"]["dataset"]["status"], "invalid", "{body}");
    let errors = body["data"]["report"]["errors"].to_string();
    assert!(errors.contains("no longer in storage"), "{body}");
}
