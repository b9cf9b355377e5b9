//! Jobs over HTTP, end to end: a real server, the real trainer (the built-in
//! tiny model) on the local cluster and behind `brightrun-trainer serve`,
//! the poller's ticks driven by the test, the adapter in real storage.

use crate::common::{
    TestApp, assert_kept_adapter, assert_samples, create, json, new_job, ready_dataset,
    short_config, stored_artifacts, tick_until, validation_dataset, with_validation_file,
};
use serde_json::{Value, json as j};
use sqlx::PgPool;
use std::time::Duration;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_job_trains_on_the_local_cluster_into_a_model_with_its_adapter_in_storage(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("trainer@example.com").await;
    let dataset = ready_dataset(&app, &client).await;

    let (status, options) = app.get(&client, "/api/training/options").await;
    assert_eq!(status, 200, "{options}");
    let o = &options["data"];
    assert_eq!(o["backend"], "local");
    assert_eq!(o["datasets"][0]["id"], dataset.as_str());
    assert_eq!(o["datasets"][0]["trainable_examples"], 44);
    assert_eq!(o["models"][0]["id"], "tiny-llama");
    assert_eq!(o["gpus"].as_array().unwrap().len(), 1);
    assert_eq!(o["gpus"][0]["id"], "cpu");
    // What `local` offers is what this machine has: its CPU (and its CUDA
    // GPUs, in a server built with `cuda`).
    let has = app.services.cluster.devices().await.unwrap();
    let has = has.expect("the local backend says what it has");
    assert_eq!(&has, brightrun_trainer::device::detected());
    assert_eq!(has.devices[0].kind, brightrun::cluster::DeviceKind::Cpu);

    let (status, estimate) = app
        .post(
            &client,
            "/api/jobs/estimate",
            j!({"dataset_id": dataset, "base_model": "tiny-llama", "config": short_config(0), "gpu_type": "cpu"}),
        )
        .await;
    assert_eq!(status, 200, "{estimate}");
    // 44 examples, 4 held out, 2 per step: 20 steps in one epoch.
    assert_eq!(estimate["data"]["total_steps"], 20);
    assert_eq!(estimate["data"]["training_examples"], 40);
    assert!(estimate["data"]["total_tokens"].as_u64().unwrap() > 1000);
    assert_eq!(estimate["data"]["cost"], 0.0);
    assert_eq!(estimate["data"]["throughput"]["source"], "baseline");

    let id = create(&app, &client, new_job(&dataset, "cpu", 4)).await;
    let job = tick_until(&app, &client, &id, Duration::from_secs(180), |j| {
        j["job"]["status"] == "completed"
    })
    .await;
    assert_eq!(job["job"]["current_step"], 4);
    assert_eq!(job["job"]["total_steps"], 4);
    assert_eq!(job["metric_count"], 4);
    let steps: Vec<u64> = job["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, [1, 2, 3, 4]);
    assert!(job["metrics"][0]["train_loss"].as_f64().unwrap() > 0.0);
    assert!(job["metrics"][0]["tokens_per_second"].as_f64().unwrap() > 0.0);
    // Validation loss every 2 steps.
    assert_eq!(job["eval_points"].as_array().unwrap().len(), 2);
    // What the model said before training and at step 4.
    assert_samples(&job, 4, 2);
    assert_eq!(job["config"]["max_steps"], 4);
    assert_eq!(job["job"]["preset"], "custom");
    assert!(job["job"]["started_at"].is_string() && job["job"]["finished_at"].is_string());

    // Only the points after a step.
    let (status, after) = app
        .get(&client, &format!("/api/jobs/{id}/metrics?after_step=2"))
        .await;
    assert_eq!(status, 200);
    let after: Vec<u64> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["step"].as_u64().unwrap())
        .collect();
    assert_eq!(after, [3, 4]);

    // The model: one row, its files in storage before the job said completed.
    let model = job["job"]["model_id"]
        .as_str()
        .expect("a model id")
        .to_string();
    let (rows, rating, quality): (i64, Option<i16>, Option<Value>) = sqlx::query_as(
        "SELECT count(*) OVER (), quality_rating, quality_metrics FROM model_artifacts WHERE job_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows, 1);
    assert!((1..=5).contains(&rating.unwrap()));
    let quality = quality.unwrap();
    assert!(quality["perplexity"].as_f64().unwrap() > 1.0);
    for (file, size) in stored_artifacts(&app, &model).await {
        assert!(size > 0, "{file} is missing from storage");
    }
    assert_kept_adapter(&app, &client, &model).await;
    // Exactly one artifact per job is the schema's rule, not the poller's luck.
    let second = sqlx::query(
        "INSERT INTO model_artifacts (id, owner_id, job_id, name, base_model, storage_prefix)
         SELECT gen_random_uuid(), owner_id, job_id, name, base_model, storage_prefix
         FROM model_artifacts WHERE job_id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.pool)
    .await;
    assert!(second.unwrap_err().to_string().contains("unique"));
    // More ticks change nothing.
    brightrun_backend::jobs::poller::tick(&app.services)
        .await
        .unwrap();
    let (points,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM metrics_points WHERE job_id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(points, 4);

    // The user was told, with a link.
    let kinds: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT notification_type, link FROM notifications WHERE notification_type LIKE 'job_%' ORDER BY created_at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(kinds.last().unwrap().0, "job_completed", "{kinds:?}");
    assert_eq!(
        kinds.last().unwrap().1.as_deref(),
        Some(format!("/training/jobs/{id}").as_str())
    );

    // The trainer's log, through the job.
    let (status, logs) = app.get(&client, &format!("/api/jobs/{id}/logs")).await;
    assert_eq!(status, 200);
    let text = logs["data"]["text"].as_str().unwrap();
    assert!(
        text.contains("started: 4 steps") && text.contains("completed"),
        "{text}"
    );
    let next = logs["data"]["next_offset"].as_u64().unwrap();
    assert_eq!(next as usize, text.len());

    // A finished job is in the list and cannot be cancelled or retried.
    let (_, list) = app.get(&client, "/api/jobs?status=completed").await;
    assert_eq!(list["data"]["total"], 1);
    assert_eq!(list["data"]["jobs"][0]["dataset_name"], "EQ-12");
    let (status, _) = app
        .post(&client, &format!("/api/jobs/{id}/cancel"), j!({}))
        .await;
    assert_eq!(status, 409);
    let (status, _) = app
        .post(&client, &format!("/api/jobs/{id}/retry"), j!({}))
        .await;
    assert_eq!(status, 409);

    // Finished jobs calibrate the next estimate.
    let (_, estimate) = app
        .post(
            &client,
            "/api/jobs/estimate",
            j!({"dataset_id": dataset, "base_model": "tiny-llama", "config": short_config(0), "gpu_type": "cpu"}),
        )
        .await;
    assert_eq!(estimate["data"]["throughput"]["source"], "calibrated");
    assert_eq!(estimate["data"]["throughput"]["jobs"], 1);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn cancel_mid_run_stops_the_trainer_and_billing(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_CPU_PRICE_PER_HOUR", "3.6")]).await;
    let client = app.signed_in("cancel@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let mut body = new_job(&dataset, "cpu", 5000);
    body["config"]["epochs"] = j!(50);
    let id = create(&app, &client, body).await;
    tick_until(&app, &client, &id, Duration::from_secs(120), |j| {
        j["job"]["status"] == "running" && j["job"]["current_step"].as_u64() >= Some(1)
    })
    .await;
    let (status, cancelled) = app
        .post(&client, &format!("/api/jobs/{id}/cancel"), j!({}))
        .await;
    assert_eq!(status, 200, "{cancelled}");
    let asked = chrono::Utc::now();
    let job = tick_until(&app, &client, &id, Duration::from_secs(30), |j| {
        j["job"]["status"] == "cancelled"
    })
    .await;
    let step = job["job"]["current_step"].as_u64().unwrap();
    assert!(step < 5000, "{job}");
    // Billed to the cancel: 3.6 $/h is 0.001 $/s.
    let finished: chrono::DateTime<chrono::Utc> =
        job["job"]["finished_at"].as_str().unwrap().parse().unwrap();
    assert!(finished <= asked, "{finished} after {asked}");
    let cost = job["job"]["cost_so_far"].as_f64().unwrap();
    let started: chrono::DateTime<chrono::Utc> =
        job["job"]["started_at"].as_str().unwrap().parse().unwrap();
    let expect = (finished - started).num_milliseconds() as f64 / 1000.0 * 0.001;
    assert!(
        (cost - expect).abs() < 0.0002,
        "cost {cost}, expected {expect}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    brightrun_backend::jobs::poller::tick(&app.services)
        .await
        .unwrap();
    let (_, again) = app.get(&client, &format!("/api/jobs/{id}")).await;
    assert_eq!(again["data"]["job"]["cost_so_far"].as_f64().unwrap(), cost);
    assert_eq!(again["data"]["job"]["current_step"].as_u64().unwrap(), step);
    let (status, _) = app
        .post(&client, &format!("/api/jobs/{id}/cancel"), j!({}))
        .await;
    assert_eq!(status, 409);
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM notifications WHERE notification_type = 'job_cancelled'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(n, 1);

    // Retry starts a new attempt from nothing, with a new model id: the
    // first attempt's signed upload URLs cannot write the new model's files.
    let model_id = |pool: PgPool| async move {
        sqlx::query_scalar::<_, uuid::Uuid>("SELECT model_id FROM training_jobs")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let first_model = model_id(app.pool.clone()).await;
    let (status, retried) = app
        .post(&client, &format!("/api/jobs/{id}/retry"), j!({}))
        .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["data"]["status"], "queued");
    assert_eq!(retried["data"]["retry_count"], 1);
    assert_eq!(retried["data"]["current_step"], 0);
    assert_ne!(model_id(app.pool.clone()).await, first_model);
    let (_, points) = app.get(&client, &format!("/api/jobs/{id}/metrics")).await;
    assert_eq!(points["data"].as_array().unwrap().len(), 0);
    // Cancelled again before it reaches the cluster: cancelled at once.
    let (status, _) = app
        .post(&client, &format!("/api/jobs/{id}/cancel"), j!({}))
        .await;
    assert_eq!(status, 200);
}

/// EQ-12 as OpenAI chat JSONL, each conversation with its whole history:
/// every assistant turn is learned, except on odd lines, where the earlier
/// turns have weight 0.
fn eq12_as_openai_chat() -> Vec<u8> {
    let fixture = crate::common::fixture("EQ-12-conversations-demo.jsonl");
    let examples = brightrun::datasets::training_examples(&fixture).unwrap();
    let mut out = String::new();
    for (i, ex) in examples.iter().enumerate() {
        let last = ex.messages.len() - 1;
        let messages: Vec<serde_json::Value> = ex
            .messages
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let mut v = j!({"role": m.role.as_str(), "content": m.content});
                if m.role == brightrun::datasets::Role::Assistant && k < last && i % 2 == 1 {
                    v["weight"] = j!(0);
                }
                v
            })
            .collect();
        out.push_str(&j!({ "messages": messages }).to_string());
        out.push('\n');
    }
    out.into_bytes()
}

/// OpenAI chat with several assistant turns: the statistics count the
/// learned tokens (more than the same pairs in brightrun-lora-v4, where only
/// the target is learned; fewer than all the assistant's where a weight is
/// 0), the estimate says how many the run learns from, and it trains.
#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn every_weighted_assistant_turn_of_an_openai_file_is_counted_and_trained(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("turns@example.com").await;
    let pairs = ready_dataset(&app, &client).await;
    let chat = crate::common::upload(&app, &client, "eq12-chat.jsonl", eq12_as_openai_chat()).await;
    brightrun_backend::datasets::worker::tick(&app.services)
        .await
        .unwrap();
    let stats = |body: serde_json::Value| body["data"]["report"]["stats"]["tokens"].clone();
    let chat_tokens = stats(app.get(&client, &format!("/api/datasets/{chat}")).await.1);
    let pair_tokens = stats(app.get(&client, &format!("/api/datasets/{pairs}")).await.1);
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap();
    assert!(
        n(&chat_tokens, "trained") > n(&pair_tokens, "trained"),
        "{chat_tokens} {pair_tokens}"
    );
    assert!(
        n(&chat_tokens, "trained") < n(&chat_tokens, "assistant"),
        "{chat_tokens}"
    );
    assert!(
        n(&pair_tokens, "trained") < n(&pair_tokens, "assistant"),
        "{pair_tokens}"
    );
    let id = create(&app, &client, new_job(&chat, "cpu", 2)).await;
    let detail = crate::common::job(&app, &client, &id).await;
    let estimate = &detail["estimate"];
    assert!(
        n(estimate, "trained_tokens") > 0
            && n(estimate, "trained_tokens") < n(estimate, "total_tokens"),
        "{estimate}"
    );
    let done = tick_until(&app, &client, &id, Duration::from_secs(180), |j| {
        matches!(j["job"]["status"].as_str(), Some("completed" | "failed"))
    })
    .await;
    assert_eq!(done["job"]["status"], "completed", "{done}");
}

/// A job validating on a file of the user's own on the local backend; the
/// training file itself, or a dataset that is not theirs, is refused by name.
#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_validation_file_validates_a_local_job(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("validation@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let validation = validation_dataset(&app, &client).await;
    for (bad, message) in [
        (dataset.clone(), "is the training file"),
        (uuid::Uuid::new_v4().to_string(), "No dataset of yours"),
    ] {
        let mut body = new_job(&dataset, "cpu", 4);
        body["validation_dataset_id"] = j!(bad);
        let (status, err) = app.post(&client, "/api/jobs", body).await;
        assert_eq!(
            (status, err["field"].as_str()),
            (400, Some("validation_dataset_id")),
            "{err}"
        );
        assert!(err["details"].as_str().unwrap().contains(message), "{err}");
    }
    let id = with_validation_file(&app, &client, new_job(&dataset, "cpu", 4), &validation).await;
    let done = tick_until(&app, &client, &id, Duration::from_secs(180), |j| {
        matches!(j["job"]["status"].as_str(), Some("completed" | "failed"))
    })
    .await;
    assert_eq!(done["job"]["status"], "completed", "{done}");
    assert_samples(&done, 4, 2);
}

/// A run whose validation loss stops improving stops early on the local
/// backend; its model keeps the best evaluation's adapter and says why.
#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn early_stopping_ends_a_run_and_the_model_says_which_adapter_it_kept(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("patience@example.com").await;
    crate::common::assert_stops_early(&app, &client).await;
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn bad_configurations_are_refused_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("config@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let cases = [
        (
            "learning_rate",
            j!(0.5),
            "Learning rate must be between 1e-6 and 0.01.",
        ),
        ("batch_size", j!(65), "Batch size must be between 1 and 64."),
        ("epochs", j!(0), "Epochs must be between 1 and 50."),
        ("lora_r", j!(512), "LoRA rank must be between 1 and 256."),
        (
            "target_modules",
            j!(["attn"]),
            "Unknown target module 'attn'",
        ),
        (
            "early_stopping_patience",
            j!(101),
            "Early stopping patience must be between 0 and 100.",
        ),
        ("keep_adapter", j!("worst"), "best"),
    ];
    for (field, value, message) in cases {
        let mut body = new_job(&dataset, "cpu", 4);
        body["config"][field] = value;
        let (status, err) = app.post(&client, "/api/jobs", body).await;
        assert_eq!(status, 400, "{field}: {err}");
        assert_eq!(err["field"], field, "{err}");
        assert!(err["details"].as_str().unwrap().contains(message), "{err}");
    }
    let mut body = new_job(&dataset, "a100-80gb", 4);
    let (status, err) = app.post(&client, "/api/jobs", body.clone()).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (400, Some("gpu_type")),
        "{err}"
    );
    assert!(err["details"].as_str().unwrap().contains("cpu"), "{err}");
    body["gpu_type"] = j!("cpu");
    body["base_model"] = j!("gpt-5");
    let (status, err) = app.post(&client, "/api/jobs", body).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (400, Some("base_model")),
        "{err}"
    );
    assert!(
        err["details"].as_str().unwrap().contains("tiny-llama"),
        "{err}"
    );
    // A value of the wrong kind is named as a range error is.
    let mut body = new_job(&dataset, "cpu", 4);
    body["config"]["dtype"] = j!("fp8");
    let (status, err) = app.post(&client, "/api/jobs", body).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (400, Some("dtype")),
        "{err}"
    );
    assert!(err["details"].as_str().unwrap().contains("bf16"), "{err}");
    let mut body = new_job(&dataset, "cpu", 4);
    body["config"]["lora_rank"] = j!(8);
    let (status, err) = app.post(&client, "/api/jobs", body).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["details"].as_str().unwrap().contains("lora_rank"),
        "{err}"
    );
    // A dataset that is not ready.
    let pending = crate::common::upload(
        &app,
        &client,
        "later.jsonl",
        crate::common::fixture("EQ-12-conversations-demo.jsonl"),
    )
    .await;
    let (status, err) = app
        .post(&client, "/api/jobs", new_job(&pending, "cpu", 4))
        .await;
    assert_eq!(status, 409, "{err}");
    assert!(err["details"].as_str().unwrap().contains("ready"), "{err}");
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM training_jobs")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn another_users_job_is_not_found_on_every_route(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("owner@example.com").await;
    let other = app.signed_in("other@example.com").await;
    let dataset = ready_dataset(&app, &owner).await;
    let id = create(&app, &owner, new_job(&dataset, "cpu", 2)).await;
    for path in [
        format!("/api/jobs/{id}"),
        format!("/api/jobs/{id}/metrics"),
        format!("/api/jobs/{id}/logs"),
        "/api/jobs/not-a-uuid".to_string(),
    ] {
        let (status, body) = app.get(&other, &path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"], "not_found");
    }
    for path in [
        format!("/api/jobs/{id}/cancel"),
        format!("/api/jobs/{id}/retry"),
    ] {
        let (status, body) = app.post(&other, &path, j!({})).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (_, list) = app.get(&other, "/api/jobs").await;
    assert_eq!(list["data"]["total"], 0);
    // Nor can their dataset be trained on or estimated.
    let (status, _) = app
        .post(&other, "/api/jobs", new_job(&dataset, "cpu", 2))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(
            &other,
            "/api/jobs/estimate",
            j!({"dataset_id": dataset, "base_model": "tiny-llama", "config": short_config(2), "gpu_type": "cpu"}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, options) = app.get(&other, "/api/training/options").await;
    assert_eq!(options["data"]["datasets"].as_array().unwrap().len(), 0);
    // Without a session: 401.
    let (status, _) = json(app.script().get(app.url("/api/jobs")).send().await.unwrap()).await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_server_restarted_mid_job_resumes_it_without_duplicates(pool: PgPool) {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let vars = [
        (
            "BRIGHTRUN_DATA_DIR",
            data.path().to_str().unwrap().to_string(),
        ),
        ("BRIGHTRUN_ADDR", format!("127.0.0.1:{port}")),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestApp::spawn_with(pool.clone(), &vars).await;
    let client = app.signed_in("restart@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let mut body = new_job(&dataset, "cpu", 14);
    body["config"]["epochs"] = j!(50);
    let id = create(&app, &client, body).await;
    tick_until(&app, &client, &id, Duration::from_secs(120), |j| {
        j["job"]["current_step"].as_u64() >= Some(3)
    })
    .await;
    app.stop().await;

    // Same data folder, same address: the embedded trainer resumes the job.
    let app = TestApp::spawn_with(pool, &vars).await;
    let (status, _) = json(
        client
            .post(app.url("/api/auth/signin"))
            .json(&j!({"email": "restart@example.com", "password": crate::common::PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let done = tick_until(&app, &client, &id, Duration::from_secs(180), |j| {
        j["job"]["status"] == "completed"
    })
    .await;
    let steps: Vec<u64> = done["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, (1..=14).collect::<Vec<u64>>());
    let (rows,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM model_artifacts WHERE job_id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(rows, 1);
    let (_, logs) = app.get(&client, &format!("/api/jobs/{id}/logs")).await;
    assert!(
        logs["data"]["text"]
            .as_str()
            .unwrap()
            .contains("resumed from step"),
        "{logs}"
    );
}
