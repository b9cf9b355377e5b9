//! The adapter on disk, in PEFT's layout (DESIGN §4.3): `adapter_config.json`
//! with the classic fields PEFT 0.21 loads, and `adapter_model.safetensors`
//! with PEFT's key names (no `.default`) and metadata `{"format": "pt"}`.

use crate::error::{Result, TrainerError};
use crate::spec::HyperParams;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

pub const CONFIG_FILE: &str = "adapter_config.json";
pub const WEIGHTS_FILE: &str = "adapter_model.safetensors";

pub fn write_safetensors(path: &Path, tensors: &[(String, Tensor)]) -> Result<()> {
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    let tmp = path.with_extension("safetensors.tmp");
    safetensors::serialize_to_file(
        tensors.iter().map(|(k, t)| (k.as_str(), t)),
        Some(meta),
        &tmp,
    )
    .map_err(|e| TrainerError::io(path.display(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| TrainerError::io(path.display(), e))
}

pub fn read_safetensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    candle_core::safetensors::load(path, &Device::Cpu)
        .map_err(|e| TrainerError::Checkpoint(path.to_path_buf(), e.to_string()))
}

/// A number as people write it: `16`, `0.05`, not `0.05000000074505806`.
fn clean(x: f64) -> serde_json::Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        (x as i64).into()
    } else {
        let short: f64 = format!("{}", x as f32).parse().unwrap_or(x);
        serde_json::Number::from_f64(short).map_or(serde_json::Value::Null, Into::into)
    }
}

pub fn config_json(base_model: &str, h: &HyperParams) -> serde_json::Value {
    serde_json::json!({
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base_model,
        "r": h.lora_r,
        "lora_alpha": clean(h.lora_alpha),
        "lora_dropout": clean(f64::from(h.lora_dropout)),
        "target_modules": h.target_modules,
        "bias": "none",
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "modules_to_save": null,
        "layers_to_transform": null,
        "layers_pattern": null,
        "rank_pattern": {},
        "alpha_pattern": {},
        "use_rslora": false,
        "use_dora": false,
        "revision": null,
    })
}

pub fn write(
    dir: &Path,
    base_model: &str,
    h: &HyperParams,
    tensors: &[(String, Tensor)],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| TrainerError::io(dir.display(), e))?;
    let cfg = serde_json::to_string_pretty(&config_json(base_model, h)).expect("json");
    std::fs::write(dir.join(CONFIG_FILE), cfg).map_err(|e| TrainerError::io(dir.display(), e))?;
    write_safetensors(&dir.join(WEIGHTS_FILE), tensors)
}

/// What an adapter_config.json says about the adapter's shape.
pub struct AdapterShape {
    pub r: usize,
    pub alpha: f64,
    pub targets: Vec<String>,
}

pub fn read_shape(path: &Path) -> Result<AdapterShape> {
    let bad = |m: String| TrainerError::Checkpoint(path.to_path_buf(), m);
    let cfg: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(path).map_err(|e| bad(format!("{CONFIG_FILE}: {e}")))?,
    )
    .map_err(|e| bad(format!("{CONFIG_FILE}: {e}")))?;
    let r = cfg["r"]
        .as_u64()
        .ok_or_else(|| bad("adapter_config.json has no r".into()))? as usize;
    Ok(AdapterShape {
        r,
        alpha: cfg["lora_alpha"].as_f64().unwrap_or(r as f64),
        targets: cfg["target_modules"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Sets each LoRA variable from the adapter's tensor of the same PEFT name.
pub fn load_weights(path: &Path, vars: &[(String, candle_core::Var)]) -> Result<()> {
    let tensors = read_safetensors(path)?;
    for (name, var) in vars {
        let t = tensors.get(name).ok_or_else(|| {
            TrainerError::Checkpoint(path.to_path_buf(), format!("has no `{name}`"))
        })?;
        if t.dims() != var.dims() {
            return Err(TrainerError::Checkpoint(
                path.to_path_buf(),
                format!(
                    "`{name}` is {:?}, the model needs {:?}",
                    t.dims(),
                    var.dims()
                ),
            ));
        }
        var.set(t)?;
    }
    Ok(())
}

/// Loads an adapter folder written by `write` (or by PEFT) onto the model.
pub fn apply(model: &mut crate::model::Llama, dir: &Path) -> Result<()> {
    apply_files(model, &dir.join(CONFIG_FILE), &dir.join(WEIGHTS_FILE))
}

/// Loads an adapter from its config and weights files onto the model.
pub fn apply_files(model: &mut crate::model::Llama, config: &Path, weights: &Path) -> Result<()> {
    let shape = read_shape(config)?;
    let lora = crate::model::LoraShape {
        r: shape.r,
        alpha: shape.alpha,
        dropout: 0.0,
    };
    let vars = model.add_lora(&shape.targets, lora, &mut crate::rng::TrainRng::new(0))?;
    load_weights(weights, &vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_clean() {
        let h = HyperParams {
            lora_alpha: 16.0,
            lora_dropout: 0.05,
            ..HyperParams::default()
        };
        let text = config_json("tiny-llama", &h).to_string();
        assert!(text.contains("\"lora_alpha\":16,"), "{text}");
        assert!(text.contains("\"lora_dropout\":0.05,"), "{text}");
        assert!(text.contains("\"peft_type\":\"LORA\""));
    }
}
