//! A whole JSON document, parsed once at the end: brightrun-lora-v4
//! (`conversations`, each with its `training_pairs`) or v3 (a flat
//! `training_pairs`). Pairs are located by JSON path; a v4 pair's
//! `conversation_id` comes from its conversation, since ids in the full file
//! are only unique per conversation.

use super::Validator;
use crate::datasets::conversation::DatasetFormat;
use crate::datasets::formats::Loc;
use crate::datasets::report::IssueKind;
use serde_json::{Map, Value};

impl Validator<'_> {
    pub(super) fn document(&mut self, doc: &[u8]) {
        let Some(value) = self.parse_document(doc) else {
            return;
        };
        let Some(root) = value.as_object() else {
            self.report.push(Loc::Path("$".into()).issue(
                IssueKind::UnknownFormat,
                None,
                format!("The document is {}; BrightRun expects an object.", if value.is_array() { "an array" } else { "not an object" }),
                "Use brightrun-lora-v4 JSON ({\"training_file_metadata\", \"conversations\": […]}), v3 JSON ({\"dataset_metadata\", \"training_pairs\": […]}) or JSONL.",
            ));
            return;
        };
        if let Some(conversations) = root.get("conversations") {
            self.v4_document(root, conversations);
        } else if let Some(pairs) = root.get("training_pairs") {
            self.v3_document(root, pairs);
        } else {
            self.report.push(
                Loc::Path("$".into()).issue(
                    IssueKind::UnknownFormat,
                    None,
                    "The JSON document has neither `conversations` (v4) nor `training_pairs` (v3)."
                        .into(),
                    "Use brightrun-lora-v4 JSON, v3 JSON, or a JSONL format.",
                ),
            );
        }
    }

    /// The document as JSON, or `None` with the UTF-8 or JSON error reported
    /// at its line.
    fn parse_document(&mut self, doc: &[u8]) -> Option<Value> {
        let text = match std::str::from_utf8(doc) {
            Ok(text) => text,
            Err(e) => {
                let line = doc[..e.valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1;
                self.report.push(Loc::Line(line as u64).issue(
                    IssueKind::InvalidUtf8,
                    None,
                    format!("The file is not valid UTF-8 (line {line})."),
                    "Save the file as UTF-8.",
                ));
                return None;
            }
        };
        match serde_json::from_str(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let message = if e.is_eof() {
                    format!(
                        "The JSON document is cut off at line {}: it ends before it is closed.",
                        e.line()
                    )
                } else {
                    format!("The file is not valid JSON: {e}.")
                };
                self.report.push(Loc::Line(e.line() as u64).issue(
                    IssueKind::InvalidJson,
                    None,
                    message,
                    "Check the JSON at that line (a missing comma, quote or bracket), or use JSONL with one object per line.",
                ));
                None
            }
        }
    }

    fn v4_document(&mut self, root: &Map<String, Value>, conversations: &Value) {
        self.report.format = Some(DatasetFormat::BrightrunV4Json);
        self.declared_pairs = root
            .get("training_file_metadata")
            .and_then(|m| m.get("total_training_pairs"))
            .and_then(Value::as_u64);
        let Some(list) = conversations.as_array() else {
            self.report.push(Loc::Path("conversations".into()).issue(
                IssueKind::WrongType,
                None,
                "`conversations` must be an array.".into(),
                "Write the conversations as a JSON array.",
            ));
            return;
        };
        for (i, conv) in list.iter().enumerate() {
            self.v4_conversation(i, conv);
        }
    }

    fn v4_conversation(&mut self, i: usize, conv: &Value) {
        let path = format!("conversations[{i}]");
        let Some(pairs) = conv.get("training_pairs").and_then(Value::as_array) else {
            self.report.push(Loc::Path(path).issue(
                IssueKind::MissingField,
                Some("training_pairs"),
                format!("conversations[{i}] has no `training_pairs` array."),
                "Each conversation holds its pairs in a training_pairs array.",
            ));
            return;
        };
        // Ids inside the full file are only unique per conversation.
        let conv_id = conv
            .get("conversation_metadata")
            .and_then(|m| m.get("conversation_id"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| path.clone());
        self.stats.note_conversation(&conv_id);
        for (j, pair) in pairs.iter().enumerate() {
            let mut pair = pair.clone();
            if let Some(obj) = pair.as_object_mut() {
                obj.insert("conversation_id".into(), Value::String(conv_id.clone()));
            }
            self.pair(&pair, Loc::Path(format!("{path}.training_pairs[{j}]")));
        }
    }

    fn v3_document(&mut self, root: &Map<String, Value>, pairs: &Value) {
        self.report.format = Some(DatasetFormat::BrightrunV3Json);
        self.declared_pairs = root
            .get("dataset_metadata")
            .and_then(|m| {
                m.get("total_pairs")
                    .or_else(|| m.get("total_training_pairs"))
            })
            .and_then(Value::as_u64);
        let Some(list) = pairs.as_array() else {
            self.report.push(Loc::Path("training_pairs".into()).issue(
                IssueKind::WrongType,
                None,
                "`training_pairs` must be an array.".into(),
                "Write the pairs as a JSON array.",
            ));
            return;
        };
        for (j, pair) in list.iter().enumerate() {
            self.pair(pair, Loc::Path(format!("training_pairs[{j}]")));
        }
    }
}
