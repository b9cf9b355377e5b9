//! Talking to a trained model on the local backend: the playground's chat
//! streamed as NDJSON events (queue, loading, text in pieces, done), the
//! base model answering from the same weights, and the OpenAI-compatible
//! API whole and streamed as server-sent chunks, its errors in OpenAI's
//! shape, scoped to the key's owner.

use crate::common::{TestApp, new_job, ready_dataset};
use crate::models::trained;
use futures::StreamExt;
use serde_json::{Value, json as j};
use sqlx::PgPool;

pub(crate) async fn api_token(app: &TestApp, client: &reqwest::Client) -> String {
    let (status, created) = app.post(client, "/api/tokens", j!({"name": "sdk"})).await;
    assert_eq!(status, 201, "{created}");
    created["data"]["token"].as_str().unwrap().to_string()
}

pub(crate) fn messages() -> Value {
    j!([
        {"role": "system", "content": "You are a calm financial coach."},
        {"role": "user", "content": "I keep overspending. Where do I start?"}
    ])
}

/// The NDJSON events of a playground answer, and how many network chunks
/// carried them.
pub(crate) async fn playground(
    app: &TestApp,
    client: &reqwest::Client,
    model: &str,
    body: Value,
) -> (Vec<Value>, usize) {
    let res = client
        .post(app.url(&format!("/api/models/{model}/chat")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let mut chunks = 0;
    let mut bytes = Vec::new();
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        chunks += 1;
        bytes.extend_from_slice(&chunk.unwrap());
    }
    let events = String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (events, chunks)
}

pub(crate) fn text_of(events: &[Value]) -> String {
    events
        .iter()
        .filter(|e| e["type"] == "text")
        .map(|e| e["text"].as_str().unwrap())
        .collect()
}

fn greedy(max_tokens: u32, adapter: bool) -> Value {
    j!({"messages": messages(), "sampling": {"temperature": 0.0, "repetition_penalty": 5.0},
        "max_tokens": max_tokens, "adapter": adapter})
}

/// The `data:` payloads of a server-sent event stream.
pub(crate) fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|event| {
            event
                .lines()
                .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                .map(str::to_string)
        })
        .collect()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_trained_model_answers_in_the_playground_streamed_in_pieces(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("playground@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, model) = trained(&app, &client, new_job(&dataset, "cpu", 4)).await;

    let (events, chunks) = playground(&app, &client, &model, greedy(24, true)).await;
    assert_eq!(events[0]["type"], "loading", "{events:?}");
    let texts = events.iter().filter(|e| e["type"] == "text").count();
    assert!(texts > 1 && chunks > 1, "{texts} pieces in {chunks} chunks");
    let done = events.last().unwrap();
    assert_eq!(done["type"], "done", "{done}");
    assert!(done["completion_tokens"].as_u64().unwrap() <= 24);
    assert!(done["prompt_tokens"].as_u64().unwrap() > 20);
    let answer = text_of(&events);

    // The second message finds the model loaded; greedy repeats itself.
    let (again, _) = playground(&app, &client, &model, greedy(24, true)).await;
    assert!(again.iter().all(|e| e["type"] != "loading"), "{again:?}");
    assert_eq!(text_of(&again), answer);
    // The base model from the same weights, side by side.
    let (base, _) = playground(&app, &client, &model, greedy(24, false)).await;
    assert_eq!(base.last().unwrap()["type"], "done");

    // Settings out of range name their field; others' models are not found.
    let (status, bad) = app
        .post(
            &client,
            &format!("/api/models/{model}/chat"),
            j!({"messages": messages(), "sampling": {"top_p": 0}}),
        )
        .await;
    assert_eq!(
        (status, bad["field"].as_str()),
        (400, Some("top_p")),
        "{bad}"
    );
    let other = app.signed_in("someone-else@example.com").await;
    let (status, _) = app
        .post(
            &other,
            &format!("/api/models/{model}/chat"),
            greedy(4, true),
        )
        .await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_openai_api_answers_whole_and_streamed_with_usage_and_openai_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("openai@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let (_, model) = trained(&app, &client, new_job(&dataset, "cpu", 4)).await;
    let key = api_token(&app, &client).await;
    let sdk = app.script();

    let (status, list) = super::common::json(
        sdk.get(app.url("/v1/models"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [model.as_str(), "tiny-llama"]);
    assert_eq!(list["data"][0]["object"], "model");

    let body = j!({"model": model, "messages": messages(), "temperature": 0, "repetition_penalty": 5.0, "max_tokens": 16});
    let (status, whole) = super::common::json(
        sdk.post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{whole}");
    assert_eq!(whole["object"], "chat.completion");
    let content = whole["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let usage = &whole["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    // The playground's greedy answer is the same text.
    let (events, _) = playground(&app, &client, &model, greedy(16, true)).await;
    assert_eq!(text_of(&events), content);

    let mut streamed = body.clone();
    streamed["stream"] = j!(true);
    streamed["stream_options"] = j!({"include_usage": true});
    let res = sdk
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&streamed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(data.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk" && c["id"] == chunks[0]["id"])
    );
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let joined: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(joined, content);
    let finish = &chunks[chunks.len() - 2]["choices"][0]["finish_reason"];
    assert!(finish == "length" || finish == "stop", "{finish}");
    assert_eq!(chunks.last().unwrap()["usage"], *usage);

    // OpenAI's error shape: no key, a wrong model, a bad setting, a prompt
    // longer than the model reads, another owner's model.
    let post = |body: Value, key: Option<String>| {
        let mut req = app
            .script()
            .post(app.url("/v1/chat/completions"))
            .json(&body);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        async move { super::common::json(req.send().await.unwrap()).await }
    };
    let (status, e) = post(body.clone(), None).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("invalid_api_key")),
        "{e}"
    );
    let (status, e) = post(
        j!({"model": "no-such-model", "messages": messages()}),
        Some(key.clone()),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (404, Some("model_not_found")),
        "{e}"
    );
    let mut hot = body.clone();
    hot["temperature"] = j!(3);
    let (status, e) = post(hot, Some(key.clone())).await;
    assert_eq!(
        (status, e["error"]["param"].as_str()),
        (400, Some("temperature")),
        "{e}"
    );
    assert_eq!(e["error"]["type"], "invalid_request_error");
    let mut long = body.clone();
    long["messages"] = j!([{"role": "user", "content": "money ".repeat(500)}]);
    let (status, e) = post(long, Some(key.clone())).await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 2048"),
        "{e}"
    );
    let other = app.signed_in("not-the-owner@example.com").await;
    let other_key = api_token(&app, &other).await;
    let (status, _) = post(body.clone(), Some(other_key)).await;
    assert_eq!(status, 404);
}
