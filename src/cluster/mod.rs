//! The cluster contract: the types the server and the trainer exchange
//! (DESIGN §4.2), defined once here so the two sides cannot disagree. The
//! trainer's `serve` and `run` and the server's cluster backends all speak
//! these; a job's statuses on the wire are the app's own [`JobStatus`].

pub mod device;
pub mod export;
pub mod generate;
pub mod hyperparams;
pub mod metrics;
pub mod placement;
pub mod spec;
pub mod view;

pub use crate::status::JobStatus;
pub use device::{AgentInfo, BaseDtype, DeviceInfo, DeviceKind, DeviceRequest};
pub use export::{ExportRunStatus, ExportSpec, ExportUpload, ExportView};
pub use generate::{GenerateEvent, GenerateSpec, GenerateUsage};
pub use hyperparams::{
    CHECKPOINTING_FROM_PARAMETERS, HyperParams, TARGET_MODULES, checkpointing_on, packing_on,
};
pub use metrics::{Evaluation, MAX_SAMPLES, Sample, StepMetrics};
pub use spec::{GpuRequest, InitAdapter, JobSpec, Output, Report, SpecError};
pub use view::{JobQuery, JobUpdate, JobView, Progress};
