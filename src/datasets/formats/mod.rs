//! Reading one record of each format into a `TrainingExample`, reporting
//! every field problem at its location instead of stopping: `brightrun`
//! reads a brightrun-lora pair (v3 and v4 share its fields), `openai` an
//! OpenAI chat line, and `messages` the message lists both contain.

mod brightrun;
mod messages;
mod openai;

pub use brightrun::{Pair, brightrun_pair};
pub use openai::openai_line;

use super::report::{IssueKind, ReportIssue};
use serde_json::Value;

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
