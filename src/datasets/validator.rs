//! The streaming validator. Feed it the file in chunks of any size (the
//! browser reads 4 MB slices, the server streams from storage); it detects the
//! format from the first record, checks every record, and never stops at the
//! first problem. JSONL is handled a line at a time, so memory stays flat;
//! a full-JSON document is buffered up to the file limit and parsed once.

use super::conversation::{DatasetFormat, TrainingExample};
use super::formats::{self, Loc, Pair};
use super::report::{IssueKind, ReportIssue, ValidationReport};
use super::stats::{Prefetch, StatsBuilder, hash64};
use super::tokens::TokenCounter;
use serde_json::Value;
use std::collections::HashSet;

#[derive(Debug, Clone, Copy)]
pub struct ValidationLimits {
    /// Longest JSONL line accepted.
    pub max_line_bytes: usize,
    /// Largest file accepted (the upload limit, checked again here).
    pub max_file_bytes: u64,
    /// Examples longer than this (in tokens) get a warning.
    pub max_seq_len: u64,
}

impl Default for ValidationLimits {
    fn default() -> Self {
        Self {
            max_line_bytes: 8 * 1024 * 1024,
            max_file_bytes: 500 * 1024 * 1024,
            max_seq_len: 2048,
        }
    }
}

enum Mode {
    /// Nothing but whitespace seen yet.
    Start,
    Jsonl,
    Document,
}

/// How many example conversations to keep for the dataset page.
pub const SAMPLES: usize = 3;

/// JSONL examples are held back this many at a time, so that their distinct
/// long texts reach the token counter as one batch.
const BATCH: usize = 512;

pub struct Validator<'a> {
    limits: ValidationLimits,
    counter: &'a dyn TokenCounter,
    mode: Mode,
    buf: Vec<u8>,
    line: u64,
    bytes: u64,
    skipping_long_line: bool,
    /// The report is final (file over the limit, or not JSON at all); ignore further input.
    stopped: bool,
    report: ValidationReport,
    stats: StatsBuilder,
    seen: HashSet<u64>,
    samples: Vec<TrainingExample>,
    /// How many examples to keep in `Outcome::samples`.
    keep: usize,
    declared_pairs: Option<u64>,
    header_seen: bool,
    /// JSONL examples waiting for their batch to be counted.
    pending: Vec<(TrainingExample, Loc)>,
    /// The batch before, whose texts are being counted while this one is parsed.
    in_flight: Option<(Prefetch, Vec<(TrainingExample, Loc)>)>,
}

/// The report and a few sample conversations.
pub struct Outcome {
    pub report: ValidationReport,
    pub samples: Vec<TrainingExample>,
}

/// Every example of a file, in file order, for training; the report when
/// the file has errors (the trainer refuses those, as the server does).
pub fn training_examples(bytes: &[u8]) -> Result<Vec<TrainingExample>, Box<ValidationReport>> {
    let limits = ValidationLimits {
        max_file_bytes: u64::MAX,
        ..ValidationLimits::default()
    };
    let mut v = Validator::new(&super::tokens::CharEstimate, limits).keeping_all_examples();
    v.push(bytes);
    let out = v.finish();
    if out.report.valid {
        Ok(out.samples)
    } else {
        Err(Box::new(out.report))
    }
}

/// Validates a whole file held in memory.
pub fn validate_bytes(
    bytes: &[u8],
    counter: &dyn TokenCounter,
    limits: ValidationLimits,
) -> Outcome {
    let mut v = Validator::new(counter, limits);
    v.push(bytes);
    v.finish()
}

impl<'a> Validator<'a> {
    pub fn new(counter: &'a dyn TokenCounter, limits: ValidationLimits) -> Self {
        Self {
            limits,
            counter,
            mode: Mode::Start,
            buf: Vec::new(),
            line: 0,
            bytes: 0,
            skipping_long_line: false,
            stopped: false,
            report: ValidationReport::default(),
            stats: StatsBuilder::new(limits.max_seq_len),
            seen: HashSet::new(),
            samples: Vec::new(),
            keep: SAMPLES,
            declared_pairs: None,
            header_seen: false,
            pending: Vec::new(),
            in_flight: None,
        }
    }

    /// Keeps every example in `Outcome::samples`, not just the first few:
    /// what the trainer trains on.
    pub fn keeping_all_examples(mut self) -> Self {
        self.keep = usize::MAX;
        self
    }

    /// Bytes consumed so far, for progress.
    pub fn bytes_seen(&self) -> u64 {
        self.bytes
    }

