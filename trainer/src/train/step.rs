//! One optimizer step ([`Trainer::step`]): each micro-batch's loss and
//! gradients, summed; the divergence check; clipping to the gradient-norm
//! limit; AdamW at the schedule's learning rate. The batches come in the
//! epoch's seeded order, and dropout is drawn from the seed and the step,
//! so a resumed run repeats the uninterrupted one.

use super::{StepResult, Trainer, data};
use crate::chat::Encoded;
use crate::error::{Result, TrainerError};
use crate::optim;
use crate::rng::TrainRng;
use crate::schedule;
use candle_core::Tensor;

/// A loss above this (or not finite) ends the run as diverged.
const EXPLODED_LOSS: f64 = 1e4;

/// The accumulated micro-batches of one step.
struct Accumulated {
    grads: Vec<Tensor>,
    loss_sum: f64,
    tokens: usize,
    padded: usize,
}

impl Trainer {
    /// One optimizer step: every micro-batch's loss and gradients, clipped,
    /// then AdamW at the schedule's learning rate.
    pub fn step(&mut self) -> Result<StepResult> {
        let accumulation = self.h().gradient_accumulation as u64;
        let acc = self.accumulate(accumulation)?;
        let mut grads = acc.grads;
        let train_loss = acc.loss_sum / accumulation as f64;
        let grad_norm = optim::global_norm(&grads)?;
        self.check_diverged(train_loss, grad_norm)?;
        let h = self.h();
        if h.max_grad_norm > 0.0 && grad_norm > h.max_grad_norm {
            let scale = h.max_grad_norm / (grad_norm + 1e-6);
            grads = grads
                .iter()
                .map(|g| g * scale)
                .collect::<candle_core::Result<_>>()?;
        }
        let lr = schedule::learning_rate(
            h.schedule,
            h.learning_rate,
            self.state.step,
            h.warmup_steps,
            self.steps.total_steps,
        );
        self.opt.step(&self.vars, &grads, lr)?;
        self.state.step += 1;
        self.state.optimizer_t = self.opt.t;
        Ok(StepResult {
            train_loss,
            grad_norm,
            learning_rate: lr,
            tokens: acc.tokens,
            padded: acc.padded,
        })
    }

    /// The step's micro-batches' losses and gradients (each scaled by
    /// 1 / accumulation), summed.
    fn accumulate(&mut self, accumulation: u64) -> Result<Accumulated> {
        let mut dropout = TrainRng::derive(self.h().seed, &format!("dropout-{}", self.state.step));
        let mut sum: Option<Vec<Tensor>> = None;
        let (mut loss_sum, mut tokens, mut padded) = (0.0, 0usize, 0usize);
        for micro in 0..accumulation {
            let picked = self.micro_batch(self.state.step * accumulation + micro);
            let batch: Vec<&Encoded> = picked.iter().map(|&i| &self.train_set[i]).collect();
            let (batch, n_tokens) = data::collate(&batch, self.pack(), &self.placed.device)?;
            tokens += n_tokens;
            padded += batch.labels.len();
            let out = self.model.loss_and_grads(
                &batch,
                Some(&mut dropout),
                &self.vars,
                1.0 / accumulation as f64,
                self.checkpointing,
            )?;
            loss_sum += out.loss;
            sum = Some(match sum {
                None => out.grads,
                Some(acc) => acc
                    .iter()
                    .zip(&out.grads)
                    .map(|(a, g)| a + g)
                    .collect::<candle_core::Result<_>>()?,
            });
        }
        Ok(Accumulated {
            grads: sum.expect("at least one micro-batch"),
            loss_sum,
            tokens,
            padded,
        })
    }

    /// A loss or gradient norm that is not finite, or a loss past
    /// [`EXPLODED_LOSS`], ends the run.
    fn check_diverged(&self, train_loss: f64, grad_norm: f64) -> Result<()> {
        if !train_loss.is_finite() || train_loss > EXPLODED_LOSS || !grad_norm.is_finite() {
            return Err(TrainerError::Diverged(format!(
                "at step {} the loss was {train_loss} (gradient norm {grad_norm}); lower the learning rate ({}) or raise warmup_steps",
                self.state.step + 1,
                self.h().learning_rate
            )));
        }
        Ok(())
    }

    /// The batch of micro-batch `global` (counted over the whole run).
    fn micro_batch(&mut self, global: u64) -> Vec<usize> {
        let (seed, batch) = (self.h().seed, self.h().batch_size);
        let epoch = global / self.batches_per_epoch;
        if self.order_cache.as_ref().map(|(e, _)| *e) != Some(epoch) {
            self.order_cache = Some((epoch, data::order(self.train_set.len(), seed, epoch)));
        }
        let perm = &self.order_cache.as_ref().expect("order").1;
        let at = (global % self.batches_per_epoch) as usize * batch;
        perm[at..(at + batch).min(perm.len())].to_vec()
    }

    /// The row length batches are packed to, when the run packs.
    pub(super) fn pack(&self) -> Option<usize> {
        let h = self.h();
        brightrun::cluster::packing_on(h.packing, h.batch_size).then_some(h.max_seq_len)
    }
}
