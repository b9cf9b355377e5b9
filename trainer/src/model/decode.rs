//! Incremental decoding for generation: each call runs only the new tokens
//! through the layers, attending over the keys and values cached from the
//! earlier calls, with RoPE positions continuing where the cache ends. The
//! adapter can be switched off per call, so the base model and the
//! fine-tuned one answer from the same loaded weights.

use super::fused;
use super::generic;
use super::layer::{AttnKind, Pass};
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
        let mut x = self.embed_flat(&ids)?;
        let window = |w: Option<usize>| mask(start, t, w, &self.device);
        let step = Step {
            model: self,
            start,
            t,
            adapter,
            cos: self.cos.narrow(0, start, t)?.to_dtype(self.dtype)?,
            sin: self.sin.narrow(0, start, t)?.to_dtype(self.dtype)?,
            local: match &self.local_rope {
                Some((cos, sin, _)) => Some((
                    cos.narrow(0, start, t)?.to_dtype(self.dtype)?,
                    sin.narrow(0, start, t)?.to_dtype(self.dtype)?,
                )),
                None => None,
            },
            mask: window(None)?,
            window_mask: window(self.config.arch.sliding_window)?,
        };
        for (layer, kv) in self.layers.iter().zip(&mut cache.layers) {
            x = layer.run(&x, &mut Decoding { step: &step, kv })?;
        }
        let last = x.narrow(0, t - 1, 1)?.contiguous()?;
        let h = step.norm(&last, &self.norm.weight)?;
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
    /// The sliding layers' own (Gemma 3).
    local: Option<(Tensor, Tensor)>,
    /// [t, start + t], f32; None where nothing is hidden (one token, no
    /// window).
    mask: Option<Tensor>,
    /// The same for the sliding layers.
    window_mask: Option<Tensor>,
}

/// One layer of one decode call: the call's ops and the layer's cache.
struct Decoding<'a, 'k> {
    step: &'a Step<'a>,
    kv: &'k mut KvCache,
}

impl Pass for Decoding<'_, '_> {
    fn fused(&self) -> bool {
        self.step.model.fused
            && self.step.model.device.is_cpu()
            && self.step.model.dtype == DType::F32
    }
    fn norm(&self, x: &Tensor, weight: &Tensor) -> Result<Tensor> {
        self.step.norm(x, weight)
    }
    fn linear(&mut self, lin: &Linear, x: &Tensor) -> Result<Tensor> {
        self.step.linear(lin, x)
    }
    fn attention(&mut self, kind: AttnKind, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Tensor> {
        self.step.attention(kind, q, k, v, self.kv)
    }
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

    /// q [t, heads·d], k and v [t, kv_heads·d] → [t, heads·d]. Each group
    /// of query heads attends over its kv head's cache without copying it:
    /// the group's queries are stacked as rows of one matmul.
    fn attention(
        &self,
        kind: AttnKind,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        kv: &mut KvCache,
    ) -> Result<Tensor> {
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
        let (cos, sin) = match (&self.local, kind.local_rope) {
            (Some((cos, sin)), true) => (cos, sin),
            _ => (&self.cos, &self.sin),
        };
        let q = generic::rope(&heads(&q.contiguous()?, nh)?, cos, sin)?;
        let k = generic::rope(&heads(&k.contiguous()?, nkv)?, cos, sin)?;
        let (k, v) = kv.append(&k, &heads(&v.contiguous()?, nkv)?)?;
        let total = self.start + t;
        let group = nh / nkv;
        // [1, nkv, group·t, d]: a group's heads are consecutive.
        let q = q.reshape((1, nkv, group * t, hd))?;
        let scores = (q.matmul(&k.t()?)? * c.attention_scale())?;
        let scores =
            generic::softcap(&scores, c.arch.attn_logit_softcapping)?.to_dtype(DType::F32)?;
        let mask = if kind.window.is_some() {
            &self.window_mask
        } else {
            &self.mask
        };
        let scores = match mask {
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
/// sees positions up to start + i, and with a window only the `window`
/// positions up to it.
fn mask(
    start: usize,
    t: usize,
    window: Option<usize>,
    dev: &candle_core::Device,
) -> Result<Option<Tensor>> {
    let total = start + t;
    let hidden = |i: usize, j: usize| j > start + i || window.is_some_and(|w| j + w <= start + i);
    if (0..t).all(|i| (0..total).all(|j| !hidden(i, j))) {
        return Ok(None);
    }
    let m: Vec<f32> = (0..t)
        .flat_map(|i| (0..total).map(move |j| if hidden(i, j) { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Ok(Some(Tensor::from_vec(m, (t, total), dev)?))
}
