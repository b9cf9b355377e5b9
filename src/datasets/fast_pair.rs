//! The fast path for brightrun-lora-v4 JSONL lines: deserialize only the
//! fields training needs, borrowing strings from the line and skipping the
//! rich metadata unparsed. Any line it cannot take as-is (a wrong type, a
//! missing field, a null target, an unknown role, a second header) goes to
//! the `serde_json::Value` path in `formats`, which reports each problem by
//! field; both paths build the same example, and a test holds them to it.

use super::conversation::{Message, Role, TrainingExample};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;

#[derive(Deserialize)]
struct Pair<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    conversation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    system_prompt: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    conversation_history: Option<Vec<Msg<'a>>>,
    #[serde(borrow)]
    current_user_input: Cow<'a, str>,
    #[serde(borrow, default)]
    target_response: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    conversation_metadata: Option<Meta<'a>>,
    #[serde(rename = "_meta", default)]
    header: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(borrow)]
    role: Cow<'a, str>,
    #[serde(borrow)]
    content: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Meta<'a> {
    #[serde(borrow)]
    persona_archetype: Option<Cow<'a, str>>,
    #[serde(borrow)]
    client_persona: Option<Cow<'a, str>>,
    #[serde(borrow)]
    persona: Option<Cow<'a, str>>,
    #[serde(borrow)]
    emotional_arc_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    emotional_arc: Option<Cow<'a, str>>,
    #[serde(borrow)]
    training_topic_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    training_topic: Option<Cow<'a, str>>,
    #[serde(borrow)]
    conversation_phase: Option<Cow<'a, str>>,
}

fn first(options: [&Option<Cow<'_, str>>; 3]) -> Option<String> {
    options
        .into_iter()
        .flatten()
        .find(|s| !s.is_empty())
        .map(|s| s.to_string())
}

/// The example on a clean line with a non-empty target, or `None` to let the
/// detailed path decide.
pub fn example(line: &[u8]) -> Option<TrainingExample> {
    let pair: Pair = serde_json::from_slice(line).ok()?;
    if pair.header.is_some() {
        return None;
    }
    let target = pair
        .target_response
        .as_deref()
        .filter(|t| !t.trim().is_empty())?;
    let mut history = Vec::new();
    for m in pair.conversation_history.unwrap_or_default() {
        history.push(Message::new(Role::parse(&m.role)?, m.content.into_owned()));
    }
    let mut ex = TrainingExample::from_pair(
        pair.system_prompt.as_deref().unwrap_or(""),
        history,
        &pair.current_user_input,
        target,
    );
    ex.id = pair.id.map(Cow::into_owned);
    ex.conversation_id = pair.conversation_id.map(Cow::into_owned);
    let meta = pair.conversation_metadata.unwrap_or_default();
    ex.persona = first([&meta.persona_archetype, &meta.client_persona, &meta.persona]);
    ex.arc = first([&meta.emotional_arc_key, &meta.emotional_arc, &None]);
    ex.topic = first([&meta.training_topic_key, &meta.training_topic, &None]);
    ex.phase = first([&meta.conversation_phase, &None, &None]);
    Some(ex)
}
