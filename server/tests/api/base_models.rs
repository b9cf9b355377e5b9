//! Base models from the Hub, against a stand-in Hub on loopback that serves
//! the Hub's API shape: the tree listing with LFS SHA-256s, `resolve/`
//! downloads that redirect LFS files to a "CDN" honouring `Range`, 401 for a
//! gated repository without a token. The model is one the code writes.

use crate::common::{TestApp, create, new_job, ready_dataset, stored_json, tick_until};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json as j;
use sha2::Digest;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "hf_standin_secret";

#[derive(Default)]
struct Repo {
    files: Vec<(String, Vec<u8>)>,
    gated: bool,
    /// Served with one byte changed (the listing keeps the true hash).
    corrupt: Option<String>,
}

#[derive(Default)]
struct StandIn {
    repos: HashMap<String, Repo>,
    /// A file whose first download is cut off halfway.
    cut_once: Mutex<Option<String>>,
    /// Every CDN request: (file, Range header).
    ranges: Mutex<Vec<(String, Option<String>)>>,
}

fn git_oid(bytes: &[u8]) -> String {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    hex(&h.finalize())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn is_lfs(path: &str) -> bool {
    path.ends_with(".safetensors")
}

impl StandIn {
    fn tree(&self, repo: &Repo) -> Response {
        let mut list: Vec<serde_json::Value> = repo
            .files
            .iter()
            .map(|(path, bytes)| {
                let mut e = j!({"type": "file", "path": path, "size": bytes.len(), "oid": git_oid(bytes)});
                if is_lfs(path) {
                    e["size"] = 134.into();
                    e["lfs"] = j!({"oid": hex(&sha2::Sha256::digest(bytes)), "size": bytes.len(), "pointerSize": 134});
                }
                e
            })
            .collect();
        list.push(j!({"type": "directory", "path": "onnx", "size": 0, "oid": "0"}));
        axum::Json(list).into_response()
    }

    fn cdn(&self, repo: &Repo, file: &str, headers: &HeaderMap) -> Response {
        let Some((_, bytes)) = repo.files.iter().find(|(p, _)| p == file) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mut bytes = bytes.clone();
        if repo.corrupt.as_deref() == Some(file) {
            bytes[0] ^= 0xff;
        }
        let range = headers
            .get(header::RANGE)
            .map(|v| v.to_str().unwrap().to_string());
        self.ranges
            .lock()
            .unwrap()
            .push((file.to_string(), range.clone()));
        let from: usize = range
            .as_deref()
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .map(|n| n.parse().unwrap())
            .unwrap_or(0);
        let total = bytes.len();
        let body = bytes.split_off(from);
        let cut = self
            .cut_once
            .lock()
            .unwrap()
            .take_if(|f| f == file)
            .is_some();
        let body = if cut {
            let half = body[..body.len() / 2].to_vec();
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                vec![Ok(half), Err(std::io::Error::other("connection reset"))];
            Body::from_stream(futures::stream::iter(chunks))
        } else {
            Body::from(body)
        };
        let mut res = Response::builder().header(header::CONTENT_LENGTH, total - from);
        res = if from > 0 {
            res.status(206).header(
                header::CONTENT_RANGE,
                format!("bytes {from}-{}/{total}", total - 1),
            )
        } else {
            res.status(200)
        };
        res.body(body).unwrap()
    }

    fn answer(&self, req: &Request) -> Response {
        let path = req.uri().path().to_string();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let authorized = req
            .headers()
            .get(header::AUTHORIZATION)
            .is_some_and(|v| v.to_str().unwrap() == format!("Bearer {TOKEN}"));
        let (repo_id, rest) = match parts.as_slice() {
            ["api", "models", o, n, "tree", _rev] => (format!("{o}/{n}"), "tree".to_string()),
            [o, n, "resolve", _rev, file] => (format!("{o}/{n}"), format!("resolve:{file}")),
            ["cdn", o, n, file] => (format!("{o}/{n}"), format!("cdn:{file}")),
            _ => return StatusCode::NOT_FOUND.into_response(),
        };
        let Some(repo) = self.repos.get(&repo_id) else {
            return (StatusCode::NOT_FOUND, "Repository not found").into_response();
        };
        if repo.gated && !authorized && !rest.starts_with("cdn:") {
            return (StatusCode::UNAUTHORIZED, "Access to model is restricted").into_response();
        }
        if rest == "tree" {
            return self.tree(repo);
        }
        if let Some(file) = rest.strip_prefix("resolve:") {
            if is_lfs(file) {
                let to = format!("/cdn/{repo_id}/{file}");
                return Response::builder()
                    .status(302)
                    .header(header::LOCATION, to)
                    .body(Body::empty())
                    .unwrap();
            }
            return self.cdn(repo, file, req.headers());
        }
        self.cdn(repo, rest.strip_prefix("cdn:").unwrap(), req.headers())
    }
}

/// The tiny model's folder, as files.
fn tiny_files(config_edit: impl Fn(&mut serde_json::Value)) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    brightrun_trainer::model::tiny::write_folder(dir.path(), 7).unwrap();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut bytes = std::fs::read(entry.path()).unwrap();
        if name == "config.json" {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            config_edit(&mut v);
            bytes = serde_json::to_vec_pretty(&v).unwrap();
        }
        files.push((name, bytes));
    }
    files.sort();
    files.push(("README.md".into(), b"# a model card".to_vec()));
    files
}

