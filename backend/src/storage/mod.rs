//! Object storage behind one type, chosen by configuration: a local folder
//! whose URLs this server signs (HMAC) and serves itself, or S3-compatible
//! storage with the store's own presigned URLs. Uploads stream to the store
//! through a multipart writer, so a partial upload is never visible and
//! memory stays flat whatever the size. Each call to the store has a span
//! naming the object (never a signed URL).

pub mod keys;
pub mod s3;
pub mod signing;

use crate::error::ServiceError;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use signing::SigningKey;
use std::sync::Arc;
use std::time::Duration;

/// Where local-store URLs are served.
pub const LOCAL_ROUTE: &str = "/storage/";

#[derive(Clone)]
enum Backend {
    Local {
        key: SigningKey,
    },
    S3 {
        s3: Arc<object_store::aws::AmazonS3>,
        bucket: String,
        post: s3::PostTarget,
    },
}

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    backend: Backend,
    /// Prefix for signed local URLs, e.g. `http://127.0.0.1:3000` (or empty: same origin).
    public_url: String,
}

/// A signed URL and what it allows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignedUrl {
    pub url: String,
    pub method: &'static str,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub max_bytes: Option<u64>,
    /// Form fields to post before the file (a presigned POST); empty for PUT.
    pub fields: Vec<(String, String)>,
}

/// Why a streamed upload stopped.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload is larger than the {0}-byte limit")]
    TooLarge(u64),
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    #[error("storage failed: {0}")]
    Store(#[from] object_store::Error),
}

fn object_path(path: &str) -> Result<ObjectPath, ServiceError> {
    ObjectPath::parse(path).map_err(|e| ServiceError::internal("bad object path", e))
}

