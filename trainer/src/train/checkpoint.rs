//! Checkpoints that resume the same run (LoRA weights, AdamW moments and
//! the counters, the newest two kept, a pointer moved only once one is
//! whole), and a start from an earlier adapter.

use crate::adapter;
use crate::error::{Result, TrainerError};
use crate::optim::AdamW;
use brightrun::cluster::StepMetrics;
use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What a checkpoint holds besides the tensors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointState {
    pub step: u64,
    pub optimizer_t: u64,
    pub best_val_loss: Option<f64>,
    /// The step of the best validation loss (0: none yet).
    #[serde(default)]
    pub best_step: u64,
    pub evals_without_improvement: u32,
    pub elapsed_s: f64,
}

pub fn save_checkpoint(
    dir: &Path,
    state: &CheckpointState,
    named: &[(String, Var)],
    opt: &AdamW,
    best: Option<&[(String, Tensor)]>,
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
    if let Some(best) = best {
        adapter::write_safetensors(&step_dir.join(BEST_FILE), best)?;
    }
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

/// The best evaluation's LoRA weights, beside a checkpoint's own.
const BEST_FILE: &str = "best.safetensors";

/// The weights with the best validation loss so far, where the run kept them.
pub type Best = Option<Vec<(String, Tensor)>>;

/// The latest whole checkpoint's state and best weights, loaded into the
/// run's LoRA variables and optimizer; `None` when there is none.
pub fn restore(
    dir: &Path,
    named: &[(String, Var)],
    opt: &mut AdamW,
) -> Result<Option<(CheckpointState, Best)>> {
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
    let best_path = step_dir.join(BEST_FILE);
    let best = if best_path.exists() {
        let mut map = adapter::read_safetensors(&best_path)?;
        let tensors = named
            .iter()
            .map(|(k, _)| {
                map.remove(k)
                    .map(|t| (k.clone(), t))
                    .ok_or_else(|| bad(format!("{BEST_FILE} has no `{k}`")))
            })
            .collect::<Result<Vec<_>>>()?;
        Some(tensors)
    } else {
        None
    };
    Ok(Some((state, best)))
}

/// Drops metrics lines after `step` (written after the checkpoint resumed from).
pub fn keep_metrics_until(path: &Path, step: u64) -> Result<()> {
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

/// Starts LoRA from an earlier adapter, which must have the run's rank and
/// target modules (the weights' shapes follow from them).
pub fn start_from(
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
