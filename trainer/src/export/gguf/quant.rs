//! Each tensor's ggml type, as llama.cpp's tools choose it, and its bytes.
//!
//! f16 and q8_0 are what `convert_hf_to_gguf.py --outtype` writes: 1-D
//! tensors, norms and biases in F32, the rest in the type (q8_0 falls back
//! to F16 where a row is not a multiple of 32). q4_K_M is what
//! `llama-quantize` makes of that f16 file for a Llama (llama-quant.cpp):
//! Q4_K by default; Q6_K for attn_v and ffn_down in the "more bits" layers
//! and for the output head (token_embd when the head is tied); Q5_K for
//! 70B models' attn_v; a row length not a multiple of 256 falls back
//! Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, and to F16 when not a multiple
//! of 32 either.

use super::names::layer_of;
use crate::error::Result;
use brightrun::models::ExportFormat;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    F16,
    Q8_0,
    Q4KM,
}

impl Mix {
    pub fn of(format: ExportFormat) -> Option<Self> {
        match format {
            ExportFormat::GgufF16 => Some(Self::F16),
            ExportFormat::GgufQ8_0 => Some(Self::Q8_0),
            ExportFormat::GgufQ4KM => Some(Self::Q4KM),
            _ => None,
        }
    }

    /// `general.file_type` (llama_ftype).
    pub fn file_type(self) -> u32 {
        match self {
            Self::F16 => 1,
            Self::Q8_0 => 7,
            Self::Q4KM => 15,
        }
    }
}

/// What the q4_K_M choice needs to know about the model.
pub struct Facts {
    pub n_layer: usize,
    /// Whether the file has `output.weight` (no: the head is tied).
    pub has_output: bool,
    /// llama.cpp's LLM_TYPE_70B: 80 layers with grouped-query attention.
    pub is_70b: bool,
}

/// The type `name` (llama.cpp's name) of this shape is stored in.
pub fn choose(mix: Mix, name: &str, shape: &[usize], facts: &Facts) -> GgmlDType {
    if shape.len() < 2 || name.ends_with("_norm.weight") || !name.ends_with(".weight") {
        return GgmlDType::F32;
    }
    let cols = shape[shape.len() - 1];
    match mix {
        Mix::F16 => GgmlDType::F16,
        Mix::Q8_0 if cols.is_multiple_of(32) => GgmlDType::Q8_0,
        Mix::Q8_0 => GgmlDType::F16,
        Mix::Q4KM => fallback(q4_k_m(name, cols, facts), cols),
    }
}

/// llama_tensor_get_type_impl for LLAMA_FTYPE_MOSTLY_Q4_K_M.
fn q4_k_m(name: &str, cols: usize, f: &Facts) -> GgmlDType {
    let head = name == "output.weight" || (!f.has_output && name == "token_embd.weight");
    if head {
        return if !cols.is_multiple_of(256) {
            GgmlDType::Q8_0
        } else {
            GgmlDType::Q6K
        };
    }
    let more_bits = layer_of(name).is_some_and(|i| use_more_bits(i, f.n_layer));
    if name.contains("attn_v.weight") {
        return match (more_bits, f.is_70b) {
            (true, _) => GgmlDType::Q6K,
            (false, true) => GgmlDType::Q5K,
            (false, false) => GgmlDType::Q4K,
        };
    }
    if name.contains("ffn_down") && more_bits {
        return GgmlDType::Q6K;
    }
    GgmlDType::Q4K
}

/// The first and last eighth of the layers, and every third between.
pub fn use_more_bits(i: usize, n: usize) -> bool {
    let (i, n) = (i as i64, n as i64);
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
}

/// tensor_type_fallback: a type whose block does not divide the rows.
fn fallback(t: GgmlDType, cols: usize) -> GgmlDType {
    if cols.is_multiple_of(t.block_size()) {
        return t;
    }
    let next = match t {
        GgmlDType::Q4K => GgmlDType::Q5_0,
        GgmlDType::Q5K => GgmlDType::Q5_1,
        GgmlDType::Q6K => GgmlDType::Q8_0,
        _ => GgmlDType::F16,
    };
    if cols.is_multiple_of(next.block_size()) {
        next
    } else {
        GgmlDType::F16
    }
}

/// Rows quantized per task: big enough to amortise, small enough to
/// spread a layer over the cores.
const ROWS_PER_TASK: usize = 64;

/// A tensor's f32 values (rows of `cols`) in `dtype`, as the bytes the
/// file holds. Blocks never straddle rows, so row ranges quantize
/// independently, in parallel. Each range is its own tensor: candle's
/// quantize reads a tensor's whole storage, not a view into it.
pub fn encode(values: &[f32], cols: usize, dtype: GgmlDType) -> Result<Vec<u8>> {
    let chunk = ROWS_PER_TASK * cols.max(1);
    let parts = values
        .par_chunks(chunk)
        .map(|rows| {
            let t = Tensor::from_slice(rows, (rows.len() / cols.max(1), cols), &Device::Cpu)?;
            Ok(QTensor::quantize(&t, dtype)?.data()?.into_owned())
        })
        .collect::<Result<Vec<Vec<u8>>>>()?;
    Ok(parts.concat())
}
