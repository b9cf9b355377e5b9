//! Training configuration: the hyperparameters of a run and the one table of
//! their ranges (shared by the configure page, the API and the trainer), the
//! presets, the GPU catalog, the one count of a run's steps and the
//! duration and cost estimator.

pub mod config;
pub mod estimate;
pub mod gpus;
pub mod keep;
pub mod memory;
pub mod presets;
pub mod steps;

pub use config::{FieldError, FieldRange, RANGES, Scheduler, TARGET_MODULES, TrainingConfig};
pub use estimate::{Estimate, EstimateInput, FitCheck, Throughput};
pub use gpus::{CPU_GPU, GpuCatalog, GpuType};
pub use keep::{KeepAdapter, KeptAdapter, kept_adapter};
pub use memory::{MemoryEstimate, ModelShape};
pub use presets::{PRESETS, Preset};
pub use steps::{RunSteps, plan};
