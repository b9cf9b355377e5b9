//! A brightrun-lora pair, v3 or v4 (both use these fields): a context-only
//! pair has a null target; the conversation metadata's open fields (persona,
//! arc, topic, phase) are kept for the statistics.

use super::messages::messages;
use super::{Loc, type_name, where_};
use crate::datasets::conversation::{Message, TrainingExample};
use crate::datasets::report::{IssueKind, ValidationReport};
use serde_json::{Map, Value};

/// What a BrightRun pair turned out to be.
pub enum Pair {
    Example(TrainingExample),
    /// A pair with a null target: context only.
    Context,
    Invalid,
}

/// One brightrun-lora pair (v3 or v4; both use these fields).
pub fn brightrun_pair(value: &Value, loc: &Loc, report: &mut ValidationReport) -> Pair {
    let Value::Object(obj) = value else {
        report.push(loc.issue(
            IssueKind::WrongType,
            None,
            format!("{} is {}; a training pair must be an object.", where_(loc), type_name(value)),
            "Write each pair as a JSON object with system_prompt, conversation_history, current_user_input and target_response.",
        ));
        return Pair::Invalid;
    };
    let mut bad = false;
    let system = string_field(obj, "system_prompt", false, loc, report).unwrap_or_else(|_| {
        bad = true;
        None
    });
    let input = string_field(obj, "current_user_input", true, loc, report).unwrap_or_else(|_| {
        bad = true;
        None
    });
    let history = match obj.get("conversation_history") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => messages(v, "conversation_history", loc, report).unwrap_or_else(|_| {
            bad = true;
            Vec::new()
        }),
    };
    let target = target_response(obj, loc, report).unwrap_or_else(|_| {
        bad = true;
        None
    });
    for field in ["id", "conversation_id"] {
        if string_field(obj, field, false, loc, report).is_err() {
            bad = true;
        }
    }
    if bad {
        return Pair::Invalid;
    }
    let Some(target) = target else {
        return Pair::Context;
    };
    if target.trim().is_empty() {
        report.push(loc.issue(
            IssueKind::EmptyTarget,
            Some("target_response"),
            format!(
                "`target_response` is empty on {}; the pair is skipped.",
                where_(loc)
            ),
            "Write the assistant's reply, or use null to mark the pair as context.",
        ));
        return Pair::Context;
    }
    let (system, input) = (system.unwrap_or(""), input.unwrap_or(""));
    Pair::Example(example(obj, system, history, input, target))
}

/// `target_response`: a string, or null for a context-only pair.
fn target_response<'a>(
    obj: &'a Map<String, Value>,
    loc: &Loc,
    report: &mut ValidationReport,
) -> Result<Option<&'a str>, ()> {
    match obj.get("target_response") {
        None => {
            report.push(loc.issue(
                IssueKind::MissingField,
                Some("target_response"),
                format!("{} has no `target_response`.", where_(loc)),
                "Add the assistant's reply, or null if this pair is context only.",
            ));
            Err(())
        }
        Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => {
            report.push(loc.issue(
                IssueKind::WrongType,
                Some("target_response"),
                format!(
                    "`target_response` is {} on {}; it must be a string or null.",
                    type_name(other),
                    where_(loc)
                ),
                "Quote the reply as a JSON string, or use null for a context-only pair.",
            ));
            Err(())
        }
    }
}

/// The example of a checked pair, with its ids and open metadata.
fn example(
    obj: &Map<String, Value>,
    system: &str,
    history: Vec<Message>,
    input: &str,
    target: &str,
) -> TrainingExample {
    let mut ex = TrainingExample::from_pair(system, history, input, target);
    ex.id = obj.get("id").and_then(Value::as_str).map(str::to_string);
    ex.conversation_id = obj
        .get("conversation_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let meta = obj.get("conversation_metadata").and_then(Value::as_object);
    ex.persona = open_string(meta, &["persona_archetype", "client_persona", "persona"]);
    ex.arc = open_string(meta, &["emotional_arc_key", "emotional_arc"]);
    ex.topic = open_string(meta, &["training_topic_key", "training_topic"]);
    ex.phase = open_string(meta, &["conversation_phase"]);
    ex
}

fn string_field<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    required: bool,
    loc: &Loc,
    report: &mut ValidationReport,
) -> Result<Option<&'a str>, ()> {
    match obj.get(field) {
        Some(Value::String(s)) => Ok(Some(s)),
        None if !required => Ok(None),
        Some(Value::Null) if !required => Ok(None),
        None => {
            report.push(loc.issue(
                IssueKind::MissingField,
                Some(field),
                format!("{} has no `{field}`.", where_(loc)),
                "Add the field with a string value.",
            ));
            Err(())
        }
        Some(other) => {
            report.push(loc.issue(
                IssueKind::WrongType,
                Some(field),
                format!(
                    "`{field}` is {} on {}; it must be a string.",
                    type_name(other),
                    where_(loc)
                ),
                "Quote the value as a JSON string.",
            ));
            Err(())
        }
    }
}

fn open_string(obj: Option<&Map<String, Value>>, keys: &[&str]) -> Option<String> {
    let obj = obj?;
    keys.iter()
        .find_map(|k| {
            obj.get(*k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
        .map(str::to_string)
}
