//! The adapter an export merges or converts: PEFT's `adapter_config.json`
//! and `adapter_model.safetensors`, as (A, B) pairs keyed by the base
//! weight they adapt. PEFT's key `base_model.model.<module>.lora_A.weight`
//! adapts the base's `<module>.weight`, whatever the module path (text or
//! multimodal); both sides are compared by their text-model names.

use super::base::Shards;
use crate::adapter::{CONFIG_FILE, WEIGHTS_FILE};
use crate::error::{Result, TrainerError};
use crate::model::ModelConfig;
use candle_core::{DType, Tensor};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const PEFT_PREFIX: &str = "base_model.model.";

/// One adapted projection: A [r, in] and B [out, r], in f32.
pub struct LoraPair {
    pub a: Tensor,
    pub b: Tensor,
}

pub struct LoraWeights {
    pub r: usize,
    /// `lora_alpha` as llama.cpp reads it: the merge scales by alpha / r.
    pub alpha: f64,
    /// Keyed by the adapted weight's name (`model.layers.0.self_attn.q_proj.weight`).
    pub pairs: BTreeMap<String, LoraPair>,
}

impl LoraWeights {
    pub fn scale(&self) -> f64 {
        self.alpha / self.r as f64
    }

    /// The pair for a base weight, by the base's own name (after `fit`).
    pub fn pair_for(&self, config: &ModelConfig, base_name: &str) -> Option<&LoraPair> {
        self.pairs.get(&config.text_weight_name(base_name)?)
    }

    /// Keys the pairs by text-model names and checks that every pair
    /// adapts a base weight of shape [out, in] with A [r, in] and B
    /// [out, r]; the first that does not is named.
    pub fn fit(mut self, config: &ModelConfig, shards: &Shards) -> Result<Self> {
        let text_names: BTreeMap<String, &Vec<usize>> = shards
            .tensors
            .iter()
            .filter_map(|(n, t)| Some((config.text_weight_name(n)?, &t.shape)))
            .collect();
        let mut pairs = BTreeMap::new();
        for (key, pair) in std::mem::take(&mut self.pairs) {
            let name = config.text_weight_name(&key).unwrap_or_else(|| key.clone());
            let Some(shape) = text_names.get(&name) else {
                return Err(TrainerError::UnsupportedModel(format!(
                    "the adapter adapts `{key}`, which the base model does not have; \
                     export with the base model the adapter was trained on"
                )));
            };
            let want = [pair.b.dims()[0], pair.a.dims()[1]];
            if shape.as_slice() != want {
                return Err(TrainerError::UnsupportedModel(format!(
                    "the adapter's `{key}` is for a [{}, {}] weight but the base model's is {shape:?}; \
                     export with the base model the adapter was trained on",
                    want[0], want[1]
                )));
            }
            pairs.insert(name, pair);
        }
        self.pairs = pairs;
        Ok(self)
    }
}

/// Reads and checks an adapter folder.
pub fn read(dir: &Path) -> Result<LoraWeights> {
    let bad = |m: String| TrainerError::Checkpoint(dir.to_path_buf(), m);
    for f in [CONFIG_FILE, WEIGHTS_FILE] {
        if !dir.join(f).is_file() {
            return Err(bad(format!(
                "has no {f}; export an adapter folder that training completed"
            )));
        }
    }
    let (r, alpha) = read_config(dir)?;
    let tensors = crate::adapter::read_safetensors(&dir.join(WEIGHTS_FILE))?;
    let pairs = pair_up(tensors, r).map_err(bad)?;
    if pairs.is_empty() {
        return Err(bad(format!("{WEIGHTS_FILE} holds no LoRA weights")));
    }
    Ok(LoraWeights { r, alpha, pairs })
}

/// r and the alpha llama.cpp scales by alpha / r (rsLoRA's alpha / √r
/// folded in); what cannot be merged as W + s·B·A is refused.
fn read_config(dir: &Path) -> Result<(usize, f64)> {
    let shape = crate::adapter::read_shape(&dir.join(CONFIG_FILE))?;
    let text = std::fs::read_to_string(dir.join(CONFIG_FILE))
        .map_err(|e| TrainerError::Checkpoint(dir.to_path_buf(), format!("{CONFIG_FILE}: {e}")))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| TrainerError::Checkpoint(dir.to_path_buf(), format!("{CONFIG_FILE}: {e}")))?;
    let on = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let filled = |k: &str| {
        v.get(k)
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty())
    };
    let refuse = |what: &str| {
        Err(TrainerError::UnsupportedModel(format!(
            "the adapter uses {what}, which this export does not merge; retrain without it"
        )))
    };
    if on("use_dora") {
        return refuse("DoRA (`use_dora`)");
    }
    if on("fan_in_fan_out") {
        return refuse("`fan_in_fan_out`");
    }
    if filled("rank_pattern") || filled("alpha_pattern") {
        return refuse("per-module ranks (`rank_pattern` / `alpha_pattern`)");
    }
    if shape.r == 0 {
        return Err(TrainerError::Checkpoint(
            dir.to_path_buf(),
            format!("{CONFIG_FILE} has r = 0"),
        ));
    }
    let alpha = if on("use_rslora") {
        shape.alpha * (shape.r as f64).sqrt()
    } else {
        shape.alpha
    };
    Ok((shape.r, alpha))
}

/// PEFT's keys → pairs by base weight name; every key must be a LoRA A or
/// B of rank `r`, and every A must have its B.
fn pair_up(
    tensors: std::collections::HashMap<String, Tensor>,
    r: usize,
) -> std::result::Result<BTreeMap<String, LoraPair>, String> {
    let mut halves: BTreeMap<String, (Option<Tensor>, Option<Tensor>)> = BTreeMap::new();
    for (key, t) in tensors {
        let (module, is_a) = split_key(&key).ok_or_else(|| {
            format!("`{key}` is not a LoRA A or B matrix; only LoRA on linear projections exports")
        })?;
        let t = t
            .to_dtype(DType::F32)
            .map_err(|e| format!("`{key}`: {e}"))?;
        let want_r = if is_a {
            t.dims().first()
        } else {
            t.dims().get(1)
        };
        if t.rank() != 2 || want_r != Some(&r) {
            return Err(format!(
                "`{key}` has shape {:?}, which is not rank {r} as adapter_config.json says",
                t.dims()
            ));
        }
        let entry = halves.entry(format!("{module}.weight")).or_default();
        if is_a {
            entry.0 = Some(t);
        } else {
            entry.1 = Some(t);
        }
    }
    halves
        .into_iter()
        .map(|(name, half)| match half {
            (Some(a), Some(b)) => Ok((name, LoraPair { a, b })),
            _ => Err(format!("`{name}` has only one of lora_A and lora_B")),
        })
        .collect()
}

/// `base_model.model.<module>.lora_A.weight` → (`<module>`, is A).
fn split_key(key: &str) -> Option<(&str, bool)> {
    let rest = key.strip_prefix(PEFT_PREFIX)?;
    if let Some(m) = rest.strip_suffix(".lora_A.weight") {
        return Some((m, true));
    }
    rest.strip_suffix(".lora_B.weight").map(|m| (m, false))
}
