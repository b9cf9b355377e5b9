//! Model exports end to end: a tiny-llama model trained by the real trainer
//! on the local cluster, exported in every format through the REST API by
//! the exports worker (driven tick by tick), its files downloaded through
//! signed links and read back (GGUF headers and tensor types, the merged
//! folder's index and shards); a duplicate, a bad format, another user's
//! model refused; a failed export retried; export
//! bytes billed as storage; deleting the model removes the export objects.

use crate::common::{TestApp, new_job, ready_dataset};
use crate::models::{stored, trained};
use brightrun::models::ExportFormat;
use brightrun_backend::models::exports::worker;
use candle_core::quantized::GgmlDType;
use candle_core::quantized::gguf_file;
use reqwest::Method;
use serde_json::{Value, json as j};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};

/// Runs the exports worker until the queue is empty; how many it ran.
pub(crate) async fn export_all(app: &TestApp) -> usize {
    let mut ran = 0;
    while worker::tick(&app.services).await.unwrap().is_some() {
        ran += 1;
    }
    ran
}

/// The export's files, fetched through its signed links and checked
/// against storage: name → bytes.
pub(crate) async fn download(
    app: &TestApp,
    client: &reqwest::Client,
    model: &str,
    format: &str,
) -> BTreeMap<String, Vec<u8>> {
    let path = format!("/api/models/{model}/exports/{format}/download");
    let (status, links) = app.get(client, &path).await;
    assert_eq!(status, 200, "{links}");
    assert_eq!(links["data"]["format"], format);
    let owner: uuid::Uuid =
        sqlx::query_scalar("SELECT owner_id FROM model_artifacts WHERE id = $1::uuid")
            .bind(model)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let prefix = format!("lora-models/{owner}/{model}/exports/{format}/");
    let mut files = BTreeMap::new();
    for link in links["data"]["files"].as_array().unwrap() {
        let name = link["name"].as_str().unwrap();
        let res = app
            .script()
            .get(app.url(link["url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name}");
        let bytes = res.bytes().await.unwrap().to_vec();
        assert_eq!(
            bytes,
            stored(app, &format!("{prefix}{name}")).await,
            "{name}"
        );
        assert_eq!(link["size_bytes"], bytes.len() as u64, "{name}");
        files.insert(name.to_string(), bytes);
    }
    files
}

fn gguf(bytes: &[u8]) -> gguf_file::Content {
    assert_eq!(&bytes[..4], b"GGUF", "GGUF magic");
    gguf_file::Content::read(&mut std::io::Cursor::new(bytes)).expect("a GGUF file candle reads")
}

fn meta_str<'a>(content: &'a gguf_file::Content, key: &str) -> &'a str {
    content
        .metadata
        .get(key)
        .and_then(|v| v.to_string().ok())
        .map_or("", |s| s.as_str())
}

fn dtypes(content: &gguf_file::Content) -> BTreeSet<String> {
    content
        .tensor_infos
        .values()
        .map(|t| format!("{:?}", t.ggml_dtype))
        .collect()
}

/// A GGUF export is one file, named as the format says, holding a Llama
/// model (or a LoRA adapter) with the format's tensor types.
pub(crate) fn check_gguf(format: ExportFormat, files: &BTreeMap<String, Vec<u8>>) {
    let name = format.gguf_file_name().unwrap();
    assert_eq!(files.keys().collect::<Vec<_>>(), vec![name], "{format}");
    let content = gguf(&files[name]);
    assert_eq!(
        meta_str(&content, "general.architecture"),
        "llama",
        "{format}"
    );
    let types = dtypes(&content);
    let expected = match format {
        // The LoRA file is F16 whatever the base, as its name says.
        ExportFormat::GgufF16 | ExportFormat::GgufLora => GgmlDType::F16,
        ExportFormat::GgufQ8_0 => GgmlDType::Q8_0,
        _ => GgmlDType::Q4K,
    };
    assert!(
        types.contains(&format!("{expected:?}")),
        "{format}: {types:?}"
    );
    if format == ExportFormat::GgufLora {
        assert_eq!(meta_str(&content, "general.type"), "adapter");
        assert_eq!(meta_str(&content, "adapter.type"), "lora");
        assert!(
            content
                .tensor_infos
                .keys()
                .all(|k| k.ends_with(".lora_a") || k.ends_with(".lora_b"))
        );
    } else {
        assert!(
            content.tensor_infos.contains_key("token_embd.weight"),
            "{format}"
        );
    }
}

