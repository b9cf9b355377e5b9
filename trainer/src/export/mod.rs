//! Exports of a trained model (DESIGN §4.4): the adapter merged into its
//! base as a Hugging Face folder, the merged model as GGUF (f16, q8_0,
//! q4_K_M) laid out as llama.cpp's `convert_hf_to_gguf.py` lays out
//! Llama-family models, and the adapter alone as a GGUF LoRA as
//! `convert_lora_to_gguf.py` writes it.
//!
//! Memory stays bounded by one tensor (plus the adapter, which is small):
//! the base is read shard by shard, one tensor at a time, and each tensor
//! is merged in f32, converted and written before the next is read. Every
//! file is written under a `.partial` name and renamed only once the whole
//! export has succeeded, so a crash or a cancel never leaves a file that
//! looks finished.

mod base;
pub mod cli;
mod gguf;
pub mod job;
mod lora_weights;
mod merge;
mod partial;
mod safetensors_out;
mod shard_file;
#[cfg(test)]
mod tests;

pub use brightrun::models::{ExportFormat, ExportProgress};

use crate::error::{Result, TrainerError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// One export to run.
pub struct ExportJob<'a> {
    /// `tiny-llama` or a local Hugging Face model folder, as
    /// [`crate::model::folder::load`] takes it.
    pub base_model: &'a str,
    /// A PEFT adapter folder: `adapter_config.json` and
    /// `adapter_model.safetensors`.
    pub adapter_dir: &'a Path,
    pub format: ExportFormat,
    /// Created if missing; the files go directly in it.
    pub out_dir: &'a Path,
    /// Set it to stop the export at the next tensor (`TrainerError::Cancelled`).
    pub cancel: Option<&'a AtomicBool>,
}

/// Runs the export; returns the files written, relative to `out_dir`,
/// sorted. `progress` hears bytes of weights done out of the total.
pub fn run(job: &ExportJob, progress: &mut dyn FnMut(ExportProgress)) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(job.out_dir).map_err(|e| TrainerError::io(job.out_dir.display(), e))?;
    let lora = lora_weights::read(job.adapter_dir)?;
    let base = base::BaseFolder::resolve(job.base_model, job.out_dir)?;
    let mut progress = Progress {
        report: progress,
        cancel: job.cancel,
        done: 0,
        total: 0,
    };
    let mut files = match job.format {
        ExportFormat::Merged => merge::export(&base, lora, job.out_dir, &mut progress)?,
        ExportFormat::GgufLora => gguf::lora::export(&base, lora, job.out_dir, &mut progress)?,
        format => gguf::export(&base, lora, format, job.out_dir, &mut progress)?,
    };
    files.sort();
    Ok(files)
}

/// What the user is told of a failed export, in the trainer's words where
/// they can act on it; `None` for a failure of the machine (its cause is
/// for the log, never the page).
pub fn user_reason(e: &TrainerError) -> Option<String> {
    match e {
        TrainerError::UnsupportedModel(_) | TrainerError::Spec { .. } => Some(format!(
            "This model cannot be exported in this format: {e}."
        )),
        TrainerError::TooBig(why) => Some(format!(
            "The machine exporting it does not have the memory this export needs ({why})."
        )),
        TrainerError::Cancelled => Some("The export was stopped.".into()),
        _ => None,
    }
}

/// Progress in bytes of weights, and the cancel flag checked between
/// tensors.
pub(crate) struct Progress<'a> {
    report: &'a mut dyn FnMut(ExportProgress),
    cancel: Option<&'a AtomicBool>,
    done: u64,
    total: u64,
}

impl Progress<'_> {
    pub fn start(&mut self, total: u64, stage: &str) -> Result<()> {
        self.total = total;
        self.done = 0;
        self.advance(stage, 0)
    }

    /// `bytes` more are done; Err(Cancelled) once the flag is set.
    pub fn advance(&mut self, stage: &str, bytes: u64) -> Result<()> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(TrainerError::Cancelled);
        }
        self.done = (self.done + bytes).min(self.total);
        (self.report)(ExportProgress {
            stage: stage.to_string(),
            done: self.done,
            total: self.total,
        });
        Ok(())
    }
}
