//! The ops one layer's arithmetic runs on ([`Pass`]) and training's
//! implementation of them: the fused CPU kernels or the generic
//! differentiable ops ([`Ops`]), chosen once per batch, with the RoPE tables
//! and masks the generic ops need precomputed ([`generic_ops`]). Decoding
//! implements [`Pass`] with a KV cache in `decode.rs`.

use super::super::config::ModelConfig;
use super::super::fused::{self, attention::Dims, rope::Tables};
use super::super::generic;
use super::super::lora::Linear;
use super::super::packing::Packing;
use crate::error::{Result, TrainerError};
use crate::rng::TrainRng;
use candle_core::{DType, Device, Tensor};
use std::sync::Arc;

/// How a layer attends: through a sliding window or not, with the global
/// RoPE tables or the local ones (Gemma 3's sliding layers).
#[derive(Clone, Copy, Debug, Default)]
pub struct AttnKind {
    pub window: Option<usize>,
    pub local_rope: bool,
}

/// Which kernels a forward pass runs: the fused CPU ones (see `fused`), or
/// the generic differentiable ops (any device and dtype) with what they
/// need precomputed.
pub(in crate::model) enum Ops {
    Fused {
        dims: Dims,
        packing: Packing,
    },
    Generic {
        b: usize,
        t: usize,
        /// [t, t] (packed: [b, 1, t, t]), f32.
        mask: Tensor,
        /// The mask of the sliding layers, where the model has any.
        window_mask: Option<Tensor>,
        /// [t, head_dim / 2] (packed: [b, 1, t, head_dim / 2]) in the
        /// weights' dtype.
        cos: Tensor,
        sin: Tensor,
        /// The same for the sliding layers' own RoPE (Gemma 3).
        local: Option<(Tensor, Tensor)>,
    },
}

/// What every layer's forward pass shares.
pub(in crate::model) struct Ctx<'a> {
    pub config: &'a ModelConfig,
    pub rope: &'a Arc<Tables>,
    pub local_rope: Option<&'a Arc<Tables>>,
    pub ops: &'a Ops,
}

/// The ops one layer's arithmetic runs on.
pub(in crate::model) trait Pass {
    /// Whether the fused CPU kernels apply.
    fn fused(&self) -> bool;
    fn norm(&self, x: &Tensor, weight: &Tensor) -> Result<Tensor>;
    fn linear(&mut self, lin: &Linear, x: &Tensor) -> Result<Tensor>;
    /// q [n, heads·d], k and v [n, kv_heads·d] (q and k not yet rotated)
    /// → [n, heads·d].
    fn attention(&mut self, kind: AttnKind, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Tensor>;
}

impl Ctx<'_> {
    pub fn normalize(&self, x: &Tensor, weight: &Tensor) -> Result<Tensor> {
        let eps = self.config.rms_norm_eps;
        Ok(match self.ops {
            Ops::Fused { .. } => fused::norm::rms_norm(x, weight, eps)?,
            Ops::Generic { .. } => generic::rms_norm(x, weight, eps)?,
        })
    }

