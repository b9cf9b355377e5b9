//! The trainer's one error type. Every message says what is wrong and how to
//! fix it, so it can go to the user as the job's failure reason.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainerError {
    #[error("model folder {0}: {1}")]
    ModelFiles(PathBuf, String),
    #[error("unsupported model: {0}")]
    UnsupportedModel(String),
    #[error("dataset: {0}")]
    Dataset(String),
    #[error("invalid spec: `{field}` {message}")]
    Spec { field: String, message: String },
    #[error("not enough memory: {0}")]
    TooBig(String),
    /// The job asks for a device or dtype this trainer does not have; the
    /// message names what was asked and what exists.
    #[error("{0}")]
    Device(String),
    #[error("training diverged: {0}")]
    Diverged(String),
    /// A generation request the model cannot answer as asked (a setting
    /// out of range, a prompt longer than the model reads).
    #[error("{0}")]
    Request(String),
    #[error("cancelled")]
    Cancelled,
    #[error("checkpoint {0}: {1}")]
    Checkpoint(PathBuf, String),
    #[error("{0}")]
    Io(String),
    #[error("tensor error: {0}")]
    Tensor(#[from] candle_core::Error),
}

impl TrainerError {
    /// A failure of the machine or the network rather than of the job:
    /// worth resuming from the last checkpoint.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Io(_) | Self::Checkpoint(..))
    }

    pub fn spec(field: &str, message: impl Into<String>) -> Self {
        Self::Spec {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn io(what: impl std::fmt::Display, e: impl std::fmt::Display) -> Self {
        Self::Io(format!("{what}: {e}"))
    }
}

impl From<brightrun::cluster::SpecError> for TrainerError {
    fn from(e: brightrun::cluster::SpecError) -> Self {
        Self::Spec {
            field: e.field,
            message: e.message,
        }
    }
}

pub type Result<T> = std::result::Result<T, TrainerError>;
