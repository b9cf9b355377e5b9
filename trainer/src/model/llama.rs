//! The Llama-family decoder (Llama 2/3, Mistral, Qwen2) written for training:
//! grouped-query attention, RoPE, RMSNorm and SwiGLU from differentiable
//! tensor ops. candle-nn's fused `rms_norm`, `softmax_last_dim` and `rope`
//! have no backward pass, so a model built on them trains nothing through
//! those paths; a gradient check in the tests keeps it that way.

use super::config::ModelConfig;
use super::fused::{self, attention::Dims, rope::Tables};
use super::lora::{Linear, LoraShape};
use crate::error::{Result, TrainerError};
use crate::rng::TrainRng;
use candle_core::{D, DType, Device, Tensor, Var};
use std::collections::HashMap;
use std::sync::Arc;

/// The projections LoRA can target, by their PEFT names.
pub const TARGETS: [&str; 7] = [
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
];

pub struct Layer {
    input_norm: Tensor,
    post_norm: Tensor,
    /// q, k, v, o, gate, up, down — in `TARGETS` order.
    proj: Vec<Linear>,
}

pub struct Llama {
    pub config: ModelConfig,
    embed: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    /// None when tied to the embeddings.
    lm_head: Option<Tensor>,
    cos: Tensor,
    sin: Tensor,
    /// cos and sin as plain tables, for the fused RoPE kernel.
    rope: Arc<Tables>,
    device: Device,
    /// Use the fused CPU kernels where they apply (on by default; off runs
    /// the generic ops, which the tests compare them with): `set_fused`.
    fused: bool,
}

