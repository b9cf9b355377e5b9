//! `POST /v1/chat/completions`: a BrightRun model answering in OpenAI's
//! format, whole or streamed as server-sent `chat.completion.chunk`s
//! ending with `[DONE]`, with `usage` token counts.

use super::error::OpenAiError;
use super::schemas::{ChatCompletion, OpenAiErrorBody};
use super::wire::ChatRequest;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use brightrun::cluster::{GenerateEvent, GenerateUsage};
use brightrun::generation::FinishReason;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::jobs::cluster::Generation;
use brightrun_backend::{ServiceError, Services, generation};
use serde_json::{Value, json};
use std::convert::Infallible;
use uuid::Uuid;

/// A chat completion from one of the caller's models (`stream: true`: as
/// server-sent events of `chat.completion.chunk`s, ending `data: [DONE]`).
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    summary = "Chat completion (OpenAI)",
    tag = "openai",
    request_body = ChatRequest,
    responses(
        (status = 200, description = "The completion", content(
            (ChatCompletion = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 400, description = "Not a chat completions request BrightRun can answer", body = OpenAiErrorBody),
        (status = 401, description = "No valid API token (`invalid_api_key`)", body = OpenAiErrorBody),
        (status = 402, description = "The monthly budget is spent", body = OpenAiErrorBody),
        (status = 404, description = "No such model (`model_not_found`)", body = OpenAiErrorBody),
        (status = 429, description = "Too many generations queued", body = OpenAiErrorBody),
        (status = 500, description = "A fault on the server's side", body = OpenAiErrorBody),
        (status = 503, description = "No generation can run now", body = OpenAiErrorBody),
    )
)]
pub async fn completions(
    State(services): State<Services>,
    user: Result<CurrentUser, ServiceError>,
    body: Bytes,
) -> Result<Response, OpenAiError> {
    let user = user?;
    let req: ChatRequest = serde_json::from_slice(&body).map_err(|e| {
        OpenAiError::invalid(
            "body",
            format!("The body is not a chat completions request: {e}."),
        )
    })?;
    let seed = Uuid::new_v4().as_u64_pair().0;
    let request = req.generation(seed)?;
    let mut events = generation::start(&services, user.id, &req.model, request).await?;
    let first = first_answer_event(&mut events).await?;
    let head = Head {
        id: format!("chatcmpl-{}", Uuid::new_v4().simple()),
        created: chrono::Utc::now().timestamp(),
        model: req.model.clone(),
    };
    if req.stream {
        let usage = req.stream_options.is_some_and(|o| o.include_usage);
        return Ok(stream(head, first, events, usage).into_response());
    }
    whole(head, first, events).await
}

/// What every response and chunk of one completion carries.
struct Head {
    id: String,
    created: i64,
    model: String,
}

impl Head {
    fn chunk(&self, delta: Value, finish: Option<FinishReason>) -> Value {
        json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model, "system_fingerprint": null,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        })
    }
}

fn usage(u: &GenerateUsage) -> Value {
    json!({
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.prompt_tokens + u.completion_tokens,
    })
}

fn failed(message: String, invalid_request: bool) -> OpenAiError {
    OpenAiError {
        status: if invalid_request { 400 } else { 500 },
        message,
        param: invalid_request.then(|| "messages".to_string()),
        code: if invalid_request {
            "invalid_value"
        } else {
            "generation_failed"
        },
    }
}

/// The trainer went away: before the answer began, or in the middle of it.
fn stopped(started: bool) -> OpenAiError {
    let message = if started {
        "The trainer stopped before the answer ended."
    } else {
        "The trainer stopped before answering."
    };
    failed(message.into(), false)
}

/// Waits past the queue and the model's loading for the first event of the
/// answer itself, so a request the model refuses gets its status code
/// before any streaming starts.
async fn first_answer_event(events: &mut Generation) -> Result<GenerateEvent, OpenAiError> {
    loop {
        match events.recv().await {
            Some(GenerateEvent::Queued { .. } | GenerateEvent::Loading) => continue,
            Some(GenerateEvent::Error {
                message,
                invalid_request,
            }) => return Err(failed(message, invalid_request)),
            Some(event) => return Ok(event),
            None => return Err(stopped(false)),
        }
    }
}

/// What the answer does next, whole or streamed alike.
enum Part {
    Text(String),
    Done(GenerateUsage),
    Failed(OpenAiError),
}

/// The next part of the answer: `first` (the event already read) if any,
/// then the trainer's events.
async fn next_part(first: &mut Option<GenerateEvent>, events: &mut Generation) -> Part {
    loop {
        let event = match first.take() {
            Some(e) => Some(e),
            None => events.recv().await,
        };
        return match event {
            Some(GenerateEvent::Text { text }) => Part::Text(text),
            Some(GenerateEvent::Done(u)) => Part::Done(u),
            Some(GenerateEvent::Error {
                message,
                invalid_request,
            }) => Part::Failed(failed(message, invalid_request)),
            Some(GenerateEvent::Queued { .. } | GenerateEvent::Loading) => continue,
            None => Part::Failed(stopped(true)),
        };
    }
}

async fn whole(
    head: Head,
    first: GenerateEvent,
    mut events: Generation,
) -> Result<Response, OpenAiError> {
    let mut text = String::new();
    let mut first = Some(first);
    loop {
        match next_part(&mut first, &mut events).await {
            Part::Text(t) => text.push_str(&t),
            Part::Done(u) => {
                return Ok(axum::Json(json!({
                    "id": head.id, "object": "chat.completion", "created": head.created,
                    "model": head.model, "system_fingerprint": null,
                    "choices": [{"index": 0, "logprobs": null, "finish_reason": u.finish_reason,
                        "message": {"role": "assistant", "content": text, "refusal": null}}],
                    "usage": usage(&u),
                }))
                .into_response());
            }
            Part::Failed(e) => return Err(e),
        }
    }
}

/// The SSE data lines of one part, and whether the answer has ended.
fn chunks(head: &Head, part: Part, include_usage: bool) -> (Vec<String>, bool) {
    match part {
        Part::Text(text) => (
            vec![head.chunk(json!({"content": text}), None).to_string()],
            false,
        ),
        Part::Done(u) => {
            let mut out = vec![head.chunk(json!({}), Some(u.finish_reason)).to_string()];
            if include_usage {
                let mut last = head.chunk(json!({}), None);
                last["choices"] = json!([]);
                last["usage"] = usage(&u);
                out.push(last.to_string());
            }
            out.push("[DONE]".into());
            (out, true)
        }
        Part::Failed(e) => (vec![e.body().to_string()], true),
    }
}

fn stream(
    head: Head,
    first: GenerateEvent,
    events: Generation,
    include_usage: bool,
) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    use futures::StreamExt;
    let opening = head.chunk(json!({"role": "assistant", "content": ""}), None);
    let start = vec![Event::default().data(opening.to_string())];
    let state = (Some(first), events, head, false);
    let rest = futures::stream::unfold(
        state,
        move |(mut first, mut events, head, ended)| async move {
            if ended {
                return None;
            }
            let part = next_part(&mut first, &mut events).await;
            let (out, ended) = chunks(&head, part, include_usage);
            let out = out.into_iter().map(|d| Ok(Event::default().data(d)));
            Some((futures::stream::iter(out), (None, events, head, ended)))
        },
    );
    Sse::new(futures::stream::iter(start.into_iter().map(Ok)).chain(rest.flatten()))
}
