//! A Hugging Face `config.json` for the decoders this trainer implements
//! (Llama 2/3, Mistral, Qwen2, Qwen3, Phi-3/Phi-4, Gemma 2, Gemma 3), read
//! leniently where the writers differ: transformers 5 puts `rope_theta`
//! under `rope_parameters`; `head_dim` may be given or implied;
//! `tie_word_embeddings` and the other fields default per architecture as
//! transformers defaults them. What a config asks for that this trainer does
//! not implement (RoPE scaling types, partial rotary, bidirectional
//! attention, other activations) is refused by name, never silently ignored.
//!
//! `from_json` reads in a fixed order, so the first problem is the one
//! reported: the architecture ([`detect`]), the heads ([`heads`]), RoPE
//! ([`rope`]), then the family's own fields ([`family`]); [`hf_json`]
//! writes the config back for transformers.

mod detect;
mod family;
mod fields;
mod heads;
mod hf_json;
mod rope;
#[cfg(test)]
mod tests;

pub use family::Arch;
pub use rope::RopeScaling;

use crate::error::{Result, TrainerError};
use fields::Fields;
use heads::Heads;
use rope::Rope;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub model_type: String,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_key_value_heads: usize,
    pub head_dim: usize,
    pub rms_norm_eps: f64,
    pub rope_theta: f64,
    pub rope_scaling: RopeScaling,
    pub tie_word_embeddings: bool,
    /// Qwen2 has biases on q, k and v.
    pub attention_bias: bool,
    pub max_position_embeddings: usize,
    pub bos_token_id: Option<u32>,
    pub eos_token_ids: Vec<u32>,
    /// What sets Qwen3, Phi-3 and Gemma apart from Llama (all off for the
    /// Llama family).
    #[serde(default)]
    pub arch: Arch,
}

/// The architectures the trainer implements, by `model_type`.
pub const SUPPORTED: [&str; 7] = [
    "llama",
    "mistral",
    "qwen2",
    "qwen3",
    "phi3",
    "gemma2",
    "gemma3_text",
];

