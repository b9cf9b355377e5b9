//! Generation settings: what a person (the playground, the OpenAI-compatible
//! endpoint, a job's samples) asks the model for, checked the same way by
//! the server before it forwards a request and by the trainer that runs it.

use crate::datasets::{Message, Role};
use serde::{Deserialize, Serialize};

/// The most tokens one answer may ask for.
pub const MAX_NEW_TOKENS: u32 = 4096;
/// The most stop sequences, as OpenAI allows.
pub const MAX_STOPS: usize = 4;

/// How the next token is chosen. Temperature 0 is greedy (argmax); the
/// seed makes sampling at any temperature repeat exactly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Sampling {
    pub temperature: f32,
    /// Nucleus sampling: the smallest set of tokens whose probability
    /// reaches `top_p` (1 keeps all).
    pub top_p: f32,
    /// Only the k likeliest tokens (0 keeps all).
    pub top_k: u32,
    /// CTRL's penalty on tokens already in the prompt or the answer (1 is none).
    pub repetition_penalty: f32,
    pub seed: u64,
}

impl Default for Sampling {
    fn default() -> Self {
        Self {
            temperature: 0.7,
            top_p: 1.0,
            top_k: 0,
            repetition_penalty: 1.0,
            seed: 0,
        }
    }
}

impl Sampling {
    pub const GREEDY: Self = Self {
        temperature: 0.0,
        top_p: 1.0,
        top_k: 0,
        repetition_penalty: 1.0,
        seed: 0,
    };

    pub fn is_greedy(&self) -> bool {
        self.temperature == 0.0
    }
}

/// One request for an answer: the conversation so far (ending with the
/// user's turn), how to sample, and when to stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerationRequest {
    pub messages: Vec<Message>,
    #[serde(default)]
    pub sampling: Sampling,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Text that ends the answer where it appears (not included).
    #[serde(default)]
    pub stop: Vec<String>,
    /// Answer with the adapter (true) or as the base model alone.
    #[serde(default = "yes")]
    pub adapter: bool,
}

fn default_max_tokens() -> u32 {
    256
}

fn yes() -> bool {
    true
}

/// A setting out of range: the field as the request names it, and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {message}")]
pub struct GenerationError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> GenerationError {
    GenerationError {
        field,
        message: message.into(),
    }
}

impl GenerationRequest {
    /// Checks every field; the first problem names its field and the range.
    pub fn validate(&self) -> Result<(), GenerationError> {
        let s = &self.sampling;
        if !(0.0..=2.0).contains(&s.temperature) {
            return Err(refuse(
                "temperature",
                "must be between 0 and 2 (0 is greedy)",
            ));
        }
        if !(s.top_p > 0.0 && s.top_p <= 1.0) {
            return Err(refuse("top_p", "must be above 0 and at most 1"));
        }
        if !(s.repetition_penalty > 0.0 && s.repetition_penalty <= 10.0) {
            return Err(refuse(
                "repetition_penalty",
                "must be above 0 and at most 10 (1 is none)",
            ));
        }
        if self.max_tokens == 0 || self.max_tokens > MAX_NEW_TOKENS {
            return Err(refuse(
                "max_tokens",
                format!("must be between 1 and {MAX_NEW_TOKENS}"),
            ));
        }
        if self.stop.len() > MAX_STOPS || self.stop.iter().any(|s| s.is_empty() || s.len() > 64) {
            return Err(refuse(
                "stop",
                format!("takes at most {MAX_STOPS} sequences of 1 to 64 bytes"),
            ));
        }
        match self.messages.last() {
            None => Err(refuse("messages", "must hold at least one message")),
            Some(m) if m.role == Role::Assistant => Err(refuse(
                "messages",
                "must end with a user (or system) message for the model to answer",
            )),
            Some(_) => Ok(()),
        }
    }
}

/// Why an answer ended, in OpenAI's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// End of turn, end of text or a stop sequence.
    Stop,
    /// `max_tokens`, or the model's context, ran out.
    Length,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> GenerationRequest {
        GenerationRequest {
            messages: vec![Message::new(Role::User, "Hello")],
            sampling: Sampling::default(),
            max_tokens: 16,
            stop: vec![],
            adapter: true,
        }
    }

    #[test]
    fn each_out_of_range_setting_is_named() {
        assert_eq!(request().validate(), Ok(()));
        type Spoil = fn(&mut GenerationRequest);
        let cases: [(&str, Spoil); 7] = [
            ("temperature", |r| r.sampling.temperature = 2.5),
            ("top_p", |r| r.sampling.top_p = 0.0),
            ("repetition_penalty", |r| {
                r.sampling.repetition_penalty = 0.0
            }),
            ("max_tokens", |r| r.max_tokens = 0),
            ("max_tokens", |r| r.max_tokens = MAX_NEW_TOKENS + 1),
            ("stop", |r| r.stop = vec![String::new()]),
            ("messages", |r| r.messages[0].role = Role::Assistant),
        ];
        for (field, spoil) in cases {
            let mut r = request();
            spoil(&mut r);
            assert_eq!(r.validate().unwrap_err().field, field);
        }
        let mut r = request();
        r.sampling.temperature = f32::NAN;
        assert_eq!(r.validate().unwrap_err().field, "temperature");
    }

    #[test]
    fn a_request_with_only_messages_takes_the_defaults() {
        let r: GenerationRequest =
            serde_json::from_str(r#"{"messages":[{"role":"user","content":"Hi"}]}"#).unwrap();
        assert_eq!(r.max_tokens, 256);
        assert!(r.adapter);
        assert_eq!(r.sampling, Sampling::default());
        assert!(!Sampling::default().is_greedy() && Sampling::GREEDY.is_greedy());
    }
}
