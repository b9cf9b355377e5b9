//! The conversation every format becomes, and which the trainer trains on:
//! system prompt, then the history, then the current user input unless the
//! history already ends with it, then the target. A pair without a target is
//! context, never an example.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DatasetFormat {
    /// brightrun-lora-v4 JSONL: a `_meta` line, then one pair per line.
    BrightrunV4Jsonl,
    /// brightrun-lora-v4 full JSON: `training_file_metadata`, `conversations[]`.
    BrightrunV4Json,
    /// v3 JSON: `dataset_metadata`, `training_pairs[]`.
    BrightrunV3Json,
    /// OpenAI chat JSONL: `{"messages": [{"role", "content"}…]}` per line.
    OpenaiChatJsonl,
}

impl DatasetFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BrightrunV4Jsonl => "brightrun_v4_jsonl",
            Self::BrightrunV4Json => "brightrun_v4_json",
            Self::BrightrunV3Json => "brightrun_v3_json",
            Self::OpenaiChatJsonl => "openai_chat_jsonl",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::BrightrunV4Jsonl => "brightrun-lora-v4 JSONL",
            Self::BrightrunV4Json => "brightrun-lora-v4 JSON",
            Self::BrightrunV3Json => "brightrun v3 JSON",
            Self::OpenaiChatJsonl => "OpenAI chat JSONL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::BrightrunV4Jsonl,
            Self::BrightrunV4Json,
            Self::BrightrunV3Json,
            Self::OpenaiChatJsonl,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "system" => Some(Self::System),
            "user" => Some(Self::User),
            "assistant" => Some(Self::Assistant),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub role: Role,
    pub content: String,
    /// OpenAI's per-message weight on assistant messages: 0 means the
    /// message is context and is not learned; absent or 1, it is learned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u8>,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            weight: None,
        }
    }

    /// Whether training learns this message: an assistant message whose
    /// weight is not 0.
    pub fn learned(&self) -> bool {
        self.role == Role::Assistant && self.weight != Some(0)
    }
}

/// One training example: the messages in order, the last the assistant's
/// target. Persona, arc, topic and phase are open strings from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingExample {
    pub id: Option<String>,
    pub conversation_id: Option<String>,
    pub messages: Vec<Message>,
    pub persona: Option<String>,
    pub arc: Option<String>,
    pub topic: Option<String>,
    pub phase: Option<String>,
}

impl TrainingExample {
    /// Builds the example from a BrightRun pair's parts. The history is
    /// context: its assistant messages get weight 0, so only the target is
    /// learned.
    pub fn from_pair(system: &str, history: Vec<Message>, user_input: &str, target: &str) -> Self {
        let mut messages = Vec::with_capacity(history.len() + 3);
        if !system.is_empty() {
            messages.push(Message::new(Role::System, system.to_string()));
        }
        let ends_with_input = history
            .last()
            .is_some_and(|m| m.role == Role::User && m.content == user_input);
        messages.extend(history.into_iter().map(|mut m| {
            if m.role == Role::Assistant {
                m.weight = Some(0);
            }
            m
        }));
        if !ends_with_input && !user_input.is_empty() {
            messages.push(Message::new(Role::User, user_input.to_string()));
        }
        messages.push(Message::new(Role::Assistant, target.to_string()));
        Self {
            messages,
            ..Self::default()
        }
    }

    /// The assistant's target: the last message.
    pub fn target(&self) -> &str {
        self.messages
            .last()
            .map(|m| m.content.as_str())
            .unwrap_or("")
    }

    /// Number of user and assistant turns (the system prompt is not a turn).
    pub fn turns(&self) -> usize {
        self.messages
            .iter()
            .filter(|m| m.role != Role::System)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: Role, content: &str) -> Message {
        Message::new(role, content)
    }

    #[test]
    fn input_is_not_repeated_when_history_ends_with_it() {
        let ex = TrainingExample::from_pair("sys", vec![msg(Role::User, "hi")], "hi", "hello");
        let roles: Vec<_> = ex.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::System, Role::User, Role::Assistant]);
        assert_eq!(ex.target(), "hello");
        assert_eq!(ex.turns(), 2);
    }

    #[test]
    fn a_pair_learns_only_its_target_and_openai_weights_are_honoured() {
        let ex = TrainingExample::from_pair(
            "sys",
            vec![msg(Role::User, "a"), msg(Role::Assistant, "b")],
            "c",
            "d",
        );
        let learned: Vec<&str> = ex
            .messages
            .iter()
            .filter(|m| m.learned())
            .map(|m| m.content.as_str())
            .collect();
        assert_eq!(learned, ["d"]);
        let mut weighted = msg(Role::Assistant, "x");
        assert!(weighted.learned());
        weighted.weight = Some(1);
        assert!(weighted.learned());
        weighted.weight = Some(0);
        assert!(!weighted.learned());
        assert!(!msg(Role::User, "x").learned());
    }

    #[test]
    fn input_is_appended_when_history_lacks_it() {
        let ex = TrainingExample::from_pair("", vec![], "hi", "hello");
        assert_eq!(
            ex.messages,
            vec![msg(Role::User, "hi"), msg(Role::Assistant, "hello")]
        );
    }

    #[test]
    fn formats_round_trip_their_names() {
        for f in [
            DatasetFormat::BrightrunV4Jsonl,
            DatasetFormat::OpenaiChatJsonl,
        ] {
            assert_eq!(DatasetFormat::parse(f.as_str()), Some(f));
        }
    }
}
