//! Preparing a run ([`Trainer::new`]): the cheap checks first (the dataset,
//! the model's config against the sequence length, the device, the
//! memory), then the weights, the encoded train and validation sets, LoRA
//! and the optimizer; a checkpoint already in the work folder is resumed,
//! otherwise the run starts fresh (from the job's initial adapter, if any).

use super::checkpoint::{self, CheckpointState};
use super::{Trainer, data, samples};
use crate::chat::{ChatTokenizer, Encoded};
use crate::device;
use crate::error::{Result, TrainerError};
use crate::model::{LoraShape, ModelConfig, folder};
use crate::optim::AdamW;
use crate::rng::TrainRng;
use crate::spec::{HyperParams, JobSpec, Output};
use brightrun::cluster::BaseDtype;
use brightrun::datasets::TrainingExample;
use brightrun::training::steps::RunSteps;
use candle_core::{DType, Var};
use std::path::{Path, PathBuf};

/// The examples a run trains and validates on, encoded.
struct Sets {
    train: Vec<Encoded>,
    val: Vec<Encoded>,
    /// The held-out conversations answered at each evaluation.
    sample_prompts: Vec<samples::SamplePrompt>,
    steps: RunSteps,
    /// Examples cut to the sequence length.
    truncated: usize,
}

impl Trainer {
    /// Prepares a run: cheap checks first (the dataset, the model's
    /// config, the device, the memory), then the weights. A checkpoint
    /// already in `work_dir` is resumed.
    pub fn new(spec: &JobSpec, work_dir: &Path) -> Result<Self> {
        spec.check()?;
        std::fs::create_dir_all(work_dir).map_err(|e| TrainerError::io(work_dir.display(), e))?;
        let h = &spec.hyperparameters;
        let examples = read_examples(&spec.dataset)?;
        let config = folder::config_of(&spec.base_model)?;
        check_positions(h, &config)?;
        let placed = device::resolve(spec.device, spec.dtype, device::detected())?;
        let checkpointing = brightrun::cluster::checkpointing_on(
            h.gradient_checkpointing,
            config.parameter_count() as u64,
        );
        let memory_estimate = crate::memory::check(&config, h, &placed, checkpointing)?;
        let base = folder::load(&spec.base_model, &placed.device, candle_dtype(placed.dtype))?;
        let sets = Sets::encode(spec, &base, examples)?;
        let mut model = base.model;
        let shape = LoraShape {
            r: h.lora_r,
            alpha: h.lora_alpha,
            dropout: h.lora_dropout,
        };
        let named = model.add_lora(
            &h.target_modules,
            shape,
            &mut TrainRng::derive(h.seed, "lora"),
        )?;
        let vars: Vec<Var> = named.iter().map(|(_, v)| v.clone()).collect();
        let opt = AdamW::new(&vars, h.weight_decay)?;
        let mut trainer = Self {
            batches_per_epoch: sets.train.len().div_ceil(h.batch_size) as u64,
            spec: spec.clone(),
            model,
            named,
            vars,
            opt,
            train_set: sets.train,
            val_set: sets.val,
            sample_prompts: sets.sample_prompts,
            chat: base.chat,
            steps: sets.steps,
            state: CheckpointState {
                step: 0,
                optimizer_t: 0,
                best_val_loss: None,
                best_step: 0,
                evals_without_improvement: 0,
                elapsed_s: 0.0,
            },
            placed,
            checkpointing,
            memory_estimate,
            order_cache: None,
            truncated: sets.truncated,
            best: None,
            base_name: base.name,
            adapter_dir: match &spec.output {
                Output::Folder(f) => PathBuf::from(f),
                Output::Upload { .. } => work_dir.join("adapter"),
            },
            checkpoints: work_dir.join("checkpoints"),
            metrics_path: work_dir.join("metrics.jsonl"),
        };
        trainer.resume_or_start()?;
        Ok(trainer)
    }

