//! The agent's export routes (`/v1/exports`, DESIGN §4.2): start, status,
//! a written file streamed as it arrives, and removal. An agent without
//! them (older than exports) is `Unsuitable`, saying to update it.

use super::HttpCluster;
use crate::jobs::cluster::{ByteStream, ClusterError, ExportSpec, ExportView};
use futures::StreamExt;
use std::time::Duration;

/// The longest one exported file may take to arrive (tens of GB).
const FILE_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

impl HttpCluster {
    pub(super) async fn post_export(&self, spec: &ExportSpec) -> Result<ExportView, ClusterError> {
        let url = self.url("/v1/exports");
        self.call(|c| c.post(&url).json(spec))
            .await
            .map_err(too_old)
    }

    pub(super) async fn get_export(&self, id: &str) -> Result<ExportView, ClusterError> {
        let url = self.url(&format!("/v1/exports/{id}"));
        self.call(|c| c.get(&url)).await
    }

    pub(super) async fn delete_export(&self, id: &str) -> Result<(), ClusterError> {
        let url = self.url(&format!("/v1/exports/{id}"));
        let resp = super::super::retry::send(|| self.authorised(self.client.delete(&url))).await?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            reqwest::StatusCode::NOT_FOUND => Ok(()),
            s => Err(ClusterError::Rejected(s.to_string())),
        }
    }

    pub(super) async fn stream_export_file(
        &self,
        id: &str,
        name: &str,
    ) -> Result<ByteStream, ClusterError> {
        let mut url = reqwest::Url::parse(&self.url(&format!("/v1/exports/{id}/files/")))
            .map_err(|e| ClusterError::Rejected(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| ClusterError::Rejected("the cluster URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(name.split('/'));
        let resp = super::super::retry::send(|| {
            self.authorised(self.client.get(url.clone()).timeout(FILE_TIMEOUT))
        })
        .await?;
        let status = resp.status();
        if !status.is_success() {
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            return Err(super::error_of(status, &body));
        }
        Ok(resp
            .bytes_stream()
            .map(|chunk| chunk.map_err(|e| e.without_url().to_string()))
            .boxed())
    }
}

/// A 404 on `POST /v1/exports` is an agent without the route.
fn too_old(e: ClusterError) -> ClusterError {
    match e {
        ClusterError::NotFound => ClusterError::Unsuitable(
            "the trainer agent cannot export; update brightrun-trainer on the GPU machine".into(),
        ),
        e => e,
    }
}
