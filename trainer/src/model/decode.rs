//! Incremental decoding for generation: each call runs only the new tokens
//! through the layers, attending over the keys and values cached from the
//! earlier calls, with RoPE positions continuing where the cache ends. The
//! adapter can be switched off per call, so the base model and the
//! fine-tuned one answer from the same loaded weights.

use super::fused;
use super::generic;
use super::layer::Layer;
use super::llama::Llama;
use super::lora::Linear;
use crate::error::{Result, TrainerError};
use candle_core::{DType, Tensor};
use candle_nn::kv_cache::KvCache;

/// Positions a cache reserves at a time (it grows by as many when full).
const CACHE_CHUNK: usize = 256;

/// The keys and values of every layer for the tokens decoded so far.
pub struct DecodeCache {
    layers: Vec<KvCache>,
}

impl DecodeCache {
    pub fn new(model: &Llama) -> Self {
        Self {
            layers: (0..model.layers.len())
                .map(|_| KvCache::new(2, CACHE_CHUNK))
                .collect(),
        }
    }

    /// How many positions are cached: the next token's position.
    pub fn len(&self) -> usize {
        self.layers.first().map_or(0, KvCache::current_seq_len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Llama {
    /// The positions this model has RoPE tables for: the longest sequence
    /// (prompt and answer together) it can read.
    pub fn context_len(&self) -> usize {
        self.cos.dim(0).unwrap_or(0)
    }

    /// Runs `ids` after what `cache` holds and returns the logits (f32,
    /// vocab-sized) for the token after the last one.
    pub fn decode(&self, ids: &[u32], cache: &mut DecodeCache, adapter: bool) -> Result<Vec<f32>> {
        let (start, t) = (cache.len(), ids.len());
        if t == 0 {
            return Err(TrainerError::Dataset("nothing to decode".into()));
        }
        if start + t > self.context_len() {
            return Err(TrainerError::Dataset(format!(
                "the conversation is {} tokens; this model reads at most {}",
                start + t,
                self.context_len()
            )));
        }
        let ids = Tensor::from_slice(ids, t, &self.device)?;
        let mut x = self.embed.embedding(&ids)?;
        let step = Step {
            model: self,
            start,
            t,
            adapter,
            cos: self.cos.narrow(0, start, t)?.to_dtype(self.dtype)?,
            sin: self.sin.narrow(0, start, t)?.to_dtype(self.dtype)?,
            mask: mask(start, t, &self.device)?,
        };
        for (layer, kv) in self.layers.iter().zip(&mut cache.layers) {
            x = step.layer(layer, &x, kv)?;
        }
        let last = x.narrow(0, t - 1, 1)?.contiguous()?;
        let h = step.norm(&last, &self.norm)?;
        Ok(self
            .logits(&h)?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1()?)
    }
}

/// What every layer of one decode call shares.
struct Step<'a> {
    model: &'a Llama,
    start: usize,
    t: usize,
    adapter: bool,
    /// [t, head_dim / 2] at positions start..start + t.
    cos: Tensor,
    sin: Tensor,
    /// [t, start + t], f32; None for one token (it sees everything).
    mask: Option<Tensor>,
}

impl Step<'_> {
    fn fused(&self, x: &Tensor) -> bool {
        self.model.fused && fused::applies(x)
    }

    fn norm(&self, x: &Tensor, weight: &Tensor) -> Result<Tensor> {
        let eps = self.model.config.rms_norm_eps;
        Ok(if self.fused(x) {
            fused::norm::rms_norm(x, weight, eps)?
        } else {
            generic::rms_norm(x, weight, eps)?
        })
    }

    fn linear(&self, lin: &Linear, x: &Tensor) -> Result<Tensor> {
        Ok(if self.adapter {
            lin.forward(x, None)?
        } else {
            lin.forward_base(x)?
        })
    }

    /// x [t, hidden] → the layer's output, same shape.
    fn layer(&self, layer: &Layer, x: &Tensor, kv: &mut KvCache) -> Result<Tensor> {
        let xn = self.norm(x, &layer.input_layernorm)?;
        let q = self.linear(&layer.q_proj, &xn)?;
        let k = self.linear(&layer.k_proj, &xn)?;
        let v = self.linear(&layer.v_proj, &xn)?;
        let attn = self.attention(&q, &k, &v, kv)?;
        let x = (x + self.linear(&layer.o_proj, &attn)?)?;
        let xn = self.norm(&x, &layer.post_attention_layernorm)?;
        let gate = self.linear(&layer.gate_proj, &xn)?;
        let up = self.linear(&layer.up_proj, &xn)?;
        let gated = if self.fused(&gate) {
            fused::swiglu::swiglu(&gate, &up)?
        } else {
            (gate.silu()? * up)?
        };
        Ok((x + self.linear(&layer.down_proj, &gated)?)?)
    }

    /// q [t, heads·d], k and v [t, kv_heads·d] → [t, heads·d]. Each group
    /// of query heads attends over its kv head's cache without copying it:
    /// the group's queries are stacked as rows of one matmul.
    fn attention(&self, q: &Tensor, k: &Tensor, v: &Tensor, kv: &mut KvCache) -> Result<Tensor> {
        let c = &self.model.config;
        let (nh, nkv, hd, t) = (
            c.num_attention_heads,
            c.num_key_value_heads,
            c.head_dim,
            self.t,
        );
        let heads = |x: &Tensor, n: usize| -> candle_core::Result<Tensor> {
            x.reshape((1, t, n, hd))?.transpose(1, 2)?.contiguous()
        };
        let q = generic::rope(&heads(q, nh)?, &self.cos, &self.sin)?;
        let k = generic::rope(&heads(k, nkv)?, &self.cos, &self.sin)?;
        let (k, v) = kv.append(&k, &heads(v, nkv)?)?;
        let total = self.start + t;
        let group = nh / nkv;
        // [1, nkv, group·t, d]: a group's heads are consecutive.
        let q = q.reshape((1, nkv, group * t, hd))?;
        let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.to_dtype(DType::F32)?;
        let scores = match &self.mask {
            Some(mask) => scores
                .reshape((1, nkv, group, t, total))?
                .broadcast_add(mask)?
                .reshape((1, nkv, group * t, total))?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?.to_dtype(v.dtype())?;
        let out = probs.matmul(&v)?;
        Ok(out
            .reshape((1, nh, t, hd))?
            .transpose(1, 2)?
            .reshape((t, nh * hd))?)
    }
}

/// The causal mask of `t` new tokens after `start` cached ones: token i
/// sees positions up to start + i.
fn mask(start: usize, t: usize, dev: &candle_core::Device) -> Result<Option<Tensor>> {
    if t == 1 {
        return Ok(None);
    }
    generic::causal_mask_after(start, t, dev).map(Some)
}
