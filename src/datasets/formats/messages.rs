//! A list of `{"role", "content"}` messages (a pair's history, an OpenAI
//! line's `messages`): every bad message is reported, and the list is kept
//! only when all of them are good.

use super::{Loc, type_name, where_};
use crate::datasets::conversation::{Message, Role};
use crate::datasets::report::{IssueKind, ValidationReport};
use serde_json::Value;

pub(super) fn messages(
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
        match message(item, &format!("{field}[{i}]"), loc, report) {
            Ok(m) => out.push(m),
            Err(()) => ok = false,
        }
    }
    if ok { Ok(out) } else { Err(()) }
}

/// Message `f` of a list; its first problem is reported.
fn message(item: &Value, f: &str, loc: &Loc, report: &mut ValidationReport) -> Result<Message, ()> {
    let (role, content, weight) = match item {
        Value::Object(m) => (m.get("role"), m.get("content"), m.get("weight")),
        other => {
            report.push(loc.issue(
                IssueKind::WrongType,
                Some(f),
                format!(
                    "`{f}` is {}; each message must be an object.",
                    type_name(other)
                ),
                "Write each message as {\"role\": \"user\", \"content\": \"…\"}.",
            ));
            return Err(());
        }
    };
    let role = message_role(role, f, loc, report)?;
    let weight = message_weight(weight, role, f, loc, report)?;
    match content {
        Some(Value::String(c)) => Ok(Message {
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
            Err(())
        }
    }
}

fn message_role(
    role: Option<&Value>,
    f: &str,
    loc: &Loc,
    report: &mut ValidationReport,
) -> Result<Role, ()> {
    match role {
        Some(Value::String(r)) => match Role::parse(r) {
            Some(role) => Ok(role),
            None => {
                report.push(loc.issue(
                    IssueKind::InvalidValue,
                    Some(&format!("{f}.role")),
                    format!("`{f}.role` is \"{r}\" on {}.", where_(loc)),
                    "Use one of system, user, assistant.",
                ));
                Err(())
            }
        },
        Some(other) => {
            report.push(loc.issue(
                IssueKind::WrongType,
                Some(&format!("{f}.role")),
                format!("`{f}.role` is {}; it must be a string.", type_name(other)),
                "Use one of system, user, assistant.",
            ));
            Err(())
        }
        None => {
            report.push(loc.issue(
                IssueKind::MissingField,
                Some(&format!("{f}.role")),
                format!("`{f}` has no `role` on {}.", where_(loc)),
                "Add \"role\": \"user\" or \"assistant\".",
            ));
            Err(())
        }
    }
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
