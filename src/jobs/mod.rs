//! Training jobs as the UI and the API see them: the list row, the detail
//! with its metrics, what creating one takes, the state machine and the
//! downsampling that keeps long loss curves fast to draw.

pub mod log_tail;
pub mod records;
pub mod samples;
pub mod series;
pub mod transitions;
pub mod updates;

pub use records::{
    ConfigureOptions, EstimateRequest, Job, JobDetail, JobFilter, JobPage, MetricPoint,
    ModelOption, NewJob, ReadyDataset,
};
pub use samples::{Comparison, JobSamples};
pub use series::{downsample, sample_indices};
pub use transitions::{IllegalTransition, allowed, can_retry};
pub use updates::{CHART_POINTS, JobPoll, JobProgress, JobUpdates, UpdatesSince};