/// The merged folder: a config, and sharded safetensors whose index names
/// every tensor the shards hold, in the base dtype.
pub(crate) fn check_merged(files: &BTreeMap<String, Vec<u8>>) {
    let config: Value = serde_json::from_slice(&files["config.json"]).unwrap();
    assert_eq!(config["model_type"], "llama", "{config}");
    let index: Value = serde_json::from_slice(&files["model.safetensors.index.json"]).unwrap();
    let map = index["weight_map"].as_object().unwrap();
    let mut held = BTreeSet::new();
    for shard in map
        .values()
        .map(|v| v.as_str().unwrap())
        .collect::<BTreeSet<_>>()
    {
        let tensors = safetensors::SafeTensors::deserialize(&files[shard]).unwrap();
        for (name, _) in tensors.tensors() {
            assert_eq!(map[&name], shard, "{name}");
            held.insert(name);
        }
    }
    assert_eq!(
        held,
        map.keys().cloned().collect(),
        "the index names what the shards hold"
    );
    assert!(
        held.contains("model.layers.0.self_attn.q_proj.weight"),
        "{held:?}"
    );
    assert!(
        !held.iter().any(|n| n.contains("lora")),
        "merged, not an adapter: {held:?}"
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_trained_model_exports_in_every_format_and_downloads_them(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("exports@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, model) = trained(&app, &client, new_job(&dataset, "cpu", 2)).await;
    let exports = format!("/api/models/{model}/exports");
    let (status, none) = app.get(&client, &exports).await;
    assert_eq!((status, none["data"].clone()), (200, j!([])), "{none}");

    // A bad format names the field and the valid ones.
    let (status, bad) = app.post(&client, &exports, j!({"format": "onnx"})).await;
    assert_eq!(
        (status, bad["field"].as_str()),
        (400, Some("format")),
        "{bad}"
    );
    assert!(
        bad["details"]
            .as_str()
            .unwrap()
            .contains("gguf-q8_0, gguf-q4_k_m"),
        "{bad}"
    );
    let (status, bad) = app.get(&client, &format!("{exports}/q5/download")).await;
    assert_eq!(
        (status, bad["field"].as_str()),
        (400, Some("format")),
        "{bad}"
    );

    // Every format queued (202), a duplicate refused (409), no links yet.
    for format in ExportFormat::ALL {
        let (status, queued) = app.post(&client, &exports, j!({"format": format})).await;
        assert_eq!(status, 202, "{queued}");
        assert_eq!(queued["data"]["format"], format.as_str());
        assert_eq!(queued["data"]["status"], "queued");
        assert_eq!(queued["data"]["model_id"], model.as_str());
    }
    let (status, dup) = app
        .post(&client, &exports, j!({"format": "gguf-q8_0"}))
        .await;
    assert_eq!(
        (status, dup["error"].as_str()),
        (409, Some("conflict")),
        "{dup}"
    );
    assert!(
        dup["details"].as_str().unwrap().contains("already queued"),
        "{dup}"
    );
    let (status, early) = app
        .get(&client, &format!("{exports}/gguf-q8_0/download"))
        .await;
    assert_eq!(status, 409, "{early}");

    // Another user sees none of it.
    let other = app.signed_in("other-exports@example.com").await;
    for (method, path, body) in [
        (
            Method::POST,
            exports.clone(),
            Some(j!({"format": "merged"})),
        ),
        (Method::GET, exports.clone(), None),
        (Method::GET, format!("{exports}/merged/download"), None),
    ] {
        let (status, body) = app.call(&other, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
    }

    // The worker runs them one by one.
    assert_eq!(export_all(&app).await, ExportFormat::ALL.len());
    let (_, list) = app.get(&client, &exports).await;
    let list = list["data"].as_array().unwrap().clone();
    assert_eq!(list.len(), 5);
    for e in &list {
        assert_eq!(e["status"], "completed", "{e}");
        assert_eq!(e["progress"], 1.0, "{e}");
        assert!(e["completed_at"].is_string(), "{e}");
        let sizes: u64 = e["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["size_bytes"].as_u64().unwrap())
            .sum();
        assert_eq!(e["size_bytes"], sizes, "{e}");
    }
    // Each one told its owner, linking to the model.
    let told = notifications(&app, &client).await;
    assert_eq!(told.len(), 5, "{told:?}");
    for note in &told {
        assert_eq!(note["kind"], "artifact_ready", "{note}");
        assert_eq!(note["link"], format!("/models/{model}"), "{note}");
    }
    let (_, detail) = app.get(&client, &format!("/api/models/{model}")).await;
    assert_eq!(
        detail["data"]["exports"].as_array().unwrap().len(),
        5,
        "the model page lists them"
    );

    // The files, read back through the signed links.
    for format in ExportFormat::ALL {
        let files = download(&app, &client, &model, format.as_str()).await;
        match format {
            ExportFormat::Merged => check_merged(&files),
            gguf => check_gguf(gguf, &files),
        }
    }

    // A completed export is not made twice.
    let (status, again) = app.post(&client, &exports, j!({"format": "merged"})).await;
    assert_eq!(status, 409, "{again}");

    assert_export_bytes_billed(&app, &list).await;
    assert_deleting_the_model_removes_its_exports(&app, &client, &model, &list).await;
}

/// Storage billing counts the completed exports' bytes with the dataset's
/// and the adapter's.
async fn assert_export_bytes_billed(app: &TestApp, exports: &[Value]) {
    let today = chrono::Utc::now().date_naive();
    brightrun_backend::costs::storage::bill_day(&app.services, today)
        .await
        .unwrap();
    let (billed, held): (i64, i64) = sqlx::query_as(
        "SELECT (c.details->>'bytes')::float8::bigint,
                (SELECT sum(size_bytes) FROM datasets WHERE owner_id = c.owner_id)::bigint
                  + (SELECT sum(size_bytes) FROM model_artifacts WHERE owner_id = c.owner_id)::bigint
         FROM cost_records c JOIN users u ON u.id = c.owner_id
         WHERE c.cost_type = 'storage' AND u.email = 'exports@example.com'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let exported: i64 = exports
        .iter()
        .map(|e| e["size_bytes"].as_i64().unwrap())
        .sum();
    assert!(exported > 0);
    assert_eq!(
        billed,
        held + exported,
        "storage bills the exports' bytes too"
    );
}

/// Deleting the model takes its exports' objects on the next clean-up.
async fn assert_deleting_the_model_removes_its_exports(
    app: &TestApp,
    client: &reqwest::Client,
    model: &str,
    exports: &[Value],
) {
    let owner: uuid::Uuid =
        sqlx::query_scalar("SELECT owner_id FROM model_artifacts WHERE id = $1::uuid")
            .bind(model)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let mut keys = Vec::new();
    for e in exports {
        let format = e["format"].as_str().unwrap();
        for f in e["files"].as_array().unwrap() {
            let key = format!(
                "lora-models/{owner}/{model}/exports/{format}/{}",
                f["name"].as_str().unwrap()
            );
            assert!(
                app.services.storage.size(&key).await.unwrap().is_some(),
                "{key}"
            );
            keys.push(key);
        }
    }
    let (status, _) = app
        .call(
            client,
            Method::DELETE,
            &format!("/api/models/{model}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        brightrun_backend::models::cleanup::tick(&app.services)
            .await
            .unwrap(),
        1
    );
    for key in &keys {
        assert_eq!(app.services.storage.size(key).await.unwrap(), None, "{key}");
    }
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM model_exports WHERE model_id = $1::uuid")
            .bind(model)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_failed_export_says_why_and_is_queued_again_when_asked(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("retry@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, model) = trained(&app, &client, new_job(&dataset, "cpu", 2)).await;
    let exports = format!("/api/models/{model}/exports");
    let (status, _) = app
        .post(&client, &exports, j!({"format": "gguf-lora"}))
        .await;
    assert_eq!(status, 202);

    // The adapter's weights vanish from storage before the worker starts.
    let prefix = crate::models::prefix_of(&app, &model).await;
    let key = format!("{prefix}adapter_model.safetensors");
    let weights = stored(&app, &key).await;
    app.services.storage.delete(&key).await.unwrap();
    assert_eq!(export_all(&app).await, 1);
    let (_, list) = app.get(&client, &exports).await;
    let failed = &list["data"][0];
    assert_eq!(failed["status"], "failed", "{failed}");
    let reason = failed["error"].as_str().unwrap();
    assert!(reason.contains("no longer in storage"), "{reason}");
    let told = notifications(&app, &client).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["kind"], "export_failed");
    assert!(
        told[0]["message"].as_str().unwrap().ends_with(reason),
        "{told:?}"
    );

    // Asked again once the weights are back: queued in place, then done.
    app.services
        .storage
        .put_bytes(&key, weights.into())
        .await
        .unwrap();
    let (status, queued) = app
        .post(&client, &exports, j!({"format": "gguf-lora"}))
        .await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(
        queued["data"]["id"], failed["id"],
        "the same export, queued again"
    );
    assert_eq!(queued["data"]["error"], Value::Null);
    assert_eq!(export_all(&app).await, 1);
    let files = download(&app, &client, &model, "gguf-lora").await;
    check_gguf(ExportFormat::GgufLora, &files);
}

/// The user's export notifications, newest first.
async fn notifications(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let (status, page) = app.get(client, "/api/notifications?per_page=100").await;
    assert_eq!(status, 200, "{page}");
    page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            matches!(n["kind"].as_str(), Some("artifact_ready" | "export_failed"))
                && n["title"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("Export")
        })
        .cloned()
        .collect()
}
