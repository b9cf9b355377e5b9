//! Datasets as the UI and the REST API show them.

use super::conversation::{DatasetFormat, TrainingExample};
use super::report::ValidationReport;
use crate::status::DatasetStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest dataset name and description, in characters.
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 5000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dataset {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub status: DatasetStatus,
    pub format: Option<DatasetFormat>,
    pub file_name: String,
    pub size_bytes: u64,
    /// Bytes the validation worker has read so far (while `validating`).
    pub progress_bytes: u64,
    pub error_count: u32,
    pub warning_count: u32,
    pub trainable_examples: Option<u64>,
    pub total_tokens: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetDetail {
    pub dataset: Dataset,
    pub report: Option<ValidationReport>,
    pub samples: Vec<TrainingExample>,
}

/// One page of the dataset list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetPage {
    pub items: Vec<Dataset>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Filters for the dataset list; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetFilter {
    pub status: Option<DatasetStatus>,
    pub format: Option<DatasetFormat>,
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// What a new upload declares before any byte is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDataset {
    pub name: String,
    pub description: Option<String>,
    pub file_name: String,
    pub size_bytes: u64,
}

/// Where and how to send the file, and its limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadTarget {
    pub url: String,
    /// `PUT` (send the file as the body) or `POST` (a form: `fields`, then
    /// the file as the last field, named `file`).
    pub method: String,
    pub expires_at: DateTime<Utc>,
    pub max_bytes: u64,
    /// The form fields of a `POST` upload; empty for `PUT`.
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedDataset {
    pub dataset: Dataset,
    pub upload: UploadTarget,
}

/// Checks a name and description; the message names the field.
pub fn check_text(name: &str, description: Option<&str>) -> Result<(), (&'static str, String)> {
    if name.trim().is_empty() {
        return Err(("name", "Give the dataset a name.".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err((
            "name",
            format!("Names are at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
        return Err((
            "description",
            format!("Descriptions are at most {MAX_DESCRIPTION_CHARS} characters."),
        ));
    }
    Ok(())
}
