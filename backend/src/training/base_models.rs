//! The base models a job may start from: the built-in `tiny-llama`, every
//! Hugging Face folder under `BRIGHTRUN_MODELS_DIR` (for the local
//! cluster), and the ids in `BRIGHTRUN_CLUSTER_MODELS` (for a remote one).
//! Each is checked here, before any compute starts.

use crate::config::{ClusterKind, Config};
use crate::error::ServiceError;
use brightrun::jobs::ModelOption;
use brightrun::training::ModelShape;
use brightrun_trainer::model::{folder, tiny};

#[derive(Debug, Clone, PartialEq)]
pub struct BaseModel {
    /// What the user picks and the job records.
    pub id: String,
    pub label: String,
    /// What the trainer's spec names: the built-in name, a folder path or a remote id.
    pub spec_name: String,
    pub shape: ModelShape,
    /// For a remote cluster, a Hub model's files in storage: the spec sends
    /// their signed URLs and the trainer fetches them.
    pub stored_files: Option<Vec<String>>,
}

impl BaseModel {
    pub fn option(&self) -> ModelOption {
        ModelOption {
            id: self.id.clone(),
            label: self.label.clone(),
            parameters: self.shape.parameters,
        }
    }
}

fn millions(parameters: u64) -> String {
    if parameters >= 1_000_000_000 {
        format!("{:.1}B", parameters as f64 / 1e9)
    } else {
        format!("{:.1}M", parameters as f64 / 1e6)
    }
}

/// Every base model on offer, the built-in one first.
pub fn list(config: &Config) -> Vec<BaseModel> {
    let tiny_shape = tiny::config().shape();
    let mut models = vec![BaseModel {
        id: tiny::NAME.to_string(),
        label: format!(
            "tiny-llama (built in, {} parameters)",
            millions(tiny_shape.parameters)
        ),
        spec_name: tiny::NAME.to_string(),
        shape: tiny_shape,
        stored_files: None,
    }];
    if config.cluster.kind == ClusterKind::Local
        && let Ok(entries) = std::fs::read_dir(&config.base_models.dir)
    {
        let mut found: Vec<BaseModel> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("config.json").is_file())
            .filter_map(|e| {
                let path = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                match folder::config_of(&path.display().to_string()) {
                    Ok(c) => {
                        let shape = c.shape();
                        Some(BaseModel {
                            label: format!(
                                "{name} ({}, {})",
                                c.model_type,
                                millions(shape.parameters)
                            ),
                            id: name,
                            spec_name: path.display().to_string(),
                            shape,
                            stored_files: None,
                        })
                    }
                    Err(e) => {
                        tracing::warn!(model = %name, "skipping model folder: {e}");
                        None
                    }
                }
            })
            .collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        models.extend(found);
    }
    if config.cluster.kind != ClusterKind::Local {
        models.extend(config.cluster.models.iter().map(|id| {
            let shape = remote_shape(id);
            BaseModel {
                label: format!("{id} (on the cluster)"),
                id: id.clone(),
                spec_name: id.clone(),
                shape,
                stored_files: None,
            }
        }));
        models.extend(stored_hub_models(config));
    }
    models
}

/// Hub models downloaded for a remote cluster: the folders of the models
/// folder whose files the download worker put in storage.
fn stored_hub_models(config: &Config) -> Vec<BaseModel> {
    use crate::base_models::worker::STORED_MARKER;
    let Ok(entries) = std::fs::read_dir(&config.base_models.dir) else {
        return Vec::new();
    };
    let mut found: Vec<BaseModel> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let marker = std::fs::read(path.join(STORED_MARKER)).ok()?;
            let files: Vec<String> = serde_json::from_slice(&marker).ok()?;
            let name = e.file_name().to_string_lossy().into_owned();
            let c = folder::config_of(&path.display().to_string()).ok()?;
            let shape = c.shape();
            Some(BaseModel {
                label: format!(
                    "{name} ({}, {}, from the Hub)",
                    c.model_type,
                    millions(shape.parameters)
                ),
                spec_name: name.clone(),
                id: name,
                shape,
                stored_files: Some(files),
            })
        })
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found
}

pub fn find(config: &Config, id: &str) -> Result<BaseModel, ServiceError> {
    let all = list(config);
    all.iter()
        .find(|m| m.id == id)
        .cloned()
        .ok_or_else(|| ServiceError::Invalid {
            field: "base_model",
            message: format!(
                "Unknown base model '{id}'; choose one of: {}.",
                all.iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// A remote model's shape from the size in its name (`…-7b`, `…-135m`), on
/// Llama 2 7B's proportions; 7B when the name says nothing.
fn remote_shape(id: &str) -> ModelShape {
    let lower = id.to_ascii_lowercase();
    let size = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .find_map(|part| {
            let (num, mult) = if let Some(n) = part.strip_suffix('b') {
                (n, 1e9)
            } else if let Some(n) = part.strip_suffix('m') {
                (n, 1e6)
            } else {
                return None;
            };
            num.parse::<f64>().ok().map(|v| v * mult)
        })
        .unwrap_or(7e9);
    let layers = ((32.0 * size / 7e9).round() as u64).max(1);
    ModelShape {
        parameters: size as u64,
        vocab_size: 32_000,
        hidden_size: 4096,
        intermediate_size: 11_008,
        num_hidden_layers: layers,
        num_attention_heads: 32,
        num_key_value_heads: 32,
        head_dim: 128,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_sizes_come_from_the_name() {
        assert_eq!(
            remote_shape("meta-llama/Llama-3-8B").parameters,
            8_000_000_000
        );
        assert_eq!(remote_shape("smollm-135m").parameters, 135_000_000);
        assert_eq!(remote_shape("mistral").parameters, 7_000_000_000);
        assert_eq!(remote_shape("qwen2-0.5b").parameters, 500_000_000);
    }
}
