//! Loading a base model: `tiny-llama` (built in) or a Hugging Face folder
//! with `config.json`, `model.safetensors` (or a sharded index),
//! `tokenizer.json` and `tokenizer_config.json` (its chat template).
//! Missing files are named before anything heavy is read.

use super::config::ModelConfig;
use super::llama::Llama;
use super::tiny;
use crate::chat::ChatTokenizer;
use crate::error::{Result, TrainerError};
use candle_core::{DType, Device};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub struct BaseModel {
    pub name: String,
    pub model: Llama,
    pub chat: ChatTokenizer,
}

/// Reads only config.json (for estimates before loading weights).
pub fn config_of(name: &str) -> Result<ModelConfig> {
    if name == tiny::NAME {
        return Ok(tiny::config());
    }
    let dir = folder(name)?;
    ModelConfig::from_file(&dir.join("config.json"))
}

fn folder(name: &str) -> Result<PathBuf> {
    let dir = PathBuf::from(name);
    if !dir.is_dir() {
        return Err(TrainerError::ModelFiles(
            dir,
            format!(
                "is not a folder; give `{}` or a local Hugging Face model folder",
                tiny::NAME
            ),
        ));
    }
    Ok(dir)
}

/// Loads a base model onto `device` with its weights frozen in `dtype`.
pub fn load(name: &str, device: &Device, dtype: DType) -> Result<BaseModel> {
    if name == tiny::NAME {
        return Ok(BaseModel {
            name: name.into(),
            model: tiny::model_in(0, device, dtype)?,
            chat: ChatTokenizer::new(tiny::tokenizer(), None, String::new(), "<|im_end|>".into())?,
        });
    }
    let dir = folder(name)?;
    let missing = |f: &str| TrainerError::ModelFiles(dir.clone(), format!("has no {f}"));
    let config_path = dir.join("config.json");
    if !config_path.is_file() {
        return Err(missing("config.json"));
    }
    let config = ModelConfig::from_file(&config_path)?;
    let tokenizer_path = dir.join("tokenizer.json");
    if !tokenizer_path.is_file() {
        return Err(missing("tokenizer.json"));
    }
    let weight_files = weight_files(&dir)?;
    let tokenizer = tokenizers::Tokenizer::from_file(&tokenizer_path).map_err(|e| {
        TrainerError::ModelFiles(dir.clone(), format!("tokenizer.json does not load: {e}"))
    })?;
    let (template, bos, eos) = tokenizer_config(&dir.join("tokenizer_config.json"))?;
    let mut weights = HashMap::new();
    for f in &weight_files {
        let part = candle_core::safetensors::load(f, device).map_err(|e| {
            TrainerError::ModelFiles(dir.clone(), format!("{} does not load: {e}", f.display()))
        })?;
        weights.extend(part);
    }
    Ok(BaseModel {
        name: name.into(),
        model: Llama::from_weights(config, weights, device, dtype)?,
        chat: ChatTokenizer::new(tokenizer, template, bos, eos)?,
    })
}

/// The safetensors files of a model folder: `model.safetensors`, or the
/// shards its index names (sorted, each checked to exist).
pub fn weight_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let single = dir.join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    let index = dir.join("model.safetensors.index.json");
    let text = std::fs::read_to_string(&index).map_err(|_| {
        TrainerError::ModelFiles(
            dir.to_path_buf(),
            "has neither model.safetensors nor model.safetensors.index.json".into(),
        )
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        TrainerError::ModelFiles(
            dir.to_path_buf(),
            format!("model.safetensors.index.json: {e}"),
        )
    })?;
    let mut files: Vec<String> = v
        .get("weight_map")
        .and_then(Value::as_object)
        .map(|m| {
            m.values()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.dedup();
    let files: Vec<PathBuf> = files.into_iter().map(|f| dir.join(f)).collect();
    if let Some(gone) = files.iter().find(|f| !f.is_file()) {
        return Err(TrainerError::ModelFiles(
            dir.to_path_buf(),
            format!("the index names {} but it is missing", gone.display()),
        ));
    }
    Ok(files)
}

fn token_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content").and_then(Value::as_str).map(String::from),
        _ => None,
    }
}

/// The chat template, bos and eos tokens (all optional).
fn tokenizer_config(path: &Path) -> Result<(Option<String>, String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok((None, String::new(), String::new()));
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        TrainerError::ModelFiles(path.to_path_buf(), format!("is not valid JSON: {e}"))
    })?;
    let template = match v.get("chat_template") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(list)) => list
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some("default"))
            .or(list.first())
            .and_then(|t| t.get("template"))
            .and_then(Value::as_str)
            .map(String::from),
        _ => None,
    };
    Ok((
        template,
        token_text(v.get("bos_token")).unwrap_or_default(),
        token_text(v.get("eos_token")).unwrap_or_default(),
    ))
}
