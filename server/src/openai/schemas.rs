//! The shapes of the `/v1` answers for the OpenAPI document. The handlers
//! build them as JSON in OpenAI's wire format; these types only describe
//! that format (`crate::api::openapi`), so they are never constructed.

use utoipa::ToSchema;

/// `GET /v1/models`.
#[derive(ToSchema)]
pub struct ModelList {
    /// Always `list`.
    object: String,
    data: Vec<ModelObject>,
}

/// A model the key's owner can call; `id` is what `model` takes.
#[derive(ToSchema)]
pub struct ModelObject {
    id: String,
    /// Always `model`.
    object: String,
    /// Unix seconds.
    created: i64,
    owned_by: String,
}

/// A whole (non-streamed) chat completion.
#[derive(ToSchema)]
pub struct ChatCompletion {
    id: String,
    /// Always `chat.completion`.
    object: String,
    created: i64,
    model: String,
    system_fingerprint: Option<String>,
    choices: Vec<Choice>,
    usage: Usage,
}

#[derive(ToSchema)]
pub struct Choice {
    index: u32,
    logprobs: Option<String>,
    /// `stop` or `length`.
    finish_reason: String,
    message: AssistantMessage,
}

#[derive(ToSchema)]
pub struct AssistantMessage {
    /// Always `assistant`.
    role: String,
    content: String,
    refusal: Option<String>,
}

#[derive(ToSchema)]
pub struct Usage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
}

/// An error in OpenAI's shape.
#[derive(ToSchema)]
pub struct OpenAiErrorBody {
    error: OpenAiErrorDetail,
}

#[derive(ToSchema)]
pub struct OpenAiErrorDetail {
    message: String,
    /// `invalid_request_error`, `authentication_error`, `rate_limit_error`, …
    #[schema(rename = "type")]
    kind: String,
    param: Option<String>,
    code: String,
}
