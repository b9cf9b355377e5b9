//! The widths and counts that shape every layer: hidden size, layers,
//! attention and key/value heads, and head_dim, which transformers implies
//! per architecture where the config leaves it out.

use super::fields::Fields;
use crate::error::{Result, TrainerError};

pub(super) struct Heads {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_key_value_heads: usize,
    pub head_dim: usize,
}

impl Heads {
    pub fn read(f: &Fields, model_type: &str) -> Result<Self> {
        let hidden_size = f.num("hidden_size")?;
        let num_hidden_layers = f.num("num_hidden_layers")?;
        let num_attention_heads = f.num("num_attention_heads")?;
        let num_key_value_heads = f
            .count("num_key_value_heads")
            .unwrap_or(num_attention_heads);
        if num_key_value_heads == 0 || !num_attention_heads.is_multiple_of(num_key_value_heads) {
            return Err(TrainerError::spec(
                "num_key_value_heads",
                "must divide num_attention_heads",
            ));
        }
        // transformers' defaults where head_dim is absent.
        let implied_head_dim = match model_type {
            "qwen3" => 128,
            "gemma2" | "gemma3_text" => 256,
            _ => hidden_size / num_attention_heads,
        };
        let head_dim = f.count("head_dim").unwrap_or(implied_head_dim);
        if !head_dim.is_multiple_of(2) {
            return Err(TrainerError::spec("head_dim", "must be even for RoPE"));
        }
        Ok(Self {
            hidden_size,
            num_hidden_layers,
            num_attention_heads,
            num_key_value_heads,
            head_dim,
        })
    }
}
