//! A training job as the trainer receives it (`run --spec job.json`, or the
//! body of `POST /v1/jobs`): the base model, the dataset, hyperparameters,
//! and where status, metrics and artifacts go.

use crate::error::{Result, TrainerError};
use brightrun::training::FieldRange;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// The caller's job id; also the idempotency key of `POST /v1/jobs`.
    pub job_id: String,
    /// `tiny-llama` (built in) or a local Hugging Face model folder.
    pub base_model: String,
    /// Where the dataset is: a local path or an http(s) URL (e.g. signed).
    pub dataset: String,
    #[serde(default)]
    pub hyperparameters: HyperParams,
    /// Where artifacts go.
    pub output: Output,
    /// Continue from an earlier adapter: LoRA starts from its weights
    /// instead of PEFT's initialisation. Its rank and target modules must be
    /// the hyperparameters' own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_adapter: Option<InitAdapter>,
    /// Where `run` reports progress while it trains (for schedulers such as
    /// Ray, whose own status knows nothing of steps and losses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// What the job asks of the scheduler: GPU type and count (`cpu` for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuRequest>,
    /// Who the job is for, for the scheduler's bookkeeping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuRequest {
    /// A GPU catalog id (`a100-80gb`, `t4` …) or `cpu`.
    pub gpu_type: String,
    pub count: u32,
}

/// Signed URLs the trainer PUTs its progress to, every few seconds and at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The job's view (`serve::JobView` as JSON): status, progress, latest
    /// metrics, the error of a failed run.
    pub status: String,
    /// `metrics.jsonl` so far: one `StepMetrics` per line.
    pub metrics: String,
}

/// An adapter's two files, each a local path or an http(s) URL (e.g. signed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitAdapter {
    /// `adapter_config.json`.
    pub config: String,
    /// `adapter_model.safetensors`.
    pub weights: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Output {
    /// A local folder: the adapter, checkpoints, metrics and status.
    Folder(String),
    /// Signed URLs to PUT each artifact to, by file name
    /// (`adapter_config.json`, `adapter_model.safetensors`,
    /// `training_args.json`, `metrics.jsonl`); work files stay in `work_dir`.
    Upload {
        urls: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        work_dir: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    Linear,
    Cosine,
    Constant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HyperParams {
    pub epochs: u32,
    /// Stop after this many optimizer steps (0 = run all epochs).
    pub max_steps: u64,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub gradient_accumulation: usize,
    pub max_seq_len: usize,
    pub lora_r: usize,
    pub lora_alpha: f64,
    pub lora_dropout: f32,
    pub target_modules: Vec<String>,
    pub weight_decay: f64,
    pub max_grad_norm: f64,
    pub warmup_steps: u64,
    pub schedule: Schedule,
    pub seed: u64,
    /// Share of examples held out for validation loss (0 = none).
    pub validation_split: f64,
    /// Validation loss every N optimizer steps (0 = each epoch's end only).
    pub eval_every: u64,
    /// Checkpoint every N optimizer steps (0 = none).
    pub checkpoint_every: u64,
    /// Stop when validation loss has not improved this many evaluations (0 = never).
    pub early_stopping_patience: u32,
    /// Memory the run may use, in MiB (0 = the machine's available memory).
    pub memory_limit_mb: u64,
}

impl Default for HyperParams {
    fn default() -> Self {
        Self {
            epochs: 1,
            max_steps: 0,
            learning_rate: 2e-4,
            batch_size: 4,
            gradient_accumulation: 1,
            max_seq_len: 256,
            lora_r: 16,
            lora_alpha: 32.0,
            lora_dropout: 0.05,
            target_modules: vec!["q_proj".into(), "v_proj".into()],
            weight_decay: 0.0,
            max_grad_norm: 1.0,
            warmup_steps: 0,
            schedule: Schedule::Linear,
            seed: 42,
            validation_split: 0.0,
            eval_every: 0,
            checkpoint_every: 0,
            early_stopping_patience: 0,
            memory_limit_mb: 0,
        }
    }
}

impl JobSpec {
    /// Reads a spec, naming the field that is wrong.
    pub fn from_json(text: &str) -> Result<Self> {
        let spec: Self = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let field = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.contains("field"))
                .unwrap_or("spec")
                .to_string();
            TrainerError::Spec {
                field,
                message: format!("is wrong: {msg}"),
            }
        })?;
        spec.check()?;
        Ok(spec)
    }

    pub fn check(&self) -> Result<()> {
        let h = &self.hyperparameters;
        // The ranges are the domain crate's one table, which the configure
        // page and the API check too.
        let mut ranged = vec![
            ("learning_rate", h.learning_rate),
            ("batch_size", h.batch_size as f64),
            ("gradient_accumulation", h.gradient_accumulation as f64),
            ("lora_r", h.lora_r as f64),
            ("lora_alpha", h.lora_alpha),
            ("lora_dropout", h.lora_dropout as f64),
            ("max_seq_len", h.max_seq_len as f64),
            ("validation_split", h.validation_split),
        ];
        if h.max_steps == 0 || h.epochs > 0 {
            ranged.push(("epochs", h.epochs as f64));
        }
        for (field, value) in ranged {
            let range = FieldRange::get(field).expect("every ranged field is in RANGES");
            if let Some(message) = range.check(value) {
                return Err(TrainerError::spec(
                    &format!("hyperparameters.{field}"),
                    message,
                ));
            }
        }
        if h.target_modules.is_empty() {
            return Err(TrainerError::spec(
                "hyperparameters.target_modules",
                "must name at least one projection",
            ));
        }
        if self.job_id.trim().is_empty() {
            return Err(TrainerError::spec("job_id", "must not be empty"));
        }
        if self.base_model.trim().is_empty() {
            return Err(TrainerError::spec("base_model", "must not be empty"));
        }
        if let Some(init) = &self.init_adapter {
            if init.config.trim().is_empty() {
                return Err(TrainerError::spec(
                    "init_adapter.config",
                    "must not be empty",
                ));
            }
            if init.weights.trim().is_empty() {
                return Err(TrainerError::spec(
                    "init_adapter.weights",
                    "must not be empty",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_spec_names_the_field() {
        let e = JobSpec::from_json(r#"{"job_id":"j","base_model":"tiny-llama","dataset":"d.jsonl","output":{"folder":"o"},"hyperparameters":{"lora_rank":8}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lora_rank"), "{e}");
        let e = JobSpec::from_json(r#"{"job_id":"j","base_model":"tiny-llama","dataset":"d.jsonl","output":{"folder":"o"},"hyperparameters":{"batch_size":0}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("hyperparameters.batch_size"), "{e}");
        let e = JobSpec::from_json(r#"{"job_id":"j","dataset":"d","output":{"folder":"o"}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("base_model"), "{e}");
    }
}
