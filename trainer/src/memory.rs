//! Before a run starts: how much memory it needs, from the model shape,
//! the batch, the base dtype and checkpointing, against what the chosen
//! device has (a GPU's memory, or the machine's RAM), and a refusal naming
//! what to reduce when it cannot fit. After it: the peak it reached.

use crate::device::Resolved;
use crate::error::{Result, TrainerError};
use crate::model::ModelConfig;
use crate::spec::HyperParams;
use brightrun::cluster::{BaseDtype, DeviceKind};
use brightrun::training::memory::RunMemory;

pub use brightrun::training::MemoryEstimate as Estimate;

/// The domain crate's formula (the configure page's fit check uses it too).
pub fn estimate(
    c: &ModelConfig,
    h: &HyperParams,
    dtype: BaseDtype,
    kind: DeviceKind,
    checkpointing: bool,
) -> Estimate {
    brightrun::training::memory::estimate_run(
        &c.shape(),
        &RunMemory {
            batch_size: h.batch_size as u64,
            seq_len: h.max_seq_len as u64,
            lora_r: h.lora_r as u64,
            target_modules: &h.target_modules,
            base_bytes: dtype.bytes(),
            gradient_checkpointing: checkpointing,
            // The fused kernels run only for f32 on the CPU.
            generic_ops: kind != DeviceKind::Cpu || dtype != BaseDtype::F32,
        },
    )
}

/// Memory this process may use on the CPU: the limit given, else what the
/// machine has free.
pub fn available(limit_mb: u64) -> Option<u64> {
    if limit_mb > 0 {
        return Some(limit_mb * 1024 * 1024);
    }
    proc_bytes("/proc/meminfo", "MemAvailable:")
}

/// Refuses a run that does not fit the device it was placed on.
pub fn check(
    c: &ModelConfig,
    h: &HyperParams,
    placed: &Resolved,
    checkpointing: bool,
) -> Result<Estimate> {
    let e = estimate(c, h, placed.dtype, placed.info.kind, checkpointing);
    let avail = match placed.info.kind {
        DeviceKind::Cuda => Some(placed.info.memory_bytes),
        DeviceKind::Cpu => available(h.memory_limit_mb),
    };
    let Some(avail) = avail else {
        return Ok(e);
    };
    if e.total() <= avail {
        return Ok(e);
    }
    let mib = |b: u64| b / (1024 * 1024);
    let mut advice =
        brightrun::training::memory::advice(&e, avail, h.batch_size as u64, h.max_seq_len as u64);
    if !checkpointing && e.activations > e.weights {
        advice.push_str("; or turn gradient checkpointing on");
    }
    Err(TrainerError::TooBig(format!(
        "this run needs about {} MiB on {} (weights in {} {}, activations {}, logits {}, LoRA and optimizer {}) but {} MiB is available: {advice}",
        mib(e.total()),
        placed.info.name,
        placed.dtype,
        mib(e.weights),
        mib(e.activations),
        mib(e.logits),
        mib(e.lora),
        mib(avail)
    )))
}

/// The process's peak resident memory so far (Linux's VmHWM).
pub fn peak_rss() -> Option<u64> {
    proc_bytes("/proc/self/status", "VmHWM:")
}

/// A `key: N kB` line of a Linux /proc file, in bytes.
pub fn proc_bytes(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
