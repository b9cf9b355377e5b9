//! The S3 path against a real S3-compatible server (moto, started on
//! 127.0.0.1 by `scripts/test`; BRIGHTRUN_TEST_S3_URL): a dataset uploaded
//! through the presigned POST form, confirmed, validated from S3; a job whose
//! trainer downloads it through a presigned GET and uploads its adapter
//! through presigned PUTs; the files and the streamed bundle downloaded and
//! compared with storage; streamed multipart writes, size caps, renames and
//! deletes with the same assertions as the local store.

use crate::common::{TestApp, fixture, json, new_job, ready_dataset, send_upload};
use crate::models::{prefix_of, stored, trained, untar};
use futures::StreamExt;
use sqlx::PgPool;

fn s3_url() -> String {
    std::env::var("BRIGHTRUN_TEST_S3_URL").expect(
        "the S3 tests need an S3-compatible server: run `scripts/s3-server start DIR` \
         and set BRIGHTRUN_TEST_S3_URL to the URL it prints (scripts/test does this)",
    )
}

/// A server whose storage is a fresh bucket on the test S3 server.
async fn s3_app(pool: PgPool) -> TestApp {
    let endpoint = s3_url();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let bucket = format!("brightrun-{}", uuid::Uuid::new_v4().simple());
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "bucket: {}", made.status());
    TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_STORAGE", "s3"),
            ("BRIGHTRUN_S3_BUCKET", &bucket),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "brightrun-test"),
            ("AWS_SECRET_ACCESS_KEY", "brightrun-test-secret"),
        ],
    )
    .await
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_dataset_a_job_and_its_downloads_go_through_s3(pool: PgPool) {
    let app = s3_app(pool).await;
    assert!(!app.services.storage.is_local());
    let client = app.signed_in("s3@example.com").await;
    // Upload (POST form), confirm (moved into place), validation (read from S3).
    let dataset = ready_dataset(&app, &client).await;
    let key: String = sqlx::query_scalar("SELECT storage_key FROM datasets WHERE id = $1::uuid")
        .bind(&dataset)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        stored(&app, &key).await,
        fixture("EQ-12-conversations-demo.jsonl")
    );
    let upload_object = brightrun_backend::storage::keys::dataset_upload_object(&key);
    assert_eq!(
        app.services.storage.size(&upload_object).await.unwrap(),
        None
    );

    // The trainer reads the dataset and writes the adapter through S3 URLs.
    let (_job, model) = trained(&app, &client, new_job(&dataset, "cpu", 2)).await;
    let prefix = prefix_of(&app, &model).await;
    let (status, dl) = app
        .get(&client, &format!("/api/models/{model}/download"))
        .await;
    assert_eq!(status, 200, "{dl}");
    let plain = app.script();
    for f in dl["data"]["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let url = f["url"].as_str().unwrap();
        assert!(url.starts_with(&s3_url()), "a presigned S3 URL: {url}");
        let res = plain.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{name}");
        let bytes = res.bytes().await.unwrap();
        assert!(!bytes.is_empty(), "{name}");
        assert_eq!(
            bytes.as_ref(),
            stored(&app, &format!("{prefix}{name}")).await,
            "{name}"
        );
    }
    // The bundle streams from S3 through this server.
    let bundle = dl["data"]["bundle"]["url"].as_str().unwrap();
    let res = plain.get(app.url(bundle)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let unpacked = untar(&res.bytes().await.unwrap());
    assert_eq!(unpacked.len(), 4, "{:?}", unpacked.keys());
    for (path, bytes) in &unpacked {
        let name = path.split_once('/').unwrap().1;
        assert_eq!(bytes, &stored(&app, &format!("{prefix}{name}")).await);
    }
    app.stop().await;
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_s3_upload_form_is_for_one_key_and_size_and_cannot_replace_a_confirmed_file(
    pool: PgPool,
) {
    let app = s3_app(pool).await;
    let client = app.signed_in("form@example.com").await;
    let original = fixture("EQ-12-conversations-demo.jsonl");
    let (status, created) = app
        .post(
            &client,
            "/api/datasets",
            serde_json::json!({ "name": "EQ-12", "file_name": "eq 12?#%.jsonl", "size_bytes": original.len() }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let target = &created["data"]["upload"];
    assert_eq!(target["method"], "POST");
    assert_eq!(target["max_bytes"], original.len());
    let fields = target["fields"].as_object().unwrap();
    let id = created["data"]["dataset"]["id"].as_str().unwrap();
    assert!(
        fields["key"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{id}/upload/eq 12?#%.jsonl"))
    );
    // The policy S3 enforces: this key, 1 byte up to the declared size.
    use base64::Engine;
    let policy: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(fields["policy"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let conditions = policy["conditions"].as_array().unwrap();
    assert!(
        conditions.contains(&serde_json::json!([
            "content-length-range",
            1,
            original.len()
        ])),
        "{policy}"
    );
    assert!(conditions.contains(&serde_json::json!({ "key": fields["key"] })));

    // A bigger file than declared (moto does not enforce the range) is
    // refused at confirm, and removed.
    let mut bigger = original.clone();
    bigger.extend_from_slice(b"\n");
    let res = send_upload(&app, target, bigger).await;
    assert!(res.status().is_success(), "{}", res.status());
    let confirm = format!("/api/datasets/{id}/confirm");
    let (status, body) = json(client.post(app.url(&confirm)).send().await.unwrap()).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["details"].as_str().unwrap().contains("created for"),
        "{body}"
    );

    // The right file, confirmed; a later post through the same form lands in
    // the upload object, never in the file that was validated.
    let res = send_upload(&app, target, original.clone()).await;
    assert!(res.status().is_success());
    let (status, body) = json(client.post(app.url(&confirm)).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    brightrun_backend::datasets::worker::tick(&app.services)
        .await
        .unwrap();
    let res = send_upload(&app, target, b"{\"replaced\":true}\n".to_vec()).await;
    assert!(res.status().is_success());
    let key: String = sqlx::query_scalar("SELECT storage_key FROM datasets WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored(&app, &key).await, original);
    let (_, detail) = app.get(&client, &format!("/api/datasets/{id}")).await;
    assert_eq!(detail["data"]["dataset"]["status"], "ready", "{detail}");

    // Deleting the dataset removes both objects.
    let res = client
        .delete(app.url(&format!("/api/datasets/{id}")))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    brightrun_backend::datasets::cleanup::tick(&app.services)
        .await
        .unwrap();
    let upload_object = brightrun_backend::storage::keys::dataset_upload_object(&key);
    assert_eq!(app.services.storage.size(&key).await.unwrap(), None);
    assert_eq!(
        app.services.storage.size(&upload_object).await.unwrap(),
        None
    );
    app.stop().await;
}

/// A signed URL as a client uses it: the local store's are paths.
fn absolute(app: &TestApp, url: &str) -> String {
    if url.starts_with('/') {
        app.url(url)
    } else {
        url.to_string()
    }
}

/// The storage operations, with the same assertions on both stores.
async fn exercise(app: &TestApp) {
    let storage = &app.services.storage;
    // A streamed write in several multipart parts (8 MB each), read back.
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = big
        .chunks(1024 * 1024)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let written = storage
        .put_stream("t/big.bin", futures::stream::iter(chunks), big.len() as u64)
        .await
        .unwrap();
    assert_eq!(written, big.len() as u64);
    assert_eq!(
        storage.size("t/big.bin").await.unwrap(),
        Some(big.len() as u64)
    );
    let mut stream = storage.get_stream("t/big.bin").await.unwrap();
    let mut back = Vec::new();
    while let Some(chunk) = stream.next().await {
        back.extend_from_slice(&chunk.unwrap());
    }
    assert!(back == big, "the bytes read back differ");

    // Past its cap a stream is refused and leaves nothing behind.
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
        Ok(bytes::Bytes::from(vec![1u8; 600])),
        Ok(bytes::Bytes::from(vec![2u8; 600])),
    ];
    let over = storage
        .put_stream("t/over.bin", futures::stream::iter(chunks), 1000)
        .await;
    assert!(matches!(
        over,
        Err(brightrun_backend::storage::UploadError::TooLarge(1000))
    ));
    assert_eq!(storage.size("t/over.bin").await.unwrap(), None);

    // Rename, a missing rename, delete (twice), a missing object.
    assert!(storage.rename("t/big.bin", "t/moved.bin").await.unwrap());
    assert!(!storage.rename("t/big.bin", "t/again.bin").await.unwrap());
    assert_eq!(storage.size("t/big.bin").await.unwrap(), None);
    assert_eq!(
        storage.size("t/moved.bin").await.unwrap(),
        Some(big.len() as u64)
    );
    storage.delete("t/moved.bin").await.unwrap();
    storage.delete("t/moved.bin").await.unwrap();
    assert_eq!(storage.get_bytes("t/moved.bin").await.unwrap(), None);

    // A signed PUT (the trainer's artifacts) and GET, with a name that needs
    // percent-encoding.
    let key = "t/a b?#%.json";
    let put = storage
        .upload_url(key, 100, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let url = absolute(app, &put.url);
    let res = reqwest::Client::new()
        .put(&url)
        .body("{\"ok\":1}")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "PUT {url}: {}", res.status());
    let get = storage
        .download_url(key, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let url = absolute(app, &get.url);
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), 200, "GET {url}");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"{\"ok\":1}");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn storage_operations_behave_the_same_on_s3(pool: PgPool) {
    let app = s3_app(pool).await;
    exercise(&app).await;
    app.stop().await;
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn storage_operations_behave_the_same_on_the_local_store(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    exercise(&app).await;
    app.stop().await;
}
