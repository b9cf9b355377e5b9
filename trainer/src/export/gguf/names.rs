//! Hugging Face weight names → llama.cpp's (gguf-py's tensor_mapping for
//! the Llama layout), and which architectures have that layout.

use crate::error::{Result, TrainerError};
use crate::model::ModelConfig;

/// llama.cpp's architecture for a config whose layout is Llama's: Llama
/// and Mistral convert as `llama`, Qwen2 as `qwen2` (its q, k and v
/// biases become `blk.N.attn_q.bias` …).
pub fn arch_of(config: &ModelConfig) -> Result<&'static str> {
    match config.model_type.as_str() {
        "llama" | "mistral" => Ok("llama"),
        "qwen2" => Ok("qwen2"),
        other => Err(TrainerError::UnsupportedModel(format!(
            "GGUF export supports Llama, Mistral and Qwen2 models, not model_type `{other}`; \
             export the merged model and convert it with llama.cpp's convert_hf_to_gguf.py"
        ))),
    }
}

/// What the GGUF does with a base weight.
#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    /// Stored under this name.
    As(String),
    /// Not stored: the tied head (llama.cpp reuses token_embd) or RoPE's
    /// cached inverse frequencies.
    Skip,
}

/// Where `hf` goes in the GGUF; None when llama.cpp's layout has no place
/// for it.
pub fn place(hf: &str, config: &ModelConfig) -> Option<Place> {
    let named = |s: &str| Some(Place::As(s.to_string()));
    match hf {
        "model.embed_tokens.weight" => return named("token_embd.weight"),
        "model.norm.weight" => return named("output_norm.weight"),
        "lm_head.weight" if config.tie_word_embeddings => return Some(Place::Skip),
        "lm_head.weight" => return named("output.weight"),
        _ => {}
    }
    let rest = hf.strip_prefix("model.layers.")?;
    let (layer, module) = rest.split_once('.')?;
    let layer: usize = layer.parse().ok()?;
    if layer >= config.num_hidden_layers {
        return None;
    }
    if module == "self_attn.rotary_emb.inv_freq" {
        return Some(Place::Skip);
    }
    let (module, kind) = module.rsplit_once('.')?;
    let short = match module {
        "input_layernorm" => "attn_norm",
        "post_attention_layernorm" => "ffn_norm",
        "self_attn.q_proj" => "attn_q",
        "self_attn.k_proj" => "attn_k",
        "self_attn.v_proj" => "attn_v",
        "self_attn.o_proj" => "attn_output",
        "mlp.gate_proj" => "ffn_gate",
        "mlp.up_proj" => "ffn_up",
        "mlp.down_proj" => "ffn_down",
        _ => return None,
    };
    match kind {
        "weight" | "bias" => named(&format!("blk.{layer}.{short}.{kind}")),
        _ => None,
    }
}

/// The layer of a `blk.N.…` name.
pub fn layer_of(gguf_name: &str) -> Option<usize> {
    gguf_name
        .strip_prefix("blk.")?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// The heads whose rotary layout llama.cpp's `llama` architecture
/// permutes (convert_hf_to_gguf.py's LlamaModel.permute): q_proj's rows
/// over n_head, k_proj's over n_kv_head. Qwen2 keeps Hugging Face's
/// layout (llama.cpp runs it with NeoX RoPE).
pub fn rotary_heads(hf: &str, arch: &str, config: &ModelConfig) -> Option<usize> {
    if arch != "llama" {
        return None;
    }
    let module = hf.rsplit_once('.')?.0;
    if module.ends_with("self_attn.q_proj") {
        Some(config.num_attention_heads)
    } else if module.ends_with("self_attn.k_proj") {
        Some(config.num_key_value_heads)
    } else {
        None
    }
}
