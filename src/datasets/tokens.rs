//! Token counting behind one trait, so the validator stays pure: the server
//! plugs in a real tokenizer (the base model's `tokenizer.json`, or
//! cl100k_base); the browser, which has neither, uses `CharEstimate` and
//! labels its numbers as estimates.

pub trait TokenCounter: Send + Sync {
    /// Shown with the statistics, e.g. `cl100k_base (tiktoken)`.
    fn name(&self) -> String;
    fn count(&self, text: &str) -> usize;

    /// Counts many texts at once, in order. The validator hands over each
    /// batch of distinct long texts here, so a counter with threads to spare
    /// (the server's) can count them in parallel; the browser counts in turn.
    fn count_many(&self, texts: &[&str]) -> Vec<usize> {
        texts.iter().map(|t| self.count(t)).collect()
    }

    /// Starts counting texts and returns at once; the counts are collected
    /// later, so the validator parses the next batch meanwhile. A counter
    /// with no thread to hand the work to counts now.
    fn start_many(&self, texts: &[&str]) -> PendingCounts {
        let counts = self.count_many(texts);
        Box::new(move || counts)
    }
}

/// Counts being worked out elsewhere; calling it waits for them.
pub type PendingCounts = Box<dyn FnOnce() -> Vec<usize> + Send>;

/// About four characters a token, for English text; an estimate only.
pub struct CharEstimate;

impl TokenCounter for CharEstimate {
    fn name(&self) -> String {
        "estimate (4 characters per token)".into()
    }

    fn count(&self, text: &str) -> usize {
        text.chars().count().div_ceil(4)
    }
}
