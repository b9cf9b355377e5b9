//! Token counting behind one trait, so the validator stays pure: the server
//! plugs in a real tokenizer (the base model's `tokenizer.json`, or
//! cl100k_base); the browser, which has neither, uses `CharEstimate` and
//! labels its numbers as estimates.

pub trait TokenCounter: Send + Sync {
    /// Shown with the statistics, e.g. `cl100k_base (tiktoken)`.
    fn name(&self) -> String;
    fn count(&self, text: &str) -> usize;
}

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
