//! The `http` cluster backend against a real `brightrun-trainer serve` on a
//! free loopback port: a whole job on the agent's CPU (the device it
//! reports, offered and billed), the agent stopped and restarted mid-job, a
//! GPU job refused before it reaches a CPU-only agent, a wrong key; and,
//! with stand-ins, a job never sent where its GPU is missing, retries with
//! backoff and a job that is failed (never stuck) once the cluster is lost.

use crate::common::{
    TestApp, assert_kept_adapter, assert_samples, job, ready_dataset, tick_until,
    validation_dataset, with_validation_file,
};
use brightrun_trainer::serve::{self, Server};
use serde_json::{Value, json as j};
use sqlx::PgPool;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub(crate) const KEY: &str = "cluster-key-for-tests";

pub(crate) async fn agent(data: &Path, bind: SocketAddr) -> Server {
    serve::start(serve::Config {
        bind,
        data_dir: data.to_path_buf(),
        token: KEY.into(),
        concurrency: 1,
        max_resumes: serve::MAX_RESUMES,
        // As `brightrun-trainer serve` runs: URLs only.
        inputs: serve::Inputs::Remote {
            models_dir: data.join("models"),
        },
    })
    .await
    .expect("the trainer agent starts")
}

pub(crate) async fn app_for(pool: PgPool, url: &str, key: &str) -> TestApp {
    TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_CLUSTER", "http"),
            ("GPU_CLUSTER_API_URL", url),
            ("GPU_CLUSTER_API_KEY", key),
        ],
    )
    .await
}

