//! An OpenAI chat line: `{"messages": [...]}` whose last message is the
//! assistant's, with something left to learn.

use super::messages::messages;
use super::{Loc, where_};
use crate::datasets::conversation::{Message, Role, TrainingExample};
use crate::datasets::report::{IssueKind, ValidationReport};
use serde_json::Value;

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
