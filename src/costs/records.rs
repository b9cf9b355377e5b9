//! Cost records as the API, the CSV export and the costs page show them.

use super::budget::BudgetStatus;
use crate::status::CostType;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One billed amount: a job's compute for a minute, a day of storage, a download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostRecord {
    pub id: Uuid,
    pub cost_type: CostType,
    /// US dollars.
    pub amount: f64,
    pub quantity: Option<f64>,
    /// `gpu_hours`, `gb_month` or `gb`.
    pub unit: Option<String>,
    pub job_id: Option<Uuid>,
    pub job_name: Option<String>,
    pub dataset_id: Option<Uuid>,
    pub model_id: Option<Uuid>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// `GET /api/costs` filters; the dates are UTC days, `to` inclusive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub cost_type: Option<CostType>,
    pub job_id: Option<Uuid>,
}

impl CostFilter {
    /// Checks the range; the message names the field.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err((
                "from",
                format!("`from` ({from}) is after `to` ({to}); swap them."),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TypeTotal {
    pub cost_type: CostType,
    pub amount: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobCost {
    pub job_id: Uuid,
    pub job_name: String,
    pub amount: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyCost {
    pub day: NaiveDate,
    pub amount: f64,
}

/// This month at a glance: `GET /api/costs/summary` and the costs page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostSummary {
    /// First day of the month (UTC).
    pub month: NaiveDate,
    pub total: f64,
    /// Every type, zero included, in a fixed order.
    pub by_type: Vec<TypeTotal>,
    /// Jobs billed this month, largest first.
    pub by_job: Vec<JobCost>,
    /// Every day of the month so far, zero included.
    pub daily: Vec<DailyCost>,
    pub budget: Option<BudgetStatus>,
}
