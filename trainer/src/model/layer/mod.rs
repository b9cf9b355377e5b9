//! One decoder layer: pre-norm attention and a gated MLP around the
//! residual stream, each projection a frozen linear with optional LoRA,
//! named as Hugging Face names them. The architectures differ in a few
//! places, all here: Phi-3 fuses q, k and v into `qkv_proj` and gate and up
//! into `gate_up_proj`; Qwen3 and Gemma 3 normalise each head of q and k;
//! Gemma normalises the attention's and the MLP's outputs too, scales its
//! norms by 1 + w and gates with gelu-tanh; sliding layers attend through a
//! window, with their own RoPE base in Gemma 3.
//!
//! The layer's arithmetic is written once, against [`Pass`]: training runs
//! it with the fused kernels or the generic ops (`Ctx`), decoding with a
//! KV cache (`decode.rs`).
//!
//! [`norm`] holds the norms' weights, [`pass`] the ops a pass runs on.

mod norm;
mod pass;

pub use norm::Norm;
pub use pass::AttnKind;
use pass::Train;
pub(super) use pass::{Ctx, Ops, Pass, generic_ops};

use super::config::ModelConfig;
use super::fused;
use super::lora::Linear;
use crate::error::Result;
use crate::rng::TrainRng;
use candle_core::Tensor;

/// The projections LoRA can target, by their PEFT names (the contract's list).
pub const TARGETS: [&str; 7] = brightrun::cluster::TARGET_MODULES;

pub struct Layer {
    pub(super) input_layernorm: Norm,
    /// Llama: before the MLP. Gemma: on the attention's output.
    pub(super) post_attention_layernorm: Norm,
    /// Gemma only: before and after the MLP.
    pub(super) pre_feedforward_layernorm: Option<Norm>,
    pub(super) post_feedforward_layernorm: Option<Norm>,
    /// Qwen3, Gemma 3: over each head of q and k.
    pub(super) q_norm: Option<Norm>,
    pub(super) k_norm: Option<Norm>,
    /// By Hugging Face name, in the config's `projection_names` order.
    pub(super) projections: Vec<(&'static str, Linear)>,
    pub(super) kind: AttnKind,
    gemma: bool,
    /// q and kv widths, to split Phi-3's qkv_proj.
    widths: (usize, usize),
}

impl Layer {
    /// Takes layer `i`'s weights by their Hugging Face names.
    pub(super) fn load(
        config: &ModelConfig,
        i: usize,
        take: &mut dyn FnMut(&str) -> Result<Tensor>,
    ) -> Result<Self> {
        let p = format!("model.layers.{i}");
        let gemma = config.arch.gemma;
        let mut projections = Vec::new();
        for &name in config.projection_names() {
            let group = group_of(name);
            let weight = take(&format!("{p}.{group}.{name}.weight"))?;
            let biased = match name {
                "q_proj" | "k_proj" | "v_proj" => config.attention_bias,
                "o_proj" => config.o_bias(),
                _ => false,
            };
            let bias = if biased {
                Some(take(&format!("{p}.{group}.{name}.bias"))?)
            } else {
                None
            };
            projections.push((name, Linear::new(weight, bias)));
        }
        let mut norm = |name: &str| -> Result<Norm> {
            Norm::load(take(&format!("{p}.{name}.weight"))?, gemma)
        };
        let (q_norm, k_norm) = if config.arch.qk_norm {
            (
                Some(norm("self_attn.q_norm")?),
                Some(norm("self_attn.k_norm")?),
            )
        } else {
            (None, None)
        };
        let (pre_ff, post_ff) = if gemma {
            (
                Some(norm("pre_feedforward_layernorm")?),
                Some(norm("post_feedforward_layernorm")?),
            )
        } else {
            (None, None)
        };
        let window = config.sliding(i);
        Ok(Self {
            input_layernorm: norm("input_layernorm")?,
            post_attention_layernorm: norm("post_attention_layernorm")?,
            pre_feedforward_layernorm: pre_ff,
            post_feedforward_layernorm: post_ff,
            q_norm,
            k_norm,
            projections,
            kind: AttnKind {
                window,
                local_rope: window.is_some() && config.arch.local_rope.is_some(),
            },
            gemma,
            widths: (
                config.num_attention_heads * config.head_dim,
                config.num_key_value_heads * config.head_dim,
            ),
        })
    }

    /// The projections with their PEFT names, in the architecture's order.
    pub fn projections(&self) -> impl Iterator<Item = (&'static str, &Linear)> {
        self.projections.iter().map(|(n, l)| (*n, l))
    }

    pub fn projections_mut(&mut self) -> impl Iterator<Item = (&'static str, &mut Linear)> {
        self.projections.iter_mut().map(|(n, l)| (*n, l))
    }

    fn proj(&self, name: &str) -> &Linear {
        &self
            .projections
            .iter()
            .find(|(n, _)| *n == name)
            .expect("the architecture's projection")
            .1
    }

