//! What BrightRun charges besides GPU time (whose prices are in the GPU
//! catalog, `BRIGHTRUN_GPU_CATALOG`): the local trainer's CPU, storage and
//! downloads, in dollars.

use super::vars::{ConfigError, Vars};

#[derive(Debug, Clone)]
pub struct BillingConfig {
    /// `BRIGHTRUN_CPU_PRICE_PER_HOUR`, default `0`: what an hour of the local
    /// trainer costs.
    pub cpu_price_per_hour: f64,
    /// `BRIGHTRUN_STORAGE_PRICE_PER_GB_MONTH`, default `0.023`: what a GB of
    /// datasets and adapters costs a month.
    pub storage_price_per_gb_month: f64,
    /// `BRIGHTRUN_TRANSFER_PRICE_PER_GB`, default `0.09`: what a GB
    /// downloaded costs.
    pub transfer_price_per_gb: f64,
}

impl BillingConfig {
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let cpu_price_per_hour: f64 = vars.parse(
            "BRIGHTRUN_CPU_PRICE_PER_HOUR",
            "0",
            "expected dollars per hour, e.g. 0.05",
        )?;
        if !(cpu_price_per_hour >= 0.0 && cpu_price_per_hour.is_finite()) {
            return Err(ConfigError::new(
                "BRIGHTRUN_CPU_PRICE_PER_HOUR",
                cpu_price_per_hour.to_string(),
                "expected a price of 0 or more",
            ));
        }
        Ok(Self {
            cpu_price_per_hour,
            storage_price_per_gb_month: vars.parse(
                "BRIGHTRUN_STORAGE_PRICE_PER_GB_MONTH",
                "0.023",
                "expected dollars, e.g. 0.023",
            )?,
            transfer_price_per_gb: vars.parse(
                "BRIGHTRUN_TRANSFER_PRICE_PER_GB",
                "0.09",
                "expected dollars, e.g. 0.09",
            )?,
        })
    }
}
