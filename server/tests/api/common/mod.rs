//! The real server, built from configuration like `brightrun serve` builds
//! it, on 127.0.0.1 port 0 over a fresh database that `#[sqlx::test]` made.

use brightrun_backend::{Config, Services};
use sqlx::PgPool;
use std::collections::HashMap;

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    pub services: Services,
    _data: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, &[]).await
    }

    pub async fn spawn_with(pool: PgPool, vars: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut map: HashMap<String, String> = HashMap::from([
            ("BRIGHTRUN_ADDR".into(), "127.0.0.1:0".into()),
            ("DATABASE_URL".into(), "postgres://unused-by-tests".into()),
            (
                "BRIGHTRUN_DATA_DIR".into(),
                data.path().display().to_string(),
            ),
            // Tests drive the workers' ticks themselves.
            ("BRIGHTRUN_WORKERS".into(), "false".into()),
            // Tests sign up many accounts from 127.0.0.1; the limit has its own tests.
            ("BRIGHTRUN_SIGNUP_LIMIT".into(), "1000".into()),
        ]);
        map.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_lookup(|k| map.get(k).cloned()).unwrap();
        let listener = tokio::net::TcpListener::bind(config.server.addr)
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let services = Services::new(pool.clone(), config).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(brightrun_server::serve::serve(
            listener,
            services.clone(),
            async {
                let _ = rx.await;
            },
        ));
        Self {
            base,
            pool,
            services,
            _data: data,
            shutdown: Some(tx),
            served: Some(served),
        }
    }

    /// Stops the server as Ctrl-C would, and waits until it has stopped
    /// (the embedded trainer included).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(served) = self.served.take() {
            served.await.unwrap().unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that keeps cookies (like a browser) and never follows redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A client with no cookie store (like a script).
    pub fn script(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Signs up `email` in a fresh cookie-keeping client.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = self.browser();
        let res = client
            .post(self.url("/api/auth/signup"))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        client
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    /// GET `path` with `client`; status and JSON body.
    pub async fn get(&self, client: &reqwest::Client, path: &str) -> (u16, serde_json::Value) {
        json(client.get(self.url(path)).send().await.unwrap()).await
    }

    /// Any method, with an optional JSON body; status and JSON body.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = client.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        json(req.send().await.unwrap()).await
    }

    /// POST `body` as JSON to `path` with `client`; status and JSON body.
    pub async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        json(
            client
                .post(self.url(path))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

pub const PASSWORD: &str = "a long enough password";

pub async fn json(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

/// A file from `shared/fixtures/`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../shared/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Creates a dataset for `bytes`, uploads and confirms it; returns its id.
pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    file_name: &str,
    bytes: Vec<u8>,
) -> String {
    let (status, created) = app
        .post(
            client,
            "/api/datasets",
            serde_json::json!({ "name": "EQ-12", "description": "demo", "file_name": file_name, "size_bytes": bytes.len() }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["dataset"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(created["data"]["dataset"]["status"], "pending_upload");
    let res = send_upload(app, &created["data"]["upload"], bytes).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let (status, confirmed) = json(
        client
            .post(app.url(&format!("/api/datasets/{id}/confirm")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["data"]["status"], "uploaded");
    id
}

/// Sends `bytes` to an upload target as a browser would: the local store's
/// signed PUT, or S3's presigned POST form (fields, then the file).
pub async fn send_upload(
    app: &TestApp,
    target: &serde_json::Value,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let url = target["url"].as_str().unwrap();
    match target["method"].as_str().unwrap() {
        "PUT" => {
            assert!(url.starts_with("/storage/lora-datasets/"), "{url}");
            assert!(target["fields"].as_object().unwrap().is_empty());
            reqwest::Client::new()
                .put(app.url(url))
                .body(bytes)
                .send()
                .await
                .unwrap()
        }
        "POST" => {
            let mut form = reqwest::multipart::Form::new();
            for (name, value) in target["fields"].as_object().unwrap() {
                form = form.text(name.clone(), value.as_str().unwrap().to_string());
            }
            form = form.part("file", reqwest::multipart::Part::bytes(bytes));
            reqwest::Client::new()
                .post(url)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
        other => panic!("an upload method {other}"),
    }
}

/// EQ-12 (JSONL) uploaded and validated: a `ready` dataset's id.
pub async fn ready_dataset(app: &TestApp, client: &reqwest::Client) -> String {
    ready_upload(app, client, "eq12.jsonl", "EQ-12-conversations-demo.jsonl").await
}

/// A second ready dataset for validation: EQ-12 as brightrun-lora-v4 JSON.
pub async fn validation_dataset(app: &TestApp, client: &reqwest::Client) -> String {
    ready_upload(
        app,
        client,
        "eq12-validation.json",
        "EQ-12-conversations-demo.json",
    )
    .await
}

async fn ready_upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    fixture_name: &str,
) -> String {
    let id = upload(app, client, name, fixture(fixture_name)).await;
    brightrun_backend::datasets::worker::tick(&app.services)
        .await
        .unwrap();
    let (status, body) = app.get(client, &format!("/api/datasets/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["dataset"]["status"], "ready", "{body}");
    id
}

/// One job's detail (`data` of `GET /api/jobs/{id}`).
pub async fn job(app: &TestApp, client: &reqwest::Client, id: &str) -> serde_json::Value {
    let (status, body) = app.get(client, &format!("/api/jobs/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

/// Ticks the job poller until the job satisfies `done`; its last detail.
pub async fn tick_until(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    timeout: std::time::Duration,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = std::time::Instant::now();
    loop {
        brightrun_backend::jobs::poller::tick(&app.services)
            .await
            .expect("poll tick");
        let body = job(app, client, id).await;
        if done(&body) {
            return body;
        }
        assert!(
            start.elapsed() < timeout,
            "not there in {timeout:?}: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// A short run: a few steps of the tiny model on EQ-12.
pub fn short_config(max_steps: u32) -> serde_json::Value {
    serde_json::json!({
        "learning_rate": 0.001, "batch_size": 2, "gradient_accumulation": 1, "epochs": 1,
        "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.05,
        "target_modules": ["q_proj", "v_proj"], "warmup_ratio": 0.0, "scheduler": "cosine",
        "max_seq_len": 128, "validation_split": 0.1, "eval_interval": 2, "eval_samples": 2, "seed": 7,
        "max_steps": max_steps
    })
}

/// The job detail's samples: the base model's answers before training and
/// the latest evaluation's at `last_eval`, `n` of each, to the same
/// held-out EQ-12 prompts, with the EQ-12 answer as the reference.
pub fn assert_samples(detail: &serde_json::Value, last_eval: u64, n: usize) {
    let s = &detail["samples"];
    assert_eq!(s["before"]["step"], 0, "{s}");
    assert_eq!(s["latest"]["step"], last_eval, "{s}");
    assert!(s["before"]["val_loss"].as_f64().unwrap() > 0.0, "{s}");
    let fixture = fixture("EQ-12-conversations-demo.jsonl");
    let examples = brightrun::datasets::training_examples(&fixture).unwrap();
    let before = s["before"]["samples"].as_array().unwrap();
    let latest = s["latest"]["samples"].as_array().unwrap();
    assert_eq!((before.len(), latest.len()), (n, n), "{s}");
    for (b, l) in before.iter().zip(latest) {
        assert_eq!(b["prompt"], l["prompt"]);
        assert_eq!(b["reference"], l["reference"]);
        let reference = b["reference"].as_str().unwrap();
        let ex = examples.iter().find(|e| e.target() == reference);
        let ex = ex.expect("the reference is an EQ-12 answer");
        assert_eq!(b["system"], ex.messages[0].content.as_str());
        assert!(
            !b["answer"].as_str().unwrap().is_empty() && !l["answer"].as_str().unwrap().is_empty()
        );
    }
}

pub fn new_job(dataset: &str, gpu: &str, max_steps: u32) -> serde_json::Value {
    serde_json::json!({
        "name": "EQ-12 short run",
        "dataset_id": dataset,
        "base_model": "tiny-llama",
        "preset": "custom",
        "config": short_config(max_steps),
        "gpu_type": gpu,
        "gpu_count": 1
    })
}

pub async fn create(app: &TestApp, client: &reqwest::Client, body: serde_json::Value) -> String {
    let (status, job) = app.post(client, "/api/jobs", body).await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(job["data"]["status"], "queued");
    job["data"]["id"].as_str().unwrap().to_string()
}

/// A job validating on `validation`: the server holds out no share of the
/// training file, and the estimate counts the file's validation passes.
pub async fn with_validation_file(
    app: &TestApp,
    client: &reqwest::Client,
    mut body: serde_json::Value,
    validation: &str,
) -> String {
    body["validation_dataset_id"] = serde_json::json!(validation);
    let id = create(app, client, body).await;
    let detail = job(app, client, &id).await;
    assert_eq!(
        detail["job"]["validation_dataset_id"], validation,
        "{detail}"
    );
    assert_eq!(detail["config"]["validation_split"], 0.0);
    assert_eq!(detail["estimate"]["training_examples"], 44);
    assert!(detail["estimate"]["evaluations"].as_u64().unwrap() >= 2);
    assert!(detail["estimate"]["validation_tokens"].as_u64().unwrap() > 1000);
    id
}

/// A run whose validation loss stops improving (too small a learning rate
/// to improve it by 0.1%) stops early at step 3 of 20 with patience 2; its
/// model keeps the best evaluation's adapter and says why, and the log says
/// it stopped.
pub async fn assert_stops_early(app: &TestApp, client: &reqwest::Client) {
    use serde_json::json as j;
    let dataset = ready_dataset(app, client).await;
    let mut body = new_job(&dataset, "cpu", 0);
    let c = &mut body["config"];
    c["learning_rate"] = j!(1e-6);
    c["eval_interval"] = j!(1);
    c["eval_samples"] = j!(0);
    c["early_stopping_patience"] = j!(2);
    c["keep_adapter"] = j!("best");
    let id = create(app, client, body).await;
    let done = tick_until(app, client, &id, std::time::Duration::from_secs(180), |j| {
        matches!(j["job"]["status"].as_str(), Some("completed" | "failed"))
    })
    .await;
    assert_eq!(done["job"]["status"], "completed", "{done}");
    assert_eq!(
        (
            done["job"]["current_step"].as_u64(),
            done["job"]["total_steps"].as_u64()
        ),
        (Some(3), Some(20)),
        "{done}"
    );
    assert_eq!(done["config"]["early_stopping_patience"], 2);
    let model = done["job"]["model_id"].as_str().unwrap();
    let detail = assert_kept_adapter(app, client, model).await;
    let why = detail["adapter"]["why"].as_str().unwrap();
    assert!(
        why.starts_with("Training stopped early at step 3 of 20"),
        "{why}"
    );
    let (_, logs) = app.get(client, &format!("/api/jobs/{id}/logs")).await;
    let text = logs["data"]["text"].as_str().unwrap();
    assert!(text.contains("stopping early at step 3"), "{text}");
}

/// The model page's adapter step is the one the trainer wrote (its
/// `training_args.json` in storage), and the one with the lowest validation
/// loss the job recorded; returns the model detail.
pub async fn assert_kept_adapter(
    app: &TestApp,
    client: &reqwest::Client,
    model: &str,
) -> serde_json::Value {
    let (status, detail) = app.get(client, &format!("/api/models/{model}")).await;
    assert_eq!(status, 200, "{detail}");
    let detail = detail["data"].clone();
    let adapter = &detail["adapter"];
    let args = stored_json(app, model, "training_args.json").await;
    assert_eq!(adapter["step"], args["adapter_step"], "{adapter} {args}");
    assert_eq!(adapter["choice"], "best");
    let evals = detail["job"]["eval_points"].as_array().unwrap();
    let lowest = evals
        .iter()
        .map(|p| p["eval_loss"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(adapter["val_loss"].as_f64(), Some(lowest), "{adapter}");
    assert!(
        adapter["why"]
            .as_str()
            .unwrap()
            .contains("lowest validation loss")
    );
    detail
}

/// Every adapter file is in storage under the model's prefix; their sizes.
/// One of the model's stored adapter files (under the prefix
/// `stored_artifacts` checks), parsed.
pub async fn stored_json(app: &TestApp, model: &str, file: &str) -> serde_json::Value {
    let stored = stored_artifacts(app, model).await;
    assert!(
        stored.iter().any(|(f, size)| f == file && *size > 0),
        "{file}: {stored:?}"
    );
    let key: String =
        sqlx::query_scalar("SELECT storage_prefix || $2 FROM model_artifacts WHERE id = $1::uuid")
            .bind(model)
            .bind(file)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let bytes = app.services.storage.get_bytes(&key).await.unwrap();
    serde_json::from_slice(&bytes.unwrap_or_else(|| panic!("{file} in storage"))).unwrap()
}

pub async fn stored_artifacts(app: &TestApp, model: &str) -> Vec<(String, u64)> {
    let (owner, prefix): (uuid::Uuid, String) =
        sqlx::query_as("SELECT owner_id, storage_prefix FROM model_artifacts WHERE id = $1::uuid")
            .bind(model)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(prefix, format!("lora-models/{owner}/{model}/adapter/"));
    let mut found = Vec::new();
    for file in brightrun_backend::jobs::spec::ARTIFACTS {
        let size = app
            .services
            .storage
            .size(&format!("{prefix}{file}"))
            .await
            .unwrap();
        found.push((file.to_string(), size.unwrap_or(0)));
    }
    found
}
