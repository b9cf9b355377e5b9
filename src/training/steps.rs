//! The one count of a run's optimizer steps, used by the estimate, the
//! trainer and the pages, so that what a run was estimated at, what it
//! runs and what its pages say are the same number.
//!
//! `max_steps` is a cap: a run takes every epoch's steps unless that is
//! more than `max_steps`. With no epochs (the trainer's spec allows 0 when
//! `max_steps` is set) it runs exactly `max_steps`.

use serde::{Deserialize, Serialize};

/// How a run's examples and steps work out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunSteps {
    /// Examples left for training once the validation share is held out.
    pub train_examples: u64,
    pub validation_examples: u64,
    /// Optimizer steps in one pass over the training examples (at least 1).
    pub steps_per_epoch: u64,
    /// Optimizer steps the run takes.
    pub total_steps: u64,
    /// Passes over the training examples those steps make (fractional when
    /// `max_steps` cuts an epoch short).
    pub epochs_run: f64,
}

/// The examples held out for validation: `examples × share`, rounded, and
/// at least one but never all of them when a share is asked and there are
/// two or more.
pub fn validation_examples(examples: u64, share: f64) -> u64 {
    if share > 0.0 && examples > 1 {
        ((examples as f64 * share).round() as u64).clamp(1, examples - 1)
    } else {
        0
    }
}

/// Optimizer steps in one epoch: `ceil(train_examples / (batch × accumulation))`,
/// at least 1. The last step of an epoch may take fewer examples.
pub fn steps_per_epoch(train_examples: u64, batch: u64, accumulation: u64) -> u64 {
    train_examples
        .div_ceil(batch.max(1) * accumulation.max(1))
        .max(1)
}

/// The steps of a run over `examples` examples (before the validation split).
pub fn plan(
    examples: u64,
    validation_split: f64,
    batch: u64,
    accumulation: u64,
    epochs: u64,
    max_steps: u64,
) -> RunSteps {
    let validation_examples = validation_examples(examples, validation_split);
    let train_examples = examples - validation_examples;
    let per_epoch = steps_per_epoch(train_examples, batch, accumulation);
    let all_epochs = per_epoch.saturating_mul(epochs);
    let total_steps = match (epochs, max_steps) {
        (_, 0) => all_epochs,
        (0, cap) => cap,
        (_, cap) => all_epochs.min(cap),
    };
    RunSteps {
        train_examples,
        validation_examples,
        steps_per_epoch: per_epoch,
        total_steps,
        epochs_run: total_steps as f64 / per_epoch as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_steps_caps_below_one_epoch_and_changes_nothing_at_or_above_the_epochs() {
        // 40 examples, 8 a step: 5 steps an epoch, 15 in three epochs.
        let below = plan(40, 0.0, 4, 2, 3, 3);
        assert_eq!((below.steps_per_epoch, below.total_steps), (5, 3));
        assert!((below.epochs_run - 0.6).abs() < 1e-12);
        assert_eq!(plan(40, 0.0, 4, 2, 3, 5).total_steps, 5);
        assert_eq!(plan(40, 0.0, 4, 2, 1, 5).epochs_run, 1.0);
        // A cap above the epochs' steps is not reached: the epochs end first.
        let above = plan(40, 0.0, 4, 2, 3, 60);
        assert_eq!((above.total_steps, above.epochs_run), (15, 3.0));
        // No cap: every epoch.
        assert_eq!(plan(40, 0.0, 4, 2, 3, 0).total_steps, 15);
    }

    #[test]
    fn the_issue_s_case_balanced_on_eq_12_with_max_steps_60_is_25_steps() {
        // 44 examples, 10 % held out (4), batch 8, 5 epochs.
        let p = plan(44, 0.1, 8, 1, 5, 60);
        assert_eq!((p.train_examples, p.validation_examples), (40, 4));
        assert_eq!((p.steps_per_epoch, p.total_steps), (5, 25));
        assert_eq!(p.epochs_run, 5.0);
    }

    #[test]
    fn no_epochs_runs_exactly_max_steps() {
        let p = plan(40, 0.0, 4, 2, 0, 12);
        assert_eq!(p.total_steps, 12);
        assert!((p.epochs_run - 2.4).abs() < 1e-12);
        assert_eq!(plan(40, 0.0, 4, 2, 0, 0).total_steps, 0);
    }

    #[test]
    fn the_validation_share_is_rounded_and_leaves_one_on_each_side() {
        assert_eq!(validation_examples(44, 0.1), 4);
        assert_eq!(validation_examples(45, 0.1), 5);
        assert_eq!(validation_examples(5, 0.01), 1);
        assert_eq!(validation_examples(2, 0.9), 1);
        assert_eq!(validation_examples(1, 0.5), 0);
        assert_eq!(validation_examples(44, 0.0), 0);
        let p = plan(44, 0.1, 4, 2, 3, 0);
        // 40 left, 8 a step: 5 an epoch.
        assert_eq!((p.train_examples, p.total_steps), (40, 15));
    }

    #[test]
    fn a_partial_last_batch_is_a_step_and_an_empty_set_still_has_one() {
        assert_eq!(steps_per_epoch(41, 4, 2), 6);
        assert_eq!(steps_per_epoch(0, 4, 2), 1);
        assert_eq!(steps_per_epoch(3, 0, 0), 3);
    }
}