    fn resume_or_start(&mut self) -> Result<()> {
        if let Some((resumed, best)) =
            checkpoint::restore(&self.checkpoints, &self.named, &mut self.opt)?
        {
            self.state = resumed;
            self.best = best;
            checkpoint::keep_metrics_until(&self.metrics_path, self.state.step)?;
        } else {
            let _ = std::fs::remove_file(&self.metrics_path);
            if let Some(init) = &self.spec.init_adapter {
                // Its targets compare under the architecture's names.
                let h = HyperParams {
                    target_modules: self
                        .model
                        .peft_targets(&self.spec.hyperparameters.target_modules)?,
                    ..self.spec.hyperparameters.clone()
                };
                checkpoint::start_from(init, &h, &self.named)?;
            }
        }
        Ok(())
    }
}

/// Longer rows than the model has positions would fail mid-run, on the
/// first example that long: refuse them now.
fn check_positions(h: &HyperParams, config: &ModelConfig) -> Result<()> {
    let positions = config.positions();
    if h.max_seq_len > positions {
        return Err(TrainerError::spec(
            "hyperparameters.max_seq_len",
            format!(
                "is {}, longer than the model's {positions} positions; use at most {positions}",
                h.max_seq_len
            ),
        ));
    }
    Ok(())
}

impl Sets {
    /// The dataset encoded and split (or the validation file encoded), and
    /// the sample prompts picked from the validation examples.
    fn encode(
        spec: &JobSpec,
        base: &folder::BaseModel,
        examples: Vec<TrainingExample>,
    ) -> Result<Self> {
        let h = &spec.hyperparameters;
        let encoded = encode_examples(&base.chat, examples, h.max_seq_len, "dataset")?;
        let truncated = encoded.iter().filter(|(e, _)| e.truncated > 0).count();
        let steps = h.steps(encoded.len() as u64);
        let (train, val) = match &spec.validation_dataset {
            // The file is the validation set; the split is 0 (spec.check).
            Some(path) => {
                let examples = read_examples(path)?;
                let val =
                    encode_examples(&base.chat, examples, h.max_seq_len, "validation dataset")?;
                (encoded, val)
            }
            None => data::split(encoded, steps.validation_examples as usize, h.seed),
        };
        let train: Vec<Encoded> = train.into_iter().map(|(e, _)| e).collect();
        let (val, val_examples): (Vec<Encoded>, Vec<_>) = val.into_iter().unzip();
        let sample_prompts = samples::pick(
            &base.chat,
            val_examples,
            h.eval_samples,
            h.max_seq_len,
            &base.model,
        );
        Ok(Self {
            train,
            val,
            sample_prompts,
            steps,
            truncated,
        })
    }
}

/// The candle dtype of a base dtype.
pub fn candle_dtype(d: BaseDtype) -> DType {
    match d {
        BaseDtype::Bf16 => DType::BF16,
        BaseDtype::F16 => DType::F16,
        BaseDtype::F32 => DType::F32,
    }
}

/// Each example as tokens beside itself, those with nothing to learn left out.
fn encode_examples(
    chat: &ChatTokenizer,
    examples: Vec<TrainingExample>,
    max_len: usize,
    what: &str,
) -> Result<Vec<(Encoded, TrainingExample)>> {
    let mut encoded = Vec::with_capacity(examples.len());
    for ex in examples {
        encoded.push((chat.encode(&ex, max_len)?, ex));
    }
    encoded.retain(|(e, _)| e.target.iter().any(|t| *t));
    if encoded.is_empty() {
        return Err(TrainerError::Dataset(format!(
            "the {what} has no trainable examples (no pair with a target)"
        )));
    }
    Ok(encoded)
}

fn read_examples(path: &str) -> Result<Vec<TrainingExample>> {
    let bytes = std::fs::read(path)
        .map_err(|e| TrainerError::Dataset(format!("cannot read {path}: {e}")))?;
    brightrun::datasets::training_examples(&bytes).map_err(|report| {
        let first = report
            .errors
            .first()
            .map(|i| format!("{}: {} ({})", i.location(), i.message, i.hint))
            .unwrap_or_default();
        TrainerError::Dataset(format!(
            "the file has {} errors; first: {first}",
            report.error_total()
        ))
    })
}
