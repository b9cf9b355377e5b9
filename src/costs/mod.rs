//! What it all cost: the cost records (compute, storage, data transfer), the
//! monthly summary, the CSV export, the compute billing segments and the
//! budget rules. The server writes and reads the records; these are the
//! types and the arithmetic both sides share.

pub mod budget;
pub mod compute;
pub mod csv;
pub mod records;

pub use budget::{BudgetRefusal, BudgetStatus, THRESHOLDS, check_new_job, thresholds_reached};
pub use compute::{BILLING_INTERVAL_S, segment};
pub use records::{CostFilter, CostRecord, CostSummary, DailyCost, JobCost, TypeTotal};
