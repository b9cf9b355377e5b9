//! Devices that are what they say, on a real agent on 127.0.0.1 and the
//! real binary: `GET /v1/info` reports this machine's devices; a job asking
//! for a GPU the agent lacks is refused at submit with a message naming
//! both; a CPU job's view says it trained on the CPU; and `run` asked for a
//! GPU that it does not see fails with the reason (reported to the
//! scheduler's status URL too) instead of training on the CPU.

use brightrun::cluster::{AgentInfo, DeviceKind};
use brightrun_trainer::device;
use brightrun_trainer::serve::{self, Config, Server};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "device-test-token";
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/EQ-12-conversations-demo.jsonl"
);

async fn start(data_dir: &Path) -> Server {
    serve::start(Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        token: TOKEN.into(),
        concurrency: 1,
        max_resumes: serve::MAX_RESUMES,
        inputs: serve::Inputs::Trusted,
    })
    .await
    .expect("server starts")
}

async fn call(server: &Server, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let url = format!("http://{}{path}", server.addr());
    let client = reqwest::Client::new();
    let req = match method {
        "POST" => client.post(url).json(body.unwrap_or(&Value::Null)),
        _ => client.get(url),
    };
    let resp = req.bearer_auth(TOKEN).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn spec(job_id: &str, out: &Path, device: &str, gpu_type: &str) -> Value {
    json!({
        "job_id": job_id,
        "base_model": "tiny-llama",
        "dataset": FIXTURE,
        "device": device,
        "hyperparameters": {"batch_size": 2, "max_seq_len": 64, "max_steps": 2},
        "output": {"folder": out.join(job_id).display().to_string()},
        "gpu": {"gpu_type": gpu_type, "count": 1},
    })
}

/// What the tests run on: a CPU-only trainer (the test command builds it
/// without `cuda`). With a GPU the refusals below would not be refusals.
fn cpu_only() -> &'static AgentInfo {
    let info = device::detected();
    assert!(
        !info.has_gpu(),
        "these tests expect a trainer that sees no GPU: {info:?}"
    );
    info
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_reports_this_machines_devices_behind_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (status, body) = call(&server, "GET", "/v1/info", None).await;
    assert_eq!(status, 200, "{body}");
    let info: AgentInfo = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(&info, device::detected());
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.features, device::features());
    let cpu = &info.devices[0];
    assert_eq!((cpu.kind, cpu.count), (DeviceKind::Cpu, 1), "{body}");
    assert!(!cpu.name.is_empty() && cpu.memory_bytes > 0, "{body}");
    assert!(!cpu.dtypes.is_empty(), "{body}");
    assert_eq!(body["devices"][0]["kind"], "cpu");

    let resp = reqwest::Client::new()
        .get(format!("http://{}/v1/info", server.addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gpu_job_on_a_cpu_only_agent_is_refused_and_a_cpu_job_says_where_it_trained() {
    let info = cpu_only();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let server = start(&dir.path().join("agent")).await;

    // By `device`, and by a GPU type with `device` auto: both name what was
    // asked and what the agent has.
    let (status, body) = call(
        &server,
        "POST",
        "/v1/jobs",
        Some(&spec("gpu", &out, "cuda", "t4")),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "device_unavailable");
    let details = body["details"].as_str().unwrap();
    assert!(
        details.contains("the job asks for 1 NVIDIA T4 (t4, cuda)")
            && details.contains(&format!("no GPU, only its CPU ({})", info.devices[0].name)),
        "{details}"
    );
    let (status, body) = call(
        &server,
        "POST",
        "/v1/jobs",
        Some(&spec("auto", &out, "auto", "a100-80gb")),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["details"]
            .as_str()
            .unwrap()
            .contains("NVIDIA A100 80 GB (a100-80gb, auto)"),
        "{body}"
    );
    let (_, jobs) = call(&server, "GET", "/v1/jobs", None).await;
    assert_eq!(jobs["jobs"], json!([]), "nothing refused was queued");

    // A CPU job runs, and its view says on what.
    let (status, body) = call(
        &server,
        "POST",
        "/v1/jobs",
        Some(&spec("cpu", &out, "cpu", "cpu")),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let start = Instant::now();
    let done = loop {
        let (_, job) = call(&server, "GET", &format!("/v1/jobs/{id}"), None).await;
        if ["completed", "failed", "cancelled"].contains(&job["status"].as_str().unwrap()) {
            break job;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["device"]["kind"], "cpu", "{done}");
    assert_eq!(
        done["device"]["name"].as_str(),
        Some(info.devices[0].name.as_str())
    );
    server.stop().await;
}

/// Keeps every PUT's body by path, as signed storage URLs would.
async fn report_sink() -> (String, Arc<Mutex<HashMap<String, Vec<u8>>>>) {
    let got: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let store = got.clone();
    let router =
        axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                store
                    .lock()
                    .unwrap()
                    .insert(uri.path().to_string(), body.to_vec());
                axum::http::StatusCode::OK
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}"), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_asked_for_a_gpu_it_does_not_see_fails_with_the_reason_instead_of_training() {
    cpu_only();
    let dir = tempfile::tempdir().unwrap();
    let (base, got) = report_sink().await;
    let mut job = spec("ray-gpu", &dir.path().join("out"), "cuda", "t4");
    job["report"] = json!({
        "status": format!("{base}/status.json"),
        "metrics": format!("{base}/metrics.jsonl"),
    });
    let path = dir.path().join("job.json");
    std::fs::write(&path, job.to_string()).unwrap();
    // As Ray starts it on a node that gave it no GPU.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_brightrun-trainer"))
        .args(["run", "--spec"])
        .arg(&path)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .env("CUDA_VISIBLE_DEVICES", "")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let reason = "the job asks for a GPU (cuda) but this trainer sees none";
    assert!(stderr.contains(reason), "{stderr}");
    assert!(
        !stdout.contains(r#""event":"started""#) && !stdout.contains(r#""event":"step""#),
        "it must not train on the CPU: {stdout}"
    );
    let status: Value =
        serde_json::from_slice(&got.lock().unwrap()["/status.json"]).expect("a final report");
    assert_eq!(status["status"], "failed", "{status}");
    assert!(
        status["error"].as_str().unwrap().contains(reason),
        "{status}"
    );
    assert!(
        status.get("device").is_none(),
        "it trained on nothing: {status}"
    );
}
