//! Exports on Ray: one Ray job per export (`export-<id>`), whose
//! entrypoint runs `brightrun-trainer run --spec <signed URL>` on an
//! export spec. A Ray job serves nothing, so the spec carries signed
//! upload URLs: the job PUTs its view to `ray-exports/<id>/status.json`
//! and its n-th file to `ray-exports/<id>/files/<n>`; the view it last
//! wrote, combined with Ray's status, is the export's, and each file is
//! read back from its slot by the name the view lists.

use super::RayCluster;
use super::status::{RayJob, ray_failure};
use super::submission::export_submission;
use crate::jobs::cluster::{ByteStream, ClusterError, ExportSpec, ExportView};
use crate::storage::keys::ray_export_prefix;
use brightrun::cluster::{ExportRunStatus, ExportUpload};
use futures::StreamExt;

/// The most files one export may write (a merged 70B model writes ~35).
pub const MAX_FILES: usize = 64;
/// The largest file a slot takes.
const MAX_FILE_BYTES: u64 = 512 << 30;
/// The largest view a job may write.
const MAX_VIEW_BYTES: u64 = 1 << 20;

fn submission_id(id: &str) -> String {
    format!("export-{id}")
}

fn object(id: &str, name: &str) -> String {
    format!("{}{name}", ray_export_prefix(id))
}

fn slot(id: &str, n: usize) -> String {
    object(id, &format!("files/{n}"))
}

impl RayCluster {
    pub(super) async fn submit_export(
        &self,
        spec: &ExportSpec,
    ) -> Result<ExportView, ClusterError> {
        let id = &spec.export_id;
        let sid = submission_id(id);
        if !self.exists(&sid).await? {
            let mut spec = spec.clone();
            let _ = self.storage.delete_prefix(&ray_export_prefix(id)).await;
            let mut files = Vec::with_capacity(MAX_FILES);
            for n in 0..MAX_FILES {
                files.push(self.signed_upload(&slot(id, n), MAX_FILE_BYTES).await?);
            }
            let status = object(id, "status.json");
            spec.upload = Some(ExportUpload {
                status: self.signed_upload(&status, MAX_VIEW_BYTES).await?,
                files,
            });
            let spec_key = object(id, "spec.json");
            let body = serde_json::to_vec(&spec).expect("json");
            self.storage
                .put_bytes(&spec_key, body.into())
                .await
                .map_err(|e| ClusterError::Unreachable(format!("storing the spec: {e}")))?;
            let spec_url = self.signed(&spec_key, false).await?;
            let body = export_submission(&sid, &spec_url, &self.entrypoint);
            self.post_job(&sid, &body).await?;
        }
        self.export_view(id).await
    }

    /// Ray's status and the job's own view, as one; `NotFound` when Ray
    /// does not know the job.
    pub(super) async fn export_view(&self, id: &str) -> Result<ExportView, ClusterError> {
        let resp = self
            .send(|c| c.get(self.url(&format!("/api/jobs/{}", submission_id(id)))))
            .await?;
        let job: RayJob = resp
            .json()
            .await
            .map_err(|e| ClusterError::Unreachable(format!("the answer was not Ray's job: {e}")))?;
        Ok(combine(id, &job, self.reported(id).await))
    }

    async fn reported(&self, id: &str) -> Option<ExportView> {
        match self.storage.get_bytes(&object(id, "status.json")).await {
            Ok(Some(b)) => serde_json::from_slice(&b).ok(),
            _ => None,
        }
    }

    pub(super) async fn export_stream(
        &self,
        id: &str,
        name: &str,
    ) -> Result<ByteStream, ClusterError> {
        let view = self.reported(id).await.ok_or(ClusterError::NotFound)?;
        let n = view
            .files
            .iter()
            .position(|f| f.name == name)
            .filter(|_| view.status == ExportRunStatus::Completed)
            .ok_or(ClusterError::NotFound)?;
        let body =
            self.storage.get_stream(&slot(id, n)).await.map_err(|e| {
                ClusterError::Unreachable(format!("reading the exported file: {e}"))
            })?;
        Ok(body.map(|c| c.map_err(|e| e.to_string())).boxed())
    }

    pub(super) async fn remove_export_job(&self, id: &str) -> Result<(), ClusterError> {
        let sid = submission_id(id);
        match self
            .send(|c| c.post(self.url(&format!("/api/jobs/{sid}/stop"))))
            .await
        {
            Ok(_) | Err(ClusterError::NotFound) => {}
            Err(e) => return Err(e),
        }
        self.storage
            .delete_prefix(&ray_export_prefix(id))
            .await
            .map_err(|e| ClusterError::Unreachable(format!("removing the export's files: {e}")))?;
        Ok(())
    }
}

/// The job's view as Ray's status bounds it: a view from a job Ray says
/// ended without completing is a failure, and one from a job that never
/// wrote a view waits, runs or fails as Ray says.
pub fn combine(id: &str, job: &RayJob, reported: Option<ExportView>) -> ExportView {
    let mut view = reported.unwrap_or_else(|| ExportView {
        id: id.to_string(),
        status: ExportRunStatus::Queued,
        fraction: 0.0,
        stage: "waiting for Ray to start it".into(),
        error: None,
        files: Vec::new(),
    });
    view.id = id.to_string();
    let settled = matches!(
        view.status,
        ExportRunStatus::Completed | ExportRunStatus::Failed
    );
    match job.status.as_str() {
        "RUNNING" if view.status == ExportRunStatus::Queued => {
            view.status = ExportRunStatus::Running;
            view.stage = "starting".into();
        }
        "FAILED" | "STOPPED" if !settled => {
            view.status = ExportRunStatus::Failed;
            view.error = Some(ray_failure(job));
        }
        "SUCCEEDED" if !settled => {
            view.status = ExportRunStatus::Failed;
            view.error = Some("Ray reported the export job succeeded, but it never reported finishing; see the job's log.".into());
        }
        _ => {}
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ray(status: &str) -> RayJob {
        serde_json::from_value(serde_json::json!({"status": status, "message": "oom"})).unwrap()
    }

    fn view(status: ExportRunStatus) -> ExportView {
        ExportView {
            id: "whatever".into(),
            status,
            fraction: 0.5,
            stage: "quantizing".into(),
            error: None,
            files: Vec::new(),
        }
    }

    #[test]
    fn rays_status_bounds_what_the_job_said() {
        assert_eq!(
            combine("e", &ray("PENDING"), None).status,
            ExportRunStatus::Queued
        );
        assert_eq!(
            combine("e", &ray("RUNNING"), None).status,
            ExportRunStatus::Running
        );
        let running = combine("e", &ray("RUNNING"), Some(view(ExportRunStatus::Running)));
        assert_eq!((running.id.as_str(), running.fraction), ("e", 0.5));
        let died = combine("e", &ray("FAILED"), Some(view(ExportRunStatus::Running)));
        assert_eq!(died.status, ExportRunStatus::Failed);
        assert!(died.error.unwrap().contains("oom"));
        let silent = combine("e", &ray("SUCCEEDED"), None);
        assert_eq!(silent.status, ExportRunStatus::Failed);
        let done = combine(
            "e",
            &ray("SUCCEEDED"),
            Some(view(ExportRunStatus::Completed)),
        );
        assert_eq!(done.status, ExportRunStatus::Completed);
    }
}
