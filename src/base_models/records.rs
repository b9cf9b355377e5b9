//! A base model download as the pages and the API show it, and the request
//! that adds one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /api/base-models` and `/api/base-models/inspect`, and the page's form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddBaseModel {
    pub hub_id: String,
    #[serde(default)]
    pub revision: Option<String>,
    /// A Hub access token for gated models; used for this download only,
    /// never shown again and erased when the download ends.
    #[serde(default)]
    pub token: Option<String>,
}

/// What the Hub says about a repository, before anything is downloaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspection {
    pub hub_id: String,
    pub revision: String,
    /// The folder and base model id it will have.
    pub name: String,
    /// `model_type` from its config.json.
    pub architecture: String,
    pub parameters: u64,
    pub total_bytes: u64,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DownloadStatus {
    Downloading,
    Ready,
    Failed,
}

impl DownloadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Downloading => "downloading",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "downloading" => Some(Self::Downloading),
            "ready" => Some(Self::Ready),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BaseModelDownload {
    pub id: Uuid,
    pub hub_id: String,
    pub revision: String,
    pub name: String,
    pub architecture: String,
    pub parameters: u64,
    pub status: DownloadStatus,
    pub total_bytes: u64,
    pub downloaded_bytes: u64,
    /// Why it failed, safe to show.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl BaseModelDownload {
    /// 0–100, for the progress bar.
    pub fn percent(&self) -> u8 {
        if self.status == DownloadStatus::Ready {
            return 100;
        }
        if self.total_bytes == 0 {
            return 0;
        }
        (self.downloaded_bytes.min(self.total_bytes) * 100 / self.total_bytes) as u8
    }
}
