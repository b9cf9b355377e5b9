//! Dataset uploads and their validation: the largest file accepted and how
//! its tokens are counted.

use super::vars::{ConfigError, Vars};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct DatasetsConfig {
    /// `BRIGHTRUN_DATASET_MAX_MB`, default `500`: the largest dataset
    /// accepted (held here in bytes).
    pub max_bytes: u64,
    /// `BRIGHTRUN_TOKENIZER`, default cl100k_base: a `tokenizer.json` to
    /// count tokens with.
    pub tokenizer: Option<PathBuf>,
    /// `BRIGHTRUN_TOKENIZER_THREADS`, default one per core: threads that
    /// count a dataset's tokens.
    pub tokenizer_threads: Option<usize>,
    /// `BRIGHTRUN_MAX_SEQ_LEN`, default `2048`: examples longer than this
    /// many tokens get a warning.
    pub max_seq_len: u64,
}

impl DatasetsConfig {
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            max_bytes: 1024
                * 1024
                * vars.parse::<u64>(
                    "BRIGHTRUN_DATASET_MAX_MB",
                    "500",
                    "expected whole megabytes",
                )?,
            tokenizer: vars.get("BRIGHTRUN_TOKENIZER").map(PathBuf::from),
            tokenizer_threads: tokenizer_threads(vars),
            max_seq_len: vars.parse(
                "BRIGHTRUN_MAX_SEQ_LEN",
                "2048",
                "expected a whole number of tokens",
            )?,
        })
    }
}

/// A positive whole number, else one per core (`None`): a bad value is
/// ignored, as it always was, since the dataset command reads it too.
pub fn tokenizer_threads(vars: Vars<'_>) -> Option<usize> {
    vars.get("BRIGHTRUN_TOKENIZER_THREADS")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
}
