//! Jobs on a real Ray cluster (a head node on loopback with token auth,
//! started by `scripts/ray-head` — `./scripts/test` does it and sets
//! BRIGHTRUN_TEST_RAY_DIR): the whole job with the tiny model through the
//! Ray Jobs REST API, cancel, an idempotent resubmit, the head killed
//! mid-job, a trainer failure that Ray calls a success, and exports run
//! as Ray jobs.
//! These tests share one Ray head, so nextest runs them one at a time.

use crate::common::{
    TestApp, assert_kept_adapter, assert_samples, create, new_job, ready_dataset, stored_artifacts,
    tick_until, validation_dataset, with_validation_file,
};
use serde_json::Value;
use sqlx::PgPool;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Ray {
    dir: PathBuf,
    address: String,
    token: String,
}

fn ray() -> Ray {
    let dir = PathBuf::from(std::env::var("BRIGHTRUN_TEST_RAY_DIR").expect(
        "the Ray backend's tests need a Ray head: run ./scripts/test, or `scripts/ray-head start DIR` \
         and set BRIGHTRUN_TEST_RAY_DIR=DIR",
    ));
    let env =
        std::fs::read_to_string(dir.join("ray.env")).expect("DIR/ray.env from scripts/ray-head");
    let get = |k: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} in ray.env"))
            .to_string()
    };
    let address = get("RAY_ADDRESS");
    assert!(
        address.starts_with("http://127.0.0.1:"),
        "loopback only: {address}"
    );
    Ray {
        address,
        token: get("RAY_AUTH_TOKEN"),
        dir,
    }
}

