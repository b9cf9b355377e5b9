//! The decoder (Llama 2/3, Mistral, Qwen2, Qwen3, Phi-3/Phi-4, Gemma 2,
//! Gemma 3) written for training: grouped-query attention, RoPE, RMSNorm
//! and a gated MLP (each architecture's departures are in `layer.rs`), with
//! the fused CPU
//! kernels for f32 on the CPU and candle's differentiable ops (`generic`)
//! on any other device or dtype. The base weights are frozen in the dtype
//! they are loaded in; LoRA's A and B are f32 master weights.

use super::config::ModelConfig;
use super::fused::{self, attention::Dims, rope::Tables};
use super::layer::{self, Ctx, Layer, Norm, Ops};
use super::lora::LoraShape;
use super::packing::{Batch, Packing};
use crate::error::{Result, TrainerError};
use crate::rng::TrainRng;
use candle_core::{DType, Device, Tensor, Var};
use std::collections::HashMap;
use std::sync::Arc;

pub use super::generic::{IGNORE, masked_cross_entropy, rms_norm, rope, softmax_last};
pub use super::layer::TARGETS;

pub struct Llama {
    pub config: ModelConfig,
    pub(super) embed: Tensor,
    pub(super) layers: Vec<Layer>,
    pub(super) norm: Norm,
    /// None when tied to the embeddings.
    pub(super) lm_head: Option<Tensor>,
    /// [positions, head_dim / 2], f32.
    pub(super) cos: Tensor,
    pub(super) sin: Tensor,
    /// cos and sin as plain tables, for the fused RoPE kernel.
    rope: Arc<Tables>,
    /// The sliding layers' own RoPE (Gemma 3): [positions, head_dim / 2]
    /// cos and sin, and the same as plain tables.
    pub(super) local_rope: Option<(Tensor, Tensor, Arc<Tables>)>,
    pub(super) device: Device,
    pub(super) dtype: DType,
    /// Use the fused CPU kernels where they apply (on by default; off runs
    /// the generic ops, which the tests compare them with): `set_fused`.
    pub(super) fused: bool,
}