async fn serve(standin: StandIn) -> (String, Arc<StandIn>) {
    let standin = Arc::new(standin);
    let s = standin.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let s = s.clone();
        async move { s.answer(&req) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, standin)
}

/// A stand-in whose one repository, `acme/tiny-chat`, is the tiny model's folder.
fn tiny_standin() -> StandIn {
    let mut standin = StandIn::default();
    standin.repos.insert(
        "acme/tiny-chat".into(),
        Repo {
            files: tiny_files(|_| {}),
            ..Repo::default()
        },
    );
    standin
}

/// A stand-in Hub serving `acme/tiny-chat`; its URL.
pub async fn tiny_hub() -> String {
    serve(tiny_standin()).await.0
}

/// Adds `acme/tiny-chat` from the stand-in, downloads it, trains a short
/// job on it (`gpu`) and checks the PEFT adapter names it as its base.
pub async fn train_on_hub_model(app: &TestApp, client: &reqwest::Client, gpu: &str) {
    let (status, added) = app
        .post(client, "/api/base-models", j!({"hub_id": "acme/tiny-chat"}))
        .await;
    assert_eq!(status, 201, "{added}");
    assert!(tick(app).await.is_some());
    let id = added["data"]["id"].as_str().unwrap();
    let (_, done) = app.get(client, &format!("/api/base-models/{id}")).await;
    assert_eq!(done["data"]["status"], "ready", "{done}");
    let (_, options) = app.get(client, "/api/training/options").await;
    let offered = options["data"]["models"].as_array().unwrap();
    assert!(
        offered.iter().any(|m| m["id"] == "acme--tiny-chat"),
        "not offered: {options}"
    );
    trains_into_a_peft_adapter(app, client, gpu).await;
}

/// A short job on `acme--tiny-chat` completes into a PEFT adapter that
/// names the downloaded folder as its base.
async fn trains_into_a_peft_adapter(app: &TestApp, client: &reqwest::Client, gpu: &str) {
    let dataset = ready_dataset(app, client).await;
    let mut body = new_job(&dataset, gpu, 2);
    body["base_model"] = "acme--tiny-chat".into();
    let job = create(app, client, body).await;
    let detail = tick_until(app, client, &job, Duration::from_secs(180), |j| {
        j["job"]["status"] == "completed"
    })
    .await;
    let model = detail["job"]["model_id"].as_str().unwrap();
    let config = stored_json(app, model, "adapter_config.json").await;
    assert_eq!(config["peft_type"], "LORA");
    let base = config["base_model_name_or_path"].as_str().unwrap();
    assert!(base.contains("acme--tiny-chat"), "{config}");
}

async fn tick(app: &TestApp) -> Option<uuid::Uuid> {
    brightrun_backend::base_models::worker::tick(&app.services)
        .await
        .expect("download tick")
}

