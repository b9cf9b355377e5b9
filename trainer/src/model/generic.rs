//! The decoder's ops built from candle's differentiable tensor ops: they run
//! on any device and in any dtype (the CUDA and half-precision path), and
//! they are the reference the fused CPU kernels are tested against.
//! candle-nn's fused `rms_norm`, `softmax_last_dim` and `rope` have no
//! backward pass, so a model built on them trains nothing through those
//! paths; a gradient check in the tests keeps it that way.
//!
//! Precision follows PyTorch's mixed-precision habits: norms, softmax and
//! the loss are computed in f32 whatever the weights' dtype; matmuls run in
//! the weights' dtype.

use crate::error::Result;
use candle_core::{D, DType, Device, Tensor};

/// Label of a position that takes no part in the loss.
pub const IGNORE: i64 = -100;

/// RMSNorm over the last dimension, in f32, returned in x's dtype. A
/// weight in x's dtype scales the normalised x after the cast back (Llama);
/// an f32 weight for a half-precision x scales it before (Gemma's 1 + w,
/// as transformers computes it).
pub fn rms_norm(x: &Tensor, weight: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    let dtype = x.dtype();
    let x32 = x.to_dtype(DType::F32)?;
    let ms = x32.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = x32.broadcast_div(&(ms + eps)?.sqrt()?)?;
    if weight.dtype() == DType::F32 && dtype != DType::F32 {
        return normed.broadcast_mul(weight)?.to_dtype(dtype);
    }
    normed.to_dtype(dtype)?.broadcast_mul(weight)
}

/// Softmax over the last dimension, differentiable.
pub fn softmax_last(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

fn log_softmax_last(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let d = x.broadcast_sub(&max)?;
    d.broadcast_sub(&d.exp()?.sum_keepdim(D::Minus1)?.log()?)
}

/// RoPE in the Hugging Face (non-interleaved) layout; x: [b, h, t, d],
/// cos/sin: [t, d/2] in x's dtype. Differentiable.
pub fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> candle_core::Result<Tensor> {
    let d = x.dim(D::Minus1)?;
    let cos = Tensor::cat(&[cos, cos], D::Minus1)?;
    let sin = Tensor::cat(&[sin, sin], D::Minus1)?;
    let x1 = x.narrow(D::Minus1, 0, d / 2)?;
    let x2 = x.narrow(D::Minus1, d / 2, d / 2)?;
    let rotated = Tensor::cat(&[&x2.neg()?, &x1], D::Minus1)?;
    x.broadcast_mul(&cos)? + rotated.broadcast_mul(&sin)?
}

/// Repeats each of the kv heads n times: [b, kv, t, d] → [b, kv·n, t, d].
pub fn repeat_kv(x: &Tensor, n: usize) -> candle_core::Result<Tensor> {
    if n == 1 {
        return Ok(x.clone());
    }
    let (b, kv, t, d) = x.dims4()?;
    x.unsqueeze(2)?
        .broadcast_as((b, kv, n, t, d))?
        .contiguous()?
        .reshape((b, kv * n, t, d))
}

/// The additive causal mask [t, t] (f32: scores are masked in f32).
pub fn causal_mask(t: usize, dev: &Device) -> Result<Tensor> {
    causal_mask_after(0, t, dev)
}

/// The mask of `t` new positions after `start` cached ones: [t, start + t],
/// position i sees every key up to `start + i`.
pub fn causal_mask_after(start: usize, t: usize, dev: &Device) -> Result<Tensor> {
    let total = start + t;
    let m: Vec<f32> = (0..t)
        .flat_map(|i| {
            (0..total).map(move |j| {
                if j > start + i {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
        })
        .collect();
    Ok(Tensor::from_vec(m, (t, total), dev)?)
}

/// Causal attention over heads: q [b, h, t, d], k and v [b, h, t, d] (kv
/// heads already repeated) → [b, h, t, d]. Scores in the inputs' dtype,
/// masked and normalised in f32.
pub fn attend(q: &Tensor, k: &Tensor, v: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let hd = q.dim(D::Minus1)?;
    attend_with(q, k, v, mask, 1.0 / (hd as f64).sqrt(), None)
}

/// [`attend`] with the scores scaled by `scale` and, with a cap c, softcapped
/// to tanh(s/c)·c before the mask (Gemma 2), as transformers' eager
/// attention does.
pub fn attend_with(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: &Tensor,
    scale: f64,
    cap: Option<f64>,
) -> candle_core::Result<Tensor> {
    let dtype = q.dtype();
    let mut scores = (q.matmul(&k.t()?)? * scale)?;
    if let Some(c) = cap {
        scores = ((scores / c)?.tanh()? * c)?;
    }
    let scores = scores.to_dtype(DType::F32)?.broadcast_add(mask)?;
    softmax_last(&scores)?.to_dtype(dtype)?.matmul(v)
}

/// The additive sliding-window mask [t, t]: position i sees keys
/// i − window < j only (the causal mask adds the rest).
pub fn window_mask(t: usize, window: usize, dev: &Device) -> Result<Tensor> {
    let m: Vec<f32> = (0..t)
        .flat_map(|i| {
            (0..t).map(move |j| {
                if j + window <= i {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
        })
        .collect();
    Ok(Tensor::from_vec(m, (t, t), dev)?)
}

/// Logits softcapped to tanh(l/c)·c (Gemma's final_logit_softcapping).
pub fn softcap(x: &Tensor, cap: Option<f64>) -> candle_core::Result<Tensor> {
    match cap {
        Some(c) => (x / c)?.tanh()? * c,
        None => Ok(x.clone()),
    }
}

/// Mean cross-entropy (in f32) over the positions whose label is not
/// `IGNORE`, and how many there were.
pub fn masked_cross_entropy(logits: &Tensor, labels: &[i64]) -> Result<(Tensor, usize)> {
    let n = labels.len();
    let dev = logits.device();
    let targets: Vec<u32> = labels.iter().map(|&l| l.max(0) as u32).collect();
    let weights: Vec<f32> = labels
        .iter()
        .map(|&l| if l == IGNORE { 0.0 } else { 1.0 })
        .collect();
    let counted = weights.iter().filter(|w| **w > 0.0).count();
    let targets = Tensor::from_vec(targets, (n, 1), dev)?;
    let weights = Tensor::from_vec(weights, n, dev)?;
    let logp = log_softmax_last(&logits.to_dtype(DType::F32)?)?;
    let picked = logp.gather(&targets, 1)?.squeeze(1)?;
    let total = (picked * weights)?.sum_all()?.neg()?;
    Ok(((total / counted.max(1) as f64)?, counted))
}
