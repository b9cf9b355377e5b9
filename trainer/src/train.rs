//! One training run: data, LoRA, AdamW, schedule, validation, early
//! stopping, checkpoints and resume, progress events and cancellation.
//!
//! Everything random is derived from the seed and the step (LoRA init,
//! data order per epoch, dropout per step), so a run resumed from a
//! checkpoint continues exactly the curve of the uninterrupted run.

use crate::adapter;
use crate::chat::Encoded;
use crate::error::{Result, TrainerError};
use crate::model::llama::IGNORE;
use crate::model::{LoraShape, folder};
use crate::optim::{self, AdamW};
use crate::rng::TrainRng;
use crate::schedule;
use crate::spec::JobSpec;
use candle_core::{Device, Tensor, Var};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        total_steps: u64,
        examples: usize,
        validation_examples: usize,
        truncated: usize,
        resumed_from_step: u64,
    },
    Step(StepMetrics),
    Eval {
        step: u64,
        val_loss: f64,
    },
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
    pub stopped_early: bool,
}

/// A loss above this (or not finite) ends the run as diverged.
const EXPLODED_LOSS: f64 = 1e4;

/// What a checkpoint holds besides the tensors.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointState {
    step: u64,
    optimizer_t: u64,
    best_val_loss: Option<f64>,
    evals_without_improvement: u32,
    elapsed_s: f64,
}

