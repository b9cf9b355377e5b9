//! The cluster API end to end: a real server on 127.0.0.1, the built-in
//! tiny model training the demo fixture.

use brightrun_trainer::serve::{self, Config, Server};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "test-token-123";
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/EQ-12-conversations-demo.jsonl"
);

async fn start(data_dir: &Path, concurrency: usize) -> Server {
    serve::start(Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        token: TOKEN.into(),
        concurrency,
        max_resumes: serve::MAX_RESUMES,
        // These tests name the fixture and output folders by path.
        inputs: serve::Inputs::Trusted,
    })
    .await
    .expect("server starts")
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(server: &Server) -> Self {
        Self {
            base: format!("http://{}", server.addr()),
            http: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: String) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    async fn submit(&self, spec: &Value) -> String {
        let (status, body) = self.post("/v1/jobs", spec.to_string()).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "queued");
        body["id"].as_str().unwrap().to_string()
    }

    /// Polls the job until `done` holds, failing after `timeout`.
    async fn wait_for(&self, id: &str, timeout: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let (status, job) = self.get(&format!("/v1/jobs/{id}")).await;
            assert_eq!(status, 200, "{job}");
            if done(&job) {
                return job;
            }
            assert!(
                !["failed", "cancelled", "completed"].contains(&job["status"].as_str().unwrap()),
                "job ended before the awaited state: {job}"
            );
            assert!(start.elapsed() < timeout, "timed out waiting; last: {job}");
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    async fn wait_finished(&self, id: &str, timeout: Duration) -> Value {
        let start = Instant::now();
        loop {
            let (_, job) = self.get(&format!("/v1/jobs/{id}")).await;
            if ["failed", "cancelled", "completed"].contains(&job["status"].as_str().unwrap()) {
                return job;
            }
            assert!(start.elapsed() < timeout, "timed out waiting; last: {job}");
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    async fn log(&self, id: &str) -> String {
        let (status, body) = self.get(&format!("/v1/jobs/{id}/logs?offset=0")).await;
        assert_eq!(status, 200, "{body}");
        body["text"].as_str().unwrap().to_string()
    }
}

fn spec(job_id: &str, out: &Path, hyper: Value) -> Value {
    let mut h = json!({"batch_size": 2, "max_seq_len": 64});
    h.as_object_mut()
        .unwrap()
        .extend(hyper.as_object().unwrap().clone());
    json!({
        "job_id": job_id,
        "base_model": "tiny-llama",
        "dataset": FIXTURE,
        "hyperparameters": h,
        "output": {"folder": out.join(job_id).display().to_string()},
    })
}

fn steps(points: &Value) -> Vec<u64> {
    points["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["step"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_right_token_get_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), 1).await;
    let api = Api::new(&server);
    let url = format!("{}/v1/jobs?ids=x", api.base);
    let cases = [
        (None, "missing"),
        (Some("Bearer wrong-token".to_string()), "wrong"),
        (Some(format!("Bearer {TOKEN}x")), "wrong"),
        (Some(format!("Basic {TOKEN}")), "Bearer"),
    ];
    for (header, says) in cases {
        let mut req = api.http.get(&url);
        if let Some(h) = &header {
            req = req.header("authorization", h);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{header:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
        assert!(body["details"].as_str().unwrap().contains(says), "{body}");
    }
    // Every route, the unknown ones and POSTs included.
    for path in ["/v1/jobs/abc", "/nowhere"] {
        let resp = api
            .http
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{path}");
    }
    let resp = api
        .http
        .post(format!("{}/v1/jobs", api.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    // With the token: unknown ids are 404s, in JSON.
    let (status, body) = api.get("/v1/jobs/tj_nope").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, _) = api.get("/v1/jobs/tj_nope/metrics?after_step=0").await;
    assert_eq!(status, 404);
    let (status, _) = api.get("/v1/jobs/tj_nope/logs").await;
    assert_eq!(status, 404);
    let (status, _) = api.post("/v1/jobs/tj_nope/cancel", String::new()).await;
    assert_eq!(status, 404);
    let (status, body) = api.get("/v1/jobs?ids=tj_nope").await;
    assert_eq!((status, body), (200, json!({"jobs": []})));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_spec_naming_local_paths_is_refused_and_nothing_is_read_or_written() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve::start(Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        token: TOKEN.into(),
        concurrency: 1,
        max_resumes: serve::MAX_RESUMES,
        inputs: serve::Inputs::Remote {
            models_dir: dir.path().join("models"),
        },
    })
    .await
    .expect("server starts");
    let api = Api::new(&server);
    let target = dir.path().join("written-by-a-caller");
    let upload = json!({"upload": {"urls": {"adapter_config.json": "http://127.0.0.1:9/a"}}});
    let mut to_folder = spec("a", &target, json!({}));
    to_folder["dataset"] = json!("http://127.0.0.1:9/d");
    let cases = [
        (to_folder, "output.folder"),
        (
            json!({"job_id": "b", "base_model": "tiny-llama", "dataset": "/etc/passwd", "output": upload}),
            "dataset",
        ),
        (
            json!({"job_id": "c", "base_model": "/", "dataset": "http://127.0.0.1:9/d", "output": upload}),
            "base_model",
        ),
        (
            json!({"job_id": "d", "base_model": "tiny-llama", "dataset": "http://127.0.0.1:9/d",
                   "output": {"upload": {"urls": {}, "work_dir": dir.path().display().to_string()}}}),
            "output.upload.work_dir",
        ),
    ];
    for (body, field) in cases {
        let (status, resp) = api.post("/v1/jobs", body.to_string()).await;
        assert_eq!(status, 400, "{resp}");
        assert!(
            resp["details"]
                .as_str()
                .unwrap()
                .contains(&format!("`{field}`")),
            "{resp}"
        );
    }
    let (_, resp) = api.get("/v1/jobs").await;
    assert_eq!(resp, json!({"jobs": []}), "nothing was queued");
    assert!(!target.exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_spec_is_a_400_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), 1).await;
    let api = Api::new(&server);
    let out = dir.path().join("out");
    let cases = [
        (
            spec("a", &out, json!({"batch_size": 0})),
            "hyperparameters.batch_size",
        ),
        (spec("a", &out, json!({"lora_rank": 8})), "lora_rank"),
        (
            json!({"job_id": "a", "dataset": "d", "output": {"folder": "o"}}),
            "base_model",
        ),
    ];
    for (body, field) in cases {
        let (status, resp) = api.post("/v1/jobs", body.to_string()).await;
        assert_eq!(status, 400, "{resp}");
        assert_eq!(resp["error"], "invalid_spec");
        assert!(resp["details"].as_str().unwrap().contains(field), "{resp}");
    }
    let (status, resp) = api.post("/v1/jobs", "not json".into()).await;
    assert_eq!(
        (status, resp["error"].as_str()),
        (400, Some("invalid_spec"))
    );
    let (status, resp) = api.get("/v1/jobs?ids=").await;
    assert_eq!(
        (status, resp),
        (200, json!({"jobs": []})),
        "nothing was queued"
    );
    let (status, resp) = api.get("/v1/jobs/x/metrics?after_step=minus-one").await;
    assert_eq!(
        (status, resp["error"].as_str()),
        (400, Some("invalid_query"))
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_trains_to_completion_with_metrics_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data"), 1).await;
    let api = Api::new(&server);
    let out = dir.path().join("out");
    let job = spec(
        "job-1",
        &out,
        json!({"max_steps": 6, "checkpoint_every": 2}),
    );
    let id = api.submit(&job).await;

    // The same job_id again: the same job, not a second one.
    let (status, again) = api.post("/v1/jobs", job.to_string()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], id);

    let done = api
        .wait_for(&id, Duration::from_secs(60), |j| j["status"] == "completed")
        .await;
    assert_eq!(done["job_id"], "job-1");
    assert_eq!(done["error"], Value::Null);
    assert_eq!(done["progress"]["step"], 6);
    assert_eq!(done["progress"]["total_steps"], 6);
    assert!(done["progress"]["epoch"].as_f64().unwrap() > 0.0, "{done}");
    assert_eq!(done["metrics"]["step"], 6);
    assert!(done["metrics"]["train_loss"].as_f64().unwrap().is_finite());
    for t in ["created_at", "started_at", "finished_at"] {
        assert!(done[t].is_string(), "{t}: {done}");
    }
    assert!(
        out.join("job-1")
            .join("adapter_model.safetensors")
            .is_file()
    );

    let (_, all) = api
        .get(&format!("/v1/jobs/{id}/metrics?after_step=0"))
        .await;
    assert_eq!(steps(&all), vec![1, 2, 3, 4, 5, 6]);
    let (_, later) = api
        .get(&format!("/v1/jobs/{id}/metrics?after_step=3"))
        .await;
    assert_eq!(steps(&later), vec![4, 5, 6]);
    let (_, none) = api
        .get(&format!("/v1/jobs/{id}/metrics?after_step=6"))
        .await;
    assert_eq!(steps(&none), Vec::<u64>::new());

    let (_, logs) = api.get(&format!("/v1/jobs/{id}/logs?offset=0")).await;
    let text = logs["text"].as_str().unwrap();
    assert!(text.contains("started: 6 steps"), "{text}");
    assert!(text.contains("step 2: checkpoint saved"), "{text}");
    assert!(text.contains("completed"), "{text}");
    let next = logs["next_offset"].as_u64().unwrap();
    assert_eq!(next, text.len() as u64);
    let (_, rest) = api.get(&format!("/v1/jobs/{id}/logs?offset={next}")).await;
    assert_eq!(rest, json!({"text": "", "next_offset": next}));

    // Finished jobs cannot be cancelled; resubmitting still finds the job.
    let (status, body) = api
        .post(&format!("/v1/jobs/{id}/cancel"), String::new())
        .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("conflict")));
    let (status, again) = api.post("/v1/jobs", job.to_string()).await;
    assert_eq!(
        (status, again),
        (200, json!({"id": id, "status": "completed"}))
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_jobs_in_one_poll_and_a_queued_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data"), 1).await;
    let api = Api::new(&server);
    let out = dir.path().join("out");
    let a = api.submit(&spec("a", &out, json!({"max_steps": 3}))).await;
    let b = api.submit(&spec("b", &out, json!({"max_steps": 2}))).await;
    // One worker: c waits behind a and b, and a cancel ends it at once.
    let c = api
        .submit(&spec("c", &out, json!({"max_steps": 10000})))
        .await;
    let (status, cancelled) = api
        .post(&format!("/v1/jobs/{c}/cancel"), String::new())
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["started_at"], Value::Null);

    let (status, many) = api
        .get(&format!("/v1/jobs?ids={a},{b},tj_unknown,{c}"))
        .await;
    assert_eq!(status, 200);
    let ids: Vec<_> = many["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec![a.clone(), b.clone(), c.clone()]);
    let job_ids: Vec<_> = many["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_id"].clone())
        .collect();
    assert_eq!(job_ids, vec![json!("a"), json!("b"), json!("c")]);

    for id in [&a, &b] {
        let job = api.wait_finished(id, Duration::from_secs(60)).await;
        assert_eq!(job["status"], "completed", "{job}");
    }
    let (_, many) = api.get(&format!("/v1/jobs?ids={a},{b}")).await;
    let statuses: Vec<_> = many["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("completed"), json!("completed")]);
    let (_, c_now) = api.get(&format!("/v1/jobs/{c}")).await;
    assert_eq!(c_now["status"], "cancelled", "a cancelled job never runs");
    assert!(api.log(&c).await.contains("cancelled before it started"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_job_cancels_within_a_step() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data"), 1).await;
    let api = Api::new(&server);
    let id = api
        .submit(&spec(
            "long",
            &dir.path().join("out"),
            json!({"max_steps": 10000}),
        ))
        .await;
    api.wait_for(&id, Duration::from_secs(60), |j| {
        j["status"] == "running" && j["progress"]["step"].as_u64() >= Some(1)
    })
    .await;
    let (status, body) = api
        .post(&format!("/v1/jobs/{id}/cancel"), String::new())
        .await;
    assert_eq!(status, 200, "{body}");
    let asked = Instant::now();
    // Asking again while it stops is answered too (a poller repeats its cancel).
    let (status, body) = api
        .post(&format!("/v1/jobs/{id}/cancel"), String::new())
        .await;
    assert!(status == 200 || status == 409, "{status} {body}");
    let job = api.wait_finished(&id, Duration::from_secs(10)).await;
    assert_eq!(job["status"], "cancelled", "{job}");
    assert!(asked.elapsed() < Duration::from_secs(5));
    assert!(job["finished_at"].is_string());
    assert!(job["progress"]["step"].as_u64().unwrap() < 10000);
    let (status, _) = api
        .post(&format!("/v1/jobs/{id}/cancel"), String::new())
        .await;
    assert_eq!(status, 409);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_resumes_the_running_job() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let server = start(&data, 1).await;
    let api = Api::new(&server);
    let total = 10;
    let id = api
        .submit(&spec(
            "resume",
            &out,
            json!({"max_steps": total, "checkpoint_every": 1}),
        ))
        .await;
    api.wait_for(&id, Duration::from_secs(60), |j| {
        j["progress"]["step"].as_u64() >= Some(2)
    })
    .await;
    server.stop().await;
    let on_disk: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("jobs").join(&id).join("job.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        on_disk["status"], "running",
        "a stop leaves the job running: {on_disk}"
    );

    let server = start(&data, 1).await;
    let api = Api::new(&server);
    let job = api.wait_finished(&id, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["progress"]["step"], total);

    let log = api.log(&id).await;
    assert!(
        log.contains("the trainer restarted: queued to resume"),
        "{log}"
    );
    let resumed: u64 = log
        .split("resumed from step ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no resume in the log:\n{log}"));
    assert!(resumed >= 1, "{log}");
    // One point per step, with no repeats from the steps redone after the checkpoint.
    let (_, points) = api
        .get(&format!("/v1/jobs/{id}/metrics?after_step=0"))
        .await;
    assert_eq!(steps(&points), (1..=total).collect::<Vec<_>>());
    let on_disk: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("jobs").join(&id).join("job.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(on_disk["resume_count"], 1);
    server.stop().await;
}

#[test]
fn the_binary_refuses_to_serve_without_a_token_and_prints_its_address() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let bin = env!("CARGO_BIN_EXE_brightrun-trainer");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("BRIGHTRUN_TRAINER_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BRIGHTRUN_TRAINER_TOKEN"));
    let out = Command::new(bin).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("brightrun-trainer serve"));

    let mut child = Command::new(bin)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("BRIGHTRUN_TRAINER_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"));
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("http://{addr}/v1/jobs?ids=x"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status.as_u16(), 200);
}

#[test]
fn the_binary_runs_one_job_printing_json_events() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let job = spec("cli", &dir.path().join("out"), json!({"max_steps": 2}));
    let path = dir.path().join("job.json");
    std::fs::write(&path, job.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_brightrun-trainer"))
        .arg("run")
        .arg("--spec")
        .arg(&path)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<_> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"started"));
    assert_eq!(kinds.iter().filter(|k| **k == "step").count(), 2);
    assert_eq!(kinds.last(), Some(&"completed"));

    let mut bad = job.clone();
    bad["dataset"] = json!(dir.path().join("missing.jsonl").display().to_string());
    std::fs::write(&path, bad.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_brightrun-trainer"))
        .args(["run", "--spec"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.jsonl"));
    let out = Command::new(env!("CARGO_BIN_EXE_brightrun-trainer"))
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Storage that refuses the first `fail` PUTs with 500, then keeps what it gets.
async fn flaky_storage(fail: usize) -> (String, Arc<Mutex<Vec<(String, usize)>>>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let stored = Arc::new(Mutex::new(Vec::new()));
    let keep = stored.clone();
    let router = axum::Router::new().route(
        "/{name}",
        axum::routing::put(
            move |axum::extract::Path(name): axum::extract::Path<String>,
                  body: axum::body::Bytes| {
                let seen = seen.clone();
                let keep = keep.clone();
                async move {
                    if seen.fetch_add(1, Ordering::SeqCst) < fail {
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    keep.lock().unwrap().push((name, body.len()));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, stored)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_keeps_failing_is_retried_from_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data"), 1).await;
    let api = Api::new(&server);
    // The transfer's own three tries all fail; the agent retries the job.
    let (base, stored) = flaky_storage(3).await;
    let mut s = spec(
        "flaky",
        &dir.path().join("out"),
        json!({"max_steps": 4, "checkpoint_every": 2}),
    );
    let files = ["adapter_config.json", "adapter_model.safetensors"];
    s["output"] = json!({"upload": {"urls": files.iter().map(|f| (f.to_string(), json!(format!("{base}/{f}")))).collect::<serde_json::Map<_, _>>()}});
    let id = api.submit(&s).await;
    let job = api.wait_finished(&id, Duration::from_secs(120)).await;
    assert_eq!(job["status"], "completed", "{job}");
    let mut names: Vec<String> = stored
        .lock()
        .unwrap()
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    names.sort();
    assert_eq!(names, files);
    assert!(stored.lock().unwrap().iter().all(|(_, len)| *len > 0));
    let (_, log) = api.get(&format!("/v1/jobs/{id}/logs")).await;
    let text = log["text"].as_str().unwrap();
    assert!(
        text.contains("uploading an artifact")
            && text.contains("retrying from the last checkpoint (retry 1 of 3)"),
        "{text}"
    );
    assert!(text.contains("resumed from step 2"), "{text}");
    server.stop().await;
}

/// Downloads stream to disk and stop at their cap, whether or not the
/// server says how long its answer is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_stop_at_their_cap_and_leave_nothing_behind() {
    use axum::body::Body;
    let big = vec![b'x'; 1 << 20];
    let sized = big.clone();
    let app = axum::Router::new()
        .route(
            "/sized",
            axum::routing::get(move || async move { sized.clone() }),
        )
        .route(
            "/streamed",
            axum::routing::get(move || async move {
                let chunks = (0..16).map(|_| Ok::<_, std::io::Error>(vec![b'y'; 1 << 16]));
                Body::from_stream(futures::stream::iter(chunks))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        use brightrun_trainer::transfer::download;
        for route in ["sized", "streamed"] {
            let url = format!("{base}/{route}");
            let path = dir_path.join(route);
            let err = download("the dataset", &url, &path, 1000).unwrap_err();
            assert!(
                err.to_string().contains("larger than the 1000-byte limit"),
                "{err}"
            );
            assert!(!path.exists() && !path.with_extension("part").exists());
            let n = download("the dataset", &url, &path, 2 << 20).unwrap();
            assert_eq!(
                (n, std::fs::metadata(&path).unwrap().len()),
                (1 << 20, 1 << 20)
            );
        }
    })
    .await
    .unwrap();
}
