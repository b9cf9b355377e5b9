//! Input in chunks of any size: the file limit, and the choice between JSONL
//! and a JSON document from the first line. After that choice JSONL goes to
//! `line` a chunk at a time and a document is buffered for `document`.

use super::{Mode, Validator};
use crate::datasets::formats::Loc;
use crate::datasets::report::{IssueKind, ReportIssue};
use serde_json::Value;

impl Validator<'_> {
    /// Feeds the next chunk of the file; chunks may split lines anywhere.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.stopped {
            return;
        }
        self.bytes += chunk.len() as u64;
        if self.bytes > self.limits.max_file_bytes {
            return self.file_too_large();
        }
        if chunk.is_empty() {
            return;
        }
        match self.mode {
            Mode::Start => self.push_start(chunk),
            Mode::Jsonl => self.push_jsonl(chunk),
            // Parsed once, at the end.
            Mode::Document => self.buf.extend_from_slice(chunk),
        }
    }

    fn file_too_large(&mut self) {
        self.stopped = true;
        self.report.push(ReportIssue {
            kind: IssueKind::FileTooLarge,
            line: None,
            path: None,
            field: None,
            message: format!(
                "The file is larger than the {} MB limit.",
                self.limits.max_file_bytes / (1024 * 1024)
            ),
            hint: "Split the dataset into smaller files.".into(),
        });
        self.buf.clear();
    }

    /// Before the format is known: skips leading whitespace, then buffers
    /// until the first line break shows whether this is JSONL or a document.
    fn push_start(&mut self, mut chunk: &[u8]) {
        if self.buf.is_empty() {
            // Skip leading whitespace before the first record.
            let Some(pos) = chunk.iter().position(|b| !b.is_ascii_whitespace()) else {
                self.count_newlines(chunk);
                return;
            };
            self.count_newlines(&chunk[..pos]);
            chunk = &chunk[pos..];
        }
        let scan_from = self.buf.len();
        self.buf.extend_from_slice(chunk);
        if let Some(rel) = self.buf[scan_from..].iter().position(|b| *b == b'\n') {
            let nl = scan_from + rel;
            let rest = std::mem::take(&mut self.buf);
            if self.first_line_is_jsonl(&rest[..nl]) {
                self.mode = Mode::Jsonl;
                self.push_jsonl(&rest);
            } else {
                self.mode = Mode::Document;
                self.buf = rest;
                self.refuse_non_json();
            }
        } else if self.buf.len() > self.limits.max_line_bytes {
            // One enormous first line: only a JSON document can be that.
            self.mode = Mode::Document;
            self.refuse_non_json();
        }
    }

    /// A complete object on the first line means JSONL, unless that object is
    /// a whole v3/v4 document written on one line. A document otherwise
    /// opens with `{` or `[` alone.
    pub(super) fn first_line_is_jsonl(&self, first: &[u8]) -> bool {
        let first = first.trim_ascii();
        if first.first() != Some(&b'{') || first.last() != Some(&b'}') {
            return false;
        }
        match serde_json::from_slice::<Value>(first) {
            Ok(Value::Object(obj)) => ![
                "conversations",
                "training_pairs",
                "training_file_metadata",
                "dataset_metadata",
            ]
            .iter()
            .any(|k| obj.contains_key(*k)),
            _ => true,
        }
    }

    /// A document must open with `{` or `[`; anything else is reported now
    /// and the rest of the file is not buffered.
    fn refuse_non_json(&mut self) {
        if matches!(self.buf.first(), Some(b'{' | b'[')) {
            return;
        }
        self.report.push(Loc::Line(self.line + 1).issue(
            IssueKind::UnknownFormat,
            None,
            "The file is neither JSON nor JSONL: it does not start with `{` or `[`.".into(),
            "Use brightrun-lora-v4 JSONL or JSON, v3 JSON, or OpenAI chat JSONL.",
        ));
        self.buf = Vec::new();
        // Ignore the rest; the report is final.
        self.stopped = true;
    }

    fn count_newlines(&mut self, bytes: &[u8]) {
        self.line += bytes.iter().filter(|b| **b == b'\n').count() as u64;
    }
}
