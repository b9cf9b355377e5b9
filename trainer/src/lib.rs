//! BrightRun's LoRA trainer (candle): Llama-family models from a Hugging
//! Face folder or the built-in `tiny-llama`, LoRA with PEFT's
//! initialisation and file format, AdamW with schedules, accumulation and
//! clipping, validation and early stopping, checkpoints that resume the
//! same run, progress events and cancellation. The binary runs one job
//! (`run`) or serves the cluster API (`serve`).

pub mod adapter;
pub mod alloc;
pub mod chat;
pub mod device;
pub mod error;
pub mod export;
pub mod generate;
pub mod memory;
pub mod model;
pub mod optim;
pub mod report;
pub mod rng;
pub mod schedule;
pub mod serve;
pub mod spec;
pub mod threads;
pub mod train;
pub mod transfer;

pub use error::{Result, TrainerError};
pub use spec::{HyperParams, JobSpec, Output};
pub use train::{Event, StepMetrics, TrainOutcome, run_job, train};
