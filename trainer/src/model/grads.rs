//! One micro-batch's loss and LoRA gradients, with or without gradient
//! checkpointing.
//!
//! Checkpointed, the forward pass keeps only each decoder layer's input:
//! every layer runs detached, so its intermediates are freed as soon as
//! its output exists. The backward pass then walks the layers from the
//! last: it recomputes one layer's forward from its kept input (with the
//! same dropout masks, replayed from the generator's state before that
//! layer), backpropagates the gradient that arrived at its output, keeps
//! the LoRA gradients and passes the input's gradient on. Peak memory is
//! the kept inputs plus one layer's intermediates, instead of every
//! layer's; the price is a second forward pass of each layer.

use super::llama::Llama;
use super::packing::Batch;
use crate::error::Result;
use crate::rng::TrainRng;
use candle_core::{Tensor, TensorId, Var, backprop::GradStore};
use std::collections::HashMap;

/// The loss of one micro-batch and the gradients of `vars` for `loss ×
/// scale` (zeros where a var got none).
pub struct LossAndGrads {
    pub loss: f64,
    /// Positions that counted in the loss.
    pub counted: usize,
    pub grads: Vec<Tensor>,
}

impl Llama {
    pub fn loss_and_grads(
        &self,
        batch: &Batch,
        rng: Option<&mut TrainRng>,
        vars: &[Var],
        scale: f64,
        checkpointing: bool,
    ) -> Result<LossAndGrads> {
        if checkpointing {
            return self.checkpointed(batch, rng, vars, scale);
        }
        let (loss, counted) = self.batch_loss(batch, rng)?;
        let store = (&loss * scale)?.backward()?;
        let mut found = HashMap::new();
        keep(&store, vars, &mut found)?;
        Ok(LossAndGrads {
            loss: loss.to_scalar::<f32>()? as f64,
            counted,
            grads: in_order(found, vars)?,
        })
    }

    fn checkpointed(
        &self,
        batch: &Batch,
        mut rng: Option<&mut TrainRng>,
        vars: &[Var],
        scale: f64,
    ) -> Result<LossAndGrads> {
        let (ids, labels) = (&batch.ids, &batch.labels);
        let (b, t) = ids.dims2()?;
        let ops = self.ops(b, t, &batch.packing)?;
        let ctx = self.ctx(&ops);
        // Forward: keep each layer's input and the generator before it.
        let mut kept = Vec::with_capacity(self.layers.len());
        let mut x = self.embed(ids)?;
        for layer in &self.layers {
            let before = rng.as_deref().cloned();
            let out = layer.forward(&x, &ctx, rng.as_deref_mut())?.detach();
            kept.push((x, before));
            x = out;
        }
        // The head: loss, and the gradient at the last layer's output.
        let top = Var::from_tensor(&x)?;
        let h = ctx.normalize(top.as_tensor(), &self.norm.weight)?;
        let (loss, counted) = self.head_loss(&h, labels)?;
        let store = (&loss * scale)?.backward()?;
        let mut found = HashMap::new();
        keep(&store, vars, &mut found)?;
        let mut grad = store
            .get(top.as_tensor())
            .cloned()
            .unwrap_or(top.as_tensor().zeros_like()?);
        drop(store);
        // Backward, one layer at a time from the last.
        for (i, (input, before)) in kept.into_iter().enumerate().rev() {
            let input = Var::from_tensor(&input)?;
            let mut replay = before;
            let out = self.layers[i].forward(input.as_tensor(), &ctx, replay.as_mut())?;
            // d/d(out) of Σ out·grad is grad: backpropagates it unchanged.
            let surrogate = (out * &grad)?.sum_all()?;
            let store = surrogate.backward()?;
            let layer_vars: Vec<Var> = self
                .layer_lora_vars(i)
                .into_iter()
                .map(|(_, v)| v)
                .collect();
            keep(&store, &layer_vars, &mut found)?;
            grad = store
                .get(input.as_tensor())
                .cloned()
                .unwrap_or(input.as_tensor().zeros_like()?);
        }
        Ok(LossAndGrads {
            loss: loss.to_scalar::<f32>()? as f64,
            counted,
            grads: in_order(found, vars)?,
        })
    }
}

/// Takes the gradients of `vars` out of a store, adding to any found before.
fn keep(store: &GradStore, vars: &[Var], found: &mut HashMap<TensorId, Tensor>) -> Result<()> {
    for v in vars {
        let Some(g) = store.get(v.as_tensor()) else {
            continue;
        };
        let sum = match found.remove(&v.as_tensor().id()) {
            Some(acc) => (acc + g)?,
            None => g.clone(),
        };
        found.insert(v.as_tensor().id(), sum);
    }
    Ok(())
}

fn in_order(mut found: HashMap<TensorId, Tensor>, vars: &[Var]) -> Result<Vec<Tensor>> {
    vars.iter()
        .map(|v| match found.remove(&v.as_tensor().id()) {
            Some(g) => Ok(g),
            None => Ok(v.as_tensor().zeros_like()?),
        })
        .collect()
}
