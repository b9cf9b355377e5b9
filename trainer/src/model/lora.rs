//! A frozen linear layer with an optional LoRA adapter, as PEFT defines it:
//! y = x Wᵀ + b + (alpha / r) · B(A(dropout(x))), with A of shape [r, in]
//! drawn like PyTorch's kaiming_uniform(a=√5) (uniform ±1/√in) and B zero,
//! so a fresh adapter changes nothing.

use crate::rng::TrainRng;
use candle_core::{DType, Result, Tensor, Var};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoraShape {
    pub r: usize,
    pub alpha: f64,
    pub dropout: f32,
}

pub struct Lora {
    pub a: Var,
    pub b: Var,
    pub scale: f64,
    pub dropout: f32,
}

pub struct Linear {
    /// Use the fused CPU op for the adapter where it applies.
    pub fused: bool,
    /// [out, in], frozen.
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    pub lora: Option<Lora>,
}

impl Linear {
    pub fn new(weight: Tensor, bias: Option<Tensor>) -> Self {
        Self {
            fused: true,
            weight,
            bias,
            lora: None,
        }
    }

    pub fn add_lora(&mut self, shape: LoraShape, rng: &mut TrainRng) -> Result<()> {
        let (out, inp) = self.weight.dims2()?;
        let dev = self.weight.device();
        let bound = 1.0 / (inp as f32).sqrt();
        let a = Tensor::from_vec(
            rng.uniform(shape.r * inp, -bound, bound),
            (shape.r, inp),
            dev,
        )?;
        // f32 whatever the base's dtype: A and B are the master weights.
        let b = Tensor::zeros((out, shape.r), DType::F32, dev)?;
        self.lora = Some(Lora {
            a: Var::from_tensor(&a)?,
            b: Var::from_tensor(&b)?,
            scale: shape.alpha / shape.r as f64,
            dropout: shape.dropout,
        });
        Ok(())
    }

    /// x: [n, in] → [n, out] through the frozen weight alone, as if there
    /// were no adapter (the base model's answer, from the same weights).
    pub fn forward_base(&self, x: &Tensor) -> Result<Tensor> {
        let y = super::frozen::linear(x, &self.weight)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }

    /// x: [n, in] → [n, out]. With `rng`, LoRA dropout is applied (training).
    pub fn forward(&self, x: &Tensor, rng: Option<&mut TrainRng>) -> Result<Tensor> {
        if let Some(l) = self
            .lora
            .as_ref()
            .filter(|_| self.fused && super::fused::applies(x))
        {
            let mask = match rng {
                Some(rng) if l.dropout > 0.0 => Some(rng.dropout_mask(x.elem_count(), l.dropout)),
                _ => None,
            };
            let y = super::fused::lora::lora_linear(
                x,
                &self.weight,
                l.a.as_tensor(),
                l.b.as_tensor(),
                l.scale,
                mask,
            )?;
            return match &self.bias {
                Some(b) => y.broadcast_add(b),
                None => Ok(y),
            };
        }
        let mut y = super::frozen::linear(x, &self.weight)?;
        if let Some(b) = &self.bias {
            y = y.broadcast_add(b)?;
        }
        if let Some(l) = &self.lora {
            // The adapter runs in f32 (its weights' dtype) and its output
            // joins the frozen path in the base's dtype.
            let dtype = y.dtype();
            let x = x.to_dtype(DType::F32)?;
            let x = match rng {
                Some(rng) if l.dropout > 0.0 => {
                    let mask = Tensor::from_vec(
                        rng.dropout_mask(x.elem_count(), l.dropout),
                        x.shape(),
                        x.device(),
                    )?;
                    (x * mask)?
                }
                _ => x,
            };
            let delta = x
                .matmul(&l.a.as_tensor().t()?)?
                .matmul(&l.b.as_tensor().t()?)?;
            y = (y + (delta * l.scale)?.to_dtype(dtype)?)?;
        }
        Ok(y)
    }
}