/// Lets an interrupted download be tried again now, as after its pause.
async fn retry_now(app: &TestApp) {
    sqlx::query("UPDATE base_model_downloads SET lease_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_hub_model_is_looked_up_downloaded_resumed_after_a_cut_and_trained(pool: PgPool) {
    let standin = tiny_standin();
    *standin.cut_once.lock().unwrap() = Some("model.safetensors".into());
    let (hub, standin) = serve(standin).await;
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_HUB_URL", &hub)]).await;
    let client = app.signed_in("hub@example.com").await;
    let weights = standin.repos["acme/tiny-chat"]
        .files
        .iter()
        .find(|(p, _)| p == "model.safetensors")
        .unwrap()
        .1
        .clone();

    // Looked up: architecture, real parameter count and size, before any download.
    let ask = j!({"hub_id": "acme/tiny-chat"});
    let (status, found) = app
        .post(&client, "/api/base-models/inspect", ask.clone())
        .await;
    assert_eq!(status, 200, "{found}");
    let found = &found["data"];
    let tiny = brightrun_trainer::model::tiny::config();
    assert_eq!(found["architecture"], "llama");
    assert_eq!(found["parameters"], tiny.parameter_count() as u64);
    assert_eq!(found["name"], "acme--tiny-chat");
    let files: Vec<&str> = found["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"model.safetensors") && files.contains(&"tokenizer.json"));
    assert!(!files.contains(&"README.md"), "{files:?}");
    let total = found["total_bytes"].as_u64().unwrap();
    assert!(total > weights.len() as u64);
    assert!(
        standin
            .ranges
            .lock()
            .unwrap()
            .iter()
            .all(|(f, _)| f == "config.json")
    );

    let (status, added) = app.post(&client, "/api/base-models", ask.clone()).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["data"]["status"], "downloading");
    let id = added["data"]["id"].as_str().unwrap().to_string();
    let (status, again) = app.post(&client, "/api/base-models", ask).await;
    assert_eq!(status, 409, "{again}");

    // The first attempt is cut halfway through the weights: kept, resumed.
    assert!(tick(&app).await.is_some());
    let (_, cut) = app.get(&client, &format!("/api/base-models/{id}")).await;
    assert_eq!(cut["data"]["status"], "downloading", "{cut}");
    assert!(
        cut["data"]["error"].as_str().unwrap().contains("resuming"),
        "{cut}"
    );
    let part = cut["data"]["downloaded_bytes"].as_u64().unwrap();
    assert!(part > 0 && part < total, "{part} of {total}");
    // What arrived before the reset is kept; how much of the sent half
    // arrives before it depends on the socket, never more than the half.
    let kept = std::fs::metadata(
        app.services
            .config
            .base_models
            .dir
            .join(".downloads")
            .join(&id)
            .join("model.safetensors.part"),
    )
    .expect("the cut file is kept to resume")
    .len() as usize;
    assert!(kept > 0 && kept <= weights.len() / 2, "{kept}");
    assert_eq!(
        tick(&app).await,
        None,
        "an interrupted download waits before its retry"
    );
    retry_now(&app).await;
    assert!(tick(&app).await.is_some());
    let (_, done) = app.get(&client, &format!("/api/base-models/{id}")).await;
    assert_eq!(done["data"]["status"], "ready", "{done}");
    assert_eq!(done["data"]["downloaded_bytes"], total);
    let weight_requests: Vec<Option<String>> = standin
        .ranges
        .lock()
        .unwrap()
        .iter()
        .filter(|(f, _)| f == "model.safetensors")
        .map(|(_, r)| r.clone())
        .collect();
    assert_eq!(weight_requests.len(), 2, "{weight_requests:?}");
    assert_eq!(weight_requests[0], None);
    assert_eq!(
        weight_requests[1],
        Some(format!("bytes={kept}-")),
        "the second request asks only for what is missing"
    );
    let folder = app.services.config.base_models.dir.join("acme--tiny-chat");
    assert_eq!(
        std::fs::read(folder.join("model.safetensors")).unwrap(),
        weights
    );
    assert!(!folder.join("README.md").exists());

    // Offered with its real size, and trained on.
    let (_, options) = app.get(&client, "/api/training/options").await;
    let offered = options["data"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "acme--tiny-chat")
        .cloned()
        .unwrap_or_else(|| panic!("not offered: {options}"));
    assert_eq!(offered["parameters"], tiny.parameter_count() as u64);
    trains_into_a_peft_adapter(&app, &client, "cpu").await;

    // A job uses it: deleting is refused, naming why.
    let (status, refused) = app
        .call(
            &client,
            reqwest::Method::DELETE,
            &format!("/api/base-models/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["details"]
            .as_str()
            .unwrap()
            .contains("1 training job uses")
    );
    assert!(folder.exists());
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn gated_corrupt_and_unusable_repositories_are_refused_with_the_reason(pool: PgPool) {
    let mut standin = StandIn::default();
    let repo = |edit: fn(&mut serde_json::Value)| Repo {
        files: tiny_files(edit),
        ..Repo::default()
    };
    let mut gated = repo(|_| {});
    gated.gated = true;
    standin.repos.insert("acme/gated".into(), gated);
    let mut corrupt = repo(|_| {});
    corrupt.corrupt = Some("model.safetensors".into());
    standin.repos.insert("acme/corrupt".into(), corrupt);
    standin
        .repos
        .insert("acme/gpt".into(), repo(|c| c["model_type"] = "gpt2".into()));
    let mut bin = repo(|_| {});
    bin.files.retain(|(p, _)| p != "model.safetensors");
    bin.files.push(("pytorch_model.bin".into(), vec![0; 64]));
    standin.repos.insert("acme/bin-only".into(), bin);
    let (hub, _standin) = serve(standin).await;
    let app = TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_HUB_URL", &hub),
            ("BRIGHTRUN_HUB_ADMINS", "ops@example.com"),
        ],
    )
    .await;
    let ops = app.signed_in("ops@example.com").await;
    let user = app.signed_in("user@example.com").await;
    let inspect = |body: serde_json::Value| {
        let (app, ops) = (&app, &ops);
        async move { app.post(ops, "/api/base-models/inspect", body).await }
    };
    let refused = |(status, body): (u16, serde_json::Value), field: &str, says: &str| {
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["field"], field, "{body}");
        let message = body["details"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    };

    // Only the operators named in BRIGHTRUN_HUB_ADMINS add models.
    let (status, body) = app
        .post(&user, "/api/base-models", j!({"hub_id": "acme/corrupt"}))
        .await;
    assert_eq!(status, 403, "{body}");

    refused(
        inspect(j!({"hub_id": "acme/gated"})).await,
        "token",
        "gated",
    );
    let (status, body) = inspect(j!({"hub_id": "acme/gated", "token": TOKEN})).await;
    assert_eq!(status, 200, "{body}");
    refused(
        inspect(j!({"hub_id": "acme/bin-only"})).await,
        "hub_id",
        ".bin",
    );
    refused(inspect(j!({"hub_id": "acme/gpt"})).await, "hub_id", "gpt2");
    refused(
        inspect(j!({"hub_id": "acme/missing"})).await,
        "hub_id",
        "no model acme/missing",
    );
    refused(
        inspect(j!({"hub_id": "../etc/passwd"})).await,
        "hub_id",
        "owner/name",
    );
    refused(
        inspect(j!({"hub_id": "acme/gated", "revision": "../../x"})).await,
        "revision",
        "revision",
    );

    // A gated download keeps its token until it ends, and never shows it.
    let (status, body) = app
        .post(
            &ops,
            "/api/base-models",
            j!({"hub_id": "acme/gated", "token": TOKEN}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(!body.to_string().contains(TOKEN));
    assert!(tick(&app).await.is_some());
    let (_, list) = app.get(&user, "/api/base-models").await;
    assert_eq!(list["data"][0]["status"], "ready", "{list}");
    let kept: Option<String> = sqlx::query_scalar("SELECT hub_token FROM base_model_downloads")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, None, "the token is erased when the download ends");

    // A file that does not match the Hub's SHA-256 fails the download, said so.
    let (status, body) = app
        .post(&ops, "/api/base-models", j!({"hub_id": "acme/corrupt"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    assert!(tick(&app).await.is_some());
    let (_, failed) = app.get(&ops, &format!("/api/base-models/{id}")).await;
    assert_eq!(failed["data"]["status"], "failed", "{failed}");
    let why = failed["data"]["error"].as_str().unwrap();
    assert!(
        why.contains("model.safetensors") && why.contains("checksum"),
        "{why}"
    );
    let models = &app.services.config.base_models.dir;
    assert!(!models.join("acme--corrupt").exists());

    // Deleting a failed download removes what it fetched; users may not delete.
    let path = format!("/api/base-models/{id}");
    let (status, _) = app.call(&user, reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 403);
    let (status, body) = app.call(&ops, reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(!models.join(".downloads").join(&id).exists());
    let (status, _) = app.get(&ops, &path).await;
    assert_eq!(status, 404);
}
