//! The job types shared by the server functions, the REST API and the pages.

use crate::status::JobStatus;
use crate::training::{Estimate, GpuType, Preset, TrainingConfig};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One stored step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricPoint {
    pub step: u32,
    pub epoch: Option<f64>,
    pub train_loss: Option<f64>,
    pub eval_loss: Option<f64>,
    pub learning_rate: Option<f64>,
    pub tokens_per_second: Option<f64>,
    pub grad_norm: Option<f64>,
}

/// A job as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    pub id: Uuid,
    pub name: String,
    pub dataset_id: Uuid,
    pub dataset_name: String,
    pub base_model: String,
    pub status: JobStatus,
    pub backend: String,
    pub gpu_type: String,
    pub gpu_count: u32,
    pub preset: Preset,
    pub current_step: u32,
    pub total_steps: Option<u32>,
    pub current_epoch: Option<f64>,
    /// The latest step's metrics.
    pub current_metrics: Option<MetricPoint>,
    /// Seconds left, from the trainer's own measure.
    pub eta_s: Option<f64>,
    pub cost_so_far: f64,
    pub estimated_cost: Option<f64>,
    pub error_message: Option<String>,
    pub retry_count: u32,
    /// The trained model, once the job completed.
    pub model_id: Option<Uuid>,
    /// The model this run continued, if any.
    #[serde(default)]
    pub parent_model_id: Option<Uuid>,
    /// The separate file it validates on, if any.
    #[serde(default)]
    pub validation_dataset_id: Option<Uuid>,
    /// Started although its estimate passed the remaining budget.
    #[serde(default)]
    pub budget_override: bool,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    /// Progress in percent (0 until the trainer has counted its steps).
    pub fn progress_pct(&self) -> f64 {
        match (self.status, self.total_steps) {
            (JobStatus::Completed, _) => 100.0,
            (_, Some(total)) if total > 0 => {
                (self.current_step as f64 / total as f64 * 100.0).clamp(0.0, 100.0)
            }
            _ => 0.0,
        }
    }

    pub fn is_active(&self) -> bool {
        !self.status.is_terminal()
    }
}

/// A job with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobDetail {
    pub job: Job,
    pub config: TrainingConfig,
    pub estimate: Option<Estimate>,
    /// Every step for short runs; evenly thinned (first and last kept) for long ones.
    pub metrics: Vec<MetricPoint>,
    /// How many points the job has in all.
    pub metric_count: u32,
    /// Every validation loss (they are few, and the chart needs them all).
    pub eval_points: Vec<MetricPoint>,
    /// What the model answered to held-out prompts before training and at
    /// its latest evaluation.
    #[serde(default)]
    pub samples: super::JobSamples,
}

impl JobDetail {
    /// The adapter the run kept (by its job's choice, from its
    /// evaluations) and why; a run that stopped before its last step says
    /// it stopped early.
    pub fn kept_adapter(&self) -> crate::training::KeptAdapter {
        let evaluations: Vec<(u64, f64)> = self
            .eval_points
            .iter()
            .filter_map(|p| p.eval_loss.map(|v| (p.step as u64, v)))
            .collect();
        let last = self.job.current_step as u64;
        let mut kept = crate::training::kept_adapter(self.config.keep_adapter, &evaluations, last);
        let patience = self.config.early_stopping_patience;
        if let Some(total) = self
            .job
            .total_steps
            .filter(|&t| patience > 0 && last < t as u64)
        {
            kept.why = format!(
                "Training stopped early at step {last} of {total}: the validation loss had not improved for {patience} evaluations. {}",
                kept.why
            );
        }
        kept
    }

    /// The passes over the training examples the run has made: its steps so
    /// far over one epoch's steps (which the estimate counted as the
    /// trainer does), or the epoch the trainer last reported.
    pub fn epochs_run(&self) -> Option<f64> {
        match &self.estimate {
            Some(e) => {
                let per_epoch = crate::training::steps::steps_per_epoch(
                    e.training_examples,
                    self.config.batch_size as u64,
                    self.config.gradient_accumulation as u64,
                );
                Some(self.job.current_step as f64 / per_epoch as f64)
            }
            None => self.job.current_epoch,
        }
    }
}

/// What creating a job takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewJob {
    #[serde(default)]
    pub name: Option<String>,
    pub dataset_id: Uuid,
    pub base_model: String,
    #[serde(default = "custom")]
    pub preset: Preset,
    #[serde(default)]
    pub config: Option<TrainingConfig>,
    pub gpu_type: String,
    #[serde(default = "one")]
    pub gpu_count: u32,
    /// Start even though the estimate passes the remaining budget.
    #[serde(default)]
    pub budget_override: bool,
    /// Continue training this model: LoRA starts from its weights, and its
    /// rank and target modules are kept.
    #[serde(default)]
    pub parent_model_id: Option<Uuid>,
    /// Validate on this dataset of the user's instead of a share of the
    /// training file (the validation split is then 0).
    #[serde(default)]
    pub validation_dataset_id: Option<Uuid>,
}

fn custom() -> Preset {
    Preset::Custom
}

fn one() -> u32 {
    1
}

impl NewJob {
    /// The config the job runs with: the preset's, or the one given.
    pub fn resolved_config(&self) -> TrainingConfig {
        match (&self.config, self.preset) {
            (Some(c), Preset::Custom) => c.clone(),
            (Some(c), p) => {
                let mut c = c.clone();
                p.apply(&mut c);
                c
            }
            (None, p) => p.config(),
        }
        .with_validation_file(self.validation_dataset_id.is_some())
    }

    /// What the estimate of this job asks.
    pub fn estimate_request(&self) -> EstimateRequest {
        EstimateRequest {
            dataset_id: self.dataset_id,
            validation_dataset_id: self.validation_dataset_id,
            base_model: self.base_model.clone(),
            config: self.resolved_config(),
            gpu_type: self.gpu_type.clone(),
            gpu_count: self.gpu_count,
        }
    }
}

/// What the estimate needs; the page sends it on every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstimateRequest {
    pub dataset_id: Uuid,
    #[serde(default)]
    pub validation_dataset_id: Option<Uuid>,
    pub base_model: String,
    pub config: TrainingConfig,
    pub gpu_type: String,
    #[serde(default = "one")]
    pub gpu_count: u32,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobPage {
    pub jobs: Vec<Job>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// A dataset the configure page offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadyDataset {
    pub id: Uuid,
    pub name: String,
    pub trainable_examples: u64,
    pub total_tokens: u64,
}

/// A base model the configure page offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelOption {
    pub id: String,
    pub label: String,
    pub parameters: u64,
}

/// Everything the configure page needs to draw its choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigureOptions {
    pub datasets: Vec<ReadyDataset>,
    pub models: Vec<ModelOption>,
    pub gpus: Vec<GpuType>,
    /// The cluster backend jobs go to (`local`, `http`, …).
    pub backend: String,
    pub max_gpu_count: u32,
}
