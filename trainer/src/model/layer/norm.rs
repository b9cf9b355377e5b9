//! An RMSNorm's weight, held as the ops apply it: Gemma's norms scale by
//! 1 + w, so its weight is 1 + w, kept in f32 whatever the base's dtype, and
//! the checkpoint's w is kept beside it for writing the base back.

use crate::error::Result;
use candle_core::{DType, Tensor};

/// An RMSNorm's weight as the ops apply it, and as Hugging Face stores it
/// where that differs (Gemma's norms scale by 1 + w: `weight` is 1 + w, in
/// f32).
pub struct Norm {
    pub weight: Tensor,
    hf: Option<Tensor>,
}

impl Norm {
    /// A norm weight as Hugging Face stores it, for a model of this kind.
    pub(in crate::model) fn load(w: Tensor, gemma: bool) -> Result<Self> {
        if !gemma {
            return Ok(Self {
                weight: w,
                hf: None,
            });
        }
        // In f32 whatever the base's dtype: transformers scales by
        // 1 + w.float() before casting back (see generic::rms_norm).
        let weight = (w.to_dtype(DType::F32)? + 1.0)?;
        Ok(Self {
            weight,
            hf: Some(w),
        })
    }

    /// The weight under its Hugging Face meaning.
    pub fn hf(&self) -> &Tensor {
        self.hf.as_ref().unwrap_or(&self.weight)
    }
}
