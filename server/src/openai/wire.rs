//! OpenAI's chat-completions request as clients send it, and its reading
//! into BrightRun's [`GenerationRequest`]: string or text-part contents,
//! `developer` as `system`, OpenAI's defaults (temperature 1), `stop` as a
//! string or a list, and the settings BrightRun cannot honour refused by name.

use super::error::OpenAiError;
use brightrun::datasets::{Message, Role};
use brightrun::generation::{GenerationRequest, Sampling};
use serde::Deserialize;
use serde_json::Value;

/// The fields BrightRun reads; others that clients send (`user`,
/// `metadata`, `logprobs: false` …) are ignored as OpenAI's own
/// compatible servers do.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<WireMessage>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// BrightRun's extensions (vLLM's names).
    pub top_k: Option<u32>,
    pub repetition_penalty: Option<f32>,
    pub max_tokens: Option<u32>,
    pub max_completion_tokens: Option<u32>,
    pub stop: Option<Value>,
    pub seed: Option<u64>,
    pub n: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct WireMessage {
    pub role: String,
    #[serde(default)]
    pub content: Value,
}

fn role(i: usize, r: &str) -> Result<Role, OpenAiError> {
    match r {
        "system" | "developer" => Ok(Role::System),
        "user" => Ok(Role::User),
        "assistant" => Ok(Role::Assistant),
        other => Err(OpenAiError::invalid(
            &format!("messages[{i}].role"),
            format!(
                "BrightRun models take system, developer, user and assistant messages, not `{other}`."
            ),
        )),
    }
}

/// A message's text: a string, or the text parts of a list.
fn content(i: usize, c: &Value) -> Result<String, OpenAiError> {
    let bad = || {
        OpenAiError::invalid(
            &format!("messages[{i}].content"),
            "must be a string or a list of text parts ({\"type\": \"text\", \"text\": …}).",
        )
    };
    match c {
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => parts
            .iter()
            .map(|p| match (p["type"].as_str(), p["text"].as_str()) {
                (Some("text"), Some(t)) => Ok(t),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|t| t.concat()),
        _ => Err(bad()),
    }
}

fn stops(stop: &Option<Value>) -> Result<Vec<String>, OpenAiError> {
    match stop {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|s| {
                s.as_str().map(str::to_string).ok_or_else(|| {
                    OpenAiError::invalid("stop", "must be a string or a list of strings.")
                })
            })
            .collect(),
        Some(_) => Err(OpenAiError::invalid(
            "stop",
            "must be a string or a list of strings.",
        )),
    }
}

impl ChatRequest {
    /// The request as BrightRun runs it; `seed` stands in for a missing one.
    pub fn generation(&self, seed: u64) -> Result<GenerationRequest, OpenAiError> {
        if self.n.is_some_and(|n| n != 1) {
            return Err(OpenAiError::invalid(
                "n",
                "BrightRun answers with one choice; leave `n` out or set it to 1.",
            ));
        }
        let messages = self
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| Ok(Message::new(role(i, &m.role)?, content(i, &m.content)?)))
            .collect::<Result<Vec<_>, OpenAiError>>()?;
        let request = GenerationRequest {
            messages,
            sampling: Sampling {
                temperature: self.temperature.unwrap_or(1.0),
                top_p: self.top_p.unwrap_or(1.0),
                top_k: self.top_k.unwrap_or(0),
                repetition_penalty: self.repetition_penalty.unwrap_or(1.0),
                seed: self.seed.unwrap_or(seed),
            },
            max_tokens: self
                .max_completion_tokens
                .or(self.max_tokens)
                .unwrap_or(256),
            stop: stops(&self.stop)?,
            adapter: true,
        };
        request
            .validate()
            .map_err(|e| OpenAiError::invalid(e.field, format!("`{}` {}.", e.field, e.message)))?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> ChatRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn an_openai_request_reads_with_openai_defaults() {
        let r = parse(serde_json::json!({
            "model": "m", "user": "ignored",
            "messages": [
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]}
            ],
            "stop": "END", "max_completion_tokens": 9
        }));
        let g = r.generation(42).unwrap();
        assert_eq!(g.messages[0].role, Role::System);
        assert_eq!(g.messages[1].content, "Hi there");
        assert_eq!(g.stop, vec!["END".to_string()]);
        assert_eq!(g.max_tokens, 9);
        assert_eq!(g.sampling.temperature, 1.0);
        assert_eq!(g.sampling.seed, 42);
    }

    #[test]
    fn what_brightrun_cannot_honour_is_refused_by_name() {
        let base =
            || serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]});
        let refused = |edit: fn(&mut Value)| {
            let mut v = base();
            edit(&mut v);
            parse(v).generation(0).unwrap_err().param.unwrap()
        };
        assert_eq!(refused(|v| v["n"] = 2.into()), "n");
        assert_eq!(refused(|v| v["temperature"] = 3.0.into()), "temperature");
        assert_eq!(
            refused(|v| v["messages"][0]["role"] = "tool".into()),
            "messages[0].role"
        );
        assert_eq!(
            refused(|v| v["messages"][0]["content"] = 5.into()),
            "messages[0].content"
        );
        assert_eq!(refused(|v| v["stop"] = serde_json::json!([1])), "stop");
        assert_eq!(refused(|v| v["max_tokens"] = 0.into()), "max_tokens");
    }
}
