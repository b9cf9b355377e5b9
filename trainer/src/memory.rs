//! Before a run starts: how much memory it needs, from the model shape and
//! the batch, and a refusal naming what to reduce when it cannot fit.

use crate::error::{Result, TrainerError};
use crate::model::ModelConfig;
use crate::spec::HyperParams;

pub use brightrun::training::MemoryEstimate as Estimate;

/// The domain crate's formula (the configure page's fit check uses it too).
pub fn estimate(c: &ModelConfig, h: &HyperParams) -> Estimate {
    brightrun::training::memory::estimate(
        &c.shape(),
        h.batch_size as u64,
        h.max_seq_len as u64,
        h.lora_r as u64,
        &h.target_modules,
    )
}

/// Memory this process may use: the limit given, else what the machine has free.
pub fn available(limit_mb: u64) -> Option<u64> {
    if limit_mb > 0 {
        return Some(limit_mb * 1024 * 1024);
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn check(c: &ModelConfig, h: &HyperParams) -> Result<Estimate> {
    let e = estimate(c, h);
    let Some(avail) = available(h.memory_limit_mb) else {
        return Ok(e);
    };
    if e.total() <= avail {
        return Ok(e);
    }
    let mib = |b: u64| b / (1024 * 1024);
    let advice =
        brightrun::training::memory::advice(&e, avail, h.batch_size as u64, h.max_seq_len as u64);
    Err(TrainerError::TooBig(format!(
        "this run needs about {} MiB (weights {}, activations {}, logits {}, LoRA and optimizer {}) but {} MiB is available: {advice}",
        mib(e.total()),
        mib(e.weights),
        mib(e.activations),
        mib(e.logits),
        mib(e.lora),
        mib(avail)
    )))
}
