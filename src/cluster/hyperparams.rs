//! A job's hyperparameters as the trainer receives them (`hyperparameters`
//! of a job spec), the projections LoRA may target, and when gradient
//! checkpointing is on by default.

use crate::training::Scheduler;
use serde::{Deserialize, Serialize};

/// The projections of a Llama-family decoder layer LoRA may target, in the
/// layer's order; the names PEFT and the checkpoints use.
pub const TARGET_MODULES: [&str; 7] = [
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
];

/// From this many parameters a run checkpoints its decoder layers unless
/// the job says otherwise: below it the activations are small next to the
/// weights, above it they are what runs out of memory.
pub const CHECKPOINTING_FROM_PARAMETERS: u64 = 1_000_000_000;

/// Whether a run keeps only each decoder layer's input and recomputes the
/// rest in the backward pass: the job's setting, or on from
/// [`CHECKPOINTING_FROM_PARAMETERS`].
pub fn checkpointing_on(setting: Option<bool>, parameters: u64) -> bool {
    setting.unwrap_or(parameters >= CHECKPOINTING_FROM_PARAMETERS)
}

/// Whether a run packs several examples into a row: the job's setting, or
/// on whenever a micro-batch holds more than one example (with one there
/// is no padding to save).
pub fn packing_on(setting: Option<bool>, batch_size: usize) -> bool {
    setting.unwrap_or(batch_size > 1)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HyperParams {
    pub epochs: u32,
    /// A cap on the optimizer steps (0 = none; with `epochs` 0, exactly
    /// this many). [`crate::training::steps::plan`] counts them.
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
    pub schedule: Scheduler,
    pub seed: u64,
    /// Share of examples held out for validation loss (0 = none).
    pub validation_split: f64,
    /// Validation loss every N optimizer steps (0 = each epoch's end only).
    pub eval_every: u64,
    /// Held-out validation prompts answered (greedy) at each evaluation,
    /// the first before training (0 = none).
    pub eval_samples: usize,
    /// Checkpoint every N optimizer steps (0 = none).
    pub checkpoint_every: u64,
    /// Stop when validation loss has not improved this many evaluations (0 = never).
    pub early_stopping_patience: u32,
    /// The adapter written at the end: the best evaluation's or the last step's.
    pub keep_adapter: crate::training::KeepAdapter,
    /// Memory the run may use, in MiB (0 = the machine's available memory).
    pub memory_limit_mb: u64,
    /// Recompute each decoder layer in the backward pass instead of keeping
    /// its activations; `None`: [`checkpointing_on`] decides by model size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gradient_checkpointing: Option<bool>,
    /// Pack a micro-batch's examples into rows of up to `max_seq_len`
    /// tokens, each example attending only to itself; `None`:
    /// [`packing_on`] decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packing: Option<bool>,
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
            schedule: Scheduler::Linear,
            seed: 42,
            validation_split: 0.0,
            eval_every: 0,
            eval_samples: 3,
            checkpoint_every: 0,
            early_stopping_patience: 0,
            keep_adapter: crate::training::KeepAdapter::Best,
            memory_limit_mb: 0,
            gradient_checkpointing: None,
            packing: None,
        }
    }
}

impl HyperParams {
    /// The run's steps over `examples` examples (before the validation split).
    pub fn steps(&self, examples: u64) -> crate::training::steps::RunSteps {
        crate::training::steps::plan(
            examples,
            self.validation_split,
            self.batch_size as u64,
            self.gradient_accumulation as u64,
            u64::from(self.epochs),
            self.max_steps,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpointing_is_on_from_one_billion_parameters_unless_set() {
        assert!(!checkpointing_on(None, 999_999_999));
        assert!(checkpointing_on(None, CHECKPOINTING_FROM_PARAMETERS));
        assert!(checkpointing_on(Some(true), 1_000));
        assert!(!checkpointing_on(Some(false), 8_000_000_000));
    }

    #[test]
    fn old_hyperparameters_read_and_write_as_before() {
        let h: HyperParams = serde_json::from_str(r#"{"schedule":"cosine","lora_r":8}"#).unwrap();
        assert_eq!(h.schedule, Scheduler::Cosine);
        assert_eq!(h.gradient_checkpointing, None);
        let json = serde_json::to_value(&h).unwrap();
        assert!(json.get("gradient_checkpointing").is_none(), "{json}");
        assert_eq!(json["schedule"], "cosine");
        let on: HyperParams = serde_json::from_str(r#"{"gradient_checkpointing":true}"#).unwrap();
        assert_eq!(on.gradient_checkpointing, Some(true));
    }
}
