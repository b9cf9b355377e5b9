//! The `general.*` and `<arch>.*` metadata convert_hf_to_gguf.py writes
//! for a Llama-layout model (TextModel and LlamaModel's
//! set_gguf_parameters), and the rope_freqs tensor it adds for Llama 3's
//! RoPE scaling.

use super::writer::{ALIGNMENT, Meta};
use crate::model::ModelConfig;
use crate::model::config::RopeScaling;

/// GGML_QNT_VERSION.
const QUANTIZATION_VERSION: u32 = 2;

pub type Kv = Vec<(String, Meta)>;

/// `general.*`: what the file is and how it is stored.
pub fn general(arch: &str, kind: &str, name: &str) -> Kv {
    vec![
        ("general.architecture".into(), Meta::Str(arch.into())),
        ("general.type".into(), Meta::Str(kind.into())),
        ("general.name".into(), Meta::Str(name.into())),
        (
            "general.quantization_version".into(),
            Meta::U32(QUANTIZATION_VERSION),
        ),
        ("general.alignment".into(), Meta::U32(ALIGNMENT as u32)),
    ]
}

/// `<arch>.*`: the hyper-parameters llama.cpp builds the graph from. The
/// key and value widths go in when config.json gives `head_dim` (as
/// convert_hf_to_gguf.py writes them) or when llama.cpp's default,
/// hidden / heads, would be wrong.
pub fn hyper_parameters(arch: &str, c: &ModelConfig, head_dim_given: bool) -> Kv {
    let u = |n: usize| Meta::U32(n as u32);
    let mut kv: Kv = vec![
        ("block_count", u(c.num_hidden_layers)),
        ("context_length", u(c.max_position_embeddings)),
        ("embedding_length", u(c.hidden_size)),
        ("feed_forward_length", u(c.intermediate_size)),
        ("attention.head_count", u(c.num_attention_heads)),
        ("attention.head_count_kv", u(c.num_key_value_heads)),
        ("rope.freq_base", Meta::F32(c.rope_theta as f32)),
        (
            "attention.layer_norm_rms_epsilon",
            Meta::F32(c.rms_norm_eps as f32),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (format!("{arch}.{k}"), v))
    .collect();
    if head_dim_given || c.head_dim * c.num_attention_heads != c.hidden_size {
        kv.push((format!("{arch}.attention.key_length"), u(c.head_dim)));
        kv.push((format!("{arch}.attention.value_length"), u(c.head_dim)));
    }
    // LlamaModel adds these two; Qwen2Model does not.
    if arch == "llama" {
        kv.push((format!("{arch}.vocab_size"), u(c.vocab_size)));
        kv.push((format!("{arch}.rope.dimension_count"), u(c.head_dim)));
    }
    if let RopeScaling::Linear { factor } = c.rope_scaling {
        kv.push((
            format!("{arch}.rope.scaling.type"),
            Meta::Str("linear".into()),
        ));
        kv.push((
            format!("{arch}.rope.scaling.factor"),
            Meta::F32(factor as f32),
        ));
    }
    kv
}

/// `rope_freqs.weight` for Llama 3's RoPE scaling: each frequency's
/// divisor (1 for the high frequencies, `factor` for the low, smoothed
/// between), as LlamaModel.generate_extra_tensors computes it.
pub fn rope_freqs(c: &ModelConfig) -> Option<Vec<f32>> {
    let RopeScaling::Llama3 {
        factor,
        low_freq_factor,
        high_freq_factor,
        original_max_position_embeddings,
    } = c.rope_scaling
    else {
        return None;
    };
    let old = original_max_position_embeddings as f64;
    let (low_wavelen, high_wavelen) = (old / low_freq_factor, old / high_freq_factor);
    let dim = c.head_dim;
    let factors = (0..dim / 2)
        .map(|i| {
            let freq = 1.0 / c.rope_theta.powf((2 * i) as f64 / dim as f64);
            let wavelen = 2.0 * std::f64::consts::PI / freq;
            let f = if wavelen < high_wavelen {
                1.0
            } else if wavelen > low_wavelen {
                factor
            } else {
                let smooth =
                    (old / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
                1.0 / ((1.0 - smooth) / factor + smooth)
            };
            f as f32
        })
        .collect();
    Some(factors)
}
