//! Reading one record of each format into a `TrainingExample`, reporting
//! every field problem at its location instead of stopping.

use super::conversation::{Message, Role, TrainingExample};
use super::report::{IssueKind, ReportIssue, ValidationReport};
use serde_json::{Map, Value};

/// Where a record is: a JSONL line or a JSON path.
#[derive(Debug, Clone)]
pub enum Loc {
    Line(u64),
    Path(String),
}

impl Loc {
    pub fn issue(
        &self,
        kind: IssueKind,
        field: Option<&str>,
        message: String,
        hint: &str,
    ) -> ReportIssue {
        let (line, path) = match self {
            Loc::Line(n) => (Some(*n), None),
            Loc::Path(p) => (
                None,
                Some(match field {
                    Some(f) => format!("{p}.{f}"),
                    None => p.clone(),
                }),
            ),
        };
        ReportIssue {
            kind,
            line,
            path,
            field: field.map(str::to_string),
            message,
            hint: hint.to_string(),
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn where_(loc: &Loc) -> String {
    match loc {
        Loc::Line(n) => format!("line {n}"),
        Loc::Path(p) => p.clone(),
    }
}

/// What a BrightRun pair turned out to be.
pub enum Pair {
    Example(TrainingExample),
    /// A pair with a null target: context only.
    Context,
    Invalid,
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

fn messages(
    value: &Value,
    field: &str,
    loc: &Loc,
    report: &mut ValidationReport,
) -> Result<Vec<Message>, ()> {
    let Value::Array(items) = value else {
        report.push(loc.issue(
            IssueKind::WrongType,
            Some(field),
            format!(
                "`{field}` is {} on {}; it must be an array of messages.",
                type_name(value),
                where_(loc)
            ),
            "Use [] when there is no history, or a list of {\"role\", \"content\"} objects.",
        ));
        return Err(());
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let (role, content, weight) = match item {
            Value::Object(m) => (m.get("role"), m.get("content"), m.get("weight")),
            other => {
                report.push(loc.issue(
                    IssueKind::WrongType,
                    Some(&f),
                    format!(
                        "`{f}` is {}; each message must be an object.",
                        type_name(other)
                    ),
                    "Write each message as {\"role\": \"user\", \"content\": \"…\"}.",
                ));
                ok = false;
                continue;
            }
        };
        let role = match role {
            Some(Value::String(r)) => match Role::parse(r) {
                Some(role) => role,
                None => {
                    report.push(loc.issue(
                        IssueKind::InvalidValue,
                        Some(&format!("{f}.role")),
                        format!("`{f}.role` is \"{r}\" on {}.", where_(loc)),
                        "Use one of system, user, assistant.",
                    ));
                    ok = false;
                    continue;
                }
            },
            Some(other) => {
                report.push(loc.issue(
                    IssueKind::WrongType,
                    Some(&format!("{f}.role")),
                    format!("`{f}.role` is {}; it must be a string.", type_name(other)),
                    "Use one of system, user, assistant.",
                ));
                ok = false;
                continue;
            }
            None => {
                report.push(loc.issue(
                    IssueKind::MissingField,
                    Some(&format!("{f}.role")),
                    format!("`{f}` has no `role` on {}.", where_(loc)),
                    "Add \"role\": \"user\" or \"assistant\".",
                ));
                ok = false;
                continue;
            }
        };
        let Ok(weight) = message_weight(weight, role, &f, loc, report) else {
            ok = false;
            continue;
        };
        match content {
            Some(Value::String(c)) => out.push(Message {
                weight,
                ..Message::new(role, c.clone())
            }),
            other => {
                let (kind, what) = match other {
                    None => (IssueKind::MissingField, "missing".to_string()),
                    Some(v) => (IssueKind::WrongType, type_name(v).to_string()),
                };
                report.push(loc.issue(
                    kind,
                    Some(&format!("{f}.content")),
                    format!(
                        "`{f}.content` is {what} on {}; it must be a string.",
                        where_(loc)
                    ),
                    "Put the message text in \"content\" as a string.",
                ));
                ok = false;
            }
        }
    }
    if ok { Ok(out) } else { Err(()) }
}

/// OpenAI's `weight`: 0 or 1, on assistant messages only.
fn message_weight(
    value: Option<&Value>,
    role: Role,
    f: &str,
    loc: &Loc,
    report: &mut ValidationReport,
) -> Result<Option<u8>, ()> {
    let Some(value) = value else { return Ok(None) };
    let field = format!("{f}.weight");
    if role != Role::Assistant {
        report.push(loc.issue(
            IssueKind::InvalidValue,
            Some(&field),
            format!(
                "`{field}` is set on a {} message on {}; only assistant messages have a weight.",
                role.as_str(),
                where_(loc)
            ),
            "Remove `weight` from system and user messages: they are never learned.",
        ));
        return Err(());
    }
    match value.as_f64() {
        Some(w) if w == 0.0 || w == 1.0 => Ok(Some(w as u8)),
        _ => {
            let what = match value {
                Value::Number(n) => n.to_string(),
                other => type_name(other).to_string(),
            };
            report.push(loc.issue(
                if value.is_number() {
                    IssueKind::InvalidValue
                } else {
                    IssueKind::WrongType
                },
                Some(&field),
                format!("`{field}` is {what} on {}; it must be 0 or 1.", where_(loc)),
                "Use \"weight\": 0 for an assistant message the model should not learn, 1 (or no weight) for one it should.",
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
    let target = match obj.get("target_response") {
        None => {
            report.push(loc.issue(
                IssueKind::MissingField,
                Some("target_response"),
                format!("{} has no `target_response`.", where_(loc)),
                "Add the assistant's reply, or null if this pair is context only.",
            ));
            bad = true;
            None
        }
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
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
            bad = true;
            None
        }
    };
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
    let mut ex =
        TrainingExample::from_pair(system.unwrap_or(""), history, input.unwrap_or(""), target);
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
    Pair::Example(ex)
}

/// One OpenAI chat line: `{"messages": [...]}` ending with the assistant.
pub fn openai_line(
    value: &Value,
    loc: &Loc,
    report: &mut ValidationReport,
) -> Option<TrainingExample> {
    let Some(list) = value.as_object().and_then(|o| o.get("messages")) else {
        report.push(loc.issue(
            IssueKind::MissingField,
            Some("messages"),
            format!("{} has no `messages`.", where_(loc)),
            "Each line of an OpenAI chat file is {\"messages\": [{\"role\": …, \"content\": …}, …]}.",
        ));
        return None;
    };
    let msgs = messages(list, "messages", loc, report).ok()?;
    match msgs.last() {
        Some(last)
            if last.role == Role::Assistant
                && !last.content.trim().is_empty()
                && msgs.iter().any(Message::learned) =>
        {
            Some(TrainingExample {
                messages: msgs,
                ..TrainingExample::default()
            })
        }
        Some(last) if last.role == Role::Assistant && !last.content.trim().is_empty() => {
            report.push(loc.issue(
                IssueKind::EmptyTarget,
                Some("messages"),
                format!(
                    "every assistant message on {} has weight 0, so there is nothing to learn; the line is skipped.",
                    where_(loc)
                ),
                "Give at least one assistant message weight 1 (or no weight).",
            ));
            None
        }
        Some(last) if last.role == Role::Assistant => {
            report.push(loc.issue(
                IssueKind::EmptyTarget,
                Some("messages"),
                format!(
                    "the assistant's last message is empty on {}; the line is skipped.",
                    where_(loc)
                ),
                "Write the assistant's reply in the last message.",
            ));
            None
        }
        _ => {
            report.push(loc.issue(
                IssueKind::InvalidValue,
                Some("messages"),
                format!("the last message on {} is not from the assistant, so there is nothing to learn.", where_(loc)),
                "End each conversation with the assistant's reply.",
            ));
            None
        }
    }
}
