//! The hyperparameters a user sets for a run, and [`RANGES`]: every numeric
//! field's bounds in one table, checked the same way in the browser, by the
//! API and by the trainer.

use super::steps::{self, RunSteps};
use crate::cluster::BaseDtype;
use serde::{Deserialize, Serialize};

/// The LoRA target modules a user may pick, in the model's layer order:
/// the cluster contract's one list.
pub use crate::cluster::TARGET_MODULES;

/// The learning-rate schedule after warmup. The trainer's spec carries this
/// same type (`hyperparameters.schedule`), so the names cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scheduler {
    Cosine,
    Linear,
    Constant,
}

impl Scheduler {
    pub const ALL: &'static [Scheduler] = &[Self::Cosine, Self::Linear, Self::Constant];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cosine => "cosine",
            Self::Linear => "linear",
            Self::Constant => "constant",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

/// A run's hyperparameters as the user chose them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct TrainingConfig {
    pub learning_rate: f64,
    pub batch_size: u32,
    pub gradient_accumulation: u32,
    pub epochs: u32,
    pub lora_r: u32,
    pub lora_alpha: u32,
    pub lora_dropout: f64,
    pub target_modules: Vec<String>,
    /// Share of the optimizer steps spent warming up the learning rate.
    pub warmup_ratio: f64,
    pub scheduler: Scheduler,
    pub max_seq_len: u32,
    /// Share of the examples held out for validation loss.
    pub validation_split: f64,
    /// Validation loss every this many optimizer steps.
    pub eval_interval: u32,
    /// Held-out prompts the model answers at each evaluation (0: none).
    pub eval_samples: u32,
    /// Stop once this many evaluations in a row have not improved the
    /// validation loss (0: never stop early).
    pub early_stopping_patience: u32,
    /// The adapter kept at the end: the best validation loss's or the last.
    pub keep_adapter: super::KeepAdapter,
    pub seed: u64,
    /// Stop after this many optimizer steps (0: run every epoch).
    pub max_steps: u32,
    /// The base weights' precision; `None`: the device's default (bf16 on
    /// a GPU that has it, f16 on one that does not, f32 on the CPU).
    pub dtype: Option<BaseDtype>,
    /// Recompute each decoder layer's activations in the backward pass
    /// instead of keeping them; `None`: on from 1B parameters.
    pub gradient_checkpointing: Option<bool>,
    /// Pack several examples into one row instead of padding each to the
    /// longest in its batch; `None`: on when the batch size is above 1.
    pub packing: Option<bool>,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        super::Preset::Balanced.config()
    }
}

/// One numeric field's bounds and how the page labels it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldRange {
    pub field: &'static str,
    pub label: &'static str,
    pub min: f64,
    pub max: f64,
    /// The input's step on the page.
    pub step: f64,
    pub help: &'static str,
}

