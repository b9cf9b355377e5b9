//! OpenAI's own Python client (`openai` from PyPI, scripts/openai-python)
//! against the running server: existing code works by changing only
//! `base_url` and the key, streamed and not, and the client raises the
//! exceptions it raises against OpenAI.

use crate::common::{TestApp, new_job, ready_dataset};
use crate::generation::api_token;
use crate::models::trained;
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn openais_python_client_works_by_changing_only_base_url_and_key(pool: PgPool) {
    let python = std::env::var("BRIGHTRUN_TEST_OPENAI_PYTHON").expect(
        "the OpenAI client test needs Python with the openai package: run ./scripts/test, \
         or set BRIGHTRUN_TEST_OPENAI_PYTHON=$(scripts/openai-python)",
    );
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("sdk@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, model) = trained(&app, &client, new_job(&dataset, "cpu", 4)).await;
    let key = api_token(&app, &client).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/openai_client.py");
    let run = tokio::process::Command::new(python)
        .args([script, &app.url(""), &key, &model])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "the client failed: {stderr}");
    let out: Value = serde_json::from_slice(&run.stdout).unwrap();

    let models: Vec<&str> = out["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(models, [model.as_str(), "tiny-llama"]);

    let whole = &out["whole"];
    assert_eq!(whole["role"], "assistant");
    assert_eq!(
        whole["total_tokens"].as_u64().unwrap(),
        whole["prompt_tokens"].as_u64().unwrap() + whole["completion_tokens"].as_u64().unwrap()
    );
    let stream = &out["stream"];
    let pieces: Vec<&str> = stream["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(pieces.len() > 1, "streamed in pieces: {pieces:?}");
    assert_eq!(pieces.concat(), whole["content"].as_str().unwrap());
    assert_eq!(stream["finish_reason"], whole["finish_reason"]);
    assert_eq!(stream["total_tokens"], whole["total_tokens"]);

    let errors = &out["errors"];
    assert_eq!(
        errors["bad_key"],
        serde_json::json!([401, "invalid_api_key"]),
        "{out}"
    );
    assert_eq!(
        errors["bad_model"],
        serde_json::json!([404, "model_not_found"]),
        "{out}"
    );
    assert_eq!(
        errors["bad_temperature"],
        serde_json::json!([400, "temperature"]),
        "{out}"
    );
}
