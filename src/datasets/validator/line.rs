//! JSONL, a line at a time: chunks split into lines without copying a line
//! that lies whole inside one chunk (an over-long line is reported once and
//! skipped up to its line break), then each line checked. Clean brightrun
//! pairs (nearly every line of a real file) take the borrowing fast path;
//! any other line is parsed into a `serde_json::Value` and checked field by
//! field. The first object line fixes the format for the rest of the file.

use super::Validator;
use crate::datasets::conversation::DatasetFormat;
use crate::datasets::fast_pair;
use crate::datasets::formats::{self, Loc};
use crate::datasets::report::IssueKind;
use serde_json::Value;

impl Validator<'_> {
    /// Checks every complete line of `data` and keeps the unfinished last one.
    pub(super) fn push_jsonl(&mut self, mut data: &[u8]) {
        while let Some(nl) = data.iter().position(|b| *b == b'\n') {
            if self.skipping_long_line {
                self.skipping_long_line = false;
                self.line += 1;
            } else if self.buf.len() + nl > self.limits.max_line_bytes {
                self.buf = Vec::new();
                self.line += 1;
                self.line_too_long(self.line);
            } else if self.buf.is_empty() {
                self.line += 1;
                let line = &data[..nl];
                self.jsonl_line(line, false);
            } else {
                self.buf.extend_from_slice(&data[..nl]);
                let line = std::mem::take(&mut self.buf);
                self.line += 1;
                self.jsonl_line(&line, false);
            }
            data = &data[nl + 1..];
        }
        if self.skipping_long_line {
            return;
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() > self.limits.max_line_bytes {
            self.line_too_long(self.line + 1);
            self.buf = Vec::new();
            self.skipping_long_line = true;
        }
    }

    fn line_too_long(&mut self, n: u64) {
        self.report.push(Loc::Line(n).issue(
            IssueKind::LineTooLong,
            None,
            format!(
                "Line {n} is longer than {} MB; it was skipped.",
                self.limits.max_line_bytes / (1024 * 1024)
            ),
            "Each line must be one training pair; check for a missing line break.",
        ));
    }

    /// Checks line `self.line`; `last` when the file ends without a line
    /// break after it (so a parse error there means the file was cut off).
    pub(super) fn jsonl_line(&mut self, raw: &[u8], last: bool) {
        let n = self.line;
        let trimmed = raw.trim_ascii();
        if trimmed.is_empty() {
            return;
        }
        if let Err(e) = std::str::from_utf8(trimmed) {
            return self.line_not_utf8(n, e);
        }
        // Clean brightrun pairs (nearly every line of a real file) take the
        // fast path; everything else gets the field-by-field checks below.
        if self.report.format == Some(DatasetFormat::BrightrunV4Jsonl)
            && let Some(ex) = fast_pair::example(trimmed)
        {
            self.stats.pairs += 1;
            self.example(ex, Loc::Line(n));
            return;
        }
        let Some(value) = self.parse_line(trimmed, n, last) else {
            return;
        };
        let Some(format) = self.line_format(&value, n) else {
            return;
        };
        match format {
            DatasetFormat::OpenaiChatJsonl => {
                self.stats.pairs += 1;
                let loc = Loc::Line(n);
                if let Some(ex) = formats::openai_line(&value, &loc, &mut self.report) {
                    self.example(ex, loc);
                }
            }
            _ => self.brightrun_line(&value, n),
        }
    }

    fn line_not_utf8(&mut self, n: u64, e: std::str::Utf8Error) {
        self.report.push(Loc::Line(n).issue(
            IssueKind::InvalidUtf8,
            None,
            format!(
                "Line {n} is not valid UTF-8 (bad byte at column {}).",
                e.valid_up_to() + 1
            ),
            "Save the file as UTF-8.",
        ));
    }

    fn parse_line(&mut self, trimmed: &[u8], n: u64, last: bool) -> Option<Value> {
        match serde_json::from_slice(trimmed) {
            Ok(v) => Some(v),
            Err(e) => {
                let message = if last && e.is_eof() {
                    format!("Line {n} is cut off: the file ends in the middle of a JSON object.")
                } else {
                    format!("Line {n} is not valid JSON: {e}.")
                };
                self.report.push(Loc::Line(n).issue(
                    IssueKind::InvalidJson,
                    None,
                    message,
                    "Each line must be one complete JSON object.",
                ));
                None
            }
        }
    }

    /// The file's format: fixed by its first object line, reported (and
    /// `None`) while no line has shown it.
    fn line_format(&mut self, value: &Value, n: u64) -> Option<DatasetFormat> {
        if let Some(f) = self.report.format {
            return Some(f);
        }
        let loc = Loc::Line(n);
        let Some(obj) = value.as_object() else {
            self.report.push(loc.issue(
                IssueKind::UnknownFormat,
                None,
                format!("Line {n} is not a JSON object."),
                "Use brightrun-lora-v4 JSONL (a _meta line, then pairs) or OpenAI chat JSONL.",
            ));
            return None;
        };
        let format = if obj.contains_key("messages") {
            DatasetFormat::OpenaiChatJsonl
        } else if obj.contains_key("_meta")
            || obj.contains_key("target_response")
            || obj.contains_key("current_user_input")
        {
            DatasetFormat::BrightrunV4Jsonl
        } else {
            self.report.push(loc.issue(
                IssueKind::UnknownFormat,
                None,
                format!("Line {n} looks like neither a brightrun-lora-v4 pair nor an OpenAI chat line."),
                "Start with a {\"_meta\": …} line followed by pairs, or use {\"messages\": […]} lines.",
            ));
            return None;
        };
        self.report.format = Some(format);
        Some(format)
    }

    /// A brightrun-lora-v4 line: the `_meta` header (once, first) or a pair.
    fn brightrun_line(&mut self, value: &Value, n: u64) {
        let loc = Loc::Line(n);
        if let Some(meta) = value.get("_meta") {
            if self.header_seen || self.stats.pairs > 0 {
                self.report.push(loc.issue(
                    IssueKind::InvalidValue,
                    Some("_meta"),
                    format!("Line {n} is a second `_meta` header."),
                    "Keep one _meta line, at the top of the file.",
                ));
            }
            self.header_seen = true;
            self.declared_pairs = meta.get("total_pairs").and_then(Value::as_u64);
            return;
        }
        if !self.header_seen && self.stats.pairs == 0 {
            self.report.push(loc.issue(
                IssueKind::MissingHeader,
                Some("_meta"),
                "The file has no `_meta` first line.".into(),
                "Add {\"_meta\": {\"version\": \"4.0.0\", \"total_pairs\": N}} as the first line.",
            ));
        }
        self.pair(value, loc);
    }
}