/// `gpu_type` `t4` is a GPU job (`device` cuda); the real agent here has
/// only its CPU.
fn new_job(dataset: &str, gpu_type: &str, max_steps: u32) -> Value {
    j!({
        "dataset_id": dataset,
        "base_model": "tiny-llama",
        "preset": "custom",
        "config": {
            "learning_rate": 0.001, "batch_size": 2, "epochs": 50, "lora_r": 8, "lora_alpha": 16,
            "max_seq_len": 128, "validation_split": 0.1, "eval_interval": 2, "eval_samples": 2,
            "max_steps": max_steps
        },
        "gpu_type": gpu_type,
    })
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_job_trains_on_a_real_agent_that_is_stopped_and_restarted_mid_job(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("agent");
    let first = agent(&data, "127.0.0.1:0".parse().unwrap()).await;
    let addr = first.addr();
    let app = app_for(pool, &format!("http://{addr}"), KEY).await;
    let client = app.signed_in("gpu@example.com").await;
    let dataset = ready_dataset(&app, &client).await;

    // The page offers what the agent has: its CPU, no GPU.
    let (_, options) = app.get(&client, "/api/training/options").await;
    assert_eq!(options["data"]["backend"], "http");
    assert_eq!(offered(&options), ["cpu"], "{options}");
    assert_eq!(options["data"]["max_gpu_count"], 1);

    // It validates on a file of its own, which the agent fetches too.
    let validation = validation_dataset(&app, &client).await;
    let body = new_job(&dataset, "cpu", 12);
    let id = with_validation_file(&app, &client, body, &validation).await;
    assert_eq!(job(&app, &client, &id).await["job"]["backend"], "http");
    tick_until(&app, &client, &id, Duration::from_secs(120), |j| {
        j["job"]["current_step"].as_u64() >= Some(3)
    })
    .await;

    // The agent goes away mid-job: the job is not lost, nor failed at once.
    first.stop().await;
    let report = brightrun_backend::jobs::poller::tick(&app.services)
        .await
        .unwrap();
    assert_eq!(report.claimed, 1);
    let during = job(&app, &client, &id).await;
    assert_eq!(during["job"]["status"], "running", "{during}");
    let stored_before = during["job"]["current_step"].as_u64().unwrap();

    // It comes back on the same address and resumes from its checkpoint.
    let second = agent(&data, addr).await;
    let done = tick_until(&app, &client, &id, Duration::from_secs(180), |j| {
        j["job"]["status"] == "completed"
    })
    .await;
    assert_eq!(done["job"]["current_step"], 12);
    let steps: Vec<u64> = done["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["step"].as_u64().unwrap())
        .collect();
    assert_eq!(
        steps,
        (1..=12).collect::<Vec<u64>>(),
        "one point per step, none twice"
    );
    // The samples before training survive the agent's restart.
    assert_samples(&done, 12, 2);
    assert!(stored_before >= 3);
    let (rows,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM model_artifacts WHERE job_id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(rows, 1);
    let model = done["job"]["model_id"].as_str().unwrap();
    // The best adapter was chosen across the agent's restart.
    assert_kept_adapter(&app, &client, model).await;
    for file in brightrun_backend::jobs::spec::ARTIFACTS {
        let (owner,): (uuid::Uuid,) =
            sqlx::query_as("SELECT owner_id FROM training_jobs WHERE id = $1::uuid")
                .bind(&id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        let key = format!("lora-models/{owner}/{model}/adapter/{file}");
        let size = app.services.storage.size(&key).await.unwrap();
        assert!(size.unwrap_or(0) > 0, "{key} missing");
    }
    // The log says it resumed.
    let (_, logs) = app.get(&client, &format!("/api/jobs/{id}/logs")).await;
    let text = logs["data"]["text"].as_str().unwrap();
    assert!(text.contains("resumed from step"), "{text}");
    // It trained on the agent's CPU, and was billed as that.
    let (kind, billed): (Option<String>, Vec<String>) = sqlx::query_as(
        "SELECT j.trained_on->>'kind',
                coalesce(array_agg(DISTINCT c.details->>'gpu_type')
                         FILTER (WHERE c.id IS NOT NULL), '{}')
         FROM training_jobs j LEFT JOIN cost_records c ON c.job_id = j.id
         WHERE j.id = $1::uuid GROUP BY j.id",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(kind.as_deref(), Some("cpu"));
    assert!(billed.iter().all(|g| g == "cpu"), "{billed:?}");
    second.stop().await;
}

fn offered(options: &Value) -> Vec<&str> {
    options["data"]["gpus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect()
}

/// A loopback address nothing listens on (yet).
async fn free_addr() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_gpu_job_is_refused_before_it_reaches_a_cpu_only_agent_and_is_not_billed(pool: PgPool) {
    // The job was created while the agent was away (the page then offers
    // the catalog's GPUs); the agent that comes back has only its CPU.
    let addr = free_addr().await;
    let app = app_for(pool, &format!("http://{addr}"), KEY).await;
    let client = app.signed_in("refused@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (status, created) = app
        .post(&client, "/api/jobs", new_job(&dataset, "t4", 4))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let server = agent(&dir.path().join("agent"), addr).await;

    let failed = tick_until(&app, &client, &id, Duration::from_secs(30), |j| {
        j["job"]["status"] == "failed"
    })
    .await;
    let reason = failed["job"]["error_message"].as_str().unwrap();
    let cpu = &brightrun_trainer::device::detected().devices[0].name;
    assert!(
        reason.contains("the job asks for 1 NVIDIA T4 (t4, cuda)")
            && reason.contains(&format!("the agent has no GPU, only its CPU ({cpu})")),
        "{reason}"
    );
    assert_eq!(failed["job"]["cost_so_far"].as_f64(), Some(0.0), "{failed}");
    assert!(failed["job"]["started_at"].is_null(), "{failed}");
    let (records,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM cost_records WHERE job_id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(records, 0, "not billed");
    let listed: Value = reqwest::Client::new()
        .get(format!("http://{addr}/v1/jobs"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["jobs"], j!([]), "the agent never got it");

    // Now that the agent answers, the page offers what it has, and a GPU
    // job is refused when it is created.
    let (_, options) = app.get(&client, "/api/training/options").await;
    assert_eq!(offered(&options), ["cpu"], "{options}");
    let (status, err) = app
        .post(&client, "/api/jobs", new_job(&dataset, "t4", 4))
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (400, Some("gpu_type")),
        "{err}"
    );
    server.stop().await;
}

/// A stand-in agent that reports a T4 until `has_t4` turns false, and
/// counts the jobs sent to it (it would take any).
async fn gpu_stand_in(
    has_t4: Arc<std::sync::atomic::AtomicBool>,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    let router = axum::Router::new()
        .route(
            "/v1/info",
            axum::routing::get(move || {
                let t4 = has_t4.load(Ordering::SeqCst);
                async move {
                    let mut devices = vec![j!({"kind": "cpu", "name": "Stand-in CPU",
                        "memory_bytes": 1u64 << 34, "count": 1, "dtypes": ["f32"]})];
                    if t4 {
                        devices.push(j!({"kind": "cuda", "name": "Tesla T4",
                            "memory_bytes": 15u64 << 30, "count": 1, "dtypes": ["f16", "f32"]}));
                    }
                    axum::Json(j!({"version": "0", "features": ["cuda"], "devices": devices}))
                }
            }),
        )
        .route(
            "/v1/jobs",
            axum::routing::post(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async {
                    (
                        axum::http::StatusCode::CREATED,
                        axum::Json(j!({"id": "x", "status": "queued"})),
                    )
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, posts)
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_job_is_never_sent_to_an_agent_without_its_gpu(pool: PgPool) {
    let has_t4 = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (addr, posts) = gpu_stand_in(has_t4.clone()).await;
    let app = app_for(pool, &format!("http://{addr}"), KEY).await;
    let client = app.signed_in("t4@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, options) = app.get(&client, "/api/training/options").await;
    assert_eq!(offered(&options), ["cpu", "t4"], "{options}");
    let (status, created) = app
        .post(&client, "/api/jobs", new_job(&dataset, "t4", 4))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();

    // The T4 goes before the job is sent; a server that has not asked the
    // agent yet (its own services) polls.
    has_t4.store(false, Ordering::SeqCst);
    let other = app_for(app.pool.clone(), &format!("http://{addr}"), KEY).await;
    brightrun_backend::jobs::poller::tick(&other.services)
        .await
        .unwrap();
    let failed = job(&app, &client, &id).await;
    assert_eq!(failed["job"]["status"], "failed", "{failed}");
    let reason = failed["job"]["error_message"].as_str().unwrap();
    assert!(
        reason.contains("NVIDIA T4 (t4, cuda)") && reason.contains("Stand-in CPU"),
        "{reason}"
    );
    assert_eq!(
        posts.load(Ordering::SeqCst),
        0,
        "refused before it was sent"
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_wrong_cluster_key_fails_the_job_saying_which_setting(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let server = agent(&dir.path().join("agent"), "127.0.0.1:0".parse().unwrap()).await;
    let app = app_for(pool, &format!("http://{}", server.addr()), "not-the-key").await;
    let client = app.signed_in("key@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, created) = app
        .post(&client, "/api/jobs", new_job(&dataset, "t4", 2))
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let failed = tick_until(&app, &client, &id, Duration::from_secs(20), |j| {
        j["job"]["status"] == "failed"
    })
    .await;
    let reason = failed["job"]["error_message"].as_str().unwrap();
    assert!(reason.contains("GPU_CLUSTER_API_KEY"), "{reason}");
    server.stop().await;
}

/// A stand-in for a broken cluster: every request is answered 500.
async fn always_500() -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(j!({"error": "internal", "details": "boom"})),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, hits)
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_cluster_answering_500_is_retried_and_a_lost_one_fails_the_job(pool: PgPool) {
    let (addr, hits) = always_500().await;
    let app = app_for(pool, &format!("http://{addr}"), KEY).await;
    let client = app.signed_in("flaky@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, created) = app
        .post(&client, "/api/jobs", new_job(&dataset, "t4", 2))
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let before = hits.load(Ordering::SeqCst);
    brightrun_backend::jobs::poller::tick(&app.services)
        .await
        .unwrap();
    // One call before the submit (what the agent has), retried with
    // backoff; the job waits in the queue.
    assert_eq!(hits.load(Ordering::SeqCst) - before, 4);
    let waiting = job(&app, &client, &id).await;
    assert_eq!(waiting["job"]["status"], "queued", "{waiting}");
    // Ten minutes of silence later, the job is failed with a reason to act on.
    sqlx::query(
        "UPDATE training_jobs SET queued_at = now() - interval '11 minutes' WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();
    brightrun_backend::jobs::poller::tick(&app.services)
        .await
        .unwrap();
    let failed = job(&app, &client, &id).await;
    assert_eq!(failed["job"]["status"], "failed", "{failed}");
    let reason = failed["job"]["error_message"].as_str().unwrap();
    assert!(
        reason.contains("has not answered for 10 minutes") && reason.contains("retry"),
        "{reason}"
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn two_pollers_at_once_never_work_on_the_same_job(pool: PgPool) {
    let (addr, hits) = always_500().await;
    let app = app_for(pool, &format!("http://{addr}"), KEY).await;
    let client = app.signed_in("two@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    for _ in 0..3 {
        let (status, _) = app
            .post(&client, "/api/jobs", new_job(&dataset, "t4", 2))
            .await;
        assert_eq!(status, 201);
    }
    // A second server instance: its own services over the same database.
    let other = app_for(app.pool.clone(), &format!("http://{addr}"), KEY).await;
    let before = hits.load(Ordering::SeqCst);
    let (a, b) = tokio::join!(
        brightrun_backend::jobs::poller::tick(&app.services),
        brightrun_backend::jobs::poller::tick(&other.services),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.claimed + b.claimed, 3, "{a:?} {b:?}");
    // Each claimed job was tried once (4 attempts each, with backoff).
    assert_eq!(hits.load(Ordering::SeqCst) - before, 3 * 4);
    // The leases were released: the next tick claims them all again.
    let again = brightrun_backend::jobs::poller::tick(&other.services)
        .await
        .unwrap();
    assert_eq!(again.claimed, 3);
}

/// A slow network in front of the real agent: every request waits `delay`
/// before it is passed on. Counts the submissions of each `job_id`.
async fn slow_proxy(
    agent: SocketAddr,
    delay: Duration,
) -> (
    SocketAddr,
    Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
) {
    let submitted: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>> = Arc::default();
    let seen = submitted.clone();
    let upstream = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (seen, upstream) = (seen.clone(), upstream.clone());
        async move {
            tokio::time::sleep(delay).await;
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 24).await.unwrap();
            if parts.method == axum::http::Method::POST && parts.uri.path() == "/v1/jobs" {
                let spec: Value = serde_json::from_slice(&body).unwrap();
                let id = spec["job_id"].as_str().unwrap().to_string();
                *seen.lock().unwrap().entry(id).or_default() += 1;
            }
            let url = format!("http://{agent}{}", parts.uri);
            let mut forward = upstream.request(parts.method.clone(), url).body(body);
            for name in [
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
            ] {
                if let Some(v) = parts.headers.get(&name) {
                    forward = forward.header(name, v);
                }
            }
            let answer = forward.send().await.unwrap();
            let status = answer.status();
            (status, answer.bytes().await.unwrap())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, submitted)
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_tick_longer_than_its_lease_keeps_its_jobs_from_a_second_poller(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let real = agent(&dir.path().join("agent"), "127.0.0.1:0".parse().unwrap()).await;
    let (proxy, submitted) = slow_proxy(real.addr(), Duration::from_millis(500)).await;
    // Requests time out after 1 s and are retried: one call can take 5.4 s,
    // so a tick holds its jobs 10.8 s; submitting 24 jobs at 0.5 s each
    // takes longer, and the first poller must renew its lease to keep them.
    let vars = [
        ("BRIGHTRUN_CLUSTER", "http"),
        ("GPU_CLUSTER_API_KEY", KEY),
        ("BRIGHTRUN_CLUSTER_TIMEOUT_MS", "1000"),
    ];
    let url = format!("http://{proxy}");
    let mut with_url = vars.to_vec();
    with_url.push(("GPU_CLUSTER_API_URL", &url));
    let app = TestApp::spawn_with(pool, &with_url).await;
    let client = app.signed_in("slow@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    for _ in 0..24 {
        let (status, body) = app
            .post(&client, "/api/jobs", new_job(&dataset, "cpu", 2))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // A second server's poller ticks every 300 ms while the first works.
    let other = TestApp::spawn_with(app.pool.clone(), &with_url).await;
    let first = tokio::spawn({
        let services = app.services.clone();
        async move {
            let report = brightrun_backend::jobs::poller::tick(&services)
                .await
                .unwrap();
            (report, Instant::now())
        }
    });
    let mut second = Vec::new();
    while !first.is_finished() {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let r = brightrun_backend::jobs::poller::tick(&other.services)
            .await
            .unwrap();
        second.push((started, r.claimed));
    }
    let (first, ended) = first.await.unwrap();
    // A claim by the second poller is wrong if the first was still working
    // then (it releases its jobs in its last moment; a second's grace).
    let stolen: Vec<usize> = second
        .iter()
        .filter(|(started, claimed)| *claimed > 0 && *started + Duration::from_secs(1) < ended)
        .map(|(_, claimed)| *claimed)
        .collect();
    assert!(
        second.len() > 10,
        "the second poller ticked throughout: {}",
        second.len()
    );
    assert_eq!(
        stolen,
        Vec::<usize>::new(),
        "the second poller took jobs the first held"
    );
    assert_eq!(first.submitted, 24, "{first:?}");
    // (A submission the first poller retried after a timeout may appear twice.)
    assert_eq!(submitted.lock().unwrap().len(), 24);
    real.stop().await;
}

/// Early stopping on an agent: the job completes before its last step.
/// A Hub model the server downloaded reaches the agent through signed
/// storage URLs, lands in the agent's models folder and is trained on.
#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_hub_model_reaches_an_agent_through_signed_urls_and_trains(pool: PgPool) {
    let hub = crate::base_models::tiny_hub().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(&dir.path().join("agent"), "127.0.0.1:0".parse().unwrap()).await;
    let url = format!("http://{}", agent.addr());
    let app = TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_CLUSTER", "http"),
            ("GPU_CLUSTER_API_URL", &url),
            ("GPU_CLUSTER_API_KEY", KEY),
            ("BRIGHTRUN_HUB_URL", &hub),
        ],
    )
    .await;
    let client = app.signed_in("agent-hub@example.com").await;
    crate::base_models::train_on_hub_model(&app, &client, "cpu").await;
    let held = dir.path().join("agent/models/acme--tiny-chat");
    assert!(
        held.join("model.safetensors").is_file(),
        "kept for later jobs"
    );
    assert!(held.join("config.json").is_file());
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn early_stopping_ends_a_run_on_an_agent(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(&dir.path().join("agent"), "127.0.0.1:0".parse().unwrap()).await;
    let app = app_for(pool, &format!("http://{}", agent.addr()), KEY).await;
    let client = app.signed_in("agent-patience@example.com").await;
    crate::common::assert_stops_early(&app, &client).await;
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_model_trained_on_an_agent_answers_through_it(pool: PgPool) {
    use crate::generation::{api_token, messages, playground, text_of};
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(&dir.path().join("agent"), "127.0.0.1:0".parse().unwrap()).await;
    let app = app_for(pool, &format!("http://{}", agent.addr()), KEY).await;
    let client = app.signed_in("agent-chat@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, model) = crate::models::trained(&app, &client, new_job(&dataset, "cpu", 4)).await;

    // The agent fetches the adapter through signed URLs and streams back.
    let body = j!({"messages": messages(), "sampling": {"temperature": 0.0, "repetition_penalty": 5.0}, "max_tokens": 20});
    let (events, chunks) = playground(&app, &client, &model, body).await;
    assert_eq!(events[0]["type"], "loading", "{events:?}");
    let texts = events.iter().filter(|e| e["type"] == "text").count();
    assert!(texts > 1 && chunks > 1, "{texts} pieces in {chunks} chunks");
    assert_eq!(events.last().unwrap()["type"], "done", "{events:?}");

    let key = api_token(&app, &client).await;
    let (status, whole) = crate::common::json(
        app.script()
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(
                &j!({"model": model, "messages": messages(), "temperature": 0,
                "repetition_penalty": 5.0, "max_tokens": 20}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{whole}");
    assert_eq!(
        whole["choices"][0]["message"]["content"],
        text_of(&events).as_str()
    );
    agent.stop().await;
}
