//! The monthly budget: which alert thresholds a month's spend has reached,
//! and whether a new job's estimate fits what is left once the active jobs'
//! remaining estimates are counted.

use serde::{Deserialize, Serialize};

/// Alert thresholds, in percent of the monthly budget.
pub const THRESHOLDS: [u8; 3] = [80, 90, 100];

/// The budget line of the costs summary and the banner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetStatus {
    pub monthly_budget: f64,
    pub spent: f64,
    /// Spent ÷ budget, in percent.
    pub percent: f64,
    /// The highest threshold reached, if any.
    pub alert: Option<u8>,
}

impl BudgetStatus {
    pub fn new(monthly_budget: f64, spent: f64) -> Self {
        let percent = if monthly_budget > 0.0 {
            spent / monthly_budget * 100.0
        } else {
            0.0
        };
        Self {
            monthly_budget,
            spent,
            percent,
            alert: thresholds_reached(monthly_budget, spent).last().copied(),
        }
    }
}

/// The thresholds `spent` has reached, lowest first.
pub fn thresholds_reached(budget: f64, spent: f64) -> Vec<u8> {
    THRESHOLDS
        .iter()
        .copied()
        .filter(|t| budget > 0.0 && spent >= budget * f64::from(*t) / 100.0 - 1e-9)
        .collect()
}

/// Why a job was refused, with the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetRefusal {
    pub monthly_budget: f64,
    pub spent: f64,
    /// What the active jobs are still expected to cost.
    pub committed: f64,
    pub remaining: f64,
    pub estimate: f64,
}

impl std::fmt::Display for BudgetRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "This job's estimate (${:.2}) is more than the ${:.2} left of your ${:.2} monthly budget \
             (${:.2} spent this month, ${:.2} still expected from running jobs). \
             Raise the budget in Settings, choose a cheaper configuration, or tick \
             “Start anyway” to override.",
            self.estimate,
            self.remaining.max(0.0),
            self.monthly_budget,
            self.spent,
            self.committed
        )
    }
}

/// `Ok` when there is no budget, the user overrides, or the estimate fits.
pub fn check_new_job(
    monthly_budget: Option<f64>,
    spent: f64,
    committed: f64,
    estimate: f64,
    overridden: bool,
) -> Result<(), BudgetRefusal> {
    let Some(budget) = monthly_budget else {
        return Ok(());
    };
    let remaining = budget - spent - committed;
    if overridden || estimate <= remaining + 1e-9 {
        return Ok(());
    }
    Err(BudgetRefusal {
        monthly_budget: budget,
        spent,
        committed,
        remaining,
        estimate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_reached_in_order() {
        assert!(thresholds_reached(10.0, 7.99).is_empty());
        assert_eq!(thresholds_reached(10.0, 8.0), vec![80]);
        assert_eq!(thresholds_reached(10.0, 9.5), vec![80, 90]);
        assert_eq!(thresholds_reached(10.0, 12.0), vec![80, 90, 100]);
        assert!(
            thresholds_reached(0.0, 5.0).is_empty(),
            "no budget, no alert"
        );
        assert_eq!(BudgetStatus::new(10.0, 9.5).alert, Some(90));
        assert!((BudgetStatus::new(10.0, 2.5).percent - 25.0).abs() < 1e-9);
    }

    #[test]
    fn a_job_must_fit_what_is_left_after_active_jobs() {
        assert!(check_new_job(None, 100.0, 100.0, 100.0, false).is_ok());
        assert!(check_new_job(Some(10.0), 4.0, 3.0, 3.0, false).is_ok());
        let refused = check_new_job(Some(10.0), 4.0, 3.0, 3.5, false).unwrap_err();
        assert!((refused.remaining - 3.0).abs() < 1e-9);
        let text = refused.to_string();
        assert!(
            text.contains("$3.50") && text.contains("$3.00 left") && text.contains("$10.00"),
            "{text}"
        );
        assert!(
            check_new_job(Some(10.0), 4.0, 3.0, 3.5, true).is_ok(),
            "override"
        );
    }
}
