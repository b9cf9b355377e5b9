//! Validation ([`Trainer::evaluate`]): the loss over the validation set and
//! the model's answers to the held-out sample prompts, when it is due, and
//! what it decides: early stopping's patience, and the best weights so far
//! for a job that keeps the best adapter.

use super::{Evaluation, Trainer, data, samples};
use crate::error::Result;
use brightrun::training::keep::{self, KeepAdapter};

impl Trainer {
    /// Validation loss now and the model's answers to the held-out sample
    /// prompts. The loss is recorded for early stopping and the best so
    /// far, except before training (step 0), which is only the "before".
    pub fn evaluate(&mut self) -> Result<Evaluation> {
        let v = data::evaluate(
            &self.model,
            &self.val_set,
            self.h().batch_size,
            self.pack(),
            &self.placed.device,
        )?;
        let step = self.state.step;
        if step > 0 {
            self.record_loss(v)?;
        }
        Ok(Evaluation {
            step,
            val_loss: v,
            samples: samples::answer(&self.model, &self.chat, &self.sample_prompts)?,
        })
    }

    /// Counts an evaluation toward early stopping, and snapshots the
    /// weights when it is the best so far and the job keeps the best.
    fn record_loss(&mut self, v: f64) -> Result<()> {
        let best = self.state.best_val_loss;
        if keep::resets_patience(best, v) {
            self.state.evals_without_improvement = 0;
        } else {
            self.state.evals_without_improvement += 1;
        }
        if keep::is_best(best, v) {
            self.state.best_val_loss = Some(v);
            self.state.best_step = self.state.step;
            if self.h().keep_adapter == KeepAdapter::Best {
                self.best = Some(self.lora_tensors(true)?);
            }
        }
        Ok(())
    }

    /// The evaluation before the first step: the base model's validation
    /// loss and answers. None when there is no validation set, or the run
    /// resumes past step 0.
    pub(super) fn evaluate_before(&mut self) -> Result<Option<Evaluation>> {
        if self.val_set.is_empty() || self.state.step > 0 {
            return Ok(None);
        }
        self.evaluate().map(Some)
    }

    /// Whether validation is due after the step just taken.
    pub(super) fn eval_due(&self) -> bool {
        let (h, step) = (self.h(), self.state.step);
        !self.val_set.is_empty()
            && ((h.eval_every > 0 && step.is_multiple_of(h.eval_every))
                || (h.eval_every == 0 && step.is_multiple_of(self.steps.steps_per_epoch))
                || step == self.steps.total_steps)
    }

    pub(super) fn patience_out(&self) -> bool {
        let patience = self.h().early_stopping_patience;
        patience > 0 && self.state.evals_without_improvement >= patience
    }
}
