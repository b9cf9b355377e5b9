//! The streaming validator. Feed it the file in chunks of any size (the
//! browser reads 4 MB slices, the server streams from storage); it detects the
//! format from the first record, checks every record, and never stops at the
//! first problem. JSONL is handled a line at a time, so memory stays flat;
//! a full-JSON document is buffered up to the file limit and parsed once.
//!
//! The steps live beside this file: `stream` splits the input into lines (or
//! buffers the document), `line` checks one JSONL line, `document` one JSON
//! document, `examples` counts and checks each example (in batches, so the
//! token counter works while later lines are parsed), and `finish` runs the
//! whole-file checks and returns the report.

mod document;
mod examples;
mod finish;
mod line;
mod stream;

use super::conversation::TrainingExample;
use super::formats::Loc;
use super::report::ValidationReport;
use super::stats::{Prefetch, StatsBuilder};
use super::tokens::TokenCounter;
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
}