impl ModelConfig {
    pub fn from_file(path: &Path) -> Result<Self> {
        let folder = path.parent().unwrap_or(path).to_path_buf();
        let text = std::fs::read_to_string(path).map_err(|e| {
            TrainerError::ModelFiles(folder.clone(), format!("cannot read config.json: {e}"))
        })?;
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            TrainerError::ModelFiles(
                folder.clone(),
                format!("config.json is not valid JSON: {e}"),
            )
        })?;
        Self::from_json(&v).map_err(|e| match e {
            TrainerError::Spec { field, message } => {
                TrainerError::ModelFiles(folder, format!("config.json field `{field}` {message}"))
            }
            other => other,
        })
    }

    pub fn from_json(v: &Value) -> Result<Self> {
        let text = detect::text_model(v)?;
        let f = Fields(text.fields);
        let mt = text.model_type.as_str();
        let heads = Heads::read(&f, mt)?;
        let rope = Rope::read(&f, mt)?;
        let eos_token_ids = f.token_ids("eos_token_id");
        let gemma = mt.starts_with("gemma");
        let default_tied = gemma || (mt == "qwen2" && heads.hidden_size <= 2048);
        let arch = Arch::read(&f, mt, text.multimodal, heads.num_hidden_layers, &rope)?;
        Ok(Self {
            vocab_size: f.num("vocab_size")?,
            hidden_size: heads.hidden_size,
            intermediate_size: f.num("intermediate_size")?,
            num_hidden_layers: heads.num_hidden_layers,
            num_attention_heads: heads.num_attention_heads,
            num_key_value_heads: heads.num_key_value_heads,
            head_dim: heads.head_dim,
            rms_norm_eps: f
                .float("rms_norm_eps")
                .unwrap_or(if mt == "phi3" { 1e-5 } else { 1e-6 }),
            rope_theta: rope.theta,
            rope_scaling: rope.scaling,
            tie_word_embeddings: f.flag("tie_word_embeddings").unwrap_or(default_tied),
            // Phi-3's projections have no biases, whatever the config says.
            attention_bias: mt != "phi3" && f.flag("attention_bias").unwrap_or(mt == "qwen2"),
            max_position_embeddings: f.count("max_position_embeddings").unwrap_or(4096),
            bos_token_id: f
                .get("bos_token_id")
                .and_then(Value::as_u64)
                .map(|n| n as u32),
            eos_token_ids,
            arch,
            model_type: text.model_type,
        })
    }

    /// Phi-3's fused `qkv_proj` and `gate_up_proj`.
    pub fn fused_projections(&self) -> bool {
        self.model_type == "phi3"
    }

    /// Whether o_proj has a bias too (`attention_bias` puts one on q, k,
    /// v and o, except in Qwen2, whose biases are on q, k and v only).
    pub fn o_bias(&self) -> bool {
        self.attention_bias && self.model_type != "qwen2"
    }

    /// The projections LoRA sits on, by the names PEFT gives them in this
    /// architecture, for the contract's target names (`TARGET_MODULES`) or
    /// this architecture's own: Phi-3's q/k/v_proj are its qkv_proj,
    /// gate/up_proj its gate_up_proj.
    pub fn lora_targets(&self, requested: &[String]) -> Result<Vec<String>> {
        let own = self.projection_names();
        let mut out: Vec<String> = Vec::new();
        for t in requested {
            let name = match (self.fused_projections(), t.as_str()) {
                (true, "q_proj" | "k_proj" | "v_proj") => "qkv_proj",
                (true, "gate_proj" | "up_proj") => "gate_up_proj",
                (_, other) => other,
            };
            if !own.contains(&name) {
                return Err(TrainerError::spec(
                    "target_modules",
                    format!(
                        "names `{t}`; choose from {}",
                        brightrun::cluster::TARGET_MODULES.join(", ")
                    ),
                ));
            }
            if !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        }
        Ok(out)
    }

    /// Each layer's projections, by their Hugging Face names, in order.
    pub fn projection_names(&self) -> &'static [&'static str] {
        if self.fused_projections() {
            &["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]
        } else {
            &brightrun::cluster::TARGET_MODULES
        }
    }

    /// A weight's name in a multimodal checkpoint → its name in the text
    /// model (`model.…`, `lm_head.…`); None for the other towers' weights.
    /// Text models' names pass unchanged.
    pub fn text_weight_name(&self, name: &str) -> Option<String> {
        if !self.arch.multimodal {
            return Some(name.to_string());
        }
        // transformers 4 wrote language_model.model.…, transformers 5
        // writes model.language_model.….
        for (from, to) in [
            ("language_model.model.", "model."),
            ("model.language_model.", "model."),
            ("language_model.lm_head.", "lm_head."),
            ("lm_head.", "lm_head."),
        ] {
            if let Some(rest) = name.strip_prefix(from) {
                return Some(format!("{to}{rest}"));
            }
        }
        None
    }

    /// Where PEFT finds the decoder layers: `base_model.model.` and the
    /// layers' module path in the transformers model.
    pub fn peft_layers_prefix(&self) -> &'static str {
        if self.arch.multimodal {
            "base_model.model.model.language_model.layers"
        } else {
            "base_model.model.model.layers"
        }
    }

    /// Attention scores' scale.
    pub fn attention_scale(&self) -> f64 {
        self.arch
            .query_pre_attn_scalar
            .unwrap_or(self.head_dim as f64)
            .powf(-0.5)
    }

    /// Whether layer `i` attends through the sliding window.
    pub fn sliding(&self, i: usize) -> Option<usize> {
        self.arch
            .sliding_window
            .filter(|_| self.arch.sliding_layers.get(i).copied().unwrap_or(false))
    }

    /// Parameters of the base model.
    /// What the memory estimate needs.
    pub fn shape(&self) -> brightrun::training::ModelShape {
        brightrun::training::ModelShape {
            parameters: self.parameter_count() as u64,
            vocab_size: self.vocab_size as u64,
            hidden_size: self.hidden_size as u64,
            intermediate_size: self.intermediate_size as u64,
            num_hidden_layers: self.num_hidden_layers as u64,
            num_attention_heads: self.num_attention_heads as u64,
            num_key_value_heads: self.num_key_value_heads as u64,
            head_dim: self.head_dim as u64,
        }
    }

    /// The positions the trainer builds RoPE tables for: the model's own,
    /// up to 32,768.
    pub fn positions(&self) -> usize {
        self.max_position_embeddings.min(32_768)
    }

    pub fn parameter_count(&self) -> usize {
        let h = self.hidden_size;
        let q = self.num_attention_heads * self.head_dim;
        let kv = self.num_key_value_heads * self.head_dim;
        let bias = if self.attention_bias {
            q + 2 * kv + if self.o_bias() { h } else { 0 }
        } else {
            0
        };
        let qk_norm = if self.arch.qk_norm {
            2 * self.head_dim
        } else {
            0
        };
        let attn = h * q * 2 + h * kv * 2 + bias + qk_norm;
        let mlp = 3 * h * self.intermediate_size;
        // Gemma normalises before and after both halves of a layer.
        let norms = if self.arch.gemma { 4 * h } else { 2 * h };
        let layer = attn + mlp + norms;
        let embed = self.vocab_size * h;
        embed * if self.tie_word_embeddings { 1 } else { 2 } + layer * self.num_hidden_layers + h
    }
}
