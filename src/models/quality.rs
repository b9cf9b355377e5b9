//! A finished run's quality: loss reduction, perplexity, an overfit flag and
//! a 1–5 rating, with the reasons the rating was reached, for the model page.

use serde::{Deserialize, Serialize};

/// Validation loss above training loss by more than this flags overfitting.
pub const OVERFIT_GAP: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quality {
    pub initial_loss: f64,
    pub final_train_loss: f64,
    pub final_val_loss: Option<f64>,
    /// (initial − final training loss) ÷ initial, in percent.
    pub loss_reduction_pct: f64,
    /// exp(final validation loss), or of the training loss without validation.
    pub perplexity: f64,
    pub overfit: bool,
    pub rating: u8,
    pub reasons: Vec<String>,
}

/// `train_losses` in step order; `val_loss` the last validation loss.
pub fn assess(train_losses: &[f64], val_loss: Option<f64>) -> Option<Quality> {
    let first = *train_losses.first()?;
    // The last few steps, averaged: one noisy batch should not set the rating.
    let tail = &train_losses[train_losses.len().saturating_sub(5)..];
    let last = tail.iter().sum::<f64>() / tail.len() as f64;
    if !(first.is_finite() && last.is_finite()) || first <= 0.0 {
        return None;
    }
    let reduction = (first - last) / first * 100.0;
    let perplexity = val_loss.unwrap_or(last).min(50.0).exp();
    let overfit = val_loss.is_some_and(|v| v - last > OVERFIT_GAP);
    let (mut rating, band): (u8, &str) = match reduction {
        r if r >= 50.0 => (5, "at least 50 %"),
        r if r >= 30.0 => (4, "30–50 %"),
        r if r >= 15.0 => (3, "15–30 %"),
        r if r >= 5.0 => (2, "5–15 %"),
        _ => (1, "under 5 %"),
    };
    let mut reasons = vec![format!(
        "Training loss fell {reduction:.1} % ({first:.3} → {last:.3}): {band} gives {rating} stars."
    )];
    if overfit {
        rating = rating.saturating_sub(1).max(1);
        reasons.push(format!(
            "Validation loss ({:.3}) is more than {OVERFIT_GAP} above training loss: overfitting, one star off.",
            val_loss.unwrap_or_default()
        ));
    }
    if val_loss.is_none() {
        reasons.push("No validation split: perplexity is from the training loss.".into());
    }
    Some(Quality {
        initial_loss: first,
        final_train_loss: last,
        final_val_loss: val_loss,
        loss_reduction_pct: reduction,
        perplexity,
        overfit,
        rating,
        reasons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_follows_loss_reduction_and_overfitting_costs_a_star() {
        let q = assess(&[4.0, 3.0, 2.0, 1.9, 1.8, 1.9, 1.9], Some(2.0)).unwrap();
        assert!((q.final_train_loss - 1.9).abs() < 1e-9);
        assert!((q.loss_reduction_pct - 52.5).abs() < 1e-9);
        assert!((q.perplexity - 2f64.exp()).abs() < 1e-9);
        assert!(!q.overfit);
        assert_eq!(q.rating, 5);

        let q = assess(&[4.0, 3.5, 3.0], Some(4.1)).unwrap();
        // Mean of the last steps 3.5: 12.5 % → 2 stars, overfit → 1.
        assert!(q.overfit);
        assert_eq!(q.rating, 1);
        assert!(q.reasons[1].contains("overfitting"));

        let q = assess(&[2.0, 2.0], None).unwrap();
        assert_eq!(q.rating, 1);
        assert!((q.perplexity - 2f64.exp()).abs() < 1e-9);
        assert!(assess(&[], None).is_none());
        assert!(assess(&[f64::NAN], None).is_none());
    }
}