impl Llama {
    /// Builds the model from Hugging Face-named weights (`model.layers.0.…`).
    pub fn from_weights(
        config: ModelConfig,
        mut w: HashMap<String, Tensor>,
        device: &Device,
    ) -> Result<Self> {
        let mut take = |name: &str| -> Result<Tensor> {
            let t = w.remove(name).ok_or_else(|| {
                TrainerError::UnsupportedModel(format!("the weights have no `{name}`"))
            })?;
            Ok(t.to_dtype(DType::F32)?.to_device(device)?)
        };
        let embed = take("model.embed_tokens.weight")?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("model.layers.{i}");
            let mut proj = Vec::with_capacity(7);
            for name in TARGETS {
                let group = group_of(name);
                let weight = take(&format!("{p}.{group}.{name}.weight"))?;
                let bias =
                    if config.attention_bias && ["q_proj", "k_proj", "v_proj"].contains(&name) {
                        Some(take(&format!("{p}.{group}.{name}.bias"))?)
                    } else {
                        None
                    };
                proj.push(Linear::new(weight, bias));
            }
            layers.push(Layer {
                input_norm: take(&format!("{p}.input_layernorm.weight"))?,
                post_norm: take(&format!("{p}.post_attention_layernorm.weight"))?,
                proj,
            });
        }
        let norm = take("model.norm.weight")?;
        let lm_head = if config.tie_word_embeddings {
            None
        } else {
            Some(take("lm_head.weight")?)
        };
        let (cos, sin) = rope_tables(&config, device)?;
        check_shape(
            &embed,
            &[config.vocab_size, config.hidden_size],
            "model.embed_tokens.weight",
        )?;
        let rope = Arc::new(Tables::new(
            &cos.to_device(&Device::Cpu)?,
            &sin.to_device(&Device::Cpu)?,
        )?);
        Ok(Self {
            config,
            embed,
            layers,
            norm,
            lm_head,
            cos,
            sin,
            rope,
            device: device.clone(),
            fused: true,
        })
    }

    /// Fused CPU kernels on (the default) or off (candle's generic ops).
    pub fn set_fused(&mut self, on: bool) {
        self.fused = on;
        for layer in &mut self.layers {
            for lin in &mut layer.proj {
                lin.fused = on;
            }
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Adds LoRA to the named projections of every layer; returns the
    /// trainable tensors under PEFT's key names, in a fixed order.
    pub fn add_lora(
        &mut self,
        targets: &[String],
        shape: LoraShape,
        rng: &mut TrainRng,
    ) -> Result<Vec<(String, Var)>> {
        for t in targets {
            if !TARGETS.contains(&t.as_str()) {
                return Err(TrainerError::spec(
                    "target_modules",
                    format!("names `{t}`; choose from {}", TARGETS.join(", ")),
                ));
            }
        }
        for layer in &mut self.layers {
            for (name, lin) in TARGETS.iter().zip(&mut layer.proj) {
                if targets.iter().any(|t| t == name) {
                    lin.add_lora(shape, rng)?;
                }
            }
        }
        Ok(self.lora_vars())
    }

    pub fn lora_vars(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            for (name, lin) in TARGETS.iter().zip(&layer.proj) {
                if let Some(l) = &lin.lora {
                    let group = group_of(name);
                    let key = format!("base_model.model.model.layers.{i}.{group}.{name}");
                    out.push((format!("{key}.lora_A.weight"), l.a.clone()));
                    out.push((format!("{key}.lora_B.weight"), l.b.clone()));
                }
            }
        }
        out
    }

    /// ids: [b, t] u32 → final hidden states [b, t, hidden].
    pub fn hidden(&self, ids: &Tensor, mut rng: Option<&mut TrainRng>) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let c = &self.config;
        let mut x = self.embed.embedding(&ids.flatten_all()?)?; // [b*t, h]
        let ops = if self.uses_fused(&x) {
            Ops::Fused(Dims {
                batch: b,
                t,
                heads: c.num_attention_heads,
                kv_heads: c.num_key_value_heads,
                head_dim: c.head_dim,
            })
        } else {
            Ops::Generic {
                b,
                t,
                mask: causal_mask(t, x.device())?,
                cos: self.cos.narrow(0, 0, t)?,
                sin: self.sin.narrow(0, 0, t)?,
            }
        };
        for layer in &self.layers {
            let xn = self.normalize(&x, &layer.input_norm, &ops)?;
            let q = layer.proj[0].forward(&xn, rng.as_deref_mut())?;
            let k = layer.proj[1].forward(&xn, rng.as_deref_mut())?;
            let v = layer.proj[2].forward(&xn, rng.as_deref_mut())?;
            let attn = self.attention(&q, &k, &v, &ops)?;
            x = (x + layer.proj[3].forward(&attn, rng.as_deref_mut())?)?;
            let xn = self.normalize(&x, &layer.post_norm, &ops)?;
            let gate = layer.proj[4].forward(&xn, rng.as_deref_mut())?;
            let up = layer.proj[5].forward(&xn, rng.as_deref_mut())?;
            let gated = match ops {
                Ops::Fused(_) => fused::swiglu::swiglu(&gate, &up)?,
                Ops::Generic { .. } => (silu(&gate)? * up)?,
            };
            x = (x + layer.proj[6].forward(&gated, rng.as_deref_mut())?)?;
        }
        self.normalize(&x, &self.norm, &ops)?
            .reshape((b, t, c.hidden_size))
            .map_err(Into::into)
    }

    fn uses_fused(&self, x: &Tensor) -> bool {
        self.fused && fused::applies(x)
    }

    fn normalize(&self, x: &Tensor, weight: &Tensor, ops: &Ops) -> Result<Tensor> {
        let eps = self.config.rms_norm_eps;
        Ok(match ops {
            Ops::Fused(_) => fused::norm::rms_norm(x, weight, eps)?,
            Ops::Generic { .. } => rms_norm(x, weight, eps)?,
        })
    }

    /// Causal self-attention of the projections q [b·t, heads·d] and k, v
    /// [b·t, kv_heads·d] → [b·t, heads·d], RoPE applied to q and k.
    fn attention(&self, q: &Tensor, k: &Tensor, v: &Tensor, ops: &Ops) -> Result<Tensor> {
        let c = &self.config;
        let (nh, nkv, hd) = (c.num_attention_heads, c.num_key_value_heads, c.head_dim);
        match ops {
            Ops::Fused(dims) => {
                let q = fused::rope::rope(q, &self.rope, dims.t, nh)?;
                let k = fused::rope::rope(k, &self.rope, dims.t, nkv)?;
                Ok(fused::attention::attend(&q, &k, v, *dims)?)
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
                let q = rope(&heads(q, nh)?, cos, sin)?;
                let k = repeat_kv(&rope(&heads(k, nkv)?, cos, sin)?, nh / nkv)?;
                let v = repeat_kv(&heads(v, nkv)?, nh / nkv)?;
                let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.broadcast_add(mask)?;
                Ok(softmax_last(&scores)?
                    .matmul(&v)?
                    .transpose(1, 2)?
                    .reshape((b * t, nh * hd))?)
            }
        }
    }

    /// hidden [n, h] → logits [n, vocab]. The head is frozen: no gradient
    /// for its [vocab, hidden] weight (the largest matmul of a small model).
    pub fn logits(&self, hidden: &Tensor) -> Result<Tensor> {
        let head = self.lm_head.as_ref().unwrap_or(&self.embed);
        Ok(super::frozen::linear(hidden, head)?)
    }

    /// Logits for a batch of ids, [b, t, vocab] (inference; no dropout).
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let h = self.hidden(ids, None)?;
        let logits = self.logits(&h.reshape((b * t, self.config.hidden_size))?)?;
        Ok(logits.reshape((b, t, self.config.vocab_size))?)
    }

    /// Mean cross-entropy over the positions whose label is not `IGNORE`
    /// (label i is the token after position i), and how many there were.
    pub fn loss(
        &self,
        ids: &Tensor,
        labels: &[i64],
        rng: Option<&mut TrainRng>,
    ) -> Result<(Tensor, usize)> {
        let (b, t) = ids.dims2()?;
        let h = self
            .hidden(ids, rng)?
            .reshape((b * t, self.config.hidden_size))?;
        if self.uses_fused(&h) {
            let head = self.lm_head.as_ref().unwrap_or(&self.embed);
            let counted = labels.iter().filter(|&&l| l != IGNORE).count();
            return Ok((fused::cross_entropy::head_loss(&h, head, labels)?, counted));
        }
        let logits = self.logits(&h)?;
        masked_cross_entropy(&logits, labels)
    }

    /// The base weights under Hugging Face names (to write the model out).
    pub fn base_weights(&self) -> Vec<(String, Tensor)> {
        let mut out = vec![("model.embed_tokens.weight".to_string(), self.embed.clone())];
        for (i, layer) in self.layers.iter().enumerate() {
            let p = format!("model.layers.{i}");
            out.push((
                format!("{p}.input_layernorm.weight"),
                layer.input_norm.clone(),
            ));
            out.push((
                format!("{p}.post_attention_layernorm.weight"),
                layer.post_norm.clone(),
            ));
            for (name, lin) in TARGETS.iter().zip(&layer.proj) {
                let group = group_of(name);
                out.push((format!("{p}.{group}.{name}.weight"), lin.weight.clone()));
                if let Some(b) = &lin.bias {
                    out.push((format!("{p}.{group}.{name}.bias"), b.clone()));
                }
            }
        }
        out.push(("model.norm.weight".into(), self.norm.clone()));
        if let Some(head) = &self.lm_head {
            out.push(("lm_head.weight".into(), head.clone()));
        }
        out
    }
}

