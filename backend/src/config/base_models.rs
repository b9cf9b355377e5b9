//! Base models: the local folders offered for training and the Hugging Face
//! Hub they are downloaded from.

use super::vars::{ConfigError, Vars};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct BaseModelsConfig {
    /// `BRIGHTRUN_MODELS_DIR`, default `<data dir>/models`: Hugging Face
    /// model folders offered as base models.
    pub dir: PathBuf,
    /// `BRIGHTRUN_HUB_URL`, default `https://huggingface.co`: the Hub (or a
    /// mirror) base models are added from.
    pub hub_url: String,
    /// `BRIGHTRUN_HUB_ADMINS`, default empty (every user may): comma-separated
    /// emails of the operators who may add and delete base models, lowercase.
    pub admins: Vec<String>,
    /// `BRIGHTRUN_HUB_MAX_GB`, default `100`: the largest base model
    /// download accepted (held here in bytes).
    pub max_bytes: u64,
}

impl BaseModelsConfig {
    pub fn from_vars(vars: Vars<'_>, data_dir: &Path) -> Result<Self, ConfigError> {
        Ok(Self {
            dir: vars
                .get("BRIGHTRUN_MODELS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("models")),
            hub_url: vars
                .url("BRIGHTRUN_HUB_URL")
                .unwrap_or_else(|| "https://huggingface.co".into()),
            admins: vars
                .list("BRIGHTRUN_HUB_ADMINS")
                .into_iter()
                .map(|m| m.to_ascii_lowercase())
                .collect(),
            max_bytes: (vars.parse::<f64>(
                "BRIGHTRUN_HUB_MAX_GB",
                "100",
                "expected gigabytes, e.g. 20",
            )? * 1e9) as u64,
        })
    }
}