    /// x [b·t, hidden] → the layer's output, same shape. With `rng`, LoRA
    /// dropout is drawn from it (training).
    pub(super) fn forward(
        &self,
        x: &Tensor,
        ctx: &Ctx,
        rng: Option<&mut TrainRng>,
    ) -> Result<Tensor> {
        self.run(x, &mut Train { ctx, rng })
    }

    /// The layer's arithmetic on `pass`'s ops.
    pub(super) fn run(&self, x: &Tensor, pass: &mut dyn Pass) -> Result<Tensor> {
        let (qw, kw) = self.widths;
        let xn = pass.norm(x, &self.input_layernorm.weight)?;
        let (q, k, v) = if self.projections.len() == 4 {
            let qkv = pass.linear(self.proj("qkv_proj"), &xn)?;
            (
                qkv.narrow(1, 0, qw)?,
                qkv.narrow(1, qw, kw)?,
                qkv.narrow(1, qw + kw, kw)?,
            )
        } else {
            (
                pass.linear(self.proj("q_proj"), &xn)?,
                pass.linear(self.proj("k_proj"), &xn)?,
                pass.linear(self.proj("v_proj"), &xn)?,
            )
        };
        let (q, k) = match (&self.q_norm, &self.k_norm) {
            (Some(qn), Some(kn)) => (per_head(pass, &q, qn)?, per_head(pass, &k, kn)?),
            _ => (q, k),
        };
        let attn = pass.attention(self.kind, &q, &k, &v)?;
        let mut a = pass.linear(self.proj("o_proj"), &attn)?;
        if self.gemma {
            a = pass.norm(&a, &self.post_attention_layernorm.weight)?;
        }
        let x = (x + a)?;
        let pre = self
            .pre_feedforward_layernorm
            .as_ref()
            .unwrap_or(&self.post_attention_layernorm);
        let xn = pass.norm(&x, &pre.weight)?;
        let (gate, up) = if self.projections.len() == 4 {
            let gu = pass.linear(self.proj("gate_up_proj"), &xn)?;
            let half = gu.dim(1)? / 2;
            (gu.narrow(1, 0, half)?, gu.narrow(1, half, half)?)
        } else {
            (
                pass.linear(self.proj("gate_proj"), &xn)?,
                pass.linear(self.proj("up_proj"), &xn)?,
            )
        };
        let gated = match (self.gemma, pass.fused()) {
            (true, true) => fused::swiglu::geglu(&gate, &up)?,
            // candle's gelu is the tanh approximation (gelu_pytorch_tanh).
            (true, false) => (gate.gelu()? * up)?,
            (false, true) => fused::swiglu::swiglu(&gate, &up)?,
            (false, false) => (gate.silu()? * up)?,
        };
        let mut m = pass.linear(self.proj("down_proj"), &gated)?;
        if let Some(post) = &self.post_feedforward_layernorm {
            m = pass.norm(&m, &post.weight)?;
        }
        Ok((x + m)?)
    }

    /// The layer's frozen weights under Hugging Face names.
    pub(super) fn base_weights(&self, i: usize, out: &mut Vec<(String, Tensor)>) {
        let p = format!("model.layers.{i}");
        let norms = [
            ("input_layernorm", Some(&self.input_layernorm)),
            (
                "post_attention_layernorm",
                Some(&self.post_attention_layernorm),
            ),
            (
                "pre_feedforward_layernorm",
                self.pre_feedforward_layernorm.as_ref(),
            ),
            (
                "post_feedforward_layernorm",
                self.post_feedforward_layernorm.as_ref(),
            ),
            ("self_attn.q_norm", self.q_norm.as_ref()),
            ("self_attn.k_norm", self.k_norm.as_ref()),
        ];
        for (name, norm) in norms {
            if let Some(n) = norm {
                out.push((format!("{p}.{name}.weight"), n.hf().clone()));
            }
        }
        for (name, lin) in self.projections() {
            let group = group_of(name);
            out.push((format!("{p}.{group}.{name}.weight"), lin.weight.clone()));
            if let Some(b) = &lin.bias {
                out.push((format!("{p}.{group}.{name}.bias"), b.clone()));
            }
        }
    }
}

/// RMSNorm over each head_dim-wide head of x [n, heads·d].
fn per_head(pass: &mut dyn Pass, x: &Tensor, norm: &Norm) -> Result<Tensor> {
    let (n, width) = x.dims2()?;
    let d = norm.weight.dim(0)?;
    let y = pass.norm(&x.contiguous()?.reshape((n * width / d, d))?, &norm.weight)?;
    Ok(y.reshape((n, width))?)
}

/// The module a projection sits in, in Hugging Face's weight names.
pub fn group_of(projection: &str) -> &'static str {
    match projection {
        "gate_proj" | "up_proj" | "down_proj" | "gate_up_proj" => "mlp",
        _ => "self_attn",
    }
}
