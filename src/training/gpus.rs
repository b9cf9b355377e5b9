//! The GPU catalog: what each type costs and how fast it trains. A default
//! ships in `config/gpus.json`; a deployment points `BRIGHTRUN_GPU_CATALOG`
//! at its own copy.

use serde::{Deserialize, Serialize};

/// The local backend's "GPU": this machine's CPU.
pub const CPU_GPU: &str = "cpu";

const DEFAULT_CATALOG: &str = include_str!("../../config/gpus.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GpuType {
    pub id: String,
    pub name: String,
    /// Memory of one GPU; 0 for `cpu` (the machine's memory is checked instead).
    pub vram_gb: u32,
    pub price_per_hour: f64,
    /// LoRA training tokens per second for a 7B model on one GPU.
    pub tokens_per_second_7b: f64,
    /// Seconds before the first step: machine start, model load.
    #[serde(default = "default_startup")]
    pub startup_s: f64,
    /// Whether it computes in bf16 (compute capability 8.0 and up); a GPU
    /// without it trains in f16 by default.
    #[serde(default = "default_bf16")]
    pub bf16: bool,
}

fn default_bf16() -> bool {
    true
}

fn default_startup() -> f64 {
    60.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GpuCatalog {
    pub gpus: Vec<GpuType>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct CatalogFile {
    gpus: Vec<GpuType>,
}

impl Default for GpuCatalog {
    fn default() -> Self {
        Self::parse(DEFAULT_CATALOG).expect("the shipped GPU catalog parses")
    }
}

impl GpuCatalog {
    /// Reads a catalog file's JSON, naming what is wrong.
    pub fn parse(json: &str) -> Result<Self, String> {
        let file: CatalogFile =
            serde_json::from_str(json).map_err(|e| format!("the GPU catalog is not valid: {e}"))?;
        if file.gpus.is_empty() {
            return Err("the GPU catalog lists no GPU types".into());
        }
        for g in &file.gpus {
            if g.id.trim().is_empty() {
                return Err("a GPU type in the catalog has an empty id".into());
            }
            if !(g.price_per_hour >= 0.0 && g.price_per_hour.is_finite()) {
                return Err(format!("GPU type '{}' has a negative price", g.id));
            }
            if !(g.tokens_per_second_7b > 0.0 && g.tokens_per_second_7b.is_finite()) {
                return Err(format!(
                    "GPU type '{}' needs tokens_per_second_7b above 0",
                    g.id
                ));
            }
        }
        Ok(Self { gpus: file.gpus })
    }

    pub fn get(&self, id: &str) -> Option<&GpuType> {
        self.gpus.iter().find(|g| g.id == id)
    }

    /// Sets the CPU's price (the local backend bills what the operator says).
    pub fn with_cpu_price(mut self, price_per_hour: f64) -> Self {
        for g in &mut self.gpus {
            if g.id == CPU_GPU {
                g.price_per_hour = price_per_hour;
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_has_the_cpu_and_priced_gpus() {
        let c = GpuCatalog::default();
        let cpu = c.get(CPU_GPU).unwrap();
        assert_eq!(cpu.price_per_hour, 0.0);
        assert!(c.gpus.len() >= 5);
        assert!(c.get("a100-80gb").unwrap().vram_gb == 80);
        assert_eq!(
            c.with_cpu_price(0.12).get(CPU_GPU).unwrap().price_per_hour,
            0.12
        );
    }

    #[test]
    fn a_bad_catalog_says_what_is_wrong() {
        assert!(GpuCatalog::parse("{").unwrap_err().contains("not valid"));
        assert!(
            GpuCatalog::parse(r#"{"gpus":[]}"#)
                .unwrap_err()
                .contains("no GPU")
        );
        let e = GpuCatalog::parse(
            r#"{"gpus":[{"id":"x","name":"X","vram_gb":8,"price_per_hour":1,"tokens_per_second_7b":0}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("'x'"), "{e}");
    }
}
