//! Which adapter a run keeps and when it stops early: one rule for the
//! trainer (which snapshots the best weights as it goes) and the model page
//! (which says which step it got and why).

use serde::{Deserialize, Serialize};

/// An improvement smaller than this share of the best validation loss does
/// not reset early stopping's patience: a loss that only creeps down is a
/// run that has stopped learning.
pub const MIN_IMPROVEMENT: f64 = 1e-3;

/// The adapter a run writes at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeepAdapter {
    /// The weights of the evaluation with the lowest validation loss (the
    /// last step's when the run has no validation split).
    #[default]
    Best,
    /// The last step's weights.
    Last,
}

impl KeepAdapter {
    pub const ALL: &'static [KeepAdapter] = &[Self::Best, Self::Last];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Best => "best",
            Self::Last => "last",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Best => "Best validation loss",
            Self::Last => "Last step",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

/// Whether a validation loss is the best so far (ties keep the earlier).
pub fn is_best(best: Option<f64>, loss: f64) -> bool {
    best.is_none_or(|b| loss < b)
}

/// Whether a validation loss improves on the best by enough to reset
/// early stopping's patience.
pub fn resets_patience(best: Option<f64>, loss: f64) -> bool {
    best.is_none_or(|b| loss < b - MIN_IMPROVEMENT * b.abs())
}

/// The adapter a finished run kept, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeptAdapter {
    pub step: u64,
    pub choice: KeepAdapter,
    /// The validation loss at that step, when it was evaluated.
    pub val_loss: Option<f64>,
    /// One sentence for the model page.
    pub why: String,
}

/// The adapter a run that reached `last_step` kept, from its evaluations
/// after training began (`(step, validation loss)`, in step order).
pub fn kept_adapter(keep: KeepAdapter, evaluations: &[(u64, f64)], last_step: u64) -> KeptAdapter {
    let at = |step: u64| evaluations.iter().find(|(s, _)| *s == step).map(|e| e.1);
    let mut best: Option<(u64, f64)> = None;
    for &(step, loss) in evaluations.iter().filter(|(s, _)| *s > 0) {
        if is_best(best.map(|b| b.1), loss) {
            best = Some((step, loss));
        }
    }
    match (keep, best) {
        (KeepAdapter::Best, Some((step, loss))) => KeptAdapter {
            step,
            choice: keep,
            val_loss: Some(loss),
            why: if step == last_step {
                format!("The last step, {step}, had the lowest validation loss ({loss:.4}).")
            } else {
                format!(
                    "Step {step} had the lowest validation loss ({loss:.4}); the {} steps after it did not beat it, so its weights were kept.",
                    last_step - step
                )
            },
        },
        (KeepAdapter::Best, None) => KeptAdapter {
            step: last_step,
            choice: keep,
            val_loss: None,
            why: format!(
                "The last step, {last_step}: the run had no validation loss to choose a best by."
            ),
        },
        (KeepAdapter::Last, _) => KeptAdapter {
            step: last_step,
            choice: keep,
            val_loss: at(last_step),
            why: format!("The last step, {last_step}, as the job asked."),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_is_the_first_lowest_loss_after_training_began() {
        let evals = [(0, 0.5), (2, 2.0), (4, 1.5), (6, 1.5), (8, 1.7)];
        let k = kept_adapter(KeepAdapter::Best, &evals, 9);
        assert_eq!((k.step, k.val_loss), (4, Some(1.5)));
        assert!(
            k.why.contains("Step 4") && k.why.contains("5 steps after"),
            "{}",
            k.why
        );
        let last = kept_adapter(KeepAdapter::Last, &evals, 8);
        assert_eq!((last.step, last.val_loss), (8, Some(1.7)));
        assert!(last.why.contains("as the job asked"));
        let none = kept_adapter(KeepAdapter::Best, &[(0, 0.5)], 3);
        assert_eq!((none.step, none.val_loss), (3, None));
        assert!(none.why.contains("no validation loss"));
        let at_end = kept_adapter(KeepAdapter::Best, &[(2, 2.0), (4, 1.0)], 4);
        assert!(at_end.why.starts_with("The last step, 4"), "{}", at_end.why);
    }

    #[test]
    fn patience_needs_a_real_improvement_but_any_drop_is_a_new_best() {
        assert!(resets_patience(None, 5.0));
        assert!(resets_patience(Some(2.0), 1.99));
        assert!(!resets_patience(Some(2.0), 1.9995));
        assert!(is_best(Some(2.0), 1.9995));
        assert!(!is_best(Some(2.0), 2.0));
        assert_eq!(KeepAdapter::parse("last"), Some(KeepAdapter::Last));
        assert_eq!(KeepAdapter::parse("worst"), None);
    }
}