/// Fetches the dataset (path or http(s) URL), trains, and delivers the
/// artifacts as the spec says (a folder, or PUTs to signed URLs).
pub fn run_job(
    spec: &JobSpec,
    work_dir: &Path,
    on_event: &mut dyn FnMut(&Event),
    cancel: &AtomicBool,
) -> Result<TrainOutcome> {
    std::fs::create_dir_all(work_dir).map_err(|e| TrainerError::io(work_dir.display(), e))?;
    let mut local = spec.clone();
    if spec.dataset.starts_with("http://") || spec.dataset.starts_with("https://") {
        let path = work_dir.join("dataset");
        if !path.is_file() {
            on_event(&Event::Log {
                message: "downloading the dataset".into(),
            });
            let bytes = crate::transfer::get(&spec.dataset)?;
            std::fs::write(&path, bytes).map_err(|e| TrainerError::io(path.display(), e))?;
        }
        local.dataset = path.display().to_string();
    }
    if let Some(init) = &spec.init_adapter {
        let dir = work_dir.join("init_adapter");
        std::fs::create_dir_all(&dir).map_err(|e| TrainerError::io(dir.display(), e))?;
        let mut fetched = init.clone();
        for (source, file, target) in [
            (
                &init.config,
                crate::adapter::CONFIG_FILE,
                &mut fetched.config,
            ),
            (
                &init.weights,
                crate::adapter::WEIGHTS_FILE,
                &mut fetched.weights,
            ),
        ] {
            if source.starts_with("http://") || source.starts_with("https://") {
                let path = dir.join(file);
                if !path.is_file() {
                    on_event(&Event::Log {
                        message: format!("downloading the parent adapter's {file}"),
                    });
                    let bytes = crate::transfer::get(source)?;
                    std::fs::write(&path, bytes)
                        .map_err(|e| TrainerError::io(path.display(), e))?;
                }
                *target = path.display().to_string();
            }
        }
        local.init_adapter = Some(fetched);
    }
    let outcome = train(&local, work_dir, on_event, cancel)?;
    if let crate::spec::Output::Upload { urls, .. } = &spec.output {
        for (name, url) in urls {
            let path = outcome.adapter_dir.join(name);
            let bytes = std::fs::read(&path).map_err(|_| {
                TrainerError::spec(
                    "output.upload.urls",
                    format!("names `{name}`, which the trainer does not write"),
                )
            })?;
            on_event(&Event::Log {
                message: format!("uploading {name}"),
            });
            crate::transfer::put(url, bytes)?;
        }
    }
    Ok(outcome)
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
    spec.check()?;
    std::fs::create_dir_all(work_dir).map_err(|e| TrainerError::io(work_dir.display(), e))?;
    let h = &spec.hyperparameters;
    let adapter_dir = match &spec.output {
        crate::spec::Output::Folder(f) => PathBuf::from(f),
        crate::spec::Output::Upload { .. } => work_dir.join("adapter"),
    };
    // Cheap checks first: the dataset, the model's config, the memory.
    let bytes = std::fs::read(&spec.dataset)
        .map_err(|e| TrainerError::Dataset(format!("cannot read {}: {e}", spec.dataset)))?;
    let examples = brightrun::datasets::training_examples(&bytes).map_err(|report| {
        let first = report
            .errors
            .first()
            .map(|i| format!("{}: {} ({})", i.location(), i.message, i.hint))
            .unwrap_or_default();
        TrainerError::Dataset(format!(
            "the file has {} errors; first: {first}",
            report.error_total()
        ))
    })?;
    let config = folder::config_of(&spec.base_model)?;
    crate::memory::check(&config, h)?;
    let device = Device::Cpu;
    let base = folder::load(&spec.base_model, &device)?;
    let mut encoded = Vec::with_capacity(examples.len());
    for ex in &examples {
        encoded.push(base.chat.encode(ex, h.max_seq_len)?);
    }
    encoded.retain(|e| e.target.iter().any(|t| *t));
    if encoded.is_empty() {
        return Err(TrainerError::Dataset(
            "the dataset has no trainable examples (no pair with a target)".into(),
        ));
    }
    let truncated = encoded.iter().filter(|e| e.truncated > 0).count();
    let (train_set, val_set) = split(encoded, h.validation_split, h.seed);

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
    let mut opt = AdamW::new(&vars, h.weight_decay)?;

    let batches_per_epoch = train_set.len().div_ceil(h.batch_size) as u64;
    let steps_per_epoch = batches_per_epoch
        .div_ceil(h.gradient_accumulation as u64)
        .max(1);
    let total_steps = if h.max_steps > 0 {
        h.max_steps
    } else {
        steps_per_epoch * u64::from(h.epochs)
    };

    let checkpoints = work_dir.join("checkpoints");
    let metrics_path = work_dir.join("metrics.jsonl");
    let mut state = CheckpointState {
        step: 0,
        optimizer_t: 0,
        best_val_loss: None,
        evals_without_improvement: 0,
        elapsed_s: 0.0,
    };
    if let Some(resumed) = restore(&checkpoints, &named, &mut opt)? {
        state = resumed;
        keep_metrics_until(&metrics_path, state.step)?;
    } else {
        let _ = std::fs::remove_file(&metrics_path);
        if let Some(init) = &spec.init_adapter {
            start_from(init, h, &named)?;
        }
    }
    on_event(&Event::Started {
        total_steps,
        examples: train_set.len(),
        validation_examples: val_set.len(),
        truncated,
        resumed_from_step: state.step,
    });
    let mut metrics_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&metrics_path)
        .map_err(|e| TrainerError::io(metrics_path.display(), e))?;

    let started = Instant::now();
    let mut last_loss = f64::NAN;
    let mut stopped_early = false;
    let mut order_cache: Option<(u64, Vec<usize>)> = None;
    while state.step < total_steps {
        if cancel.load(Ordering::Relaxed) {
            return Err(TrainerError::Cancelled);
        }
        let step_start = Instant::now();
        let mut dropout = TrainRng::derive(h.seed, &format!("dropout-{}", state.step));
        let mut sum: Option<Vec<Tensor>> = None;
        let mut loss_sum = 0.0;
        let mut tokens = 0usize;
        for micro in 0..h.gradient_accumulation as u64 {
            let global = state.step * h.gradient_accumulation as u64 + micro;
            let epoch = global / batches_per_epoch;
            if order_cache.as_ref().map(|(e, _)| *e) != Some(epoch) {
                order_cache = Some((epoch, order(train_set.len(), h.seed, epoch)));
            }
            let perm = &order_cache.as_ref().expect("order").1;
            let at = (global % batches_per_epoch) as usize * h.batch_size;
            let batch: Vec<&Encoded> = perm[at..(at + h.batch_size).min(perm.len())]
                .iter()
                .map(|&i| &train_set[i])
                .collect();
            let (ids, labels, n_tokens) = collate(&batch, &device)?;
            tokens += n_tokens;
            let (loss, _) = model.loss(&ids, &labels, Some(&mut dropout))?;
            let scaled = (loss.clone() / h.gradient_accumulation as f64)?;
            let grads = optim::collect(&scaled.backward()?, &vars)?;
            loss_sum += loss.to_scalar::<f32>()? as f64;
            sum = Some(match sum {
                None => grads,
                Some(acc) => acc
                    .iter()
                    .zip(&grads)
                    .map(|(a, g)| a + g)
                    .collect::<candle_core::Result<_>>()?,
            });
        }
        let mut grads = sum.expect("at least one micro-batch");
        let train_loss = loss_sum / h.gradient_accumulation as f64;
        let grad_norm = optim::global_norm(&grads)?;
        if !train_loss.is_finite() || train_loss > EXPLODED_LOSS || !grad_norm.is_finite() {
            return Err(TrainerError::Diverged(format!(
                "at step {} the loss was {train_loss} (gradient norm {grad_norm}); lower the learning rate ({}) or raise warmup_steps",
                state.step + 1,
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
            state.step,
            h.warmup_steps,
            total_steps,
        );
        opt.step(&vars, &grads, lr)?;
        state.step += 1;
        state.optimizer_t = opt.t;
        last_loss = train_loss;

        let mut val_loss = None;
        let at_epoch_end = state.step.is_multiple_of(steps_per_epoch);
        let eval_now = !val_set.is_empty()
            && ((h.eval_every > 0 && state.step.is_multiple_of(h.eval_every))
                || (h.eval_every == 0 && at_epoch_end)
                || state.step == total_steps);
        if eval_now {
            let v = evaluate(&model, &val_set, h.batch_size, &device)?;
            val_loss = Some(v);
            on_event(&Event::Eval {
                step: state.step,
                val_loss: v,
            });
            if state.best_val_loss.is_none_or(|b| v < b) {
                state.best_val_loss = Some(v);
                state.evals_without_improvement = 0;
            } else {
                state.evals_without_improvement += 1;
            }
        }
        let elapsed = state.elapsed_s + started.elapsed().as_secs_f64();
        let step_s = step_start.elapsed().as_secs_f64();
        let done_here = state.step as f64;
        let per_step = started.elapsed().as_secs_f64() / done_here.max(1.0);
        let metrics = StepMetrics {
            step: state.step,
            total_steps,
            epoch: round4(state.step as f64 / steps_per_epoch as f64),
            train_loss,
            learning_rate: lr,
            grad_norm,
            tokens_per_second: tokens as f64 / step_s.max(1e-9),
            elapsed_s: elapsed,
            eta_s: per_step * (total_steps - state.step) as f64,
            val_loss,
        };
        writeln!(
            metrics_file,
            "{}",
            serde_json::to_string(&metrics).expect("json")
        )
        .map_err(|e| TrainerError::io(metrics_path.display(), e))?;
        on_event(&Event::Step(metrics));

        if h.early_stopping_patience > 0
            && state.evals_without_improvement >= h.early_stopping_patience
        {
            on_event(&Event::Log {
                message: format!(
                    "stopping early at step {}: validation loss has not improved for {} evaluations",
                    state.step, h.early_stopping_patience
                ),
            });
            stopped_early = true;
            break;
        }
        if h.checkpoint_every > 0
            && state.step.is_multiple_of(h.checkpoint_every)
            && state.step < total_steps
        {
            let mut s = state.clone();
            s.elapsed_s = elapsed;
            save_checkpoint(&checkpoints, &s, &named, &opt)?;
            on_event(&Event::Checkpoint { step: state.step });
        }
    }
    let tensors: Vec<(String, Tensor)> = named
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    adapter::write(&adapter_dir, &base.name, h, &tensors)?;
    let args = serde_json::json!({
        "base_model": spec.base_model,
        "hyperparameters": h,
        "total_steps": total_steps,
        "steps": state.step,
        "train_examples": train_set.len(),
        "validation_examples": val_set.len(),
        "truncated_examples": truncated,
        "stopped_early": stopped_early,
    });
    std::fs::write(
        adapter_dir.join("training_args.json"),
        serde_json::to_string_pretty(&args).expect("json"),
    )
    .map_err(|e| TrainerError::io(adapter_dir.display(), e))?;
    drop(metrics_file);
    if metrics_path != adapter_dir.join("metrics.jsonl") {
        std::fs::copy(&metrics_path, adapter_dir.join("metrics.jsonl"))
            .map_err(|e| TrainerError::io(adapter_dir.display(), e))?;
    }
    Ok(TrainOutcome {
        adapter_dir,
        steps: state.step,
        final_loss: last_loss,
        best_val_loss: state.best_val_loss,
        stopped_early,
    })
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Holds out `share` of the examples (at least one when asked and possible).
fn split(mut all: Vec<Encoded>, share: f64, seed: u64) -> (Vec<Encoded>, Vec<Encoded>) {
    if share <= 0.0 || all.len() < 2 {
        return (all, Vec::new());
    }
    let mut idx: Vec<usize> = (0..all.len()).collect();
    TrainRng::derive(seed, "validation-split").shuffle(&mut idx);
    let n_val = ((all.len() as f64 * share).round() as usize).clamp(1, all.len() - 1);
    let val_idx: std::collections::HashSet<usize> = idx[..n_val].iter().copied().collect();
    let mut train = Vec::new();
    let mut val = Vec::new();
    for (i, e) in all.drain(..).enumerate() {
        if val_idx.contains(&i) {
            val.push(e)
        } else {
            train.push(e)
        }
    }
    (train, val)
}

/// The order of the training examples in one epoch.
fn order(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    TrainRng::derive(seed, &format!("order-{epoch}")).shuffle(&mut idx);
    idx
}

/// Pads a batch on the right; label i is token i+1 where that token is part
/// of the target. Returns ids, labels and the number of real tokens.
fn collate(batch: &[&Encoded], device: &Device) -> Result<(Tensor, Vec<i64>, usize)> {
    let t = batch.iter().map(|e| e.ids.len()).max().unwrap_or(1).max(2);
    let mut ids = Vec::with_capacity(batch.len() * t);
    let mut labels = Vec::with_capacity(batch.len() * t);
    let mut real = 0;
    for e in batch {
        real += e.ids.len();
        for i in 0..t {
            ids.push(e.ids.get(i).copied().unwrap_or(0));
            let label = match (e.ids.get(i + 1), e.target.get(i + 1)) {
                (Some(&next), Some(true)) => i64::from(next),
                _ => IGNORE,
            };
            labels.push(label);
        }
    }
    Ok((
        Tensor::from_vec(ids, (batch.len(), t), device)?,
        labels,
        real,
    ))
}

/// Mean loss over the validation set (no dropout, weighted by target tokens).
pub fn evaluate(
    model: &crate::model::Llama,
    set: &[Encoded],
    batch_size: usize,
    device: &Device,
) -> Result<f64> {
    let mut total = 0.0;
    let mut count = 0usize;
    for chunk in set.chunks(batch_size) {
        let batch: Vec<&Encoded> = chunk.iter().collect();
        let (ids, labels, _) = collate(&batch, device)?;
        let (loss, n) = model.loss(&ids, &labels, None)?;
        total += loss.to_scalar::<f32>()? as f64 * n as f64;
        count += n;
    }
    Ok(total / count.max(1) as f64)
}

/// Starts LoRA from an earlier adapter, which must have the run's rank and
/// target modules (the weights' shapes follow from them).
fn start_from(
    init: &crate::spec::InitAdapter,
    h: &crate::spec::HyperParams,
    named: &[(String, Var)],
) -> Result<()> {
    let shape = crate::adapter::read_shape(Path::new(&init.config))?;
    if shape.r != h.lora_r {
        return Err(TrainerError::spec(
            "init_adapter",
            format!(
                "has rank {}, the run asks for lora_r {}; continue with rank {}",
                shape.r, h.lora_r, shape.r
            ),
        ));
    }
    let mut theirs = shape.targets.clone();
    let mut ours = h.target_modules.clone();
    theirs.sort();
    ours.sort();
    if theirs != ours {
        return Err(TrainerError::spec(
            "init_adapter",
            format!(
                "targets {}, the run targets {}; continue with the same modules",
                theirs.join(", "),
                ours.join(", ")
            ),
        ));
    }
    crate::adapter::load_weights(Path::new(&init.weights), named)
}

fn save_checkpoint(
    dir: &Path,
    state: &CheckpointState,
    named: &[(String, Var)],
    opt: &AdamW,
) -> Result<()> {
    let step_dir = dir.join(format!("step-{}", state.step));
    std::fs::create_dir_all(&step_dir).map_err(|e| TrainerError::io(step_dir.display(), e))?;
    let lora: Vec<(String, Tensor)> = named
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    adapter::write_safetensors(&step_dir.join(adapter::WEIGHTS_FILE), &lora)?;
    let moments: Vec<(String, Tensor)> = named
        .iter()
        .enumerate()
        .flat_map(|(i, (k, _))| {
            [
                (format!("m.{k}"), opt.m[i].clone()),
                (format!("v.{k}"), opt.v[i].clone()),
            ]
        })
        .collect();
    adapter::write_safetensors(&step_dir.join("optimizer.safetensors"), &moments)?;
    let state_json = serde_json::to_string_pretty(state).expect("json");
    std::fs::write(step_dir.join("state.json"), state_json)
        .map_err(|e| TrainerError::io(step_dir.display(), e))?;
    // The pointer moves only once the checkpoint is whole.
    let tmp = dir.join("latest.tmp");
    std::fs::write(&tmp, state.step.to_string()).map_err(|e| TrainerError::io(tmp.display(), e))?;
    std::fs::rename(&tmp, dir.join("latest")).map_err(|e| TrainerError::io(dir.display(), e))?;
    // Keep the newest two.
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut steps: Vec<u64> = entries
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_prefix("step-")?
                    .parse()
                    .ok()
            })
            .collect();
        steps.sort_unstable();
        for old in steps.iter().rev().skip(2) {
            let _ = std::fs::remove_dir_all(dir.join(format!("step-{old}")));
        }
    }
    Ok(())
}

