//! Datasets: the formats BrightRun accepts, the one conversation type they all
//! become, the validator that reports every problem with its line or JSON
//! path, and the statistics. Runs unchanged in the browser (WASM, before
//! upload) and on the server (after upload; its result is the one that counts).

pub mod conversation;
mod fast_pair;
pub mod formats;
pub mod records;
pub mod report;
pub mod stats;
pub mod tokens;
pub mod validator;

pub use conversation::{DatasetFormat, Message, Role, TrainingExample};
pub use records::{
    CreatedDataset, Dataset, DatasetDetail, DatasetFilter, DatasetPage, NewDataset, UploadTarget,
};
pub use report::{IssueKind, ReportIssue, ValidationReport};
pub use stats::{DatasetStats, HistogramBin, TokenStats};
pub use tokens::{CharEstimate, PendingCounts, TokenCounter};
pub use validator::{ValidationLimits, Validator, training_examples, validate_bytes};
