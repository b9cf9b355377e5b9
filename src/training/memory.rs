//! How much memory a LoRA run needs, from the model's shape and the batch:
//! one formula, used by the trainer before it starts and by the configure
//! page's fit check.

use serde::{Deserialize, Serialize};

/// What the memory estimate needs to know about a base model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// LoRA's weights, gradients and optimizer state are f32 whatever the base.
const F32: u64 = 4;

/// What a run's memory depends on besides the model's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunMemory<'a> {
    pub batch_size: u64,
    pub seq_len: u64,
    pub lora_r: u64,
    pub target_modules: &'a [String],
    /// Bytes per base weight and activation: 4 (f32) or 2 (bf16, f16).
    pub base_bytes: u64,
    /// Only each decoder layer's input is kept; one layer's intermediates
    /// exist at a time (recomputed in the backward pass).
    pub gradient_checkpointing: bool,
    /// candle's generic ops (any device or dtype other than f32 on the
    /// CPU), which keep more per layer than the fused CPU kernels: f32
    /// copies for the norms, the LoRA branches and the softmax, and the
    /// whole score matrices.
    pub generic_ops: bool,
}

/// The trainer's f32 run without checkpointing (the CPU default).
pub fn estimate(
    shape: &ModelShape,
    batch_size: u64,
    seq_len: u64,
    lora_r: u64,
    target_modules: &[String],
) -> MemoryEstimate {
    estimate_run(
        shape,
        &RunMemory {
            batch_size,
            seq_len,
            lora_r,
            target_modules,
            base_bytes: F32,
            gradient_checkpointing: false,
            generic_ops: false,
        },
    )
}

pub fn estimate_run(shape: &ModelShape, run: &RunMemory) -> MemoryEstimate {
    let (b, t) = (run.batch_size, run.seq_len);
    let hid = shape.hidden_size;
    let inter = shape.intermediate_size;
    let heads = shape.num_attention_heads;
    let q = heads * shape.head_dim;
    let kv = shape.num_key_value_heads * shape.head_dim;
    let lora_per_layer: u64 = run
        .target_modules
        .iter()
        .map(|m| {
            let (i, o) = match m.as_str() {
                "q_proj" | "o_proj" => (hid, q),
                "k_proj" | "v_proj" => (hid, kv),
                _ => (hid, inter),
            };
            run.lora_r * (i + o)
        })
        .sum();
    let per_layer = if run.generic_ops {
        generic_per_token(shape, run) * b * t
    } else {
        // The fused kernels keep about 16 hidden-sized and 5
        // intermediate-sized activations per token, and 3 score matrices
        // per head.
        b * t * (16 * hid + 5 * inter + 6 * q) * run.base_bytes + 3 * b * heads * t * t * F32
    };
    let layers = shape.num_hidden_layers;
    let activations = if run.gradient_checkpointing {
        // Every layer's input, one layer's intermediates while it is
        // recomputed, and the gradient passed down between layers.
        (layers + 2) * b * t * hid * run.base_bytes + per_layer
    } else {
        per_layer * layers
    };
    MemoryEstimate {
        weights: shape.parameters * run.base_bytes,
        // Parameter, gradient (and its accumulated sum), two Adam moments.
        lora: lora_per_layer * layers * F32 * 5,
        activations,
        // Logits, their log-softmax and its gradient, in f32.
        logits: 4 * b * t * shape.vocab_size * F32,
    }
}

/// Bytes one token keeps in one decoder layer on candle's generic ops,
/// counted from what their backward pass holds: the norms in f32 (x, its
/// square, the normalised value); per LoRA-targeted projection its input
/// in f32, the dropout mask and masked input, and the branch's f32 output
/// twice; the attention's head copies, RoPE's five, the repeated k and v,
/// and per head a row of scores in the base dtype and five in f32 (masked,
/// shifted, exponentiated, normalised).
fn generic_per_token(shape: &ModelShape, run: &RunMemory) -> u64 {
    let (h, f) = (shape.hidden_size, shape.intermediate_size);
    let q = shape.num_attention_heads * shape.head_dim;
    let kv = shape.num_key_value_heads * shape.head_dim;
    let row = shape.num_attention_heads * run.seq_len;
    let bb = run.base_bytes;
    let lora: u64 = run
        .target_modules
        .iter()
        .map(|m| {
            let (i, o) = match m.as_str() {
                "q_proj" => (h, q),
                "k_proj" | "v_proj" => (h, kv),
                "o_proj" => (q, h),
                "gate_proj" | "up_proj" => (h, f),
                _ => (f, h),
            };
            12 * i + 8 * o + 2 * bb * o
        })
        .sum();
    let norms = 2 * (12 * h + 2 * bb * h);
    let projections = bb * (2 * q + 2 * kv + 2 * h + 2 * f);
    let attention = bb * (13 * q + 13 * kv) + row * (20 + 3 * bb);
    let mlp = bb * (2 * f + 2 * h);
    norms + lora + projections + attention + mlp
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

    #[test]
    fn half_precision_halves_the_weights_and_checkpointing_keeps_one_layer() {
        let q = vec!["q_proj".to_string()];
        let mut s = shape();
        s.num_hidden_layers = 16;
        let run = |base_bytes, gradient_checkpointing| {
            estimate_run(
                &s,
                &RunMemory {
                    batch_size: 4,
                    seq_len: 512,
                    lora_r: 8,
                    target_modules: &q,
                    base_bytes,
                    gradient_checkpointing,
                    generic_ops: false,
                },
            )
        };
        let (f32_full, bf16_full, bf16_ckpt) = (run(4, false), run(2, false), run(2, true));
        assert_eq!(bf16_full.weights * 2, f32_full.weights);
        // LoRA and its optimizer stay f32.
        assert_eq!(bf16_full.lora, f32_full.lora);
        assert!(bf16_full.activations < f32_full.activations);
        // Sixteen layers' intermediates against one layer's and the inputs.
        assert!(bf16_ckpt.activations * 4 < bf16_full.activations);
        assert_eq!(bf16_ckpt.logits, bf16_full.logits);
        assert_eq!(run(4, false), estimate(&s, 4, 512, 8, &q));
    }
}
