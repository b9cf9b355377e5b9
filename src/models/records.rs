//! A trained model (LoRA adapter) as the pages and the API show it.

use super::quality::Quality;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Model {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub base_model: String,
    pub job_id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_name: String,
    pub parent_model_id: Option<Uuid>,
    pub size_bytes: u64,
    pub quality: Option<Quality>,
    pub rating: Option<u8>,
    pub created_at: DateTime<Utc>,
}

/// `PATCH /api/models/{id}` and the edit form: only what is given changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ModelUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

impl ModelUpdate {
    /// Trims and checks; the error names the field.
    pub fn validated(self) -> Result<Self, (&'static str, String)> {
        let name = match self.name.map(|n| n.trim().to_string()) {
            Some(n) if n.is_empty() => return Err(("name", "Give the model a name.".into())),
            Some(n) if n.chars().count() > MAX_NAME_CHARS => {
                return Err((
                    "name",
                    format!("Model names are at most {MAX_NAME_CHARS} characters."),
                ));
            }
            n => n,
        };
        let description = match self.description.map(|d| d.trim().to_string()) {
            Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
                return Err((
                    "description",
                    format!("Descriptions are at most {MAX_DESCRIPTION_CHARS} characters."),
                ));
            }
            d => d,
        };
        Ok(Self { name, description })
    }
}

/// `/models` filters: a search over name, description, dataset and base
/// model, a base model, and a lowest rating.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelFilter {
    pub q: Option<String>,
    pub base_model: Option<String>,
    pub min_rating: Option<u8>,
}

/// One model in a version chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelVersion {
    pub id: Uuid,
    pub name: String,
    pub parent_model_id: Option<Uuid>,
    pub rating: Option<u8>,
    pub created_at: DateTime<Utc>,
}

/// Everything `/models/{id}` shows besides the job's own page data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelDetail {
    pub model: Model,
    pub job: crate::jobs::JobDetail,
    /// The step whose weights the adapter holds, and why.
    pub adapter: crate::training::KeptAdapter,
    /// Oldest ancestor first, this model included.
    pub lineage: Vec<ModelVersion>,
    /// Models continued from this one.
    pub children: Vec<ModelVersion>,
    /// Its exports (merged, GGUF), one per format asked for.
    pub exports: Vec<super::exports::ModelExport>,
}

/// A signed link to one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DownloadLink {
    pub name: String,
    pub url: String,
    pub size_bytes: Option<u64>,
}

/// `GET /api/models/{id}/download`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelDownload {
    pub files: Vec<DownloadLink>,
    /// A `.tar.gz` of all the files, made while it streams.
    pub bundle: DownloadLink,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_are_trimmed_and_checked() {
        let ok = ModelUpdate {
            name: Some("  EQ adapter v2 ".into()),
            description: None,
        }
        .validated()
        .unwrap();
        assert_eq!(ok.name.as_deref(), Some("EQ adapter v2"));
        let blank = ModelUpdate {
            name: Some("  ".into()),
            description: None,
        };
        assert_eq!(blank.validated().unwrap_err().0, "name");
        let long = ModelUpdate {
            name: None,
            description: Some("x".repeat(MAX_DESCRIPTION_CHARS + 1)),
        };
        assert_eq!(long.validated().unwrap_err().0, "description");
    }
}
