//! One decoder layer: pre-norm attention and a SwiGLU MLP around the
//! residual stream, each projection a frozen linear with optional LoRA,
//! named as Hugging Face names them.

use super::config::ModelConfig;
use super::fused::{self, attention::Dims, rope::Tables};
use super::generic;
use super::lora::Linear;
use super::packing::Packing;
use crate::error::{Result, TrainerError};
use crate::rng::TrainRng;
use candle_core::{DType, Device, Tensor};
use std::sync::Arc;

/// The projections LoRA can target, by their PEFT names (the contract's list).
pub const TARGETS: [&str; 7] = brightrun::cluster::TARGET_MODULES;

pub struct Layer {
    pub(super) input_layernorm: Tensor,
    pub(super) post_attention_layernorm: Tensor,
    pub(super) q_proj: Linear,
    pub(super) k_proj: Linear,
    pub(super) v_proj: Linear,
    pub(super) o_proj: Linear,
    pub(super) gate_proj: Linear,
    pub(super) up_proj: Linear,
    pub(super) down_proj: Linear,
}

/// Which kernels a forward pass runs: the fused CPU ones (see `fused`), or
/// the generic differentiable ops (any device and dtype) with what they
/// need precomputed.
pub(super) enum Ops {
    Fused {
        dims: Dims,
        packing: Packing,
    },
    Generic {
        b: usize,
        t: usize,
        /// [t, t] (packed: [b, 1, t, t]), f32.
        mask: Tensor,
        /// [t, head_dim / 2] (packed: [b, 1, t, head_dim / 2]) in the
        /// weights' dtype.
        cos: Tensor,
        sin: Tensor,
    },
}

/// What every layer's forward pass shares.
pub(super) struct Ctx<'a> {
    pub config: &'a ModelConfig,
    pub rope: &'a Arc<Tables>,
    pub ops: &'a Ops,
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
    fn attention(&self, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Tensor> {
        let c = self.config;
        let (nh, nkv, hd) = (c.num_attention_heads, c.num_key_value_heads, c.head_dim);
        match self.ops {
            Ops::Fused { dims, packing } => {
                let q = fused::rope::rope(q, self.rope, dims.t, nh, packing)?;
                let k = fused::rope::rope(k, self.rope, dims.t, nkv, packing)?;
                Ok(fused::attention::attend(&q, &k, v, *dims, packing)?)
            }
            Ops::Generic {
                b,
                t,
                mask,
                cos,
                sin,
            } => {
                let (b, t) = (*b, *t);
                let heads = |x: &Tensor, n: usize| -> candle_core::Result<Tensor> {
                    x.reshape((b, t, n, hd))?.transpose(1, 2)?.contiguous()
                };
                let q = generic::rope(&heads(q, nh)?, cos, sin)?;
                let k = generic::repeat_kv(&generic::rope(&heads(k, nkv)?, cos, sin)?, nh / nkv)?;
                let v = generic::repeat_kv(&heads(v, nkv)?, nh / nkv)?;
                Ok(generic::attend(&q, &k, &v, mask)?
                    .transpose(1, 2)?
                    .reshape((b * t, nh * hd))?)
            }
        }
    }
}

impl Layer {
    /// Takes layer `i`'s weights by their Hugging Face names.
    pub(super) fn load(
        config: &ModelConfig,
        i: usize,
        take: &mut dyn FnMut(&str) -> Result<Tensor>,
    ) -> Result<Self> {
        let p = format!("model.layers.{i}");
        let mut proj = |name: &str| -> Result<Linear> {
            let group = group_of(name);
            let weight = take(&format!("{p}.{group}.{name}.weight"))?;
            let bias = if config.attention_bias && ["q_proj", "k_proj", "v_proj"].contains(&name) {
                Some(take(&format!("{p}.{group}.{name}.bias"))?)
            } else {
                None
            };
            Ok(Linear::new(weight, bias))
        };
        let (q_proj, k_proj, v_proj, o_proj) = (
            proj("q_proj")?,
            proj("k_proj")?,
            proj("v_proj")?,
            proj("o_proj")?,
        );
        let (gate_proj, up_proj, down_proj) =
            (proj("gate_proj")?, proj("up_proj")?, proj("down_proj")?);
        Ok(Self {
            input_layernorm: take(&format!("{p}.input_layernorm.weight"))?,
            post_attention_layernorm: take(&format!("{p}.post_attention_layernorm.weight"))?,
            q_proj,
            k_proj,
            v_proj,
            o_proj,
            gate_proj,
            up_proj,
            down_proj,
        })
    }

