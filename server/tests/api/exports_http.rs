//! Exports on the `http` backend: a model trained on a real
//! `brightrun-trainer serve` agent is exported there (the adapter fetched
//! through signed URLs), its files streamed into storage and read back,
//! and the agent's copy removed; and, against a stand-in agent, what a
//! hostile agent lists (a path out of the prefix, a file larger than it
//! said) fails the export with nothing stored.

use crate::common::{TestApp, new_job, ready_dataset};
use crate::exports::{check_gguf, check_merged, download, export_all};
use crate::jobs_http::{KEY, agent, app_for};
use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use brightrun::models::ExportFormat;
use serde_json::{Value, json as j};
use sqlx::PgPool;
use std::sync::Arc;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_model_trained_on_an_agent_is_exported_there_and_stored_here(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("agent");
    let agent = agent(&data, "127.0.0.1:0".parse().unwrap()).await;
    let app = app_for(pool, &format!("http://{}", agent.addr()), KEY).await;
    let client = app.signed_in("agent-exports@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, model) = crate::models::trained(&app, &client, new_job(&dataset, "cpu", 2)).await;

    let exports = format!("/api/models/{model}/exports");
    let formats = [
        ExportFormat::Merged,
        ExportFormat::GgufQ8_0,
        ExportFormat::GgufLora,
    ];
    for format in formats {
        let (status, queued) = app.post(&client, &exports, j!({"format": format})).await;
        assert_eq!(status, 202, "{queued}");
    }
    assert_eq!(export_all(&app).await, formats.len());
    let (_, list) = app.get(&client, &exports).await;
    for e in list["data"].as_array().unwrap() {
        assert_eq!(e["status"], "completed", "{e}");
        assert_eq!(e["progress"], 1.0, "{e}");
    }
    for format in formats {
        let files = download(&app, &client, &model, format.as_str()).await;
        match format {
            ExportFormat::Merged => check_merged(&files),
            gguf => check_gguf(gguf, &files),
        }
    }
    assert_agent_refuses_what_it_did_not_list(&format!("http://{}", agent.addr())).await;
    let left: Vec<_> = std::fs::read_dir(data.join("exports"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "the agent keeps nothing: {left:?}");
    agent.stop().await;
}

/// The agent's export routes take its token, URLs only, and serve no
/// name an export did not list.
async fn assert_agent_refuses_what_it_did_not_list(agent: &str) {
    let http = reqwest::Client::new();
    let spec = j!({"export_id": "e-1", "base_model": "tiny-llama", "format": "merged",
        "adapter": {"config": "http://127.0.0.1:9/c", "weights": "http://127.0.0.1:9/w"},
        "upload": {"status": "http://127.0.0.1:9/s", "files": []}});
    let res = http
        .post(format!("{agent}/v1/exports"))
        .json(&spec)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = http
        .post(format!("{agent}/v1/exports"))
        .bearer_auth(KEY)
        .json(&spec)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["details"].as_str().unwrap().contains("`upload`"),
        "{body}"
    );
    for path in [
        "/v1/exports/e-1/files/config.json",
        "/v1/exports/e-1/files/..%2F..%2Fagent.token",
        "/v1/exports/e-1/files/%2Fetc%2Fpasswd",
    ] {
        let res = http
            .get(format!("{agent}{path}"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}

/// What the stand-in agent lists and sends.
struct Lies {
    name: &'static str,
    listed: u64,
    sent: usize,
}

async fn stand_in(lies: Lies) -> std::net::SocketAddr {
    let lies = Arc::new(lies);
    let view = |lies: &Lies| {
        j!({"id": "x", "status": "completed", "fraction": 1.0, "stage": "done",
            "files": [{"name": lies.name, "size_bytes": lies.listed}]})
    };
    let router = axum::Router::new()
        .route(
            "/v1/exports",
            post(move |State(l): State<Arc<Lies>>| async move { Json(view(&l)) }),
        )
        .route(
            "/v1/exports/{id}",
            get(move |State(l): State<Arc<Lies>>| async move { Json(view(&l)) })
                .delete(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route(
            "/v1/exports/{id}/files/{*name}",
            get(|State(l): State<Arc<Lies>>| async move { vec![7u8; l.sent] }),
        )
        .with_state(lies);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn what_a_hostile_agent_lists_fails_the_export_and_stores_nothing(pool: PgPool) {
    // Both servers keep their storage in one folder.
    let shared = tempfile::tempdir().unwrap();
    let data = shared.path().display().to_string();
    let local = TestApp::spawn_with(pool.clone(), &[("BRIGHTRUN_DATA_DIR", &data)]).await;
    let client = local.signed_in("hostile-agent@example.com").await;
    let dataset = ready_dataset(&local, &client).await;
    let (_, model) = crate::models::trained(&local, &client, new_job(&dataset, "cpu", 2)).await;
    local.stop().await;

    let cases = [
        (
            Lies {
                name: "../../../etc/cron.d/x",
                listed: 4,
                sent: 4,
            },
            "unusable name",
        ),
        (
            Lies {
                name: "model-q8_0.gguf",
                listed: 10,
                sent: 100_000,
            },
            "failed on the server",
        ),
    ];
    for (lies, says) in cases {
        let agent = stand_in(lies).await;
        let url = format!("http://{agent}");
        let app = TestApp::spawn_with(
            pool.clone(),
            &[
                ("BRIGHTRUN_CLUSTER", "http"),
                ("GPU_CLUSTER_API_URL", &url),
                ("GPU_CLUSTER_API_KEY", KEY),
                ("BRIGHTRUN_DATA_DIR", &data),
            ],
        )
        .await;
        let exports = format!("/api/models/{model}/exports");
        let (status, queued) = app
            .post(&client, &exports, j!({"format": "gguf-q8_0"}))
            .await;
        // The second case asks again for the export the first one failed.
        assert_eq!(status, 202, "{queued}");
        assert_eq!(export_all(&app).await, 1);
        let (_, list) = app.get(&client, &exports).await;
        let export: &Value = &list["data"][0];
        assert_eq!(export["status"], "failed", "{export}");
        assert!(
            export["error"].as_str().unwrap().contains(says),
            "{says}: {export}"
        );
        let owner: uuid::Uuid =
            sqlx::query_scalar("SELECT owner_id FROM model_artifacts WHERE id = $1::uuid")
                .bind(&model)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        let prefix = format!("lora-models/{owner}/{model}/exports/");
        let held = app.services.storage.delete_prefix(&prefix).await.unwrap();
        assert_eq!(held, 0, "nothing stored under {prefix}");
        app.stop().await;
    }
}
