//! One training run as a [`Trainer`]: `new` prepares it (data, device and
//! dtype, model, LoRA, optimizer, a checkpoint to resume), `step` takes one
//! optimizer step, `evaluate` measures validation loss, `checkpoint` saves
//! what resumes the run, and `finish` writes the adapter. [`train`] drives
//! it with validation, early stopping, progress events and cancellation.
//!
//! Everything random is derived from the seed and the step (LoRA init,
//! data order per epoch, dropout per step), so a run resumed from a
//! checkpoint continues exactly the curve of the uninterrupted run.

mod checkpoint;
mod data;
mod fetch;
mod samples;

pub use brightrun::cluster::{Evaluation, StepMetrics};
pub use data::evaluate;
pub use fetch::{fetch_adapter, run_job};

use crate::adapter;
use crate::chat::{ChatTokenizer, Encoded};
use crate::device::{self, Resolved};
use crate::error::{Result, TrainerError};
use crate::model::{Llama, LoraShape, folder};
use crate::optim::{self, AdamW};
use crate::rng::TrainRng;
use crate::schedule;
use crate::spec::{HyperParams, JobSpec};
use brightrun::cluster::{BaseDtype, DeviceInfo};
use brightrun::training::keep::{self, KeepAdapter};
use brightrun::training::steps::RunSteps;
use candle_core::{DType, Tensor, Var};
use checkpoint::CheckpointState;
use serde::{Deserialize, Serialize};
use std::io::Write;
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

