//! How much memory a LoRA run needs, from the model's shape and the batch:
//! one formula, used by the trainer before it starts and by the configure
//! page's fit check.

use serde::{Deserialize, Serialize};

/// What the memory estimate needs to know about a base model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelShape {
    pub parameters: u64,
    pub vocab_size: u64,
    pub hidden_size: u64,
    pub intermediate_size: u64,
    pub num_hidden_layers: u64,
    pub num_attention_heads: u64,
    pub num_key_value_heads: u64,
    pub head_dim: u64,
}

/// The parts of a run's memory, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEstimate {
    pub weights: u64,
    pub lora: u64,
    pub activations: u64,
    pub logits: u64,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.weights + self.lora + self.activations + self.logits
    }
}

/// The trainer keeps everything in f32.
const BYTES: u64 = 4;

pub fn estimate(
    shape: &ModelShape,
    batch_size: u64,
    seq_len: u64,
    lora_r: u64,
    target_modules: &[String],
) -> MemoryEstimate {
    let (b, t) = (batch_size, seq_len);
    let hid = shape.hidden_size;
    let inter = shape.intermediate_size;
    let heads = shape.num_attention_heads;
    let q = heads * shape.head_dim;
    let kv = shape.num_key_value_heads * shape.head_dim;
    let lora_per_layer: u64 = target_modules
        .iter()
        .map(|m| {
            let (i, o) = match m.as_str() {
                "q_proj" | "o_proj" => (hid, q),
                "k_proj" | "v_proj" => (hid, kv),
                _ => (hid, inter),
            };
            lora_r * (i + o)
        })
        .sum();
    // Autograd keeps each layer's intermediates: about 16 hidden-sized and 5
    // intermediate-sized activations per token, and 3 score matrices per head.
    let per_layer = b * t * (16 * hid + 5 * inter + 6 * q) * BYTES + 3 * b * heads * t * t * BYTES;
    MemoryEstimate {
        weights: shape.parameters * BYTES,
        // Parameter, gradient (and its accumulated sum), two Adam moments.
        lora: lora_per_layer * shape.num_hidden_layers * BYTES * 5,
        activations: per_layer * shape.num_hidden_layers,
        // Logits, their log-softmax and its gradient.
        logits: 4 * b * t * shape.vocab_size * BYTES,
    }
}

/// What to reduce when `e` does not fit in `available` bytes.
pub fn advice(e: &MemoryEstimate, available: u64, batch_size: u64, seq_len: u64) -> String {
    if e.weights > available {
        "the base model alone does not fit; choose a smaller model or a GPU with more memory"
            .to_string()
    } else if e.logits > e.activations {
        format!(
            "reduce batch size ({batch_size}) or max sequence length ({seq_len}); the vocabulary makes the logits large"
        )
    } else {
        format!(
            "reduce batch size ({batch_size}) or max sequence length ({seq_len}), and use gradient accumulation to keep the effective batch"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> ModelShape {
        ModelShape {
            parameters: 1_000_000,
            vocab_size: 1000,
            hidden_size: 64,
            intermediate_size: 256,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            num_key_value_heads: 2,
            head_dim: 16,
        }
    }

    #[test]
    fn memory_grows_with_batch_and_sequence_and_names_what_to_cut() {
        let q = vec!["q_proj".to_string(), "v_proj".to_string()];
        let small = estimate(&shape(), 1, 128, 8, &q);
        let big = estimate(&shape(), 4, 512, 8, &q);
        assert_eq!(small.weights, 4_000_000);
        // q: 8 × (64 + 64), v: 8 × (64 + 32), two layers, f32, five copies.
        assert_eq!(small.lora, (8 * 128 + 8 * 96) * 2 * 4 * 5);
        assert!(big.activations > 4 * small.activations);
        assert!(big.total() > small.total());
        assert!(advice(&big, 1, 4, 512).contains("smaller model"));
        assert!(advice(&big, big.weights + 1, 4, 512).contains("batch size (4)"));
    }
}
