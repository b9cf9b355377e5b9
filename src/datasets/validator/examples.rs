//! Each example, once its record has passed the format checks: duplicates,
//! token counts against the maximum sequence length, the statistics and the
//! kept samples. JSONL examples wait in batches of `BATCH` so the token
//! counter takes their long texts together, one batch counted while the
//! next is parsed; a document's examples are counted one by one.

use super::{BATCH, Mode, Validator};
use crate::datasets::conversation::TrainingExample;
use crate::datasets::formats::{self, Loc, Pair};
use crate::datasets::report::IssueKind;
use crate::datasets::stats::hash64;
use serde_json::Value;

impl Validator<'_> {
    /// A brightrun pair (v3 or v4) from the detailed path.
    pub(super) fn pair(&mut self, value: &Value, loc: Loc) {
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

    // Every example passes here: `#[inline]` lets the line checks, in another
    // module, inline it as they did when the two shared a file.
    #[inline]
    pub(super) fn example(&mut self, ex: TrainingExample, loc: Loc) {
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
    pub(super) fn flush_pending(&mut self) {
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

    pub(super) fn settle_in_flight(&mut self) {
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
}

fn describe(loc: &Loc) -> String {
    match loc {
        Loc::Line(n) => format!("The example on line {n}"),
        Loc::Path(p) => format!("The example at {p}"),
    }
}