impl Ray {
    fn ctl(&self, cmd: &str) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/ray-head");
        let out = std::process::Command::new(script)
            .arg(cmd)
            .arg(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ray-head {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// BrightRun's jobs (training and exports) as Ray lists them.
    async fn jobs(&self) -> Vec<Value> {
        let res = reqwest::Client::new()
            .get(format!("{}/api/jobs/", self.address))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let all: Vec<Value> = res.json().await.unwrap();
        all.into_iter()
            .filter(|j| j["metadata"]["brightrun"].is_string())
            .collect()
    }

    async fn job(&self, id: &str) -> Vec<Value> {
        self.jobs()
            .await
            .into_iter()
            .filter(|j| j["submission_id"] == id)
            .collect()
    }

    /// The job once Ray has finished it (Ray marks its end a moment after
    /// the trainer reports its own): it is asked until its status is final.
    async fn finished_job(&self, id: &str) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let jobs = self.job(id).await;
            let done = jobs.iter().all(|j| {
                matches!(
                    j["status"].as_str(),
                    Some("SUCCEEDED" | "FAILED" | "STOPPED")
                )
            });
            if !jobs.is_empty() && done {
                return jobs;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "Ray never finished: {jobs:?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

async fn app_for(pool: PgPool, ray: &Ray, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("BRIGHTRUN_CLUSTER", "ray"),
        ("RAY_ADDRESS", ray.address.as_str()),
        ("RAY_AUTH_TOKEN", ray.token.as_str()),
    ];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(pool, &vars).await
}

/// The job's log once it contains `needle` (or, after 60 s, as it is).
async fn log_containing(app: &TestApp, client: &reqwest::Client, id: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let (_, logs) = app.get(client, &format!("/api/jobs/{id}/logs")).await;
        let text = logs["data"]["text"].as_str().unwrap().to_owned();
        if text.contains(needle) || start.elapsed() > Duration::from_secs(60) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn status(b: &Value) -> &str {
    b["job"]["status"].as_str().unwrap()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_job_trains_through_ray_with_live_progress_into_one_model(pool: PgPool) {
    let ray = ray();
    let app = app_for(pool, &ray, &[]).await;
    let client = app.signed_in("ray@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let validation = validation_dataset(&app, &client).await;
    let (_, options) = app.get(&client, "/api/training/options").await;
    assert_eq!(options["data"]["backend"], "ray");

    let submitted = Instant::now();
    let body = new_job(&dataset, "cpu", 6);
    let id = with_validation_file(&app, &client, body, &validation).await;
    let running = tick_until(&app, &client, &id, Duration::from_secs(120), |b| {
        b["job"]["current_step"].as_u64().unwrap_or(0) > 0 || status(b) == "failed"
    })
    .await;
    eprintln!(
        "submit to first metric through Ray: {:.1} s",
        submitted.elapsed().as_secs_f64()
    );
    assert_ne!(status(&running), "failed", "{running}");
    assert!(
        !running["metrics"].as_array().unwrap().is_empty(),
        "progress from the trainer's report"
    );

    let done = tick_until(&app, &client, &id, Duration::from_secs(240), |b| {
        matches!(status(b), "completed" | "failed")
    })
    .await;
    assert_eq!(status(&done), "completed", "{done}");
    assert_eq!(done["metric_count"], 6);
    assert_samples(&done, 6, 2);
    let ray_job = ray.finished_job(&id).await;
    assert_eq!(ray_job.len(), 1);
    assert_eq!(ray_job[0]["status"], "SUCCEEDED");
    let owner: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(ray_job[0]["metadata"]["brightrun_owner"], owner.to_string());
    assert!(
        ray_job[0]["entrypoint"]
            .as_str()
            .unwrap()
            .starts_with("brightrun-trainer run --spec 'http://127.0.0.1:"),
        "{}",
        ray_job[0]["entrypoint"]
    );

    // The adapter is in storage and the model row was written once.
    let model = done["job"]["model_id"].as_str().unwrap();
    assert_kept_adapter(&app, &client, model).await;
    for (file, size) in stored_artifacts(&app, model).await {
        assert!(size > 0, "{file} in storage");
    }
    brightrun_backend::jobs::poller::tick(&app.services)
        .await
        .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM model_artifacts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);

    // The log panel reads Ray's log of the job.
    let (status_code, logs) = app.get(&client, &format!("/api/jobs/{id}/logs")).await;
    assert_eq!(status_code, 200, "{logs}");
    let text = logs["data"]["text"].as_str().unwrap();
    assert!(text.contains(r#""event":"completed""#), "{text}");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn cancel_stops_the_ray_job_and_a_resubmit_starts_no_second_run(pool: PgPool) {
    let ray = ray();
    let app = app_for(pool, &ray, &[]).await;
    let client = app.signed_in("ray-cancel@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let mut body = new_job(&dataset, "cpu", 5000);
    body["config"]["epochs"] = serde_json::json!(50);
    let id = create(&app, &client, body).await;
    tick_until(&app, &client, &id, Duration::from_secs(120), |b| {
        b["job"]["current_step"].as_u64().unwrap_or(0) > 0
    })
    .await;
    let (code, _) = app
        .post(
            &client,
            &format!("/api/jobs/{id}/cancel"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let done = tick_until(&app, &client, &id, Duration::from_secs(60), |b| {
        status(b) == "cancelled"
    })
    .await;
    let steps = done["metric_count"].as_u64().unwrap();
    assert!(steps < 5000);
    // Ray stopped it, and the trainer is gone: no new points arrive.
    let start = Instant::now();
    loop {
        let j = ray.job(&id).await;
        if j[0]["status"] == "STOPPED" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{j:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status_obj = app
        .services
        .storage
        .get_bytes(&brightrun_backend::jobs::cluster::ray::report_key(
            &id,
            "status.json",
        ))
        .await
        .unwrap()
        .unwrap();
    let report: Value = serde_json::from_slice(&status_obj).unwrap();
    assert!(
        report["progress"]["step"].as_u64().unwrap() <= steps + 1,
        "the trainer stopped: {report}"
    );

    // Submitting the same job id again finds the job; Ray still has one.
    let spec: brightrun_trainer::JobSpec = serde_json::from_slice(
        &app.services
            .storage
            .get_bytes(&brightrun_backend::jobs::cluster::ray::report_key(
                &id,
                "spec.json",
            ))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(app.services.cluster.submit(&spec).await.unwrap(), id);
    let jobs = ray.job(&id).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["status"], "STOPPED");
}

/// Early stopping in a Ray job: the job completes before its last step.
/// A Hub model the server downloaded is fetched by the Ray job through
/// signed storage URLs and trained on.
#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_ray_job_trains_on_a_hub_model_fetched_through_signed_urls(pool: PgPool) {
    let ray = ray();
    let hub = crate::base_models::tiny_hub().await;
    let app = app_for(pool, &ray, &[("BRIGHTRUN_HUB_URL", &hub)]).await;
    let client = app.signed_in("ray-hub@example.com").await;
    crate::base_models::train_on_hub_model(&app, &client, "cpu").await;
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn early_stopping_ends_a_ray_job(pool: PgPool) {
    let ray = ray();
    let app = app_for(pool, &ray, &[]).await;
    let client = app.signed_in("ray-patience@example.com").await;
    crate::common::assert_stops_early(&app, &client).await;
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_trainer_failure_that_ray_calls_a_success_is_a_failure(pool: PgPool) {
    let ray = ray();
    // The trainer fails (it cannot make its work folder) but the entrypoint
    // exits 0; and a second "trainer" never reports at all.
    let app = app_for(
        pool,
        &ray,
        &[(
            "BRIGHTRUN_RAY_ENTRYPOINT",
            "brightrun-trainer run --spec {spec} --work-dir /proc/brightrun-no-such/work; exit 0",
        )],
    )
    .await;
    let client = app.signed_in("ray-fail@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let id = create(&app, &client, new_job(&dataset, "cpu", 2)).await;
    let done = tick_until(&app, &client, &id, Duration::from_secs(120), |b| {
        matches!(status(b), "completed" | "failed")
    })
    .await;
    assert_eq!(ray.finished_job(&id).await[0]["status"], "SUCCEEDED");
    assert_eq!(status(&done), "failed", "{done}");
    let reason = done["job"]["error_message"].as_str().unwrap();
    assert!(
        reason.contains("/proc/brightrun-no-such/work"),
        "the trainer's own reason: {reason}"
    );

    let silent = app_for(
        app.pool.clone(),
        &ray,
        &[("BRIGHTRUN_RAY_ENTRYPOINT", "true {spec}")],
    )
    .await;
    let id = create(&silent, &client, new_job(&dataset, "cpu", 2)).await;
    // The same database and user: the new server polls the new job.
    let done = tick_until(&silent, &client, &id, Duration::from_secs(120), |b| {
        matches!(status(b), "completed" | "failed")
    })
    .await;
    assert_eq!(status(&done), "failed", "{done}");
    assert!(
        done["job"]["error_message"]
            .as_str()
            .unwrap()
            .contains("never reported finishing"),
        "{done}"
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_ray_head_killed_mid_job_resumes_the_job_when_ray_returns(pool: PgPool) {
    let ray = ray();
    let app = app_for(pool, &ray, &[]).await;
    let client = app.signed_in("ray-crash@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let mut body = new_job(&dataset, "cpu", 24);
    body["config"]["eval_interval"] = serde_json::json!(4);
    // Max steps is a cap: two epochs (40 steps) so the run takes all 24.
    body["config"]["epochs"] = serde_json::json!(2);
    let id = create(&app, &client, body).await;
    tick_until(&app, &client, &id, Duration::from_secs(120), |b| {
        b["job"]["current_step"].as_u64().unwrap_or(0) >= 8
    })
    .await;

    ray.ctl("stop");
    // While Ray is down the job stays running (the poller cannot ask).
    for _ in 0..3 {
        brightrun_backend::jobs::poller::tick(&app.services)
            .await
            .unwrap();
    }
    let (_, during) = app.get(&client, &format!("/api/jobs/{id}")).await;
    assert_eq!(during["data"]["job"]["status"], "running", "{during}");

    ray.ctl("start");
    let done = tick_until(&app, &client, &id, Duration::from_secs(300), |b| {
        matches!(status(b), "completed" | "failed")
    })
    .await;
    assert_eq!(status(&done), "completed", "{done}");
    assert_eq!(done["job"]["retry_count"], 1, "resubmitted once: {done}");
    assert_eq!(done["metric_count"], 24);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM model_artifacts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    // Ray writes the trainer's output to its log a moment after the
    // trainer reports: the log is read once Ray has finished the job, and
    // until the start event is in it.
    ray.finished_job(&id).await;
    let text = log_containing(&app, &client, &id, r#""resumed_from_step":"#).await;
    // A checkpoint every 4 steps: the rerun starts from the last one, not from 0.
    let resumed: u64 = text
        .split(r#""resumed_from_step":"#)
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no start event in the rerun's log: {text}"));
    assert!(
        resumed >= 8 && resumed.is_multiple_of(4),
        "the rerun resumed from its checkpoint at step {resumed}: {text}"
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_ray_backend_says_it_cannot_serve_models_instead_of_hanging(pool: PgPool) {
    let ray = ray();
    let app = app_for(pool, &ray, &[]).await;
    let client = app.signed_in("ray-chat@example.com").await;
    let key = crate::generation::api_token(&app, &client).await;
    let (status, e) = crate::common::json(
        app.script()
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"model": "tiny-llama",
                "messages": crate::generation::messages()}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 503, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ray backend cannot run models"),
        "{e}"
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_model_is_exported_by_a_ray_job_and_stored_here(pool: PgPool) {
    use crate::exports::{check_gguf, check_merged, download, export_all};
    use brightrun::models::ExportFormat;
    let ray = ray();
    // Trained here, exported on Ray: both servers keep storage in one folder.
    let shared = tempfile::tempdir().unwrap();
    let data = shared.path().display().to_string();
    let local = TestApp::spawn_with(pool.clone(), &[("BRIGHTRUN_DATA_DIR", &data)]).await;
    let client = local.signed_in("ray-exports@example.com").await;
    let dataset = ready_dataset(&local, &client).await;
    let (_, model) = crate::models::trained(&local, &client, new_job(&dataset, "cpu", 2)).await;
    local.stop().await;
    let exports = format!("/api/models/{model}/exports");

    // A Ray job that dies fails the export with Ray's reason and leaves
    // nothing behind; asked again, it is a new Ray job.
    let dying = app_for(
        pool.clone(),
        &ray,
        &[
            ("BRIGHTRUN_DATA_DIR", &data),
            ("BRIGHTRUN_RAY_ENTRYPOINT", "false {spec}"),
        ],
    )
    .await;
    let (code, queued) = dying
        .post(
            &client,
            &exports,
            serde_json::json!({"format": "gguf-q8_0"}),
        )
        .await;
    assert_eq!(code, 202, "{queued}");
    assert_eq!(export_all(&dying).await, 1);
    let (_, list) = dying.get(&client, &exports).await;
    let failed = &list["data"][0];
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("Ray reported the job failed"),
        "{failed}"
    );
    assert_eq!(
        dying
            .services
            .storage
            .delete_prefix("ray-exports/")
            .await
            .unwrap(),
        0,
        "a failed export's spec and view are removed"
    );
    dying.stop().await;

    let app = app_for(pool, &ray, &[("BRIGHTRUN_DATA_DIR", &data)]).await;
    let formats = [ExportFormat::GgufQ8_0, ExportFormat::Merged];
    for format in formats {
        let (code, queued) = app
            .post(&client, &exports, serde_json::json!({"format": format}))
            .await;
        assert_eq!(code, 202, "{queued}");
    }
    assert_eq!(export_all(&app).await, formats.len());
    let (_, list) = app.get(&client, &exports).await;
    for e in list["data"].as_array().unwrap() {
        assert_eq!(e["status"], "completed", "{e}");
        // One Ray job per request: `export-<export id>-<asked at>`.
        let named = format!("export-{}-", e["id"].as_str().unwrap());
        let ours: Vec<String> = ray
            .jobs()
            .await
            .iter()
            .filter_map(|j| j["submission_id"].as_str())
            .filter(|sid| sid.starts_with(&named))
            .map(str::to_string)
            .collect();
        let asked = if e["format"] == "gguf-q8_0" { 2 } else { 1 };
        assert_eq!(ours.len(), asked, "{ours:?}");
        let mut jobs = Vec::new();
        for sid in &ours {
            jobs.push(ray.finished_job(sid).await.remove(0));
        }
        let succeeded: Vec<&Value> = jobs.iter().filter(|j| j["status"] == "SUCCEEDED").collect();
        assert_eq!(succeeded.len(), 1, "{jobs:?}");
        let job = [succeeded[0].clone()];
        assert_eq!(job[0]["status"], "SUCCEEDED", "{job:?}");
        assert_eq!(job[0]["metadata"]["brightrun"], "export");
        let sid = job[0]["submission_id"].as_str().unwrap();
        let on_cluster = sid.strip_prefix("export-").unwrap();
        let left = app
            .services
            .storage
            .delete_prefix(&format!("ray-exports/{on_cluster}/"))
            .await
            .unwrap();
        assert_eq!(left, 0, "the job's uploads are removed once stored");
    }
    for format in formats {
        let files = download(&app, &client, &model, format.as_str()).await;
        match format {
            ExportFormat::Merged => check_merged(&files),
            gguf => check_gguf(gguf, &files),
        }
    }
}
