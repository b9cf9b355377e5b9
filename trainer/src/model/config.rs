//! A Hugging Face `config.json` for the decoders this trainer implements
//! (Llama 2/3, Mistral, Qwen2, Qwen3, Phi-3/Phi-4, Gemma 2, Gemma 3), read
//! leniently where the writers differ: transformers 5 puts `rope_theta`
//! under `rope_parameters`; `head_dim` may be given or implied;
//! `tie_word_embeddings` and the other fields default per architecture as
//! transformers defaults them. What a config asks for that this trainer does
//! not implement (RoPE scaling types, partial rotary, bidirectional
//! attention, other activations) is refused by name, never silently ignored.

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
    /// What sets Qwen3, Phi-3 and Gemma apart from Llama (all off for the
    /// Llama family).
    #[serde(default)]
    pub arch: Arch,
}

/// The architecture's departures from Llama.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Arch {
    /// RMSNorm over each head of q and k, after the projection and before
    /// RoPE (`self_attn.q_norm`, `self_attn.k_norm`): Qwen3, Gemma 3.
    pub qk_norm: bool,
    /// Gemma 2/3: RMSNorm scales by 1 + w, the embeddings by √hidden, the
    /// MLP is gelu_pytorch_tanh(gate)·up, and the attention's and the MLP's
    /// outputs are normalised before the residual add.
    pub gemma: bool,
    /// Attention scores scale by this^-½ instead of head_dim^-½ (Gemma).
    pub query_pre_attn_scalar: Option<f64>,
    /// Scores become tanh(s/c)·c before the mask and softmax.
    pub attn_logit_softcapping: Option<f64>,
    /// Logits become tanh(l/c)·c before the loss.
    pub final_logit_softcapping: Option<f64>,
    /// The keys a sliding layer's position sees: itself and the
    /// `sliding_window − 1` before it.
    pub sliding_window: Option<usize>,
    /// Per layer, whether it attends through the sliding window (empty:
    /// none does).
    pub sliding_layers: Vec<bool>,
    /// RoPE of the sliding layers, where it differs from the global one
    /// (Gemma 3's `rope_local_base_freq`): theta and scaling.
    pub local_rope: Option<(f64, RopeScaling)>,
    /// The text model of Gemma 3 with its vision tower (`model_type`
    /// gemma3): its weights and PEFT's module names sit under
    /// `language_model`.
    pub multimodal: bool,
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
        let mut model_type = v
            .get("model_type")
            .and_then(Value::as_str)
            .ok_or_else(|| TrainerError::spec("model_type", "is missing"))?
            .to_string();
        // Gemma 3 with its vision tower: the text model's config is nested.
        let outer = v;
        let v = if model_type == "gemma3" {
            model_type = "gemma3_text".into();
            v.get("text_config")
                .filter(|t| t.is_object())
                .ok_or_else(|| {
                    TrainerError::spec("text_config", "is missing (model_type gemma3)")
                })?
        } else {
            v
        };
        if !SUPPORTED.contains(&model_type.as_str()) {
            return Err(TrainerError::UnsupportedModel(format!(
                "model_type `{model_type}` is not one this trainer implements ({}, or gemma3 for its text model); choose a Llama, Mistral, Qwen2, Qwen3, Phi-3/Phi-4, Gemma 2 or Gemma 3 model",
                SUPPORTED.join(", ")
            )));
        }
        let multimodal = !std::ptr::eq(v, outer);
        let mt = model_type.as_str();
        let gemma = mt.starts_with("gemma");
        let num = |k: &str| -> Result<usize> {
            v.get(k)
                .and_then(Value::as_u64)
                .map(|n| n as usize)
                .filter(|n| *n > 0)
                .ok_or_else(|| TrainerError::spec(k, "must be a positive whole number"))
        };
        let flag = |k: &str| v.get(k).and_then(Value::as_bool);
        let float = |k: &str| v.get(k).and_then(Value::as_f64);
        let refuse = |field: &str, why: String| {
            TrainerError::UnsupportedModel(format!(
                "config.json field `{field}` {why}; this trainer does not implement it"
            ))
        };
        let hidden_size = num("hidden_size")?;
        let num_hidden_layers = num("num_hidden_layers")?;
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
        // transformers' defaults where head_dim is absent.
        let implied_head_dim = match mt {
            "qwen3" => 128,
            "gemma2" | "gemma3_text" => 256,
            _ => hidden_size / num_attention_heads,
        };
        let head_dim = v
            .get("head_dim")
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .unwrap_or(implied_head_dim);
        if !head_dim.is_multiple_of(2) {
            return Err(TrainerError::spec("head_dim", "must be even for RoPE"));
        }
        let rope = v.get("rope_parameters").filter(|r| !r.is_null());
        // Partial rotary embeddings (Phi-4-mini, 0.75) rotate only part of
        // each head.
        let partial = float("partial_rotary_factor")
            .or_else(|| rope.and_then(|r| r.get("partial_rotary_factor")?.as_f64()));
        if let Some(f) = partial.filter(|f| *f != 1.0) {
            return Err(refuse(
                "partial_rotary_factor",
                format!("is {f} (only 1 is)"),
            ));
        }
        // Gemma 3 in transformers 5: RoPE per layer type.
        let per_type = rope.filter(|r| r.get("full_attention").is_some());
        let global_rope = per_type.and_then(|r| r.get("full_attention")).or(rope);
        let default_theta = if mt == "gemma3_text" { 1e6 } else { 10_000.0 };
        let rope_theta = float("rope_theta")
            .or_else(|| global_rope.and_then(|r| r.get("rope_theta")?.as_f64()))
            .unwrap_or(default_theta);
        let scaling = v
            .get("rope_scaling")
            .filter(|s| !s.is_null())
            .or(global_rope.filter(|r| r.get("rope_type").or(r.get("type")).is_some()));
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
        let default_tied = gemma || (mt == "qwen2" && hidden_size <= 2048);
        let mut arch = Arch {
            qk_norm: matches!(mt, "qwen3" | "gemma3_text"),
            gemma,
            multimodal,
            ..Arch::default()
        };
        // Sliding windows: which layers, and how wide.
        match mt {
            "qwen2" | "qwen3" if flag("use_sliding_window") == Some(true) => {
                return Err(refuse("use_sliding_window", "is true".into()));
            }
            // Every layer slides; Mistral's window is 4096 unless the config
            // says otherwise (null: none), Phi-3 has none unless it says.
            "phi3" | "mistral" => {
                let window = match v.get("sliding_window") {
                    None if mt == "mistral" => Some(4096),
                    None => None,
                    Some(w) => w.as_u64(),
                };
                if let Some(w) = window {
                    arch.sliding_window = Some(w as usize);
                    arch.sliding_layers = vec![true; num_hidden_layers];
                }
            }
            "gemma2" | "gemma3_text" => {
                let pattern = if mt == "gemma2" {
                    2
                } else {
                    v.get("sliding_window_pattern")
                        .and_then(Value::as_u64)
                        .unwrap_or(6) as usize
                };
                let layers: Vec<bool> = match v.get("layer_types").and_then(Value::as_array) {
                    Some(types) => types
                        .iter()
                        .map(|t| match t.as_str() {
                            Some("sliding_attention") => Ok(true),
                            Some("full_attention") => Ok(false),
                            _ => Err(refuse("layer_types", format!("names `{t}`"))),
                        })
                        .collect::<Result<_>>()?,
                    None => (0..num_hidden_layers)
                        .map(|i| (i + 1) % pattern.max(1) != 0)
                        .collect(),
                };
                if layers.len() != num_hidden_layers {
                    return Err(TrainerError::spec(
                        "layer_types",
                        "must name one type per layer",
                    ));
                }
                let window = match v.get("sliding_window") {
                    None => Some(4096),
                    Some(w) => w.as_u64(),
                };
                if let Some(w) = window {
                    arch.sliding_window = Some(w as usize);
                    arch.sliding_layers = layers;
                }
            }
            _ => {}
        }
        if gemma {
            let act = v
                .get("hidden_activation")
                .or(v.get("hidden_act"))
                .and_then(Value::as_str)
                .unwrap_or("gelu_pytorch_tanh");
            if act != "gelu_pytorch_tanh" {
                return Err(refuse(
                    "hidden_activation",
                    format!("is `{act}` (gelu_pytorch_tanh is)"),
                ));
            }
            if flag("use_bidirectional_attention") == Some(true) {
                return Err(refuse("use_bidirectional_attention", "is true".into()));
            }
            arch.query_pre_attn_scalar = Some(float("query_pre_attn_scalar").unwrap_or(256.0));
            // Gemma 2 caps by default (50, 30); Gemma 3 does not.
            let cap = |k: &str, default: f64| match v.get(k) {
                None if mt == "gemma2" => Some(default),
                Some(c) => c.as_f64(),
                None => None,
            };
            arch.attn_logit_softcapping = cap("attn_logit_softcapping", 50.0);
            arch.final_logit_softcapping = cap("final_logit_softcapping", 30.0);
            if mt == "gemma3_text" {
                let local = per_type.and_then(|r| r.get("sliding_attention"));
                let theta = float("rope_local_base_freq")
                    .or_else(|| local.and_then(|r| r.get("rope_theta")?.as_f64()))
                    .unwrap_or(10_000.0);
                arch.local_rope = Some((theta, parse_scaling(local)?));
            }
        } else if let Some(act) = v.get("hidden_act").and_then(Value::as_str)
            && act != "silu"
        {
            return Err(refuse("hidden_act", format!("is `{act}` (silu is)")));
        }
        if !gemma {
            for k in ["attn_logit_softcapping", "final_logit_softcapping"] {
                if v.get(k).is_some_and(|c| !c.is_null()) {
                    return Err(refuse(k, format!("is set for {mt}")));
                }
            }
        }
        Ok(Self {
            vocab_size: num("vocab_size")?,
            hidden_size,
            intermediate_size: num("intermediate_size")?,
            num_hidden_layers,
            num_attention_heads,
            num_key_value_heads,
            head_dim,
            rms_norm_eps: float("rms_norm_eps").unwrap_or(if mt == "phi3" { 1e-5 } else { 1e-6 }),
            rope_theta,
            rope_scaling,
            tie_word_embeddings: flag("tie_word_embeddings").unwrap_or(default_tied),
            // Phi-3's projections have no biases, whatever the config says.
            attention_bias: mt != "phi3" && flag("attention_bias").unwrap_or(mt == "qwen2"),
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
            arch,
            model_type,
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

    /// The `config.json` transformers reads for this model.
    pub fn to_hf_json(&self) -> Value {
        let arch = match self.model_type.as_str() {
            "mistral" => "MistralForCausalLM",
            "qwen2" => "Qwen2ForCausalLM",
            "qwen3" => "Qwen3ForCausalLM",
            "phi3" => "Phi3ForCausalLM",
            "gemma2" => "Gemma2ForCausalLM",
            "gemma3_text" => "Gemma3ForCausalLM",
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
        match &self.rope_scaling {
            RopeScaling::Default => {}
            RopeScaling::Linear { factor } => {
                v["rope_scaling"] = serde_json::json!({"rope_type": "linear", "factor": factor});
            }
            RopeScaling::Llama3 {
                factor,
                low_freq_factor,
                high_freq_factor,
                original_max_position_embeddings,
            } => {
                v["rope_scaling"] = serde_json::json!({"rope_type": "llama3", "factor": factor,
                    "low_freq_factor": low_freq_factor, "high_freq_factor": high_freq_factor,
                    "original_max_position_embeddings": original_max_position_embeddings});
            }
        }
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
            "gemma2" | "gemma3_text" => {
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
            _ => {}
        }
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

    fn refused(v: &Value) -> String {
        ModelConfig::from_json(v).unwrap_err().to_string()
    }

    #[test]
    fn what_the_new_architectures_ask_for_and_this_trainer_lacks_is_refused_by_name() {
        let mut v = base();
        v["model_type"] = "phi3".into();
        v["partial_rotary_factor"] = 0.75.into();
        assert!(refused(&v).contains("partial_rotary_factor"));
        let mut v = base();
        v["model_type"] = "phi3".into();
        v["rope_scaling"] =
            serde_json::json!({"type": "longrope", "short_factor": [1.0], "long_factor": [1.0]});
        assert!(refused(&v).contains("longrope"));
        let mut v = base();
        v["model_type"] = "gemma2".into();
        v["hidden_activation"] = "gelu".into();
        assert!(refused(&v).contains("hidden_activation"));
        let mut v = base();
        v["model_type"] = "gemma3_text".into();
        v["use_bidirectional_attention"] = true.into();
        assert!(refused(&v).contains("use_bidirectional_attention"));
        let mut v = base();
        v["model_type"] = "qwen3".into();
        v["use_sliding_window"] = true.into();
        assert!(refused(&v).contains("use_sliding_window"));
        let mut v = base();
        v["final_logit_softcapping"] = 30.0.into();
        assert!(refused(&v).contains("final_logit_softcapping"));
        let mut v = base();
        v["model_type"] = "gemma2".into();
        v["layer_types"] = serde_json::json!(["sliding_attention", "chunked_attention"]);
        assert!(refused(&v).contains("layer_types"));
    }

    #[test]
    fn the_new_architectures_default_as_transformers_does() {
        let mut v = base();
        v["model_type"] = "gemma2".into();
        let c = ModelConfig::from_json(&v).unwrap();
        assert_eq!(c.head_dim, 256);
        assert!(c.tie_word_embeddings && c.arch.gemma && !c.arch.qk_norm);
        assert_eq!(c.arch.attn_logit_softcapping, Some(50.0));
        assert_eq!(c.arch.final_logit_softcapping, Some(30.0));
        assert_eq!((c.sliding(0), c.sliding(1)), (Some(4096), None));
        assert_eq!(c.attention_scale(), 1.0 / 16.0);
        v["final_logit_softcapping"] = Value::Null;
        let c = ModelConfig::from_json(&v).unwrap();
        assert_eq!(c.arch.final_logit_softcapping, None);

        // Gemma 3 with its vision tower, RoPE per layer type (transformers 5).
        let mut text = base();
        text["model_type"] = "gemma3_text".into();
        text["num_hidden_layers"] = 6.into();
        text["rope_parameters"] = serde_json::json!({
            "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1e6},
            "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}});
        let v = serde_json::json!({"model_type": "gemma3", "text_config": text});
        let c = ModelConfig::from_json(&v).unwrap();
        assert_eq!(c.model_type, "gemma3_text");
        assert!(c.arch.multimodal);
        let name = |n: &str| c.text_weight_name(n);
        assert_eq!(
            name("language_model.model.layers.0.mlp.up_proj.weight").as_deref(),
            Some("model.layers.0.mlp.up_proj.weight")
        );
        assert_eq!(
            name("model.language_model.norm.weight").as_deref(),
            Some("model.norm.weight")
        );
        assert_eq!(
            name("vision_tower.vision_model.post_layernorm.weight"),
            None
        );
        assert_eq!(
            name("model.vision_tower.vision_model.post_layernorm.weight"),
            None
        );
        assert_eq!(c.rope_theta, 1e6);
        assert_eq!(c.rope_scaling, RopeScaling::Linear { factor: 8.0 });
        assert_eq!(c.arch.local_rope, Some((1e4, RopeScaling::Default)));
        let sliding: Vec<bool> = (0..6).map(|i| c.sliding(i).is_some()).collect();
        assert_eq!(sliding, [true, true, true, true, true, false]);
        assert!(c.arch.qk_norm && c.arch.attn_logit_softcapping.is_none());

        let mut v = base();
        v["model_type"] = "qwen3".into();
        let c = ModelConfig::from_json(&v).unwrap();
        assert_eq!(c.head_dim, 128);
        assert!(c.arch.qk_norm && !c.attention_bias && !c.tie_word_embeddings);
        let mut v = base();
        v["model_type"] = "phi3".into();
        let c = ModelConfig::from_json(&v).unwrap();
        assert!(c.fused_projections() && c.sliding(0).is_none());
        assert_eq!(c.rms_norm_eps, 1e-5);
        let mut v = base();
        v["model_type"] = "mistral".into();
        let c = ModelConfig::from_json(&v).unwrap();
        assert_eq!(c.sliding(1), Some(4096));
        v["sliding_window"] = Value::Null;
        assert_eq!(ModelConfig::from_json(&v).unwrap().sliding(1), None);
    }
}
