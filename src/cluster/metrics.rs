//! One optimizer step as the trainer reports it: a line of
//! `metrics.jsonl`, a point of `GET /v1/jobs/{id}/metrics`, a job view's
//! latest metrics.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    pub step: u64,
    pub total_steps: u64,
    pub epoch: f64,
    pub train_loss: f64,
    pub learning_rate: f64,
    pub grad_norm: f64,
    pub tokens_per_second: f64,
    pub elapsed_s: f64,
    pub eta_s: f64,
    pub val_loss: Option<f64>,
}
