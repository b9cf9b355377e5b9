//! What the training loop reports after each step: the step's metrics
//! (throughput, elapsed time and the estimate of what is left, counting
//! only this session's steps for the pace), appended to `metrics.jsonl`
//! as one JSON line each, and the early stop's log line.

use super::{Evaluation, Event, StepMetrics, StepResult, Trainer};
use crate::error::{Result, TrainerError};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `metrics.jsonl`, open for appending (a resumed run keeps its lines up
/// to the checkpoint).
pub(super) struct MetricsLog {
    file: File,
    path: PathBuf,
}

impl MetricsLog {
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| TrainerError::io(path.display(), e))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    pub fn append(&mut self, metrics: &StepMetrics) -> Result<()> {
        writeln!(
            self.file,
            "{}",
            serde_json::to_string(metrics).expect("json")
        )
        .map_err(|e| TrainerError::io(self.path.display(), e))
    }
}

/// When this session started, and at which step.
pub(super) struct Clock {
    started: Instant,
    resumed_at: u64,
}

impl Clock {
    pub fn start(resumed_at: u64) -> Self {
        Self {
            started: Instant::now(),
            resumed_at,
        }
    }
}

impl Trainer {
    /// The metrics of the step just taken, which started at `step_start`.
    pub(super) fn step_metrics(
        &self,
        r: &StepResult,
        clock: &Clock,
        step_start: Instant,
        val_loss: Option<f64>,
        evaluations: Vec<Evaluation>,
    ) -> StepMetrics {
        let elapsed = self.state.elapsed_s + clock.started.elapsed().as_secs_f64();
        let per_step = clock.started.elapsed().as_secs_f64()
            / (self.state.step - clock.resumed_at).max(1) as f64;
        StepMetrics {
            step: self.state.step,
            total_steps: self.steps.total_steps,
            epoch: round4(self.state.step as f64 / self.steps.steps_per_epoch as f64),
            train_loss: r.train_loss,
            learning_rate: r.learning_rate,
            grad_norm: r.grad_norm,
            tokens_per_second: r.tokens as f64 / step_start.elapsed().as_secs_f64().max(1e-9),
            elapsed_s: elapsed,
            eta_s: per_step * (self.steps.total_steps - self.state.step) as f64,
            val_loss,
            evaluations,
        }
    }

    /// The log line of a run stopping early.
    pub(super) fn stopping_early(&self) -> Event {
        Event::Log {
            message: format!(
                "stopping early at step {}: validation loss has not improved for {} evaluations",
                self.state.step,
                self.h().early_stopping_patience
            ),
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