/// A loss above this (or not finite) ends the run as diverged.
const EXPLODED_LOSS: f64 = 1e4;

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
    /// Prepares a run: cheap checks first (the dataset, the model's
    /// config, the device, the memory), then the weights. A checkpoint
    /// already in `work_dir` is resumed.
    pub fn new(spec: &JobSpec, work_dir: &Path) -> Result<Self> {
        spec.check()?;
        std::fs::create_dir_all(work_dir).map_err(|e| TrainerError::io(work_dir.display(), e))?;
        let h = &spec.hyperparameters;
        let examples = read_examples(&spec.dataset)?;
        let config = folder::config_of(&spec.base_model)?;
        // Longer rows than the model has positions would fail mid-run, on
        // the first example that long: refuse them now.
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
        let placed = device::resolve(spec.device, spec.dtype, device::detected())?;
        let checkpointing = brightrun::cluster::checkpointing_on(
            h.gradient_checkpointing,
            config.parameter_count() as u64,
        );
        let memory_estimate = crate::memory::check(&config, h, &placed, checkpointing)?;
        let base = folder::load(&spec.base_model, &placed.device, candle_dtype(placed.dtype))?;
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
        let train_set: Vec<Encoded> = train.into_iter().map(|(e, _)| e).collect();
        let (val_set, val_examples): (Vec<Encoded>, Vec<_>) = val.into_iter().unzip();
        let sample_prompts = samples::pick(
            &base.chat,
            val_examples,
            h.eval_samples,
            h.max_seq_len,
            &base.model,
        );
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
            batches_per_epoch: train_set.len().div_ceil(h.batch_size) as u64,
            spec: spec.clone(),
            model,
            named,
            vars,
            opt,
            train_set,
            val_set,
            sample_prompts,
            chat: base.chat,
            steps,
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
            truncated,
            best: None,
            base_name: base.name,
            adapter_dir: match &spec.output {
                crate::spec::Output::Folder(f) => PathBuf::from(f),
                crate::spec::Output::Upload { .. } => work_dir.join("adapter"),
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

    /// The batch of micro-batch `global` (counted over the whole run).
    fn micro_batch(&mut self, global: u64) -> Vec<usize> {
        let (seed, batch) = (self.h().seed, self.h().batch_size);
        let epoch = global / self.batches_per_epoch;
        if self.order_cache.as_ref().map(|(e, _)| *e) != Some(epoch) {
            self.order_cache = Some((epoch, data::order(self.train_set.len(), seed, epoch)));
        }
        let perm = &self.order_cache.as_ref().expect("order").1;
        let at = (global % self.batches_per_epoch) as usize * batch;
        perm[at..(at + batch).min(perm.len())].to_vec()
    }

    /// One optimizer step: every micro-batch's loss and gradients, clipped,
    /// then AdamW at the schedule's learning rate.
    pub fn step(&mut self) -> Result<StepResult> {
        let accumulation = self.h().gradient_accumulation as u64;
        let mut dropout = TrainRng::derive(self.h().seed, &format!("dropout-{}", self.state.step));
        let mut sum: Option<Vec<Tensor>> = None;
        let (mut loss_sum, mut tokens, mut padded) = (0.0, 0usize, 0usize);
        for micro in 0..accumulation {
            let picked = self.micro_batch(self.state.step * accumulation + micro);
            let batch: Vec<&Encoded> = picked.iter().map(|&i| &self.train_set[i]).collect();
            let (batch, n_tokens) = data::collate(&batch, self.pack(), &self.placed.device)?;
            tokens += n_tokens;
            padded += batch.labels.len();
            let out = self.model.loss_and_grads(
                &batch,
                Some(&mut dropout),
                &self.vars,
                1.0 / accumulation as f64,
                self.checkpointing,
            )?;
            loss_sum += out.loss;
            sum = Some(match sum {
                None => out.grads,
                Some(acc) => acc
                    .iter()
                    .zip(&out.grads)
                    .map(|(a, g)| a + g)
                    .collect::<candle_core::Result<_>>()?,
            });
        }
        let mut grads = sum.expect("at least one micro-batch");
        let train_loss = loss_sum / accumulation as f64;
        let grad_norm = optim::global_norm(&grads)?;
        let h = self.h();
        if !train_loss.is_finite() || train_loss > EXPLODED_LOSS || !grad_norm.is_finite() {
            return Err(TrainerError::Diverged(format!(
                "at step {} the loss was {train_loss} (gradient norm {grad_norm}); lower the learning rate ({}) or raise warmup_steps",
                self.state.step + 1,
                h.learning_rate
            )));
        }
        if h.max_grad_norm > 0.0 && grad_norm > h.max_grad_norm {
            let scale = h.max_grad_norm / (grad_norm + 1e-6);
            grads = grads
                .iter()
                .map(|g| g * scale)
                .collect::<candle_core::Result<_>>()?;
        }
        let lr = schedule::learning_rate(
            h.schedule,
            h.learning_rate,
            self.state.step,
            h.warmup_steps,
            self.steps.total_steps,
        );
        self.opt.step(&self.vars, &grads, lr)?;
        self.state.step += 1;
        self.state.optimizer_t = self.opt.t;
        Ok(StepResult {
            train_loss,
            grad_norm,
            learning_rate: lr,
            tokens,
            padded,
        })
    }

    /// Validation loss now and the model's answers to the held-out sample
    /// prompts. The loss is recorded for early stopping and the best so
    /// far, except before training (step 0), which is only the "before".
    pub fn evaluate(&mut self) -> Result<Evaluation> {
        let v = data::evaluate(
            &self.model,
            &self.val_set,
            self.h().batch_size,
            self.pack(),
            &self.placed.device,
        )?;
        let step = self.state.step;
        if step > 0 {
            self.record_loss(v)?;
        }
        Ok(Evaluation {
            step,
            val_loss: v,
            samples: samples::answer(&self.model, &self.chat, &self.sample_prompts)?,
        })
    }

    /// Counts an evaluation toward early stopping, and snapshots the
    /// weights when it is the best so far and the job keeps the best.
    fn record_loss(&mut self, v: f64) -> Result<()> {
        let best = self.state.best_val_loss;
        if keep::resets_patience(best, v) {
            self.state.evals_without_improvement = 0;
        } else {
            self.state.evals_without_improvement += 1;
        }
        if keep::is_best(best, v) {
            self.state.best_val_loss = Some(v);
            self.state.best_step = self.state.step;
            if self.h().keep_adapter == KeepAdapter::Best {
                self.best = Some(self.lora_tensors(true)?);
            }
        }
        Ok(())
    }

    /// The LoRA weights by name; `copy`: in storage of their own, so later
    /// steps leave them as they are.
    fn lora_tensors(&self, copy: bool) -> Result<Vec<(String, Tensor)>> {
        self.named
            .iter()
            .map(|(k, v)| {
                let t = v.as_tensor();
                Ok((k.clone(), if copy { t.copy()? } else { t.clone() }))
            })
            .collect()
    }

    /// The evaluation before the first step: the base model's validation
    /// loss and answers. None when there is no validation set, or the run
    /// resumes past step 0.
    fn evaluate_before(&mut self) -> Result<Option<Evaluation>> {
        if self.val_set.is_empty() || self.state.step > 0 {
            return Ok(None);
        }
        self.evaluate().map(Some)
    }

    /// The row length batches are packed to, when the run packs.
    fn pack(&self) -> Option<usize> {
        let h = self.h();
        brightrun::cluster::packing_on(h.packing, h.batch_size).then_some(h.max_seq_len)
    }

    /// Whether validation is due after the step just taken.
    fn eval_due(&self) -> bool {
        let (h, step) = (self.h(), self.state.step);
        !self.val_set.is_empty()
            && ((h.eval_every > 0 && step.is_multiple_of(h.eval_every))
                || (h.eval_every == 0 && step.is_multiple_of(self.steps.steps_per_epoch))
                || step == self.steps.total_steps)
    }

    fn patience_out(&self) -> bool {
        let patience = self.h().early_stopping_patience;
        patience > 0 && self.state.evals_without_improvement >= patience
    }

    fn checkpoint_due(&self) -> bool {
        let every = self.h().checkpoint_every;
        every > 0 && self.state.step.is_multiple_of(every) && !self.done()
    }

    /// Saves what resumes the run at this step; `elapsed_s` is the run's
    /// time so far (earlier sessions included).
    pub fn checkpoint(&self, elapsed_s: f64) -> Result<()> {
        let mut s = self.state.clone();
        s.elapsed_s = elapsed_s;
        checkpoint::save_checkpoint(
            &self.checkpoints,
            &s,
            &self.named,
            &self.opt,
            self.best.as_deref(),
        )
    }

    /// Writes the adapter (PEFT layout), `training_args.json` and the
    /// metrics beside it.
    pub fn finish(self, final_loss: f64, stopped_early: bool) -> Result<TrainOutcome> {
        let h = self.h();
        let (adapter_step, tensors) = match &self.best {
            Some(best) if h.keep_adapter == KeepAdapter::Best => {
                (self.state.best_step, best.clone())
            }
            _ => (self.state.step, self.lora_tensors(false)?),
        };
        // target_modules under the architecture's own names (Phi-3's
        // qkv_proj and gate_up_proj), as PEFT finds the modules.
        let written = HyperParams {
            target_modules: self.model.peft_targets(&h.target_modules)?,
            ..h.clone()
        };
        adapter::write(&self.adapter_dir, &self.base_name, &written, &tensors)?;
        let peak_rss_bytes = crate::memory::peak_rss();
        let args = serde_json::json!({
            "base_model": self.spec.base_model,
            "hyperparameters": h,
            "total_steps": self.steps.total_steps,
            "steps": self.state.step,
            "epochs_run": self.state.step as f64 / self.steps.steps_per_epoch as f64,
            "train_examples": self.train_set.len(),
            "validation_examples": self.val_set.len(),
            "truncated_examples": self.truncated,
            "stopped_early": stopped_early,
            "keep_adapter": h.keep_adapter,
            "adapter_step": adapter_step,
            "best_val_loss": self.state.best_val_loss,
            "device": self.placed.info,
            "dtype": self.placed.dtype,
            "gradient_checkpointing": self.checkpointing,
            "peak_rss_bytes": peak_rss_bytes,
            "memory_estimate": self.memory_estimate,
            "memory_estimate_bytes": self.memory_estimate.total(),
        });
        let dir = &self.adapter_dir;
        std::fs::write(
            dir.join("training_args.json"),
            serde_json::to_string_pretty(&args).expect("json"),
        )
        .map_err(|e| TrainerError::io(dir.display(), e))?;
        if self.metrics_path != dir.join("metrics.jsonl") {
            std::fs::copy(&self.metrics_path, dir.join("metrics.jsonl"))
                .map_err(|e| TrainerError::io(dir.display(), e))?;
        }
        Ok(TrainOutcome {
            adapter_dir: self.adapter_dir,
            steps: self.state.step,
            final_loss,
            best_val_loss: self.state.best_val_loss,
            adapter_step,
            stopped_early,
            device: self.placed.info,
            peak_rss_bytes,
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
    examples: Vec<brightrun::datasets::TrainingExample>,
    max_len: usize,
    what: &str,
) -> Result<Vec<(Encoded, brightrun::datasets::TrainingExample)>> {
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

fn read_examples(path: &str) -> Result<Vec<brightrun::datasets::TrainingExample>> {
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
    let metrics_path = trainer.metrics_path.clone();
    let mut metrics_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&metrics_path)
        .map_err(|e| TrainerError::io(metrics_path.display(), e))?;
    let started = Instant::now();
    let resumed_at = trainer.state.step;
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
        let elapsed = trainer.state.elapsed_s + started.elapsed().as_secs_f64();
        let per_step =
            started.elapsed().as_secs_f64() / (trainer.state.step - resumed_at).max(1) as f64;
        let metrics = StepMetrics {
            step: trainer.state.step,
            total_steps: trainer.steps.total_steps,
            epoch: round4(trainer.state.step as f64 / trainer.steps.steps_per_epoch as f64),
            train_loss: r.train_loss,
            learning_rate: r.learning_rate,
            grad_norm: r.grad_norm,
            tokens_per_second: r.tokens as f64 / step_start.elapsed().as_secs_f64().max(1e-9),
            elapsed_s: elapsed,
            eta_s: per_step * (trainer.steps.total_steps - trainer.state.step) as f64,
            val_loss,
            evaluations: std::mem::take(&mut evaluations),
        };
        writeln!(
            metrics_file,
            "{}",
            serde_json::to_string(&metrics).expect("json")
        )
        .map_err(|e| TrainerError::io(metrics_path.display(), e))?;
        on_event(&Event::Step(metrics));
        if trainer.patience_out() {
            on_event(&Event::Log {
                message: format!(
                    "stopping early at step {}: validation loss has not improved for {} evaluations",
                    trainer.state.step,
                    trainer.h().early_stopping_patience
                ),
            });
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
    drop(metrics_file);
    trainer.finish(last_loss, stopped_early)
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
