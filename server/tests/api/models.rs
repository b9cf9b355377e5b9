//! Models end to end: a job trained by the real trainer on the local
//! cluster, its files downloaded through signed links and the streamed
//! `.tar.gz` (bytes compared with storage), tampered and expired links
//! refused, edit, continue training from its weights, delete; downloads
//! billed as data transfer; another user's ids not found.

use crate::common::{TestApp, create, new_job, ready_dataset, tick_until};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json as j};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::io::Read;
use std::time::Duration;

pub(crate) async fn stored(app: &TestApp, key: &str) -> Vec<u8> {
    let mut stream = app.services.storage.get_stream(key).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

pub(crate) async fn prefix_of(app: &TestApp, model: &str) -> String {
    sqlx::query_scalar("SELECT storage_prefix FROM model_artifacts WHERE id = $1::uuid")
        .bind(model)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Trains a short run to completion; (job id, model id).
pub(crate) async fn trained(
    app: &TestApp,
    client: &reqwest::Client,
    body: Value,
) -> (String, String) {
    let id = create(app, client, body).await;
    let done = tick_until(app, client, &id, Duration::from_secs(240), |b| {
        b["job"]["status"] == "completed" || b["job"]["status"] == "failed"
    })
    .await;
    assert_eq!(done["job"]["status"], "completed", "{done}");
    let model = done["job"]["model_id"].as_str().unwrap().to_string();
    (id, model)
}

pub(crate) fn untar(gz: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    let mut files = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(name, bytes);
    }
    files
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_trained_model_downloads_edits_continues_and_deletes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("models@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (job, model) = trained(&app, &client, new_job(&dataset, "cpu", 4)).await;

    // The list, its search and its filters.
    let (status, list) = app.get(&client, "/api/models").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], model.as_str());
    let (_, none) = app.get(&client, "/api/models?q=no-such-model").await;
    assert_eq!(none["data"].as_array().unwrap().len(), 0);
    let (_, by_dataset) = app
        .get(&client, "/api/models?q=eq-12&base_model=tiny-llama")
        .await;
    assert_eq!(
        by_dataset["data"].as_array().unwrap().len(),
        1,
        "search covers the dataset name"
    );
    let (status, bad) = app.get(&client, "/api/models?min_rating=9").await;
    assert_eq!(
        (status, bad["field"].as_str()),
        (400, Some("min_rating")),
        "{bad}"
    );

    // The page's data: summary from the job, lineage of one.
    let (status, detail) = app.get(&client, &format!("/api/models/{model}")).await;
    assert_eq!(status, 200, "{detail}");
    let d = &detail["data"];
    assert_eq!(d["model"]["job_id"], job.as_str());
    assert_eq!(d["job"]["config"]["lora_r"], 8);
    assert!(d["job"]["metrics"].as_array().unwrap().len() >= 4);
    assert_eq!(d["lineage"].as_array().unwrap().len(), 1);
    assert_eq!(d["children"].as_array().unwrap().len(), 0);

    // Signed links, an hour long, whose bytes are storage's bytes.
    let (status, dl) = app
        .get(&client, &format!("/api/models/{model}/download"))
        .await;
    assert_eq!(status, 200, "{dl}");
    let files = dl["data"]["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, brightrun_backend::jobs::spec::ARTIFACTS);
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(dl["data"]["expires_at"].clone()).unwrap();
    let ttl = (expires - chrono::Utc::now()).num_seconds();
    assert!((3590..=3600).contains(&ttl), "valid one hour: {ttl} s");
    let prefix = prefix_of(&app, &model).await;
    let plain = app.script();
    let mut downloaded = 0u64;
    for f in files {
        let name = f["name"].as_str().unwrap();
        let url = f["url"].as_str().unwrap();
        let res = plain.get(app.url(url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{name}");
        let bytes = res.bytes().await.unwrap();
        assert_eq!(
            bytes.as_ref(),
            stored(&app, &format!("{prefix}{name}")).await,
            "{name}"
        );
        assert_eq!(f["size_bytes"], bytes.len() as u64);
        downloaded += bytes.len() as u64;
    }
    // A tampered signature or path, and an expired link, are refused.
    let url = files[1]["url"].as_str().unwrap();
    let tampered = url.replace("sig=", "sig=0");
    assert_eq!(
        plain.get(app.url(&tampered)).send().await.unwrap().status(),
        403
    );
    let other_file = url.replace("adapter_model.safetensors", "adapter_config.json");
    assert_eq!(
        plain
            .get(app.url(&other_file))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let past = chrono::Utc::now().timestamp() - 5;
    let key = format!("{prefix}adapter_model.safetensors");
    let sig = app.services.link_key.sign("GET", &key, past, 0);
    let expired = format!("/storage/{key}?expires={past}&max=0&sig={sig}");
    assert_eq!(
        plain.get(app.url(&expired)).send().await.unwrap().status(),
        403
    );

    // The bundle: a .tar.gz of the same bytes in one folder.
    let bundle = dl["data"]["bundle"]["url"].as_str().unwrap();
    let res = plain.get(app.url(bundle)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/gzip");
    let gz = res.bytes().await.unwrap();
    let unpacked = untar(&gz);
    assert_eq!(unpacked.len(), 4, "{:?}", unpacked.keys());
    for (path, bytes) in &unpacked {
        let (folder, name) = path.split_once('/').unwrap();
        assert_eq!(folder, "EQ-12-short-run");
        assert_eq!(
            bytes,
            &stored(&app, &format!("{prefix}{name}")).await,
            "{name}"
        );
    }
    downloaded += gz.len() as u64;
    let bad_bundle = bundle.replace("sig=", "sig=f");
    assert_eq!(
        plain
            .get(app.url(&bad_bundle))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let other_owner = bundle.replace("owner=", "owner=0");
    assert_eq!(
        plain
            .get(app.url(&other_owner))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    // Every byte sent is billed as data transfer to the owner.
    let mut billed = 0i64;
    for _ in 0..50 {
        billed = sqlx::query_scalar(
            "SELECT coalesce(sum((details->>'bytes')::bigint), 0)::bigint FROM cost_records
             WHERE cost_type = 'data_transfer' AND model_id = $1::uuid",
        )
        .bind(&model)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if billed as u64 == downloaded {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        billed as u64, downloaded,
        "transfer records cover each download"
    );

    // Edit: name and description; a blank name names the field.
    let (status, edited) = app
        .call(
            &client,
            Method::PATCH,
            &format!("/api/models/{model}"),
            Some(j!({"name": "  EQ adapter v1 ", "description": "First pass on EQ-12."})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["data"]["name"], "EQ adapter v1");
    assert_eq!(edited["data"]["description"], "First pass on EQ-12.");
    let (status, bad) = app
        .call(
            &client,
            Method::PATCH,
            &format!("/api/models/{model}"),
            Some(j!({"name": " "})),
        )
        .await;
    assert_eq!(
        (status, bad["field"].as_str()),
        (400, Some("name")),
        "{bad}"
    );

    // Continue training: the rank must stay; then LoRA starts from the
    // parent's weights and the chain is recorded.
    let mut child_body = new_job(&dataset, "cpu", 2);
    child_body["parent_model_id"] = j!(model);
    child_body["name"] = j!("EQ adapter v2");
    child_body["config"]["lora_r"] = j!(4);
    let (status, bad) = app.post(&client, "/api/jobs", child_body.clone()).await;
    assert_eq!(
        (status, bad["field"].as_str()),
        (400, Some("lora_r")),
        "{bad}"
    );
    child_body["config"]["lora_r"] = j!(8);
    let (child_job, child) = trained(&app, &client, child_body).await;
    let (_, child_detail) = app.get(&client, &format!("/api/models/{child}")).await;
    assert_eq!(
        child_detail["data"]["model"]["parent_model_id"],
        model.as_str()
    );
    assert_eq!(
        child_detail["data"]["job"]["job"]["parent_model_id"],
        model.as_str()
    );
    let chain: Vec<&str> = child_detail["data"]["lineage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(chain, vec![model.as_str(), child.as_str()]);
    let (_, logs) = app
        .get(&client, &format!("/api/jobs/{child_job}/logs"))
        .await;
    assert!(
        logs.to_string().contains("parent adapter"),
        "the trainer fetched the parent's weights: {logs}"
    );
    let (_, parent_detail) = app.get(&client, &format!("/api/models/{model}")).await;
    assert_eq!(parent_detail["data"]["children"][0]["id"], child.as_str());

    // Delete: gone from the API at once, its files on the next clean-up.
    let (status, _) = app
        .call(
            &client,
            Method::DELETE,
            &format!("/api/models/{model}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.get(&client, &format!("/api/models/{model}")).await;
    assert_eq!(status, 404);
    let (_, list) = app.get(&client, "/api/models").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        plain.get(app.url(bundle)).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        brightrun_backend::models::cleanup::tick(&app.services)
            .await
            .unwrap(),
        1
    );
    for name in brightrun_backend::jobs::spec::ARTIFACTS {
        assert_eq!(
            app.services
                .storage
                .size(&format!("{prefix}{name}"))
                .await
                .unwrap(),
            None
        );
    }
    // The child keeps its own files and its (now deleted) parent's name.
    let (status, child_detail) = app.get(&client, &format!("/api/models/{child}")).await;
    assert_eq!(status, 200);
    assert_eq!(child_detail["data"]["lineage"][0]["name"], "EQ adapter v1");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn another_users_model_cost_and_notification_ids_are_not_found(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let owner = app.signed_in("owner@example.com").await;
    let dataset = ready_dataset(&app, &owner).await;
    let (job, model) = trained(&app, &owner, new_job(&dataset, "cpu", 2)).await;
    let (_, notes) = app.get(&owner, "/api/notifications").await;
    let note = notes["data"]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, hook) = app
        .post(
            &owner,
            "/api/webhooks",
            j!({"url": "http://93.184.216.34:9/hook"}),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let hook = hook["data"]["id"].as_str().unwrap().to_string();

    let other = app.signed_in("other@example.com").await;
    for (method, path, body) in [
        (Method::GET, format!("/api/models/{model}"), None),
        (
            Method::PATCH,
            format!("/api/models/{model}"),
            Some(j!({"name": "mine"})),
        ),
        (Method::DELETE, format!("/api/models/{model}"), None),
        (Method::GET, format!("/api/models/{model}/download"), None),
        (
            Method::PATCH,
            format!("/api/notifications/{note}/read"),
            None,
        ),
        (
            Method::GET,
            format!("/api/webhooks/{hook}/deliveries"),
            None,
        ),
        (Method::DELETE, format!("/api/webhooks/{hook}"), None),
        (Method::GET, "/api/models/not-a-uuid".to_string(), None),
    ] {
        let (status, body) = app.call(&other, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["error"], "not_found");
    }
    let (_, costs) = app.get(&other, &format!("/api/costs?job={job}")).await;
    assert_eq!(
        costs["data"].as_array().unwrap().len(),
        0,
        "another user's job bills nothing to them"
    );
    let (_, models) = app.get(&other, "/api/models").await;
    assert_eq!(models["data"].as_array().unwrap().len(), 0);
    let (_, notes) = app.get(&other, "/api/notifications").await;
    assert_eq!(notes["data"]["total"], 0);
    // The owner still has everything.
    let (status, _) = app.get(&owner, &format!("/api/models/{model}")).await;
    assert_eq!(status, 200);
}