/// Which kernels a forward pass runs: the fused CPU ones (see `fused`), or
/// candle's differentiable tensor ops (any device, and the reference the
/// fused kernels are tested against) with what they need precomputed.
enum Ops {
    Fused(Dims),
    Generic {
        b: usize,
        t: usize,
        mask: Tensor,
        cos: Tensor,
        sin: Tensor,
    },
}

/// The module a projection sits in, in Hugging Face's weight names.
fn group_of(projection: &str) -> &'static str {
    match projection {
        "gate_proj" | "up_proj" | "down_proj" => "mlp",
        _ => "self_attn",
    }
}

/// Label of a position that takes no part in the loss.
pub const IGNORE: i64 = -100;

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
    let logp = log_softmax_last(logits)?;
    let picked = logp.gather(&targets, 1)?.squeeze(1)?;
    let total = (picked * weights)?.sum_all()?.neg()?;
    Ok(((total / counted.max(1) as f64)?, counted))
}

fn check_shape(t: &Tensor, want: &[usize], name: &str) -> Result<()> {
    if t.dims() != want {
        return Err(TrainerError::UnsupportedModel(format!(
            "`{name}` has shape {:?}, config.json implies {want:?}",
            t.dims()
        )));
    }
    Ok(())
}

fn rope_tables(c: &ModelConfig, dev: &Device) -> Result<(Tensor, Tensor)> {
    let inv = c.rope_scaling.inv_freq(c.head_dim, c.rope_theta);
    let max = c.max_position_embeddings.min(32_768);
    let half = inv.len();
    let mut cos = Vec::with_capacity(max * half);
    let mut sin = Vec::with_capacity(max * half);
    for p in 0..max {
        for f in &inv {
            let a = p as f32 * f;
            cos.push(a.cos());
            sin.push(a.sin());
        }
    }
    Ok((
        Tensor::from_vec(cos, (max, half), dev)?,
        Tensor::from_vec(sin, (max, half), dev)?,
    ))
}

fn causal_mask(t: usize, dev: &Device) -> Result<Tensor> {
    let m: Vec<f32> = (0..t)
        .flat_map(|i| (0..t).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Ok(Tensor::from_vec(m, (t, t), dev)?)
}

/// RMSNorm over the last dimension, differentiable.
pub fn rms_norm(x: &Tensor, weight: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    let ms = x.sqr()?.mean_keepdim(D::Minus1)?;
    x.broadcast_div(&(ms + eps)?.sqrt()?)?.broadcast_mul(weight)
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

/// candle's unary silu has a backward pass.
fn silu(x: &Tensor) -> candle_core::Result<Tensor> {
    x.silu()
}

/// RoPE in the Hugging Face (non-interleaved) layout; x: [b, h, t, d],
/// cos/sin: [t, d/2]. Differentiable.
pub fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> candle_core::Result<Tensor> {
    let d = x.dim(D::Minus1)?;
    let cos = Tensor::cat(&[cos, cos], D::Minus1)?;
    let sin = Tensor::cat(&[sin, sin], D::Minus1)?;
    let x1 = x.narrow(D::Minus1, 0, d / 2)?;
    let x2 = x.narrow(D::Minus1, d / 2, d / 2)?;
    let rotated = Tensor::cat(&[&x2.neg()?, &x1], D::Minus1)?;
    x.broadcast_mul(&cos)? + rotated.broadcast_mul(&sin)?
}

fn repeat_kv(x: &Tensor, n: usize) -> candle_core::Result<Tensor> {
    if n == 1 {
        return Ok(x.clone());
    }
    let (b, kv, t, d) = x.dims4()?;
    x.unsqueeze(2)?
        .broadcast_as((b, kv, n, t, d))?
        .contiguous()?
        .reshape((b, kv * n, t, d))
}
