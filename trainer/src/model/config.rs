//! A Hugging Face `config.json` for the Llama family (Llama 2/3, Mistral,
//! Qwen2), read leniently where the writers differ: transformers 5 puts
//! `rope_theta` under `rope_parameters`; `head_dim` may be given or implied;
//! `tie_word_embeddings` defaults per architecture. RoPE scaling types this
//! trainer does not implement are refused, never silently ignored.

use crate::error::{Result, TrainerError};
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rope_type", rename_all = "snake_case")]
pub enum RopeScaling {
    Default,
    Linear {
        factor: f64,
    },
    Llama3 {
        factor: f64,
        low_freq_factor: f64,
        high_freq_factor: f64,
        original_max_position_embeddings: usize,
    },
}

const SUPPORTED: [&str; 3] = ["llama", "mistral", "qwen2"];

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
        let model_type = v
            .get("model_type")
            .and_then(Value::as_str)
            .ok_or_else(|| TrainerError::spec("model_type", "is missing"))?
            .to_string();
        if !SUPPORTED.contains(&model_type.as_str()) {
            return Err(TrainerError::UnsupportedModel(format!(
                "model_type `{model_type}` is not one this trainer implements ({}); choose a Llama, Mistral or Qwen2 model",
                SUPPORTED.join(", ")
            )));
        }
        let num = |k: &str| -> Result<usize> {
            v.get(k)
                .and_then(Value::as_u64)
                .map(|n| n as usize)
                .filter(|n| *n > 0)
                .ok_or_else(|| TrainerError::spec(k, "must be a positive whole number"))
        };
        let hidden_size = num("hidden_size")?;
        let num_attention_heads = num("num_attention_heads")?;
        let num_key_value_heads = v
            .get("num_key_value_heads")
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .unwrap_or(num_attention_heads);
        if num_key_value_heads == 0 || !num_attention_heads.is_multiple_of(num_key_value_heads) {
            return Err(TrainerError::spec(
                "num_key_value_heads",
                "must divide num_attention_heads",
            ));
        }
        let head_dim = v
            .get("head_dim")
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .unwrap_or(hidden_size / num_attention_heads);
        if !head_dim.is_multiple_of(2) {
            return Err(TrainerError::spec("head_dim", "must be even for RoPE"));
        }
        let rope = v.get("rope_parameters");
        let rope_theta = v
            .get("rope_theta")
            .or_else(|| rope.and_then(|r| r.get("rope_theta")))
            .and_then(Value::as_f64)
            .unwrap_or(10_000.0);
        let scaling = v
            .get("rope_scaling")
            .filter(|s| !s.is_null())
            .or(rope.filter(|r| r.get("rope_type").is_some()));
        let rope_scaling = parse_scaling(scaling)?;
        let eos_token_ids = match v.get("eos_token_id") {
            Some(Value::Number(n)) => n.as_u64().map(|n| vec![n as u32]).unwrap_or_default(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_u64)
                .map(|n| n as u32)
                .collect(),
            _ => Vec::new(),
        };
        let default_tied = model_type == "qwen2" && hidden_size <= 2048;
        Ok(Self {
            vocab_size: num("vocab_size")?,
            hidden_size,
            intermediate_size: num("intermediate_size")?,
            num_hidden_layers: num("num_hidden_layers")?,
            num_attention_heads,
            num_key_value_heads,
            head_dim,
            rms_norm_eps: v
                .get("rms_norm_eps")
                .and_then(Value::as_f64)
                .unwrap_or(1e-6),
            rope_theta,
            rope_scaling,
            tie_word_embeddings: v
                .get("tie_word_embeddings")
                .and_then(Value::as_bool)
                .unwrap_or(default_tied),
            attention_bias: v
                .get("attention_bias")
                .and_then(Value::as_bool)
                .unwrap_or(model_type == "qwen2"),
            max_position_embeddings: v
                .get("max_position_embeddings")
                .and_then(Value::as_u64)
                .map(|n| n as usize)
                .unwrap_or(4096),
            bos_token_id: v
                .get("bos_token_id")
                .and_then(Value::as_u64)
                .map(|n| n as u32),
            eos_token_ids,
            model_type,
        })
    }

    /// The `config.json` transformers reads for this model.
    pub fn to_hf_json(&self) -> Value {
        let arch = match self.model_type.as_str() {
            "mistral" => "MistralForCausalLM",
            "qwen2" => "Qwen2ForCausalLM",
            _ => "LlamaForCausalLM",
        };
        let mut v = serde_json::json!({
            "architectures": [arch],
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
        if let Some(b) = self.bos_token_id {
            v["bos_token_id"] = b.into();
        }
        if let Some(e) = self.eos_token_ids.first() {
            v["eos_token_id"] = (*e).into();
        }
        v
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
        let attn = h * q * 2 + h * kv * 2 + if self.attention_bias { q + 2 * kv } else { 0 };
        let mlp = 3 * h * self.intermediate_size;
        let layer = attn + mlp + 2 * h;
        let embed = self.vocab_size * h;
        embed * if self.tie_word_embeddings { 1 } else { 2 } + layer * self.num_hidden_layers + h
    }
}

fn parse_scaling(s: Option<&Value>) -> Result<RopeScaling> {
    let Some(s) = s else {
        return Ok(RopeScaling::Default);
    };
    let kind = s
        .get("rope_type")
        .or_else(|| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("default");
    let f = |k: &str| -> Result<f64> {
        s.get(k)
            .and_then(Value::as_f64)
            .ok_or_else(|| TrainerError::spec(&format!("rope_scaling.{k}"), "is missing"))
    };
    match kind {
        "default" => Ok(RopeScaling::Default),
        "linear" => Ok(RopeScaling::Linear {
            factor: f("factor")?,
        }),
        "llama3" => Ok(RopeScaling::Llama3 {
            factor: f("factor")?,
            low_freq_factor: f("low_freq_factor")?,
            high_freq_factor: f("high_freq_factor")?,
            original_max_position_embeddings: f("original_max_position_embeddings")? as usize,
        }),
        other => Err(TrainerError::UnsupportedModel(format!(
            "RoPE scaling `{other}` is not implemented (default, linear and llama3 are); use a model without it"
        ))),
    }
}

impl RopeScaling {
    /// The inverse frequencies for one head.
    pub fn inv_freq(&self, head_dim: usize, theta: f64) -> Vec<f32> {
        let base: Vec<f64> = (0..head_dim / 2)
            .map(|i| 1.0 / theta.powf(2.0 * i as f64 / head_dim as f64))
            .collect();
        match self {
            Self::Default => base.iter().map(|f| *f as f32).collect(),
            Self::Linear { factor } => base.iter().map(|f| (f / factor) as f32).collect(),
            Self::Llama3 {
                factor,
                low_freq_factor,
                high_freq_factor,
                original_max_position_embeddings,
            } => {
                let old = *original_max_position_embeddings as f64;
                let low_wavelen = old / low_freq_factor;
                let high_wavelen = old / high_freq_factor;
                base.iter()
                    .map(|&f| {
                        let wavelen = 2.0 * std::f64::consts::PI / f;
                        let out = if wavelen < high_wavelen {
                            f
                        } else if wavelen > low_wavelen {
                            f / factor
                        } else {
                            let smooth = (old / wavelen - low_freq_factor)
                                / (high_freq_factor - low_freq_factor);
                            (1.0 - smooth) * f / factor + smooth * f
                        };
                        out as f32
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Value {
        serde_json::json!({
            "model_type": "llama", "vocab_size": 100, "hidden_size": 64,
            "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        })
    }

    #[test]
    fn rope_theta_is_read_from_either_place() {
        let mut v = base();
        v["rope_parameters"] = serde_json::json!({"rope_theta": 1e6, "rope_type": "default"});
        assert_eq!(ModelConfig::from_json(&v).unwrap().rope_theta, 1e6);
        let mut v = base();
        v["rope_theta"] = 5e5.into();
        let c = ModelConfig::from_json(&v).unwrap();
        assert_eq!(c.rope_theta, 5e5);
        assert_eq!(c.num_key_value_heads, 4);
        assert_eq!(c.head_dim, 16);
    }

    #[test]
    fn unknown_architectures_and_scalings_are_refused() {
        let mut v = base();
        v["model_type"] = "gpt2".into();
        let e = ModelConfig::from_json(&v).unwrap_err().to_string();
        assert!(e.contains("gpt2") && e.contains("Llama"), "{e}");
        let mut v = base();
        v["rope_scaling"] = serde_json::json!({"rope_type": "yarn", "factor": 4.0});
        let e = ModelConfig::from_json(&v).unwrap_err().to_string();
        assert!(e.contains("yarn"), "{e}");
        let mut v = base();
        v["num_key_value_heads"] = 3.into();
        assert!(ModelConfig::from_json(&v).is_err());
    }

    #[test]
    fn llama3_scaling_keeps_high_frequencies_and_divides_low_ones() {
        let s = RopeScaling::Llama3 {
            factor: 8.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_max_position_embeddings: 8192,
        };
        let plain = RopeScaling::Default.inv_freq(64, 500_000.0);
        let scaled = s.inv_freq(64, 500_000.0);
        assert_eq!(plain[0], scaled[0]);
        assert!((scaled[31] - plain[31] / 8.0).abs() < 1e-12);
    }
}
