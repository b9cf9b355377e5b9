//! Exports of a trained model for the tools people deploy with (DESIGN
//! §4.4): the adapter merged into its base as a Hugging Face folder, the
//! merged model as GGUF in three precisions, and the adapter alone as a
//! GGUF LoRA. One definition for the app, the server and the trainer.

use super::records::DownloadLink;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an export holds. The wire name is `as_str()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ExportFormat {
    /// W' = W + (alpha / r)·B·A in the base dtype: `config.json`, sharded
    /// safetensors with an index, the tokenizer and chat template.
    #[serde(rename = "merged")]
    Merged,
    #[serde(rename = "gguf-f16")]
    GgufF16,
    #[serde(rename = "gguf-q8_0")]
    GgufQ8_0,
    #[serde(rename = "gguf-q4_k_m")]
    GgufQ4KM,
    /// The adapter alone, for llama.cpp's `--lora` over the base's GGUF.
    #[serde(rename = "gguf-lora")]
    GgufLora,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 5] = [
        Self::Merged,
        Self::GgufF16,
        Self::GgufQ8_0,
        Self::GgufQ4KM,
        Self::GgufLora,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Merged => "merged",
            Self::GgufF16 => "gguf-f16",
            Self::GgufQ8_0 => "gguf-q8_0",
            Self::GgufQ4KM => "gguf-q4_k_m",
            Self::GgufLora => "gguf-lora",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Every wire name, for messages: "merged, gguf-f16, …".
    pub fn names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }

    /// What the format list on the model page shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Merged => "Merged model (safetensors)",
            Self::GgufF16 => "GGUF f16",
            Self::GgufQ8_0 => "GGUF q8_0",
            Self::GgufQ4KM => "GGUF q4_K_M",
            Self::GgufLora => "GGUF LoRA adapter",
        }
    }

    /// Where it runs, in a line.
    pub fn description(self) -> &'static str {
        match self {
            Self::Merged => "One checkpoint for vLLM, TGI or transformers, no LoRA support needed.",
            Self::GgufF16 => "Full precision for llama.cpp, Ollama and LM Studio.",
            Self::GgufQ8_0 => "Half the size of f16, nearly lossless.",
            Self::GgufQ4KM => "About a quarter of f16: runs on laptops.",
            Self::GgufLora => {
                "The adapter alone, for llama.cpp's --lora over the base model's GGUF."
            }
        }
    }

    /// The one file a GGUF export writes; the merged export is a folder.
    pub fn gguf_file_name(self) -> Option<&'static str> {
        match self {
            Self::Merged => None,
            Self::GgufF16 => Some("model-f16.gguf"),
            Self::GgufQ8_0 => Some("model-q8_0.gguf"),
            Self::GgufQ4KM => Some("model-q4_k_m.gguf"),
            Self::GgufLora => Some("adapter-f16.gguf"),
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Completed, Self::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// One file of a finished export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportFile {
    pub name: String,
    pub size_bytes: u64,
}

/// An export as the model page and `GET /api/models/{id}/exports` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelExport {
    pub id: Uuid,
    pub model_id: Uuid,
    pub format: ExportFormat,
    pub status: ExportStatus,
    /// 0 to 1.
    pub progress: f32,
    /// What it is doing now ("merging shard 2 of 4", "quantizing blk.7").
    pub stage: Option<String>,
    /// Why it failed, safe to show.
    pub error: Option<String>,
    pub files: Vec<ExportFile>,
    pub size_bytes: u64,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// `GET /api/models/{id}/exports/{format}/download`: signed links to a
/// completed export's files (valid an hour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportDownload {
    pub format: ExportFormat,
    pub files: Vec<DownloadLink>,
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/models/{id}/exports`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    pub format: ExportFormat,
}

/// A step of an export as the trainer reports it: `done` of `total` units
/// of work (bytes of weights), with what it is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportProgress {
    pub stage: String,
    pub done: u64,
    pub total: u64,
}

impl ExportProgress {
    pub fn fraction(&self) -> f32 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).clamp(0.0, 1.0) as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_by_their_wire_names() {
        for f in ExportFormat::ALL {
            assert_eq!(ExportFormat::parse(f.as_str()), Some(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
        }
        assert_eq!(ExportFormat::parse("gguf-q5"), None);
        let bad: Result<ExportRequest, _> = serde_json::from_str(r#"{"format":"onnx"}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn progress_is_a_clamped_fraction() {
        let p = |done, total| ExportProgress {
            stage: String::new(),
            done,
            total,
        };
        assert_eq!(p(0, 0).fraction(), 0.0);
        assert_eq!(p(5, 10).fraction(), 0.5);
        assert_eq!(p(12, 10).fraction(), 1.0);
    }
}