    /// The projections with their PEFT names, in `TARGETS` order.
    pub fn projections(&self) -> [(&'static str, &Linear); 7] {
        [
            ("q_proj", &self.q_proj),
            ("k_proj", &self.k_proj),
            ("v_proj", &self.v_proj),
            ("o_proj", &self.o_proj),
            ("gate_proj", &self.gate_proj),
            ("up_proj", &self.up_proj),
            ("down_proj", &self.down_proj),
        ]
    }

    pub fn projections_mut(&mut self) -> [(&'static str, &mut Linear); 7] {
        [
            ("q_proj", &mut self.q_proj),
            ("k_proj", &mut self.k_proj),
            ("v_proj", &mut self.v_proj),
            ("o_proj", &mut self.o_proj),
            ("gate_proj", &mut self.gate_proj),
            ("up_proj", &mut self.up_proj),
            ("down_proj", &mut self.down_proj),
        ]
    }

    /// x [b·t, hidden] → the layer's output, same shape. With `rng`, LoRA
    /// dropout is drawn from it (training).
    pub(super) fn forward(
        &self,
        x: &Tensor,
        ctx: &Ctx,
        mut rng: Option<&mut TrainRng>,
    ) -> Result<Tensor> {
        let xn = ctx.normalize(x, &self.input_layernorm)?;
        let q = self.q_proj.forward(&xn, rng.as_deref_mut())?;
        let k = self.k_proj.forward(&xn, rng.as_deref_mut())?;
        let v = self.v_proj.forward(&xn, rng.as_deref_mut())?;
        let attn = ctx.attention(&q, &k, &v)?;
        let x = (x + self.o_proj.forward(&attn, rng.as_deref_mut())?)?;
        let xn = ctx.normalize(&x, &self.post_attention_layernorm)?;
        let gate = self.gate_proj.forward(&xn, rng.as_deref_mut())?;
        let up = self.up_proj.forward(&xn, rng.as_deref_mut())?;
        let gated = match ctx.ops {
            Ops::Fused { .. } => fused::swiglu::swiglu(&gate, &up)?,
            Ops::Generic { .. } => (gate.silu()? * up)?,
        };
        Ok((x + self.down_proj.forward(&gated, rng)?)?)
    }

    /// The layer's frozen weights under Hugging Face names.
    pub(super) fn base_weights(&self, i: usize, out: &mut Vec<(String, Tensor)>) {
        let p = format!("model.layers.{i}");
        out.push((
            format!("{p}.input_layernorm.weight"),
            self.input_layernorm.clone(),
        ));
        out.push((
            format!("{p}.post_attention_layernorm.weight"),
            self.post_attention_layernorm.clone(),
        ));
        for (name, lin) in self.projections() {
            let group = group_of(name);
            out.push((format!("{p}.{group}.{name}.weight"), lin.weight.clone()));
            if let Some(b) = &lin.bias {
                out.push((format!("{p}.{group}.{name}.bias"), b.clone()));
            }
        }
    }
}

/// The module a projection sits in, in Hugging Face's weight names.
pub fn group_of(projection: &str) -> &'static str {
    match projection {
        "gate_proj" | "up_proj" | "down_proj" => "mlp",
        _ => "self_attn",
    }
}

/// The generic ops' precomputed inputs for a [b, t] batch.
pub(super) fn generic_ops(
    b: usize,
    t: usize,
    (cos, sin): (&Tensor, &Tensor),
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
    if packing.is_packed() {
        let at = packing.positions(b, t, device)?;
        let table = |x: &Tensor| -> Result<Tensor> {
            let half = x.dim(1)?;
            Ok(x.index_select(&at, 0)?
                .reshape((b, 1, t, half))?
                .to_dtype(dtype)?)
        };
        return Ok(Ops::Generic {
            b,
            t,
            mask: packing.mask(b, t, device)?,
            cos: table(cos)?,
            sin: table(sin)?,
        });
    }
    Ok(Ops::Generic {
        b,
        t,
        mask: generic::causal_mask(t, device)?,
        cos: cos.narrow(0, 0, t)?.to_dtype(dtype)?,
        sin: sin.narrow(0, 0, t)?.to_dtype(dtype)?,
    })
}