impl Storage {
    /// A local folder; URLs signed with `key`.
    pub fn local(
        root: &std::path::Path,
        key: SigningKey,
        public_url: String,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(root)
            .map_err(std::io::Error::other)?
            .with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            backend: Backend::Local { key },
            public_url,
        })
    }

    /// S3-compatible storage: `settings` over the standard `AWS_*` variables.
    pub fn s3(settings: &s3::S3Settings) -> Result<Self, object_store::Error> {
        let builder = settings.builder();
        let post = s3::PostTarget::from_builder(&builder);
        let s3 = Arc::new(builder.build()?);
        Ok(Self {
            store: s3.clone(),
            backend: Backend::S3 {
                s3,
                bucket: settings.bucket.clone(),
                post,
            },
            public_url: String::new(),
        })
    }

    pub fn is_local(&self) -> bool {
        matches!(self.backend, Backend::Local { .. })
    }

    /// A URL the client PUTs the object to, valid for `ttl`, at most `max_bytes`.
    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn upload_url(
        &self,
        path: &str,
        max_bytes: u64,
        ttl: Duration,
    ) -> Result<SignedUrl, ServiceError> {
        self.signed("PUT", path, Some(max_bytes), ttl).await
    }

    /// Where a browser or an API client sends a user's file: the signed PUT
    /// URL of the local store, which checks the size itself, or on S3 a
    /// presigned POST form whose policy makes S3 refuse anything over
    /// `max_bytes` (a presigned PUT cannot carry a size limit).
    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn browser_upload(
        &self,
        path: &str,
        max_bytes: u64,
        ttl: Duration,
    ) -> Result<SignedUrl, ServiceError> {
        let Backend::S3 { s3, bucket, post } = &self.backend else {
            return self.upload_url(path, max_bytes, ttl).await;
        };
        let credential = s3
            .credentials()
            .get_credential()
            .await
            .map_err(|e| ServiceError::internal("S3 credentials", e))?;
        let now = chrono::Utc::now();
        let expires_at =
            now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1));
        let form = s3::presigned_post(post, bucket, &credential, path, max_bytes, now, expires_at);
        Ok(SignedUrl {
            url: form.url,
            method: "POST",
            expires_at,
            max_bytes: Some(max_bytes),
            fields: form.fields,
        })
    }

    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn download_url(&self, path: &str, ttl: Duration) -> Result<SignedUrl, ServiceError> {
        self.signed("GET", path, None, ttl).await
    }

    async fn signed(
        &self,
        method: &'static str,
        path: &str,
        max_bytes: Option<u64>,
        ttl: Duration,
    ) -> Result<SignedUrl, ServiceError> {
        let expires_at = chrono::Utc::now()
            + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1));
        let url = match &self.backend {
            Backend::Local { key } => {
                let expires = expires_at.timestamp();
                let max = max_bytes.unwrap_or(0);
                let sig = key.sign(method, path, expires, max);
                format!(
                    "{}{LOCAL_ROUTE}{}?expires={expires}&max={max}&sig={sig}",
                    self.public_url,
                    brightrun::url::encode_path(path)
                )
            }
            Backend::S3 { s3, .. } => {
                use object_store::signer::Signer;
                let m = if method == "PUT" {
                    http::Method::PUT
                } else {
                    http::Method::GET
                };
                s3.signed_url(m, &object_path(path)?, ttl)
                    .await
                    .map_err(|e| ServiceError::internal("presigning failed", e))?
                    .to_string()
            }
        };
        Ok(SignedUrl {
            url,
            method,
            expires_at,
            max_bytes,
            fields: Vec::new(),
        })
    }

    /// Checks a local signed URL's query for `method` on `path`.
    pub fn verify_local(
        &self,
        method: &str,
        path: &str,
        expires: i64,
        max: u64,
        sig: &str,
    ) -> bool {
        match &self.backend {
            Backend::Local { key } => {
                expires >= chrono::Utc::now().timestamp()
                    && key.verify(method, path, expires, max, sig)
            }
            Backend::S3 { .. } => false,
        }
    }

    /// Streams `body` into the object, stopping (and leaving nothing behind)
    /// past `max_bytes` or when the stream fails. Returns the size written.
    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn put_stream<S, E>(
        &self,
        path: &str,
        mut body: S,
        max_bytes: u64,
    ) -> Result<u64, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let location =
            ObjectPath::parse(path).map_err(|e| UploadError::Interrupted(e.to_string()))?;
        let upload = self.store.put_multipart(&location).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(UploadError::Interrupted(e.to_string()));
                }
            };
            written += chunk.len() as u64;
            if written > max_bytes {
                let _ = writer.abort().await;
                return Err(UploadError::TooLarge(max_bytes));
            }
            writer.wait_for_capacity(4).await?;
            writer.put(chunk);
        }
        writer.finish().await?;
        Ok(written)
    }

    /// Writes a small object whole (a spec, a report).
    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn put_bytes(&self, path: &str, bytes: Bytes) -> Result<(), ServiceError> {
        self.store
            .put(&object_path(path)?, bytes.into())
            .await
            .map(|_| ())
            .map_err(|e| ServiceError::internal("storage put failed", e))
    }

    /// A small object's bytes, or `None` when it does not exist.
    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn get_bytes(&self, path: &str) -> Result<Option<Bytes>, ServiceError> {
        match self.store.get(&object_path(path)?).await {
            Ok(result) => result
                .bytes()
                .await
                .map(Some)
                .map_err(|e| ServiceError::internal("storage read failed", e)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ServiceError::internal("storage get failed", e)),
        }
    }

    /// The object's size, or `None` when it does not exist.
    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn size(&self, path: &str) -> Result<Option<u64>, ServiceError> {
        match self.store.head(&object_path(path)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ServiceError::internal("storage head failed", e)),
        }
    }

    /// The object's bytes as a stream.
    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn get_stream(
        &self,
        path: &str,
    ) -> Result<impl Stream<Item = Result<Bytes, object_store::Error>> + Send + use<>, ServiceError>
    {
        match self.store.get(&object_path(path)?).await {
            Ok(result) => Ok(result.into_stream()),
            Err(object_store::Error::NotFound { .. }) => Err(ServiceError::NotFound("Object")),
            Err(e) => Err(ServiceError::internal("storage get failed", e)),
        }
    }

    /// Moves an object to another path (S3: copy, then delete); `false` when
    /// there is nothing at `from`.
    #[tracing::instrument(skip_all, fields(%from, %to))]
    pub async fn rename(&self, from: &str, to: &str) -> Result<bool, ServiceError> {
        match self
            .store
            .rename(&object_path(from)?, &object_path(to)?)
            .await
        {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(ServiceError::internal("storage rename failed", e)),
        }
    }

    /// Deletes every object under `prefix` (a folder, ending in `/`);
    /// returns how many there were.
    #[tracing::instrument(skip_all, fields(%prefix))]
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, ServiceError> {
        let folder = object_path(prefix.trim_end_matches('/'))?;
        let mut listed = self.store.list(Some(&folder));
        let mut removed = 0;
        while let Some(meta) = listed.next().await {
            let location = match meta {
                Ok(meta) => meta.location,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(ServiceError::internal("storage list failed", e)),
            };
            match self.store.delete(&location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => removed += 1,
                Err(e) => return Err(ServiceError::internal("storage delete failed", e)),
            }
        }
        Ok(removed)
    }

    /// Deletes the object; a missing one is already deleted.
    #[tracing::instrument(skip_all, fields(%path))]
    pub async fn delete(&self, path: &str) -> Result<(), ServiceError> {
        match self.store.delete(&object_path(path)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(ServiceError::internal("storage delete failed", e)),
        }
    }
}
