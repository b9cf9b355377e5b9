//! The `config.json` transformers reads for a model this trainer holds (the
//! tiny model written out, a trained model's folder): the shared Llama
//! fields, the RoPE scaling, then each family's own fields.

use super::{ModelConfig, RopeScaling};
use serde_json::{Value, json};

impl ModelConfig {
    /// The `config.json` transformers reads for this model.
    pub fn to_hf_json(&self) -> Value {
        let mut v = json!({
            "architectures": [self.hf_architecture()],
            "model_type": self.model_type,
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.head_dim,
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "tie_word_embeddings": self.tie_word_embeddings,
            "attention_bias": self.attention_bias,
            "mlp_bias": false,
            "hidden_act": "silu",
            "max_position_embeddings": self.max_position_embeddings,
            "torch_dtype": "float32",
        });
        if let Some(s) = scaling_json(&self.rope_scaling) {
            v["rope_scaling"] = s;
        }
        self.family_fields(&mut v);
        if let Some(b) = self.bos_token_id {
            v["bos_token_id"] = b.into();
        }
        if let Some(e) = self.eos_token_ids.first() {
            v["eos_token_id"] = (*e).into();
        }
        v
    }

    /// transformers' class for the architecture.
    fn hf_architecture(&self) -> &'static str {
        match self.model_type.as_str() {
            "mistral" => "MistralForCausalLM",
            "qwen2" => "Qwen2ForCausalLM",
            "qwen3" => "Qwen3ForCausalLM",
            "phi3" => "Phi3ForCausalLM",
            "gemma2" => "Gemma2ForCausalLM",
            "gemma3_text" => "Gemma3ForCausalLM",
            _ => "LlamaForCausalLM",
        }
    }

    /// The fields only this architecture's family has.
    fn family_fields(&self, v: &mut Value) {
        let a = &self.arch;
        match self.model_type.as_str() {
            "qwen3" => {
                v["use_sliding_window"] = false.into();
            }
            "phi3" => {
                // Phi-3's default pad id (32000) must lie inside the vocabulary.
                v["pad_token_id"] = 0.into();
                v["sliding_window"] = a.sliding_window.into();
            }
            "mistral" => {
                v["sliding_window"] = a.sliding_window.into();
            }
            "gemma2" | "gemma3_text" => self.gemma_fields(v),
            _ => {}
        }
    }

    fn gemma_fields(&self, v: &mut Value) {
        let a = &self.arch;
        v["pad_token_id"] = 0.into();
        v["hidden_activation"] = "gelu_pytorch_tanh".into();
        v["hidden_act"] = "gelu_pytorch_tanh".into();
        // transformers reads it as an integer.
        v["query_pre_attn_scalar"] = match a.query_pre_attn_scalar {
            Some(q) if q.fract() == 0.0 => (q as u64).into(),
            other => other.into(),
        };
        v["attn_logit_softcapping"] = a.attn_logit_softcapping.into();
        v["final_logit_softcapping"] = a.final_logit_softcapping.into();
        v["sliding_window"] = a.sliding_window.into();
        let types: Vec<&str> = (0..self.num_hidden_layers)
            .map(|i| {
                if self.sliding(i).is_some() {
                    "sliding_attention"
                } else {
                    "full_attention"
                }
            })
            .collect();
        v["layer_types"] = types.into();
        if let Some((theta, _)) = &a.local_rope {
            v["rope_local_base_freq"] = (*theta).into();
        }
    }
}

/// `rope_scaling` as transformers reads it; None for plain RoPE.
fn scaling_json(s: &RopeScaling) -> Option<Value> {
    match s {
        RopeScaling::Default => None,
        RopeScaling::Linear { factor } => Some(json!({"rope_type": "linear", "factor": factor})),
        RopeScaling::Llama3 {
            factor,
            low_freq_factor,
            high_freq_factor,
            original_max_position_embeddings,
        } => Some(json!({"rope_type": "llama3", "factor": factor,
            "low_freq_factor": low_freq_factor, "high_freq_factor": high_freq_factor,
            "original_max_position_embeddings": original_max_position_embeddings})),
    }
}