impl Llama {
    /// Builds the model from Hugging Face-named weights (`model.layers.0.…`),
    /// frozen in `dtype` on `device`.
    pub fn from_weights(
        config: ModelConfig,
        mut w: HashMap<String, Tensor>,
        device: &Device,
        dtype: DType,
    ) -> Result<Self> {
        if config.arch.multimodal {
            w = w
                .into_iter()
                .filter_map(|(k, t)| Some((config.text_weight_name(&k)?, t)))
                .collect();
        }
        let mut take = |name: &str| -> Result<Tensor> {
            let t = w.remove(name).ok_or_else(|| {
                TrainerError::UnsupportedModel(format!("the weights have no `{name}`"))
            })?;
            Ok(t.to_dtype(dtype)?.to_device(device)?)
        };
        let embed = take("model.embed_tokens.weight")?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&config, i, &mut take))
            .collect::<Result<Vec<_>>>()?;
        let norm = Norm::load(take("model.norm.weight")?, config.arch.gemma)?;
        let lm_head = if config.tie_word_embeddings {
            None
        } else {
            Some(take("lm_head.weight")?)
        };
        let (cos, sin) = rope_tables(&config, config.rope_theta, &config.rope_scaling, device)?;
        let local_rope = match &config.arch.local_rope {
            Some((theta, scaling)) => {
                let (cos, sin) = rope_tables(&config, *theta, scaling, device)?;
                let tables = Arc::new(Tables::new(
                    &cos.to_device(&Device::Cpu)?,
                    &sin.to_device(&Device::Cpu)?,
                )?);
                Some((cos, sin, tables))
            }
            None => None,
        };
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
            local_rope,
            device: device.clone(),
            dtype,
            fused: true,
        })
    }

    /// Fused CPU kernels on (the default) or off (candle's generic ops).
    pub fn set_fused(&mut self, on: bool) {
        self.fused = on;
        for layer in &mut self.layers {
            for (_, lin) in layer.projections_mut() {
                lin.fused = on;
            }
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The frozen base weights' dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Adds LoRA to the named projections of every layer; returns the
    /// trainable tensors under PEFT's key names, in a fixed order.
    pub fn add_lora(
        &mut self,
        targets: &[String],
        shape: LoraShape,
        rng: &mut TrainRng,
    ) -> Result<Vec<(String, Var)>> {
        let targets = self.config.lora_targets(targets)?;
        for layer in &mut self.layers {
            for (name, lin) in layer.projections_mut() {
                if targets.iter().any(|t| t == name) {
                    lin.add_lora(shape, rng)?;
                }
            }
        }
        Ok(self.lora_vars())
    }

    /// The projections an adapter for `targets` (the contract's names or
    /// this architecture's) sits on, by this architecture's PEFT names: what
    /// adapter_config.json's `target_modules` says.
    pub fn peft_targets(&self, targets: &[String]) -> Result<Vec<String>> {
        self.config.lora_targets(targets)
    }

    pub fn lora_vars(&self) -> Vec<(String, Var)> {
        (0..self.layers.len())
            .flat_map(|i| self.layer_lora_vars(i))
            .collect()
    }

    /// Layer `i`'s trainable tensors under PEFT's key names.
    pub(super) fn layer_lora_vars(&self, i: usize) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for (name, lin) in self.layers[i].projections() {
            if let Some(l) = &lin.lora {
                let group = layer::group_of(name);
                let key = format!("{}.{i}.{group}.{name}", self.config.peft_layers_prefix());
                out.push((format!("{key}.lora_A.weight"), l.a.clone()));
                out.push((format!("{key}.lora_B.weight"), l.b.clone()));
            }
        }
        out
    }

    /// The ops a [b, t] batch runs with.
    pub(super) fn ops(&self, b: usize, t: usize, packing: &Packing) -> Result<Ops> {
        let c = &self.config;
        if self.fused && self.device.is_cpu() && self.dtype == DType::F32 {
            return Ok(Ops::Fused {
                dims: Dims {
                    batch: b,
                    t,
                    heads: c.num_attention_heads,
                    kv_heads: c.num_key_value_heads,
                    head_dim: c.head_dim,
                    scale: c.attention_scale() as f32,
                    softcap: c.arch.attn_logit_softcapping.map(|c| c as f32),
                    window: None,
                },
                packing: packing.clone(),
            });
        }
        let tables = (&self.cos, &self.sin);
        let local = self.local_rope.as_ref().map(|(c, s, _)| (c, s));
        layer::generic_ops(
            b,
            t,
            tables,
            (local, c.arch.sliding_window),
            packing,
            self.dtype,
            &self.device,
        )
    }

    pub(super) fn ctx<'a>(&'a self, ops: &'a Ops) -> Ctx<'a> {
        Ctx {
            config: &self.config,
            rope: &self.rope,
            local_rope: self.local_rope.as_ref().map(|(_, _, t)| t),
            ops,
        }
    }

    /// ids [b, t] → the token embeddings [b·t, hidden].
    pub(super) fn embed(&self, ids: &Tensor) -> Result<Tensor> {
        self.embed_flat(&ids.flatten_all()?)
    }

    /// ids [n] → the token embeddings [n, hidden]; Gemma scales them by
    /// √hidden, in the weights' dtype as transformers does.
    pub(super) fn embed_flat(&self, ids: &Tensor) -> Result<Tensor> {
        let x = self.embed.embedding(ids)?;
        Ok(if self.config.arch.gemma {
            (x * (self.config.hidden_size as f64).sqrt())?
        } else {
            x
        })
    }

    /// ids: [b, t] u32 → final hidden states [b, t, hidden].
    pub fn hidden(
        &self,
        ids: &Tensor,
        packing: &Packing,
        mut rng: Option<&mut TrainRng>,
    ) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let ops = self.ops(b, t, packing)?;
        let ctx = self.ctx(&ops);
        let mut x = self.embed(ids)?;
        for layer in &self.layers {
            x = layer.forward(&x, &ctx, rng.as_deref_mut())?;
        }
        ctx.normalize(&x, &self.norm.weight)?
            .reshape((b, t, self.config.hidden_size))
            .map_err(Into::into)
    }

    /// hidden [n, h] → logits [n, vocab]. The head is frozen: no gradient
    /// for its [vocab, hidden] weight (the largest matmul of a small model).
    /// Gemma's final softcapping applies.
    pub fn logits(&self, hidden: &Tensor) -> Result<Tensor> {
        let logits = super::frozen::linear(hidden, self.head())?;
        Ok(super::generic::softcap(
            &logits,
            self.config.arch.final_logit_softcapping,
        )?)
    }

    fn head(&self) -> &Tensor {
        self.lm_head.as_ref().unwrap_or(&self.embed)
    }

    /// Logits for a batch of ids, [b, t, vocab] (inference; no dropout).
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let h = self.hidden(ids, &Packing::none(), None)?;
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
        self.batch_loss(&Batch::unpacked(ids.clone(), labels.to_vec()), rng)
    }

    /// [`Llama::loss`] of a batch, packed or not.
    pub fn batch_loss(&self, batch: &Batch, rng: Option<&mut TrainRng>) -> Result<(Tensor, usize)> {
        let (ids, labels) = (&batch.ids, &batch.labels);
        let (b, t) = ids.dims2()?;
        let h = self
            .hidden(ids, &batch.packing, rng)?
            .reshape((b * t, self.config.hidden_size))?;
        self.head_loss(&h, labels)
    }

    /// The loss from the final, normalised hidden states [n, hidden].
    pub(super) fn head_loss(&self, h: &Tensor, labels: &[i64]) -> Result<(Tensor, usize)> {
        if self.fused && fused::applies(h) {
            let counted = labels.iter().filter(|&&l| l != IGNORE).count();
            return Ok((
                fused::cross_entropy::head_loss(
                    h,
                    self.head(),
                    labels,
                    self.config.arch.final_logit_softcapping,
                )?,
                counted,
            ));
        }
        masked_cross_entropy(&self.logits(h)?, labels)
    }

    /// The base weights under Hugging Face names (to write the model out).
    pub fn base_weights(&self) -> Vec<(String, Tensor)> {
        let mut out = vec![("model.embed_tokens.weight".to_string(), self.embed.clone())];
        for (i, layer) in self.layers.iter().enumerate() {
            layer.base_weights(i, &mut out);
        }
        out.push(("model.norm.weight".into(), self.norm.hf().clone()));
        if let Some(head) = &self.lm_head {
            out.push(("lm_head.weight".into(), head.clone()));
        }
        out
    }
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

fn rope_tables(
    c: &ModelConfig,
    theta: f64,
    scaling: &super::config::RopeScaling,
    dev: &Device,
) -> Result<(Tensor, Tensor)> {
    let inv = scaling.inv_freq(c.head_dim, theta);
    let max = c.positions();
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
