//! What sets an architecture apart from Llama ([`Arch`]), read per family
//! as transformers defaults it: the sliding windows (Mistral, Phi-3, Gemma
//! 2/3; Qwen's is refused), Gemma's norms, activation, score scale,
//! softcapping and Gemma 3's local RoPE. A family's fields set on another
//! family (softcapping on a Llama) and activations other than the family's
//! own are refused by name.

use super::fields::{Fields, refuse};
use super::rope::{Rope, RopeScaling};
use crate::error::{Result, TrainerError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

impl Arch {
    /// The departures of architecture `mt` (a supported `model_type`) with
    /// `layers` layers, as its config sets them.
    pub(super) fn read(
        f: &Fields,
        mt: &str,
        multimodal: bool,
        layers: usize,
        rope: &Rope,
    ) -> Result<Self> {
        let gemma = mt.starts_with("gemma");
        let mut arch = Arch {
            qk_norm: matches!(mt, "qwen3" | "gemma3_text"),
            gemma,
            multimodal,
            ..Arch::default()
        };
        arch.read_sliding(f, mt, layers)?;
        if gemma {
            arch.read_gemma(f, mt, rope)?;
        } else {
            refuse_gemma_only(f, mt)?;
        }
        Ok(arch)
    }

    /// Sliding windows: which layers, and how wide.
    fn read_sliding(&mut self, f: &Fields, mt: &str, layers: usize) -> Result<()> {
        match mt {
            "qwen2" | "qwen3" if f.flag("use_sliding_window") == Some(true) => {
                return Err(refuse("use_sliding_window", "is true".into()));
            }
            // Every layer slides; Mistral's window is 4096 unless the config
            // says otherwise (null: none), Phi-3 has none unless it says.
            "phi3" | "mistral" => {
                let window = match f.get("sliding_window") {
                    None if mt == "mistral" => Some(4096),
                    None => None,
                    Some(w) => w.as_u64(),
                };
                if let Some(w) = window {
                    self.sliding_window = Some(w as usize);
                    self.sliding_layers = vec![true; layers];
                }
            }
            "gemma2" | "gemma3_text" => {
                let sliding = gemma_sliding_layers(f, mt, layers)?;
                let window = match f.get("sliding_window") {
                    None => Some(4096),
                    Some(w) => w.as_u64(),
                };
                if let Some(w) = window {
                    self.sliding_window = Some(w as usize);
                    self.sliding_layers = sliding;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Gemma's activation, score scale, softcapping and Gemma 3's local
    /// RoPE.
    fn read_gemma(&mut self, f: &Fields, mt: &str, rope: &Rope) -> Result<()> {
        let act = f
            .get("hidden_activation")
            .or(f.get("hidden_act"))
            .and_then(Value::as_str)
            .unwrap_or("gelu_pytorch_tanh");
        if act != "gelu_pytorch_tanh" {
            return Err(refuse(
                "hidden_activation",
                format!("is `{act}` (gelu_pytorch_tanh is)"),
            ));
        }
        if f.flag("use_bidirectional_attention") == Some(true) {
            return Err(refuse("use_bidirectional_attention", "is true".into()));
        }
        self.query_pre_attn_scalar = Some(f.float("query_pre_attn_scalar").unwrap_or(256.0));
        // Gemma 2 caps by default (50, 30); Gemma 3 does not.
        let cap = |k: &str, default: f64| match f.get(k) {
            None if mt == "gemma2" => Some(default),
            Some(c) => c.as_f64(),
            None => None,
        };
        self.attn_logit_softcapping = cap("attn_logit_softcapping", 50.0);
        self.final_logit_softcapping = cap("final_logit_softcapping", 30.0);
        if mt == "gemma3_text" {
            self.local_rope = Some(rope.local(f)?);
        }
        Ok(())
    }
}

/// Which of Gemma's layers slide: as `layer_types` names them, or every
/// layer but each `sliding_window_pattern`-th (Gemma 2: every other).
fn gemma_sliding_layers(f: &Fields, mt: &str, layers: usize) -> Result<Vec<bool>> {
    let pattern = if mt == "gemma2" {
        2
    } else {
        f.get("sliding_window_pattern")
            .and_then(Value::as_u64)
            .unwrap_or(6) as usize
    };
    let sliding: Vec<bool> = match f.get("layer_types").and_then(Value::as_array) {
        Some(types) => types
            .iter()
            .map(|t| match t.as_str() {
                Some("sliding_attention") => Ok(true),
                Some("full_attention") => Ok(false),
                _ => Err(refuse("layer_types", format!("names `{t}`"))),
            })
            .collect::<Result<_>>()?,
        None => (0..layers).map(|i| (i + 1) % pattern.max(1) != 0).collect(),
    };
    if sliding.len() != layers {
        return Err(TrainerError::spec(
            "layer_types",
            "must name one type per layer",
        ));
    }
    Ok(sliding)
}

/// The Llama-like families: SiLU only, and no softcapping.
fn refuse_gemma_only(f: &Fields, mt: &str) -> Result<()> {
    if let Some(act) = f.get("hidden_act").and_then(Value::as_str)
        && act != "silu"
    {
        return Err(refuse("hidden_act", format!("is `{act}` (silu is)")));
    }
    for k in ["attn_logit_softcapping", "final_logit_softcapping"] {
        if f.get(k).is_some_and(|c| !c.is_null()) {
            return Err(refuse(k, format!("is set for {mt}")));
        }
    }
    Ok(())
}