    pub fn push(&mut self, mut chunk: &[u8]) {
        if self.stopped {
            return;
        }
        self.bytes += chunk.len() as u64;
        if self.bytes > self.limits.max_file_bytes {
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
            return;
        }
        while !chunk.is_empty() {
            match self.mode {
                Mode::Start => {
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
                    return;
                }
                Mode::Jsonl => {
                    let data = chunk;
                    chunk = &[];
                    self.push_jsonl(data);
                }
                Mode::Document => {
                    if !self.stopped {
                        self.buf.extend_from_slice(chunk);
                    }
                    return;
                }
            }
        }
    }

    /// A complete object on the first line means JSONL, unless that object is
    /// a whole v3/v4 document written on one line. A document otherwise
    /// opens with `{` or `[` alone.
    fn first_line_is_jsonl(&self, first: &[u8]) -> bool {
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

    fn push_jsonl(&mut self, mut data: &[u8]) {
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

    fn jsonl_line(&mut self, raw: &[u8], last: bool) {
        let n = self.line;
        let loc = Loc::Line(n);
        let trimmed = raw.trim_ascii();
        if trimmed.is_empty() {
            return;
        }
        if let Err(e) = std::str::from_utf8(trimmed) {
            self.report.push(loc.issue(
                IssueKind::InvalidUtf8,
                None,
                format!(
                    "Line {n} is not valid UTF-8 (bad byte at column {}).",
                    e.valid_up_to() + 1
                ),
                "Save the file as UTF-8.",
            ));
            return;
        }
        // Clean brightrun pairs (nearly every line of a real file) take the
        // fast path; everything else gets the field-by-field checks below.
        if self.report.format == Some(DatasetFormat::BrightrunV4Jsonl)
            && let Some(ex) = super::fast_pair::example(trimmed)
        {
            self.stats.pairs += 1;
            self.example(ex, loc);
            return;
        }
        let value: Value = match serde_json::from_slice(trimmed) {
            Ok(v) => v,
            Err(e) => {
                let message = if last && e.is_eof() {
                    format!("Line {n} is cut off: the file ends in the middle of a JSON object.")
                } else {
                    format!("Line {n} is not valid JSON: {e}.")
                };
                self.report.push(loc.issue(
                    IssueKind::InvalidJson,
                    None,
                    message,
                    "Each line must be one complete JSON object.",
                ));
                return;
            }
        };
        let format = match self.report.format {
            Some(f) => f,
            None => {
                let Some(obj) = value.as_object() else {
                    self.report.push(loc.issue(
                        IssueKind::UnknownFormat,
                        None,
                        format!("Line {n} is not a JSON object."),
                        "Use brightrun-lora-v4 JSONL (a _meta line, then pairs) or OpenAI chat JSONL.",
                    ));
                    return;
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
                    return;
                };
                self.report.format = Some(format);
                format
            }
        };
        match format {
            DatasetFormat::OpenaiChatJsonl => {
                self.stats.pairs += 1;
                if let Some(ex) = formats::openai_line(&value, &loc, &mut self.report) {
                    self.example(ex, loc);
                }
            }
            _ => {
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
                self.pair(&value, loc);
            }
        }
    }

    fn pair(&mut self, value: &Value, loc: Loc) {
        self.stats.pairs += 1;
        match formats::brightrun_pair(value, &loc, &mut self.report) {
            Pair::Example(ex) => self.example(ex, loc),
            Pair::Context => {
                self.stats.null_targets += 1;
                if let Some(id) = value.get("conversation_id").and_then(Value::as_str) {
                    self.stats.note_conversation(id);
                }
            }
            Pair::Invalid => {}
        }
    }

    fn example(&mut self, ex: TrainingExample, loc: Loc) {
        if !matches!(self.mode, Mode::Jsonl) {
            let prefetch = self
                .stats
                .prefetch(std::iter::once(&ex), self.counter, None);
            self.stats.settle(prefetch);
            return self.counted_example(ex, loc);
        }
        self.pending.push((ex, loc));
        if self.pending.len() >= BATCH {
            self.flush_pending();
        }
    }

    /// Starts counting the pending batch, then finishes the one in flight
    /// (so the counter is never idle while examples are checked).
    fn flush_pending(&mut self) {
        let batch = std::mem::take(&mut self.pending);
        let next = (!batch.is_empty()).then(|| {
            let earlier = self.in_flight.as_ref().map(|(p, _)| p);
            let prefetch =
                self.stats
                    .prefetch(batch.iter().map(|(ex, _)| ex), self.counter, earlier);
            (prefetch, batch)
        });
        self.settle_in_flight();
        self.in_flight = next;
    }

    fn settle_in_flight(&mut self) {
        if let Some((prefetch, batch)) = self.in_flight.take() {
            self.stats.settle(prefetch);
            for (ex, loc) in batch {
                self.counted_example(ex, loc);
            }
        }
    }

    /// Checks and counts one example whose long texts are in the token cache.
    fn counted_example(&mut self, ex: TrainingExample, loc: Loc) {
        if !self.seen.insert(hash64(&ex.messages)) {
            self.report.push(loc.issue(
                IssueKind::DuplicateExample,
                None,
                format!(
                    "{} repeats an earlier example word for word.",
                    describe(&loc)
                ),
                "Remove the duplicate; it weighs the example twice in training.",
            ));
        }
        let tokens = self.stats.add(&ex, self.counter);
        if tokens > self.limits.max_seq_len {
            self.report.push(loc.issue(
                IssueKind::OverMaxLength,
                None,
                format!(
                    "{} is {tokens} tokens, over the maximum sequence length of {}; it will be truncated.",
                    describe(&loc),
                    self.limits.max_seq_len
                ),
                "Shorten the history or raise the max sequence length when training.",
            ));
        }
        if self.samples.len() < self.keep {
            self.samples.push(ex);
        }
    }

    pub fn finish(mut self) -> Outcome {
        match self.mode {
            Mode::Start if !self.buf.is_empty() => {
                // One line and no line break at all.
                let only = std::mem::take(&mut self.buf);
                if self.first_line_is_jsonl(&only) {
                    self.mode = Mode::Jsonl;
                    self.line += 1;
                    self.jsonl_line(&only, true);
                } else {
                    self.document(&only);
                }
            }
            Mode::Start => {
                if !self.stopped {
                    self.report.push(ReportIssue {
                        kind: IssueKind::EmptyFile,
                        line: None,
                        path: None,
                        field: None,
                        message: "The file is empty.".into(),
                        hint: "Choose a file with training pairs in it.".into(),
                    });
                }
            }
            Mode::Jsonl => {
                if !self.skipping_long_line && !self.buf.is_empty() {
                    let line = std::mem::take(&mut self.buf);
                    self.line += 1;
                    self.jsonl_line(&line, true);
                }
            }
            Mode::Document => {
                let doc = std::mem::take(&mut self.buf);
                if !self.stopped {
                    self.document(&doc);
                }
            }
        }
        self.flush_pending();
        self.settle_in_flight();
        if self.stats.trainable() == 0 && self.report.format.is_some() && !self.stopped {
            let message = if self.stats.pairs == 0 && self.header_seen {
                "The file has a `_meta` header but no training pairs.".to_string()
            } else {
                "The file has no trainable examples: every pair lacks a target or has errors."
                    .to_string()
            };
            self.report.push(ReportIssue {
                kind: IssueKind::NoTrainableExamples,
                line: None,
                path: None,
                field: None,
                message,
                hint: "Add pairs with a non-empty target_response (or assistant message).".into(),
            });
        }
        if let Some(declared) = self.declared_pairs
            && declared != self.stats.pairs
        {
            self.report.push(ReportIssue {
                kind: IssueKind::HeaderMismatch,
                line: Some(1).filter(|_| self.report.format == Some(DatasetFormat::BrightrunV4Jsonl)),
                path: None,
                field: Some("_meta.total_pairs".into()),
                message: format!(
                    "The header says {declared} pairs but the file has {} pair lines.",
                    self.stats.pairs
                ),
                hint: "Update _meta.total_pairs, or check that no pairs were lost when the file was exported.".into(),
            });
        }
        if matches!(self.mode, Mode::Jsonl) {
            // Batched examples were reported after later lines: file order again.
            self.report.sort_by_line();
        }
        let stats = std::mem::replace(&mut self.stats, StatsBuilder::new(0));
        self.report.stats = stats.finish(self.counter.name(), self.declared_pairs);
        self.report.valid = self.report.error_total() == 0;
        Outcome {
            report: self.report,
            samples: self.samples,
        }
    }

    fn document(&mut self, doc: &[u8]) {
        let value: Value = match std::str::from_utf8(doc) {
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
                return;
            }
            Ok(text) => match serde_json::from_str(text) {
                Ok(v) => v,
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
                    return;
                }
            },
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
                let path = format!("conversations[{i}]");
                let Some(pairs) = conv.get("training_pairs").and_then(Value::as_array) else {
                    self.report.push(Loc::Path(path).issue(
                        IssueKind::MissingField,
                        Some("training_pairs"),
                        format!("conversations[{i}] has no `training_pairs` array."),
                        "Each conversation holds its pairs in a training_pairs array.",
                    ));
                    continue;
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
        } else if let Some(pairs) = root.get("training_pairs") {
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
}

fn describe(loc: &Loc) -> String {
    match loc {
        Loc::Line(n) => format!("The example on line {n}"),
        Loc::Path(p) => format!("The example at {p}"),
    }
}