/// Every numeric field of [`TrainingConfig`], in the order the page shows them.
pub const RANGES: &[FieldRange] = &[
    FieldRange {
        field: "learning_rate",
        label: "Learning rate",
        min: 1e-6,
        max: 1e-2,
        step: 1e-6,
        help: "How far each step moves the adapter.",
    },
    FieldRange {
        field: "batch_size",
        label: "Batch size",
        min: 1.0,
        max: 64.0,
        step: 1.0,
        help: "Examples per forward pass.",
    },
    FieldRange {
        field: "gradient_accumulation",
        label: "Gradient accumulation",
        min: 1.0,
        max: 64.0,
        step: 1.0,
        help: "Batches summed into one optimizer step.",
    },
    FieldRange {
        field: "epochs",
        label: "Epochs",
        min: 1.0,
        max: 50.0,
        step: 1.0,
        help: "Passes over the training examples.",
    },
    FieldRange {
        field: "lora_r",
        label: "LoRA rank",
        min: 1.0,
        max: 256.0,
        step: 1.0,
        help: "Size of the adapter matrices.",
    },
    FieldRange {
        field: "lora_alpha",
        label: "LoRA alpha",
        min: 1.0,
        max: 512.0,
        step: 1.0,
        help: "Scale of the adapter (alpha ÷ rank).",
    },
    FieldRange {
        field: "lora_dropout",
        label: "LoRA dropout",
        min: 0.0,
        max: 0.5,
        step: 0.01,
        help: "Share of adapter inputs dropped while training.",
    },
    FieldRange {
        field: "warmup_ratio",
        label: "Warmup",
        min: 0.0,
        max: 0.5,
        step: 0.01,
        help: "Share of steps the learning rate ramps up over.",
    },
    FieldRange {
        field: "max_seq_len",
        label: "Max sequence length",
        min: 32.0,
        max: 8192.0,
        step: 1.0,
        help: "Longer examples are cut from the start.",
    },
    FieldRange {
        field: "validation_split",
        label: "Validation split",
        min: 0.0,
        max: 0.4,
        step: 0.01,
        help: "Share of examples held out to measure validation loss.",
    },
    FieldRange {
        field: "eval_interval",
        label: "Eval interval",
        min: 1.0,
        max: 10_000.0,
        step: 1.0,
        help: "Optimizer steps between validation losses.",
    },
    FieldRange {
        field: "eval_samples",
        label: "Samples per evaluation",
        min: 0.0,
        max: crate::cluster::MAX_SAMPLES as f64,
        step: 1.0,
        help: "Held-out prompts the model answers at each evaluation, to read beside their reference.",
    },
    FieldRange {
        field: "early_stopping_patience",
        label: "Early stopping patience",
        min: 0.0,
        max: 100.0,
        step: 1.0,
        help: "Stop after this many evaluations without a better validation loss (0: never).",
    },
    FieldRange {
        field: "seed",
        label: "Seed",
        min: 0.0,
        max: 4_294_967_295.0,
        step: 1.0,
        help: "The same seed gives the same run.",
    },
    FieldRange {
        field: "max_steps",
        label: "Max steps",
        min: 0.0,
        max: 1_000_000.0,
        step: 1.0,
        help: "Stop after this many steps (0: every epoch).",
    },
];

/// A field outside its range, or otherwise wrong, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldRange {
    pub fn get(field: &str) -> Option<&'static FieldRange> {
        RANGES.iter().find(|r| r.field == field)
    }

    /// `None` when `value` is inside; otherwise the message naming the range.
    pub fn check(&self, value: f64) -> Option<String> {
        if value.is_finite() && value >= self.min && value <= self.max {
            return None;
        }
        Some(format!(
            "{} must be between {} and {}.",
            self.label,
            format_bound(self.min),
            format_bound(self.max)
        ))
    }
}

