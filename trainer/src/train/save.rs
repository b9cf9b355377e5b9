//! What a run leaves behind: a checkpoint when one is due
//! ([`Trainer::checkpoint`], what resumes the run), and at the end
//! ([`Trainer::finish`]) the adapter in PEFT's layout, its
//! `training_args.json` and the metrics beside it.

use super::{TrainOutcome, Trainer, checkpoint};
use crate::adapter;
use crate::error::{Result, TrainerError};
use crate::spec::HyperParams;
use brightrun::training::keep::KeepAdapter;
use candle_core::Tensor;
use serde_json::Value;

impl Trainer {
    pub(super) fn checkpoint_due(&self) -> bool {
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

    /// The LoRA weights by name; `copy`: in storage of their own, so later
    /// steps leave them as they are.
    pub(super) fn lora_tensors(&self, copy: bool) -> Result<Vec<(String, Tensor)>> {
        self.named
            .iter()
            .map(|(k, v)| {
                let t = v.as_tensor();
                Ok((k.clone(), if copy { t.copy()? } else { t.clone() }))
            })
            .collect()
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
        let args = self.training_args(stopped_early, adapter_step, peak_rss_bytes);
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

    /// `training_args.json`: how the adapter was trained.
    fn training_args(
        &self,
        stopped_early: bool,
        adapter_step: u64,
        peak_rss_bytes: Option<u64>,
    ) -> Value {
        let h = self.h();
        serde_json::json!({
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
        })
    }
}