fn restore(
    dir: &Path,
    named: &[(String, Var)],
    opt: &mut AdamW,
) -> Result<Option<CheckpointState>> {
    let Ok(latest) = std::fs::read_to_string(dir.join("latest")) else {
        return Ok(None);
    };
    let step_dir = dir.join(format!("step-{}", latest.trim()));
    let bad = |m: String| TrainerError::Checkpoint(step_dir.clone(), m);
    let state: CheckpointState = serde_json::from_str(
        &std::fs::read_to_string(step_dir.join("state.json")).map_err(|e| bad(e.to_string()))?,
    )
    .map_err(|e| bad(e.to_string()))?;
    let lora = adapter::read_safetensors(&step_dir.join(adapter::WEIGHTS_FILE))?;
    let moments = adapter::read_safetensors(&step_dir.join("optimizer.safetensors"))?;
    for (i, (k, var)) in named.iter().enumerate() {
        let get = |key: &str, map: &std::collections::HashMap<String, Tensor>| {
            map.get(key).cloned().ok_or_else(|| {
                bad(format!(
                    "has no `{key}`; it was made for another configuration"
                ))
            })
        };
        var.set(&get(k, &lora)?)?;
        opt.m[i] = get(&format!("m.{k}"), &moments)?;
        opt.v[i] = get(&format!("v.{k}"), &moments)?;
    }
    opt.t = state.optimizer_t;
    Ok(Some(state))
}

/// Drops metrics lines after `step` (written after the checkpoint resumed from).
fn keep_metrics_until(path: &Path, step: u64) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|l| serde_json::from_str::<StepMetrics>(l).is_ok_and(|m| m.step <= step))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(path, kept).map_err(|e| TrainerError::io(path.display(), e))
}
