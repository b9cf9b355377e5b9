//! Before a run starts: how much memory it needs, from the model shape and
//! the batch, and a refusal naming what to reduce when it cannot fit.

use crate::error::{Result, TrainerError};
use crate::model::ModelConfig;
use crate::spec::HyperParams;

#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub weights: u64,
    pub lora: u64,
    pub activations: u64,
    pub logits: u64,
}

impl Estimate {
    pub fn total(&self) -> u64 {
        self.weights + self.lora + self.activations + self.logits
    }
}

pub fn estimate(c: &ModelConfig, h: &HyperParams) -> Estimate {
    let f = 4u64; // f32
    let (b, t) = (h.batch_size as u64, h.max_seq_len as u64);
    let hid = c.hidden_size as u64;
    let inter = c.intermediate_size as u64;
    let heads = c.num_attention_heads as u64;
    let q = heads * c.head_dim as u64;
    let lora_per_layer: u64 = h
        .target_modules
        .iter()
        .map(|m| {
            let (i, o) = match m.as_str() {
                "q_proj" | "o_proj" => (hid, q),
                "k_proj" | "v_proj" => (hid, c.num_key_value_heads as u64 * c.head_dim as u64),
                _ => (hid, inter),
            };
            h.lora_r as u64 * (i + o)
        })
        .sum();
    // Autograd keeps each layer's intermediates: about 16 hidden-sized and 5
    // intermediate-sized activations per token, and 3 score matrices per head.
    let per_layer = b * t * (16 * hid + 5 * inter + 6 * q) * f + 3 * b * heads * t * t * f;
    Estimate {
        weights: c.parameter_count() as u64 * f,
        // Parameter, gradient (and its accumulated sum), two Adam moments.
        lora: lora_per_layer * c.num_hidden_layers as u64 * f * 5,
        activations: per_layer * c.num_hidden_layers as u64,
        // Logits, their log-softmax and its gradient.
        logits: 4 * b * t * c.vocab_size as u64 * f,
    }
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
    let advice = if e.weights > avail {
        "the base model alone does not fit; choose a smaller model".to_string()
    } else if e.logits > e.activations {
        format!(
            "reduce batch_size ({}) or max_seq_len ({}); the vocabulary of {} makes the logits large",
            h.batch_size, h.max_seq_len, c.vocab_size
        )
    } else {
        format!(
            "reduce batch_size ({}) or max_seq_len ({}), and use gradient_accumulation to keep the effective batch",
            h.batch_size, h.max_seq_len
        )
    };
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
