//! Which architecture a `config.json` describes, by its `model_type`, and
//! where its text model's fields are: Gemma 3 with its vision tower
//! (`gemma3`) nests them under `text_config` and is read as `gemma3_text`.
//! Anything outside [`SUPPORTED`] is refused here, before any other field
//! is read.

use super::SUPPORTED;
use crate::error::{Result, TrainerError};
use serde_json::Value;

/// The text model a config describes: its `model_type`, the object holding
/// its fields, and whether that sat inside a multimodal config.
pub(super) struct TextModel<'a> {
    pub model_type: String,
    pub fields: &'a Value,
    pub multimodal: bool,
}

pub(super) fn text_model(v: &Value) -> Result<TextModel<'_>> {
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
            .ok_or_else(|| TrainerError::spec("text_config", "is missing (model_type gemma3)"))?
    } else {
        v
    };
    if !SUPPORTED.contains(&model_type.as_str()) {
        return Err(TrainerError::UnsupportedModel(format!(
            "model_type `{model_type}` is not one this trainer implements ({}, or gemma3 for its text model); choose a Llama, Mistral, Qwen2, Qwen3, Phi-3/Phi-4, Gemma 2 or Gemma 3 model",
            SUPPORTED.join(", ")
        )));
    }
    Ok(TextModel {
        model_type,
        fields: v,
        multimodal: !std::ptr::eq(v, outer),
    })
}
