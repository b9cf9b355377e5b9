//! An answer asked of the trainer (the embedded agent, or `POST
//! /v1/generate` on a `serve` agent): which model, the adapter's files, and
//! the conversation; and the events it streams back as it works.

use super::spec::InitAdapter;
use crate::generation::{FinishReason, GenerationRequest};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    /// `tiny-llama` or a model folder, as in [`super::JobSpec::base_model`].
    pub base_model: String,
    /// The adapter's two files (paths or http(s) URLs); none: the base model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<InitAdapter>,
    /// What names this adapter in the agent's caches (the model's id): its
    /// files are fetched and its weights loaded once. Letters, digits and
    /// `-` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    pub request: GenerationRequest,
}

impl GenerateSpec {
    /// The adapter id when it is one a folder may be named after.
    pub fn check(&self) -> Result<(), super::SpecError> {
        match (&self.adapter, &self.adapter_id) {
            (Some(_), None) => Err(super::SpecError::new(
                "adapter_id",
                "is needed with an adapter",
            )),
            (_, Some(id)) if !super::export::is_plain_id(id) => Err(super::SpecError::new(
                "adapter_id",
                "must be 1 to 64 letters, digits or dashes",
            )),
            _ => self
                .request
                .validate()
                .map_err(|e| super::SpecError::new(e.field, e.message)),
        }
    }
}

/// What the agent reports while it answers, in order: its place in the
/// queue (while waiting), that it is loading the model (when not cached),
/// text as it becomes final, and one `done` or `error` at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GenerateEvent {
    /// Requests ahead of this one.
    Queued {
        position: usize,
    },
    Loading,
    Text {
        text: String,
    },
    Done(GenerateUsage),
    /// The answer failed; `invalid_request` when the request itself was at
    /// fault (a prompt longer than the model reads, a bad setting).
    Error {
        message: String,
        #[serde(default)]
        invalid_request: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GenerateUsage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub finish_reason: FinishReason,
    /// Milliseconds from the request to the first token.
    pub first_token_ms: u64,
    /// Milliseconds from the request to the end.
    pub total_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_lines_and_an_adapter_needs_a_plain_id() {
        let e = GenerateEvent::Text { text: "Hi".into() };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"text","text":"Hi"}"#
        );
        let spec: GenerateSpec = serde_json::from_str(
            r#"{"base_model":"tiny-llama","request":{"messages":[{"role":"user","content":"Hi"}]}}"#,
        )
        .unwrap();
        assert_eq!(spec.check(), Ok(()));
        let mut with = spec.clone();
        with.adapter = Some(InitAdapter {
            config: "a".into(),
            weights: "b".into(),
        });
        assert_eq!(with.check().unwrap_err().field, "adapter_id");
        with.adapter_id = Some("../../etc".into());
        assert_eq!(with.check().unwrap_err().field, "adapter_id");
        with.adapter_id = Some("0b6c1a52-7f3e-4c55-9f36-1f2d3c4b5a69".into());
        assert_eq!(with.check(), Ok(()));
        with.request.max_tokens = 0;
        assert_eq!(with.check().unwrap_err().field, "max_tokens");
    }
}
