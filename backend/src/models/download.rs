//! Download links: a signed GET URL per adapter file, valid an hour, and a
//! signed link to the `.tar.gz` bundle this server makes while streaming.

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::models::{DownloadLink, ModelDownload};
use std::time::Duration;
use uuid::Uuid;

/// How long download links stay valid.
pub const LINK_TTL: Duration = Duration::from_secs(3600);

fn bundle_path(owner: Uuid, model: Uuid) -> String {
    format!("bundle/{owner}/{model}")
}

/// Signed links to each of the model's stored files and to its bundle.
#[tracing::instrument(skip_all, fields(%owner, model = %id))]
pub async fn links(
    services: &Services,
    owner: Uuid,
    id: Uuid,
) -> Result<ModelDownload, ServiceError> {
    let prefix = super::queries::stored(&services.pool, owner, id)
        .await?
        .storage_prefix;
    let mut files = Vec::new();
    let mut expires_at = chrono::Utc::now();
    for (name, key, size) in super::stored_files(services, &prefix).await? {
        let signed = services.storage.download_url(&key, LINK_TTL).await?;
        expires_at = signed.expires_at;
        files.push(DownloadLink {
            name: name.to_string(),
            url: signed.url,
            size_bytes: Some(size),
        });
    }
    if files.is_empty() {
        return Err(ServiceError::Conflict(
            "This model's files have been removed from storage; train it again to download it."
                .into(),
        ));
    }
    let expires = expires_at.timestamp();
    let sig = services
        .link_key
        .sign("GET", &bundle_path(owner, id), expires, 0);
    Ok(ModelDownload {
        bundle: DownloadLink {
            name: "adapter.tar.gz".into(),
            url: format!(
                "{}/api/models/{id}/bundle.tar.gz?owner={owner}&expires={expires}&sig={sig}",
                services.config.server.public_url
            ),
            size_bytes: None,
        },
        files,
        expires_at,
    })
}

/// Checks a bundle link; `false` for a bad, tampered or expired one.
#[tracing::instrument(skip_all, fields(%owner, model = %id))]
pub fn verify_bundle(services: &Services, owner: Uuid, id: Uuid, expires: i64, sig: &str) -> bool {
    expires >= chrono::Utc::now().timestamp()
        && services
            .link_key
            .verify("GET", &bundle_path(owner, id), expires, 0, sig)
}
