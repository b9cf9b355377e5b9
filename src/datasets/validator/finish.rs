//! The end of the file: the last line (or the whole document), the batches
//! still being counted, the checks that need the whole file (any trainable
//! example at all, the header's pair count), and the final report.

use super::{Mode, Outcome, Validator};
use crate::datasets::conversation::DatasetFormat;
use crate::datasets::report::{IssueKind, ReportIssue};
use crate::datasets::stats::StatsBuilder;

impl Validator<'_> {
    pub fn finish(mut self) -> Outcome {
        self.end_of_input();
        self.flush_pending();
        self.settle_in_flight();
        self.check_trainable();
        self.check_declared_pairs();
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

    /// Checks what the input left buffered: a last line with no line break,
    /// a whole document, or a first line that never ended.
    fn end_of_input(&mut self) {
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
    }

    fn check_trainable(&mut self) {
        if self.stats.trainable() != 0 || self.report.format.is_none() || self.stopped {
            return;
        }
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

    /// The header's pair count (`_meta.total_pairs` or the document's
    /// metadata) against the pairs found.
    fn check_declared_pairs(&mut self) {
        let Some(declared) = self.declared_pairs else {
            return;
        };
        if declared == self.stats.pairs {
            return;
        }
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
}
