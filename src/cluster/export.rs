//! An export run where the base weights are (DESIGN §4.2): the server
//! sends `POST /v1/exports` with an [`ExportSpec`] (the adapter and a Hub
//! base model as signed URLs), polls `GET /v1/exports/{id}` for an
//! [`ExportView`], fetches each written file from
//! `GET /v1/exports/{id}/files/{name}` into its storage, and ends with
//! `DELETE /v1/exports/{id}`. The export id is the idempotency key. On a
//! scheduler (Ray) the same spec, with [`ExportUpload`] URLs, runs as a job
//! that PUTs its view and files instead of serving them.

use super::spec::{InitAdapter, SpecError};
use crate::models::{ExportFile, ExportFormat};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// The caller's id for it: letters, digits and `-`, at most 64.
    pub export_id: String,
    /// `tiny-llama` or a model folder, as in [`super::JobSpec::base_model`].
    pub base_model: String,
    /// As in [`super::JobSpec::base_model_files`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model_files: Option<BTreeMap<String, String>>,
    /// The trained adapter's two files.
    pub adapter: InitAdapter,
    pub format: ExportFormat,
    /// For a scheduler's job (`brightrun-trainer run --spec`, on Ray),
    /// which serves nothing: where it sends its view and its files. An
    /// agent serves them itself and refuses this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<ExportUpload>,
}

/// Signed URLs an export job PUTs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportUpload {
    /// Its [`ExportView`] as JSON: while it works, and at the end.
    pub status: String,
    /// The n-th file it writes goes to the n-th URL (as its view lists
    /// them); an export writing more files than these fails.
    pub files: Vec<String>,
}

impl ExportSpec {
    pub fn check(&self) -> Result<(), SpecError> {
        if !is_plain_id(&self.export_id) {
            return Err(SpecError::new(
                "export_id",
                "must be 1 to 64 letters, digits or dashes",
            ));
        }
        if let Some(files) = &self.base_model_files {
            super::spec::check_base_model_files(&self.base_model, files)?;
        }
        Ok(())
    }
}

/// An id that can name a folder: 1 to 64 ASCII letters, digits or dashes.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportRunStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

/// `GET /v1/exports/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportView {
    pub id: String,
    pub status: ExportRunStatus,
    /// 0 to 1, the export's own work (fetching the inputs excluded).
    pub fraction: f32,
    pub stage: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What it wrote, once completed: names relative to its folder (`/`
    /// between parts), each fetched from `…/files/{name}`.
    #[serde(default)]
    pub files: Vec<ExportFile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str) -> ExportSpec {
        ExportSpec {
            export_id: id.into(),
            base_model: "tiny-llama".into(),
            base_model_files: None,
            adapter: InitAdapter {
                config: "http://h/c".into(),
                weights: "http://h/w".into(),
            },
            format: ExportFormat::GgufQ8_0,
            upload: None,
        }
    }

    #[test]
    fn an_export_id_can_name_a_folder_and_nothing_else() {
        assert!(spec("0b9d2c1e-5f7a-4c1e-9a55-1f0c2e3d4b5a").check().is_ok());
        for bad in ["", "../x", "a/b", "a b", ".", &"x".repeat(65)] {
            assert_eq!(spec(bad).check().unwrap_err().field, "export_id", "{bad}");
        }
    }

    #[test]
    fn the_spec_is_its_own_json_and_refuses_unknown_fields() {
        let s = spec("e1");
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<ExportSpec>(&text).unwrap(), s);
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["out_dir"] = "/etc".into();
        assert!(serde_json::from_value::<ExportSpec>(v).is_err());
    }
}
