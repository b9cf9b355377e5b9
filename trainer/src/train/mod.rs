//! One training run as a [`Trainer`]: `new` prepares it (data, device and
//! dtype, model, LoRA, optimizer, a checkpoint to resume; `setup.rs`),
//! `step` takes one optimizer step (`step.rs`), `evaluate` measures
//! validation loss (`validate.rs`), `checkpoint` saves what resumes the
//! run and `finish` writes the adapter (`save.rs`). [`train`] drives it
//! with validation, early stopping, progress events (`progress.rs`) and
//! cancellation.
//!
//! Everything random is derived from the seed and the step (LoRA init,
//! data order per epoch, dropout per step), so a run resumed from a
//! checkpoint continues exactly the curve of the uninterrupted run.

mod checkpoint;
mod data;
mod fetch;
mod progress;
mod samples;
mod save;
mod setup;
mod step;
mod validate;

pub use brightrun::cluster::{Evaluation, StepMetrics};
pub use data::evaluate;
pub(crate) use fetch::fetch_base_model;
pub use fetch::{fetch_adapter, run_job};
pub use setup::candle_dtype;

use crate::chat::{ChatTokenizer, Encoded};
use crate::device::Resolved;
use crate::error::{Result, TrainerError};
use crate::model::Llama;
use crate::optim::AdamW;
use crate::spec::{HyperParams, JobSpec};
use brightrun::cluster::{BaseDtype, DeviceInfo};
use brightrun::training::steps::RunSteps;
use candle_core::{Tensor, Var};
use checkpoint::CheckpointState;
use progress::{Clock, MetricsLog};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        total_steps: u64,
        examples: usize,
        validation_examples: usize,
        truncated: usize,
        resumed_from_step: u64,
        /// The device the run trains on, and the base weights' dtype.
        device: DeviceInfo,
        dtype: BaseDtype,
        gradient_checkpointing: bool,
    },
    Step(StepMetrics),
    Eval(Evaluation),
    Checkpoint {
        step: u64,
    },
    Log {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainOutcome {
    pub adapter_dir: PathBuf,
    pub steps: u64,
    pub final_loss: f64,
    pub best_val_loss: Option<f64>,
    /// The step whose weights the adapter holds.
    pub adapter_step: u64,
    pub stopped_early: bool,
    /// The device that trained.
    pub device: DeviceInfo,
    /// The process's peak resident memory, where the OS reports it.
    pub peak_rss_bytes: Option<u64>,
}

/// What one optimizer step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepResult {
    pub train_loss: f64,
    pub grad_norm: f64,
    pub learning_rate: f64,
    /// Real (non-padding) tokens in the step's batches.
    pub tokens: usize,
    /// Positions the step computed, padding included.
    pub padded: usize,
}

pub struct Trainer {
    spec: JobSpec,
    model: Llama,
    named: Vec<(String, Var)>,
    vars: Vec<Var>,
    opt: AdamW,
    train_set: Vec<Encoded>,
    val_set: Vec<Encoded>,
    /// The held-out conversations answered at each evaluation.
    sample_prompts: Vec<samples::SamplePrompt>,
    chat: ChatTokenizer,
    steps: RunSteps,
    /// Micro-batches in one pass over the training examples.
    batches_per_epoch: u64,
    state: CheckpointState,
    placed: Resolved,
    checkpointing: bool,
    /// What the memory formula said the run needs (reported beside the
    /// measured peak).
    memory_estimate: crate::memory::Estimate,
    order_cache: Option<(u64, Vec<usize>)>,
    truncated: usize,
    /// The LoRA weights at the best validation loss so far (kept only when
    /// the job keeps the best adapter).
    best: Option<Vec<(String, Tensor)>>,
    base_name: String,
    adapter_dir: PathBuf,
    checkpoints: PathBuf,
    metrics_path: PathBuf,
}

impl Trainer {
    fn h(&self) -> &HyperParams {
        &self.spec.hyperparameters
    }

    pub fn total_steps(&self) -> u64 {
        self.steps.total_steps
    }

    /// Optimizer steps taken so far (resumed ones included).
    pub fn step_count(&self) -> u64 {
        self.state.step
    }

    pub fn done(&self) -> bool {
        self.state.step >= self.steps.total_steps
    }

    pub fn model(&self) -> &Llama {
        &self.model
    }

    pub fn started_event(&self) -> Event {
        Event::Started {
            total_steps: self.steps.total_steps,
            examples: self.train_set.len(),
            validation_examples: self.val_set.len(),
            truncated: self.truncated,
            resumed_from_step: self.state.step,
            device: self.placed.info.clone(),
            dtype: self.placed.dtype,
            gradient_checkpointing: self.checkpointing,
        }
    }
}

/// Trains. `work_dir` receives `checkpoints/`, `metrics.jsonl` and, for an
/// upload spec, `adapter/`; a folder spec gets the adapter in its folder. A
/// checkpoint already in `work_dir` is resumed.
pub fn train(
    spec: &JobSpec,
    work_dir: &Path,
    on_event: &mut dyn FnMut(&Event),
    cancel: &AtomicBool,
) -> Result<TrainOutcome> {
    let mut trainer = Trainer::new(spec, work_dir)?;
    on_event(&trainer.started_event());
    let mut metrics_log = MetricsLog::open(&trainer.metrics_path)?;
    let clock = Clock::start(trainer.state.step);
    let mut last_loss = f64::NAN;
    let mut stopped_early = false;
    let mut evaluations: Vec<Evaluation> = Vec::new();
    if let Some(before) = trainer.evaluate_before()? {
        on_event(&Event::Eval(before.clone()));
        evaluations.push(before);
    }
    while !trainer.done() {
        if cancel.load(Ordering::Relaxed) {
            return Err(TrainerError::Cancelled);
        }
        let step_start = Instant::now();
        let r = trainer.step()?;
        last_loss = r.train_loss;
        let val_loss = if trainer.eval_due() {
            let e = trainer.evaluate()?;
            on_event(&Event::Eval(e.clone()));
            let v = e.val_loss;
            evaluations.push(e);
            Some(v)
        } else {
            None
        };
        let metrics = trainer.step_metrics(
            &r,
            &clock,
            step_start,
            val_loss,
            std::mem::take(&mut evaluations),
        );
        let elapsed = metrics.elapsed_s;
        metrics_log.append(&metrics)?;
        on_event(&Event::Step(metrics));
        if trainer.patience_out() {
            on_event(&trainer.stopping_early());
            stopped_early = true;
            break;
        }
        if trainer.checkpoint_due() {
            trainer.checkpoint(elapsed)?;
            on_event(&Event::Checkpoint {
                step: trainer.state.step,
            });
        }
    }
    drop(metrics_log);
    trainer.finish(last_loss, stopped_early)
}
