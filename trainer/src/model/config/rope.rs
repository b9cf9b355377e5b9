//! Rotary position embeddings: the base (`rope_theta`) and scaling a config
//! asks for, read from either place the writers put them (transformers 5
//! nests them under `rope_parameters`, per layer type for Gemma 3), and
//! the inverse frequencies they give. Scaling types other than linear and
//! llama3, and partial rotary embeddings, are refused by name.

use super::fields::{Fields, refuse};
use crate::error::{Result, TrainerError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// The global RoPE a config asks for, and where the sliding layers' own
/// sits when it gives RoPE per layer type.
pub(super) struct Rope<'a> {
    pub theta: f64,
    pub scaling: RopeScaling,
    per_type: Option<&'a Value>,
}

impl<'a> Rope<'a> {
    pub fn read(f: &Fields<'a>, model_type: &str) -> Result<Self> {
        let rope = f.get("rope_parameters").filter(|r| !r.is_null());
        // Partial rotary embeddings (Phi-4-mini, 0.75) rotate only part of
        // each head.
        let partial = f
            .float("partial_rotary_factor")
            .or_else(|| rope.and_then(|r| r.get("partial_rotary_factor")?.as_f64()));
        if let Some(p) = partial.filter(|p| *p != 1.0) {
            return Err(refuse(
                "partial_rotary_factor",
                format!("is {p} (only 1 is)"),
            ));
        }
        // Gemma 3 in transformers 5: RoPE per layer type.
        let per_type = rope.filter(|r| r.get("full_attention").is_some());
        let global_rope = per_type.and_then(|r| r.get("full_attention")).or(rope);
        let default_theta = if model_type == "gemma3_text" {
            1e6
        } else {
            10_000.0
        };
        let theta = f
            .float("rope_theta")
            .or_else(|| global_rope.and_then(|r| r.get("rope_theta")?.as_f64()))
            .unwrap_or(default_theta);
        let scaling = f
            .get("rope_scaling")
            .filter(|s| !s.is_null())
            .or(global_rope.filter(|r| r.get("rope_type").or(r.get("type")).is_some()));
        Ok(Self {
            theta,
            scaling: parse_scaling(scaling)?,
            per_type,
        })
    }

    /// Gemma 3's sliding layers' RoPE: `rope_local_base_freq`, or the
    /// `sliding_attention` entry of RoPE per layer type.
    pub fn local(&self, f: &Fields) -> Result<(f64, RopeScaling)> {
        let local = self.per_type.and_then(|r| r.get("sliding_attention"));
        let theta = f
            .float("rope_local_base_freq")
            .or_else(|| local.and_then(|r| r.get("rope_theta")?.as_f64()))
            .unwrap_or(10_000.0);
        Ok((theta, parse_scaling(local)?))
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