    /// Causal self-attention of the projections q [b·t, heads·d] and k, v
    /// [b·t, kv_heads·d] → [b·t, heads·d], RoPE applied to q and k.
    fn attention(&self, kind: AttnKind, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Tensor> {
        let c = self.config;
        let (nh, nkv, hd) = (c.num_attention_heads, c.num_key_value_heads, c.head_dim);
        match self.ops {
            Ops::Fused { dims, packing } => {
                let rope = match (kind.local_rope, self.local_rope) {
                    (true, Some(local)) => local,
                    _ => self.rope,
                };
                let q = fused::rope::rope(q, rope, dims.t, nh, packing)?;
                let k = fused::rope::rope(k, rope, dims.t, nkv, packing)?;
                let dims = Dims {
                    window: kind.window,
                    ..*dims
                };
                Ok(fused::attention::attend(&q, &k, v, dims, packing)?)
            }
            Ops::Generic {
                b,
                t,
                mask,
                window_mask,
                cos,
                sin,
                local,
            } => {
                let (b, t) = (*b, *t);
                let (cos, sin) = match (kind.local_rope, local) {
                    (true, Some((cos, sin))) => (cos, sin),
                    _ => (cos, sin),
                };
                let mask = match (kind.window, window_mask) {
                    (Some(_), Some(m)) => m,
                    _ => mask,
                };
                let heads = |x: &Tensor, n: usize| -> candle_core::Result<Tensor> {
                    x.reshape((b, t, n, hd))?.transpose(1, 2)?.contiguous()
                };
                let q = generic::rope(&heads(q, nh)?, cos, sin)?;
                let k = generic::repeat_kv(&generic::rope(&heads(k, nkv)?, cos, sin)?, nh / nkv)?;
                let v = generic::repeat_kv(&heads(v, nkv)?, nh / nkv)?;
                let scale = c.attention_scale();
                let cap = c.arch.attn_logit_softcapping;
                Ok(generic::attend_with(&q, &k, &v, mask, scale, cap)?
                    .transpose(1, 2)?
                    .reshape((b * t, nh * hd))?)
            }
        }
    }
}

/// Training's pass: the batch's ops, LoRA dropout from `rng` where given.
pub(super) struct Train<'a, 'r> {
    pub ctx: &'a Ctx<'a>,
    pub rng: Option<&'r mut TrainRng>,
}

impl Pass for Train<'_, '_> {
    fn fused(&self) -> bool {
        matches!(self.ctx.ops, Ops::Fused { .. })
    }
    fn norm(&self, x: &Tensor, weight: &Tensor) -> Result<Tensor> {
        self.ctx.normalize(x, weight)
    }
    fn linear(&mut self, lin: &Linear, x: &Tensor) -> Result<Tensor> {
        Ok(lin.forward(x, self.rng.as_deref_mut())?)
    }
    fn attention(&mut self, kind: AttnKind, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Tensor> {
        self.ctx.attention(kind, q, k, v)
    }
}

/// A RoPE table [positions, half] → the batch's rows of it.
type Table = Box<dyn Fn(&Tensor) -> Result<Tensor>>;

/// The generic ops' precomputed inputs for a [b, t] batch: the global RoPE
/// tables, the sliding layers' own where they differ, and the window.
pub(in crate::model) fn generic_ops(
    b: usize,
    t: usize,
    (cos, sin): (&Tensor, &Tensor),
    (local, window): (Option<(&Tensor, &Tensor)>, Option<usize>),
    packing: &Packing,
    dtype: DType,
    device: &Device,
) -> Result<Ops> {
    if t > cos.dim(0)? {
        return Err(TrainerError::Dataset(format!(
            "a sequence of {t} tokens is longer than the model's {} positions",
            cos.dim(0)?
        )));
    }
    let (mask, table): (Tensor, Table) = if packing.is_packed() {
        let at = packing.positions(b, t, device)?;
        let table = move |x: &Tensor| -> Result<Tensor> {
            let half = x.dim(1)?;
            Ok(x.index_select(&at, 0)?
                .reshape((b, 1, t, half))?
                .to_dtype(dtype)?)
        };
        (packing.mask(b, t, device)?, Box::new(table))
    } else {
        let table = move |x: &Tensor| -> Result<Tensor> { Ok(x.narrow(0, 0, t)?.to_dtype(dtype)?) };
        (generic::causal_mask(t, device)?, Box::new(table))
    };
    let window_mask = match window {
        Some(w) => Some(mask.broadcast_add(&generic::window_mask(t, w, device)?)?),
        None => None,
    };
    let local = match local {
        Some((c, s)) => Some((table(c)?, table(s)?)),
        None => None,
    };
    Ok(Ops::Generic {
        b,
        t,
        mask,
        window_mask,
        cos: table(cos)?,
        sin: table(sin)?,
        local,
    })
}