fn format_bound(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

impl TrainingConfig {
    /// The config as it runs when a separate file validates: no share of
    /// the training file is held out.
    pub fn with_validation_file(mut self, file: bool) -> Self {
        if file {
            self.validation_split = 0.0;
        }
        self
    }

    /// The value of a numeric field by its name in [`RANGES`].
    pub fn value(&self, field: &str) -> Option<f64> {
        Some(match field {
            "learning_rate" => self.learning_rate,
            "batch_size" => self.batch_size as f64,
            "gradient_accumulation" => self.gradient_accumulation as f64,
            "epochs" => self.epochs as f64,
            "lora_r" => self.lora_r as f64,
            "lora_alpha" => self.lora_alpha as f64,
            "lora_dropout" => self.lora_dropout,
            "warmup_ratio" => self.warmup_ratio,
            "max_seq_len" => self.max_seq_len as f64,
            "validation_split" => self.validation_split,
            "eval_interval" => self.eval_interval as f64,
            "eval_samples" => self.eval_samples as f64,
            "early_stopping_patience" => self.early_stopping_patience as f64,
            "seed" => self.seed as f64,
            "max_steps" => self.max_steps as f64,
            _ => return None,
        })
    }

    /// Sets a numeric field from the page's text; `false` when it does not parse.
    pub fn set(&mut self, field: &str, text: &str) -> bool {
        let Ok(v) = text.trim().parse::<f64>() else {
            return false;
        };
        let whole = |v: f64| (v >= 0.0 && v.fract() == 0.0).then_some(v);
        match field {
            "learning_rate" => self.learning_rate = v,
            "lora_dropout" => self.lora_dropout = v,
            "warmup_ratio" => self.warmup_ratio = v,
            "validation_split" => self.validation_split = v,
            _ => {
                let Some(n) = whole(v) else { return false };
                match field {
                    "batch_size" => self.batch_size = n.min(u32::MAX as f64) as u32,
                    "gradient_accumulation" => {
                        self.gradient_accumulation = n.min(u32::MAX as f64) as u32
                    }
                    "epochs" => self.epochs = n.min(u32::MAX as f64) as u32,
                    "lora_r" => self.lora_r = n.min(u32::MAX as f64) as u32,
                    "lora_alpha" => self.lora_alpha = n.min(u32::MAX as f64) as u32,
                    "max_seq_len" => self.max_seq_len = n.min(u32::MAX as f64) as u32,
                    "eval_interval" => self.eval_interval = n.min(u32::MAX as f64) as u32,
                    "eval_samples" => self.eval_samples = n.min(u32::MAX as f64) as u32,
                    "early_stopping_patience" => {
                        self.early_stopping_patience = n.min(u32::MAX as f64) as u32
                    }
                    "seed" => self.seed = n as u64,
                    "max_steps" => self.max_steps = n.min(u32::MAX as f64) as u32,
                    _ => return false,
                }
            }
        }
        true
    }

    /// Every field that breaks a rule, each with its message; empty when the
    /// config can run.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> = RANGES
            .iter()
            .filter_map(|r| {
                let v = self.value(r.field)?;
                r.check(v).map(|message| FieldError {
                    field: r.field.to_string(),
                    message,
                })
            })
            .collect();
        if self.target_modules.is_empty() {
            errors.push(FieldError {
                field: "target_modules".into(),
                message: "Pick at least one target module (q_proj and v_proj are the usual start)."
                    .into(),
            });
        }
        for m in &self.target_modules {
            if !TARGET_MODULES.contains(&m.as_str()) {
                errors.push(FieldError {
                    field: "target_modules".into(),
                    message: format!(
                        "Unknown target module '{m}'; use {}.",
                        TARGET_MODULES.join(", ")
                    ),
                });
            }
        }
        errors
    }

    /// The error of one field, for showing beside its input.
    pub fn error_of(&self, field: &str) -> Option<String> {
        self.check()
            .into_iter()
            .find(|e| e.field == field)
            .map(|e| e.message)
    }

    /// Examples per optimizer step.
    pub fn effective_batch(&self) -> u64 {
        self.batch_size.max(1) as u64 * self.gradient_accumulation.max(1) as u64
    }

    /// The run's steps over `examples` trainable examples (before the
    /// validation split is taken out): [`steps::plan`], as the trainer counts them.
    pub fn steps(&self, examples: u64) -> RunSteps {
        steps::plan(
            examples,
            self.validation_split,
            self.batch_size as u64,
            self.gradient_accumulation as u64,
            self.epochs as u64,
            self.max_steps as u64,
        )
    }

    /// Optimizer steps for `examples` trainable examples.
    pub fn total_steps(&self, examples: u64) -> u64 {
        self.steps(examples).total_steps
    }

    /// The examples left for training once the validation share is held out.
    pub fn training_examples(&self, examples: u64) -> u64 {
        self.steps(examples).train_examples
    }

    /// Warmup in optimizer steps.
    pub fn warmup_steps(&self, total_steps: u64) -> u64 {
        (total_steps as f64 * self.warmup_ratio).ceil() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_range_field_has_a_value_and_the_defaults_pass() {
        let c = TrainingConfig::default();
        for r in RANGES {
            assert!(c.value(r.field).is_some(), "{}", r.field);
        }
        assert_eq!(c.check(), vec![]);
    }

    #[test]
    fn out_of_range_values_are_named_with_their_bounds() {
        let c = TrainingConfig {
            learning_rate: 0.5,
            batch_size: 0,
            epochs: 51,
            lora_r: 300,
            target_modules: vec!["attn".into()],
            ..TrainingConfig::default()
        };
        let errors = c.check();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "learning_rate",
                "batch_size",
                "epochs",
                "lora_r",
                "target_modules"
            ]
        );
        assert_eq!(
            errors[0].message,
            "Learning rate must be between 1e-6 and 0.01."
        );
        assert_eq!(errors[1].message, "Batch size must be between 1 and 64.");
        assert!(errors[4].message.contains("'attn'"));
        assert_eq!(
            c.error_of("lora_r").unwrap(),
            "LoRA rank must be between 1 and 256."
        );
    }

    #[test]
    fn set_parses_the_page_text_and_refuses_fractions_for_counts() {
        let mut c = TrainingConfig::default();
        assert!(c.set("learning_rate", "3e-4"));
        assert_eq!(c.learning_rate, 3e-4);
        assert!(c.set("batch_size", " 16 "));
        assert_eq!(c.batch_size, 16);
        assert!(!c.set("batch_size", "2.5"));
        assert!(!c.set("epochs", "many"));
        assert_eq!(c.batch_size, 16);
        assert_eq!(c.eval_samples, 3, "three samples by default");
        assert!(c.set("eval_samples", "11"));
        assert_eq!(
            c.error_of("eval_samples").unwrap(),
            "Samples per evaluation must be between 0 and 10."
        );
        assert!(c.set("eval_samples", "0"));
        assert_eq!(c.check(), vec![]);
    }

    #[test]
    fn steps_follow_examples_batch_accumulation_epochs_and_the_cap() {
        let mut c = TrainingConfig {
            batch_size: 4,
            gradient_accumulation: 2,
            epochs: 3,
            validation_split: 0.0,
            max_steps: 0,
            ..TrainingConfig::default()
        };
        // 44 examples, 8 per step: 6 steps an epoch.
        assert_eq!(c.total_steps(44), 18);
        c.validation_split = 0.1;
        // 4 held out: 40 left, 5 steps an epoch.
        assert_eq!(c.training_examples(44), 40);
        assert_eq!(c.total_steps(44), 15);
        c.max_steps = 4;
        assert_eq!(c.total_steps(44), 4);
        c.warmup_ratio = 0.03;
        assert_eq!(c.warmup_steps(100), 3);
        assert_eq!(c.warmup_steps(4), 1);
        // A cap above every epoch's steps is never reached.
        c.max_steps = 60;
        assert_eq!(c.total_steps(44), 15);
    }

    #[test]
    fn a_config_stored_before_dtype_and_checkpointing_still_reads() {
        let mut old = serde_json::to_value(TrainingConfig::default()).unwrap();
        let map = old.as_object_mut().unwrap();
        map.remove("dtype");
        map.remove("gradient_checkpointing");
        let c: TrainingConfig = serde_json::from_value(old).unwrap();
        assert_eq!((c.dtype, c.gradient_checkpointing), (None, None));
        let c: TrainingConfig =
            serde_json::from_str(r#"{"dtype":"bf16","gradient_checkpointing":false}"#).unwrap();
        assert_eq!(c.dtype, Some(BaseDtype::Bf16));
        assert_eq!(c.gradient_checkpointing, Some(false));
        let e = serde_json::from_str::<TrainingConfig>(r#"{"dtype":"fp8"}"#).unwrap_err();
        assert!(e.to_string().contains("bf16"), "{e}");
    }
}
