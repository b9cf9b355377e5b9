//! Where datasets, adapters and downloaded base models are stored: a local
//! folder whose URLs this server signs and serves, or an S3 bucket.

use super::secret::Secret;
use super::vars::{ConfigError, Vars};
use crate::storage::s3::S3Settings;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    Local,
    S3,
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// `BRIGHTRUN_STORAGE`, default `local`: `local` (a folder, URLs signed
    /// by this server) or `s3`.
    pub kind: StorageKind,
    /// `BRIGHTRUN_STORAGE_DIR`, default `<data dir>/storage`: the local
    /// store's folder.
    pub dir: PathBuf,
    /// `BRIGHTRUN_STORAGE_KEY`, default: made once and kept in the data
    /// folder: the hex HMAC key that signs local URLs.
    pub key: Option<Secret<String>>,
    /// `BRIGHTRUN_S3_BUCKET` (required for `s3`) with `AWS_ENDPOINT_URL`
    /// (or `AWS_ENDPOINT`), `AWS_REGION` (or `AWS_DEFAULT_REGION`),
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`;
    /// unset ones fall back to the AWS defaults. `None` for `local`.
    pub s3: Option<S3Settings>,
}

impl StorageConfig {
    pub fn from_vars(vars: Vars<'_>, data_dir: &Path) -> Result<Self, ConfigError> {
        let kind = vars.choice(
            "BRIGHTRUN_STORAGE",
            &[("local", StorageKind::Local), ("s3", StorageKind::S3)],
            "expected local or s3",
        )?;
        let s3 = match (kind, vars.get("BRIGHTRUN_S3_BUCKET")) {
            (StorageKind::S3, None) => {
                return Err(ConfigError::new(
                    "BRIGHTRUN_S3_BUCKET",
                    "",
                    "required when BRIGHTRUN_STORAGE=s3",
                ));
            }
            (StorageKind::S3, Some(bucket)) => Some(S3Settings {
                bucket,
                endpoint: vars
                    .get("AWS_ENDPOINT_URL")
                    .or_else(|| vars.get("AWS_ENDPOINT")),
                region: vars
                    .get("AWS_REGION")
                    .or_else(|| vars.get("AWS_DEFAULT_REGION")),
                access_key_id: vars.get("AWS_ACCESS_KEY_ID"),
                secret_access_key: vars.secret("AWS_SECRET_ACCESS_KEY"),
                session_token: vars.secret("AWS_SESSION_TOKEN"),
            }),
            (StorageKind::Local, _) => None,
        };
        Ok(Self {
            kind,
            dir: vars
                .get("BRIGHTRUN_STORAGE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("storage")),
            key: vars.secret("BRIGHTRUN_STORAGE_KEY"),
            s3,
        })
    }
}
